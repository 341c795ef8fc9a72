-- The partners' feed (issue 19 item 3; 通政发〔2018〕27号 六（五）). See the PostgreSQL migration
-- of the same number for what each table keeps. SQLite has one writer, so `seq` is in commit
-- order; a mark is a random number replaced on every change.
CREATE TABLE feed_event (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    region_code   TEXT NOT NULL,
    township      TEXT,
    kind          TEXT NOT NULL,
    on_day        TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX feed_event_region ON feed_event (region_code, seq);

CREATE TABLE feed_state (
    enterprise_id BIGINT PRIMARY KEY REFERENCES enterprise(id),
    standing      TEXT NOT NULL,
    day           TEXT NOT NULL
);

CREATE TABLE feed_dirty (
    enterprise_id BIGINT PRIMARY KEY,
    mark          BIGINT NOT NULL
);
CREATE TABLE feed_clock (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    last_day TEXT NOT NULL
);
INSERT INTO feed_dirty (enterprise_id, mark) SELECT id, 0 FROM enterprise;

CREATE TABLE partner_agreement (
    user_id     BIGINT PRIMARY KEY REFERENCES app_user(id),
    agreement   TEXT NOT NULL,
    secret      TEXT NOT NULL,
    push_url    TEXT,
    pushed_seq  BIGINT NOT NULL DEFAULT 0,
    push_failures BIGINT NOT NULL DEFAULT 0,
    push_error  TEXT,
    -- the next delivery is not tried before this (Unix seconds): the retry back-off
    next_push_at BIGINT NOT NULL DEFAULT 0,
    -- the instance delivering now, and until when it holds the delivery
    push_lease_by    TEXT,
    push_lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TRIGGER feed_enterprise_insert AFTER INSERT ON enterprise BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.id, random());
END;
CREATE TRIGGER feed_enterprise_update AFTER UPDATE ON enterprise
WHEN OLD.region_code IS NOT NEW.region_code OR OLD.township IS NOT NEW.township
  OR OLD.active_from IS NOT NEW.active_from OR OLD.closed_on IS NOT NEW.closed_on
BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.id, random());
END;
CREATE TRIGGER feed_certificate_insert AFTER INSERT ON certificate BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.enterprise_id, random());
END;
CREATE TRIGGER feed_certificate_update AFTER UPDATE ON certificate BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (OLD.enterprise_id, random());
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.enterprise_id, random());
END;
CREATE TRIGGER feed_certificate_delete AFTER DELETE ON certificate BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (OLD.enterprise_id, random());
END;
CREATE TRIGGER feed_case_insert AFTER INSERT ON grading_case BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.enterprise_id, random());
END;
CREATE TRIGGER feed_case_update AFTER UPDATE ON grading_case
WHEN OLD.enterprise_id IS NOT NEW.enterprise_id OR OLD.opened_on IS NOT NEW.opened_on
BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (OLD.enterprise_id, random());
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.enterprise_id, random());
END;
CREATE TRIGGER feed_accident_insert AFTER INSERT ON accident BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.enterprise_id, random());
END;
CREATE TRIGGER feed_accident_update AFTER UPDATE ON accident BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (OLD.enterprise_id, random());
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (NEW.enterprise_id, random());
END;
CREATE TRIGGER feed_accident_delete AFTER DELETE ON accident BEGIN
    INSERT OR REPLACE INTO feed_dirty (enterprise_id, mark) VALUES (OLD.enterprise_id, random());
END;

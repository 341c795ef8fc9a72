-- Programme figures kept as running sums (issue 5, the benchmark at 1,000,000 enterprises).
--
-- Each enterprise's standing is a list of +1/-1 events per counter (domain::standing): the days
-- it starts and stops counting as operating, certified by grade, self-assessed, started. The
-- events are kept per enterprise (to take them back when its records change) and summed per
-- unit and counter by year, month and day, so the counts on any day are the sums of the years
-- before it, the months of its year before its month and the days of its month up to it.
--
-- Triggers mark an enterprise whenever a record its standing depends on changes; the store
-- recomputes marked enterprises before it reads the sums (store::standing::refresh).
CREATE TABLE standing_dirty (
    enterprise_id BIGINT PRIMARY KEY
);
CREATE TABLE standing (
    enterprise_id BIGINT PRIMARY KEY,
    unit          TEXT NOT NULL,
    events        TEXT NOT NULL
);
CREATE TABLE standing_sum (
    level   TEXT NOT NULL CHECK (level IN ('y', 'm', 'd')),
    period  TEXT NOT NULL,
    unit    TEXT NOT NULL,
    counter TEXT NOT NULL,
    delta   BIGINT NOT NULL,
    PRIMARY KEY (level, period, unit, counter)
);
INSERT INTO standing_dirty (enterprise_id) SELECT id FROM enterprise;

CREATE TRIGGER standing_enterprise_insert AFTER INSERT ON enterprise BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.id);
END;
CREATE TRIGGER standing_enterprise_update AFTER UPDATE ON enterprise
WHEN OLD.region_code IS NOT NEW.region_code OR OLD.above_scale IS NOT NEW.above_scale
  OR OLD.size_class IS NOT NEW.size_class OR OLD.active_from IS NOT NEW.active_from
  OR OLD.closed_on IS NOT NEW.closed_on
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.id);
END;

CREATE TRIGGER standing_certificate_insert AFTER INSERT ON certificate BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id);
END;
CREATE TRIGGER standing_certificate_update AFTER UPDATE ON certificate
WHEN OLD.enterprise_id IS NOT NEW.enterprise_id OR OLD.grade IS NOT NEW.grade
  OR OLD.valid_from IS NOT NEW.valid_from OR OLD.valid_until IS NOT NEW.valid_until
  OR OLD.revoked_on IS NOT NEW.revoked_on OR OLD.superseded_on IS NOT NEW.superseded_on
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (OLD.enterprise_id);
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id);
END;

CREATE TRIGGER standing_case_insert AFTER INSERT ON grading_case BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id);
END;
CREATE TRIGGER standing_case_update AFTER UPDATE ON grading_case
WHEN OLD.enterprise_id IS NOT NEW.enterprise_id OR OLD.opened_on IS NOT NEW.opened_on
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (OLD.enterprise_id);
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id);
END;

CREATE TRIGGER standing_assessment_insert AFTER INSERT ON assessment BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id)
        SELECT enterprise_id FROM grading_case WHERE id = NEW.case_id;
END;
CREATE TRIGGER standing_assessment_update AFTER UPDATE ON assessment
WHEN OLD.case_id IS NOT NEW.case_id OR OLD.kind IS NOT NEW.kind
  OR OLD.performed_on IS NOT NEW.performed_on
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id)
        SELECT enterprise_id FROM grading_case WHERE id IN (OLD.case_id, NEW.case_id);
END;

CREATE TRIGGER standing_annual_insert AFTER INSERT ON annual_self_assessment BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id)
        SELECT enterprise_id FROM certificate WHERE id = NEW.certificate_id;
END;
CREATE TRIGGER standing_annual_update AFTER UPDATE ON annual_self_assessment
WHEN OLD.certificate_id IS NOT NEW.certificate_id OR OLD.submitted_on IS NOT NEW.submitted_on
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id)
        SELECT enterprise_id FROM certificate WHERE id IN (OLD.certificate_id, NEW.certificate_id);
END;

CREATE TRIGGER standing_region_update AFTER UPDATE ON region
WHEN OLD.unit IS NOT NEW.unit
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id)
        SELECT id FROM enterprise WHERE region_code = NEW.code;
END;
CREATE INDEX certificate_grade ON certificate (grade, valid_until);

-- Audits count within a programme's own period, so they are counted from their rows, by the
-- unit the refresh writes on them (kept current like the sums: an audit marks its enterprise).
ALTER TABLE quality_audit ADD COLUMN unit TEXT;
CREATE INDEX quality_audit_counted ON quality_audit (grade, performed_on, unit, enterprise_id, classification);
CREATE TRIGGER standing_audit_insert AFTER INSERT ON quality_audit BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id);
END;
CREATE TRIGGER standing_audit_update AFTER UPDATE ON quality_audit
WHEN OLD.enterprise_id IS NOT NEW.enterprise_id
BEGIN
    INSERT OR IGNORE INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id);
END;

-- Supervision (issue 6): inspections with their checklist, enforcement decisions and the
-- violations database they feed, warning notices drawn from it, the publication of the yearly
-- draw, and a job queue for deadline reminders and escalations.

-- An inspection of an enterprise: against a plan visit or ad hoc (complaint, campaign). The
-- checklist version it was recorded under is kept; each item's answer is a row.
CREATE TABLE inspection (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    region_code   TEXT NOT NULL,
    plan_id       BIGINT REFERENCES inspection_plan(id),
    kind          TEXT NOT NULL CHECK (kind IN ('plan', 'complaint', 'campaign', 'other')),
    inspected_on  TEXT NOT NULL,
    officers      TEXT NOT NULL,
    checklist     TEXT NOT NULL,
    findings      BIGINT NOT NULL,
    summary       TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX inspection_enterprise ON inspection (enterprise_id, inspected_on);
CREATE INDEX inspection_region ON inspection (region_code, inspected_on);

CREATE TABLE inspection_item (
    inspection_id BIGINT NOT NULL REFERENCES inspection(id),
    item_key      TEXT NOT NULL,
    answer        TEXT NOT NULL CHECK (answer IN ('ok', 'finding', 'na')),
    note          TEXT NOT NULL,
    PRIMARY KEY (inspection_id, item_key)
);

-- The inspection a hazard was found on (none for the enterprise's own self-check).
ALTER TABLE hazard ADD COLUMN inspection_id BIGINT REFERENCES inspection(id);

-- An enforcement decision, filed under a violation category (the rule names the category's
-- version). fine_max_yuan is the category's limit on the day; max_penalty says the enterprise's
-- status called for it (penalty_rule names the frequency rule that said so), reason why less.
CREATE TABLE enforcement (
    id             INTEGER PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    region_code    TEXT NOT NULL,
    inspection_id  BIGINT REFERENCES inspection(id),
    hazard_id      BIGINT REFERENCES hazard(id),
    kind           TEXT NOT NULL CHECK (kind IN ('order', 'fine', 'suspension', 'closure')),
    decided_on     TEXT NOT NULL,
    document_no    TEXT NOT NULL,
    facts          TEXT NOT NULL,
    category_key   TEXT NOT NULL,
    rule           TEXT NOT NULL,
    basis          TEXT NOT NULL,
    fine_yuan      BIGINT,
    fine_max_yuan  BIGINT NOT NULL,
    max_penalty    BOOLEAN NOT NULL,
    penalty_rule   TEXT,
    reason         TEXT,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX enforcement_enterprise ON enforcement (enterprise_id, decided_on);
CREATE INDEX enforcement_hazard ON enforcement (hazard_id, kind);
CREATE INDEX enforcement_region ON enforcement (region_code, decided_on);

-- The violations database: one record per decision.
CREATE TABLE violation (
    id             INTEGER PRIMARY KEY,
    enforcement_id BIGINT NOT NULL UNIQUE REFERENCES enforcement(id),
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    region_code    TEXT NOT NULL,
    category_key   TEXT NOT NULL,
    rule           TEXT NOT NULL,
    occurred_on    TEXT NOT NULL,
    typical        BOOLEAN NOT NULL DEFAULT FALSE,
    typical_by     TEXT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX violation_region ON violation (region_code, occurred_on);
CREATE INDEX violation_enterprise ON violation (enterprise_id, occurred_on);

-- A warning notice (警示通报) of a unit for a period, drafted from the violations database and
-- published on the portal. counts holds "category_key:n;…" as drafted; the cases cited are rows.
CREATE TABLE warning_notice (
    id           INTEGER PRIMARY KEY,
    unit         TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    counts       TEXT NOT NULL,
    total        BIGINT NOT NULL,
    rule         TEXT NOT NULL,
    drafted_by   TEXT NOT NULL,
    drafted_at   BIGINT NOT NULL,
    published_on TEXT,
    published_by TEXT
);
CREATE INDEX warning_notice_unit ON warning_notice (unit, period_to);

CREATE TABLE warning_case (
    notice_id    BIGINT NOT NULL REFERENCES warning_notice(id),
    violation_id BIGINT NOT NULL REFERENCES violation(id),
    PRIMARY KEY (notice_id, violation_id)
);

-- The day a unit's draw was published on the portal (双随机一公开).
ALTER TABLE inspection_plan ADD COLUMN published_on TEXT;

-- Background work as rows: a job is due on run_on (a business day), claimed by one instance
-- (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer) and done in the transaction
-- that delivers its effect. (kind, subject, run_on) is unique: enqueuing twice is harmless.
CREATE TABLE job_queue (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    run_on     TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts   BIGINT NOT NULL DEFAULT 0,
    locked_by  TEXT,
    locked_at  BIGINT,
    done_at    BIGINT,
    result     TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, subject, run_on)
);
CREATE INDEX job_queue_due ON job_queue (state, run_on, id);

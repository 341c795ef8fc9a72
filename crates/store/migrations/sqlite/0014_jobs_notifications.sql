-- Background jobs and the notifications they deliver.
--
-- job_run: one row per job and business day. An instance runs a job only if it inserts the
-- row (or takes over a run that started long ago and never finished), so two instances on one
-- database do the day's work once.
CREATE TABLE job_run (
    job         TEXT NOT NULL,
    day         TEXT NOT NULL,
    instance    TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    summary     TEXT,
    PRIMARY KEY (job, day)
);

-- In-app notifications. (kind, subject, period, audience) is unique: a reminder is delivered
-- once whichever instance or run produces it. audience is 'enterprise' (the enterprise's own
-- users) or 'officer' (the officers whose scope holds the enterprise).
CREATE TABLE notification (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    period        TEXT NOT NULL,
    audience      TEXT NOT NULL,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    region_code   TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    link          TEXT NOT NULL,
    rule          TEXT,
    due_on        TEXT,
    created_at    BIGINT NOT NULL,
    read_at       BIGINT,
    read_by       TEXT,
    UNIQUE (kind, subject, period, audience)
);
CREATE INDEX notification_enterprise ON notification (enterprise_id, audience, created_at);
CREATE INDEX notification_region ON notification (region_code, audience, created_at);

-- When the expiry job recorded that a certificate ran out (its status is still derived from
-- its dates; this marks the audited event and the notice as done).
ALTER TABLE certificate ADD COLUMN expiry_recorded_at BIGINT;

-- The business date an assessment was performed on (the decision date of the step that
-- recorded it); older rows fall back to the date of submitted_at.
ALTER TABLE assessment ADD COLUMN performed_on TEXT;

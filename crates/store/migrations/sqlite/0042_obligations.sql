-- The obligation list (issue 18 items 1 and 2, 通政发〔2018〕27号 六（二）2).
--
-- An enterprise's features that decide which duties apply to it (dust, ammonia refrigeration,
-- confined spaces, smelting, hazardous chemicals; keys of data/rules/obligations.toml), each
-- from a day and, once ended, to the first day it no longer holds (half-open).
CREATE TABLE enterprise_feature (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    feature       TEXT NOT NULL,
    since         TEXT NOT NULL,
    until         TEXT,
    recorded_by   TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL
);
CREATE INDEX enterprise_feature_enterprise ON enterprise_feature (enterprise_id, feature);

-- What an enterprise recorded against one item of its list for one period (2026, 2026Q4,
-- 2026-12, once; an event item's period is the day): done with evidence, or a gap with the day
-- it will be put right (自查自改), later closed. One row per enterprise, item and period; the
-- rule set version it was recorded under is kept so the decision reads as it was made.
CREATE TABLE obligation_record (
    id             INTEGER PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    rule           TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    period_key     TEXT NOT NULL,
    due_on         TEXT,
    state          TEXT NOT NULL CHECK (state IN ('done', 'gap', 'rectified')),
    note           TEXT NOT NULL,
    rectify_by     TEXT,
    evidence_name  TEXT,
    evidence_type  TEXT,
    evidence       BLOB,
    evidence_sha256 TEXT,
    recorded_by    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    recorded_on    TEXT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    UNIQUE (enterprise_id, item_key, period_key)
);
-- Open gaps by the day they are due to be put right (the escalation of overdue gaps).
CREATE INDEX obligation_record_open_gap ON obligation_record (rectify_by) WHERE state = 'gap';

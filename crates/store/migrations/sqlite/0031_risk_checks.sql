-- Hazard checks of risk points (issue 16 items 4 and 5). A point carries its current check
-- task: due on next_check_due for the level that controls it (the period is the risk rules'),
-- and check_overdue_since once the daily job found it overdue and escalated it (cleared by the
-- next check). The partial index holds only the tasks not yet found overdue, so the daily job
-- reads the ones that fell overdue since its last run and nothing else. `reassess` says why
-- the point is to be assessed again (a major hazard found at it, an accident), empty when not.
-- Measures are a JSON array of {"kind", "text"}; text written before reads as one measure.
ALTER TABLE risk_point ADD COLUMN next_check_due TEXT NOT NULL DEFAULT '';
ALTER TABLE risk_point ADD COLUMN check_overdue_since TEXT;
ALTER TABLE risk_point ADD COLUMN reassess TEXT NOT NULL DEFAULT '';
UPDATE risk_point SET next_check_due = assessed_on;
CREATE INDEX risk_point_check_due ON risk_point (next_check_due) WHERE check_overdue_since IS NULL;

-- Each check done: the task it did (due_on), the items with their results, who checked.
CREATE TABLE risk_check (
    id            INTEGER PRIMARY KEY,
    point_id      BIGINT NOT NULL REFERENCES risk_point(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    due_on        TEXT NOT NULL,
    checked_on    TEXT NOT NULL,
    control_level TEXT NOT NULL,
    passed        BOOLEAN NOT NULL,
    items         TEXT NOT NULL,
    checker       TEXT NOT NULL,
    rule          TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX risk_check_point ON risk_check (point_id, id);

-- A hazard found at a risk point (by its check or otherwise).
ALTER TABLE hazard ADD COLUMN risk_point_id BIGINT REFERENCES risk_point(id);
CREATE INDEX hazard_risk_point ON hazard (risk_point_id) WHERE risk_point_id IS NOT NULL;

-- A point's history also records its checks and the calls to assess it again.
CREATE TABLE risk_point_event_new (
    id        INTEGER PRIMARY KEY,
    point_id  BIGINT NOT NULL REFERENCES risk_point(id),
    step      TEXT NOT NULL CHECK (step IN ('create', 'update', 'check', 'reassess')),
    note      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    on_day    TEXT NOT NULL,
    at        BIGINT NOT NULL
);
INSERT INTO risk_point_event_new SELECT id, point_id, step, note, actor, on_day, at FROM risk_point_event;
DROP TABLE risk_point_event;
ALTER TABLE risk_point_event_new RENAME TO risk_point_event;
CREATE INDEX risk_point_event_point ON risk_point_event (point_id, id);

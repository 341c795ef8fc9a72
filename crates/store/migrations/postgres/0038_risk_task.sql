-- The check task of each risk point in a narrow table of its own (issue 16 item 13).
--
-- The daily job marks the tasks fallen overdue. On the point's own row that was a copy of the
-- whole wide row (its hazards, measures and words) and a new entry in each of its indexes:
-- 137 s for 1,050,000 tasks among 20,100,460 points on PostgreSQL, against a 60 s target. Here
-- a task is three columns, and marking one writes a short row and its key.
--
-- due: the day the current task falls due for the level that controls the point (the period
-- is the risk rules'); overdue_since: the day the daily job found it overdue and escalated it,
-- cleared by the next check. The partial index holds only the tasks not yet found overdue, so
-- the job reads the ones fallen overdue since its last run and nothing else.
CREATE TABLE risk_task (
    point_id      BIGINT PRIMARY KEY REFERENCES risk_point(id),
    due           TEXT NOT NULL,
    overdue_since TEXT
);
INSERT INTO risk_task (point_id, due, overdue_since)
    SELECT id, next_check_due, check_overdue_since FROM risk_point;
CREATE INDEX risk_task_due ON risk_task (due, point_id) WHERE overdue_since IS NULL;
DROP INDEX risk_point_check_due;
ALTER TABLE risk_point DROP COLUMN next_check_due;
ALTER TABLE risk_point DROP COLUMN check_overdue_since;

-- Annual inspection plans at province scale (issue 6 benchmark, 1,000,000 enterprises): a
-- unit's statuses and modifiers are read as sets (store::inspection_plans::subjects), the
-- certificates and grading cases of its enterprises from indexes that hold every column the
-- status needs, and the hazards open on the plan's day from those not written off (the partial
-- index hazard_open) and those written off after it (below). The written-off-after index also
-- bounds the per-enterprise statistics of a year to the hazards open in it. The unit's operating
-- enterprises come with their industry (for the draw's strata) from the index alone.
DROP INDEX IF EXISTS enterprise_active;
CREATE INDEX IF NOT EXISTS enterprise_active ON enterprise (region_code, active_from, closed_on, industry_code);
CREATE INDEX IF NOT EXISTS certificate_enterprise_dates ON certificate (enterprise_id, valid_from, valid_until, grade, revoked_on, superseded_on);
DROP INDEX IF EXISTS certificate_enterprise;
CREATE INDEX IF NOT EXISTS grading_case_enterprise_opened ON grading_case (enterprise_id, opened_on);
DROP INDEX IF EXISTS grading_case_enterprise;
CREATE INDEX IF NOT EXISTS hazard_region_closed ON hazard (region_code, closed_on);

-- A plan's lines are written once, by store::inspection_plans::create, in the transaction that
-- creates the plan, for enterprises it has just read; enterprises and plans are never deleted.
-- The per-row foreign-key checks give way to one check of the whole plan after its lines are
-- written, in the same transaction (SQLite drops a constraint by rebuilding the table).
CREATE TABLE inspection_plan_line_rebuilt (
    plan_id       BIGINT NOT NULL,
    enterprise_id BIGINT NOT NULL,
    status        TEXT NOT NULL,
    modifiers     TEXT NOT NULL,
    visits        BIGINT NOT NULL,
    key_unit      BOOLEAN NOT NULL,
    drawn         BOOLEAN NOT NULL,
    max_penalty   BOOLEAN NOT NULL,
    months_mask   BIGINT NOT NULL,
    schedule      TEXT NOT NULL,
    PRIMARY KEY (plan_id, enterprise_id)
);
INSERT INTO inspection_plan_line_rebuilt SELECT plan_id, enterprise_id, status, modifiers, visits,
    key_unit, drawn, max_penalty, months_mask, schedule FROM inspection_plan_line;
DROP TABLE inspection_plan_line;
ALTER TABLE inspection_plan_line_rebuilt RENAME TO inspection_plan_line;

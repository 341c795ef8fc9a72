-- Annual inspection plans at province scale (issue 6 benchmark, 1,000,000 enterprises): a
-- unit's statuses and modifiers are read as sets (store::inspection_plans::subjects), the
-- certificates and grading cases of its enterprises from indexes that hold every column the
-- status needs, and the hazards open on the plan's day from those not written off (the partial
-- index hazard_open) and those written off after it (below). The written-off-after index also
-- bounds the per-enterprise statistics of a year to the hazards open in it. The unit's operating
-- enterprises come with their industry (for the draw's strata) from the index alone.
DROP INDEX IF EXISTS enterprise_active;
CREATE INDEX IF NOT EXISTS enterprise_active ON enterprise (region_code, active_from, closed_on) INCLUDE (industry_code, id);
CREATE INDEX IF NOT EXISTS certificate_enterprise_dates ON certificate (enterprise_id, valid_from, valid_until, grade, revoked_on, superseded_on);
DROP INDEX IF EXISTS certificate_enterprise;
CREATE INDEX IF NOT EXISTS grading_case_enterprise_opened ON grading_case (enterprise_id, opened_on);
DROP INDEX IF EXISTS grading_case_enterprise;
CREATE INDEX IF NOT EXISTS hazard_region_closed ON hazard (region_code, closed_on);

-- A plan's lines are written once, by store::inspection_plans::create, in the transaction that
-- creates the plan, for enterprises it has just read; enterprises and plans are never deleted.
-- The per-row foreign-key triggers (a locking look-up of the plan and of the enterprise for
-- each of 970,180 lines: 8.3 of the 10.1 s the rows took at 1,000,000 enterprises) give way to
-- one check of the whole plan after its lines are written, in the same transaction.
ALTER TABLE inspection_plan_line DROP CONSTRAINT IF EXISTS inspection_plan_line_plan_id_fkey;
ALTER TABLE inspection_plan_line DROP CONSTRAINT IF EXISTS inspection_plan_line_enterprise_id_fkey;

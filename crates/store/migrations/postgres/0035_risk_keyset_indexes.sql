-- The risk figures at province scale (issue 16 item 13; docs/benchmarks.md).
--
-- The daily job reads the check tasks fallen overdue in (due, id) order from where its last
-- batch stopped, so each batch reads its own tasks only: the partial index carries the id.
DROP INDEX risk_point_check_due;
CREATE INDEX risk_point_check_due ON risk_point (next_check_due, id) WHERE check_overdue_since IS NULL;

-- The officers' lists of enterprises with the most points of a level read the first rows of
-- an index in the list's order, for the city and for a district, instead of sorting every
-- enterprise with such points.
DROP INDEX risk_enterprise_level_region;
CREATE INDEX risk_enterprise_level_region ON risk_enterprise_level (level, region_code, points DESC, enterprise_id);
CREATE INDEX risk_enterprise_level_top ON risk_enterprise_level (level, points DESC, enterprise_id);

-- Whether the enterprise has identified any risk point, kept with the running sums, so the list
-- of operating enterprises without a register reads the first of them in id order from a
-- partial index instead of testing every enterprise of the unit.
ALTER TABLE enterprise ADD COLUMN risk_register BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE enterprise SET risk_register = TRUE WHERE id IN
    (SELECT enterprise_id FROM risk_enterprise_level WHERE level = '*' AND points > 0);
CREATE INDEX enterprise_no_register_above ON enterprise (id)
    WHERE status = 'active' AND risk_register = FALSE AND above_scale = TRUE;
CREATE INDEX enterprise_no_register_above_region ON enterprise (region_code, id)
    WHERE status = 'active' AND risk_register = FALSE AND above_scale = TRUE;
CREATE INDEX enterprise_no_register_other ON enterprise (id)
    WHERE status = 'active' AND risk_register = FALSE AND (above_scale = FALSE OR above_scale IS NULL);
CREATE INDEX enterprise_no_register_other_region ON enterprise (region_code, id)
    WHERE status = 'active' AND risk_register = FALSE AND (above_scale = FALSE OR above_scale IS NULL);

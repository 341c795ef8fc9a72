-- Hazard statistics at province scale (issue 6 benchmark: 10,000,000 hazards): each hazard's
-- dated +1/-1 events (domain::hazard::tally) summed per region code and counter by year, month
-- and day, written in the transaction of every hazard change; the counts on a day are the sums
-- of the years before it, the months of its year before its month and its month's days to it.
CREATE TABLE hazard_sum (
    level       TEXT NOT NULL CHECK (level IN ('y', 'm', 'd')),
    period      TEXT NOT NULL,
    region_code TEXT NOT NULL,
    counter     TEXT NOT NULL,
    delta       BIGINT NOT NULL,
    PRIMARY KEY (level, period, region_code, counter)
);

-- Lists newest first across the city (and a district by filtering the same order), and the
-- hazards not yet written off (few beside the history) for the leading figures.
CREATE INDEX hazard_found ON hazard (found_on, id);
CREATE INDEX hazard_open ON hazard (region_code, state, level, deadline, plan_deadline) WHERE state <> 'closed';
-- Lists filtered by a state other than written off (and a level) in the order shown, for the
-- city and within a region code; the store adds the predicate to such queries.
CREATE INDEX hazard_open_found ON hazard (state, level, found_on, id) WHERE state <> 'closed';
CREATE INDEX hazard_open_region_found ON hazard (region_code, state, level, found_on, id) WHERE state <> 'closed';
CREATE INDEX hazard_inspection ON hazard (inspection_id);

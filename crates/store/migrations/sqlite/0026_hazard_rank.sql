-- A district's per-enterprise statistics at 10,000,000 hazards (issue 6 benchmark): which
-- enterprises had a hazard of a region code open at some time in a year, and how many they found
-- in it, kept by store::hazards in the transaction that writes the sums. A page of the table
-- reads 100 of them in order from the index and counts only their own hazards. A row exists
-- for every year from a hazard's finding to its write-off; a hazard still open is looked up by
-- the partial index of the hazards not written off for the years after its finding.
CREATE TABLE hazard_rank (
    region_code   TEXT NOT NULL,
    year          BIGINT NOT NULL,
    enterprise_id BIGINT NOT NULL,
    found         BIGINT NOT NULL,
    PRIMARY KEY (region_code, year, enterprise_id)
);
CREATE INDEX hazard_rank_order ON hazard_rank (region_code, year, found DESC, enterprise_id);

-- The officers' risk figures (issue 16 item 9) as running sums, written in the transaction of
-- every risk point change: per enterprise and level the points it has (level '*': any level),
-- and per region code and level the enterprises with at least one such point and the points.
-- A district's figures read a handful of rows however many points the city has.
CREATE TABLE risk_enterprise_level (
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    level         TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    points        BIGINT NOT NULL,
    PRIMARY KEY (enterprise_id, level)
);
CREATE INDEX risk_enterprise_level_region ON risk_enterprise_level (level, region_code, points);

CREATE TABLE risk_sum (
    region_code TEXT NOT NULL,
    level       TEXT NOT NULL,
    enterprises BIGINT NOT NULL,
    points      BIGINT NOT NULL,
    PRIMARY KEY (region_code, level)
);

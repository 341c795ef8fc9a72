-- A township officer's risk figures as running sums too (issue 16 item 13): counting them
-- from the enterprises of a district's largest township (16,000 of 1,000,000) took most of a
-- second. An enterprise's counts carry the township it had when they were written, as they
-- carry its region code and industry, so the sums move together.
ALTER TABLE risk_enterprise_level ADD COLUMN township TEXT NOT NULL DEFAULT '';
UPDATE risk_enterprise_level SET township =
    COALESCE((SELECT e.township FROM enterprise e WHERE e.id = risk_enterprise_level.enterprise_id), '');

CREATE TABLE risk_sum_township (
    region_code TEXT NOT NULL,
    township    TEXT NOT NULL,
    level       TEXT NOT NULL,
    enterprises BIGINT NOT NULL,
    points      BIGINT NOT NULL,
    PRIMARY KEY (region_code, township, level)
);
INSERT INTO risk_sum_township (region_code, township, level, enterprises, points)
    SELECT region_code, township, level, COUNT(*), SUM(points) FROM risk_enterprise_level
    WHERE points > 0 GROUP BY region_code, township, level;

CREATE TABLE risk_sum_township_industry (
    region_code   TEXT NOT NULL,
    township      TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    level         TEXT NOT NULL,
    enterprises   BIGINT NOT NULL,
    points        BIGINT NOT NULL,
    PRIMARY KEY (region_code, township, industry_code, level)
);
INSERT INTO risk_sum_township_industry (region_code, township, industry_code, level, enterprises, points)
    SELECT region_code, township, industry_code, level, COUNT(*), SUM(points) FROM risk_enterprise_level
    WHERE points > 0 GROUP BY region_code, township, industry_code, level;

-- The officers' risk figures per industry (issue 16 item 9), as running sums beside those per
-- region: an enterprise's counts carry the industry it had when they were written, and the sums
-- per (region code, industry, level) are kept in the same transaction.
ALTER TABLE risk_enterprise_level ADD COLUMN industry_code TEXT NOT NULL DEFAULT '';
UPDATE risk_enterprise_level SET industry_code =
    COALESCE((SELECT e.industry_code FROM enterprise e WHERE e.id = risk_enterprise_level.enterprise_id), '');

CREATE TABLE risk_sum_industry (
    region_code   TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    level         TEXT NOT NULL,
    enterprises   BIGINT NOT NULL,
    points        BIGINT NOT NULL,
    PRIMARY KEY (region_code, industry_code, level)
);
INSERT INTO risk_sum_industry (region_code, industry_code, level, enterprises, points)
    SELECT region_code, industry_code, level, COUNT(*), SUM(points) FROM risk_enterprise_level
    WHERE points > 0 GROUP BY region_code, industry_code, level;

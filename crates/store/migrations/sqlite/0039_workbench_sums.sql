-- Figures the workbench counts from an index or a running sum (issue 17 item 1).
--
-- 1. A certificate's annual self-assessments: annual_open_due is the day the first validity
--    year not yet self-assessed falls due (NULL when every year is done, and once the
--    certificate's expiry is recorded). A certificate misses one on a day exactly when that day
--    has come, so the list and count of those missing read a partial index instead of every
--    certificate in force and every self-assessment.
ALTER TABLE certificate ADD COLUMN annual_open_due TEXT;

-- add_months as the domain does it: the same day n months on, or the month's last day.
WITH n(k) AS (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)),
first_open AS (
    SELECT c.id, MIN(n.k) AS k FROM certificate c JOIN n
    WHERE c.revoked_on IS NULL AND c.superseded_on IS NULL AND c.expiry_recorded_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM annual_self_assessment a
                      WHERE a.certificate_id = c.id AND a.validity_year = n.k)
    GROUP BY c.id
),
shifted AS (
    SELECT c.id, c.valid_until,
        CASE WHEN f.k = 1 THEN c.valid_from
             WHEN CAST(substr(c.valid_from, 9, 2) AS INTEGER) > CAST(strftime('%d', date(c.valid_from, 'start of month', '+' || (12 * (f.k - 1)) || ' months', '+1 month', '-1 day')) AS INTEGER)
             THEN date(c.valid_from, 'start of month', '+' || (12 * (f.k - 1)) || ' months', '+1 month', '-1 day')
             ELSE date(c.valid_from, '+' || (12 * (f.k - 1)) || ' months') END AS previous,
        CASE WHEN CAST(substr(c.valid_from, 9, 2) AS INTEGER) > CAST(strftime('%d', date(c.valid_from, 'start of month', '+' || (12 * f.k) || ' months', '+1 month', '-1 day')) AS INTEGER)
             THEN date(c.valid_from, 'start of month', '+' || (12 * f.k) || ' months', '+1 month', '-1 day')
             ELSE date(c.valid_from, '+' || (12 * f.k) || ' months') END AS due
    FROM certificate c JOIN first_open f ON f.id = c.id
)
UPDATE certificate SET annual_open_due = (
    SELECT CASE WHEN s.previous >= s.valid_until AND s.previous <> certificate.valid_from THEN NULL
                WHEN s.due > s.valid_until THEN s.valid_until ELSE s.due END
    FROM shifted s WHERE s.id = certificate.id)
WHERE id IN (SELECT id FROM shifted);

-- One index for the city (by the day) and one for a district (by code, then the day), each
-- holding the validity so the count reads no rows.
CREATE INDEX certificate_annual_open ON certificate (annual_open_due, valid_until, valid_from)
    WHERE revoked_on IS NULL AND superseded_on IS NULL AND annual_open_due IS NOT NULL;
CREATE INDEX certificate_annual_open_region ON certificate (region_code, annual_open_due, valid_until, valid_from)
    WHERE revoked_on IS NULL AND superseded_on IS NULL AND annual_open_due IS NOT NULL;

-- 2. A plan's visits per month, unit and township, and how many of those enterprises have an
--    inspection recorded in the month (any kind, as the plan's calendar counts them): written
--    with the plan, and the second figure kept by each inspection recorded.
CREATE TABLE inspection_plan_month (
    plan_id     BIGINT NOT NULL REFERENCES inspection_plan(id),
    region_code TEXT NOT NULL,
    township    TEXT NOT NULL,
    month       BIGINT NOT NULL,
    planned     BIGINT NOT NULL,
    recorded    BIGINT NOT NULL,
    PRIMARY KEY (plan_id, month, region_code, township)
);

WITH m(n, bit, lo, hi) AS (VALUES
    (1, 2, '-01-01', '-01-31'), (2, 4, '-02-01', '-02-31'), (3, 8, '-03-01', '-03-31'),
    (4, 16, '-04-01', '-04-31'), (5, 32, '-05-01', '-05-31'), (6, 64, '-06-01', '-06-31'),
    (7, 128, '-07-01', '-07-31'), (8, 256, '-08-01', '-08-31'), (9, 512, '-09-01', '-09-31'),
    (10, 1024, '-10-01', '-10-31'), (11, 2048, '-11-01', '-11-31'), (12, 4096, '-12-01', '-12-31'))
INSERT INTO inspection_plan_month (plan_id, region_code, township, month, planned, recorded)
SELECT l.plan_id, e.region_code, COALESCE(e.township, ''), m.n, COUNT(*),
    SUM(CASE WHEN EXISTS (SELECT 1 FROM inspection i WHERE i.enterprise_id = l.enterprise_id
        AND i.inspected_on >= CAST(p.year AS TEXT) || m.lo
        AND i.inspected_on <= CAST(p.year AS TEXT) || m.hi) THEN 1 ELSE 0 END)
FROM inspection_plan_line l
JOIN inspection_plan p ON p.id = l.plan_id
JOIN enterprise e ON e.id = l.enterprise_id
JOIN m ON (l.months_mask & m.bit) <> 0
GROUP BY l.plan_id, e.region_code, COALESCE(e.township, ''), m.n;

-- 3. The unread reminders of an audience, for the city or a district: the workbench counts
--    them (up to the cap of a list) without reading those already read.
CREATE INDEX notification_unread ON notification (audience, region_code) WHERE read_at IS NULL;

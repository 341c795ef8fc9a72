-- A model naming is revoked (撤销命名) by the unit that made it, or by the city, with the day and
-- the reason: it leaves the portal and the unit's count from that day and stays on file, and the
-- enterprise may be named again later (one current naming per enterprise, not one ever).
-- An exchange recorded in error or cancelled is withdrawn by the unit that recorded it: it leaves
-- the portal and the figures and stays on file.
--
-- SQLite cannot drop a table's UNIQUE constraint, so model_enterprise is rebuilt.
CREATE TABLE model_enterprise_new (
    id             INTEGER PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    unit           TEXT NOT NULL,
    certificate_id BIGINT NOT NULL REFERENCES certificate(id),
    grade          TEXT NOT NULL,
    named_on       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    rule           TEXT NOT NULL,
    named_by       TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    revoked_on     TEXT,
    revoked_by     TEXT,
    revoke_reason  TEXT
);
INSERT INTO model_enterprise_new (id, enterprise_id, unit, certificate_id, grade, named_on, reason,
    rule, named_by, recorded_at)
SELECT id, enterprise_id, unit, certificate_id, grade, named_on, reason, rule, named_by, recorded_at
FROM model_enterprise;
DROP TABLE model_enterprise;
ALTER TABLE model_enterprise_new RENAME TO model_enterprise;
CREATE INDEX model_enterprise_unit ON model_enterprise (unit, named_on);
CREATE UNIQUE INDEX model_enterprise_current ON model_enterprise (enterprise_id)
    WHERE revoked_on IS NULL;

ALTER TABLE exchange ADD COLUMN withdrawn_on TEXT;
ALTER TABLE exchange ADD COLUMN withdrawn_by TEXT;
ALTER TABLE exchange ADD COLUMN withdraw_reason TEXT;

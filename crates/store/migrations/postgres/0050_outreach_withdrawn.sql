-- A model naming is revoked (撤销命名) by the unit that made it, or by the city, with the day and
-- the reason: it leaves the portal and the unit's count from that day and stays on file, and the
-- enterprise may be named again later (one current naming per enterprise, not one ever).
-- An exchange recorded in error or cancelled is withdrawn by the unit that recorded it: it leaves
-- the portal and the figures and stays on file.
ALTER TABLE model_enterprise ADD COLUMN revoked_on TEXT;
ALTER TABLE model_enterprise ADD COLUMN revoked_by TEXT;
ALTER TABLE model_enterprise ADD COLUMN revoke_reason TEXT;
ALTER TABLE model_enterprise DROP CONSTRAINT model_enterprise_enterprise_id_key;
CREATE UNIQUE INDEX model_enterprise_current ON model_enterprise (enterprise_id)
    WHERE revoked_on IS NULL;

ALTER TABLE exchange ADD COLUMN withdrawn_on TEXT;
ALTER TABLE exchange ADD COLUMN withdrawn_by TEXT;
ALTER TABLE exchange ADD COLUMN withdraw_reason TEXT;

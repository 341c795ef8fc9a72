-- A publicity item recorded or published in error is withdrawn by the unit that recorded it,
-- with the reason and the day; it leaves the portal and stays on file.
ALTER TABLE publicity ADD COLUMN withdrawn_on TEXT;
ALTER TABLE publicity ADD COLUMN withdrawn_by TEXT;
ALTER TABLE publicity ADD COLUMN withdraw_reason TEXT;

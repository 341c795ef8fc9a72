-- Who changed an enterprise's officer-kept fields (status, size inputs, region, credit code …)
-- and why: the reason an officer gives is kept with each change row.
ALTER TABLE enterprise_change ADD COLUMN reason TEXT;

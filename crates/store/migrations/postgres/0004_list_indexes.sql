-- Each list filter gets an index that also gives the default order (name, id), so "filter, then
-- the first page by name" walks one index instead of sorting every match.
DROP INDEX enterprise_region_name;
DROP INDEX enterprise_industry;
DROP INDEX enterprise_size;
CREATE INDEX enterprise_region_name ON enterprise (region_code, name, id);
CREATE INDEX enterprise_industry_name ON enterprise (industry_code, name, id);
CREATE INDEX enterprise_size_name ON enterprise (size_class, name, id);
CREATE INDEX enterprise_scale_name ON enterprise (above_scale, name, id);
CREATE INDEX enterprise_status_name ON enterprise (status, name, id);
-- Credit codes are upper-case ASCII: byte order, so a prefix search is an index range.
ALTER TABLE enterprise ALTER COLUMN credit_code TYPE TEXT COLLATE "C";

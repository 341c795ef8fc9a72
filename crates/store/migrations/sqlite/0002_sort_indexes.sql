-- Indexes for the list's sortable columns and the default order by name with the id tie-breaker.
DROP INDEX enterprise_name;
CREATE INDEX enterprise_name ON enterprise (name, id);
CREATE INDEX enterprise_updated ON enterprise (updated_at, id);
CREATE INDEX enterprise_sales ON enterprise (annual_sales_yuan, id);
CREATE INDEX enterprise_employees ON enterprise (employees, id);

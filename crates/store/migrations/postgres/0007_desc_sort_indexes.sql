-- Descending sorts keep NULLs last (as on SQLite); an ascending index read backwards gives NULLs
-- first, so the descending order needs its own index.
CREATE INDEX enterprise_sales_desc ON enterprise (annual_sales_yuan DESC NULLS LAST, id DESC);
CREATE INDEX enterprise_employees_desc ON enterprise (employees DESC NULLS LAST, id DESC);

-- PostgreSQL stores the pairs' tsvector from this version on; SQLite's FTS5 table already holds
-- its index. Nothing changes here; the file keeps both migration sets numbered alike.
SELECT 1;

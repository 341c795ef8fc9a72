-- SQLite reads its ascending indexes backwards for DESC with NULLs last; nothing to add. The
-- file keeps both migration sets numbered alike.
SELECT 1;

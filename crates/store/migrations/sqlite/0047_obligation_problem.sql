-- A gap put right keeps the problem the enterprise found beside what it did about it: the
-- rectification's note no longer replaces it.
ALTER TABLE obligation_record ADD COLUMN problem TEXT;

-- Start-up looks for rows whose name pairs are not filled in yet (see
-- enterprise::backfill_name_grams); without this index that look-up reads the whole table on
-- every start once no such row is left.
CREATE INDEX enterprise_name_grams_pending ON enterprise (id) WHERE name_grams = '';

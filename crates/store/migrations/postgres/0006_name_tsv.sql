-- Keep the pairs' tsvector stored, so that rechecking candidate rows does not parse name_grams
-- again for every row.
DROP INDEX enterprise_name_grams;
ALTER TABLE enterprise ADD COLUMN name_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', name_grams)) STORED;
CREATE INDEX enterprise_name_tsv ON enterprise USING gin (name_tsv);

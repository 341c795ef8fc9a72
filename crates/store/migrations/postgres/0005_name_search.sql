-- Name search through a full-text index of character pairs (see domain::text::name_grams):
-- a substring of two or more characters is a phrase of consecutive pairs. The pairs are
-- computed in Rust and stored; rows from before this migration are filled in at start.
ALTER TABLE enterprise ADD COLUMN name_grams TEXT NOT NULL DEFAULT '';
CREATE INDEX enterprise_name_grams ON enterprise USING gin (to_tsvector('simple', name_grams));
-- The trigram index did not serve two-character Chinese terms; the pair index replaces it.
DROP INDEX enterprise_name_trgm;

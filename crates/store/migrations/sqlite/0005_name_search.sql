-- Name search through a full-text index of character pairs (see domain::text::name_grams):
-- a substring of two or more characters is a phrase of consecutive pairs. The pairs are
-- computed in Rust and stored; rows from before this migration are filled in at start.
ALTER TABLE enterprise ADD COLUMN name_grams TEXT NOT NULL DEFAULT '';
CREATE VIRTUAL TABLE enterprise_name_fts USING fts5(
    name_grams, content = 'enterprise', content_rowid = 'id', tokenize = 'unicode61'
);
CREATE TRIGGER enterprise_name_fts_insert AFTER INSERT ON enterprise BEGIN
    INSERT INTO enterprise_name_fts (rowid, name_grams) VALUES (new.id, new.name_grams);
END;
CREATE TRIGGER enterprise_name_fts_delete AFTER DELETE ON enterprise BEGIN
    INSERT INTO enterprise_name_fts (enterprise_name_fts, rowid, name_grams) VALUES ('delete', old.id, old.name_grams);
END;
CREATE TRIGGER enterprise_name_fts_update AFTER UPDATE OF name_grams ON enterprise BEGIN
    INSERT INTO enterprise_name_fts (enterprise_name_fts, rowid, name_grams) VALUES ('delete', old.id, old.name_grams);
    INSERT INTO enterprise_name_fts (rowid, name_grams) VALUES (new.id, new.name_grams);
END;

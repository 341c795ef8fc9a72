-- Who created an enterprise and through what (form, api, import:<file>, seed) lives on the row;
-- the change history then holds only real changes, which halves the rows a bulk import writes.
-- Existing creation rows are moved onto the enterprise before they are removed.
ALTER TABLE enterprise ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';
ALTER TABLE enterprise ADD COLUMN created_source TEXT NOT NULL DEFAULT 'seed';
UPDATE enterprise SET
    created_by = COALESCE((SELECT c.actor FROM enterprise_change c
                           WHERE c.enterprise_id = enterprise.id AND c.field = 'created'
                           ORDER BY c.id LIMIT 1), created_by),
    created_source = COALESCE((SELECT c.source FROM enterprise_change c
                               WHERE c.enterprise_id = enterprise.id AND c.field = 'created'
                               ORDER BY c.id LIMIT 1), created_source);
DELETE FROM enterprise_change WHERE field = 'created';

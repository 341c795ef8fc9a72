-- The workbench's audits whose rectification period has ended without a re-check (issue 17
-- item 1): the deficient audits still open, by their rectification deadline.
CREATE INDEX quality_audit_recheck_due ON quality_audit (rectify_by)
    WHERE outcome = 'deficient' AND recheck_on IS NULL;

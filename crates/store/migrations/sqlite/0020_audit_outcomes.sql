-- Operation-quality audits: the checklist on the sheet's element tree, and the consequences
-- the programme's audit rules attach (renewal without re-evaluation, re-check, revocation),
-- each with the rule that decided it.
ALTER TABLE quality_audit ADD COLUMN sheet_id TEXT;
ALTER TABLE quality_audit ADD COLUMN sheet_version BIGINT;
ALTER TABLE quality_audit ADD COLUMN rule TEXT;
ALTER TABLE quality_audit ADD COLUMN recheck_note TEXT;
ALTER TABLE quality_audit ADD COLUMN recheck_rule TEXT;
ALTER TABLE quality_audit ADD COLUMN renewed_certificate_id BIGINT REFERENCES certificate(id);

CREATE TABLE quality_audit_item (
    audit_id BIGINT NOT NULL REFERENCES quality_audit(id),
    element  TEXT NOT NULL,
    title    TEXT NOT NULL,
    verdict  TEXT NOT NULL CHECK (verdict IN ('conform', 'partial', 'nonconform', 'not_applicable')),
    note     TEXT NOT NULL,
    PRIMARY KEY (audit_id, element)
);

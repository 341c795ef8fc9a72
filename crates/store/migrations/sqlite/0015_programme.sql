-- Programmes and their targets (issue 5).
--
-- An enterprise's life in the registry as business dates, so a figure as of any day counts the
-- enterprises that were operating then: active_from (registered, or entered the registry) and
-- closed_on (when it closed; NULL while open).
ALTER TABLE enterprise ADD COLUMN active_from TEXT;
ALTER TABLE enterprise ADD COLUMN closed_on TEXT;
UPDATE enterprise SET active_from = substr(created_at, 1, 10);
UPDATE enterprise SET closed_on = substr(updated_at, 1, 10) WHERE status = 'closed';
CREATE INDEX enterprise_active ON enterprise (region_code, active_from, closed_on);

-- Operation-quality audits (运行质量审计 / 回头看) of 三级 and 小微达标 enterprises, with the
-- outcome the seed asks for: good (renewal without re-evaluation or a recommendation to upgrade),
-- deficient (整改提升 with a deadline and a re-check), failing; and the 提升/整改/淘汰 class.
CREATE TABLE quality_audit (
    id             INTEGER PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    certificate_id BIGINT REFERENCES certificate(id),
    grade          TEXT NOT NULL CHECK (grade IN ('three', 'small_micro')),
    performed_on   TEXT NOT NULL,
    score          BIGINT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('good', 'deficient', 'failing')),
    classification TEXT CHECK (classification IN ('upgrade', 'rectify', 'eliminate')),
    findings       TEXT NOT NULL,
    rectify_by     TEXT,
    recheck_on     TEXT,
    recheck_passed BOOLEAN,
    recorded_by    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX quality_audit_enterprise ON quality_audit (enterprise_id, performed_on);
CREATE INDEX quality_audit_day ON quality_audit (performed_on);

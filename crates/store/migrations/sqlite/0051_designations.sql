-- Designations an officer records on an enterprise (国有工贸企业, 市级诚信示范企业; the keys are
-- those of data/rules/consequences.toml): facts the registry does not carry that the incentive and
-- restriction measures of 通政发〔2018〕27号 六（五） decide on. Each holds from `since` until
-- `until` (half-open; NULL runs on); ending one keeps the row, so a list drawn for a past day
-- reads what held then.
CREATE TABLE enterprise_designation (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    designation   TEXT NOT NULL,
    since         TEXT NOT NULL,
    until         TEXT,
    basis         TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    ended_by      TEXT,
    end_reason    TEXT
);
CREATE INDEX enterprise_designation_enterprise ON enterprise_designation (enterprise_id, designation);
CREATE INDEX enterprise_designation_key ON enterprise_designation (designation, enterprise_id);

-- The yearly self-assessment a certified enterprise owes in each year of validity
-- (GB/T 33000-2016 5.8.1). Year n runs from the n-th anniversary of valid_from.
CREATE TABLE annual_self_assessment (
    id             INTEGER PRIMARY KEY,
    certificate_id BIGINT NOT NULL REFERENCES certificate(id),
    validity_year  BIGINT NOT NULL,
    score          BIGINT NOT NULL,
    report         TEXT NOT NULL,
    submitted_on   TEXT NOT NULL,
    submitted_by   TEXT NOT NULL,
    UNIQUE (certificate_id, validity_year)
);

-- Assessments: a self-assessment or an evaluation of a case, scored on the case's sheet.
CREATE TABLE assessment (
    id             INTEGER PRIMARY KEY,
    case_id        BIGINT NOT NULL REFERENCES grading_case(id),
    kind           TEXT NOT NULL CHECK (kind IN ('self', 'evaluation')),
    sheet_id       TEXT NOT NULL,
    sheet_version  BIGINT NOT NULL,
    score          BIGINT NOT NULL,
    earned         BIGINT NOT NULL,
    not_applicable BIGINT NOT NULL,
    vetoed         TEXT NOT NULL,
    report         TEXT NOT NULL,
    submitted_by   TEXT NOT NULL,
    submitted_at   BIGINT NOT NULL
);
CREATE INDEX assessment_case ON assessment (case_id, kind);

CREATE TABLE assessment_item (
    assessment_id BIGINT NOT NULL REFERENCES assessment(id),
    item          TEXT NOT NULL,
    entry         TEXT NOT NULL CHECK (entry IN ('not_applicable', 'earned', 'deducted')),
    points        BIGINT,
    veto_failed   BOOLEAN NOT NULL,
    note          TEXT NOT NULL,
    PRIMARY KEY (assessment_id, item)
);

-- Certificates: the validity interval is the source of truth; status is derived on a date.
CREATE TABLE certificate (
    id             INTEGER PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    case_id        BIGINT REFERENCES grading_case(id),
    region_code    TEXT NOT NULL,
    grade          TEXT NOT NULL,
    industry       TEXT NOT NULL,
    issuer         TEXT NOT NULL,
    external       BOOLEAN NOT NULL,
    issued_on      TEXT NOT NULL,
    valid_from     TEXT NOT NULL,
    valid_until    TEXT NOT NULL,
    revoked_on     TEXT,
    revoked_reason TEXT,
    superseded_on  TEXT,
    superseded_by  BIGINT,
    rule           TEXT NOT NULL,
    verify_token   TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL
);
CREATE INDEX certificate_enterprise ON certificate (enterprise_id);
CREATE INDEX certificate_region ON certificate (region_code, grade);
CREATE INDEX certificate_valid_until ON certificate (valid_until);

-- Accidents: drive blocking and revocation rules.
CREATE TABLE accident (
    id                INTEGER PRIMARY KEY,
    enterprise_id     BIGINT NOT NULL REFERENCES enterprise(id),
    occurred_on       TEXT NOT NULL,
    deaths            BIGINT NOT NULL,
    serious_injuries  BIGINT NOT NULL,
    direct_loss_yuan  BIGINT NOT NULL,
    description       TEXT NOT NULL,
    recorded_by       TEXT NOT NULL,
    recorded_at       BIGINT NOT NULL
);
CREATE INDEX accident_enterprise ON accident (enterprise_id, occurred_on);

-- Evaluation organisations (评审单位), their evaluators (考评员), coaching relations that bar
-- an organisation from evaluating an enterprise, and the assignment of a case.
CREATE TABLE evaluation_org (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    credit_code     TEXT,
    qualification   TEXT NOT NULL,
    qualified_until TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE evaluator (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES evaluation_org(id),
    name            TEXT NOT NULL,
    certificate_no  TEXT NOT NULL UNIQUE,
    qualified_until TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX evaluator_org ON evaluator (org_id);

CREATE TABLE coaching (
    org_id        BIGINT NOT NULL REFERENCES evaluation_org(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    from_on       TEXT NOT NULL,
    note          TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    PRIMARY KEY (org_id, enterprise_id, from_on)
);

CREATE TABLE case_assignment (
    case_id     BIGINT PRIMARY KEY REFERENCES grading_case(id),
    org_id      BIGINT NOT NULL REFERENCES evaluation_org(id),
    team        TEXT NOT NULL,
    assigned_on TEXT NOT NULL,
    assigned_by TEXT NOT NULL
);
CREATE INDEX case_assignment_org ON case_assignment (org_id);

ALTER TABLE app_user ADD COLUMN org_id BIGINT REFERENCES evaluation_org(id);

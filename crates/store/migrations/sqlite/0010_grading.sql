-- Scoring sheets as loaded (the shipped samples or an official sheet from .xlsx); an
-- assessment keeps the (id, version) it was scored on. Dates are 'YYYY-MM-DD' text.
CREATE TABLE scoring_sheet (
    id             TEXT NOT NULL,
    version        BIGINT NOT NULL,
    title          TEXT NOT NULL,
    sample         BOOLEAN NOT NULL,
    standard       TEXT NOT NULL,
    industry       TEXT,
    grades         TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    body           TEXT NOT NULL,
    loaded_at      BIGINT NOT NULL,
    loaded_by      TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

-- A grading case: an application for a grade and its life cycle.
CREATE TABLE grading_case (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    region_code   TEXT NOT NULL,
    township      TEXT,
    grade         TEXT NOT NULL CHECK (grade IN ('one', 'two', 'three', 'small_micro')),
    state         TEXT NOT NULL,
    rule_set      TEXT NOT NULL,
    sheet_id      TEXT NOT NULL,
    sheet_version BIGINT NOT NULL,
    opened_on     TEXT NOT NULL,
    result_grade  TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    FOREIGN KEY (sheet_id, sheet_version) REFERENCES scoring_sheet (id, version)
);
CREATE INDEX grading_case_enterprise ON grading_case (enterprise_id);
CREATE INDEX grading_case_region_state ON grading_case (region_code, state);
CREATE INDEX grading_case_state ON grading_case (state);

-- Every transition: who, when, why and the rule.
CREATE TABLE case_event (
    case_id     BIGINT NOT NULL REFERENCES grading_case(id),
    seq         BIGINT NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    party       TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT,
    rule        TEXT,
    at_us       BIGINT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

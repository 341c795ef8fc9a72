-- Supervision (issue 6): law-enforcement officers and their declared conflicts, and each unit's
-- annual inspection plan drawn from the frequency rules (data/rules/inspection.toml).

-- An officer who inspects for a unit, with the inspections a month the officer can take.
CREATE TABLE enforcement_officer (
    username           TEXT PRIMARY KEY,
    unit               TEXT NOT NULL,
    capacity_per_month BIGINT NOT NULL CHECK (capacity_per_month > 0),
    active             BOOLEAN NOT NULL,
    updated_by         TEXT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX enforcement_officer_unit ON enforcement_officer (unit, username);

-- A conflict of interest an officer declared with an enterprise: never drawn to inspect it.
CREATE TABLE officer_conflict (
    username      TEXT NOT NULL,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    reason        TEXT NOT NULL,
    declared_on   TEXT NOT NULL,
    PRIMARY KEY (username, enterprise_id)
);

-- A unit's plan for a year: the seed that reproduces it and the rule set that decided it.
CREATE TABLE inspection_plan (
    id           INTEGER PRIMARY KEY,
    unit         TEXT NOT NULL,
    year         BIGINT NOT NULL,
    seed         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    drawn_on     TEXT NOT NULL,
    enterprises  BIGINT NOT NULL,
    visits       BIGINT NOT NULL,
    random_pool  BIGINT NOT NULL,
    random_drawn BIGINT NOT NULL,
    unassigned   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (unit, year)
);

-- One enterprise of a plan: its status and modifiers (the explanation in words follows from them
-- and the plan's rule set, so it is written on reading), its visits, and the schedule
-- ("3:zf01,zf07;9:zf02,zf05": month and officers per visit; a visit without officers has none).
-- months_mask has bit m set when a visit falls in month m, for the calendar.
CREATE TABLE inspection_plan_line (
    plan_id       BIGINT NOT NULL REFERENCES inspection_plan(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    status        TEXT NOT NULL,
    modifiers     TEXT NOT NULL,
    visits        BIGINT NOT NULL,
    key_unit      BOOLEAN NOT NULL,
    drawn         BOOLEAN NOT NULL,
    max_penalty   BOOLEAN NOT NULL,
    months_mask   BIGINT NOT NULL,
    schedule      TEXT NOT NULL,
    PRIMARY KEY (plan_id, enterprise_id)
);

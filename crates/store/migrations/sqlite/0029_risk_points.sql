-- Risk points (风险点, issue 16): an enterprise's register of the places, equipment, work
-- activities and posts it identified, each assessed by a method of the risk rules in force
-- (data/rules/risk.toml). The assessment is kept as decided: method, factors, score, level, the
-- rule that decided it and its words, so it reads back the same after the rules change.
-- region_code is the enterprise's when the point was written, for the unit's lists.
CREATE TABLE risk_point (
    id             INTEGER PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    region_code    TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('place', 'equipment', 'activity', 'post')),
    location       TEXT NOT NULL,
    hazards        TEXT NOT NULL,
    accident_types TEXT NOT NULL,
    exposed        BIGINT NOT NULL,
    method         TEXT NOT NULL,
    factors        TEXT NOT NULL,
    direct         TEXT NOT NULL,
    score          TEXT NOT NULL,
    level          TEXT NOT NULL,
    rule           TEXT NOT NULL,
    words          TEXT NOT NULL,
    control_level  TEXT NOT NULL,
    responsible    TEXT NOT NULL,
    measures       TEXT NOT NULL,
    assessed_on    TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX risk_point_enterprise ON risk_point (enterprise_id, id);
CREATE INDEX risk_point_region_level ON risk_point (region_code, level);

-- Each change of a point: what changed, in words, by whom.
CREATE TABLE risk_point_event (
    id        INTEGER PRIMARY KEY,
    point_id  BIGINT NOT NULL REFERENCES risk_point(id),
    step      TEXT NOT NULL CHECK (step IN ('create', 'update')),
    note      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    on_day    TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX risk_point_event_point ON risk_point_event (point_id, id);

-- Each year's audit plan of a unit: a stratified random draw of its 三级 and 小微达标
-- enterprises, with the seed so the draw can be reproduced (domain::sampling).
CREATE TABLE audit_plan (
    id          INTEGER PRIMARY KEY,
    unit        TEXT NOT NULL,
    year        BIGINT NOT NULL,
    seed        TEXT NOT NULL,
    rate_tenths BIGINT NOT NULL,
    population  BIGINT NOT NULL,
    drawn_on    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (unit, year)
);

CREATE TABLE audit_plan_item (
    plan_id       BIGINT NOT NULL REFERENCES audit_plan(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    industry      TEXT NOT NULL,
    PRIMARY KEY (plan_id, enterprise_id)
);

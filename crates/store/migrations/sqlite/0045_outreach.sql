-- Publicity and demonstration (issue 18 items 6 and 7, 通政发〔2018〕27号 六（六）2–3).
--
-- `unit` is the recording unit's (NULL: the city's). Words (kind, channel) are keys of
-- data/rules/outreach.toml.

-- A model enterprise (示范企业), named from the 一级 and 二级 enterprises: the certificate that
-- made it eligible on the day is kept with the rule that decided it.
CREATE TABLE model_enterprise (
    id             INTEGER PRIMARY KEY,
    enterprise_id  BIGINT NOT NULL REFERENCES enterprise(id),
    unit           TEXT NOT NULL,
    certificate_id BIGINT NOT NULL REFERENCES certificate(id),
    grade          TEXT NOT NULL,
    named_on       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    rule           TEXT NOT NULL,
    named_by       TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    UNIQUE (enterprise_id)
);
CREATE INDEX model_enterprise_unit ON model_enterprise (unit, named_on);

-- A township a district cultivates as a model (重点培育).
CREATE TABLE model_township (
    id          INTEGER PRIMARY KEY,
    unit        TEXT NOT NULL,
    township    TEXT NOT NULL,
    named_on    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    named_by    TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (unit, township)
);

-- A safety cooperation group (协作组) or an association (商会/协会) and its member enterprises.
CREATE TABLE safety_group (
    id          INTEGER PRIMARY KEY,
    unit        TEXT,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (unit, name)
);
CREATE TABLE safety_group_member (
    group_id      BIGINT NOT NULL REFERENCES safety_group(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    since         TEXT NOT NULL,
    PRIMARY KEY (group_id, enterprise_id)
);

-- A visit or exchange (观摩, 经验介绍, 现场参观), perhaps at a model enterprise, perhaps a group's
-- activity; an open day is shown on the portal before it happens.
CREATE TABLE exchange (
    id                 INTEGER PRIMARY KEY,
    unit               TEXT,
    kind               TEXT NOT NULL,
    title              TEXT NOT NULL,
    host_enterprise_id BIGINT REFERENCES enterprise(id),
    group_id           BIGINT REFERENCES safety_group(id),
    held_on            TEXT NOT NULL,
    place              TEXT NOT NULL,
    open_day           BOOLEAN NOT NULL,
    note               TEXT NOT NULL,
    attendees          BIGINT NOT NULL DEFAULT 0,
    recorded_by        TEXT NOT NULL,
    recorded_at        BIGINT NOT NULL
);
CREATE INDEX exchange_held ON exchange (held_on, id);
CREATE TABLE exchange_attendee (
    exchange_id   BIGINT NOT NULL REFERENCES exchange(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    PRIMARY KEY (exchange_id, enterprise_id)
);

-- Publicity (宣传): a campaign, report, meeting or commendation with its channel and reach;
-- a published one appears on the portal.
CREATE TABLE publicity (
    id          INTEGER PRIMARY KEY,
    unit        TEXT,
    channel     TEXT NOT NULL,
    title       TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    reach       BIGINT NOT NULL CHECK (reach >= 0),
    summary     TEXT NOT NULL,
    published   BOOLEAN NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX publicity_held ON publicity (held_on, id);

-- Reference data mirrored from data/reference/*.toml at start (see store::reference).
CREATE TABLE region (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    successor   TEXT
);

CREATE TABLE industry (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE enterprise (
    id                   INTEGER PRIMARY KEY,
    credit_code          TEXT NOT NULL UNIQUE,
    code_override_reason TEXT,
    name                 TEXT NOT NULL,
    region_code          TEXT NOT NULL REFERENCES region(code),
    township             TEXT,
    industry_code        TEXT NOT NULL REFERENCES industry(code),
    annual_sales_yuan    BIGINT,
    employees            BIGINT,
    above_scale          BOOLEAN,
    size_class           TEXT CHECK (size_class IN ('large', 'medium', 'small', 'micro')),
    size_rule            TEXT,
    status               TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    contact_person       TEXT,
    contact_phone        TEXT,
    address              TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX enterprise_region_name ON enterprise (region_code, name);
CREATE INDEX enterprise_name ON enterprise (name);
CREATE INDEX enterprise_industry ON enterprise (industry_code, region_code);
CREATE INDEX enterprise_size ON enterprise (size_class, region_code);

-- Every change to an enterprise: who, when, field, old value, new value.
CREATE TABLE enterprise_change (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    changed_at    TEXT NOT NULL,
    actor         TEXT NOT NULL,
    source        TEXT NOT NULL,
    field         TEXT NOT NULL,
    old_value     TEXT,
    new_value     TEXT
);
CREATE INDEX enterprise_change_enterprise ON enterprise_change (enterprise_id, id);

CREATE TABLE app_user (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('city_officer', 'district_officer', 'township_officer',
                             'enterprise_manager', 'evaluation_org', 'evaluator', 'partner',
                             'system_admin', 'security_admin', 'audit_admin')),
    region_code          TEXT REFERENCES region(code),
    township             TEXT,
    enterprise_id        BIGINT REFERENCES enterprise(id),
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TEXT NOT NULL
);

-- Server-side sessions; the cookie carries a random id, the table only its hash.
CREATE TABLE user_session (
    id_hash      TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

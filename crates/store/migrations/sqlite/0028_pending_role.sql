-- no-transaction
-- Separation of duties: an account the system administrator creates holds no role ('pending')
-- until the security administrator grants one. SQLite cannot alter a CHECK constraint, so the
-- table is rebuilt (the documented procedure: foreign keys off, copy, drop, rename, check).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE app_user_new (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('city_officer', 'district_officer', 'township_officer',
                             'enterprise_manager', 'evaluation_org', 'evaluator', 'partner',
                             'system_admin', 'security_admin', 'audit_admin', 'pending')),
    region_code          TEXT REFERENCES region(code),
    township             TEXT,
    enterprise_id        BIGINT REFERENCES enterprise(id),
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TEXT NOT NULL,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         BIGINT,
    password_changed_at  BIGINT,
    org_id               BIGINT REFERENCES evaluation_org(id)
);
INSERT INTO app_user_new (id, username, display_name, password_hash, role, region_code, township,
    enterprise_id, active, must_change_password, created_at, failed_logins, locked_until,
    password_changed_at, org_id)
SELECT id, username, display_name, password_hash, role, region_code, township, enterprise_id,
    active, must_change_password, created_at, failed_logins, locked_until, password_changed_at,
    org_id FROM app_user;
DROP TABLE app_user;
ALTER TABLE app_user_new RENAME TO app_user;
COMMIT;
PRAGMA foreign_keys = ON;

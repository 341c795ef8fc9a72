-- Sign-in hardening: failed attempts and lock-out.
ALTER TABLE app_user ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN locked_until BIGINT;
ALTER TABLE app_user ADD COLUMN password_changed_at BIGINT;

-- The tamper-evident audit log: each entry holds the hash of the one before it.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at_us         BIGINT NOT NULL,
    actor_id      BIGINT,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    region        TEXT NOT NULL,
    action        TEXT NOT NULL,
    object        TEXT NOT NULL,
    before_digest TEXT,
    after_digest  TEXT,
    client_addr   TEXT NOT NULL,
    detail        TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_us);
CREATE INDEX audit_log_actor ON audit_log (actor, at_us);
CREATE INDEX audit_log_object ON audit_log (object, at_us);
CREATE INDEX audit_log_action ON audit_log (action, at_us);

-- The head of the chain; appends serialise on this row.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The application only appends. Editing or deleting an entry needs these triggers dropped
-- first, and the hash chain shows it.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- API tokens: only the SHA-256 of the secret is stored.
CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES app_user(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    access       TEXT NOT NULL CHECK (access IN ('read', 'write')),
    permissions  TEXT NOT NULL,
    region_code  TEXT REFERENCES region(code),
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    revoked_at   BIGINT,
    revoked_by   TEXT,
    last_used_at BIGINT
);
CREATE INDEX api_token_user ON api_token (user_id);

-- What units submit against a programme's deadlines: a scanned file (the sealed paper copy)
-- and, for a list, the enterprises of the registry it names; the city accepts or returns it.
CREATE TABLE submission (
    id              INTEGER PRIMARY KEY,
    programme_id    TEXT NOT NULL,
    deadline_key    TEXT NOT NULL,
    unit            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('submitted', 'accepted', 'returned')),
    file_name       TEXT NOT NULL,
    file_sha256     TEXT NOT NULL,
    file_size       BIGINT NOT NULL,
    file_bytes      BLOB NOT NULL,
    note            TEXT,
    submitted_by    TEXT NOT NULL,
    submitted_on    TEXT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    decided_by      TEXT,
    decided_on      TEXT,
    decision_reason TEXT
);
CREATE INDEX submission_task ON submission (programme_id, deadline_key, unit, id);

CREATE TABLE submission_enterprise (
    submission_id BIGINT NOT NULL REFERENCES submission(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    PRIMARY KEY (submission_id, enterprise_id)
);

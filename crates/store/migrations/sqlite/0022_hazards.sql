-- Hidden hazards (issue 6): the path of domain::hazard, the photos that evidence it, and the
-- full item lists of the major-hazard standards imported from the bureau's .xlsx.

CREATE TABLE major_hazard_item (
    standard_id TEXT NOT NULL,
    item_key    TEXT NOT NULL,
    class       TEXT NOT NULL,
    area        TEXT NOT NULL,
    number      BIGINT NOT NULL,
    text        TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (standard_id, item_key)
);

-- region_code is the enterprise's at registration, for the unit's lists and statistics.
CREATE TABLE hazard (
    id               INTEGER PRIMARY KEY,
    enterprise_id    BIGINT NOT NULL REFERENCES enterprise(id),
    region_code      TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('inspection', 'self')),
    level            TEXT NOT NULL CHECK (level IN ('general', 'major')),
    standard_id      TEXT,
    item_key         TEXT,
    description      TEXT NOT NULL,
    found_on         TEXT NOT NULL,
    deadline         TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('open', 'planned', 'rectified', 'closed')),
    plan_measures    TEXT,
    plan_responsible TEXT,
    plan_funds_yuan  BIGINT,
    plan_deadline    TEXT,
    plan_contingency TEXT,
    planned_on       TEXT,
    rectified_on     TEXT,
    closed_on        TEXT,
    closed_by        TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX hazard_enterprise ON hazard (enterprise_id, found_on);
CREATE INDEX hazard_region_state ON hazard (region_code, state, deadline);
CREATE INDEX hazard_region_found ON hazard (region_code, found_on);

CREATE TABLE hazard_photo (
    id           INTEGER PRIMARY KEY,
    hazard_id    BIGINT NOT NULL REFERENCES hazard(id),
    phase        TEXT NOT NULL CHECK (phase IN ('before', 'after')),
    content_type TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX hazard_photo_hazard ON hazard_photo (hazard_id, phase);

-- Each step taken on a hazard, with who, when and why.
CREATE TABLE hazard_event (
    id         INTEGER PRIMARY KEY,
    hazard_id  BIGINT NOT NULL REFERENCES hazard(id),
    step       TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    note       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    on_day     TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX hazard_event_hazard ON hazard_event (hazard_id, id);

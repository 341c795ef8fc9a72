-- 通报: drafted from a programme's table as of a day, edited by the city, then published on
-- the portal. A published bulletin is not edited again.
CREATE TABLE bulletin (
    id           INTEGER PRIMARY KEY,
    programme_id TEXT NOT NULL,
    as_of        TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('draft', 'published')),
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_by TEXT,
    published_on TEXT,
    version      BIGINT NOT NULL DEFAULT 1
);

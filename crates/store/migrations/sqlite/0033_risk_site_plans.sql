-- 一图 (issue 16 item 7): an enterprise's site and workshop plans (PNG or JPEG, checked like the
-- hazard photos) and where each risk point stands on one: a point or a polygon, "x,y x,y" in
-- per mille of the plan's width and height.
CREATE TABLE risk_site_plan (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprise(id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('site', 'workshop')),
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   BIGINT NOT NULL
);
CREATE INDEX risk_site_plan_enterprise ON risk_site_plan (enterprise_id, id);

ALTER TABLE risk_point ADD COLUMN plan_id BIGINT REFERENCES risk_site_plan(id);
ALTER TABLE risk_point ADD COLUMN plan_at TEXT;

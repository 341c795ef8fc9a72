-- Grids and enterprise safety officers (issue 18 item 5, 通政发〔2018〕27号 六（四）3: 将创建任务
-- 分解、落实到每个监管网格、企业安全员). A township is divided into grids, each with its grid
-- officer; a small or micro enterprise belongs to one grid and names its safety officer.
CREATE TABLE grid (
    id            INTEGER PRIMARY KEY,
    unit          TEXT NOT NULL,
    township      TEXT NOT NULL,
    name          TEXT NOT NULL,
    officer       TEXT NOT NULL,
    officer_phone TEXT,
    recorded_by   TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    UNIQUE (unit, township, name)
);

CREATE TABLE grid_member (
    enterprise_id  BIGINT PRIMARY KEY REFERENCES enterprise(id),
    grid_id        BIGINT NOT NULL REFERENCES grid(id),
    safety_officer TEXT NOT NULL,
    safety_phone   TEXT,
    since          TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX grid_member_grid ON grid_member (grid_id);

-- Where each enterprise's obligation list stands (issue 18 item 3), worked out by the daily
-- job and after each record, with the running sums the officers' figures read: per region,
-- township and industry, and per item the enterprises for which it is still open.
CREATE TABLE obligation_status (
    enterprise_id BIGINT PRIMARY KEY REFERENCES enterprise(id),
    region_code   TEXT NOT NULL,
    township      TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    items         BIGINT NOT NULL,
    settled       BIGINT NOT NULL,
    open          BIGINT NOT NULL,
    overdue       BIGINT NOT NULL,
    gaps          BIGINT NOT NULL,
    checked       BIGINT NOT NULL,
    missing       TEXT NOT NULL,
    day           TEXT NOT NULL
);

CREATE TABLE obligation_sum (
    region_code   TEXT NOT NULL,
    township      TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    enterprises   BIGINT NOT NULL,
    checked       BIGINT NOT NULL,
    complete      BIGINT NOT NULL,
    open          BIGINT NOT NULL,
    overdue       BIGINT NOT NULL,
    gaps          BIGINT NOT NULL,
    PRIMARY KEY (region_code, township, industry_code)
);

CREATE TABLE obligation_item_sum (
    region_code   TEXT NOT NULL,
    township      TEXT NOT NULL,
    item_key      TEXT NOT NULL,
    missing       BIGINT NOT NULL,
    PRIMARY KEY (region_code, township, item_key)
);

-- The enterprises graded recently (评审一家、规范一家), newest first: the city's and a
-- district's.
CREATE INDEX certificate_valid_from ON certificate (valid_from);
CREATE INDEX certificate_region_valid_from ON certificate (region_code, valid_from);

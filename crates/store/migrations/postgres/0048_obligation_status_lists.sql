-- The enterprises behind the officers' figures of the obligation lists (who has not checked
-- itself, who has gaps to put right), read a page at a time within a region and township.
CREATE INDEX obligation_status_place ON obligation_status (region_code, township, enterprise_id);
CREATE INDEX obligation_status_unchecked ON obligation_status (region_code, township, enterprise_id) WHERE checked = 0;
CREATE INDEX obligation_status_gaps ON obligation_status (region_code, township, enterprise_id) WHERE gaps > 0;

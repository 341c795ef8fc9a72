-- Programme figures kept as running sums (issue 5, the benchmark at 1,000,000 enterprises).
--
-- Each enterprise's standing is a list of +1/-1 events per counter (domain::standing): the days
-- it starts and stops counting as operating, certified by grade, self-assessed, started. The
-- events are kept per enterprise (to take them back when its records change) and summed per
-- unit and counter by year, month and day, so the counts on any day are the sums of the years
-- before it, the months of its year before its month and the days of its month up to it.
--
-- Triggers mark an enterprise whenever a record its standing depends on changes; the store
-- recomputes marked enterprises before it reads the sums (store::standing::refresh).
CREATE TABLE standing_dirty (
    enterprise_id BIGINT PRIMARY KEY
);
CREATE TABLE standing (
    enterprise_id BIGINT PRIMARY KEY,
    unit          TEXT NOT NULL,
    events        TEXT NOT NULL
);
CREATE TABLE standing_sum (
    level   TEXT NOT NULL CHECK (level IN ('y', 'm', 'd')),
    period  TEXT NOT NULL,
    unit    TEXT NOT NULL,
    counter TEXT NOT NULL,
    delta   BIGINT NOT NULL,
    PRIMARY KEY (level, period, unit, counter)
);
INSERT INTO standing_dirty (enterprise_id) SELECT id FROM enterprise;

CREATE FUNCTION standing_mark_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO standing_dirty (enterprise_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION standing_mark_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO standing_dirty (enterprise_id) VALUES (OLD.enterprise_id) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO standing_dirty (enterprise_id) VALUES (NEW.enterprise_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION standing_mark_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO standing_dirty (enterprise_id)
            SELECT enterprise_id FROM grading_case WHERE id = OLD.case_id ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO standing_dirty (enterprise_id)
        SELECT enterprise_id FROM grading_case WHERE id = NEW.case_id ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION standing_mark_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO standing_dirty (enterprise_id)
            SELECT enterprise_id FROM certificate WHERE id = OLD.certificate_id ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO standing_dirty (enterprise_id)
        SELECT enterprise_id FROM certificate WHERE id = NEW.certificate_id ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION standing_mark_region() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO standing_dirty (enterprise_id)
        SELECT id FROM enterprise WHERE region_code = NEW.code ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER standing_enterprise_insert AFTER INSERT ON enterprise
    FOR EACH ROW EXECUTE FUNCTION standing_mark_self();
CREATE TRIGGER standing_enterprise_update AFTER UPDATE ON enterprise FOR EACH ROW
    WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code OR OLD.above_scale IS DISTINCT FROM NEW.above_scale
      OR OLD.size_class IS DISTINCT FROM NEW.size_class OR OLD.active_from IS DISTINCT FROM NEW.active_from
      OR OLD.closed_on IS DISTINCT FROM NEW.closed_on)
    EXECUTE FUNCTION standing_mark_self();

CREATE TRIGGER standing_certificate_insert AFTER INSERT ON certificate
    FOR EACH ROW EXECUTE FUNCTION standing_mark_owner();
CREATE TRIGGER standing_certificate_update AFTER UPDATE ON certificate FOR EACH ROW
    WHEN (OLD.enterprise_id IS DISTINCT FROM NEW.enterprise_id OR OLD.grade IS DISTINCT FROM NEW.grade
      OR OLD.valid_from IS DISTINCT FROM NEW.valid_from OR OLD.valid_until IS DISTINCT FROM NEW.valid_until
      OR OLD.revoked_on IS DISTINCT FROM NEW.revoked_on OR OLD.superseded_on IS DISTINCT FROM NEW.superseded_on)
    EXECUTE FUNCTION standing_mark_owner();

CREATE TRIGGER standing_case_insert AFTER INSERT ON grading_case
    FOR EACH ROW EXECUTE FUNCTION standing_mark_owner();
CREATE TRIGGER standing_case_update AFTER UPDATE ON grading_case FOR EACH ROW
    WHEN (OLD.enterprise_id IS DISTINCT FROM NEW.enterprise_id OR OLD.opened_on IS DISTINCT FROM NEW.opened_on)
    EXECUTE FUNCTION standing_mark_owner();

CREATE TRIGGER standing_assessment_insert AFTER INSERT ON assessment
    FOR EACH ROW EXECUTE FUNCTION standing_mark_case();
CREATE TRIGGER standing_assessment_update AFTER UPDATE ON assessment FOR EACH ROW
    WHEN (OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.kind IS DISTINCT FROM NEW.kind
      OR OLD.performed_on IS DISTINCT FROM NEW.performed_on)
    EXECUTE FUNCTION standing_mark_case();

CREATE TRIGGER standing_annual_insert AFTER INSERT ON annual_self_assessment
    FOR EACH ROW EXECUTE FUNCTION standing_mark_certificate();
CREATE TRIGGER standing_annual_update AFTER UPDATE ON annual_self_assessment FOR EACH ROW
    WHEN (OLD.certificate_id IS DISTINCT FROM NEW.certificate_id OR OLD.submitted_on IS DISTINCT FROM NEW.submitted_on)
    EXECUTE FUNCTION standing_mark_certificate();

CREATE TRIGGER standing_region_update AFTER UPDATE ON region FOR EACH ROW
    WHEN (OLD.unit IS DISTINCT FROM NEW.unit)
    EXECUTE FUNCTION standing_mark_region();
CREATE INDEX certificate_grade ON certificate (grade, valid_until);

-- Audits count within a programme's own period, so they are counted from their rows, by the
-- unit the refresh writes on them (kept current like the sums: an audit marks its enterprise).
ALTER TABLE quality_audit ADD COLUMN unit TEXT;
CREATE INDEX quality_audit_counted ON quality_audit (grade, performed_on, unit, enterprise_id, classification);
CREATE TRIGGER standing_audit_insert AFTER INSERT ON quality_audit
    FOR EACH ROW EXECUTE FUNCTION standing_mark_owner();
CREATE TRIGGER standing_audit_update AFTER UPDATE ON quality_audit FOR EACH ROW
    WHEN (OLD.enterprise_id IS DISTINCT FROM NEW.enterprise_id)
    EXECUTE FUNCTION standing_mark_owner();

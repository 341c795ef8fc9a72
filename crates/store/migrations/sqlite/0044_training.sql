-- Training (issue 18 item 4, 通政发〔2018〕27号 六（六）1, 六（一）3): sessions run by the city, a
-- district or a township (and by evaluation organisations, associations or enterprises, recorded
-- by the unit that follows them), and who attended, from the sign-in sheet or on the day.
--
-- `unit` and `township` are the recording unit's (NULL `unit`: the city's); words (topic,
-- audience, organiser, role) are keys of data/rules/outreach.toml. Hours in tenths (35 = 3.5).
CREATE TABLE training_session (
    id             INTEGER PRIMARY KEY,
    unit           TEXT,
    township       TEXT,
    organiser      TEXT NOT NULL,
    organiser_name TEXT NOT NULL,
    title          TEXT NOT NULL,
    topic          TEXT NOT NULL,
    audience       TEXT NOT NULL,
    held_on        TEXT NOT NULL,
    hours_tenths   BIGINT NOT NULL CHECK (hours_tenths > 0),
    place          TEXT NOT NULL,
    trainer        TEXT NOT NULL,
    rule           TEXT NOT NULL,
    attendees      BIGINT NOT NULL DEFAULT 0,
    recorded_by    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX training_session_held ON training_session (held_on, id);
CREATE INDEX training_session_unit ON training_session (unit, held_on);

-- One person at one session. `person_key` names the person once per session (name and where
-- they come from), so a sheet that lists a person twice is refused. The certificate number is
-- the attendance certificate's (培训证明).
CREATE TABLE training_attendance (
    id             INTEGER PRIMARY KEY,
    session_id     BIGINT NOT NULL REFERENCES training_session(id),
    person         TEXT NOT NULL,
    person_key     TEXT NOT NULL,
    role           TEXT NOT NULL,
    enterprise_id  BIGINT REFERENCES enterprise(id),
    evaluator_id   BIGINT REFERENCES evaluator(id),
    affiliation    TEXT NOT NULL,
    phone          TEXT,
    certificate_no TEXT NOT NULL UNIQUE,
    source         TEXT NOT NULL CHECK (source IN ('sheet', 'form')),
    recorded_by    TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    UNIQUE (session_id, person_key)
);
CREATE INDEX training_attendance_enterprise ON training_attendance (enterprise_id, role);
CREATE INDEX training_attendance_evaluator ON training_attendance (evaluator_id);

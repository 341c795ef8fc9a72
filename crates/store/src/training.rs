//! Training (通政发〔2018〕27号 六（六）1, 六（一）3): sessions recorded by the city, a district or
//! a township, who attended them, and the sums behind the coverage figures. A session is read
//! within a [`Reach`]: the city's sessions by everyone who reads training, a unit's by its own
//! officers.

use std::collections::{BTreeMap, HashSet};

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::paging::{PageReq, Paged};
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, with_pool, with_tx};

/// Which sessions a reader sees: the city's, and their own unit's (a township officer: the
/// district's own and the township's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    City,
    Unit(String),
    Township { unit: String, township: String },
}

impl Reach {
    fn push(&self, b: &mut SqlBuf, unit_col: &str, township_col: &str) {
        match self {
            Reach::City => {}
            Reach::Unit(u) => {
                b.push(&format!(" AND ({unit_col} IS NULL OR {unit_col} = "));
                b.bind(Arg::Text(u.clone()));
                b.push(")");
            }
            Reach::Township { unit, township } => {
                b.push(&format!(" AND ({unit_col} IS NULL OR ({unit_col} = "));
                b.bind(Arg::Text(unit.clone()));
                b.push(&format!(
                    " AND ({township_col} IS NULL OR {township_col} = "
                ));
                b.bind(Arg::Text(township.clone()));
                b.push(")))");
            }
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub unit: Option<String>,
    pub township: Option<String>,
    pub organiser: String,
    pub organiser_name: String,
    pub title: String,
    pub topic: String,
    pub audience: String,
    pub held_on: String,
    pub hours_tenths: i64,
    pub place: String,
    pub trainer: String,
    pub rule: String,
    pub attendees: i64,
    pub recorded_by: String,
}

impl Session {
    /// 3.5, 4
    pub fn hours(&self) -> String {
        if self.hours_tenths % 10 == 0 {
            (self.hours_tenths / 10).to_string()
        } else {
            format!("{}.{}", self.hours_tenths / 10, self.hours_tenths % 10)
        }
    }
}

const SESSION_COLUMNS: &str = "id, unit, township, organiser, organiser_name, title, topic, audience, held_on, \
    hours_tenths, place, trainer, rule, attendees, recorded_by";

/// A session to record (its words already checked against the rules).
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub unit: Option<&'a str>,
    pub township: Option<&'a str>,
    pub organiser: &'a str,
    pub organiser_name: &'a str,
    pub title: &'a str,
    pub topic: &'a str,
    pub audience: &'a str,
    pub held_on: Date,
    pub hours_tenths: i64,
    pub place: &'a str,
    pub trainer: &'a str,
    pub rule: &'a str,
}

pub async fn create_session(db: &Db, actor: &Actor, s: &NewSession<'_>) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO training_session (unit, township, organiser, organiser_name, title, topic, \
        audience, held_on, hours_tenths, place, trainer, rule, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(s.unit)
        .bind(s.township)
        .bind(s.organiser)
        .bind(s.organiser_name)
        .bind(s.title)
        .bind(s.topic)
        .bind(s.audience)
        .bind(format_date(s.held_on))
        .bind(s.hours_tenths)
        .bind(s.place)
        .bind(s.trainer)
        .bind(s.rule)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    let ev = Event::new("training.create", format!("training:{id}")).detail(format!(
        "登记培训“{}”（{}，{}）；依据 {}",
        s.title,
        format_date(s.held_on),
        s.organiser_name,
        s.rule
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// One page of the sessions within reach, newest first, perhaps of one year.
pub async fn sessions(
    db: &Db,
    reach: &Reach,
    year: Option<i32>,
    req: PageReq,
) -> Result<Paged<Session>, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {SESSION_COLUMNS} FROM training_session WHERE 1 = 1"
    ));
    reach.push(&mut b, "unit", "township");
    if let Some(y) = year {
        b.push(" AND held_on >= ");
        b.bind(Arg::Text(format!("{y:04}-01-01")));
        b.push(" AND held_on <= ");
        b.bind(Arg::Text(format!("{y:04}-12-31")));
    }
    crate::paging::fetch(db, &b, "held_on DESC, id DESC", req).await
}

/// A session within reach (not found outside it).
pub async fn session(db: &Db, reach: &Reach, id: i64) -> Result<Session, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {SESSION_COLUMNS} FROM training_session WHERE id = "
    ));
    b.bind(Arg::Int(id));
    reach.push(&mut b, "unit", "township");
    b.fetch_optional(db).await?.ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Attendance {
    pub id: i64,
    pub session_id: i64,
    pub person: String,
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub evaluator_id: Option<i64>,
    pub affiliation: String,
    pub phone: Option<String>,
    pub certificate_no: String,
    pub source: String,
    pub recorded_by: String,
}

const ATTENDANCE_COLUMNS: &str = "id, session_id, person, role, enterprise_id, evaluator_id, affiliation, phone, \
    certificate_no, source, recorded_by";

/// A person to record at a session (where they come from already found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendee {
    pub person: String,
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub evaluator_id: Option<i64>,
    /// The enterprise's, organisation's or unit's name, as shown.
    pub affiliation: String,
    pub phone: Option<String>,
}

impl NewAttendee {
    /// Names the person once per session: the name and where they come from.
    pub fn key(&self) -> String {
        let from = match (self.enterprise_id, self.evaluator_id) {
            (Some(e), _) => format!("e{e}"),
            (None, Some(v)) => format!("v{v}"),
            (None, None) => format!("a:{}", self.affiliation),
        };
        format!("{}|{from}", self.person)
    }
}

/// Records people at a session, all or none: one already recorded at the session is refused
/// with their names. Each gets an attendance certificate number. `source`: sheet or form.
pub async fn add_attendance(
    db: &Db,
    actor: &Actor,
    session: &Session,
    people: &[NewAttendee],
    source: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut tx = db.begin().await?;
    let keys: Vec<String> = people.iter().map(NewAttendee::key).collect();
    let mut b = SqlBuf::new("SELECT person_key FROM training_attendance WHERE session_id = ");
    b.bind(Arg::Int(session.id));
    let sql = b.render(tx.backend());
    let existing: Vec<String> = with_tx!(&mut tx, |c| crate::bind_args!(
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(c)
    .await)?;
    let existing: HashSet<String> = existing.into_iter().collect();
    let twice: Vec<&str> = people
        .iter()
        .zip(&keys)
        .filter(|(_, k)| existing.contains(*k))
        .map(|(p, _)| p.person.as_str())
        .collect();
    if !twice.is_empty() {
        return Err(StoreError::Conflict(format!(
            "已登记过本次培训：{}",
            twice.join("、")
        )));
    }
    const COUNT: &str = "SELECT attendees FROM training_session WHERE id = $1";
    let before: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(COUNT)
        .bind(session.id)
        .fetch_one(c)
        .await)?;
    let year = session.held_on.get(..4).unwrap_or("0000");
    let now = now_secs();
    let mut ids = Vec::with_capacity(people.len());
    const SQL: &str = "INSERT INTO training_attendance (session_id, person, person_key, role, enterprise_id, \
        evaluator_id, affiliation, phone, certificate_no, source, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
    for (n, (p, key)) in people.iter().zip(&keys).enumerate() {
        let number = format!("培{year}-{:05}-{:04}", session.id, before + n as i64 + 1);
        let id: Result<i64, sqlx::Error> = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
            .bind(session.id)
            .bind(&p.person)
            .bind(key)
            .bind(&p.role)
            .bind(p.enterprise_id)
            .bind(p.evaluator_id)
            .bind(&p.affiliation)
            .bind(p.phone.as_deref())
            .bind(&number)
            .bind(source)
            .bind(&actor.username)
            .bind(now)
            .fetch_one(c)
            .await);
        match id {
            Ok(id) => ids.push(id),
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(StoreError::Conflict(
                    "本次培训的签到刚被他人修改，请刷新后重试".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    const BUMP: &str = "UPDATE training_session SET attendees = attendees + $1 WHERE id = $2";
    with_tx!(&mut tx, |c| sqlx::query(BUMP)
        .bind(people.len() as i64)
        .bind(session.id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    let how = if source == "sheet" {
        "导入签到表"
    } else {
        "登记签到"
    };
    let ev = Event::new("training.attendance", format!("training:{}", session.id)).detail(format!(
        "“{}”{how} {} 人",
        session.title,
        people.len()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Everyone recorded at a session, in the order recorded.
pub async fn attendance(db: &Db, session_id: i64) -> Result<Vec<Attendance>, StoreError> {
    let sql = format!(
        "SELECT {ATTENDANCE_COLUMNS} FROM training_attendance WHERE session_id = $1 ORDER BY id LIMIT 5000"
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Attendance>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(session_id)
    .fetch_all(p)
    .await)?)
}

/// One attendance and its session, the session within reach.
pub async fn attendance_by_id(
    db: &Db,
    reach: &Reach,
    id: i64,
) -> Result<(Attendance, Session), StoreError> {
    let sql = format!("SELECT {ATTENDANCE_COLUMNS} FROM training_attendance WHERE id = $1");
    let a: Attendance = with_pool!(db, |p| sqlx::query_as::<_, Attendance>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)?;
    let s = session(db, reach, a.session_id).await?;
    Ok((a, s))
}

/// The trainings of an enterprise's people (the enterprise within the scope), newest first.
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<(Attendance, Session)>, StoreError> {
    crate::enterprise::get(db, scope, enterprise_id).await?;
    let sql = format!(
        "SELECT {ATTENDANCE_COLUMNS} FROM training_attendance WHERE enterprise_id = $1 ORDER BY id DESC LIMIT 500"
    );
    let rows: Vec<Attendance> = with_pool!(db, |p| sqlx::query_as::<_, Attendance>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(enterprise_id)
    .fetch_all(p)
    .await)?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let s = session(db, &Reach::City, a.session_id).await?;
        out.push((a, s));
    }
    Ok(out)
}

/// An enterprise named on a sign-in sheet, found within the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    One {
        id: i64,
        name: String,
    },
    None,
    /// More than one enterprise has this name.
    Many,
}

/// The enterprise with this credit code or exact name within the scope.
pub async fn find_enterprise(db: &Db, scope: &Scope, text: &str) -> Result<Found, StoreError> {
    let mut b = SqlBuf::new("SELECT id, name FROM enterprise WHERE (credit_code = ");
    b.bind(Arg::Text(text.to_uppercase()));
    b.push(" OR name = ");
    b.bind(Arg::Text(text.to_string()));
    b.push(")");
    crate::enterprise::push_scope(&mut b, scope, "id", "region_code", "township");
    b.push(" ORDER BY id LIMIT 2");
    let rows: Vec<(i64, String)> = b.fetch_all(db).await?;
    Ok(match rows.as_slice() {
        [] => Found::None,
        [(id, name)] => Found::One {
            id: *id,
            name: name.clone(),
        },
        _ => Found::Many,
    })
}

/// An evaluator by certificate number: id, name, organisation and qualified-until day.
pub async fn evaluator_by_certificate(
    db: &Db,
    number: &str,
) -> Result<Option<(i64, String, String, String)>, StoreError> {
    const SQL: &str = "SELECT v.id, v.name, o.name, v.qualified_until FROM evaluator v \
        JOIN evaluation_org o ON o.id = v.org_id WHERE v.certificate_no = $1";
    type Row = (i64, String, String, String);
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Row>(SQL)
        .bind(number)
        .fetch_optional(p)
        .await)?)
}

/// Of `ids`, the evaluators who attended a session of one of `topics` held in `from..=to`.
pub async fn evaluators_trained(
    db: &Db,
    ids: &[i64],
    topics: &[String],
    from: Date,
    to: Date,
) -> Result<HashSet<i64>, StoreError> {
    if ids.is_empty() || topics.is_empty() {
        return Ok(HashSet::new());
    }
    let mut b = SqlBuf::new(
        "SELECT DISTINCT a.evaluator_id FROM training_attendance a JOIN training_session s ON s.id = a.session_id \
         WHERE a.evaluator_id IN ",
    );
    b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
    b.push(" AND s.topic IN ");
    b.bind_list(topics.iter().cloned().map(Arg::Text));
    b.push(" AND s.held_on >= ");
    b.bind(Arg::Text(format_date(from)));
    b.push(" AND s.held_on <= ");
    b.bind(Arg::Text(format_date(to)));
    let rows: Vec<(i64,)> = b.fetch_all(db).await?;
    Ok(rows.into_iter().map(|(i,)| i).collect())
}

/// Sums by district code (and township) behind the coverage figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sums {
    /// Key (above-scale) enterprises operating on the day.
    pub key_total: i64,
    /// Of them, those whose people attended in every key role within the window.
    pub key_covered: i64,
    /// Small and micro enterprises operating on the day.
    pub small_total: i64,
    /// Of them, those anyone of which attended within the window.
    pub small_reached: i64,
}

/// The coverage sums per (district code, township) of the enterprises operating on `to`, counting the attendance at sessions held in `from..=to`.
pub async fn coverage_sums(
    db: &Db,
    key_roles: &[String],
    from: Date,
    to: Date,
) -> Result<BTreeMap<(String, String), Sums>, StoreError> {
    let day = format_date(to);
    let operating = |b: &mut SqlBuf, e: &str| {
        b.push(&format!(" AND {e}active_from <= "));
        b.bind(Arg::Text(day.clone()));
        b.push(&format!(" AND ({e}closed_on IS NULL OR {e}closed_on > "));
        b.bind(Arg::Text(day.clone()));
        b.push(")");
    };
    let mut out: BTreeMap<(String, String), Sums> = BTreeMap::new();
    let mut totals = SqlBuf::new(
        "SELECT region_code, COALESCE(township, ''), \
         SUM(CASE WHEN above_scale THEN 1 ELSE 0 END), \
         SUM(CASE WHEN size_class IN ('small', 'micro') THEN 1 ELSE 0 END) \
         FROM enterprise WHERE 1 = 1",
    );
    operating(&mut totals, "");
    totals.push(" GROUP BY region_code, COALESCE(township, '')");
    let rows: Vec<(String, String, Option<i64>, Option<i64>)> = totals.fetch_all(db).await?;
    for (code, township, key, small) in rows {
        let s = out.entry((code, township)).or_default();
        s.key_total = key.unwrap_or(0);
        s.small_total = small.unwrap_or(0);
    }
    let window = |b: &mut SqlBuf| {
        b.push(" AND s.held_on >= ");
        b.bind(Arg::Text(format_date(from)));
        b.push(" AND s.held_on <= ");
        b.bind(Arg::Text(format_date(to)));
    };
    let mut key = SqlBuf::new(
        "SELECT e.region_code, COALESCE(e.township, ''), COUNT(*) FROM (\
         SELECT a.enterprise_id FROM training_attendance a JOIN training_session s ON s.id = a.session_id \
         WHERE a.enterprise_id IS NOT NULL AND a.role IN ",
    );
    key.bind_list(key_roles.iter().cloned().map(Arg::Text));
    window(&mut key);
    key.push(" GROUP BY a.enterprise_id HAVING COUNT(DISTINCT a.role) = ");
    key.bind(Arg::Int(key_roles.len() as i64));
    key.push(") k JOIN enterprise e ON e.id = k.enterprise_id WHERE e.above_scale");
    operating(&mut key, "e.");
    key.push(" GROUP BY e.region_code, COALESCE(e.township, '')");
    let rows: Vec<(String, String, i64)> = key.fetch_all(db).await?;
    for (code, township, n) in rows {
        out.entry((code, township)).or_default().key_covered = n;
    }
    let mut small = SqlBuf::new(
        "SELECT e.region_code, COALESCE(e.township, ''), COUNT(*) FROM (\
         SELECT DISTINCT a.enterprise_id FROM training_attendance a JOIN training_session s ON s.id = a.session_id \
         WHERE a.enterprise_id IS NOT NULL",
    );
    window(&mut small);
    small.push(
        ") k JOIN enterprise e ON e.id = k.enterprise_id WHERE e.size_class IN ('small', 'micro')",
    );
    operating(&mut small, "e.");
    small.push(" GROUP BY e.region_code, COALESCE(e.township, '')");
    let rows: Vec<(String, String, i64)> = small.fetch_all(db).await?;
    for (code, township, n) in rows {
        out.entry((code, township)).or_default().small_reached = n;
    }
    Ok(out)
}

/// Sessions and attendances per recording unit (NULL: the city) held in `from..=to`.
pub async fn session_sums(
    db: &Db,
    from: Date,
    to: Date,
) -> Result<Vec<(Option<String>, i64, i64)>, StoreError> {
    const SQL: &str = "SELECT unit, COUNT(*), CAST(COALESCE(SUM(attendees), 0) AS BIGINT) FROM training_session \
        WHERE held_on >= $1 AND held_on <= $2 GROUP BY unit";
    Ok(with_pool!(db, |p| sqlx::query_as::<
        _,
        (Option<String>, i64, i64),
    >(SQL)
    .bind(format_date(from))
    .bind(format_date(to))
    .fetch_all(p)
    .await)?)
}

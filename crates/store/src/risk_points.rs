//! Risk points (风险点): an enterprise's register, each point with its assessment as decided
//! (method, factors, score, level, the rule and its words) and a history of its changes. Every
//! write checks the enterprise or the point within the scope in its transaction, and a change is
//! a conditional update on the version read.

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use anbiao_domain::date::parse_date;
use anbiao_domain::risk_point::{Measure, ValidPoint, read_measures, stored_measures};
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::enterprise::push_scope;
use crate::session::random_token;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, enterprise, with_pool, with_tx};

/// A stored risk point.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct RiskPoint {
    pub id: i64,
    pub enterprise_id: i64,
    pub region_code: String,
    pub name: String,
    pub kind: String,
    pub location: String,
    pub hazards: String,
    /// GB 6441 types joined with 、.
    pub accident_types: String,
    pub exposed: i64,
    pub method: String,
    /// `L=3;E=6;C=15`
    pub factors: String,
    /// The direct conditions' keys joined with `,`.
    pub direct: String,
    pub score: String,
    pub level: String,
    pub rule: String,
    pub words: String,
    pub control_level: String,
    pub responsible: String,
    pub measures: String,
    pub assessed_on: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// The due day of the current check task.
    pub next_check_due: String,
    /// The day the daily job found the current task overdue (and escalated it).
    pub check_overdue_since: Option<String>,
    /// Why the point is to be assessed again; empty when it is not.
    pub reassess: String,
    /// The token in its printed cards' QR code.
    pub card_token: Option<String>,
    /// The plan it is placed on, and where ("x,y x,y" in per mille).
    pub plan_id: Option<i64>,
    pub plan_at: Option<String>,
}

impl RiskPoint {
    /// The point as the domain compares a change with it.
    pub fn as_stored(&self) -> anbiao_domain::risk_point::Stored<'_> {
        anbiao_domain::risk_point::Stored {
            name: &self.name,
            kind: &self.kind,
            location: &self.location,
            hazards: &self.hazards,
            accident_types: &self.accident_types,
            exposed: self.exposed,
            level: &self.level,
            factors: &self.factors,
            method: &self.method,
            direct: &self.direct,
            control_level: &self.control_level,
            responsible: &self.responsible,
            measures: &self.measures,
        }
    }

    /// The factors as (key, value) pairs, for a form.
    pub fn factor_pairs(&self) -> Vec<(String, String)> {
        self.factors
            .split(';')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn measures(&self) -> Vec<Measure> {
        read_measures(&self.measures)
    }

    /// The due day of the current check task (None for a point written before tasks).
    pub fn due(&self) -> Option<Date> {
        parse_date(&self.next_check_due)
    }
}

const COLUMNS: &str = "p.id, p.enterprise_id, p.region_code, p.name, p.kind, p.location, p.hazards, \
    p.accident_types, p.exposed, p.method, p.factors, p.direct, p.score, p.level, p.rule, p.words, \
    p.control_level, p.responsible, p.measures, p.assessed_on, p.created_by, p.created_at, \
    p.updated_at, p.version, t.due AS next_check_due, t.overdue_since AS check_overdue_since, p.reassess, p.card_token, p.plan_id, p.plan_at";

const STALE: &str = "风险点已被他人修改，请刷新后重试";

/// A name the register already has (names are unique per enterprise: the 两单 join by them).
pub fn name_taken(name: &str) -> StoreError {
    StoreError::Invalid(format!(
        "本企业已有名为“{name}”的风险点，请换一个名称（如加上所在位置或编号）"
    ))
}

/// The most points one page of a register lists.
pub const PAGE: i64 = 500;

/// What is stored of a valid point.
struct Stored {
    factors: String,
    direct: String,
    accident_types: String,
    measures: String,
}

fn stored(v: &ValidPoint) -> Stored {
    Stored {
        factors: anbiao_domain::risk_point::stored_factors(v),
        direct: v.assessment.direct_keys.join(","),
        accident_types: v.accident_types.join("、"),
        measures: stored_measures(&v.measures),
    }
}

const INSERT_COLUMNS: &str = "enterprise_id, region_code, name, kind, location, hazards, \
    accident_types, exposed, method, factors, direct, score, level, rule, words, control_level, \
    responsible, measures, assessed_on, created_by, created_at, updated_at, card_token";

/// The values of [`INSERT_COLUMNS`] for a point.
#[allow(clippy::too_many_arguments)]
fn point_args(
    enterprise_id: i64,
    region_code: &str,
    v: &ValidPoint,
    s: &Stored,
    on: Date,
    by: &str,
    now: i64,
) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::Int(enterprise_id),
        Arg::Text(region_code.to_string()),
        Arg::Text(v.name.clone()),
        Arg::Text(v.kind.key().to_string()),
        Arg::Text(v.location.clone()),
        Arg::Text(v.hazards.clone()),
        Arg::Text(s.accident_types.clone()),
        Arg::Int(v.exposed),
        Arg::Text(v.assessment.method.clone()),
        Arg::Text(s.factors.clone()),
        Arg::Text(s.direct.clone()),
        Arg::Text(v.assessment.score.to_string()),
        Arg::Text(v.assessment.level.clone()),
        Arg::Text(v.assessment.rule.to_string()),
        Arg::Text(v.assessment.words()),
        Arg::Text(v.control_level.clone()),
        Arg::Text(v.responsible.clone()),
        Arg::Text(s.measures.clone()),
        Arg::Text(format_date(on)),
        Arg::Text(by.to_string()),
        Arg::Int(now),
        Arg::Int(now),
        Arg::Text(random_token()?.chars().take(24).collect()),
    ])
}

/// A point of a register written in bulk (the demo, a migration of an older system's data).
pub struct BulkPoint {
    pub enterprise_id: i64,
    pub region_code: String,
    pub point: ValidPoint,
    pub on: Date,
    pub due: Date,
}

/// Writes many points in one transaction, each with its creation event, then rebuilds the
/// running sums from the points. For trusted input only (no scope: the caller is the operator).
pub async fn insert_many(db: &Db, actor: &Actor, points: &[BulkPoint]) -> Result<u64, StoreError> {
    const BATCH: usize = 500;
    let now = now_secs();
    let mut tx = db.begin().await?;
    for chunk in points.chunks(BATCH) {
        let mut b = SqlBuf::new(&format!(
            "INSERT INTO risk_point ({INSERT_COLUMNS}) VALUES "
        ));
        for (i, p) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list(point_args(
                p.enterprise_id,
                &p.region_code,
                &p.point,
                &stored(&p.point),
                p.on,
                &actor.username,
                now,
            )?);
        }
        b.push(" RETURNING id");
        let sql = b.render(tx.backend());
        let ids: Vec<i64> = with_tx!(&mut tx, |c| bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?;
        let mut t = SqlBuf::new("INSERT INTO risk_task (point_id, due) VALUES ");
        for (i, (id, p)) in ids.iter().zip(chunk).enumerate() {
            if i > 0 {
                t.push(", ");
            }
            t.bind_list([Arg::Int(*id), Arg::Text(format_date(p.due))]);
        }
        t.execute_in(&mut tx).await?;
        let mut e = SqlBuf::new(
            "INSERT INTO risk_point_event (point_id, step, note, actor, on_day, at) VALUES ",
        );
        for (i, (id, p)) in ids.iter().zip(chunk).enumerate() {
            if i > 0 {
                e.push(", ");
            }
            e.bind_list([
                Arg::Int(*id),
                Arg::Text("create".into()),
                Arg::Text(format!(
                    "辨识风险点“{}”：{}",
                    p.point.name,
                    p.point.assessment.words()
                )),
                Arg::Text(actor.username.clone()),
                Arg::Text(format_date(p.on)),
                Arg::Int(now),
            ]);
        }
        e.execute_in(&mut tx).await?;
    }
    let ev = Event::new("risk_point.bulk", "risk_point")
        .detail(format!("批量写入风险点 {} 处", points.len()));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    rebuild_sums(db).await?;
    Ok(points.len() as u64)
}

/// The statement that writes one kind of count per enterprise (`level` an expression over the
/// points `from`, filtered by `filter`), with the enterprise's industry and township.
fn enterprise_level(level: &str, from: &str, filter: &str) -> String {
    format!(
        "INSERT INTO risk_enterprise_level (enterprise_id, level, region_code, points, industry_code, township) \
         SELECT x.enterprise_id, x.level, x.region_code, x.points, COALESCE(e.industry_code, ''), \
         COALESCE(e.township, '') FROM (SELECT p.enterprise_id, {level} AS level, \
         MIN(p.region_code) AS region_code, COUNT(*) AS points FROM {from} {filter} \
         GROUP BY p.enterprise_id{group}) x JOIN enterprise e ON e.id = x.enterprise_id",
        group = if level == "p.level" { ", p.level" } else { "" }
    )
}

/// Recomputes every running sum from the points themselves (after a bulk write, or by the
/// operator after a restore): per enterprise and level, overdue checks and points without
/// measures, and per region from those.
pub async fn rebuild_sums(db: &Db) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let statements = [
        "DELETE FROM risk_enterprise_level".to_string(),
        "DELETE FROM risk_sum".to_string(),
        "DELETE FROM risk_sum_industry".to_string(),
        "DELETE FROM risk_sum_township".to_string(),
        "DELETE FROM risk_sum_township_industry".to_string(),
        // Each enterprise's counts with its industry and township, read once per enterprise
        // after counting (an UPDATE correlated per row took more than seven minutes for the
        // 4,000,000 rows of 1,000,000 enterprises on PostgreSQL).
        enterprise_level("p.level", "risk_point p", ""),
        enterprise_level(&format!("'{ANY_LEVEL}'"), "risk_point p", ""),
        enterprise_level(
            &format!("'{OVERDUE}'"),
            "risk_point p JOIN risk_task t ON t.point_id = p.id",
            "WHERE t.overdue_since IS NOT NULL",
        ),
        enterprise_level(
            &format!("'{UNCONTROLLED}'"),
            "risk_point p",
            "WHERE p.measures IN ('', '[]')",
        ),
        "INSERT INTO risk_sum (region_code, level, enterprises, points) \
         SELECT region_code, level, COUNT(*), SUM(points) FROM risk_enterprise_level GROUP BY region_code, level"
            .to_string(),
        "INSERT INTO risk_sum_township (region_code, township, level, enterprises, points) \
         SELECT region_code, township, level, COUNT(*), SUM(points) FROM risk_enterprise_level \
         GROUP BY region_code, township, level"
            .to_string(),
        "INSERT INTO risk_sum_township_industry (region_code, township, industry_code, level, enterprises, points) \
         SELECT region_code, township, industry_code, level, COUNT(*), SUM(points) FROM risk_enterprise_level \
         GROUP BY region_code, township, industry_code, level"
            .to_string(),
        "INSERT INTO risk_sum_industry (region_code, industry_code, level, enterprises, points) \
         SELECT region_code, industry_code, level, COUNT(*), SUM(points) FROM risk_enterprise_level \
         GROUP BY region_code, industry_code, level"
            .to_string(),
        // EXISTS, not NOT IN: PostgreSQL compares each row with the whole list once it outgrows
        // work_mem (more than eleven minutes at 1,000,000 enterprises).
        format!(
            "UPDATE enterprise SET risk_register = FALSE WHERE risk_register = TRUE AND NOT EXISTS \
             (SELECT 1 FROM risk_enterprise_level r WHERE r.enterprise_id = enterprise.id \
             AND r.level = '{ANY_LEVEL}' AND r.points > 0)"
        ),
        format!(
            "UPDATE enterprise SET risk_register = TRUE WHERE risk_register = FALSE AND EXISTS \
             (SELECT 1 FROM risk_enterprise_level r WHERE r.enterprise_id = enterprise.id \
             AND r.level = '{ANY_LEVEL}' AND r.points > 0)"
        ),
    ];
    for sql in statements {
        with_tx!(&mut tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Adds a point to an enterprise's register (the enterprise within the scope), its first check
/// task due on `due`.
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    enterprise_id: i64,
    v: &ValidPoint,
    on: Date,
    due: Date,
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, enterprise_id).await?;
    let s = stored(v);
    let now = now_secs();
    let mut tx = db.begin().await?;
    let mut b = SqlBuf::new(&format!(
        "INSERT INTO risk_point ({INSERT_COLUMNS}) VALUES "
    ));
    b.bind_list(point_args(
        enterprise_id,
        &e.region_code,
        v,
        &s,
        on,
        &actor.username,
        now,
    )?);
    b.push(" RETURNING id");
    let sql = b.render(db.backend());
    let id: i64 = match with_tx!(&mut tx, |c| bind_args!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_one(c)
    .await)
    {
        Err(e) if StoreError::is_unique_violation(&e) => return Err(name_taken(&v.name)),
        other => other?,
    };
    with_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO risk_task (point_id, due) VALUES ($1, $2)"
    )
    .bind(id)
    .bind(format_date(due))
    .execute(c)
    .await
    .map(|_| ()))?;
    tally_tx(&mut tx, enterprise_id, &e.region_code, ANY_LEVEL, 1).await?;
    tally_tx(
        &mut tx,
        enterprise_id,
        &e.region_code,
        &v.assessment.level,
        1,
    )
    .await?;
    if v.measures.is_empty() {
        tally_tx(&mut tx, enterprise_id, &e.region_code, UNCONTROLLED, 1).await?;
    }
    let note = format!("辨识风险点“{}”：{}", v.name, v.assessment.words());
    event(&mut tx, actor, id, "create", &note, on).await?;
    let ev =
        Event::new("risk_point.create", format!("enterprise:{enterprise_id}")).detail(note.clone());
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes `old`, a point the caller read within its scope, as seen at `version`; `what`
/// changed in words (nothing is written when nothing changed), its check task now due on
/// `due`. A change is a re-assessment: a pending call for one is answered. A point changed since
/// is refused as stale, by the version read and again by the conditional update.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &Db,
    actor: &Actor,
    old: &RiskPoint,
    version: i64,
    v: &ValidPoint,
    what: &[String],
    on: Date,
    due: Date,
) -> Result<(), StoreError> {
    let id = old.id;
    if old.version != version {
        return Err(StoreError::Conflict(STALE.into()));
    }
    if what.is_empty() && old.reassess.is_empty() {
        return Ok(());
    }
    let s = stored(v);
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE risk_point SET name = $1, kind = $2, location = $3, hazards = $4, \
        accident_types = $5, exposed = $6, method = $7, factors = $8, direct = $9, score = $10, \
        level = $11, rule = $12, words = $13, control_level = $14, responsible = $15, measures = $16, \
        assessed_on = $17, updated_at = $18, reassess = '', version = version + 1 \
        WHERE id = $19 AND version = $20";
    let n = match with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(&v.name)
        .bind(v.kind.key())
        .bind(&v.location)
        .bind(&v.hazards)
        .bind(&s.accident_types)
        .bind(v.exposed)
        .bind(&v.assessment.method)
        .bind(&s.factors)
        .bind(&s.direct)
        .bind(v.assessment.score.to_string())
        .bind(&v.assessment.level)
        .bind(v.assessment.rule.to_string())
        .bind(v.assessment.words())
        .bind(&v.control_level)
        .bind(&v.responsible)
        .bind(&s.measures)
        .bind(format_date(on))
        .bind(now_secs())
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    {
        Err(e) if StoreError::is_unique_violation(&e) => return Err(name_taken(&v.name)),
        other => other?,
    };
    if n == 0 {
        return Err(StoreError::Conflict(STALE.into()));
    }
    with_tx!(&mut tx, |c| sqlx::query(
        "UPDATE risk_task SET due = $1 WHERE point_id = $2"
    )
    .bind(format_date(due))
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))?;
    if old.level != v.assessment.level {
        let (e, region) = (old.enterprise_id, old.region_code.as_str());
        tally_tx(&mut tx, e, region, &old.level, -1).await?;
        tally_tx(&mut tx, e, region, &v.assessment.level, 1).await?;
    }
    let was_uncontrolled = old.measures().is_empty();
    if was_uncontrolled != v.measures.is_empty() {
        let delta = if was_uncontrolled { -1 } else { 1 };
        tally_tx(
            &mut tx,
            old.enterprise_id,
            &old.region_code,
            UNCONTROLLED,
            delta,
        )
        .await?;
    }
    let mut what = what.to_vec();
    if !old.reassess.is_empty() {
        what.push(format!("已按要求重新评价（{}）", old.reassess));
    }
    let note = format!("修改风险点“{}”：{}", v.name, what.join("；"));
    event(&mut tx, actor, id, "update", &note, on).await?;
    let ev = Event::new(
        "risk_point.update",
        format!("enterprise:{}", old.enterprise_id),
    )
    .detail(note.clone());
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn event(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    point_id: i64,
    step: &str,
    note: &str,
    on: Date,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO risk_point_event (point_id, step, note, actor, on_day, at) \
        VALUES ($1, $2, $3, $4, $5, $6)";
    with_tx!(tx, |c| sqlx::query(SQL)
        .bind(point_id)
        .bind(step)
        .bind(note)
        .bind(&actor.username)
        .bind(format_date(on))
        .bind(now_secs())
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A point within the scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<RiskPoint, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM risk_point p JOIN risk_task t ON t.point_id = p.id JOIN enterprise e ON e.id = p.enterprise_id WHERE p.id = "
    ));
    b.bind(Arg::Int(id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let sql = b.render(db.backend());
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, RiskPoint>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// The point whose cards carry `token`, with its enterprise's name (for the public portal).
pub async fn by_card_token(
    db: &Db,
    token: &str,
) -> Result<Option<(RiskPoint, String)>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, e.name AS enterprise_name FROM risk_point p \
         JOIN risk_task t ON t.point_id = p.id JOIN enterprise e ON e.id = p.enterprise_id WHERE p.card_token = $1"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        point: RiskPoint,
        enterprise_name: String,
    }
    let row = with_pool!(db, |p| sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(token)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|r| (r.point, r.enterprise_name)))
}

/// An enterprise's register (the enterprise within the scope), in the order written, at most
/// [`PAGE`] points.
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<RiskPoint>, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM risk_point p JOIN risk_task t ON t.point_id = p.id JOIN enterprise e ON e.id = p.enterprise_id \
         WHERE p.enterprise_id = "
    ));
    b.bind(Arg::Int(enterprise_id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY p.id LIMIT ");
    b.bind(Arg::Int(PAGE));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, RiskPoint>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// An enterprise's whole register (the enterprise within the scope), in the order written.
pub async fn of_enterprise_all(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<RiskPoint>, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM risk_point p JOIN risk_task t ON t.point_id = p.id JOIN enterprise e ON e.id = p.enterprise_id \
         WHERE p.enterprise_id = "
    ));
    b.bind(Arg::Int(enterprise_id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY p.id");
    b.fetch_all(db).await
}

/// One change of a point.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PointEvent {
    pub step: String,
    pub note: String,
    pub actor: String,
    pub on_day: String,
    pub at: i64,
}

/// A point's history, oldest first (the point within the scope).
pub async fn events(db: &Db, scope: &Scope, id: i64) -> Result<Vec<PointEvent>, StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT step, note, actor, on_day, at FROM risk_point_event WHERE point_id = $1 ORDER BY id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, PointEvent>(SQL)
        .bind(id)
        .fetch_all(p)
        .await)?)
}

/// The level key the sums use for "any level" (an enterprise with a register at all).
pub const ANY_LEVEL: &str = "*";
/// The key the sums use for points whose check task is overdue.
pub const OVERDUE: &str = "*overdue";
/// The key the sums use for points without any control measure.
pub const UNCONTROLLED: &str = "*uncontrolled";

/// Adds `delta` points of `level` to the enterprise's count and to its region's sums; the
/// region's enterprise count moves when the enterprise's count leaves or reaches zero.
pub(crate) async fn tally_tx(
    tx: &mut crate::db::Tx,
    enterprise_id: i64,
    region_code: &str,
    level: &str,
    delta: i64,
) -> Result<(), StoreError> {
    tally_many(
        tx,
        &[Tally {
            enterprise_id,
            region_code,
            level,
            delta,
        }],
    )
    .await
}

/// A change of one enterprise's count of points of one level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tally<'a> {
    pub enterprise_id: i64,
    pub region_code: &'a str,
    pub level: &'a str,
    pub delta: i64,
}

/// Adds (enterprises, points) to the rows of a table of sums keyed by `keys`, a few hundred
/// rows per statement.
async fn add_to_sums(
    tx: &mut crate::db::Tx,
    table: &str,
    keys: &[&str],
    rows: Vec<(Vec<String>, (i64, i64))>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(TALLY_CHUNK) {
        let mut b = SqlBuf::new(&format!(
            "INSERT INTO {table} ({}, enterprises, points) VALUES ",
            keys.join(", ")
        ));
        for (i, (key, (enterprises, points))) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list(
                key.iter()
                    .cloned()
                    .map(Arg::Text)
                    .chain([Arg::Int(*enterprises), Arg::Int(*points)]),
            );
        }
        b.push(&format!(
            " ON CONFLICT ({}) DO UPDATE SET enterprises = {table}.enterprises + EXCLUDED.enterprises, \
             points = {table}.points + EXCLUDED.points",
            keys.join(", ")
        ));
        b.execute_in(tx).await?;
    }
    Ok(())
}

/// An enterprise's count as written: enterprise, level, points after, industry, township.
type Counted = (i64, String, i64, String, String);

/// One merged change: (enterprise, level) and (region code, delta).
type Change<'a> = ((i64, &'a str), (&'a str, i64));

/// Rows per statement of [`tally_many`] (five values each).
const TALLY_CHUNK: usize = 500;

/// [`tally_tx`] for many changes at once, in a few statements whatever their number: the
/// enterprises' counts upserted together, then the sums per region and per industry from what
/// the counts were before and after.
pub(crate) async fn tally_many(
    tx: &mut crate::db::Tx,
    items: &[Tally<'_>],
) -> Result<(), StoreError> {
    use std::collections::BTreeMap;
    // One row per (enterprise, level) in a statement.
    let mut merged: BTreeMap<(i64, &str), (&str, i64)> = BTreeMap::new();
    for t in items {
        merged
            .entry((t.enterprise_id, t.level))
            .or_insert((t.region_code, 0))
            .1 += t.delta;
    }
    let merged: Vec<Change<'_>> = merged.into_iter().collect();
    let mut by_region: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let mut by_industry: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    let mut by_township: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    let mut by_township_industry: BTreeMap<(String, String, String, String), (i64, i64)> =
        BTreeMap::new();
    // Enterprises whose register begins or ends with these changes.
    let mut register: BTreeMap<bool, Vec<i64>> = BTreeMap::new();
    for chunk in merged.chunks(TALLY_CHUNK) {
        let mut ids: Vec<i64> = chunk.iter().map(|((id, _), _)| *id).collect();
        ids.dedup();
        let mut q = SqlBuf::new(
            "SELECT id, industry_code, COALESCE(township, '') FROM enterprise WHERE id IN ",
        );
        q.bind_list(ids.iter().map(|id| Arg::Int(*id)));
        let sql = q.render(tx.backend());
        let of: BTreeMap<i64, (String, String)> = with_tx!(tx, |c| bind_args!(
            sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql.clone())),
            &q.args
        )
        .fetch_all(c)
        .await)?
        .into_iter()
        .map(|(id, industry, township)| (id, (industry, township)))
        .collect();
        // A row keeps the industry and township it was written with, so the sums per industry
        // and per township move together.
        let mut b = SqlBuf::new(
            "INSERT INTO risk_enterprise_level (enterprise_id, level, region_code, points, industry_code, township) VALUES ",
        );
        for (i, ((id, level), (region, delta))) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Int(*id),
                Arg::Text(level.to_string()),
                Arg::Text(region.to_string()),
                Arg::Int(*delta),
                Arg::Text(of.get(id).map(|o| o.0.clone()).unwrap_or_default()),
                Arg::Text(of.get(id).map(|o| o.1.clone()).unwrap_or_default()),
            ]);
        }
        b.push(
            " ON CONFLICT (enterprise_id, level) \
             DO UPDATE SET points = risk_enterprise_level.points + EXCLUDED.points \
             RETURNING enterprise_id, level, points, industry_code, township",
        );
        let sql = b.render(tx.backend());
        let rows: Vec<Counted> = with_tx!(tx, |c| bind_args!(
            sqlx::query_as::<_, Counted>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?;
        let asked: BTreeMap<(i64, &str), (&str, i64)> = chunk.iter().copied().collect();
        for (id, level, after, industry, township) in rows {
            let Some((region, delta)) = asked.get(&(id, level.as_str())).copied() else {
                continue;
            };
            let before = after - delta;
            let enterprises = i64::from(after > 0) - i64::from(before > 0);
            if enterprises != 0 && level == ANY_LEVEL {
                register.entry(enterprises > 0).or_default().push(id);
            }
            let r = by_region
                .entry((region.to_string(), level.clone()))
                .or_default();
            r.0 += enterprises;
            r.1 += delta;
            let t = by_township
                .entry((region.to_string(), township.clone(), level.clone()))
                .or_default();
            t.0 += enterprises;
            t.1 += delta;
            let ti = by_township_industry
                .entry((
                    region.to_string(),
                    township,
                    industry.clone(),
                    level.clone(),
                ))
                .or_default();
            ti.0 += enterprises;
            ti.1 += delta;
            let i = by_industry
                .entry((region.to_string(), industry, level))
                .or_default();
            i.0 += enterprises;
            i.1 += delta;
        }
    }
    for (has, ids) in register {
        for chunk in ids.chunks(TALLY_CHUNK) {
            let mut b = SqlBuf::new("UPDATE enterprise SET risk_register = ");
            b.push(if has { "TRUE" } else { "FALSE" });
            b.push(" WHERE id IN ");
            b.bind_list(chunk.iter().map(|id| Arg::Int(*id)));
            b.execute_in(tx).await?;
        }
    }
    let keyed = |k: &[&String]| k.iter().map(|s| (*s).clone()).collect::<Vec<_>>();
    add_to_sums(
        tx,
        "risk_sum",
        &["region_code", "level"],
        by_region
            .iter()
            .map(|((r, l), v)| (keyed(&[r, l]), *v))
            .collect(),
    )
    .await?;
    add_to_sums(
        tx,
        "risk_sum_industry",
        &["region_code", "industry_code", "level"],
        by_industry
            .iter()
            .map(|((r, i, l), v)| (keyed(&[r, i, l]), *v))
            .collect(),
    )
    .await?;
    add_to_sums(
        tx,
        "risk_sum_township",
        &["region_code", "township", "level"],
        by_township
            .iter()
            .map(|((r, t, l), v)| (keyed(&[r, t, l]), *v))
            .collect(),
    )
    .await?;
    add_to_sums(
        tx,
        "risk_sum_township_industry",
        &["region_code", "township", "industry_code", "level"],
        by_township_industry
            .iter()
            .map(|((r, t, i, l), v)| (keyed(&[r, t, i, l]), *v))
            .collect(),
    )
    .await?;
    Ok(())
}

/// One figure per industry: within the scope, the enterprises with points of a level and the
/// points.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct IndustrySum {
    pub industry_code: String,
    pub level: String,
    pub enterprises: i64,
    pub points: i64,
}

/// The figures per industry within the scope: from the running sums per region code for the
/// city and a district, per township for a township; an enterprise's from its own counts.
pub async fn industry_sums(db: &Db, scope: &Scope) -> Result<Vec<IndustrySum>, StoreError> {
    let mut b = match scope {
        Scope::City | Scope::Region { .. } => {
            let mut b = SqlBuf::new(
                "SELECT industry_code, level, CAST(SUM(enterprises) AS BIGINT) AS enterprises, \
                 CAST(SUM(points) AS BIGINT) AS points FROM risk_sum_industry WHERE 1 = 1",
            );
            if let Scope::Region { codes } = scope {
                b.push(" AND region_code IN ");
                b.bind_list(codes.iter().cloned().map(Arg::Text));
            }
            b
        }
        Scope::Township { codes, township } => {
            let mut b = SqlBuf::new(
                "SELECT industry_code, level, CAST(SUM(enterprises) AS BIGINT) AS enterprises, \
                 CAST(SUM(points) AS BIGINT) AS points FROM risk_sum_township_industry WHERE region_code IN ",
            );
            b.bind_list(codes.iter().cloned().map(Arg::Text));
            b.push(" AND township = ");
            b.bind(Arg::Text(township.clone()));
            b
        }
        _ => {
            let mut b = SqlBuf::new(
                "SELECT r.industry_code, r.level, COUNT(*) AS enterprises, CAST(SUM(r.points) AS BIGINT) AS points \
                 FROM risk_enterprise_level r JOIN enterprise e ON e.id = r.enterprise_id \
                 WHERE r.points > 0",
            );
            push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
            b.push(" GROUP BY r.industry_code, r.level ORDER BY r.industry_code, r.level");
            b
        }
    };
    if matches!(
        scope,
        Scope::City | Scope::Region { .. } | Scope::Township { .. }
    ) {
        b.push(" GROUP BY industry_code, level ORDER BY industry_code, level");
    }
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, IndustrySum>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// One figure of the sums: per region code and level, the enterprises with such points and the
/// points.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct LevelSum {
    pub region_code: String,
    pub level: String,
    pub enterprises: i64,
    pub points: i64,
}

/// The figures within the scope: from the running sums per region code for the city and a
/// district, per township for a township (under the township's region code); any narrower
/// scope's counted from its enterprises' own counts.
pub async fn sums(db: &Db, scope: &Scope) -> Result<Vec<LevelSum>, StoreError> {
    let mut b = match scope {
        Scope::City | Scope::Region { .. } => {
            let mut b = SqlBuf::new(
                "SELECT region_code, level, enterprises, points FROM risk_sum WHERE 1 = 1",
            );
            if let Scope::Region { codes } = scope {
                b.push(" AND region_code IN ");
                b.bind_list(codes.iter().cloned().map(Arg::Text));
            }
            b
        }
        Scope::Township { codes, township } => {
            let mut b = SqlBuf::new(
                "SELECT region_code, level, enterprises, points FROM risk_sum_township WHERE region_code IN ",
            );
            b.bind_list(codes.iter().cloned().map(Arg::Text));
            b.push(" AND township = ");
            b.bind(Arg::Text(township.clone()));
            b
        }
        _ => {
            let mut b = SqlBuf::new(
                "SELECT r.region_code, r.level, COUNT(*) AS enterprises, CAST(SUM(r.points) AS BIGINT) AS points \
                 FROM risk_enterprise_level r JOIN enterprise e ON e.id = r.enterprise_id \
                 WHERE r.points > 0",
            );
            push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
            b.push(" GROUP BY r.region_code, r.level ORDER BY r.region_code, r.level");
            b
        }
    };
    if matches!(
        scope,
        Scope::City | Scope::Region { .. } | Scope::Township { .. }
    ) {
        b.push(" ORDER BY region_code, level");
    }
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, LevelSum>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// An enterprise with points of a level.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct EnterpriseAtLevel {
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub points: i64,
}

/// The enterprises within the scope with points of `level`, most points first.
pub async fn enterprises_at(
    db: &Db,
    scope: &Scope,
    level: &str,
    limit: i64,
) -> Result<Vec<EnterpriseAtLevel>, StoreError> {
    let mut b = SqlBuf::new(
        "SELECT r.enterprise_id, e.name, e.region_code, r.points FROM risk_enterprise_level r \
         JOIN enterprise e ON e.id = r.enterprise_id WHERE r.points > 0 AND r.level = ",
    );
    b.bind(Arg::Text(level.to_string()));
    // The count's own region code leads the read through the index in the list's order; the
    // enterprise's decides what the scope may see.
    if let Scope::Region { codes } | Scope::Township { codes, .. } = scope {
        b.push(" AND r.region_code IN ");
        b.bind_list(codes.iter().cloned().map(Arg::Text));
    }
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY r.points DESC, r.enterprise_id LIMIT ");
    b.bind(Arg::Int(limit));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, EnterpriseAtLevel>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// An enterprise without a risk register.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct WithoutRegister {
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub above_scale: bool,
}

/// Operating enterprises within the scope that have identified no risk point, those above
/// scale first, at most `limit` (each half read in id order, so the read stops at `limit`).
pub async fn without_register(
    db: &Db,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<WithoutRegister>, StoreError> {
    let mut out = Vec::new();
    for above in [true, false] {
        let left = limit - out.len() as i64;
        if left <= 0 {
            break;
        }
        // For the whole city SQLite 3.51 would rather read every enterprise above scale by
        // another index and sort them (1.2 s at 1,000,000, docs/benchmarks.md) than walk the
        // partial index in id order, which reads the first `limit`: it is named. The index is
        // the migration's, so the name cannot miss.
        let hint = match (db.backend(), scope) {
            (crate::db::Backend::Sqlite, Scope::City) if above => {
                " INDEXED BY enterprise_no_register_above"
            }
            (crate::db::Backend::Sqlite, Scope::City) => " INDEXED BY enterprise_no_register_other",
            _ => "",
        };
        let mut b = SqlBuf::new(&format!(
            "SELECT e.id AS enterprise_id, e.name, e.region_code, \
             CASE WHEN e.above_scale = TRUE THEN TRUE ELSE FALSE END AS above_scale \
             FROM enterprise e{hint} WHERE e.status = 'active' AND "
        ));
        b.push(if above {
            "e.above_scale = TRUE"
        } else {
            "(e.above_scale = FALSE OR e.above_scale IS NULL)"
        });
        // Kept with the running sums (migration 0035): a partial index holds these enterprises.
        b.push(" AND e.risk_register = FALSE");
        push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
        b.push(" ORDER BY e.id LIMIT ");
        b.bind(Arg::Int(left));
        let sql = b.render(db.backend());
        out.extend(with_pool!(db, |p| bind_args!(
            sqlx::query_as::<_, WithoutRegister>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?);
    }
    Ok(out)
}

//! Publicity and demonstration (通政发〔2018〕27号 六（六）2–3): model enterprises and model
//! townships, safety cooperation groups and associations with their members, visits and
//! exchanges with the enterprises attending, and publicity items. Read within a
//! [`Reach`](crate::training::Reach): the city's records and the reader's unit's.

use anbiao_domain::date::format_date;
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::sql::{Arg, SqlBuf};
use crate::training::Reach;
use crate::{Db, StoreError, with_tx};

fn unit_filter(b: &mut SqlBuf, reach: &Reach, unit_col: &str) {
    match reach {
        Reach::City => {}
        Reach::Unit(u) | Reach::Township { unit: u, .. } => {
            b.push(&format!(" AND ({unit_col} IS NULL OR {unit_col} = "));
            b.bind(Arg::Text(u.clone()));
            b.push(")");
        }
    }
}

fn conflict_or(e: sqlx::Error, message: &str) -> StoreError {
    if StoreError::is_unique_violation(&e) {
        StoreError::Conflict(message.to_string())
    } else {
        e.into()
    }
}

/// A model enterprise as listed.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Model {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub unit: String,
    pub grade: String,
    pub certificate_id: i64,
    pub certificate_no: String,
    pub valid_until: String,
    pub named_on: String,
    pub reason: String,
    pub rule: String,
    /// Revoked by the unit that named it or by the city: the day and the reason.
    pub revoked_on: Option<String>,
    pub revoke_reason: Option<String>,
}

pub struct NewModel<'a> {
    pub enterprise_id: i64,
    pub enterprise: &'a str,
    pub unit: &'a str,
    pub certificate_id: i64,
    pub grade: &'a str,
    pub named_on: Date,
    pub reason: &'a str,
    pub rule: &'a str,
}

pub async fn name_model(db: &Db, actor: &Actor, m: &NewModel<'_>) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO model_enterprise (enterprise_id, unit, certificate_id, grade, named_on, reason, \
        rule, named_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(m.enterprise_id)
        .bind(m.unit)
        .bind(m.certificate_id)
        .bind(m.grade)
        .bind(format_date(m.named_on))
        .bind(m.reason)
        .bind(m.rule)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)
    .map_err(|e| conflict_or(e, &format!("“{}”已是示范企业", m.enterprise)))?;
    let ev = Event::new("model.name", format!("enterprise:{}", m.enterprise_id)).detail(format!(
        "命名“{}”为安全生产标准化示范企业：{}；依据 {}",
        m.enterprise, m.reason, m.rule
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

const MODEL_SELECT: &str = "SELECT m.id, m.enterprise_id, e.name AS enterprise, m.unit, m.grade, m.certificate_id, \
    c.number AS certificate_no, c.valid_until, m.named_on, m.reason, m.rule, m.revoked_on, m.revoke_reason \
    FROM model_enterprise m JOIN enterprise e ON e.id = m.enterprise_id JOIN certificate c ON c.id = m.certificate_id \
    WHERE 1 = 1";

/// The model enterprises within reach (a unit's own; the city's all), by unit and name.
pub async fn models(db: &Db, reach: &Reach) -> Result<Vec<Model>, StoreError> {
    let mut b = SqlBuf::new(MODEL_SELECT);
    if let Reach::Unit(u) | Reach::Township { unit: u, .. } = reach {
        b.push(" AND m.unit = ");
        b.bind(Arg::Text(u.clone()));
    }
    b.push(" ORDER BY m.unit, e.name LIMIT 2000");
    b.fetch_all(db).await
}

/// A model naming within reach (a unit's own; the city's all).
pub async fn model(db: &Db, reach: &Reach, id: i64) -> Result<Model, StoreError> {
    let mut b = SqlBuf::new(MODEL_SELECT);
    b.push(" AND m.id = ");
    b.bind(Arg::Int(id));
    if let Reach::Unit(u) | Reach::Township { unit: u, .. } = reach {
        b.push(" AND m.unit = ");
        b.bind(Arg::Text(u.clone()));
    }
    let found: Option<Model> = b.fetch_optional(db).await?;
    found.ok_or(StoreError::NotFound)
}

/// Revokes a model naming from `on` (the caller has checked who may): it leaves the portal and
/// the unit's count from that day and stays on file with the reason; audited.
pub async fn revoke_model(
    db: &Db,
    actor: &Actor,
    m: &Model,
    reason: &str,
    on: Date,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE model_enterprise SET revoked_on = $1, revoked_by = $2, revoke_reason = $3 \
        WHERE id = $4 AND unit = $5 AND revoked_on IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(on))
        .bind(&actor.username)
        .bind(reason)
        .bind(m.id)
        .bind(&m.unit)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "“{}”的示范企业命名已经撤销",
            m.enterprise
        )));
    }
    let ev = Event::new("model.revoke", format!("enterprise:{}", m.enterprise_id)).detail(format!(
        "撤销“{}”的安全生产标准化示范企业命名（{} 命名）：{reason}",
        m.enterprise, m.named_on
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The model enterprises whose naming stands and whose certificate is still valid on `on`
/// (the portal's list).
pub async fn models_valid_on(db: &Db, on: Date) -> Result<Vec<Model>, StoreError> {
    let day = format_date(on);
    let mut b = SqlBuf::new(MODEL_SELECT);
    b.push(" AND (m.revoked_on IS NULL OR m.revoked_on > ");
    b.bind(Arg::Text(day.clone()));
    b.push(")");
    b.push(" AND c.valid_from <= ");
    b.bind(Arg::Text(day.clone()));
    b.push(" AND c.valid_until >= ");
    b.bind(Arg::Text(day.clone()));
    b.push(" AND (c.revoked_on IS NULL OR c.revoked_on > ");
    b.bind(Arg::Text(day.clone()));
    b.push(") AND (c.superseded_on IS NULL OR c.superseded_on > ");
    b.bind(Arg::Text(day));
    b.push(") ORDER BY m.unit, e.name LIMIT 2000");
    b.fetch_all(db).await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct ModelTownship {
    pub id: i64,
    pub unit: String,
    pub township: String,
    pub named_on: String,
    pub reason: String,
}

pub async fn name_township(
    db: &Db,
    actor: &Actor,
    unit: &str,
    township: &str,
    named_on: Date,
    reason: &str,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO model_township (unit, township, named_on, reason, named_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(unit)
        .bind(township)
        .bind(format_date(named_on))
        .bind(reason)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)
    .map_err(|e| conflict_or(e, &format!("“{township}”已确定为重点培育乡镇")))?;
    let ev = Event::new("model.township", format!("unit:{unit}")).detail(format!(
        "确定“{township}”为重点培育乡镇（街道、园区）：{reason}"
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn townships(db: &Db, reach: &Reach) -> Result<Vec<ModelTownship>, StoreError> {
    let mut b =
        SqlBuf::new("SELECT id, unit, township, named_on, reason FROM model_township WHERE 1 = 1");
    if let Reach::Unit(u) | Reach::Township { unit: u, .. } = reach {
        b.push(" AND unit = ");
        b.bind(Arg::Text(u.clone()));
    }
    b.push(" ORDER BY unit, township LIMIT 2000");
    b.fetch_all(db).await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub unit: Option<String>,
    pub kind: String,
    pub name: String,
    pub members: i64,
    pub activities: i64,
}

/// Creates a group with its first members, all or none.
pub async fn create_group(
    db: &Db,
    actor: &Actor,
    unit: Option<&str>,
    kind: &str,
    name: &str,
    members: &[i64],
    since: Date,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO safety_group (unit, kind, name, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(unit)
        .bind(kind)
        .bind(name)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)
    .map_err(|e| conflict_or(e, &format!("已有名为“{name}”的协作组或协会")))?;
    const MEMBER: &str =
        "INSERT INTO safety_group_member (group_id, enterprise_id, since) VALUES ($1, $2, $3)";
    for e in members {
        with_tx!(&mut tx, |c| sqlx::query(MEMBER)
            .bind(id)
            .bind(e)
            .bind(format_date(since))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| conflict_or(e, "成员企业重复"))?;
    }
    let ev = Event::new("group.create", format!("group:{id}"))
        .detail(format!("登记“{name}”，成员企业 {} 家", members.len()));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

const GROUP_SELECT: &str = "SELECT g.id, g.unit, g.kind, g.name, \
    (SELECT COUNT(*) FROM safety_group_member m WHERE m.group_id = g.id) AS members, \
    (SELECT COUNT(*) FROM exchange x WHERE x.group_id = g.id AND x.withdrawn_on IS NULL) AS activities \
    FROM safety_group g WHERE 1 = 1";

pub async fn groups(db: &Db, reach: &Reach) -> Result<Vec<Group>, StoreError> {
    let mut b = SqlBuf::new(GROUP_SELECT);
    unit_filter(&mut b, reach, "g.unit");
    b.push(" ORDER BY g.name LIMIT 2000");
    b.fetch_all(db).await
}

pub async fn group(db: &Db, reach: &Reach, id: i64) -> Result<Group, StoreError> {
    let mut b = SqlBuf::new(GROUP_SELECT);
    b.push(" AND g.id = ");
    b.bind(Arg::Int(id));
    unit_filter(&mut b, reach, "g.unit");
    b.fetch_optional(db).await?.ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Exchange {
    pub id: i64,
    pub unit: Option<String>,
    pub kind: String,
    pub title: String,
    pub host_enterprise_id: Option<i64>,
    pub host: Option<String>,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub held_on: String,
    pub place: String,
    pub open_day: bool,
    pub note: String,
    pub attendees: i64,
    /// Withdrawn (recorded in error, cancelled) by the unit that recorded it: the day and the
    /// reason.
    pub withdrawn_on: Option<String>,
    pub withdraw_reason: Option<String>,
}

pub struct NewExchange<'a> {
    pub unit: Option<&'a str>,
    pub kind: &'a str,
    pub title: &'a str,
    pub host_enterprise_id: Option<i64>,
    pub group_id: Option<i64>,
    pub held_on: Date,
    pub place: &'a str,
    pub open_day: bool,
    pub note: &'a str,
    pub attendees: &'a [i64],
}

pub async fn record_exchange(
    db: &Db,
    actor: &Actor,
    x: &NewExchange<'_>,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO exchange (unit, kind, title, host_enterprise_id, group_id, held_on, place, \
        open_day, note, attendees, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(x.unit)
        .bind(x.kind)
        .bind(x.title)
        .bind(x.host_enterprise_id)
        .bind(x.group_id)
        .bind(format_date(x.held_on))
        .bind(x.place)
        .bind(x.open_day)
        .bind(x.note)
        .bind(x.attendees.len() as i64)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    const ATTEND: &str =
        "INSERT INTO exchange_attendee (exchange_id, enterprise_id) VALUES ($1, $2)";
    for e in x.attendees {
        with_tx!(&mut tx, |c| sqlx::query(ATTEND)
            .bind(id)
            .bind(e)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| conflict_or(e, "参加企业重复"))?;
    }
    let ev = Event::new("exchange.record", format!("exchange:{id}")).detail(format!(
        "登记交流活动“{}”（{}），参加企业 {} 家",
        x.title,
        format_date(x.held_on),
        x.attendees.len()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

const EXCHANGE_SELECT: &str = "SELECT x.id, x.unit, x.kind, x.title, x.host_enterprise_id, e.name AS host, \
    x.group_id, g.name AS group_name, x.held_on, x.place, x.open_day, x.note, x.attendees, \
    x.withdrawn_on, x.withdraw_reason \
    FROM exchange x LEFT JOIN enterprise e ON e.id = x.host_enterprise_id \
    LEFT JOIN safety_group g ON g.id = x.group_id WHERE 1 = 1";

/// The exchanges within reach, newest first (at most `limit`).
pub async fn exchanges(db: &Db, reach: &Reach, limit: i64) -> Result<Vec<Exchange>, StoreError> {
    let mut b = SqlBuf::new(EXCHANGE_SELECT);
    unit_filter(&mut b, reach, "x.unit");
    b.push(" ORDER BY x.held_on DESC, x.id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

/// An exchange within reach.
pub async fn exchange(db: &Db, reach: &Reach, id: i64) -> Result<Exchange, StoreError> {
    let mut b = SqlBuf::new(EXCHANGE_SELECT);
    b.push(" AND x.id = ");
    b.bind(Arg::Int(id));
    unit_filter(&mut b, reach, "x.unit");
    let found: Option<Exchange> = b.fetch_optional(db).await?;
    found.ok_or(StoreError::NotFound)
}

/// Withdraws an exchange (the caller has checked it is the actor's unit's own): it leaves the
/// portal and the figures and stays on file with the reason; audited.
pub async fn withdraw_exchange(
    db: &Db,
    actor: &Actor,
    x: &Exchange,
    reason: &str,
    on: Date,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    // The unit compared as recorded (the city's is NULL), so the update touches only the
    // unit's own exchange whatever the caller loaded.
    const SQL: &str = "UPDATE exchange SET withdrawn_on = $1, withdrawn_by = $2, withdraw_reason = $3 \
        WHERE id = $4 AND COALESCE(unit, '') = $5 AND withdrawn_on IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(on))
        .bind(&actor.username)
        .bind(reason)
        .bind(x.id)
        .bind(x.unit.as_deref().unwrap_or_default())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(StoreError::Conflict(format!("“{}”已经撤回", x.title)));
    }
    let ev = Event::new("exchange.withdraw", format!("exchange:{}", x.id)).detail(format!(
        "撤回交流活动“{}”（{}）：{reason}",
        x.title, x.held_on
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Open days from `from` on, soonest first (the portal's list).
pub async fn open_days(db: &Db, from: Date, limit: i64) -> Result<Vec<Exchange>, StoreError> {
    let mut b = SqlBuf::new(EXCHANGE_SELECT);
    b.push(" AND x.open_day AND x.withdrawn_on IS NULL AND x.held_on >= ");
    b.bind(Arg::Text(format_date(from)));
    b.push(" ORDER BY x.held_on, x.id LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Publicity {
    pub id: i64,
    pub unit: Option<String>,
    pub channel: String,
    pub title: String,
    pub held_on: String,
    pub reach: i64,
    pub summary: String,
    pub published: bool,
    /// Withdrawn by the unit that recorded it: the day and the reason.
    pub withdrawn_on: Option<String>,
    pub withdraw_reason: Option<String>,
}

pub struct NewPublicity<'a> {
    pub unit: Option<&'a str>,
    pub channel: &'a str,
    pub title: &'a str,
    pub held_on: Date,
    pub reach: i64,
    pub summary: &'a str,
    pub published: bool,
}

pub async fn record_publicity(
    db: &Db,
    actor: &Actor,
    p: &NewPublicity<'_>,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO publicity (unit, channel, title, held_on, reach, summary, published, \
        recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(p.unit)
        .bind(p.channel)
        .bind(p.title)
        .bind(format_date(p.held_on))
        .bind(p.reach)
        .bind(p.summary)
        .bind(p.published)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    let ev = Event::new("publicity.record", format!("publicity:{id}")).detail(format!(
        "登记宣传“{}”（{}）{}",
        p.title,
        format_date(p.held_on),
        if p.published {
            "，在门户公开"
        } else {
            ""
        }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

const PUBLICITY_SELECT: &str = "SELECT id, unit, channel, title, held_on, reach, summary, published, \
    withdrawn_on, withdraw_reason FROM publicity WHERE 1 = 1";

/// A publicity item within the reach.
pub async fn publicity_item(db: &Db, reach: &Reach, id: i64) -> Result<Publicity, StoreError> {
    let mut b = SqlBuf::new(PUBLICITY_SELECT);
    b.push(" AND id = ");
    b.bind(Arg::Int(id));
    unit_filter(&mut b, reach, "unit");
    let found: Option<Publicity> = b.fetch_optional(db).await?;
    found.ok_or(StoreError::NotFound)
}

/// Withdraws a publicity item (the caller has checked it is the actor's unit's own): it
/// leaves the portal and stays on file with the reason; audited.
pub async fn withdraw_publicity(
    db: &Db,
    actor: &Actor,
    item: &Publicity,
    reason: &str,
    on: Date,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE publicity SET withdrawn_on = $1, withdrawn_by = $2, withdraw_reason = $3 \
        WHERE id = $4 AND COALESCE(unit, '') = $5 AND withdrawn_on IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(on))
        .bind(&actor.username)
        .bind(reason)
        .bind(item.id)
        .bind(item.unit.as_deref().unwrap_or_default())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(StoreError::Conflict(format!("“{}”已经撤回", item.title)));
    }
    let ev = Event::new("publicity.withdraw", format!("publicity:{}", item.id)).detail(format!(
        "撤回宣传“{}”（{}）：{reason}",
        item.title, item.held_on
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn publicity(db: &Db, reach: &Reach, limit: i64) -> Result<Vec<Publicity>, StoreError> {
    let mut b = SqlBuf::new(PUBLICITY_SELECT);
    unit_filter(&mut b, reach, "unit");
    b.push(" ORDER BY held_on DESC, id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

/// Published items up to `on`, newest first (the portal's list).
pub async fn published(db: &Db, on: Date, limit: i64) -> Result<Vec<Publicity>, StoreError> {
    let mut b = SqlBuf::new(PUBLICITY_SELECT);
    b.push(" AND published AND withdrawn_on IS NULL AND held_on <= ");
    b.bind(Arg::Text(format_date(on)));
    b.push(" ORDER BY held_on DESC, id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

/// Per unit (NULL: the city): model enterprises named by `on` and not revoked by then, and
/// exchanges (not withdrawn) and their attending enterprises held in `from..=on`.
pub async fn unit_sums(
    db: &Db,
    from: Date,
    on: Date,
) -> Result<Vec<(Option<String>, i64, i64, i64)>, StoreError> {
    let day = format_date(on);
    let mut b = SqlBuf::new(
        "SELECT unit, CAST(SUM(models) AS BIGINT), CAST(SUM(exchanges) AS BIGINT), CAST(SUM(attending) AS BIGINT) FROM (\
         SELECT unit, COUNT(*) AS models, 0 AS exchanges, 0 AS attending FROM model_enterprise \
         WHERE named_on <= ",
    );
    b.bind(Arg::Text(day.clone()));
    b.push(" AND (revoked_on IS NULL OR revoked_on > ");
    b.bind(Arg::Text(day.clone()));
    b.push(
        ") GROUP BY unit UNION ALL SELECT unit, 0, COUNT(*), COALESCE(SUM(attendees), 0) FROM exchange \
         WHERE withdrawn_on IS NULL AND held_on >= ",
    );
    b.bind(Arg::Text(format_date(from)));
    b.push(" AND held_on <= ");
    b.bind(Arg::Text(day));
    b.push(" GROUP BY unit) s GROUP BY unit");
    type Row = (Option<String>, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Row> = b.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(u, m, x, a)| (u, m.unwrap_or(0), x.unwrap_or(0), a.unwrap_or(0)))
        .collect())
}

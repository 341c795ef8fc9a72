//! The obligation list's records (安全生产监管清单, 六（二）2): the enterprise's features that
//! decide which duties apply to it, and what it recorded against each duty for a period — done
//! with evidence, or a gap with the day it will be put right. Every read and write loads the
//! enterprise within the scope first (not found outside it).

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::hazards::sha256;
use crate::{Db, StoreError, enterprise, with_pool, with_tx};

/// A feature of an enterprise over a span of days.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct FeatureSpan {
    pub id: i64,
    pub enterprise_id: i64,
    pub feature: String,
    pub since: String,
    pub until: Option<String>,
    pub recorded_by: String,
}

impl FeatureSpan {
    pub fn holds_on(&self, day: &str) -> bool {
        self.since.as_str() <= day && self.until.as_deref().is_none_or(|u| day < u)
    }
}

/// An enterprise's feature spans (the enterprise within the scope), oldest first.
pub async fn feature_spans(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<FeatureSpan>, StoreError> {
    enterprise::get(db, scope, enterprise_id).await?;
    const SQL: &str = "SELECT id, enterprise_id, feature, since, until, recorded_by FROM enterprise_feature \
        WHERE enterprise_id = $1 ORDER BY since, id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, FeatureSpan>(SQL)
        .bind(enterprise_id)
        .fetch_all(p)
        .await)?)
}

/// Records that a feature holds for an enterprise from `day` (`on`), or no longer holds from
/// `day`. Nothing changes when it already stands so; the change is audited in words (`name`).
#[allow(clippy::too_many_arguments)]
pub async fn set_feature(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    enterprise_id: i64,
    feature: &str,
    name: &str,
    on: bool,
    day: Date,
) -> Result<bool, StoreError> {
    let e = enterprise::get(db, scope, enterprise_id).await?;
    let d = format_date(day);
    let mut tx = db.begin().await?;
    const OPEN: &str = "SELECT id, enterprise_id, feature, since, until, recorded_by FROM enterprise_feature \
        WHERE enterprise_id = $1 AND feature = $2 AND until IS NULL";
    let open: Option<FeatureSpan> = with_tx!(&mut tx, |c| sqlx::query_as(OPEN)
        .bind(enterprise_id)
        .bind(feature)
        .fetch_optional(c)
        .await)?;
    let detail = match (on, open) {
        (true, Some(_)) | (false, None) => return Ok(false),
        (true, None) => {
            const SQL: &str = "INSERT INTO enterprise_feature (enterprise_id, feature, since, recorded_by, recorded_at) \
                VALUES ($1, $2, $3, $4, $5)";
            with_tx!(&mut tx, |c| sqlx::query(SQL)
                .bind(enterprise_id)
                .bind(feature)
                .bind(&d)
                .bind(&actor.username)
                .bind(now_secs())
                .execute(c)
                .await
                .map(|_| ()))?;
            format!("“{}”自 {d} 起{name}", e.name)
        }
        (false, Some(span)) => {
            if d <= span.since {
                return Err(StoreError::Invalid(format!(
                    "“{name}”自 {} 起记录，结束日期应晚于该日",
                    span.since
                )));
            }
            const SQL: &str = "UPDATE enterprise_feature SET until = $1 WHERE id = $2";
            with_tx!(&mut tx, |c| sqlx::query(SQL)
                .bind(&d)
                .bind(span.id)
                .execute(c)
                .await
                .map(|_| ()))?;
            format!("“{}”自 {d} 起不再{name}", e.name)
        }
    };
    let ev = Event::new("enterprise.feature", format!("enterprise:{enterprise_id}")).detail(detail);
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(true)
}

/// What an enterprise recorded against one item for one period (without the evidence's bytes).
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Record {
    pub id: i64,
    pub enterprise_id: i64,
    /// The rule as cited: `obligations@1#item.five.training`.
    pub rule: String,
    pub item_key: String,
    pub period_key: String,
    pub due_on: Option<String>,
    /// done, gap or rectified.
    pub state: String,
    pub note: String,
    pub rectify_by: Option<String>,
    pub evidence_name: Option<String>,
    pub evidence_type: Option<String>,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub recorded_on: String,
    pub version: i64,
}

const COLUMNS: &str = "id, enterprise_id, rule, item_key, period_key, due_on, state, note, rectify_by, \
    evidence_name, evidence_type, recorded_by, recorded_at, recorded_on, version";

/// An enterprise's records whose period is due on or after `since`, and its open gaps of any
/// age, oldest first (the enterprise within the scope).
pub async fn records(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
    since: Date,
) -> Result<Vec<Record>, StoreError> {
    enterprise::get(db, scope, enterprise_id).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM obligation_record WHERE enterprise_id = $1 \
         AND (due_on IS NULL OR due_on >= $2 OR state = 'gap') ORDER BY recorded_at, id LIMIT 5000"
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Record>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(enterprise_id)
    .bind(format_date(since))
    .fetch_all(p)
    .await)?)
}

/// Evidence attached to a record: its file name, content type (already checked) and bytes.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// What an enterprise records.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// Done, with a note and perhaps a file. A gap of the same period is thereby put right.
    Done {
        note: &'a str,
        evidence: Option<Evidence<'a>>,
    },
    /// A gap found in its own check, to be put right by a day.
    Gap { note: &'a str, rectify_by: Date },
}

/// The item and period a record is for, as the list worked them out on the day.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub rule: &'a str,
    pub item_key: &'a str,
    /// The item's title, for the audit log.
    pub title: &'a str,
    /// The period's key; for an item recorded when it happens, the day.
    pub period_key: String,
    pub due_on: Option<Date>,
    pub day: Date,
}

/// Records an entry for the enterprise (within the scope). A period already done refuses
/// another; a gap recorded twice refuses the second; done over a gap puts it right.
pub async fn record(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    enterprise_id: i64,
    t: &Target<'_>,
    entry: Entry<'_>,
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, enterprise_id).await?;
    let mut tx = db.begin().await?;
    let find = format!(
        "SELECT {COLUMNS} FROM obligation_record WHERE enterprise_id = $1 AND item_key = $2 AND period_key = $3"
    );
    let before: Option<Record> = with_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(
        find.clone()
    ))
    .bind(enterprise_id)
    .bind(t.item_key)
    .bind(&t.period_key)
    .fetch_optional(c)
    .await)?;
    let day = format_date(t.day);
    let now = now_secs();
    let (id, detail) = match (entry, before) {
        (_, Some(b)) if b.state != "gap" => {
            return Err(StoreError::Conflict(format!(
                "“{}”本期已于 {} 确认完成",
                t.title, b.recorded_on
            )));
        }
        (Entry::Gap { .. }, Some(b)) => {
            return Err(StoreError::Conflict(format!(
                "“{}”本期已于 {} 登记为待整改",
                t.title, b.recorded_on
            )));
        }
        (Entry::Done { note, evidence }, Some(b)) => {
            const SQL: &str = "UPDATE obligation_record SET state = 'rectified', note = $1, evidence_name = $2, \
                evidence_type = $3, evidence = $4, evidence_sha256 = $5, recorded_by = $6, recorded_at = $7, \
                recorded_on = $8, version = version + 1 WHERE id = $9 AND version = $10";
            let done = with_tx!(&mut tx, |c| sqlx::query(SQL)
                .bind(note)
                .bind(evidence.map(|v| v.name))
                .bind(evidence.map(|v| v.content_type))
                .bind(evidence.map(|v| v.bytes))
                .bind(evidence.map(|v| sha256(v.bytes)))
                .bind(&actor.username)
                .bind(now)
                .bind(&day)
                .bind(b.id)
                .bind(b.version)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            if done != 1 {
                return Err(StoreError::Conflict(
                    "该条目刚被他人修改，请刷新后重试".into(),
                ));
            }
            (
                b.id,
                format!("“{}”整改完成“{}”（{}）", e.name, t.title, t.period_key),
            )
        }
        (entry, None) => {
            let (state, note, rectify_by, evidence) = match entry {
                Entry::Done { note, evidence } => ("done", note, None, evidence),
                Entry::Gap { note, rectify_by } => {
                    ("gap", note, Some(format_date(rectify_by)), None)
                }
            };
            const SQL: &str = "INSERT INTO obligation_record (enterprise_id, rule, item_key, period_key, due_on, state, \
                note, rectify_by, evidence_name, evidence_type, evidence, evidence_sha256, recorded_by, recorded_at, \
                recorded_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id";
            let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
                .bind(enterprise_id)
                .bind(t.rule)
                .bind(t.item_key)
                .bind(&t.period_key)
                .bind(t.due_on.map(format_date))
                .bind(state)
                .bind(note)
                .bind(rectify_by.as_deref())
                .bind(evidence.map(|v| v.name))
                .bind(evidence.map(|v| v.content_type))
                .bind(evidence.map(|v| v.bytes))
                .bind(evidence.map(|v| sha256(v.bytes)))
                .bind(&actor.username)
                .bind(now)
                .bind(&day)
                .fetch_one(c)
                .await)?;
            if let Entry::Gap { rectify_by, .. } = entry {
                // A reminder before the day, and the escalation to the officers after it.
                let subject = format!("obligation:{id}");
                crate::queue::enqueue_tx(
                    &mut tx,
                    crate::queue::OBLIGATION_GAP_DUE_SOON,
                    &subject,
                    rectify_by - time::Duration::days(crate::queue::REMIND_DAYS),
                )
                .await?;
                crate::queue::enqueue_tx(
                    &mut tx,
                    crate::queue::OBLIGATION_GAP_OVERDUE,
                    &subject,
                    rectify_by + time::Duration::days(1),
                )
                .await?;
            }
            let what = match rectify_by {
                Some(r) => format!("登记待整改，限 {r} 前整改"),
                None => "确认完成".to_string(),
            };
            (
                id,
                format!("“{}”{what}“{}”（{}）", e.name, t.title, t.period_key),
            )
        }
    };
    let ev = Event::new("obligation.record", format!("enterprise:{enterprise_id}"))
        .detail(format!("{detail}；依据 {}", t.rule));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// What a gap's reminder says: the record and its enterprise.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GapFacts {
    pub enterprise_id: i64,
    pub region_code: String,
    pub name: String,
    pub state: String,
    pub note: String,
    pub rule: String,
    pub rectify_by: Option<String>,
}

/// The facts of a record for its reminder (the job queue; no scope: the job acts for the system).
pub async fn gap_facts(db: &Db, id: i64) -> Result<GapFacts, StoreError> {
    const SQL: &str = "SELECT r.enterprise_id, e.region_code, e.name, r.state, r.note, r.rule, r.rectify_by         FROM obligation_record r JOIN enterprise e ON e.id = r.enterprise_id WHERE r.id = $1";
    with_pool!(db, |p| sqlx::query_as::<_, GapFacts>(SQL)
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(StoreError::NotFound)
}

/// A record's evidence as stored.
#[derive(sqlx::FromRow)]
struct EvidenceRow {
    enterprise_id: i64,
    evidence_name: Option<String>,
    evidence_type: Option<String>,
    evidence: Option<Vec<u8>>,
}

/// A record's evidence file within the scope: (name, content type, bytes).
pub async fn evidence(
    db: &Db,
    scope: &Scope,
    record_id: i64,
) -> Result<(String, String, Vec<u8>), StoreError> {
    const SQL: &str = "SELECT enterprise_id, evidence_name, evidence_type, evidence FROM obligation_record WHERE id = $1";
    let row: Option<EvidenceRow> = with_pool!(db, |p| sqlx::query_as(SQL)
        .bind(record_id)
        .fetch_optional(p)
        .await)?;
    let row = row.ok_or(StoreError::NotFound)?;
    enterprise::get(db, scope, row.enterprise_id).await?;
    match (row.evidence_name, row.evidence_type, row.evidence) {
        (Some(n), Some(k), Some(b)) => Ok((n, k, b)),
        _ => Err(StoreError::NotFound),
    }
}

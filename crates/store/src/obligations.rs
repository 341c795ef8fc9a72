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
        (true, None) if ended_today(&mut tx, enterprise_id, feature, &d).await? => {
            // Ended today by mistake: the span goes on as if never ended (the log keeps both).
            const SQL: &str = "UPDATE enterprise_feature SET until = NULL \
                WHERE enterprise_id = $1 AND feature = $2 AND until = $3";
            with_tx!(&mut tx, |c| sqlx::query(SQL)
                .bind(enterprise_id)
                .bind(feature)
                .bind(&d)
                .execute(c)
                .await
                .map(|_| ()))?;
            format!("“{}”撤销 {d} 当日记录的“不再{name}”", e.name)
        }
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
        (false, Some(span)) if d == span.since => {
            // Recorded today by mistake: withdrawn, as if never recorded (the log keeps both).
            const SQL: &str = "DELETE FROM enterprise_feature WHERE id = $1";
            with_tx!(&mut tx, |c| sqlx::query(SQL)
                .bind(span.id)
                .execute(c)
                .await
                .map(|_| ()))?;
            format!("“{}”撤销 {d} 当日记录的“{name}”", e.name)
        }
        (false, Some(span)) => {
            if d < span.since {
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

/// Whether a span of the feature was ended on `day`.
async fn ended_today(
    tx: &mut crate::db::Tx,
    enterprise_id: i64,
    feature: &str,
    day: &str,
) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT id FROM enterprise_feature WHERE enterprise_id = $1 AND feature = $2 \
        AND until = $3";
    let found: Option<i64> = with_tx!(tx, |c| sqlx::query_scalar(SQL)
        .bind(enterprise_id)
        .bind(feature)
        .bind(day)
        .fetch_optional(c)
        .await)?;
    Ok(found.is_some())
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
    /// For a gap put right, the problem the enterprise had found (the note then says what was
    /// done about it).
    pub problem: Option<String>,
    pub rectify_by: Option<String>,
    pub evidence_name: Option<String>,
    pub evidence_type: Option<String>,
    pub recorded_by: String,
    pub recorded_at: i64,
    pub recorded_on: String,
    pub version: i64,
}

const COLUMNS: &str = "id, enterprise_id, rule, item_key, period_key, due_on, state, note, problem, \
    rectify_by, evidence_name, evidence_type, recorded_by, recorded_at, recorded_on, version";

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
            const SQL: &str = "UPDATE obligation_record SET state = 'rectified', problem = note, note = $1, evidence_name = $2, \
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
                format!(
                    "“{}”整改完成“{}”（{}）：原问题“{}”",
                    e.name, t.title, t.period_key, b.note
                ),
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

/// These records of an enterprise within the scope (an inspection's answers name them).
pub async fn records_by_id(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
    ids: &[i64],
) -> Result<Vec<Record>, StoreError> {
    use crate::sql::{Arg, SqlBuf};
    enterprise::get(db, scope, enterprise_id).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM obligation_record WHERE enterprise_id = "
    ));
    b.bind(Arg::Int(enterprise_id));
    b.push(" AND id IN ");
    b.bind_list(ids.iter().take(500).map(|i| Arg::Int(*i)));
    b.push(" ORDER BY id");
    b.fetch_all(db).await
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

/// Where an enterprise's list stands on a day (the daily job's and a record's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub enterprise_id: i64,
    pub region_code: String,
    pub township: String,
    pub industry_code: String,
    /// Items that apply on the day.
    pub items: i64,
    /// Done or put right for their period (or recorded when they happen).
    pub settled: i64,
    /// Due in their period, not yet recorded.
    pub open: i64,
    /// A once-only item past its day, unrecorded.
    pub overdue: i64,
    /// Gaps recorded and not yet put right.
    pub gaps: i64,
    /// Whether the enterprise recorded anything for the current periods (自查).
    pub checked: bool,
    /// The items still open, overdue or with a gap.
    pub missing: Vec<String>,
    pub day: String,
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    enterprise_id: i64,
    region_code: String,
    township: String,
    industry_code: String,
    items: i64,
    settled: i64,
    open: i64,
    overdue: i64,
    gaps: i64,
    checked: i64,
    missing: String,
    day: String,
}

impl From<StatusRow> for Status {
    fn from(r: StatusRow) -> Self {
        Self {
            enterprise_id: r.enterprise_id,
            region_code: r.region_code,
            township: r.township,
            industry_code: r.industry_code,
            items: r.items,
            settled: r.settled,
            open: r.open,
            overdue: r.overdue,
            gaps: r.gaps,
            checked: r.checked != 0,
            missing: r
                .missing
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            day: r.day,
        }
    }
}

impl Status {
    /// Whether every item that applies is settled.
    pub fn complete(&self) -> bool {
        self.items > 0 && self.open == 0 && self.overdue == 0 && self.gaps == 0
    }

    /// What the status adds to its place's sums: enterprises, checked, complete, with open
    /// items, with overdue items, with gaps.
    fn counted(&self) -> [i64; 6] {
        [
            1,
            i64::from(self.checked),
            i64::from(self.complete()),
            i64::from(self.open > 0),
            i64::from(self.overdue > 0),
            i64::from(self.gaps > 0),
        ]
    }

    /// Stands as `other` does, whatever the day each was worked out.
    fn stands_as(&self, other: &Status) -> bool {
        let Status {
            enterprise_id,
            region_code,
            township,
            industry_code,
            items,
            settled,
            open,
            overdue,
            gaps,
            checked,
            missing,
            day: _,
        } = self;
        *enterprise_id == other.enterprise_id
            && *region_code == other.region_code
            && *township == other.township
            && *industry_code == other.industry_code
            && *items == other.items
            && *settled == other.settled
            && *open == other.open
            && *overdue == other.overdue
            && *gaps == other.gaps
            && *checked == other.checked
            && *missing == other.missing
    }
}

/// Serialises the writers of the sums on PostgreSQL (SQLite has one writer anyway).
const SUM_LOCK: i64 = 0x616e_6269_616f_0042;
/// Statuses written per statement.
const WRITE_BATCH: usize = 500;

type SumKey = (String, String, String);

/// Replaces the statuses of these enterprises and moves the running sums by the difference,
/// in one transaction.
pub async fn write_statuses(db: &Db, rows: &[Status]) -> Result<(), StoreError> {
    use crate::db::Tx;
    use crate::sql::{Arg, SqlBuf};
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    if let Tx::Postgres(t) = &mut tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SUM_LOCK)
            .execute(&mut **t)
            .await?;
    }
    let mut sums: std::collections::BTreeMap<SumKey, [i64; 6]> = Default::default();
    let mut items: std::collections::BTreeMap<SumKey, i64> = Default::default();
    for all in rows.chunks(WRITE_BATCH) {
        let ids: Vec<i64> = all.iter().map(|s| s.enterprise_id).collect();
        let mut b = SqlBuf::new(
            "SELECT enterprise_id, region_code, township, industry_code, items, settled, open, \
             overdue, gaps, checked, missing, day FROM obligation_status WHERE enterprise_id IN ",
        );
        b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
        let sql = b.render(tx.backend());
        let old: Vec<StatusRow> = with_tx!(&mut tx, |c| crate::bind_args!(
            sqlx::query_as::<_, StatusRow>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?;
        let old: std::collections::HashMap<i64, Status> = old
            .into_iter()
            .map(|o| (o.enterprise_id, Status::from(o)))
            .collect();
        // A status that stands as it stood (but for its day) is not written again.
        let same = |s: &Status| old.get(&s.enterprise_id).is_some_and(|o| o.stands_as(s));
        let chunk: Vec<&Status> = all.iter().filter(|s| !same(s)).collect();
        if chunk.is_empty() {
            continue;
        }
        // The chunk's differences by borrowed keys first, then folded into the run's sums:
        // one owned key per place and item of the chunk, not one per enterprise and item.
        let mut chunk_sums: std::collections::HashMap<(&str, &str, &str), [i64; 6]> =
            Default::default();
        let mut chunk_items: std::collections::HashMap<(&str, &str, &str), i64> =
            Default::default();
        for s in &chunk {
            let was = old.get(&s.enterprise_id);
            for (st, sign) in [(was, -1), (Some(*s), 1)] {
                let Some(st) = st else { continue };
                let e = chunk_sums
                    .entry((&st.region_code, &st.township, &st.industry_code))
                    .or_default();
                for (x, a) in e.iter_mut().zip(st.counted()) {
                    *x += sign * a;
                }
                for k in &st.missing {
                    *chunk_items
                        .entry((&st.region_code, &st.township, k))
                        .or_default() += sign;
                }
            }
        }
        for ((r, t, i), d) in chunk_sums {
            let e = sums
                .entry((r.to_string(), t.to_string(), i.to_string()))
                .or_default();
            for (x, a) in e.iter_mut().zip(d) {
                *x += a;
            }
        }
        for ((r, t, k), d) in chunk_items {
            *items
                .entry((r.to_string(), t.to_string(), k.to_string()))
                .or_default() += d;
        }
        let mut b = SqlBuf::new("DELETE FROM obligation_status WHERE enterprise_id IN ");
        b.bind_list(chunk.iter().map(|s| Arg::Int(s.enterprise_id)));
        b.execute_in(&mut tx).await?;
        let mut b = SqlBuf::new(
            "INSERT INTO obligation_status (enterprise_id, region_code, township, industry_code, \
             items, settled, open, overdue, gaps, checked, missing, day) VALUES ",
        );
        for (i, s) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Int(s.enterprise_id),
                Arg::Text(s.region_code.clone()),
                Arg::Text(s.township.clone()),
                Arg::Text(s.industry_code.clone()),
                Arg::Int(s.items),
                Arg::Int(s.settled),
                Arg::Int(s.open),
                Arg::Int(s.overdue),
                Arg::Int(s.gaps),
                Arg::Int(i64::from(s.checked)),
                Arg::Text(s.missing.join(",")),
                Arg::Text(s.day.clone()),
            ]);
        }
        b.execute_in(&mut tx).await?;
    }
    let changes: Vec<_> = sums
        .into_iter()
        .filter(|(_, d)| d.iter().any(|x| *x != 0))
        .collect();
    for chunk in changes.chunks(WRITE_BATCH) {
        let mut b = SqlBuf::new(
            "INSERT INTO obligation_sum (region_code, township, industry_code, enterprises, checked, \
             complete, open, overdue, gaps) VALUES ",
        );
        for (i, ((r, t, ind), d)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            let mut args = vec![
                Arg::Text(r.clone()),
                Arg::Text(t.clone()),
                Arg::Text(ind.clone()),
            ];
            args.extend(d.iter().map(|x| Arg::Int(*x)));
            b.bind_list(args);
        }
        b.push(
            " ON CONFLICT (region_code, township, industry_code) DO UPDATE SET \
             enterprises = obligation_sum.enterprises + excluded.enterprises, \
             checked = obligation_sum.checked + excluded.checked, \
             complete = obligation_sum.complete + excluded.complete, \
             open = obligation_sum.open + excluded.open, \
             overdue = obligation_sum.overdue + excluded.overdue, \
             gaps = obligation_sum.gaps + excluded.gaps",
        );
        b.execute_in(&mut tx).await?;
    }
    let changes: Vec<_> = items.into_iter().filter(|(_, d)| *d != 0).collect();
    for chunk in changes.chunks(WRITE_BATCH) {
        let mut b = SqlBuf::new(
            "INSERT INTO obligation_item_sum (region_code, township, item_key, missing) VALUES ",
        );
        for (i, ((r, t, k), d)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(r.clone()),
                Arg::Text(t.clone()),
                Arg::Text(k.clone()),
                Arg::Int(*d),
            ]);
        }
        b.push(
            " ON CONFLICT (region_code, township, item_key) DO UPDATE SET \
             missing = obligation_item_sum.missing + excluded.missing",
        );
        b.execute_in(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The statuses of these enterprises as last written.
pub async fn statuses(db: &Db, ids: &[i64]) -> Result<Vec<Status>, StoreError> {
    use crate::sql::{Arg, SqlBuf};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuf::new(
        "SELECT enterprise_id, region_code, township, industry_code, items, settled, open, \
         overdue, gaps, checked, missing, day FROM obligation_status WHERE enterprise_id IN ",
    );
    b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
    b.push(" ORDER BY enterprise_id");
    let rows: Vec<StatusRow> = b.fetch_all(db).await?;
    Ok(rows.into_iter().map(Status::from).collect())
}

/// The operating enterprises after `after_id`, by id, at most `limit` (the daily job's batch).
pub async fn operating_after(
    db: &Db,
    after_id: i64,
    limit: i64,
) -> Result<Vec<enterprise::Enterprise>, StoreError> {
    let sql = format!(
        "SELECT {} FROM enterprise WHERE id > $1 AND status <> 'closed' ORDER BY id LIMIT $2",
        enterprise::COLUMNS
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<
        _,
        enterprise::Enterprise,
    >(sqlx::AssertSqlSafe(sql.clone()))
    .bind(after_id)
    .bind(limit)
    .fetch_all(p)
    .await)?)
}

/// The feature spans of the enterprises with ids in `lo..=hi` (the daily job's batch).
pub async fn spans_between(db: &Db, lo: i64, hi: i64) -> Result<Vec<FeatureSpan>, StoreError> {
    const SQL: &str = "SELECT id, enterprise_id, feature, since, until, recorded_by FROM enterprise_feature \
        WHERE enterprise_id BETWEEN $1 AND $2 ORDER BY enterprise_id, since, id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, FeatureSpan>(SQL)
        .bind(lo)
        .bind(hi)
        .fetch_all(p)
        .await)?)
}

/// The records of the enterprises with ids in `lo..=hi` due on or after `since`, and their open
/// gaps (the daily job's batch).
pub async fn records_between(
    db: &Db,
    lo: i64,
    hi: i64,
    since: Date,
) -> Result<Vec<Record>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM obligation_record WHERE enterprise_id BETWEEN $1 AND $2 \
         AND (due_on IS NULL OR due_on >= $3 OR state = 'gap') ORDER BY enterprise_id, recorded_at, id"
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Record>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(lo)
    .bind(hi)
    .bind(format_date(since))
    .fetch_all(p)
    .await)?)
}

/// The figures of a group (a region, a township or an industry) from the running sums.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Figures {
    /// The group's key: a region code, `region/township`, or an industry code.
    pub key: String,
    pub enterprises: i64,
    pub checked: i64,
    pub complete: i64,
    pub open: i64,
    pub overdue: i64,
    pub gaps: i64,
}

/// How the figures are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Region,
    Township,
    Industry,
}

/// The figures within the scope, by group, from the running sums.
pub async fn figures(db: &Db, scope: &Scope, by: GroupBy) -> Result<Vec<Figures>, StoreError> {
    use crate::sql::SqlBuf;
    let key = match by {
        GroupBy::Region => "region_code",
        GroupBy::Township => "region_code || '/' || township",
        GroupBy::Industry => "industry_code",
    };
    let mut b = SqlBuf::new(&format!(
        "SELECT {key} AS key, CAST(SUM(enterprises) AS BIGINT) AS enterprises, \
         CAST(SUM(checked) AS BIGINT) AS checked, CAST(SUM(complete) AS BIGINT) AS complete, \
         CAST(SUM(open) AS BIGINT) AS open, CAST(SUM(overdue) AS BIGINT) AS overdue, \
         CAST(SUM(gaps) AS BIGINT) AS gaps FROM obligation_sum WHERE 1 = 1"
    ));
    crate::enterprise::push_scope(&mut b, scope, "0", "region_code", "township");
    b.push(&format!(
        " GROUP BY {key} HAVING SUM(enterprises) > 0 ORDER BY {key}"
    ));
    b.fetch_all(db).await
}

/// The items most often still open within the scope: (item key, enterprises), most first.
pub async fn most_missing(
    db: &Db,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    use crate::sql::{Arg, SqlBuf};
    let mut b = SqlBuf::new(
        "SELECT item_key, CAST(SUM(missing) AS BIGINT) AS n FROM obligation_item_sum WHERE 1 = 1",
    );
    crate::enterprise::push_scope(&mut b, scope, "0", "region_code", "township");
    b.push(" GROUP BY item_key HAVING SUM(missing) > 0 ORDER BY n DESC, item_key LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

/// Enterprises graded within the scope since `since` (a certificate valid from then) whose
/// list is not complete (评审一家、规范一家), the most recently graded first: (id, name, open,
/// overdue, gaps). Read from the certificates' days (an index), stopping at `limit`.
pub async fn graded_incomplete(
    db: &Db,
    scope: &Scope,
    since: Date,
    limit: i64,
) -> Result<Vec<(i64, String, i64, i64, i64)>, StoreError> {
    use crate::sql::{Arg, SqlBuf};
    let mut b = SqlBuf::new(
        "SELECT s.enterprise_id, e.name, s.open, s.overdue, s.gaps FROM certificate c \
         JOIN obligation_status s ON s.enterprise_id = c.enterprise_id \
         JOIN enterprise e ON e.id = c.enterprise_id WHERE c.valid_from >= ",
    );
    b.bind(Arg::Text(format_date(since)));
    b.push(" AND c.revoked_on IS NULL AND (s.open + s.overdue + s.gaps) > 0");
    // The certificate's own region first, so a district walks its certificates by day (an
    // index), then the enterprise's.
    if !matches!(scope, Scope::City) {
        crate::enterprise::push_scope(&mut b, scope, "e.id", "c.region_code", "e.township");
    }
    crate::enterprise::push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY c.valid_from DESC, c.id DESC LIMIT ");
    // An enterprise with two new certificates is listed once.
    b.bind(Arg::Int(limit * 2));
    let rows: Vec<(i64, String, i64, i64, i64)> = b.fetch_all(db).await?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|r| seen.insert(r.0))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// A record as a data load writes it (the demo's year of self-checks): no file, written in
/// bulk without the audit entries an enterprise's own record makes.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    pub enterprise_id: i64,
    pub rule: String,
    pub item_key: String,
    pub period_key: String,
    pub due_on: Option<String>,
    /// done, gap or rectified.
    pub state: &'static str,
    pub note: String,
    /// For a gap put right, the problem found.
    pub problem: Option<String>,
    pub rectify_by: Option<String>,
    pub recorded_by: String,
    pub recorded_on: String,
}

/// A feature as a data load writes it: (enterprise, feature key, since).
pub type LoadedFeature = (i64, String, String);

/// Writes features and records in bulk, in one transaction; a record whose enterprise, item
/// and period are on file already is left as it is. Returns the records written.
pub async fn load(
    db: &Db,
    features: &[LoadedFeature],
    records: &[LoadedRecord],
    by: &str,
) -> Result<usize, StoreError> {
    use crate::sql::{Arg, SqlBuf};
    let now = now_secs();
    let mut tx = db.begin().await?;
    for chunk in features.chunks(WRITE_BATCH) {
        let mut b = SqlBuf::new(
            "INSERT INTO enterprise_feature (enterprise_id, feature, since, recorded_by, recorded_at) VALUES ",
        );
        for (i, (e, f, since)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Int(*e),
                Arg::Text(f.clone()),
                Arg::Text(since.clone()),
                Arg::Text(by.to_string()),
                Arg::Int(now),
            ]);
        }
        b.execute_in(&mut tx).await?;
    }
    let mut written = 0;
    for chunk in records.chunks(WRITE_BATCH / 2) {
        let mut b = SqlBuf::new(
            "INSERT INTO obligation_record (enterprise_id, rule, item_key, period_key, due_on, state, \
             note, problem, rectify_by, recorded_by, recorded_at, recorded_on) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            // Nine in the morning, China time, of the day recorded.
            let at = anbiao_domain::date::parse_date(&r.recorded_on)
                .map(|d| d.midnight().assume_utc().unix_timestamp() + 3600)
                .unwrap_or(now);
            b.bind_list([
                Arg::Int(r.enterprise_id),
                Arg::Text(r.rule.clone()),
                Arg::Text(r.item_key.clone()),
                Arg::Text(r.period_key.clone()),
                Arg::OptText(r.due_on.clone()),
                Arg::Text(r.state.to_string()),
                Arg::Text(r.note.clone()),
                Arg::OptText(r.problem.clone()),
                Arg::OptText(r.rectify_by.clone()),
                Arg::Text(r.recorded_by.clone()),
                Arg::Int(at),
                Arg::Text(r.recorded_on.clone()),
            ]);
        }
        b.push(" ON CONFLICT (enterprise_id, item_key, period_key) DO NOTHING");
        b.execute_in(&mut tx).await?;
        written += chunk.len();
    }
    tx.commit().await?;
    Ok(written)
}

/// Whether any enterprise has recorded anything against its list.
pub async fn any_records(db: &Db) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT id FROM obligation_record LIMIT 1";
    Ok(with_pool!(db, |p| sqlx::query_scalar::<_, i64>(SQL)
        .fetch_optional(p)
        .await)?
    .is_some())
}

/// Which enterprises a list behind the figures shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// Nothing recorded for any item's current period (未自查).
    Unchecked,
    /// An item of its period still to check.
    Open,
    /// A gap not yet put right.
    Gaps,
    /// A once-only item past its day unrecorded.
    Overdue,
    /// Not every item settled.
    Incomplete,
}

impl Show {
    pub const ALL: [Show; 5] = [
        Self::Unchecked,
        Self::Open,
        Self::Gaps,
        Self::Overdue,
        Self::Incomplete,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Unchecked => "unchecked",
            Self::Open => "open",
            Self::Gaps => "gaps",
            Self::Overdue => "overdue",
            Self::Incomplete => "incomplete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unchecked => "尚未自查的企业",
            Self::Open => "有待自查条目的企业",
            Self::Gaps => "有待整改问题的企业",
            Self::Overdue => "有逾期未落实条目的企业",
            Self::Incomplete => "清单尚未全部落实的企业",
        }
    }

    fn condition(self) -> &'static str {
        match self {
            Self::Unchecked => "s.checked = 0",
            Self::Open => "s.open > 0",
            Self::Gaps => "s.gaps > 0",
            Self::Overdue => "s.overdue > 0",
            Self::Incomplete => "(s.open > 0 OR s.overdue > 0 OR s.gaps > 0 OR s.items = 0)",
        }
    }
}

/// A list behind the figures, narrowed within the scope.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub show: Show,
    /// Region codes (a unit and the codes it took over); empty for all.
    pub codes: Vec<String>,
    pub township: Option<String>,
    pub industry: Option<String>,
}

/// One enterprise of such a list, with where its list stands.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusLine {
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub township: String,
    pub industry_code: String,
    pub items: i64,
    pub settled: i64,
    pub open: i64,
    pub overdue: i64,
    pub gaps: i64,
    pub day: String,
}

/// A page of the enterprises within the scope the filter shows, by region, township and id.
pub async fn status_page(
    db: &Db,
    scope: &Scope,
    f: &ListFilter,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<StatusLine>, StoreError> {
    use crate::sql::{Arg, SqlBuf};
    let mut b = SqlBuf::new(&format!(
        "SELECT s.enterprise_id, e.name, s.region_code, s.township, s.industry_code, s.items, \
         s.settled, s.open, s.overdue, s.gaps, s.day FROM obligation_status s \
         JOIN enterprise e ON e.id = s.enterprise_id WHERE {}",
        f.show.condition()
    ));
    enterprise::push_scope(
        &mut b,
        scope,
        "s.enterprise_id",
        "s.region_code",
        "s.township",
    );
    if !f.codes.is_empty() {
        b.push(" AND s.region_code IN ");
        b.bind_list(f.codes.iter().cloned().map(Arg::Text));
    }
    if let Some(t) = &f.township {
        b.push(" AND s.township = ");
        b.bind(Arg::Text(t.clone()));
    }
    if let Some(i) = &f.industry {
        b.push(" AND s.industry_code = ");
        b.bind(Arg::Text(i.clone()));
    }
    crate::paging::fetch(db, &b, "s.region_code, s.township, s.enterprise_id", req).await
}

//! Check tasks of risk points (隐患排查): a check done on a point's current task, with the
//! hazards its failed items opened at the point, in one transaction; the daily job that finds
//! the tasks fallen overdue and escalates them; a point's checks.

use std::collections::BTreeMap;

use anbiao_domain::date::format_date;
use anbiao_domain::hazard::Level;
use anbiao_domain::risk_check::ValidCheck;
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::hazards::{self, Checked, NewHazard};
use crate::notify::{self, Audience, NewNotification};
use crate::risk_points::{OVERDUE, RiskPoint, Tally, event, tally_many, tally_tx};
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, with_pool, with_tx};

const STALE: &str = "该检查任务已完成或已变更，请刷新后重试";

/// The kind of the notice of overdue checks.
pub const CHECK_OVERDUE: &str = "risk.check_overdue";

/// A check to record: what the action checked and looked up.
pub struct CheckToRecord<'a> {
    pub point: &'a RiskPoint,
    pub check: &'a ValidCheck,
    /// Each finding's hazard, checked (in the order of `check.findings`).
    pub hazards: Vec<(NewHazard<'a>, Checked)>,
    pub next_due: Date,
    /// The name of the level of control whose task it is.
    pub level_name: String,
    /// The rule that set the period, in words.
    pub rule: String,
    pub on: Date,
}

/// Records a check of the point's current task: the point's next task falls due, an overdue
/// task's escalation ends, each failed item opens a hazard at the point, and a major one calls
/// for the point to be assessed again. Refused as stale when the task was done or changed since
/// the point was read.
pub async fn record(db: &Db, actor: &Actor, r: &CheckToRecord<'_>) -> Result<i64, StoreError> {
    let p = r.point;
    let due = format_date(r.check.due);
    let major = r
        .check
        .findings
        .iter()
        .any(|f| matches!(f.level, Level::Major));
    let was_overdue = p.check_overdue_since.is_some();
    let reassess = if major {
        format!("{} 排查发现重大事故隐患，应重新辨识评价", format_date(r.on))
    } else {
        p.reassess.clone()
    };
    let mut tx = db.begin().await?;
    // The task moves on only if it is still the one read: due that day, overdue or not as read.
    const MOVE: &str = "UPDATE risk_task SET due = $1, overdue_since = NULL \
        WHERE point_id = $2 AND due = $3 AND (overdue_since IS NULL) = $4";
    let n = with_tx!(&mut tx, |c| sqlx::query(MOVE)
        .bind(format_date(r.next_due))
        .bind(p.id)
        .bind(&due)
        .bind(!was_overdue)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(STALE.into()));
    }
    const MARK: &str = "UPDATE risk_point SET reassess = $1, updated_at = $2 WHERE id = $3";
    with_tx!(&mut tx, |c| sqlx::query(MARK)
        .bind(&reassess)
        .bind(now_secs())
        .bind(p.id)
        .execute(c)
        .await
        .map(|_| ()))?;
    let mut results = r.check.results.clone();
    let mut opened = Vec::new();
    for (f, (n, c)) in r.check.findings.iter().zip(&r.hazards) {
        let id = hazards::register_tx(&mut tx, actor, n, c, None, Some(p.id)).await?;
        if let Some(item) = results.get_mut(f.index) {
            item.hazard_id = Some(id);
        }
        opened.push(format!("{}（编号 {id}）", f.level.label()));
    }
    const INSERT: &str = "INSERT INTO risk_check (point_id, enterprise_id, due_on, checked_on, control_level, \
        passed, items, checker, rule, created_by, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    let items = serde_json::to_string(&results)
        .map_err(|e| StoreError::Invalid(format!("检查结果无法保存：{e}")))?;
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(INSERT)
        .bind(p.id)
        .bind(p.enterprise_id)
        .bind(&due)
        .bind(format_date(r.on))
        .bind(&p.control_level)
        .bind(r.check.passed())
        .bind(&items)
        .bind(&r.check.checker)
        .bind(&r.rule)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    if was_overdue {
        tally_tx(&mut tx, p.enterprise_id, &p.region_code, OVERDUE, -1).await?;
    }
    let failed = results.iter().filter(|i| !i.ok).count();
    let note = format!(
        "{}排查（{} 到期{}），检查人 {}：{}；下次 {} 前（{}）",
        r.level_name,
        due,
        if was_overdue { "，已逾期" } else { "" },
        r.check.checker,
        if failed == 0 {
            format!("{} 项全部符合", results.len())
        } else {
            format!(
                "{} 项中 {failed} 项不符合，登记{}",
                results.len(),
                opened.join("、")
            )
        },
        format_date(r.next_due),
        r.rule
    );
    event(&mut tx, actor, p.id, "check", &note, r.on).await?;
    if major {
        event(&mut tx, actor, p.id, "reassess", &reassess, r.on).await?;
    }
    let ev = Event::new(
        "risk_point.check",
        format!("enterprise:{}", p.enterprise_id),
    )
    .detail(format!("风险点“{}”{note}", p.name));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// A check done.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct CheckRow {
    pub id: i64,
    pub due_on: String,
    pub checked_on: String,
    pub control_level: String,
    pub passed: bool,
    /// JSON: the items with their results.
    pub items: String,
    pub checker: String,
    pub rule: String,
    pub created_by: String,
}

impl CheckRow {
    pub fn results(&self) -> Vec<anbiao_domain::risk_check::ItemResult> {
        serde_json::from_str(&self.items).unwrap_or_default()
    }
}

/// The most checks a point's page lists.
pub const HISTORY: i64 = 50;

/// A point's latest checks, newest first (the caller read the point within its scope).
pub async fn of_point(db: &Db, point_id: i64) -> Result<Vec<CheckRow>, StoreError> {
    const SQL: &str = "SELECT id, due_on, checked_on, control_level, passed, items, checker, rule, created_by \
        FROM risk_check WHERE point_id = $1 ORDER BY id DESC LIMIT $2";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, CheckRow>(SQL)
        .bind(point_id)
        .bind(HISTORY)
        .fetch_all(p)
        .await)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct Falling {
    id: i64,
    enterprise_id: i64,
    region_code: String,
    level: String,
    name: String,
    next_check_due: String,
}

/// What one pass of the overdue job did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OverdueReport {
    /// Points whose task was found overdue.
    pub points: usize,
    pub enterprises: usize,
    pub notices: usize,
}

/// How many points one transaction of the job marks.
const BATCH: i64 = 10_000;

/// Marks every check task due before `on` and not yet found overdue, adds it to the running
/// sums, and tells each enterprise once a day which of its checks are overdue; the officers too
/// when one of them is of a level in `escalate` (the two highest levels of the rules in force).
/// Idempotent: a task is marked once, a notice is stored once per enterprise and day.
pub async fn mark_overdue(
    db: &Db,
    on: Date,
    escalate: &[String],
) -> Result<OverdueReport, StoreError> {
    let mut report = OverdueReport::default();
    let day = format_date(on);
    let mut told = std::collections::BTreeSet::new();
    // Read in (due, id) order from where the last batch stopped, so each batch reads only its
    // own tasks (and, on PostgreSQL, not the index entries of the rows just marked).
    let mut after = (String::new(), 0i64);
    loop {
        const PICK: &str = "SELECT p.id, p.enterprise_id, p.region_code, p.level, p.name, \
            t.due AS next_check_due FROM risk_task t JOIN risk_point p ON p.id = t.point_id \
            WHERE t.overdue_since IS NULL AND t.due < $1 \
            AND (t.due, t.point_id) > ($2, $3) ORDER BY t.due, t.point_id LIMIT $4";
        let batch: Vec<Falling> = with_pool!(db, |p| sqlx::query_as::<_, Falling>(PICK)
            .bind(&day)
            .bind(&after.0)
            .bind(after.1)
            .bind(BATCH)
            .fetch_all(p)
            .await)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = (last.next_check_due.clone(), last.id);
        let mut tx = db.begin().await?;
        let mut b = SqlBuf::new("UPDATE risk_task SET overdue_since = ");
        b.bind(Arg::Text(day.clone()));
        b.push(" WHERE overdue_since IS NULL AND due < ");
        b.bind(Arg::Text(day.clone()));
        b.push(" AND point_id IN ");
        b.bind_list(batch.iter().map(|f| Arg::Int(f.id)));
        b.push(" RETURNING point_id");
        let sql = b.render(tx.backend());
        let marked: std::collections::HashSet<i64> = with_tx!(&mut tx, |c| bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?
        .into_iter()
        .collect();
        let mut per: BTreeMap<i64, Vec<&Falling>> = BTreeMap::new();
        for f in batch.iter().filter(|f| marked.contains(&f.id)) {
            per.entry(f.enterprise_id).or_default().push(f);
        }
        let mut tallies = Vec::with_capacity(per.len());
        let mut notices = Vec::new();
        for (enterprise_id, points) in &per {
            let region = &points[0].region_code;
            tallies.push(Tally {
                enterprise_id: *enterprise_id,
                region_code: region,
                level: OVERDUE,
                delta: points.len() as i64,
            });
            report.points += points.len();
            if told.insert(*enterprise_id) {
                report.enterprises += 1;
            }
            let names: Vec<String> = points
                .iter()
                .take(5)
                .map(|f| format!("“{}”（{} 到期）", f.name, f.next_check_due))
                .collect();
            let body = format!(
                "{}{}未按期完成隐患排查，请尽快检查并记录结果",
                names.join("、"),
                if points.len() > 5 {
                    format!("等 {} 处风险点", points.len())
                } else {
                    String::new()
                }
            );
            let severe = points.iter().any(|f| escalate.contains(&f.level));
            let audiences: &[Audience] = if severe {
                &[Audience::Enterprise, Audience::Officer]
            } else {
                &[Audience::Enterprise]
            };
            for a in audiences {
                notices.push(NewNotification {
                    kind: CHECK_OVERDUE,
                    subject: format!("enterprise:{enterprise_id}"),
                    period: day.clone(),
                    audience: *a,
                    enterprise_id: *enterprise_id,
                    region_code: region.clone(),
                    title: if severe {
                        "重大或较大风险的隐患排查逾期".into()
                    } else {
                        "风险点隐患排查逾期".into()
                    },
                    body: body.clone(),
                    link: format!("/enterprises/{enterprise_id}/risk-checks"),
                    rule: Some("风险分级规则：按管控层级的排查周期（data/rules/risk.toml）".into()),
                    due_on: Some(points[0].next_check_due.clone()),
                });
            }
        }
        tally_many(&mut tx, &tallies).await?;
        report.notices += notify::deliver_many_tx(&mut tx, &notices).await?;
        tx.commit().await?;
    }
    Ok(report)
}

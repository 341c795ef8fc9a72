//! Background work as rows (design principle 5): a job is due on a business day, claimed by
//! one instance and done in the same transaction as its effect. On PostgreSQL the claim takes
//! row locks with `FOR UPDATE SKIP LOCKED`, so two instances polling together split the due jobs
//! and never run one twice; SQLite has a single writer, and the claim is one statement. A job
//! whose instance died while running is taken over after [`STALE_SECS`]. The done-update checks
//! that the instance still holds the job, so a taken-over job's first holder cannot finish it too.
//!
//! Hazard deadlines are the jobs today: a reminder to the enterprise before the deadline and an
//! escalation to the district's officers the day after it (domain.md §6.5: overdue hazards
//! escalate).

use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::hazard::{self, State};
use time::{Date, Duration};

use crate::db::{Tx, now_secs};
use crate::notify::{self, Audience, NewNotification};
use crate::{Backend, Db, StoreError, with_pool, with_tx};

/// A claimed job that has not finished after this long is taken over.
pub const STALE_SECS: i64 = 900;
/// Days before a hazard's deadline that the enterprise is reminded.
pub const REMIND_DAYS: i64 = 3;

pub const HAZARD_DUE_SOON: &str = "hazard.due_soon";
pub const HAZARD_OVERDUE: &str = "hazard.overdue";
/// A gap of an enterprise's obligation list: its rectification day is near, or has passed.
pub const OBLIGATION_GAP_DUE_SOON: &str = "obligation.gap_due_soon";
pub const OBLIGATION_GAP_OVERDUE: &str = "obligation.gap_overdue";

/// Adds a job unless the same (kind, subject, day) is queued already; true when new.
pub async fn enqueue_tx(
    tx: &mut Tx,
    kind: &str,
    subject: &str,
    run_on: Date,
) -> Result<bool, StoreError> {
    const SQL: &str = "INSERT INTO job_queue (kind, subject, run_on, state, created_at) \
        VALUES ($1, $2, $3, 'queued', $4) ON CONFLICT (kind, subject, run_on) DO NOTHING";
    let n = with_tx!(tx, |c| sqlx::query(SQL)
        .bind(kind)
        .bind(subject)
        .bind(format_date(run_on))
        .bind(now_secs())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The reminder and the escalation of a hazard's deadline.
pub async fn deadline_jobs_tx(
    tx: &mut Tx,
    hazard_id: i64,
    deadline: Date,
) -> Result<(), StoreError> {
    let subject = format!("hazard:{hazard_id}");
    enqueue_tx(
        tx,
        HAZARD_DUE_SOON,
        &subject,
        deadline - Duration::days(REMIND_DAYS),
    )
    .await?;
    enqueue_tx(tx, HAZARD_OVERDUE, &subject, deadline + Duration::days(1)).await?;
    Ok(())
}

/// A claimed job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub run_on: String,
}

/// Claims up to `limit` jobs due on or before `on` for `instance`.
pub async fn claim(db: &Db, instance: &str, on: Date, limit: i64) -> Result<Vec<Job>, StoreError> {
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let now = now_secs();
    let sql = format!(
        "UPDATE job_queue SET state = 'running', locked_by = $1, locked_at = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM job_queue WHERE run_on <= $3 \
           AND (state = 'queued' OR (state = 'running' AND locked_at < $4)) \
           ORDER BY run_on, id LIMIT $5{lock}) \
         RETURNING id, kind, subject, run_on"
    );
    let mut jobs: Vec<Job> = with_pool!(db, |p| sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(instance)
    .bind(now)
    .bind(format_date(on))
    .bind(now - STALE_SECS)
    .bind(limit)
    .fetch_all(p)
    .await)?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Marks a job done in the transaction of its effect; false (and the caller rolls back) when
/// the instance no longer holds it.
async fn finish_tx(
    tx: &mut Tx,
    job: &Job,
    instance: &str,
    result: &str,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE job_queue SET state = 'done', done_at = $1, result = $2 \
        WHERE id = $3 AND locked_by = $4 AND state = 'running'";
    let n = with_tx!(tx, |c| sqlx::query(SQL)
        .bind(now_secs())
        .bind(result)
        .bind(job.id)
        .bind(instance)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

async fn fail(db: &Db, job: &Job, instance: &str, why: &str) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE job_queue SET state = 'failed', done_at = $1, result = $2 \
        WHERE id = $3 AND locked_by = $4";
    with_pool!(db, |p| sqlx::query(SQL)
        .bind(now_secs())
        .bind(why)
        .bind(job.id)
        .bind(instance)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// What one pass over the queue did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorkReport {
    pub done: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// Runs every job due on `on`, in batches, until none is left for this instance.
pub async fn work(db: &Db, instance: &str, on: Date) -> Result<WorkReport, StoreError> {
    let mut report = WorkReport::default();
    loop {
        let jobs = claim(db, instance, on, 50).await?;
        if jobs.is_empty() {
            return Ok(report);
        }
        for job in jobs {
            match run_one(db, &job, instance, on).await {
                Ok(Some(delivered)) => {
                    report.done += 1;
                    report.delivered += delivered;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed");
                    fail(db, &job, instance, &e.to_string()).await?;
                    report.failed += 1;
                }
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct HazardFacts {
    enterprise_id: i64,
    region_code: String,
    name: String,
    level: String,
    state: String,
    description: String,
    due: String,
}

/// Runs a claimed job: Some(notifications delivered) when done, None when another instance
/// holds it now.
async fn run_one(
    db: &Db,
    job: &Job,
    instance: &str,
    on: Date,
) -> Result<Option<usize>, StoreError> {
    let mut out = Vec::new();
    let result;
    match job.kind.as_str() {
        HAZARD_DUE_SOON | HAZARD_OVERDUE => {
            let id: i64 = job
                .subject
                .strip_prefix("hazard:")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::Invalid(format!("任务对象“{}”无效", job.subject)))?;
            const SQL: &str = "SELECT h.enterprise_id, h.region_code, e.name, h.level, h.state, h.description, \
                COALESCE(h.plan_deadline, h.deadline) AS due FROM hazard h JOIN enterprise e ON e.id = h.enterprise_id \
                WHERE h.id = $1";
            let h: HazardFacts = with_pool!(db, |p| sqlx::query_as::<_, HazardFacts>(SQL)
                .bind(id)
                .fetch_optional(p)
                .await)?
            .ok_or(StoreError::NotFound)?;
            let due =
                parse_date(&h.due).ok_or_else(|| StoreError::Invalid("隐患整改期限无效".into()))?;
            let state = crate::rows::code("hazard", id, "state", &h.state, State::parse)?;
            let level = crate::rows::code("hazard", id, "level", &h.level, hazard::Level::parse)?;
            let run_on = parse_date(&job.run_on).unwrap_or(on);
            let for_deadline = match job.kind.as_str() {
                HAZARD_DUE_SOON => run_on + Duration::days(REMIND_DAYS),
                _ => run_on - Duration::days(1),
            };
            if for_deadline != due {
                result = format!("整改期限已改为 {}，本次不再提醒", h.due);
            } else if !matches!(state, State::Open | State::Planned) {
                result = format!("隐患已{}，无需提醒", state.label(level));
            } else {
                let (title, audiences, kind) = if job.kind == HAZARD_DUE_SOON {
                    (
                        format!("{}整改期限将至（{}）", level.label(), h.due),
                        vec![Audience::Enterprise],
                        HAZARD_DUE_SOON,
                    )
                } else {
                    (
                        format!("{}逾期未整改（期限 {}）", level.label(), h.due),
                        vec![Audience::Enterprise, Audience::Officer],
                        HAZARD_OVERDUE,
                    )
                };
                for a in audiences {
                    out.push(NewNotification {
                        kind,
                        subject: job.subject.clone(),
                        period: h.due.clone(),
                        audience: a,
                        enterprise_id: h.enterprise_id,
                        region_code: h.region_code.clone(),
                        title: title.clone(),
                        body: format!("“{}”：{}", h.name, h.description),
                        link: format!("/hazards/{id}"),
                        rule: Some("总局令第16号 第十五条：隐患按期整改；逾期上报监管部门".into()),
                        due_on: Some(h.due.clone()),
                    });
                }
                result = format!("已通知 {} 方", out.len());
            }
        }
        OBLIGATION_GAP_DUE_SOON | OBLIGATION_GAP_OVERDUE => {
            let id: i64 = job
                .subject
                .strip_prefix("obligation:")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::Invalid(format!("任务对象“{}”无效", job.subject)))?;
            let g = crate::obligations::gap_facts(db, id).await?;
            let run_on = parse_date(&job.run_on).unwrap_or(on);
            let for_day = if job.kind == OBLIGATION_GAP_DUE_SOON {
                run_on + Duration::days(REMIND_DAYS)
            } else {
                run_on - Duration::days(1)
            };
            if g.state != "gap" {
                result = "问题已整改，无需提醒".to_string();
            } else if g.rectify_by.as_deref() != Some(format_date(for_day).as_str()) {
                result = "整改期限已变更，本次不再提醒".to_string();
            } else {
                let by = g.rectify_by.clone().unwrap_or_default();
                let (title, audiences, kind) = if job.kind == OBLIGATION_GAP_DUE_SOON {
                    (
                        format!("监管清单自查问题整改期限将至（{by}）"),
                        vec![Audience::Enterprise],
                        OBLIGATION_GAP_DUE_SOON,
                    )
                } else {
                    (
                        format!("监管清单自查问题逾期未整改（期限 {by}）"),
                        vec![Audience::Enterprise, Audience::Officer],
                        OBLIGATION_GAP_OVERDUE,
                    )
                };
                for a in audiences {
                    out.push(NewNotification {
                        kind,
                        subject: job.subject.clone(),
                        period: by.clone(),
                        audience: a,
                        enterprise_id: g.enterprise_id,
                        region_code: g.region_code.clone(),
                        title: title.clone(),
                        body: format!("“{}”：{}", g.name, g.note),
                        link: format!("/enterprises/{}/obligations", g.enterprise_id),
                        rule: Some(g.rule.clone()),
                        due_on: Some(by.clone()),
                    });
                }
                result = format!("已通知 {} 方", out.len());
            }
        }
        other => {
            return Err(StoreError::Invalid(format!("未知的任务类型“{other}”")));
        }
    }
    let mut tx = db.begin().await?;
    let mut delivered = 0;
    for n in &out {
        if notify::deliver_tx(&mut tx, n).await? {
            delivered += 1;
        }
    }
    if !finish_tx(&mut tx, job, instance, &result).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(delivered))
}

/// Jobs by state, for the operator: (state, count).
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    const SQL: &str =
        "SELECT state, CAST(COUNT(*) AS BIGINT) FROM job_queue GROUP BY state ORDER BY state";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, (String, i64)>(SQL)
        .fetch_all(p)
        .await)?)
}

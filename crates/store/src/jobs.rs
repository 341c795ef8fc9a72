//! Background jobs. The daily certificate job records expiries (an audited event; a
//! certificate's status itself is derived from its dates, so an as-of query stays right) and
//! delivers the reminders the rules make due: renewal open, annual self-assessment coming due
//! or missing.
//!
//! A job runs once per business day whatever the number of instances: an instance claims the
//! day by inserting its `job_run` row; a run that started over an hour ago and never finished
//! can be taken over. Every step is idempotent on its own too (a conditional update, a
//! notification unique per kind, subject, period and audience), so a taken-over or repeated run
//! delivers nothing twice.

use std::collections::{HashMap, HashSet};

use anbiao_domain::certificate::annual_years_due;
use anbiao_domain::date::{add_months, format_date, parse_date};
use anbiao_domain::rules::GradingRules;
use serde::Serialize;
use time::{Date, Duration};

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::notify::{self, Audience, NewNotification};
use crate::{Db, StoreError, with_pool, with_tx};

/// The daily certificate job.
pub const DAILY_CERTIFICATES: &str = "certificates.daily";
/// Days before an annual self-assessment falls due that the enterprise is reminded.
pub const REMINDER_LEAD_DAYS: i64 = 30;
/// Expiries older than this on the first run are recorded without a notice (nobody needs
/// to be told today about a certificate that ran out years ago).
pub const EXPIRY_NOTICE_DAYS: i64 = 30;
/// A claimed run that has not finished after this long is taken over.
const STALE_SECS: i64 = 3600;
/// GB/T 33000-2016 5.8.1: the self-assessment is repeated at least once a year.
const ANNUAL_RULE: &str = "GB/T 33000-2016 5.8.1";

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct DailyReport {
    /// False when another run had the day already.
    pub ran: bool,
    pub expired: usize,
    pub renewal_open: usize,
    pub annual_upcoming: usize,
    pub annual_missing: usize,
    /// Enterprises whose programme standing was recomputed.
    pub standing: u64,
}

impl DailyReport {
    pub fn summary(&self) -> String {
        if !self.ran {
            return "当日任务已由其他实例执行".into();
        }
        format!(
            "记录证书期满 {} 张；复评提醒 {} 条；年度自评到期提醒 {} 条；年度自评缺失提醒 {} 条；更新 {} 家企业的样板地区统计",
            self.expired,
            self.renewal_open,
            self.annual_upcoming,
            self.annual_missing,
            self.standing
        )
    }
}

/// Runs the daily certificate job for business day `on`, unless it ran already.
pub async fn run_daily(
    db: &Db,
    rules: &GradingRules,
    on: Date,
    instance: &str,
) -> Result<DailyReport, StoreError> {
    if !claim(db, DAILY_CERTIFICATES, on, instance).await? {
        return Ok(DailyReport::default());
    }
    let mut report = DailyReport {
        ran: true,
        expired: record_expiries(db, on).await?,
        ..Default::default()
    };
    remind(db, rules, on, &mut report).await?;
    report.standing = crate::standing::refresh(db).await?;
    const DONE: &str =
        "UPDATE job_run SET finished_at = $1, summary = $2 WHERE job = $3 AND day = $4";
    with_pool!(db, |p| sqlx::query(DONE)
        .bind(now_secs())
        .bind(report.summary())
        .bind(DAILY_CERTIFICATES)
        .bind(format_date(on))
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(report)
}

/// The daily job of risk-point checks.
pub const DAILY_RISK_CHECKS: &str = "risk_checks.daily";

/// Runs the daily job of risk-point checks for business day `on`, unless it ran already: the
/// check tasks fallen overdue are marked, counted and escalated (the officers are told of those
/// at a level in `escalate`). None when another run had the day.
pub async fn run_risk_checks(
    db: &Db,
    escalate: &[String],
    on: Date,
    instance: &str,
) -> Result<Option<crate::risk_checks::OverdueReport>, StoreError> {
    if !claim(db, DAILY_RISK_CHECKS, on, instance).await? {
        return Ok(None);
    }
    let report = crate::risk_checks::mark_overdue(db, on, escalate).await?;
    const DONE: &str =
        "UPDATE job_run SET finished_at = $1, summary = $2 WHERE job = $3 AND day = $4";
    let summary = format!(
        "风险点隐患排查逾期 {} 处（{} 家企业），发出提醒 {} 条",
        report.points, report.enterprises, report.notices
    );
    with_pool!(db, |p| sqlx::query(DONE)
        .bind(now_secs())
        .bind(&summary)
        .bind(DAILY_RISK_CHECKS)
        .bind(format_date(on))
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(Some(report))
}

/// A recorded run.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct JobRun {
    pub job: String,
    pub day: String,
    pub instance: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub summary: Option<String>,
}

/// The latest runs, newest first.
pub async fn recent_runs(db: &Db, limit: i64) -> Result<Vec<JobRun>, StoreError> {
    const SQL: &str = "SELECT job, day, instance, started_at, finished_at, summary FROM job_run \
        ORDER BY day DESC, job LIMIT $1";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, JobRun>(SQL)
        .bind(limit)
        .fetch_all(p)
        .await)?)
}

/// Takes `job` for `day`: true if this instance should run it.
/// Claims `job` for business day `day` for this instance: false when another run has it.
pub async fn claim_day(db: &Db, job: &str, day: Date, instance: &str) -> Result<bool, StoreError> {
    claim(db, job, day, instance).await
}

/// The latest business day before `day` whose run of `job` finished: the reminders of the
/// days between it and `day` are caught up.
pub async fn finished_before(db: &Db, job: &str, day: Date) -> Result<Option<Date>, StoreError> {
    const SQL: &str = "SELECT MAX(day) FROM job_run WHERE job = $1 AND day < $2 \
        AND finished_at IS NOT NULL";
    let last: Option<String> = with_pool!(db, |p| sqlx::query_scalar::<_, Option<String>>(SQL)
        .bind(job)
        .bind(format_date(day))
        .fetch_one(p)
        .await)?;
    Ok(last.as_deref().and_then(parse_date))
}

/// Records that `job` finished its run of `day`, with its summary in words.
pub async fn finish_day(db: &Db, job: &str, day: Date, summary: &str) -> Result<(), StoreError> {
    const DONE: &str =
        "UPDATE job_run SET finished_at = $1, summary = $2 WHERE job = $3 AND day = $4";
    with_pool!(db, |p| sqlx::query(DONE)
        .bind(now_secs())
        .bind(summary)
        .bind(job)
        .bind(format_date(day))
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

async fn claim(db: &Db, job: &str, day: Date, instance: &str) -> Result<bool, StoreError> {
    let now = now_secs();
    const NEW: &str = "INSERT INTO job_run (job, day, instance, started_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (job, day) DO NOTHING";
    let inserted = with_pool!(db, |p| sqlx::query(NEW)
        .bind(job)
        .bind(format_date(day))
        .bind(instance)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    if inserted == 1 {
        return Ok(true);
    }
    const TAKE_OVER: &str = "UPDATE job_run SET instance = $1, started_at = $2 \
        WHERE job = $3 AND day = $4 AND finished_at IS NULL AND started_at < $5";
    let taken = with_pool!(db, |p| sqlx::query(TAKE_OVER)
        .bind(instance)
        .bind(now)
        .bind(job)
        .bind(format_date(day))
        .bind(now - STALE_SECS)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(taken == 1)
}

#[derive(Debug, sqlx::FromRow)]
struct Live {
    id: i64,
    number: String,
    enterprise_id: i64,
    name: String,
    region_code: String,
    valid_from: String,
    valid_until: String,
    rule: String,
}

const LIVE_COLUMNS: &str = "c.id, c.number, c.enterprise_id, e.name, c.region_code, c.valid_from, \
    c.valid_until, c.rule FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id";

fn both(
    kind: &'static str,
    c: &Live,
    period: String,
    title: &str,
    body: String,
    rule: Option<String>,
    due_on: Option<Date>,
) -> [NewNotification; 2] {
    let n = |audience| NewNotification {
        kind,
        subject: format!("certificate:{}", c.id),
        period: period.clone(),
        audience,
        enterprise_id: c.enterprise_id,
        region_code: c.region_code.clone(),
        title: title.into(),
        body: body.clone(),
        link: format!("/enterprises/{}/standing", c.enterprise_id),
        rule: rule.clone(),
        due_on: due_on.map(format_date),
    };
    [n(Audience::Enterprise), n(Audience::Officer)]
}

/// Records each certificate that ran out before `on` and has not been recorded: an audit
/// entry, and a notice to the enterprise and its officers if it ran out recently.
async fn record_expiries(db: &Db, on: Date) -> Result<usize, StoreError> {
    let sql = format!(
        "SELECT {LIVE_COLUMNS} WHERE c.valid_until < $1 AND c.revoked_on IS NULL \
         AND c.superseded_on IS NULL AND c.expiry_recorded_at IS NULL ORDER BY c.id"
    );
    let due: Vec<Live> = with_pool!(db, |p| sqlx::query_as::<_, Live>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(format_date(on))
    .fetch_all(p)
    .await)?;
    let actor = Actor::new("系统任务", "job");
    let mut recorded = 0;
    for c in due {
        let mut tx = db.begin().await?;
        // A certificate no longer in force leaves the index of those missing a self-assessment.
        const MARK: &str = "UPDATE certificate SET expiry_recorded_at = $1, annual_open_due = NULL \
            WHERE id = $2 AND expiry_recorded_at IS NULL";
        let changed = with_tx!(&mut tx, |x| sqlx::query(MARK)
            .bind(now_secs())
            .bind(c.id)
            .execute(x)
            .await
            .map(|r| r.rows_affected()))?;
        if changed == 0 {
            continue; // another run recorded it
        }
        let until = parse_date(&c.valid_until).unwrap_or(on);
        let ev =
            Event::new("certificate.expire", format!("certificate:{}", c.number)).detail(format!(
                "证书 {} 有效期至 {}，已期满失效；依据 {}",
                c.number, c.valid_until, c.rule
            ));
        audit_log::append_tx(&mut tx, &actor, &ev).await?;
        if until + Duration::days(EXPIRY_NOTICE_DAYS) >= on {
            for n in both(
                "certificate.expired",
                &c,
                c.valid_until.clone(),
                "标准化证书已期满",
                format!(
                    "{}的标准化证书 {} 有效期至 {}，已期满失效。如需保持等级，请重新申请评审。",
                    c.name, c.number, c.valid_until
                ),
                Some(c.rule.clone()),
                Some(until),
            ) {
                notify::deliver_tx(&mut tx, &n).await?;
            }
        }
        tx.commit().await?;
        recorded += 1;
    }
    Ok(recorded)
}

/// Reminders for certificates valid on `on`: renewal open, annual self-assessment coming due
/// (to the enterprise) and missing (to both).
async fn remind(
    db: &Db,
    rules: &GradingRules,
    on: Date,
    report: &mut DailyReport,
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT {LIVE_COLUMNS} WHERE c.revoked_on IS NULL AND c.superseded_on IS NULL \
         AND c.valid_from <= $1 AND c.valid_until >= $2 ORDER BY c.id"
    );
    let live: Vec<Live> = with_pool!(db, |p| sqlx::query_as::<_, Live>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(format_date(on))
    .bind(format_date(on))
    .fetch_all(p)
    .await)?;
    const DONE: &str = "SELECT a.certificate_id, a.validity_year FROM annual_self_assessment a \
        JOIN certificate c ON c.id = a.certificate_id \
        WHERE c.revoked_on IS NULL AND c.superseded_on IS NULL AND c.valid_until >= $1";
    let done: HashSet<(i64, i64)> = with_pool!(db, |p| sqlx::query_as::<_, (i64, i64)>(DONE)
        .bind(format_date(on))
        .fetch_all(p)
        .await)?
    .into_iter()
    .collect();
    let mut tx = db.begin().await?;
    let mut sets = HashMap::new();
    for c in &live {
        let (Some(from), Some(until)) = (parse_date(&c.valid_from), parse_date(&c.valid_until))
        else {
            continue;
        };
        let set = match sets.get(&from) {
            Some(s) => *s,
            None => {
                let s = rules.in_force(from).ok();
                sets.insert(from, s);
                s
            }
        };
        if let Some(set) = set {
            let opens = set.renewal_opens(until);
            if on >= opens.value {
                for n in both(
                    "renewal.open",
                    c,
                    c.valid_until.clone(),
                    "证书复评申请期已开始",
                    format!(
                        "{}的标准化证书 {} 将于 {} 到期，自 {} 起可申请复评。",
                        c.name,
                        c.number,
                        c.valid_until,
                        format_date(opens.value)
                    ),
                    Some(opens.rule.to_string()),
                    Some(until),
                ) {
                    if notify::deliver_tx(&mut tx, &n).await? && n.audience == Audience::Enterprise
                    {
                        report.renewal_open += 1;
                    }
                }
            }
        }
        let due_on = |y: i64| add_months(from, 12 * y as i32).min(until);
        let due_now = annual_years_due(from, until, on);
        for y in due_now
            .iter()
            .copied()
            .filter(|y| !done.contains(&(c.id, *y)))
        {
            for n in both(
                "annual.missing",
                c,
                format!("year-{y}"),
                "年度自评未提交",
                format!(
                    "{}的标准化证书 {} 第{y}年度自评应于 {} 前提交，至今未提交。",
                    c.name,
                    c.number,
                    format_date(due_on(y))
                ),
                Some(ANNUAL_RULE.into()),
                Some(due_on(y)),
            ) {
                if notify::deliver_tx(&mut tx, &n).await? && n.audience == Audience::Enterprise {
                    report.annual_missing += 1;
                }
            }
        }
        let soon = annual_years_due(from, until, on + Duration::days(REMINDER_LEAD_DAYS));
        for y in soon
            .into_iter()
            .filter(|y| !due_now.contains(y) && !done.contains(&(c.id, *y)))
        {
            let [to_enterprise, _] = both(
                "annual.upcoming",
                c,
                format!("year-{y}"),
                "年度自评即将到期",
                format!(
                    "{}的标准化证书 {} 第{y}年度自评应于 {} 前提交，请按评分细则完成自评并在“证书与事故”页提交。",
                    c.name,
                    c.number,
                    format_date(due_on(y))
                ),
                Some(ANNUAL_RULE.into()),
                Some(due_on(y)),
            );
            if notify::deliver_tx(&mut tx, &to_enterprise).await? {
                report.annual_upcoming += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

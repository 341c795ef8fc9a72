//! Operation-quality audits (运行质量审计 / 回头看) of graded enterprises.

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use time::Date;

use crate::audit::{self, Actor, Event};
use crate::db::now_secs;
use crate::{Db, StoreError, enterprise, with_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 审计结果好: renewal without re-evaluation, or a recommendation to upgrade.
    Good,
    /// 存在问题: 整改提升 with a deadline and a re-check.
    Deficient,
    /// Failing: revocation through the grading life cycle.
    Failing,
}

impl Outcome {
    pub fn key(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Deficient => "deficient",
            Self::Failing => "failing",
        }
    }
}

/// 提升 / 整改 / 淘汰 (seed 六（四）2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Upgrade,
    Rectify,
    Eliminate,
}

impl Class {
    pub fn key(self) -> &'static str {
        match self {
            Self::Upgrade => "upgrade",
            Self::Rectify => "rectify",
            Self::Eliminate => "eliminate",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub enterprise_id: i64,
    pub certificate_id: Option<i64>,
    /// `three` or `small_micro`.
    pub grade: &'a str,
    pub performed_on: Date,
    /// Tenths of a percent.
    pub score: Option<i64>,
    pub outcome: Outcome,
    pub class: Option<Class>,
    pub findings: &'a str,
    pub rectify_by: Option<Date>,
}

/// Records an audit of an enterprise within the scope.
pub async fn record(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    a: &NewAudit<'_>,
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, a.enterprise_id).await?;
    if !matches!(a.grade, "three" | "small_micro") {
        return Err(StoreError::Invalid("审计对象应为三级或小微达标企业".into()));
    }
    if a.outcome == Outcome::Deficient && a.rectify_by.is_none() {
        return Err(StoreError::Invalid("存在问题的企业须规定整改期限".into()));
    }
    if a.findings.trim().is_empty() {
        return Err(StoreError::Invalid("请填写审计发现".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO quality_audit (enterprise_id, certificate_id, grade, performed_on, score, \
        outcome, classification, findings, rectify_by, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(a.enterprise_id)
        .bind(a.certificate_id)
        .bind(a.grade)
        .bind(format_date(a.performed_on))
        .bind(a.score)
        .bind(a.outcome.key())
        .bind(a.class.map(Class::key))
        .bind(a.findings.trim())
        .bind(a.rectify_by.map(format_date))
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    let ev = Event::new(
        "quality_audit.record",
        format!("enterprise:{}", a.enterprise_id),
    )
    .detail(format!(
        "“{}”运行质量审计（{}）：{}",
        e.name,
        format_date(a.performed_on),
        a.outcome.key()
    ));
    audit::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// The enterprises of `unit` a plan may draw on `on`: operating, holding a valid 三级 or
/// 小微达标 certificate.
pub async fn candidates(
    db: &Db,
    unit: &str,
    on: Date,
) -> Result<Vec<anbiao_domain::sampling::Candidate>, StoreError> {
    let d = format_date(on);
    const SQL: &str = "SELECT DISTINCT e.id, e.industry_code FROM enterprise e \
        JOIN region r ON r.code = e.region_code JOIN certificate c ON c.enterprise_id = e.id \
        WHERE r.unit = $1 AND e.active_from <= $2 AND (e.closed_on IS NULL OR e.closed_on > $3) \
        AND c.grade IN ('three', 'small_micro') AND c.valid_from <= $4 AND c.valid_until >= $5 \
        AND (c.revoked_on IS NULL OR c.revoked_on > $6) AND (c.superseded_on IS NULL OR c.superseded_on > $7) \
        ORDER BY e.id";
    let rows: Vec<(i64, String)> = crate::with_pool!(db, |p| sqlx::query_as(SQL)
        .bind(unit)
        .bind(&d)
        .bind(&d)
        .bind(&d)
        .bind(&d)
        .bind(&d)
        .bind(&d)
        .fetch_all(p)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, industry)| anbiao_domain::sampling::Candidate { id, industry })
        .collect())
}

/// A unit's plan for a year.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Plan {
    pub id: i64,
    pub unit: String,
    pub year: i64,
    pub seed: String,
    pub rate_tenths: i64,
    pub population: i64,
    pub drawn_on: String,
    pub created_by: String,
}

/// One drawn enterprise, and its latest audit in the plan's year, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanItem {
    pub enterprise_id: i64,
    pub name: String,
    pub industry: String,
    pub audited_on: Option<String>,
    pub outcome: Option<String>,
    pub classification: Option<String>,
}

/// Draws and stores a unit's plan for `year` on `on`: refused if the year has one already.
pub async fn create_plan(
    db: &Db,
    actor: &Actor,
    unit: &str,
    year: i32,
    rate: f64,
    seed: u64,
    on: Date,
) -> Result<i64, StoreError> {
    let pool = candidates(db, unit, on).await?;
    let (drawn, alloc) = anbiao_domain::sampling::draw(&pool, rate, seed);
    let industry: std::collections::HashMap<i64, &str> =
        pool.iter().map(|c| (c.id, c.industry.as_str())).collect();
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO audit_plan (unit, year, seed, rate_tenths, population, drawn_on, created_by, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    let res = with_tx!(&mut tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(unit)
        .bind(i64::from(year))
        .bind(seed.to_string())
        .bind((rate * 10.0).round() as i64)
        .bind(pool.len() as i64)
        .bind(format_date(on))
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await);
    let id = match res {
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "{unit}{year}年度的抽查计划已生成，不能重抽"
            )));
        }
        other => other?,
    };
    const ITEM: &str =
        "INSERT INTO audit_plan_item (plan_id, enterprise_id, industry) VALUES ($1, $2, $3)";
    for e in &drawn {
        with_tx!(&mut tx, |c| sqlx::query(ITEM)
            .bind(id)
            .bind(*e)
            .bind(industry.get(e).copied().unwrap_or(""))
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = Event::new("audit_plan.draw", format!("audit_plan:{id}")).detail(format!(
        "{unit}{year}年度运行质量审计抽查：{} 家中抽取 {} 家（不少于 {rate}%），随机种子 {seed}；按行业：{}",
        pool.len(),
        drawn.len(),
        alloc
            .iter()
            .map(|(h, have, take)| format!("{h} {take}/{have}"))
            .collect::<Vec<_>>()
            .join("、")
    ));
    audit::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn plan(
    db: &Db,
    unit: &str,
    year: i32,
) -> Result<Option<(Plan, Vec<PlanItem>)>, StoreError> {
    const SQL: &str = "SELECT id, unit, year, seed, rate_tenths, population, drawn_on, created_by \
        FROM audit_plan WHERE unit = $1 AND year = $2";
    let Some(p) = crate::with_pool!(db, |c| sqlx::query_as::<_, Plan>(SQL)
        .bind(unit)
        .bind(i64::from(year))
        .fetch_optional(c)
        .await)?
    else {
        return Ok(None);
    };
    let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    const ITEMS: &str = "SELECT i.enterprise_id, e.name, i.industry, \
        (SELECT MAX(q.performed_on) FROM quality_audit q WHERE q.enterprise_id = i.enterprise_id AND q.performed_on >= $1 AND q.performed_on <= $2) AS audited_on, \
        (SELECT q.outcome FROM quality_audit q WHERE q.enterprise_id = i.enterprise_id AND q.performed_on >= $3 AND q.performed_on <= $4 ORDER BY q.performed_on DESC, q.id DESC LIMIT 1) AS outcome, \
        (SELECT q.classification FROM quality_audit q WHERE q.enterprise_id = i.enterprise_id AND q.performed_on >= $5 AND q.performed_on <= $6 ORDER BY q.performed_on DESC, q.id DESC LIMIT 1) AS classification \
        FROM audit_plan_item i JOIN enterprise e ON e.id = i.enterprise_id WHERE i.plan_id = $7 ORDER BY i.industry, e.name";
    let items = crate::with_pool!(db, |c| sqlx::query_as::<_, PlanItem>(ITEMS)
        .bind(&from)
        .bind(&to)
        .bind(&from)
        .bind(&to)
        .bind(&from)
        .bind(&to)
        .bind(p.id)
        .fetch_all(c)
        .await)?;
    Ok(Some((p, items)))
}

/// Enterprises in 整改提升 (audit classed rectify or eliminate) from `since`, for the portal:
/// (name, region code, audit day, rectify by, class).
pub async fn rectification_list(
    db: &Db,
    since: Date,
) -> Result<Vec<(String, String, String, Option<String>, String)>, StoreError> {
    const SQL: &str = "SELECT e.name, e.region_code, q.performed_on, q.rectify_by, q.classification \
        FROM quality_audit q JOIN enterprise e ON e.id = q.enterprise_id \
        WHERE q.classification IN ('rectify', 'eliminate') AND q.performed_on >= $1 \
        ORDER BY q.performed_on DESC, e.name LIMIT 2000";
    Ok(crate::with_pool!(db, |c| sqlx::query_as(SQL)
        .bind(format_date(since))
        .fetch_all(c)
        .await)?)
}

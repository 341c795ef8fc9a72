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

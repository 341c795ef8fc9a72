//! Operation-quality audits (运行质量审计 / 回头看) of graded enterprises.

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use time::Date;

use crate::audit_log::{self, Actor, Event};
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

/// A finding on one element of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Conform,
    Partial,
    Nonconform,
    NotApplicable,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Self::Conform,
        Self::Partial,
        Self::Nonconform,
        Self::NotApplicable,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Conform => "conform",
            Self::Partial => "partial",
            Self::Nonconform => "nonconform",
            Self::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Conform => "符合",
            Self::Partial => "部分符合",
            Self::Nonconform => "不符合",
            Self::NotApplicable => "不适用",
        }
    }
}

/// One line of an audit's checklist: an element of the standard's tree.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChecklistItem {
    pub element: String,
    pub title: String,
    pub verdict: String,
    pub note: String,
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
    /// The element tree the checklist follows (id, version) and the checklist.
    pub tree: Option<(&'a str, i64)>,
    pub checklist: &'a [ChecklistItem],
    /// The programme rule attached to the outcome (`nantong.2018#六（三）3`).
    pub rule: Option<&'a str>,
    /// Revoke the certificate the audit found failing (the rule says so).
    pub revoke: bool,
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
    if let Some(by) = a.rectify_by
        && by <= a.performed_on
    {
        return Err(StoreError::Invalid("整改期限应晚于审计日期".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for i in a.checklist {
        if !seen.insert(i.element.as_str()) {
            return Err(StoreError::Invalid(format!(
                "审计清单中要素 {} 重复",
                i.element
            )));
        }
        if Verdict::parse(&i.verdict).is_none() {
            return Err(StoreError::Invalid(format!(
                "要素 {} 的结论无效",
                i.element
            )));
        }
    }
    if a.checklist.iter().any(|i| i.verdict == "nonconform") && a.outcome == Outcome::Good {
        return Err(StoreError::Invalid(
            "清单中有不符合的要素，审计结论不能为良好".into(),
        ));
    }
    let held = if a.revoke {
        Some(held_on(db, scope, a.enterprise_id, a.grade, a.performed_on).await?)
    } else {
        None
    };
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO quality_audit (enterprise_id, certificate_id, grade, performed_on, score, \
        outcome, classification, findings, rectify_by, recorded_by, recorded_at, sheet_id, sheet_version, rule) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id";
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
        .bind(a.tree.map(|t| t.0))
        .bind(a.tree.map(|t| t.1))
        .bind(a.rule)
        .fetch_one(c)
        .await)?;
    const ITEM: &str = "INSERT INTO quality_audit_item (audit_id, element, title, verdict, note) \
        VALUES ($1, $2, $3, $4, $5)";
    for i in a.checklist {
        with_tx!(&mut tx, |c| sqlx::query(ITEM)
            .bind(id)
            .bind(&i.element)
            .bind(&i.title)
            .bind(&i.verdict)
            .bind(i.note.trim())
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    if let Some(cert) = &held {
        crate::certificate::revoke_in_tx(
            &mut tx,
            actor,
            cert,
            a.performed_on,
            &format!("运行质量审计不合格：{}", a.findings.trim()),
            a.rule,
        )
        .await?;
    }
    let ev = Event::new(
        "quality_audit.record",
        format!("enterprise:{}", a.enterprise_id),
    )
    .detail(format!(
        "“{}”运行质量审计（{}）：{}{}",
        e.name,
        format_date(a.performed_on),
        a.outcome.key(),
        a.rule.map(|r| format!("；依据 {r}")).unwrap_or_default()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// The 三级 or 小微达标 certificate (`grade`) the enterprise held on `on`.
async fn held_on(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
    grade: &str,
    on: Date,
) -> Result<crate::certificate::Certificate, StoreError> {
    crate::certificate::of_enterprise(db, scope, enterprise_id)
        .await?
        .into_iter()
        .find(|c| {
            c.grade == grade
                && c.status_on(on) == anbiao_domain::certificate::CertificateStatus::Valid
        })
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "该企业在 {} 没有有效的审计对象证书",
                format_date(on)
            ))
        })
}

/// A recorded audit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Audit {
    pub id: i64,
    pub enterprise_id: i64,
    pub grade: String,
    pub performed_on: String,
    pub score: Option<i64>,
    pub outcome: String,
    pub classification: Option<String>,
    pub findings: String,
    pub rectify_by: Option<String>,
    pub recheck_on: Option<String>,
    pub recheck_passed: Option<bool>,
    pub recheck_note: Option<String>,
    pub recheck_rule: Option<String>,
    pub sheet_id: Option<String>,
    pub sheet_version: Option<i64>,
    pub rule: Option<String>,
    pub renewed_certificate_id: Option<i64>,
    pub recorded_by: String,
}

/// An audit within the scope, with its checklist.
pub async fn get(
    db: &Db,
    scope: &Scope,
    id: i64,
) -> Result<(Audit, Vec<ChecklistItem>), StoreError> {
    const SQL: &str = "SELECT id, enterprise_id, grade, performed_on, score, outcome, classification, \
        findings, rectify_by, recheck_on, recheck_passed, recheck_note, recheck_rule, sheet_id, \
        sheet_version, rule, renewed_certificate_id, recorded_by FROM quality_audit WHERE id = $1";
    let a: Audit = crate::with_pool!(db, |p| sqlx::query_as::<_, Audit>(SQL)
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(StoreError::NotFound)?;
    // Out of scope reads as not found.
    enterprise::get(db, scope, a.enterprise_id).await?;
    const ITEMS: &str = "SELECT element, title, verdict, note FROM quality_audit_item \
        WHERE audit_id = $1 ORDER BY element";
    let items = crate::with_pool!(db, |p| sqlx::query_as::<_, ChecklistItem>(ITEMS)
        .bind(id)
        .fetch_all(p)
        .await)?;
    Ok((a, items))
}

/// The audits of an enterprise, newest first.
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<Audit>, StoreError> {
    enterprise::get(db, scope, enterprise_id).await?;
    const SQL: &str = "SELECT id, enterprise_id, grade, performed_on, score, outcome, classification, \
        findings, rectify_by, recheck_on, recheck_passed, recheck_note, recheck_rule, sheet_id, \
        sheet_version, rule, renewed_certificate_id, recorded_by FROM quality_audit \
        WHERE enterprise_id = $1 ORDER BY performed_on DESC, id DESC";
    Ok(crate::with_pool!(db, |p| sqlx::query_as::<_, Audit>(SQL)
        .bind(enterprise_id)
        .fetch_all(p)
        .await)?)
}

/// The re-check of a deficient audit after its rectification deadline.
#[derive(Debug, Clone)]
pub struct Recheck<'a> {
    pub audit_id: i64,
    pub on: Date,
    pub passed: bool,
    pub note: &'a str,
    /// The rule attached to a failed re-check, and whether it revokes.
    pub rule: Option<&'a str>,
    pub revoke: bool,
}

/// Records a re-check; a failed one revokes the certificate when the rule says so, in the same
/// transaction, and classes the enterprise 淘汰. Returns the revoked certificate's id.
pub async fn recheck(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    r: &Recheck<'_>,
) -> Result<Option<i64>, StoreError> {
    let (a, _) = get(db, scope, r.audit_id).await?;
    if a.outcome != Outcome::Deficient.key() {
        return Err(StoreError::Invalid(
            "只有结论为存在问题的审计需要整改复查".into(),
        ));
    }
    if a.recheck_on.is_some() {
        return Err(StoreError::Conflict("该审计已完成整改复查".into()));
    }
    let performed = anbiao_domain::date::parse_date(&a.performed_on).unwrap_or(r.on);
    if r.on <= performed {
        return Err(StoreError::Invalid("复查日期应晚于审计日期".into()));
    }
    if r.note.trim().is_empty() {
        return Err(StoreError::Invalid("请填写复查情况".into()));
    }
    let held = if !r.passed && r.revoke {
        Some(held_on(db, scope, a.enterprise_id, &a.grade, r.on).await?)
    } else {
        None
    };
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE quality_audit SET recheck_on = $1, recheck_passed = $2, recheck_note = $3, \
        recheck_rule = $4, classification = CASE WHEN $5 THEN 'eliminate' ELSE classification END \
        WHERE id = $6 AND recheck_on IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(r.on))
        .bind(r.passed)
        .bind(r.note.trim())
        .bind(r.rule)
        .bind(!r.passed)
        .bind(a.id)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict("该审计已完成整改复查".into()));
    }
    if let Some(cert) = &held {
        crate::certificate::revoke_in_tx(
            &mut tx,
            actor,
            cert,
            r.on,
            &format!("整改复查仍达不到要求：{}", r.note.trim()),
            r.rule,
        )
        .await?;
    }
    let ev = Event::new(
        "quality_audit.recheck",
        format!("enterprise:{}", a.enterprise_id),
    )
    .detail(format!(
        "运行质量审计 #{} 整改复查（{}）：{}{}",
        a.id,
        format_date(r.on),
        if r.passed { "通过" } else { "未通过" },
        r.rule.map(|x| format!("；依据 {x}")).unwrap_or_default()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(held.map(|c| c.id))
}

/// Renewal without re-evaluation after a good audit (免于复审直接换证).
#[derive(Debug, Clone)]
pub struct Renewal<'a> {
    pub audit_id: i64,
    pub on: Date,
    /// The programme rule that allows it.
    pub rule: &'a str,
    pub rules: &'a anbiao_domain::rules::GradingRules,
}

/// Issues the new certificate, superseding the one audited, and links it to the audit.
/// Refused unless the audit was good, fell within the current certificate's validity, and its
/// renewal window is open. Returns (id, number).
pub async fn renew(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    r: &Renewal<'_>,
) -> Result<(i64, String), StoreError> {
    let (a, _) = get(db, scope, r.audit_id).await?;
    if a.outcome != Outcome::Good.key() {
        return Err(StoreError::Invalid(
            "只有审计结果良好的企业可免于复审直接换证".into(),
        ));
    }
    if a.renewed_certificate_id.is_some() {
        return Err(StoreError::Conflict("已依据该审计换发证书".into()));
    }
    let old = held_on(db, scope, a.enterprise_id, &a.grade, r.on).await?;
    if a.performed_on < old.valid_from {
        return Err(StoreError::Invalid(
            "该审计早于现有证书的有效期，不能作为换证依据".into(),
        ));
    }
    let until = anbiao_domain::date::parse_date(&old.valid_until).unwrap_or(r.on);
    let set = r
        .rules
        .in_force(r.on)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let opens = set.renewal_opens(until);
    if r.on < opens.value {
        return Err(StoreError::Invalid(format!(
            "证书 {} 尚未进入换证期（{} 起可换证）",
            old.number,
            format_date(opens.value)
        )));
    }
    let grade = old
        .grade()
        .ok_or_else(|| StoreError::Invalid("证书等级无效".into()))?;
    let valid = set.valid_until(r.on);
    let mut tx = db.begin().await?;
    let issued = crate::certificate::issue_in_tx(
        &mut tx,
        db,
        actor,
        &crate::certificate::NewCertificate {
            enterprise_id: a.enterprise_id,
            case_id: None,
            grade,
            industry: old.industry.clone(),
            issuer: old.issuer.clone(),
            external: false,
            issued_on: r.on,
            valid_until: valid.value,
            rule: format!("{}；{}", r.rule, valid.rule),
            region_abbr: '苏',
            number: None,
        },
    )
    .await?;
    const SQL: &str = "UPDATE quality_audit SET renewed_certificate_id = $1 WHERE id = $2 \
        AND renewed_certificate_id IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(issued.0)
        .bind(a.id)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict("已依据该审计换发证书".into()));
    }
    let ev = Event::new(
        "quality_audit.renew",
        format!("enterprise:{}", a.enterprise_id),
    )
    .detail(format!(
        "依据运行质量审计 #{}（{}，结果良好）免于复审换发证书 {}，替代 {}；依据 {}",
        a.id, a.performed_on, issued.1, old.number, r.rule
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(issued)
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
    /// The latest audit in the year.
    pub audit_id: Option<i64>,
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
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn plan(
    db: &Db,
    scope: &Scope,
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
    // The plan's enterprises in the reader's scope (a township officer: the township's).
    let mut b = crate::sql::SqlBuf::new(
        "SELECT i.enterprise_id, e.name, i.industry, q.performed_on AS audited_on, \
         q.id AS audit_id, q.outcome, q.classification \
         FROM audit_plan_item i JOIN enterprise e ON e.id = i.enterprise_id \
         LEFT JOIN quality_audit q ON q.id = (SELECT x.id FROM quality_audit x \
             WHERE x.enterprise_id = i.enterprise_id AND x.performed_on >= ",
    );
    b.bind(crate::sql::Arg::Text(from));
    b.push(" AND x.performed_on <= ");
    b.bind(crate::sql::Arg::Text(to));
    b.push(" ORDER BY x.performed_on DESC, x.id DESC LIMIT 1) WHERE i.plan_id = ");
    b.bind(crate::sql::Arg::Int(p.id));
    enterprise::push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY i.industry, e.name");
    let items = b.fetch_all::<PlanItem>(db).await?;
    Ok(Some((p, items)))
}

/// An enterprise in 整改提升, as the portal lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rectification {
    pub name: String,
    pub region_code: String,
    pub performed_on: String,
    pub rectify_by: Option<String>,
    /// `rectify` or `eliminate`.
    pub classification: String,
}

/// One page of the enterprises in 整改提升 (audit classed rectify or eliminate) from `since`,
/// for the portal, the newest audit first.
pub async fn rectification_list(
    db: &Db,
    since: Date,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Rectification>, StoreError> {
    let mut b = crate::sql::SqlBuf::new(
        "SELECT e.name, e.region_code, q.performed_on, q.rectify_by, q.classification \
         FROM quality_audit q JOIN enterprise e ON e.id = q.enterprise_id \
         WHERE q.classification IN ('rectify', 'eliminate') AND q.performed_on >= ",
    );
    b.bind(crate::sql::Arg::Text(format_date(since)));
    crate::paging::fetch(db, &b, "q.performed_on DESC, e.name, q.id", req).await
}

/// What the audits owe on `on` within the scope: the enterprises of `year`'s plans not yet
/// audited that year, and the deficient audits whose rectification period has ended without a
/// re-check. Both counted up to the cap of a list.
pub async fn due(
    db: &Db,
    scope: &Scope,
    year: i32,
    on: Date,
) -> Result<(crate::paging::Total, crate::paging::Total), StoreError> {
    let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let mut b = crate::sql::SqlBuf::new(
        "SELECT i.enterprise_id FROM audit_plan p JOIN audit_plan_item i ON i.plan_id = p.id \
         JOIN enterprise e ON e.id = i.enterprise_id WHERE p.year = ",
    );
    b.bind(crate::sql::Arg::Int(i64::from(year)));
    b.push(
        " AND NOT EXISTS (SELECT 1 FROM quality_audit x WHERE x.enterprise_id = i.enterprise_id \
         AND x.performed_on >= ",
    );
    b.bind(crate::sql::Arg::Text(from));
    b.push(" AND x.performed_on <= ");
    b.bind(crate::sql::Arg::Text(to));
    b.push(")");
    enterprise::push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let unaudited = crate::paging::count(db, &b).await?;

    let recheck = crate::paging::count(db, &recheck_due_select("SELECT q.id", scope, on)).await?;
    Ok((unaudited, recheck))
}

/// The deficient audits within the scope whose rectification deadline passed before `on`
/// without a re-check.
fn recheck_due_select(select: &str, scope: &Scope, on: Date) -> crate::sql::SqlBuf {
    let mut r = crate::sql::SqlBuf::new(&format!(
        "{select} FROM quality_audit q JOIN enterprise e ON e.id = q.enterprise_id \
         WHERE q.outcome = 'deficient' AND q.recheck_on IS NULL AND q.rectify_by IS NOT NULL \
         AND q.rectify_by < "
    ));
    r.bind(crate::sql::Arg::Text(format_date(on)));
    enterprise::push_scope(&mut r, scope, "e.id", "e.region_code", "e.township");
    r
}

/// An audit awaiting its re-check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecheckDue {
    pub audit_id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub performed_on: String,
    pub rectify_by: String,
}

/// One page of the audits counted by [`due`] as awaiting a re-check, the longest waiting first.
pub async fn recheck_due(
    db: &Db,
    scope: &Scope,
    on: Date,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<RecheckDue>, StoreError> {
    let select = recheck_due_select(
        "SELECT q.id AS audit_id, q.enterprise_id, e.name, q.performed_on, q.rectify_by",
        scope,
        on,
    );
    crate::paging::fetch(db, &select, "q.rectify_by, q.id", req).await
}

/// Whether `unit` has drawn its plan for `year`.
pub async fn has_plan(db: &Db, unit: &str, year: i32) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT id FROM audit_plan WHERE unit = $1 AND year = $2";
    let id: Option<i64> = crate::with_pool!(db, |c| sqlx::query_scalar(SQL)
        .bind(unit)
        .bind(i64::from(year))
        .fetch_optional(c)
        .await)?;
    Ok(id.is_some())
}

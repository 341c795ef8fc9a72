//! Certificates. The number is generated in the national format with the next sequence of its
//! (region, industry, level, year); a new certificate supersedes the enterprise's previous one;
//! revocation records the date, the reason and the rule. Status is derived from the dates.

use anbiao_domain::Scope;
use anbiao_domain::certificate::{CertificateNumber, CertificateStatus, status_on};
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::grade::Grade;
use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::session::random_token;
use crate::sql::{Arg, SqlBuf, like_escape};
use crate::{bind_args, enterprise, with_pool, with_tx};

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Certificate {
    pub id: i64,
    pub number: String,
    pub enterprise_id: i64,
    pub case_id: Option<i64>,
    pub region_code: String,
    pub grade: String,
    pub industry: String,
    pub issuer: String,
    pub external: bool,
    pub issued_on: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked_on: Option<String>,
    pub revoked_reason: Option<String>,
    pub superseded_on: Option<String>,
    pub superseded_by: Option<i64>,
    pub rule: String,
    pub verify_token: String,
    pub created_at: i64,
}

impl Certificate {
    pub fn status_on(&self, on: Date) -> CertificateStatus {
        let d = |s: &str| parse_date(s).unwrap_or(on);
        status_on(
            on,
            d(&self.valid_from),
            d(&self.valid_until),
            self.revoked_on.as_deref().and_then(parse_date),
            self.superseded_on.as_deref().and_then(parse_date),
        )
    }

    pub fn grade(&self) -> Option<Grade> {
        Grade::parse(&self.grade)
    }
}

const COLUMNS: &str = "id, number, enterprise_id, case_id, region_code, grade, industry, issuer, external, \
    issued_on, valid_from, valid_until, revoked_on, revoked_reason, superseded_on, superseded_by, rule, \
    verify_token, created_at";

/// A certificate to issue.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub enterprise_id: i64,
    pub case_id: Option<i64>,
    pub grade: Grade,
    pub industry: String,
    pub issuer: String,
    pub external: bool,
    pub issued_on: Date,
    pub valid_until: Date,
    /// The rule that set the validity (`set@version#validity`).
    pub rule: String,
    /// Region abbreviation of numbers for 二级/三级 (苏).
    pub region_abbr: char,
    /// A number given by the external authority; else one is generated. 小微达标 numbers are
    /// local: `<district code>XW<year><seq>`.
    pub number: Option<String>,
}

async fn next_number(tx: &mut crate::db::Tx, n: &NewCertificate) -> Result<String, StoreError> {
    let year = n.issued_on.year();
    let prefix = if n.grade == Grade::SmallMicro {
        format!("XW{}{year:04}", n.industry)
    } else {
        let region = (n.grade != Grade::One).then_some(n.region_abbr);
        let probe = CertificateNumber::new(region, &n.industry, n.grade, year, 1)
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .to_string();
        probe[..probe.len() - 5].to_string()
    };
    let mut b = SqlBuf::new("SELECT number FROM certificate WHERE number LIKE ");
    b.bind(Arg::Text(format!("{}%", like_escape(&prefix))));
    b.push(" ESCAPE '\\' ORDER BY number DESC LIMIT 1");
    let sql = b.render(tx.backend());
    let last: Option<String> = with_tx!(tx, |c| bind_args!(
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(c)
    .await)?;
    let seq = last
        .and_then(|l| l.get(prefix.len()..).and_then(|s| s.parse::<u32>().ok()))
        .unwrap_or(0)
        + 1;
    if seq > 99_999 {
        return Err(StoreError::Invalid("本年度证书顺序号已用尽".into()));
    }
    Ok(format!("{prefix}{seq:05}"))
}

/// Issues a certificate, superseding the enterprise's current one. Returns (id, number).
pub async fn issue(
    db: &Db,
    actor: &Actor,
    n: &NewCertificate,
) -> Result<(i64, String), StoreError> {
    let mut tx = db.begin().await?;
    let issued = issue_in_tx(&mut tx, db, actor, n).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Issues inside the caller's transaction (an announcement and its certificate commit together).
pub async fn issue_in_tx(
    tx: &mut crate::db::Tx,
    db: &Db,
    actor: &Actor,
    n: &NewCertificate,
) -> Result<(i64, String), StoreError> {
    let e = enterprise::get(db, &Scope::City, n.enterprise_id).await?;
    if let Some(num) = &n.number
        && n.grade != Grade::SmallMicro
    {
        CertificateNumber::parse(num).map_err(|e| StoreError::Invalid(e.to_string()))?;
    }
    let number = match &n.number {
        Some(num) => CertificateNumber::parse(num)
            .map(|x| x.to_string())
            .unwrap_or_else(|_| num.clone()),
        None => next_number(tx, n).await?,
    };
    let issued = format_date(n.issued_on);
    const PREV: &str = "SELECT id FROM certificate WHERE enterprise_id = $1 AND revoked_on IS NULL \
        AND superseded_on IS NULL AND valid_until >= $2";
    let previous: Vec<i64> = with_tx!(tx, |c| sqlx::query_scalar(PREV)
        .bind(n.enterprise_id)
        .bind(&issued)
        .fetch_all(c)
        .await)?;
    const SQL: &str = "INSERT INTO certificate (number, enterprise_id, case_id, region_code, grade, industry, issuer, \
        external, issued_on, valid_from, valid_until, rule, verify_token, created_at, annual_open_due) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14) RETURNING id";
    let token: String = random_token()?.chars().take(24).collect();
    let res = with_tx!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&number)
        .bind(n.enterprise_id)
        .bind(n.case_id)
        .bind(&e.region_code)
        .bind(n.grade.key())
        .bind(&n.industry)
        .bind(&n.issuer)
        .bind(n.external)
        .bind(&issued)
        .bind(format_date(n.valid_until))
        .bind(&n.rule)
        .bind(&token)
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .bind(
            anbiao_domain::certificate::annual_open_due(n.issued_on, n.valid_until, &[])
                .map(format_date),
        )
        .fetch_one(c)
        .await);
    let id = match res {
        Err(err) if StoreError::is_unique_violation(&err) => {
            return Err(StoreError::Conflict(format!("证书编号 {number} 已存在")));
        }
        other => other?,
    };
    const SUPERSEDE: &str =
        "UPDATE certificate SET superseded_on = $1, superseded_by = $2 WHERE id = $3";
    for p in &previous {
        with_tx!(tx, |c| sqlx::query(SUPERSEDE)
            .bind(&issued)
            .bind(id)
            .bind(*p)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = Event::new("certificate.issue", format!("certificate:{number}")).detail(format!(
        "为“{}”{}{}证书 {number}，有效期至 {}（{}）",
        e.name,
        if n.external { "登记" } else { "颁发" },
        n.grade.label(),
        format_date(n.valid_until),
        n.rule
    ));
    audit_log::append_tx(tx, actor, &ev).await?;
    Ok((id, number))
}

/// Revokes a certificate within the scope on a date, with the reason and the rule.
pub async fn revoke(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    on: Date,
    reason: &str,
    rule: Option<&str>,
) -> Result<(), StoreError> {
    let c = get(db, scope, id).await?;
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid("撤销证书须填写理由".into()));
    }
    if c.revoked_on.is_some() {
        return Err(StoreError::Conflict(format!("证书 {} 已被撤销", c.number)));
    }
    let mut tx = db.begin().await?;
    revoke_in_tx(&mut tx, actor, &c, on, reason, rule).await?;
    tx.commit().await?;
    Ok(())
}

fn scope_filter(b: &mut SqlBuf, scope: &Scope) {
    enterprise::push_scope_by_enterprise(b, scope, "enterprise_id", "region_code");
}

/// Revokes `c` inside the caller's transaction (an audit and the revocation it decides commit
/// together).
pub(crate) async fn revoke_in_tx(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    c: &Certificate,
    on: Date,
    reason: &str,
    rule: Option<&str>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE certificate SET revoked_on = $1, revoked_reason = $2 WHERE id = $3 AND revoked_on IS NULL";
    let n = with_tx!(tx, |x| sqlx::query(SQL)
        .bind(format_date(on))
        .bind(reason.trim())
        .bind(c.id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(format!("证书 {} 已被撤销", c.number)));
    }
    let ev = Event::new("certificate.revoke", format!("certificate:{}", c.number)).detail(format!(
        "撤销证书 {}，自 {} 起；理由：{}{}",
        c.number,
        format_date(on),
        reason.trim(),
        rule.map(|r| format!("；依据 {r}")).unwrap_or_default()
    ));
    audit_log::append_tx(tx, actor, &ev).await?;
    Ok(())
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Certificate, StoreError> {
    let mut b = SqlBuf::new(&format!("SELECT {COLUMNS} FROM certificate WHERE id = "));
    b.bind(Arg::Int(id));
    scope_filter(&mut b, scope);
    let sql = b.render(db.backend());
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Certificate>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// Certificates of one enterprise within the scope, newest first.
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<Certificate>, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM certificate WHERE enterprise_id = "
    ));
    b.bind(Arg::Int(enterprise_id));
    scope_filter(&mut b, scope);
    b.push(" ORDER BY issued_on DESC, id DESC");
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Certificate>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// The public verification of a certificate by the token in its QR code.
pub async fn by_verify_token(db: &Db, token: &str) -> Result<Option<Certificate>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM certificate WHERE verify_token = $1");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Certificate>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(token)
    .fetch_optional(p)
    .await)?)
}

/// What the public portal shows of a certificate.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct PublicCertificate {
    pub number: String,
    pub enterprise_name: String,
    pub credit_code: String,
    pub grade: String,
    pub industry: String,
    pub issuer: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked_on: Option<String>,
    pub superseded_on: Option<String>,
    pub verify_token: String,
}

/// Names a term must match (by the pair index's count) before the portal walks certificates
/// instead: measured at 1,000,000 enterprises, the walk finds 20 holders of a term matching
/// 2,000 names about as fast as the pair index collects them (docs/benchmarks.md).
const PORTAL_SCAN_AT: i64 = 2_000;

/// Public lookup by enterprise name (part), credit code or certificate number (exact), newest
/// validity first. Anonymous, so every shape is indexed: the number and the credit code by
/// their unique indexes; a rare name part through the enterprise name pair index (FTS5 on
/// SQLite, a tsvector on PostgreSQL), then LIKE for the exact substring; a common one by
/// walking certificates from the latest validity and stopping at `limit` matches.
pub async fn public_search(
    db: &Db,
    q: &str,
    limit: i64,
) -> Result<Vec<PublicCertificate>, StoreError> {
    const COLUMNS: &str = "SELECT c.number, e.name AS enterprise_name, e.credit_code, c.grade, c.industry, c.issuer, \
        c.valid_from, c.valid_until, c.revoked_on, c.superseded_on, c.verify_token FROM certificate c \
        JOIN enterprise e ON e.id = c.enterprise_id WHERE ";
    let q = anbiao_domain::text::clean(q);
    if q.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let fetch = |b: SqlBuf| async move {
        let sql = b.render(db.backend());
        Ok::<_, StoreError>(with_pool!(db, |p| bind_args!(
            sqlx::query_as::<_, PublicCertificate>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?)
    };
    let mut found: Vec<PublicCertificate> = Vec::new();
    // Exact: a certificate number, or a credit code.
    let number = CertificateNumber::parse(&q)
        .map(|n| n.to_string())
        .unwrap_or_else(|_| q.to_uppercase());
    let mut b = SqlBuf::new(COLUMNS);
    b.push("c.number = ");
    b.bind(Arg::Text(number));
    found.extend(fetch(b).await?);
    let code = anbiao_domain::credit_code::normalize(&q);
    if code.chars().count() == 18 {
        let mut b = SqlBuf::new(COLUMNS);
        b.push("e.credit_code = ");
        b.bind(Arg::Text(code));
        b.push(" ORDER BY c.valid_until DESC LIMIT ");
        b.bind(Arg::Int(limit));
        found.extend(fetch(b).await?);
    }
    // A part of the name, of two letters or digits at least (one would scan every name). A
    // number or a code is looked up exactly and nowhere else: as a name part it would match
    // nothing, and finding that out would read every certificate.
    let exact = CertificateNumber::parse(&q).is_ok()
        || anbiao_domain::credit_code::normalize(&q).chars().count() == 18;
    let Some(grams) = anbiao_domain::text::query_grams(&q).filter(|_| !exact) else {
        return Ok(found);
    };
    let backend = db.backend();
    let like = format!("%{}%", like_escape(&q.to_lowercase()));
    let name = match backend {
        crate::db::Backend::Sqlite => "name",
        crate::db::Backend::Postgres => "LOWER(name)",
    };
    let b = match enterprise::name_term_plan(db, &q, PORTAL_SCAN_AT).await? {
        enterprise::NameSearch::PairIndex => {
            let mut b = SqlBuf::new(COLUMNS);
            b.push(match backend {
                crate::db::Backend::Sqlite => {
                    "e.id IN (SELECT rowid FROM enterprise_name_fts WHERE enterprise_name_fts MATCH "
                }
                crate::db::Backend::Postgres => "e.name_tsv @@ phraseto_tsquery('simple', ",
            });
            b.bind(Arg::Text(enterprise::gram_phrase(&grams, backend)));
            b.push(match backend {
                crate::db::Backend::Sqlite => ") AND e.name LIKE ",
                crate::db::Backend::Postgres => ") AND LOWER(e.name) LIKE ",
            });
            b.bind(Arg::Text(like));
            b.push(" ESCAPE '\\' ORDER BY c.valid_until DESC LIMIT ");
            b.bind(Arg::Int(limit));
            b
        }
        // A common term: certificates from the latest validity down, each holder's name tried
        // (a correlated lookup, so no join is planned over every name), stopping at the limit.
        enterprise::NameSearch::Scan => {
            let mut b = SqlBuf::new(COLUMNS);
            b.push(&format!(
                "c.id IN (SELECT c2.id FROM certificate c2 WHERE \
                 (SELECT {name} FROM enterprise WHERE id = c2.enterprise_id) LIKE "
            ));
            b.bind(Arg::Text(like));
            b.push(" ESCAPE '\\' ORDER BY c2.valid_until DESC LIMIT ");
            b.bind(Arg::Int(limit));
            b.push(") ORDER BY c.valid_until DESC");
            b
        }
    };
    for c in fetch(b).await? {
        if !found.iter().any(|f| f.number == c.number) {
            found.push(c);
        }
    }
    found.sort_by(|a, b| b.valid_until.cmp(&a.valid_until));
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}

/// The latest certificates issued, for the public announcement list.
pub async fn recent_public(
    db: &Db,
    limit: i64,
) -> Result<Vec<(String, PublicCertificate)>, StoreError> {
    const SQL: &str = "SELECT c.issued_on, c.number, e.name AS enterprise_name, e.credit_code, c.grade, c.industry, \
        c.issuer, c.valid_from, c.valid_until, c.revoked_on, c.superseded_on, c.verify_token FROM certificate c \
        JOIN enterprise e ON e.id = c.enterprise_id ORDER BY c.issued_on DESC, c.id DESC LIMIT $1";
    #[derive(FromRow)]
    struct Row {
        issued_on: String,
        #[sqlx(flatten)]
        c: PublicCertificate,
    }
    let rows: Vec<Row> = with_pool!(db, |p| sqlx::query_as::<_, Row>(SQL)
        .bind(limit)
        .fetch_all(p)
        .await)?;
    Ok(rows.into_iter().map(|r| (r.issued_on, r.c)).collect())
}

/// A grant as the portal announces it: the day issued and the certificate.
#[derive(Debug, Clone, FromRow)]
pub struct Announcement {
    pub issued_on: String,
    #[sqlx(flatten)]
    pub c: PublicCertificate,
}

/// One page of the grants, newest first, with the total (capped).
pub async fn announcements_page(
    db: &Db,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Announcement>, StoreError> {
    let select = crate::sql::SqlBuf::new(
        "SELECT c.issued_on, c.number, e.name AS enterprise_name, e.credit_code, c.grade, c.industry, \
         c.issuer, c.valid_from, c.valid_until, c.revoked_on, c.superseded_on, c.verify_token FROM certificate c \
         JOIN enterprise e ON e.id = c.enterprise_id",
    );
    crate::paging::fetch(db, &select, "c.issued_on DESC, c.id DESC", req).await
}

/// One annual self-assessment of a certificate.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Annual {
    pub validity_year: i64,
    /// Tenths of a percent.
    pub score: i64,
    pub submitted_on: String,
    pub submitted_by: String,
}

pub async fn annual_of(db: &Db, certificate_id: i64) -> Result<Vec<Annual>, StoreError> {
    const SQL: &str = "SELECT validity_year, score, submitted_on, submitted_by FROM annual_self_assessment \
        WHERE certificate_id = $1 ORDER BY validity_year";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Annual>(SQL)
        .bind(certificate_id)
        .fetch_all(p)
        .await)?)
}

/// An annual self-assessment as submitted.
#[derive(Debug, Clone)]
pub struct AnnualInput<'a> {
    /// Validity year, from 1.
    pub year: i64,
    pub score: anbiao_domain::scoring::Percent,
    pub report: &'a str,
}

/// Records the annual self-assessment of a certificate valid on `on`, for a year that is due
/// (or the current one).
pub async fn submit_annual(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    a: &AnnualInput<'_>,
    on: Date,
) -> Result<(), StoreError> {
    let AnnualInput {
        year,
        score,
        report,
    } = *a;
    let c = get(db, scope, id).await?;
    if c.status_on(on) != CertificateStatus::Valid {
        return Err(StoreError::Invalid(format!(
            "证书 {} 当前不在有效期内",
            c.number
        )));
    }
    let (from, until) = (
        parse_date(&c.valid_from).unwrap_or(on),
        parse_date(&c.valid_until).unwrap_or(on),
    );
    let due = anbiao_domain::certificate::annual_years_due(from, until, on);
    let next = due.last().copied().unwrap_or(0) + 1;
    if !(1..=next).contains(&year) {
        return Err(StoreError::Invalid(format!(
            "有效期第 {year} 年的年度自评尚不能提交"
        )));
    }
    if !(0..=1000).contains(&score.0) {
        return Err(StoreError::Invalid("自评得分应在 0 至 100 之间".into()));
    }
    if report.trim().chars().count() < 10 {
        return Err(StoreError::Invalid(
            "请填写年度自评报告（至少10个字）".into(),
        ));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO annual_self_assessment (certificate_id, validity_year, score, report, \
        submitted_on, submitted_by) VALUES ($1, $2, $3, $4, $5, $6)";
    let res = with_tx!(&mut tx, |x| sqlx::query(SQL)
        .bind(id)
        .bind(year)
        .bind(score.0)
        .bind(report.trim())
        .bind(format_date(on))
        .bind(&actor.username)
        .execute(x)
        .await
        .map(|_| ()));
    match res {
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "有效期第 {year} 年的年度自评已提交"
            )));
        }
        other => other?,
    }
    // The first year still open moves on (the years done, this one with them).
    const DONE: &str = "SELECT validity_year FROM annual_self_assessment WHERE certificate_id = $1";
    let done: Vec<i64> = with_tx!(&mut tx, |x| sqlx::query_scalar(DONE)
        .bind(id)
        .fetch_all(x)
        .await)?;
    const OPEN: &str = "UPDATE certificate SET annual_open_due = $1 WHERE id = $2";
    with_tx!(&mut tx, |x| sqlx::query(OPEN)
        .bind(anbiao_domain::certificate::annual_open_due(from, until, &done).map(format_date))
        .bind(id)
        .execute(x)
        .await
        .map(|_| ()))?;
    let ev = Event::new("certificate.annual", format!("certificate:{}", c.number))
        .detail(format!("提交有效期第 {year} 年的年度自评，得分 {score}"));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// How many certificates within the scope, valid on `on`, expire by `by` (counted up to the
/// cap of a list).
pub async fn count_expiring(
    db: &Db,
    scope: &Scope,
    on: Date,
    by: Date,
) -> Result<crate::paging::Total, StoreError> {
    crate::paging::count(db, &expiring_select("SELECT id", scope, on, by)).await
}

/// The certificates in force on `on` within the scope that expire by `by`.
fn expiring_select(select: &str, scope: &Scope, on: Date, by: Date) -> SqlBuf {
    let mut b = SqlBuf::new(&format!(
        "{select} FROM certificate WHERE revoked_on IS NULL AND superseded_on IS NULL \
         AND valid_from <= "
    ));
    b.bind(Arg::Text(format_date(on)));
    b.push(" AND valid_until >= ");
    b.bind(Arg::Text(format_date(on)));
    b.push(" AND valid_until <= ");
    b.bind(Arg::Text(format_date(by)));
    scope_filter(&mut b, scope);
    b
}

/// One page of the certificates in force on `on` within the scope that expire by `by`, the
/// soonest first.
pub async fn expiring(
    db: &Db,
    scope: &Scope,
    on: Date,
    by: Date,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Certificate>, StoreError> {
    let select = expiring_select(&format!("SELECT {COLUMNS}"), scope, on, by);
    crate::paging::fetch(db, &select, "valid_until, id", req).await
}

/// The certificates in force on `on` within the scope with a self-assessment missing, from
/// the partial index on the first year open (migration 0039): `SELECT id` form, for a count.
fn missing_select(select: &str, scope: &Scope, on: Date) -> SqlBuf {
    let day = format_date(on);
    let mut b = SqlBuf::new(&format!(
        "{select} FROM certificate WHERE revoked_on IS NULL AND superseded_on IS NULL \
         AND annual_open_due IS NOT NULL AND annual_open_due <= "
    ));
    b.bind(Arg::Text(day.clone()));
    b.push(" AND valid_from <= ");
    b.bind(Arg::Text(day.clone()));
    b.push(" AND valid_until >= ");
    b.bind(Arg::Text(day));
    scope_filter(&mut b, scope);
    b
}

/// How many certificates in force within the scope miss an annual self-assessment on `on`
/// (counted up to the cap of a list).
pub async fn count_missing_annual(
    db: &Db,
    scope: &Scope,
    on: Date,
) -> Result<crate::paging::Total, StoreError> {
    crate::paging::count(db, &missing_select("SELECT id", scope, on)).await
}

/// One page of the certificates in force within the scope that miss an annual
/// self-assessment on `on`, the longest missing first, each with the years missing.
pub async fn missing_annual(
    db: &Db,
    scope: &Scope,
    on: Date,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<(Certificate, Vec<i64>)>, StoreError> {
    let select = missing_select(&format!("SELECT {COLUMNS}"), scope, on);
    let page: crate::paging::Paged<Certificate> =
        crate::paging::fetch(db, &select, "annual_open_due, id", req).await?;
    // The years done of the page's certificates in one read.
    let mut d = SqlBuf::new(
        "SELECT certificate_id, validity_year FROM annual_self_assessment WHERE certificate_id IN ",
    );
    if page.rows.is_empty() {
        return Ok(page.map(|c| (c, Vec::new())));
    }
    d.bind_list(page.rows.iter().map(|c| Arg::Int(c.id)));
    let done: Vec<(i64, i64)> = d.fetch_all(db).await?;
    Ok(page.map(|c| {
        let (from, until) = (
            parse_date(&c.valid_from).unwrap_or(on),
            parse_date(&c.valid_until).unwrap_or(on),
        );
        let missing = anbiao_domain::certificate::annual_years_due(from, until, on)
            .into_iter()
            .filter(|y| !done.contains(&(c.id, *y)))
            .collect();
        (c, missing)
    }))
}

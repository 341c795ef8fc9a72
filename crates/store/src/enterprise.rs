//! The enterprise registry: scoped reads, writes with a change history.

use std::collections::BTreeMap;

use anbiao_domain::enterprise::{EnterpriseInput, EnterpriseStatus, Field};
use anbiao_domain::number::format_yuan_as_wan;
use anbiao_domain::size::SizeClass;
use anbiao_domain::{Scope, text};
use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::{Backend, Db, Tx};
use crate::error::StoreError;
use crate::sql::{Arg, SqlBuf, like_escape};
use crate::{bind_args, with_pool, with_tx};

pub use crate::audit_log::Actor;
use crate::audit_log::{self, Event};

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Enterprise {
    pub id: i64,
    pub credit_code: String,
    pub code_override_reason: Option<String>,
    pub name: String,
    pub region_code: String,
    pub township: Option<String>,
    pub industry_code: String,
    pub annual_sales_yuan: Option<i64>,
    pub employees: Option<i64>,
    pub above_scale: Option<bool>,
    pub size_class: Option<String>,
    pub size_rule: Option<String>,
    pub status: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

pub(crate) const COLUMNS: &str = "id, credit_code, code_override_reason, name, region_code, township, \
    industry_code, annual_sales_yuan, employees, above_scale, size_class, size_rule, status, \
    contact_person, contact_phone, address, created_at, updated_at, version";

impl Enterprise {
    pub fn status(&self) -> Option<EnterpriseStatus> {
        EnterpriseStatus::parse(&self.status)
    }

    pub fn size(&self) -> Option<SizeClass> {
        self.size_class.as_deref().and_then(SizeClass::parse)
    }

    pub fn annual_sales_wan(&self) -> Option<String> {
        self.annual_sales_yuan.map(format_yuan_as_wan)
    }

    /// The record as a draft, for forms and for partial updates to merge over.
    pub fn to_draft(&self) -> anbiao_domain::EnterpriseDraft {
        let mut d = anbiao_domain::EnterpriseDraft::default();
        for f in Field::ALL {
            d.set(f, self.value(f));
        }
        d
    }

    /// The value of a field as the history records it.
    pub fn value(&self, f: Field) -> Option<String> {
        match f {
            Field::CreditCode => Some(self.credit_code.clone()),
            Field::Name => Some(self.name.clone()),
            Field::Region => Some(self.region_code.clone()),
            Field::Township => self.township.clone(),
            Field::Industry => Some(self.industry_code.clone()),
            Field::AnnualSales => self.annual_sales_wan(),
            Field::Employees => self.employees.map(|v| v.to_string()),
            Field::Status => Some(self.status.clone()),
            Field::ContactPerson => self.contact_person.clone(),
            Field::ContactPhone => self.contact_phone.clone(),
            Field::Address => self.address.clone(),
            Field::CodeOverrideReason => self.code_override_reason.clone(),
        }
    }
}

/// The value of a field of validated input, as the history records it.
pub fn input_value(e: &EnterpriseInput, f: Field) -> Option<String> {
    match f {
        Field::CreditCode => Some(e.credit_code.to_string()),
        Field::Name => Some(e.name.clone()),
        Field::Region => Some(e.region_code.clone()),
        Field::Township => e.township.clone(),
        Field::Industry => Some(e.industry_code.clone()),
        Field::AnnualSales => e.annual_sales_yuan.map(format_yuan_as_wan),
        Field::Employees => e.employees.map(|v| v.to_string()),
        Field::Status => Some(e.status.as_str().to_string()),
        Field::ContactPerson => e.contact_person.clone(),
        Field::ContactPhone => e.contact_phone.clone(),
        Field::Address => e.address.clone(),
        Field::CodeOverrideReason => e.code_override_reason.clone(),
    }
}

/// Which fields differ, with old and new values.
pub fn diff(
    old: &Enterprise,
    new: &EnterpriseInput,
) -> Vec<(Field, Option<String>, Option<String>)> {
    Field::ALL
        .into_iter()
        .filter_map(|f| {
            let (o, n) = (old.value(f), input_value(new, f));
            (o != n).then_some((f, o, n))
        })
        .collect()
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Change {
    pub id: i64,
    pub enterprise_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
    pub actor: String,
    pub source: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// Why an officer made the change (officer-kept fields), when given.
    pub reason: Option<String>,
}

/// The history field name of a record's creation.
pub const CREATED: &str = "created";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    CreditCode,
    Region,
    Industry,
    Sales,
    Employees,
    Updated,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        Self::Name,
        Self::CreditCode,
        Self::Region,
        Self::Industry,
        Self::Sales,
        Self::Employees,
        Self::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::CreditCode => "credit_code",
            Self::Region => "region",
            Self::Industry => "industry",
            Self::Sales => "sales",
            Self::Employees => "employees",
            Self::Updated => "updated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn nullable(self) -> bool {
        matches!(self, Self::Sales | Self::Employees)
    }

    fn column(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::CreditCode => "credit_code",
            Self::Region => "region_code",
            Self::Industry => "industry_code",
            Self::Sales => "annual_sales_yuan",
            Self::Employees => "employees",
            Self::Updated => "updated_at",
        }
    }
}

/// Size filter values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeFilter {
    AboveScale,
    BelowScale,
    SmallMicro,
    Class(SizeClass),
    Unknown,
}

impl SizeFilter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "above" => Some(Self::AboveScale),
            "below" => Some(Self::BelowScale),
            "small_micro" => Some(Self::SmallMicro),
            "unknown" => Some(Self::Unknown),
            other => SizeClass::parse(other).map(Self::Class),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AboveScale => "above",
            Self::BelowScale => "below",
            Self::SmallMicro => "small_micro",
            Self::Unknown => "unknown",
            Self::Class(c) => c.as_str(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AboveScale => "规模以上",
            Self::BelowScale => "规模以下",
            Self::SmallMicro => "小微企业",
            Self::Unknown => "规模未知",
            Self::Class(c) => c.label(),
        }
    }

    pub const OPTIONS: [SizeFilter; 8] = [
        Self::AboveScale,
        Self::BelowScale,
        Self::SmallMicro,
        Self::Class(SizeClass::Large),
        Self::Class(SizeClass::Medium),
        Self::Class(SizeClass::Small),
        Self::Class(SizeClass::Micro),
        Self::Unknown,
    ];
}

/// Filters of the enterprise list. Region codes are given already expanded (with predecessors).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Name substring, or credit-code prefix when it is only letters and digits.
    pub q: Option<String>,
    pub region_codes: Option<Vec<String>>,
    pub industry: Option<String>,
    pub size: Option<SizeFilter>,
    pub status: Option<EnterpriseStatus>,
    pub sort: SortKey,
    pub desc: bool,
}

/// Lists count matches up to this many; beyond it the total is "more than".
pub const COUNT_CAP: i64 = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The number of matches, or [`COUNT_CAP`] when there are more (then `total_exact` is false).
    pub total: i64,
    pub total_exact: bool,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Appends the scope as SQL conditions. There is no way to read enterprises without one.
pub(crate) fn push_scope(
    b: &mut SqlBuf,
    scope: &Scope,
    id_col: &str,
    region_col: &str,
    township_col: &str,
) {
    match scope {
        Scope::City => {}
        Scope::Region { codes } => {
            b.push(&format!(" AND {region_col} IN "));
            b.bind_list(codes.iter().cloned().map(Arg::Text));
        }
        Scope::Township { codes, township } => {
            b.push(&format!(" AND {region_col} IN "));
            b.bind_list(codes.iter().cloned().map(Arg::Text));
            b.push(&format!(" AND {township_col} = "));
            b.bind(Arg::Text(township.clone()));
        }
        Scope::Enterprise { id } => {
            b.push(&format!(" AND {id_col} = "));
            b.bind(Arg::Int(*id));
        }
        Scope::Org { id } => {
            b.push(&format!(
                " AND {id_col} IN (SELECT gc.enterprise_id FROM grading_case gc \
                 JOIN case_assignment ca ON ca.case_id = gc.id WHERE ca.org_id = "
            ));
            b.bind(Arg::Int(*id));
            b.push(")");
        }
        Scope::Nothing => {
            b.push(" AND 1 = 0");
        }
    }
}

/// Inside a transaction: the enterprise exists and lies within `scope` (else `NotFound`, the
/// two not told apart), so the check and the write it guards commit together.
pub(crate) async fn in_scope_tx(
    tx: &mut crate::db::Tx,
    scope: &Scope,
    id: i64,
) -> Result<(), StoreError> {
    let mut b = SqlBuf::new("SELECT e.id FROM enterprise e WHERE e.id = ");
    b.bind(Arg::Int(id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let sql = b.render(tx.backend());
    let found: Option<(i64,)> = crate::with_tx!(tx, |c| crate::bind_args!(
        sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(c)
    .await)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// `push_scope` for a table without a township of its own: a township is the enterprises of
/// that township (read from the enterprise index by code and township, migration 0040) rather
/// than a look-up of the enterprise's township for every row of the district.
pub(crate) fn push_scope_by_enterprise(
    b: &mut SqlBuf,
    scope: &Scope,
    id_col: &str,
    region_col: &str,
) {
    match scope {
        Scope::Township { codes, township } => {
            b.push(&format!(" AND {region_col} IN "));
            b.bind_list(codes.iter().cloned().map(Arg::Text));
            b.push(&format!(
                " AND {id_col} IN (SELECT te.id FROM enterprise te WHERE te.region_code IN "
            ));
            b.bind_list(codes.iter().cloned().map(Arg::Text));
            b.push(" AND te.township = ");
            b.bind(Arg::Text(township.clone()));
            b.push(")");
        }
        other => push_scope(b, other, id_col, region_col, "''"),
    }
}

/// How a name term is searched: through the pair index (few matches) or by scanning names in
/// index order (many matches, where the scan finds a page at once and the index would have to
/// collect every match first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameSearch {
    PairIndex,
    Scan,
}

/// Matches of a term in the pair index past which scanning names is faster (measured at a
/// million enterprises: collecting a match from the pair index costs about as much as scanning
/// a hundred names, and the count stops after COUNT_CAP matches).
const PAIR_INDEX_LIMIT: i64 = 10_000;

pub(crate) fn gram_phrase(grams: &[String], backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("\"{}\"", grams.join(" ")),
        Backend::Postgres => grams.join(" "),
    }
}

/// Asks the pair index how common the term is (stopping at the limit) and picks the plan.
pub(crate) async fn name_search_plan(db: &Db, f: &Filter) -> Result<NameSearch, StoreError> {
    let Some(q) = f.q.as_deref().map(text::clean).filter(|s| !s.is_empty()) else {
        return Ok(NameSearch::Scan);
    };
    let code_like = anbiao_domain::credit_code::normalize(&q);
    if !code_like.is_empty() && code_like.chars().all(|c| c.is_ascii_alphanumeric()) {
        // A credit-code prefix: no name search at all.
        return Ok(NameSearch::Scan);
    }
    name_term_plan(db, &q, PAIR_INDEX_LIMIT).await
}

/// How to search names for a term of two or more letters or digits: the pair index when it
/// matches fewer than `limit` names, else a scan.
pub(crate) async fn name_term_plan(db: &Db, q: &str, limit: i64) -> Result<NameSearch, StoreError> {
    let Some(grams) = text::query_grams(q) else {
        return Ok(NameSearch::Scan);
    };
    let n: i64 = match db {
        // FTS5 stops reading postings at the limit.
        Db::Sqlite(p) => {
            const SQL: &str = "SELECT COUNT(*) FROM (SELECT rowid FROM enterprise_name_fts \
                WHERE enterprise_name_fts MATCH $1 LIMIT $2) probe";
            sqlx::query_scalar(SQL)
                .bind(gram_phrase(&grams, Backend::Sqlite))
                .bind(limit)
                .fetch_one(p)
                .await?
        }
        // A GIN index builds its whole bitmap before any LIMIT applies, which costs tens of
        // milliseconds for a common term; a 1 % page sample of the names estimates as well.
        Db::Postgres(p) => {
            const SQL: &str = "SELECT COUNT(*) * 100 FROM enterprise TABLESAMPLE SYSTEM (1) REPEATABLE (7) \
                WHERE LOWER(name) LIKE $1 ESCAPE '\\'";
            sqlx::query_scalar(SQL)
                .bind(format!("%{}%", like_escape(&q.to_lowercase())))
                .fetch_one(p)
                .await?
        }
    };
    Ok(if n < limit {
        NameSearch::PairIndex
    } else {
        NameSearch::Scan
    })
}

fn push_filter(b: &mut SqlBuf, f: &Filter, backend: Backend, names: NameSearch) {
    if let Some(q) = f.q.as_deref().map(text::clean).filter(|s| !s.is_empty()) {
        let code_like = anbiao_domain::credit_code::normalize(&q);
        if !code_like.is_empty() && code_like.chars().all(|c| c.is_ascii_alphanumeric()) {
            // A range on the unique index (LIKE 'x%' cannot use it on SQLite, whose LIKE ignores case).
            b.push(" AND credit_code >= ");
            b.bind(Arg::Text(code_like.clone()));
            b.push(" AND credit_code < ");
            b.bind(Arg::Text(prefix_upper_bound(&code_like)));
        } else {
            // Rare terms of two or more letters go through the pair index first; LIKE then keeps
            // exactly the names that contain the term as typed.
            if let (NameSearch::PairIndex, Some(grams)) = (names, text::query_grams(&q)) {
                match backend {
                    Backend::Sqlite => {
                        b.push(" AND id IN (SELECT rowid FROM enterprise_name_fts WHERE enterprise_name_fts MATCH ");
                    }
                    Backend::Postgres => {
                        b.push(" AND name_tsv @@ phraseto_tsquery('simple', ");
                    }
                }
                b.bind(Arg::Text(gram_phrase(&grams, backend)));
                b.push(")");
            }
            // Case-insensitive for Latin letters on both backends: SQLite's LIKE already is,
            // PostgreSQL's is not.
            b.push(match backend {
                Backend::Sqlite => " AND name LIKE ",
                Backend::Postgres => " AND LOWER(name) LIKE ",
            });
            b.bind(Arg::Text(format!("%{}%", like_escape(&q.to_lowercase()))));
            b.push(" ESCAPE '\\'");
        }
    }
    if let Some(codes) = &f.region_codes {
        if codes.is_empty() {
            b.push(" AND 1 = 0");
        } else {
            b.push(" AND region_code IN ");
            b.bind_list(codes.iter().cloned().map(Arg::Text));
        }
    }
    if let Some(i) = &f.industry {
        b.push(" AND industry_code = ");
        b.bind(Arg::Text(i.clone()));
    }
    match f.size {
        None => {}
        Some(SizeFilter::AboveScale) => {
            b.push(" AND above_scale = TRUE");
        }
        Some(SizeFilter::BelowScale) => {
            b.push(" AND above_scale = FALSE");
        }
        Some(SizeFilter::SmallMicro) => {
            b.push(" AND size_class IN ('small', 'micro')");
        }
        Some(SizeFilter::Unknown) => {
            b.push(" AND size_class IS NULL");
        }
        Some(SizeFilter::Class(c)) => {
            b.push(" AND size_class = ");
            b.bind(Arg::Text(c.as_str().to_string()));
        }
    }
    if let Some(s) = f.status {
        b.push(" AND status = ");
        b.bind(Arg::Text(s.as_str().to_string()));
    }
}

/// The smallest string above every string that starts with `prefix` (ASCII upper case and digits):
/// the prefix with its last character incremented.
fn prefix_upper_bound(prefix: &str) -> String {
    let mut s: Vec<char> = prefix.chars().collect();
    if let Some(last) = s.pop() {
        s.push(char::from_u32(last as u32 + 1).unwrap_or(char::MAX));
    }
    s.into_iter().collect()
}

fn where_clause(scope: &Scope, f: &Filter, backend: Backend, names: NameSearch) -> SqlBuf {
    let mut b = SqlBuf::new(" WHERE 1 = 1");
    push_scope(&mut b, scope, "id", "region_code", "township");
    push_filter(&mut b, f, backend, names);
    b
}

fn order_clause(f: &Filter) -> String {
    let dir = if f.desc { "DESC" } else { "ASC" };
    let col = f.sort.column();
    if f.sort.nullable() {
        // NULLs last on both backends (their defaults differ), then a stable tie-breaker.
        format!(" ORDER BY {col} {dir} NULLS LAST, id {dir}")
    } else {
        // Plain order on a NOT NULL column, so its index gives the order.
        format!(" ORDER BY {col} {dir}, id {dir}")
    }
}

/// One page of the enterprises in scope that match the filter.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    page: i64,
    per_page: i64,
) -> Result<Page<Enterprise>, StoreError> {
    let per_page = per_page.clamp(1, 500);
    let page = page.max(1);
    let w = where_clause(scope, f, db.backend(), name_search_plan(db, f).await?);
    // Counting every match of a broad query over a million rows costs more than the page
    // itself; past COUNT_CAP the list says "more than" instead of counting on.
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM enterprise{} LIMIT {}) capped",
        w.render(db.backend()),
        COUNT_CAP + 1
    );
    let counted: i64 = with_pool!(db, |p| bind_args!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql.clone())),
        &w.args
    )
    .fetch_one(p)
    .await)?;
    let total_exact = counted <= COUNT_CAP;
    let total = counted.min(COUNT_CAP);
    let mut q = w.clone();
    q.sql = format!(
        "SELECT {COLUMNS} FROM enterprise{}{}",
        w.sql,
        order_clause(f)
    );
    q.push(" LIMIT ")
        .bind(Arg::Int(per_page))
        .push(" OFFSET ")
        .bind(Arg::Int((page - 1) * per_page));
    let items = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Enterprise>(sqlx::AssertSqlSafe(q.render(db.backend()))),
        &q.args
    )
    .fetch_all(p)
    .await)?;
    Ok(Page {
        items,
        total,
        total_exact,
        page,
        per_page,
    })
}

/// Every enterprise in scope that matches the filter (for exports), up to `limit`.
#[tracing::instrument(skip_all)]
pub async fn list_all(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Enterprise>, StoreError> {
    let mut q = where_clause(scope, f, db.backend(), name_search_plan(db, f).await?);
    q.sql = format!(
        "SELECT {COLUMNS} FROM enterprise{}{}",
        q.sql,
        order_clause(f)
    );
    q.push(" LIMIT ").bind(Arg::Int(limit));
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Enterprise>(sqlx::AssertSqlSafe(q.render(db.backend()))),
        &q.args
    )
    .fetch_all(p)
    .await)?)
}

/// One enterprise, if it exists and lies in scope (out of scope reads as not found).
#[tracing::instrument(skip_all, fields(id))]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Enterprise, StoreError> {
    let mut b = SqlBuf::new(&format!("SELECT {COLUMNS} FROM enterprise WHERE id = $1"));
    b.args.push(Arg::Int(id));
    push_scope(&mut b, scope, "id", "region_code", "township");
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Enterprise>(sqlx::AssertSqlSafe(b.render(db.backend()))),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// The change history of one enterprise in scope, newest first.
#[tracing::instrument(skip_all, fields(id))]
pub async fn history(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Change>, StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT id, enterprise_id, changed_at, actor, source, field, old_value, new_value, \
        reason FROM enterprise_change WHERE enterprise_id = $1 ORDER BY id DESC";
    let mut changes = with_pool!(db, |p| sqlx::query_as::<_, Change>(SQL)
        .bind(id)
        .fetch_all(p)
        .await)?;
    // The creation is recorded on the row itself (who, when, through what), not as a change row.
    const CREATION: &str =
        "SELECT created_at, created_by, created_source, name FROM enterprise WHERE id = $1";
    let (at, by, source, name): (OffsetDateTime, String, String, String) =
        with_pool!(db, |p| sqlx::query_as(CREATION).bind(id).fetch_one(p).await)?;
    changes.push(Change {
        id: 0,
        enterprise_id: id,
        changed_at: at,
        actor: by,
        source,
        field: CREATED.to_string(),
        old_value: None,
        new_value: Some(name),
        reason: None,
    });
    Ok(changes)
}

fn check_region_in_scope(scope: &Scope, e: &EnterpriseInput) -> Result<(), StoreError> {
    if scope.covers_region(&e.region_code, e.township.as_deref()) {
        Ok(())
    } else {
        Err(StoreError::Invalid("所属地区不在您的管辖范围内".into()))
    }
}

fn duplicate_code(code: &str) -> StoreError {
    StoreError::Conflict(format!("统一社会信用代码 {code} 已登记"))
}

/// Creates an enterprise in scope and records its creation.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    e: &EnterpriseInput,
) -> Result<i64, StoreError> {
    check_region_in_scope(scope, e)?;
    let mut tx = db.begin().await?;
    let now = OffsetDateTime::now_utc();
    let ids = match insert_batch(&mut tx, std::slice::from_ref(e), actor, now).await {
        Err(StoreError::Db(err)) if StoreError::is_unique_violation(&err) => {
            return Err(duplicate_code(e.credit_code.as_str()));
        }
        other => other?,
    };
    let id = ids.first().map(|(id, _)| *id).ok_or(StoreError::NotFound)?;
    let ev = Event::new("enterprise.create", format!("enterprise:{id}"))
        .states(None::<&()>, Some(e))
        .detail(format!("新增企业：{}", e.name));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Updates an enterprise in scope. `expected_version`, when given, must match the stored
/// version (optimistic locking against a concurrent edit). Returns the changed fields.
#[tracing::instrument(skip_all, fields(id))]
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    e: &EnterpriseInput,
    expected_version: Option<i64>,
) -> Result<Vec<Field>, StoreError> {
    update_with_reason(db, scope, actor, id, e, expected_version, None).await
}

/// [`update`], with the reason an officer gives kept on every change row and in the audit entry.
pub async fn update_with_reason(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    e: &EnterpriseInput,
    expected_version: Option<i64>,
    reason: Option<&str>,
) -> Result<Vec<Field>, StoreError> {
    let old = get(db, scope, id).await?;
    if let Some(v) = expected_version
        && v != old.version
    {
        return Err(StoreError::Conflict(
            "该企业信息已被他人修改，请刷新后重试".into(),
        ));
    }
    if old.region_code != e.region_code || old.township != e.township {
        check_region_in_scope(scope, e)?;
    }
    let mut tx = db.begin().await?;
    let now = OffsetDateTime::now_utc();
    let changes = match update_in_tx(&mut tx, &old, e, actor, now, reason).await {
        Err(StoreError::Db(err)) if StoreError::is_unique_violation(&err) => {
            return Err(duplicate_code(e.credit_code.as_str()));
        }
        other => other?,
    };
    if !changes.is_empty() {
        let labels: Vec<&str> = changes.iter().map(|f| f.label()).collect();
        let mut detail = format!("修改企业“{}”：{}", old.name, labels.join("、"));
        if let Some(r) = reason {
            detail.push_str(&format!("；修改原因：{r}"));
        }
        let ev = Event::new("enterprise.update", format!("enterprise:{id}"))
            .states(Some(&old), Some(e))
            .detail(detail);
        audit_log::append_tx(&mut tx, actor, &ev).await?;
    }
    tx.commit().await?;
    Ok(changes)
}

/// The day in China (UTC+8) of a timestamp, as `YYYY-MM-DD`.
fn china_day(t: OffsetDateTime) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    anbiao_domain::date::format_date(t.to_offset(offset).date())
}

/// Records when an enterprise began operating and, if it has, when it closed: the interval
/// the programme's figures count it in. Audited with the reason.
pub async fn set_life(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    active_from: time::Date,
    closed_on: Option<time::Date>,
    reason: &str,
) -> Result<(), StoreError> {
    let e = get(db, scope, id).await?;
    if closed_on.is_some_and(|c| c < active_from) {
        return Err(StoreError::Invalid("停业日期不能早于开业日期".into()));
    }
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid("请填写修改存续日期的依据".into()));
    }
    let (from, to) = (
        anbiao_domain::date::format_date(active_from),
        closed_on.map(anbiao_domain::date::format_date),
    );
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE enterprise SET active_from = $1, closed_on = $2 WHERE id = $3";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(&from)
        .bind(&to)
        .bind(id)
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new("enterprise.life", format!("enterprise:{id}")).detail(format!(
        "“{}”存续日期：{} 起{}；依据：{}",
        e.name,
        from,
        to.as_deref()
            .map(|t| format!("，{t} 停业"))
            .unwrap_or_default(),
        reason.trim()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the new values when anything changed, with one history row per changed field.
/// The update is conditional on the version read, so a concurrent writer makes it fail.
pub(crate) async fn update_in_tx(
    tx: &mut Tx,
    old: &Enterprise,
    e: &EnterpriseInput,
    actor: &Actor,
    now: OffsetDateTime,
    reason: Option<&str>,
) -> Result<Vec<Field>, StoreError> {
    let d = diff(old, e);
    if d.is_empty() {
        return Ok(Vec::new());
    }
    const SQL: &str = "UPDATE enterprise SET credit_code = $1, code_override_reason = $2, name = $3, \
        region_code = $4, township = $5, industry_code = $6, annual_sales_yuan = $7, employees = $8, \
        above_scale = $9, size_class = $10, size_rule = $11, status = $12, contact_person = $13, \
        contact_phone = $14, address = $15, updated_at = $16, name_grams = $19, version = version + 1, \
        closed_on = CASE WHEN $12 = 'closed' THEN COALESCE(closed_on, $20) ELSE NULL END \
        WHERE id = $17 AND version = $18";
    let n = with_tx!(tx, |c| sqlx::query(SQL)
        .bind(e.credit_code.as_str())
        .bind(&e.code_override_reason)
        .bind(&e.name)
        .bind(&e.region_code)
        .bind(&e.township)
        .bind(&e.industry_code)
        .bind(e.annual_sales_yuan)
        .bind(e.employees)
        .bind(e.size.as_ref().map(|s| s.above_scale))
        .bind(e.size.as_ref().map(|s| s.class.as_str()))
        .bind(e.size.as_ref().map(|s| s.rule.clone()))
        .bind(e.status.as_str())
        .bind(&e.contact_person)
        .bind(&e.contact_phone)
        .bind(&e.address)
        .bind(now)
        .bind(old.id)
        .bind(old.version)
        .bind(text::name_grams(&e.name))
        .bind(china_day(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "该企业信息已被他人修改，请刷新后重试".into(),
        ));
    }
    let rows: Vec<_> = d
        .iter()
        .map(|(f, o, n)| (old.id, f.key().to_string(), o.clone(), n.clone()))
        .collect();
    insert_changes(tx, &rows, actor, now, reason).await?;
    Ok(d.into_iter().map(|(f, _, _)| f).collect())
}

const INSERT_COLUMNS: &str = "credit_code, code_override_reason, name, region_code, township, industry_code, \
    annual_sales_yuan, employees, above_scale, size_class, size_rule, status, contact_person, \
    contact_phone, address, created_at, updated_at, created_by, created_source, name_grams, active_from";
/// Rows per multi-row INSERT: 21 columns × 1000 stays under both backends' parameter limits.
pub(crate) const INSERT_BATCH: usize = 1000;

/// Inserts enterprises with multi-row statements; returns (id, credit code) pairs.
pub(crate) async fn insert_batch(
    tx: &mut Tx,
    rows: &[EnterpriseInput],
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(INSERT_BATCH) {
        let mut b = SqlBuf::new(&format!(
            "INSERT INTO enterprise ({INSERT_COLUMNS}) VALUES "
        ));
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(e.credit_code.to_string()),
                Arg::OptText(e.code_override_reason.clone()),
                Arg::Text(e.name.clone()),
                Arg::Text(e.region_code.clone()),
                Arg::OptText(e.township.clone()),
                Arg::Text(e.industry_code.clone()),
                Arg::OptInt(e.annual_sales_yuan),
                Arg::OptInt(e.employees),
                Arg::OptBool(e.size.as_ref().map(|s| s.above_scale)),
                Arg::OptText(e.size.as_ref().map(|s| s.class.as_str().to_string())),
                Arg::OptText(e.size.as_ref().map(|s| s.rule.clone())),
                Arg::Text(e.status.as_str().to_string()),
                Arg::OptText(e.contact_person.clone()),
                Arg::OptText(e.contact_phone.clone()),
                Arg::OptText(e.address.clone()),
                Arg::Time(now),
                Arg::Time(now),
                Arg::Text(actor.username.clone()),
                Arg::Text(actor.source.clone()),
                Arg::Text(text::name_grams(&e.name)),
                Arg::Text(china_day(now)),
            ]);
        }
        b.push(" RETURNING id, credit_code");
        let sql = b.render(tx.backend());
        let ids: Vec<(i64, String)> = with_tx!(tx, |c| bind_args!(
            sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?;
        out.extend(ids);
    }
    Ok(out)
}

/// Appends history rows: (enterprise id, field, old, new).
pub(crate) async fn insert_changes(
    tx: &mut Tx,
    rows: &[(i64, String, Option<String>, Option<String>)],
    actor: &Actor,
    now: OffsetDateTime,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(2000) {
        let mut b = SqlBuf::new(
            "INSERT INTO enterprise_change (enterprise_id, changed_at, actor, source, field, old_value, new_value, reason) VALUES ",
        );
        for (i, (id, field, old, new)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Int(*id),
                Arg::Time(now),
                Arg::Text(actor.username.clone()),
                Arg::Text(actor.source.clone()),
                Arg::Text(field.clone()),
                Arg::OptText(old.clone()),
                Arg::OptText(new.clone()),
                Arg::OptText(reason.map(str::to_string)),
            ]);
        }
        b.execute_in(tx).await?;
    }
    Ok(())
}

/// Reads the enterprises with these credit codes inside a transaction, keyed by code.
pub(crate) async fn by_codes(
    tx: &mut Tx,
    codes: &[String],
) -> Result<BTreeMap<String, Enterprise>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in codes.chunks(500) {
        let mut b = SqlBuf::new(&format!(
            "SELECT {COLUMNS} FROM enterprise WHERE credit_code IN "
        ));
        b.bind_list(chunk.iter().cloned().map(Arg::Text));
        let sql = b.render(tx.backend());
        let rows: Vec<Enterprise> = with_tx!(tx, |c| bind_args!(
            sqlx::query_as::<_, Enterprise>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?;
        out.extend(rows.into_iter().map(|e| (e.credit_code.clone(), e)));
    }
    Ok(out)
}

/// The number of enterprises in scope.
/// The id of the enterprise with this credit code, for linking an account to it. Reveals
/// nothing else of the record.
pub async fn id_by_credit_code(db: &Db, code: &str) -> Result<Option<i64>, StoreError> {
    const SQL: &str = "SELECT id FROM enterprise WHERE credit_code = $1";
    Ok(with_pool!(db, |p| sqlx::query_scalar::<_, i64>(SQL)
        .bind(code)
        .fetch_optional(p)
        .await)?)
}

/// Whether the registry knows `township` in the district `region_code` (an enterprise there
/// names it): townships are known by the enterprises registered in them.
pub async fn township_known(
    db: &Db,
    region_code: &str,
    township: &str,
) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT id FROM enterprise WHERE region_code = $1 AND township = $2 LIMIT 1";
    Ok(with_pool!(db, |p| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region_code)
        .bind(township)
        .fetch_optional(p)
        .await)?
    .is_some())
}

pub async fn count(db: &Db, scope: &Scope) -> Result<i64, StoreError> {
    let w = where_clause(scope, &Filter::default(), db.backend(), NameSearch::Scan);
    let sql = format!("SELECT COUNT(*) FROM enterprise{}", w.render(db.backend()));
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        &w.args
    )
    .fetch_one(p)
    .await)?)
}

/// Fills the name pairs of rows stored before name search had them (see migration 0005).
pub async fn backfill_name_grams(db: &Db) -> Result<u64, StoreError> {
    const PENDING: &str = "SELECT id, name FROM enterprise WHERE name_grams = '' AND name <> '' ORDER BY id LIMIT 1000";
    const SET: &str = "UPDATE enterprise SET name_grams = $1 WHERE id = $2";
    let mut done = 0u64;
    loop {
        let rows: Vec<(i64, String)> =
            with_pool!(db, |p| sqlx::query_as(PENDING).fetch_all(p).await)?;
        let mut written = 0;
        let mut tx = db.begin().await?;
        for (id, name) in &rows {
            let grams = text::name_grams(name);
            if grams.is_empty() {
                continue;
            }
            with_tx!(&mut tx, |c| sqlx::query(SET)
                .bind(&grams)
                .bind(id)
                .execute(c)
                .await
                .map(|_| ()))?;
            written += 1;
        }
        tx.commit().await?;
        done += written;
        // Names of one character have no pairs; stop when a round writes nothing.
        if rows.len() < 1000 || written == 0 {
            return Ok(done);
        }
    }
}

/// The names of the enterprises among `ids` within the scope.
pub async fn names(
    db: &Db,
    scope: &Scope,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut b = SqlBuf::new("SELECT e.id, e.name FROM enterprise e WHERE e.id IN ");
        b.bind_list(chunk.iter().map(|i| Arg::Int(*i)));
        push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
        let sql = b.render(db.backend());
        let rows: Vec<(i64, String)> = with_pool!(db, |p| bind_args!(
            sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?;
        out.extend(rows);
    }
    Ok(out)
}

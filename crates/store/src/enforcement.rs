//! Enforcement decisions (`domain::enforcement`) and the violations database they feed: each
//! decision is filed under a violation category of the version in force on its day and becomes
//! a violation record in the same transaction; typical cases are marked; warning notices
//! (警示通报) are drafted per unit from the records and published on the portal.

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::enforcement::{self, HazardFacts, Kind};
use anbiao_domain::hazard::State;
use anbiao_domain::supervision::InspectionSet;
use anbiao_domain::violations::ViolationSet;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::enterprise::push_scope;
use crate::sql::{Arg, SqlBuf};
use crate::{
    Db, StoreError, bind_args, enterprise, hazards, inspection_plans, inspections, with_pool,
    with_tx,
};

/// A decision to record.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub enterprise_id: i64,
    pub inspection_id: Option<i64>,
    pub hazard_id: Option<i64>,
    pub kind: Kind,
    pub on: Date,
    pub document_no: &'a str,
    pub facts: &'a str,
    pub category_key: &'a str,
    pub fine_yuan: Option<i64>,
    /// Why a fine is below the limit for an enterprise with the maximum-penalty flag.
    pub reason: Option<&'a str>,
}

/// The rules a decision is taken under: the violation categories and the frequency rules (for
/// the maximum-penalty flag), each the version in force on the decision's day.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub violations: &'a ViolationSet,
    pub inspection: &'a InspectionSet,
}

impl From<enforcement::EnforcementError> for StoreError {
    fn from(e: enforcement::EnforcementError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

/// Records a decision about an enterprise within the scope, and its violation record.
pub async fn decide(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    rules: Rules<'_>,
    n: &NewDecision<'_>,
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, n.enterprise_id).await?;
    if !rules.violations.validity().contains(n.on) || !rules.inspection.validity().contains(n.on) {
        return Err(StoreError::Invalid(format!(
            "{} 没有适用的违法行为类别或监管频次规则",
            format_date(n.on)
        )));
    }
    if let Some(id) = n.inspection_id {
        let i = inspections::get(db, scope, id).await?;
        if i.enterprise_id != n.enterprise_id {
            return Err(StoreError::Invalid("该检查记录不属于这家企业".into()));
        }
        if parse_date(&i.inspected_on).is_some_and(|d| n.on < d) {
            return Err(StoreError::Invalid("决定日期不能早于检查日期".into()));
        }
    }
    let facts = match n.hazard_id {
        Some(id) => {
            let h = hazards::get(db, scope, id).await?;
            if h.enterprise_id != n.enterprise_id {
                return Err(StoreError::Invalid("该隐患不属于这家企业".into()));
            }
            if parse_date(&h.found_on).is_some_and(|d| n.on < d) {
                return Err(StoreError::Invalid("决定日期不能早于发现隐患的日期".into()));
            }
            const SUSPENDED: &str =
                "SELECT COUNT(*) FROM enforcement WHERE hazard_id = $1 AND kind = 'suspension'";
            let suspended: i64 = with_pool!(db, |p| sqlx::query_scalar(SUSPENDED)
                .bind(id)
                .fetch_one(p)
                .await)?;
            Some(HazardFacts {
                level: h.level(),
                state: h.state(),
                overdue: h.overdue_on(n.on),
                returned: hazards::was_returned(db, id).await?,
                suspended: suspended > 0,
            })
        }
        None => None,
    };
    enforcement::check(
        n.kind,
        facts,
        n.facts,
        Some(n.category_key).filter(|c| !c.trim().is_empty()),
        n.fine_yuan,
    )?;
    let category = rules
        .violations
        .category(n.category_key.trim())
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "违法行为类别“{}”不在 {}@{} 中",
                n.category_key, rules.violations.id, rules.violations.version
            ))
        })?;
    let subject = inspection_plans::subject_of(db, n.enterprise_id, n.on, rules.inspection)
        .await?
        .ok_or(StoreError::NotFound)?;
    let frequency = rules
        .inspection
        .frequency(subject.status, &subject.modifiers);
    let max_penalty = frequency.max_penalty;
    let reason = n.reason.map(str::trim).filter(|r| !r.is_empty());
    if n.kind == Kind::Fine {
        let amount = n
            .fine_yuan
            .ok_or_else(|| StoreError::Invalid("罚款决定须填写罚款金额".into()))?;
        rules
            .violations
            .check_fine(category, amount, max_penalty, reason)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
    }
    let rule = rules.violations.rule(&category.key).to_string();
    let penalty_rule = max_penalty.then(|| {
        rules
            .inspection
            .rule(&format!("max_penalty.{}", subject.status.key()))
            .to_string()
    });
    let basis = match n.kind {
        Kind::Fine => rules.violations.basis_of(category),
        k => format!("{}；{}", k.basis(), rules.violations.basis_of(category)),
    };
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO enforcement (enterprise_id, region_code, inspection_id, hazard_id, kind, decided_on, \
        document_no, facts, category_key, rule, basis, fine_yuan, fine_max_yuan, max_penalty, penalty_rule, reason, \
        created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
        RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(n.enterprise_id)
        .bind(&e.region_code)
        .bind(n.inspection_id)
        .bind(n.hazard_id)
        .bind(n.kind.key())
        .bind(format_date(n.on))
        .bind(n.document_no.trim())
        .bind(n.facts.trim())
        .bind(&category.key)
        .bind(&rule)
        .bind(&basis)
        .bind(n.fine_yuan)
        .bind(category.fine_max_yuan)
        .bind(max_penalty)
        .bind(&penalty_rule)
        .bind(reason)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    const VIOLATION: &str = "INSERT INTO violation (enforcement_id, enterprise_id, region_code, category_key, rule, \
        occurred_on, typical, created_at) VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7)";
    with_tx!(&mut tx, |c| sqlx::query(VIOLATION)
        .bind(id)
        .bind(n.enterprise_id)
        .bind(&e.region_code)
        .bind(&category.key)
        .bind(&rule)
        .bind(format_date(n.on))
        .bind(now_secs())
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new(
        "enforcement.decide",
        format!("enterprise:{}", n.enterprise_id),
    )
    .detail(format!(
        "“{}”{}（{}）：{}；类别 {}（{rule}）{}{}",
        e.name,
        n.kind.label(),
        format_date(n.on),
        n.facts.trim(),
        category.name,
        n.fine_yuan
            .map(|f| format!("；罚款 {f} 元（上限 {} 元）", category.fine_max_yuan))
            .unwrap_or_default(),
        reason
            .map(|r| format!("；低于上限理由：{r}"))
            .unwrap_or_default()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// A decision with its violation record, as lists show it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Decision {
    pub id: i64,
    pub violation_id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub inspection_id: Option<i64>,
    pub hazard_id: Option<i64>,
    pub kind: String,
    pub decided_on: String,
    pub document_no: String,
    pub facts: String,
    pub category_key: String,
    pub rule: String,
    pub basis: String,
    pub fine_yuan: Option<i64>,
    pub fine_max_yuan: i64,
    pub max_penalty: bool,
    pub penalty_rule: Option<String>,
    pub reason: Option<String>,
    pub typical: bool,
    pub created_by: String,
}

impl Decision {
    pub fn kind_label(&self) -> &'static str {
        Kind::parse(&self.kind).map(Kind::label).unwrap_or("")
    }
}

const COLUMNS: &str = "d.id, v.id AS violation_id, d.enterprise_id, e.name, d.region_code, d.inspection_id, \
    d.hazard_id, d.kind, d.decided_on, d.document_no, d.facts, d.category_key, d.rule, d.basis, d.fine_yuan, \
    d.fine_max_yuan, d.max_penalty, d.penalty_rule, d.reason, v.typical, d.created_by \
    FROM enforcement d JOIN violation v ON v.enforcement_id = d.id JOIN enterprise e ON e.id = d.enterprise_id";

/// What a violation list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub enterprise_id: Option<i64>,
    pub hazard_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub category_key: Option<String>,
    pub typical_only: bool,
    /// Region codes of one unit.
    pub region_codes: Option<Vec<String>>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

fn filtered(scope: &Scope, f: &Filter) -> SqlBuf {
    let mut b = SqlBuf::new(&format!("SELECT {COLUMNS} WHERE 1 = 1"));
    push_scope(
        &mut b,
        scope,
        "d.enterprise_id",
        "d.region_code",
        "e.township",
    );
    if let Some(id) = f.enterprise_id {
        b.push(" AND d.enterprise_id = ");
        b.bind(Arg::Int(id));
    }
    if let Some(id) = f.hazard_id {
        b.push(" AND d.hazard_id = ");
        b.bind(Arg::Int(id));
    }
    if let Some(id) = f.inspection_id {
        b.push(" AND d.inspection_id = ");
        b.bind(Arg::Int(id));
    }
    if let Some(c) = &f.category_key {
        b.push(" AND d.category_key = ");
        b.bind(Arg::Text(c.clone()));
    }
    if f.typical_only {
        b.push(" AND v.typical");
    }
    if let Some(codes) = &f.region_codes {
        if codes.is_empty() {
            b.push(" AND 1 = 0");
        } else {
            b.push(" AND d.region_code IN ");
            b.bind_list(codes.iter().cloned().map(Arg::Text));
        }
    }
    if let Some(d) = f.from {
        b.push(" AND v.occurred_on >= ");
        b.bind(Arg::Text(format_date(d)));
    }
    if let Some(d) = f.to {
        b.push(" AND v.occurred_on <= ");
        b.bind(Arg::Text(format_date(d)));
    }
    b
}

/// Decisions within the scope, newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Decision>, StoreError> {
    let mut b = filtered(scope, f);
    b.push(" ORDER BY d.decided_on DESC, d.id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.push(" OFFSET ");
    b.bind(Arg::Int(offset));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Decision>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// One page of the decisions within the scope, newest first.
pub async fn page(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Decision>, StoreError> {
    crate::paging::fetch(db, &filtered(scope, f), "d.decided_on DESC, d.id DESC", req).await
}

/// Marks a violation record as a typical case (典型案件) or not.
pub async fn set_typical(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    violation_id: i64,
    typical: bool,
) -> Result<(), StoreError> {
    let mut b = SqlBuf::new(&format!("SELECT {COLUMNS} WHERE v.id = "));
    b.bind(Arg::Int(violation_id));
    push_scope(
        &mut b,
        scope,
        "d.enterprise_id",
        "d.region_code",
        "e.township",
    );
    let sql = b.render(db.backend());
    let d: Decision = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Decision>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)?;
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE violation SET typical = $1, typical_by = $2 WHERE id = $3";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(typical)
        .bind(&actor.username)
        .bind(violation_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new(
        "violation.typical",
        format!("enterprise:{}", d.enterprise_id),
    )
    .detail(format!(
        "“{}”{}（{}）{}典型案件",
        d.name,
        d.kind_label(),
        d.decided_on,
        if typical { "列为" } else { "取消" }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// A warning notice (警示通报).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Notice {
    pub id: i64,
    pub unit: String,
    pub period_from: String,
    pub period_to: String,
    pub title: String,
    pub body: String,
    /// `category_key:n;…`
    pub counts: String,
    pub total: i64,
    pub rule: String,
    pub drafted_by: String,
    pub published_on: Option<String>,
}

impl Notice {
    /// (category key, count), as drafted.
    pub fn counts(&self) -> Vec<(String, i64)> {
        self.counts
            .split(';')
            .filter_map(|p| {
                let (k, n) = p.split_once(':')?;
                Some((k.to_string(), n.parse().ok()?))
            })
            .collect()
    }
}

const NOTICE_COLUMNS: &str =
    "id, unit, period_from, period_to, title, body, counts, total, rule, drafted_by, published_on";

/// Drafts the warning notice of `unit` for `[from, to]` from its violation records: counts by
/// category of the version in force at `to`, and the typical cases cited.
pub async fn draft_notice(
    db: &Db,
    actor: &Actor,
    set: &ViolationSet,
    unit: &str,
    region_codes: &[String],
    from: Date,
    to: Date,
) -> Result<i64, StoreError> {
    if to < from {
        return Err(StoreError::Invalid(
            "通报期间的结束日期不能早于开始日期".into(),
        ));
    }
    if region_codes.is_empty() {
        return Err(StoreError::Invalid(format!("没有地区“{unit}”")));
    }
    let f = Filter {
        region_codes: Some(region_codes.to_vec()),
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let all = list(db, &Scope::City, &f, 1_000_000, 0).await?;
    if all.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{unit}在 {} 至 {} 没有违法行为记录，无需通报",
            format_date(from),
            format_date(to)
        )));
    }
    let mut counts: Vec<(String, i64)> =
        set.categories.iter().map(|c| (c.key.clone(), 0)).collect();
    for d in &all {
        match counts.iter_mut().find(|(k, _)| *k == d.category_key) {
            Some((_, n)) => *n += 1,
            None => counts.push((d.category_key.clone(), 1)),
        }
    }
    let typical: Vec<&Decision> = all.iter().filter(|d| d.typical).collect();
    let fines: i64 = all.iter().filter_map(|d| d.fine_yuan).sum();
    let suspensions = all.iter().filter(|d| d.kind == "suspension").count();
    let top: Vec<String> = {
        let mut c: Vec<&(String, i64)> = counts.iter().filter(|(_, n)| *n > 0).collect();
        c.sort_by_key(|x| std::cmp::Reverse(x.1));
        c.iter()
            .take(3)
            .map(|(k, n)| {
                format!(
                    "{}（{n} 起）",
                    set.category(k).map(|c| c.name.as_str()).unwrap_or(k)
                )
            })
            .collect()
    };
    let title = format!(
        "{unit}安全生产违法行为警示通报（{} 至 {}）",
        format_date(from),
        format_date(to)
    );
    let period = format!("{} 至 {}", format_date(from), format_date(to));
    let body =
        anbiao_domain::enforcement::notice_opening(&anbiao_domain::enforcement::NoticeFigures {
            period: &period,
            unit,
            decisions: all.len(),
            fines_yuan: fines,
            suspensions,
            top: &top,
            typical: typical.len(),
        });
    let counts_text = counts
        .iter()
        .map(|(k, n)| format!("{k}:{n}"))
        .collect::<Vec<_>>()
        .join(";");
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO warning_notice (unit, period_from, period_to, title, body, counts, total, rule, \
        drafted_by, drafted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(unit)
        .bind(format_date(from))
        .bind(format_date(to))
        .bind(&title)
        .bind(&body)
        .bind(&counts_text)
        .bind(i64::try_from(all.len()).unwrap_or(0))
        .bind(format!("{}@{}", set.id, set.version))
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    const CASE: &str = "INSERT INTO warning_case (notice_id, violation_id) VALUES ($1, $2)";
    for d in &typical {
        with_tx!(&mut tx, |c| sqlx::query(CASE)
            .bind(id)
            .bind(d.violation_id)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = Event::new("warning.draft", format!("warning:{id}")).detail(title);
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Publishes a drafted notice on the portal.
pub async fn publish_notice(db: &Db, actor: &Actor, id: i64, on: Date) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE warning_notice SET published_on = $1, published_by = $2 WHERE id = $3 AND published_on IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(on))
        .bind(&actor.username)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict("该通报不存在或已发布".into()));
    }
    let ev = Event::new("warning.publish", format!("warning:{id}"))
        .detail(format!("发布警示通报 #{id}（{}）", format_date(on)));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// A notice; drafts only when `drafts` (the city's own view).
pub async fn notice(db: &Db, id: i64, drafts: bool) -> Result<Notice, StoreError> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM warning_notice WHERE id = $1{}",
        if drafts {
            ""
        } else {
            " AND published_on IS NOT NULL"
        }
    );
    with_pool!(db, |p| sqlx::query_as::<_, Notice>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// Notices, newest first; published only unless `drafts`.
pub async fn notices(db: &Db, drafts: bool, limit: i64) -> Result<Vec<Notice>, StoreError> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM warning_notice{} ORDER BY period_to DESC, id DESC LIMIT $1",
        if drafts {
            ""
        } else {
            " WHERE published_on IS NOT NULL"
        }
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Notice>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(limit)
    .fetch_all(p)
    .await)?)
}

/// The typical cases a notice cites, as public text: (enterprise, decision, day, facts, penalty).
pub async fn notice_cases(db: &Db, id: i64) -> Result<Vec<Decision>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} WHERE v.id IN (SELECT violation_id FROM warning_case WHERE notice_id = $1) \
         ORDER BY d.decided_on, d.id"
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Decision>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_all(p)
    .await)?)
}

/// Whether a hazard's state allows a new decision at all (for the page's form).
pub fn open_for_decisions(state: State) -> bool {
    state != State::Closed
}

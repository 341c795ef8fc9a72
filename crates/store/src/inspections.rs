//! Inspections (监督检查): a visit of the annual plan or an ad hoc one (complaint, special
//! campaign), its checklist answers under the version in force on its day, and the hazards its
//! findings open, all in one transaction.

use anbiao_domain::Scope;
use anbiao_domain::checklist::{Answer, ChecklistSet};
use anbiao_domain::date::format_date;
use anbiao_domain::major_hazard::MajorHazardBook;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::enterprise::push_scope;
use crate::hazards::{self, NewHazard};
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, enterprise, with_pool, with_tx};

/// Why the inspection took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A visit of the unit's annual plan.
    Plan,
    /// A complaint or report (举报投诉).
    Complaint,
    /// A special campaign (专项检查).
    Campaign,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Self::Plan, Self::Complaint, Self::Campaign, Self::Other];

    pub fn key(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::Complaint => "complaint",
            Self::Campaign => "campaign",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Plan => "计划检查",
            Self::Complaint => "举报投诉核查",
            Self::Campaign => "专项检查",
            Self::Other => "其他检查",
        }
    }
}

/// An inspection to record.
#[derive(Debug, Clone)]
pub struct NewInspection<'a> {
    pub enterprise_id: i64,
    pub kind: Kind,
    pub on: Date,
    /// The officers who inspected (two for a law-enforcement inspection).
    pub officers: Vec<String>,
    pub checklist: &'a ChecklistSet,
    /// (item key, answer, note)
    pub answers: Vec<(String, Answer, String)>,
    /// The gaps of the enterprise's obligation list checked on the inspection, each checked by
    /// the action against the list: (`gap:` record id, answer, note).
    pub gap_answers: Vec<(String, Answer, String)>,
    pub summary: &'a str,
    /// The hazards found; each is registered with source `inspection`.
    pub findings: Vec<NewHazard<'a>>,
}

/// Officers per inspection: law enforcement is done in pairs (国办发〔2015〕58号 practice).
pub const OFFICERS_NEEDED: usize = 2;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Inspection {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub region_code: String,
    pub plan_id: Option<i64>,
    pub kind: String,
    pub inspected_on: String,
    pub officers: String,
    pub checklist: String,
    pub findings: i64,
    pub summary: String,
    pub created_by: String,
}

impl Inspection {
    pub fn kind_label(&self) -> &'static str {
        Kind::parse(&self.kind).map(Kind::label).unwrap_or("")
    }
}

const COLUMNS: &str = "i.id, i.enterprise_id, e.name, i.region_code, i.plan_id, i.kind, i.inspected_on, \
    i.officers, i.checklist, i.findings, i.summary, i.created_by";

/// The plan of the enterprise's unit for the year of `on` that lists the enterprise.
async fn plan_of(db: &Db, enterprise_id: i64, on: Date) -> Result<Option<i64>, StoreError> {
    const SQL: &str = "SELECT p.id FROM inspection_plan p JOIN inspection_plan_line l ON l.plan_id = p.id \
        WHERE l.enterprise_id = $1 AND p.year = $2";
    Ok(with_pool!(db, |p| sqlx::query_scalar::<_, i64>(SQL)
        .bind(enterprise_id)
        .bind(i64::from(on.year()))
        .fetch_optional(p)
        .await)?)
}

/// Records an inspection of an enterprise within the scope, with its findings as hazards.
pub async fn record(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    book: &MajorHazardBook,
    n: &NewInspection<'_>,
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, n.enterprise_id).await?;
    if !n.checklist.validity().contains(n.on) {
        return Err(StoreError::Invalid(format!(
            "检查表 {} 在 {} 不适用",
            n.checklist.name(),
            format_date(n.on)
        )));
    }
    let mut officers: Vec<String> = n
        .officers
        .iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
    officers.dedup();
    if officers.len() < OFFICERS_NEEDED {
        return Err(StoreError::Invalid(format!(
            "执法检查须由 {OFFICERS_NEEDED} 名以上执法人员实施，请填写检查人员"
        )));
    }
    let answers = n
        .checklist
        .check(&n.answers)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let finding_items = answers
        .iter()
        .copied()
        .chain(n.gap_answers.iter())
        .filter(|a| a.1 == Answer::Finding)
        .count();
    if finding_items > 0 && n.findings.is_empty() {
        return Err(StoreError::Invalid(
            "检查表或企业自查问题中有发现问题、未整改到位的条目，请登记相应的隐患（写明整改期限）"
                .into(),
        ));
    }
    let plan_id = match n.kind {
        Kind::Plan => Some(plan_of(db, n.enterprise_id, n.on).await?.ok_or_else(|| {
            StoreError::Invalid(format!(
                "“{}”不在 {} 年度监督检查计划中，请选择举报投诉、专项或其他检查",
                e.name,
                n.on.year()
            ))
        })?),
        _ => None,
    };
    let mut checked = Vec::new();
    for (i, f) in n.findings.iter().enumerate() {
        if f.enterprise_id != n.enterprise_id || f.source != "inspection" {
            return Err(StoreError::Invalid("隐患应属于被检查企业".into()));
        }
        if f.found_on != n.on {
            return Err(StoreError::Invalid(format!(
                "第 {} 项隐患的发现日期应为检查日期",
                i + 1
            )));
        }
        let c = hazards::check(db, scope, book, f)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => StoreError::Invalid(format!("第 {} 项隐患：{m}", i + 1)),
                other => other,
            })?;
        checked.push(c);
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO inspection (enterprise_id, region_code, plan_id, kind, inspected_on, officers, \
        checklist, findings, summary, created_by, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(n.enterprise_id)
        .bind(&e.region_code)
        .bind(plan_id)
        .bind(n.kind.key())
        .bind(format_date(n.on))
        .bind(officers.join(","))
        .bind(n.checklist.name())
        .bind(i64::try_from(n.findings.len()).unwrap_or(0))
        .bind(n.summary.trim())
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    crate::inspection_plans::count_recorded_tx(
        &mut tx,
        n.enterprise_id,
        &e.region_code,
        e.township.as_deref().unwrap_or(""),
        n.on,
    )
    .await?;
    const ITEM: &str = "INSERT INTO inspection_item (inspection_id, item_key, answer, note) VALUES ($1, $2, $3, $4)";
    for (key, answer, note) in answers.into_iter().chain(n.gap_answers.iter()) {
        with_tx!(&mut tx, |c| sqlx::query(ITEM)
            .bind(id)
            .bind(key)
            .bind(answer.key())
            .bind(note.trim())
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    for (f, c) in n.findings.iter().zip(&checked) {
        hazards::register_tx(&mut tx, actor, f, c, Some(id), None).await?;
    }
    let ev = Event::new(
        "inspection.record",
        format!("enterprise:{}", n.enterprise_id),
    )
    .detail(format!(
        "{} {}“{}”（{}，检查人员 {}）：发现隐患 {} 项{}",
        format_date(n.on),
        n.kind.label(),
        e.name,
        n.checklist.name(),
        officers.join("、"),
        n.findings.len(),
        if n.summary.trim().is_empty() {
            String::new()
        } else {
            format!("；{}", n.summary.trim())
        }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// An inspection within the scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Inspection, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM inspection i JOIN enterprise e ON e.id = i.enterprise_id WHERE i.id = "
    ));
    b.bind(Arg::Int(id));
    push_scope(
        &mut b,
        scope,
        "i.enterprise_id",
        "i.region_code",
        "e.township",
    );
    let sql = b.render(db.backend());
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Inspection>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// The answers of an inspection: (item key, answer, note), by key (the page shows them in
/// the order of the checklist version recorded).
pub async fn items(
    db: &Db,
    scope: &Scope,
    id: i64,
) -> Result<Vec<(String, String, String)>, StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT item_key, answer, note FROM inspection_item WHERE inspection_id = $1 ORDER BY item_key";
    Ok(with_pool!(db, |p| sqlx::query_as::<
        _,
        (String, String, String),
    >(SQL)
    .bind(id)
    .fetch_all(p)
    .await)?)
}

/// Inspections within the scope, newest first; one enterprise's when `enterprise_id` is set.
/// The inspections within the scope (of one enterprise, of one year when given), unordered.
fn filtered(scope: &Scope, enterprise_id: Option<i64>, year: Option<i32>) -> SqlBuf {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM inspection i JOIN enterprise e ON e.id = i.enterprise_id WHERE 1 = 1"
    ));
    push_scope(
        &mut b,
        scope,
        "i.enterprise_id",
        "i.region_code",
        "e.township",
    );
    if let Some(id) = enterprise_id {
        b.push(" AND i.enterprise_id = ");
        b.bind(Arg::Int(id));
    }
    if let Some(y) = year {
        b.push(" AND i.inspected_on >= ");
        b.bind(Arg::Text(format!("{y:04}-01-01")));
        b.push(" AND i.inspected_on <= ");
        b.bind(Arg::Text(format!("{y:04}-12-31")));
    }
    b
}

pub async fn list(
    db: &Db,
    scope: &Scope,
    enterprise_id: Option<i64>,
    year: Option<i32>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Inspection>, StoreError> {
    let mut b = filtered(scope, enterprise_id, year);
    b.push(" ORDER BY i.inspected_on DESC, i.id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.push(" OFFSET ");
    b.bind(Arg::Int(offset));
    b.fetch_all(db).await
}

/// One page of the inspections within the scope, newest first, with the total up to the cap.
pub async fn page(
    db: &Db,
    scope: &Scope,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Inspection>, StoreError> {
    crate::paging::fetch(
        db,
        &filtered(scope, None, None),
        "i.inspected_on DESC, i.id DESC",
        req,
    )
    .await
}

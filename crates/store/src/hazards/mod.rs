//! Hidden hazards (事故隐患) on the path of `domain::hazard`: registered by an inspector or by
//! the enterprise itself, a major one linked to an item of the standard in force on its day and
//! planned with the 五定, reported done with a photo, accepted and written off with evidence.
//! Every step is a conditional update on the version read, with an event and an audit entry.

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::hazard::{self, FiveFixes, HazardError, Level, State, Step, Tally, TallyFacts};
use anbiao_domain::major_hazard::MajorHazardBook;
use sha2::{Digest, Sha256};
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::{Tx, now_secs};
use crate::enterprise::push_scope;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, enterprise, queue, with_pool, with_tx};

mod lists;
mod stats;
mod sums;

pub use lists::*;
pub use stats::*;
pub use sums::*;

impl From<HazardError> for StoreError {
    fn from(e: HazardError) -> Self {
        StoreError::Invalid(e.to_string())
    }
}

/// A hazard to register.
#[derive(Debug, Clone)]
pub struct NewHazard<'a> {
    pub enterprise_id: i64,
    /// `inspection` or `self` (the enterprise's own check).
    pub source: &'a str,
    pub level: Level,
    /// For a major hazard: the item of the standard in force on `found_on`.
    pub item_key: Option<&'a str>,
    pub description: &'a str,
    pub found_on: Date,
    pub deadline: Option<Date>,
    /// A photo of the hazard as found.
    pub photo: Option<&'a [u8]>,
}

#[derive(Debug, Clone)]
pub struct Hazard {
    pub id: i64,
    pub enterprise_id: i64,
    pub region_code: String,
    pub source: String,
    pub level: Level,
    pub standard_id: Option<String>,
    pub item_key: Option<String>,
    pub description: String,
    pub found_on: String,
    pub deadline: String,
    pub state: State,
    pub plan_measures: Option<String>,
    pub plan_responsible: Option<String>,
    pub plan_funds_yuan: Option<i64>,
    pub plan_deadline: Option<String>,
    pub plan_contingency: Option<String>,
    pub rectified_on: Option<String>,
    pub closed_on: Option<String>,
    pub closed_by: Option<String>,
    pub created_by: String,
    pub version: i64,
    pub inspection_id: Option<i64>,
    /// The risk point it was found at, if any.
    pub risk_point_id: Option<i64>,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for Hazard
where
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let id: i64 = row.try_get("id")?;
        let level: String = row.try_get("level")?;
        let state: String = row.try_get("state")?;
        Ok(Self {
            id,
            enterprise_id: row.try_get("enterprise_id")?,
            region_code: row.try_get("region_code")?,
            source: row.try_get("source")?,
            level: crate::rows::code("hazard", id, "level", &level, Level::parse)?,
            standard_id: row.try_get("standard_id")?,
            item_key: row.try_get("item_key")?,
            description: row.try_get("description")?,
            found_on: row.try_get("found_on")?,
            deadline: row.try_get("deadline")?,
            state: crate::rows::code("hazard", id, "state", &state, State::parse)?,
            plan_measures: row.try_get("plan_measures")?,
            plan_responsible: row.try_get("plan_responsible")?,
            plan_funds_yuan: row.try_get("plan_funds_yuan")?,
            plan_deadline: row.try_get("plan_deadline")?,
            plan_contingency: row.try_get("plan_contingency")?,
            rectified_on: row.try_get("rectified_on")?,
            closed_on: row.try_get("closed_on")?,
            closed_by: row.try_get("closed_by")?,
            created_by: row.try_get("created_by")?,
            version: row.try_get("version")?,
            inspection_id: row.try_get("inspection_id")?,
            risk_point_id: row.try_get("risk_point_id")?,
        })
    }
}

impl Hazard {
    pub fn level(&self) -> Level {
        self.level
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Past its deadline (the plan's, once a major hazard has one) and not reported done.
    pub fn overdue_on(&self, on: Date) -> bool {
        let deadline = self
            .plan_deadline
            .as_deref()
            .or(Some(self.deadline.as_str()))
            .and_then(parse_date);
        deadline.is_some_and(|d| hazard::overdue(self.state(), d, on))
    }
}

const COLUMNS: &str = "h.id, h.enterprise_id, h.region_code, h.source, h.level, h.standard_id, h.item_key, \
    h.description, h.found_on, h.deadline, h.state, h.plan_measures, h.plan_responsible, h.plan_funds_yuan, \
    h.plan_deadline, h.plan_contingency, h.rectified_on, h.closed_on, h.closed_by, h.created_by, h.version, \
    h.inspection_id, h.risk_point_id";

pub(crate) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn insert_photo(
    tx: &mut Tx,
    actor: &Actor,
    hazard_id: i64,
    phase: &str,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let content_type = hazard::photo_type(bytes)?;
    const SQL: &str = "INSERT INTO hazard_photo (hazard_id, phase, content_type, bytes, sha256, uploaded_by, uploaded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    with_tx!(tx, |c| sqlx::query(SQL)
        .bind(hazard_id)
        .bind(phase)
        .bind(content_type)
        .bind(bytes)
        .bind(sha256(bytes))
        .bind(&actor.username)
        .bind(now_secs())
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    actor: &Actor,
    hazard_id: i64,
    step: &str,
    from: Option<State>,
    to: State,
    note: &str,
    on: Date,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO hazard_event (hazard_id, step, from_state, to_state, note, actor, on_day, at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    with_tx!(tx, |c| sqlx::query(SQL)
        .bind(hazard_id)
        .bind(step)
        .bind(from.map(State::key))
        .bind(to.key())
        .bind(note)
        .bind(&actor.username)
        .bind(format_date(on))
        .bind(now_secs())
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Whether `item_key` is an item of `standard_id`: shipped with the standard or imported.
async fn item_known(
    db: &Db,
    book: &MajorHazardBook,
    standard_id: &str,
    item_key: &str,
) -> Result<bool, StoreError> {
    if book
        .standards
        .iter()
        .filter(|s| s.id == standard_id)
        .flat_map(|s| &s.items)
        .any(|i| i.key() == item_key)
    {
        return Ok(true);
    }
    const SQL: &str =
        "SELECT COUNT(*) FROM major_hazard_item WHERE standard_id = $1 AND item_key = $2";
    let n: i64 = with_pool!(db, |p| sqlx::query_scalar(SQL)
        .bind(standard_id)
        .bind(item_key)
        .fetch_one(p)
        .await)?;
    Ok(n > 0)
}

/// A hazard checked and ready to write: what registration looked up.
#[derive(Debug, Clone)]
pub struct Checked {
    name: String,
    region_code: String,
    standard: Option<(String, String)>,
    deadline: Date,
}

/// Checks a hazard to register for an enterprise within the scope (nothing is written).
pub async fn check(
    db: &Db,
    scope: &Scope,
    book: &MajorHazardBook,
    n: &NewHazard<'_>,
) -> Result<Checked, StoreError> {
    let e = enterprise::get(db, scope, n.enterprise_id).await?;
    if !matches!(n.source, "inspection" | "self") {
        return Err(StoreError::Invalid("隐患来源应为监督检查或企业自查".into()));
    }
    let standard = match n.level {
        Level::Major => Some(book.in_force(n.found_on).ok_or_else(|| {
            StoreError::Invalid(format!(
                "{} 没有施行的重大事故隐患判定标准",
                format_date(n.found_on)
            ))
        })?),
        Level::General => None,
    };
    hazard::check_new(
        n.level,
        n.item_key,
        standard.map(|s| s.title.as_str()).unwrap_or(""),
        n.description,
        n.found_on,
        n.deadline,
    )?;
    if let (Some(s), Some(item)) = (standard, n.item_key)
        && !item_known(db, book, &s.id, item.trim()).await?
    {
        return Err(StoreError::Invalid(format!(
            "《{}》中没有条款“{}”",
            s.title,
            item.trim()
        )));
    }
    if let Some(p) = n.photo {
        hazard::photo_type(p)?;
    }
    Ok(Checked {
        name: e.name,
        region_code: e.region_code,
        standard: standard.map(|s| (s.id.clone(), s.title.clone())),
        deadline: n.deadline.ok_or(HazardError::NoDeadline)?,
    })
}

/// Registers a hazard of an enterprise within the scope.
pub async fn register(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    book: &MajorHazardBook,
    n: &NewHazard<'_>,
) -> Result<i64, StoreError> {
    let c = check(db, scope, book, n).await?;
    let mut tx = db.begin().await?;
    let id = register_tx(&mut tx, actor, n, &c, None, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes a checked hazard in `tx` (found on inspection `inspection_id` or at risk point
/// `risk_point_id`, if any), with its event, its audit entry and the reminder and escalation
/// jobs of its deadline.
pub async fn register_tx(
    tx: &mut Tx,
    actor: &Actor,
    n: &NewHazard<'_>,
    c: &Checked,
    inspection_id: Option<i64>,
    risk_point_id: Option<i64>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO hazard (enterprise_id, region_code, source, level, standard_id, item_key, \
        description, found_on, deadline, state, created_by, created_at, inspection_id, risk_point_id) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12, $13) RETURNING id";
    let id: i64 = with_tx!(tx, |c2| sqlx::query_scalar(SQL)
        .bind(n.enterprise_id)
        .bind(&c.region_code)
        .bind(n.source)
        .bind(n.level.key())
        .bind(c.standard.as_ref().map(|s| s.0.clone()))
        .bind(n.item_key.map(str::trim))
        .bind(n.description.trim())
        .bind(format_date(n.found_on))
        .bind(format_date(c.deadline))
        .bind(&actor.username)
        .bind(now_secs())
        .bind(inspection_id)
        .bind(risk_point_id)
        .fetch_one(c2)
        .await)?;
    if let Some(p) = n.photo {
        insert_photo(tx, actor, id, "before", p).await?;
    }
    event(
        tx,
        actor,
        id,
        "register",
        None,
        State::Open,
        n.description.trim(),
        n.found_on,
    )
    .await?;
    queue::deadline_jobs_tx(tx, id, c.deadline).await?;
    let facts = TallyFacts {
        level: n.level,
        state: State::Open,
        found_on: n.found_on,
        due: c.deadline,
        rectified_on: None,
        closed_on: None,
    };
    retally_tx(tx, &c.region_code, n.enterprise_id, None, Some(&facts)).await?;
    let ev =
        Event::new("hazard.register", format!("enterprise:{}", n.enterprise_id)).detail(format!(
            "“{}”{}（{}）：{}，整改期限 {}{}",
            c.name,
            n.level.label(),
            if n.source == "self" {
                "企业自查"
            } else {
                "监督检查"
            },
            n.description.trim(),
            format_date(c.deadline),
            n.item_key
                .map(|i| format!(
                    "；判定依据 {} {}",
                    c.standard.as_ref().map(|s| s.1.as_str()).unwrap_or(""),
                    i.trim()
                ))
                .unwrap_or_default()
        ));
    audit_log::append_tx(tx, actor, &ev).await?;
    Ok(id)
}

/// A hazard within the scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Hazard, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM hazard h JOIN enterprise e ON e.id = h.enterprise_id WHERE h.id = "
    ));
    b.bind(Arg::Int(id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let sql = b.render(db.backend());
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Hazard>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

async fn after_photos(db: &Db, id: i64) -> Result<usize, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM hazard_photo WHERE hazard_id = $1 AND phase = 'after'";
    let n: i64 = with_pool!(db, |p| sqlx::query_scalar(SQL).bind(id).fetch_one(p).await)?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Adds a photo (`before` or `after`) to a hazard that is not written off.
pub async fn add_photo(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    phase: &str,
    bytes: &[u8],
) -> Result<(), StoreError> {
    let h = get(db, scope, id).await?;
    if !matches!(phase, "before" | "after") {
        return Err(StoreError::Invalid("照片应注明整改前或整改后".into()));
    }
    if h.state() == State::Closed {
        return Err(StoreError::Conflict(
            "该隐患已验收销号，不能再上传照片".into(),
        ));
    }
    let mut tx = db.begin().await?;
    insert_photo(&mut tx, actor, id, phase, bytes).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the hazard from the state read (`version`) to `to`, or reports the conflict.
async fn update_state(
    tx: &mut Tx,
    h: &Hazard,
    to: State,
    set: &str,
    args: Vec<Arg>,
) -> Result<(), StoreError> {
    let mut b = SqlBuf::new("UPDATE hazard SET state = ");
    b.bind(Arg::Text(to.key().into()));
    b.push(", version = version + 1");
    if !set.is_empty() {
        // `set` holds `, col = ?` pieces, one placeholder per argument, in order.
        let mut args = args.into_iter();
        for piece in set.split('?') {
            b.push(piece);
            if let Some(a) = args.next() {
                b.bind(a);
            }
        }
    }
    b.push(" WHERE id = ");
    b.bind(Arg::Int(h.id));
    b.push(" AND version = ");
    b.bind(Arg::Int(h.version));
    let sql = b.render(tx.backend());
    let n = with_tx!(tx, |c| bind_args!(
        sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "该隐患已被他人处理，请刷新后重试".into(),
        ));
    }
    Ok(())
}

/// A major hazard's plan with the 五定, reported to the district.
pub async fn plan(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    five: &FiveFixes,
    on: Date,
) -> Result<(), StoreError> {
    let h = get(db, scope, id).await?;
    let found = parse_date(&h.found_on).unwrap_or(on);
    let to = hazard::next(h.level(), h.state(), Step::Plan, 0, "")?;
    five.check(found)?;
    let mut tx = db.begin().await?;
    update_state(
        &mut tx,
        &h,
        to,
        ", plan_measures = ?, plan_responsible = ?, plan_funds_yuan = ?, plan_deadline = ?, plan_contingency = ?, planned_on = ?",
        vec![
            Arg::Text(five.measures.trim().into()),
            Arg::Text(five.responsible.trim().into()),
            Arg::OptInt(five.funds_yuan),
            Arg::OptText(five.deadline.map(format_date)),
            Arg::Text(five.contingency.trim().into()),
            Arg::Text(format_date(on)),
        ],
    )
    .await?;
    if let Some(d) = five.deadline {
        queue::deadline_jobs_tx(&mut tx, id, d).await?;
    }
    let before = facts_of(&h);
    let after = before.map(|f| TallyFacts {
        state: to,
        due: five.deadline.unwrap_or(f.due),
        ..f
    });
    retally_tx(
        &mut tx,
        &h.region_code,
        h.enterprise_id,
        before.as_ref(),
        after.as_ref(),
    )
    .await?;
    event(
        &mut tx,
        actor,
        id,
        "plan",
        Some(h.state()),
        to,
        five.measures.trim(),
        on,
    )
    .await?;
    let ev = Event::new("hazard.plan", format!("enterprise:{}", h.enterprise_id)).detail(format!(
        "重大隐患 #{id} 治理方案：{}；责任人 {}；资金 {} 元；时限 {}",
        five.measures.trim(),
        five.responsible.trim(),
        five.funds_yuan.unwrap_or(0),
        five.deadline.map(format_date).unwrap_or_default()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The enterprise reports the rectification done, an officer accepts (销号) or returns it.
pub async fn step(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    step: Step,
    on: Date,
    note: &str,
) -> Result<State, StoreError> {
    step_with_photo(db, scope, actor, id, step, on, note, None).await
}

/// [`step`], with an "after" photo stored in the same transaction (the enterprise's report
/// of a rectification and its evidence arrive together, or neither does).
#[allow(clippy::too_many_arguments)]
pub async fn step_with_photo(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    step: Step,
    on: Date,
    note: &str,
    photo: Option<&[u8]>,
) -> Result<State, StoreError> {
    if step == Step::Plan {
        return Err(StoreError::Invalid("治理方案请按五定填写".into()));
    }
    let h = get(db, scope, id).await?;
    if let Some(p) = photo {
        hazard::photo_type(p)?;
    }
    let photos = after_photos(db, id).await? + usize::from(photo.is_some());
    let to = hazard::next(h.level(), h.state(), step, photos, note)?;
    let found = parse_date(&h.found_on).unwrap_or(on);
    if on < found {
        return Err(StoreError::Invalid("日期不能早于发现隐患的日期".into()));
    }
    let mut tx = db.begin().await?;
    if let Some(p) = photo {
        insert_photo(&mut tx, actor, id, "after", p).await?;
    }
    let (set, args) = match step {
        Step::Rectify => (", rectified_on = ?", vec![Arg::Text(format_date(on))]),
        Step::Accept => (
            ", closed_on = ?, closed_by = ?",
            vec![
                Arg::Text(format_date(on)),
                Arg::Text(actor.username.clone()),
            ],
        ),
        Step::Return | Step::Plan => (", rectified_on = NULL", Vec::new()),
    };
    update_state(&mut tx, &h, to, set, args).await?;
    let before = facts_of(&h);
    let after = before.map(|f| match step {
        Step::Rectify => TallyFacts {
            state: to,
            rectified_on: Some(on),
            ..f
        },
        Step::Accept => TallyFacts {
            state: to,
            closed_on: Some(on),
            ..f
        },
        Step::Return | Step::Plan => TallyFacts {
            state: to,
            rectified_on: None,
            ..f
        },
    });
    retally_tx(
        &mut tx,
        &h.region_code,
        h.enterprise_id,
        before.as_ref(),
        after.as_ref(),
    )
    .await?;
    let key = match step {
        Step::Rectify => "rectify",
        Step::Accept => "accept",
        Step::Return => "return",
        Step::Plan => "plan",
    };
    event(
        &mut tx,
        actor,
        id,
        key,
        Some(h.state()),
        to,
        note.trim(),
        on,
    )
    .await?;
    let ev = Event::new(
        &format!("hazard.{key}"),
        format!("enterprise:{}", h.enterprise_id),
    )
    .detail(format!(
        "{} #{id}：{}（{}）{}",
        h.level().label(),
        step.label(),
        format_date(on),
        if note.trim().is_empty() {
            String::new()
        } else {
            format!("；{}", note.trim())
        }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(to)
}

/// A photo's metadata.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Photo {
    pub id: i64,
    pub phase: String,
    pub content_type: String,
    pub sha256: String,
    pub uploaded_by: String,
}

pub async fn photos(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Photo>, StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT id, phase, content_type, sha256, uploaded_by FROM hazard_photo \
        WHERE hazard_id = $1 ORDER BY id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Photo>(SQL)
        .bind(id)
        .fetch_all(p)
        .await)?)
}

/// A photo's bytes and content type, within the scope.
pub async fn photo(
    db: &Db,
    scope: &Scope,
    hazard_id: i64,
    photo_id: i64,
) -> Result<(String, Vec<u8>), StoreError> {
    get(db, scope, hazard_id).await?;
    const SQL: &str =
        "SELECT content_type, bytes FROM hazard_photo WHERE id = $1 AND hazard_id = $2";
    with_pool!(db, |p| sqlx::query_as::<_, (String, Vec<u8>)>(SQL)
        .bind(photo_id)
        .bind(hazard_id)
        .fetch_optional(p)
        .await)?
    .ok_or(StoreError::NotFound)
}

/// Whether a rectification of the hazard was ever returned as not done.
pub async fn was_returned(db: &Db, id: i64) -> Result<bool, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM hazard_event WHERE hazard_id = $1 AND step = 'return'";
    let n: i64 = with_pool!(db, |p| sqlx::query_scalar(SQL).bind(id).fetch_one(p).await)?;
    Ok(n > 0)
}

/// A step taken on a hazard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HazardEvent {
    pub step: String,
    pub to_state: String,
    pub note: String,
    pub actor: String,
    pub on_day: String,
}

pub async fn events(db: &Db, scope: &Scope, id: i64) -> Result<Vec<HazardEvent>, StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT step, to_state, note, actor, on_day FROM hazard_event WHERE hazard_id = $1 ORDER BY id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, HazardEvent>(SQL)
        .bind(id)
        .fetch_all(p)
        .await)?)
}

/// Replaces the imported item list of a major-hazard standard with `items` (already checked
/// against its structure), in one transaction with an audit entry. Returns the count.
pub async fn import_items(
    db: &Db,
    actor: &Actor,
    standard_id: &str,
    items: &[anbiao_domain::major_hazard::Item],
) -> Result<usize, StoreError> {
    let mut tx = db.begin().await?;
    const CLEAR: &str = "DELETE FROM major_hazard_item WHERE standard_id = $1";
    with_tx!(&mut tx, |c| sqlx::query(CLEAR)
        .bind(standard_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    const SQL: &str = "INSERT INTO major_hazard_item (standard_id, item_key, class, area, number, text, \
        imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    for it in items {
        with_tx!(&mut tx, |c| sqlx::query(SQL)
            .bind(standard_id)
            .bind(it.key())
            .bind(&it.class)
            .bind(&it.area)
            .bind(i64::from(it.number))
            .bind(&it.text)
            .bind(&actor.username)
            .bind(now_secs())
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = Event::new("major_hazard.import", format!("standard:{standard_id}")).detail(format!(
        "导入重大事故隐患判定标准 {standard_id} 条款 {} 条",
        items.len()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(items.len())
}

/// The imported items of a standard: (key, text), by class, area and number.
pub async fn imported_items(
    db: &Db,
    standard_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    const SQL: &str = "SELECT item_key, text FROM major_hazard_item WHERE standard_id = $1 \
        ORDER BY class, area, number";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, (String, String)>(
        SQL
    )
    .bind(standard_id)
    .fetch_all(p)
    .await)?)
}

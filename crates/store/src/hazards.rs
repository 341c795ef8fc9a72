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
    h.inspection_id";

fn sha256(bytes: &[u8]) -> String {
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
    let id = register_tx(&mut tx, actor, n, &c, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes a checked hazard in `tx` (found on inspection `inspection_id`, if any), with its
/// event, its audit entry and the reminder and escalation jobs of its deadline.
pub async fn register_tx(
    tx: &mut Tx,
    actor: &Actor,
    n: &NewHazard<'_>,
    c: &Checked,
    inspection_id: Option<i64>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO hazard (enterprise_id, region_code, source, level, standard_id, item_key, \
        description, found_on, deadline, state, created_by, created_at, inspection_id) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, $12) RETURNING id";
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

/// What a hazard list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<State>,
    pub level: Option<Level>,
    /// Only those overdue on this day.
    pub overdue_on: Option<Date>,
    pub enterprise_id: Option<i64>,
    pub inspection_id: Option<i64>,
}

/// A line of a hazard list.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub level: Level,
    pub state: State,
    pub description: String,
    pub found_on: String,
    pub due: String,
    pub source: String,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for Line
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
            name: row.try_get("name")?,
            level: crate::rows::code("hazard", id, "level", &level, Level::parse)?,
            state: crate::rows::code("hazard", id, "state", &state, State::parse)?,
            description: row.try_get("description")?,
            found_on: row.try_get("found_on")?,
            due: row.try_get("due")?,
            source: row.try_get("source")?,
        })
    }
}

impl Line {
    pub fn level(&self) -> Level {
        self.level
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn overdue_on(&self, on: Date) -> bool {
        parse_date(&self.due).is_some_and(|d| hazard::overdue(self.state(), d, on))
    }
}

/// The effective deadline: the plan's, once a major hazard has one.
const DUE: &str = "COALESCE(h.plan_deadline, h.deadline)";

fn filtered(select: &str, scope: &Scope, f: &Filter) -> SqlBuf {
    let mut b = SqlBuf::new(select);
    b.push(" FROM hazard h JOIN enterprise e ON e.id = h.enterprise_id WHERE 1 = 1");
    push_scope(
        &mut b,
        scope,
        "h.enterprise_id",
        "h.region_code",
        "e.township",
    );
    if let Some(s) = f.state {
        b.push(" AND h.state = ");
        b.bind(Arg::Text(s.key().into()));
    }
    if let Some(l) = f.level {
        b.push(" AND h.level = ");
        b.bind(Arg::Text(l.key().into()));
    }
    // A state not written off with a level: the partial indexes of the open hazards hold them
    // in the order shown (without a level, the newest-first scan finds a page sooner).
    if f.level.is_some() && f.state.is_some_and(|s| s != State::Closed) {
        b.push(" AND h.state <> 'closed'");
    }
    if let Some(on) = f.overdue_on {
        b.push(&format!(" AND h.state IN ('open', 'planned') AND {DUE} < "));
        b.bind(Arg::Text(format_date(on)));
    }
    if let Some(id) = f.enterprise_id {
        b.push(" AND h.enterprise_id = ");
        b.bind(Arg::Int(id));
    }
    if let Some(id) = f.inspection_id {
        b.push(" AND h.inspection_id = ");
        b.bind(Arg::Int(id));
    }
    b
}

/// Hazards within the scope, newest found first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Line>, StoreError> {
    let mut b = filtered(
        &format!(
            "SELECT h.id, h.enterprise_id, e.name, h.level, h.state, h.description, h.found_on, \
             {DUE} AS due, h.source"
        ),
        scope,
        f,
    );
    b.push(" ORDER BY h.found_on DESC, h.id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.push(" OFFSET ");
    b.bind(Arg::Int(offset));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Line>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// The figures a hazard page leads with, within the scope, on a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Not written off.
    pub open: i64,
    pub major_open: i64,
    /// Past the deadline and not reported done.
    pub overdue: i64,
    /// Reported done, awaiting acceptance.
    pub awaiting: i64,
}

pub async fn summary(db: &Db, scope: &Scope, on: Date) -> Result<Summary, StoreError> {
    // The city's and a district's figures come from the running sums; a township's or an
    // enterprise's are counted from their hazards not written off.
    let codes = match scope {
        Scope::City => Some(None),
        Scope::Region { codes } => Some(Some(codes.as_slice())),
        _ => None,
    };
    if let Some(codes) = codes {
        let t = tallies_on(db, on, codes).await?;
        let sum = |x: Tally| t.values().filter_map(|m| m.get(&x)).sum::<i64>();
        return Ok(Summary {
            open: sum(Tally::Open),
            major_open: sum(Tally::OpenMajor),
            overdue: sum(Tally::Overdue),
            awaiting: sum(Tally::Awaiting),
        });
    }
    counted_summary(db, scope, on).await
}

/// The leading figures counted from the hazards not written off (any scope).
pub async fn counted_summary(db: &Db, scope: &Scope, on: Date) -> Result<Summary, StoreError> {
    let mut b = SqlBuf::new(
        "SELECT CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN h.level = 'major' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN h.state IN ('open', 'planned') AND COALESCE(h.plan_deadline, h.deadline) < ",
    );
    b.bind(Arg::Text(format_date(on)));
    b.push(
        " THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN h.state = 'rectified' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM hazard h",
    );
    // Only the hazards not written off, by the partial index; the enterprise is joined only
    // when the scope needs its township.
    if matches!(scope, Scope::Township { .. }) {
        b.push(" JOIN enterprise e ON e.id = h.enterprise_id");
    }
    b.push(" WHERE h.state <> 'closed'");
    push_scope(
        &mut b,
        scope,
        "h.enterprise_id",
        "h.region_code",
        "e.township",
    );
    let sql = b.render(db.backend());
    let (open, major_open, overdue, awaiting): (i64, i64, i64, i64) =
        with_pool!(db, |p| bind_args!(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_one(p)
        .await)?;
    Ok(Summary {
        open,
        major_open,
        overdue,
        awaiting,
    })
}

/// One row of the quarterly statistics (隐患排查治理统计, 总局令第16号): per region code or
/// per enterprise, per quarter of a year.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Quarter {
    pub found_general: i64,
    pub found_major: i64,
    /// Written off within the quarter.
    pub closed: i64,
    /// Found by the quarter's end and not written off by then.
    pub open_at_end: i64,
    /// Of those, past the deadline at the quarter's end and not reported done by then.
    pub overdue_at_end: i64,
}

impl Quarter {
    pub fn add(&mut self, o: &Quarter) {
        self.found_general += o.found_general;
        self.found_major += o.found_major;
        self.closed += o.closed;
        self.open_at_end += o.open_at_end;
        self.overdue_at_end += o.overdue_at_end;
    }
}

/// How statistics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    RegionCode,
    Enterprise,
}

/// The four quarters of `year` for every group within the scope that had a hazard open in
/// the year: `(group key, quarters)`, the key a region code or an enterprise id in text.
///
/// One pass over the hazards open at some time in the year: those not written off (the partial
/// index `hazard_open`) and those written off in or after it (`hazard_region_closed`), not the
/// whole history of the unit.
pub async fn quarterly(
    db: &Db,
    scope: &Scope,
    year: i32,
    by: By,
) -> Result<Vec<(String, [Quarter; 4])>, StoreError> {
    quarterly_where(db, scope, year, by, None, None).await
}

/// [`quarterly`], with the quarters taken as the sums take them when `today` is given (a quarter
/// not begun has nothing; the current one is counted as of today), and among `ids` only.
async fn quarterly_where(
    db: &Db,
    scope: &Scope,
    year: i32,
    by: By,
    today: Option<Date>,
    ids: Option<&[i64]>,
) -> Result<Vec<(String, [Quarter; 4])>, StoreError> {
    let group = match by {
        By::RegionCode => "h.region_code",
        By::Enterprise => "CAST(h.enterprise_id AS TEXT)",
    };
    let bounds: Vec<(String, String)> = (0..4u8)
        .map(|q| {
            let start = Date::from_calendar_date(year, month_of(q * 3 + 1), 1).unwrap_or(Date::MIN);
            let end = if q == 3 {
                Date::from_calendar_date(year + 1, time::Month::January, 1).unwrap_or(Date::MAX)
            } else {
                Date::from_calendar_date(year, month_of(q * 3 + 4), 1).unwrap_or(Date::MAX)
            };
            let end = match today.and_then(|t| t.next_day()) {
                Some(t) if t < end && start <= t => t,
                _ => end,
            };
            (format_date(start), format_date(end))
        })
        .collect();
    let not_begun: Vec<bool> = bounds
        .iter()
        .map(|(start, _)| today.is_some_and(|t| *start > format_date(t)))
        .collect();
    let year_start = bounds[0].0.clone();
    let mut b = SqlBuf::new("SELECT k");
    for (s, e) in &bounds {
        let sum = |b: &mut SqlBuf, cond: &dyn Fn(&mut SqlBuf)| {
            b.push(", CAST(SUM(CASE WHEN ");
            cond(b);
            b.push(" THEN 1 ELSE 0 END) AS BIGINT)");
        };
        for level in ["general", "major"] {
            sum(&mut b, &|b| {
                b.push(&format!("level = '{level}' AND found_on >= "));
                b.bind(Arg::Text(s.clone()));
                b.push(" AND found_on < ");
                b.bind(Arg::Text(e.clone()));
            });
        }
        sum(&mut b, &|b| {
            b.push("closed_on >= ");
            b.bind(Arg::Text(s.clone()));
            b.push(" AND closed_on < ");
            b.bind(Arg::Text(e.clone()));
        });
        // Open at the quarter's end: found before it and not written off by then.
        let open = |b: &mut SqlBuf| {
            b.push("found_on < ");
            b.bind(Arg::Text(e.clone()));
            b.push(" AND (closed_on IS NULL OR closed_on >= ");
            b.bind(Arg::Text(e.clone()));
            b.push(")");
        };
        sum(&mut b, &open);
        sum(&mut b, &|b| {
            open(b);
            b.push(" AND due < ");
            b.bind(Arg::Text(e.clone()));
            b.push(" AND (rectified_on IS NULL OR rectified_on >= ");
            b.bind(Arg::Text(e.clone()));
            b.push(")");
        });
    }
    b.push(" FROM (");
    let join = if matches!(scope, Scope::Township { .. }) {
        " JOIN enterprise e ON e.id = h.enterprise_id"
    } else {
        ""
    };
    for (i, open_now) in [true, false].into_iter().enumerate() {
        if i > 0 {
            b.push(" UNION ALL ");
        }
        b.push(&format!(
            "SELECT {group} AS k, h.level, h.found_on, h.closed_on, \
             COALESCE(h.plan_deadline, h.deadline) AS due, h.rectified_on FROM hazard h{join} WHERE "
        ));
        // No bound on the finding day here (the sums above count only what was found by each
        // quarter's end; a group with nothing in the year is left out below): with one, SQLite
        // would read a district's whole history through its finding-day index.
        if open_now {
            b.push("h.state <> 'closed'");
        } else {
            b.push("h.state = 'closed' AND h.closed_on >= ");
            b.bind(Arg::Text(year_start.clone()));
        }
        push_scope(
            &mut b,
            scope,
            "h.enterprise_id",
            "h.region_code",
            "e.township",
        );
        if let Some(ids) = ids {
            b.push(" AND h.enterprise_id IN ");
            if ids.is_empty() {
                b.push("(0)");
            } else {
                b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
            }
        }
    }
    b.push(") x GROUP BY k");
    let sql = b.render(db.backend());
    type Row = (
        String,
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
    );
    let rows: Vec<Row> = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, QuarterRow>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?
    .into_iter()
    .map(QuarterRow::into_parts)
    .collect();
    let quarter = |(g, m, c, o, d): (i64, i64, i64, i64, i64)| Quarter {
        found_general: g,
        found_major: m,
        closed: c,
        open_at_end: o,
        overdue_at_end: d,
    };
    let mut out: Vec<(String, [Quarter; 4])> = rows
        .into_iter()
        .map(|(k, a, b, c, d)| {
            let mut qs = [quarter(a), quarter(b), quarter(c), quarter(d)];
            for (q, skip) in qs.iter_mut().zip(&not_begun) {
                if *skip {
                    *q = Quarter::default();
                }
            }
            (k, qs)
        })
        .filter(|(_, qs)| qs.iter().any(|q| *q != Quarter::default()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A group's 4 × 5 figures as read (sqlx maps tuples of at most 16 columns).
struct QuarterRow {
    k: String,
    v: [i64; 20],
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for QuarterRow
where
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let mut v = [0i64; 20];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = row.try_get::<Option<i64>, _>(i + 1)?.unwrap_or(0);
        }
        Ok(QuarterRow {
            k: row.try_get(0)?,
            v,
        })
    }
}

impl QuarterRow {
    #[allow(clippy::type_complexity)]
    fn into_parts(
        self,
    ) -> (
        String,
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
    ) {
        let v = self.v;
        let q = |i: usize| (v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4]);
        (self.k, q(0), q(5), q(10), q(15))
    }
}

/// One page of a scope's per-enterprise statistics for a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterprisePage {
    /// Enterprises with a hazard open at some time in the year.
    pub enterprises: i64,
    /// The page's enterprises, most hazards found in the year first, then by id.
    pub rows: Vec<(i64, [Quarter; 4])>,
    pub more: bool,
    /// The quarters of every enterprise of the scope together.
    pub total: [Quarter; 4],
}

/// A page of the per-enterprise statistics of a district, township or enterprise: the order
/// from the kept ranking (`hazard_rank`), then those with only a hazard found in an earlier
/// year and still open (by id); the figures of the page's enterprises counted from their own
/// hazards, the total from the running sums for a district (counted otherwise). Quarters are
/// taken as of `today` as the sums take them.
pub async fn enterprise_page(
    db: &Db,
    scope: &Scope,
    year: i32,
    today: Date,
    offset: i64,
    limit: i64,
) -> Result<EnterprisePage, StoreError> {
    let (offset, limit) = (offset.max(0), limit.clamp(1, 1000));
    let codes: Option<&[String]> = match scope {
        Scope::Region { codes } | Scope::Township { codes, .. } => Some(codes),
        _ => None,
    };
    let township = matches!(scope, Scope::Township { .. });
    let join = if township {
        " JOIN enterprise e ON e.id = r.enterprise_id"
    } else {
        ""
    };
    let ranked_from = |b: &mut SqlBuf| {
        b.push(&format!(" FROM hazard_rank r{join} WHERE r.year = "));
        b.bind(Arg::Int(i64::from(year)));
        push_scope(b, scope, "r.enterprise_id", "r.region_code", "e.township");
    };
    // Several region codes (a district after a merger) can rank one enterprise twice.
    let one_code = codes.is_some_and(|c| c.len() == 1) || matches!(scope, Scope::Enterprise { .. });
    let mut count = SqlBuf::new(if one_code {
        "SELECT CAST(COUNT(*) AS BIGINT)"
    } else {
        "SELECT CAST(COUNT(DISTINCT r.enterprise_id) AS BIGINT)"
    });
    ranked_from(&mut count);
    let mut page = SqlBuf::new(if one_code {
        "SELECT r.enterprise_id, r.found"
    } else {
        "SELECT r.enterprise_id, CAST(SUM(r.found) AS BIGINT) AS f"
    });
    ranked_from(&mut page);
    if one_code {
        page.push(" ORDER BY r.found DESC, r.enterprise_id");
    } else {
        page.push(" GROUP BY r.enterprise_id ORDER BY f DESC, r.enterprise_id");
    }
    page.push(" LIMIT ");
    page.bind(Arg::Int(limit + 1));
    page.push(" OFFSET ");
    page.bind(Arg::Int(offset));
    // Still open from an earlier year, with no row for this one (its rows go to its write-off).
    let year_start =
        format_date(Date::from_calendar_date(year, time::Month::January, 1).unwrap_or(Date::MIN));
    let mut carried = SqlBuf::new("SELECT DISTINCT h.enterprise_id FROM hazard h");
    if township {
        carried.push(" JOIN enterprise e ON e.id = h.enterprise_id");
    }
    // The finding day in a CASE, so that the planner reads the hazards not written off (the
    // partial index) rather than the region's whole history by finding day.
    carried.push(" WHERE h.state <> 'closed' AND CASE WHEN h.found_on < ");
    carried.bind(Arg::Text(year_start));
    carried.push(" THEN 1 ELSE 0 END = 1");
    push_scope(
        &mut carried,
        scope,
        "h.enterprise_id",
        "h.region_code",
        "e.township",
    );
    carried.push(" AND NOT EXISTS (SELECT 1 FROM hazard_rank r WHERE r.enterprise_id = h.enterprise_id AND r.year = ");
    carried.bind(Arg::Int(i64::from(year)));
    if let Some(c) = codes {
        carried.push(" AND r.region_code IN ");
        carried.bind_list(c.iter().cloned().map(Arg::Text));
    }
    carried.push(") ORDER BY h.enterprise_id");
    let fetch_all = |b: SqlBuf| async move {
        let sql = b.render(db.backend());
        Ok::<_, StoreError>(with_pool!(db, |p| bind_args!(
            sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?)
    };
    let fetch_ids = |b: SqlBuf| async move {
        let sql = b.render(db.backend());
        Ok::<_, StoreError>(with_pool!(db, |p| bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?)
    };
    let (counted, ranked, carried) =
        tokio::try_join!(fetch_ids(count), fetch_all(page), fetch_ids(carried))?;
    let ranked_n = counted.first().copied().unwrap_or(0);
    let enterprises = ranked_n + carried.len() as i64;
    let mut ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
    if (ids.len() as i64) < limit + 1 {
        let skip = usize::try_from((offset - ranked_n).max(0)).unwrap_or(0);
        let want = usize::try_from(limit + 1).unwrap_or(0) - ids.len();
        ids.extend(carried.iter().skip(skip).take(want));
    }
    let more = ids.len() as i64 > limit;
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    let (figures, total) = tokio::try_join!(
        quarterly_where(db, scope, year, By::Enterprise, Some(today), Some(&ids)),
        async {
            let mut total: [Quarter; 4] = Default::default();
            let groups = match scope {
                Scope::Region { codes } => {
                    quarterly_from_sums(db, year, today, Some(codes)).await?
                }
                _ => quarterly_where(db, scope, year, By::Enterprise, Some(today), None).await?,
            };
            for (_, qs) in groups {
                for (a, b) in total.iter_mut().zip(qs.iter()) {
                    a.add(b);
                }
            }
            Ok::<_, StoreError>(total)
        }
    )?;
    let by_id: std::collections::HashMap<String, [Quarter; 4]> = figures.into_iter().collect();
    let rows = ids
        .into_iter()
        .map(|id| (id, by_id.get(&id.to_string()).cloned().unwrap_or_default()))
        .collect();
    Ok(EnterprisePage {
        enterprises,
        rows,
        more,
        total,
    })
}

fn month_of(m: u8) -> time::Month {
    time::Month::try_from(m).unwrap_or(time::Month::January)
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

// ---- Running sums for the statistics (domain::hazard::tally) ----

fn facts_of(h: &Hazard) -> Option<TallyFacts> {
    Some(TallyFacts {
        level: h.level(),
        state: h.state(),
        found_on: parse_date(&h.found_on)?,
        due: parse_date(h.plan_deadline.as_deref().unwrap_or(&h.deadline))?,
        rectified_on: h.rectified_on.as_deref().and_then(parse_date),
        closed_on: h.closed_on.as_deref().and_then(parse_date),
    })
}

type SumKey = (char, String, String, &'static str);

fn add_events(
    into: &mut std::collections::HashMap<SumKey, i64>,
    region: &str,
    f: &TallyFacts,
    sign: i64,
) {
    for (day, t, n) in hazard::tally(f) {
        let full = format_date(day);
        for (level, period) in [('y', &full[..4]), ('m', &full[..7]), ('d', &full[..])] {
            *into
                .entry((level, period.to_string(), region.to_string(), t.key()))
                .or_default() += sign * n;
        }
    }
}

async fn write_sums(
    tx: &mut Tx,
    diff: std::collections::HashMap<SumKey, i64>,
) -> Result<(), StoreError> {
    let mut changes: Vec<_> = diff.into_iter().filter(|(_, d)| *d != 0).collect();
    // A fixed order keeps concurrent writers of the sums from deadlocking.
    changes.sort();
    for chunk in changes.chunks(500) {
        let mut b = SqlBuf::new(
            "INSERT INTO hazard_sum (level, period, region_code, counter, delta) VALUES ",
        );
        for (i, ((level, period, region, counter), delta)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(level.to_string()),
                Arg::Text(period.clone()),
                Arg::Text(region.clone()),
                Arg::Text((*counter).into()),
                Arg::Int(*delta),
            ]);
        }
        b.push(
            " ON CONFLICT (level, period, region_code, counter) \
             DO UPDATE SET delta = hazard_sum.delta + excluded.delta",
        );
        b.execute_in(tx).await?;
    }
    Ok(())
}

/// Moves a hazard's contribution to the sums and the ranking from `before` to `after`, in `tx`.
async fn retally_tx(
    tx: &mut Tx,
    region: &str,
    enterprise_id: i64,
    before: Option<&TallyFacts>,
    after: Option<&TallyFacts>,
) -> Result<(), StoreError> {
    let mut diff = std::collections::HashMap::new();
    let mut rank = std::collections::HashMap::new();
    if let Some(b) = before {
        add_events(&mut diff, region, b, -1);
        add_rank(&mut rank, region, enterprise_id, b, -1);
    }
    if let Some(a) = after {
        add_events(&mut diff, region, a, 1);
        add_rank(&mut rank, region, enterprise_id, a, 1);
    }
    write_sums(tx, diff).await?;
    write_rank(tx, rank).await
}

type RankKey = (String, i32, i64);

/// A hazard's part in the ranking: found in its year; a row (of nothing found) for each later
/// year up to its write-off. Rows stay when a contribution is taken back: a hazard's finding
/// day, region and enterprise never change, and a write-off is final.
fn add_rank(
    into: &mut std::collections::HashMap<RankKey, i64>,
    region: &str,
    enterprise_id: i64,
    f: &TallyFacts,
    sign: i64,
) {
    let first = f.found_on.year();
    let last = f.closed_on.map_or(first, |d| d.year().max(first));
    for y in first..=last {
        *into
            .entry((region.to_string(), y, enterprise_id))
            .or_default() += if y == first { sign } else { 0 };
    }
}

async fn write_rank(
    tx: &mut Tx,
    rank: std::collections::HashMap<RankKey, i64>,
) -> Result<(), StoreError> {
    let mut rows: Vec<_> = rank.into_iter().collect();
    // A fixed order keeps concurrent writers from deadlocking.
    rows.sort();
    for chunk in rows.chunks(1000) {
        let mut b = SqlBuf::new(
            "INSERT INTO hazard_rank (region_code, year, enterprise_id, found) VALUES ",
        );
        for (i, ((region, year, e), found)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(region.clone()),
                Arg::Int(i64::from(*year)),
                Arg::Int(*e),
                Arg::Int(*found),
            ]);
        }
        b.push(
            " ON CONFLICT (region_code, year, enterprise_id) \
             DO UPDATE SET found = hazard_rank.found + excluded.found",
        );
        b.execute_in(tx).await?;
    }
    Ok(())
}

/// Rebuilds the sums from every hazard (after a bulk load outside the store, or for a database
/// that has hazards from before the sums existed). Returns the hazards read.
pub async fn rebuild_sums(db: &Db) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    for sql in ["DELETE FROM hazard_sum", "DELETE FROM hazard_rank"] {
        with_tx!(&mut tx, |c| sqlx::query(sql).execute(c).await.map(|_| ()))?;
    }
    tx.commit().await?;
    let mut after = 0i64;
    let mut read = 0u64;
    loop {
        let sql =
            format!("SELECT {COLUMNS} FROM hazard h WHERE h.id > $1 ORDER BY h.id LIMIT 50000");
        let rows: Vec<Hazard> = with_pool!(db, |p| sqlx::query_as::<_, Hazard>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(after)
        .fetch_all(p)
        .await)?;
        let Some(last) = rows.last() else {
            return Ok(read);
        };
        after = last.id;
        read += rows.len() as u64;
        let mut diff = std::collections::HashMap::new();
        let mut rank = std::collections::HashMap::new();
        for h in &rows {
            if let Some(f) = facts_of(h) {
                add_events(&mut diff, &h.region_code, &f, 1);
                add_rank(&mut rank, &h.region_code, h.enterprise_id, &f, 1);
            }
        }
        let mut tx = db.begin().await?;
        write_sums(&mut tx, diff).await?;
        write_rank(&mut tx, rank).await?;
        tx.commit().await?;
    }
}

/// Rebuilds the sums when there are hazards but no sums (a database from before them).
pub async fn ensure_sums(db: &Db) -> Result<u64, StoreError> {
    const ANY: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM hazard LIMIT 1) a), \
        (SELECT COUNT(*) FROM (SELECT 1 FROM hazard_sum LIMIT 1) b), \
        (SELECT COUNT(*) FROM (SELECT 1 FROM hazard_rank LIMIT 1) c)";
    let (h, s, r): (i64, i64, i64) = with_pool!(db, |p| sqlx::query_as(ANY).fetch_one(p).await)?;
    if h > 0 && (s == 0 || r == 0) {
        rebuild_sums(db).await
    } else {
        Ok(0)
    }
}

/// The counters per region code on `on`, from the sums; among `codes` when given.
pub async fn tallies_on(
    db: &Db,
    on: Date,
    codes: Option<&[String]>,
) -> Result<std::collections::BTreeMap<String, std::collections::BTreeMap<Tally, i64>>, StoreError>
{
    let full = format_date(on);
    let (year, month) = (full[..4].to_string(), full[..7].to_string());
    let region = |b: &mut SqlBuf| {
        if let Some(c) = codes {
            b.push(" AND region_code IN ");
            if c.is_empty() {
                b.push("('')");
            } else {
                b.bind_list(c.iter().cloned().map(Arg::Text));
            }
        }
    };
    let mut b = SqlBuf::new(
        "SELECT region_code, counter, CAST(SUM(delta) AS BIGINT) FROM (\
         SELECT region_code, counter, delta FROM hazard_sum WHERE level = 'y' AND period < ",
    );
    b.bind(Arg::Text(year.clone()));
    region(&mut b);
    b.push(" UNION ALL SELECT region_code, counter, delta FROM hazard_sum WHERE level = 'm' AND period >= ");
    b.bind(Arg::Text(format!("{year}-01")));
    b.push(" AND period < ");
    b.bind(Arg::Text(month.clone()));
    region(&mut b);
    b.push(" UNION ALL SELECT region_code, counter, delta FROM hazard_sum WHERE level = 'd' AND period >= ");
    b.bind(Arg::Text(format!("{month}-01")));
    b.push(" AND period <= ");
    b.bind(Arg::Text(full));
    region(&mut b);
    b.push(") s GROUP BY region_code, counter");
    let sql = b.render(db.backend());
    let rows: Vec<(String, String, i64)> = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?;
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<Tally, i64>> =
        Default::default();
    for (r, c, n) in rows {
        if let Some(t) = Tally::parse(&c) {
            *out.entry(r).or_default().entry(t).or_default() += n;
        }
    }
    Ok(out)
}

/// The four quarters of `year` per region code from the sums (among `codes` when given), each
/// quarter's end taken as `today` when it has not come yet.
pub async fn quarterly_from_sums(
    db: &Db,
    year: i32,
    today: Date,
    codes: Option<&[String]>,
) -> Result<Vec<(String, [Quarter; 4])>, StoreError> {
    let ends: Vec<Date> = [
        (12, 31, year - 1),
        (3, 31, year),
        (6, 30, year),
        (9, 30, year),
        (12, 31, year),
    ]
    .iter()
    .map(|(m, d, y)| Date::from_calendar_date(*y, month_of(*m), *d).unwrap_or(Date::MIN))
    .collect();
    let mut at = Vec::new();
    let mut current_done = false;
    for e in &ends {
        if *e <= today {
            at.push(Some(tallies_on(db, *e, codes).await?));
        } else if !current_done && at.first().is_some_and(Option::is_some) {
            // The current quarter: its figures as of today; later quarters have none yet.
            current_done = true;
            at.push(Some(tallies_on(db, today, codes).await?));
        } else {
            at.push(None);
        }
    }
    let get = |i: usize, r: &str, t: Tally| -> i64 {
        at.get(i)
            .and_then(|m| m.as_ref())
            .and_then(|m| m.get(r))
            .and_then(|m| m.get(&t))
            .copied()
            .unwrap_or(0)
    };
    let mut regions: std::collections::BTreeSet<String> = Default::default();
    for m in at.iter().flatten() {
        regions.extend(m.keys().cloned());
    }
    let mut out = Vec::new();
    for r in regions {
        let mut qs: [Quarter; 4] = Default::default();
        for (q, slot) in qs.iter_mut().enumerate() {
            if at.get(q + 1).is_none_or(Option::is_none) {
                continue;
            }
            let d = |t| get(q + 1, &r, t) - get(q, &r, t);
            *slot = Quarter {
                found_general: d(Tally::FoundGeneral),
                found_major: d(Tally::FoundMajor),
                closed: d(Tally::Closed),
                open_at_end: get(q + 1, &r, Tally::Open),
                overdue_at_end: get(q + 1, &r, Tally::Overdue),
            };
        }
        if qs.iter().any(|q| *q != Quarter::default()) {
            out.push((r, qs));
        }
    }
    Ok(out)
}

//! Law-enforcement officers, their declared conflicts, and each unit's annual inspection plan
//! (`domain::inspection_plan`), stored with the seed and rule that reproduce it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use anbiao_domain::grade::Grade;
use anbiao_domain::inspection_plan::{self, Officer, Plan, Subject};
use anbiao_domain::supervision::{InspectionSet, Modifier, Status};
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, with_pool, with_tx};

/// Records or changes an officer of `unit`: an active district or township officer account of
/// that unit.
pub async fn set_officer(
    db: &Db,
    actor: &Actor,
    username: &str,
    unit: &str,
    capacity_per_month: u32,
    active: bool,
) -> Result<(), StoreError> {
    const WHO: &str = "SELECT u.role, r.unit FROM app_user u LEFT JOIN region r ON r.code = u.region_code \
        WHERE u.username = $1 AND u.active";
    let found: Option<(String, Option<String>)> = with_pool!(db, |p| sqlx::query_as(WHO)
        .bind(username)
        .fetch_optional(p)
        .await)?;
    match found {
        None => {
            return Err(StoreError::Invalid(format!(
                "账号“{username}”不存在或已停用"
            )));
        }
        Some((role, _)) if !matches!(role.as_str(), "district_officer" | "township_officer") => {
            return Err(StoreError::Invalid(format!(
                "账号“{username}”不是县区或乡镇监管人员，不能列为执法人员"
            )));
        }
        Some((_, u)) if u.as_deref() != Some(unit) => {
            return Err(StoreError::Invalid(format!("账号“{username}”不属于{unit}")));
        }
        Some(_) => {}
    }
    if capacity_per_month == 0 {
        return Err(StoreError::Invalid("每月可承担的检查次数应大于 0".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO enforcement_officer (username, unit, capacity_per_month, active, updated_by, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO UPDATE SET unit = excluded.unit, \
        capacity_per_month = excluded.capacity_per_month, active = excluded.active, \
        updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(username)
        .bind(unit)
        .bind(i64::from(capacity_per_month))
        .bind(active)
        .bind(&actor.username)
        .bind(now_secs())
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new("officer.set", format!("officer:{username}")).detail(format!(
        "{unit}执法人员 {username}：每月可检查 {capacity_per_month} 次{}",
        if active { "" } else { "（停用）" }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a conflict of interest an officer declared with an enterprise.
pub async fn declare_conflict(
    db: &Db,
    actor: &Actor,
    username: &str,
    enterprise_id: i64,
    reason: &str,
    on: Date,
) -> Result<(), StoreError> {
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid("请填写回避理由".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO officer_conflict (username, enterprise_id, reason, declared_on) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (username, enterprise_id) DO UPDATE SET reason = excluded.reason";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(username)
        .bind(enterprise_id)
        .bind(reason.trim())
        .bind(format_date(on))
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new("officer.conflict", format!("officer:{username}")).detail(format!(
        "执法人员 {username} 申报回避企业 #{enterprise_id}：{}",
        reason.trim()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// The active officers of a unit with their conflicts, by username.
pub async fn officers(db: &Db, unit: &str) -> Result<Vec<Officer>, StoreError> {
    const SQL: &str = "SELECT username, capacity_per_month FROM enforcement_officer \
        WHERE unit = $1 AND active ORDER BY username";
    let rows: Vec<(String, i64)> =
        with_pool!(db, |p| sqlx::query_as(SQL).bind(unit).fetch_all(p).await)?;
    const CONFLICTS: &str = "SELECT c.username, c.enterprise_id FROM officer_conflict c \
        JOIN enforcement_officer o ON o.username = c.username WHERE o.unit = $1";
    let conflicts: Vec<(String, i64)> = with_pool!(db, |p| sqlx::query_as(CONFLICTS)
        .bind(unit)
        .fetch_all(p)
        .await)?;
    let mut by: HashMap<String, HashSet<i64>> = HashMap::new();
    for (u, e) in conflicts {
        by.entry(u).or_default().insert(e);
    }
    Ok(rows
        .into_iter()
        .map(|(username, cap)| Officer {
            conflicts: by.remove(&username).unwrap_or_default(),
            username,
            capacity_per_month: u32::try_from(cap).unwrap_or(0),
        })
        .collect())
}

async fn fetch<T>(db: &Db, b: &SqlBuf) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    b.fetch_all(db).await
}

/// The unit's operating enterprises on `on` with their status and the modifiers known to the
/// records (an open major hazard, an overdue hazard, a violation or an accident within the last
/// `recent_months`): one pass over the unit's operating enterprises, each looked up in its
/// certificates, cases, hazards, violations and accidents by index.
pub async fn subjects(
    db: &Db,
    unit: &str,
    on: Date,
    set: &InspectionSet,
) -> Result<Vec<Subject>, StoreError> {
    const CODES: &str = "SELECT code FROM region WHERE unit = $1 ORDER BY code";
    let codes: Vec<String> = with_pool!(db, |p| sqlx::query_scalar(CODES)
        .bind(unit)
        .fetch_all(p)
        .await)?;
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    subjects_where(db, Among::Codes(codes), on, set).await
}

/// One enterprise's status and modifiers on `on` (operating or not), as a plan would see it.
pub async fn subject_of(
    db: &Db,
    enterprise_id: i64,
    on: Date,
    set: &InspectionSet,
) -> Result<Option<Subject>, StoreError> {
    Ok(subjects_where(db, Among::One(enterprise_id), on, set)
        .await?
        .into_iter()
        .next())
}

enum Among {
    /// The operating enterprises of these region codes.
    Codes(Vec<String>),
    One(i64),
}

impl Among {
    /// Restricts `e` (the enterprise table) to the enterprises meant, operating on `d` when
    /// they are a unit's.
    fn push(&self, b: &mut SqlBuf, d: &str) {
        match self {
            Among::Codes(codes) => {
                b.push("e.region_code IN ");
                b.bind_list(codes.iter().cloned().map(Arg::Text));
                b.push(" AND e.active_from <= ");
                b.bind(Arg::Text(d.into()));
                b.push(" AND (e.closed_on IS NULL OR e.closed_on > ");
                b.bind(Arg::Text(d.into()));
                b.push(")");
            }
            Among::One(id) => {
                b.push("e.id = ");
                b.bind(Arg::Int(*id));
            }
        }
    }

    /// Restricts hazards `h` by their own region code (or enterprise), which the partial index
    /// of the hazards not written off leads with.
    fn push_hazard(&self, b: &mut SqlBuf) {
        match self {
            Among::Codes(codes) => {
                b.push("h.region_code IN ");
                b.bind_list(codes.iter().cloned().map(Arg::Text));
            }
            Among::One(id) => {
                b.push("h.enterprise_id = ");
                b.bind(Arg::Int(*id));
            }
        }
    }
}

/// The enterprise ids a fact query returns.
async fn ids(db: &Db, b: &SqlBuf) -> Result<HashSet<i64>, StoreError> {
    Ok(fetch::<(i64,)>(db, b)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// Statuses and modifiers as sets: the enterprises, and one query per kind of record returning
/// only the enterprises it applies to (a join the databases run as one pass, not a look-up per
/// enterprise per fact), all seven at once.
async fn subjects_where(
    db: &Db,
    among: Among,
    on: Date,
    set: &InspectionSet,
) -> Result<Vec<Subject>, StoreError> {
    let recent_months = set.recent_months;
    let d = format_date(on);
    let since = format_date(anbiao_domain::date::add_months(
        on,
        -i32::try_from(recent_months).unwrap_or(12),
    ));
    let mut b = SqlBuf::new("SELECT e.id, e.industry_code FROM enterprise e WHERE ");
    among.push(&mut b, &d);
    b.push(" ORDER BY e.id");
    let of_enterprises = b;

    // Certificates that began by the day: the best grade valid on it, and that the enterprise
    // had started (a certificate or a grading case by then).
    let mut b = SqlBuf::new("SELECT c.enterprise_id, CAST(MAX(CASE WHEN c.valid_until >= ");
    b.bind(Arg::Text(d.clone()));
    b.push(" AND (c.revoked_on IS NULL OR c.revoked_on > ");
    b.bind(Arg::Text(d.clone()));
    b.push(") AND (c.superseded_on IS NULL OR c.superseded_on > ");
    b.bind(Arg::Text(d.clone()));
    b.push(
        ") THEN CASE c.grade WHEN 'one' THEN 4 WHEN 'two' THEN 3 WHEN 'three' THEN 2 ELSE 1 END \
         ELSE 0 END) AS BIGINT) FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id \
         WHERE c.valid_from <= ",
    );
    b.bind(Arg::Text(d.clone()));
    b.push(" AND ");
    among.push(&mut b, &d);
    b.push(" GROUP BY c.enterprise_id");
    let of_certificates = b;

    let mut b = SqlBuf::new(
        "SELECT DISTINCT g.enterprise_id FROM grading_case g JOIN enterprise e ON e.id = g.enterprise_id \
         WHERE g.opened_on <= ",
    );
    b.bind(Arg::Text(d.clone()));
    b.push(" AND ");
    among.push(&mut b, &d);
    let of_cases = b;

    let recent = |table: &str, alias: &str| {
        let mut b = SqlBuf::new(&format!(
            "SELECT DISTINCT {alias}.enterprise_id FROM {table} {alias} \
             JOIN enterprise e ON e.id = {alias}.enterprise_id WHERE {alias}.occurred_on > "
        ));
        b.bind(Arg::Text(since.clone()));
        b.push(&format!(" AND {alias}.occurred_on <= "));
        b.bind(Arg::Text(d.clone()));
        b.push(" AND ");
        among.push(&mut b, &d);
        b
    };
    let (of_accidents, of_violations) = (recent("accident", "a"), recent("violation", "v"));

    // Hazards open on the day: found by then and not written off by then, i.e. not written off
    // at all (state <> 'closed', which the store sets together with closed_on) or written off
    // after the day.
    let mut b = SqlBuf::new(
        "SELECT enterprise_id, CAST(MAX(major) AS BIGINT), CAST(MAX(overdue) AS BIGINT) FROM (",
    );
    for (i, open_now) in [true, false].into_iter().enumerate() {
        if i > 0 {
            b.push(" UNION ALL ");
        }
        // The finding day is tested in the columns, not the condition: with it there, SQLite
        // would read the unit's whole history through its finding-day index.
        b.push("SELECT h.enterprise_id, CASE WHEN h.level = 'major' AND h.found_on <= ");
        b.bind(Arg::Text(d.clone()));
        b.push(" THEN 1 ELSE 0 END AS major, CASE WHEN h.found_on <= ");
        b.bind(Arg::Text(d.clone()));
        b.push(" AND COALESCE(h.plan_deadline, h.deadline) < ");
        b.bind(Arg::Text(d.clone()));
        b.push(" AND (h.rectified_on IS NULL OR h.rectified_on > ");
        b.bind(Arg::Text(d.clone()));
        b.push(") THEN 1 ELSE 0 END AS overdue FROM hazard h WHERE ");
        among.push_hazard(&mut b);
        if open_now {
            b.push(" AND h.state <> 'closed'");
        } else {
            b.push(" AND h.state = 'closed' AND h.closed_on > ");
            b.bind(Arg::Text(d.clone()));
        }
    }
    b.push(") x GROUP BY enterprise_id");
    let of_hazards = b;

    // Risk points of the level the rules name (重大) without measures or with an overdue check,
    // as they stand (a point keeps no history of its measures). Without that modifier in the
    // rules of the day, nothing to read.
    let of_risks = set.uncontrolled_risk_level.as_ref().map(|level| {
        let mut b = SqlBuf::new(
            "SELECT DISTINCT p.enterprise_id FROM risk_point p JOIN enterprise e ON e.id = p.enterprise_id \
             WHERE p.level = ",
        );
        b.bind(Arg::Text(level.clone()));
        b.push(
            " AND (p.measures IN ('', '[]') OR EXISTS (SELECT 1 FROM risk_task t \
             WHERE t.point_id = p.id AND t.overdue_since IS NOT NULL)) AND ",
        );
        among.push(&mut b, &d);
        b
    });

    // The seven reads run side by side (WAL readers on SQLite, separate backends on PostgreSQL).
    let (enterprises, best, cases, accidents, violations, hazards, risks) = tokio::try_join!(
        fetch::<(i64, String)>(db, &of_enterprises),
        fetch::<(i64, i64)>(db, &of_certificates),
        ids(db, &of_cases),
        ids(db, &of_accidents),
        ids(db, &of_violations),
        fetch::<(i64, i64, i64)>(db, &of_hazards),
        async {
            match &of_risks {
                Some(b) => ids(db, b).await,
                None => Ok(HashSet::new()),
            }
        },
    )?;
    let best: HashMap<i64, i64> = best.into_iter().collect();
    let hazards: HashMap<i64, (i64, i64)> =
        hazards.into_iter().map(|(id, m, o)| (id, (m, o))).collect();

    Ok(enterprises
        .into_iter()
        .map(|(id, industry)| {
            let rank = best.get(&id).copied();
            let grade = match rank {
                Some(4) => vec![Grade::One],
                Some(3) => vec![Grade::Two],
                Some(2) => vec![Grade::Three],
                Some(1) => vec![Grade::SmallMicro],
                _ => Vec::new(),
            };
            let started = rank.is_some() || cases.contains(&id);
            let (major, overdue) = hazards.get(&id).copied().unwrap_or((0, 0));
            let mut modifiers = Vec::new();
            for (present, m) in [
                (major == 1, Modifier::OpenMajorHazard),
                (overdue == 1, Modifier::OverdueHazard),
                (violations.contains(&id), Modifier::RecentViolation),
                (accidents.contains(&id), Modifier::RecentAccident),
                (risks.contains(&id), Modifier::UncontrolledMajorRisk),
            ] {
                if present {
                    modifiers.push(m);
                }
            }
            Subject {
                enterprise_id: id,
                industry,
                status: Status::of(&grade, started),
                modifiers,
            }
        })
        .collect())
}

/// A plan to draw.
#[derive(Debug, Clone)]
pub struct NewPlan<'a> {
    pub unit: &'a str,
    pub year: i32,
    pub seed: u64,
    /// The day the plan is drawn: statuses and modifiers are taken as of it.
    pub on: Date,
    pub set: &'a InspectionSet,
}

/// `3:zf01,zf07;9:zf02,zf05`
fn schedule(l: &inspection_plan::Line) -> (String, i64) {
    let mut mask = 0i64;
    let parts: Vec<String> = l
        .visits
        .iter()
        .map(|v| {
            mask |= 1 << v.month;
            format!("{}:{}", v.month, v.officers.join(","))
        })
        .collect();
    (parts.join(";"), mask)
}

/// The modifiers that counted for a line, as stored (`open_major_hazard,recent_accident`).
fn modifiers_of(l: &inspection_plan::Line) -> String {
    l.modifiers
        .iter()
        .map(|m| m.key())
        .collect::<Vec<_>>()
        .join(",")
}

/// Stores a plan's lines: on PostgreSQL as arrays, one per column, unnested by one statement
/// per 50,000 lines; on SQLite as multi-row `INSERT`s of 3,000 lines (30,000 bound values, under
/// its limit of 32,766).
async fn write_lines(
    tx: &mut crate::db::Tx,
    plan_id: i64,
    lines: &[inspection_plan::Line],
) -> Result<(), StoreError> {
    match tx {
        crate::db::Tx::Postgres(c) => {
            const SQL: &str = "INSERT INTO inspection_plan_line (plan_id, enterprise_id, status, modifiers, \
                visits, key_unit, drawn, max_penalty, months_mask, schedule) \
                SELECT $1, * FROM UNNEST($2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], \
                $6::BOOLEAN[], $7::BOOLEAN[], $8::BOOLEAN[], $9::BIGINT[], $10::TEXT[])";
            for chunk in lines.chunks(50_000) {
                let mut cols = (
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                    Vec::with_capacity(chunk.len()),
                );
                for l in chunk {
                    let (text, mask) = schedule(l);
                    cols.0.push(l.enterprise_id);
                    cols.1.push(l.frequency.status.key().to_string());
                    cols.2.push(modifiers_of(l));
                    cols.3.push(l.visits.len() as i64);
                    cols.4.push(l.frequency.key);
                    cols.5.push(l.drawn);
                    cols.6.push(l.frequency.max_penalty);
                    cols.7.push(mask);
                    cols.8.push(text);
                }
                sqlx::query(SQL)
                    .bind(plan_id)
                    .bind(cols.0)
                    .bind(cols.1)
                    .bind(cols.2)
                    .bind(cols.3)
                    .bind(cols.4)
                    .bind(cols.5)
                    .bind(cols.6)
                    .bind(cols.7)
                    .bind(cols.8)
                    .execute(&mut **c)
                    .await?;
            }
        }
        crate::db::Tx::Sqlite(t) => {
            for chunk in lines.chunks(3_000) {
                let mut b = SqlBuf::new(
                    "INSERT INTO inspection_plan_line (plan_id, enterprise_id, status, modifiers, visits, \
                     key_unit, drawn, max_penalty, months_mask, schedule) VALUES ",
                );
                for (i, l) in chunk.iter().enumerate() {
                    if i > 0 {
                        b.push(", ");
                    }
                    let (text, mask) = schedule(l);
                    b.bind_list([
                        Arg::Int(plan_id),
                        Arg::Int(l.enterprise_id),
                        Arg::Text(l.frequency.status.key().into()),
                        Arg::Text(modifiers_of(l)),
                        Arg::Int(l.visits.len() as i64),
                        Arg::OptBool(Some(l.frequency.key)),
                        Arg::OptBool(Some(l.drawn)),
                        Arg::OptBool(Some(l.frequency.max_penalty)),
                        Arg::Int(mask),
                        Arg::Text(text),
                    ]);
                }
                let sql = b.render(crate::Backend::Sqlite);
                bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &b.args)
                    .execute(&mut **t)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Draws and stores a unit's plan for a year; refused if the year has one already.
pub async fn create(db: &Db, actor: &Actor, n: &NewPlan<'_>) -> Result<(i64, Plan), StoreError> {
    let (subjects, officers) =
        tokio::try_join!(subjects(db, n.unit, n.on, n.set), officers(db, n.unit))?;
    if officers.len() < n.set.officers_per_inspection as usize {
        return Err(StoreError::Invalid(format!(
            "{}的执法人员不足 {} 名，无法按每次检查两名以上执法人员排定计划",
            n.unit, n.set.officers_per_inspection
        )));
    }
    let plan = inspection_plan::build(n.set, &subjects, &officers, n.seed);
    let visits: usize = plan.lines.iter().map(|l| l.visits.len()).sum();
    let rule = format!("{}@{}", n.set.id, n.set.version);
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO inspection_plan (unit, year, seed, rule, drawn_on, enterprises, visits, \
        random_pool, random_drawn, unassigned, created_by, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
    let res = with_tx!(&mut tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(n.unit)
        .bind(i64::from(n.year))
        .bind(n.seed.to_string())
        .bind(&rule)
        .bind(format_date(n.on))
        .bind(subjects.len() as i64)
        .bind(visits as i64)
        .bind(plan.random_pool as i64)
        .bind(plan.random_drawn as i64)
        .bind(plan.unassigned.len() as i64)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await);
    let id = match res {
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "{}{}年度的监督检查计划已生成，不能重抽",
                n.unit, n.year
            )));
        }
        other => other?,
    };
    write_lines(&mut tx, id, &plan.lines).await?;
    // What the lines' foreign keys checked row by row (migration 0025), once for the plan.
    const DANGLING: &str = "SELECT COUNT(*) FROM inspection_plan_line l WHERE l.plan_id = $1 \
        AND NOT EXISTS (SELECT 1 FROM enterprise e WHERE e.id = l.enterprise_id)";
    let dangling: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(DANGLING)
        .bind(id)
        .fetch_one(c)
        .await)?;
    if dangling > 0 {
        return Err(StoreError::Invalid(format!(
            "计划中有 {dangling} 家企业不在企业名录中，计划未保存，请重新生成"
        )));
    }
    write_month_sums(&mut tx, id, n.unit, n.year, &plan.lines).await?;
    let by_status: BTreeMap<&str, usize> = plan.lines.iter().fold(BTreeMap::new(), |mut m, l| {
        *m.entry(l.frequency.status.label()).or_default() += 1;
        m
    });
    let ev = Event::new("inspection_plan.draw", format!("inspection_plan:{id}")).detail(format!(
        "{}{}年度监督检查计划（{rule}，随机种子 {}）：在营企业 {} 家，列入计划 {} 家共 {} 次；双随机抽取 {}/{} 家；{}{}",
        n.unit,
        n.year,
        n.seed,
        subjects.len(),
        plan.lines.len(),
        visits,
        plan.random_drawn,
        plan.random_pool,
        by_status
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join("、"),
        if plan.unassigned.is_empty() {
            String::new()
        } else {
            format!("；{} 次检查执法力量不足、未排定人员", plan.unassigned.len())
        }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok((id, plan))
}

/// A stored plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub unit: String,
    pub year: i64,
    pub seed: String,
    pub rule: String,
    pub drawn_on: String,
    pub enterprises: i64,
    pub visits: i64,
    pub random_pool: i64,
    pub random_drawn: i64,
    pub unassigned: i64,
    pub created_by: String,
    pub published_on: Option<String>,
}

pub async fn get(db: &Db, unit: &str, year: i32) -> Result<Option<PlanRow>, StoreError> {
    const SQL: &str = "SELECT id, unit, year, seed, rule, drawn_on, enterprises, visits, random_pool, \
        random_drawn, unassigned, created_by, published_on FROM inspection_plan WHERE unit = $1 AND year = $2";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, PlanRow>(SQL)
        .bind(unit)
        .bind(i64::from(year))
        .fetch_optional(p)
        .await)?)
}

/// A line of a stored plan, with the enterprise's name. The status and the modifiers are typed
/// when read (a stored value that does not parse names the line).
#[derive(Debug, Clone)]
pub struct LineRow {
    pub enterprise_id: i64,
    pub name: String,
    pub status: Status,
    pub modifiers: Vec<Modifier>,
    pub visits: i64,
    pub key_unit: bool,
    pub drawn: bool,
    pub max_penalty: bool,
    pub schedule: String,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for LineRow
where
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let id: i64 = row.try_get("enterprise_id")?;
        let status: String = row.try_get("status")?;
        let modifiers: String = row.try_get("modifiers")?;
        let table = "inspection_plan_line (enterprise_id)";
        Ok(Self {
            enterprise_id: id,
            name: row.try_get("name")?,
            status: crate::rows::code(table, id, "status", &status, Status::parse)?,
            modifiers: modifiers
                .split(',')
                .filter(|m| !m.is_empty())
                .map(|m| crate::rows::code(table, id, "modifiers", m, Modifier::parse))
                .collect::<Result<_, _>>()?,
            visits: row.try_get("visits")?,
            key_unit: row.try_get("key_unit")?,
            drawn: row.try_get("drawn")?,
            max_penalty: row.try_get("max_penalty")?,
            schedule: row.try_get("schedule")?,
        })
    }
}

impl LineRow {
    /// The line's visits in words, from the plan's rule set (`set`, named by the plan's rule).
    pub fn explanation(&self, set: &InspectionSet) -> String {
        inspection_plan::explain(&set.frequency(self.status, &self.modifiers), self.drawn)
    }

    /// The schedule as (month, officers).
    pub fn visits(&self) -> Vec<(u8, Vec<String>)> {
        self.schedule
            .split(';')
            .filter_map(|v| {
                let (m, who) = v.split_once(':')?;
                Some((
                    m.parse().ok()?,
                    who.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                ))
            })
            .collect()
    }
}

/// Writes a new plan's visits per month, unit and township, with the enterprises already
/// inspected in each month (a plan drawn during its year): worked out from the lines in memory,
/// the places of the plan's enterprises and the unit's inspections of the year (a few hundred
/// rows written, however many lines).
async fn write_month_sums(
    tx: &mut crate::db::Tx,
    plan_id: i64,
    unit: &str,
    year: i32,
    lines: &[inspection_plan::Line],
) -> Result<(), StoreError> {
    const PLACES: &str = "SELECT e.id, e.region_code, COALESCE(e.township, '') FROM inspection_plan_line l \
        JOIN enterprise e ON e.id = l.enterprise_id WHERE l.plan_id = $1";
    let places: Vec<(i64, String, String)> = with_tx!(tx, |c| sqlx::query_as(PLACES)
        .bind(plan_id)
        .fetch_all(c)
        .await)?;
    let place: HashMap<i64, (String, String)> =
        places.into_iter().map(|(id, r, t)| (id, (r, t))).collect();
    const INSPECTED: &str = "SELECT i.enterprise_id, i.inspected_on FROM inspection i \
        WHERE i.region_code IN (SELECT code FROM region WHERE unit = $1) \
        AND i.inspected_on >= $2 AND i.inspected_on <= $3";
    let inspected: Vec<(i64, String)> = with_tx!(tx, |c| sqlx::query_as(INSPECTED)
        .bind(unit)
        .bind(format!("{year}-01-01"))
        .bind(format!("{year}-12-31"))
        .fetch_all(c)
        .await)?;
    let seen: HashSet<(i64, u8)> = inspected
        .into_iter()
        .filter_map(|(e, day)| Some((e, day.get(5..7)?.parse::<u8>().ok()?)))
        .collect();
    let mut sums: BTreeMap<(&str, &str, u8), (i64, i64)> = BTreeMap::new();
    for l in lines {
        let Some((region, township)) = place.get(&l.enterprise_id) else {
            continue;
        };
        let months: BTreeSet<u8> = l.visits.iter().map(|v| v.month).collect();
        for m in months {
            let s = sums.entry((region, township, m)).or_default();
            s.0 += 1;
            s.1 += i64::from(seen.contains(&(l.enterprise_id, m)));
        }
    }
    const SQL: &str = "INSERT INTO inspection_plan_month (plan_id, region_code, township, month, planned, recorded) \
        VALUES ($1, $2, $3, $4, $5, $6)";
    for ((region, township, m), (planned, recorded)) in sums {
        with_tx!(tx, |c| sqlx::query(SQL)
            .bind(plan_id)
            .bind(region)
            .bind(township)
            .bind(i64::from(m))
            .bind(planned)
            .bind(recorded)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// Counts an inspection recorded inside the caller's transaction against the plan of its
/// year when it is the enterprise's first in a month the plan has a visit in.
pub(crate) async fn count_recorded_tx(
    tx: &mut crate::db::Tx,
    enterprise_id: i64,
    region_code: &str,
    township: &str,
    on: Date,
) -> Result<(), StoreError> {
    let month = u8::from(on.month());
    let first = on.replace_day(1).unwrap_or(on);
    let last = anbiao_domain::date::add_months(first, 1)
        .previous_day()
        .unwrap_or(first);
    const THAT_MONTH: &str = "SELECT COUNT(*) FROM inspection WHERE enterprise_id = $1 \
        AND inspected_on >= $2 AND inspected_on <= $3";
    let n: i64 = with_tx!(tx, |c| sqlx::query_scalar(THAT_MONTH)
        .bind(enterprise_id)
        .bind(format_date(first))
        .bind(format_date(last))
        .fetch_one(c)
        .await)?;
    if n != 1 {
        return Ok(()); // counted with the month's first inspection
    }
    const COUNT: &str = "UPDATE inspection_plan_month SET recorded = recorded + 1 \
        WHERE month = $1 AND region_code = $2 AND township = $3 AND plan_id IN ( \
        SELECT l.plan_id FROM inspection_plan_line l JOIN inspection_plan p ON p.id = l.plan_id \
        WHERE l.enterprise_id = $4 AND p.year = $5 AND (l.months_mask & $6) <> 0)";
    with_tx!(tx, |c| sqlx::query(COUNT)
        .bind(i64::from(month))
        .bind(region_code)
        .bind(township)
        .bind(enterprise_id)
        .bind(i64::from(on.year()))
        .bind(1i64 << month)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// This month's planned visits within the scope: how many enterprises of the year's plans
/// have a visit in `month` of `year`, and how many of them have an inspection recorded in it;
/// from the running sums, or for an enterprise or organisation
/// scope counted from the plan's lines.
pub async fn month_progress(
    db: &Db,
    scope: &Scope,
    year: i32,
    month: u8,
) -> Result<(i64, i64), StoreError> {
    if matches!(
        scope,
        Scope::City | Scope::Region { .. } | Scope::Township { .. }
    ) {
        let mut b = SqlBuf::new(
            "SELECT CAST(COALESCE(SUM(s.planned), 0) AS BIGINT), CAST(COALESCE(SUM(s.recorded), 0) AS BIGINT) \
             FROM inspection_plan_month s JOIN inspection_plan p ON p.id = s.plan_id WHERE p.year = ",
        );
        b.bind(Arg::Int(i64::from(year)));
        b.push(" AND s.month = ");
        b.bind(Arg::Int(i64::from(month)));
        crate::enterprise::push_scope(&mut b, scope, "0", "s.region_code", "s.township");
        let row: Option<(i64, i64)> = b.fetch_optional(db).await?;
        return Ok(row.unwrap_or((0, 0)));
    }
    month_progress_counted(db, scope, year, month).await
}

/// The month's planned and recorded visits by region code, from the running sums (to send the
/// city to the unit with the most visits not yet recorded).
pub async fn month_progress_by_region(
    db: &Db,
    year: i32,
    month: u8,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    const SQL: &str = "SELECT s.region_code, CAST(COALESCE(SUM(s.planned), 0) AS BIGINT),         CAST(COALESCE(SUM(s.recorded), 0) AS BIGINT) FROM inspection_plan_month s         JOIN inspection_plan p ON p.id = s.plan_id WHERE p.year = $1 AND s.month = $2         GROUP BY s.region_code";
    Ok(with_pool!(db, |p| {
        sqlx::query_as::<_, (String, i64, i64)>(SQL)
            .bind(i64::from(year))
            .bind(i64::from(month))
            .fetch_all(p)
            .await
    })?)
}

/// The first and last day of a month.
fn month_bounds(year: i32, month: u8) -> Result<(time::Date, time::Date), StoreError> {
    let first = time::Date::from_calendar_date(
        year,
        time::Month::try_from(month).map_err(|_| StoreError::Invalid("月份应为 1–12".into()))?,
        1,
    )
    .map_err(|_| StoreError::Invalid("日期无效".into()))?;
    let last = anbiao_domain::date::add_months(first, 1)
        .previous_day()
        .unwrap_or(first);
    Ok((first, last))
}

/// The same counted from the plan's lines and the inspections (the reference the running sums
/// are tested against).
pub async fn month_progress_counted(
    db: &Db,
    scope: &Scope,
    year: i32,
    month: u8,
) -> Result<(i64, i64), StoreError> {
    let (first, last) = month_bounds(year, month)?;
    let mut b = SqlBuf::new(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM inspection i \
         WHERE i.enterprise_id = l.enterprise_id AND i.inspected_on >= ",
    );
    b.bind(Arg::Text(format_date(first)));
    b.push(" AND i.inspected_on <= ");
    b.bind(Arg::Text(format_date(last)));
    b.push(
        ") THEN 1 ELSE 0 END), 0) AS BIGINT) FROM inspection_plan_line l \
         JOIN inspection_plan p ON p.id = l.plan_id JOIN enterprise e ON e.id = l.enterprise_id \
         WHERE p.year = ",
    );
    b.bind(Arg::Int(i64::from(year)));
    b.push(" AND (l.months_mask & ");
    b.bind(Arg::Int(1i64 << month));
    b.push(") <> 0");
    crate::enterprise::push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let row: Option<(i64, i64)> = b.fetch_optional(db).await?;
    Ok(row.unwrap_or((0, 0)))
}

/// Lines of a plan, by enterprise name; only those with a visit in `month` when given.
pub async fn lines(
    db: &Db,
    scope: &Scope,
    plan_id: i64,
    month: Option<u8>,
    limit: i64,
    offset: i64,
) -> Result<Vec<LineRow>, StoreError> {
    let mut b = lines_select(scope, plan_id, month, false);
    b.push(" ORDER BY e.name, l.enterprise_id LIMIT ");
    b.bind(Arg::Int(limit));
    b.push(" OFFSET ");
    b.bind(Arg::Int(offset));
    fetch(db, &b).await
}

/// One page of the lines drawn at random (双随机), by enterprise name: what the portal
/// publishes.
pub async fn drawn_lines(
    db: &Db,
    plan_id: i64,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<LineRow>, StoreError> {
    let select = lines_select(&Scope::City, plan_id, None, true);
    crate::paging::fetch(db, &select, "e.name, l.enterprise_id", req).await
}

/// One page of a plan's lines within the scope (those of `month`, if given), by enterprise
/// name, with the total.
pub async fn lines_page(
    db: &Db,
    scope: &Scope,
    plan_id: i64,
    month: Option<u8>,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<LineRow>, StoreError> {
    let select = lines_select(scope, plan_id, month, false);
    crate::paging::fetch(db, &select, "e.name, l.enterprise_id", req).await
}

/// One page of a plan's lines of `month` within the scope whose enterprise has no inspection
/// recorded in that month yet: the workbench's count of visits not yet recorded, as a list.
pub async fn unrecorded_lines_page(
    db: &Db,
    scope: &Scope,
    plan_id: i64,
    year: i32,
    month: u8,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<LineRow>, StoreError> {
    let (first, last) = month_bounds(year, month)?;
    let mut select = lines_select(scope, plan_id, Some(month), false);
    select.push(
        " AND NOT EXISTS (SELECT 1 FROM inspection i WHERE i.enterprise_id = l.enterprise_id          AND i.inspected_on >= ",
    );
    select.bind(Arg::Text(format_date(first)));
    select.push(" AND i.inspected_on <= ");
    select.bind(Arg::Text(format_date(last)));
    select.push(")");
    crate::paging::fetch(db, &select, "e.name, l.enterprise_id", req).await
}

fn lines_select(scope: &Scope, plan_id: i64, month: Option<u8>, drawn_only: bool) -> SqlBuf {
    let mut b = SqlBuf::new(
        "SELECT l.enterprise_id, e.name, l.status, l.modifiers, l.visits, l.key_unit, l.drawn, \
         l.max_penalty, l.schedule FROM inspection_plan_line l \
         JOIN enterprise e ON e.id = l.enterprise_id WHERE l.plan_id = ",
    );
    b.bind(Arg::Int(plan_id));
    if let Some(m) = month.filter(|m| (1..=12).contains(m)) {
        b.push(" AND (l.months_mask & ");
        b.bind(Arg::Int(1i64 << m));
        b.push(") <> 0");
    }
    if drawn_only {
        b.push(" AND l.drawn");
    }
    // A township officer reads the lines of the township's enterprises only.
    crate::enterprise::push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b
}

const PLAN_COLUMNS: &str = "id, unit, year, seed, rule, drawn_on, enterprises, visits, random_pool, \
    random_drawn, unassigned, created_by, published_on";

/// A plan by id.
pub async fn by_id(db: &Db, id: i64) -> Result<Option<PlanRow>, StoreError> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM inspection_plan WHERE id = $1");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, PlanRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(p)
    .await)?)
}

/// The plans whose draw is published (双随机一公开), newest year first.
pub async fn published(db: &Db, limit: i64) -> Result<Vec<PlanRow>, StoreError> {
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM inspection_plan WHERE published_on IS NOT NULL \
         ORDER BY year DESC, unit LIMIT $1"
    );
    Ok(with_pool!(db, |p| sqlx::query_as::<_, PlanRow>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(limit)
    .fetch_all(p)
    .await)?)
}

/// Publishes a plan's draw on the portal.
pub async fn publish(db: &Db, actor: &Actor, id: i64, on: Date) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str =
        "UPDATE inspection_plan SET published_on = $1 WHERE id = $2 AND published_on IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(on))
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict("该计划不存在或抽查结果已公开".into()));
    }
    let ev = Event::new("inspection_plan.publish", format!("inspection_plan:{id}"))
        .detail(format!("公开双随机抽查结果（{}）", format_date(on)));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Visits per month of a plan (index 0 is January) among the enterprises in scope, for the
/// calendar.
pub async fn month_counts(db: &Db, scope: &Scope, plan_id: i64) -> Result<[i64; 12], StoreError> {
    let mut b = SqlBuf::new("SELECT ");
    for m in 1..=12i64 {
        if m > 1 {
            b.push(", ");
        }
        b.push("CAST(COALESCE(SUM(CASE WHEN (months_mask & ");
        b.bind(Arg::Int(1i64 << m));
        b.push(") <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT)");
    }
    b.push(" FROM inspection_plan_line l JOIN enterprise e ON e.id = l.enterprise_id WHERE l.plan_id = ");
    b.bind(Arg::Int(plan_id));
    crate::enterprise::push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let sql = b.render(db.backend());
    type Twelve = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let r: Twelve = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Twelve>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_one(p)
    .await)?;
    Ok([r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11])
}

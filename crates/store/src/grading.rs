//! Grading cases and their events. A transition is checked by the domain's state machine, then
//! written with an update conditional on the state and version read, so of two concurrent
//! requests only one wins; the event and the audit entry go in the same transaction. A refused
//! transition changes nothing and is audited.

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use anbiao_domain::grade::Grade;
use anbiao_domain::lifecycle::{self, Action, CaseState, Party};
use anbiao_domain::rules::AuthorityLevel;
use serde::Serialize;
use sqlx::FromRow;
use time::{Date, OffsetDateTime};

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::sql::{Arg, SqlBuf};
use crate::{bind_args, enterprise, with_pool, with_tx};

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub enterprise_id: i64,
    pub region_code: String,
    pub township: Option<String>,
    pub grade: String,
    pub state: String,
    pub rule_set: String,
    pub sheet_id: String,
    pub sheet_version: i64,
    pub opened_on: String,
    pub result_grade: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Case {
    pub fn state(&self) -> Option<CaseState> {
        CaseState::parse(&self.state)
    }

    pub fn grade(&self) -> Option<Grade> {
        Grade::parse(&self.grade)
    }

    /// The grade the case stands for now: the one its evaluation settled (a lower level may
    /// have been accepted), else the one applied for. It decides who grades the case.
    pub fn effective_grade(&self) -> Option<Grade> {
        self.result_grade
            .as_deref()
            .and_then(Grade::parse)
            .or_else(|| self.grade())
    }
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct CaseEvent {
    pub case_id: i64,
    pub seq: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub party: String,
    pub actor: String,
    pub reason: Option<String>,
    pub rule: Option<String>,
    pub at_us: i64,
}

const COLUMNS: &str = "id, enterprise_id, region_code, township, grade, state, rule_set, sheet_id, \
    sheet_version, opened_on, result_grade, version, created_at, updated_at";

fn now_us() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// What opening a case needs: the decisions already taken by the rules.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub enterprise_id: i64,
    pub grade: Grade,
    pub opened_on: Date,
    /// `set@version` of the grading rules in force on `opened_on`.
    pub rule_set: String,
    pub sheet_id: String,
    pub sheet_version: u32,
}

/// Opens a case in the self-assessment state for an enterprise within the scope. One open
/// case per enterprise at a time.
pub async fn open(db: &Db, scope: &Scope, actor: &Actor, c: &NewCase) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, c.enterprise_id).await?;
    let mut tx = db.begin().await?;
    const OPEN: &str = "SELECT COUNT(*) FROM grading_case WHERE enterprise_id = $1 AND state NOT IN \
        ('certified', 'externally_certified', 'failed', 'withdrawn')";
    let open: i64 = with_tx!(&mut tx, |t| sqlx::query_scalar(OPEN)
        .bind(c.enterprise_id)
        .fetch_one(t)
        .await)?;
    if open > 0 {
        return Err(StoreError::Conflict(format!(
            "“{}”已有一件未办结的定级申请",
            e.name
        )));
    }
    let t = OffsetDateTime::now_utc().unix_timestamp();
    const SQL: &str = "INSERT INTO grading_case (enterprise_id, region_code, township, grade, state, rule_set, \
        sheet_id, sheet_version, opened_on, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |x| sqlx::query_scalar(SQL)
        .bind(c.enterprise_id)
        .bind(&e.region_code)
        .bind(&e.township)
        .bind(c.grade.key())
        .bind(CaseState::SelfAssessing.key())
        .bind(&c.rule_set)
        .bind(&c.sheet_id)
        .bind(i64::from(c.sheet_version))
        .bind(format_date(c.opened_on))
        .bind(t)
        .fetch_one(x)
        .await)?;
    let ev = Event::new("case.open", format!("case:{id}")).detail(format!(
        "“{}”开始{}自评（{}）",
        e.name,
        c.grade.label(),
        c.rule_set
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Cases within a scope: by their enterprise's region, or, for an evaluation organisation,
/// the cases assigned to it.
fn scope_filter(b: &mut SqlBuf, scope: &Scope) {
    if let Scope::Org { id } = scope {
        b.push(" AND id IN (SELECT case_id FROM case_assignment WHERE org_id = ");
        b.bind(Arg::Int(*id));
        b.push(")");
    } else {
        enterprise::push_scope(b, scope, "enterprise_id", "region_code", "township");
    }
}

/// A case within the scope; outside it, not found.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Case, StoreError> {
    let mut b = SqlBuf::new(&format!("SELECT {COLUMNS} FROM grading_case WHERE id = "));
    b.bind(Arg::Int(id));
    scope_filter(&mut b, scope);
    let sql = b.render(db.backend());
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// Cases within the scope, newest first, optionally in one state.
pub async fn list(
    db: &Db,
    scope: &Scope,
    state: Option<CaseState>,
    limit: i64,
) -> Result<Vec<Case>, StoreError> {
    let mut b = cases_in(scope, state);
    b.push(" ORDER BY id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// The cases within the scope, in `state` when given.
fn cases_in(scope: &Scope, state: Option<CaseState>) -> SqlBuf {
    let mut b = SqlBuf::new(&format!("SELECT {COLUMNS} FROM grading_case WHERE 1 = 1"));
    scope_filter(&mut b, scope);
    if let Some(s) = state {
        b.push(" AND state = ");
        b.bind(Arg::Text(s.key().to_string()));
    }
    b
}

/// One page of the cases within the scope, newest first, in `state` when given, standing at
/// one of `at` when given.
pub async fn page(
    db: &Db,
    scope: &Scope,
    state: Option<CaseState>,
    at: Option<&[(CaseState, Vec<Grade>)]>,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Case>, StoreError> {
    let mut b = cases_in(scope, state);
    if let Some(at) = at {
        push_at(&mut b, at);
    }
    crate::paging::fetch(db, &b, "id DESC", req).await
}

/// How many cases within the scope stand where someone acts: each state with the grades (as
/// graded now: the result when there is one) for which that someone has a step to take.
/// Counted up to the cap of a list.
pub async fn count_at(
    db: &Db,
    scope: &Scope,
    at: &[(CaseState, Vec<Grade>)],
) -> Result<crate::paging::Total, StoreError> {
    let mut b = SqlBuf::new("SELECT id FROM grading_case WHERE 1 = 1");
    scope_filter(&mut b, scope);
    push_at(&mut b, at);
    crate::paging::count(db, &b).await
}

/// Keeps the cases standing at one of `at` (a state with the grades, as graded now).
fn push_at(b: &mut SqlBuf, at: &[(CaseState, Vec<Grade>)]) {
    let at: Vec<&(CaseState, Vec<Grade>)> = at.iter().filter(|(_, g)| !g.is_empty()).collect();
    if at.is_empty() {
        b.push(" AND 1 = 0");
        return;
    }
    b.push(" AND (");
    for (i, (state, grades)) in at.iter().enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(state = ");
        b.bind(Arg::Text(state.key().to_string()));
        b.push(" AND COALESCE(result_grade, grade) IN ");
        b.bind_list(grades.iter().map(|g| Arg::Text(g.key().to_string())));
        b.push(")");
    }
    b.push(")");
}

pub async fn events(db: &Db, scope: &Scope, id: i64) -> Result<Vec<CaseEvent>, StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT case_id, seq, action, from_state, to_state, party, actor, reason, rule, at_us \
        FROM case_event WHERE case_id = $1 ORDER BY seq";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, CaseEvent>(SQL)
        .bind(id)
        .fetch_all(p)
        .await)?)
}

/// A transition request.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub action: Action,
    pub party: Party,
    /// Who grades this case's level under its rules (city, district, or outside the city).
    pub grading: AuthorityLevel,
    pub reason: Option<&'a str>,
    /// The rule that decided the step, when one did (`set@version#rule`).
    pub rule: Option<String>,
    /// The grade the step settles (an approval of a lower level, an external grant).
    pub result_grade: Option<Grade>,
    /// The version the user saw; a different stored version refuses the step.
    pub expected_version: Option<i64>,
}

/// Applies a step: the state machine decides, a conditional update makes it stick.
pub async fn transition(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    step: &Step<'_>,
) -> Result<CaseState, StoreError> {
    let (case, from, to) = decide(db, scope, actor, id, step).await?;
    let mut tx = db.begin().await?;
    if let Err(e) = apply_in_tx(&mut tx, actor, &case, from, to, step).await {
        drop(tx);
        return Err(refused_after_rollback(db, actor, id, step, e).await);
    }
    tx.commit().await?;
    Ok(to)
}

const STALE: &str = "案件已被他人更新，请刷新后重试";

/// Loads the case and lets the state machine decide the step; a refusal (out of order, or
/// stale: the request conflicts with the case as it is now) is audited.
async fn decide(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    step: &Step<'_>,
) -> Result<(Case, CaseState, CaseState), StoreError> {
    let case = get(db, scope, id).await?;
    let from = case
        .state()
        .ok_or_else(|| StoreError::Invalid(format!("未知的案件状态 {}", case.state)))?;
    let stale = step.expected_version.is_some_and(|v| v != case.version);
    let decided = if stale {
        Err(STALE.to_string())
    } else {
        lifecycle::advance(from, step.action, step.grading, step.reason).map_err(|e| e.to_string())
    };
    match decided {
        Ok(to) => Ok((case, from, to)),
        Err(why) => {
            let ev = Event::new("case.refused", format!("case:{id}"))
                .detail(format!("{}：{why}", step.action.label()));
            audit_log::append(db, actor, &ev).await?;
            Err(StoreError::Conflict(why))
        }
    }
}

/// After a rolled-back step: a lost race is audited as a refusal; other errors pass through.
async fn refused_after_rollback(
    db: &Db,
    actor: &Actor,
    id: i64,
    step: &Step<'_>,
    e: StoreError,
) -> StoreError {
    if let StoreError::Conflict(why) = &e {
        let ev = Event::new("case.refused", format!("case:{id}"))
            .detail(format!("{}：{why}", step.action.label()));
        if let Err(a) = audit_log::append(db, actor, &ev).await {
            return a;
        }
    }
    e
}

/// Work that joins a transition's transaction.
pub type InTx<'t> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send + 't>>;

/// A transition whose transaction also runs `extra` (an assignment, a certificate …).
pub async fn transition_with<F>(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    step: &Step<'_>,
    extra: F,
) -> Result<CaseState, StoreError>
where
    F: for<'t> FnOnce(&'t mut crate::db::Tx) -> InTx<'t>,
{
    let (case, from, to) = decide(db, scope, actor, id, step).await?;
    let mut tx = db.begin().await?;
    if let Err(e) = apply_in_tx(&mut tx, actor, &case, from, to, step).await {
        drop(tx);
        return Err(refused_after_rollback(db, actor, id, step, e).await);
    }
    extra(&mut tx).await?;
    tx.commit().await?;
    Ok(to)
}

/// Announces a case and issues its certificate in one transaction.
pub async fn announce_with_certificate(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    step: &Step<'_>,
    cert: &crate::certificate::NewCertificate,
) -> Result<(i64, String), StoreError> {
    let (case, from, to) = decide(db, scope, actor, id, step).await?;
    let mut tx = db.begin().await?;
    if let Err(e) = apply_in_tx(&mut tx, actor, &case, from, to, step).await {
        drop(tx);
        return Err(refused_after_rollback(db, actor, id, step, e).await);
    }
    let issued = crate::certificate::issue_in_tx(&mut tx, db, actor, cert).await?;
    tx.commit().await?;
    Ok(issued)
}

async fn apply_in_tx(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    case: &Case,
    from: CaseState,
    to: CaseState,
    step: &Step<'_>,
) -> Result<(), StoreError> {
    let id = case.id;
    const UPDATE: &str = "UPDATE grading_case SET state = $1, version = version + 1, updated_at = $2, \
        result_grade = COALESCE($3, result_grade) WHERE id = $4 AND state = $5 AND version = $6";
    let n = with_tx!(tx, |c| sqlx::query(UPDATE)
        .bind(to.key())
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .bind(step.result_grade.map(|g| g.key()))
        .bind(id)
        .bind(from.key())
        .bind(case.version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(STALE.into()));
    }
    const SEQ: &str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM case_event WHERE case_id = $1";
    let seq: i64 = with_tx!(tx, |c| sqlx::query_scalar(SEQ).bind(id).fetch_one(c).await)?;
    const EVENT: &str = "INSERT INTO case_event (case_id, seq, action, from_state, to_state, party, actor, \
        reason, rule, at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let action_key = step.action.key();
    let party_key = serde_json::to_value(step.party)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    with_tx!(tx, |c| sqlx::query(EVENT)
        .bind(id)
        .bind(seq)
        .bind(action_key)
        .bind(from.key())
        .bind(to.key())
        .bind(&party_key)
        .bind(&actor.username)
        .bind(step.reason.map(str::trim))
        .bind(&step.rule)
        .bind(now_us())
        .execute(c)
        .await
        .map(|_| ()))?;
    let mut detail = format!("{}：{} → {}", step.action.label(), from.label(), to.label());
    if let Some(r) = step.reason.filter(|r| !r.trim().is_empty()) {
        detail.push_str(&format!("；理由：{}", r.trim()));
    }
    if let Some(rule) = &step.rule {
        detail.push_str(&format!("；依据 {rule}"));
    }
    let ev = Event::new(&format!("case.{action_key}"), format!("case:{id}")).detail(detail);
    audit_log::append_tx(tx, actor, &ev).await?;
    Ok(())
}

/// A case in public notice, as the portal shows it.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct PublicNotice {
    pub case_id: i64,
    pub enterprise_name: String,
    pub region_code: String,
    pub grade: String,
    pub result_grade: Option<String>,
    /// When the notice started (µs).
    pub started_us: i64,
}

/// Every case now in public notice, oldest notice first.
pub async fn public_notices(db: &Db) -> Result<Vec<PublicNotice>, StoreError> {
    const SQL: &str = "SELECT c.id AS case_id, e.name AS enterprise_name, c.region_code, c.grade, c.result_grade, \
        COALESCE((SELECT MAX(v.at_us) FROM case_event v WHERE v.case_id = c.id AND v.to_state = 'notice' \
        AND v.from_state <> 'notice'), 0) \
        AS started_us FROM grading_case c JOIN enterprise e ON e.id = c.enterprise_id \
        WHERE c.state = 'notice' ORDER BY started_us, c.id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, PublicNotice>(SQL)
        .fetch_all(p)
        .await)?)
}

//! `/api/v1/cases`: grading cases within the caller's scope, their history, and the steps the
//! caller's party may take; `/api/v1/certificates`: certificates with today's status.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use anbiao_domain::lifecycle::{Action, CaseState};
use anbiao_store::grading as store;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub enterprise_id: i64,
    pub region_code: String,
    /// one, two, three or small_micro.
    pub grade: String,
    /// The state key (self_assessing, applied, …).
    pub state: String,
    pub state_label: String,
    pub result_grade: Option<String>,
    /// The grading rule set of the case (`set@version`).
    pub rule_set: String,
    pub sheet: String,
    pub opened_on: String,
    pub version: i64,
}

impl CaseView {
    fn new(c: &store::Case) -> Self {
        Self {
            id: c.id,
            enterprise_id: c.enterprise_id,
            region_code: c.region_code.clone(),
            grade: c.grade.clone(),
            state: c.state.clone(),
            state_label: c.state().map(|s| s.label().to_string()).unwrap_or_default(),
            result_grade: c.result_grade.clone(),
            rule_set: c.rule_set.clone(),
            sheet: format!("{}@{}", c.sheet_id, c.sheet_version),
            opened_on: c.opened_on.clone(),
            version: c.version,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseEventView {
    pub seq: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor: String,
    pub reason: Option<String>,
    /// The rule that decided the step (`set@version#rule`), when one did.
    pub rule: Option<String>,
    pub at_us: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    pub events: Vec<CaseEventView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CaseQuery {
    /// Only cases in this state.
    pub state: Option<String>,
}

/// Cases in the caller's scope, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/cases", params(CaseQuery), tag = "cases",
    responses((status = 200, body = [CaseView]), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn list_cases(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<CaseQuery>,
) -> Result<Json<Vec<CaseView>>, AppError> {
    let filter = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            CaseState::parse(s)
                .ok_or_else(|| AppError::bad("state", format!("未知的案件状态“{s}”")))?,
        ),
    };
    let actor = u.acting("api");
    let rows = state.ctx(&actor).cases(filter, 500).await?;
    Ok(Json(rows.iter().map(|(c, _)| CaseView::new(c)).collect()))
}

fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

/// A case and its history.
#[utoipa::path(get, path = "/api/v1/cases/{id}", params(("id" = i64, Path)), tag = "cases",
    responses((status = 200, body = CaseDetail), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_case(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, AppError> {
    let id = parse_id(&id)?;
    let actor = u.acting("api");
    let file = state.ctx(&actor).case_file(id).await?;
    let c = file.case;
    let events = file
        .events
        .into_iter()
        .map(|e| CaseEventView {
            seq: e.seq,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            actor: e.actor,
            reason: e.reason,
            rule: e.rule,
            at_us: e.at_us,
        })
        .collect();
    Ok(Json(CaseDetail {
        case: CaseView::new(&c),
        events,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// apply, return, accept, withdraw, approve, accept_lower, require_rectification,
    /// reevaluate, reject, recommend, start_notice, hold_for_objection, decline_objection,
    /// dismiss_objection, uphold_objection, announce, record_external_refusal.
    pub action: String,
    /// Required for return, rectification, rejection and objections.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Takes a step on a case as the caller's party; the state machine and the rules decide.
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", params(("id" = i64, Path)), request_body = StepBody, tag = "cases",
    responses((status = 200, body = CaseView), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody), (status = 409, body = crate::error::ApiErrorBody), (status = 413, body = crate::error::ApiErrorBody)))]
pub async fn take_step(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, AppError> {
    let id = parse_id(&id)?;
    let b: StepBody = super::parse_json(&body)?;
    let action = Action::parse(&b.action)
        .ok_or_else(|| AppError::bad("action", format!("未知的操作“{}”", b.action)))?;
    let actor = u.acting("api");
    let cx = state.ctx(&actor);
    let reason = b.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    match action {
        Action::Apply => cx.apply(id).await.map(|_| ())?,
        Action::Approve => cx.approve(id).await.map(|_| ())?,
        Action::Announce => cx.announce(id).await.map(|_| ())?,
        Action::SubmitEvaluation
        | Action::Assign
        | Action::Object
        | Action::RecordExternalGrant => {
            return Err(AppError::bad("action", "此操作需要专门的表单或接口"));
        }
        a => cx.act(id, a, reason).await.map(|_| ())?,
    }
    Ok(Json(CaseView::new(&cx.case(id).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    pub number: String,
    pub enterprise_id: i64,
    pub grade: String,
    pub issuer: String,
    pub external: bool,
    pub valid_from: String,
    pub valid_until: String,
    /// valid, expired, revoked, superseded or pending, today.
    pub status: String,
    pub revoked_on: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CertificateQuery {
    /// The enterprise whose certificates to list (required).
    pub enterprise_id: Option<String>,
}

/// An enterprise's certificates with their status today (for partner agencies: grades and
/// validity only).
#[utoipa::path(get, path = "/api/v1/certificates", params(CertificateQuery), tag = "certificates",
    responses((status = 200, body = [CertificateView]), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn list_certificates(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<CertificateQuery>,
) -> Result<Json<Vec<CertificateView>>, AppError> {
    let enterprise_id = q
        .enterprise_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::bad("enterprise_id", "请提供企业编号 enterprise_id（整数）"))?;
    let on = state.today();
    let actor = u.acting("api");
    let rows = state.ctx(&actor).certificates_of(enterprise_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|c| CertificateView {
                status: c.status_on(on).key().to_string(),
                number: c.number,
                enterprise_id: c.enterprise_id,
                grade: c.grade,
                issuer: c.issuer,
                external: c.external,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                revoked_on: c.revoked_on,
            })
            .collect(),
    ))
}

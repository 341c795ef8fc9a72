//! `/api/v1/enterprises`: list with the page's filters, get, create, update.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use anbiao_domain::enterprise::EnterpriseDraft;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::filters::ListQuery;
use crate::views::EnterpriseView;

#[derive(Serialize, utoipa::ToSchema)]
pub struct EnterpriseList {
    pub items: Vec<EnterpriseView>,
    /// Matches counted up to 2,000; when there are more, `total_exact` is false.
    pub total: i64,
    pub total_exact: bool,
    pub page: i64,
    pub per_page: i64,
}

/// An enterprise as sent by a client. Region and industry may be codes or names; amounts and
/// counts may be numbers or strings. On update, fields left out keep their values and an empty
/// string clears an optional field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseBody {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub region_code: Option<String>,
    pub township: Option<String>,
    pub industry_code: Option<String>,
    #[schema(value_type = Option<String>)]
    pub annual_sales_wan: Option<Value>,
    #[schema(value_type = Option<i64>)]
    pub employees: Option<Value>,
    pub status: Option<String>,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub code_override_reason: Option<String>,
    /// For updates: the version read; a concurrent change makes the update fail with 409.
    pub version: Option<i64>,
    /// For updates by an officer of fields only an officer changes (status, size inputs,
    /// region, credit code …): why. Recorded with each change.
    pub change_reason: Option<String>,
}

fn scalar(field: &str, v: Option<Value>) -> Result<Option<String>, AppError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(AppError::bad(
            field,
            format!("字段“{field}”应为数字或字符串"),
        )),
    }
}

impl EnterpriseBody {
    fn into_draft(self) -> Result<(EnterpriseDraft, Option<i64>, Option<String>), AppError> {
        let reason = self.change_reason;
        Ok((
            EnterpriseDraft {
                credit_code: self.credit_code,
                name: self.name,
                region: self.region_code,
                township: self.township,
                industry: self.industry_code,
                annual_sales_wan: scalar("annual_sales_wan", self.annual_sales_wan)?,
                employees: scalar("employees", self.employees)?,
                status: self.status,
                contact_person: self.contact_person,
                contact_phone: self.contact_phone,
                address: self.address,
                code_override_reason: self.code_override_reason,
            },
            self.version,
            reason,
        ))
    }
}

fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

/// Lists enterprises in the caller's scope.
#[utoipa::path(get, path = "/api/v1/enterprises", params(ListQuery), tag = "enterprises",
    responses((status = 200, body = EnterpriseList), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn list_enterprises(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<EnterpriseList>, AppError> {
    let filter = q.to_filter(&state.reference)?;
    let actor = u.acting("api");
    let page = state
        .ctx(&actor)
        .enterprises(&filter, q.page()?, q.per_page(50)?)
        .await?;
    Ok(Json(EnterpriseList {
        items: page
            .items
            .iter()
            .map(|e| EnterpriseView::new(&state.reference, e))
            .collect(),
        total: page.total,
        total_exact: page.total_exact,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// One enterprise in the caller's scope.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", params(("id" = i64, Path)), tag = "enterprises",
    responses((status = 200, body = EnterpriseView), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_enterprise(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<EnterpriseView>, AppError> {
    let actor = u.acting("api");
    let e = state.ctx(&actor).enterprise(parse_id(&id)?).await?;
    Ok(Json(EnterpriseView::new(&state.reference, &e)))
}

/// Registers an enterprise.
#[utoipa::path(post, path = "/api/v1/enterprises", request_body = EnterpriseBody, tag = "enterprises",
    responses((status = 201, body = EnterpriseView), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 409, body = crate::error::ApiErrorBody), (status = 413, body = crate::error::ApiErrorBody), (status = 422, body = crate::error::ApiErrorBody)))]
pub async fn create_enterprise(
    State(state): State<AppState>,
    u: CurrentUser,
    body: Bytes,
) -> Result<Response, AppError> {
    let b: EnterpriseBody = super::parse_json(&body)?;
    let (draft, _, _) = b.into_draft()?;
    let id = anbiao_actions::enterprises::create(
        &state.db,
        &state.reference,
        &u.acting("api"),
        &draft,
        state.today(),
    )
    .await?;
    let e = state.ctx(&u.acting("api")).enterprise(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(EnterpriseView::new(&state.reference, &e)),
    )
        .into_response())
}

/// Updates an enterprise; fields left out keep their values.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", params(("id" = i64, Path)), request_body = EnterpriseBody, tag = "enterprises",
    responses((status = 200, body = EnterpriseView), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody), (status = 409, body = crate::error::ApiErrorBody), (status = 413, body = crate::error::ApiErrorBody), (status = 422, body = crate::error::ApiErrorBody)))]
pub async fn update_enterprise(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<EnterpriseView>, AppError> {
    let id = parse_id(&id)?;
    // Out of scope is "not found" whatever was sent.
    let old = state.ctx(&u.acting("api")).enterprise(id).await?;
    let b: EnterpriseBody = super::parse_json(&body)?;
    let (patch, version, reason) = b.into_draft()?;
    // The patch is merged over the record as read here: without a version from the client,
    // the write is still conditional on that read, so a change in between is a 409, not lost.
    let edit = anbiao_actions::enterprises::Edit {
        draft: patch.merged_over(&old.to_draft()),
        version: version.or(Some(old.version)),
        reason,
    };
    anbiao_actions::enterprises::update(
        &state.db,
        &state.reference,
        &u.acting("api"),
        id,
        &edit,
        state.today(),
    )
    .await?;
    let e = state.ctx(&u.acting("api")).enterprise(id).await?;
    Ok(Json(EnterpriseView::new(&state.reference, &e)))
}

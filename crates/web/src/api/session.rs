//! Signing in through the API: a session cookie plus the CSRF token for state-changing calls.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use anbiao_store::session;

use crate::AppState;
use crate::auth::{self, ClientAddr, CurrentUser};
use crate::error::AppError;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionCreated {
    /// Send as `X-CSRF-Token` on every state-changing request of this session.
    pub csrf_token: String,
    pub username: String,
    pub role: String,
    /// The password is an initial one: every other call answers 403 until it is changed.
    pub must_change_password: bool,
}

/// Signs in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", request_body = Credentials, tag = "session",
    responses((status = 201, body = SessionCreated), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody),
        (status = 429, body = crate::error::ApiErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    body: Bytes,
) -> Result<Response, AppError> {
    let c: Credentials = super::parse_json(&body)?;
    let user =
        crate::services::sign_in(&state, c.username.trim(), &c.password, &client.0, "api").await?;
    let (sid, csrf) = session::create(&state.db, user.id, state.config.session_ttl_secs).await?;
    let mut res = (
        StatusCode::CREATED,
        Json(SessionCreated {
            csrf_token: csrf,
            username: user.username.clone(),
            role: user.role.clone(),
            must_change_password: user.must_change_password,
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&sid, state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Signs out; the session ends on the server.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn delete_session(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Response, AppError> {
    if let Some(id) = &u.session_id {
        session::end(&state.db, &u.actor("api"), id).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

//! Signing in through the API: a session cookie plus the CSRF token for state-changing calls.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use anbiao_store::{account, session};

use crate::AppState;
use crate::auth::{self, SessionInfo};
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/session",
        post(create_session).delete(delete_session),
    )
}

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
}

/// Signs in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", request_body = Credentials, tag = "session",
    responses((status = 201, body = SessionCreated), (status = 401, body = crate::error::ApiErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, AppError> {
    let c: Credentials = super::parse_json(&body)?;
    let user = account::authenticate(&state.db, c.username.trim(), &c.password)
        .await?
        .ok_or(AppError::BadCredentials)?;
    let (sid, csrf) = session::create(&state.db, user.id, state.config.session_ttl_secs).await?;
    let mut res = (
        StatusCode::CREATED,
        Json(SessionCreated {
            csrf_token: csrf,
            username: user.username.clone(),
            role: user.role.clone(),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&sid, state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Signs out; the session ends on the server.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn delete_session(
    State(state): State<AppState>,
    s: Option<axum::Extension<SessionInfo>>,
) -> Result<Response, AppError> {
    if let Some(axum::Extension(s)) = s {
        session::delete(&state.db, &s.id).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

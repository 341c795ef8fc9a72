//! Sign-in and sign-out.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use anbiao_store::session;

use crate::AppState;
use crate::auth::{self, ClientAddr, CurrentUser, SessionInfo};
use crate::error::{AppError, HtmlError};
use crate::pages::redirect;
use crate::services;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    username: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html", block = "form")]
struct LoginForm {
    username: String,
    error: Option<String>,
}

pub async fn login_page() -> Result<Html<String>, HtmlError> {
    Ok(Html(
        LoginPage {
            username: String::new(),
            error: None,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct LoginInput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(client): Extension<ClientAddr>,
    old: Option<Extension<SessionInfo>>,
    Form(input): Form<LoginInput>,
) -> Result<Response, HtmlError> {
    let htmx = auth::is_htmx(&headers);
    let username = input.username.trim().to_string();
    let user = match services::sign_in(&state, &username, &input.password, &client.0, "form").await
    {
        Ok(u) => u,
        Err(e @ (AppError::BadCredentials | AppError::TooManyRequests)) => {
            let status = e.status();
            let error = Some(e.message());
            let body = if htmx {
                LoginForm { username, error }.render()?
            } else {
                LoginPage { username, error }.render()?
            };
            return Ok((status, Html(body)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    // A new session id at every sign-in; the old session ends.
    if let Some(Extension(s)) = old {
        session::delete(&state.db, &s.id).await?;
    }
    let (sid, _csrf) = session::create(&state.db, user.id, state.config.session_ttl_secs).await?;
    let mut res = redirect(crate::pages::home_of(&user), htmx);
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&sid, state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    u: Option<CurrentUser>,
) -> Result<Response, HtmlError> {
    if let Some(u) = u
        && let Some(id) = &u.session_id
    {
        session::end(&state.db, &u.actor("form"), id).await?;
    }
    let mut res = redirect("/login", auth::is_htmx(&headers));
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

//! Sign-in and sign-out.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use anbiao_store::{account, session};

use crate::AppState;
use crate::auth::{self, SessionInfo};
use crate::error::HtmlError;
use crate::pages::redirect;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

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

async fn login_page() -> Result<Html<String>, HtmlError> {
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

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    old: Option<axum::Extension<SessionInfo>>,
    Form(input): Form<LoginInput>,
) -> Result<Response, HtmlError> {
    let htmx = auth::is_htmx(&headers);
    let username = input.username.trim().to_string();
    let user = if username.is_empty() || input.password.is_empty() {
        None
    } else {
        account::authenticate(&state.db, &username, &input.password).await?
    };
    let Some(user) = user else {
        let error = Some("用户名或密码错误".to_string());
        let body = if htmx {
            LoginForm { username, error }.render()?
        } else {
            LoginPage { username, error }.render()?
        };
        return Ok((StatusCode::UNAUTHORIZED, Html(body)).into_response());
    };
    // A new session id at every sign-in; the old session ends.
    if let Some(axum::Extension(s)) = old {
        session::delete(&state.db, &s.id).await?;
    }
    let (sid, _csrf) = session::create(&state.db, user.id, state.config.session_ttl_secs).await?;
    let mut res = redirect("/enterprises", htmx);
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&sid, state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    s: Option<axum::Extension<SessionInfo>>,
) -> Result<Response, HtmlError> {
    if let Some(axum::Extension(s)) = s {
        session::delete(&state.db, &s.id).await?;
    }
    let mut res = redirect("/login", auth::is_htmx(&headers));
    if let Ok(v) = HeaderValue::from_str(&auth::clear_cookie(state.config.secure_cookies)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

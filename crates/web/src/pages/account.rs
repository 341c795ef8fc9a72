//! The caller's own account: overview, password change, personal API tokens.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use anbiao_actions::tokens::{self, Personal};
use anbiao_domain::Permission;
use anbiao_store::token;

use crate::AppState;
use crate::auth::{ClientAddr, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, redirect};
use crate::views::fmt_unix;

#[derive(Template)]
#[template(path = "account/overview.html")]
struct OverviewPage {
    layout: Layout,
    username: String,
    permissions: Vec<&'static str>,
}

pub async fn overview(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    let permissions = Permission::ALL
        .into_iter()
        .filter(|p| u.can(*p))
        .map(|p| p.label())
        .collect();
    Ok(Html(
        OverviewPage {
            layout: Layout::new(&u, &state, "account"),
            username: u.user.username.clone(),
            permissions,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    requirement: String,
    error: Option<String>,
}

fn requirement(state: &AppState) -> String {
    let p = state.config.policy;
    format!(
        "至少{}位，须包含大写字母、小写字母、数字、符号中的至少{}类，且不能包含用户名。",
        p.min_len, p.min_classes
    )
}

pub async fn password_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    Ok(Html(
        PasswordPage {
            layout: Layout::new(&u, &state, "account"),
            forced: u.user.must_change_password,
            requirement: requirement(&state),
            error: None,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct PasswordInput {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Extension(client): Extension<ClientAddr>,
    headers: HeaderMap,
    Form(input): Form<PasswordInput>,
) -> Result<Response, HtmlError> {
    // Checking the current password is a password check: the sign-in limit per address holds.
    if let crate::limit::Verdict::Refused { .. } = state.sign_in_limiter.attempt(&client.0) {
        return Err(AppError::TooManyRequests.into());
    }
    let result = if input.new != input.confirm {
        Err(AppError::bad("confirm", "两次输入的新密码不一致"))
    } else {
        anbiao_actions::accounts::change_own_password(
            &state.db,
            &u.acting("form"),
            &input.current,
            &input.new,
            &state.config.policy,
            u.session_id.as_deref(),
        )
        .await
        .map_err(AppError::from)
    };
    match result {
        Ok(()) => Ok(redirect("/", is_htmx(&headers))),
        Err(e @ AppError::BadRequest { .. }) => {
            let page = PasswordPage {
                layout: Layout::new(&u, &state, "account"),
                forced: u.user.must_change_password,
                requirement: requirement(&state),
                error: Some(e.message()),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A token as listed.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub prefix: String,
    pub access: &'static str,
    pub data: String,
    pub region: String,
    pub expires: String,
    pub last_used: String,
    pub state: &'static str,
    pub live: bool,
}

impl TokenRow {
    pub fn new(state: &AppState, t: &token::Token, owner: String) -> Self {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let listed = t.listed();
        Self {
            id: t.id,
            name: t.name.clone(),
            owner,
            prefix: format!("{}…", t.prefix),
            access: if t.is_read_only() { "只读" } else { "读写" },
            data: if listed.is_empty() {
                "账户的全部权限".into()
            } else {
                listed
                    .iter()
                    .map(|p| p.label())
                    .collect::<Vec<_>>()
                    .join("、")
            },
            region: t
                .region_code
                .as_deref()
                .map(|c| crate::views::region_name(&state.reference, c))
                .unwrap_or_else(|| "不限".into()),
            expires: fmt_unix(t.expires_at),
            last_used: t
                .last_used_at
                .map(fmt_unix)
                .unwrap_or_else(|| "从未使用".into()),
            state: if t.revoked_at.is_some() {
                "已吊销"
            } else if t.expires_at <= now {
                "已过期"
            } else {
                "有效"
            },
            live: t.is_live(now),
        }
    }
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    layout: Layout,
    /// Whether the reader issues its own tokens (a partner does not).
    can_issue: bool,
    /// The lifetimes the reader's role allows: (default, longest read-only, longest writing).
    default_days: i64,
    max_read_days: i64,
    max_write_days: Option<i64>,
    rows: Vec<TokenRow>,
    secret: Option<String>,
    error: Option<String>,
}

async fn render_tokens(
    state: &AppState,
    u: &crate::auth::CurrentUser,
    secret: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let rows = tokens::own(&state.db, &u.acting("page"))
        .await?
        .iter()
        .map(|t| TokenRow::new(state, t, u.user.username.clone()))
        .collect();
    let terms = u.user.role().and_then(|r| r.token_terms());
    Ok(Html(
        TokensPage {
            layout: Layout::new(u, state, "account"),
            can_issue: tokens::issues_own(&u.acting("page")) && terms.is_some(),
            default_days: terms.map_or(30, |t| t.default_days),
            max_read_days: terms.map_or(30, |t| t.max_read_days),
            max_write_days: terms.and_then(|t| t.max_write_days),
            rows,
            secret,
            error,
        }
        .render()?,
    ))
}

pub async fn tokens_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    render_tokens(&state, &u, None, None).await
}

#[derive(Deserialize)]
pub struct TokenInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    access: String,
    #[serde(default)]
    days: String,
}

pub async fn issue_token(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(input): Form<TokenInput>,
) -> Result<Response, HtmlError> {
    let days = input.days.trim().parse::<i64>().unwrap_or(0);
    let write = match input.access.trim() {
        "" | "read" => false,
        "write" => true,
        other => {
            let page = render_tokens(
                &state,
                &u,
                None,
                Some(format!("未知的读写权限“{other}”，请选择只读或读写")),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let personal = Personal {
        name: &input.name,
        write,
        days,
    };
    let actor = u.acting("form");
    match tokens::issue_own(&state.db, &actor, &personal).await {
        Ok(secret) => Ok(render_tokens(&state, &u, Some(secret), None)
            .await?
            .into_response()),
        Err(e @ anbiao_actions::ActionError::Invalid { .. }) => {
            let page = render_tokens(&state, &u, None, Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    tokens::revoke_own(&state.db, &u.acting("form"), id).await?;
    Ok(redirect("/account/tokens", is_htmx(&headers)))
}

//! 通报: the city drafts one from the table as of a day, edits and publishes it; the portal
//! shows the published ones, as HTML and PDF.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::bulletins::Edit;
use anbiao_domain::Permission;
use anbiao_store::bulletins;

use crate::AppState;
use crate::api::programmes::{as_of, table_on};
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, redirect, show_refusal};

#[derive(Deserialize)]
pub struct DraftForm {
    pub as_of: Option<String>,
}

/// `POST /programmes/{id}/bulletins`: a draft from the table as of the day given.
pub async fn draft(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<DraftForm>,
) -> Result<Response, HtmlError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, f.as_of.as_deref())?;
    let t = table_on(&state, &u, p, on).await?;
    let actor = u.acting("form");
    let bid = state.ctx(&actor).draft_bulletin(p, &t).await?;
    Ok(redirect(&format!("/bulletins/{bid}"), is_htmx(&headers)))
}

#[derive(Template)]
#[template(path = "programmes/bulletin.html")]
struct BulletinPage {
    layout: Layout,
    b: bulletins::Bulletin,
    can_edit: bool,
    rows: usize,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let b = state.ctx(&u.acting("page")).bulletin(id).await?;
    let page = BulletinPage {
        layout: Layout::new(u, state, "programmes"),
        can_edit: u.can(Permission::PublishBulletins) && b.state == "draft",
        rows: b.body.lines().count().clamp(12, 40),
        b,
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /bulletins/{id}`
pub async fn show(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    render(&state, &u, id, None).await
}

#[derive(Deserialize)]
pub struct EditForm {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub action: String,
}

/// `POST /bulletins/{id}`: save the draft, or save and publish it.
pub async fn save(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(f): Form<EditForm>,
) -> Result<Response, HtmlError> {
    let publish = match f.action.as_str() {
        "save" => false,
        "publish" => true,
        other => return Err(AppError::bad("action", format!("未知的操作“{other}”")).into()),
    };
    // Prose keeps its full-width punctuation; only control characters go, and the body keeps
    // its line breaks.
    let title = anbiao_domain::text::strip_controls(&f.title)
        .trim()
        .to_string();
    let body: String = f
        .body
        .lines()
        .map(|l| {
            anbiao_domain::text::strip_controls(l)
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let edit = Edit {
        version: f.version,
        title: &title,
        body: &body,
        publish,
    };
    let actor = u.acting("form");
    match state.ctx(&actor).save_bulletin(id, &edit).await {
        Ok(()) => Ok(redirect(&format!("/bulletins/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e.into(), |m| render(&state, &u, id, Some(m))).await,
    }
}

async fn pdf_of(state: &AppState, b: &bulletins::Bulletin) -> Result<Response, HtmlError> {
    let subtitle = match (&b.state[..], &b.published_on) {
        ("published", Some(d)) => format!("{d} 发布 · 数据截至 {}", b.as_of),
        _ => format!("草稿 · 数据截至 {}", b.as_of),
    };
    let drawn = crate::documents::pdf(state, &b.title, &subtitle, &b.body).await?;
    Ok(crate::documents::download(
        drawn,
        &format!("bulletin-{}.pdf", b.id),
        &format!("{}.pdf", b.title),
    ))
}

/// `GET /bulletins/{id}/pdf`
pub async fn pdf(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let b = state.ctx(&u.acting("page")).bulletin(id).await?;
    pdf_of(&state, &b).await
}

#[derive(Template)]
#[template(path = "portal/bulletins.html")]
struct PortalList {
    nav: &'static str,
    site: crate::pages::portal::Site,
    rows: Vec<bulletins::Bulletin>,
}

#[derive(Template)]
#[template(path = "portal/bulletin.html")]
struct PortalOne {
    nav: &'static str,
    site: crate::pages::portal::Site,
    b: bulletins::Bulletin,
}

/// `GET /portal/bulletins`
pub async fn portal_list(State(state): State<AppState>) -> Result<Html<String>, HtmlError> {
    let rows = anbiao_actions::portal::bulletins(&state.db).await?;
    Ok(Html(
        PortalList {
            nav: "bulletins",
            site: crate::pages::portal::Site::of(&state),
            rows,
        }
        .render()?,
    ))
}

/// `GET /portal/bulletins/{id}`
pub async fn portal_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    let b = anbiao_actions::portal::bulletin(&state.db, id).await?;
    Ok(Html(
        PortalOne {
            nav: "bulletins",
            site: crate::pages::portal::Site::of(&state),
            b,
        }
        .render()?,
    ))
}

/// `GET /portal/bulletins/{id}/pdf`
pub async fn portal_pdf(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let b = anbiao_actions::portal::bulletin(&state.db, id).await?;
    pdf_of(&state, &b).await
}

/// The bulletins of a programme, for the dashboard.
pub async fn of_programme(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
) -> Result<Vec<(i64, String, String, &'static str)>, AppError> {
    Ok(state
        .ctx(&u.acting("page"))
        .bulletins_of(id)
        .await?
        .into_iter()
        .map(|b| {
            let st = if b.state == "published" {
                "已发布"
            } else {
                "草稿"
            };
            (b.id, b.title, b.as_of, st)
        })
        .collect())
}

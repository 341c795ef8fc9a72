//! Grids and enterprise safety officers (网格、企业安全员, 六（四）3): the grids within the
//! officer's reach with how far their enterprises are, one grid's enterprises, and the forms
//! that divide a township and put an enterprise in a grid.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_domain::Permission;
use anbiao_domain::date::format_date;

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::HtmlError;
use crate::pages::{Layout, parse_id, redirect, show_refusal};

pub struct GridRow {
    pub id: i64,
    pub place: String,
    pub name: String,
    pub officer: String,
    pub members: i64,
    pub started: i64,
    pub certified: i64,
    pub with_gaps: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GridInput {
    #[serde(default)]
    pub township: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub officer: String,
    #[serde(default)]
    pub officer_phone: String,
}

#[derive(Template)]
#[template(path = "grids/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<GridRow>,
    day: String,
    can_keep: bool,
    /// A district officer names the township; a township officer's is its own.
    ask_township: bool,
    f: GridInput,
    message: Option<String>,
}

async fn list_page(
    state: &AppState,
    u: &CurrentUser,
    f: GridInput,
    message: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let lines = cx.grid_lines().await?;
    let page = ListPage {
        layout: Layout::new(u, state, "grids"),
        rows: lines
            .into_iter()
            .map(|l| GridRow {
                id: l.grid.id,
                place: format!(
                    "{}{}",
                    state.reference.regions.unit_name(&l.grid.unit, cx.on),
                    l.grid.township
                ),
                name: l.grid.name,
                officer: match l.grid.officer_phone {
                    Some(p) => format!("{}（{p}）", l.grid.officer),
                    None => l.grid.officer,
                },
                members: l.members,
                started: l.started,
                certified: l.certified,
                with_gaps: l.with_gaps,
            })
            .collect(),
        day: format_date(cx.on),
        can_keep: u.can(Permission::KeepGrids),
        ask_township: matches!(u.scope, anbiao_domain::Scope::Region { .. }),
        f,
        message,
    };
    Ok(Html(page.render()?))
}

/// `GET /grids`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Html<String>, HtmlError> {
    list_page(&state, &u, GridInput::default(), None).await
}

/// `POST /grids`
pub async fn create(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<GridInput>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    match state
        .ctx(&actor)
        .create_grid(&f.township, &f.name, &f.officer, &f.officer_phone)
        .await
    {
        Ok(id) => Ok(redirect(&format!("/grids/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e.into(), |m| list_page(&state, &u, f, Some(m))).await,
    }
}

pub struct MemberRow {
    pub enterprise_id: i64,
    pub name: String,
    pub officer: String,
    pub since: String,
    pub started: bool,
    pub certified: bool,
    pub gaps: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberInput {
    #[serde(default)]
    pub enterprise: String,
    #[serde(default)]
    pub safety_officer: String,
    #[serde(default)]
    pub safety_phone: String,
}

#[derive(Template)]
#[template(path = "grids/detail.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    title: String,
    officer: String,
    day: String,
    rows: Vec<MemberRow>,
    started: usize,
    certified: usize,
    with_gaps: usize,
    can_keep: bool,
    f: MemberInput,
    message: Option<String>,
}

async fn detail_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    f: MemberInput,
    message: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let (g, members) = cx.grid(id).await?;
    let rows: Vec<MemberRow> = members
        .into_iter()
        .map(|m| MemberRow {
            enterprise_id: m.enterprise_id,
            name: m.name,
            officer: match m.safety_phone {
                Some(p) => format!("{}（{p}）", m.safety_officer),
                None => m.safety_officer,
            },
            since: m.since,
            started: m.started,
            certified: m.certified,
            gaps: m.gaps,
        })
        .collect();
    let page = DetailPage {
        layout: Layout::new(u, state, "grids"),
        id,
        title: format!(
            "{}{}{}",
            state.reference.regions.unit_name(&g.unit, cx.on),
            g.township,
            g.name
        ),
        officer: match g.officer_phone {
            Some(p) => format!("{}（{p}）", g.officer),
            None => g.officer,
        },
        day: format_date(cx.on),
        started: rows.iter().filter(|r| r.started).count(),
        certified: rows.iter().filter(|r| r.certified).count(),
        with_gaps: rows.iter().filter(|r| r.gaps > 0).count(),
        rows,
        can_keep: u.can(Permission::KeepGrids),
        f,
        message,
    };
    Ok(Html(page.render()?))
}

/// `GET /grids/{id}`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    detail_page(&state, &u, id, MemberInput::default(), None).await
}

/// `POST /grids/{id}/members`
pub async fn assign(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<MemberInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    match state
        .ctx(&actor)
        .assign_to_grid(id, &f.enterprise, &f.safety_officer, &f.safety_phone)
        .await
    {
        Ok(()) => Ok(redirect(&format!("/grids/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e.into(), |m| detail_page(&state, &u, id, f, Some(m))).await,
    }
}

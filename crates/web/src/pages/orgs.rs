//! The city's registry of evaluation organisations: qualifications, evaluators, and the
//! coaching relations that bar an organisation from evaluating an enterprise.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::orgs::Qualified;
use anbiao_domain::date::parse_date;

use crate::AppState;
use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, redirect, show_refusal};

pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub qualification: String,
    pub until: String,
    pub expired: bool,
    pub evaluators: Vec<String>,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    layout: Layout,
    rows: Vec<OrgRow>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let on = state.today();
    let mut rows = Vec::new();
    let actor = u.acting("page");
    for (o, team) in state.ctx(&actor).evaluation_orgs().await? {
        let evaluators = team
            .into_iter()
            .map(|m| {
                format!(
                    "{}（{}，资格至 {}）",
                    m.name, m.certificate_no, m.qualified_until
                )
            })
            .collect();
        rows.push(OrgRow {
            id: o.id,
            expired: parse_date(&o.qualified_until).is_none_or(|d| d < on),
            name: o.name,
            qualification: o.qualification,
            until: o.qualified_until,
            evaluators,
        });
    }
    Ok(Html(
        OrgsPage {
            layout: Layout::new(u, state, "orgs"),
            rows,
            error,
        }
        .render()?,
    ))
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    render(&state, &u, None).await
}

fn date(field: &str, v: &str) -> Result<time::Date, AppError> {
    parse_date(v)
        .ok_or_else(|| AppError::bad(field, format!("日期“{v}”无法识别，应为 2026-01-31 的形式")))
}

async fn answer(
    state: &AppState,
    u: &CurrentUser,
    headers: &HeaderMap,
    result: Result<(), AppError>,
) -> Result<Response, HtmlError> {
    match result {
        Ok(()) => Ok(redirect("/orgs", is_htmx(headers))),
        Err(e) => show_refusal(e, |m| render(state, u, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct OrgInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    qualification: String,
    #[serde(default)]
    qualified_until: String,
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Form(i): Form<OrgInput>,
) -> Result<Response, HtmlError> {
    let result = async {
        let until = date("qualified_until", &i.qualified_until)?;
        let actor = u.acting("form");
        state
            .ctx(&actor)
            .create_org(Qualified {
                name: &i.name,
                certificate: &i.qualification,
                until,
            })
            .await?;
        Ok(())
    }
    .await;
    answer(&state, &u, &headers, result).await
}

#[derive(Deserialize)]
pub struct EvaluatorInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    certificate_no: String,
    #[serde(default)]
    qualified_until: String,
}

fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

pub async fn add_evaluator(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(i): Form<EvaluatorInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let result = async {
        let until = date("qualified_until", &i.qualified_until)?;
        let actor = u.acting("form");
        state
            .ctx(&actor)
            .add_evaluator(
                id,
                Qualified {
                    name: &i.name,
                    certificate: &i.certificate_no,
                    until,
                },
            )
            .await?;
        Ok(())
    }
    .await;
    answer(&state, &u, &headers, result).await
}

#[derive(Deserialize)]
pub struct CoachingInput {
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    note: String,
}

pub async fn record_coaching(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(i): Form<CoachingInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let result = async {
        let from = date("from", &i.from)?;
        let actor = u.acting("form");
        state
            .ctx(&actor)
            .record_coaching(id, &i.credit_code, from, &i.note)
            .await?;
        Ok(())
    }
    .await;
    answer(&state, &u, &headers, result).await
}

//! Incentives and restrictions (激励约束措施, 六（五）): the measures in force on a day, the
//! enterprises each concerns with the reasons (page and workbook), and the designations officers
//! record on an enterprise (国有工贸企业, 市级诚信示范企业).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::consequences::{Entry, MeasureView};
use anbiao_domain::date::format_date;
use anbiao_store::consequences::DesignationRecord;

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::rules::{Book, RuleRef};
use crate::pages::{Layout, parse_id, redirect, show_refusal};

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    pub on: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

/// A measure with its rule cited.
pub struct MeasureRow {
    pub m: MeasureView,
    pub rule: RuleRef,
}

#[derive(Template)]
#[template(path = "consequences/index.html")]
struct IndexPage {
    layout: Layout,
    on: String,
    today: String,
    title: String,
    source: String,
    rows: Vec<MeasureRow>,
    error: Option<String>,
}

/// `GET /consequences?on=`: the measures in force on the day, each with its list.
pub async fn index(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let book = Book::of(&state);
    let today = format_date(cx.on);
    let (day, error) = match cx.consequence_day(q.on.as_deref()) {
        Ok(d) => (d, None),
        Err(anbiao_actions::error::ActionError::Invalid { message, .. }) => (cx.on, Some(message)),
        Err(e) => return Err(AppError::from(e).into()),
    };
    let (title, source, rows, error) = match cx.consequence_measures(day) {
        Ok(m) => (
            m.title,
            m.source,
            m.measures
                .into_iter()
                .map(|m| MeasureRow {
                    rule: book.cite(&m.rule),
                    m,
                })
                .collect(),
            error,
        ),
        Err(anbiao_actions::error::ActionError::Invalid { message, .. }) => {
            (String::new(), String::new(), Vec::new(), Some(message))
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    let view = IndexPage {
        layout: Layout::new(&u, &state, "consequences"),
        on: format_date(day),
        today,
        title,
        source,
        rows,
        error,
    };
    Ok(Html(view.render()?))
}

#[derive(Template)]
#[template(path = "consequences/list.html")]
struct ListPage {
    layout: Layout,
    on: String,
    today: String,
    m: MeasureView,
    rule: RuleRef,
    rows: Vec<Entry>,
    pager: crate::pager::Pager,
    export: String,
}

/// `GET /consequences/{key}?on=&page=&size=`: the enterprises a measure concerns on the day
/// within the reader's scope, each with the facts that put it there.
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(key): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let day = cx.consequence_day(q.on.as_deref())?;
    let req = crate::pager::PageQuery {
        page: q.page.clone(),
        size: q.size.clone(),
    }
    .req();
    let l = cx.measure_list(&key, day, req).await?;
    let on = format_date(l.on);
    let path = format!("/consequences/{}", l.measure.key);
    let pager = crate::pager::Pager::new(&path, &[("on", on.clone())], &l.entries);
    let export = format!(
        "{path}/export.xlsx{}",
        crate::export::query_of(&[("on", on.clone())])
    );
    let view = ListPage {
        layout: Layout::new(&u, &state, "consequences"),
        rule: Book::of(&state).cite(&l.measure.rule),
        today: format_date(cx.on),
        on,
        m: l.measure,
        rows: l.entries.rows,
        pager,
        export,
    };
    Ok(Html(view.render()?))
}

/// `GET /consequences/{key}/export.xlsx?on=`: the whole list as a workbook.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(key): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let day = cx.consequence_day(q.on.as_deref())?;
    let w = cx.measure_workbook(&key, day).await?;
    let ascii: String = w
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    Ok(crate::export::xlsx_download(w.bytes, &ascii, &w.file_name))
}

pub struct DesignationRow {
    pub r: DesignationRecord,
    pub name: String,
}

#[derive(Template)]
#[template(path = "consequences/designations.html")]
struct DesignationsPage {
    layout: Layout,
    enterprise_id: i64,
    enterprise: String,
    rows: Vec<DesignationRow>,
    offered: Vec<(String, String)>,
    can_keep: bool,
    today: String,
    message: Option<String>,
}

async fn designations_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    message: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let (records, offered) = cx.designations(id).await?;
    let e = anbiao_store::enterprise::get(&state.db, &actor.scope, id)
        .await
        .map_err(AppError::from)?;
    let rows = records
        .into_iter()
        .map(|r| DesignationRow {
            name: state
                .reference
                .consequences
                .designation(&r.designation)
                .map_or(r.designation.clone(), |d| d.name.clone()),
            r,
        })
        .collect();
    let view = DesignationsPage {
        layout: Layout::new(u, state, "enterprises"),
        enterprise_id: id,
        enterprise: e.name,
        rows,
        offered: offered.into_iter().map(|d| (d.key, d.name)).collect(),
        can_keep: cx.keeps_designations(),
        today: format_date(cx.on),
        message,
    };
    Ok(Html(view.render()?))
}

/// `GET /enterprises/{id}/designations`
pub async fn designations(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    designations_page(&state, &u, id, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct DesignateForm {
    #[serde(default)]
    designation: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    basis: String,
}

/// `POST /enterprises/{id}/designations`
pub async fn designate(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<DesignateForm>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    let r = state
        .ctx(&actor)
        .designate(id, &f.designation, &f.since, &f.basis)
        .await;
    match r {
        Ok(_) => Ok(redirect(
            &format!("/enterprises/{id}/designations"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e.into(), |m| designations_page(&state, &u, id, Some(m))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

/// `POST /designations/{id}/end`
pub async fn end(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<EndForm>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    match cx.end_designation(id, &f.until, &f.reason).await {
        Ok(enterprise_id) => Ok(redirect(
            &format!("/enterprises/{enterprise_id}/designations"),
            is_htmx(&headers),
        )),
        Err(e) => match AppError::from(e) {
            // Refused for its input: the record is within scope (the action read it), so its
            // enterprise's page again with why.
            e @ (AppError::BadRequest { .. } | AppError::Conflict(_)) => {
                let rec = anbiao_store::consequences::designation(&state.db, id)
                    .await
                    .map_err(AppError::from)?;
                show_refusal(e, |m| {
                    designations_page(&state, &u, rec.enterprise_id, Some(m))
                })
                .await
            }
            e => Err(e.into()),
        },
    }
}

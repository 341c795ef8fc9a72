//! Units' submissions against a programme's deadlines: the task grid, the district's upload
//! (a scanned PDF, and for a list the enterprises it names), and the city's decision.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::reports::Report;
use anbiao_domain::Permission;
use anbiao_domain::date::format_date;
use anbiao_domain::programme::{DeadlineKind, Programme, TaskStatus};
use anbiao_store::submissions;

use crate::AppState;
use crate::api::programmes::as_of;
use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::export::percent_encode;
use crate::pages::programmes::AsOf;
use crate::pages::{Layout, redirect, show_refusal};

pub struct TaskCell {
    pub label: &'static str,
    pub class: &'static str,
    pub latest: Option<i64>,
}

pub struct TaskRow {
    pub label: String,
    pub own: bool,
    /// Whether the reader may open this unit's submissions (the cells link only then).
    pub can_open: bool,
    pub cells: Vec<TaskCell>,
}

pub struct DeadlineHead {
    pub key: String,
    pub name: String,
    pub due: String,
    pub list: bool,
}

/// Each unit's status on each deadline with a submission, on `on`.
pub async fn grid(
    state: &AppState,
    u: &CurrentUser,
    p: &Programme,
    on: time::Date,
) -> Result<Vec<(String, String, Vec<(TaskStatus, Option<i64>)>)>, AppError> {
    let all = state.ctx(&u.acting("page")).reports_of(p).await?;
    Ok(p.units
        .iter()
        .map(|u| {
            let cells = p
                .deadlines
                .iter()
                .filter(|d| d.kind != DeadlineKind::Milestone)
                .map(|d| anbiao_actions::programmes::task_status(d, &u.unit, &all, on))
                .collect();
            (
                u.unit.clone(),
                state.reference.regions.unit_name(&u.unit, on),
                cells,
            )
        })
        .collect())
}

#[derive(Template)]
#[template(path = "programmes/tasks.html")]
struct TasksPage {
    layout: Layout,
    id: String,
    name: String,
    as_of: String,
    heads: Vec<DeadlineHead>,
    rows: Vec<TaskRow>,
    can_submit: bool,
    own_label: String,
    milestones: Vec<(String, String)>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    p: &Programme,
    on: time::Date,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let own = crate::pages::own_unit(state, u);
    let actor = u.acting("page");
    let reader = state.ctx(&actor);
    let rows = grid(state, u, p, on)
        .await?
        .into_iter()
        .map(|(unit, label, cells)| TaskRow {
            own: own.as_deref() == Some(unit.as_str()),
            can_open: reader.may_read_reports_of(&unit),
            label,
            cells: cells
                .into_iter()
                .map(|(st, latest)| TaskCell {
                    label: st.label(),
                    class: match st {
                        TaskStatus::Accepted => "st-met",
                        TaskStatus::AcceptedLate | TaskStatus::Submitted | TaskStatus::Returned => {
                            "st-behind"
                        }
                        TaskStatus::Overdue => "st-missed",
                        TaskStatus::Open => "",
                    },
                    latest,
                })
                .collect(),
        })
        .collect();
    let heads = p
        .deadlines
        .iter()
        .filter(|d| d.kind != DeadlineKind::Milestone)
        .map(|d| DeadlineHead {
            key: d.key.clone(),
            name: d.name.clone(),
            due: format_date(d.due),
            list: d.kind == DeadlineKind::List,
        })
        .collect();
    let milestones = p
        .deadlines
        .iter()
        .filter(|d| d.kind == DeadlineKind::Milestone)
        .map(|d| (d.name.clone(), format_date(d.due)))
        .collect();
    let own_label = own
        .as_deref()
        .and_then(|o| p.units.iter().find(|x| x.unit == o))
        .map(|x| x.label.clone())
        .unwrap_or_default();
    let page = TasksPage {
        layout: Layout::new(u, state, "programmes"),
        id: p.id.clone(),
        name: p.name.clone(),
        as_of: format_date(on),
        heads,
        rows,
        can_submit: u.can(Permission::SubmitReports) && !own_label.is_empty(),
        own_label,
        milestones,
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /programmes/{id}/tasks?as_of=`
pub async fn tasks(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Html<String>, HtmlError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, q.as_of.as_deref())?;
    render(&state, &u, p, on, None).await
}

/// `POST /programmes/{id}/tasks` (multipart: deadline, file, codes, note).
pub async fn submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, HtmlError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = state.today();
    let too_big = || AppError::bad("file", "文件过大或上传中断（上限 20 MB）");
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = field.file_name().unwrap_or("扫描件.pdf").to_string();
            file = Some((fname, field.bytes().await.map_err(|_| too_big())?.to_vec()));
        } else {
            fields.insert(name, field.text().await.map_err(|_| too_big())?);
        }
    }
    let (fname, bytes) = file.unwrap_or_default();
    let note = fields
        .get("note")
        .map(|s| anbiao_domain::text::clean(s))
        .filter(|s| !s.is_empty());
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .submit_report(&Report {
            programme_id: &p.id,
            deadline_key: fields
                .get("deadline")
                .map(String::as_str)
                .unwrap_or_default(),
            file_name: &fname,
            bytes: &bytes,
            codes: fields.get("codes").map(String::as_str).unwrap_or_default(),
            note: note.as_deref(),
        })
        .await
        .map(|_| ())
        .map_err(AppError::from);
    match result {
        Ok(()) => Ok(redirect(
            &format!("/programmes/{}/tasks", percent_encode(&p.id)),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render(&state, &u, p, on, Some(m))).await,
    }
}

#[derive(Template)]
#[template(path = "programmes/submission.html")]
struct SubmissionPage {
    layout: Layout,
    s: submissions::Submission,
    deadline: String,
    unit_label: String,
    programme: String,
    enterprises: Vec<(i64, String, String)>,
    can_decide: bool,
    error: Option<String>,
}

async fn render_one(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let (s, enterprises) = state.ctx(&u.acting("page")).report(id).await?;
    let p = state.reference.programme(&s.programme_id);
    let deadline = p
        .and_then(|p| p.deadlines.iter().find(|d| d.key == s.deadline_key))
        .map(|d| format!("{}（{} 前）", d.name, format_date(d.due)))
        .unwrap_or_else(|| s.deadline_key.clone());
    let unit_label = p
        .and_then(|p| p.units.iter().find(|x| x.unit == s.unit))
        .map(|x| x.label.clone())
        .unwrap_or_else(|| s.unit.clone());
    let page = SubmissionPage {
        layout: Layout::new(u, state, "programmes"),
        enterprises,
        can_decide: u.can(Permission::ReviewReports) && s.state == "submitted",
        programme: s.programme_id.clone(),
        deadline,
        unit_label,
        s,
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /submissions/{id}`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    render_one(&state, &u, id, None).await
}

/// `GET /submissions/{id}/file`
pub async fn file(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let (s, bytes) = state.ctx(&u.acting("page")).report_file(id).await?;
    Ok(crate::export::download(
        bytes,
        "application/pdf",
        &format!("submission-{id}.pdf"),
        &s.file_name,
    ))
}

#[derive(Deserialize)]
pub struct Decision {
    pub decision: String,
    pub reason: Option<String>,
}

/// `POST /submissions/{id}/decide`
pub async fn decide(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(f): Form<Decision>,
) -> Result<Response, HtmlError> {
    let accept = match f.decision.as_str() {
        "accept" => true,
        "return" => false,
        other => return Err(AppError::bad("decision", format!("未知的处理方式“{other}”")).into()),
    };
    let reason = f.reason.as_deref().map(anbiao_domain::text::clean);
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    match cx.decide_report(id, accept, reason.as_deref()).await {
        Ok(()) => Ok(redirect(&format!("/submissions/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e.into(), |m| render_one(&state, &u, id, Some(m))).await,
    }
}

//! Publicity and demonstration (宣传、典型示范, 六（六）2–3): the officers' page of model
//! enterprises and townships, exchanges, groups and publicity with the forms that record them,
//! and the portal's page of model enterprises, open days and published publicity.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::outreach::{ExchangeForm, OutreachView, PublicityForm};
use anbiao_domain::Permission;
use anbiao_domain::date::format_date;
use anbiao_domain::grade::Grade;
use anbiao_domain::outreach::OutreachSet;

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::HtmlError;
use crate::pages::{Layout, redirect, show_refusal};

/// Every form of the page as posted (kept on a refusal, which names the form).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Input {
    #[serde(default)]
    pub enterprise: String,
    #[serde(default)]
    pub township: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub group_id: String,
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub open_day: Option<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub attendees: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub members: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub reach: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub published: Option<String>,
}

fn grade_label(g: &str) -> &'static str {
    Grade::parse(g).map_or("", |g| g.label())
}

fn word(
    set: Option<&OutreachSet>,
    f: impl Fn(&OutreachSet) -> Option<String>,
    key: &str,
) -> String {
    set.and_then(f).unwrap_or_else(|| key.to_string())
}

pub struct ModelRow {
    pub id: i64,
    /// Named by the reader's unit, or the reader is the city's: the reader may revoke it.
    pub may_revoke: bool,
    /// Revoked: the day and the reason.
    pub revoked: Option<String>,
    pub enterprise_id: i64,
    pub name: String,
    pub unit: String,
    pub grade: &'static str,
    pub certificate: String,
    pub valid_until: String,
    pub named_on: String,
    pub reason: String,
}

pub struct ExchangeRow {
    pub id: i64,
    /// Recorded by the reader's own unit: the reader may withdraw it.
    pub own: bool,
    /// Withdrawn: the day and the reason.
    pub withdrawn: Option<String>,
    pub title: String,
    pub kind: String,
    pub held_on: String,
    pub place: String,
    pub host: String,
    pub group: String,
    pub attendees: i64,
    pub open_day: bool,
}

pub struct PublicityRow {
    pub id: i64,
    /// Recorded by the reader's own unit: the reader may withdraw it.
    pub own: bool,
    /// Withdrawn: the day and the reason.
    pub withdrawn: Option<String>,
    pub title: String,
    pub channel: String,
    pub held_on: String,
    pub reach: i64,
    pub summary: String,
    pub published: bool,
}

/// The unit whose records the reader keeps (`Some(None)`: the city's), if the reader keeps any.
fn keeper_unit(state: &AppState, u: &CurrentUser) -> Option<Option<String>> {
    u.can(Permission::KeepOutreach).then(|| {
        u.user
            .region_code
            .as_deref()
            .and_then(|c| state.reference.regions.get(c))
            .map(|r| r.unit.clone())
    })
}

/// "2026-12-07 撤回：…"
fn undone(day: Option<&String>, what: &str, reason: Option<&String>) -> Option<String> {
    day.map(|d| {
        format!(
            "{d} {what}：{}",
            reason.map(String::as_str).unwrap_or_default()
        )
    })
}

fn models(state: &AppState, v: &OutreachView, keeper: Option<&Option<String>>) -> Vec<ModelRow> {
    v.models
        .iter()
        .map(|m| ModelRow {
            id: m.id,
            may_revoke: keeper.is_some_and(|k| k.as_ref().is_none_or(|u| *u == m.unit)),
            revoked: undone(m.revoked_on.as_ref(), "撤销命名", m.revoke_reason.as_ref()),
            enterprise_id: m.enterprise_id,
            name: m.enterprise.clone(),
            unit: state.reference.regions.unit_name(&m.unit, state.today()),
            grade: grade_label(&m.grade),
            certificate: m.certificate_no.clone(),
            valid_until: m.valid_until.clone(),
            named_on: m.named_on.clone(),
            reason: m.reason.clone(),
        })
        .collect()
}

fn exchanges(
    set: Option<&OutreachSet>,
    list: &[anbiao_store::outreach::Exchange],
    keeper: Option<&Option<String>>,
) -> Vec<ExchangeRow> {
    list.iter()
        .map(|x| ExchangeRow {
            id: x.id,
            own: keeper.is_some_and(|k| *k == x.unit),
            withdrawn: undone(x.withdrawn_on.as_ref(), "撤回", x.withdraw_reason.as_ref()),
            title: x.title.clone(),
            kind: word(
                set,
                |s| s.visit_kind(&x.kind).map(|t| t.name.clone()),
                &x.kind,
            ),
            held_on: x.held_on.clone(),
            place: x.place.clone(),
            host: x.host.clone().unwrap_or_default(),
            group: x.group_name.clone().unwrap_or_default(),
            attendees: x.attendees,
            open_day: x.open_day,
        })
        .collect()
}

fn publicity(
    set: Option<&OutreachSet>,
    list: &[anbiao_store::outreach::Publicity],
    unit: Option<&Option<String>>,
) -> Vec<PublicityRow> {
    list.iter()
        .map(|p| PublicityRow {
            id: p.id,
            own: unit.is_some_and(|u| *u == p.unit),
            withdrawn: undone(p.withdrawn_on.as_ref(), "撤回", p.withdraw_reason.as_ref()),
            title: p.title.clone(),
            channel: word(
                set,
                |s| s.channel(&p.channel).map(|t| t.name.clone()),
                &p.channel,
            ),
            held_on: p.held_on.clone(),
            reach: p.reach,
            summary: p.summary.clone(),
            published: p.published,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "outreach/page.html")]
struct Page {
    layout: Layout,
    /// Model enterprises whose naming stands (the list also shows the revoked).
    current_models: usize,
    models: Vec<ModelRow>,
    townships: Vec<(String, String, String, String)>,
    groups: Vec<(i64, String, String, i64, i64)>,
    exchanges: Vec<ExchangeRow>,
    publicity: Vec<PublicityRow>,
    can_keep: bool,
    can_townships: bool,
    visit_kinds: Vec<(String, String)>,
    group_kinds: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    model_grades: String,
    section: String,
    f: Input,
    /// The form a refusal is about, opened, with its message.
    open: &'static str,
    message: Option<String>,
    today: String,
    limit: i64,
}

async fn page(
    state: &AppState,
    u: &CurrentUser,
    f: Input,
    open: &'static str,
    message: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let v = cx.outreach_view().await?;
    let set = cx.outreach_set().ok();
    let terms = |l: &[anbiao_domain::outreach::Term]| -> Vec<(String, String)> {
        l.iter().map(|t| (t.key.clone(), t.name.clone())).collect()
    };
    let keeper = keeper_unit(state, u);
    let p = Page {
        layout: Layout::new(u, state, "outreach"),
        current_models: v.models.iter().filter(|m| m.revoked_on.is_none()).count(),
        models: models(state, &v, keeper.as_ref()),
        townships: v
            .townships
            .iter()
            .map(|t| {
                (
                    state.reference.regions.unit_name(&t.unit, state.today()),
                    t.township.clone(),
                    t.named_on.clone(),
                    t.reason.clone(),
                )
            })
            .collect(),
        groups: v
            .groups
            .iter()
            .map(|g| {
                (
                    g.id,
                    g.name.clone(),
                    word(
                        set,
                        |s| s.group_kind(&g.kind).map(|t| t.name.clone()),
                        &g.kind,
                    ),
                    g.members,
                    g.activities,
                )
            })
            .collect(),
        exchanges: exchanges(set, &v.exchanges, keeper.as_ref()),
        publicity: publicity(set, &v.publicity, keeper.as_ref()),
        can_keep: u.can(Permission::KeepOutreach),
        can_townships: u.can(Permission::KeepOutreach)
            && matches!(u.scope, anbiao_domain::Scope::Region { .. }),
        visit_kinds: set.map(|s| terms(&s.visit_kinds)).unwrap_or_default(),
        group_kinds: set.map(|s| terms(&s.group_kinds)).unwrap_or_default(),
        channels: set.map(|s| terms(&s.channels)).unwrap_or_default(),
        model_grades: set
            .map(|s| {
                s.model_grades
                    .iter()
                    .map(|g| g.label())
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_default(),
        section: set
            .map(|s| s.demonstration.section.clone())
            .unwrap_or_default(),
        f,
        open,
        message,
        today: format_date(cx.on),
        limit: anbiao_actions::outreach::LIST,
    };
    Ok(Html(p.render()?))
}

/// `GET /outreach`
pub async fn show(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Html<String>, HtmlError> {
    page(&state, &u, Input::default(), "", None).await
}

async fn after(
    state: &AppState,
    u: &CurrentUser,
    headers: &HeaderMap,
    f: Input,
    open: &'static str,
    result: Result<i64, anbiao_actions::ActionError>,
) -> Result<Response, HtmlError> {
    match result {
        Ok(_) => Ok(redirect(&format!("/outreach#{open}"), is_htmx(headers))),
        Err(e) => show_refusal(e.into(), |m| page(state, u, f, open, Some(m))).await,
    }
}

/// `POST /outreach/models`
pub async fn name_model(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<Input>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let r = state
        .ctx(&actor)
        .name_model_enterprise(&f.enterprise, &f.reason)
        .await;
    after(&state, &u, &headers, f, "models", r).await
}

/// `POST /outreach/townships`
pub async fn name_township(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<Input>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let r = state
        .ctx(&actor)
        .name_model_township(&f.township, &f.reason)
        .await;
    after(&state, &u, &headers, f, "townships", r).await
}

/// `POST /outreach/exchanges`
pub async fn exchange(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<Input>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let form = ExchangeForm {
        kind: f.kind.clone(),
        title: f.title.clone(),
        host: f.host.clone(),
        group_id: f.group_id.clone(),
        held_on: f.held_on.clone(),
        place: f.place.clone(),
        open_day: f.open_day.as_deref() == Some("1"),
        note: f.note.clone(),
        attendees: f.attendees.clone(),
    };
    let r = state.ctx(&actor).record_exchange(&form).await;
    after(&state, &u, &headers, f, "exchanges", r).await
}

/// `POST /outreach/groups`
pub async fn group(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<Input>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let r = state
        .ctx(&actor)
        .create_safety_group(&f.kind, &f.name, &f.members)
        .await;
    after(&state, &u, &headers, f, "groups", r).await
}

#[derive(Deserialize, Default)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// What a withdraw or revoke form undoes.
#[derive(Clone, Copy)]
enum Undo {
    Publicity,
    Model,
    Exchange,
}

/// Withdraws or revokes one record with the form's reason and returns to its tab.
async fn undo(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    headers: &HeaderMap,
    reason: &str,
    what: Undo,
) -> Result<Response, HtmlError> {
    let id = crate::pages::parse_id(id)?;
    let actor = u.acting("form");
    let ctx = state.ctx(&actor);
    let (r, tab) = match what {
        Undo::Publicity => (ctx.withdraw_publicity(id, reason).await, "publicity"),
        Undo::Model => (ctx.revoke_model(id, reason).await, "models"),
        Undo::Exchange => (ctx.withdraw_exchange(id, reason).await, "exchanges"),
    };
    after(state, u, headers, Input::default(), tab, r.map(|()| id)).await
}

/// `POST /outreach/publicity/{id}/withdraw`
pub async fn withdraw_publicity(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, HtmlError> {
    undo(&state, &u, &id, &headers, &f.reason, Undo::Publicity).await
}

/// `POST /outreach/models/{id}/revoke`
pub async fn revoke_model(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, HtmlError> {
    undo(&state, &u, &id, &headers, &f.reason, Undo::Model).await
}

/// `POST /outreach/exchanges/{id}/withdraw`
pub async fn withdraw_exchange(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, HtmlError> {
    undo(&state, &u, &id, &headers, &f.reason, Undo::Exchange).await
}

/// `POST /outreach/publicity`
pub async fn record_publicity(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<Input>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let form = PublicityForm {
        channel: f.channel.clone(),
        title: f.title.clone(),
        held_on: f.held_on.clone(),
        reach: f.reach.clone(),
        summary: f.summary.clone(),
        published: f.published.as_deref() == Some("1"),
    };
    let r = state.ctx(&actor).record_publicity(&form).await;
    after(&state, &u, &headers, f, "publicity", r).await
}

#[derive(Template)]
#[template(path = "portal/models.html")]
struct PortalPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    models: Vec<ModelRow>,
    open_days: Vec<ExchangeRow>,
    publicity: Vec<PublicityRow>,
}

/// `GET /portal/models`: model enterprises with a valid certificate today, open days to come,
/// published publicity.
pub async fn portal(State(state): State<AppState>) -> Result<Html<String>, HtmlError> {
    let actor = anbiao_actions::Actor::public("portal");
    let cx = state.ctx(&actor);
    let p = cx.portal_outreach().await?;
    let set = cx.outreach_set().ok();
    let view = OutreachView {
        models: p.models,
        townships: Vec::new(),
        groups: Vec::new(),
        exchanges: Vec::new(),
        publicity: Vec::new(),
    };
    Ok(Html(
        PortalPage {
            nav: "models",
            site: crate::pages::portal::Site::of(&state),
            models: models(&state, &view, None),
            open_days: exchanges(set, &p.open_days, None),
            publicity: publicity(set, &p.publicity, None),
        }
        .render()?,
    ))
}

//! Risk registers (风险点辨识清单): an enterprise's points with their colours, a point's page
//! with its assessment in words and its history, and the enterprise's form to identify, assess
//! and control a point (no script: both methods' factor tables are on the form, the method
//! chosen decides which are read).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};

use anbiao_domain::Permission;
use anbiao_domain::risk::RiskSet;
use anbiao_domain::risk_check::{CheckDraft, ItemDraft};
use anbiao_domain::risk_point::{PointDraft, PointKind, measure_name};
use anbiao_store::risk_points::{self, PointEvent, RiskPoint};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, Opt, redirect, show_refusal};

/// A point as a row of the register.
pub struct PointRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub location: String,
    pub accident_types: String,
    pub score: String,
    pub method: String,
    /// A condition made it 重大 whatever the score.
    pub direct: bool,
    pub level: String,
    /// The level's key, for its colour class.
    pub level_key: String,
    pub colour: String,
    pub control: String,
    pub responsible: String,
    /// The point is to be assessed again.
    pub reassess: bool,
    /// The point has no control measure.
    pub uncontrolled: bool,
}

/// A level with its colour and how many points of the register hold it.
pub struct LevelCount {
    pub key: String,
    pub name: String,
    pub colour: String,
    pub count: usize,
}

fn row(set: &RiskSet, p: &RiskPoint) -> PointRow {
    let level = set.level(&p.level);
    PointRow {
        id: p.id,
        name: p.name.clone(),
        kind: PointKind::parse(&p.kind).map(|k| k.label()).unwrap_or(""),
        location: p.location.clone(),
        accident_types: p.accident_types.clone(),
        score: p.score.clone(),
        direct: !p.direct.is_empty(),
        method: set
            .method(&p.method)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| p.method.clone()),
        level: level
            .map(|l| l.name.clone())
            .unwrap_or_else(|| p.level.clone()),
        level_key: p.level.clone(),
        colour: level.map(|l| l.colour.clone()).unwrap_or_default(),
        control: set
            .control(&p.control_level)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| p.control_level.clone()),
        responsible: p.responsible.clone(),
        reassess: !p.reassess.is_empty(),
        uncontrolled: p.measures().is_empty(),
    }
}

#[derive(Template)]
#[template(path = "risks/register.html")]
struct RegisterPage {
    layout: Layout,
    enterprise_id: i64,
    enterprise: String,
    rows: Vec<PointRow>,
    counts: Vec<LevelCount>,
    can_keep: bool,
    rules: crate::pages::rules::RuleRef,
    checklists: Vec<anbiao_domain::risk::RiskChecklist>,
    /// Points whose check task is overdue.
    overdue: usize,
    /// A refused import: what went wrong, and each row's problem.
    import_error: Option<String>,
    rejected: Vec<anbiao_store::import::Rejection>,
    /// A finished import: what it did.
    import_done: Option<String>,
}

/// What an import just did, carried by the redirect after it (shown, never trusted).
#[derive(Debug, serde::Deserialize, Default)]
pub struct ImportDone {
    added: Option<String>,
    updated: Option<String>,
    unchanged: Option<String>,
}

impl ImportDone {
    fn words(&self) -> Option<String> {
        let n = |v: &Option<String>| v.as_deref().and_then(|t| t.parse::<u32>().ok());
        let (a, u, k) = (n(&self.added)?, n(&self.updated)?, n(&self.unchanged)?);
        Some(format!(
            "导入完成：新增 {a} 处，按名称更新 {u} 处，{k} 处与现有风险点相同未作改动"
        ))
    }
}

/// `GET /enterprises/{id}/risks`: the register, highest level first.
pub async fn register(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(done): Query<ImportDone>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    register_page(&state, &u, id, None, Vec::new(), done.words()).await
}

async fn register_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    import_error: Option<String>,
    rejected: Vec<anbiao_store::import::Rejection>,
    import_done: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let reg = cx.risk_register(id).await?;
    let rank = |level: &str| set.levels.iter().position(|l| l.key == level);
    let mut points = reg.points;
    points.sort_by_key(|p| (rank(&p.level).unwrap_or(usize::MAX), p.id));
    let counts = set
        .levels
        .iter()
        .map(|l| LevelCount {
            key: l.key.clone(),
            name: l.name.clone(),
            colour: l.colour.clone(),
            count: points.iter().filter(|p| p.level == l.key).count(),
        })
        .collect();
    let page = RegisterPage {
        import_error,
        rejected,
        import_done,
        layout: Layout::new(u, state, "risks"),
        enterprise_id: reg.enterprise_id,
        enterprise: reg.enterprise,
        rows: points.iter().map(|p| row(set, p)).collect(),
        counts,
        can_keep: u.can(Permission::KeepRisks) && u.user.enterprise_id == Some(id),
        rules: crate::pages::rules::Book::of(state).cite(&format!("{}@{}", set.id, set.version)),
        checklists: set.checklists.clone(),
        overdue: points
            .iter()
            .filter(|p| p.due().is_some_and(|d| d < cx.on))
            .count(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "risks/detail.html")]
struct DetailPage {
    layout: Layout,
    p: PointRow,
    enterprise_id: i64,
    enterprise: String,
    hazards: String,
    exposed: i64,
    words: String,
    /// Per kind: its name and its lines.
    measures: Vec<(String, Vec<String>)>,
    assessed_on: String,
    events: Vec<PointEvent>,
    can_keep: bool,
    task_period: String,
    task_due: String,
    task_state: &'static str,
    task_state_key: &'static str,
    reassess: String,
    checks: Vec<CheckView>,
    /// (key, name) of the card types.
    cards: Vec<(String, String)>,
    version: i64,
    /// Where it stands on its plan, in words; on which plan (the enterprise sees its plans).
    place: String,
    /// What the place form shows: the stored position, or the one offered or refused.
    place_input: String,
    place_note: Option<String>,
    placed: bool,
    placed_on: Option<String>,
    plans: Vec<PlanChoice>,
    place_width: i64,
    error: Option<String>,
}

/// A plan the point may be placed on.
pub struct PlanChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
    pub shown_h: i64,
}

/// A check done, as the point's page shows it.
pub struct CheckView {
    pub checked_on: String,
    pub due_on: String,
    pub control: String,
    pub checker: String,
    pub passed: bool,
    pub items: Vec<anbiao_domain::risk_check::ItemResult>,
}

/// `GET /risks/{id}`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    detail_page(&state, &u, id, None, None).await
}

/// A position to offer on the place form: the plan, the position in words, and a note.
pub struct Prefill {
    pub plan: i64,
    pub at: String,
    pub note: Option<String>,
}

async fn detail_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
    prefill: Option<Prefill>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let file = cx.risk_point(id).await?;
    let p = &file.point;
    let task = cx.task_of(set, p.clone());
    let control_name = |k: &str| {
        set.control(k)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| k.to_string())
    };
    let can_keep = u.can(Permission::KeepRisks) && u.user.enterprise_id == Some(p.enterprise_id);
    let plans = if can_keep {
        cx.risk_map(p.enterprise_id).await?.plans
    } else {
        Vec::new()
    };
    let people = cx
        .people(
            file.events
                .iter()
                .map(|e| e.actor.as_str())
                .chain(file.checks.iter().map(|c| c.checker.as_str())),
        )
        .await?;
    let placed_on = p
        .plan_id
        .and_then(|pid| plans.iter().find(|x| x.id == pid))
        .map(|x| x.name.clone());
    let page = DetailPage {
        layout: Layout::new(u, state, "risks"),
        version: p.version,
        place: p
            .plan_at
            .as_deref()
            .and_then(anbiao_domain::risk_plan::Place::read)
            .map(|x| x.words())
            .unwrap_or_default(),
        place_input: prefill.as_ref().map(|f| f.at.clone()).unwrap_or_else(|| {
            p.plan_at
                .as_deref()
                .and_then(anbiao_domain::risk_plan::Place::read)
                .map(|x| x.words())
                .unwrap_or_default()
        }),
        place_note: prefill.as_ref().and_then(|f| f.note.clone()),
        placed: p.plan_id.is_some(),
        placed_on,
        plans: plans
            .iter()
            .map(|x| PlanChoice {
                id: x.id,
                name: x.name.clone(),
                selected: prefill
                    .as_ref()
                    .map_or(p.plan_id == Some(x.id), |f| f.plan == x.id),
                shown_h: PLACE_WIDTH * x.height / x.width.max(1),
            })
            .collect(),
        place_width: PLACE_WIDTH,
        error,
        p: row(set, p),
        enterprise_id: p.enterprise_id,
        enterprise: file.enterprise.clone(),
        hazards: p.hazards.clone(),
        exposed: p.exposed,
        words: p.words.clone(),
        measures: p
            .measures()
            .iter()
            .map(|m| {
                (
                    measure_name(set, &m.kind),
                    m.text.lines().map(str::to_string).collect(),
                )
            })
            .collect(),
        assessed_on: p.assessed_on.clone(),
        can_keep,
        task_period: format!("{}{}", task.control, task.period),
        task_due: anbiao_domain::date::format_date(task.due),
        task_state: task.state.label(),
        task_state_key: task.state.key(),
        reassess: p.reassess.clone(),
        cards: set
            .cards
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect(),
        checks: file
            .checks
            .iter()
            .map(|c| CheckView {
                checked_on: c.checked_on.clone(),
                due_on: c.due_on.clone(),
                control: control_name(&c.control_level),
                checker: people.name(&c.checker),
                passed: c.passed,
                items: c.results(),
            })
            .collect(),
        events: file
            .events
            .iter()
            .cloned()
            .map(|mut e| {
                e.actor = people.name(&e.actor);
                e
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

/// A factor of a method on the form: its select box.
pub struct FactorField {
    pub field: String,
    pub key: String,
    pub name: String,
    pub options: Vec<Opt>,
}

/// A method on the form with its factors.
pub struct MethodField {
    pub key: String,
    pub name: String,
    pub formula: String,
    pub checked: bool,
    pub to_be_checked: bool,
    pub factors: Vec<FactorField>,
}

/// A checkbox.
pub struct Check {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "risks/form.html")]
struct FormPage {
    layout: Layout,
    /// `/risks` or `/risks/{id}`.
    action: String,
    title: String,
    id: Option<i64>,
    version: i64,
    name: String,
    kinds: Vec<Opt>,
    location: String,
    hazards: String,
    accident_types: Vec<Check>,
    exposed: String,
    methods: Vec<MethodField>,
    direct: Vec<Check>,
    controls: Vec<Opt>,
    responsible: String,
    measures: Vec<MeasureField>,
    error: Option<String>,
}

/// A kind of measure on the form.
pub struct MeasureField {
    pub value: String,
    pub label: String,
    pub text: String,
}

use crate::pages::parse_id;

fn field_name(method: &str, factor: &str) -> String {
    format!("f_{method}_{factor}")
}

fn form_page(
    state: &AppState,
    u: &CurrentUser,
    set: &RiskSet,
    id: Option<i64>,
    version: i64,
    d: &PointDraft,
    error: Option<String>,
) -> FormPage {
    let method = if d.method.is_empty() {
        set.methods
            .first()
            .map(|m| m.key.clone())
            .unwrap_or_default()
    } else {
        d.method.clone()
    };
    FormPage {
        layout: Layout::new(u, state, "risks"),
        action: id.map_or_else(|| "/risks".to_string(), |i| format!("/risks/{i}")),
        title: if id.is_some() {
            "修改风险点".into()
        } else {
            "辨识风险点".into()
        },
        id,
        version,
        name: d.name.clone(),
        kinds: PointKind::ALL
            .into_iter()
            .map(|k| Opt::new(k.key(), k.label(), Some(d.kind.as_str())))
            .collect(),
        location: d.location.clone(),
        hazards: d.hazards.clone(),
        accident_types: set
            .accident_types
            .iter()
            .map(|t| Check {
                value: t.clone(),
                label: t.clone(),
                checked: d.accident_types.contains(t),
            })
            .collect(),
        exposed: d.exposed.clone(),
        methods: set
            .methods
            .iter()
            .map(|m| MethodField {
                key: m.key.clone(),
                name: m.name.clone(),
                formula: m.formula.clone(),
                checked: m.key == method,
                to_be_checked: m.to_be_checked(),
                factors: m
                    .factors
                    .iter()
                    .map(|f| {
                        let current = (m.key == method)
                            .then(|| {
                                d.factors
                                    .iter()
                                    .find(|(k, _)| k.eq_ignore_ascii_case(&f.key))
                                    .map(|(_, v)| v.clone())
                            })
                            .flatten();
                        FactorField {
                            field: field_name(&m.key, &f.key),
                            key: f.key.clone(),
                            name: f.name.clone(),
                            options: f
                                .values
                                .iter()
                                .map(|v| {
                                    let value = v.value.to_string();
                                    let selected = current.as_deref() == Some(value.as_str());
                                    Opt {
                                        label: format!("{value}　{}", v.label),
                                        value,
                                        selected,
                                    }
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect(),
        direct: set
            .direct
            .iter()
            .map(|c| Check {
                value: c.key.clone(),
                label: c.name.clone(),
                checked: d.direct.contains(&c.key),
            })
            .collect(),
        controls: std::iter::once(Opt::new(
            "",
            "按风险等级默认",
            Some(d.control_level.as_str()),
        ))
        .chain(set.controls.iter().map(|c| {
            Opt::new(
                c.key.clone(),
                c.name.clone(),
                Some(d.control_level.as_str()),
            )
        }))
        .collect(),
        responsible: d.responsible.clone(),
        measures: set
            .measures
            .iter()
            .map(|k| MeasureField {
                value: k.key.clone(),
                label: k.name.clone(),
                text: d
                    .measures
                    .iter()
                    .filter(|(m, _)| *m == k.key)
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
            .collect(),
        error,
    }
}

/// The draft a posted form describes: the factors of the method chosen.
fn draft_of(pairs: &[(String, String)]) -> (PointDraft, i64) {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let many = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let method = one("method");
    let prefix = format!("f_{method}_");
    let factors = pairs
        .iter()
        .filter_map(|(n, v)| {
            n.strip_prefix(&prefix)
                .filter(|_| !method.is_empty() && !v.trim().is_empty())
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect();
    let version = one("version").trim().parse().unwrap_or(0);
    (
        PointDraft {
            name: one("name"),
            kind: one("kind"),
            location: one("location"),
            hazards: one("hazards"),
            accident_types: many("accident_types"),
            exposed: one("exposed"),
            method,
            factors,
            direct: many("direct"),
            control_level: one("control_level"),
            responsible: one("responsible"),
            measures: pairs
                .iter()
                .filter_map(|(n, v)| {
                    n.strip_prefix("m_")
                        .filter(|_| !v.trim().is_empty())
                        .map(|k| (k.to_string(), v.clone()))
                })
                .collect(),
        },
        version,
    )
}

fn draft_from(set: &RiskSet, p: &RiskPoint) -> PointDraft {
    // A point held at its level's default level of control keeps following its level.
    let default = set
        .level(&p.level)
        .and_then(|l| l.controlled_by.first())
        .is_some_and(|c| *c == p.control_level);
    PointDraft {
        name: p.name.clone(),
        kind: p.kind.clone(),
        location: p.location.clone(),
        hazards: p.hazards.clone(),
        accident_types: p
            .accident_types
            .split('、')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        exposed: p.exposed.to_string(),
        method: p.method.clone(),
        factors: p.factor_pairs(),
        direct: p
            .direct
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        control_level: if default {
            String::new()
        } else {
            p.control_level.clone()
        },
        responsible: p.responsible.clone(),
        // Text written before measures had kinds is a management measure on the form.
        measures: p
            .measures()
            .into_iter()
            .map(|m| {
                let kind = if m.kind.is_empty() {
                    "management".to_string()
                } else {
                    m.kind
                };
                (kind, m.text)
            })
            .collect(),
    }
}

/// `GET /risks/new`: the enterprise's form for a new point.
pub async fn new_form(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Html<String>, HtmlError> {
    if u.user.enterprise_id.is_none() {
        return Err(AppError::Denied("只有企业用户可以辨识评价本企业的风险点".into()).into());
    }
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let page = form_page(&state, &u, set, None, 0, &PointDraft::default(), None);
    Ok(Html(page.render()?))
}

/// `GET /risks/{id}/edit`: the enterprise's form for one of its points.
pub async fn edit_form(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let file = cx.risk_point(id).await?;
    if !(u.can(Permission::KeepRisks) && u.user.enterprise_id == Some(file.point.enterprise_id)) {
        return Err(AppError::Denied("只有企业用户可以修改本企业的风险点".into()).into());
    }
    let d = draft_from(set, &file.point);
    let page = form_page(&state, &u, set, Some(id), file.point.version, &d, None);
    Ok(Html(page.render()?))
}

async fn refused_form(
    state: &AppState,
    u: &CurrentUser,
    id: Option<i64>,
    version: i64,
    d: &PointDraft,
    message: String,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let page = form_page(state, u, set, id, version, d, Some(message));
    Ok(Html(page.render()?))
}

/// `POST /risks`: a new point of the enterprise's own register.
pub async fn create(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    let (d, _) = draft_of(&pairs);
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .add_risk_point(&d)
        .await
        .map_err(AppError::from);
    match result {
        Ok(id) => Ok(redirect(&format!("/risks/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| refused_form(&state, &u, None, 0, &d, m)).await,
    }
}

/// `POST /risks/{id}`: a change of one of the enterprise's points, seen at `version`.
pub async fn update(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let (d, version) = draft_of(&pairs);
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .change_risk_point(id, version, &d)
        .await
        .map_err(AppError::from);
    match result {
        Ok(()) => Ok(redirect(&format!("/risks/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| refused_form(&state, &u, Some(id), version, &d, m)).await,
    }
}

/// `GET /enterprises/{id}/risks/export`: the enterprise's 两单 as .xlsx.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let book = state.ctx(&actor).risk_register_xlsx(id).await?;
    Ok(crate::export::xlsx_download(
        book.bytes,
        "risk-register.xlsx",
        &book.file_name,
    ))
}

/// A unit's row of the summary: per level, enterprises and points; and enterprises with a
/// register at all.
pub struct SummaryRow {
    pub unit: String,
    pub cells: Vec<(i64, i64)>,
    pub with_register: i64,
    /// Enterprises and points with overdue checks; without control measures.
    pub overdue: (i64, i64),
    pub uncontrolled: (i64, i64),
}

/// An enterprise on a level's list.
pub struct ListedEnterprise {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub points: i64,
}

/// A level's list of enterprises.
pub struct LevelList {
    pub key: String,
    /// The key without `*`, for the table's id.
    pub anchor: String,
    pub name: String,
    pub colour: String,
    pub rows: Vec<ListedEnterprise>,
}

#[derive(Template)]
#[template(path = "risks/summary.html")]
struct SummaryPage {
    layout: Layout,
    levels: Vec<LevelCount>,
    rows: Vec<SummaryRow>,
    total: SummaryRow,
    lists: Vec<LevelList>,
    limit: i64,
    /// (id, name, region, above scale).
    without: Vec<(i64, String, String, bool)>,
    /// The same table per industry.
    industries: Vec<SummaryRow>,
}

/// `GET /risks`: the risk figures of the units within the reader's scope (running sums), and
/// the enterprises with 重大 and 较大 points.
pub async fn summary(State(state): State<AppState>, u: CurrentUser) -> Result<Response, HtmlError> {
    // An enterprise's figures are its register.
    if let Some(id) = u.user.enterprise_id {
        return Ok(redirect(&format!("/enterprises/{id}/risks"), false));
    }
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let s = cx.risk_summary().await?;
    let mut units: Vec<String> = s.sums.iter().map(|x| x.region_code.clone()).collect();
    units.dedup();
    // The administrative order of the region book, not the codes'.
    let regions = &state.reference.regions;
    units.sort_by_key(|c| {
        let rank = regions
            .get(c)
            .map_or(usize::MAX, |r| regions.unit_rank(&r.unit));
        (rank, c.clone())
    });
    let cell = |code: Option<&str>, level: &str| -> (i64, i64) {
        s.sums
            .iter()
            .filter(|x| code.is_none_or(|c| x.region_code == c) && x.level == level)
            .fold((0, 0), |(e, p), x| (e + x.enterprises, p + x.points))
    };
    let row_of = |code: Option<&str>, unit: String| SummaryRow {
        unit,
        cells: set.levels.iter().map(|l| cell(code, &l.key)).collect(),
        with_register: cell(code, risk_points::ANY_LEVEL).0,
        overdue: cell(code, risk_points::OVERDUE),
        uncontrolled: cell(code, risk_points::UNCONTROLLED),
    };
    // A township officer's figures are the township's, named so.
    let unit_name = |c: &str| match &u.scope {
        anbiao_domain::Scope::Township { township, .. } => format!(
            "{}{township}",
            crate::views::region_name(&state.reference, c)
        ),
        _ => crate::views::region_name(&state.reference, c),
    };
    let rows = units
        .iter()
        .map(|c| row_of(Some(c), unit_name(c)))
        .collect();
    let mut codes: Vec<String> = s
        .industries
        .iter()
        .map(|x| x.industry_code.clone())
        .collect();
    codes.dedup();
    let icell = |code: &str, level: &str| -> (i64, i64) {
        s.industries
            .iter()
            .filter(|x| x.industry_code == code && x.level == level)
            .fold((0, 0), |(e, p), x| (e + x.enterprises, p + x.points))
    };
    let industries = codes
        .iter()
        .map(|c| SummaryRow {
            unit: state
                .reference
                .industries
                .get(c)
                .map(|i| i.name.clone())
                .unwrap_or_else(|| c.clone()),
            cells: set.levels.iter().map(|l| icell(c, &l.key)).collect(),
            with_register: icell(c, risk_points::ANY_LEVEL).0,
            overdue: icell(c, risk_points::OVERDUE),
            uncontrolled: icell(c, risk_points::UNCONTROLLED),
        })
        .filter(|r| r.with_register > 0 || r.overdue.0 > 0 || r.uncontrolled.0 > 0)
        .collect();
    let without = s
        .without_register
        .iter()
        .map(|e| {
            (
                e.enterprise_id,
                e.name.clone(),
                crate::views::region_name(&state.reference, &e.region_code),
                e.above_scale,
            )
        })
        .collect();
    let lists = s
        .lists
        .into_iter()
        .map(|(key, at)| {
            let l = set.level(&key);
            let (name, colour) = match key.as_str() {
                risk_points::OVERDUE => ("隐患排查逾期".to_string(), String::new()),
                risk_points::UNCONTROLLED => ("未填管控措施".to_string(), String::new()),
                _ => (
                    l.map(|l| l.name.clone()).unwrap_or_default(),
                    l.map(|l| l.colour.clone()).unwrap_or_default(),
                ),
            };
            LevelList {
                anchor: key.trim_start_matches('*').to_string(),
                name,
                colour,
                key,
                rows: at
                    .into_iter()
                    .map(|e| ListedEnterprise {
                        id: e.enterprise_id,
                        name: e.name,
                        region: crate::views::region_name(&state.reference, &e.region_code),
                        points: e.points,
                    })
                    .collect(),
            }
        })
        .collect();
    let page = SummaryPage {
        layout: Layout::new(&u, &state, "risks"),
        levels: set
            .levels
            .iter()
            .map(|l| LevelCount {
                key: l.key.clone(),
                name: l.name.clone(),
                colour: l.colour.clone(),
                count: 0,
            })
            .collect(),
        rows,
        total: row_of(None, "合计".into()),
        lists,
        limit: anbiao_actions::risks::SUMMARY_LIST,
        without,
        industries,
    };
    Ok(Html(page.render()?).into_response())
}

/// A task's row on the check tasks page.
pub struct TaskRow {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub level_key: String,
    pub control: String,
    pub period: String,
    pub items: usize,
    pub due: String,
    pub state: &'static str,
    pub state_key: &'static str,
    pub responsible: String,
}

#[derive(Template)]
#[template(path = "risks/checks.html")]
struct ChecksPage {
    layout: Layout,
    enterprise_id: i64,
    enterprise: String,
    tasks: Vec<TaskRow>,
    overdue: usize,
    open: usize,
    later: usize,
    source: String,
    to_be_checked: bool,
    can_keep: bool,
}

/// `GET /enterprises/{id}/risk-checks`: the enterprise's check tasks, the most pressing first.
pub async fn check_tasks(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    use anbiao_actions::risks::TaskState;
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let t = cx.risk_check_tasks(id).await?;
    let count = |s: TaskState| t.tasks.iter().filter(|x| x.state == s).count();
    let page = ChecksPage {
        layout: Layout::new(&u, &state, "risks"),
        enterprise_id: t.enterprise_id,
        overdue: count(TaskState::Overdue),
        open: count(TaskState::Open),
        later: count(TaskState::Later),
        tasks: t
            .tasks
            .iter()
            .map(|x| {
                let level = set.level(&x.point.level);
                TaskRow {
                    id: x.point.id,
                    name: x.point.name.clone(),
                    level: level
                        .map(|l| format!("{}（{}）", l.name, l.colour))
                        .unwrap_or_else(|| x.point.level.clone()),
                    level_key: x.point.level.clone(),
                    control: x.control.clone(),
                    period: x.period.clone(),
                    items: x.items.len(),
                    due: anbiao_domain::date::format_date(x.due),
                    state: x.state.label(),
                    state_key: x.state.key(),
                    responsible: x.point.responsible.clone(),
                }
            })
            .collect(),
        enterprise: t.enterprise,
        source: t.source,
        to_be_checked: t.to_be_checked,
        can_keep: u.can(Permission::KeepRisks) && u.user.enterprise_id == Some(id),
    };
    Ok(Html(page.render()?))
}

/// An item on the check form with what was entered.
pub struct ItemField {
    pub kind: String,
    pub text: String,
    pub pass: bool,
    pub note: String,
    pub level: String,
    pub item_key: String,
    pub deadline: String,
}

#[derive(Template)]
#[template(path = "risks/check_form.html")]
struct CheckFormPage {
    /// The major-hazard standard's clauses (key, text), suggested in the clause field.
    major_items: Vec<(String, String)>,
    /// The task opens later: nothing to check yet.
    not_yet: bool,
    layout: Layout,
    id: i64,
    name: String,
    level: String,
    level_key: String,
    control: String,
    period: String,
    opens: String,
    due: String,
    overdue: bool,
    checker: String,
    items: Vec<ItemField>,
    error: Option<String>,
}

/// How long a failed item's rectification runs by default.
const DEFAULT_DEADLINE_DAYS: i64 = 7;

async fn check_form_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    d: Option<&CheckDraft>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    use anbiao_domain::date::format_date;
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let task = cx.risk_check_task(id).await?;
    let level = set.level(&task.point.level);
    let deadline = format_date(cx.on + time::Duration::days(DEFAULT_DEADLINE_DAYS));
    let page = CheckFormPage {
        layout: Layout::new(u, state, "risks"),
        major_items: crate::pages::inspections::major_items(state, cx.on).await?,
        not_yet: task.opens > cx.on,
        id,
        name: task.point.name.clone(),
        level: level
            .map(|l| format!("{}（{}）", l.name, l.colour))
            .unwrap_or_default(),
        level_key: task.point.level.clone(),
        control: task.control.clone(),
        period: task.period.clone(),
        opens: format_date(task.opens),
        due: format_date(task.due),
        overdue: task.due < cx.on,
        checker: d
            .map(|d| d.checker.clone())
            .unwrap_or_else(|| u.user.display_name.clone()),
        items: task
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let entered = d.and_then(|d| d.items.get(i));
                ItemField {
                    kind: item.kind_name.clone(),
                    text: item.text.clone(),
                    pass: entered.is_none_or(|e| e.result != "fail"),
                    note: entered.map(|e| e.note.clone()).unwrap_or_default(),
                    level: entered.map(|e| e.level.clone()).unwrap_or_default(),
                    item_key: entered.map(|e| e.item_key.clone()).unwrap_or_default(),
                    deadline: entered
                        .map(|e| e.deadline.clone())
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| deadline.clone()),
                }
            })
            .collect(),
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /risks/{id}/check`: the enterprise's form for the current check of one of its points.
pub async fn check_form(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    check_form_page(&state, &u, id, None, None).await
}

/// The check a posted form describes.
fn check_draft_of(pairs: &[(String, String)]) -> CheckDraft {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // The items are numbered from 0; the form has at most as many as the point's measures.
    let count = pairs
        .iter()
        .filter_map(|(n, _)| n.strip_prefix('r').and_then(|i| i.parse::<usize>().ok()))
        .filter(|i| *i < MAX_CHECK_ITEMS)
        .map(|i| i + 1)
        .max()
        .unwrap_or(0);
    CheckDraft {
        due: one("due"),
        checker: one("checker"),
        items: (0..count)
            .map(|i| ItemDraft {
                result: one(&format!("r{i}")),
                note: one(&format!("note{i}")),
                level: one(&format!("level{i}")),
                item_key: one(&format!("item{i}")),
                deadline: one(&format!("deadline{i}")),
            })
            .collect(),
    }
}

/// The most items a check form is read for (five kinds of twenty lines).
const MAX_CHECK_ITEMS: usize = 200;

/// `POST /risks/{id}/check`: the check of one of the enterprise's points.
pub async fn record_check(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let d = check_draft_of(&pairs);
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .record_risk_check(id, &d)
        .await
        .map_err(AppError::from);
    match result {
        Ok(_) => Ok(redirect(&format!("/risks/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| check_form_page(&state, &u, id, Some(&d), Some(m))).await,
    }
}

/// The level's colour as RGB from its `#rrggbb` (grey when the file writes something else).
fn rgb(hex: &str) -> (u8, u8, u8) {
    let h = hex.trim_start_matches('#');
    let part = |i: usize| h.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok());
    match (h.len(), part(0), part(2), part(4)) {
        (6, Some(r), Some(g), Some(b)) => (r, g, b),
        _ => (128, 128, 128),
    }
}

/// A point's card of type `card` as the rules of the day print it.
fn card_sections(
    set: &RiskSet,
    card: &anbiao_domain::risk::CardType,
    p: &RiskPoint,
) -> Vec<(String, Vec<String>)> {
    let control = set
        .control(&p.control_level)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| p.control_level.clone());
    let measures = p.measures();
    anbiao_domain::risk_card::sections(
        set,
        card,
        anbiao_domain::risk_card::PointFacts {
            hazards: &p.hazards,
            accident_types: &p.accident_types,
            measures: &measures,
            responsible: &p.responsible,
            control: &control,
        },
    )
}

/// The point in words: name (kind, place).
fn point_words(p: &RiskPoint) -> String {
    let kind = PointKind::parse(&p.kind).map(|k| k.label()).unwrap_or("");
    if p.location.is_empty() {
        format!("{}（{kind}）", p.name)
    } else {
        format!("{}（{kind}，{}）", p.name, p.location)
    }
}

/// The paper a card is asked on: `?paper=a5`, A4 otherwise.
#[derive(serde::Deserialize)]
pub struct PaperQuery {
    #[serde(default)]
    paper: Option<String>,
}

/// `GET /risks/{id}/cards/{card}`: one of the point's cards (三卡) as a one-page PDF.
pub async fn card_pdf(
    State(state): State<AppState>,
    u: CurrentUser,
    Path((id, card)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<PaperQuery>,
) -> Result<Response, HtmlError> {
    use anbiao_print::{CardSheet, Paper};
    let id = parse_id(&id)?;
    let paper = match q.paper.as_deref() {
        None | Some("" | "a4" | "A4") => Paper::A4,
        Some("a5" | "A5") => Paper::A5,
        Some(_) => return Err(AppError::bad("paper", "纸张只能是 A4 或 A5").into()),
    };
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let file = cx.risk_point(id).await?;
    let kind = set.card(&card).ok_or(AppError::NotFound)?;
    let p = &file.point;
    let token = p.card_token.as_deref().ok_or(AppError::NotFound)?;
    let level = set.level(&p.level);
    let control = set
        .control(&p.control_level)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let sheet = CardSheet {
        title: kind.name.clone(),
        enterprise: file.enterprise.clone(),
        point: point_words(p),
        level: level
            .map(|l| format!("{}（{}）", l.name, l.colour))
            .unwrap_or_else(|| p.level.clone()),
        colour: rgb(level.map(|l| l.colour_hex.as_str()).unwrap_or("")),
        sections: card_sections(set, kind, p),
        footer: format!(
            "管控层级：{control}；第 {} 版，评价日期 {}；{} 打印{}",
            p.version,
            p.assessed_on,
            anbiao_domain::date::format_date(cx.on),
            if kind.is_default() {
                "；卡片格式为本系统默认"
            } else {
                ""
            }
        ),
        verify_url: format!(
            "{}/portal/risk-cards/{token}?v={}",
            crate::pages::certificate::public_base(&state)?,
            p.version
        ),
    };
    let font = state.font()?.clone();
    let bytes = tokio::task::spawn_blocking(move || anbiao_print::card_pdf(&font, &sheet, paper))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(crate::export::download(
        bytes,
        "application/pdf",
        &format!("risk-card-{id}-{card}.pdf"),
        &format!("{}-{}.pdf", kind.name, p.name),
    ))
}

/// A card on the portal page.
pub struct PublicCard {
    pub name: String,
    pub sections: Vec<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "portal/risk_card.html")]
struct PortalCardPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    found: bool,
    enterprise: String,
    point: String,
    level: String,
    level_key: String,
    version: i64,
    assessed_on: String,
    /// The version the scanned card was printed at, when it is older.
    outdated: Option<i64>,
    /// The version in the address is not one the point had.
    bad_version: bool,
    cards: Vec<PublicCard>,
    today: String,
}

/// The version a scanned card was printed at: `?v=3`.
#[derive(serde::Deserialize)]
pub struct VersionQuery {
    #[serde(default)]
    v: Option<String>,
}

/// `GET /portal/risk-cards/{token}`: the current version of a point's cards, for whoever scans
/// a printed one (nothing but what the cards print).
pub async fn portal_cards(
    State(state): State<AppState>,
    Path(token): Path<String>,
    axum::extract::Query(q): axum::extract::Query<VersionQuery>,
) -> Result<Response, HtmlError> {
    use axum::http::StatusCode;
    let today = state.today();
    let found = anbiao_actions::portal::risk_cards(&state.db, &token).await?;
    let set = state
        .reference
        .risk
        .in_force(today)
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let asked = q.v.as_deref().and_then(|v| v.trim().parse::<i64>().ok());
    let page = match &found {
        Some((p, enterprise)) => {
            let level = set.level(&p.level);
            PortalCardPage {
                nav: "lookup",
                site: crate::pages::portal::Site::of(&state),
                found: true,
                enterprise: enterprise.clone(),
                point: point_words(p),
                level: level
                    .map(|l| format!("{}（{}）", l.name, l.colour))
                    .unwrap_or_default(),
                level_key: p.level.clone(),
                version: p.version,
                assessed_on: p.assessed_on.clone(),
                outdated: asked.filter(|v| (1..p.version).contains(v)),
                bad_version: q.v.is_some() && !asked.is_some_and(|v| (1..=p.version).contains(&v)),
                cards: set
                    .cards
                    .iter()
                    .map(|c| PublicCard {
                        name: c.name.clone(),
                        sections: card_sections(set, c, p),
                    })
                    .collect(),
                today: anbiao_domain::date::format_date(today),
            }
        }
        None => PortalCardPage {
            nav: "lookup",
            site: crate::pages::portal::Site::of(&state),
            found: false,
            enterprise: String::new(),
            point: String::new(),
            level: String::new(),
            level_key: String::new(),
            version: 0,
            assessed_on: String::new(),
            outdated: None,
            bad_version: false,
            cards: Vec::new(),
            today: anbiao_domain::date::format_date(today),
        },
    };
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// A point on a plan's map.
pub struct MarkView {
    pub number: usize,
    pub point_id: i64,
    pub name: String,
    pub level: String,
    pub level_key: String,
    pub colour: String,
    /// A point: (cx, cy) in the plan's pixels.
    pub circle: Option<(i64, i64)>,
    /// A polygon: "x,y x,y" in the plan's pixels.
    pub polygon: Option<String>,
    pub label: (i64, i64),
}

/// A plan with its map.
pub struct PlanView {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub width: i64,
    pub height: i64,
    /// Marker radius and label size in the plan's pixels.
    pub r: i64,
    pub font: i64,
    pub marks: Vec<MarkView>,
}

/// The marks of the points placed on `plan`, numbered in the register's order.
fn marks(
    set: &RiskSet,
    plan: &anbiao_store::risk_plans::Plan,
    points: &[RiskPoint],
) -> Vec<MarkView> {
    use anbiao_domain::risk_plan::Place;
    let px = |(x, y): (u16, u16)| {
        (
            i64::from(x) * plan.width / 1000,
            i64::from(y) * plan.height / 1000,
        )
    };
    points
        .iter()
        .filter(|p| p.plan_id == Some(plan.id))
        .filter_map(|p| Some((p, Place::read(p.plan_at.as_deref()?)?)))
        .enumerate()
        .map(|(i, (p, at))| {
            let level = set.level(&p.level);
            let (lx, ly) = px(at.centre());
            MarkView {
                number: i + 1,
                point_id: p.id,
                name: p.name.clone(),
                level: level
                    .map(|l| format!("{}（{}）", l.name, l.colour))
                    .unwrap_or_else(|| p.level.clone()),
                level_key: p.level.clone(),
                colour: level
                    .map(|l| l.colour_hex.clone())
                    .unwrap_or_else(|| "#808080".into()),
                circle: (at.0.len() == 1).then(|| px(at.0[0])),
                polygon: (at.0.len() >= 3).then(|| {
                    at.0.iter()
                        .map(|c| {
                            let (x, y) = px(*c);
                            format!("{x},{y}")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
                label: (lx, ly),
            }
        })
        .collect()
}

fn plan_view(
    set: &RiskSet,
    plan: &anbiao_store::risk_plans::Plan,
    points: &[RiskPoint],
) -> PlanView {
    let side = plan.width.max(plan.height);
    let (r, font) = ((side / 90).max(4), (side / 55).max(10));
    let mut marks = marks(set, plan, points);
    // A number stays on the plan: left of a point at the right edge, below one at the top.
    for m in &mut marks {
        m.label.0 = m.label.0.min(plan.width - r - 2 - 2 * font).max(0);
        m.label.1 = m.label.1.clamp(font, plan.height.max(font));
    }
    let kind = anbiao_domain::risk_plan::PlanKind::parse(&plan.kind)
        .map(|k| k.label())
        .unwrap_or("");
    PlanView {
        id: plan.id,
        name: plan.name.clone(),
        // Not "厂区总平面图（总平面图）".
        kind: if plan.name.contains(kind) { "" } else { kind },
        width: plan.width,
        height: plan.height,
        r,
        font,
        marks,
    }
}

#[derive(Template)]
#[template(path = "risks/map.html")]
struct MapPage {
    layout: Layout,
    enterprise_id: i64,
    enterprise: String,
    plans: Vec<PlanView>,
    levels: Vec<LevelCount>,
    /// Points on no plan yet: (id, name).
    unplaced: Vec<(i64, String)>,
    can_keep: bool,
    error: Option<String>,
}

async fn map_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let m = cx.risk_map(id).await?;
    let page = MapPage {
        layout: Layout::new(u, state, "risks"),
        enterprise_id: m.enterprise_id,
        plans: m
            .plans
            .iter()
            .map(|p| plan_view(set, p, &m.points))
            .collect(),
        levels: set
            .levels
            .iter()
            .map(|l| LevelCount {
                key: l.key.clone(),
                name: l.name.clone(),
                colour: l.colour.clone(),
                count: m.points.iter().filter(|p| p.level == l.key).count(),
            })
            .collect(),
        unplaced: m
            .points
            .iter()
            .filter(|p| p.plan_id.is_none())
            .map(|p| (p.id, p.name.clone()))
            .collect(),
        enterprise: m.enterprise,
        can_keep: u.can(Permission::KeepRisks) && u.user.enterprise_id == Some(id),
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /enterprises/{id}/risk-map`: the enterprise's plans as four-colour maps (一图).
pub async fn risk_map(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    map_page(&state, &u, id, None).await
}

/// `POST /risk-plans` (multipart: name, kind, plan): the enterprise uploads a plan of its own.
pub async fn upload_plan(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Result<Response, HtmlError> {
    let own = u.user.enterprise_id;
    let result = async {
        let (fields, files) = crate::pages::hazards::read_multipart(multipart).await?;
        let bytes = files
            .get("plan")
            .ok_or_else(|| AppError::bad("plan", "请选择平面图文件（PNG 或 JPEG）"))?;
        let one = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        let actor = u.acting("form");
        Ok::<i64, AppError>(
            state
                .ctx(&actor)
                .upload_plan(one("name"), one("kind"), bytes)
                .await?,
        )
    }
    .await;
    match (result, own) {
        (Ok(_), Some(e)) => Ok(redirect(
            &format!("/enterprises/{e}/risk-map"),
            is_htmx(&headers),
        )),
        (Err(e), Some(own)) => show_refusal(e, |m| map_page(&state, &u, own, Some(m))).await,
        (Ok(_), None) => Ok(redirect("/risks", is_htmx(&headers))),
        (Err(e), None) => Err(e.into()),
    }
}

/// `GET /risk-plans/{id}/image`
pub async fn plan_image(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let (ctype, bytes) = state.ctx(&actor).plan_image(id).await?;
    Ok(crate::pages::image_response(ctype, bytes))
}

/// `GET /risk-plans/{id}/map`: the plan's four-colour map as a PDF.
pub async fn plan_map_pdf(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    use anbiao_print::{MapMark, MapSheet};
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.risk_rules()?;
    let (plan, enterprise, points) = cx.plan_map(id).await?;
    let (ctype, image) = cx.plan_image(id).await?;
    let view = plan_view(set, &plan, &points);
    let sheet = MapSheet {
        title: format!("{enterprise} {} 安全风险四色分布图", plan.name),
        image,
        png: ctype == "image/png",
        width: plan.width as f32,
        height: plan.height as f32,
        marks: view
            .marks
            .iter()
            .map(|m| {
                let corners = match (&m.circle, &m.polygon) {
                    (Some((x, y)), _) => vec![(
                        *x as f32 / plan.width as f32,
                        *y as f32 / plan.height as f32,
                    )],
                    (None, Some(poly)) => poly
                        .split(' ')
                        .filter_map(|c| c.split_once(','))
                        .filter_map(|(x, y)| Some((x.parse::<f32>().ok()?, y.parse::<f32>().ok()?)))
                        .map(|(x, y)| (x / plan.width as f32, y / plan.height as f32))
                        .collect(),
                    _ => Vec::new(),
                };
                MapMark {
                    number: m.number,
                    label: format!("{}（{}）", m.name, m.level),
                    colour: rgb(&m.colour),
                    corners,
                }
            })
            .collect(),
        legend: set
            .levels
            .iter()
            .map(|l| (format!("{}（{}）", l.name, l.colour), rgb(&l.colour_hex)))
            .collect(),
        footer: format!(
            "按风险分级规则 {}@{}；{} 打印",
            set.id,
            set.version,
            anbiao_domain::date::format_date(cx.on)
        ),
    };
    let font = state.font()?.clone();
    let bytes = tokio::task::spawn_blocking(move || anbiao_print::map_pdf(&font, &sheet))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(crate::export::download(
        bytes,
        "application/pdf",
        &format!("risk-map-{id}.pdf"),
        &format!("安全风险四色分布图-{}.pdf", plan.name),
    ))
}

/// How wide the plan is shown on the point's page for placing by a click (pixels).
pub const PLACE_WIDTH: i64 = 800;

/// `POST /risks/{id}/place`: the enterprise places one of its points on one of its plans, by a
/// click on the plan (`at.x`, `at.y`) or by the position written (`at`).
pub async fn place(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    use anbiao_actions::risks::PlaceInput;
    let id = parse_id(&id)?;
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let version = one("version").trim().parse().unwrap_or(0);
    let plan = one("plan").trim().parse().unwrap_or(0);
    let at = if pairs.iter().any(|(n, _)| n == "at.x") {
        PlaceInput::Click {
            x: one("at.x"),
            y: one("at.y"),
            shown_w: PLACE_WIDTH,
        }
    } else {
        PlaceInput::Text(one("at"))
    };
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .place_risk_point(id, version, plan, at)
        .await
        .map_err(AppError::from);
    match result {
        Ok(()) => Ok(redirect(&format!("/risks/{id}"), is_htmx(&headers))),
        Err(AppError::BadRequest { message, .. }) | Err(AppError::Conflict(message)) => {
            let prefill = Prefill {
                plan,
                at: one("at").to_string(),
                note: None,
            };
            let page = detail_page(&state, &u, id, Some(message), Some(prefill)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /risks/import` (multipart: file): the enterprise imports its 两单 into its own register,
/// all rows or none; a refused file shows each row's problem on the register.
pub async fn import_register(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Result<Response, HtmlError> {
    let Some(own) = u.user.enterprise_id else {
        return Err(AppError::Denied("只有企业用户可以导入本企业的风险点".into()).into());
    };
    let result = async {
        let (_, mut files) = crate::pages::hazards::read_multipart(multipart).await?;
        let bytes = files
            .remove("file")
            .ok_or_else(|| AppError::bad("file", "请选择要导入的两单文件（Excel 或 CSV）"))?;
        let actor = u.acting("form");
        Ok::<_, AppError>(state.ctx(&actor).import_register(bytes).await?)
    }
    .await;
    match result {
        Ok(r) if r.rejected.is_empty() => Ok(redirect(
            &format!(
                "/enterprises/{own}/risks?added={}&updated={}&unchanged={}",
                r.imported, r.updated, r.unchanged
            ),
            is_htmx(&headers),
        )),
        Ok(r) => {
            let message = format!(
                "文件中 {} 处风险点有 {} 个问题，未导入任何风险点；请按下表修改后重新上传",
                r.read,
                r.rejected.len()
            );
            let page = register_page(&state, &u, own, Some(message), r.rejected, None).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::BadRequest { message, .. }) => {
            let page = register_page(&state, &u, own, Some(message), Vec::new(), None).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /risks/{id}/plans/{plan}/at?x,y`: a click on the plan (a server-side image map: the
/// browser appends the position, no script). Nothing is written: the point's page offers the
/// position on its place form to confirm and save.
pub async fn click_at(
    State(state): State<AppState>,
    u: CurrentUser,
    Path((id, plan)): Path<(String, String)>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Result<Html<String>, HtmlError> {
    let (id, plan) = (parse_id(&id)?, parse_id(&plan)?);
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let (p, _, _) = cx.plan_map(plan).await?;
    let (x, y) = q
        .as_deref()
        .and_then(|q| q.split_once(','))
        .unwrap_or(("", ""));
    let at = anbiao_domain::risk_plan::Place::from_click(x, y, PLACE_WIDTH, p.width, p.height);
    match at {
        Ok(at) => {
            let words = at.words();
            let note = format!(
                "已按点击位置填入“{}”上的 {words}（横向%,纵向%），请确认后保存",
                p.name
            );
            let f = Prefill {
                plan,
                at: words,
                note: Some(note),
            };
            detail_page(&state, &u, id, None, Some(f)).await
        }
        Err(e) => detail_page(&state, &u, id, Some(e.0), None).await,
    }
}

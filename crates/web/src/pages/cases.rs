//! Grading case pages: the list within scope, a case with its history and the steps the
//! user's party may take, the self-assessment and evaluation form, the assignment form, and
//! opening a case (enterprise staff).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_domain::lifecycle::{Action, CaseState, Party};
use anbiao_domain::scoring::{Entry, ItemInput, Percent};
use anbiao_domain::standard::Points;
use anbiao_domain::{Grade, Scope};
use anbiao_store::assessment;
use anbiao_store::grading::Case;
use anbiao_store::paging::PageReq;
use anbiao_store::standards;

use crate::AppState;
use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pager::Pager;
use crate::pages::{Layout, Opt, redirect, show_refusal};
use crate::views::{fmt_time, region_name};

use crate::pages::parse_id;

pub struct CaseRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub region: String,
    pub grade: &'static str,
    pub state: &'static str,
    pub opened_on: String,
}

fn row(state: &AppState, c: &Case, name: String) -> CaseRow {
    CaseRow {
        id: c.id,
        enterprise_id: c.enterprise_id,
        enterprise: name,
        region: region_name(&state.reference, &c.region_code),
        grade: c.grade().map(|g| g.label()).unwrap_or(""),
        state: c.state().map(|s| s.label()).unwrap_or(""),
        opened_on: c.opened_on.clone(),
    }
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<CaseRow>,
    pager: Pager,
    at_me: bool,
    /// The whole filtered list as a workbook.
    export: String,
    states: Vec<Opt>,
    can_open: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    /// `me`: only the cases where the user's side has a step to take.
    #[serde(default)]
    at: String,
    page: Option<String>,
    size: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    let filter = CaseState::parse(&q.state);
    let actor = u.acting("page");
    let req = PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let page = state
        .ctx(&actor)
        .cases_page(filter, q.at == "me", req)
        .await?
        .map(|(c, name)| row(&state, &c, name));
    let at = if q.at == "me" { "me" } else { "" };
    let pager = Pager::new(
        "/cases",
        &[("state", q.state.clone()), ("at", at.to_string())],
        &page,
    );
    let export = format!(
        "/cases/export.xlsx{}",
        crate::export::query_of(&[("state", q.state.clone()), ("at", at.to_string())])
    );
    let rows = page.rows;
    let states = CaseState::ALL
        .into_iter()
        .map(|s| Opt::new(s.key(), s.label(), Some(q.state.as_str())))
        .collect();
    Ok(Html(
        ListPage {
            layout: Layout::new(&u, &state, "cases"),
            rows,
            pager,
            at_me: !at.is_empty(),
            export,
            states,
            can_open: matches!(u.scope, Scope::Enterprise { .. }),
        }
        .render()?,
    ))
}

/// `GET /cases/export.xlsx?state=&at=me`: the whole filtered list as a workbook, the case
/// number first, days as dates.
pub async fn export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<axum::response::Response, HtmlError> {
    use anbiao_sheets::XCell;
    let filter = CaseState::parse(&q.state);
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let all =
        anbiao_actions::exports::whole_list(|req| cx.cases_page(filter, q.at == "me", req)).await?;
    let rows = all
        .into_iter()
        .map(|(c, name)| {
            let r = row(&state, &c, name);
            vec![
                XCell::Number(r.id as f64),
                XCell::Text(r.enterprise),
                XCell::Text(r.region),
                XCell::Text(r.grade.into()),
                XCell::Text(r.state.into()),
                crate::export::day_cell(&r.opened_on),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "定级案件",
        "cases.xlsx",
        &u.user.display_name,
        cx.on,
        &[
            "案件号",
            "企业名称",
            "所属地区",
            "申请等级",
            "状态",
            "开始日期",
        ],
        rows,
    )
    .await?)
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    layout: Layout,
    grades: Vec<Opt>,
    error: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    // Opening a case is the enterprise's own step (see actions::Ctx::open_case).
    if !matches!(u.scope, Scope::Enterprise { .. }) {
        return Err(AppError::Denied("只有企业用户可以为本企业申请定级".into()).into());
    }
    render_new(&state, &u, None).await
}

async fn render_new(
    state: &AppState,
    u: &CurrentUser,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    Ok(Html(
        NewPage {
            layout: Layout::new(u, state, "cases"),
            grades: Grade::ALL
                .into_iter()
                .map(|g| Opt::new(g.key(), g.label(), Some("three")))
                .collect(),
            error,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NewInput {
    #[serde(default)]
    grade: String,
}

/// Enterprise staff open a case for their own enterprise.
pub async fn create(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Form(input): Form<NewInput>,
) -> Result<Response, HtmlError> {
    let grade =
        Grade::parse(&input.grade).ok_or_else(|| AppError::bad("grade", "请选择申请等级"))?;
    let actor = u.acting("form");
    match state
        .ctx(&actor)
        .open_case(grade)
        .await
        .map_err(AppError::from)
    {
        Ok(case) => Ok(redirect(
            &format!("/cases/{case}/assessment"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render_new(&state, &u, Some(m))).await,
    }
}

pub struct EventRow {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub from: &'static str,
    pub to: &'static str,
    pub actor: String,
    pub reason: String,
    pub rule: String,
}

pub struct ActionButton {
    pub key: String,
    pub label: &'static str,
    pub needs_reason: bool,
    /// What the reason box says: every reason is on the case's record, which the enterprise
    /// reads.
    pub placeholder: &'static str,
}

fn button(a: Action) -> ActionButton {
    ActionButton {
        key: a.key().to_string(),
        label: a.label(),
        needs_reason: a.needs_reason(),
        placeholder: match a {
            Action::HoldForObjection | Action::DeclineObjection => {
                "理由（必填，企业可见，勿写异议人信息）"
            }
            _ => "理由（必填）",
        },
    }
}

pub struct EvaluatorOpt {
    pub id: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "cases/detail.html")]
struct DetailPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    c: CaseRow,
    sheet: String,
    self_score: Option<String>,
    eval_score: Option<String>,
    result: Option<&'static str>,
    assigned: Option<String>,
    certificate: Option<(String, String)>,
    events: Vec<EventRow>,
    actions: Vec<ActionButton>,
    can_assess: Option<&'static str>,
    assign_orgs: Vec<Opt>,
    assign_team: Vec<EvaluatorOpt>,
    can_external: bool,
    open_objections: usize,
    error: Option<String>,
}

async fn render_detail(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let file = cx.case_file(id).await?;
    let case = file.case;
    let people = cx
        .people(file.events.iter().map(|e| e.actor.as_str()))
        .await?;
    let events = file
        .events
        .into_iter()
        .map(|e| EventRow {
            seq: e.seq,
            at: time::OffsetDateTime::from_unix_timestamp(e.at_us / 1_000_000)
                .map(fmt_time)
                .unwrap_or_default(),
            action: Action::parse(&e.action)
                .map(|a| a.label().to_string())
                .unwrap_or(e.action),
            from: CaseState::parse(&e.from_state)
                .map(|s| s.label())
                .unwrap_or(""),
            to: CaseState::parse(&e.to_state)
                .map(|s| s.label())
                .unwrap_or(""),
            actor: people.name(&e.actor),
            reason: e.reason.unwrap_or_default(),
            rule: e.rule.unwrap_or_default(),
        })
        .collect();
    let score = |a: Option<assessment::Assessment>| {
        a.map(|a| {
            let mut s = format!("{} 分", Percent(a.score));
            if !a.vetoed.is_empty() {
                s.push_str(&format!("（否决项不合格：{}）", a.vetoed));
            }
            s
        })
    };
    let self_score = score(file.self_assessment);
    let eval_score = score(file.evaluation);
    let (assigned, certificate) = (file.assigned, file.certificate);
    let mut actions = Vec::new();
    let mut can_assess = None;
    let mut show_assign = false;
    let mut can_external = false;
    for a in cx.available(&case, file.open_objections) {
        match a {
            Action::SubmitEvaluation => can_assess = Some("填写评审评分"),
            Action::Assign => show_assign = true,
            Action::RecordExternalGrant => can_external = true,
            Action::Object => {}
            Action::Apply => {
                can_assess = Some("填写自评");
                actions.push(button(a));
            }
            a => actions.push(button(a)),
        }
    }
    let (mut assign_orgs, mut assign_team) = (Vec::new(), Vec::new());
    if show_assign {
        let orgs = cx.evaluation_orgs().await?;
        let ids: Vec<i64> = orgs
            .iter()
            .flat_map(|(_, team)| team.iter().map(|m| m.id))
            .collect();
        // 六（六）1: evaluators are trained in evaluation practice every year.
        let trained = cx.evaluators_trained_this_year(&ids).await?;
        for (o, team) in orgs {
            for m in team {
                let flag = if trained.contains(&m.id) {
                    ""
                } else {
                    "；本年度未参加评审业务培训"
                };
                assign_team.push(EvaluatorOpt {
                    id: m.id,
                    label: format!(
                        "{}（{}，资格至 {}{flag}）",
                        m.name, o.name, m.qualified_until
                    ),
                });
            }
            assign_orgs.push(Opt::new(
                o.id.to_string(),
                format!("{}（资质至 {}）", o.name, o.qualified_until),
                None,
            ));
        }
    }
    let page = DetailPage {
        book: crate::pages::rules::Book::of(state),
        layout: Layout::new(u, state, "cases"),
        c: row(state, &case, file.enterprise),
        sheet: crate::pages::sheets::sheet_title(
            state,
            &format!("{}@{}", case.sheet_id, case.sheet_version),
        )
        .await?,
        self_score,
        eval_score,
        result: case
            .result_grade
            .as_deref()
            .and_then(Grade::parse)
            .map(|g| g.label()),
        assigned,
        certificate,
        events,
        actions,
        can_assess,
        assign_orgs,
        assign_team,
        can_external,
        // The officers' notice: the enterprise does not read who objected, nor how many.
        open_objections: if u.role.is_officer() {
            file.open_objections
        } else {
            0
        },
        error,
    };
    Ok(Html(page.render()?))
}

pub async fn detail(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    render_detail(&state, &u, parse_id(&id)?, None).await
}

#[derive(Deserialize)]
pub struct ActInput {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// One step on a case. Refusals (out of order, wrong party, rules) show on the case page.
pub async fn act(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<ActInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let action = Action::parse(&input.action)
        .ok_or_else(|| AppError::bad("action", format!("未知的操作“{}”", input.action)))?;
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let reason = Some(input.reason.trim()).filter(|r| !r.is_empty());
    let result = match action {
        Action::Apply => cx.apply(id).await.map(|_| ()),
        Action::Approve => cx.approve(id).await.map(|_| ()),
        Action::Announce => cx.announce(id).await.map(|_| ()),
        a => cx.act(id, a, reason).await.map(|_| ()),
    }
    .map_err(AppError::from);
    match result {
        Ok(()) => Ok(redirect(&format!("/cases/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

/// Assignment of an organisation and its team.
pub async fn assign(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let org = pairs
        .iter()
        .find(|(k, _)| k == "org")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or_else(|| AppError::bad("org", "请选择评审单位"))?;
    let team: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "team")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .collect();
    let actor = u.acting("form");
    match state
        .ctx(&actor)
        .assign(id, org, &team)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(redirect(&format!("/cases/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

pub struct ItemRow {
    pub code: String,
    pub category: String,
    pub content: String,
    pub points: String,
    pub method: String,
    pub veto: bool,
}

#[derive(Template)]
#[template(path = "cases/assessment.html")]
struct AssessmentPage {
    layout: Layout,
    id: i64,
    title: &'static str,
    sheet: String,
    full: String,
    items: Vec<ItemRow>,
    evaluation: bool,
    error: Option<String>,
}

async fn render_assessment(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let case = state.ctx(&u.acting("page")).case(id).await?;
    let version = u32::try_from(case.sheet_version).map_err(|_| AppError::NotFound)?;
    let sheet = standards::get(&state.db, &case.sheet_id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = u.acting("form");
    let evaluation = state.ctx(&actor).party() == Some(Party::Evaluator);
    let items = sheet
        .items()
        .map(|(c, i)| ItemRow {
            code: i.code.clone(),
            category: c.name.clone(),
            content: i.content.clone(),
            points: i.points.to_string(),
            method: i.method.clone(),
            veto: i.veto,
        })
        .collect();
    Ok(Html(
        AssessmentPage {
            layout: Layout::new(u, state, "cases"),
            id,
            title: if evaluation {
                "评审评分"
            } else {
                "企业自评"
            },
            sheet: format!("{}（{}）", sheet.title, sheet.rule_ref()),
            full: sheet.full().to_string(),
            items,
            evaluation,
            error,
        }
        .render()?,
    ))
}

pub async fn assessment_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    render_assessment(&state, &u, parse_id(&id)?, None).await
}

/// Reads the scoring form: `pts_<item>` points earned, `na_<item>` not applicable,
/// `veto_<item>` a failed veto item, `note_<item>` a note.
fn parse_entries(
    form: &HashMap<String, String>,
    codes: &[String],
) -> Result<Vec<(ItemInput, String)>, AppError> {
    let mut out = Vec::new();
    for code in codes {
        let na = form
            .get(&format!("na_{code}"))
            .is_some_and(|v| !v.is_empty());
        let veto_failed = form
            .get(&format!("veto_{code}"))
            .is_some_and(|v| !v.is_empty());
        let entry = if na {
            Entry::NotApplicable
        } else {
            let raw = form
                .get(&format!("pts_{code}"))
                .map(String::as_str)
                .unwrap_or("");
            let p = Points::parse(raw).ok_or_else(|| {
                AppError::bad(
                    &format!("pts_{code}"),
                    format!("考评内容 {code} 的得分“{raw}”应为不小于0的数，最多一位小数"),
                )
            })?;
            Entry::Earned(p)
        };
        let note = form
            .get(&format!("note_{code}"))
            .cloned()
            .unwrap_or_default();
        out.push((
            ItemInput {
                item: code.clone(),
                entry,
                veto_failed,
            },
            anbiao_domain::text::clean(&note),
        ));
    }
    Ok(out)
}

pub async fn submit_assessment(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let case = state.ctx(&u.acting("page")).case(id).await?;
    let version = u32::try_from(case.sheet_version).map_err(|_| AppError::NotFound)?;
    let sheet = standards::get(&state.db, &case.sheet_id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let codes: Vec<String> = sheet.items().map(|(_, i)| i.code.clone()).collect();
    let report = form.get("report").cloned().unwrap_or_default();
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let result = match parse_entries(&form, &codes) {
        Err(e) => Err(e),
        Ok(entries) => match cx.party() {
            Some(Party::Evaluator) => cx
                .evaluate(id, &entries, &report)
                .await
                .map(|_| ())
                .map_err(AppError::from),
            _ => cx
                .self_assess(id, &entries, &report)
                .await
                .map(|_| ())
                .map_err(AppError::from),
        },
    };
    match result {
        Ok(()) => Ok(redirect(&format!("/cases/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_assessment(&state, &u, id, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct ExternalInput {
    #[serde(default)]
    document: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    issued_on: String,
}

/// The city records the province's or the ministry's decision on a recommended case.
pub async fn record_external(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<ExternalInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    let result = match anbiao_domain::date::parse_date(&input.issued_on) {
        None => Err(AppError::bad(
            "issued_on",
            "请填写发证日期（如 2018-12-20）",
        )),
        Some(d) => state
            .ctx(&actor)
            .record_external(id, &input.document, &input.number, d)
            .await
            .map(|_| ())
            .map_err(AppError::from),
    };
    match result {
        Ok(()) => Ok(redirect(&format!("/cases/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

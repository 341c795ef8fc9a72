//! Supervision: each unit's annual inspection plan (年度监督检查计划) drawn from the frequency
//! rules, its calendar by month, and the unit's law-enforcement officers.

use anbiao_actions::people::People;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_domain::Permission;
use anbiao_domain::supervision::InspectionSet;
use anbiao_sheets::XCell;
use anbiao_store::inspection_plans::{LineRow, PlanRow};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::export::percent_encode;
use crate::pages::{DrawForm, Layout, own_unit, random_seed, redirect, show_refusal};

#[derive(Deserialize)]
pub struct Which {
    pub year: Option<i32>,
    pub unit: Option<String>,
    pub month: Option<u8>,
    /// `todo`: only the month's lines without an inspection recorded in it.
    pub show: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

pub struct LineView {
    pub enterprise_id: i64,
    pub name: String,
    pub status: &'static str,
    pub visits: i64,
    pub key_unit: bool,
    pub drawn: bool,
    pub explanation: String,
    /// "3月：张三、李四"
    pub schedule: Vec<String>,
}

impl LineView {
    fn new(l: LineRow, set: Option<&InspectionSet>, people: &People) -> Self {
        Self {
            explanation: set.map(|s| l.explanation(s)).unwrap_or_default(),
            status: l.status.label(),
            schedule: l
                .visits()
                .into_iter()
                .map(|(m, who)| {
                    if who.is_empty() {
                        format!("{m}月：待排执法人员")
                    } else {
                        format!("{m}月：{}", people.names(&who.join(",")))
                    }
                })
                .collect(),
            enterprise_id: l.enterprise_id,
            name: l.name,
            visits: l.visits,
            key_unit: l.key_unit,
            drawn: l.drawn,
        }
    }
}

#[derive(Template)]
#[template(path = "inspections/plan.html")]
struct PlanPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    year: i32,
    unit: String,
    /// The unit's name in the year (如皋市), and each unit's to pick from.
    unit_label: String,
    units: Vec<(String, String)>,
    can_pick: bool,
    can_plan: bool,
    plan: Option<PlanRow>,
    lines: Vec<LineView>,
    month: Option<u8>,
    /// Only the month's lines not yet recorded.
    todo: bool,
    months: Vec<u8>,
    pager: crate::pager::Pager,
    officers: Vec<(String, u32, usize)>,
    /// Visits per month, for the calendar row.
    calendar: Vec<(u8, i64)>,
    can_record: bool,
    rule_source: Option<crate::pages::rules::RuleRef>,
    suggested_seed: u64,
    error: Option<String>,
}

/// The unit a request is about: a district's or township's own, or the city's pick.
fn unit_for(state: &AppState, u: &CurrentUser, asked: Option<&str>) -> Result<String, AppError> {
    let actor = u.acting("page");
    Ok(state.ctx(&actor).unit_for(asked)?)
}

fn year_ok(year: i32) -> Result<i32, AppError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(AppError::bad("year", "年度应在 2000 至 2100 之间"))
    }
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    q: &Which,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let year = year_ok(q.year.unwrap_or_else(|| state.today().year()))?;
    let unit = unit_for(state, u, q.unit.as_deref())?;
    let month = q.month.filter(|m| (1..=12).contains(m));
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let todo = month.is_some() && q.show.as_deref() == Some("todo");
    let view = state
        .ctx(&u.acting("page"))
        .plan_view(&unit, year, month, todo, req)
        .await?;
    let mut plan = view.plan;
    let mut filters = vec![("year", year.to_string()), ("unit", unit.clone())];
    if let Some(m) = month {
        filters.push(("month", m.to_string()));
    }
    if todo {
        filters.push(("show", "todo".to_string()));
    }
    let pager = crate::pager::Pager::new("/inspections/plan", &filters, &view.lines);
    let lines = view.lines.rows;
    let people = state
        .ctx(&u.acting("page"))
        .people(
            lines
                .iter()
                .flat_map(|l| l.visits().into_iter().flat_map(|(_, who)| who))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .chain(plan.iter().map(|p| p.created_by.as_str()))
                .chain(view.officers.iter().map(|o| o.username.as_str())),
        )
        .await?;
    if let Some(p) = plan.as_mut() {
        p.created_by = people.name(&p.created_by);
    }
    let set = plan
        .as_ref()
        .and_then(|p| state.reference.inspection.by_name(&p.rule));
    let calendar = view
        .month_counts
        .map(|counts| counts.into_iter().zip(1u8..).map(|(n, m)| (m, n)).collect())
        .unwrap_or_default();
    let officers = view
        .officers
        .into_iter()
        .map(|o| {
            (
                people.name(&o.username),
                o.capacity_per_month,
                o.conflicts.len(),
            )
        })
        .collect();
    let rule_source = state
        .reference
        .inspection
        .in_force(state.today())
        .ok()
        .map(|s| crate::pages::rules::Book::of(state).cite(&format!("{}@{}", s.id, s.version)));
    let page_view = PlanPage {
        book: crate::pages::rules::Book::of(state),
        layout: Layout::new(u, state, "inspections"),
        year,
        can_pick: own_unit(state, u).is_none(),
        can_plan: u.can(Permission::PlanInspections),
        unit_label: state
            .reference
            .regions
            .unit_name(&unit, crate::views::day_of_year(year, state.today())),
        units: state
            .ctx(&u.acting("page"))
            .units()
            .into_iter()
            .map(|k| {
                let name = state
                    .reference
                    .regions
                    .unit_name(&k, crate::views::day_of_year(year, state.today()));
                (k, name)
            })
            .collect(),
        unit,
        plan,
        lines: lines
            .into_iter()
            .map(|l| LineView::new(l, set, &people))
            .collect(),
        month,
        todo,
        months: (1..=12).collect(),
        pager,
        officers,
        calendar,
        can_record: u.can(Permission::Inspect),
        rule_source,
        suggested_seed: random_seed(),
        error,
    };
    Ok(Html(page_view.render()?))
}

/// `GET /inspections/plan?year=&unit=&month=&page=`
pub async fn page(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<Which>,
) -> Result<Html<String>, HtmlError> {
    render(&state, &u, &q, None).await
}

/// `POST /inspections/plan`: draws the unit's plan for the year.
pub async fn draw(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<DrawForm>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let unit = cx.plan_unit(f.unit.as_deref()).await?;
    let result = async {
        let seed = f.seed()?;
        cx.draw_inspection_plan(Some(&unit), f.year, seed).await?;
        Ok::<_, AppError>(())
    }
    .await;
    let q = Which {
        year: Some(f.year),
        unit: Some(unit.clone()),
        month: None,
        show: None,
        page: None,
        size: None,
    };
    match result {
        Ok(_) => Ok(redirect(
            &format!(
                "/inspections/plan?year={}&unit={}",
                f.year,
                percent_encode(&unit)
            ),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render(&state, &u, &q, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct OfficerForm {
    pub unit: Option<String>,
    pub year: Option<i32>,
    pub username: String,
    pub capacity: String,
}

/// `POST /inspections/officers`: adds or changes an officer of the unit.
pub async fn set_officer(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<OfficerForm>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let unit = cx.plan_unit(f.unit.as_deref()).await?;
    let result = async {
        let capacity =
            f.capacity.trim().parse::<u32>().map_err(|_| {
                AppError::bad("capacity", "每月可承担的检查次数应为 1 至 500 的整数")
            })?;
        cx.set_plan_officer(Some(&unit), &f.username, capacity)
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    let q = Which {
        year: f.year,
        unit: Some(unit.clone()),
        month: None,
        show: None,
        page: None,
        size: None,
    };
    match result {
        Ok(()) => Ok(redirect(
            &format!(
                "/inspections/plan?year={}&unit={}",
                f.year.unwrap_or_else(|| state.today().year()),
                percent_encode(&unit)
            ),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render(&state, &u, &q, Some(m))).await,
    }
}

/// `GET /inspections/plan/export?year=&unit=`: the whole plan as .xlsx.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<Which>,
) -> Result<Response, HtmlError> {
    let year = year_ok(q.year.unwrap_or_else(|| state.today().year()))?;
    let unit = unit_for(&state, &u, q.unit.as_deref())?;
    let month = q.month.filter(|m| (1..=12).contains(m));
    let todo = month.is_some() && q.show.as_deref() == Some("todo");
    let (plan, lines) = state
        .ctx(&u.acting("page"))
        .plan_lines(&unit, year, month, todo)
        .await?;
    let set = state.reference.inspection.by_name(&plan.rule);
    let headers = [
        "企业名称",
        "标准化状态",
        "检查次数",
        "重点检查单位",
        "双随机抽中",
        "频次依据",
        "检查安排（月份：执法人员）",
    ];
    let officers: std::collections::BTreeSet<String> = lines
        .iter()
        .flat_map(|l| l.visits().into_iter().flat_map(|(_, who)| who))
        .collect();
    let people = state
        .ctx(&u.acting("page"))
        .people(officers.iter().map(String::as_str))
        .await?;
    let rows: Vec<Vec<XCell>> = lines
        .into_iter()
        .map(|l| {
            let v = LineView::new(l, set, &people);
            vec![
                XCell::Text(v.name),
                XCell::Text(v.status.to_string()),
                XCell::Number(v.visits as f64),
                XCell::Text(if v.key_unit { "是" } else { "" }.into()),
                XCell::Text(if v.drawn { "是" } else { "" }.into()),
                XCell::Text(v.explanation),
                XCell::Text(v.schedule.join("；")),
            ]
        })
        .collect();
    let title = format!(
        "{unit} {year} 年度监督检查计划（{} 按 {} 编制，随机种子 {}）",
        plan.drawn_on, plan.rule, plan.seed
    );
    let bytes = anbiao_sheets::write_table("检查计划", Some(&title), &headers, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::export::xlsx_download(
        bytes,
        &format!("inspection-plan-{year}.xlsx"),
        &format!("{unit}{year}年度监督检查计划.xlsx"),
    ))
}

#[derive(Deserialize)]
pub struct PublishForm {
    pub year: i32,
    pub unit: Option<String>,
}

/// `POST /inspections/plan/publish`: publishes the draw on the portal (双随机一公开).
pub async fn publish(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<PublishForm>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let unit = state
        .ctx(&actor)
        .publish_inspection_plan(f.unit.as_deref(), f.year)
        .await?;
    Ok(redirect(
        &format!(
            "/inspections/plan?year={}&unit={}",
            f.year,
            percent_encode(&unit)
        ),
        is_htmx(&headers),
    ))
}

/// A plan's unit as it was named in the plan's year.
pub fn plan_unit_name(state: &AppState, p: &PlanRow) -> String {
    let year = i32::try_from(p.year).unwrap_or(0);
    state
        .reference
        .regions
        .unit_name(&p.unit, crate::views::day_of_year(year, state.today()))
}

#[derive(Template)]
#[template(path = "portal/inspections.html")]
struct PortalList {
    nav: &'static str,
    site: crate::pages::portal::Site,
    rows: Vec<PlanRow>,
}

#[derive(Template)]
#[template(path = "portal/inspection_plan.html")]
struct PortalOne {
    book: crate::pages::rules::Book,
    nav: &'static str,
    site: crate::pages::portal::Site,
    plan: PlanRow,
    lines: Vec<(String, String)>,
    pager: crate::pager::Pager,
}

/// `GET /portal/inspections`: the published draws.
pub async fn portal_list(State(state): State<AppState>) -> Result<Html<String>, HtmlError> {
    let mut rows = anbiao_actions::portal::draws(&state.db, 200).await?;
    for p in &mut rows {
        p.unit = plan_unit_name(&state, p);
    }
    Ok(Html(
        PortalList {
            nav: "inspections",
            site: crate::pages::portal::Site::of(&state),
            rows,
        }
        .render()?,
    ))
}

/// `GET /portal/inspections/{id}?page=`: a published draw: the enterprises drawn and the
/// month of each visit (the officers' names stay internal).
pub async fn portal_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<Which>,
) -> Result<Html<String>, HtmlError> {
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let (mut plan, page) = anbiao_actions::portal::draw(&state.db, id, req).await?;
    plan.unit = plan_unit_name(&state, &plan);
    let pager = crate::pager::Pager::new(&format!("/portal/inspections/{id}"), &[], &page);
    let lines = page
        .rows
        .into_iter()
        .map(|l| {
            let months: Vec<String> = l
                .visits()
                .into_iter()
                .map(|(m, _)| format!("{m}月"))
                .collect();
            (l.name, months.join("、"))
        })
        .collect();
    Ok(Html(
        PortalOne {
            book: crate::pages::rules::Book::of(&state),
            nav: "inspections",
            site: crate::pages::portal::Site::of(&state),
            plan,
            lines,
            pager,
        }
        .render()?,
    ))
}

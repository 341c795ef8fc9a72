//! Operation-quality audits (运行质量审计 / 回头看): each unit's yearly plan drawn at random
//! from its 三级 and 小微达标 enterprises, and the audits recorded against it.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_domain::Permission;
use anbiao_domain::date::parse_date;
use anbiao_domain::programme::Metric;
use anbiao_store::audits::{self, Class, NewAudit, Outcome, Plan, PlanItem};
use anbiao_store::{StoreError, enterprise};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, redirect, show_refusal};

#[derive(Deserialize)]
pub struct Which {
    pub year: Option<i32>,
    pub unit: Option<String>,
}

#[derive(Template)]
#[template(path = "audits/plan.html")]
struct PlanPage {
    layout: Layout,
    year: i32,
    unit: String,
    units: Vec<(String, String)>,
    can_pick: bool,
    can_manage: bool,
    rate: f64,
    plan: Option<Plan>,
    items: Vec<PlanItem>,
    alloc: Vec<(String, usize, usize)>,
    suggested_seed: u64,
    error: Option<String>,
}

fn own_unit(state: &AppState, u: &CurrentUser) -> Option<String> {
    let code = u.user.region_code.as_deref()?;
    state.reference.regions.get(code).map(|r| r.unit.clone())
}

/// The unit a request is about: a district's own, or the city's pick.
fn unit_for(state: &AppState, u: &CurrentUser, asked: Option<&str>) -> Result<String, AppError> {
    let programme = state
        .reference
        .programmes
        .first()
        .ok_or(AppError::NotFound)?;
    let unit = match own_unit(state, u) {
        Some(own) => own,
        None => asked.map(str::to_string).unwrap_or_else(|| {
            programme
                .units
                .first()
                .map(|x| x.unit.clone())
                .unwrap_or_default()
        }),
    };
    if !programme.units.iter().any(|x| x.unit == unit) {
        return Err(AppError::bad("unit", format!("方案中没有地区“{unit}”")));
    }
    Ok(unit)
}

/// The unit's audit-rate target from the programme (≥ 15 % 海安, ≥ 10 % elsewhere).
fn rate_of(state: &AppState, unit: &str) -> f64 {
    state
        .reference
        .programmes
        .first()
        .and_then(|p| p.unit_target(unit, Metric::GradeThreeAuditRate))
        .unwrap_or(10.0)
}

fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 2018;
    }
    u64::from_le_bytes(b) % 1_000_000_000
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    year: i32,
    unit: String,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let found = audits::plan(&state.db, &unit, year).await?;
    let (plan, items) = match found {
        Some((p, i)) => (Some(p), i),
        None => (None, Vec::new()),
    };
    let mut alloc: Vec<(String, usize, usize)> = Vec::new();
    if let Some(p) = &plan {
        // Redo the draw from the stored seed to show the allocation (and that it reproduces).
        if let Some(on) = parse_date(&p.drawn_on) {
            let pool = audits::candidates(&state.db, &unit, on).await?;
            let seed = p.seed.parse::<u64>().unwrap_or(0);
            alloc = anbiao_domain::sampling::draw(&pool, p.rate_tenths as f64 / 10.0, seed).1;
        }
    }
    let units = state
        .reference
        .programmes
        .first()
        .map(|p| {
            p.units
                .iter()
                .map(|x| (x.unit.clone(), x.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let page = PlanPage {
        layout: Layout::new(u, state, "audits"),
        year,
        rate: rate_of(state, &unit),
        can_pick: own_unit(state, u).is_none(),
        can_manage: u.can(Permission::ManageAudits),
        unit,
        units,
        plan,
        items,
        alloc,
        suggested_seed: random_seed(),
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /audits?year=&unit=`
pub async fn page(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<Which>,
) -> Result<Html<String>, HtmlError> {
    let year = q.year.unwrap_or_else(|| state.today().year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad("year", "年度应在 2000 至 2100 之间").into());
    }
    let unit = unit_for(&state, &u, q.unit.as_deref())?;
    render(&state, &u, year, unit, None).await
}

#[derive(Deserialize)]
pub struct DrawForm {
    pub year: i32,
    pub unit: Option<String>,
    pub seed: String,
}

/// `POST /audits/plan`
pub async fn draw(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<DrawForm>,
) -> Result<Response, HtmlError> {
    let unit = unit_for(&state, &u, f.unit.as_deref())?;
    let result = async {
        if !(2000..=2100).contains(&f.year) {
            return Err(AppError::bad("year", "年度应在 2000 至 2100 之间"));
        }
        let seed = f
            .seed
            .trim()
            .parse::<u64>()
            .map_err(|_| AppError::bad("seed", "随机种子应为非负整数"))?;
        let on = state.today();
        audits::create_plan(
            &state.db,
            &u.actor("form"),
            &unit,
            f.year,
            rate_of(&state, &unit),
            seed,
            on,
        )
        .await
        .map_err(AppError::from)
    }
    .await;
    match result {
        Ok(_) => Ok(redirect(
            &format!(
                "/audits?year={}&unit={}",
                f.year,
                crate::export::percent_encode(&unit)
            ),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render(&state, &u, f.year, unit, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct RecordForm {
    pub enterprise: i64,
    pub year: i32,
    pub performed_on: String,
    pub score: Option<String>,
    pub outcome: String,
    pub class: Option<String>,
    pub findings: String,
    pub rectify_by: Option<String>,
}

/// `POST /audits/record`
pub async fn record(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<RecordForm>,
) -> Result<Response, HtmlError> {
    let e = enterprise::get(&state.db, &u.scope, f.enterprise).await?;
    let unit = state
        .reference
        .regions
        .get(&e.region_code)
        .map(|r| r.unit.clone())
        .unwrap_or_default();
    let result = async {
        let performed_on = parse_date(&f.performed_on)
            .ok_or_else(|| AppError::bad("performed_on", "审计日期应为 YYYY-MM-DD"))?;
        if performed_on > state.today() {
            return Err(AppError::bad("performed_on", "审计日期不能晚于今天"));
        }
        let score = match f.score.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && (0.0..=100.0).contains(v))
                    .map(anbiao_domain::scoring::Percent::from_f64)
                    .ok_or_else(|| AppError::bad("score", "审计得分应为 0 至 100 的数"))?
                    .0,
            ),
        };
        let outcome = match f.outcome.as_str() {
            "good" => Outcome::Good,
            "deficient" => Outcome::Deficient,
            "failing" => Outcome::Failing,
            o => return Err(AppError::bad("outcome", format!("未知的审计结论“{o}”"))),
        };
        let class = match f.class.as_deref().unwrap_or("") {
            "" => None,
            "upgrade" => Some(Class::Upgrade),
            "rectify" => Some(Class::Rectify),
            "eliminate" => Some(Class::Eliminate),
            c => return Err(AppError::bad("class", format!("未知的分类“{c}”"))),
        };
        match (outcome, class) {
            (Outcome::Good, Some(Class::Rectify | Class::Eliminate))
            | (Outcome::Deficient, Some(Class::Upgrade | Class::Eliminate))
            | (Outcome::Failing, Some(Class::Upgrade | Class::Rectify)) => {
                return Err(AppError::bad(
                    "class",
                    "分类与审计结论不符：提升须结论良好，整改须存在问题，淘汰须不合格",
                ));
            }
            _ => {}
        }
        let rectify_by = match f
            .rectify_by
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                parse_date(s)
                    .ok_or_else(|| AppError::bad("rectify_by", "整改期限应为 YYYY-MM-DD"))?,
            ),
        };
        let grade = match anbiao_store::certificate::of_enterprise(&state.db, &u.scope, e.id)
            .await?
            .iter()
            .find(|c| {
                c.status_on(performed_on) == anbiao_domain::certificate::CertificateStatus::Valid
            })
            .map(|c| c.grade.clone())
        {
            Some(g) if g == "three" || g == "small_micro" => g,
            _ => {
                return Err(AppError::bad(
                    "enterprise",
                    format!("“{}”在审计日没有有效的三级或小微达标证书", e.name),
                ));
            }
        };
        audits::record(
            &state.db,
            &u.scope,
            &u.actor("form"),
            &NewAudit {
                enterprise_id: e.id,
                certificate_id: None,
                grade: &grade,
                performed_on,
                score,
                outcome,
                class,
                findings: &anbiao_domain::text::clean(&f.findings),
                rectify_by,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => AppError::bad("findings", m),
            other => AppError::from(other),
        })
    }
    .await;
    match result {
        Ok(_) => Ok(redirect(
            &format!(
                "/audits?year={}&unit={}",
                f.year,
                crate::export::percent_encode(&unit)
            ),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render(&state, &u, f.year, unit, Some(m))).await,
    }
}

pub fn class_label(c: Option<&str>) -> &'static str {
    match c {
        Some("upgrade") => "提升",
        Some("rectify") => "整改",
        Some("eliminate") => "淘汰",
        _ => "",
    }
}

pub fn outcome_label(o: Option<&str>) -> &'static str {
    match o {
        Some("good") => "良好",
        Some("deficient") => "存在问题",
        Some("failing") => "不合格",
        _ => "",
    }
}

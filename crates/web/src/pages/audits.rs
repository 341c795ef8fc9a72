//! Operation-quality audits (运行质量审计 / 回头看): each unit's yearly plan drawn at random
//! from its 三级 and 小微达标 enterprises, and the audits recorded against it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::audits::Audit;
use anbiao_domain::Permission;
use anbiao_domain::date::parse_date;
use anbiao_domain::programme::Metric;
use anbiao_domain::standard::ElementTree;
use anbiao_store::audits::{self, ChecklistItem, Class, Outcome, Plan, PlanItem, Verdict};
use anbiao_store::enterprise;

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{DrawForm, Layout, own_unit, random_seed, redirect, show_refusal};

#[derive(Deserialize)]
pub struct Which {
    pub year: Option<i32>,
    pub unit: Option<String>,
    /// `todo`: only the drawn enterprises not yet audited.
    pub show: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

#[derive(Template)]
#[template(path = "audits/plan.html")]
struct PlanPage {
    layout: Layout,
    year: i32,
    unit: String,
    unit_label: String,
    units: Vec<(String, String)>,
    can_pick: bool,
    can_manage: bool,
    rate: f64,
    plan: Option<Plan>,
    /// Every drawn enterprise (the form's choice) and the page of them shown.
    items: Vec<PlanItem>,
    shown: Vec<PlanItem>,
    drawn: usize,
    todo_only: bool,
    todo: usize,
    pager: crate::pager::Pager,
    alloc: Vec<(String, usize, usize)>,
    suggested_seed: u64,
    /// The checklist's elements (the tree in force today) and the verdicts to pick from.
    elements: Vec<(String, String)>,
    verdicts: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

/// The unit a request is about: a district's own, or the city's pick.
fn unit_for(state: &AppState, u: &CurrentUser, asked: Option<&str>) -> Result<String, AppError> {
    let programme = state
        .reference
        .programmes
        .first()
        .ok_or(AppError::NotFound)?;
    let units: Vec<String> = programme.units.iter().map(|x| x.unit.clone()).collect();
    Ok(state
        .ctx(&u.acting("page"))
        .unit_among(asked, &units, "方案中没有地区")?)
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

/// The page of the plan asked for: which lines, and which page of them.
#[derive(Default)]
struct Showing {
    todo_only: bool,
    req: anbiao_store::paging::PageReq,
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    year: i32,
    unit: String,
    showing: Showing,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let found = state.ctx(&u.acting("page")).audit_plan(&unit, year).await?;
    let (plan, items) = match found {
        Some((p, i)) => (Some(p), i),
        None => (None, Vec::new()),
    };
    let todo = items.iter().filter(|i| i.audit_id.is_none()).count();
    let listed: Vec<PlanItem> = items
        .iter()
        .filter(|i| !showing.todo_only || i.audit_id.is_none())
        .cloned()
        .collect();
    let page = anbiao_store::paging::Paged::of_all(listed, showing.req);
    let mut filters = vec![("year", year.to_string()), ("unit", unit.clone())];
    if showing.todo_only {
        filters.push(("show", "todo".to_string()));
    }
    let pager = crate::pager::Pager::new("/audits", &filters, &page);
    let mut alloc: Vec<(String, usize, usize)> = Vec::new();
    if let Some(p) = &plan {
        // Redo the draw from the stored seed to show the allocation (and that it reproduces).
        if let Some(on) = parse_date(&p.drawn_on) {
            let pool = audits::candidates(&state.db, &unit, on).await?;
            let seed = p.seed.parse::<u64>().unwrap_or(0);
            alloc = anbiao_domain::sampling::draw(&pool, p.rate_tenths as f64 / 10.0, seed).1;
        }
    }
    let day = crate::views::day_of_year(year, state.today());
    let units = state
        .reference
        .programmes
        .first()
        .map(|p| {
            p.units
                .iter()
                .map(|x| {
                    (
                        x.unit.clone(),
                        state.reference.regions.unit_name(&x.unit, day),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = PlanPage {
        unit_label: state.reference.regions.unit_name(&unit, day),
        layout: Layout::new(u, state, "audits"),
        year,
        rate: rate_of(state, &unit),
        can_pick: own_unit(state, u).is_none(),
        can_manage: u.can(Permission::ManageAudits),
        unit,
        units,
        plan,
        drawn: items.len(),
        items,
        shown: page.rows,
        todo_only: showing.todo_only,
        todo,
        pager,
        alloc,
        suggested_seed: random_seed(),
        elements: anbiao_domain::standard::tree_on(trees(), state.today())
            .map(|t| {
                t.elements
                    .iter()
                    .map(|e| (e.code.clone(), e.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        verdicts: Verdict::ALL.iter().map(|v| (v.key(), v.label())).collect(),
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
    let showing = Showing {
        todo_only: q.show.as_deref() == Some("todo"),
        req: anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref()),
    };
    render(&state, &u, year, unit, showing, None).await
}

/// `POST /audits/plan`
pub async fn draw(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<DrawForm>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let unit = cx.audit_unit(f.unit.as_deref()).await?;
    let result = async {
        let seed = f.seed()?;
        Ok::<_, AppError>(cx.draw_audit_plan(Some(&unit), f.year, seed).await?)
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
        Err(e) => {
            show_refusal(e, |m| {
                render(&state, &u, f.year, unit, Showing::default(), Some(m))
            })
            .await
        }
    }
}

/// The posted audit: its fields, and a verdict and note per element (`verdict_5.1`, `note_5.1`).
struct RecordForm {
    enterprise: i64,
    year: i32,
    performed_on: String,
    score: Option<String>,
    outcome: String,
    class: Option<String>,
    findings: String,
    rectify_by: Option<String>,
    pairs: Vec<(String, String)>,
}

impl RecordForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, AppError> {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let number = |k: &str, what: &str| -> Result<i64, AppError> {
            get(k)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| AppError::bad(k, format!("{what}无效")))
        };
        Ok(Self {
            enterprise: number("enterprise", "企业")?,
            year: i32::try_from(number("year", "年度")?)
                .map_err(|_| AppError::bad("year", "年度无效"))?,
            performed_on: get("performed_on").unwrap_or_default(),
            score: get("score"),
            outcome: get("outcome").unwrap_or_default(),
            class: get("class"),
            findings: get("findings").unwrap_or_default(),
            rectify_by: get("rectify_by"),
            pairs,
        })
    }

    /// The checklist on `tree`: every first-level element needs a verdict.
    fn checklist(&self, tree: &ElementTree) -> Result<Vec<ChecklistItem>, AppError> {
        let get = |k: String| {
            self.pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.trim().to_string())
        };
        tree.elements
            .iter()
            .map(|e| {
                let verdict = get(format!("verdict_{}", e.code)).unwrap_or_default();
                let v = Verdict::parse(&verdict).ok_or_else(|| {
                    AppError::bad(
                        "checklist",
                        format!("请为要素“{} {}”选择审计结论", e.code, e.name),
                    )
                })?;
                let note = anbiao_domain::text::strip_controls(
                    &get(format!("note_{}", e.code)).unwrap_or_default(),
                );
                if v == Verdict::Nonconform && note.trim().is_empty() {
                    return Err(AppError::bad(
                        "checklist",
                        format!("要素“{} {}”不符合，请写明问题", e.code, e.name),
                    ));
                }
                Ok(ChecklistItem {
                    element: e.code.clone(),
                    title: e.name.clone(),
                    verdict: v.key().into(),
                    note,
                })
            })
            .collect()
    }
}

/// The shipped element trees, parsed once.
pub fn trees() -> &'static [ElementTree] {
    static TREES: std::sync::OnceLock<Vec<ElementTree>> = std::sync::OnceLock::new();
    TREES.get_or_init(|| {
        anbiao_domain::standard::shipped()
            .map(|(t, _)| t)
            .unwrap_or_default()
    })
}

/// `POST /audits/record`
pub async fn record(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    let f = RecordForm::from_pairs(pairs)?;
    let e = enterprise::get(&state.db, &u.scope, f.enterprise).await?;
    let unit = state
        .reference
        .regions
        .get(&e.region_code)
        .map(|r| r.unit.clone())
        .unwrap_or_default();
    let actor = u.acting("form");
    let result = async {
        let performed_on = parse_date(&f.performed_on)
            .ok_or_else(|| AppError::bad("performed_on", "审计日期应为 YYYY-MM-DD"))?;
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
        let tree = anbiao_domain::standard::tree_on(trees(), performed_on)
            .ok_or_else(|| AppError::bad("performed_on", "审计日期没有适用的标准化要素体系"))?;
        let checklist = f.checklist(tree)?;
        let findings = anbiao_domain::text::strip_controls(&f.findings);
        Ok::<_, AppError>(
            state
                .ctx(&actor)
                .record_audit(&Audit {
                    enterprise_id: e.id,
                    performed_on,
                    score,
                    outcome,
                    class,
                    findings: &findings,
                    rectify_by,
                    tree: (tree.id.as_str(), i64::from(tree.version)),
                    checklist: &checklist,
                })
                .await?,
        )
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
        Err(e) => {
            show_refusal(e, |m| {
                render(&state, &u, f.year, unit, Showing::default(), Some(m))
            })
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "audits/detail.html")]
struct DetailPage {
    layout: Layout,
    audit: audits::Audit,
    checklist: Vec<ChecklistItem>,
    enterprise: String,
    /// The rule the audit's consequence follows: (reference, the plan's words).
    rule: Option<(String, String)>,
    recheck_rule: Option<(String, String)>,
    /// The audit checklist's sheet in words.
    sheet_title: Option<String>,
    renewed: Option<String>,
    can_manage: bool,
    /// Whether the reader's party renews a certificate of this grade (the grading body's).
    can_renew: bool,
    today: String,
    error: Option<String>,
}

/// The plan's section and words for a rule reference (`nantong.2018#audit.deficient`).
fn rule_text(state: &AppState, reference: Option<&str>) -> Option<(String, String)> {
    let r = reference?;
    let text = state
        .reference
        .programmes
        .iter()
        .flat_map(|p| {
            p.audit_rules.iter().map(move |x| {
                (
                    format!("{}#audit.{}", p.id, x.when.key()),
                    format!("{}：{}", x.section, x.text),
                )
            })
        })
        .find(|(k, _)| k == r)
        .map(|(_, t)| t)
        .unwrap_or_default();
    Some((r.to_string(), text))
}

async fn render_detail(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let file = cx.audit_file(id).await?;
    let (audit, checklist, renewed) = (file.audit, file.checklist, file.renewed);
    let can_renew =
        u.can(Permission::ManageAudits) && cx.takes_step(&format!("audit.renew.{}", audit.grade));
    let sheet_title = match audit.sheet_id.as_deref() {
        Some(r) => Some(crate::pages::sheets::sheet_title(state, r).await?),
        None => None,
    };
    let page = DetailPage {
        layout: Layout::new(u, state, "audits"),
        sheet_title,
        rule: rule_text(state, audit.rule.as_deref()),
        recheck_rule: rule_text(state, audit.recheck_rule.as_deref()),
        audit,
        checklist,
        enterprise: file.enterprise,
        renewed,
        can_manage: u.can(Permission::ManageAudits),
        can_renew,
        today: anbiao_domain::date::format_date(state.today()),
        error,
    };
    Ok(Html(page.render()?))
}

/// `GET /audits/{id}`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    render_detail(&state, &u, id, None).await
}

#[derive(Deserialize)]
pub struct RecheckForm {
    pub on: String,
    pub passed: String,
    pub note: String,
}

/// `POST /audits/{id}/recheck`: a failed re-check revokes by the programme's rule.
pub async fn recheck(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<RecheckForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let on = parse_date(f.on.trim())
            .ok_or_else(|| AppError::bad("on", "复查日期应为 YYYY-MM-DD"))?;
        let passed = match f.passed.as_str() {
            "yes" => true,
            "no" => false,
            _ => return Err(AppError::bad("passed", "请选择复查是否通过")),
        };
        let note = anbiao_domain::text::strip_controls(&f.note);
        let actor = u.acting("form");
        Ok::<_, AppError>(
            state
                .ctx(&actor)
                .recheck_audit(id, on, passed, &note)
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/audits/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

/// `POST /audits/{id}/renew`: renewal without re-evaluation after a good audit.
pub async fn renew(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    // The renewal issues a certificate in the grading body's name: its party decides.
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .renew_after_audit(id)
        .await
        .map_err(AppError::from);
    match result {
        Ok(_) => Ok(redirect(&format!("/audits/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

pub fn verdict_label(v: &str) -> &'static str {
    Verdict::parse(v).map(Verdict::label).unwrap_or("")
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

#[derive(Template)]
#[template(path = "audits/rechecks.html")]
struct RechecksPage {
    layout: Layout,
    rows: Vec<audits::RecheckDue>,
    pager: crate::pager::Pager,
    today: String,
}

/// `GET /audits/rechecks`: the deficient audits within the officer's scope whose
/// rectification period has ended without a re-check.
pub async fn rechecks(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<crate::pager::PageQuery>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let req = q.req();
    let mut page = cx.audits_awaiting_recheck(req).await?;
    let pager = crate::pager::Pager::new("/audits/rechecks", &[], &page);
    Ok(Html(
        RechecksPage {
            layout: Layout::new(&u, &state, "audits"),
            rows: std::mem::take(&mut page.rows),
            pager,
            today: anbiao_domain::date::format_date(cx.on),
        }
        .render()?,
    ))
}

/// `GET /audits/rechecks.xlsx`: the whole list of audits awaiting their re-check.
pub async fn rechecks_xlsx(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let all = anbiao_actions::exports::whole_list(|req| cx.audits_awaiting_recheck(req)).await?;
    let rows = all
        .into_iter()
        .map(|r| {
            vec![
                XCell::Text(r.name),
                crate::export::day_cell(&r.performed_on),
                crate::export::day_cell(&r.rectify_by),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "整改期限已过、尚未复查的审计",
        "audit-rechecks.xlsx",
        &u.user.display_name,
        cx.on,
        &["企业名称", "审计日期", "整改期限"],
        rows,
    )
    .await?)
}

/// `GET /audits/export.xlsx?year=&unit=&show=todo`: the plan's drawn enterprises within the
/// user's scope (or those not yet audited) with their audits, days as dates.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<Which>,
) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let year = q.year.unwrap_or_else(|| state.today().year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad("year", "年度应在 2000 至 2100 之间").into());
    }
    let unit = unit_for(&state, &u, q.unit.as_deref())?;
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    // A year without a plan exports an empty list (its title says so by the count).
    let items = cx
        .audit_plan(&unit, year)
        .await?
        .map(|(_, items)| items)
        .unwrap_or_default();
    let todo_only = q.show.as_deref() == Some("todo");
    let rows = items
        .into_iter()
        .filter(|i| !todo_only || i.audit_id.is_none())
        .map(|i| {
            vec![
                XCell::Text(i.name.clone()),
                XCell::Text(i.industry.clone()),
                i.audited_on
                    .as_deref()
                    .map_or(XCell::Text("未审计".into()), crate::export::day_cell),
                XCell::Text(outcome_label(i.outcome.as_deref()).into()),
                XCell::Text(class_label(i.classification.as_deref()).into()),
            ]
        })
        .collect();
    let name = format!(
        "运行质量审计抽查{}{year}",
        state
            .reference
            .regions
            .unit_name(&unit, crate::views::day_of_year(year, cx.on))
    );
    Ok(crate::export::list_xlsx(
        &name,
        "audit-plan.xlsx",
        &u.user.display_name,
        cx.on,
        &["企业名称", "行业", "审计日期", "结论", "分类"],
        rows,
    )
    .await?)
}

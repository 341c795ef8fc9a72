//! Hidden hazards (隐患排查治理): the list within scope with its leading figures, a hazard's
//! page with the step its reader may take (the enterprise plans and reports its rectification
//! with a photo; an officer accepts and writes it off, or returns it), the photos, the
//! enterprise's own self-check report, and the quarterly statistics.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::hazards::{HazardStats, Report};
use anbiao_domain::Permission;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::hazard::{FiveFixes, Level, State as HState, Step};
use anbiao_store::StoreError;
use anbiao_store::enforcement::Decision;
use anbiao_store::hazards::{self, Filter, Hazard, HazardEvent, Line, Photo, Quarter};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, Opt, redirect, show_refusal};

/// A multipart form's text fields and files (by field name), refused as a whole when too big;
/// a file's own name is the text field `{name}.filename`.
pub async fn read_multipart(
    mut m: Multipart,
) -> Result<(HashMap<String, String>, HashMap<String, Vec<u8>>), AppError> {
    let too_big = || {
        AppError::bad(
            "file",
            format!(
                "上传内容过大或格式不正确：一次提交的文件合计不能超过 {} MB",
                crate::UPLOAD_LIMIT / (1024 * 1024)
            ),
        )
    };
    let mut fields = HashMap::new();
    let mut files = HashMap::new();
    while let Some(field) = m.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name() {
            // The name the file had on the user's machine, without its folders.
            let own = file_name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .to_string();
            let bytes = field.bytes().await.map_err(|_| too_big())?.to_vec();
            // A file chosen but empty keeps its name: the handler can say it was empty.
            if !own.is_empty() {
                fields.insert(format!("{name}.filename"), own);
            }
            if !bytes.is_empty() {
                files.insert(name, bytes);
            }
        } else {
            fields.insert(name, field.text().await.map_err(|_| too_big())?);
        }
    }
    Ok((fields, files))
}

/// A store refusal as a bad request on `field`.
pub fn refusal(field: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::Invalid(m) => AppError::bad(field, m),
        other => AppError::from(other),
    }
}

/// A day from a form, or the reason in words.
pub fn form_date(
    v: Option<&String>,
    field: &'static str,
    what: &str,
) -> Result<time::Date, AppError> {
    let v = v.map(|s| s.trim()).unwrap_or_default();
    if v.is_empty() {
        return Err(AppError::bad(field, format!("请填写{what}")));
    }
    parse_date(v)
        .ok_or_else(|| AppError::bad(field, format!("{what}“{v}”不是有效日期（格式 2019-03-01）")))
}

pub struct LineView {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub level: &'static str,
    pub major: bool,
    pub state: &'static str,
    pub description: String,
    pub found_on: String,
    pub due: String,
    pub overdue: bool,
    pub own_check: bool,
}

impl LineView {
    pub fn new(l: Line, on: time::Date) -> Self {
        Self {
            overdue: l.overdue_on(on),
            level: l.level().label(),
            major: l.level() == Level::Major,
            state: l.state().label(l.level()),
            own_check: l.source == "self",
            id: l.id,
            enterprise_id: l.enterprise_id,
            name: l.name,
            description: l.description,
            found_on: l.found_on,
            due: l.due,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub state: Option<String>,
    pub level: Option<String>,
    pub overdue: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

#[derive(Template)]
#[template(path = "hazards/list.html")]
struct ListPage {
    layout: Layout,
    summary: hazards::Summary,
    lines: Vec<LineView>,
    states: Vec<Opt>,
    levels: Vec<Opt>,
    overdue: bool,
    pager: crate::pager::Pager,
    /// The whole filtered list as a workbook.
    export: String,
    can_report: bool,
    today: String,
    error: Option<String>,
}

impl ListQuery {
    fn filter(&self, on: time::Date) -> Filter {
        Filter {
            state: self.state.as_deref().and_then(HState::parse),
            level: self.level.as_deref().and_then(Level::parse),
            overdue_on: self.overdue.as_deref().filter(|v| *v == "1").map(|_| on),
            ..Default::default()
        }
    }

    /// The filters as a query string (for the pager and the export).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("state", self.state.clone().unwrap_or_default()),
            ("level", self.level.clone().unwrap_or_default()),
            ("overdue", self.overdue.clone().unwrap_or_default()),
        ]
    }
}

async fn render_list(
    state: &AppState,
    u: &CurrentUser,
    q: &ListQuery,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let on = state.today();
    let f = q.filter(on);
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let page = cx.hazards(&f, req).await?;
    let mut states = vec![Opt::new("", "全部状态", q.state.as_deref())];
    for s in HState::ALL {
        states.push(Opt::new(
            s.key(),
            s.label(Level::General),
            q.state.as_deref(),
        ));
    }
    let levels = vec![
        Opt::new("", "全部级别", q.level.as_deref()),
        Opt::new("general", "一般隐患", q.level.as_deref()),
        Opt::new("major", "重大隐患", q.level.as_deref()),
    ];
    let pairs = q.pairs();
    let pager = crate::pager::Pager::new("/hazards", &pairs, &page);
    let export = format!("/hazards/export.xlsx{}", crate::export::query_of(&pairs));
    let view = ListPage {
        layout: Layout::new(u, state, "hazards"),
        summary: cx.hazard_summary().await?,
        lines: page
            .rows
            .into_iter()
            .map(|l| LineView::new(l, on))
            .collect(),
        states,
        levels,
        overdue: f.overdue_on.is_some(),
        pager,
        export,
        can_report: u.can(Permission::ReportHazards),
        today: format_date(on),
        error,
    };
    Ok(Html(view.render()?))
}

/// `GET /hazards?state=&level=&overdue=1&page=`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    render_list(&state, &u, &q, None).await
}

/// `GET /hazards/export.xlsx?state=&level=&overdue=1`: the whole filtered list (up to
/// [`anbiao_actions::exports::LIST_EXPORT_MAX`] rows) as a workbook: days as dates, the enterprise's
/// credit code as text.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let on = state.today();
    let actor = u.acting("export");
    let lines = state.ctx(&actor).hazards_all(&q.filter(on)).await?;
    let day = crate::export::day_cell;
    let rows: Vec<Vec<XCell>> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let overdue = l.overdue_on(on);
            vec![
                XCell::Number((i + 1) as f64),
                XCell::Text(l.name.clone()),
                XCell::Text(l.level().label().to_string()),
                XCell::Text(l.description.clone()),
                XCell::Text(
                    if l.source == "self" {
                        "企业自查"
                    } else {
                        "监督检查"
                    }
                    .into(),
                ),
                day(&l.found_on),
                day(&l.due),
                XCell::Text(l.state().label(l.level()).to_string()),
                XCell::Text(if overdue { "是" } else { "" }.into()),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "隐患清单",
        "hazards.xlsx",
        &u.user.display_name,
        on,
        &[
            "序号",
            "企业",
            "级别",
            "隐患情况",
            "来源",
            "发现日期",
            "整改期限",
            "状态",
            "逾期",
        ],
        rows,
    )
    .await?)
}

/// `POST /hazards` (multipart): the enterprise reports a hazard its own check found.
pub async fn report(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, HtmlError> {
    let result = async {
        let (fields, files) = read_multipart(multipart).await?;
        let level = fields
            .get("level")
            .and_then(|l| Level::parse(l))
            .ok_or_else(|| AppError::bad("level", "请选择隐患级别"))?;
        let found_on = form_date(fields.get("found_on"), "found_on", "发现日期")?;
        let deadline = match fields
            .get("deadline")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(_) => Some(form_date(fields.get("deadline"), "deadline", "整改期限")?),
        };
        let item = fields
            .get("item")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty());
        let actor = u.acting("form");
        Ok(state
            .ctx(&actor)
            .report_hazard(&Report {
                level,
                item_key: item,
                description: fields.get("description").map(String::as_str).unwrap_or(""),
                found_on,
                deadline,
                photo: files.get("photo").map(Vec::as_slice),
            })
            .await?)
    }
    .await;
    match result {
        Ok(hid) => Ok(redirect(&format!("/hazards/{hid}"), is_htmx(&headers))),
        Err(e) => {
            let q = ListQuery::default();
            show_refusal(
                e,
                |m| async move { render_list(&state, &u, &q, Some(m)).await },
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "hazards/detail.html")]
struct DetailPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    h: Hazard,
    name: String,
    level: &'static str,
    major: bool,
    state: &'static str,
    overdue: bool,
    standard: String,
    item_text: String,
    photos: Vec<Photo>,
    events: Vec<(String, &'static str, HazardEvent)>,
    decisions: Vec<Decision>,
    can_plan: bool,
    can_rectify: bool,
    can_accept: bool,
    can_decide: bool,
    /// Whether the inspection that found it opens for the reader (a page links only then).
    can_read_inspections: bool,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String, i64)>,
    today: String,
    error: Option<String>,
}

fn step_label(step: &str) -> &'static str {
    match step {
        "register" => "登记隐患",
        "plan" => Step::Plan.label(),
        "rectify" => Step::Rectify.label(),
        "accept" => Step::Accept.label(),
        "return" => Step::Return.label(),
        _ => "",
    }
}

/// The violation categories in force on `on`: (key, name, fine limit).
pub fn categories(state: &AppState, on: time::Date) -> Vec<(String, String, i64)> {
    state
        .reference
        .violations
        .in_force(on)
        .map(|s| {
            s.categories
                .iter()
                .map(|c| (c.key.clone(), c.name.clone(), c.fine_max_yuan))
                .collect()
        })
        .unwrap_or_default()
}

pub fn decision_kinds() -> Vec<(&'static str, &'static str)> {
    anbiao_domain::enforcement::Kind::ALL
        .iter()
        .map(|k| (k.key(), k.label()))
        .collect()
}

pub async fn render_detail(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let file = state.ctx(&actor).hazard_file(id).await?;
    let mut h = file.hazard;
    let on = state.today();
    let (level, st) = (h.level(), h.state());
    let standard = h.standard_id.as_deref().and_then(|sid| {
        state
            .reference
            .major_hazards
            .standards
            .iter()
            .find(|s| s.id == sid)
    });
    let item_text = match (standard, h.item_key.as_deref()) {
        (Some(s), Some(k)) => s
            .items
            .iter()
            .find(|i| i.key() == k)
            .map(|i| i.text.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let people = state
        .ctx(&actor)
        .people(
            file.events
                .iter()
                .map(|e| e.actor.as_str())
                .chain(file.photos.iter().map(|p| p.uploaded_by.as_str()))
                .chain([h.created_by.as_str()])
                .chain(h.closed_by.as_deref()),
        )
        .await?;
    h.created_by = people.name(&h.created_by);
    h.closed_by = h.closed_by.as_deref().map(|c| people.name(c));
    let mut photos = file.photos;
    for p in &mut photos {
        p.uploaded_by = people.name(&p.uploaded_by);
    }
    let events = file
        .events
        .into_iter()
        .map(|mut ev| {
            let to = HState::parse(&ev.to_state)
                .map(|s| s.label(level))
                .unwrap_or("");
            ev.actor = people.name(&ev.actor);
            (step_label(&ev.step).to_string(), to, ev)
        })
        .collect();
    let view = DetailPage {
        book: crate::pages::rules::Book::of(state),
        layout: Layout::new(u, state, "hazards"),
        name: file.enterprise,
        level: level.label(),
        major: level == Level::Major,
        state: st.label(level),
        overdue: h.overdue_on(on),
        standard: standard.map(|s| s.title.clone()).unwrap_or_default(),
        item_text,
        photos,
        events,
        decisions: file.decisions,
        can_plan: u.can(Permission::ReportHazards) && level == Level::Major && st == HState::Open,
        can_rectify: u.can(Permission::ReportHazards)
            && matches!(
                (level, st),
                (Level::General, HState::Open) | (Level::Major, HState::Planned)
            ),
        can_accept: u.can(Permission::Inspect) && st == HState::Rectified,
        can_decide: u.can(Permission::Enforce) && st != HState::Closed,
        can_read_inspections: u.can(Permission::ViewInspections),
        kinds: decision_kinds(),
        categories: categories(state, on),
        today: format_date(on),
        h,
        error,
    };
    Ok(Html(view.render()?))
}

/// `GET /hazards/{id}`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    render_detail(&state, &u, id, None).await
}

/// `GET /hazards/{id}/photos/{photo}`
pub async fn photo(
    State(state): State<AppState>,
    u: CurrentUser,
    Path((id, photo)): Path<(i64, i64)>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("page");
    let (ctype, bytes) = state.ctx(&actor).hazard_photo(id, photo).await?;
    Ok(crate::pages::image_response(ctype, bytes))
}

#[derive(Deserialize)]
pub struct PlanForm {
    pub measures: String,
    pub responsible: String,
    pub funds: String,
    pub deadline: String,
    pub contingency: String,
}

/// `POST /hazards/{id}/plan`: a major hazard's plan with the 五定.
pub async fn plan(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<PlanForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let funds = match f.funds.trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| AppError::bad("funds", "整改资金应为整数（元）"))?,
            ),
        };
        let deadline = match f.deadline.trim() {
            "" => None,
            _ => Some(form_date(Some(&f.deadline), "deadline", "完成时限")?),
        };
        let five = FiveFixes {
            measures: f.measures.clone(),
            responsible: f.responsible.clone(),
            funds_yuan: funds,
            deadline,
            contingency: f.contingency.clone(),
        };
        let actor = u.acting("form");
        Ok(state.ctx(&actor).plan_hazard(id, &five).await?)
    }
    .await;
    match result {
        Ok(()) => Ok(redirect(&format!("/hazards/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

/// `POST /hazards/{id}/rectify` (multipart: photo, note): the enterprise reports it done.
pub async fn rectify(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, HtmlError> {
    let result = async {
        let (fields, files) = read_multipart(multipart).await?;
        let note = fields.get("note").map(String::as_str).unwrap_or("");
        let actor = u.acting("form");
        Ok(state
            .ctx(&actor)
            .hazard_step(
                id,
                Step::Rectify,
                note,
                files.get("photo").map(Vec::as_slice),
            )
            .await?)
    }
    .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/hazards/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub note: String,
}

async fn officer_step(
    state: AppState,
    u: CurrentUser,
    headers: HeaderMap,
    id: i64,
    step: Step,
    note: String,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let result = state
        .ctx(&actor)
        .hazard_step(id, step, &note, None)
        .await
        .map_err(AppError::from);
    match result {
        Ok(_) => Ok(redirect(&format!("/hazards/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_detail(&state, &u, id, Some(m))).await,
    }
}

/// `POST /hazards/{id}/accept`: the officer accepts the rectification and writes it off.
pub async fn accept(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<NoteForm>,
) -> Result<Response, HtmlError> {
    officer_step(state, u, headers, id, Step::Accept, f.note).await
}

/// `POST /hazards/{id}/return`: the officer returns it as not done, with the reason.
pub async fn send_back(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<NoteForm>,
) -> Result<Response, HtmlError> {
    officer_step(state, u, headers, id, Step::Return, f.note).await
}

#[derive(Deserialize)]
pub struct StatsQuery {
    pub year: Option<i32>,
    pub page: Option<i64>,
}

/// Enterprises per page of the per-enterprise statistics.
const STATS_PAGE: i64 = 100;

pub struct StatsRow {
    pub label: String,
    pub link: Option<String>,
    pub quarters: [Quarter; 4],
    pub year: Quarter,
}

#[derive(Template)]
#[template(path = "hazards/stats.html")]
struct StatsPage {
    layout: Layout,
    year: i32,
    by_unit: bool,
    rows: Vec<StatsRow>,
    total: StatsRow,
    /// Per enterprise: the page shown, the enterprises counted and whether more pages follow.
    page: i64,
    groups: i64,
    more: bool,
}

/// The year's figures from its quarters: found and closed add up; open and overdue are the
/// fourth quarter's end.
fn year_of(q: &[Quarter; 4]) -> Quarter {
    let mut y = Quarter::default();
    for x in q {
        y.found_general += x.found_general;
        y.found_major += x.found_major;
        y.closed += x.closed;
    }
    y.open_at_end = q[3].open_at_end;
    y.overdue_at_end = q[3].overdue_at_end;
    y
}

/// `GET /hazards/stats?year=`: quarterly and annual figures per unit (the city) or per
/// enterprise (a district, a township, an enterprise).
pub async fn stats(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> Result<Html<String>, HtmlError> {
    let year = q.year.unwrap_or_else(|| state.today().year());
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad("year", "年度应在 2000 至 2100 之间").into());
    }
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let mut rows: Vec<StatsRow> = Vec::new();
    let mut tq: [Quarter; 4] = Default::default();
    let (mut groups_n, mut more) = (0i64, false);
    let actor = u.acting("page");
    let stats = state
        .ctx(&actor)
        .hazard_stats(year, (page - 1) * STATS_PAGE, STATS_PAGE)
        .await?;
    let by_unit = matches!(stats, HazardStats::ByRegion(_));
    match stats {
        HazardStats::ByRegion(groups) => {
            // The city's view per unit; region codes fold into their unit.
            let mut by: std::collections::BTreeMap<String, [Quarter; 4]> = Default::default();
            for (code, qs) in groups {
                let unit = state
                    .reference
                    .regions
                    .get(&code)
                    .map(|r| r.unit.clone())
                    .unwrap_or(code);
                let e = by.entry(unit).or_default();
                for (a, b) in e.iter_mut().zip(qs.iter()) {
                    a.add(b);
                }
            }
            // Units in the administrative order, named as they were in the year.
            let mut by: Vec<_> = by.into_iter().collect();
            let regions = &state.reference.regions;
            by.sort_by_key(|(unit, _)| regions.unit_rank(unit));
            let day = crate::views::day_of_year(year, state.today());
            for (unit, qs) in by {
                for (a, b) in tq.iter_mut().zip(qs.iter()) {
                    a.add(b);
                }
                rows.push(StatsRow {
                    year: year_of(&qs),
                    label: regions.unit_name(&unit, day),
                    link: None,
                    quarters: qs,
                });
            }
        }
        HazardStats::ByEnterprise { page: p, names } => {
            // Per enterprise, a page at a time, most hazards found in the year first.
            groups_n = p.enterprises;
            more = p.more;
            tq = p.total;
            for (id, qs) in p.rows {
                rows.push(StatsRow {
                    year: year_of(&qs),
                    label: names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("企业 #{id}")),
                    link: Some(format!("/enterprises/{id}/standing")),
                    quarters: qs,
                });
            }
        }
    }
    let total = StatsRow {
        label: "合计".into(),
        link: None,
        year: year_of(&tq),
        quarters: tq,
    };
    Ok(Html(
        StatsPage {
            layout: Layout::new(&u, &state, "hazards"),
            year,
            by_unit,
            rows,
            total,
            page,
            groups: groups_n,
            more,
        }
        .render()?,
    ))
}

//! The programme dashboard: the attachment's table with actuals beside targets as of a day,
//! the city's targets, and the enterprises behind every figure.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use anbiao_domain::date::format_date;
use anbiao_domain::programme::{Cell, Metric, Programme, Standing, UnitCounts};
use anbiao_store::programme::{BehindQuery, Side};
use time::Date;

use crate::AppState;
use crate::api::programmes::{as_of, table_on};
use crate::auth::CurrentUser;
use crate::error::{AppError, HtmlError};
use crate::export::percent_encode;
use crate::pages::{Layout, redirect};
use crate::views::region_name;
use anbiao_sheets::XCell;

/// `GET /programmes`: the first loaded programme (the usual case is one).
pub async fn index(State(state): State<AppState>, _u: CurrentUser) -> Result<Response, HtmlError> {
    let p = state
        .reference
        .programmes
        .first()
        .ok_or(AppError::NotFound)?;
    Ok(redirect(
        &format!("/programmes/{}", percent_encode(&p.id)),
        false,
    ))
}

#[derive(Deserialize)]
pub struct AsOf {
    pub as_of: Option<String>,
}

pub struct CellView {
    pub actual: String,
    pub target: String,
    pub class: &'static str,
    pub status: &'static str,
    pub title: String,
    pub counted: String,
    pub need: Option<(String, String)>,
}

pub struct RowView {
    pub label: String,
    pub cells: Vec<CellView>,
}

pub struct CityLine {
    pub label: &'static str,
    /// 约束性目标 or 力争目标.
    pub kind: &'static str,
    /// The plan's words where it gives them (力争突破26家).
    pub words: Option<String>,
    /// The target as the plan states it: "突破 26（不少于 27）" for one to be passed.
    pub target: String,
    /// "（期限日）" when the figure is the one on the passed deadline.
    pub taken: String,
    pub section: String,
    pub by: String,
    pub cell: CellView,
}

#[derive(Template)]
#[template(path = "programmes/dashboard.html")]
struct Dashboard {
    layout: Layout,
    id: String,
    name: String,
    document: String,
    as_of: String,
    phase: String,
    headers: Vec<&'static str>,
    rows: Vec<RowView>,
    total: RowView,
    city: Vec<CityLine>,
    quick: Vec<(String, String)>,
    deadline_note: String,
    overdue: Vec<String>,
    pipeline: Vec<PipelineRow>,
    bulletins: Vec<(i64, String, String, &'static str)>,
    can_bulletin: bool,
}

pub struct PipelineRow {
    pub label: String,
    pub reserve: u64,
    pub coached: u64,
    pub applying: u64,
    pub graded: u64,
    pub target: u64,
    pub short: bool,
}

fn number(m: Metric, v: f64) -> String {
    if m.is_rate() {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}")
    }
}

fn target_text(m: Metric, t: Option<f64>) -> String {
    match t {
        None => "—".into(),
        Some(t) if m.is_rate() => format!("≥{t:.0}%"),
        Some(t) => format!("{t:.0}"),
    }
}

fn behind_link(id: &str, unit: &str, m: Metric, as_of: &str, side: &str) -> String {
    format!(
        "/programmes/{}/behind?unit={}&metric={}&as_of={as_of}&side={side}",
        percent_encode(id),
        percent_encode(unit),
        m.key()
    )
}

fn cell_view(p: &Programme, unit: &str, c: &Cell, as_of: &str) -> CellView {
    cell_view_of(&p.id, unit, c, as_of)
}

/// A figure of programme `id` as a cell shows it, with the links to the enterprises behind it
/// (`unit` empty: the city's, without links).
pub fn cell_view_of(id: &str, unit: &str, c: &Cell, as_of: &str) -> CellView {
    let m = c.metric;
    let actual = c
        .figure
        .value()
        .map(|v| number(m, v))
        .unwrap_or_else(|| "—".into());
    let title = match c.figure.denominator {
        Some(d) => format!("{} ÷ {d}", c.figure.numerator),
        None => format!("{} 家", c.figure.numerator),
    };
    let (class, status) = match c.standing {
        Some(Standing::Met) => ("st-met", "已完成"),
        Some(Standing::Behind) => ("st-behind", "未完成"),
        Some(Standing::Missed) => ("st-missed", "逾期未完成"),
        Some(Standing::NoData) => ("st-none", "无数据"),
        None => ("", ""),
    };
    let need = c.shortfall.filter(|_| !unit.is_empty()).map(|n| {
        let what = match m {
            Metric::GradeOneCount => "一级",
            Metric::GradeTwoCount => "二级",
            _ => "",
        };
        let side = if m.is_rate() { "missing" } else { "counted" };
        (
            format!("还需 {n} 家{what}"),
            behind_link(id, unit, m, as_of, side),
        )
    });
    CellView {
        actual,
        target: target_text(m, c.target),
        class,
        status,
        title,
        counted: if unit.is_empty() {
            String::new()
        } else {
            behind_link(id, unit, m, as_of, "counted")
        },
        need,
    }
}

/// `GET /programmes/{id}?as_of=`
pub async fn dashboard(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Html<String>, HtmlError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, q.as_of.as_deref())?;
    let d = format_date(on);
    let t = table_on(&state, &u, p, on).await?;
    let rows = t
        .rows
        .iter()
        .map(|r| RowView {
            // The unit as it was named on the table's day (海安市 from 2018-02-08).
            label: state.reference.regions.unit_name(&r.unit, on),
            cells: r
                .cells
                .iter()
                .map(|c| cell_view(p, &r.unit, c, &d))
                .collect(),
        })
        .collect();
    let total = RowView {
        label: t.total.label.clone(),
        cells: t
            .total
            .cells
            .iter()
            .map(|c| cell_view(p, "", c, &d))
            .collect(),
    };
    let city = t
        .city
        .iter()
        .zip(&p.city_targets)
        .map(|(c, ct)| CityLine {
            label: c.metric.label(),
            kind: if ct.stretch {
                "力争目标"
            } else {
                "约束性目标"
            },
            words: ct.words.clone(),
            target: if ct.above {
                format!("突破 {}（不少于 {}）", ct.target, ct.threshold())
            } else {
                cell_view(p, "", c, &d).target
            },
            section: ct.section.clone(),
            by: format_date(ct.by),
            taken: if c.taken_on < on {
                format!("（{} 数值）", format_date(c.taken_on))
            } else {
                String::new()
            },
            cell: {
                let mut v = cell_view(p, "", c, &d);
                // A stretch target not reached is not a task overdue.
                if ct.stretch && c.standing == Some(Standing::Missed) {
                    v.status = "未达到力争目标";
                }
                v
            },
        })
        .collect();
    let mut quick = vec![(format_date(p.issued_on), "方案印发".to_string())];
    for ct in &p.city_targets {
        let day = format_date(ct.by);
        if !quick.iter().any(|(q, _)| *q == day) {
            quick.push((day.clone(), format!("{day} 目标")));
        }
    }
    let deadline_note = match &p.unit_by_basis {
        Some(basis) => format!(
            "各地任务表目标以 {} 为期（推定：{basis}，待核对）",
            format_date(p.unit_by)
        ),
        None => format!(
            "各地任务表目标应于 {} 前完成（{}）",
            format_date(p.unit_by),
            p.unit_section
        ),
    };
    let mut overdue = Vec::new();
    for (_, label, cells) in crate::pages::submissions::grid(&state, &u, p, on).await? {
        let n = cells.iter().filter(|(st, _)| st.overdue()).count();
        if n > 0 {
            overdue.push(format!("{label} {n} 项"));
        }
    }
    let lists: Vec<String> = p
        .deadlines
        .iter()
        .filter(|d| d.kind == anbiao_domain::programme::DeadlineKind::List)
        .map(|d| d.key.clone())
        .collect();
    let stages = state
        .ctx(&u.acting("page"))
        .report_pipeline(p, &lists, on)
        .await?;
    let pipeline = p
        .units
        .iter()
        .map(|u| {
            let s = stages.get(&u.unit).cloned().unwrap_or_default();
            let target = [Metric::GradeOneCount, Metric::GradeTwoCount]
                .iter()
                .filter_map(|m| p.unit_target(&u.unit, *m))
                .sum::<f64>() as u64;
            PipelineRow {
                label: state.reference.regions.unit_name(&u.unit, on),
                short: s.graded + s.applying + s.coached + s.reserve < target,
                reserve: s.reserve,
                coached: s.coached,
                applying: s.applying,
                graded: s.graded,
                target,
            }
        })
        .collect();
    let page = Dashboard {
        layout: Layout::new(&u, &state, "programmes"),
        overdue,
        pipeline,
        bulletins: crate::pages::bulletins::of_programme(&state, &u, &p.id).await?,
        can_bulletin: u.can(anbiao_domain::Permission::PublishBulletins),
        id: p.id.clone(),
        name: p.name.clone(),
        document: p.document.clone(),
        as_of: d,
        phase: t.phase.clone().unwrap_or_else(|| "方案期外".into()),
        headers: p.columns.iter().map(|m| m.label()).collect(),
        rows,
        total,
        city,
        quick,
        deadline_note,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
pub struct BehindParams {
    pub unit: Option<String>,
    pub metric: Option<String>,
    pub as_of: Option<String>,
    pub side: Option<String>,
}

pub struct BehindRow {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub region: String,
    pub size: &'static str,
}

#[derive(Template)]
#[template(path = "programmes/behind.html")]
struct BehindPage {
    layout: Layout,
    id: String,
    as_of: String,
    unit_label: String,
    metric_label: &'static str,
    describe: &'static str,
    missing: bool,
    rows: Vec<BehindRow>,
    counted_link: String,
    missing_link: Option<String>,
    limited: bool,
}

const LIST_LIMIT: i64 = 2000;

/// `GET /programmes/{id}/behind?unit=&metric=&as_of=&side=counted|missing`
pub async fn behind(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<BehindParams>,
) -> Result<Response, HtmlError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, q.as_of.as_deref())?;
    let unit = q.unit.as_deref().unwrap_or_default();
    let row = p
        .units
        .iter()
        .find(|r| r.unit == unit)
        .ok_or_else(|| AppError::bad("unit", format!("方案中没有地区“{unit}”")))?;
    let metric_key = q.metric.as_deref().unwrap_or_default();
    let metric = Metric::parse(metric_key)
        .ok_or_else(|| AppError::bad("metric", format!("未知的指标“{metric_key}”")))?;
    let side = match q.side.as_deref() {
        None | Some("counted") => Side::Counted,
        Some("missing") => Side::Missing,
        Some(other) => return Err(AppError::bad("side", format!("未知的名单类型“{other}”")).into()),
    };
    let d = format_date(on);
    let actor = u.acting("page");
    let found = state
        .ctx(&actor)
        .behind(&BehindQuery {
            metric,
            unit,
            on,
            since: p.start,
            side,
            limit: LIST_LIMIT + 1,
        })
        .await?;
    let limited = found.len() as i64 > LIST_LIMIT;
    let rows = found
        .into_iter()
        .take(LIST_LIMIT as usize)
        .map(|e| BehindRow {
            id: e.id,
            name: e.name,
            credit_code: e.credit_code,
            region: region_name(&state.reference, &e.region_code),
            size: match (e.above_scale, e.size_class.as_deref()) {
                (Some(true), Some("small" | "micro")) => "规上·小微",
                (Some(true), _) => "规上",
                (_, Some("small" | "micro")) => "规下·小微",
                _ => "规下",
            },
        })
        .collect();
    let page = BehindPage {
        layout: Layout::new(&u, &state, "programmes"),
        id: p.id.clone(),
        as_of: d.clone(),
        unit_label: row.label.clone(),
        metric_label: metric.label(),
        describe: metric.describe(),
        missing: side == Side::Missing,
        rows,
        counted_link: behind_link(&p.id, unit, metric, &d, "counted"),
        missing_link: metric
            .is_rate()
            .then(|| behind_link(&p.id, unit, metric, &d, "missing")),
        limited,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /programmes/{id}/export?as_of=`: the table as .xlsx in the attachment's layout (each
/// metric's actual, target and status under its heading; the 合计 row last).
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Response, HtmlError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, q.as_of.as_deref())?;
    let d = format_date(on);
    let t = table_on(&state, &u, p, on).await?;
    let groups: Vec<(String, Vec<String>)> = p
        .columns
        .iter()
        .map(|m| {
            (
                m.label().to_string(),
                vec!["实际".to_string(), "目标".to_string(), "状态".to_string()],
            )
        })
        .collect();
    let line = |label: &str, cells: &[Cell]| -> Vec<XCell> {
        let mut out = vec![XCell::Text(label.to_string())];
        for c in cells {
            out.push(match c.figure.value() {
                // Shares as numbers with a percent format, so Excel sorts and sums them.
                Some(v) if c.metric.is_rate() => XCell::Percent(v / 100.0),
                Some(v) => XCell::Number(v),
                None => XCell::Text("—".into()),
            });
            out.push(match c.target {
                Some(v) if c.metric.is_rate() => XCell::Percent(v / 100.0),
                Some(v) => XCell::Number(v),
                None => XCell::Text("—".into()),
            });
            out.push(XCell::Text(
                c.standing
                    .map(|s| s.label().to_string())
                    .unwrap_or_default(),
            ));
        }
        out
    };
    let mut rows: Vec<Vec<XCell>> = t.rows.iter().map(|r| line(&r.label, &r.cells)).collect();
    rows.push(line(&t.total.label, &t.total.cells));
    let title = format!("{}任务分配表完成情况（截至 {d}）", p.name);
    let note = format!(
        "{}。一、二级家数含方案印发前取得且仍在有效期内的企业；比率为实际值，目标为“不少于”；{}。",
        p.document,
        match &p.unit_by_basis {
            Some(b) => format!(
                "各地目标以 {} 为期（推定：{b}，待核对）",
                format_date(p.unit_by)
            ),
            None => format!("各地目标应于 {} 前完成", format_date(p.unit_by)),
        }
    );
    let bytes = anbiao_sheets::write_grouped(&anbiao_sheets::GroupedTable {
        sheet_name: "任务分配表",
        title: &title,
        note: &note,
        first: "地区",
        groups: &groups,
        rows: &rows,
        footer: 1,
    })
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::export::xlsx_download(
        bytes,
        &format!("targets-{d}.xlsx"),
        &format!("样板地区建设任务完成情况-{d}.xlsx"),
    ))
}

#[derive(Template)]
#[template(path = "programmes/charts.html")]
struct ChartsFragment {
    charts: Vec<crate::charts::Chart>,
    first: String,
    last: String,
}

/// Month ends from the programme's start to `on` (the last point is `on` itself).
fn month_ends(start: Date, on: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d < on && out.len() < 120 {
        let last = time::util::days_in_month(d.month(), d.year());
        let end = d.replace_day(last).unwrap_or(d);
        if end >= on {
            break;
        }
        out.push(end);
        d = end.next_day().unwrap_or(end);
    }
    out.push(on);
    out
}

/// `GET /programmes/{id}/charts?as_of=`: monthly city figures since the programme began, as
/// SVG (loaded after the table).
pub async fn charts(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Result<Html<String>, HtmlError> {
    use crate::charts::{Series, line_chart};
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, q.as_of.as_deref())?.min(p.end);
    let days = if on <= p.start {
        vec![on]
    } else {
        month_ends(p.start, on)
    };
    let actor = u.acting("page");
    let city: Vec<UnitCounts> = state
        .ctx(&actor)
        .counts_on_days(p, &days)
        .await?
        .iter()
        .map(|units| {
            let mut c = UnitCounts::default();
            for u in units.values() {
                c.add(u);
            }
            c
        })
        .collect();
    let labels: Vec<String> = days
        .iter()
        .map(|d| format!("{}-{:02}", d.year(), u8::from(d.month())))
        .collect();
    let last_target = |m: Metric| {
        p.city_targets
            .iter()
            .filter(|t| t.metric == m)
            .map(|t| t.target)
            .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.max(t))))
    };
    let series = |m: Metric, name: &str, colour: &'static str, with_target: bool| Series {
        name: name.into(),
        colour,
        values: city.iter().map(|c| m.figure(c).value()).collect(),
        target: if with_target { last_target(m) } else { None },
    };
    let charts = vec![
        line_chart(
            "一级、二级达标企业数（全市）",
            &labels,
            vec![
                series(Metric::GradeTwoCount, "二级", "#1f5fa8", true),
                series(Metric::GradeOneCount, "一级", "#b3261e", true),
            ],
            false,
        ),
        line_chart(
            "达标率与覆盖面（全市）",
            &labels,
            vec![
                series(
                    Metric::AboveScaleCertifiedRate,
                    "规上达标",
                    "#1f5fa8",
                    false,
                ),
                series(
                    Metric::BelowScaleCertifiedRate,
                    "规下达标",
                    "#2e7d32",
                    false,
                ),
                series(Metric::SmallMicroCoverage, "小微覆盖", "#8a5a00", false),
                series(
                    Metric::SmallMicroCertifiedRate,
                    "小微达标",
                    "#6a3d9a",
                    false,
                ),
            ],
            true,
        ),
    ];
    let page = ChartsFragment {
        charts,
        first: labels.first().cloned().unwrap_or_default(),
        last: format_date(on),
    };
    Ok(Html(page.render()?))
}

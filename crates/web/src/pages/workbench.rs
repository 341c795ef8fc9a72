//! The workbench (工作台) at `/`: what waits for the signed-in user, with the links that open
//! the work.

use askama::Template;
use axum::response::Html;

use anbiao_actions::workbench::{Targets, WorkItem};
use anbiao_domain::date::format_date;
use anbiao_domain::number::group_thousands;
use anbiao_store::paging::Total;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::HtmlError;
use crate::pages::Layout;

pub struct ItemView {
    pub area: &'static str,
    pub label: String,
    /// The count in words: 无, 3 件, 超过 10000 件.
    pub count: String,
    pub zero: bool,
    pub link: String,
    pub overdue: bool,
}

impl ItemView {
    fn new(i: WorkItem) -> Self {
        let (count, zero) = match i.count {
            Total::Exact(0) => ("无".to_string(), true),
            Total::Exact(n) => (format!("{} {}", group_thousands(n), i.unit), false),
            Total::MoreThan(n) => (format!("超过 {} {}", group_thousands(n), i.unit), false),
        };
        Self {
            area: i.area,
            label: i.label,
            count,
            zero,
            link: i.link,
            overdue: i.overdue && !zero,
        }
    }
}

/// The programme's figures on the workbench.
pub struct TargetsView {
    pub heading: String,
    pub note: String,
    pub link: String,
    pub lines: Vec<TargetLineView>,
}

pub struct TargetLineView {
    pub label: &'static str,
    pub by: String,
    pub section: String,
    pub cell: crate::pages::programmes::CellView,
}

impl TargetsView {
    fn new(t: Targets) -> Self {
        let as_of = format_date(t.as_of);
        let heading = format!("{}目标完成情况", t.label);
        let note = if t.ended {
            format!(
                "《{}》实施期已于 {as_of} 结束，以下为期末数值。",
                t.programme_name
            )
        } else {
            format!("《{}》截至 {as_of}。", t.programme_name)
        };
        let link = format!(
            "/programmes/{}?as_of={as_of}",
            crate::export::percent_encode(&t.programme_id)
        );
        let unit = t.unit.clone().unwrap_or_default();
        let lines = t
            .lines
            .iter()
            .map(|l| TargetLineView {
                label: l.cell.metric.label(),
                by: format_date(l.cell.by),
                section: l.section.clone(),
                cell: crate::pages::programmes::cell_view_of(
                    &t.programme_id,
                    &unit,
                    &l.cell,
                    &as_of,
                ),
            })
            .collect();
        Self {
            heading,
            note,
            link,
            lines,
        }
    }
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct WorkbenchPage {
    layout: Layout,
    items: Vec<ItemView>,
    /// Whether the programme's figures follow (loaded after the page).
    with_targets: bool,
    today: String,
}

pub async fn page(state: &AppState, u: &CurrentUser) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let items = state
        .ctx(&actor)
        .workbench()
        .await?
        .into_iter()
        .map(ItemView::new)
        .collect();
    Ok(Html(
        WorkbenchPage {
            layout: Layout::new(u, state, "workbench"),
            items,
            with_targets: u.can(anbiao_domain::Permission::ViewProgrammes)
                && matches!(
                    u.scope,
                    anbiao_domain::Scope::City | anbiao_domain::Scope::Region { .. }
                ),
            today: format_date(state.today()),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "workbench_targets.html")]
struct TargetsFragment {
    targets: Option<TargetsView>,
}

/// `GET /workbench/targets`: the programme's figures against its targets for the city or the
/// officer's district, the fragment the workbench loads after itself.
pub async fn targets(
    axum::extract::State(state): axum::extract::State<AppState>,
    u: CurrentUser,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let targets = state
        .ctx(&actor)
        .workbench_targets()
        .await?
        .map(TargetsView::new);
    Ok(Html(TargetsFragment { targets }.render()?))
}

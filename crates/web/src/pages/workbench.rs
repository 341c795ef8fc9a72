//! The workbench (工作台) at `/`: what waits for the signed-in user, with the links that open
//! the work.

use askama::Template;
use axum::response::Html;

use anbiao_actions::workbench::WorkItem;
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

#[derive(Template)]
#[template(path = "workbench.html")]
struct WorkbenchPage {
    layout: Layout,
    items: Vec<ItemView>,
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
            today: anbiao_domain::date::format_date(state.today()),
        }
        .render()?,
    ))
}

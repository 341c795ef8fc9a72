//! The in-app notifications page: reminders and notices from the background jobs, for the
//! enterprise's own users or for the officers whose scope holds the enterprise.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::HtmlError;
use crate::pager::Pager;
use crate::pages::{Layout, redirect};
use crate::views::fmt_unix;
use anbiao_store::paging::PageReq;

/// Which copy of a notification a role reads; none for the administrators, partners and
/// evaluation organisations.
pub struct NoteRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: String,
    pub rule: String,
    pub due_on: String,
    pub created: String,
    pub read: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    rows: Vec<NoteRow>,
    pager: Pager,
    unread: i64,
    unread_only: bool,
    applies: bool,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    unread: String,
    page: Option<String>,
    size: Option<String>,
}

/// `GET /notifications?unread=1&page=&size=`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let unread_only = q.unread == "1";
    let req = PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let (page, unread) = state.ctx(&actor).notifications(unread_only, req).await?;
    let page = page.map(|n| NoteRow {
        id: n.id,
        title: n.title,
        body: n.body,
        link: n.link,
        rule: n.rule.unwrap_or_default(),
        due_on: n.due_on.unwrap_or_default(),
        created: fmt_unix(n.created_at),
        read: match (n.read_at, n.read_by) {
            (Some(t), Some(by)) => format!("{by} 于 {} 已阅", fmt_unix(t)),
            (Some(t), None) => format!("{} 已阅", fmt_unix(t)),
            _ => String::new(),
        },
    });
    let filters = [("unread", if unread_only { "1" } else { "" }.to_string())];
    let pager = Pager::new("/notifications", &filters, &page);
    let page = NotificationsPage {
        book: crate::pages::rules::Book::of(&state),
        layout: Layout::new(&u, &state, "notifications"),
        rows: page.rows,
        pager,
        unread,
        unread_only,
        applies: state.ctx(&u.acting("page")).audience().is_some(),
    };
    Ok(Html(page.render()?))
}

#[derive(serde::Deserialize, Default)]
pub struct ReadForm {
    /// The list's query to come back to.
    back: Option<String>,
}

/// `POST /notifications/{id}/read`
pub async fn mark_read(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<ReadForm>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    state
        .ctx(&actor)
        .mark_notification_read(id, &u.user.display_name)
        .await?;
    let back = form.back;
    let to = crate::pager::back_to("/notifications", back.as_deref(), &["unread"]);
    Ok(redirect(&to, is_htmx(&headers)))
}

/// `GET /notifications/export.xlsx?unread=1`: the whole list as the page filters it, with the
/// rule in words beside its identifier.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let unread_only = q.unread == "1";
    let all = anbiao_actions::exports::whole_list(|req| async move {
        Ok(cx.notifications(unread_only, req).await?.0)
    })
    .await?;
    let book = crate::pages::rules::Book::of(&state);
    let moment = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs).map_or(XCell::Empty, |t| {
            XCell::DateTime(crate::views::china_time(t))
        })
    };
    let rows = all
        .into_iter()
        .map(|n| {
            let rule = n.rule.as_deref().map(|r| book.cite(r));
            vec![
                XCell::Text(n.title),
                XCell::Text(n.body),
                n.due_on
                    .as_deref()
                    .map_or(XCell::Empty, crate::export::day_cell),
                XCell::Text(rule.as_ref().map(|r| r.words.clone()).unwrap_or_default()),
                XCell::Text(rule.map(|r| r.code).unwrap_or_default()),
                moment(n.created_at),
                n.read_at.map_or(XCell::Empty, moment),
                XCell::Text(n.read_by.unwrap_or_default()),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        if unread_only {
            "未读提醒"
        } else {
            "待办提醒"
        },
        "notifications.xlsx",
        &u.user.display_name,
        cx.on,
        &[
            "提醒",
            "内容",
            "期限",
            "依据",
            "依据编号",
            "生成时间",
            "阅读时间",
            "阅读人",
        ],
        rows,
    )
    .await?)
}

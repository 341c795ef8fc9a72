//! The audit administrator's view of the log: search by time, actor, object and action;
//! export to .xlsx. Read-only: nothing here changes or removes an entry.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use time::{Date, Time, UtcOffset};

use anbiao_store::audit_log::{Entry, Filter};

use crate::auth::PageUser;
use crate::error::{AppError, HtmlError};
use crate::pages::Layout;
use crate::views::{action_label, fmt_time};
use crate::{AppState, export};

/// Most entries one export writes.
pub const MAX_EXPORT: i64 = 200_000;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: Option<String>,
    pub object: Option<String>,
    pub action: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

fn china_midnight_us(d: Date) -> i64 {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = d.with_time(Time::MIDNIGHT).assume_offset(offset);
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(0)
}

impl AuditQuery {
    fn filter(&self) -> Result<Filter, AppError> {
        let date = |field: &str, v: &Option<String>| -> Result<Option<Date>, AppError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => anbiao_domain::date::parse_date(s).map(Some).ok_or_else(|| {
                    AppError::bad(field, format!("日期“{s}”无法识别，应为 2026-01-31 的形式"))
                }),
            }
        };
        let from = date("from", &self.from)?;
        let to = date("to", &self.to)?;
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(|s| {
                    anbiao_domain::text::clean(s)
                        .chars()
                        .take(100)
                        .collect::<String>()
                })
                .filter(|s| !s.is_empty())
        };
        Ok(Filter {
            from_us: from.map(china_midnight_us),
            // The end date is inclusive.
            to_us: to.and_then(|d| d.next_day()).map(china_midnight_us),
            actor: text(&self.actor),
            object: text(&self.object),
            action: text(&self.action),
        })
    }

    /// The filters as given (name, value), for the pager's links and the export's.
    fn filters(&self) -> [(&'static str, String); 5] {
        let v = |o: &Option<String>| o.clone().unwrap_or_default();
        [
            ("from", v(&self.from)),
            ("to", v(&self.to)),
            ("actor", v(&self.actor)),
            ("object", v(&self.object)),
            ("action", v(&self.action)),
        ]
    }

    fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("from", &self.from),
            ("to", &self.to),
            ("actor", &self.actor),
            ("object", &self.object),
            ("action", &self.action),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", export::percent_encode(v)));
            }
        }
        parts.join("&")
    }
}

/// An entry's object as people read it: a user by name, anything else by its key.
fn object_words(object: &str, people: &anbiao_actions::people::People) -> String {
    match object.split_once(':') {
        Some(("user", login)) => format!("用户 {}", people.name(login)),
        _ => object.to_string(),
    }
}

pub struct EntryRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    /// The login as recorded (what the search matches).
    pub login: String,
    pub role: &'static str,
    pub region: String,
    pub action: &'static str,
    pub action_key: String,
    /// The object in words (a user by name); its key in the tooltip, as searched.
    pub object: String,
    pub object_key: String,
    pub detail: String,
    pub client: String,
    pub hash: String,
}

impl EntryRow {
    fn new(
        state: &AppState,
        book: &crate::pages::rules::Book,
        e: &Entry,
        people: &anbiao_actions::people::People,
    ) -> Self {
        Self {
            seq: e.seq,
            at: fmt_time(e.at()),
            actor: people.name(&e.actor),
            login: e.actor.clone(),
            role: anbiao_domain::Role::parse(&e.role)
                .map(|r| r.label())
                .unwrap_or(""),
            region: if e.region.is_empty() {
                String::new()
            } else {
                crate::views::region_name(&state.reference, &e.region)
            },
            action: action_label(&e.action),
            action_key: e.action.clone(),
            object: object_words(&e.object, people),
            object_key: e.object.clone(),
            detail: book.in_words(&e.detail),
            client: e.client_addr.clone(),
            hash: e.hash.chars().take(12).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit/search.html")]
struct SearchPage {
    layout: Layout,
    q: AuditQuery,
    rows: Vec<EntryRow>,
    pager: crate::pager::Pager,
    export_href: String,
    head_seq: i64,
    head_hash: String,
    error: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, HtmlError> {
    let (filter, error) = match q.filter() {
        Ok(f) => (f, None),
        Err(e) => (Filter::default(), Some(e.message())),
    };
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let found =
        anbiao_actions::audit_log::search(&state.db, &u.acting("page"), &filter, req).await?;
    let head = found.head;
    let mut logins: Vec<String> = Vec::new();
    for e in &found.page.rows {
        logins.push(e.actor.clone());
        if let Some(user) = e.object.strip_prefix("user:") {
            logins.push(user.to_string());
        }
    }
    let people = state
        .ctx(&u.acting("page"))
        .people(logins.iter().map(String::as_str))
        .await?;
    let book = crate::pages::rules::Book::of(&state);
    let page = found
        .page
        .map(|e| EntryRow::new(&state, &book, &e, &people));
    let pager = crate::pager::Pager::new("/audit", &q.filters(), &page);
    let body = SearchPage {
        layout: Layout::new(&u, &state, "audit"),
        rows: page.rows,
        pager,
        export_href: format!("/audit/export.xlsx?{}", q.query_string()),
        head_seq: head.seq,
        head_hash: head.hash,
        error: error.clone(),
        q,
    }
    .render()?;
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok(axum::response::IntoResponse::into_response((
        status,
        Html(body),
    )))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, HtmlError> {
    let filter = q.filter()?;
    let rows = anbiao_actions::audit_log::export(&state.db, &u.acting("page"), &filter, MAX_EXPORT)
        .await?;
    let d = crate::today();
    let title = format!(
        "审计日志（{}导出于{}，共{}条）",
        u.user.display_name,
        anbiao_domain::date::format_date(d),
        rows.len()
    );
    let bytes = tokio::task::spawn_blocking(move || export::audit_xlsx(&title, &rows))
        .await?
        .map_err(AppError::Internal)?;
    let file = format!("审计日志_{}.xlsx", anbiao_domain::date::format_date(d));
    Ok(export::xlsx_download(bytes, "audit-log.xlsx", &file))
}

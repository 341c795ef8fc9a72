//! The import page: upload a roster, see the row report.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use anbiao_store::import::{ImportOptions, Rejection};

use crate::AppState;
use crate::auth::{PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::Layout;
use crate::services::{self, ImportError};

#[derive(Template)]
#[template(path = "enterprises/import.html")]
struct ImportPage {
    layout: Layout,
    report: Option<Report>,
}

#[derive(Template)]
#[template(path = "enterprises/_import_report.html")]
pub struct Report {
    pub error: Option<String>,
    pub file_name: String,
    pub imported: u64,
    pub updated: u64,
    pub rejected: Vec<Rejection>,
    pub all_or_nothing: bool,
    pub committed: bool,
    pub sheet: String,
    pub header_row: u64,
    pub rows_read: u64,
    pub unknown_columns: String,
}

pub async fn import_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    Ok(Html(
        ImportPage {
            layout: Layout::new(&u, &state, "import"),
            report: None,
        }
        .render()?,
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, HtmlError> {
    let too_big = || AppError::bad("file", "文件过大或上传中断（上限 50 MB）");
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut all_or_nothing = false;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big())? {
        match field.name().unwrap_or("") {
            "file" => {
                let name = field.file_name().unwrap_or("未命名文件").to_string();
                let bytes = field.bytes().await.map_err(|_| too_big())?;
                file = Some((name, bytes.to_vec()));
            }
            "all_or_nothing" => {
                let v = field.text().await.map_err(|_| too_big())?;
                all_or_nothing = matches!(v.as_str(), "on" | "true" | "1");
            }
            _ => {}
        }
    }
    let (file_name, bytes) = file.unwrap_or_else(|| ("（未选择文件）".to_string(), Vec::new()));
    let actor = u.acting(&format!("import:{file_name}"));
    let res = if bytes.is_empty() {
        Err(ImportError::Sheet(anbiao_sheets::SheetError::Empty))
    } else {
        services::import_roster(
            &state.db,
            &state.reference,
            &actor,
            bytes,
            ImportOptions { all_or_nothing },
            state.today(),
            &|_, _| {},
        )
        .await
    };
    let (status, report) = match res {
        Ok(r) => (
            StatusCode::OK,
            Report {
                error: None,
                file_name,
                imported: r.outcome.imported,
                updated: r.outcome.updated,
                committed: r.outcome.committed,
                rejected: r.outcome.rejected,
                all_or_nothing,
                sheet: r.sheet,
                header_row: r.header_row,
                rows_read: r.rows_read,
                unknown_columns: r.unknown_columns.join("、"),
            },
        ),
        Err(ImportError::Sheet(e)) => (
            StatusCode::BAD_REQUEST,
            Report {
                error: Some(e.to_string()),
                file_name,
                imported: 0,
                updated: 0,
                rejected: vec![],
                all_or_nothing,
                committed: false,
                sheet: String::new(),
                header_row: 0,
                rows_read: 0,
                unknown_columns: String::new(),
            },
        ),
        Err(ImportError::Action(e)) => return Err(AppError::from(e).into()),
    };
    if is_htmx(&headers) {
        Ok((status, Html(report.render()?)).into_response())
    } else {
        let page = ImportPage {
            layout: Layout::new(&u, &state, "import"),
            report: Some(report),
        };
        Ok((status, Html(page.render()?)).into_response())
    }
}

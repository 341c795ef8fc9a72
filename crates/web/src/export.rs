//! Downloads: an .xlsx or other file with its name, and the audit log as .xlsx.

use anbiao_sheets::XCell;

use crate::views;

/// A list's export: one sheet titled with who exported it, the day and the count (and that the
/// cap was reached), written off the async threads, offered as `{name}_{day}.xlsx`.
pub async fn list_xlsx(
    name: &str,
    ascii_name: &str,
    by: &str,
    day: time::Date,
    headers: &[&str],
    rows: Vec<Vec<XCell>>,
) -> Result<axum::response::Response, crate::error::AppError> {
    let n = rows.len();
    let day = anbiao_domain::date::format_date(day);
    let title = format!(
        "{name}（{by}导出于{day}，共{n}条{}）",
        if n >= anbiao_actions::exports::LIST_EXPORT_MAX {
            "，已达导出上限，请缩小筛选范围"
        } else {
            ""
        }
    );
    let sheet = name.to_string();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let bytes = tokio::task::spawn_blocking(move || {
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        anbiao_sheets::write_table(&sheet, Some(&title), &headers, &rows).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| crate::error::AppError::Internal(e.to_string()))?
    .map_err(crate::error::AppError::Internal)?;
    Ok(xlsx_download(
        bytes,
        ascii_name,
        &format!("{name}_{day}.xlsx"),
    ))
}

/// A day as a date cell (text when it does not read as one).
pub fn day_cell(s: &str) -> XCell {
    anbiao_domain::date::parse_date(s).map_or_else(|| XCell::Text(s.to_string()), XCell::Date)
}

/// The query string of a list's filters for its export link (`?a=1&b=2`, or nothing).
pub fn query_of(pairs: &[(&str, String)]) -> String {
    let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!(
            "?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    }
}

/// An .xlsx file as a download named `file` (with an ASCII fallback name).
pub fn xlsx_download(bytes: Vec<u8>, ascii_name: &str, file: &str) -> axum::response::Response {
    download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ascii_name,
        file,
    )
}

/// A file download of `content_type` named `file` (with an ASCII fallback name).
pub fn download(
    bytes: Vec<u8>,
    content_type: &'static str,
    ascii_name: &str,
    file: &str,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let disposition = format!(
        "attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{}",
        percent_encode(file)
    );
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        bytes,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub use anbiao_domain::text::percent_encode;

/// Audit entries as .xlsx.
pub fn audit_xlsx(title: &str, rows: &[anbiao_store::audit_log::Entry]) -> Result<Vec<u8>, String> {
    let headers = [
        "序号",
        "时间",
        "操作人",
        "角色",
        "地区",
        "操作",
        "对象",
        "说明",
        "操作前摘要",
        "操作后摘要",
        "客户端地址",
        "本条哈希",
        "前一条哈希",
    ];
    let data: Vec<Vec<XCell>> = rows
        .iter()
        .map(|e| {
            vec![
                XCell::Number(e.seq as f64),
                XCell::DateTime(views::china_time(e.at())),
                XCell::Text(e.actor.clone()),
                XCell::Text(
                    anbiao_domain::Role::parse(&e.role)
                        .map(|r| r.label().to_string())
                        .unwrap_or_default(),
                ),
                XCell::Text(e.region.clone()),
                XCell::Text(views::action_label(&e.action).to_string()),
                XCell::Text(e.object.clone()),
                XCell::Text(e.detail.clone()),
                XCell::Text(e.before_digest.clone().unwrap_or_default()),
                XCell::Text(e.after_digest.clone().unwrap_or_default()),
                XCell::Text(e.client_addr.clone()),
                XCell::Text(e.hash.clone()),
                XCell::Text(e.prev_hash.clone()),
            ]
        })
        .collect();
    anbiao_sheets::write_table("审计日志", Some(title), &headers, &data).map_err(|e| e.to_string())
}

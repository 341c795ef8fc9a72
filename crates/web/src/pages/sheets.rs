//! Scoring sheets (评分细则): the loaded ones, and loading an official sheet from a spreadsheet
//! (the city's job). A sheet is stored once per (id, version).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};

use anbiao_domain::Grade;
use anbiao_domain::standard::{ScoringSheet, shipped};
use anbiao_store::standards;

use crate::AppState;
use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, redirect, show_refusal};

pub struct SheetLine {
    /// The identifier, kept in the tooltip (imports and the API name it).
    pub rule_ref: String,
    pub version: String,
    pub title: String,
    pub grades: String,
    pub effective_from: String,
    pub sample: bool,
    pub loaded: String,
}

#[derive(Template)]
#[template(path = "sheets.html")]
struct SheetsPage {
    layout: Layout,
    rows: Vec<SheetLine>,
    error: Option<String>,
}

/// A scoring sheet as pages name it: its title and version (《…》第 1 版，示例), from its
/// reference (`id@version`, or the id alone for its latest version); the reference itself when
/// no such sheet is loaded.
pub async fn sheet_title(state: &AppState, reference: &str) -> Result<String, AppError> {
    let (id, version) = match reference.split_once('@') {
        Some((id, v)) => (id, v.parse::<i64>().ok()),
        None => (reference, None),
    };
    let sheets = standards::list(&state.db).await?;
    let found = sheets
        .iter()
        .filter(|s| s.id == id && version.is_none_or(|v| v == s.version))
        .max_by_key(|s| s.version);
    Ok(match found {
        Some(s) => format!(
            "《{}》第 {} 版{}",
            s.title.trim_start_matches('《').trim_end_matches('》'),
            s.version,
            if s.sample { "（示例）" } else { "" }
        ),
        None => reference.to_string(),
    })
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let sheets = standards::list(&state.db).await?;
    let people = state
        .ctx(&u.acting("page"))
        .people(sheets.iter().map(|s| s.loaded_by.as_str()))
        .await?;
    let rows = sheets
        .into_iter()
        .map(|s| SheetLine {
            rule_ref: format!("{}@{}", s.id, s.version),
            version: format!("第 {} 版", s.version),
            title: s.title,
            grades: s
                .grades
                .split(',')
                .filter_map(Grade::parse)
                .map(|g| g.label())
                .collect::<Vec<_>>()
                .join("、"),
            effective_from: s.effective_from,
            sample: s.sample,
            loaded: format!(
                "{}（{}）",
                crate::views::fmt_unix(s.loaded_at),
                people.name(&s.loaded_by)
            ),
        })
        .collect();
    Ok(Html(
        SheetsPage {
            layout: Layout::new(u, state, "sheets"),
            rows,
            error,
        }
        .render()?,
    ))
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    render(&state, &u, None).await
}

pub async fn upload(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, HtmlError> {
    let too_big = || AppError::bad("file", "文件过大或上传中断（上限 50 MB）");
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut grades = Vec::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let fname = field.file_name().unwrap_or("未命名文件").to_string();
            file = Some((fname, field.bytes().await.map_err(|_| too_big())?.to_vec()));
        } else {
            let v = field.text().await.map_err(|_| too_big())?;
            if name == "grades" {
                grades.push(v);
            } else {
                fields.insert(name, v);
            }
        }
    }
    let result = async {
        let get =
            |k: &str| anbiao_domain::text::clean(fields.get(k).map(String::as_str).unwrap_or(""));
        let (fname, bytes) = file
            .filter(|(_, b)| !b.is_empty())
            .ok_or_else(|| AppError::bad("file", "请选择评分细则文件（.xlsx、.xls 或 .csv）"))?;
        // Parsing is CPU-bound and bounded by the reader's caps: off the async threads.
        let categories =
            tokio::task::spawn_blocking(move || anbiao_sheets::scoring::read_scoring_sheet(&bytes))
                .await
                .map_err(|_| AppError::bad("file", anbiao_sheets::SheetError::Corrupt.to_string()))?
                .map_err(|e| AppError::bad("file", e.to_string()))?;
        let grades = grades
            .iter()
            .map(|g| {
                Grade::parse(g).ok_or_else(|| AppError::bad("grades", format!("未知的等级“{g}”")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let version = get("version")
            .parse::<u32>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| AppError::bad("version", "版本号应为正整数"))?;
        let industry = Some(get("industry")).filter(|i| !i.is_empty());
        let standard = get("standard");
        let (trees, _) = shipped().map_err(|e| AppError::Internal(e.to_string()))?;
        if !trees.iter().any(|t| t.id == standard) {
            return Err(AppError::bad("standard", format!("标准“{standard}”不存在")));
        }
        let sheet = ScoringSheet {
            id: get("id"),
            version,
            title: get("title"),
            sample: false,
            standard,
            industry,
            grades,
            effective_from: get("effective_from"),
            effective_to: None,
            source: format!("{}（{fname}）", get("source")),
            categories,
        };
        let actor = u.acting("form");
        state.ctx(&actor).save_scoring_sheet(&sheet).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect("/sheets", is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render(&state, &u, Some(m))).await,
    }
}

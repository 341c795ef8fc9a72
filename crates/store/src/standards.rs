//! Scoring sheets as loaded. A sheet is written once per (id, version) and never changed: an
//! assessment refers to the version it was scored on.

use anbiao_domain::date::parse_date;
use anbiao_domain::standard::ScoringSheet;
use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::{with_pool, with_tx};

/// A loaded sheet as listed.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct SheetRow {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub sample: bool,
    pub standard: String,
    pub industry: Option<String>,
    pub grades: String,
    pub effective_from: String,
    pub loaded_at: i64,
    pub loaded_by: String,
}

/// Stores a sheet. The same (id, version) with the same content is a no-op; with different
/// content it is refused: a new content needs a new version.
pub async fn save(db: &Db, actor: &Actor, sheet: &ScoringSheet) -> Result<bool, StoreError> {
    sheet.validate().map_err(StoreError::Invalid)?;
    let body = serde_json::to_string(sheet).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(existing) = get(db, &sheet.id, sheet.version).await? {
        return if &existing == sheet {
            Ok(false)
        } else {
            Err(StoreError::Conflict(format!(
                "评分细则 {} 第 {} 版已存在且内容不同；修改内容请使用新的版本号",
                sheet.id, sheet.version
            )))
        };
    }
    let grades: Vec<&str> = sheet.grades.iter().map(|g| g.key()).collect();
    let from = parse_date(&sheet.effective_from)
        .map(anbiao_domain::date::format_date)
        .ok_or_else(|| StoreError::Invalid("生效日期无法识别".into()))?;
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO scoring_sheet (id, version, title, sample, standard, industry, grades, \
        effective_from, body, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(&sheet.id)
        .bind(i64::from(sheet.version))
        .bind(&sheet.title)
        .bind(sheet.sample)
        .bind(&sheet.standard)
        .bind(&sheet.industry)
        .bind(grades.join(","))
        .bind(&from)
        .bind(&body)
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .bind(&actor.username)
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new("sheet.load", format!("sheet:{}", sheet.rule_ref()))
        .states(None::<&()>, Some(sheet))
        .detail(format!(
            "载入评分细则“{}”，{} 个类目、{} 项，满分 {}",
            sheet.title,
            sheet.categories.len(),
            sheet.items().count(),
            sheet.full()
        ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn get(db: &Db, id: &str, version: u32) -> Result<Option<ScoringSheet>, StoreError> {
    const SQL: &str = "SELECT body FROM scoring_sheet WHERE id = $1 AND version = $2";
    let body: Option<String> = with_pool!(db, |p| sqlx::query_scalar(SQL)
        .bind(id)
        .bind(i64::from(version))
        .fetch_optional(p)
        .await)?;
    body.map(|b| {
        serde_json::from_str(&b).map_err(|e| StoreError::Invalid(format!("评分细则数据损坏：{e}")))
    })
    .transpose()
}

pub async fn list(db: &Db) -> Result<Vec<SheetRow>, StoreError> {
    const SQL: &str = "SELECT id, version, title, sample, standard, industry, grades, effective_from, \
        loaded_at, loaded_by FROM scoring_sheet ORDER BY id, version";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, SheetRow>(SQL)
        .fetch_all(p)
        .await)?)
}

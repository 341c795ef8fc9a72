//! 通报: drafted from a programme's figures, edited, then published on the portal.

use anbiao_domain::date::format_date;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::{Db, StoreError, with_pool, with_tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Bulletin {
    pub id: i64,
    pub programme_id: String,
    pub as_of: String,
    pub title: String,
    pub body: String,
    pub state: String,
    pub created_by: String,
    pub published_by: Option<String>,
    pub published_on: Option<String>,
    pub version: i64,
}

const COLUMNS: &str =
    "id, programme_id, as_of, title, body, state, created_by, published_by, published_on, version";

pub async fn draft(
    db: &Db,
    actor: &Actor,
    programme_id: &str,
    as_of: Date,
    title: &str,
    body: &str,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO bulletin (programme_id, as_of, title, body, state, created_by, created_at) \
        VALUES ($1, $2, $3, $4, 'draft', $5, $6) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(programme_id)
        .bind(format_date(as_of))
        .bind(title)
        .bind(body)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    let ev = Event::new("bulletin.draft", format!("bulletin:{id}"))
        .detail(format!("起草通报“{title}”（截至 {}）", format_date(as_of)));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> Result<Bulletin, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM bulletin WHERE id = $1");
    with_pool!(db, |p| sqlx::query_as::<_, Bulletin>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// Newest first; only the published ones when `published_only`.
pub async fn list(
    db: &Db,
    programme_id: Option<&str>,
    published_only: bool,
) -> Result<Vec<Bulletin>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bulletin WHERE ($1 = '' OR programme_id = $2) {} ORDER BY id DESC LIMIT 200",
        if published_only {
            "AND state = 'published'"
        } else {
            ""
        }
    );
    let p_id = programme_id.unwrap_or("");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Bulletin>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(p_id)
    .bind(p_id)
    .fetch_all(p)
    .await)?)
}

/// An edit of a draft.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub id: i64,
    /// The version the editor read.
    pub version: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub publish: bool,
    pub on: Date,
}

/// Saves an edited draft, and publishes it when `publish`. The edit is conditional on the
/// version read, and a published bulletin cannot change.
pub async fn save(db: &Db, actor: &Actor, e: &Edit<'_>) -> Result<(), StoreError> {
    let Edit {
        id,
        version,
        title,
        body,
        publish,
        on,
    } = *e;
    if title.trim().is_empty() || body.trim().is_empty() {
        return Err(StoreError::Invalid("通报的标题和正文不能为空".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE bulletin SET title = $1, body = $2, version = version + 1, \
        state = CASE WHEN $3 THEN 'published' ELSE state END, \
        published_by = CASE WHEN $4 THEN $5 ELSE published_by END, \
        published_on = CASE WHEN $6 THEN $7 ELSE published_on END \
        WHERE id = $8 AND version = $9 AND state = 'draft'";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(title.trim())
        .bind(body.trim())
        .bind(publish)
        .bind(publish)
        .bind(&actor.username)
        .bind(publish)
        .bind(format_date(on))
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "该通报已发布或已被他人修改，请刷新后重试".into(),
        ));
    }
    let ev = Event::new(
        if publish {
            "bulletin.publish"
        } else {
            "bulletin.edit"
        },
        format!("bulletin:{id}"),
    )
    .detail(format!(
        "{}通报“{}”",
        if publish { "发布" } else { "修改" },
        title.trim()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

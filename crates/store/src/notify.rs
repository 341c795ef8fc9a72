//! In-app notifications: reminders and notices the background jobs produce, addressed to an
//! enterprise's own users or to the officers whose scope holds the enterprise. Each is stored
//! once per (kind, subject, period, audience), however many runs or instances produce it.

use anbiao_domain::Scope;
use serde::Serialize;

use crate::db::now_secs;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, Tx, bind_args, with_pool, with_tx};

/// Who reads a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Audience {
    /// The enterprise's own users.
    Enterprise,
    /// The district, township and city officers whose scope holds the enterprise.
    Officer,
}

impl Audience {
    pub fn key(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::Officer => "officer",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewNotification {
    pub kind: &'static str,
    /// What it is about, e.g. `certificate:12`.
    pub subject: String,
    /// Distinguishes repeats of one kind about one subject (a validity year, an expiry date).
    pub period: String,
    pub audience: Audience,
    pub enterprise_id: i64,
    pub region_code: String,
    pub title: String,
    pub body: String,
    pub link: String,
    /// The rule that made it due, e.g. `grading.2014@v1#renewal`.
    pub rule: Option<String>,
    pub due_on: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub period: String,
    pub audience: String,
    pub enterprise_id: i64,
    pub region_code: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub rule: Option<String>,
    pub due_on: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub read_by: Option<String>,
}

const COLUMNS: &str = "id, kind, subject, period, audience, enterprise_id, region_code, title, body, \
    link, rule, due_on, created_at, read_at, read_by";

/// Stores `n` unless the same notification exists; true when it was new.
pub async fn deliver_tx(tx: &mut Tx, n: &NewNotification) -> Result<bool, StoreError> {
    const SQL: &str = "INSERT INTO notification (kind, subject, period, audience, enterprise_id, \
        region_code, title, body, link, rule, due_on, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
        ON CONFLICT (kind, subject, period, audience) DO NOTHING";
    let n_rows = with_tx!(tx, |c| sqlx::query(SQL)
        .bind(n.kind)
        .bind(&n.subject)
        .bind(&n.period)
        .bind(n.audience.key())
        .bind(n.enterprise_id)
        .bind(&n.region_code)
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.link)
        .bind(&n.rule)
        .bind(&n.due_on)
        .bind(now_secs())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n_rows == 1)
}

/// Rows per statement of [`deliver_many_tx`] (twelve values each).
const DELIVER_CHUNK: usize = 200;

/// Stores each of `all` unless the same notification exists, in a few statements; the number
/// that were new.
pub async fn deliver_many_tx(tx: &mut Tx, all: &[NewNotification]) -> Result<usize, StoreError> {
    let now = now_secs();
    let mut stored = 0;
    for chunk in all.chunks(DELIVER_CHUNK) {
        let mut b = SqlBuf::new(
            "INSERT INTO notification (kind, subject, period, audience, enterprise_id, \
             region_code, title, body, link, rule, due_on, created_at) VALUES ",
        );
        for (i, n) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(n.kind.to_string()),
                Arg::Text(n.subject.clone()),
                Arg::Text(n.period.clone()),
                Arg::Text(n.audience.key().to_string()),
                Arg::Int(n.enterprise_id),
                Arg::Text(n.region_code.clone()),
                Arg::Text(n.title.clone()),
                Arg::Text(n.body.clone()),
                Arg::Text(n.link.clone()),
                Arg::OptText(n.rule.clone()),
                Arg::OptText(n.due_on.clone()),
                Arg::Int(now),
            ]);
        }
        b.push(" ON CONFLICT (kind, subject, period, audience) DO NOTHING");
        let sql = b.render(tx.backend());
        stored += with_tx!(tx, |c| bind_args!(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .execute(c)
        .await
        .map(|r| r.rows_affected()))? as usize;
    }
    Ok(stored)
}

/// [`deliver_many_tx`] in a transaction of its own.
pub async fn deliver_many(db: &Db, all: &[NewNotification]) -> Result<usize, StoreError> {
    if all.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let n = deliver_many_tx(&mut tx, all).await?;
    tx.commit().await?;
    Ok(n)
}

fn filtered(select: &str, scope: &Scope, audience: Audience) -> SqlBuf {
    where_visible(SqlBuf::new(select), scope, audience)
}

/// Appends the WHERE clause that keeps what `audience` within `scope` may see.
fn where_visible(mut b: SqlBuf, scope: &Scope, audience: Audience) -> SqlBuf {
    b.push(" WHERE audience = ");
    b.bind(Arg::Text(audience.key().into()));
    crate::enterprise::push_scope_by_enterprise(&mut b, scope, "enterprise_id", "region_code");
    b
}

/// The newest notifications for `audience` within `scope`, unread first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    audience: Audience,
    limit: i64,
) -> Result<Vec<Notification>, StoreError> {
    let mut b = filtered(
        &format!("SELECT {COLUMNS} FROM notification"),
        scope,
        audience,
    );
    b.push(
        " ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT ",
    );
    b.bind(Arg::Int(limit.clamp(1, 500)));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Notification>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// One page of the notifications for `audience` within `scope`, unread first, newest first;
/// only the unread when `unread_only`.
pub async fn page(
    db: &Db,
    scope: &Scope,
    audience: Audience,
    unread_only: bool,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Notification>, StoreError> {
    let mut b = filtered(
        &format!("SELECT {COLUMNS} FROM notification"),
        scope,
        audience,
    );
    if unread_only {
        b.push(" AND read_at IS NULL");
    }
    crate::paging::fetch(
        db,
        &b,
        "CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC",
        req,
    )
    .await
}

/// How many are unread.
pub async fn unread(db: &Db, scope: &Scope, audience: Audience) -> Result<i64, StoreError> {
    let mut b = filtered("SELECT COUNT(*) FROM notification", scope, audience);
    b.push(" AND read_at IS NULL");
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_one(p)
    .await)?)
}

/// How many unread within the scope, counted up to the cap of a list (the workbench's figure).
pub async fn unread_capped(
    db: &Db,
    scope: &Scope,
    audience: Audience,
) -> Result<crate::paging::Total, StoreError> {
    let mut b = filtered("SELECT id FROM notification", scope, audience);
    b.push(" AND read_at IS NULL");
    crate::paging::count(db, &b).await
}

/// Marks one read (for everyone in its audience); NotFound outside the scope.
pub async fn mark_read(
    db: &Db,
    scope: &Scope,
    audience: Audience,
    id: i64,
    by: &str,
) -> Result<(), StoreError> {
    let mut set = SqlBuf::new("UPDATE notification SET read_at = ");
    set.bind(Arg::Int(now_secs()));
    set.push(", read_by = ");
    set.bind(Arg::Text(by.into()));
    let mut b = where_visible(set, scope, audience);
    b.push(" AND id = ");
    b.bind(Arg::Int(id));
    b.push(" AND read_at IS NULL");
    let sql = b.render(db.backend());
    let changed = with_pool!(db, |p| bind_args!(
        sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if changed == 0 {
        // Either already read or not visible: tell them apart so a forged id gets NotFound.
        let mut check = filtered("SELECT COUNT(*) FROM notification", scope, audience);
        check.push(" AND id = ");
        check.bind(Arg::Int(id));
        let sql = check.render(db.backend());
        let n: i64 = with_pool!(db, |p| bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
            &check.args
        )
        .fetch_one(p)
        .await)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

//! Server-side sessions. The cookie carries a random id; the table stores only its SHA-256, so
//! someone who reads the database cannot take over a session.

use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::db::Db;
use crate::error::StoreError;
use crate::with_pool;

#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// 32 random bytes as hex.
pub fn random_token() -> Result<String, StoreError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|_| StoreError::Password)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// SHA-256 of a session id, hex, for storage.
pub fn id_hash(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

use crate::db::now_secs as now;

/// Starts a session for a user; returns (cookie id, csrf token).
pub async fn create(db: &Db, user_id: i64, ttl_secs: i64) -> Result<(String, String), StoreError> {
    let id = random_token()?;
    let csrf = random_token()?;
    let t = now();
    const SQL: &str = "INSERT INTO user_session (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
        VALUES ($1, $2, $3, $4, $4, $5)";
    with_pool!(db, |p| sqlx::query(SQL)
        .bind(id_hash(&id))
        .bind(user_id)
        .bind(&csrf)
        .bind(t)
        .bind(t + ttl_secs)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok((id, csrf))
}

/// Loads a live session and extends it (sliding expiry, `ttl_secs` idle), but never past
/// `max_secs` after it began: a session ends at its absolute lifetime however busy it is.
pub async fn touch(
    db: &Db,
    id: &str,
    ttl_secs: i64,
    max_secs: i64,
) -> Result<Option<Session>, StoreError> {
    let t = now();
    let h = id_hash(id);
    const SQL: &str = "UPDATE user_session SET last_seen_at = $2, expires_at = $3 \
        WHERE id_hash = $1 AND expires_at > $2 AND created_at > $4 \
        RETURNING user_id, csrf_token, expires_at";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Session>(SQL)
        .bind(&h)
        .bind(t)
        .bind(t + ttl_secs)
        .bind(t - max_secs)
        .fetch_optional(p)
        .await)?)
}

/// Ends a session.
pub async fn delete(db: &Db, id: &str) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM user_session WHERE id_hash = $1";
    with_pool!(db, |p| sqlx::query(SQL)
        .bind(id_hash(id))
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Removes expired sessions.
pub async fn purge_expired(db: &Db) -> Result<u64, StoreError> {
    const SQL: &str = "DELETE FROM user_session WHERE expires_at <= $1";
    Ok(with_pool!(db, |p| sqlx::query(SQL)
        .bind(now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
}

/// Signs out: ends the session and audits it.
pub async fn end(db: &Db, actor: &crate::audit_log::Actor, id: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "DELETE FROM user_session WHERE id_hash = $1";
    crate::with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(id_hash(id))
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = crate::audit_log::Event::new("signout", format!("user:{}", actor.username));
    crate::audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

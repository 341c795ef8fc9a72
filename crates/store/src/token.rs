//! API tokens. The secret is shown once at issue; the table keeps only its SHA-256. A token
//! carries at most its owner's permissions: `read` tokens only the read-only ones, and a list
//! of permissions narrows it further (a partner agency's data scope). A region narrows the
//! owner's scope. Revocation takes effect at the next request.

use anbiao_domain::Permission;
use serde::Serialize;
use sqlx::FromRow;

use crate::account::{self, User};
use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::session::{id_hash, random_token};
use crate::{with_pool, with_tx};

/// What prefixes every secret, so a leaked one is easy to recognise in logs and scanners.
pub const SECRET_PREFIX: &str = "abt_";
/// The longest life a token may be given.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Token {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart in lists.
    pub prefix: String,
    /// `read` or `write`.
    pub access: String,
    /// Comma-separated permission keys; empty means all of the owner's.
    pub permissions: String,
    pub region_code: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub created_by: String,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub last_used_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, name, prefix, access, permissions, region_code, expires_at, created_at, \
    created_by, revoked_at, revoked_by, last_used_at";

impl Token {
    pub fn is_read_only(&self) -> bool {
        self.access == "read"
    }

    /// The permissions the token lists (empty: no narrowing beyond `access`).
    pub fn listed(&self) -> Vec<Permission> {
        self.permissions
            .split(',')
            .filter_map(|k| Permission::parse(k.trim()))
            .collect()
    }

    /// Whether the token lets its owner use the permission (the owner's role must grant it too).
    pub fn allows(&self, p: Permission) -> bool {
        if self.is_read_only() && !p.is_read_only() {
            return false;
        }
        let listed = self.listed();
        listed.is_empty() || listed.contains(&p)
    }

    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: i64,
    pub name: String,
    pub read_only: bool,
    pub permissions: Vec<Permission>,
    pub region_code: Option<String>,
    pub days: i64,
}

use crate::db::now_secs as now;

/// Issues a token; returns its id and the secret, which is not stored and cannot be shown again.
pub async fn issue(db: &Db, actor: &Actor, t: &NewToken) -> Result<(i64, String), StoreError> {
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "令牌名称不能为空，且不超过60个字符".into(),
        ));
    }
    if !(1..=MAX_DAYS).contains(&t.days) {
        return Err(StoreError::Invalid(format!(
            "有效期应为 1 至 {MAX_DAYS} 天"
        )));
    }
    let owner = account::by_id(db, t.user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| StoreError::Invalid("令牌持有账户不存在或已停用".into()))?;
    let role = owner
        .role()
        .ok_or_else(|| StoreError::Invalid("账户角色无效".into()))?;
    if let Some(p) = t.permissions.iter().find(|p| !role.allows(**p)) {
        return Err(StoreError::Invalid(format!(
            "令牌权限不能超出账户本身的权限：{}",
            p.label()
        )));
    }
    if t.read_only
        && let Some(p) = t.permissions.iter().find(|p| !p.is_read_only())
    {
        return Err(StoreError::Invalid(format!(
            "只读令牌不能包含“{}”",
            p.label()
        )));
    }
    if let Some(code) = &t.region_code {
        crate::account::check_region(db, Some(code)).await?;
        let scope_ok = match owner.region_code.as_deref() {
            None => true,
            Some(own) => own == code,
        };
        if !scope_ok {
            return Err(StoreError::Invalid("令牌的地区须在账户的管辖范围内".into()));
        }
    }
    let secret = format!("{SECRET_PREFIX}{}", random_token()?);
    let prefix: String = secret.chars().take(SECRET_PREFIX.len() + 6).collect();
    let created = now();
    let keys: Vec<&str> = t.permissions.iter().map(|p| p.key()).collect();
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO api_token (user_id, name, token_hash, prefix, access, permissions, region_code, \
        expires_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(t.user_id)
        .bind(name)
        .bind(id_hash(&secret))
        .bind(&prefix)
        .bind(if t.read_only { "read" } else { "write" })
        .bind(keys.join(","))
        .bind(&t.region_code)
        .bind(created + t.days * 86_400)
        .bind(created)
        .bind(&actor.username)
        .fetch_one(c)
        .await)?;
    let ev = Event::new("token.issue", format!("token:{id}")).detail(format!(
        "为 {} 签发{}令牌“{name}”，{} 天有效{}",
        owner.username,
        if t.read_only { "只读" } else { "读写" },
        t.days,
        t.region_code
            .as_deref()
            .map(|r| format!("，地区 {r}"))
            .unwrap_or_default()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok((id, secret))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Token>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM api_token WHERE id = $1");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Token>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(p)
    .await)?)
}

/// Tokens of one user, or all tokens; newest first.
pub async fn list(db: &Db, user_id: Option<i64>) -> Result<Vec<Token>, StoreError> {
    let sql = match user_id {
        Some(_) => format!("SELECT {COLUMNS} FROM api_token WHERE user_id = $1 ORDER BY id DESC"),
        None => format!("SELECT {COLUMNS} FROM api_token WHERE $1 = $1 ORDER BY id DESC"),
    };
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Token>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(user_id.unwrap_or(0))
    .fetch_all(p)
    .await)?)
}

/// Revokes every live token of a user, in the transaction that changes the account (a new
/// password, a reset, a disabled account, a new role): a token must not outlive the
/// credentials or the role it was issued under. Returns how many were revoked.
pub(crate) async fn revoke_all_tx(
    tx: &mut crate::db::Tx,
    user_id: i64,
    by: &str,
) -> Result<u64, StoreError> {
    const SQL: &str = "UPDATE api_token SET revoked_at = $2, revoked_by = $3 WHERE user_id = $1 AND revoked_at IS NULL";
    Ok(with_tx!(tx, |c| sqlx::query(SQL)
        .bind(user_id)
        .bind(now())
        .bind(by)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

/// Revokes a token at once. `owner`, when given, must own it (personal tokens).
pub async fn revoke(db: &Db, actor: &Actor, id: i64, owner: Option<i64>) -> Result<(), StoreError> {
    let t = by_id(db, id)
        .await?
        .filter(|t| owner.is_none_or(|o| o == t.user_id))
        .ok_or(StoreError::NotFound)?;
    if t.revoked_at.is_some() {
        return Err(StoreError::Conflict("该令牌已被吊销".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE api_token SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(now())
        .bind(&actor.username)
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev =
        Event::new("token.revoke", format!("token:{id}")).detail(format!("吊销令牌“{}”", t.name));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// What a presented secret turned out to be.
#[derive(Debug, Clone)]
pub enum Presented {
    Valid(Box<Token>, Box<User>),
    Expired(Token),
    Revoked(Token),
    /// Unknown secret, or its owner is disabled.
    Unknown,
}

/// Looks a presented secret up (by its hash).
pub async fn check(db: &Db, secret: &str) -> Result<Presented, StoreError> {
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
        return Ok(Presented::Unknown);
    }
    let sql = format!("SELECT {COLUMNS} FROM api_token WHERE token_hash = $1");
    let t: Option<Token> = with_pool!(db, |p| sqlx::query_as::<_, Token>(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id_hash(secret))
    .fetch_optional(p)
    .await)?;
    let Some(t) = t else {
        return Ok(Presented::Unknown);
    };
    if t.revoked_at.is_some() {
        return Ok(Presented::Revoked(t));
    }
    if t.expires_at <= now() {
        return Ok(Presented::Expired(t));
    }
    match account::by_id(db, t.user_id).await? {
        Some(u) if u.active => Ok(Presented::Valid(Box::new(t), Box::new(u))),
        _ => Ok(Presented::Unknown),
    }
}

/// Records one use of a token: the audit entry and the last-used time, together.
pub async fn record_use(
    db: &Db,
    actor: &Actor,
    t: &Token,
    action: &str,
    request: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE api_token SET last_used_at = $2 WHERE id = $1";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(t.id)
        .bind(now())
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new(action, format!("token:{}", t.id)).detail(format!("{request} {detail}"));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

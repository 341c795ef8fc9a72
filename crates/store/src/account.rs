//! Users: accounts with a role and an assignment, argon2id password hashes.

use anbiao_domain::Role;
use anbiao_domain::account::RegionRequirement;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::Db;
use crate::error::StoreError;
use crate::with_pool;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub region_code: Option<String>,
    pub township: Option<String>,
    pub enterprise_id: Option<i64>,
    pub active: bool,
    pub must_change_password: bool,
}

impl User {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

const COLUMNS: &str = "id, username, display_name, password_hash, role, region_code, township, enterprise_id, \
    active, must_change_password";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub township: Option<String>,
    pub enterprise_id: Option<i64>,
}

/// Hashes a password with argon2id and a random salt (CPU-heavy: call off the async threads).
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|_| StoreError::Password)?;
    Ok(hash.to_string())
}

/// Checks a password against a stored hash. A malformed hash never verifies.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password hash that never verifies, compared against when the user does not exist so that
/// a wrong username costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J9OFXUiDxm2ZE9+0+Ok9D2tLx8fjXuYbWd/Ybx2R9bU"
}

fn validate(u: &NewUser) -> Result<(), StoreError> {
    let name_ok = !u.username.is_empty()
        && u.username.len() <= 50
        && u.username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok {
        return Err(StoreError::Invalid(
            "用户名只能包含字母、数字和 . _ -，且不超过50个字符".into(),
        ));
    }
    if u.password.chars().count() < 8 {
        return Err(StoreError::Invalid("密码至少8位".into()));
    }
    match (u.role.region_requirement(), &u.region_code) {
        (RegionRequirement::Required, None) => {
            return Err(StoreError::Invalid(format!(
                "{}必须指定所属地区",
                u.role.label()
            )));
        }
        (RegionRequirement::None, Some(_)) => {
            return Err(StoreError::Invalid(format!(
                "{}不应指定地区",
                u.role.label()
            )));
        }
        _ => {}
    }
    if u.role == Role::TownshipOfficer && u.township.is_none() {
        return Err(StoreError::Invalid(
            "乡镇（街道）监管人员必须指定乡镇（街道）".into(),
        ));
    }
    if u.role == Role::EnterpriseManager && u.enterprise_id.is_none() {
        return Err(StoreError::Invalid("企业安全管理人员必须关联企业".into()));
    }
    Ok(())
}

/// Creates a user; the password is hashed here.
pub async fn create(db: &Db, u: &NewUser) -> Result<i64, StoreError> {
    validate(u)?;
    if let Some(code) = &u.region_code {
        const SQL: &str = "SELECT COUNT(*) FROM region WHERE code = $1";
        let n: i64 = with_pool!(db, |p| sqlx::query_scalar(SQL)
            .bind(code)
            .fetch_one(p)
            .await)?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("地区代码 {code} 不存在")));
        }
    }
    let pw = u.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|_| StoreError::Password)??;
    const SQL: &str = "INSERT INTO app_user (username, display_name, password_hash, role, region_code, township, \
        enterprise_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    let res = with_pool!(db, |p| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&hash)
        .bind(u.role.as_str())
        .bind(&u.region_code)
        .bind(&u.township)
        .bind(u.enterprise_id)
        .bind(OffsetDateTime::now_utc())
        .fetch_one(p)
        .await);
    match res {
        Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "用户名 {} 已存在",
            u.username
        ))),
        other => Ok(other?),
    }
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM app_user WHERE username = $1");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, User>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(username)
    .fetch_optional(p)
    .await)?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM app_user WHERE id = $1");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, User>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(p)
    .await)?)
}

/// Checks a username and password; `None` for an unknown user, a wrong password or an
/// inactive account (the caller answers the same for all three).
pub async fn authenticate(
    db: &Db,
    username: &str,
    password: &str,
) -> Result<Option<User>, StoreError> {
    let user = by_username(db, username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .map_err(|_| StoreError::Password)?;
    Ok(user.filter(|u| ok && u.active))
}

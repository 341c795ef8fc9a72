//! Users: accounts with a role and an assignment, argon2id password hashes.

use anbiao_domain::account::RegionRequirement;
use anbiao_domain::{Role, SignInPolicy};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::{with_pool, with_tx};

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
    /// The evaluation organisation of an evaluation-organisation or evaluator account.
    pub org_id: Option<i64>,
    pub active: bool,
    pub must_change_password: bool,
    pub failed_logins: i32,
    /// Unix seconds until which sign-in is refused.
    pub locked_until: Option<i64>,
}

/// What the audit log records of an account (never the password hash).
#[derive(Serialize)]
struct AccountState<'a> {
    username: &'a str,
    display_name: &'a str,
    role: &'a str,
    region_code: Option<&'a str>,
    township: Option<&'a str>,
    enterprise_id: Option<i64>,
    active: bool,
}

impl User {
    fn state(&self) -> AccountState<'_> {
        AccountState {
            username: &self.username,
            display_name: &self.display_name,
            role: &self.role,
            region_code: self.region_code.as_deref(),
            township: self.township.as_deref(),
            enterprise_id: self.enterprise_id,
            active: self.active,
        }
    }

    /// The audit actor for this user acting from `client` through `source`.
    pub fn actor(&self, client: &str, source: &str) -> Actor {
        Actor {
            user_id: Some(self.id),
            username: self.username.clone(),
            role: self.role.clone(),
            region: self.region_code.clone().unwrap_or_default(),
            client: client.to_string(),
            source: source.to_string(),
        }
    }

    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

const COLUMNS: &str = "id, username, display_name, password_hash, role, region_code, township, enterprise_id, \
    org_id, active, must_change_password, failed_logins, locked_until";

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub region_code: Option<String>,
    pub township: Option<String>,
    pub enterprise_id: Option<i64>,
    /// An initial password set by someone else: the user must change it at first sign-in.
    pub must_change_password: bool,
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

fn validate(u: &NewUser, policy: &SignInPolicy) -> Result<(), StoreError> {
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
    policy
        .check_password(&u.password, &u.username)
        .map_err(StoreError::Invalid)?;
    if u.display_name.trim().is_empty()
        || u.display_name.chars().count() > 50
        || u.display_name.chars().any(char::is_control)
    {
        return Err(StoreError::Invalid("姓名不能为空，且不超过50个字符".into()));
    }
    check_assignment(
        u.role,
        u.region_code.as_deref(),
        u.township.as_deref(),
        u.enterprise_id,
    )
}

/// Whether a role's assignment (region, township, enterprise) is complete and allowed.
fn check_assignment(
    role: Role,
    region_code: Option<&str>,
    township: Option<&str>,
    enterprise_id: Option<i64>,
) -> Result<(), StoreError> {
    let u = (role, region_code, township, enterprise_id);
    match (u.0.region_requirement(), u.1) {
        (RegionRequirement::Required, None) => {
            return Err(StoreError::Invalid(format!(
                "{}必须指定所属地区",
                role.label()
            )));
        }
        (RegionRequirement::None, Some(_)) => {
            return Err(StoreError::Invalid(format!("{}不应指定地区", role.label())));
        }
        _ => {}
    }
    if role == Role::TownshipOfficer && township.is_none() {
        return Err(StoreError::Invalid(
            "乡镇（街道）监管人员必须指定乡镇（街道）".into(),
        ));
    }
    if role == Role::EnterpriseManager && enterprise_id.is_none() {
        return Err(StoreError::Invalid("企业安全管理人员必须关联企业".into()));
    }
    Ok(())
}

pub(crate) async fn check_region(db: &Db, code: Option<&str>) -> Result<(), StoreError> {
    if let Some(code) = code {
        const SQL: &str = "SELECT COUNT(*) FROM region WHERE code = $1";
        let n: i64 = with_pool!(db, |p| sqlx::query_scalar(SQL)
            .bind(code)
            .fetch_one(p)
            .await)?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("地区代码 {code} 不存在")));
        }
    }
    Ok(())
}

async fn hash_off_thread(password: &str) -> Result<String, StoreError> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|_| StoreError::Password)?
}

async fn verify_off_thread(password: &str, hash: &str) -> Result<bool, StoreError> {
    let (pw, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
        .await
        .map_err(|_| StoreError::Password)
}

use crate::db::now_secs as now;

/// Creates a user; the password is hashed here. The creation is audited.
pub async fn create(
    db: &Db,
    actor: &Actor,
    u: &NewUser,
    policy: &SignInPolicy,
) -> Result<i64, StoreError> {
    validate(u, policy)?;
    check_region(db, u.region_code.as_deref()).await?;
    let hash = hash_off_thread(&u.password).await?;
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO app_user (username, display_name, password_hash, role, region_code, township, \
        enterprise_id, must_change_password, password_changed_at, created_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let res = with_tx!(&mut tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&u.username)
        .bind(u.display_name.trim())
        .bind(&hash)
        .bind(u.role.as_str())
        .bind(&u.region_code)
        .bind(&u.township)
        .bind(u.enterprise_id)
        .bind(u.must_change_password)
        .bind(now())
        .bind(OffsetDateTime::now_utc())
        .fetch_one(c)
        .await);
    let id = match res {
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "用户名 {} 已存在",
                u.username
            )));
        }
        other => other?,
    };
    let state = AccountState {
        username: &u.username,
        display_name: &u.display_name,
        role: u.role.as_str(),
        region_code: u.region_code.as_deref(),
        township: u.township.as_deref(),
        enterprise_id: u.enterprise_id,
        active: true,
    };
    let ev = Event::new("user.create", format!("user:{}", u.username))
        .states(None::<&()>, Some(&state))
        .detail(format!("新建账户 {}（{}）", u.username, u.role.label()));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
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

/// The outcome of a sign-in attempt.
#[derive(Debug, Clone)]
pub enum SignIn {
    Ok(User),
    /// Unknown user, wrong password or disabled account: the caller answers the same.
    Failed,
    /// Locked until this Unix time (now, or by earlier failures).
    Locked {
        until: i64,
    },
}

/// Claims one password check for an account that is not locked: the failure count goes up
/// before the password is checked, in one statement, so parallel guesses cannot all pass the
/// limit (a success sets it back to 0). `None` when the account is locked.
async fn claim_attempt(db: &Db, user_id: i64, t: i64) -> Result<Option<i32>, StoreError> {
    const SQL: &str = "UPDATE app_user SET failed_logins = failed_logins + 1 \
        WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_logins";
    Ok(with_pool!(db, |p| sqlx::query_scalar(SQL)
        .bind(user_id)
        .bind(t)
        .fetch_optional(p)
        .await)?)
}

/// Locks an account until `until` and sets its count back, in a transaction.
async fn lock_tx(tx: &mut crate::db::Tx, user_id: i64, until: i64) -> Result<(), StoreError> {
    const LOCK: &str = "UPDATE app_user SET failed_logins = 0, locked_until = $2 WHERE id = $1";
    with_tx!(tx, |c| sqlx::query(LOCK)
        .bind(user_id)
        .bind(until)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Checks a username and password under the lock-out policy, and audits the attempt. Every
/// path (unknown name, locked account, wrong password) checks one password hash, so none
/// answers faster than the others. The attempt is counted before the check (see
/// [`claim_attempt`]); the `max_failures`-th failure in a row locks the account for
/// `lock_minutes`, and attempts counted past it while the lock lands are refused unchecked.
pub async fn sign_in(
    db: &Db,
    username: &str,
    password: &str,
    policy: &SignInPolicy,
    client: &str,
    source: &str,
) -> Result<SignIn, StoreError> {
    let user = by_username(db, username).await?;
    let t = now();
    let Some(user) = user else {
        // Same cost as a wrong password, so a probe cannot tell which names exist.
        verify_off_thread(password, dummy_hash()).await?;
        let actor = Actor {
            username: username.chars().take(50).collect(),
            client: client.to_string(),
            source: source.to_string(),
            ..Actor::default()
        };
        let ev = Event::new("signin.failed", format!("user:{}", actor.username))
            .detail("登录失败：用户不存在");
        audit_log::append(db, &actor, &ev).await?;
        return Ok(SignIn::Failed);
    };
    let actor = user.actor(client, source);
    let object = format!("user:{}", user.username);
    let claimed = claim_attempt(db, user.id, t).await?;
    let n = match claimed {
        Some(n) if n <= policy.max_failures => n,
        Some(n) => {
            // Counted past the limit by parallel attempts: lock without checking.
            verify_off_thread(password, dummy_hash()).await?;
            let until = t + policy.lock_minutes * 60;
            let mut tx = db.begin().await?;
            lock_tx(&mut tx, user.id, until).await?;
            let ev = Event::new("account.locked", object).detail(format!(
                "同时发起的登录尝试达到第 {n} 次，超过 {} 次的上限，未核对密码，账户锁定 {} 分钟",
                policy.max_failures, policy.lock_minutes
            ));
            audit_log::append_tx(&mut tx, &actor, &ev).await?;
            tx.commit().await?;
            return Ok(SignIn::Locked { until });
        }
        None => {
            verify_off_thread(password, dummy_hash()).await?;
            let ev = Event::new("signin.locked", object).detail("账户锁定期间尝试登录");
            audit_log::append(db, &actor, &ev).await?;
            let until = by_id(db, user.id)
                .await?
                .and_then(|u| u.locked_until)
                .unwrap_or(t);
            return Ok(SignIn::Locked { until });
        }
    };
    let ok = verify_off_thread(password, &user.password_hash).await?;
    let mut tx = db.begin().await?;
    let outcome = if ok && user.active {
        const SQL: &str =
            "UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1";
        with_tx!(&mut tx, |c| sqlx::query(SQL)
            .bind(user.id)
            .execute(c)
            .await
            .map(|_| ()))?;
        audit_log::append_tx(&mut tx, &actor, &Event::new("signin.ok", object)).await?;
        SignIn::Ok(user)
    } else if ok {
        let ev = Event::new("signin.failed", object).detail("登录失败：账户已停用");
        audit_log::append_tx(&mut tx, &actor, &ev).await?;
        SignIn::Failed
    } else if n >= policy.max_failures {
        let until = t + policy.lock_minutes * 60;
        lock_tx(&mut tx, user.id, until).await?;
        let ev = Event::new("account.locked", object).detail(format!(
            "连续 {n} 次密码错误，账户锁定 {} 分钟",
            policy.lock_minutes
        ));
        audit_log::append_tx(&mut tx, &actor, &ev).await?;
        SignIn::Locked { until }
    } else {
        let ev = Event::new("signin.failed", object)
            .detail(format!("登录失败：密码错误（连续第 {n} 次）"));
        audit_log::append_tx(&mut tx, &actor, &ev).await?;
        SignIn::Failed
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Changes one's own password: the current one must verify and the new one meet the policy.
/// Ends the user's other sessions. A wrong current password counts as a failed sign-in (the
/// same atomic count and lock): at the limit the account locks and every session of it ends, so
/// a stolen session cannot guess the password it would need.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    current: &str,
    new: &str,
    policy: &SignInPolicy,
    keep_session: Option<&str>,
) -> Result<(), StoreError> {
    let user = by_id(db, user_id).await?.ok_or(StoreError::NotFound)?;
    let t = now();
    let object = format!("user:{}", user.username);
    let Some(n) = claim_attempt(db, user.id, t).await? else {
        return Err(StoreError::Invalid(
            "尝试次数过多，账户已暂时锁定，请稍后重新登录或联系系统管理员".into(),
        ));
    };
    let ok = n <= policy.max_failures && verify_off_thread(current, &user.password_hash).await?;
    if !ok {
        let mut tx = db.begin().await?;
        let message = if n >= policy.max_failures {
            lock_tx(&mut tx, user.id, t + policy.lock_minutes * 60).await?;
            const END_ALL: &str = "DELETE FROM user_session WHERE user_id = $1";
            with_tx!(&mut tx, |c| sqlx::query(END_ALL)
                .bind(user.id)
                .execute(c)
                .await
                .map(|_| ()))?;
            let detail = if n > policy.max_failures {
                format!(
                    "同时发起的修改密码尝试达到第 {n} 次，超过 {} 次的上限，未核对密码，账户锁定 {} 分钟，所有会话已结束",
                    policy.max_failures, policy.lock_minutes
                )
            } else {
                format!(
                    "修改密码时连续 {n} 次输错当前密码，账户锁定 {} 分钟，所有会话已结束",
                    policy.lock_minutes
                )
            };
            let ev = Event::new("account.locked", object).detail(detail);
            audit_log::append_tx(&mut tx, actor, &ev).await?;
            "当前密码不正确；连续输错次数过多，账户已暂时锁定，请稍后重新登录"
        } else {
            let ev = Event::new("password.change_failed", object)
                .detail(format!("修改密码失败：当前密码不正确（连续第 {n} 次）"));
            audit_log::append_tx(&mut tx, actor, &ev).await?;
            "当前密码不正确"
        };
        tx.commit().await?;
        return Err(StoreError::Invalid(message.into()));
    }
    if current == new {
        reset_count(db, user.id).await?;
        return Err(StoreError::Invalid("新密码不能与当前密码相同".into()));
    }
    if let Err(e) = policy.check_password(new, &user.username) {
        reset_count(db, user.id).await?;
        return Err(StoreError::Invalid(e));
    }
    let hash = hash_off_thread(new).await?;
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE app_user SET password_hash = $2, must_change_password = FALSE, \
        password_changed_at = $3, failed_logins = 0 WHERE id = $1";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(user_id)
        .bind(&hash)
        .bind(now())
        .execute(c)
        .await
        .map(|_| ()))?;
    const END: &str = "DELETE FROM user_session WHERE user_id = $1 AND id_hash <> $2";
    let keep = keep_session
        .map(crate::session::id_hash)
        .unwrap_or_default();
    with_tx!(&mut tx, |c| sqlx::query(END)
        .bind(user_id)
        .bind(&keep)
        .execute(c)
        .await
        .map(|_| ()))?;
    let revoked = crate::token::revoke_all_tx(&mut tx, user_id, &actor.username).await?;
    let detail = if revoked > 0 {
        format!("修改本人密码；吊销接口令牌 {revoked} 个")
    } else {
        "修改本人密码".to_string()
    };
    let ev = Event::new("password.change", format!("user:{}", user.username)).detail(detail);
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets an account's failure count back after the current password verified.
async fn reset_count(db: &Db, user_id: i64) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE app_user SET failed_logins = 0 WHERE id = $1";
    with_pool!(db, |p| sqlx::query(SQL)
        .bind(user_id)
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Every account, by username.
pub async fn list(db: &Db) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM app_user ORDER BY username");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, User>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .fetch_all(p)
    .await)?)
}

/// What an administrator does to an account.
#[derive(Debug, Clone)]
pub enum AccountChange {
    Enable,
    Disable,
    Unlock,
    /// Sets a new initial password; the user must change it at next sign-in.
    ResetPassword(String),
    /// Grants a role with its assignment (the security administrator's duty).
    Grant {
        role: Role,
        region_code: Option<String>,
        township: Option<String>,
        enterprise_id: Option<i64>,
    },
}

/// Applies an administrator's change to another account, audited with the account's state
/// before and after. Nobody changes their own account this way.
pub async fn change(
    db: &Db,
    actor: &Actor,
    id: i64,
    what: &AccountChange,
    policy: &SignInPolicy,
) -> Result<(), StoreError> {
    let old = by_id(db, id).await?.ok_or(StoreError::NotFound)?;
    if actor.user_id == Some(id) {
        return Err(StoreError::Invalid("不能对本人账户执行此操作".into()));
    }
    let mut new = old.clone();
    let mut hash = None;
    let (action, detail) = match what {
        AccountChange::Enable => {
            new.active = true;
            ("user.enable", "启用账户".to_string())
        }
        AccountChange::Disable => {
            new.active = false;
            ("user.disable", "停用账户".to_string())
        }
        AccountChange::Unlock => {
            new.locked_until = None;
            new.failed_logins = 0;
            ("user.unlock", "解除登录锁定".to_string())
        }
        AccountChange::ResetPassword(pw) => {
            policy
                .check_password(pw, &old.username)
                .map_err(StoreError::Invalid)?;
            hash = Some(hash_off_thread(pw).await?);
            new.must_change_password = true;
            new.locked_until = None;
            new.failed_logins = 0;
            (
                "user.reset_password",
                "重置密码（下次登录须修改）".to_string(),
            )
        }
        AccountChange::Grant {
            role,
            region_code,
            township,
            enterprise_id,
        } => {
            check_assignment(
                *role,
                region_code.as_deref(),
                township.as_deref(),
                *enterprise_id,
            )?;
            check_region(db, region_code.as_deref()).await?;
            new.role = role.as_str().to_string();
            new.region_code = region_code.clone();
            new.township = township.clone();
            new.enterprise_id = *enterprise_id;
            ("user.grant", format!("授予角色：{}", role.label()))
        }
    };
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE app_user SET role = $2, region_code = $3, township = $4, enterprise_id = $5, \
        active = $6, must_change_password = $7, failed_logins = $8, locked_until = $9, \
        password_hash = COALESCE($10, password_hash) WHERE id = $1";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(&new.role)
        .bind(&new.region_code)
        .bind(&new.township)
        .bind(new.enterprise_id)
        .bind(new.active)
        .bind(new.must_change_password)
        .bind(new.failed_logins)
        .bind(new.locked_until)
        .bind(&hash)
        .execute(c)
        .await
        .map(|_| ()))?;
    // A disabled account, a new password or a new role ends the account's sessions.
    // Its API tokens are revoked with them.
    let mut detail = detail.to_string();
    if !matches!(what, AccountChange::Enable | AccountChange::Unlock) {
        const END: &str = "DELETE FROM user_session WHERE user_id = $1";
        with_tx!(&mut tx, |c| sqlx::query(END)
            .bind(id)
            .execute(c)
            .await
            .map(|_| ()))?;
        let revoked = crate::token::revoke_all_tx(&mut tx, id, &actor.username).await?;
        if revoked > 0 {
            detail.push_str(&format!("；吊销接口令牌 {revoked} 个"));
        }
    }
    let ev = Event::new(action, format!("user:{}", old.username))
        .states(Some(&old.state()), Some(&new.state()))
        .detail(detail);
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Links an evaluation-organisation or evaluator account to its organisation (the security
/// administrator's grant); `None` removes the link.
pub async fn set_org(
    db: &Db,
    actor: &Actor,
    id: i64,
    org_id: Option<i64>,
) -> Result<(), StoreError> {
    let u = by_id(db, id).await?.ok_or(StoreError::NotFound)?;
    if !matches!(u.role(), Some(Role::EvaluationOrg | Role::Evaluator)) {
        return Err(StoreError::Invalid(
            "只有评审单位和考评员账户可以关联评审单位".into(),
        ));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE app_user SET org_id = $2 WHERE id = $1";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(org_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new("user.grant", format!("user:{}", u.username)).detail(match org_id {
        Some(o) => format!("关联评审单位 {o}"),
        None => "解除评审单位关联".to_string(),
    });
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Who a login names, as pages show people: display name, role and place.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Person {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region_code: Option<String>,
    pub township: Option<String>,
}

/// The people behind up to 1,000 logins (one read; logins without an account are left out).
pub async fn people(db: &Db, logins: &[String]) -> Result<Vec<Person>, StoreError> {
    let mut wanted: Vec<&String> = logins.iter().collect();
    wanted.sort();
    wanted.dedup();
    wanted.truncate(1000);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = crate::sql::SqlBuf::new(
        "SELECT username, display_name, role, region_code, township FROM app_user WHERE username IN ",
    );
    b.bind_list(wanted.into_iter().map(|l| crate::sql::Arg::Text(l.clone())));
    b.fetch_all(db).await
}

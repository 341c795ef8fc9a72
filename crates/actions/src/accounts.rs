//! Accounts under separation of duties (三权分立, 等保 2.0 level 3): the system administrator
//! creates accounts (with no role: 待授权) and enables, disables, unlocks and resets them; only
//! the security administrator grants roles and regions; the audit administrator reads the log.
//! No administrator changes an administrator's password, role or state through the pages or the
//! API: administrator accounts are created and reset with the command line on the server.

use anbiao_domain::{Permission, Role, SignInPolicy};
use anbiao_store::Db;
use anbiao_store::account::{self, AccountChange, NewUser};

use crate::actor::Actor;
use crate::error::ActionError;

/// What an administrator may not do to an administrator's account, in words.
const ADMIN_TARGET: &str =
    "管理员账户的密码、角色和状态只能在服务器上用命令行维护（anbiao user …），不能在系统内修改";

async fn deny(db: &Db, actor: &Actor, target: &str, why: &str) -> ActionError {
    actor
        .denied(db, target.to_string(), why.to_string(), why.to_string())
        .await
}

/// A new account as the system administrator makes it: a person and a sign-in, no role.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// The system administrator creates an account. It holds no role until the security
/// administrator grants one.
pub async fn create(
    db: &Db,
    actor: &Actor,
    new: &NewAccount,
    policy: &SignInPolicy,
) -> Result<i64, ActionError> {
    actor.require(Permission::ManageAccounts)?;
    Ok(account::create(
        db,
        &actor.audit,
        &NewUser {
            username: new.username.trim().to_string(),
            display_name: anbiao_domain::text::clean(&new.display_name),
            password: new.password.clone(),
            role: Role::Pending,
            region_code: None,
            township: None,
            enterprise_id: None,
            must_change_password: true,
        },
        policy,
    )
    .await?)
}

/// An administrator changes another account: the system administrator its state and password,
/// the security administrator its role and region. Never an administrator's account.
pub async fn change(
    db: &Db,
    actor: &Actor,
    id: i64,
    what: &AccountChange,
    policy: &SignInPolicy,
) -> Result<(), ActionError> {
    let needed = match what {
        AccountChange::Grant { .. } => Permission::ManageGrants,
        _ => Permission::ManageAccounts,
    };
    actor.require(needed)?;
    let target = account::by_id(db, id).await?.ok_or(ActionError::NotFound)?;
    let target_name = format!("user:{}", target.username);
    if target.role().is_none_or(Role::is_admin) {
        return Err(deny(db, actor, &target_name, ADMIN_TARGET).await);
    }
    if let AccountChange::Grant { role, .. } = what
        && role.is_admin()
    {
        return Err(deny(
            db,
            actor,
            &target_name,
            "管理员角色不能在系统内授予，须在服务器上用命令行创建管理员账户",
        )
        .await);
    }
    // A township belongs to a township officer's grant only; any other role's is dropped
    // (the form keeps the field when the role is changed).
    let normalized;
    let what = match what {
        AccountChange::Grant {
            role,
            region_code,
            township: Some(_),
            enterprise_id,
        } if *role != Role::TownshipOfficer => {
            normalized = AccountChange::Grant {
                role: *role,
                region_code: region_code.clone(),
                township: None,
                enterprise_id: *enterprise_id,
            };
            &normalized
        }
        other => other,
    };
    if let AccountChange::Grant {
        role: Role::TownshipOfficer,
        region_code: Some(region),
        township: Some(township),
        ..
    } = what
        && !anbiao_store::enterprise::township_known(db, region, township.trim()).await?
    {
        return Err(ActionError::bad(
            "township",
            format!(
                "该县区的企业名录中没有乡镇（街道）“{}”，请核对名称",
                township.trim()
            ),
        ));
    }
    Ok(account::change(db, &actor.audit, id, what, policy).await?)
}

/// The security administrator links an evaluation organisation's or evaluator's account to its
/// organisation (or unlinks it). Not an administrator's account, not one's own.
pub async fn link_org(
    db: &Db,
    actor: &Actor,
    id: i64,
    org: Option<i64>,
) -> Result<(), ActionError> {
    actor.require(Permission::ManageGrants)?;
    let target = account::by_id(db, id).await?.ok_or(ActionError::NotFound)?;
    if target.role().is_none_or(Role::is_admin) {
        return Err(deny(
            db,
            actor,
            &format!("user:{}", target.username),
            ADMIN_TARGET,
        )
        .await);
    }
    if actor.audit.user_id == Some(id) {
        return Err(ActionError::bad("org", "不能对本人账户执行此操作"));
    }
    if let Some(org) = org {
        anbiao_store::orgs::get_org(db, org)
            .await
            .map_err(|_| ActionError::bad("org", "评审单位不存在"))?;
    }
    Ok(account::set_org(db, &actor.audit, id, org).await?)
}

/// Every account, for the system administrator (accounts) and the security administrator
/// (grants).
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<account::User>, ActionError> {
    if !actor.permits(Permission::ManageGrants) {
        actor.require(Permission::ManageAccounts)?;
    }
    Ok(account::list(db).await?)
}

/// A user changes their own password (the current one checked), keeping the session they do
/// it from and ending the others.
pub async fn change_own_password(
    db: &Db,
    actor: &Actor,
    current: &str,
    new: &str,
    policy: &SignInPolicy,
    keep_session: Option<&str>,
) -> Result<(), ActionError> {
    let id = actor
        .audit
        .user_id
        .ok_or_else(|| ActionError::Forbidden("请先登录".into()))?;
    if actor.token.is_some() {
        return Err(ActionError::Forbidden(
            "不能用接口令牌修改密码，请登录后在“修改密码”页面修改".into(),
        ));
    }
    Ok(account::change_password(db, &actor.audit, id, current, new, policy, keep_session).await?)
}

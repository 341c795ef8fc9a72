//! API tokens (接口令牌). A user issues personal tokens for their own use, never wider than
//! their role; a partner department's tokens are the security administrator's to issue, with
//! the data they cover and a region, because what a partner reads is set by agreement.

use anbiao_domain::{Permission, Role};
use anbiao_store::account;
use anbiao_store::token::{self, NewToken};

use anbiao_store::Db;

use crate::actor::Actor;
use crate::error::ActionError;

/// A personal token as asked.
#[derive(Debug, Clone)]
pub struct Personal<'a> {
    pub name: &'a str,
    pub write: bool,
    pub days: i64,
}

/// A partner's token as the security administrator sets it.
#[derive(Debug, Clone)]
pub struct ForPartner<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub permissions: Vec<Permission>,
    pub region_code: Option<String>,
    pub days: i64,
}

fn own_id(actor: &Actor) -> Result<i64, ActionError> {
    actor
        .audit
        .user_id
        .ok_or_else(|| ActionError::Forbidden("请先登录".into()))
}

/// Whether the actor issues tokens for itself (a partner's come from the security
/// administrator).
pub fn issues_own(actor: &Actor) -> bool {
    actor.role.is_some_and(|r| r != Role::Partner) && actor.token.is_none()
}

/// A signed-in user issues a token for their own use. A partner's tokens come from the
/// security administrator (the agreement sets what it reads), so a partner is refused.
pub async fn issue_own(db: &Db, actor: &Actor, p: &Personal<'_>) -> Result<String, ActionError> {
    let user_id = own_id(actor)?;
    if actor.role == Some(Role::Partner) {
        let why = "协作部门的接口令牌由安全管理员按协议签发，不能自行签发".to_string();
        return Err(actor
            .denied(
                db,
                format!("user:{}", actor.audit.username),
                why.clone(),
                why,
            )
            .await);
    }
    if actor.token.is_some() {
        return Err(ActionError::Forbidden(
            "不能用接口令牌签发新的令牌，请登录后在“接口令牌”页面签发".into(),
        ));
    }
    let role = actor
        .role
        .ok_or_else(|| ActionError::Forbidden("账户尚未授权角色，不能签发接口令牌".into()))?;
    let terms = role
        .token_terms()
        .ok_or_else(|| ActionError::Forbidden("账户尚未授权角色，不能签发接口令牌".into()))?;
    terms.check(role, p.days, p.write).map_err(|m| {
        let field = if p.write && terms.max_write_days.is_none() {
            "access"
        } else {
            "days"
        };
        ActionError::bad(field, m)
    })?;
    let t = NewToken {
        user_id,
        name: anbiao_domain::text::clean(p.name),
        read_only: !p.write,
        permissions: Vec::new(),
        region_code: None,
        days: p.days,
    };
    token::issue(db, &actor.audit, &t)
        .await
        .map(|(_, secret)| secret)
        .map_err(|e| ActionError::from(e).at("name"))
}

/// A user revokes one of their own tokens.
pub async fn revoke_own(db: &Db, actor: &Actor, id: i64) -> Result<(), ActionError> {
    let user_id = own_id(actor)?;
    Ok(token::revoke(db, &actor.audit, id, Some(user_id)).await?)
}

/// The security administrator issues a read-only token to a partner's account.
pub async fn issue_for_partner(
    db: &Db,
    actor: &Actor,
    p: &ForPartner<'_>,
) -> Result<String, ActionError> {
    actor.require(Permission::ManageGrants)?;
    account::by_id(db, p.user_id)
        .await?
        .filter(|o| o.role() == Some(Role::Partner))
        .ok_or_else(|| ActionError::bad("user", "只能为协作部门账户签发令牌"))?;
    if p.permissions.is_empty() {
        return Err(ActionError::bad("data", "请至少选择一项数据范围"));
    }
    if let Some(bad) = p.permissions.iter().find(|x| !x.is_read_only()) {
        return Err(ActionError::bad(
            "data",
            format!("协作部门令牌只能读取数据，不能包含“{}”", bad.label()),
        ));
    }
    let terms = Role::Partner
        .token_terms()
        .ok_or_else(|| ActionError::bad("user", "只能为协作部门账户签发令牌"))?;
    terms
        .check(Role::Partner, p.days, false)
        .map_err(|m| ActionError::bad("days", m))?;
    let t = NewToken {
        user_id: p.user_id,
        name: anbiao_domain::text::clean(p.name),
        read_only: true,
        permissions: p.permissions.clone(),
        region_code: p.region_code.clone(),
        days: p.days,
    };
    token::issue(db, &actor.audit, &t)
        .await
        .map(|(_, secret)| secret)
        .map_err(|e| ActionError::from(e).at("name"))
}

/// The security administrator revokes any token; one already revoked stays so.
pub async fn revoke_any(db: &Db, actor: &Actor, id: i64) -> Result<(), ActionError> {
    actor.require(Permission::ManageGrants)?;
    match token::revoke(db, &actor.audit, id, None).await {
        Ok(()) | Err(anbiao_store::StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The actor's own tokens.
pub async fn own(db: &Db, actor: &Actor) -> Result<Vec<token::Token>, ActionError> {
    let user_id = own_id(actor)?;
    Ok(token::list(db, Some(user_id)).await?)
}

/// Every token, for the security administrator.
pub async fn all(db: &Db, actor: &Actor) -> Result<Vec<token::Token>, ActionError> {
    actor.require(Permission::ManageGrants)?;
    Ok(token::list(db, None).await?)
}

//! Who acts: a signed-in user (role, scope, token), the public, or the system on a named
//! person's behalf (the command line, the demo, jobs). The party an actor is in a workflow
//! comes from here and the authority rules, never from the caller's route.

use anbiao_domain::authority::AuthoritySet;
use anbiao_domain::lifecycle::Party;
use anbiao_domain::{Permission, Role, Scope};
use anbiao_store::Db;
use anbiao_store::audit_log;
use anbiao_store::token::Token;

use crate::error::ActionError;

#[derive(Debug, Clone)]
pub struct Actor {
    /// The role, or none for the public.
    pub role: Option<Role>,
    /// What business data the actor may see and act on.
    pub scope: Scope,
    /// The API token the request came with: it can only narrow the role's permissions.
    pub token: Option<Token>,
    /// How the actor is written in the audit log.
    pub audit: audit_log::Actor,
    /// The region code the account is assigned to (an officer's district or township's
    /// district), which names the unit it plans and reports for.
    pub region: Option<String>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(role: Role, scope: Scope, token: Option<Token>, audit: audit_log::Actor) -> Self {
        Self {
            role: Some(role),
            scope,
            token,
            audit,
            region: None,
        }
    }

    /// The same actor, assigned to a region.
    pub fn in_region(mut self, region: Option<String>) -> Self {
        self.region = region;
        self
    }

    /// Anyone on the public portal.
    pub fn public(client: &str) -> Self {
        Self {
            role: None,
            scope: Scope::Nothing,
            token: None,
            audit: audit_log::Actor {
                username: "public".into(),
                client: client.to_string(),
                source: "portal".into(),
                ..audit_log::Actor::default()
            },
            region: None,
        }
    }

    /// A person acting through the command line, the demo or a job, with the role they hold.
    pub fn on_behalf(role: Role, scope: Scope, username: &str, source: &str) -> Self {
        let mut a = audit_log::Actor::new(username, source);
        a.role = role.as_str().to_string();
        Self {
            role: Some(role),
            scope,
            token: None,
            audit: a,
            region: None,
        }
    }

    /// Whether the role (and the token, if any) grants the permission.
    pub fn permits(&self, p: Permission) -> bool {
        self.role.is_some_and(|r| r.allows(p)) && self.token.as_ref().is_none_or(|t| t.allows(p))
    }

    /// The permission, or a refusal naming it.
    pub fn require(&self, p: Permission) -> Result<(), ActionError> {
        if self.permits(p) {
            Ok(())
        } else {
            Err(ActionError::Forbidden(format!("您没有{}的权限", p.label())))
        }
    }

    /// The party this actor is in a workflow under the rules in force: the public when
    /// anonymous, else by role (none for roles that take no workflow step).
    pub fn party(&self, rules: &AuthoritySet) -> Option<Party> {
        match self.role {
            None => Some(Party::Public),
            Some(r) => rules.party_of(r),
        }
    }

    pub fn is_officer(&self) -> bool {
        self.role.is_some_and(Role::is_officer)
    }

    /// A refusal of this actor on the record `object`: written to the audit log as
    /// `access.denied` with `detail`, returned as 403 with `why`.
    pub async fn denied(
        &self,
        db: &Db,
        object: String,
        detail: String,
        why: String,
    ) -> ActionError {
        let ev = audit_log::Event::new("access.denied", object).detail(detail);
        if let Err(e) = audit_log::append(db, &self.audit, &ev).await {
            return e.into();
        }
        ActionError::Forbidden(why)
    }
}

//! Enforcement records (执法): marking a violation a typical case (典型案件) for the warning
//! notices. (Decisions themselves are still taken by the page; their party is
//! `enforcement.decide`.)

use anbiao_domain::Permission;
use anbiao_store::enforcement;

use crate::ctx::Ctx;
use crate::error::ActionError;

impl Ctx<'_> {
    /// An officer marks a violation record within scope as a typical case, or not.
    pub async fn set_typical(&self, violation_id: i64, typical: bool) -> Result<(), ActionError> {
        self.actor.require(Permission::Enforce)?;
        self.party_may("enforcement.typical", format!("violation:{violation_id}"))
            .await?;
        Ok(enforcement::set_typical(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            violation_id,
            typical,
        )
        .await?)
    }
}

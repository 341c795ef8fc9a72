//! The context of an action: the database, the rules, who acts and on which day; and the one
//! way an action asks the authority rules whether the actor's party takes a workflow step.

use anbiao_domain::ReferenceData;
use anbiao_store::Db;
use time::Date;

use crate::actor::Actor;
use crate::error::ActionError;

/// Who acts, when, under which rules.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub reference: &'a ReferenceData,
    pub actor: &'a Actor,
    pub on: Date,
}

impl Ctx<'_> {
    /// Refuses a step the actor's party does not take, audited as a denial.
    pub async fn party_may(&self, step: &str, object: String) -> Result<(), ActionError> {
        let rules = self.reference.authority.on(self.on);
        if let Err(r) = rules.may_take_step(self.actor.party(rules), step) {
            let why = r.to_string();
            return Err(self.actor.denied(self.db, object, why.clone(), why).await);
        }
        Ok(())
    }
}

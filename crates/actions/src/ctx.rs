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

impl Ctx<'_> {
    /// Whether the actor's party takes a workflow step under the rules in force (to offer the
    /// step on a page; taking it still asks [`Ctx::party_may`]).
    pub fn takes_step(&self, step: &str) -> bool {
        let rules = self.reference.authority.on(self.on);
        rules.may_take_step(self.actor.party(rules), step).is_ok()
    }

    /// The unit (县区/开发区) of the actor's region, if the account has one.
    pub fn own_unit(&self) -> Option<String> {
        let code = self.actor.region.as_deref()?;
        self.reference.regions.get(code).map(|r| r.unit.clone())
    }

    /// Every unit of the region book, in the book's (administrative) order, each once.
    pub fn units(&self) -> Vec<String> {
        self.reference
            .regions
            .units()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// A unit's name as it was on the actor's day (海安县, then 海安市).
    pub fn unit_name(&self, unit: &str) -> String {
        self.reference.regions.unit_name(unit, self.on)
    }

    /// The unit a read is about: the actor's own, or for the city the one asked (else the
    /// first).
    pub fn unit_for(&self, asked: Option<&str>) -> Result<String, ActionError> {
        self.unit_among(asked, &self.units(), "没有地区")
    }

    /// The unit a change is about: another unit than the actor's own is refused (audited),
    /// not quietly replaced by its own.
    pub async fn unit_to_change(
        &self,
        asked: Option<&str>,
        refusal: &str,
    ) -> Result<String, ActionError> {
        self.refuse_other_unit(asked, refusal).await?;
        self.unit_for(asked)
    }

    /// Refuses (audited) a unit asked for that is not the actor's own, when it has one.
    pub async fn refuse_other_unit(
        &self,
        asked: Option<&str>,
        refusal: &str,
    ) -> Result<(), ActionError> {
        if let (Some(own), Some(a)) = (
            self.own_unit(),
            asked.map(str::trim).filter(|a| !a.is_empty()),
        ) && a != own
        {
            return Err(self
                .actor
                .denied(
                    self.db,
                    format!("unit:{a}"),
                    refusal.to_string(),
                    refusal.to_string(),
                )
                .await);
        }
        Ok(())
    }

    /// The actor's own unit, or the one asked (else the first of `units`); one outside
    /// `units` is refused with `unknown`“…”.
    pub fn unit_among(
        &self,
        asked: Option<&str>,
        units: &[String],
        unknown: &str,
    ) -> Result<String, ActionError> {
        let unit = match self.own_unit() {
            Some(own) => own,
            None => asked
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .or_else(|| units.first().cloned())
                .unwrap_or_default(),
        };
        if !units.contains(&unit) {
            return Err(ActionError::bad("unit", format!("{unknown}“{unit}”")));
        }
        Ok(unit)
    }
}

//! The grading's quality monitor (评审质量监测, 六（四）): self-assessment texts that look
//! copied, evaluators with more evaluations in a window than one person does, and evaluation
//! scores far from the later audit's. Officers read it within their scope.

use anbiao_domain::Permission;
use anbiao_store::quality::{self, AuditGap, EvaluatorLoad, SelfText};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

impl Ctx<'_> {
    /// The self-assessment texts within the actor's scope since `since`.
    pub async fn self_texts(&self, since: Date) -> Result<Vec<SelfText>, ActionError> {
        self.actor.require(Permission::MonitorQuality)?;
        Ok(quality::self_texts(self.db, &self.actor.scope, since).await?)
    }

    /// The evaluators' evaluations within the actor's scope since `since`.
    pub async fn evaluator_loads(&self, since: Date) -> Result<Vec<EvaluatorLoad>, ActionError> {
        self.actor.require(Permission::MonitorQuality)?;
        Ok(quality::evaluator_loads(self.db, &self.actor.scope, since).await?)
    }

    /// The cases within the actor's scope whose evaluation and later audit differ by at least
    /// `gap_tenths` (tenths of a point).
    pub async fn audit_gaps(&self, gap_tenths: i64) -> Result<Vec<AuditGap>, ActionError> {
        self.actor.require(Permission::MonitorQuality)?;
        Ok(quality::audit_gaps(self.db, &self.actor.scope, gap_tenths).await?)
    }
}

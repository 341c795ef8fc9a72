//! The districts' reports against a programme's deadlines (报送): the city accepts or returns
//! them. (Submitting is still the page's; its party is `submission.submit`.)

use anbiao_domain::Permission;
use anbiao_store::submissions;

use crate::ctx::Ctx;
use crate::error::ActionError;

impl Ctx<'_> {
    /// The city accepts a district's submission, or returns it with the reason.
    pub async fn decide_report(
        &self,
        id: i64,
        accept: bool,
        reason: Option<&str>,
    ) -> Result<(), ActionError> {
        self.actor.require(Permission::ReviewReports)?;
        submissions::get(self.db, id).await?;
        self.party_may("submission.decide", format!("submission:{id}"))
            .await?;
        Ok(submissions::decide(self.db, &self.actor.audit, id, accept, reason, self.on).await?)
    }
}

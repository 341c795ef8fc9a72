//! Scoring sheets (评分细则) the city loads for grading, and notifications read by their
//! addressee.

use anbiao_domain::standard::ScoringSheet;
use anbiao_domain::{Permission, Role};
use anbiao_store::notify::{self, Audience};
use anbiao_store::paging::{PageReq, Paged, Total};
use anbiao_store::standards;

use crate::ctx::Ctx;
use crate::error::ActionError;

impl Ctx<'_> {
    /// The city loads a scoring sheet (read from the officer's file and checked). Returns
    /// whether it was new (the same id, version and content again changes nothing).
    pub async fn save_scoring_sheet(&self, sheet: &ScoringSheet) -> Result<bool, ActionError> {
        self.actor.require(Permission::ManageSheets)?;
        if let Some(i) = &sheet.industry
            && self.reference.industries.get(i).is_none()
        {
            return Err(ActionError::bad("industry", format!("行业代号“{i}”不存在")));
        }
        sheet.validate().map_err(|m| ActionError::bad("file", m))?;
        Ok(standards::save(self.db, &self.actor.audit, sheet).await?)
    }

    /// The audience of the notifications the actor reads: an enterprise's or the officers'.
    pub fn audience(&self) -> Option<Audience> {
        match self.actor.role? {
            Role::EnterpriseManager => Some(Audience::Enterprise),
            Role::CityOfficer | Role::DistrictOfficer | Role::TownshipOfficer => {
                Some(Audience::Officer)
            }
            _ => None,
        }
    }

    /// One page of the notifications addressed to the actor (unread first, newest first; the
    /// unread only when asked), and how many are unread (none for roles that receive none).
    pub async fn notifications(
        &self,
        unread_only: bool,
        req: PageReq,
    ) -> Result<(Paged<notify::Notification>, i64), ActionError> {
        let Some(a) = self.audience() else {
            return Ok((
                Paged {
                    rows: Vec::new(),
                    total: Total::Exact(0),
                    req,
                },
                0,
            ));
        };
        let scope = &self.actor.scope;
        Ok((
            notify::page(self.db, scope, a, unread_only, req).await?,
            notify::unread(self.db, scope, a).await?,
        ))
    }

    /// The actor marks one of the notifications addressed to them (their enterprise, their
    /// region) as read, under the name shown (`by`); another's is not found.
    pub async fn mark_notification_read(&self, id: i64, by: &str) -> Result<(), ActionError> {
        let audience = self.audience().ok_or(ActionError::NotFound)?;
        Ok(notify::mark_read(self.db, &self.actor.scope, audience, id, by).await?)
    }
}

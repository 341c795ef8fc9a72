//! The programme's bulletins (通报, 六（一）2): the city drafts one from the target table as of
//! a day, edits and publishes it on the portal. A draft is the city's own until published;
//! others read published bulletins only.

use anbiao_domain::Permission;
use anbiao_store::bulletins::{self, Bulletin};

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// An edit of a draft, made against the version read.
#[derive(Debug, Clone)]
pub struct Edit<'a> {
    pub version: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub publish: bool,
}

impl Ctx<'_> {
    /// Whether the actor may read drafts (those who publish).
    pub fn reads_bulletin_drafts(&self) -> bool {
        self.actor.permits(Permission::PublishBulletins)
    }

    /// A bulletin as the actor may read it: a draft is not found for who does not publish.
    pub async fn bulletin(&self, id: i64) -> Result<Bulletin, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let b = bulletins::get(self.db, id).await?;
        if b.state != "published" && !self.reads_bulletin_drafts() {
            return Err(ActionError::NotFound);
        }
        Ok(b)
    }

    /// The bulletins of a programme the actor may read, newest first.
    pub async fn bulletins_of(&self, programme_id: &str) -> Result<Vec<Bulletin>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(bulletins::list(self.db, Some(programme_id), !self.reads_bulletin_drafts()).await?)
    }

    /// The city drafts a bulletin of the programme (its text already written from the table).
    pub async fn draft_bulletin(
        &self,
        programme_id: &str,
        as_of: time::Date,
        title: &str,
        body: &str,
    ) -> Result<i64, ActionError> {
        self.actor.require(Permission::PublishBulletins)?;
        self.party_may("bulletin.publish", format!("programme:{programme_id}"))
            .await?;
        if as_of > self.on {
            return Err(ActionError::bad("as_of", "统计日期不能晚于今天"));
        }
        Ok(bulletins::draft(self.db, &self.actor.audit, programme_id, as_of, title, body).await?)
    }

    /// The city saves a draft, and publishes it when asked.
    pub async fn save_bulletin(&self, id: i64, e: &Edit<'_>) -> Result<(), ActionError> {
        self.actor.require(Permission::PublishBulletins)?;
        within("title", "通报标题", e.title, limits::TITLE)?;
        within("body", "通报正文", e.body, limits::DOCUMENT)?;
        bulletins::get(self.db, id).await?;
        self.party_may("bulletin.publish", format!("bulletin:{id}"))
            .await?;
        Ok(bulletins::save(
            self.db,
            &self.actor.audit,
            &bulletins::Edit {
                id,
                version: e.version,
                title: e.title,
                body: e.body,
                publish: e.publish,
                on: self.on,
            },
        )
        .await?)
    }
}

//! What the public reads on the portal (公示公开), without signing in: certificates by name or
//! number and by their QR code, cases in public notice, recent grants, the 整改提升 list,
//! published inspection draws, bulletins and warning notices. Nothing unpublished and no
//! internal detail (officers' names stay internal) leaves through here.

use anbiao_store::bulletins::{self, Bulletin};
use anbiao_store::certificate::{self, PublicCertificate};
use anbiao_store::grading::{self, PublicNotice};
use anbiao_store::inspection_plans::{self, LineRow, PlanRow};
use anbiao_store::{Db, audits};
use time::Date;

use crate::error::ActionError;

/// Most characters of a search the portal takes.
pub const MAX_QUERY: usize = 60;

/// Certificates whose enterprise name or number matches `q` (cleaned, at most
/// [`MAX_QUERY`] characters); nothing for an empty query.
pub async fn search(
    db: &Db,
    q: &str,
    limit: i64,
) -> Result<(String, Vec<PublicCertificate>), ActionError> {
    let q: String = anbiao_domain::text::clean(q)
        .chars()
        .take(MAX_QUERY)
        .collect();
    if q.is_empty() {
        return Ok((q, Vec::new()));
    }
    let rows = certificate::public_search(db, &q, limit).await?;
    Ok((q, rows))
}

/// The certificate a QR code's token names, if any (a token that is not one is nothing).
pub async fn verify(db: &Db, token: &str) -> Result<Option<PublicCertificate>, ActionError> {
    if token.len() > 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(match certificate::by_verify_token(db, token).await? {
        Some(c) => certificate::public_search(db, &c.number, 1)
            .await?
            .into_iter()
            .next(),
        None => None,
    })
}

/// The cases in public notice (公示) now.
pub async fn notices(db: &Db) -> Result<Vec<PublicNotice>, ActionError> {
    Ok(grading::public_notices(db).await?)
}

/// The newest grants, with their announcement.
pub async fn announcements(
    db: &Db,
    limit: i64,
) -> Result<Vec<(String, PublicCertificate)>, ActionError> {
    Ok(certificate::recent_public(db, limit).await?)
}

/// One page of the grants, newest first (the portal's announcements).
pub async fn announcements_page(
    db: &Db,
    req: anbiao_store::paging::PageReq,
) -> Result<anbiao_store::paging::Paged<certificate::Announcement>, ActionError> {
    Ok(certificate::announcements_page(db, req).await?)
}

/// The enterprises told to rectify or eliminated after an audit since `since`.
pub async fn rectification(
    db: &Db,
    since: Date,
    req: anbiao_store::paging::PageReq,
) -> Result<anbiao_store::paging::Paged<audits::Rectification>, ActionError> {
    Ok(audits::rectification_list(db, since, req).await?)
}

/// The published inspection draws.
pub async fn draws(db: &Db, limit: i64) -> Result<Vec<PlanRow>, ActionError> {
    Ok(inspection_plans::published(db, limit).await?)
}

/// A published draw and a page of the enterprises drawn; an unpublished one is not found.
pub async fn draw(
    db: &Db,
    id: i64,
    req: anbiao_store::paging::PageReq,
) -> Result<(PlanRow, anbiao_store::paging::Paged<LineRow>), ActionError> {
    let plan = inspection_plans::by_id(db, id)
        .await?
        .filter(|p| p.published_on.is_some())
        .ok_or(ActionError::NotFound)?;
    let lines = inspection_plans::drawn_lines(db, id, req).await?;
    Ok((plan, lines))
}

/// The published bulletins, newest first.
pub async fn bulletins(db: &Db) -> Result<Vec<Bulletin>, ActionError> {
    Ok(bulletins::list(db, None, true).await?)
}

/// A published bulletin; a draft is not found.
pub async fn bulletin(db: &Db, id: i64) -> Result<Bulletin, ActionError> {
    let b = bulletins::get(db, id).await?;
    if b.state == "published" {
        Ok(b)
    } else {
        Err(ActionError::NotFound)
    }
}

/// The risk point whose printed cards carry `token`, with its enterprise's name (a token that is
/// not one is nothing).
pub async fn risk_cards(
    db: &Db,
    token: &str,
) -> Result<Option<(anbiao_store::risk_points::RiskPoint, String)>, ActionError> {
    if token.is_empty() || token.len() > 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(anbiao_store::risk_points::by_card_token(db, token).await?)
}

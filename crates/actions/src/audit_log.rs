//! The hash-chained audit log (审计日志): read and exported by the audit administrator only
//! (separation of duties, 等保 2.0 level 3 安全审计).

use anbiao_domain::Permission;
use anbiao_store::Db;
use anbiao_store::audit_log::{self, Entry, Filter, Head};

use crate::actor::Actor;
use crate::error::ActionError;

/// A page of the log that `f` selects, the number of entries it selects, and the chain's head.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub entries: Vec<Entry>,
    pub total: i64,
    pub head: Head,
}

/// A page of the log (`page` from 1, clamped to the last).
pub async fn search(
    db: &Db,
    actor: &Actor,
    f: &Filter,
    per_page: i64,
    page: i64,
) -> Result<(LogPage, i64), ActionError> {
    actor.require(Permission::ViewAuditLog)?;
    let head = audit_log::head(db).await?;
    let total = audit_log::count(db, f).await?;
    let pages = ((total + per_page - 1) / per_page).max(1);
    let page = page.clamp(1, pages);
    let entries = audit_log::search(db, f, per_page, (page - 1) * per_page).await?;
    Ok((
        LogPage {
            entries,
            total,
            head,
        },
        page,
    ))
}

/// The entries `f` selects, at most `limit`, for an export.
pub async fn export(
    db: &Db,
    actor: &Actor,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Entry>, ActionError> {
    actor.require(Permission::ViewAuditLog)?;
    Ok(audit_log::search(db, f, limit, 0).await?)
}

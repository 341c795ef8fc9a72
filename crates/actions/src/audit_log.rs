//! The hash-chained audit log (审计日志): read and exported by the audit administrator only
//! (separation of duties, 等保 2.0 level 3 安全审计).

use anbiao_domain::Permission;
use anbiao_store::Db;
use anbiao_store::audit_log::{self, Entry, Filter, Head};
use anbiao_store::paging::{PageReq, Paged, Total};

use crate::actor::Actor;
use crate::error::ActionError;

/// A page of the log that `f` selects, the number of entries it selects, and the chain's head.
#[derive(Debug, Clone)]
pub struct LogPage {
    /// The page, its request clamped to the last page, and the exact total.
    pub page: Paged<Entry>,
    pub head: Head,
}

/// A page of the log (`req.page` from 1, clamped to the last).
pub async fn search(
    db: &Db,
    actor: &Actor,
    f: &Filter,
    req: PageReq,
) -> Result<LogPage, ActionError> {
    actor.require(Permission::ViewAuditLog)?;
    let head = audit_log::head(db).await?;
    let total = audit_log::count(db, f).await?;
    let pages = u32::try_from((total + req.limit() - 1) / req.limit())
        .unwrap_or(u32::MAX)
        .max(1);
    let req = PageReq {
        page: req.page.clamp(1, pages),
        size: req.size,
    };
    let rows = audit_log::search(db, f, req.limit(), req.offset()).await?;
    Ok(LogPage {
        page: Paged {
            rows,
            total: Total::Exact(total),
            req,
        },
        head,
    })
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

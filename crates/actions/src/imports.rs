//! Importing a roster of enterprises (企业名录) from a spreadsheet as people make them: read and
//! validated off the async threads, written within the actor's scope.

use anbiao_domain::enterprise::OverridePolicy;
use anbiao_domain::{Permission, ReferenceData};
use anbiao_sheets::SheetError;
use anbiao_sheets::roster::read_roster;
use anbiao_store::import::{self, ImportOptions, ImportOutcome, ImportRow, Rejection};
use anbiao_store::{Db, StoreError};
use serde::Serialize;
use time::Date;

use crate::actor::Actor;
use crate::error::ActionError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read at all: nothing is written.
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("{0}")]
    Action(#[from] ActionError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        Self::Action(e.into())
    }
}

/// What an import did, for the report page and `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    #[serde(flatten)]
    pub outcome: ImportOutcome,
    #[serde(skip)]
    pub sheet: String,
    #[serde(skip)]
    pub header_row: u64,
    #[serde(skip)]
    pub unknown_columns: Vec<String>,
    #[serde(skip)]
    pub rows_read: u64,
}

/// Parses and validates rows of a roster file (CPU only).
pub fn parse_roster(
    bytes: &[u8],
    reference: &ReferenceData,
    today: Date,
    policy: OverridePolicy,
) -> Result<(anbiao_sheets::Roster, Vec<ImportRow>, Vec<Rejection>), SheetError> {
    let roster = read_roster(bytes)?;
    let mut ok = Vec::with_capacity(roster.rows.len());
    let mut rejected = Vec::new();
    for r in &roster.rows {
        let mut bad_columns: Vec<String> = Vec::new();
        for p in &r.problems {
            rejected.push(Rejection {
                row: r.row,
                column: p.column.clone(),
                reason: p.reason.clone(),
            });
            bad_columns.push(p.column.clone());
        }
        match r.draft.validate(reference, today, policy) {
            Ok(input) if r.problems.is_empty() => ok.push(ImportRow { row: r.row, input }),
            Ok(_) => {}
            Err(errors) => {
                for e in errors {
                    let column = roster.column_name(e.field);
                    if !bad_columns.contains(&column) {
                        rejected.push(Rejection {
                            row: r.row,
                            column,
                            reason: e.message,
                        });
                    }
                }
            }
        }
    }
    Ok((roster, ok, rejected))
}

/// Reads a roster file and imports it within the actor's scope: an officer who may import (the
/// city, a district), a failing check character accepted only from one who may override it.
/// Nothing is written when the file cannot be read, or, with `all_or_nothing`, when any row is
/// rejected.
pub async fn import_roster(
    db: &Db,
    reference: &ReferenceData,
    actor: &Actor,
    bytes: Vec<u8>,
    opts: ImportOptions,
    today: Date,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ImportReport, ImportError> {
    actor.require(Permission::ImportEnterprises)?;
    let policy = if actor.permits(Permission::OverrideCreditCode) {
        OverridePolicy::Allowed
    } else {
        OverridePolicy::Forbidden
    };
    let reference_owned = reference.clone();
    let parsed =
        tokio::task::spawn_blocking(move || parse_roster(&bytes, &reference_owned, today, policy))
            .await
            .map_err(|_| ImportError::Sheet(SheetError::Corrupt))?;
    let (roster, rows, rejected) = parsed?;
    let outcome = import::import(
        db,
        &actor.scope,
        &actor.audit,
        rows,
        rejected,
        opts,
        progress,
    )
    .await?;
    Ok(ImportReport {
        outcome,
        sheet: roster.sheet,
        header_row: roster.header_row,
        unknown_columns: roster.unknown_columns,
        rows_read: roster.rows.len() as u64,
    })
}

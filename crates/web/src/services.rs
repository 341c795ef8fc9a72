//! Use cases shared by the pages, the API and the command line.

use anbiao_domain::enterprise::OverridePolicy;
use anbiao_domain::{ReferenceData, Scope};
use anbiao_sheets::SheetError;
use anbiao_sheets::roster::read_roster;
use anbiao_store::enterprise::Actor;
use anbiao_store::import::{self, ImportOptions, ImportOutcome, ImportRow, Rejection};
use anbiao_store::{Db, StoreError};
use serde::Serialize;
use time::Date;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("{0}")]
    Store(#[from] StoreError),
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

/// Reads a roster file and imports it within the scope. Nothing is written when the file
/// cannot be read, or, with `all_or_nothing`, when any row is rejected.
#[allow(clippy::too_many_arguments)]
pub async fn import_roster(
    db: &Db,
    reference: &ReferenceData,
    scope: &Scope,
    actor: &Actor,
    bytes: Vec<u8>,
    policy: OverridePolicy,
    opts: ImportOptions,
    today: Date,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, ImportError> {
    let reference_owned = reference.clone();
    let parsed =
        tokio::task::spawn_blocking(move || parse_roster(&bytes, &reference_owned, today, policy))
            .await
            .map_err(|_| ImportError::Sheet(SheetError::Corrupt))?;
    let (roster, rows, rejected) = parsed?;
    let outcome = import::import(db, scope, actor, rows, rejected, opts, progress).await?;
    Ok(ImportReport {
        outcome,
        sheet: roster.sheet,
        header_row: roster.header_row,
        unknown_columns: roster.unknown_columns,
        rows_read: roster.rows.len() as u64,
    })
}

//! Importing validated roster rows: create or update by credit code, in one transaction, so a
//! crash in the middle leaves the database as it was.

use std::collections::HashMap;

use anbiao_domain::Scope;
use anbiao_domain::enterprise::{EnterpriseInput, Field};
use serde::Serialize;
use time::OffsetDateTime;

use crate::audit_log::{self, Event};
use crate::db::Db;
use crate::enterprise::{self, Actor, INSERT_BATCH};
use crate::error::StoreError;

/// A row that passed validation, with its row number as the spreadsheet shows it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub row: u64,
    pub input: EnterpriseInput,
}

/// A rejected row: row number, column header (as in the file, or the field label) and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub row: u64,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub imported: u64,
    pub updated: u64,
    pub rejected: Vec<Rejection>,
    /// Whether anything was written (false when all-or-nothing refused the file).
    #[serde(skip)]
    pub committed: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Write nothing if any row is rejected.
    pub all_or_nothing: bool,
}

/// Imports rows. `rejected` holds rows the caller already refused (parse and validation errors);
/// the store adds its own (duplicates in the file, rows outside the user's scope). `progress`
/// is called with the number of rows written so far and the number to write.
pub async fn import(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    rows: Vec<ImportRow>,
    mut rejected: Vec<Rejection>,
    opts: ImportOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<ImportOutcome, StoreError> {
    let code_label = Field::CreditCode.label().to_string();
    let region_label = Field::Region.label().to_string();

    // Duplicates within the file: the first row wins.
    let mut first_row: HashMap<String, u64> = HashMap::new();
    let mut unique = Vec::with_capacity(rows.len());
    for r in rows {
        let code = r.input.credit_code.to_string();
        if let Some(first) = first_row.get(&code) {
            rejected.push(Rejection {
                row: r.row,
                column: code_label.clone(),
                reason: format!("与第{first}行的统一社会信用代码重复"),
            });
        } else {
            first_row.insert(code, r.row);
            unique.push(r);
        }
    }

    let mut tx = db.begin().await?;
    let codes: Vec<String> = unique
        .iter()
        .map(|r| r.input.credit_code.to_string())
        .collect();
    let existing = enterprise::by_codes(&mut tx, &codes).await?;

    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for r in unique {
        match existing.get(r.input.credit_code.as_str()) {
            Some(old) => {
                if !scope.covers_region(&old.region_code, old.township.as_deref()) {
                    rejected.push(Rejection {
                        row: r.row,
                        column: code_label.clone(),
                        reason: "该企业已在其他地区登记，您无权修改".into(),
                    });
                } else if !scope.covers_region(&r.input.region_code, r.input.township.as_deref()) {
                    rejected.push(Rejection {
                        row: r.row,
                        column: region_label.clone(),
                        reason: "所属地区不在您的管辖范围内".into(),
                    });
                } else {
                    updates.push((old, r));
                }
            }
            None => {
                if scope.covers_region(&r.input.region_code, r.input.township.as_deref()) {
                    creates.push(r);
                } else {
                    rejected.push(Rejection {
                        row: r.row,
                        column: region_label.clone(),
                        reason: "所属地区不在您的管辖范围内".into(),
                    });
                }
            }
        }
    }
    rejected.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.column.cmp(&b.column)));

    if opts.all_or_nothing && !rejected.is_empty() {
        tx.rollback().await?;
        return Ok(ImportOutcome {
            imported: 0,
            updated: 0,
            rejected,
            committed: false,
        });
    }

    let now = OffsetDateTime::now_utc();
    let mut done = 0u64;
    let total = (creates.len() + updates.len()) as u64;
    progress(0, total);
    for chunk in creates.chunks(INSERT_BATCH) {
        let inputs: Vec<EnterpriseInput> = chunk.iter().map(|r| r.input.clone()).collect();
        enterprise::insert_batch(&mut tx, &inputs, actor, now).await?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    let imported = creates.len() as u64;
    let updated = updates.len() as u64;
    for (old, r) in &updates {
        enterprise::update_in_tx(&mut tx, old, &r.input, actor, now, None).await?;
        done += 1;
        if done.is_multiple_of(1000) {
            progress(done, total);
        }
    }
    let file = actor
        .source
        .strip_prefix("import:")
        .unwrap_or(&actor.source)
        .to_string();
    let written: Vec<&EnterpriseInput> = creates
        .iter()
        .map(|r| &r.input)
        .chain(updates.iter().map(|(_, r)| &r.input))
        .collect();
    let ev = Event::new("enterprise.import", format!("file:{file}"))
        .states(None::<&()>, Some(&written))
        .detail(format!(
            "导入企业名录：新增 {imported} 家，更新 {updated} 家，拒绝 {} 行",
            rejected.len()
        ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    if done >= crate::db::ANALYZE_AFTER_ROWS {
        db.after_bulk_load().await?;
    }
    progress(done, total);
    Ok(ImportOutcome {
        imported,
        updated,
        rejected,
        committed: true,
    })
}

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

pub use anbiao_actions::enterprises::override_policy;

/// Signs a user in from a client address: the per-address limit, then the password under the
/// lock-out policy. Every refusal is audited (the limit only at its first refusal per minute).
pub async fn sign_in(
    state: &crate::AppState,
    username: &str,
    password: &str,
    client: &str,
    source: &str,
) -> Result<anbiao_store::account::User, crate::error::AppError> {
    use crate::error::AppError;
    use crate::limit::Verdict;
    use anbiao_store::account::{self, SignIn};
    use anbiao_store::audit::{self, Event};

    if let Verdict::Refused { first } = state.sign_in_limiter.attempt(client) {
        if first {
            let actor = Actor {
                username: username.chars().take(50).collect(),
                client: client.to_string(),
                source: source.to_string(),
                ..Actor::default()
            };
            let ev = Event::new("signin.throttled", format!("client:{client}"))
                .detail("同一地址登录尝试过于频繁，暂停受理一分钟");
            audit::append(&state.db, &actor, &ev).await?;
        }
        return Err(AppError::TooManyRequests);
    }
    if username.is_empty()
        || password.is_empty()
        || username.chars().count() > 100
        || username.chars().any(char::is_control)
    {
        return Err(AppError::BadCredentials);
    }
    match account::sign_in(
        &state.db,
        username,
        password,
        &state.config.policy,
        client,
        source,
    )
    .await?
    {
        SignIn::Ok(u) => Ok(u),
        SignIn::Failed => Err(AppError::BadCredentials),
        SignIn::Locked { until } => Err(AppError::Locked(crate::views::china_time_hm(until))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anbiao_domain::EnterpriseDraft;
    use anbiao_store::enterprise::Enterprise;

    fn stored(code: &str, reason: Option<&str>) -> Enterprise {
        let now = time::OffsetDateTime::now_utc();
        Enterprise {
            id: 1,
            credit_code: code.into(),
            code_override_reason: reason.map(str::to_string),
            name: "甲".into(),
            region_code: "320682".into(),
            township: None,
            industry_code: "JX".into(),
            annual_sales_yuan: None,
            employees: None,
            above_scale: None,
            size_class: None,
            size_rule: None,
            status: "active".into(),
            contact_person: None,
            contact_phone: None,
            address: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn an_accepted_override_can_be_kept_but_not_extended() {
        let failing = "91350203M0001QAY9B";
        let draft = |c: &str| EnterpriseDraft {
            credit_code: Some(c.to_lowercase()),
            ..Default::default()
        };
        let e = stored(failing, Some("已核对营业执照原件"));
        assert_eq!(
            override_policy(false, Some(&e), &draft(failing)),
            OverridePolicy::Allowed
        );
        assert_eq!(
            override_policy(false, Some(&e), &draft("91350203M0001QAY9C")),
            OverridePolicy::Forbidden
        );
        assert_eq!(
            override_policy(false, Some(&stored(failing, None)), &draft(failing)),
            OverridePolicy::Forbidden
        );
        assert_eq!(
            override_policy(false, None, &draft(failing)),
            OverridePolicy::Forbidden
        );
        assert_eq!(
            override_policy(true, None, &draft(failing)),
            OverridePolicy::Allowed
        );
    }
}

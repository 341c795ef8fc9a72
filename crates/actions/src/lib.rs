//! The action layer of anbiao: every use case that changes business data (and the reads that
//! decide on a record) is one function of the actor and a typed command. It loads the record
//! within the actor's scope (not found outside it), asks the permission and the authority rules
//! (`data/rules/authority.toml`) whether this actor's party may act on *this* record (refused
//! before the record's state is looked at), applies the domain rules and writes through the
//! store. Pages, the API, the command line, the demo and jobs call these functions; none of them
//! decides who may act.
//!
//! Most actions are methods of one context, [`Ctx`] (the database, the rules, the actor and
//! the decision date); `Ctx::party_may` is the one question to the authority rules.
//!
//! - [`actor`]: who acts (role, scope, token, region; the public; a person on the command line).
//! - [`accounts`], [`tokens`], [`audit_log`]: accounts under separation of duties, API tokens,
//!   the audit log for the audit administrator.
//! - [`enterprises`], [`imports`], [`exports`]: the registry, with the fields an enterprise keeps
//!   itself; roster imports; the registry as a workbook.
//! - [`grading`], [`certificates`]: the grading life cycle to the certificate; revocations,
//!   annual self-assessments, accidents.
//! - [`audits`]: quality audits of graded enterprises, re-checks, renewals.
//! - [`inspection_plans`], [`inspections`], [`hazards`], [`enforcement`]: the yearly plan,
//!   inspections, hidden hazards, decisions, typical cases and warning notices.
//! - [`programmes`], [`reports`], [`bulletins`]: the programme's figures and target table,
//!   the districts' reports, the city's bulletins.
//! - [`orgs`], [`sheets`], [`quality`]: evaluation organisations, scoring sheets,
//!   notifications; the grading's quality monitor.
//! - [`portal`]: what the public reads without signing in.
//! - [`registry`]: the table of who may take which action, from which `docs/security.md`'s table
//!   is checked.

pub mod accounts;
pub mod actor;
pub mod audit_log;
pub mod audits;
pub mod bulletins;
pub mod certificates;
pub mod consequences;
mod ctx;
pub mod enforcement;
pub mod enterprises;
pub mod error;
pub mod exports;
pub mod feed;
pub mod grading;
pub mod grids;
pub mod hazards;
pub mod imports;
pub mod inspection_plans;
pub mod inspections;
pub mod obligation_reminders;
pub mod obligations;
pub mod orgs;
pub mod outreach;
pub mod people;
pub mod portal;
pub mod programmes;
pub mod quality;
pub mod registry;
pub mod reports;
pub mod risk_import;
pub mod risks;
pub mod sheets;
pub mod tokens;
pub mod training;
pub mod workbench;

pub use actor::Actor;

/// Today in China (UTC+8), by the wall clock: the business date when none is configured.
pub fn today() -> time::Date {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}
pub use ctx::Ctx;
pub use error::ActionError;

//! Storage for anbiao over sqlx: one code path for SQLite (default) and PostgreSQL.
//!
//! Every function that reads business data takes a [`anbiao_domain::Scope`]; there is no
//! unscoped variant. SQL uses `$n` placeholders on both backends.

pub mod accident;
pub mod account;
pub mod assessment;
pub mod audit_log;
pub mod audits;
pub mod bulletins;
pub mod certificate;
pub mod consequences;
pub mod db;
pub mod enforcement;
pub mod enterprise;
pub mod error;
pub mod feed;
pub mod grading;
pub mod grids;
pub mod hazards;
pub mod import;
pub mod inspection_plans;
pub mod inspections;
pub mod jobs;
pub mod notify;
pub mod obligations;
pub mod orgs;
pub mod outreach;
pub mod paging;
pub mod programme;
pub mod quality;
pub mod queue;
pub mod reference;
pub mod risk_checks;
pub mod risk_plans;
pub mod risk_points;
mod rows;
pub mod seed;
pub mod session;
pub mod sql;
pub mod standards;
pub mod standing;
pub mod submissions;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod token;
pub mod training;

pub use db::{Backend, Db, Tx};
pub use error::StoreError;

//! The action layer of anbiao: every use case that changes business data (and the reads that
//! decide on a record) is one function of the actor and a typed command. It loads the record
//! within the actor's scope (not found outside it), asks the permission and the authority rules
//! (`data/rules/authority.toml`) whether this actor's party may act on *this* record (refused
//! before the record's state is looked at), applies the domain rules and writes through the
//! store. Pages, the API, the command line, the demo and jobs call these functions; none of them
//! decides who may act.
//!
//! - [`actor`]: who acts (role, scope, token; the public; a person on the command line).
//! - [`grading`]: the grading life cycle, from opening a case to the certificate.
//! - [`enterprises`]: registry changes, with the fields an enterprise keeps itself.
//! - [`registry`]: the list of actions with who may take them, from which `docs/security.md`'s
//!   table is checked.

pub mod accounts;
pub mod actor;
pub mod certificates;
mod ctx;
pub mod enforcement;
pub mod enterprises;
pub mod error;
pub mod grading;
pub mod hazards;
pub mod imports;
pub mod registry;
pub mod reports;

pub use actor::Actor;
pub use ctx::Ctx;
pub use error::ActionError;

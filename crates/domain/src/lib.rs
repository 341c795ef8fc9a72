//! The domain core of anbiao. Pure: no IO, no async, no SQL, no HTTP.
//!
//! - [`credit_code`]: GB 32100 unified social credit codes.
//! - [`region`], [`industry`], [`size`]: reference data with validity dates.
//! - [`enterprise`]: the registry record and its validation.
//! - [`account`]: roles, permissions and scopes.
//! - [`password`]: password strength and lock-out policy.

pub mod account;
pub mod credit_code;
pub mod date;
pub mod enterprise;
pub mod grade;
pub mod industry;
pub mod number;
pub mod password;
pub mod reference;
pub mod region;
pub mod rules;
pub mod scoring;
pub mod size;
pub mod standard;
pub mod text;

pub use account::{Permission, Role, Scope};
pub use credit_code::CreditCode;
pub use enterprise::{
    EnterpriseDraft, EnterpriseInput, EnterpriseStatus, Field, FieldError, OverridePolicy,
};
pub use grade::Grade;
pub use password::SignInPolicy;
pub use reference::ReferenceData;

//! The domain core of anbiao. Pure: no IO, no async, no SQL, no HTTP.
//!
//! - [`credit_code`]: GB 32100 unified social credit codes.
//! - [`region`], [`industry`], [`size`]: reference data with validity dates.
//! - [`enterprise`]: the registry record and its validation.
//! - [`account`]: roles, permissions and scopes.
//! - [`password`]: password strength and lock-out policy.
//! - [`grade`], [`standard`], [`scoring`]: grades, element trees and scoring sheets as data,
//!   and the scoring engine.
//! - [`rules`]: grading rule sets with effective dates; every answer names its rule.
//! - [`lifecycle`]: the grading case state machine.
//! - [`certificate`]: certificate numbers and status on a date.
//! - [`supervision`], [`inspection_plan`], [`checklist`], [`hazard`], [`major_hazard`],
//!   [`enforcement`], [`violations`]: risk-based supervision from plan to violation record.

pub mod account;
pub mod authority;
pub mod certificate;
pub mod checklist;
pub mod consequences;
pub mod credit_code;
pub mod date;
pub mod enforcement;
pub mod enterprise;
pub mod feed;
pub mod grade;
pub mod hazard;
pub mod industry;
pub mod inspection_plan;
pub mod lifecycle;
pub mod major_hazard;
pub mod number;
pub mod obligations;
pub mod outreach;
pub mod password;
pub mod programme;
pub mod quality;
pub mod reference;
pub mod region;
pub mod risk;
pub mod risk_card;
pub mod risk_check;
pub mod risk_plan;
pub mod risk_point;
pub mod rule_book;
pub mod rules;
pub mod sampling;
pub mod scoring;
pub mod size;
pub mod standard;
pub mod standing;
pub mod supervision;
pub mod text;
pub mod violations;

pub use account::{Permission, Role, Scope};
pub use credit_code::CreditCode;
pub use enterprise::{
    EnterpriseDraft, EnterpriseInput, EnterpriseStatus, Field, FieldError, OverridePolicy,
};
pub use grade::Grade;
pub use password::SignInPolicy;
pub use reference::ReferenceData;

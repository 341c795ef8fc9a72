//! Storage tests; every test runs on SQLite and PostgreSQL.

mod account;
mod audit_log;
mod enterprise;
mod grading;
mod hazards;
mod import;
mod inspection_plans;
mod jobs;
mod programme;
mod risk_points;
mod supervision;
mod token;

use anbiao_domain::ReferenceData;
use anbiao_domain::enterprise::{EnterpriseDraft, EnterpriseInput, OverridePolicy};
use time::macros::date;

pub fn reference() -> ReferenceData {
    ReferenceData::embedded().expect("reference data")
}

pub use anbiao_store::testing::credit_code as code;

pub fn input(
    code: &str,
    name: &str,
    region: &str,
    industry: &str,
    sales_wan: &str,
    staff: &str,
) -> EnterpriseInput {
    EnterpriseDraft {
        credit_code: Some(code.into()),
        name: Some(name.into()),
        region: Some(region.into()),
        industry: Some(industry.into()),
        annual_sales_wan: Some(sales_wan.into()),
        employees: Some(staff.into()),
        ..Default::default()
    }
    .validate(&reference(), date!(2026 - 11 - 29), OverridePolicy::Allowed)
    .expect("valid test input")
}

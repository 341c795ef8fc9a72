//! Storage tests; every test runs on SQLite and PostgreSQL.

mod account;
mod enterprise;
mod import;

use anbiao_domain::enterprise::{EnterpriseDraft, EnterpriseInput, OverridePolicy};
use anbiao_domain::{CreditCode, ReferenceData};
use time::macros::date;

pub fn reference() -> ReferenceData {
    ReferenceData::embedded().expect("reference data")
}

/// A valid credit code registered in `area`, distinct per `n`.
pub fn code(area: &str, n: u32) -> String {
    let alphabet: Vec<char> = anbiao_domain::credit_code::ALPHABET.chars().collect();
    let mut tail = String::new();
    let mut x = n;
    for _ in 0..5 {
        tail.push(alphabet[(x % 31) as usize]);
        x /= 31;
    }
    CreditCode::complete(&format!("91{area}MA1{tail}"))
        .expect("valid prefix")
        .to_string()
}

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

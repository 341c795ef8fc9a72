//! The spreadsheet importer on arbitrary bytes (read as .xlsx, .xls, .ods or CSV in any
//! encoding), then every row through validation: it answers rows or a Chinese error, and
//! never panics or hangs.
#![no_main]

use std::sync::OnceLock;

use anbiao_domain::{OverridePolicy, ReferenceData};
use libfuzzer_sys::fuzz_target;

fn reference() -> &'static ReferenceData {
    static R: OnceLock<ReferenceData> = OnceLock::new();
    R.get_or_init(|| ReferenceData::embedded().expect("embedded reference data"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(roster) = anbiao_sheets::read_roster(data) else {
        return;
    };
    let today = time::macros::date!(2026 - 11 - 29);
    for row in &roster.rows {
        assert!(row.row >= 1);
        let _ = row
            .draft
            .validate(reference(), today, OverridePolicy::Forbidden);
    }
});

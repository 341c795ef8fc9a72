//! Every spreadsheet reader (tables, roster, scoring sheet, major-hazard list) on arbitrary
//! bytes: each answers or refuses with a message, inside the documented caps, and never panics,
//! hangs or exhausts memory (run with -rss_limit_mb).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    anbiao_sheets::fuzzing::every_reader(data);
});

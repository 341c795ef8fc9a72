//! The credit-code parser on arbitrary text: never panics, and what it accepts holds its
//! invariants (18 alphabet characters, both check characters right, stable under re-parsing).
#![no_main]

use anbiao_domain::CreditCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = CreditCode::parse_lenient(s) {
        assert_eq!(code.as_str().chars().count(), 18);
        assert_eq!(code.registration_area().len(), 6);
        let strict = CreditCode::parse(s);
        assert_eq!(strict.is_ok(), code.verify().is_ok());
        if let Ok(c) = strict {
            let again = CreditCode::parse(c.as_str()).expect("a valid code re-parses");
            assert_eq!(again, c);
            let prefix: String = c.as_str().chars().take(16).collect();
            assert_eq!(CreditCode::complete(&prefix), Some(c));
        }
    }
    let _ = CreditCode::complete(s);
});

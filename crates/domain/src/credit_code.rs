//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters: registration authority (1), organisation kind (1), the registering
//! authority's area code (6, GB/T 2260, fixed at registration), the organisation code (9,
//! GB 11714, with its own check character at position 17) and a check character (18).

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::to_half_width;

/// The 31 characters a credit code may use (no I, O, S, V, Z).
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Why a string is not a valid credit code. Messages are shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码不能为空")]
    Empty,
    #[error("统一社会信用代码应为18位，实际为{0}位")]
    Length(usize),
    #[error("统一社会信用代码第{position}位“{ch}”不是允许的字符（不含 I、O、S、V、Z）")]
    Character { position: usize, ch: char },
    #[error("统一社会信用代码第17位（组织机构代码校验位）应为“{expected}”，实际为“{actual}”")]
    OrgCheck { expected: char, actual: char },
    #[error("统一社会信用代码第18位（校验码）应为“{expected}”，实际为“{actual}”")]
    Check { expected: char, actual: char },
}

impl CreditCodeError {
    /// Format errors can never be overridden; a failing check character can, with a reason,
    /// because some real codes issued in the early years fail it.
    pub fn is_overridable(&self) -> bool {
        matches!(self, Self::OrgCheck { .. } | Self::Check { .. })
    }
}

/// A normalised credit code: 18 characters from [`ALPHABET`]. The check characters may or may
/// not hold (see [`CreditCode::parse_lenient`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreditCode(String);

/// Normalises as people type codes: full-width to half-width, whitespace removed, upper case.
pub fn normalize(raw: &str) -> String {
    to_half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}' && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn value(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

fn org_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        _ => None,
    }
}

/// The check character (position 18) for the first 17 characters, which must be from the alphabet.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
        n += 1;
    }
    if n != 17 {
        return None;
    }
    ALPHABET.chars().nth(((31 - sum % 31) % 31) as usize)
}

/// The GB 11714 organisation-code check character (position 17) for positions 9–16.
pub fn org_check_char(body8: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut n = 0;
    for (c, w) in body8.chars().zip(ORG_WEIGHTS) {
        sum += org_value(c)? * w;
        n += 1;
    }
    if n != 8 {
        return None;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        r => char::from_digit(r, 10)?,
    })
}

impl CreditCode {
    /// Normalises and validates fully: format and both check characters.
    pub fn parse(raw: &str) -> Result<Self, CreditCodeError> {
        let code = Self::parse_lenient(raw)?;
        code.verify()?;
        Ok(code)
    }

    /// Normalises and validates the format only: 18 characters from the alphabet.
    pub fn parse_lenient(raw: &str) -> Result<Self, CreditCodeError> {
        let s = normalize(raw);
        if s.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let len = s.chars().count();
        if len != 18 {
            return Err(CreditCodeError::Length(len));
        }
        if let Some((i, ch)) = s.chars().enumerate().find(|(_, c)| value(*c).is_none()) {
            return Err(CreditCodeError::Character {
                position: i + 1,
                ch,
            });
        }
        Ok(Self(s))
    }

    /// Checks position 17 (organisation code) and position 18 (credit code check).
    pub fn verify(&self) -> Result<(), CreditCodeError> {
        let chars: Vec<char> = self.0.chars().collect();
        let body: String = chars[8..16].iter().collect();
        // The organisation-code check is defined only for bodies of digits and letters; every
        // character of the alphabet is one, so `org_check_char` always answers here.
        if let Some(expected) = org_check_char(&body)
            && expected != chars[16]
        {
            return Err(CreditCodeError::OrgCheck {
                expected,
                actual: chars[16],
            });
        }
        let first17: String = chars[..17].iter().collect();
        if let Some(expected) = check_char(&first17)
            && expected != chars[17]
        {
            return Err(CreditCodeError::Check {
                expected,
                actual: chars[17],
            });
        }
        Ok(())
    }

    /// Builds a valid code from its first 16 characters by appending both check characters.
    /// Returns `None` when the prefix is not 16 alphabet characters.
    pub fn complete(prefix16: &str) -> Option<Self> {
        if prefix16.chars().count() != 16 || prefix16.chars().any(|c| value(c).is_none()) {
            return None;
        }
        let body: String = prefix16.chars().skip(8).collect();
        let org = org_check_char(&body)?;
        let first17 = format!("{prefix16}{org}");
        // The organisation check may be 'X' or a digit, both in the alphabet.
        let check = check_char(&first17)?;
        Some(Self(format!("{first17}{check}")))
    }

    /// The registering authority's area code (positions 3–8). Never the supervising region.
    pub fn registration_area(&self) -> &str {
        &self.0[2..8]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_codes_from_the_fact_sheet() {
        for ok in [
            "91320682711592946A",
            "91320682MA1YNP7P2L",
            "91350200776049653A",
            "91440101MA5CJQ4N59",
            "9135021359498494XQ",
            "123502001549897397",
        ] {
            assert_eq!(
                CreditCode::parse(ok).map(|c| c.to_string()),
                Ok(ok.to_string()),
                "{ok}"
            );
        }
        assert_eq!(
            CreditCode::parse("91350203M0001QAY9B"),
            Err(CreditCodeError::Check {
                expected: '9',
                actual: 'B'
            })
        );
        assert_eq!(
            CreditCode::parse("91320621MA1MRHG207"),
            Err(CreditCodeError::Check {
                expected: '5',
                actual: '7'
            })
        );
    }

    #[test]
    fn normalises_full_width_case_and_spaces() {
        let c = CreditCode::parse(" ９１３２０６８２ma1ynp7p2l\u{3000}").expect("valid");
        assert_eq!(c.as_str(), "91320682MA1YNP7P2L");
        assert_eq!(c.registration_area(), "320682");
    }

    #[test]
    fn format_errors_are_not_overridable() {
        assert_eq!(CreditCode::parse(""), Err(CreditCodeError::Empty));
        assert_eq!(
            CreditCode::parse("9132068271159294"),
            Err(CreditCodeError::Length(16))
        );
        let e = CreditCode::parse("91320682711592946O").expect_err("O is not allowed");
        assert_eq!(
            e,
            CreditCodeError::Character {
                position: 18,
                ch: 'O'
            }
        );
        assert!(!e.is_overridable());
        let e = CreditCode::parse("91320682711592945A").expect_err("org check");
        assert!(matches!(
            e,
            CreditCodeError::OrgCheck {
                expected: '6',
                actual: '5'
            }
        ));
        assert!(e.is_overridable());
    }

    proptest! {
        #[test]
        fn completed_codes_always_verify(prefix in "[0-9A-HJ-NPQRTUWXY]{16}") {
            let code = CreditCode::complete(&prefix).expect("16 alphabet chars");
            prop_assert!(code.verify().is_ok());
            prop_assert!(code.as_str().starts_with(&prefix));
        }

        #[test]
        fn changing_one_character_breaks_the_check(prefix in "[0-9A-HJ-NPQRTUWXY]{16}", pos in 0usize..16, delta in 1u32..30) {
            let code = CreditCode::complete(&prefix).expect("valid");
            let mut chars: Vec<char> = code.as_str().chars().collect();
            let v = value(chars[pos]).expect("alphabet");
            chars[pos] = ALPHABET.chars().nth(((v + delta) % 31) as usize).expect("in range");
            let changed: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse(&changed).is_err());
        }
    }
}

//! Certificates: the national number format and the status on a date.
//!
//! Number: region abbreviation (none for 一级) + `AQB` + industry code + level numeral
//! (Ⅰ/Ⅱ/Ⅲ) + year of issue (4 digits) + sequence (5 digits), e.g. `苏AQBJXⅢ201800001`
//! (49号 附件3, S24, confirmed). ASCII `I`/`II`/`III` and lower case are accepted on input and
//! normalised.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;

use crate::grade::Grade;

/// Industry codes of the national format (S24).
pub const INDUSTRY_CODES: [&str; 17] = [
    "KS", "SY", "XK", "CJ", "DZ", "WH", "HG", "YY", "YH", "YJ", "YS", "JC", "JX", "QG", "FZ", "YC",
    "SM",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CertificateNumber {
    /// One-character region abbreviation (苏); none for 一级.
    pub region: Option<char>,
    pub industry: String,
    pub grade: Grade,
    pub year: i32,
    pub seq: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NumberError {
    #[error("证书编号应为“地区简称＋AQB＋行业代号＋等级＋年度＋5位顺序号”，如 苏AQBJXⅢ201800001")]
    Format,
    #[error("行业代号“{0}”不存在")]
    Industry(String),
    #[error("一级证书编号不带地区简称")]
    PrefixOnOne,
    #[error("二级、三级证书编号须以地区简称开头")]
    MissingPrefix,
    #[error("小微达标不分等级，没有此格式的证书编号")]
    NoLevel,
}

impl CertificateNumber {
    pub fn new(
        region: Option<char>,
        industry: &str,
        grade: Grade,
        year: i32,
        seq: u32,
    ) -> Result<Self, NumberError> {
        let n = Self {
            region,
            industry: industry.to_string(),
            grade,
            year,
            seq,
        };
        n.check()?;
        Ok(n)
    }

    fn check(&self) -> Result<(), NumberError> {
        if !INDUSTRY_CODES.contains(&self.industry.as_str()) {
            return Err(NumberError::Industry(self.industry.clone()));
        }
        match (self.grade, self.region) {
            (Grade::SmallMicro, _) => Err(NumberError::NoLevel),
            (Grade::One, Some(_)) => Err(NumberError::PrefixOnOne),
            (Grade::Two | Grade::Three, None) => Err(NumberError::MissingPrefix),
            _ if !(1000..=9999).contains(&self.year) || !(1..=99_999).contains(&self.seq) => {
                Err(NumberError::Format)
            }
            _ => Ok(()),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, NumberError> {
        let s: String = crate::text::clean(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let mut chars = s.chars().peekable();
        let region = match chars.peek() {
            Some(c) if !c.is_ascii() => {
                let c = *c;
                chars.next();
                Some(c)
            }
            _ => None,
        };
        let rest: String = chars.collect();
        let rest = rest.strip_prefix("AQB").ok_or(NumberError::Format)?;
        let industry: String = rest.chars().take(2).collect();
        if industry.len() != 2 || !industry.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(NumberError::Format);
        }
        let rest = &rest[2..];
        let (grade, rest) = if let Some(r) = rest.strip_prefix('Ⅰ') {
            (Grade::One, r)
        } else if let Some(r) = rest.strip_prefix('Ⅱ') {
            (Grade::Two, r)
        } else if let Some(r) = rest.strip_prefix('Ⅲ') {
            (Grade::Three, r)
        } else if let Some(r) = rest.strip_prefix("III") {
            (Grade::Three, r)
        } else if let Some(r) = rest.strip_prefix("II") {
            (Grade::Two, r)
        } else if let Some(r) = rest.strip_prefix('I') {
            (Grade::One, r)
        } else {
            return Err(NumberError::Format);
        };
        if rest.len() != 9 || !rest.chars().all(|c| c.is_ascii_digit()) {
            return Err(NumberError::Format);
        }
        let year: i32 = rest[..4].parse().map_err(|_| NumberError::Format)?;
        let seq: u32 = rest[4..].parse().map_err(|_| NumberError::Format)?;
        Self::new(region, &industry, grade, year, seq)
    }
}

impl fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = self.region {
            write!(f, "{r}")?;
        }
        write!(
            f,
            "AQB{}{}{:04}{:05}",
            self.industry,
            self.grade.roman().unwrap_or(""),
            self.year,
            self.seq
        )
    }
}

/// A certificate's status on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// Issued but its validity has not begun.
    Pending,
    Valid,
    Expired,
    Revoked,
    /// Replaced by a renewal or a new level.
    Superseded,
}

impl CertificateStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Valid => "valid",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "未到生效日期",
            Self::Valid => "有效",
            Self::Expired => "已过期",
            Self::Revoked => "已撤销",
            Self::Superseded => "已换发",
        }
    }
}

/// The status on `on` of a certificate valid over `[from, until]` (both inclusive), revoked
/// or superseded on the given dates. The dates are the source of truth; status is derived.
pub fn status_on(
    on: Date,
    from: Date,
    until: Date,
    revoked_on: Option<Date>,
    superseded_on: Option<Date>,
) -> CertificateStatus {
    if revoked_on.is_some_and(|r| r <= on) {
        CertificateStatus::Revoked
    } else if superseded_on.is_some_and(|s| s <= on) {
        CertificateStatus::Superseded
    } else if on < from {
        CertificateStatus::Pending
    } else if on > until {
        CertificateStatus::Expired
    } else {
        CertificateStatus::Valid
    }
}

/// The validity years (1, 2, …) whose annual self-assessment is due by `on`: year n falls due
/// on the n-th anniversary of `from` (and the last year at the end of validity), for a
/// certificate valid over `[from, until]`. GB/T 33000-2016 5.8.1: at least once a year.
pub fn annual_years_due(from: Date, until: Date, on: Date) -> Vec<i64> {
    let mut out = Vec::new();
    let mut n = 1i64;
    loop {
        let due = crate::date::add_months(from, 12 * n as i32);
        let due = if due > until { until } else { due };
        if due > on || n > 10 {
            break;
        }
        out.push(n);
        if due >= until {
            break;
        }
        n += 1;
    }
    out
}

/// The day the first validity year whose annual self-assessment is not done falls due, or
/// `None` when every year of the validity is done. A certificate misses a self-assessment on a
/// day exactly when this day has come (the years fall due in order), which lets the store keep
/// it on the certificate's row and count the missing ones from an index.
pub fn annual_open_due(from: Date, until: Date, done: &[i64]) -> Option<Date> {
    annual_years_due(from, until, until)
        .into_iter()
        .find(|y| !done.contains(y))
        .map(|y| crate::date::add_months(from, 12 * y as i32).min(until))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn the_first_open_year_decides_whether_one_is_missing() {
        let (from, until) = (date!(2020 - 02 - 29), date!(2023 - 02 - 27));
        assert_eq!(
            annual_open_due(from, until, &[]),
            Some(date!(2021 - 02 - 28))
        );
        assert_eq!(
            annual_open_due(from, until, &[1]),
            Some(date!(2022 - 02 - 28))
        );
        // Year 2 handed in early: year 1 is still the one missing.
        assert_eq!(
            annual_open_due(from, until, &[2]),
            Some(date!(2021 - 02 - 28))
        );
        // The last year falls due at the end of validity.
        assert_eq!(annual_open_due(from, until, &[1, 2]), Some(until));
        assert_eq!(annual_open_due(from, until, &[1, 2, 3]), None);
    }

    proptest! {
        #[test]
        fn open_due_agrees_with_the_years_due(
            start in 0i64..3000, len in 30i64..1500, day in 0i64..1600,
            done in proptest::collection::vec(1i64..5, 0..4)
        ) {
            let from = date!(2016 - 01 - 01) + time::Duration::days(start);
            let until = from + time::Duration::days(len);
            let on = from + time::Duration::days(day);
            let missing = annual_years_due(from, until, on).iter().any(|y| !done.contains(y));
            let open = annual_open_due(from, until, &done).is_some_and(|d| d <= on);
            prop_assert_eq!(missing, open);
        }
    }

    #[test]
    fn parses_and_prints_the_national_format() {
        let n = CertificateNumber::parse("苏AQBJXⅢ201800001").expect("valid");
        assert_eq!(n.region, Some('苏'));
        assert_eq!(
            (n.industry.as_str(), n.grade, n.year, n.seq),
            ("JX", Grade::Three, 2018, 1)
        );
        assert_eq!(n.to_string(), "苏AQBJXⅢ201800001");
        // ASCII numerals, lower case and spaces are normalised.
        let ascii = CertificateNumber::parse(" 苏aqbfzII 2019 00042").expect("ascii");
        assert_eq!(ascii.to_string(), "苏AQBFZⅡ201900042");
        let one = CertificateNumber::parse("AQBYJI201700003").expect("one");
        assert_eq!(one.to_string(), "AQBYJⅠ201700003");
        assert_eq!(
            CertificateNumber::parse("苏AQBYJⅠ201700003"),
            Err(NumberError::PrefixOnOne)
        );
        assert_eq!(
            CertificateNumber::parse("AQBJXⅢ201800001"),
            Err(NumberError::MissingPrefix)
        );
        assert_eq!(
            CertificateNumber::parse("苏AQBZZⅢ201800001"),
            Err(NumberError::Industry("ZZ".into()))
        );
        for bad in [
            "",
            "苏AQB",
            "苏AQBJXⅣ201800001",
            "苏AQBJXⅢ20180001",
            "苏XYZJXⅢ201800001",
            "苏AQBJXⅢ201800000",
        ] {
            assert!(CertificateNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_follows_the_dates() {
        let (from, until) = (date!(2018 - 12 - 20), date!(2021 - 12 - 19));
        assert_eq!(
            status_on(date!(2018 - 12 - 19), from, until, None, None),
            CertificateStatus::Pending
        );
        assert_eq!(
            status_on(date!(2021 - 12 - 19), from, until, None, None),
            CertificateStatus::Valid
        );
        assert_eq!(
            status_on(date!(2021 - 12 - 20), from, until, None, None),
            CertificateStatus::Expired
        );
        let rev = Some(date!(2019 - 05 - 01));
        assert_eq!(
            status_on(date!(2019 - 04 - 30), from, until, rev, None),
            CertificateStatus::Valid
        );
        assert_eq!(
            status_on(date!(2019 - 05 - 01), from, until, rev, None),
            CertificateStatus::Revoked
        );
        assert_eq!(
            status_on(
                date!(2020 - 01 - 01),
                from,
                until,
                None,
                Some(date!(2019 - 06 - 01))
            ),
            CertificateStatus::Superseded
        );
    }

    #[test]
    fn annual_self_assessments_fall_due_each_year() {
        let (from, until) = (date!(2018 - 12 - 20), date!(2021 - 12 - 19));
        assert!(annual_years_due(from, until, date!(2019 - 12 - 19)).is_empty());
        assert_eq!(annual_years_due(from, until, date!(2019 - 12 - 20)), [1]);
        assert_eq!(annual_years_due(from, until, date!(2021 - 06 - 01)), [1, 2]);
        assert_eq!(
            annual_years_due(from, until, date!(2030 - 01 - 01)),
            [1, 2, 3]
        );
    }

    proptest! {
        #[test]
        fn numbers_round_trip(ind in 0usize..17, g in 0usize..3, year in 2000i32..2100, seq in 1u32..100_000) {
            let grade = [Grade::One, Grade::Two, Grade::Three][g];
            let region = if grade == Grade::One { None } else { Some('苏') };
            let n = CertificateNumber::new(region, INDUSTRY_CODES[ind], grade, year, seq).expect("valid");
            prop_assert_eq!(CertificateNumber::parse(&n.to_string()), Ok(n.clone()));
            let ascii = n.to_string().replace('Ⅰ', "I").replace('Ⅱ', "II").replace('Ⅲ', "III");
            prop_assert_eq!(CertificateNumber::parse(&ascii), Ok(n));
        }
    }
}

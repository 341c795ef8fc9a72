//! Numbers as they arrive from spreadsheets and forms: thousands separators, full-width digits,
//! text cells, amounts in 万元.

use crate::text::squeeze;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("应为数字，实际为“{0}”")]
    NotANumber(String),
    #[error("不能为负数")]
    Negative,
    #[error("数值过大")]
    TooLarge,
    #[error("应为整数，实际为“{0}”")]
    NotInteger(String),
}

fn prepare(raw: &str) -> String {
    squeeze(raw).replace([',', '，', '_'], "")
}

/// Parses a non-negative decimal amount in 万元 into 元, exactly (no floating point):
/// "1,234.5678" → 12,345,678. More than four decimals are rounded half up to the 元.
pub fn parse_wan_to_yuan(raw: &str) -> Result<i64, NumberError> {
    let s = prepare(raw);
    let s = s
        .strip_suffix("万元")
        .or_else(|| s.strip_suffix('万'))
        .unwrap_or(&s);
    if s.starts_with('-') {
        return Err(NumberError::Negative);
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits_only = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits_only(int) || !digits_only(frac) {
        return Err(NumberError::NotANumber(raw.trim().to_string()));
    }
    let int_v: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| NumberError::TooLarge)?
    };
    let mut frac4 = String::from(frac);
    let round_up = frac4.len() > 4 && frac4.as_bytes()[4] >= b'5';
    frac4.truncate(4);
    while frac4.len() < 4 {
        frac4.push('0');
    }
    let frac_v: i64 = frac4
        .parse()
        .map_err(|_| NumberError::NotANumber(raw.to_string()))?;
    int_v
        .checked_mul(10_000)
        .and_then(|v| v.checked_add(frac_v + i64::from(round_up)))
        .ok_or(NumberError::TooLarge)
}

/// Parses a non-negative integer count such as staff numbers: "1,200", "１２００", "1200.0".
pub fn parse_count(raw: &str) -> Result<i64, NumberError> {
    let s = prepare(raw);
    let s = s.strip_suffix('人').unwrap_or(&s);
    if s.starts_with('-') {
        return Err(NumberError::Negative);
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(NumberError::NotANumber(raw.trim().to_string()));
    }
    if frac.chars().any(|c| c != '0') {
        return Err(NumberError::NotInteger(raw.trim().to_string()));
    }
    let v: i64 = int.parse().map_err(|_| NumberError::TooLarge)?;
    if v > 10_000_000 {
        return Err(NumberError::TooLarge);
    }
    Ok(v)
}

/// Formats 元 as 万元 with up to four decimals and no trailing zeros: 12345678 → "1234.5678".
pub fn format_yuan_as_wan(yuan: i64) -> String {
    let int = yuan / 10_000;
    let frac = (yuan % 10_000).abs();
    if frac == 0 {
        return int.to_string();
    }
    let f = format!("{frac:04}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

/// A whole number with thousands grouped by commas, as an amount column reads: 2,220,000.
pub fn group_thousands(n: impl std::borrow::Borrow<i64>) -> String {
    let n = *n.borrow();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount in a sentence: in 万元 from ten thousand yuan up (罚款 222 万元, 3.5 万元), in
/// grouped 元 below (罚款 5,000 元).
pub fn yuan_in_words(yuan: impl std::borrow::Borrow<i64>) -> String {
    let yuan = *yuan.borrow();
    if yuan.abs() >= 10_000 {
        format!("{} 万元", format_yuan_as_wan(yuan))
    } else {
        format!("{} 元", group_thousands(yuan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(group_thousands(2_220_000), "2,220,000");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(-45_000), "-45,000");
        assert_eq!(group_thousands(0), "0");
        assert_eq!(yuan_in_words(2_220_000), "222 万元");
        assert_eq!(yuan_in_words(35_000), "3.5 万元");
        assert_eq!(yuan_in_words(10_000), "1 万元");
        assert_eq!(yuan_in_words(5_000), "5,000 元");
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_wan_to_yuan("1,234.5"), Ok(12_345_000));
        assert_eq!(parse_wan_to_yuan(" ２０００ "), Ok(20_000_000));
        assert_eq!(parse_wan_to_yuan("2000万元"), Ok(20_000_000));
        assert_eq!(parse_wan_to_yuan("0.00005"), Ok(1));
        assert_eq!(parse_wan_to_yuan(".5"), Ok(5_000));
        assert_eq!(parse_wan_to_yuan("-1"), Err(NumberError::Negative));
        assert!(matches!(
            parse_wan_to_yuan("约100"),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(
            parse_wan_to_yuan("."),
            Err(NumberError::NotANumber(_))
        ));
        assert_eq!(
            parse_wan_to_yuan("99999999999999999999"),
            Err(NumberError::TooLarge)
        );
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("1,200"), Ok(1200));
        assert_eq!(parse_count("35.0"), Ok(35));
        assert_eq!(parse_count("35人"), Ok(35));
        assert!(matches!(
            parse_count("35.5"),
            Err(NumberError::NotInteger(_))
        ));
        assert!(matches!(
            parse_count("三十"),
            Err(NumberError::NotANumber(_))
        ));
        assert!(matches!(parse_count(""), Err(NumberError::NotANumber(_))));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(yuan in 0i64..10_000_000_000_000) {
            prop_assert_eq!(parse_wan_to_yuan(&format_yuan_as_wan(yuan)), Ok(yuan));
        }
    }
}

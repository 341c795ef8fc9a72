//! ISO dates as they appear in data files and forms.

use time::Date;
use time::macros::format_description;

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
        .ok()
        .filter(|d| (EARLIEST_YEAR..=LATEST_YEAR).contains(&d.year()))
}

/// The years a date of this system may fall in: an enterprise of the 1890s (大生纱厂, 1895) is
/// on file; year 0000 or 9999 is a slip of the keyboard, not a date.
pub const EARLIEST_YEAR: i32 = 1800;
pub const LATEST_YEAR: i32 = 2199;

/// Formats as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Formats as on official documents: `2018年12月31日`.
pub fn format_date_cn(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// The date `months` months later (earlier when negative), clamped to the month's last day.
pub fn add_months(d: Date, months: i32) -> Date {
    let total = d.year() * 12 + (u8::from(d.month()) as i32 - 1) + months;
    let year = total.div_euclid(12);
    let month =
        time::Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(time::Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(d)
}

/// The date `n` working days (Monday to Friday) after `d`. Public holidays are not known here.
pub fn add_working_days(d: Date, n: u32) -> Date {
    let mut out = d;
    let mut left = n;
    while left > 0 {
        out = out.next_day().unwrap_or(out);
        if !matches!(
            out.weekday(),
            time::Weekday::Saturday | time::Weekday::Sunday
        ) {
            left -= 1;
        }
    }
    out
}

/// The effective dates of a versioned rule set `name` as its file writes them: the first day
/// and, if any, the first day it no longer applies (which must come after the first).
pub fn effective_dates(
    name: &str,
    from: &str,
    to: Option<&str>,
) -> Result<(Date, Option<Date>), String> {
    let date = |v: &str, what: &str| {
        parse_date(v).ok_or_else(|| format!("{name} 的{what}“{v}”不是有效日期"))
    };
    let from = date(from, "生效日期")?;
    let to = match to {
        Some(v) => Some(date(v, "失效日期")?),
        None => None,
    };
    if to.is_some_and(|t| t <= from) {
        return Err(format!("{name} 的失效日期应晚于生效日期"));
    }
    Ok((from, to))
}

/// A half-open validity interval `[from, to)`; `None` means unbounded on that side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Validity {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl Validity {
    pub fn contains(&self, d: Date) -> bool {
        self.from.is_none_or(|f| f <= d) && self.to.is_none_or(|t| d < t)
    }

    pub fn overlaps(&self, other: &Validity) -> bool {
        let starts_before_other_ends = match (self.from, other.to) {
            (Some(f), Some(t)) => f < t,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.from, self.to) {
            (Some(f), Some(t)) => f < t,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_years_a_record_may_have_are_not_dates() {
        use time::macros::date;
        assert_eq!(parse_date(" 1895-05-23 "), Some(date!(1895 - 05 - 23)));
        assert_eq!(parse_date("2199-12-31"), Some(date!(2199 - 12 - 31)));
        for bad in [
            "0000-01-01",
            "1799-12-31",
            "2200-01-01",
            "9999-12-31",
            "2019-02-29",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn official_format_drops_leading_zeros() {
        use time::macros::date;
        assert_eq!(format_date_cn(date!(2018 - 01 - 05)), "2018年1月5日");
        assert_eq!(format_date_cn(date!(2021 - 12 - 30)), "2021年12月30日");
    }

    #[test]
    fn month_and_working_day_arithmetic() {
        use time::macros::date;
        assert_eq!(add_months(date!(2018 - 08 - 31), 3), date!(2018 - 11 - 30));
        assert_eq!(add_months(date!(2021 - 11 - 30), -3), date!(2021 - 08 - 30));
        assert_eq!(add_months(date!(2016 - 02 - 29), 36), date!(2019 - 02 - 28));
        // Friday + 5 working days = next Friday.
        assert_eq!(
            add_working_days(date!(2018 - 07 - 06), 5),
            date!(2018 - 07 - 13)
        );
    }
    use time::macros::date;

    #[test]
    fn half_open_intervals() {
        let v = Validity {
            from: Some(date!(2018 - 02 - 08)),
            to: Some(date!(2020 - 07 - 22)),
        };
        assert!(!v.contains(date!(2018 - 02 - 07)));
        assert!(v.contains(date!(2018 - 02 - 08)));
        assert!(!v.contains(date!(2020 - 07 - 22)));
        let after = Validity {
            from: Some(date!(2020 - 07 - 22)),
            to: None,
        };
        assert!(!v.overlaps(&after));
        let open = Validity {
            from: None,
            to: None,
        };
        assert!(open.overlaps(&after));
        assert_eq!(parse_date("2018-12-31"), Some(date!(2018 - 12 - 31)));
        assert_eq!(parse_date("2018-13-01"), None);
        assert_eq!(format_date(date!(2018 - 02 - 08)), "2018-02-08");
    }
}

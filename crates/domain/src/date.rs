//! ISO dates as they appear in data files and forms.

use time::Date;
use time::macros::format_description;

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()
}

/// Formats as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A half-open validity interval `[from, to)`; `None` means unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

//! An enterprise's standing over time: the days on which it counts towards each figure of a
//! programme's table, as half-open intervals `[from, until)`, and the `+1`/`−1` events at their
//! ends. Summing every enterprise's events up to a day gives the counts on that day, so the
//! store can keep the sums per period instead of scanning the registry for each date asked.
//!
//! The rules are those of `docs/metrics.md`: an enterprise counts while it operates
//! (`active_from` to `closed_on`); a certificate counts from `valid_from` through `valid_until`,
//! ending early on the day it is revoked or superseded; an enterprise holding two certificates
//! at once counts once among the certified. Audits are not here: they count within the
//! programme's own period and are few, so they are counted from their records directly.

use time::{Date, Duration};

use crate::grade::Grade;
use crate::programme::UnitCounts;

/// A count kept as a running sum of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    Active,
    AboveScale,
    SmallMicro,
    GradeOne,
    GradeTwo,
    GradeThree,
    AboveScaleCertified,
    BelowScaleCertified,
    SmallMicroCertified,
    AboveScaleSelfAssessed,
    SmallMicroStarted,
}

impl Counter {
    pub const ALL: [Counter; 11] = [
        Self::Active,
        Self::AboveScale,
        Self::SmallMicro,
        Self::GradeOne,
        Self::GradeTwo,
        Self::GradeThree,
        Self::AboveScaleCertified,
        Self::BelowScaleCertified,
        Self::SmallMicroCertified,
        Self::AboveScaleSelfAssessed,
        Self::SmallMicroStarted,
    ];

    /// The stored key (short: it is repeated in every stored event).
    pub fn key(self) -> &'static str {
        match self {
            Self::Active => "a",
            Self::AboveScale => "as",
            Self::SmallMicro => "sm",
            Self::GradeOne => "g1",
            Self::GradeTwo => "g2",
            Self::GradeThree => "g3",
            Self::AboveScaleCertified => "ac",
            Self::BelowScaleCertified => "bc",
            Self::SmallMicroCertified => "sc",
            Self::AboveScaleSelfAssessed => "sa",
            Self::SmallMicroStarted => "ss",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == s)
    }

    /// Adds `n` to this counter's field of `c` (below-scale operating enterprises are derived:
    /// all operating minus those above scale).
    pub fn add_to(self, c: &mut UnitCounts, n: u64) {
        let f = match self {
            Self::Active => &mut c.active,
            Self::AboveScale => &mut c.above_scale,
            Self::SmallMicro => &mut c.small_micro,
            Self::GradeOne => &mut c.grade_one,
            Self::GradeTwo => &mut c.grade_two,
            Self::GradeThree => &mut c.grade_three,
            Self::AboveScaleCertified => &mut c.above_scale_certified,
            Self::BelowScaleCertified => &mut c.below_scale_certified,
            Self::SmallMicroCertified => &mut c.small_micro_certified,
            Self::AboveScaleSelfAssessed => &mut c.above_scale_self_assessed,
            Self::SmallMicroStarted => &mut c.small_micro_started,
        };
        *f += n;
        c.below_scale = c.active.saturating_sub(c.above_scale);
    }
}

/// A day-interval `[from, until)`; `until` None runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub from: Date,
    pub until: Option<Date>,
}

impl Span {
    fn end_key(until: Option<Date>) -> Date {
        until.unwrap_or(Date::MAX)
    }

    /// The common part of two spans, if any.
    pub fn intersect(self, o: Span) -> Option<Span> {
        let from = self.from.max(o.from);
        let until = match (self.until, o.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, None) => a,
            (None, b) => b,
        };
        (Self::end_key(until) > from).then_some(Span { from, until })
    }
}

/// Merges spans into disjoint, sorted spans (touching spans join).
pub fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| Span::end_key(s.until) > s.from);
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if Span::end_key(last.until) >= s.from => {
                if Span::end_key(s.until) > Span::end_key(last.until) {
                    last.until = s.until;
                }
            }
            _ => out.push(s),
        }
    }
    out
}

/// A certificate as far as the figures are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateDates {
    pub grade: Option<Grade>,
    pub valid_from: Date,
    pub valid_until: Date,
    pub revoked_on: Option<Date>,
    pub superseded_on: Option<Date>,
}

impl CertificateDates {
    /// The days it counts: valid_from through valid_until, ending on the day of revocation or
    /// supersession.
    pub fn span(&self) -> Span {
        let end = self.valid_until.checked_add(Duration::days(1));
        let until = [end, self.revoked_on, self.superseded_on]
            .into_iter()
            .flatten()
            .min();
        Span {
            from: self.valid_from,
            until,
        }
    }
}

/// What the figures need to know about one enterprise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// None: never operating in the registry's records.
    pub active_from: Option<Date>,
    pub closed_on: Option<Date>,
    pub above_scale: bool,
    pub small_micro: bool,
    pub certificates: Vec<CertificateDates>,
    /// The first self-assessment (in a grading case, or an annual one of a certificate).
    pub first_self_assessment: Option<Date>,
    /// The first grading case opened.
    pub first_case: Option<Date>,
}

/// A change of one counter on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Event {
    pub day: Date,
    pub counter: Counter,
    pub delta: i64,
}

fn push(out: &mut Vec<Event>, counter: Counter, spans: &[Span]) {
    for s in spans {
        out.push(Event {
            day: s.from,
            counter,
            delta: 1,
        });
        if let Some(u) = s.until {
            out.push(Event {
                day: u,
                counter,
                delta: -1,
            });
        }
    }
}

impl Facts {
    /// The events of this enterprise, sorted.
    pub fn events(&self) -> Vec<Event> {
        let mut out = Vec::new();
        let Some(from) = self.active_from else {
            return out;
        };
        let life = Span {
            from,
            until: self.closed_on,
        };
        let within = |spans: Vec<Span>| -> Vec<Span> {
            union(spans)
                .into_iter()
                .filter_map(|s| s.intersect(life))
                .collect()
        };
        let operating = within(vec![life]);
        push(&mut out, Counter::Active, &operating);
        if self.above_scale {
            push(&mut out, Counter::AboveScale, &operating);
        }
        if self.small_micro {
            push(&mut out, Counter::SmallMicro, &operating);
        }
        let spans_of = |g: Option<Grade>| -> Vec<Span> {
            self.certificates
                .iter()
                .filter(|c| g.is_none() || c.grade == g)
                .map(CertificateDates::span)
                .collect()
        };
        for (g, counter) in [
            (Grade::One, Counter::GradeOne),
            (Grade::Two, Counter::GradeTwo),
            (Grade::Three, Counter::GradeThree),
        ] {
            push(&mut out, counter, &within(spans_of(Some(g))));
        }
        let certified = within(spans_of(None));
        push(
            &mut out,
            if self.above_scale {
                Counter::AboveScaleCertified
            } else {
                Counter::BelowScaleCertified
            },
            &certified,
        );
        if self.small_micro {
            push(&mut out, Counter::SmallMicroCertified, &certified);
        }
        if self.above_scale {
            let mut spans = spans_of(None);
            if let Some(d) = self.first_self_assessment {
                spans.push(Span {
                    from: d,
                    until: None,
                });
            }
            push(&mut out, Counter::AboveScaleSelfAssessed, &within(spans));
        }
        if self.small_micro {
            let first_certificate = self.certificates.iter().map(|c| c.valid_from).min();
            let started = [self.first_case, first_certificate]
                .into_iter()
                .flatten()
                .min();
            if let Some(d) = started {
                push(
                    &mut out,
                    Counter::SmallMicroStarted,
                    &within(vec![Span {
                        from: d,
                        until: None,
                    }]),
                );
            }
        }
        out.sort();
        out
    }
}

/// Events as stored: `key:YYYYMMDD:delta` joined by `;`.
pub fn encode(events: &[Event]) -> String {
    let mut s = String::with_capacity(events.len() * 14);
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        s.push_str(&format!(
            "{}:{:04}{:02}{:02}:{}",
            e.counter.key(),
            e.day.year(),
            u8::from(e.day.month()),
            e.day.day(),
            e.delta
        ));
    }
    s
}

/// The events of [`encode`]; None when the text is not of that form.
pub fn decode(s: &str) -> Option<Vec<Event>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(';')
        .map(|part| {
            let mut it = part.split(':');
            let (key, d, delta) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() || d.len() != 8 {
                return None;
            }
            let (y, m, day) = (
                d.get(0..4)?.parse::<i32>().ok()?,
                d.get(4..6)?.parse::<u8>().ok()?,
                d.get(6..8)?.parse::<u8>().ok()?,
            );
            Some(Event {
                day: Date::from_calendar_date(y, time::Month::try_from(m).ok()?, day).ok()?,
                counter: Counter::parse(key)?,
                delta: delta.parse::<i64>().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cert(g: Grade, from: Date, until: Date) -> CertificateDates {
        CertificateDates {
            grade: Some(g),
            valid_from: from,
            valid_until: until,
            revoked_on: None,
            superseded_on: None,
        }
    }

    /// The counts on `d` from events: what the store's sums compute.
    fn on(events: &[Event], d: Date) -> UnitCounts {
        let mut c = UnitCounts::default();
        for counter in Counter::ALL {
            let n: i64 = events
                .iter()
                .filter(|e| e.counter == counter && e.day <= d)
                .map(|e| e.delta)
                .sum();
            counter.add_to(&mut c, u64::try_from(n).expect("never negative"));
        }
        c
    }

    #[test]
    fn union_joins_overlapping_and_touching_spans() {
        let s = |a, b| Span {
            from: a,
            until: Some(b),
        };
        let u = union(vec![
            s(date!(2019 - 01 - 01), date!(2019 - 03 - 01)),
            s(date!(2018 - 01 - 01), date!(2018 - 06 - 01)),
            s(date!(2018 - 06 - 01), date!(2018 - 09 - 01)),
            s(date!(2018 - 08 - 01), date!(2018 - 08 - 15)),
            s(date!(2020 - 01 - 01), date!(2020 - 01 - 01)),
        ]);
        assert_eq!(
            u,
            vec![
                s(date!(2018 - 01 - 01), date!(2018 - 09 - 01)),
                s(date!(2019 - 01 - 01), date!(2019 - 03 - 01)),
            ]
        );
        let open = Span {
            from: date!(2018 - 02 - 01),
            until: None,
        };
        assert_eq!(
            union(vec![s(date!(2018 - 01 - 01), date!(2018 - 03 - 01)), open]),
            vec![Span {
                from: date!(2018 - 01 - 01),
                until: None
            }]
        );
    }

    #[test]
    fn a_certificate_counts_through_its_last_day_and_stops_when_revoked() {
        let mut c = cert(Grade::Three, date!(2018 - 01 - 10), date!(2021 - 01 - 09));
        assert_eq!(c.span().until, Some(date!(2021 - 01 - 10)));
        c.revoked_on = Some(date!(2019 - 05 - 01));
        c.superseded_on = Some(date!(2019 - 06 - 01));
        assert_eq!(c.span().until, Some(date!(2019 - 05 - 01)));
    }

    #[test]
    fn events_sum_to_the_figures_of_each_day() {
        let f = Facts {
            active_from: Some(date!(2010 - 01 - 01)),
            closed_on: Some(date!(2020 - 06 - 01)),
            above_scale: true,
            small_micro: true,
            certificates: vec![
                // 三级, renewed early: the first is superseded the day the second starts.
                CertificateDates {
                    superseded_on: Some(date!(2019 - 01 - 01)),
                    ..cert(Grade::Three, date!(2016 - 01 - 01), date!(2018 - 12 - 31))
                },
                cert(Grade::Three, date!(2019 - 01 - 01), date!(2021 - 12 - 31)),
                // 二级 held at the same time as the 三级.
                cert(Grade::Two, date!(2018 - 06 - 01), date!(2021 - 05 - 31)),
            ],
            first_self_assessment: Some(date!(2015 - 10 - 01)),
            first_case: Some(date!(2015 - 09 - 01)),
        };
        let ev = f.events();
        let c = on(&ev, date!(2018 - 07 - 01));
        assert_eq!((c.active, c.above_scale, c.below_scale), (1, 1, 0));
        assert_eq!((c.grade_two, c.grade_three), (1, 1));
        assert_eq!(c.above_scale_certified, 1, "two certificates count once");
        assert_eq!(c.small_micro_certified, 1);
        assert_eq!((c.above_scale_self_assessed, c.small_micro_started), (1, 1));
        let before = on(&ev, date!(2015 - 09 - 30));
        assert_eq!(
            (before.small_micro_started, before.above_scale_self_assessed),
            (1, 0)
        );
        let closed = on(&ev, date!(2020 - 06 - 01));
        assert_eq!(closed, UnitCounts::default(), "nothing counts once closed");
        let last = on(&ev, date!(2020 - 05 - 31));
        assert_eq!((last.grade_three, last.grade_two, last.active), (1, 1, 1));
    }

    #[test]
    fn an_enterprise_with_no_operating_date_counts_nowhere() {
        let f = Facts {
            certificates: vec![cert(
                Grade::One,
                date!(2018 - 01 - 01),
                date!(2020 - 01 - 01),
            )],
            ..Facts::default()
        };
        assert!(f.events().is_empty());
    }

    #[test]
    fn a_certificate_before_the_enterprise_operated_counts_from_its_first_day() {
        let f = Facts {
            active_from: Some(date!(2018 - 05 - 01)),
            certificates: vec![cert(
                Grade::Three,
                date!(2018 - 01 - 01),
                date!(2020 - 12 - 31),
            )],
            ..Facts::default()
        };
        let ev = f.events();
        assert_eq!(on(&ev, date!(2018 - 04 - 30)).grade_three, 0);
        assert_eq!(on(&ev, date!(2018 - 05 - 01)).grade_three, 1);
        assert_eq!(on(&ev, date!(2018 - 05 - 01)).below_scale_certified, 1);
        assert_eq!(on(&ev, date!(2021 - 01 - 01)).grade_three, 0);
    }

    #[test]
    fn stored_events_read_back_and_bad_text_is_refused() {
        let f = Facts {
            active_from: Some(date!(2001 - 03 - 04)),
            closed_on: Some(date!(2019 - 11 - 30)),
            above_scale: true,
            certificates: vec![cert(
                Grade::One,
                date!(2018 - 01 - 01),
                date!(2020 - 01 - 01),
            )],
            ..Facts::default()
        };
        let ev = f.events();
        assert_eq!(decode(&encode(&ev)), Some(ev));
        assert_eq!(decode(""), Some(Vec::new()));
        for bad in [
            "x:20010304:1",
            "a:2001034:1",
            "a:20011304:1",
            "a:20010304:one",
            "a",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}

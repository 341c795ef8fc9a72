//! The reminders of the obligation list (六（二）2 提醒制度): the daily job tells an enterprise
//! `remind_days` before its scheduled items fall due and again on the due day, and the day after
//! an item's period ends unrecorded tells the enterprise (one notification per enterprise, kind
//! and due day, listing the items) and the officers of its township, district and the city (one
//! notification per township and due day, counting the enterprises and naming the items most
//! often missed, with the list behind it: a township officer is not sent one notice per
//! enterprise). Each is stored once (notifications are unique per kind, subject, period and
//! audience), and a run that follows days without one catches up the reminders of those days.

use std::collections::BTreeMap;

use anbiao_domain::date::format_date;
use anbiao_domain::obligations::{Frequency, Obligation, ObligationSet};
use anbiao_store::notify::{Audience, NewNotification};
use time::{Date, Duration};

use crate::obligations::{Status, Worked};

/// The enterprise is told its items fall due soon.
pub const DUE_SOON: &str = "obligation.due_soon";
/// The enterprise is told its items fall due today.
pub const DUE_TODAY: &str = "obligation.due_today";
/// The enterprise is told items fell due unrecorded.
pub const OVERDUE: &str = "obligation.overdue";
/// The officers are told how many enterprises of a township let items fall due unrecorded.
pub const OVERDUE_TOWNSHIP: &str = "obligation.overdue_township";
/// Items a township's escalation names as the most often missed.
const TOP_ITEMS: usize = 3;
/// The days a run looks back for reminders it missed (a job down over a long holiday).
pub const CATCH_UP_DAYS: i64 = 7;
/// Item titles a notification names before it says how many more.
const TITLES_SHOWN: usize = 8;

/// The days whose reminders a run on `on` sends: after the last finished run (at most
/// [`CATCH_UP_DAYS`] back; only `on` itself when there was none) up to `on`.
pub fn window_start(last_run: Option<Date>, on: Date) -> Date {
    match last_run {
        Some(d) => d
            .max(on - Duration::days(CATCH_UP_DAYS))
            .min(on - Duration::days(1)),
        None => on - Duration::days(1),
    }
}

/// What the reminders name of the enterprise.
pub struct Addressee<'a> {
    pub id: i64,
    pub name: &'a str,
    pub region_code: &'a str,
    pub township: &'a str,
}

/// What one run's reminders cite (worked out once a run, not once an enterprise).
pub struct Cite {
    rule: String,
    remind_days: i64,
}

impl Cite {
    pub fn new(set: &ObligationSet) -> Self {
        Self {
            rule: format!(
                "{}（通政发〔2018〕27号 六（二）2 监管清单提醒制度；到期前 {} 天提醒）",
                set.name(),
                set.remind_days
            ),
            remind_days: set.remind_days,
        }
    }
}

/// A township's enterprises that let items fall due unrecorded on one day.
#[derive(Default)]
struct Tally<'a> {
    /// The first enterprise counted: the notification is filed under it, so that who may read
    /// the enterprise's notices (its township, district and the city) reads the township's.
    anchor: i64,
    enterprises: usize,
    items: usize,
    by_item: BTreeMap<&'a str, (&'a str, usize)>,
}

/// The escalations of one run, by district, township and due day, gathered across batches.
#[derive(Default)]
pub struct Escalations<'a> {
    by: BTreeMap<(String, String, Date), Tally<'a>>,
}

impl<'a> Escalations<'a> {
    /// Counts one enterprise's missed items (those [`due`] returned).
    pub fn add(&mut self, to: &Addressee<'_>, missed: &[(Date, &'a Obligation)]) {
        // One look-up per due day of the enterprise (its missed items share one or two).
        let mut days: Vec<Date> = missed.iter().map(|(d, _)| *d).collect();
        days.sort_unstable();
        days.dedup();
        for day in days {
            let t = self
                .by
                .entry((to.region_code.to_string(), to.township.to_string(), day))
                .or_default();
            if t.enterprises == 0 {
                t.anchor = to.id;
            }
            t.enterprises += 1;
            for (_, item) in missed.iter().filter(|(d, _)| *d == day) {
                t.items += 1;
                t.by_item.entry(&item.key).or_insert((&item.title, 0)).1 += 1;
            }
        }
    }

    /// The officers' notifications, one per township and due day. `unit` names a district
    /// code's unit (for the list's link and for enterprises without a township).
    pub fn notifications(
        &self,
        cite: &Cite,
        unit: &dyn Fn(&str) -> (String, String),
    ) -> Vec<NewNotification> {
        self.by
            .iter()
            .map(|((code, township, day), t)| {
                let (unit_key, unit_name) = unit(code);
                let place = if township.is_empty() {
                    format!("{unit_name}（未填乡镇）")
                } else {
                    township.clone()
                };
                let mut top: Vec<(&str, usize)> = t.by_item.values().copied().collect();
                top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                let top = top
                    .iter()
                    .take(TOP_ITEMS)
                    .map(|(title, n)| format!("{title}（{n} 家）"))
                    .collect::<Vec<_>>()
                    .join("、");
                let day_s = format_date(*day);
                let township_q = if township.is_empty() {
                    crate::obligations::NO_TOWNSHIP
                } else {
                    township
                };
                NewNotification {
                    kind: OVERDUE_TOWNSHIP,
                    subject: format!("township:{code}/{township}"),
                    period: day_s.clone(),
                    audience: Audience::Officer,
                    enterprise_id: t.anchor,
                    region_code: code.clone(),
                    title: format!(
                        "监管清单：{place} {} 家企业逾期未自查（到期日 {day_s}）",
                        t.enterprises
                    ),
                    body: format!(
                        "{place}有 {} 家企业共 {} 项义务到期未登记落实情况，缺得最多的是：{top}。\
                         企业名单见“有逾期”列表。",
                        t.enterprises, t.items
                    ),
                    link: format!(
                        "/obligations/enterprises?show=overdue&unit={}&township={}",
                        anbiao_domain::text::percent_encode(&unit_key),
                        anbiao_domain::text::percent_encode(township_q)
                    ),
                    rule: Some(cite.rule.clone()),
                    due_on: Some(day_s),
                }
            })
            .collect()
    }
}

/// The reminders due for one enterprise's list on `on`, for trigger days after `after`, and
/// the items it let fall due unrecorded (for its township's escalation). `items` is its list
/// on `on`, each with the previous period it missed, if any.
pub fn due<'a>(
    cite: &Cite,
    to: &Addressee<'_>,
    items: &[Worked<'a, '_>],
    after: Date,
    on: Date,
) -> (Vec<NewNotification>, Vec<(Date, &'a Obligation)>) {
    let in_window = |d: Date| d > after && d <= on;
    // (kind, due day) -> (period label, title), in the list's order
    let mut due: BTreeMap<(&'static str, Date), Vec<(String, &'a str)>> = BTreeMap::new();
    let mut missed = Vec::new();
    let mut add = |kind: &'static str, day: Date, item: &'a Obligation, label: String| {
        if kind == OVERDUE {
            missed.push((day, item));
        }
        due.entry((kind, day))
            .or_default()
            .push((label, item.title.as_str()));
    };
    for li in items {
        let Some(p) = &li.period else { continue };
        if li.status == Status::Open {
            if on == p.due {
                add(DUE_TODAY, p.due, li.item, p.label());
            } else if on < p.due && in_window(p.due - Duration::days(cite.remind_days)) {
                add(DUE_SOON, p.due, li.item, p.label());
            }
        }
        if li.item.frequency == Frequency::Once {
            if li.status == Status::Overdue && in_window(p.due + Duration::days(1)) {
                add(OVERDUE, p.due, li.item, p.label());
            }
            continue;
        }
        // The period before this one: due and not recorded.
        if let Some(prev) = &li.missed
            && in_window(prev.due + Duration::days(1))
        {
            add(OVERDUE, prev.due, li.item, prev.label());
        }
    }
    let mut out = Vec::new();
    for ((kind, day), titles) in due {
        let n = titles.len();
        // By period: 2026年：…；2026年12月：…
        let mut periods: Vec<(String, Vec<&str>)> = Vec::new();
        for (label, title) in titles.iter().take(TITLES_SHOWN) {
            match periods.iter_mut().find(|(l, _)| l == label) {
                Some((_, t)) => t.push(title),
                None => periods.push((label.clone(), vec![title])),
            }
        }
        let mut named = periods
            .iter()
            .map(|(l, t)| format!("{l}：{}", t.join("、")))
            .collect::<Vec<_>>()
            .join("；");
        if n > TITLES_SHOWN {
            named.push_str(&format!(" 等 {n} 项，详见本企业监管清单"));
        }
        let day_s = format_date(day);
        let (title, body) = match kind {
            DUE_SOON => (
                format!("监管清单：{n} 项义务将于 {day_s} 到期"),
                format!("应落实的义务（{named}）。请对照清单自查，上传证明材料或登记存在的问题。"),
            ),
            DUE_TODAY => (
                format!("监管清单：{n} 项义务今日（{day_s}）到期"),
                format!("应落实的义务（{named}）。今日为最后期限。"),
            ),
            _ => (
                format!("监管清单：{n} 项义务逾期未自查（到期日 {day_s}）"),
                format!(
                    "“{}”到期未登记落实情况的义务（{named}）。逾期情况已告知乡镇（街道）、县（市、区）和市监管人员。",
                    to.name
                ),
            ),
        };
        out.push(NewNotification {
            kind,
            subject: format!("enterprise:{}", to.id),
            period: day_s.clone(),
            audience: Audience::Enterprise,
            enterprise_id: to.id,
            region_code: to.region_code.to_string(),
            title,
            body,
            link: format!("/enterprises/{}/obligations", to.id),
            rule: Some(cite.rule.clone()),
            due_on: Some(day_s),
        });
    }
    (out, missed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_run_catches_up_the_days_since_the_last_one_within_a_week() {
        let on = date!(2026 - 12 - 24);
        assert_eq!(window_start(None, on), date!(2026 - 12 - 23));
        assert_eq!(
            window_start(Some(date!(2026 - 12 - 23)), on),
            date!(2026 - 12 - 23)
        );
        assert_eq!(
            window_start(Some(date!(2026 - 12 - 20)), on),
            date!(2026 - 12 - 20)
        );
        assert_eq!(
            window_start(Some(date!(2026 - 10 - 1)), on),
            date!(2026 - 12 - 17)
        );
        // A run recorded for a later day (a clock set back) still looks at today.
        assert_eq!(
            window_start(Some(date!(2026 - 12 - 30)), on),
            date!(2026 - 12 - 23)
        );
    }
}

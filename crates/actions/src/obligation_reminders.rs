//! The reminders of the obligation list (六（二）2 提醒制度): the daily job tells an enterprise
//! `remind_days` before its scheduled items fall due and again on the due day, and the day after
//! an item's period ends unrecorded tells the enterprise and the officers of its township and
//! district. One notification per enterprise, kind and due day, listing the items; each is
//! stored once (notifications are unique per kind, subject, period and audience), and a run that
//! follows days without one catches up the reminders of those days.

use std::collections::BTreeMap;

use anbiao_domain::date::format_date;
use anbiao_domain::obligations::{Frequency, ObligationSet};
use anbiao_store::notify::{Audience, NewNotification};
use time::{Date, Duration};

use crate::obligations::{ListItem, Status};

/// The enterprise is told its items fall due soon.
pub const DUE_SOON: &str = "obligation.due_soon";
/// The enterprise is told its items fall due today.
pub const DUE_TODAY: &str = "obligation.due_today";
/// The enterprise and its officers are told items fell due unrecorded.
pub const OVERDUE: &str = "obligation.overdue";
/// The days a run looks back for reminders it missed (a job down over a long holiday).
pub const CATCH_UP_DAYS: i64 = 7;
/// Item titles a notification names before it says how many more.
const TITLES_SHOWN: usize = 30;

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
}

/// The reminders due for one enterprise's list on `on`, for trigger days after `after`.
/// `items` is its list on `on`, each with the previous period it missed, if any.
pub fn due<'a>(
    set: &ObligationSet,
    to: &Addressee<'_>,
    items: &'a [ListItem],
    after: Date,
    on: Date,
) -> Vec<NewNotification> {
    let in_window = |d: Date| d > after && d <= on;
    // (kind, due day) -> (period label, title), in the list's order
    let mut due: BTreeMap<(&'static str, Date), Vec<(String, &'a str)>> = BTreeMap::new();
    let mut add = |kind: &'static str, day: Date, title: &'a str, label: String| {
        due.entry((kind, day)).or_default().push((label, title));
    };
    for li in items {
        let Some(p) = &li.period else { continue };
        let title = li.item.title.as_str();
        if li.status == Status::Open {
            if on == p.due {
                add(DUE_TODAY, p.due, title, p.label());
            } else if on < p.due && in_window(p.due - Duration::days(set.remind_days)) {
                add(DUE_SOON, p.due, title, p.label());
            }
        }
        if li.item.frequency == Frequency::Once {
            if li.status == Status::Overdue && in_window(p.due + Duration::days(1)) {
                add(OVERDUE, p.due, title, p.label());
            }
            continue;
        }
        // The period before this one: due and not recorded.
        if let Some(prev) = &li.missed
            && in_window(prev.due + Duration::days(1))
        {
            add(OVERDUE, prev.due, title, prev.label());
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
            named.push_str(&format!(" 等 {n} 项"));
        }
        let day_s = format_date(day);
        let (title, body, audiences) = match kind {
            DUE_SOON => (
                format!("监管清单：{n} 项义务将于 {day_s} 到期"),
                format!("应落实的义务（{named}）。请对照清单自查，上传证明材料或登记存在的问题。"),
                vec![Audience::Enterprise],
            ),
            DUE_TODAY => (
                format!("监管清单：{n} 项义务今日（{day_s}）到期"),
                format!("应落实的义务（{named}）。今日为最后期限。"),
                vec![Audience::Enterprise],
            ),
            _ => (
                format!("监管清单：{n} 项义务逾期未自查（到期日 {day_s}）"),
                format!("“{}”到期未登记落实情况的义务（{named}）。", to.name),
                vec![Audience::Enterprise, Audience::Officer],
            ),
        };
        for a in audiences {
            out.push(NewNotification {
                kind,
                subject: format!("enterprise:{}", to.id),
                period: day_s.clone(),
                audience: a,
                enterprise_id: to.id,
                region_code: to.region_code.to_string(),
                title: title.clone(),
                body: body.clone(),
                link: format!("/enterprises/{}/obligations", to.id),
                rule: Some(format!(
                    "{}（通政发〔2018〕27号 六（二）2 监管清单提醒制度；到期前 {} 天提醒）",
                    set.name(),
                    set.remind_days
                )),
                due_on: Some(day_s.clone()),
            });
        }
    }
    out
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

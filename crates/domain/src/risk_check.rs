//! Hazard checks of risk points (隐患排查): the hazard-check list follows from a point's control
//! measures (each line an item), and a check task falls due on the schedule of the level that
//! controls the point (`check_every_days` of the risk rules). A task opens `every - 1` days
//! before it is due; after a check the next task is due one period after the later of the due
//! day and the day checked. A failed item opens a hidden hazard at the point.

use time::{Date, Duration};

use crate::date::{format_date, parse_date};
use crate::hazard::Level;
use crate::risk::RiskSet;
use crate::risk_point::{Measure, PointError, bad, measure_name};
use crate::text::{self, limits};

/// An item of a point's hazard-check list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckItem {
    pub kind: String,
    pub kind_name: String,
    pub text: String,
}

/// The items a point's measures make, in their order.
pub fn items(set: &RiskSet, measures: &[Measure]) -> Vec<CheckItem> {
    measures
        .iter()
        .flat_map(|m| {
            m.text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| CheckItem {
                    kind: m.kind.clone(),
                    kind_name: measure_name(set, &m.kind),
                    text: l.to_string(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The first task of a point written on `on`: due at the end of its first period.
pub fn first_due(on: Date, every_days: u32) -> Date {
    on + Duration::days(i64::from(every_days.max(1)) - 1)
}

/// The day a task due on `due` opens.
pub fn opens(due: Date, every_days: u32) -> Date {
    due - Duration::days(i64::from(every_days.max(1)) - 1)
}

/// The next task's due day after a check on `on` of the task due on `due`.
pub fn next_due(due: Date, on: Date, every_days: u32) -> Date {
    due.max(on) + Duration::days(i64::from(every_days.max(1)))
}

/// A point's due day after its level of control changed on `on` to one checked every
/// `every_days`: never later than a first task of the new level would be.
pub fn due_after_change(due: Date, on: Date, every_days: u32) -> Date {
    due.min(first_due(on, every_days))
}

/// One item's result as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct ItemDraft {
    /// `pass` or `fail`.
    pub result: String,
    /// What was found, for a failed item.
    pub note: String,
    /// The hazard's level for a failed item: `general` (default) or `major`.
    pub level: String,
    /// For a major hazard: the item of the standard in force.
    pub item_key: String,
    /// The rectification deadline for a failed item.
    pub deadline: String,
}

/// A check as a form gives it, unchecked.
#[derive(Debug, Clone, Default)]
pub struct CheckDraft {
    /// The due day of the task the form was made for.
    pub due: String,
    pub checker: String,
    pub items: Vec<ItemDraft>,
}

/// An item's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemResult {
    pub kind: String,
    pub text: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The hazard a failed item opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hazard_id: Option<i64>,
}

/// A failed item's hazard to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The item's index among the results.
    pub index: usize,
    pub level: Level,
    pub item_key: Option<String>,
    pub description: String,
    pub deadline: Date,
}

/// A check that passed every test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCheck {
    pub due: Date,
    pub checker: String,
    pub results: Vec<ItemResult>,
    pub findings: Vec<Finding>,
}

impl ValidCheck {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Why a check was refused, and on which field (the register's field error).
pub type CheckError = PointError;

/// The longest a failed item's deadline may run (a hazard that needs longer is planned on the
/// hazard's own path).
const MAX_DEADLINE_DAYS: i64 = 365;

impl CheckDraft {
    /// Checks the draft against the point's task: due on `due`, every `every_days`, with
    /// `items`, recorded on `on`. A failed item's description names the point and the item.
    pub fn validate(
        &self,
        point: &str,
        items: &[CheckItem],
        due: Date,
        every_days: u32,
        on: Date,
    ) -> Result<ValidCheck, CheckError> {
        if parse_date(self.due.trim()) != Some(due) {
            return Err(bad(
                "due",
                format!(
                    "该检查任务已完成或已变更（当前任务 {} 到期），请刷新后重试",
                    format_date(due)
                ),
            ));
        }
        let open = opens(due, every_days);
        if on < open {
            let when = if open == due {
                format!("请于 {} 检查", format_date(due))
            } else {
                format!("{} 至 {} 之间检查", format_date(open), format_date(due))
            };
            return Err(bad("due", format!("该检查任务尚未到检查时间：{when}")));
        }
        if items.is_empty() {
            return Err(bad(
                "items",
                "该风险点没有管控措施，无从检查：请先填写管控措施",
            ));
        }
        if self.items.len() != items.len() {
            return Err(bad(
                "items",
                "检查项目与风险点的管控措施不一致（措施已修改），请刷新后重试",
            ));
        }
        let checker = text::clean(&self.checker);
        if checker.is_empty() {
            return Err(bad("checker", "请填写检查人"));
        }
        if checker.chars().count() > limits::TITLE {
            return Err(bad(
                "checker",
                format!("检查人不能超过 {} 个字", limits::TITLE),
            ));
        }
        let mut results = Vec::new();
        let mut findings = Vec::new();
        for (i, (item, d)) in items.iter().zip(&self.items).enumerate() {
            let n = i + 1;
            let note = text::clean(&d.note);
            if note.chars().count() > limits::DESCRIPTION {
                return Err(bad(
                    "items",
                    format!("第 {n} 项的说明不能超过 {} 个字", limits::DESCRIPTION),
                ));
            }
            let ok = match d.result.trim() {
                "pass" => true,
                "fail" => false,
                _ => return Err(bad("items", format!("请填写第 {n} 项的检查结果"))),
            };
            if !ok {
                if note.is_empty() {
                    return Err(bad(
                        "items",
                        format!("第 {n} 项不符合：请写明发现的问题，将登记为隐患"),
                    ));
                }
                let level = match d.level.trim() {
                    "" => Level::General,
                    k => Level::parse(k).ok_or_else(|| {
                        bad("items", format!("第 {n} 项的隐患等级应为一般或重大"))
                    })?,
                };
                let deadline = parse_date(d.deadline.trim()).ok_or_else(|| {
                    bad(
                        "items",
                        format!("请填写第 {n} 项隐患的整改期限（如 2026-12-31）"),
                    )
                })?;
                if deadline < on || deadline > on + Duration::days(MAX_DEADLINE_DAYS) {
                    return Err(bad(
                        "items",
                        format!(
                            "第 {n} 项隐患的整改期限应在 {} 至 {} 之间",
                            format_date(on),
                            format_date(on + Duration::days(MAX_DEADLINE_DAYS))
                        ),
                    ));
                }
                let item_key = Some(text::clean(&d.item_key)).filter(|k| !k.is_empty());
                findings.push(Finding {
                    index: i,
                    level,
                    item_key,
                    description: format!(
                        "风险点“{point}”{}“{}”不符合：{note}",
                        item.kind_name, item.text
                    ),
                    deadline,
                });
            }
            results.push(ItemResult {
                kind: item.kind.clone(),
                text: item.text.clone(),
                ok,
                note,
                hazard_id: None,
            });
        }
        Ok(ValidCheck {
            due,
            checker,
            results,
            findings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::RiskRules;
    use time::macros::date;

    fn set() -> RiskSet {
        RiskRules::embedded()
            .expect("shipped")
            .in_force(date!(2019 - 03 - 01))
            .expect("in force")
            .clone()
    }

    fn measures() -> Vec<Measure> {
        vec![
            Measure {
                kind: "engineering".into(),
                text: "双手按钮\n光电保护装置".into(),
            },
            Measure {
                kind: "management".into(),
                text: "光电保护每班点检".into(),
            },
        ]
    }

    fn pass(n: usize) -> Vec<ItemDraft> {
        (0..n)
            .map(|_| ItemDraft {
                result: "pass".into(),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn each_line_of_a_measure_is_an_item_named_by_its_kind() {
        let items = items(&set(), &measures());
        let words: Vec<String> = items
            .iter()
            .map(|i| format!("{}：{}", i.kind_name, i.text))
            .collect();
        assert_eq!(
            words,
            [
                "工程技术措施：双手按钮",
                "工程技术措施：光电保护装置",
                "管理措施：光电保护每班点检"
            ]
        );
    }

    #[test]
    fn a_task_opens_one_period_before_it_is_due_and_the_next_follows_the_later_day() {
        let on = date!(2026 - 12 - 01);
        // Monthly (30 days): due on the 30th day, open from the first.
        let due = first_due(on, 30);
        assert_eq!(due, date!(2026 - 12 - 30));
        assert_eq!(opens(due, 30), on);
        // Checked early: the schedule holds; checked late: it restarts from the check.
        assert_eq!(
            next_due(due, date!(2026 - 12 - 10), 30),
            date!(2027 - 01 - 29)
        );
        assert_eq!(
            next_due(due, date!(2027 - 01 - 05), 30),
            date!(2027 - 02 - 04)
        );
        // Daily: due the day it is written, open only that day.
        assert_eq!(first_due(on, 1), on);
        assert_eq!(opens(on, 1), on);
        assert_eq!(next_due(on, on, 1), date!(2026 - 12 - 02));
        // A stricter level brings the task forward; a laxer one keeps it.
        assert_eq!(due_after_change(due, on, 7), date!(2026 - 12 - 07));
        assert_eq!(
            due_after_change(date!(2026 - 12 - 03), on, 30),
            date!(2026 - 12 - 03)
        );
    }

    #[test]
    fn a_check_is_refused_before_its_task_opens_or_for_another_task() {
        let items = items(&set(), &measures());
        let due = date!(2026 - 12 - 30);
        let d = CheckDraft {
            due: "2026-12-30".into(),
            checker: "周建华".into(),
            items: pass(3),
        };
        let early = d
            .validate("冲床", &items, due, 7, date!(2026 - 12 - 23))
            .expect_err("opens on the 24th");
        assert_eq!(
            early.message,
            "该检查任务尚未到检查时间：2026-12-24 至 2026-12-30 之间检查"
        );
        assert!(
            d.validate("冲床", &items, due, 7, date!(2026 - 12 - 24))
                .is_ok()
        );
        // A daily task opens the day it is due.
        assert_eq!(
            d.validate("冲床", &items, due, 1, date!(2026 - 12 - 29))
                .expect_err("tomorrow's")
                .message,
            "该检查任务尚未到检查时间：请于 2026-12-30 检查"
        );
        // Late is allowed (the task is overdue, not gone).
        assert!(
            d.validate("冲床", &items, due, 7, date!(2027 - 01 - 09))
                .is_ok()
        );
        let other = d
            .validate(
                "冲床",
                &items,
                date!(2027 - 01 - 06),
                7,
                date!(2027 - 01 - 06),
            )
            .expect_err("another task");
        assert_eq!(other.field, "due");
        assert!(other.message.contains("已完成或已变更"), "{other}");
        let mut fewer = d.clone();
        fewer.items.pop();
        assert!(
            fewer
                .validate("冲床", &items, due, 7, due)
                .expect_err("stale items")
                .message
                .contains("措施已修改")
        );
        assert!(
            d.validate("冲床", &[], due, 7, due)
                .expect_err("nothing to check")
                .message
                .contains("没有管控措施")
        );
    }

    #[test]
    fn a_failed_item_needs_what_was_found_and_a_deadline_and_becomes_a_finding() {
        let items = items(&set(), &measures());
        let on = date!(2026 - 12 - 28);
        let due = date!(2026 - 12 - 30);
        let mut d = CheckDraft {
            due: "2026-12-30".into(),
            checker: " 周建华 ".into(),
            items: pass(3),
        };
        d.items[1].result = "fail".into();
        let e = d.validate("冲床", &items, due, 7, on).expect_err("note");
        assert_eq!(e.message, "第 2 项不符合：请写明发现的问题，将登记为隐患");
        d.items[1].note = "光电保护被短接".into();
        let e = d
            .validate("冲床", &items, due, 7, on)
            .expect_err("deadline");
        assert!(e.message.contains("整改期限"), "{e}");
        d.items[1].deadline = "2026-12-27".into();
        let e = d.validate("冲床", &items, due, 7, on).expect_err("past");
        assert!(e.message.contains("应在 2026-12-28 至"), "{e}");
        d.items[1].deadline = "2027-01-05".into();
        d.items[1].level = "severe".into();
        assert!(d.validate("冲床", &items, due, 7, on).is_err());
        d.items[1].level = String::new();
        let v = d.validate("冲床", &items, due, 7, on).expect("valid");
        assert_eq!(v.checker, "周建华");
        assert!(!v.passed());
        assert_eq!(
            v.findings,
            [Finding {
                index: 1,
                level: Level::General,
                item_key: None,
                description: "风险点“冲床”工程技术措施“光电保护装置”不符合：光电保护被短接".into(),
                deadline: date!(2027 - 01 - 05),
            }]
        );
        assert_eq!(
            v.results.iter().map(|r| r.ok).collect::<Vec<_>>(),
            [true, false, true]
        );
        d.items[0].result = String::new();
        assert_eq!(
            d.validate("冲床", &items, due, 7, on)
                .expect_err("no result")
                .message,
            "请填写第 1 项的检查结果"
        );
    }
}

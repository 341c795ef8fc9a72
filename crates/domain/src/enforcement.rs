//! Enforcement decisions (执法决定) and what each needs. Pure rules, following the plan
//! (通政发〔2018〕27号 六（二）): a major hazard means 依法责令停产整顿, and an enterprise that
//! still fails to rectify is recommended for closure; an enterprise under key supervision with
//! the maximum-penalty flag is fined at the legal upper limit unless the officer records why not
//! (the limit itself comes from the violation categories, `violations::ViolationSet::check_fine`).
//!
//! Every decision is filed under a violation category, which makes it a record of the
//! violations database.

use crate::hazard::{Level, State};

/// 责令限期整改, 罚款, 责令停产整顿, 提请关闭.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Order,
    Fine,
    Suspension,
    Closure,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Self::Order, Self::Fine, Self::Suspension, Self::Closure];

    pub fn key(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Fine => "fine",
            Self::Suspension => "suspension",
            Self::Closure => "closure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Order => "责令限期整改",
            Self::Fine => "罚款",
            Self::Suspension => "责令停产整顿",
            Self::Closure => "提请关闭",
        }
    }

    /// The rule of the plan the decision applies (recorded with it).
    pub fn basis(self) -> &'static str {
        match self {
            Self::Order => "安全生产法（2014）第六十二条：责令立即排除或限期整改",
            Self::Fine => "违法行为类别所列法律条款",
            Self::Suspension => "通政发〔2018〕27号 六（二）：存在重大事故隐患的依法责令停产整顿",
            Self::Closure => {
                "通政发〔2018〕27号 六（二）：停产整顿仍不具备安全生产条件的依法提请关闭"
            }
        }
    }
}

/// What is known of the hazard a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HazardFacts {
    pub level: Level,
    pub state: State,
    /// Overdue on the decision day.
    pub overdue: bool,
    /// A rectification of it was returned as not done at least once.
    pub returned: bool,
    /// A suspension order was issued on it before.
    pub suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnforcementError {
    #[error("责令停产整顿只适用于重大事故隐患，该隐患为一般隐患")]
    SuspensionOnGeneral,
    #[error("{0}须对应一项重大事故隐患")]
    NeedsMajorHazard(&'static str),
    #[error("该隐患已验收销号，不能再作出{0}决定")]
    HazardClosed(&'static str),
    #[error("提请关闭须先对该重大隐患责令停产整顿")]
    ClosureWithoutSuspension,
    #[error("提请关闭须在整改失败之后：该隐患未逾期，也没有被退回重新整改")]
    ClosureBeforeFailure,
    #[error("请写明违法事实和决定内容")]
    NoFacts,
    #[error("请选择违法行为类别")]
    NoCategory,
    #[error("只有罚款决定填写罚款金额")]
    AmountWithoutFine,
}

/// Checks a decision of `kind` about `hazard` (if any). The fine itself is checked against the
/// category's limit by the caller.
pub fn check(
    kind: Kind,
    hazard: Option<HazardFacts>,
    facts: &str,
    category: Option<&str>,
    amount: Option<i64>,
) -> Result<(), EnforcementError> {
    if facts.trim().is_empty() {
        return Err(EnforcementError::NoFacts);
    }
    if category.map(str::trim).is_none_or(str::is_empty) {
        return Err(EnforcementError::NoCategory);
    }
    if kind != Kind::Fine && amount.is_some() {
        return Err(EnforcementError::AmountWithoutFine);
    }
    if let Some(h) = hazard
        && h.state == State::Closed
    {
        return Err(EnforcementError::HazardClosed(kind.label()));
    }
    match kind {
        Kind::Order | Kind::Fine => Ok(()),
        Kind::Suspension => match hazard {
            None => Err(EnforcementError::NeedsMajorHazard(kind.label())),
            Some(h) if h.level == Level::General => Err(EnforcementError::SuspensionOnGeneral),
            Some(_) => Ok(()),
        },
        Kind::Closure => match hazard {
            Some(h) if h.level == Level::Major => {
                if !h.suspended {
                    Err(EnforcementError::ClosureWithoutSuspension)
                } else if !(h.overdue || h.returned) {
                    Err(EnforcementError::ClosureBeforeFailure)
                } else {
                    Ok(())
                }
            }
            _ => Err(EnforcementError::NeedsMajorHazard(kind.label())),
        },
    }
}

/// The figures a warning notice (警示通报) opens with.
#[derive(Debug, Clone, Default)]
pub struct NoticeFigures<'a> {
    /// The period in words (2026-01-01 至 2026-06-30).
    pub period: &'a str,
    pub unit: &'a str,
    pub decisions: usize,
    pub fines_yuan: i64,
    pub suspensions: usize,
    /// The most frequent violations in words, most first.
    pub top: &'a [String],
    pub typical: usize,
}

/// The opening paragraph of a warning notice, in sentences that read right when a figure is
/// zero (nothing said of fines none were imposed, no "典型案件 0 起").
pub fn notice_opening(f: &NoticeFigures<'_>) -> String {
    if f.decisions == 0 {
        return format!(
            "{}，{}未查处安全生产违法行为。各企业要保持警醒，对照排查，及时消除隐患。",
            f.period, f.unit
        );
    }
    let mut s = format!(
        "{}，{}共查处安全生产违法行为 {} 起",
        f.period, f.unit, f.decisions
    );
    if f.fines_yuan > 0 {
        s.push_str(&format!(
            "，罚款 {}",
            crate::number::yuan_in_words(f.fines_yuan)
        ));
    }
    if f.suspensions > 0 {
        s.push_str(&format!("，责令停产整顿 {} 起", f.suspensions));
    }
    s.push('。');
    if !f.top.is_empty() {
        s.push_str(&format!("多发的违法行为是：{}。", f.top.join("、")));
    }
    if f.typical > 0 {
        s.push_str(&format!(
            "现将典型案件 {} 起通报如下，各企业要引以为戒，对照排查，立即整改。",
            f.typical
        ));
    } else {
        s.push_str("各企业要引以为戒，对照排查，立即整改。");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_opens_in_sentences_that_read_right_at_zero() {
        let top = vec!["未落实隐患排查治理制度（3 起）".to_string()];
        let f = NoticeFigures {
            period: "2026-01-01 至 2026-06-30",
            unit: "如皋市",
            decisions: 5,
            fines_yuan: 2_220_000,
            suspensions: 0,
            top: &top,
            typical: 0,
        };
        let s = notice_opening(&f);
        assert!(
            s.contains("共查处安全生产违法行为 5 起，罚款 222 万元。"),
            "{s}"
        );
        assert!(!s.contains("0 起"), "{s}");
        assert!(!s.contains("通报如下"), "{s}");
        let s = notice_opening(&NoticeFigures {
            typical: 2,
            suspensions: 1,
            ..f.clone()
        });
        assert!(
            s.contains("责令停产整顿 1 起") && s.contains("现将典型案件 2 起通报如下"),
            "{s}"
        );
        let s = notice_opening(&NoticeFigures { decisions: 0, ..f });
        assert_eq!(
            s,
            "2026-01-01 至 2026-06-30，如皋市未查处安全生产违法行为。各企业要保持警醒，对照排查，及时消除隐患。"
        );
    }

    const MAJOR: HazardFacts = HazardFacts {
        level: Level::Major,
        state: State::Planned,
        overdue: false,
        returned: false,
        suspended: false,
    };

    #[test]
    fn suspension_only_on_a_major_hazard() {
        let c = |h| {
            check(
                Kind::Suspension,
                h,
                "粉尘涉爆区域设在非框架结构多层建筑内",
                Some("hazard_not_removed"),
                None,
            )
        };
        assert_eq!(c(Some(MAJOR)), Ok(()));
        assert_eq!(
            c(Some(HazardFacts {
                level: Level::General,
                ..MAJOR
            })),
            Err(EnforcementError::SuspensionOnGeneral)
        );
        assert_eq!(
            c(None),
            Err(EnforcementError::NeedsMajorHazard("责令停产整顿"))
        );
        assert_eq!(
            c(Some(HazardFacts {
                state: State::Closed,
                ..MAJOR
            })),
            Err(EnforcementError::HazardClosed("责令停产整顿"))
        );
    }

    #[test]
    fn closure_only_after_a_suspension_has_failed() {
        let c = |h| {
            check(
                Kind::Closure,
                Some(h),
                "停产整顿逾期仍未整改",
                Some("hazard_not_removed"),
                None,
            )
        };
        assert_eq!(c(MAJOR), Err(EnforcementError::ClosureWithoutSuspension));
        let suspended = HazardFacts {
            suspended: true,
            ..MAJOR
        };
        assert_eq!(c(suspended), Err(EnforcementError::ClosureBeforeFailure));
        assert_eq!(
            c(HazardFacts {
                overdue: true,
                ..suspended
            }),
            Ok(())
        );
        assert_eq!(
            c(HazardFacts {
                returned: true,
                ..suspended
            }),
            Ok(())
        );
        assert_eq!(
            c(HazardFacts {
                level: Level::General,
                overdue: true,
                ..suspended
            }),
            Err(EnforcementError::NeedsMajorHazard("提请关闭"))
        );
    }

    #[test]
    fn every_decision_states_its_facts_and_category() {
        assert_eq!(
            check(Kind::Order, None, " ", Some("training"), None),
            Err(EnforcementError::NoFacts)
        );
        assert_eq!(
            check(Kind::Fine, None, "未培训", None, Some(1)),
            Err(EnforcementError::NoCategory)
        );
        assert_eq!(
            check(Kind::Order, None, "未培训", Some("training"), Some(5000)),
            Err(EnforcementError::AmountWithoutFine)
        );
        assert_eq!(
            check(Kind::Fine, None, "未培训", Some("training"), Some(5000)),
            Ok(())
        );
        assert_eq!(Kind::parse("suspension"), Some(Kind::Suspension));
        assert!(Kind::Suspension.basis().contains("六（二）"));
    }
}

//! Grading rule sets with effective dates: pass marks, who grades each level, certificate
//! validity and renewal window, notice length, waiting periods, and the accident conditions
//! that block an application or propose revocation. Every answer comes as [`Decided`], naming
//! the rule that decided it (`grading.2014@1#threshold.three`), so the decision can be stored
//! with it and explained later in words.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::Date;

use crate::date::{add_months, add_working_days, format_date, parse_date};
use crate::grade::Grade;
use crate::reference::ReferenceError;
use crate::scoring::Percent;

/// Which rule decided something: `set@version#rule`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleRef {
    pub set: String,
    pub version: u32,
    pub rule: String,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.set, self.version, self.rule)
    }
}

impl RuleRef {
    pub fn parse(s: &str) -> Option<RuleRef> {
        let (set, rest) = s.trim().split_once('@')?;
        let (version, rule) = rest.split_once('#')?;
        Some(RuleRef {
            set: set.to_string(),
            version: version.parse().ok()?,
            rule: rule.to_string(),
        })
    }
}

/// An answer and the rule that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decided<T> {
    pub value: T,
    pub rule: RuleRef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Threshold {
    pub min: f64,
    pub source: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityLevel {
    National,
    Province,
    City,
    District,
}

impl AuthorityLevel {
    /// Decided outside the city: recorded as an external decision after the city recommends.
    pub fn is_external(self) -> bool {
        matches!(self, Self::National | Self::Province)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Authority {
    pub body: String,
    pub level: AuthorityLevel,
    pub source: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ValidityRule {
    pub years: i32,
    pub renewal_window_months: i32,
    pub source: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NoticeRule {
    pub working_days: u32,
    pub source: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WaitingRule {
    pub after_revocation_months: i32,
    pub after_failure_months: i32,
    pub source: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposedAction {
    /// Propose revoking the certificate.
    Revoke,
    /// Propose a review (downgrade or 整改提升), the officer decides.
    Review,
}

impl ProposedAction {
    pub fn label(self) -> &'static str {
        match self {
            Self::Revoke => "建议撤销",
            Self::Review => "建议复核（降级或整改提升）",
        }
    }
}

/// Accident limits: reached when any given limit is reached (by one accident, or by the total
/// over a window).
#[derive(Debug, Clone, Deserialize)]
pub struct AccidentRule {
    pub id: String,
    pub grades: Vec<Grade>,
    #[serde(default)]
    pub min_deaths: Option<u32>,
    #[serde(default)]
    pub min_serious_injuries: Option<u32>,
    #[serde(default)]
    pub min_loss_yuan: Option<i64>,
    /// For revocation: totals over this many months up to the accident; absent means the
    /// single accident.
    #[serde(default)]
    pub window_months: Option<i32>,
    #[serde(default)]
    pub action: Option<ProposedAction>,
    pub source: String,
    pub confidence: String,
}

/// One accident as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accident {
    pub occurred_on: Date,
    pub deaths: u32,
    pub serious_injuries: u32,
    pub direct_loss_yuan: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Totals {
    deaths: u32,
    serious: u32,
    loss: i64,
}

impl Totals {
    fn of<'a>(accidents: impl Iterator<Item = &'a Accident>) -> Totals {
        accidents.fold(Totals::default(), |t, a| Totals {
            deaths: t.deaths + a.deaths,
            serious: t.serious + a.serious_injuries,
            loss: t.loss + a.direct_loss_yuan,
        })
    }

    fn words(&self) -> String {
        format!(
            "死亡 {} 人、重伤 {} 人、直接经济损失 {} 万元",
            self.deaths,
            self.serious,
            self.loss as f64 / 10_000.0
        )
    }
}

impl AccidentRule {
    fn reached(&self, t: Totals) -> bool {
        self.min_deaths.is_some_and(|m| t.deaths >= m)
            || self.min_serious_injuries.is_some_and(|m| t.serious >= m)
            || self.min_loss_yuan.is_some_and(|m| t.loss >= m)
    }

    fn limits(&self) -> String {
        let mut parts = Vec::new();
        if let Some(d) = self.min_deaths {
            parts.push(format!("死亡 {d} 人"));
        }
        if let Some(s) = self.min_serious_injuries {
            parts.push(format!("重伤 {s} 人"));
        }
        if let Some(l) = self.min_loss_yuan {
            parts.push(format!("直接经济损失 {} 万元", l as f64 / 10_000.0));
        }
        format!("{}（任一项达到即适用）", parts.join("、"))
    }
}

#[derive(Debug, Clone, Deserialize)]
struct RawSet {
    id: String,
    version: u32,
    title: String,
    document: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    thresholds: BTreeMap<Grade, Threshold>,
    authority: BTreeMap<Grade, Authority>,
    validity: ValidityRule,
    notice: NoticeRule,
    waiting: WaitingRule,
    #[serde(default)]
    blocking: Vec<AccidentRule>,
    #[serde(default)]
    revocation: Vec<AccidentRule>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawFile {
    rule_set: Vec<RawSet>,
}

/// One grading rule set in force over `[from, to)`.
#[derive(Debug, Clone)]
pub struct GradingRuleSet {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub document: String,
    pub from: Date,
    pub to: Option<Date>,
    pub thresholds: BTreeMap<Grade, Threshold>,
    pub authority: BTreeMap<Grade, Authority>,
    pub validity: ValidityRule,
    pub notice: NoticeRule,
    pub waiting: WaitingRule,
    pub blocking: Vec<AccidentRule>,
    pub revocation: Vec<AccidentRule>,
}

/// The outcome of grading a score against the level applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "grade", rename_all = "snake_case")]
pub enum GradeResult {
    Granted(Grade),
    /// Below the level applied for but enough for a lower one: the enterprise rectifies and is
    /// evaluated again, or accepts this level.
    Lower(Grade),
    Failed,
}

/// Whether an application may go ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "snake_case")]
pub enum Admission {
    Allowed,
    /// Refused, with the reason in Chinese.
    Blocked(String),
}

/// A proposal the rules make after an accident; an officer confirms it with reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub action: ProposedAction,
    pub reason: String,
}

impl GradingRuleSet {
    fn rule(&self, rule: &str) -> RuleRef {
        RuleRef {
            set: self.id.clone(),
            version: self.version,
            rule: rule.to_string(),
        }
    }

    fn threshold(&self, g: Grade) -> Percent {
        Percent::from_f64(self.thresholds.get(&g).map_or(100.0, |t| t.min))
    }

    /// The grade a score earns against the level applied for. A failed veto item fails it.
    pub fn grade_for(&self, applied: Grade, score: Percent, vetoed: bool) -> Decided<GradeResult> {
        if vetoed {
            return Decided {
                value: GradeResult::Failed,
                rule: self.rule("veto"),
            };
        }
        let mut candidate = Some(applied);
        while let Some(g) = candidate {
            if score >= self.threshold(g) {
                let value = if g == applied {
                    GradeResult::Granted(g)
                } else {
                    GradeResult::Lower(g)
                };
                return Decided {
                    value,
                    rule: self.rule(&format!("threshold.{}", g.key())),
                };
            }
            candidate = g.lower();
        }
        let lowest = if applied == Grade::SmallMicro {
            Grade::SmallMicro
        } else {
            Grade::Three
        };
        Decided {
            value: GradeResult::Failed,
            rule: self.rule(&format!("threshold.{}", lowest.key())),
        }
    }

    pub fn authority(&self, g: Grade) -> Option<Decided<&Authority>> {
        self.authority.get(&g).map(|a| Decided {
            value: a,
            rule: self.rule(&format!("authority.{}", g.key())),
        })
    }

    /// The last day of a certificate issued on `issued`.
    pub fn valid_until(&self, issued: Date) -> Decided<Date> {
        let end = add_months(issued, 12 * self.validity.years);
        Decided {
            value: end.previous_day().unwrap_or(end),
            rule: self.rule("validity"),
        }
    }

    /// The first day a renewal may be applied for.
    pub fn renewal_opens(&self, valid_until: Date) -> Decided<Date> {
        Decided {
            value: add_months(valid_until, -self.validity.renewal_window_months),
            rule: self.rule("validity"),
        }
    }

    /// The last day of a public notice starting on `start` (working days, holidays unknown).
    pub fn notice_ends(&self, start: Date) -> Decided<Date> {
        Decided {
            value: add_working_days(start, self.notice.working_days.saturating_sub(1)),
            rule: self.rule("notice"),
        }
    }

    /// Whether an application for `g` made on `on` may go ahead, given the enterprise's
    /// accidents and its last revocation and last failed application.
    pub fn admission(
        &self,
        g: Grade,
        on: Date,
        accidents: &[Accident],
        last_revoked: Option<Date>,
        last_failed: Option<Date>,
    ) -> Decided<Admission> {
        if let Some(r) = last_revoked {
            let until = add_months(r, self.waiting.after_revocation_months);
            if on < until {
                return Decided {
                    value: Admission::Blocked(format!(
                        "证书于 {} 被撤销，须满 {} 个月方可重新申请（{} 起）",
                        format_date(r),
                        self.waiting.after_revocation_months,
                        format_date(until)
                    )),
                    rule: self.rule("waiting.revocation"),
                };
            }
        }
        if let Some(f) = last_failed {
            let until = add_months(f, self.waiting.after_failure_months);
            if on < until {
                return Decided {
                    value: Admission::Blocked(format!(
                        "上次申请于 {} 未通过，须满 {} 个月方可再次申请（{} 起）",
                        format_date(f),
                        self.waiting.after_failure_months,
                        format_date(until)
                    )),
                    rule: self.rule("waiting.failure"),
                };
            }
        }
        let year_before = add_months(on, -12);
        let totals = Totals::of(
            accidents
                .iter()
                .filter(|a| a.occurred_on >= year_before && a.occurred_on < on),
        );
        for b in self.blocking.iter().filter(|b| b.grades.contains(&g)) {
            if b.reached(totals) {
                return Decided {
                    value: Admission::Blocked(format!(
                        "申请前一年内（{} 至 {}）发生生产安全事故：{}，达到{}申请的限制：{}",
                        format_date(year_before),
                        format_date(on.previous_day().unwrap_or(on)),
                        totals.words(),
                        g.label(),
                        b.limits()
                    )),
                    rule: self.rule(&format!("blocking.{}", b.id)),
                };
            }
        }
        Decided {
            value: Admission::Allowed,
            rule: self.rule("admission"),
        }
    }

    /// What the rules propose for a holder of `g` after `new` (with the enterprise's earlier
    /// accidents in `history`). Revocation rules come before review rules.
    pub fn proposal_after(
        &self,
        g: Grade,
        new: &Accident,
        history: &[Accident],
    ) -> Option<Decided<Proposal>> {
        let mut rules: Vec<&AccidentRule> = self
            .revocation
            .iter()
            .filter(|r| r.grades.contains(&g))
            .collect();
        rules.sort_by_key(|r| r.action != Some(ProposedAction::Revoke));
        for r in rules {
            let totals = match r.window_months {
                None => Totals::of(std::iter::once(new)),
                Some(m) => {
                    let start = add_months(new.occurred_on, -m);
                    Totals::of(
                        history
                            .iter()
                            .filter(|a| {
                                a.occurred_on > start
                                    && a.occurred_on <= new.occurred_on
                                    && *a != new
                            })
                            .chain(std::iter::once(new)),
                    )
                }
            };
            if r.reached(totals) {
                let action = r.action.unwrap_or(ProposedAction::Revoke);
                let window = r
                    .window_months
                    .map(|m| format!("连续 {m} 个月内累计"))
                    .unwrap_or_else(|| "本次事故".into());
                return Some(Decided {
                    value: Proposal {
                        action,
                        reason: format!(
                            "{window}{}，达到{}证书的{}条件：{}",
                            totals.words(),
                            g.label(),
                            action.label(),
                            r.limits()
                        ),
                    },
                    rule: self.rule(&format!("revocation.{}", r.id)),
                });
            }
        }
        None
    }

    fn in_force_on(&self, d: Date) -> bool {
        self.from <= d && self.to.is_none_or(|t| d < t)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RulesError {
    #[error("{} 没有生效的定级规则", format_date(*.0))]
    NoneInForce(Date),
}

/// Every grading rule set, old and new.
#[derive(Debug, Clone)]
pub struct GradingRules {
    pub sets: Vec<GradingRuleSet>,
}

pub const EMBEDDED: &str = crate::reference::embedded::GRADING;

impl GradingRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let file = "grading.toml";
        let raw: RawFile =
            toml::from_str(text).map_err(|e| ReferenceError::new(file, e.to_string()))?;
        let mut sets = Vec::new();
        for r in raw.rule_set {
            let bad = |m: String| ReferenceError::new(file, format!("{}：{m}", r.id));
            let from = parse_date(&r.effective_from)
                .ok_or_else(|| bad("effective_from 不是日期".into()))?;
            let to = match &r.effective_to {
                None => None,
                Some(t) => Some(parse_date(t).ok_or_else(|| bad("effective_to 不是日期".into()))?),
            };
            if to.is_some_and(|t| t <= from) {
                return Err(bad("effective_to 须晚于 effective_from".into()));
            }
            for g in Grade::ALL {
                if !r.thresholds.contains_key(&g) || !r.authority.contains_key(&g) {
                    return Err(bad(format!("缺少{}的分数线或定级部门", g.label())));
                }
            }
            let mut ids = std::collections::HashSet::new();
            for a in r.blocking.iter().chain(&r.revocation) {
                if !ids.insert(a.id.as_str()) {
                    return Err(bad(format!("规则 {} 重复", a.id)));
                }
                if a.min_deaths.is_none()
                    && a.min_serious_injuries.is_none()
                    && a.min_loss_yuan.is_none()
                {
                    return Err(bad(format!("规则 {} 没有任何限值", a.id)));
                }
            }
            sets.push(GradingRuleSet {
                id: r.id,
                version: r.version,
                title: r.title,
                document: r.document,
                from,
                to,
                thresholds: r.thresholds,
                authority: r.authority,
                validity: r.validity,
                notice: r.notice,
                waiting: r.waiting,
                blocking: r.blocking,
                revocation: r.revocation,
            });
        }
        sets.sort_by_key(|s| s.from);
        for w in sets.windows(2) {
            if w[0].to.is_none_or(|t| t > w[1].from) {
                return Err(ReferenceError::new(
                    file,
                    format!("规则集 {} 与 {} 的施行期间重叠", w[0].id, w[1].id),
                ));
            }
        }
        Ok(Self { sets })
    }

    /// The set in force on a date.
    pub fn in_force(&self, d: Date) -> Result<&GradingRuleSet, RulesError> {
        self.sets
            .iter()
            .find(|s| s.in_force_on(d))
            .ok_or(RulesError::NoneInForce(d))
    }

    /// A stored rule reference in words, for `anbiao rules explain`.
    pub fn explain(&self, rule: &RuleRef) -> Option<String> {
        let s = self
            .sets
            .iter()
            .find(|s| s.id == rule.set && s.version == rule.version)?;
        let period = match s.to {
            Some(t) => format!(
                "{} 至 {}",
                format_date(s.from),
                format_date(t.previous_day().unwrap_or(t))
            ),
            None => format!("{} 起", format_date(s.from)),
        };
        let head = format!(
            "《{}》（{}；规则集 {} 第 {} 版，施行期间 {}）",
            s.title, s.document, s.id, s.version, period
        );
        let (what, source, confidence) = match rule.rule.split_once('.') {
            Some(("threshold", g)) => {
                let g = Grade::parse(g)?;
                let t = s.thresholds.get(&g)?;
                (
                    format!("{}须得分不低于 {} 分", g.label(), t.min),
                    t.source.clone(),
                    t.confidence.clone(),
                )
            }
            Some(("authority", g)) => {
                let g = Grade::parse(g)?;
                let a = s.authority.get(&g)?;
                (
                    format!("{}由{}定级公告", g.label(), a.body),
                    a.source.clone(),
                    a.confidence.clone(),
                )
            }
            Some(("waiting", which)) => {
                let months = if which == "revocation" {
                    s.waiting.after_revocation_months
                } else {
                    s.waiting.after_failure_months
                };
                let after = if which == "revocation" {
                    "证书被撤销"
                } else {
                    "申请未通过"
                };
                (
                    format!("{after}后须满 {months} 个月方可再次申请"),
                    s.waiting.source.clone(),
                    s.waiting.confidence.clone(),
                )
            }
            Some(("blocking", id)) => {
                let b = s.blocking.iter().find(|b| b.id == id)?;
                (
                    format!("申请前一年内事故达到 {} 的，不得申请", b.limits()),
                    b.source.clone(),
                    b.confidence.clone(),
                )
            }
            Some(("revocation", id)) => {
                let r = s.revocation.iter().find(|r| r.id == id)?;
                let action = r.action.unwrap_or(ProposedAction::Revoke);
                (
                    format!("事故达到 {} 的，{}", r.limits(), action.label()),
                    r.source.clone(),
                    r.confidence.clone(),
                )
            }
            _ => match rule.rule.as_str() {
                "validity" => (
                    format!(
                        "证书有效期 {} 年，期满前 {} 个月可申请复评",
                        s.validity.years, s.validity.renewal_window_months
                    ),
                    s.validity.source.clone(),
                    s.validity.confidence.clone(),
                ),
                "notice" => (
                    format!("公示期 {} 个工作日", s.notice.working_days),
                    s.notice.source.clone(),
                    s.notice.confidence.clone(),
                ),
                "veto" => (
                    "否决项不合格的，不予评定".into(),
                    "评分细则否决项".into(),
                    "confirmed".into(),
                ),
                "admission" => ("申请条件均满足".into(), s.document.clone(), "—".into()),
                _ => return None,
            },
        };
        Some(format!(
            "依据{head}：{what}。出处：{source}（可信度：{confidence}）。"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> GradingRules {
        GradingRules::embedded().expect("valid rules")
    }

    fn accident(on: Date, deaths: u32, serious: u32, loss: i64) -> Accident {
        Accident {
            occurred_on: on,
            deaths,
            serious_injuries: serious,
            direct_loss_yuan: loss,
        }
    }

    #[test]
    fn the_set_in_force_decides() {
        let r = rules();
        let s2019 = r.in_force(date!(2019 - 06 - 01)).expect("2014 set");
        assert_eq!(s2019.id, "grading.2014");
        let s2022 = r.in_force(date!(2022 - 06 - 01)).expect("2021 set");
        assert_eq!(s2022.id, "grading.2021");
        assert_eq!(
            r.in_force(date!(2021 - 10 - 31)).expect("set").id,
            "grading.2014"
        );
        assert_eq!(
            r.in_force(date!(2021 - 11 - 01)).expect("set").id,
            "grading.2021"
        );
        assert!(r.in_force(date!(2010 - 01 - 01)).is_err());
        // 2014: a notice of 5 working days; 2021: 7.
        assert_eq!(
            s2019.notice_ends(date!(2019 - 07 - 01)).value,
            date!(2019 - 07 - 05)
        );
        assert_eq!(
            s2022.notice_ends(date!(2022 - 07 - 01)).value,
            date!(2022 - 07 - 11)
        );
        // Who grades: 二级 outside the city in both regimes, 三级 in the city.
        let a = s2019.authority(Grade::Two).expect("authority");
        assert!(a.value.level.is_external());
        assert_eq!(a.rule.to_string(), "grading.2014@1#authority.two");
        assert!(
            !s2019
                .authority(Grade::Three)
                .expect("a")
                .value
                .level
                .is_external()
        );
    }

    #[test]
    fn scores_grade_with_lower_outcomes() {
        let s = rules();
        let s = s.in_force(date!(2018 - 09 - 01)).expect("set");
        let d = s.grade_for(Grade::Three, Percent(600), false);
        assert_eq!(d.value, GradeResult::Granted(Grade::Three));
        assert_eq!(d.rule.to_string(), "grading.2014@1#threshold.three");
        assert_eq!(
            s.grade_for(Grade::Three, Percent(599), false).value,
            GradeResult::Failed
        );
        assert_eq!(
            s.grade_for(Grade::Two, Percent(700), false).value,
            GradeResult::Lower(Grade::Three)
        );
        assert_eq!(
            s.grade_for(Grade::One, Percent(905), false).value,
            GradeResult::Granted(Grade::One)
        );
        assert_eq!(
            s.grade_for(Grade::One, Percent(1000), true).value,
            GradeResult::Failed
        );
        assert_eq!(
            s.grade_for(Grade::SmallMicro, Percent(650), false).value,
            GradeResult::Granted(Grade::SmallMicro)
        );
    }

    #[test]
    fn validity_and_renewal() {
        let r = rules();
        let s = r.in_force(date!(2018 - 12 - 20)).expect("set");
        let until = s.valid_until(date!(2018 - 12 - 20)).value;
        assert_eq!(until, date!(2021 - 12 - 19));
        assert_eq!(s.renewal_opens(until).value, date!(2021 - 09 - 19));
    }

    #[test]
    fn accidents_block_applications_by_the_rules_of_the_day() {
        let r = rules();
        let s2018 = r.in_force(date!(2018 - 10 - 01)).expect("set");
        let one_death = [accident(date!(2018 - 03 - 01), 1, 0, 200_000)];
        // 2014 regime: one death blocks 一级, not 三级.
        assert!(matches!(
            s2018
                .admission(Grade::One, date!(2018 - 10 - 01), &one_death, None, None)
                .value,
            Admission::Blocked(_)
        ));
        assert_eq!(
            s2018
                .admission(Grade::Three, date!(2018 - 10 - 01), &one_death, None, None)
                .value,
            Admission::Allowed
        );
        let three_deaths = [
            accident(date!(2018 - 03 - 01), 2, 0, 0),
            accident(date!(2018 - 08 - 01), 1, 0, 0),
        ];
        let d = s2018.admission(
            Grade::Three,
            date!(2018 - 10 - 01),
            &three_deaths,
            None,
            None,
        );
        let Admission::Blocked(why) = d.value else {
            panic!("blocked")
        };
        assert!(why.contains("死亡 3 人"), "{why}");
        assert_eq!(d.rule.to_string(), "grading.2014@1#blocking.block.three");
        // An accident more than a year before does not count.
        let old = [accident(date!(2017 - 09 - 30), 5, 0, 0)];
        assert_eq!(
            s2018
                .admission(Grade::Three, date!(2018 - 10 - 01), &old, None, None)
                .value,
            Admission::Allowed
        );
        // 2021 regime: one death blocks every grade; so do 3 serious injuries in total.
        let s2022 = r.in_force(date!(2022 - 10 - 01)).expect("set");
        let injuries = [
            accident(date!(2022 - 01 - 01), 0, 2, 0),
            accident(date!(2022 - 05 - 01), 0, 1, 0),
        ];
        assert!(matches!(
            s2022
                .admission(Grade::Three, date!(2022 - 10 - 01), &injuries, None, None)
                .value,
            Admission::Blocked(_)
        ));
        // Waiting periods.
        let d = s2022.admission(
            Grade::Three,
            date!(2022 - 10 - 01),
            &[],
            Some(date!(2022 - 03 - 01)),
            None,
        );
        let Admission::Blocked(why) = d.value else {
            panic!("waiting")
        };
        assert!(why.contains("2023-03-01"), "{why}");
        assert_eq!(
            s2022
                .admission(
                    Grade::Three,
                    date!(2023 - 03 - 01),
                    &[],
                    Some(date!(2022 - 03 - 01)),
                    None
                )
                .value,
            Admission::Allowed
        );
        assert!(matches!(
            s2022
                .admission(
                    Grade::Three,
                    date!(2022 - 10 - 01),
                    &[],
                    None,
                    Some(date!(2022 - 06 - 01))
                )
                .value,
            Admission::Blocked(_)
        ));
    }

    #[test]
    fn accidents_propose_revocation() {
        let r = rules();
        let s = r.in_force(date!(2019 - 05 - 01)).expect("set");
        let fatal = accident(date!(2019 - 05 - 01), 1, 0, 0);
        let p = s.proposal_after(Grade::One, &fatal, &[]).expect("proposal");
        assert_eq!(p.value.action, ProposedAction::Revoke);
        // 三级: one death proposes a review, not revocation; 10 deaths revocation.
        let p = s
            .proposal_after(Grade::Three, &fatal, &[])
            .expect("proposal");
        assert_eq!(p.value.action, ProposedAction::Review);
        let major = accident(date!(2019 - 05 - 01), 10, 0, 0);
        assert_eq!(
            s.proposal_after(Grade::Three, &major, &[])
                .expect("p")
                .value
                .action,
            ProposedAction::Revoke
        );
        assert!(
            s.proposal_after(Grade::Two, &accident(date!(2019 - 05 - 01), 0, 1, 0), &[])
                .is_none()
        );
        // 2021: injuries add up over 12 months.
        let s = r.in_force(date!(2022 - 05 - 01)).expect("set");
        let earlier = [accident(date!(2021 - 12 - 01), 0, 2, 0)];
        let now = accident(date!(2022 - 05 - 01), 0, 1, 0);
        let p = s
            .proposal_after(Grade::Two, &now, &earlier)
            .expect("rolling");
        assert_eq!(
            p.rule.to_string(),
            "grading.2021@1#revocation.revoke.rolling"
        );
        assert!(p.value.reason.contains("连续 12 个月内累计"));
    }

    #[test]
    fn explanations_name_the_document() {
        let r = rules();
        for rule in [
            "grading.2014@1#threshold.three",
            "grading.2014@1#authority.one",
            "grading.2014@1#blocking.block.three",
            "grading.2021@1#revocation.revoke.rolling",
            "grading.2021@1#waiting.revocation",
            "grading.2014@1#validity",
            "grading.2021@1#notice",
            "grading.2014@1#veto",
        ] {
            let rr = RuleRef::parse(rule).expect("parses");
            assert_eq!(rr.to_string(), rule);
            let words = r.explain(&rr).unwrap_or_else(|| panic!("{rule}"));
            assert!(words.starts_with("依据《"), "{words}");
        }
        let three = r
            .explain(&RuleRef::parse("grading.2014@1#threshold.three").expect("p"))
            .expect("w");
        assert!(
            three.contains("三级须得分不低于 60 分") && three.contains("2014-06-03 至 2021-10-31"),
            "{three}"
        );
        assert!(
            r.explain(&RuleRef::parse("grading.2014@9#threshold.three").expect("p"))
                .is_none()
        );
    }

    #[test]
    fn bad_rule_files_are_refused() {
        let overlap = EMBEDDED.replace(
            "effective_to = \"2021-11-01\"",
            "effective_to = \"2022-01-01\"",
        );
        assert!(
            GradingRules::from_toml(&overlap)
                .unwrap_err()
                .message
                .contains("重叠")
        );
        let no_limit = EMBEDDED.replacen(
            "min_deaths = 1\nsource = \"2011 考评办法：一级",
            "source = \"2011 考评办法：一级",
            1,
        );
        assert!(
            GradingRules::from_toml(&no_limit)
                .unwrap_err()
                .message
                .contains("没有任何限值")
        );
    }
}

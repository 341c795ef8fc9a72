//! Supervision intensity: how many routine inspections a year an enterprise gets, from its
//! standardisation status and what happened recently. The numbers are data
//! (`data/rules/inspection.toml`, versioned with effective dates); every frequency carries the
//! rule that decided it and explains itself in words ("未开展标准化：每年4次；存在未整改重大隐患：+2").

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use time::Date;

use crate::date::{Validity, effective_dates};
use crate::grade::Grade;
use crate::reference::ReferenceError;
use crate::rules::RuleRef;

pub const EMBEDDED: &str = crate::reference::embedded::INSPECTION;

/// An enterprise's standardisation status on a day, as supervision sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    GradeOne,
    GradeTwo,
    GradeThree,
    SmallMicro,
    /// Started (a grading case or a certificate at some time) but holding no valid certificate.
    NotCertified,
    /// Never started standardisation.
    NotStarted,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Self::GradeOne,
        Self::GradeTwo,
        Self::GradeThree,
        Self::SmallMicro,
        Self::NotCertified,
        Self::NotStarted,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::GradeOne => "grade_one",
            Self::GradeTwo => "grade_two",
            Self::GradeThree => "grade_three",
            Self::SmallMicro => "small_micro",
            Self::NotCertified => "not_certified",
            Self::NotStarted => "not_started",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::GradeOne => "一级标准化达标",
            Self::GradeTwo => "二级标准化达标",
            Self::GradeThree => "三级标准化达标",
            Self::SmallMicro => "小微企业达标",
            Self::NotCertified => "未达标",
            Self::NotStarted => "未开展标准化",
        }
    }

    /// The status from the highest grade of a valid certificate, and whether the enterprise
    /// ever started (a case opened or a certificate held at any time).
    pub fn of(valid: &[Grade], started: bool) -> Self {
        let has = |g| valid.contains(&g);
        if has(Grade::One) {
            Self::GradeOne
        } else if has(Grade::Two) {
            Self::GradeTwo
        } else if has(Grade::Three) {
            Self::GradeThree
        } else if has(Grade::SmallMicro) {
            Self::SmallMicro
        } else if started || !valid.is_empty() {
            Self::NotCertified
        } else {
            Self::NotStarted
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Something that raises the frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Modifier {
    OpenMajorHazard,
    OverdueHazard,
    RecentViolation,
    RecentAccident,
    /// A risk point of the level the modifier names (重大) without control measures, or whose
    /// check is overdue (管控措施未落实).
    UncontrolledMajorRisk,
}

impl Modifier {
    pub const ALL: [Modifier; 5] = [
        Self::OpenMajorHazard,
        Self::OverdueHazard,
        Self::RecentViolation,
        Self::RecentAccident,
        Self::UncontrolledMajorRisk,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::OpenMajorHazard => "open_major_hazard",
            Self::OverdueHazard => "overdue_hazard",
            Self::RecentViolation => "recent_violation",
            Self::RecentAccident => "recent_accident",
            Self::UncontrolledMajorRisk => "uncontrolled_major_risk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.key() == s)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModifier {
    key: String,
    label: String,
    add: u32,
    /// For `uncontrolled_major_risk`: the risk level (a key of the risk rules) it counts.
    #[serde(default)]
    risk_level: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    source: String,
    base: BTreeMap<String, u32>,
    key_statuses: Vec<String>,
    max_penalty_statuses: Vec<String>,
    random_percent: f64,
    officers_per_inspection: u32,
    recent_months: u32,
    max_per_year: u32,
    #[serde(default)]
    modifier: Vec<RawModifier>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    set: Vec<RawSet>,
}

/// One version of the frequency rules.
#[derive(Debug, Clone)]
pub struct InspectionSet {
    pub id: String,
    pub version: u32,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub source: String,
    pub base: BTreeMap<Status, u32>,
    pub key_statuses: Vec<Status>,
    pub max_penalty_statuses: Vec<Status>,
    pub random_percent: f64,
    pub officers_per_inspection: u32,
    pub recent_months: u32,
    pub max_per_year: u32,
    /// (modifier, label, visits added), in the file's order.
    pub modifiers: Vec<(Modifier, String, u32)>,
    /// The risk level whose uncontrolled points count for `uncontrolled_major_risk`.
    pub uncontrolled_risk_level: Option<String>,
}

/// The routine inspections a year decided for one enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct Frequency {
    pub status: Status,
    pub visits: u32,
    /// Inspected in full (重点检查单位) rather than drawn.
    pub key: bool,
    /// Penalties at the legal upper limit unless a reason is recorded.
    pub max_penalty: bool,
    /// The count in words, e.g. "未开展标准化：每年4次；存在未整改重大隐患：+2；合计6次".
    pub explanation: String,
    pub rule: RuleRef,
}

impl InspectionSet {
    /// When the version applies: `[effective_from, effective_to)`.
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    fn in_force_on(&self, d: Date) -> bool {
        self.validity().contains(d)
    }

    pub fn rule(&self, name: &str) -> RuleRef {
        RuleRef {
            set: self.id.clone(),
            version: self.version,
            rule: name.to_string(),
        }
    }

    /// The frequency for `status` with `present` modifiers (each counted once).
    pub fn frequency(&self, status: Status, present: &[Modifier]) -> Frequency {
        let base = self.base.get(&status).copied().unwrap_or(0);
        let mut parts = vec![format!("{}：每年{base}次", status.label())];
        let mut visits = base;
        for (m, label, add) in &self.modifiers {
            if present.contains(m) && *add > 0 {
                visits += add;
                parts.push(format!("{label}：+{add}"));
            }
        }
        if visits > self.max_per_year {
            parts.push(format!("以每年{}次为上限", self.max_per_year));
            visits = self.max_per_year;
        }
        if parts.len() > 1 {
            parts.push(format!("合计{visits}次"));
        }
        let key = self.key_statuses.contains(&status);
        let max_penalty = self.max_penalty_statuses.contains(&status);
        if key {
            parts.push("重点检查单位".into());
        }
        if max_penalty {
            parts.push("依法从重处罚".into());
        }
        Frequency {
            status,
            visits,
            key,
            max_penalty,
            explanation: parts.join("；"),
            rule: self.rule(&format!("frequency.{}", status.key())),
        }
    }
}

/// Every version of the frequency rules.
#[derive(Debug, Clone)]
pub struct InspectionRules {
    pub sets: Vec<InspectionSet>,
}

impl InspectionRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("inspection", m);
        let raw: RawRules = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一组监管频次规则".into()));
        }
        let mut sets: Vec<InspectionSet> = Vec::new();
        for s in raw.set {
            let name = format!("{}@{}", s.id, s.version);
            let (effective_from, effective_to) =
                effective_dates(&name, &s.effective_from, s.effective_to.as_deref())
                    .map_err(bad)?;
            let status = |k: &str| {
                Status::parse(k).ok_or_else(|| bad(format!("{name}：未知的标准化状态“{k}”")))
            };
            let mut base = BTreeMap::new();
            for (k, v) in &s.base {
                base.insert(status(k)?, *v);
            }
            if let Some(missing) = Status::ALL.iter().find(|st| !base.contains_key(st)) {
                return Err(bad(format!(
                    "{name}：缺少“{}”（{}）的检查频次",
                    missing.label(),
                    missing.key()
                )));
            }
            let statuses = |list: &[String]| {
                list.iter()
                    .map(|k| status(k))
                    .collect::<Result<Vec<_>, _>>()
            };
            let mut modifiers = Vec::new();
            let mut uncontrolled_risk_level = None;
            for m in &s.modifier {
                let key = Modifier::parse(&m.key)
                    .ok_or_else(|| bad(format!("{name}：未知的频次调整项“{}”", m.key)))?;
                if modifiers.iter().any(|(x, _, _)| *x == key) {
                    return Err(bad(format!("{name}：频次调整项“{}”重复", m.key)));
                }
                match (key, &m.risk_level) {
                    (Modifier::UncontrolledMajorRisk, Some(l)) if !l.trim().is_empty() => {
                        uncontrolled_risk_level = Some(l.trim().to_string());
                    }
                    (Modifier::UncontrolledMajorRisk, _) => {
                        return Err(bad(format!(
                            "{name}：频次调整项“{}”须写明 risk_level（风险等级，如 major）",
                            m.key
                        )));
                    }
                    (_, Some(_)) => {
                        return Err(bad(format!(
                            "{name}：频次调整项“{}”不适用 risk_level",
                            m.key
                        )));
                    }
                    (_, None) => {}
                }
                modifiers.push((key, m.label.clone(), m.add));
            }
            if !(0.0..=100.0).contains(&s.random_percent) || !s.random_percent.is_finite() {
                return Err(bad(format!("{name}：随机抽查比例应在 0 至 100 之间")));
            }
            if s.officers_per_inspection < 2 {
                return Err(bad(format!("{name}：每次检查的执法人员不得少于 2 名")));
            }
            if s.recent_months == 0 {
                return Err(bad(format!("{name}：统计期应至少 1 个月")));
            }
            if let Some(max) = base.values().max()
                && s.max_per_year < *max
            {
                return Err(bad(format!(
                    "{name}：每年检查上限 {} 低于基础频次 {max}",
                    s.max_per_year
                )));
            }
            let set = InspectionSet {
                key_statuses: statuses(&s.key_statuses)?,
                max_penalty_statuses: statuses(&s.max_penalty_statuses)?,
                id: s.id,
                version: s.version,
                effective_from,
                effective_to,
                source: s.source,
                base,
                random_percent: s.random_percent,
                officers_per_inspection: s.officers_per_inspection,
                recent_months: s.recent_months,
                max_per_year: s.max_per_year,
                modifiers,
                uncontrolled_risk_level,
            };
            if let Some(o) = sets.iter().find(|o| o.validity().overlaps(&set.validity())) {
                return Err(bad(format!(
                    "{}@{} 与 {}@{} 的生效期间重叠",
                    set.id, set.version, o.id, o.version
                )));
            }
            sets.push(set);
        }
        Ok(Self { sets })
    }

    /// The set a stored decision names (`inspection@1`).
    pub fn by_name(&self, name: &str) -> Option<&InspectionSet> {
        self.sets
            .iter()
            .find(|s| format!("{}@{}", s.id, s.version) == name)
    }

    /// The set in force on `d`.
    pub fn in_force(&self, d: Date) -> Result<&InspectionSet, ReferenceError> {
        self.sets.iter().find(|s| s.in_force_on(d)).ok_or_else(|| {
            ReferenceError::new(
                "inspection",
                format!("{} 没有生效的监管频次规则", crate::date::format_date(d)),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_default_follows_the_plan() {
        let rules = InspectionRules::embedded().expect("shipped");
        let set = rules.in_force(date!(2019 - 01 - 01)).expect("in force");
        let visits = |s| set.frequency(s, &[]).visits;
        // Graded enterprises get fewer routine visits, ungraded more, never-started most.
        assert!(visits(Status::GradeOne) <= visits(Status::GradeTwo));
        assert!(visits(Status::GradeThree) < visits(Status::NotCertified));
        assert!(visits(Status::NotCertified) < visits(Status::NotStarted));
        let f = set.frequency(Status::NotStarted, &[]);
        assert!(f.key && f.max_penalty, "{f:?}");
        assert!(!set.frequency(Status::GradeThree, &[]).key);
        assert_eq!(f.rule.to_string(), "inspection@1#frequency.not_started");
        assert!(rules.in_force(date!(2018 - 07 - 03)).is_err());
    }

    #[test]
    fn the_upper_limit_penalty_reaches_those_below_the_lowest_grade_from_version_three() {
        // 六（二）1: 未开展标准化建设、标准化建设质量无法满足最低等级要求的企业 … 上限处罚.
        let rules = InspectionRules::embedded().expect("shipped");
        let before = rules.in_force(date!(2026 - 12 - 07)).expect("v2");
        let f = before.frequency(Status::NotCertified, &[]);
        assert!(f.key && !f.max_penalty, "{f:?}");
        let now = rules.in_force(date!(2026 - 12 - 08)).expect("v3");
        assert_eq!(now.version, 3);
        let f = now.frequency(Status::NotCertified, &[]);
        assert!(f.key && f.max_penalty, "{f:?}");
        assert!(f.explanation.contains("依法从重处罚"), "{}", f.explanation);
        assert!(now.frequency(Status::NotStarted, &[]).max_penalty);
        assert!(!now.frequency(Status::GradeThree, &[]).max_penalty);
    }

    #[test]
    fn a_frequency_explains_itself_and_stops_at_the_cap() {
        let rules = InspectionRules::embedded().expect("shipped");
        let set = rules.in_force(date!(2019 - 01 - 01)).expect("in force");
        let f = set.frequency(Status::NotStarted, &[Modifier::OpenMajorHazard]);
        assert_eq!(f.visits, 6);
        assert_eq!(
            f.explanation,
            "未开展标准化：每年4次；存在未整改重大隐患：+2；合计6次；重点检查单位；依法从重处罚"
        );
        let plain = set.frequency(Status::GradeTwo, &[]);
        assert_eq!(plain.explanation, "二级标准化达标：每年1次");
        let text = EMBEDDED.replace("max_per_year = 12", "max_per_year = 7");
        let capped = InspectionRules::from_toml(&text).expect("valid");
        let f = capped.sets[0].frequency(Status::NotStarted, &Modifier::ALL);
        assert_eq!(f.visits, 7);
        assert!(
            f.explanation.contains("以每年7次为上限"),
            "{}",
            f.explanation
        );
    }

    #[test]
    fn status_comes_from_the_best_valid_certificate() {
        assert_eq!(
            Status::of(&[Grade::Three, Grade::Two], true),
            Status::GradeTwo
        );
        assert_eq!(Status::of(&[Grade::SmallMicro], true), Status::SmallMicro);
        assert_eq!(Status::of(&[], true), Status::NotCertified);
        assert_eq!(Status::of(&[], false), Status::NotStarted);
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        for (from, to, why) in [
            ("not_started = 4", "", "缺少“未开展标准化”"),
            (
                "grade_one = 0",
                "grade_zero = 0",
                "未知的标准化状态“grade_zero”",
            ),
            (
                "officers_per_inspection = 2",
                "officers_per_inspection = 1",
                "不得少于 2 名",
            ),
            ("random_percent = 5", "random_percent = 150", "随机抽查比例"),
            ("max_per_year = 12", "max_per_year = 3", "低于基础频次 4"),
            (
                "key = \"overdue_hazard\"",
                "key = \"open_major_hazard\"",
                "重复",
            ),
            (
                "key = \"overdue_hazard\"",
                "key = \"late\"",
                "未知的频次调整项",
            ),
            (
                "effective_from = \"2018-07-04\"",
                "effective_from = \"2018-13-04\"",
                "不是有效日期",
            ),
        ] {
            let text = EMBEDDED.replace(from, to);
            assert_ne!(text, EMBEDDED, "{from}");
            let e = InspectionRules::from_toml(&text).expect_err(why);
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
        let twice = format!(
            "{EMBEDDED}\n{}",
            EMBEDDED
                .split("[[set]]")
                .nth(1)
                .map(|s| format!("[[set]]{}", s.replace("version = 1", "version = 2")))
                .expect("a set")
        );
        let e = InspectionRules::from_toml(&twice).expect_err("overlap");
        assert!(e.to_string().contains("重叠"), "{e}");
    }
}

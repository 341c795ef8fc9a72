//! Enterprise size: 规模以上 / 规模以下 (the plan's sales threshold) and the national
//! large / medium / small / micro classes, both decided by a dated rule set.

use serde::Deserialize;
use time::Date;

use crate::date::parse_date;
use crate::reference::ReferenceError;

/// National size class (中小企业划型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Large,
    Medium,
    Small,
    Micro,
}

impl SizeClass {
    pub const ALL: [SizeClass; 4] = [Self::Large, Self::Medium, Self::Small, Self::Micro];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Large => "large",
            Self::Medium => "medium",
            Self::Small => "small",
            Self::Micro => "micro",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Large => "大型",
            Self::Medium => "中型",
            Self::Small => "小型",
            Self::Micro => "微型",
        }
    }

    /// 小微企业.
    pub fn is_small_micro(self) -> bool {
        matches!(self, Self::Small | Self::Micro)
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Threshold {
    pub staff: i64,
    pub revenue_wan: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SectorRule {
    pub sector: String,
    pub label: String,
    pub large: Threshold,
    pub medium: Threshold,
    pub small: Threshold,
}

#[derive(Debug, Clone)]
pub struct SizeRuleSet {
    pub id: String,
    pub version: u32,
    pub valid_from: Date,
    pub source: String,
    pub above_scale_min_sales_wan: i64,
    pub sectors: Vec<SectorRule>,
}

/// What the rules decided for one enterprise, with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SizeDecision {
    pub above_scale: bool,
    pub class: SizeClass,
    /// `id@version` of the rule set.
    pub rule: String,
}

impl SizeRuleSet {
    pub fn rule_ref(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// Classes an enterprise by annual sales (in 元) and staff. A class needs both thresholds.
    pub fn classify(&self, sector: &str, sales_yuan: i64, staff: i64) -> Option<SizeDecision> {
        let s = self.sectors.iter().find(|s| s.sector == sector)?;
        let wan = |t: &Threshold| t.revenue_wan.saturating_mul(10_000);
        let meets = |t: &Threshold| staff >= t.staff && sales_yuan >= wan(t);
        let class = if meets(&s.large) {
            SizeClass::Large
        } else if meets(&s.medium) {
            SizeClass::Medium
        } else if meets(&s.small) {
            SizeClass::Small
        } else {
            SizeClass::Micro
        };
        Some(SizeDecision {
            above_scale: sales_yuan >= self.above_scale_min_sales_wan.saturating_mul(10_000),
            class,
            rule: self.rule_ref(),
        })
    }
}

#[derive(Deserialize)]
struct RawFile {
    rule_set: Vec<RawSet>,
}

#[derive(Deserialize)]
struct RawSet {
    id: String,
    version: u32,
    valid_from: String,
    source: String,
    above_scale_min_sales_wan: i64,
    sector: Vec<SectorRule>,
}

/// Every size rule set, ordered by start date; the one in force on a date decides.
#[derive(Debug, Clone)]
pub struct SizeRules {
    sets: Vec<SizeRuleSet>,
}

impl SizeRules {
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let file = "size_rules";
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| ReferenceError::new(file, format!("无法解析：{e}")))?;
        let mut sets = Vec::new();
        for r in raw.rule_set {
            let valid_from = parse_date(&r.valid_from).ok_or_else(|| {
                ReferenceError::new(file, format!("规则 {} 的起始日期格式错误", r.id))
            })?;
            for s in &r.sector {
                let ok = s.small.staff <= s.medium.staff
                    && s.medium.staff <= s.large.staff
                    && s.small.revenue_wan <= s.medium.revenue_wan
                    && s.medium.revenue_wan <= s.large.revenue_wan;
                if !ok {
                    return Err(ReferenceError::new(
                        file,
                        format!("规则 {} 行业 {} 的门槛应逐级递增", r.id, s.sector),
                    ));
                }
            }
            sets.push(SizeRuleSet {
                id: r.id,
                version: r.version,
                valid_from,
                source: r.source,
                above_scale_min_sales_wan: r.above_scale_min_sales_wan,
                sectors: r.sector,
            });
        }
        if sets.is_empty() {
            return Err(ReferenceError::new(file, "没有任何规则".into()));
        }
        sets.sort_by_key(|s| s.valid_from);
        Ok(Self { sets })
    }

    /// The rule set in force on `d` (the latest that started on or before it).
    pub fn in_force(&self, d: Date) -> Option<&SizeRuleSet> {
        self.sets.iter().rev().find(|s| s.valid_from <= d)
    }

    pub fn sectors(&self) -> impl Iterator<Item = &str> {
        self.sets
            .iter()
            .flat_map(|s| s.sectors.iter().map(|x| x.sector.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> SizeRules {
        SizeRules::from_toml(include_str!("../../../data/reference/size_rules.toml"))
            .expect("valid")
    }

    #[test]
    fn industrial_classes_need_both_thresholds() {
        let r = rules();
        let set = r.in_force(date!(2018 - 12 - 31)).expect("in force");
        let c = |sales_wan: i64, staff| {
            set.classify("industrial", sales_wan * 10_000, staff)
                .expect("sector")
        };
        assert_eq!(c(50_000, 1200).class, SizeClass::Large);
        assert_eq!(c(2_000, 300).class, SizeClass::Medium);
        assert_eq!(c(1_999, 300).class, SizeClass::Small);
        assert_eq!(c(300, 20).class, SizeClass::Small);
        assert_eq!(c(299, 500).class, SizeClass::Micro);
        assert_eq!(c(5_000, 19).class, SizeClass::Micro);
        assert!(c(2_000, 5).above_scale);
        assert!(!c(1_999, 500).above_scale);
        assert_eq!(c(1, 1).rule, "size.2011@1");
        assert!(set.classify("mining", 1, 1).is_none());
        assert!(r.in_force(date!(2000 - 01 - 01)).is_none());
    }

    #[test]
    fn decreasing_thresholds_are_refused() {
        let bad = r#"
[[rule_set]]
id = "x"
version = 1
valid_from = "2020-01-01"
source = "s"
above_scale_min_sales_wan = 2000
[[rule_set.sector]]
sector = "industrial"
label = "工业"
large = { staff = 10, revenue_wan = 10 }
medium = { staff = 300, revenue_wan = 2000 }
small = { staff = 20, revenue_wan = 300 }
"#;
        assert!(SizeRules::from_toml(bad).is_err());
    }
}

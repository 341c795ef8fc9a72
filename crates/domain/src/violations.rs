//! Violation categories (违法行为类别) with their legal basis and the highest fine it allows, as
//! versioned data (`data/rules/violations.toml`), and the check an enforcement fine passes: never
//! above the limit, and at the limit for an enterprise under key supervision unless the officer
//! records why not (the plan's 依法从重处罚 for enterprises without standardisation).

use serde::Deserialize;
use time::Date;

use crate::date::{Validity, effective_dates};
use crate::reference::ReferenceError;
use crate::rules::RuleRef;

pub const EMBEDDED: &str = crate::reference::embedded::VIOLATIONS;

const CONFIDENCE: [&str; 4] = ["confirmed", "recalled-high", "recalled-low", "inferred"];

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub key: String,
    pub name: String,
    /// The article of the law, e.g. "第九十九条".
    pub basis: String,
    pub fine_max_yuan: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    law: String,
    source: String,
    confidence: String,
    category: Vec<Category>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    set: Vec<RawSet>,
}

/// One version of the categories.
#[derive(Debug, Clone)]
pub struct ViolationSet {
    pub id: String,
    pub version: u32,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    /// The law the articles belong to.
    pub law: String,
    pub source: String,
    pub confidence: String,
    pub categories: Vec<Category>,
}

impl ViolationSet {
    /// When the version applies: `[effective_from, effective_to)`.
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }

    pub fn rule(&self, key: &str) -> RuleRef {
        RuleRef {
            set: self.id.clone(),
            version: self.version,
            rule: format!("category.{key}"),
        }
    }

    /// "《中华人民共和国安全生产法》（2014年修正）第九十九条"
    pub fn basis_of(&self, c: &Category) -> String {
        format!("{}{}", self.law, c.basis)
    }
}

/// Why a fine was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FineError {
    #[error("罚款金额应大于 0 元")]
    NotPositive,
    #[error("罚款 {amount} 元超过{basis}规定的上限 {max} 元")]
    AboveLimit {
        amount: i64,
        max: i64,
        basis: String,
    },
    #[error("该企业属重点监管、应依法从重处罚，罚款低于上限 {max} 元须记录理由")]
    ReasonNeeded { max: i64 },
}

impl ViolationSet {
    /// Checks a fine of `amount` yuan under category `c`; `max_penalty` when the enterprise's
    /// status calls for the legal upper limit, `reason` the officer's reason for less.
    pub fn check_fine(
        &self,
        c: &Category,
        amount: i64,
        max_penalty: bool,
        reason: Option<&str>,
    ) -> Result<(), FineError> {
        if amount <= 0 {
            return Err(FineError::NotPositive);
        }
        if amount > c.fine_max_yuan {
            return Err(FineError::AboveLimit {
                amount,
                max: c.fine_max_yuan,
                basis: self.basis_of(c),
            });
        }
        if max_penalty
            && amount < c.fine_max_yuan
            && reason.map(str::trim).is_none_or(str::is_empty)
        {
            return Err(FineError::ReasonNeeded {
                max: c.fine_max_yuan,
            });
        }
        Ok(())
    }
}

/// Every version of the categories.
#[derive(Debug, Clone)]
pub struct ViolationRules {
    pub sets: Vec<ViolationSet>,
}

impl ViolationRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("violations", m);
        let raw: RawRules = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一组违法行为类别".into()));
        }
        let mut sets: Vec<ViolationSet> = Vec::new();
        for s in raw.set {
            let name = format!("{}@{}", s.id, s.version);
            let (effective_from, effective_to) =
                effective_dates(&name, &s.effective_from, s.effective_to.as_deref())
                    .map_err(bad)?;
            if !CONFIDENCE.contains(&s.confidence.as_str()) {
                return Err(bad(format!(
                    "{name}：可信度“{}”应为 {} 之一",
                    s.confidence,
                    CONFIDENCE.join("、")
                )));
            }
            if s.category.is_empty() {
                return Err(bad(format!("{name}：没有违法行为类别")));
            }
            for (i, c) in s.category.iter().enumerate() {
                if s.category[..i].iter().any(|o| o.key == c.key) {
                    return Err(bad(format!("{name}：类别“{}”重复", c.key)));
                }
                if c.fine_max_yuan <= 0 {
                    return Err(bad(format!("{name}：类别“{}”的罚款上限应大于 0", c.key)));
                }
                if c.name.trim().is_empty() || c.basis.trim().is_empty() {
                    return Err(bad(format!("{name}：类别“{}”缺少名称或法律依据", c.key)));
                }
            }
            let set = ViolationSet {
                id: s.id,
                version: s.version,
                effective_from,
                effective_to,
                law: s.law,
                source: s.source,
                confidence: s.confidence,
                categories: s.category,
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

    /// The set in force on `d`.
    pub fn in_force(&self, d: Date) -> Result<&ViolationSet, ReferenceError> {
        self.sets
            .iter()
            .find(|s| s.validity().contains(d))
            .ok_or_else(|| {
                ReferenceError::new(
                    "violations",
                    format!("{} 没有生效的违法行为类别", crate::date::format_date(d)),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_default_has_ten_categories_per_law() {
        let rules = ViolationRules::embedded().expect("shipped");
        for d in [date!(2018 - 09 - 01), date!(2025 - 03 - 01)] {
            assert_eq!(
                rules.in_force(d).expect("in force").categories.len(),
                10,
                "{d}"
            );
        }
        let old = rules.in_force(date!(2021 - 08 - 31)).expect("2014 law");
        let new = rules.in_force(date!(2021 - 09 - 01)).expect("2021 law");
        assert_eq!((old.version, new.version), (1, 2));
        let c = old.category("hazard_not_removed").expect("category");
        assert_eq!(
            old.basis_of(c),
            "《中华人民共和国安全生产法》（2014年修正）第九十九条"
        );
        assert_eq!(
            old.rule("hazard_not_removed").to_string(),
            "violations@1#category.hazard_not_removed"
        );
        assert!(rules.in_force(date!(2014 - 11 - 30)).is_err());
    }

    #[test]
    fn fines_stay_within_the_law_and_key_units_get_the_limit_or_a_reason() {
        let rules = ViolationRules::embedded().expect("shipped");
        let set = rules.in_force(date!(2019 - 01 - 01)).expect("in force");
        let c = set.category("emergency_plan").expect("category");
        assert_eq!(set.check_fine(c, 30_000, false, None), Ok(()));
        assert!(matches!(
            set.check_fine(c, 150_000, false, None),
            Err(FineError::AboveLimit { max: 100_000, .. })
        ));
        assert_eq!(
            set.check_fine(c, 30_000, true, Some("  ")),
            Err(FineError::ReasonNeeded { max: 100_000 })
        );
        assert_eq!(
            set.check_fine(c, 30_000, true, Some("首次违法且当场改正")),
            Ok(())
        );
        assert_eq!(set.check_fine(c, 100_000, true, None), Ok(()));
        assert_eq!(
            set.check_fine(c, 0, false, None),
            Err(FineError::NotPositive)
        );
        let e = set
            .check_fine(c, 150_000, false, None)
            .expect_err("above")
            .to_string();
        assert!(
            e.contains("第九十四条第（六）项") && e.contains("100000"),
            "{e}"
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        for (from, to, why) in [
            ("key = \"training\"", "key = \"principal_duties\"", "重复"),
            (
                "fine_max_yuan = 50000",
                "fine_max_yuan = 0",
                "罚款上限应大于 0",
            ),
            (
                "confidence = \"recalled-low\"",
                "confidence = \"sure\"",
                "可信度",
            ),
            (
                "effective_to = \"2021-09-01\"",
                "effective_to = \"2021-09-02\"",
                "重叠",
            ),
            (
                "effective_from = \"2014-12-01\"",
                "effective_from = \"2014-12-32\"",
                "不是有效日期",
            ),
        ] {
            let text = EMBEDDED.replacen(from, to, 1);
            assert_ne!(text, EMBEDDED, "{from}");
            let e = ViolationRules::from_toml(&text).expect_err(why);
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
    }
}

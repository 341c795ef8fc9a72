//! The scoring engine: an assessment's entries against a sheet. Deductions never push an item
//! or a category below zero; not-applicable items leave the denominator; the score is
//! earned ÷ (full − not applicable) × 100 to one decimal (half up); a failed veto item fails the
//! assessment whatever the score.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::standard::{Points, ScoringSheet};

/// What the assessor recorded for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "points", rename_all = "snake_case")]
pub enum Entry {
    /// 不涉及: the item leaves the denominator.
    NotApplicable,
    /// Points earned, at most the item's points.
    Earned(Points),
    /// Points deducted; the item stops at zero.
    Deducted(Points),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemInput {
    pub item: String,
    pub entry: Entry,
    /// On a veto item (否决项): its condition is not met.
    #[serde(default)]
    pub veto_failed: bool,
}

impl ItemInput {
    pub fn earned(item: &str, p: Points) -> Self {
        Self {
            item: item.to_string(),
            entry: Entry::Earned(p),
            veto_failed: false,
        }
    }
}

/// A score in tenths of a percent: `Percent(875)` is 87.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Percent(pub i64);

impl Percent {
    pub fn from_f64(v: f64) -> Percent {
        Percent((v * 10.0).round() as i64)
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 10.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryOutcome {
    pub code: String,
    pub full: Points,
    pub not_applicable: Points,
    pub earned: Points,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `id@version` of the sheet.
    pub sheet: String,
    pub full: Points,
    pub not_applicable: Points,
    pub earned: Points,
    pub score: Percent,
    /// Veto items whose condition failed.
    pub vetoed: Vec<String>,
    pub categories: Vec<CategoryOutcome>,
}

impl Outcome {
    pub fn vetoed(&self) -> bool {
        !self.vetoed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScoringError {
    #[error("以下考评内容尚未评分：{}", .0.join("、"))]
    Missing(Vec<String>),
    #[error("考评内容 {0} 不在评分细则中")]
    UnknownItem(String),
    #[error("考评内容 {0} 重复评分")]
    Duplicate(String),
    #[error("考评内容 {item} 的得分 {given} 超过其分值 {points}")]
    AboveMax {
        item: String,
        given: Points,
        points: Points,
    },
    #[error("考评内容 {0} 不是否决项")]
    NotVeto(String),
    #[error("考评类目 {0} 不在评分细则中")]
    UnknownCategory(String),
    #[error("全部考评内容均为不涉及，无法计分")]
    NothingApplicable,
}

/// Rounds `num / den` to the nearest integer, halves up (both non-negative, den > 0).
fn div_half_up(num: i64, den: i64) -> i64 {
    (2 * num + den) / (2 * den)
}

/// Scores entries against a sheet. Every item must have exactly one entry.
/// `category_deductions` are deductions made at category level (bold items in some sheets).
pub fn score(
    sheet: &ScoringSheet,
    inputs: &[ItemInput],
    category_deductions: &[(String, Points)],
) -> Result<Outcome, ScoringError> {
    let mut by_item: BTreeMap<&str, &ItemInput> = BTreeMap::new();
    for i in inputs {
        let item = sheet
            .item(&i.item)
            .ok_or_else(|| ScoringError::UnknownItem(i.item.clone()))?;
        if by_item.insert(item.code.as_str(), i).is_some() {
            return Err(ScoringError::Duplicate(i.item.clone()));
        }
        if i.veto_failed && !item.veto {
            return Err(ScoringError::NotVeto(i.item.clone()));
        }
        if let Entry::Earned(p) = i.entry
            && p > item.points
        {
            return Err(ScoringError::AboveMax {
                item: i.item.clone(),
                given: p,
                points: item.points,
            });
        }
    }
    let missing: Vec<String> = sheet
        .items()
        .filter(|(_, i)| !by_item.contains_key(i.code.as_str()))
        .map(|(_, i)| i.code.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ScoringError::Missing(missing));
    }
    let codes: HashSet<&str> = sheet.categories.iter().map(|c| c.code.as_str()).collect();
    let mut cat_ded: BTreeMap<&str, i64> = BTreeMap::new();
    for (code, p) in category_deductions {
        if !codes.contains(code.as_str()) {
            return Err(ScoringError::UnknownCategory(code.clone()));
        }
        *cat_ded.entry(code.as_str()).or_default() += p.0;
    }

    let mut categories = Vec::new();
    let mut vetoed = Vec::new();
    for c in &sheet.categories {
        let (mut full, mut na, mut earned) = (0i64, 0i64, 0i64);
        for item in &c.items {
            let input = by_item[item.code.as_str()];
            full += item.points.0;
            if input.veto_failed {
                vetoed.push(item.code.clone());
            }
            match input.entry {
                Entry::NotApplicable => na += item.points.0,
                Entry::Earned(p) => earned += p.0.min(item.points.0),
                Entry::Deducted(d) => earned += (item.points.0 - d.0).max(0),
            }
        }
        let earned = (earned - cat_ded.get(c.code.as_str()).copied().unwrap_or(0)).max(0);
        categories.push(CategoryOutcome {
            code: c.code.clone(),
            full: Points(full),
            not_applicable: Points(na),
            earned: Points(earned),
        });
    }
    let full: i64 = categories.iter().map(|c| c.full.0).sum();
    let na: i64 = categories.iter().map(|c| c.not_applicable.0).sum();
    let earned: i64 = categories.iter().map(|c| c.earned.0).sum();
    let applicable = full - na;
    if applicable <= 0 {
        return Err(ScoringError::NothingApplicable);
    }
    Ok(Outcome {
        sheet: sheet.rule_ref(),
        full: Points(full),
        not_applicable: Points(na),
        earned: Points(earned),
        score: Percent(div_half_up(earned * 1000, applicable)),
        vetoed,
        categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::shipped;
    use proptest::prelude::*;

    fn sample() -> ScoringSheet {
        let (_, sheets) = shipped().expect("shipped");
        sheets
            .into_iter()
            .find(|s| s.id == "sample.gbt33000")
            .expect("sample")
    }

    fn all_full(s: &ScoringSheet) -> Vec<ItemInput> {
        s.items()
            .map(|(_, i)| ItemInput::earned(&i.code, i.points))
            .collect()
    }

    #[test]
    fn full_marks_and_conversion() {
        let s = sample();
        let out = score(&s, &all_full(&s), &[]).expect("scored");
        assert_eq!(out.score, Percent(1000));
        assert_eq!(out.full, Points(6000));
        // 5.4.1 (60 points) not applicable, 5.1.1 (20) earns 10: 5990−… = (6000−600−100)/(6000−600)
        let mut inputs = all_full(&s);
        for i in &mut inputs {
            if i.item == "5.4.1" {
                i.entry = Entry::NotApplicable;
            }
            if i.item == "5.1.1" {
                i.entry = Entry::Earned(Points(100));
            }
        }
        let out = score(&s, &inputs, &[]).expect("scored");
        // 5300 / 5400 = 98.148… → 98.1
        assert_eq!(out.score, Percent(981));
        assert_eq!(out.score.to_string(), "98.1");
    }

    #[test]
    fn deductions_stop_at_zero_and_veto_fails() {
        let s = sample();
        let mut inputs = all_full(&s);
        inputs[0].entry = Entry::Deducted(Points(1000));
        let out = score(&s, &inputs, &[("5.2".into(), Points(99999))]).expect("scored");
        let c1 = &out.categories[0];
        assert_eq!(c1.earned.0, c1.full.0 - 200);
        assert_eq!(out.categories[1].earned, Points(0));
        let v = inputs
            .iter_mut()
            .find(|i| i.item == "5.5.3V")
            .expect("veto item");
        v.veto_failed = true;
        let out = score(&s, &inputs, &[]).expect("scored");
        assert!(out.vetoed());
        assert_eq!(out.vetoed, ["5.5.3V"]);
    }

    #[test]
    fn bad_input_is_named() {
        let s = sample();
        let mut inputs = all_full(&s);
        let last = inputs.pop().expect("an item");
        assert_eq!(
            score(&s, &inputs, &[]),
            Err(ScoringError::Missing(vec![last.item.clone()]))
        );
        inputs.push(last.clone());
        inputs.push(last);
        assert!(matches!(
            score(&s, &inputs, &[]),
            Err(ScoringError::Duplicate(_))
        ));
        let mut inputs = all_full(&s);
        inputs[0].entry = Entry::Earned(Points(201));
        let e = score(&s, &inputs, &[]).expect_err("above");
        assert_eq!(e.to_string(), "考评内容 5.1.1 的得分 20.1 超过其分值 20");
        let mut inputs = all_full(&s);
        inputs[0].veto_failed = true;
        assert!(matches!(
            score(&s, &inputs, &[]),
            Err(ScoringError::NotVeto(_))
        ));
        let mut inputs = all_full(&s);
        inputs.push(ItemInput::earned("9.9", Points(1)));
        assert!(matches!(
            score(&s, &inputs, &[]),
            Err(ScoringError::UnknownItem(_))
        ));
        let inputs: Vec<ItemInput> = s
            .items()
            .map(|(_, i)| ItemInput {
                item: i.code.clone(),
                entry: Entry::NotApplicable,
                veto_failed: false,
            })
            .collect();
        assert_eq!(
            score(&s, &inputs, &[]),
            Err(ScoringError::NothingApplicable)
        );
        assert!(matches!(
            score(&s, &all_full(&s), &[("X".into(), Points(1))]),
            Err(ScoringError::UnknownCategory(_))
        ));
    }

    fn entry_strategy(points: i64) -> impl Strategy<Value = Entry> {
        prop_oneof![
            Just(Entry::NotApplicable),
            (0..=points).prop_map(|p| Entry::Earned(Points(p))),
            (0..=points * 3).prop_map(|p| Entry::Deducted(Points(p))),
        ]
    }

    fn inputs_strategy() -> impl Strategy<Value = Vec<ItemInput>> {
        let s = sample();
        let strategies: Vec<_> = s
            .items()
            .map(|(_, i)| {
                let code = i.code.clone();
                entry_strategy(i.points.0).prop_map(move |entry| ItemInput {
                    item: code.clone(),
                    entry,
                    veto_failed: false,
                })
            })
            .collect();
        strategies
    }

    proptest! {
        #[test]
        fn invariants(inputs in inputs_strategy(), cat_ded in 0i64..2000) {
            let s = sample();
            match score(&s, &inputs, &[("5.3".into(), Points(cat_ded))]) {
                Err(ScoringError::NothingApplicable) => {}
                Err(e) => prop_assert!(false, "{e}"),
                Ok(out) => {
                    // The score is a percentage; no category below zero or above what applies.
                    prop_assert!((0..=1000).contains(&out.score.0));
                    for c in &out.categories {
                        prop_assert!(c.earned.0 >= 0);
                        prop_assert!(c.earned.0 <= c.full.0 - c.not_applicable.0);
                    }
                    prop_assert_eq!(out.earned.0, out.categories.iter().map(|c| c.earned.0).sum::<i64>());
                    // Earning more on an applicable item never lowers the score.
                    let mut better = inputs.clone();
                    if let Some(i) = better.iter_mut().find(|i| matches!(i.entry, Entry::Earned(_) | Entry::Deducted(_))) {
                        let pts = s.item(&i.item).map(|x| x.points).unwrap_or_default();
                        i.entry = Entry::Earned(pts);
                        let b = score(&s, &better, &[("5.3".into(), Points(cat_ded))]).expect("scores");
                        prop_assert!(b.score >= out.score);
                    }
                    // Marking an item that earned nothing not applicable never lowers the score.
                    let mut na = inputs.clone();
                    if let Some(i) = na.iter_mut().find(|i| {
                        let pts = s.item(&i.item).map(|x| x.points).unwrap_or_default();
                        let zero = match i.entry {
                            Entry::Earned(p) => p.0 == 0,
                            Entry::Deducted(d) => d >= pts,
                            Entry::NotApplicable => false,
                        };
                        zero && s.items().any(|(c, it)| it.code == i.item && c.code != "5.3")
                    }) {
                        i.entry = Entry::NotApplicable;
                        if let Ok(n) = score(&s, &na, &[("5.3".into(), Points(cat_ded))]) {
                            prop_assert!(n.score >= out.score);
                        }
                    }
                }
            }
        }
    }
}

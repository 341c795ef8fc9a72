//! Quality monitoring of grading: near-identical self-assessment texts across enterprises,
//! evaluators with implausible throughput. The thresholds are data (`data/rules/quality.toml`);
//! a flag asks the officer to look, it decides nothing.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use time::Date;

use crate::date::parse_date;
use crate::reference::ReferenceError;
use crate::rules::RuleRef;

pub const EMBEDDED: &str = crate::reference::embedded::QUALITY;

#[derive(Debug, Clone, Deserialize)]
pub struct QualitySet {
    pub id: String,
    pub version: u32,
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
    pub source: String,
    pub similar_text_percent: u32,
    pub similar_text_min_chars: usize,
    pub similar_text_window_days: i64,
    pub evaluator_window_days: i64,
    pub evaluator_max_evaluations: usize,
    pub audit_gap_points: u32,
}

impl QualitySet {
    pub fn rule(&self, name: &str) -> RuleRef {
        RuleRef {
            set: self.id.clone(),
            version: self.version,
            rule: name.to_string(),
        }
    }

    fn in_force_on(&self, d: Date) -> bool {
        let from = parse_date(&self.effective_from);
        let to = self.effective_to.as_deref().and_then(parse_date);
        from.is_some_and(|f| f <= d) && to.is_none_or(|t| d < t)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct QualityRules {
    pub set: Vec<QualitySet>,
}

impl QualityRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("quality", m);
        let rules: QualityRules = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if rules.set.is_empty() {
            return Err(bad("至少需要一组质量监测设置".into()));
        }
        for s in &rules.set {
            if parse_date(&s.effective_from).is_none() {
                return Err(bad(format!(
                    "{} 的生效日期“{}”无效",
                    s.id, s.effective_from
                )));
            }
            if !(1..=100).contains(&s.similar_text_percent) {
                return Err(bad(format!("{} 的相似度阈值应在 1 至 100 之间", s.id)));
            }
            if s.evaluator_window_days < 1 || s.evaluator_max_evaluations < 1 {
                return Err(bad(format!("{} 的考评员工作量设置应大于 0", s.id)));
            }
        }
        Ok(rules)
    }

    pub fn in_force(&self, d: Date) -> Option<&QualitySet> {
        self.set.iter().find(|s| s.in_force_on(d))
    }
}

/// The characters a text is compared on: letters, digits and CJK ideographs (spaces and
/// punctuation do not count).
fn significant(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The set of character pairs of a text, hashed.
pub fn shingles(text: &str) -> HashSet<u64> {
    significant(text)
        .windows(2)
        .map(|w| {
            // FNV-1a over the two code points: stable across runs and platforms.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for c in w {
                for b in (*c as u32).to_le_bytes() {
                    h ^= u64::from(b);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
            h
        })
        .collect()
}

/// Jaccard similarity of two shingle sets, in percent (rounded down).
pub fn similarity(a: &HashSet<u64>, b: &HashSet<u64>) -> u32 {
    let union = a.union(b).count();
    if union == 0 {
        return 0;
    }
    let inter = a.intersection(b).count();
    u32::try_from(inter * 100 / union).unwrap_or(100)
}

const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn minhash(s: &HashSet<u64>) -> [u64; HASHES] {
    let mut sig = [u64::MAX; HASHES];
    for &h in s {
        for (i, slot) in sig.iter_mut().enumerate() {
            let v = mix(h ^ mix(i as u64 + 1));
            if v < *slot {
                *slot = v;
            }
        }
    }
    sig
}

/// A pair of texts found alike: indexes into the input, and their similarity in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlikePair {
    pub a: usize,
    pub b: usize,
    pub percent: u32,
}

/// Pairs of texts at least `percent` alike, among texts of at least `min_chars` significant
/// characters, skipping pairs with the same `owner` (an enterprise's own resubmissions).
/// MinHash with banding finds candidates without comparing every pair; each candidate is then
/// checked exactly, so a reported pair is always truly that alike.
pub fn alike_pairs<O: PartialEq>(
    texts: &[(O, &str)],
    percent: u32,
    min_chars: usize,
) -> Vec<AlikePair> {
    let sets: Vec<Option<HashSet<u64>>> = texts
        .iter()
        .map(|(_, t)| (significant(t).len() >= min_chars).then(|| shingles(t)))
        .collect();
    let mut buckets: HashMap<(usize, Vec<u64>), Vec<usize>> = HashMap::new();
    for (i, s) in sets.iter().enumerate() {
        let Some(s) = s else { continue };
        let sig = minhash(s);
        for band in 0..BANDS {
            buckets
                .entry((band, sig[band * ROWS..(band + 1) * ROWS].to_vec()))
                .or_default()
                .push(i);
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for members in buckets.values() {
        for (k, &i) in members.iter().enumerate() {
            for &j in &members[k + 1..] {
                let (a, b) = (i.min(j), i.max(j));
                if texts[a].0 == texts[b].0 || !seen.insert((a, b)) {
                    continue;
                }
                if let (Some(x), Some(y)) = (&sets[a], &sets[b]) {
                    let p = similarity(x, y);
                    if p >= percent {
                        out.push(AlikePair { a, b, percent: p });
                    }
                }
            }
        }
    }
    out.sort_by(|x, y| {
        y.percent
            .cmp(&x.percent)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    out
}

/// The busiest window of `days` days among `dates`: how many fall in it and where it starts.
pub fn busiest_window(dates: &[Date], days: i64) -> Option<(usize, Date)> {
    let mut d: Vec<Date> = dates.to_vec();
    d.sort();
    let mut best: Option<(usize, Date)> = None;
    let mut start = 0;
    for end in 0..d.len() {
        while (d[end] - d[start]).whole_days() >= days {
            start += 1;
        }
        let n = end - start + 1;
        if best.is_none_or(|(b, _)| n > b) {
            best = Some((n, d[start]));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TEMPLATE: &str = "本企业按照评分细则逐项开展自评：建立安全生产责任制，主要负责人签订目标责任书；\
        制定年度安全投入计划并足额提取安全费用；开展全员安全培训，特种作业人员持证上岗；\
        落实有限空间、动火、高处作业审批制度；隐患排查治理台账完整，发现问题十二项已全部整改。";

    #[test]
    fn shipped_settings_parse_and_apply_from_2014() {
        let q = QualityRules::embedded().expect("valid");
        let s = q.in_force(date!(2018 - 12 - 31)).expect("in force");
        assert_eq!(s.similar_text_percent, 85);
        assert_eq!(s.rule("similar_text").to_string(), "quality@1#similar_text");
        assert!(q.in_force(date!(2010 - 01 - 01)).is_none());
        let bad = EMBEDDED.replace("similar_text_percent = 85", "similar_text_percent = 120");
        assert!(QualityRules::from_toml(&bad).is_err());
    }

    #[test]
    fn a_copied_report_with_another_name_is_flagged_and_own_resubmissions_are_not() {
        let copied = TEMPLATE
            .replace("十二项", "十一项")
            .replace("主要负责人", "总经理");
        let different = "公司二〇一八年度开展标准化创建，聘请第三方机构辅导，完善了十三个要素的制度文件，\
            组织应急演练两次，设备设施台账更新，职业健康体检覆盖率百分之百，相关方管理纳入合同条款。";
        let texts = [
            (1, TEMPLATE),
            (2, copied.as_str()),
            (3, different),
            (1, TEMPLATE),
        ];
        let pairs = alike_pairs(&texts, 85, 60);
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs.iter().all(|p| texts[p.a].0 != texts[p.b].0));
        assert!(pairs.iter().all(|p| p.a != 2 && p.b != 2));
        assert!(
            pairs
                .iter()
                .any(|p| (p.a, p.b) == (0, 1) && p.percent >= 85 && p.percent < 100)
        );
        // Short stock phrases are not compared.
        let short = [(1, "已按评分细则逐项自查。"), (2, "已按评分细则逐项自查。")];
        assert!(alike_pairs(&short, 85, 60).is_empty());
    }

    #[test]
    fn busiest_window_counts_dates_within_the_window() {
        let d = [
            date!(2019 - 03 - 01),
            date!(2019 - 03 - 02),
            date!(2019 - 03 - 04),
            date!(2019 - 03 - 07),
            date!(2019 - 03 - 08),
            date!(2019 - 04 - 01),
        ];
        assert_eq!(busiest_window(&d, 7), Some((4, date!(2019 - 03 - 01))));
        assert_eq!(busiest_window(&d, 1), Some((1, date!(2019 - 03 - 01))));
        assert_eq!(busiest_window(&[], 7), None);
    }

    proptest! {
        #[test]
        fn similarity_is_symmetric_bounded_and_total_on_identity(a in "[一-龥a-z0-9]{0,80}", b in "[一-龥a-z0-9]{0,80}") {
            let (x, y) = (shingles(&a), shingles(&b));
            prop_assert_eq!(similarity(&x, &y), similarity(&y, &x));
            prop_assert!(similarity(&x, &y) <= 100);
            if !x.is_empty() {
                prop_assert_eq!(similarity(&x, &x), 100);
            }
        }

        #[test]
        fn every_reported_pair_is_truly_alike(texts in proptest::collection::vec("[甲乙丙丁戊己庚辛]{60,90}", 2..12)) {
            let input: Vec<(usize, &str)> = texts.iter().enumerate().map(|(i, t)| (i, t.as_str())).collect();
            for p in alike_pairs(&input, 70, 60) {
                prop_assert!(similarity(&shingles(input[p.a].1), &shingles(input[p.b].1)) >= 70);
            }
        }

        #[test]
        fn identical_long_texts_are_always_found(t in "[一-龥]{60,120}", n in 2usize..6) {
            let input: Vec<(usize, &str)> = (0..n).map(|i| (i, t.as_str())).collect();
            let pairs = alike_pairs(&input, 85, 60);
            prop_assert_eq!(pairs.len(), n * (n - 1) / 2);
        }
    }
}

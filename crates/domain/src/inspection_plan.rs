//! The annual inspection plan of a unit (年度监督检查计划), reproducible from its seed.
//!
//! The algorithm, so anyone can redo a plan by hand or in another language:
//! 1. Every enterprise gets its routine visits from the frequency rules in force
//!    (`supervision::InspectionSet::frequency`, with its explanation). Key units (重点检查单位)
//!    are in the plan in full.
//! 2. 双随机, the random enterprises: among the others, ⌈random_percent × N ÷ 100⌉ are drawn by
//!    the audit draw's algorithm (`sampling::draw`: stratified by industry, SplitMix64 from the
//!    seed); each drawn one gets one more visit ("双随机抽中：+1").
//! 3. Months: an enterprise's v visits fall in months ⌊i × 12 ÷ v⌋ + 1 + o (i = 0..v), o a shift
//!    drawn from the SplitMix64 sequence at `seed` XOR its id, below the spacing 12 ÷ v.
//! 4. 双随机, the random officers: visits are taken month by month, enterprise id ascending;
//!    each gets `officers_per_inspection` officers drawn (SplitMix64 at `seed` XOR the month)
//!    from those with capacity left that month and no declared conflict with the enterprise.
//!    A visit that cannot be staffed is listed as unassigned, with the month.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::sampling::{self, Candidate, splitmix};
use crate::supervision::{Frequency, InspectionSet, Modifier, Status};

/// An enterprise the plan covers, with what its frequency depends on.
#[derive(Debug, Clone)]
pub struct Subject {
    pub enterprise_id: i64,
    pub industry: String,
    pub status: Status,
    pub modifiers: Vec<Modifier>,
}

/// A law-enforcement officer of the unit.
#[derive(Debug, Clone)]
pub struct Officer {
    pub username: String,
    /// Inspections a month the officer can take.
    pub capacity_per_month: u32,
    /// Enterprises the officer declared a conflict of interest with.
    pub conflicts: HashSet<i64>,
}

/// One visit: month 1–12 and the officers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub month: u8,
    pub officers: Vec<String>,
}

/// An enterprise's line of the plan.
#[derive(Debug, Clone)]
pub struct Line {
    pub enterprise_id: i64,
    pub frequency: Frequency,
    /// The modifiers the frequency counted.
    pub modifiers: Vec<Modifier>,
    /// Drawn at random (双随机) for one more visit.
    pub drawn: bool,
    /// The visits in words, the frequency's explanation with the draw.
    pub explanation: String,
    pub visits: Vec<Visit>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    /// Lines with at least one visit, by enterprise id.
    pub lines: Vec<Line>,
    /// Visits no officers could be found for: (enterprise id, month).
    pub unassigned: Vec<(i64, u8)>,
    /// Enterprises eligible for the random draw, and how many were drawn.
    pub random_pool: usize,
    pub random_drawn: usize,
}

/// A line's visits in words: the frequency's explanation, and the draw when drawn.
pub fn explain(f: &Frequency, drawn: bool) -> String {
    if drawn {
        format!("{}；双随机抽中：+1", f.explanation)
    } else {
        f.explanation.clone()
    }
}

fn months(id: i64, visits: u32, seed: u64) -> Vec<u8> {
    if visits == 0 {
        return Vec::new();
    }
    let v = visits.min(12);
    let spacing = 12 / v;
    let mut state = seed ^ (id as u64);
    let shift = (splitmix(&mut state) % u64::from(spacing.max(1))) as u32;
    let mut out: Vec<u8> = (0..v)
        .map(|i| (i * 12 / v + shift).min(11) as u8 + 1)
        .collect();
    // More visits than months: the rest go to the same months again, in order.
    for i in v..visits {
        out.push(out[(i - v) as usize % out.len()]);
    }
    out.sort_unstable();
    out
}

/// Builds the plan (see the module comment for the algorithm).
pub fn build(set: &InspectionSet, subjects: &[Subject], officers: &[Officer], seed: u64) -> Plan {
    let mut sorted: Vec<&Subject> = subjects.iter().collect();
    sorted.sort_by_key(|s| s.enterprise_id);
    // Few distinct statuses and modifier sets: each frequency (and its words) is worked out once.
    let mut known: HashMap<(Status, Vec<Modifier>), Frequency> = HashMap::new();
    let freq: Vec<Frequency> = sorted
        .iter()
        .map(|s| {
            known
                .entry((s.status, s.modifiers.clone()))
                .or_insert_with(|| set.frequency(s.status, &s.modifiers))
                .clone()
        })
        .collect();
    let pool: Vec<Candidate> = sorted
        .iter()
        .zip(&freq)
        .filter(|(_, f)| !f.key)
        .map(|(s, _)| Candidate {
            id: s.enterprise_id,
            industry: s.industry.clone(),
        })
        .collect();
    let (drawn, _) = sampling::draw(&pool, set.random_percent, seed);
    let drawn: HashSet<i64> = drawn.into_iter().collect();

    // Visits by month, enterprise id ascending within a month.
    let mut lines: Vec<Line> = Vec::new();
    let mut by_month: BTreeMap<u8, Vec<(usize, usize)>> = BTreeMap::new();
    for (s, f) in sorted.iter().zip(freq) {
        let is_drawn = drawn.contains(&s.enterprise_id);
        let visits = f.visits + u32::from(is_drawn);
        if visits == 0 {
            continue;
        }
        let explanation = explain(&f, is_drawn);
        let line = lines.len();
        let ms = months(s.enterprise_id, visits, seed);
        for (k, m) in ms.iter().enumerate() {
            by_month.entry(*m).or_default().push((line, k));
        }
        lines.push(Line {
            enterprise_id: s.enterprise_id,
            frequency: f,
            modifiers: s.modifiers.clone(),
            drawn: is_drawn,
            explanation,
            visits: ms
                .into_iter()
                .map(|month| Visit {
                    month,
                    officers: Vec::new(),
                })
                .collect(),
        });
    }

    let need = set.officers_per_inspection as usize;
    let mut unassigned = Vec::new();
    for (month, visits) in by_month {
        let mut left: Vec<u32> = officers.iter().map(|o| o.capacity_per_month).collect();
        let mut open: Vec<usize> = (0..officers.len()).filter(|i| left[*i] > 0).collect();
        let mut state = seed ^ u64::from(month).wrapping_mul(0x9e37_79b9);
        for (line, k) in visits {
            let id = lines[line].enterprise_id;
            let mut chosen: Vec<usize> = Vec::with_capacity(need);
            // Draw from the officers with capacity; a conflicted one is skipped for this visit.
            let mut candidates: Vec<usize> = open
                .iter()
                .copied()
                .filter(|i| !officers[*i].conflicts.contains(&id))
                .collect();
            while chosen.len() < need && !candidates.is_empty() {
                let pick = (splitmix(&mut state) % candidates.len() as u64) as usize;
                chosen.push(candidates.swap_remove(pick));
            }
            if chosen.len() < need {
                unassigned.push((id, month));
                continue;
            }
            chosen.sort_unstable();
            for i in &chosen {
                left[*i] -= 1;
            }
            open.retain(|i| left[*i] > 0);
            lines[line].visits[k].officers = chosen
                .iter()
                .map(|i| officers[*i].username.clone())
                .collect();
        }
    }
    Plan {
        seed,
        lines,
        unassigned,
        random_pool: pool.len(),
        random_drawn: drawn.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervision::InspectionRules;
    use time::macros::date;

    fn subjects(n: i64) -> Vec<Subject> {
        (1..=n)
            .map(|id| Subject {
                enterprise_id: id,
                industry: if id % 3 == 0 { "FZ" } else { "JX" }.into(),
                status: match id % 10 {
                    0 => Status::NotStarted,
                    1 | 2 => Status::NotCertified,
                    3 => Status::GradeTwo,
                    4 => Status::GradeOne,
                    5 | 6 => Status::SmallMicro,
                    _ => Status::GradeThree,
                },
                modifiers: if id == 10 {
                    vec![Modifier::OpenMajorHazard]
                } else {
                    Vec::new()
                },
            })
            .collect()
    }

    fn officers(n: usize, capacity: u32) -> Vec<Officer> {
        (0..n)
            .map(|i| Officer {
                username: format!("zf{i:02}"),
                capacity_per_month: capacity,
                conflicts: HashSet::new(),
            })
            .collect()
    }

    #[test]
    fn every_visit_has_two_officers_and_the_plan_reproduces() {
        let rules = InspectionRules::embedded().expect("rules");
        let set = rules.in_force(date!(2019 - 01 - 01)).expect("set");
        let s = subjects(200);
        let o = officers(12, 20);
        let a = build(set, &s, &o, 42);
        let b = build(set, &s, &o, 42);
        assert!(a.unassigned.is_empty());
        for (x, y) in a.lines.iter().zip(&b.lines) {
            assert_eq!((x.enterprise_id, &x.visits), (y.enterprise_id, &y.visits));
        }
        for l in &a.lines {
            for v in &l.visits {
                assert_eq!(v.officers.len(), 2, "{l:?}");
                assert_ne!(v.officers[0], v.officers[1]);
                assert!((1..=12).contains(&v.month));
            }
        }
        // Key units in full, at their frequency; a major hazard adds two.
        let line = |id| a.lines.iter().find(|l| l.enterprise_id == id);
        assert_eq!(
            line(20).map(|l| l.visits.len()),
            Some(4 + usize::from(line(20).is_some_and(|l| l.drawn)))
        );
        let ten = line(10).expect("key unit");
        assert_eq!(ten.visits.len(), 6);
        assert!(
            ten.explanation
                .starts_with("未开展标准化：每年4次；存在未整改重大隐患：+2")
        );
        // 5 % of the 140 non-key enterprises drawn, each with one more visit.
        assert_eq!((a.random_pool, a.random_drawn), (140, 7));
        let drawn: Vec<&Line> = a.lines.iter().filter(|l| l.drawn).collect();
        assert_eq!(drawn.len(), 7);
        assert!(
            drawn
                .iter()
                .all(|l| l.explanation.ends_with("双随机抽中：+1"))
        );
        // A different seed draws differently.
        let c = build(set, &s, &o, 43);
        let ids = |p: &Plan| {
            p.lines
                .iter()
                .filter(|l| l.drawn)
                .map(|l| l.enterprise_id)
                .collect::<Vec<_>>()
        };
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn capacity_and_conflicts_are_respected() {
        let rules = InspectionRules::embedded().expect("rules");
        let set = rules.in_force(date!(2019 - 01 - 01)).expect("set");
        let s = subjects(100);
        let mut o = officers(3, 4);
        o[0].conflicts.insert(10);
        let p = build(set, &s, &o, 7);
        let mut load: BTreeMap<(String, u8), u32> = BTreeMap::new();
        for l in &p.lines {
            for v in &l.visits {
                for name in &v.officers {
                    *load.entry((name.clone(), v.month)).or_default() += 1;
                }
                if l.enterprise_id == 10 {
                    assert!(!v.officers.contains(&"zf00".to_string()) || v.officers.is_empty());
                }
            }
        }
        assert!(load.values().all(|n| *n <= 4), "{load:?}");
        // Three officers at four a month staff six visits a month; the rest wait for officers.
        let total: usize = p.lines.iter().map(|l| l.visits.len()).sum();
        let staffed: usize = p
            .lines
            .iter()
            .flat_map(|l| &l.visits)
            .filter(|v| !v.officers.is_empty())
            .count();
        assert_eq!(staffed + p.unassigned.len(), total);
        assert!(staffed <= 12 * 6 && !p.unassigned.is_empty());
    }

    #[test]
    fn visits_spread_over_the_year() {
        assert_eq!(months(5, 0, 1), Vec::<u8>::new());
        let four = months(5, 4, 1);
        assert_eq!(four.len(), 4);
        assert!(four.windows(2).all(|w| w[1] - w[0] == 3), "{four:?}");
        let many = months(5, 14, 1);
        assert_eq!(many.len(), 14);
        assert!(many.iter().all(|m| (1..=12).contains(m)));
    }
}

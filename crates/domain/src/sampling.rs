//! The audit draw (运行质量审计抽查): a random sample of a unit's graded enterprises, stratified
//! by industry, reproducible from its seed.
//!
//! The algorithm, so anyone can redo a draw by hand or in another language:
//! 1. n = ⌈rate × N ÷ 100⌉ enterprises out of the N candidates.
//! 2. Each industry h with N_h candidates gets ⌊n × N_h ÷ N⌋; the places left go one each to
//!    the industries with the largest remainders (ties: the industry code in order).
//! 3. Within an industry, candidates are ordered by id and shuffled by Fisher–Yates with the
//!    SplitMix64 sequence started at `seed` XOR the FNV-1a hash of the industry code; the first
//!    n_h are drawn.

use std::collections::BTreeMap;

/// One enterprise that may be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub industry: String,
}

/// How many are drawn from each industry: (industry, candidates, drawn).
pub type Allocation = Vec<(String, usize, usize)>;

pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The sample size for `rate` per cent of `n` (rounded up: "不少于").
pub fn sample_size(n: usize, rate: f64) -> usize {
    ((n as f64) * rate / 100.0 - 1e-9).ceil().max(0.0) as usize
}

/// Draws the sample: the drawn ids (in drawing order per industry) and the allocation.
pub fn draw(candidates: &[Candidate], rate: f64, seed: u64) -> (Vec<i64>, Allocation) {
    let total = candidates.len();
    let n = sample_size(total, rate).min(total);
    let mut strata: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for c in candidates {
        strata.entry(c.industry.as_str()).or_default().push(c.id);
    }
    let mut alloc: Vec<(String, usize, usize, usize)> = strata
        .iter()
        .map(|(h, ids)| {
            let exact = n * ids.len();
            (
                h.to_string(),
                ids.len(),
                exact / total.max(1),
                exact % total.max(1),
            )
        })
        .collect();
    let given: usize = alloc.iter().map(|a| a.2).sum();
    let mut order: Vec<usize> = (0..alloc.len()).collect();
    order.sort_by(|a, b| {
        alloc[*b]
            .3
            .cmp(&alloc[*a].3)
            .then(alloc[*a].0.cmp(&alloc[*b].0))
    });
    for i in order.into_iter().take(n.saturating_sub(given)) {
        alloc[i].2 += 1;
    }
    let mut drawn = Vec::with_capacity(n);
    for (h, _, k, _) in &alloc {
        let mut ids = strata.get(h.as_str()).cloned().unwrap_or_default();
        ids.sort_unstable();
        let mut state = seed ^ fnv1a(h);
        for i in (1..ids.len()).rev() {
            let j = (splitmix(&mut state) % (i as u64 + 1)) as usize;
            ids.swap(i, j);
        }
        drawn.extend(ids.into_iter().take(*k));
    }
    (
        drawn,
        alloc.into_iter().map(|(h, c, k, _)| (h, c, k)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pool(spec: &[(&str, usize)]) -> Vec<Candidate> {
        let mut id = 0;
        let mut out = Vec::new();
        for (h, n) in spec {
            for _ in 0..*n {
                id += 1;
                out.push(Candidate {
                    id,
                    industry: h.to_string(),
                });
            }
        }
        out
    }

    #[test]
    fn the_sample_meets_the_rate_and_follows_the_industries() {
        let c = pool(&[("JX", 60), ("FZ", 30), ("QG", 10)]);
        let (ids, alloc) = draw(&c, 15.0, 2018);
        assert_eq!(ids.len(), 15, "⌈15 % × 100⌉");
        assert_eq!(
            alloc,
            [
                ("FZ".to_string(), 30, 5),
                ("JX".to_string(), 60, 9),
                ("QG".to_string(), 10, 1)
            ]
            .to_vec()
        );
        // Largest remainder: 4.5, 9, 1.5 → 4, 9, 1 and one place to FZ (tie with QG, code order).
        let (again, _) = draw(&c, 15.0, 2018);
        assert_eq!(ids, again, "the same seed draws the same enterprises");
        let (other, _) = draw(&c, 15.0, 2019);
        assert_ne!(ids, other, "another seed draws others");
        assert_eq!(sample_size(37, 10.0), 4);
        assert_eq!(sample_size(40, 10.0), 4);
        assert_eq!(draw(&[], 10.0, 1).0, Vec::<i64>::new());
    }

    proptest! {
        #[test]
        fn draws_are_distinct_candidates_of_the_right_size(n in 0usize..300, rate in 0.0f64..100.0, seed in any::<u64>()) {
            let kinds = ["JX", "FZ", "QG", "JC"];
            let c: Vec<Candidate> = (0..n).map(|i| Candidate { id: i as i64 * 3 + 1, industry: kinds[i % 4].into() }).collect();
            let (ids, alloc) = draw(&c, rate, seed);
            prop_assert_eq!(ids.len(), sample_size(n, rate).min(n));
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(sorted.len(), ids.len());
            prop_assert!(ids.iter().all(|i| c.iter().any(|x| x.id == *i)));
            prop_assert!(alloc.iter().all(|(_, have, take)| take <= have));
        }
    }
}

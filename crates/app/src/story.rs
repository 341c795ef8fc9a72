//! The demo's programme story: enterprises that have operated for years, and certificates,
//! cases and audits dated so that the Nantong plan's table is far from its targets on
//! 2018-07-04, mostly met on 2019-12-31, with two units (港闸, 通州湾示范区) still behind.

use std::collections::{BTreeMap, HashSet};

use anbiao_actions::audits::Audit;
use anbiao_actions::grading::REGION_ABBR;
use anbiao_domain::date::add_months;
use anbiao_domain::programme::Metric;
use anbiao_domain::rules::Accident;
use anbiao_domain::{Grade, ReferenceData};
use anbiao_store::audit_log::Actor;
use anbiao_store::audits::{ChecklistItem, Class, Outcome, Verdict};
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::enterprise::Enterprise;
use anbiao_store::{Db, seed};
use anyhow::Context;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use time::macros::date;
use time::{Date, Duration};

/// Units that fall short of the plan in the story.
const LAGGING: [&str; 2] = ["港闸", "通州湾示范区"];
const START: Date = date!(2018 - 07 - 04);

pub struct Told {
    pub certificates: usize,
    pub audits: usize,
    pub cases: usize,
    /// Enterprises with a case opened by the story (no second case for them).
    pub with_case: HashSet<i64>,
}

struct Plan<'a> {
    e: &'a Enterprise,
    grade: Grade,
    first: Date,
}

fn day(rng: &mut ChaCha8Rng, from: Date, to: Date) -> Date {
    let span = (to - from).whole_days().max(1);
    from + Duration::days(rng.random_range(0..span))
}

/// A first certification date: before the plan with probability `pre` (per cent), else in
/// 2018 after the plan with `late2018`, else in 2019.
fn when(rng: &mut ChaCha8Rng, pre: u32, late2018: u32) -> Date {
    let r = rng.random_range(0..100);
    if r < pre {
        day(rng, date!(2016 - 08 - 01), date!(2018 - 07 - 03))
    } else if r < pre + late2018 {
        day(rng, START, date!(2018 - 12 - 20))
    } else {
        day(rng, date!(2019 - 01 - 05), date!(2019 - 12 - 15))
    }
}

pub async fn tell(
    db: &Db,
    reference: &ReferenceData,
    rng: &mut ChaCha8Rng,
    all: &[Enterprise],
    skip: Option<i64>,
    today: Date,
) -> anyhow::Result<Told> {
    let actor = Actor::new("system", "seed");
    let rules = &reference.grading;
    // Most enterprises have operated for years; a few registered after the plan.
    let mut life = Vec::with_capacity(all.len());
    let mut newcomers = HashSet::new();
    for e in all {
        let from = if rng.random_range(0..100) < 6 {
            newcomers.insert(e.id);
            day(rng, date!(2019 - 01 - 01), date!(2024 - 06 - 30))
        } else {
            day(rng, date!(2000 - 01 - 01), date!(2014 - 12 - 31))
        };
        life.push((e.id, from));
    }
    seed::backdate(db, &actor, &life).await?;

    let Some(programme) = reference.programmes.first() else {
        return Ok(Told {
            certificates: 0,
            audits: 0,
            cases: 0,
            with_case: HashSet::new(),
        });
    };
    let mut by_unit: BTreeMap<&str, Vec<&Enterprise>> = BTreeMap::new();
    for e in all {
        if Some(e.id) == skip || newcomers.contains(&e.id) {
            continue;
        }
        if let Some(r) = reference.regions.get(&e.region_code) {
            by_unit.entry(r.unit.as_str()).or_default().push(e);
        }
    }
    let mut plans: Vec<Plan> = Vec::new();
    let mut coverage_cases: Vec<(&Enterprise, Date)> = Vec::new();
    for unit in &programme.units {
        let Some(members) = by_unit.get(unit.unit.as_str()) else {
            continue;
        };
        let lag = LAGGING.contains(&unit.unit.as_str());
        let target = |m| programme.unit_target(&unit.unit, m).unwrap_or(0.0);
        let t1 = target(Metric::GradeOneCount) as usize;
        let t2 = target(Metric::GradeTwoCount) as usize;
        let (n1, n2) = if lag {
            (t1.saturating_sub(1), t2 * 6 / 10)
        } else {
            (t1, t2 + rng.random_range(0..2))
        };
        // 一级 and 二级 go to the biggest 规上 enterprises.
        let mut big: Vec<&Enterprise> = members
            .iter()
            .copied()
            .filter(|e| e.above_scale == Some(true))
            .collect();
        big.sort_by_key(|e| {
            (
                !matches!(e.size_class.as_deref(), Some("large" | "medium")),
                std::cmp::Reverse(e.annual_sales_yuan.unwrap_or(0)),
                e.id,
            )
        });
        let mut graded = HashSet::new();
        // In a small demo, keep some 规上 enterprises for 三级 (and its audits).
        let (n1, n2) = (n1.min(big.len() / 3), n2.min(big.len() * 6 / 10));
        for (i, e) in big.iter().take(n1 + n2).enumerate() {
            let grade = if i < n1 { Grade::One } else { Grade::Two };
            // A third held their level before the plan; the rest got there during it.
            let first = if rng.random_range(0..100) < 35 {
                day(rng, date!(2017 - 01 - 01), date!(2018 - 07 - 03))
            } else {
                day(rng, date!(2018 - 08 - 01), date!(2019 - 12 - 15))
            };
            graded.insert(e.id);
            plans.push(Plan { e, grade, first });
        }
        let sm_rate = target(Metric::SmallMicroCertifiedRate) as u32;
        let sm_cov = target(Metric::SmallMicroCoverage) as u32;
        let final_rate = if lag {
            sm_rate.saturating_sub(8)
        } else {
            (sm_rate + 4).min(99)
        };
        for e in members.iter().copied().filter(|e| !graded.contains(&e.id)) {
            let small = matches!(e.size_class.as_deref(), Some("small" | "micro"));
            if e.above_scale == Some(true) {
                // 规上: nearly all 三级 by the end of 2018.
                if rng.random_range(0..100) < 99 {
                    let first = when(rng, 50, 46);
                    plans.push(Plan {
                        e,
                        grade: Grade::Three,
                        first,
                    });
                }
                continue;
            }
            if rng.random_range(0..100) < final_rate {
                let grade = if small {
                    Grade::SmallMicro
                } else {
                    Grade::Three
                };
                plans.push(Plan {
                    e,
                    grade,
                    first: when(rng, 35, 40),
                });
            } else if small {
                // Started without a certificate yet: a case opened in 2019.
                let started = if sm_cov >= 100 {
                    100
                } else if lag {
                    30
                } else {
                    70
                };
                if rng.random_range(0..100) < started {
                    coverage_cases
                        .push((e, day(rng, date!(2019 - 01 - 10), date!(2019 - 11 - 30))));
                }
            }
        }
    }

    // Certificates, in order, renewed as they run out; written in batches.
    let mut certificates = 0usize;
    let mut three_holders: Vec<(i64, i64, Date, Date, &str)> = Vec::new();
    let mut tx = db.begin().await?;
    let mut in_tx = 0;
    for p in &plans {
        let mut issued = p.first;
        for round in 0..3 {
            if issued > today {
                break;
            }
            let set = rules
                .in_force(issued)
                .context("rules for the demo history")?;
            let authority = set.authority(p.grade).context("authority")?;
            let valid = set.valid_until(issued);
            let issuer = match reference.regions.current_version(&p.e.region_code, issued) {
                Some(r) => authority.value.body.replace("县（市、区）", &r.name),
                None => authority.value.body.clone(),
            };
            let (cid, _) = certificate::issue_in_tx(
                &mut tx,
                db,
                &actor,
                &NewCertificate {
                    enterprise_id: p.e.id,
                    case_id: None,
                    grade: p.grade,
                    industry: p.e.industry_code.clone(),
                    issuer,
                    external: authority.value.level.is_external(),
                    issued_on: issued,
                    valid_until: valid.value,
                    rule: valid.rule.to_string(),
                    region_abbr: REGION_ABBR,
                    number: None,
                },
            )
            .await?;
            certificates += 1;
            in_tx += 1;
            if in_tx >= 400 {
                tx.commit().await?;
                tx = db.begin().await?;
                in_tx = 0;
            }
            if round == 0 && p.grade == Grade::Three {
                three_holders.push((cid, p.e.id, issued, valid.value, p.e.region_code.as_str()));
            }
            let renew = if round == 0 { 95 } else { 60 };
            if valid.value < today && rng.random_range(0..100) < renew {
                issued = add_months(valid.value, -1);
            } else {
                break;
            }
        }
    }
    tx.commit().await?;

    // Audits of 三级 enterprises during the plan; the lagging units audit too few.
    let audits_done =
        audit_three_holders(db, reference, programme, rng, &three_holders, today).await?;

    // A few lose the certificate after a fatal accident.
    let cast = crate::demo::Cast { reference };
    for (cid, ent, first, until, region) in &three_holders {
        if rng.random_range(0..100) >= 2 {
            continue;
        }
        let on = *first + Duration::days(rng.random_range(60..900));
        if on >= today || on >= *until {
            continue;
        }
        let a = Accident {
            occurred_on: on,
            deaths: 1,
            serious_injuries: rng.random_range(0..3),
            direct_loss_yuan: rng.random_range(300_000..2_500_000),
        };
        let district = cast.district(region);
        crate::demo::ctx(db, reference, &district, on)
            .record_accident(*ent, &a, "机械伤害事故，1人死亡")
            .await?;
        let rule = rules
            .in_force(on)
            .ok()
            .and_then(|set| set.proposal_after(Grade::Three, &a, &[]))
            .map(|p| p.rule.to_string());
        let revoked_on = on + Duration::days(20);
        let city = cast.city();
        let revoked = crate::demo::ctx(db, reference, &city, revoked_on)
            .revoke(
                *cid,
                revoked_on,
                "发生生产安全死亡事故，经核查撤销",
                rule.as_deref(),
            )
            .await;
        // A renewal may already have superseded it; then the accident stands alone.
        if let Err(e) = revoked {
            tracing::debug!("demo revocation skipped: {e}");
        }
    }

    // Small-micro enterprises that started in 2019 without a certificate yet.
    let mut cases = 0;
    let mut with_case = HashSet::new();
    let cast = crate::demo::Cast { reference };
    for (e, opened) in coverage_cases {
        let firm = cast.enterprise(e);
        let cx = crate::demo::ctx(db, reference, &firm, opened);
        if cx.open_case(Grade::SmallMicro).await.is_ok() {
            cases += 1;
            with_case.insert(e.id);
        }
    }
    Ok(Told {
        certificates,
        audits: audits_done,
        cases,
        with_case,
    })
}

/// A certificate of the story: (certificate, enterprise, first issued, valid until, region).
type Holder<'a> = (i64, i64, Date, Date, &'a str);

/// Operation-quality audits of 三级 holders during the plan (the lagging units audit too few),
/// with the re-checks of those found deficient. Returns how many audits were recorded.
async fn audit_three_holders(
    db: &Db,
    reference: &ReferenceData,
    programme: &anbiao_domain::programme::Programme,
    rng: &mut ChaCha8Rng,
    three_holders: &[Holder<'_>],
    today: Date,
) -> anyhow::Result<usize> {
    let cast = crate::demo::Cast { reference };
    let (trees, _) = anbiao_domain::standard::shipped()?;
    let mut audits_done = 0usize;
    let mut sample: Vec<&Holder<'_>> = Vec::new();
    for h in three_holders {
        let (_, _, first, until, region) = h;
        if *first > date!(2019 - 06 - 30) || *until < date!(2019 - 12 - 31) {
            continue;
        }
        let unit = reference
            .regions
            .get(region)
            .map(|r| r.unit.as_str())
            .unwrap_or("");
        let rate = programme
            .unit_target(unit, Metric::GradeThreeAuditRate)
            .unwrap_or(10.0) as u32;
        let share = if LAGGING.contains(&unit) { 6 } else { rate + 3 };
        if rng.random_range(0..100) < share {
            sample.push(h);
        }
    }
    for (_, ent, first, until, region) in sample {
        let on = day(
            rng,
            (*first + Duration::days(60)).max(date!(2018 - 09 - 01)),
            date!(2019 - 11 - 30),
        );
        let unit = reference
            .regions
            .get(region)
            .map(|r| r.unit.as_str())
            .unwrap_or("");
        let rectify_share = if LAGGING.contains(&unit) { 30 } else { 50 };
        let r = rng.random_range(0..100);
        let (outcome, class, findings) = if r < rectify_share {
            (
                Outcome::Deficient,
                Some(Class::Rectify),
                "隐患排查台账与现场不符，有限空间作业审批流于形式",
            )
        } else if r < rectify_share + 12 {
            (
                Outcome::Good,
                Some(Class::Upgrade),
                "体系运行良好，建议创建二级",
            )
        } else {
            (Outcome::Good, None, "标准化体系有效运行")
        };
        // The checklist on the element tree in force: one element short when deficient.
        let tree = anbiao_domain::standard::tree_on(&trees, on);
        let short = rng.random_range(0..8usize);
        let checklist: Vec<ChecklistItem> = tree
            .map(|t| {
                t.elements
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let failed = outcome == Outcome::Deficient && i == short;
                        ChecklistItem {
                            element: e.code.clone(),
                            title: e.name.clone(),
                            verdict: if failed {
                                Verdict::Nonconform
                            } else {
                                Verdict::Conform
                            }
                            .key()
                            .into(),
                            note: if failed {
                                findings.into()
                            } else {
                                String::new()
                            },
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let Some(tree) = tree else {
            continue;
        };
        let rectify_by = (outcome == Outcome::Deficient).then(|| on + Duration::days(90));
        let auditor = cast.district(region);
        let id = crate::demo::ctx(db, reference, &auditor, on)
            .record_audit(&Audit {
                enterprise_id: *ent,
                performed_on: on,
                score: Some(rng.random_range(550..950)),
                outcome,
                class,
                findings,
                rectify_by,
                tree: (tree.id.as_str(), i64::from(tree.version)),
                checklist: &checklist,
            })
            .await?;
        audits_done += 1;
        // Re-checked ten days after the deadline: most pass; one in eight does not and loses
        // the certificate by the programme's rule.
        if let Some(by) = rectify_by
            && by + Duration::days(10) < today
            && by + Duration::days(10) <= *until
        {
            let passed = rng.random_range(0..8) != 0;
            let on = by + Duration::days(10);
            crate::demo::ctx(db, reference, &auditor, on)
                .recheck_audit(
                    id,
                    on,
                    passed,
                    if passed {
                        "问题已整改到位，台账与现场一致"
                    } else {
                        "整改不到位，有限空间作业仍无审批"
                    },
                )
                .await?;
        }
    }
    Ok(audits_done)
}

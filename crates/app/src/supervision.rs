//! The demo's year of supervision: 如皋's officers and its plan for the year (published), a
//! year of inspections against the plan and ad hoc across the city, the hazards they found in
//! every state (most written off with photos, some awaiting acceptance, some overdue, a few
//! major ones under suspension orders, one recommended for closure), the enterprises' own
//! self-check reports, fines and orders in the violations database, typical cases and a
//! published warning notice. Deterministic for a seed; built once.

use anbiao_domain::checklist::Answer;
use anbiao_domain::date::add_months;
use anbiao_domain::enforcement::Kind;
use anbiao_domain::hazard::{FiveFixes, Level, Step};
use std::collections::HashMap;

use anbiao_actions::Actor as Acting;
use anbiao_actions::enforcement::Decide;
use anbiao_actions::hazards::Report;
use anbiao_actions::inspections::{Finding as Found, Record, Subject};
use anbiao_domain::{ReferenceData, Scope};
use anbiao_store::enforcement;
use anbiao_store::enterprise::{self, Enterprise, Filter};
use anbiao_store::hazards;
use anbiao_store::inspections::{self, Kind as InspectionKind};
use anbiao_store::{Db, inspection_plans, queue};

use crate::demo::{Cast, ctx};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, Month};

const BEFORE: &[u8] = include_bytes!("demo_before.png");
const AFTER: &[u8] = include_bytes!("demo_after.png");

/// What the story wrote.
#[derive(Debug, Default)]
pub struct Told {
    pub inspections: usize,
    pub hazards: usize,
    pub decisions: usize,
}

/// A finding as inspectors write it, by checklist item, with the violation category it falls
/// under.
fn finding_text(item: &str, n: usize) -> (&'static str, &'static str) {
    let texts: &[&str] = match item {
        "confined_space" => &[
            "污水池有限空间未设置安全警示标志",
            "有限空间作业前未进行气体检测，无监护人",
        ],
        "lifting" => &["行车吊钩防脱钩装置缺失", "吊装作业未划定警戒区域"],
        "height" => &["登高作业人员未系安全带", "屋面作业平台防护栏杆缺失"],
        "hot_work" => &[
            "动火作业未办理审批手续",
            "动火点周边可燃物未清理，未配灭火器",
        ],
        "contractors" => &[
            "外包维修单位未签订安全管理协议",
            "承包单位作业人员未经安全交底进场",
        ],
        "chemicals" => &["危化品仓库禁忌物混存", "油漆库未设置防爆灯具"],
        "facilities" => &["冲床光电保护装置失效", "除尘系统泄爆片被封堵"],
        _ => &["隐患排查治理台账未如实记录", "上次检查发现的隐患未按期整改"],
    };
    let category = match item {
        "confined_space" | "lifting" | "height" | "hot_work" => "dangerous_work",
        "contractors" => "contractors",
        "chemicals" | "facilities" => "safety_equipment",
        _ => "hazard_system",
    };
    (texts[n % texts.len()], category)
}

fn day_in(rng: &mut ChaCha8Rng, year: i32, month: u8, until: Date) -> Option<Date> {
    let m = Month::try_from(month).ok()?;
    let first = Date::from_calendar_date(year, m, 1).ok()?;
    if first > until {
        return None;
    }
    let d = first + Duration::days(rng.random_range(0..25));
    Some(d.min(until))
}

/// The share of the plan's visits due by today that the demo records as made (per cent).
const VISITS_MADE_PERCENT: u32 = 88;
/// The share of inspections that find at least one hazard (per cent); 8 points of it find two.
const FINDINGS_PERCENT: u32 = 32;

/// Builds the year once (when no inspection is recorded yet).
pub async fn tell(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    demo_enterprise: Option<i64>,
    today: Date,
) -> anyhow::Result<Option<Told>> {
    if !inspections::list(db, &Scope::City, None, None, 1, 0)
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5E_0006);
    let cast = Cast { reference };
    // 如皋's officers (the demo's accounts) plan, inspect and decide for the district.
    let rugao = cast.district_officer("rugao", "320682");
    let mut told = Told::default();
    // 如皋's officers and its plan, drawn in the first days of the year and published.
    let year = if today.ordinal() > 10 {
        today.year()
    } else {
        today.year() - 1
    };
    let drawn_on = Date::from_calendar_date(year, Month::January, 6)?;
    let planning = ctx(db, reference, &rugao, drawn_on);
    let officers = ["rugao", "rucheng"]
        .into_iter()
        .chain(crate::commands::RUGAO_OFFICERS.iter().map(|(l, _)| *l));
    for who in officers {
        if anbiao_store::account::by_username(db, who).await?.is_some() {
            planning.set_plan_officer(Some("如皋"), who, 60).await?;
        }
    }
    let seed_of_year = 20_180_704 + u64::try_from(year).unwrap_or(0);
    let plan = match planning
        .draw_inspection_plan(Some("如皋"), year, seed_of_year)
        .await
    {
        Ok((_, id)) => {
            ctx(db, reference, &rugao, drawn_on + Duration::days(3))
                .publish_inspection_plan(Some("如皋"), year)
                .await?;
            Some(id)
        }
        Err(e) => {
            tracing::warn!("demo plan not drawn: {e}");
            None
        }
    };
    let all: Vec<Enterprise> =
        enterprise::list_all(db, &Scope::City, &Filter::default(), 1_000_000).await?;
    let by_id: HashMap<i64, &Enterprise> = all.iter().map(|e| (e.id, e)).collect();
    // The plan's visits in the months gone by, most of them made (a few missed, and the
    // demo enterprise's own below), then ad hoc ones.
    let mut visits: Vec<(i64, Date, InspectionKind, Vec<String>)> = Vec::new();
    if let Some(pid) = plan {
        let lines = inspection_plans::lines(db, &Scope::City, pid, None, 100_000, 0).await?;
        for l in lines {
            if Some(l.enterprise_id) == demo_enterprise {
                continue;
            }
            for (m, who) in l.visits() {
                if rng.random_range(0..100) >= VISITS_MADE_PERCENT {
                    continue;
                }
                if let Some(d) = day_in(&mut rng, year, m, today - Duration::days(1)) {
                    let officers = if who.len() >= 2 {
                        who
                    } else {
                        vec!["rugao".into(), "rucheng".into()]
                    };
                    visits.push((l.enterprise_id, d, InspectionKind::Plan, officers));
                }
            }
        }
    }
    for n in 0..60 {
        let e = &all[rng.random_range(0..all.len())];
        if Some(e.id) == demo_enterprise || e.region_code == "320682" && n % 3 != 0 {
            continue;
        }
        let d = today - Duration::days(rng.random_range(5..330));
        let kind = if n % 4 == 0 {
            InspectionKind::Complaint
        } else {
            InspectionKind::Campaign
        };
        visits.push((
            e.id,
            d,
            kind,
            // The detachment's three officers, two at a time.
            vec![
                format!("zf{:02}", n % 3 + 1),
                format!("zf{:02}", (n + 1) % 3 + 1),
            ],
        ));
    }
    visits.sort_by_key(|v| v.1);
    if let Some(own) = demo_enterprise {
        visits.push((
            own,
            today - Duration::days(40),
            InspectionKind::Campaign,
            vec!["rugao".into(), "rucheng".into()],
        ));
        visits.push((
            own,
            today - Duration::days(3),
            InspectionKind::Complaint,
            vec!["rugao".into(), "rucheng".into()],
        ));
    }
    let mut majors = 0usize;
    let mut closure_done = false;
    for (k, (eid, on, kind, officers)) in visits.iter().enumerate() {
        let Some(checklist) = reference.checklists.in_force(*on) else {
            continue;
        };
        let own = Some(*eid) == demo_enterprise;
        let roll = rng.random_range(0..100);
        let found: usize = if own || roll < FINDINGS_PERCENT - 8 {
            1
        } else if roll < FINDINGS_PERCENT {
            2
        } else {
            0
        };
        let mut picked: Vec<&str> = Vec::new();
        while picked.len() < found {
            let i = &checklist.items[rng.random_range(0..checklist.items.len())];
            if !picked.contains(&i.key.as_str()) {
                picked.push(&i.key);
            }
        }
        let book = &reference.major_hazards;
        let major_item = book
            .in_force(*on)
            .and_then(|s| s.items.first())
            .map(|i| (i.key(), i.text.clone()));
        let mut texts: Vec<(String, &'static str, Level, Option<String>)> = Vec::new();
        for (j, key) in picked.iter().enumerate() {
            let (text, category) = finding_text(key, k + j);
            let major = !own && majors < 6 && rng.random_range(0..100) < 6 && major_item.is_some();
            if major {
                majors += 1;
                let (ik, it) = major_item.clone().unwrap_or_default();
                texts.push((
                    format!("重大隐患：{it}"),
                    "contractors",
                    Level::Major,
                    Some(ik),
                ));
            } else {
                texts.push((text.to_string(), category, Level::General, None));
            }
        }
        let answers = checklist
            .items
            .iter()
            .map(|i| match picked.iter().position(|p| *p == i.key) {
                Some(j) => (i.key.clone(), Answer::Finding, texts[j].0.clone()),
                None if rng.random_range(0..10) == 0 => {
                    (i.key.clone(), Answer::NotApplicable, String::new())
                }
                None => (i.key.clone(), Answer::Compliant, String::new()),
            })
            .collect();
        let findings: Vec<Found> = texts
            .iter()
            .map(|(t, _, level, item)| Found {
                level: *level,
                item_key: item.as_deref(),
                description: t,
                deadline: Some(*on + Duration::days(if *level == Level::Major { 30 } else { 15 })),
                photo: Some(BEFORE),
            })
            .collect();
        let Some(firm) = by_id.get(eid) else {
            continue;
        };
        // The first of the pair records: the city's detachment, or 如皋's own officers.
        let inspector = if officers[0].starts_with("zf") {
            cast.city_officer(&officers[0])
        } else if officers[0].starts_with("rgzf") {
            cast.district_officer(&officers[0], "320682")
        } else {
            rugao.clone()
        };
        let owner = if own {
            Acting::on_behalf(
                anbiao_domain::Role::EnterpriseManager,
                Scope::Enterprise { id: *eid },
                "qiye",
                "demo",
            )
        } else {
            cast.enterprise(firm)
        };
        let iid = ctx(db, reference, &inspector, *on)
            .record_inspection(&Record {
                subject: Subject::Id(*eid),
                kind: *kind,
                on: *on,
                officers: officers.clone(),
                answers,
                summary: if texts.is_empty() {
                    "未发现明显隐患"
                } else {
                    "现场检查发现问题，已责令限期整改"
                },
                findings,
            })
            .await?;
        told.inspections += 1;
        let found_here = hazards::list(
            db,
            &Scope::City,
            &hazards::Filter {
                inspection_id: Some(iid),
                ..Default::default()
            },
            10,
            0,
        )
        .await?;
        told.hazards += found_here.len();
        for (h, (_, category, level, _)) in found_here.iter().rev().zip(texts.iter()) {
            let Ok(violations) = reference.violations.in_force(*on) else {
                continue;
            };
            let cx = Decision {
                db,
                reference,
                actor: &inspector,
                enterprise_id: *eid,
                inspection_id: iid,
                hazard_id: h.id,
                category,
            };
            let decide = |kind, day, fine, reason, facts| cx.decide(kind, day, fine, reason, facts);
            if *level == Level::Major {
                decide(
                    Kind::Suspension,
                    *on,
                    None,
                    None,
                    format!("{}，依法责令停产整顿", h.description),
                )
                .await?;
                told.decisions += 1;
                let plan_deadline = *on + Duration::days(45);
                ctx(db, reference, &owner, (*on + Duration::days(2)).min(today))
                    .plan_hazard(
                        h.id,
                        &FiveFixes {
                            measures: "与承包单位签订安全管理协议，明确双方职责，每月联合检查"
                                .into(),
                            responsible: "企业主要负责人".into(),
                            funds_yuan: Some(rng.random_range(2..30) * 10_000),
                            deadline: Some(plan_deadline),
                            contingency: "整改期间停止外包作业，设专人现场监护".into(),
                        },
                    )
                    .await?;
                if plan_deadline + Duration::days(10) < today && !closure_done {
                    // One that failed: overdue under suspension, recommended for closure.
                    decide(
                        Kind::Closure,
                        plan_deadline + Duration::days(5),
                        None,
                        None,
                        "停产整顿期满仍未整改到位".into(),
                    )
                    .await?;
                    told.decisions += 1;
                    closure_done = true;
                    continue;
                }
            } else if rng.random_range(0..100) < 35 {
                let limit = violations
                    .category(category)
                    .map(|c| c.fine_max_yuan)
                    .unwrap_or(10_000);
                let (fine, reason) = if rng.random_range(0..2) == 0 {
                    (limit, None)
                } else {
                    (limit * 3 / 10, Some("首次违法，且在责令期限内改正"))
                };
                decide(
                    Kind::Fine,
                    (*on + Duration::days(7)).min(today),
                    Some(fine),
                    reason,
                    format!("{}，经责令限期改正", h.description),
                )
                .await?;
                told.decisions += 1;
            } else if rng.random_range(0..100) < 40 {
                decide(
                    Kind::Order,
                    *on,
                    None,
                    None,
                    format!("{}，责令限期整改", h.description),
                )
                .await?;
                told.decisions += 1;
            }
            let finding = Finding {
                hazard_id: h.id,
                level: *level,
                on: *on,
                own,
            };
            let parties = Parties {
                db,
                reference,
                inspector: &inspector,
                owner: &owner,
            };
            follow_up(parties, &mut rng, finding, today).await?;
        }
    }
    // The enterprises' own self-checks.
    for n in 0..30 {
        let e = &all[rng.random_range(0..all.len())];
        let on = today - Duration::days(rng.random_range(2..300));
        let (text, _) = finding_text(["facilities", "chemicals", "height", "records"][n % 4], n);
        let firm = cast.enterprise(e);
        let id = ctx(db, reference, &firm, on)
            .report_hazard(&Report {
                level: Level::General,
                item_key: None,
                description: text,
                found_on: on,
                deadline: Some(on + Duration::days(20)),
                photo: Some(BEFORE),
            })
            .await?;
        told.hazards += 1;
        let done = on + Duration::days(rng.random_range(2..18));
        if done <= today && n % 5 != 0 {
            ctx(db, reference, &firm, done)
                .hazard_step(id, Step::Rectify, "自查自改完成", Some(AFTER))
                .await?;
            if done + Duration::days(3) <= today {
                let checker = if e.region_code == "320682" {
                    rugao.clone()
                } else {
                    cast.district(&e.region_code)
                };
                ctx(db, reference, &checker, done + Duration::days(3))
                    .hazard_step(id, Step::Accept, "核查属实，同意销号", None)
                    .await?;
            }
        }
    }
    // Typical cases and 如皋's warning notice for the year so far.
    let cases = enforcement::list(
        db,
        &Scope::City,
        &enforcement::Filter {
            region_codes: Some(vec!["320682".to_string()]),
            ..Default::default()
        },
        1000,
        0,
    )
    .await?;
    for d in cases
        .iter()
        .filter(|d| matches!(d.kind.as_str(), "fine" | "suspension" | "closure"))
        .take(4)
    {
        ctx(db, reference, &rugao, today)
            .set_typical(d.violation_id, true)
            .await?;
    }
    let from = Date::from_calendar_date(year, Month::January, 1)?;
    let to = add_months(from, 6) - Duration::days(1);
    if to < today {
        let city = cast.city();
        if let Ok(id) = ctx(db, reference, &city, to)
            .draft_warning("如皋", from, to)
            .await
        {
            ctx(db, reference, &city, (to + Duration::days(10)).min(today))
                .publish_warning(id)
                .await?;
        }
    }
    // Reminders and escalations due by today.
    queue::work(db, "demo", today).await?;
    Ok(Some(told))
}

/// What the demo's decisions about one hazard share.
#[derive(Clone, Copy)]
struct Decision<'a> {
    db: &'a Db,
    reference: &'a ReferenceData,
    actor: &'a Acting,
    enterprise_id: i64,
    inspection_id: i64,
    hazard_id: i64,
    category: &'a str,
}

impl Decision<'_> {
    async fn decide(
        self,
        kind: Kind,
        day: Date,
        fine: Option<i64>,
        reason: Option<&'static str>,
        facts: String,
    ) -> Result<i64, anbiao_actions::ActionError> {
        let document_no = format!(
            "（皋）应急{}〔{}〕{}号",
            if kind == Kind::Fine { "罚" } else { "责" },
            day.year(),
            self.hazard_id
        );
        ctx(self.db, self.reference, self.actor, day)
            .decide_enforcement(&Decide {
                enterprise_id: self.enterprise_id,
                hazard_id: Some(self.hazard_id),
                inspection_id: Some(self.inspection_id),
                kind,
                on: day,
                document_no: &document_no,
                category_key: self.category,
                facts: &facts,
                fine_yuan: fine,
                reason: reason.unwrap_or_default(),
            })
            .await
    }
}

/// Who follows a finding up: the inspector who found it and the enterprise that rectifies.
#[derive(Clone, Copy)]
struct Parties<'a> {
    db: &'a Db,
    reference: &'a ReferenceData,
    inspector: &'a Acting,
    owner: &'a Acting,
}

/// A hazard an inspection found: which, how grave, when, and whether it is the demo
/// enterprise's own.
#[derive(Clone, Copy)]
struct Finding {
    hazard_id: i64,
    level: Level,
    on: Date,
    own: bool,
}

/// How far a finding's rectification got by today: reported done with its photo, then accepted
/// and written off, or returned, or still open (overdue past its deadline).
async fn follow_up(
    p: Parties<'_>,
    rng: &mut ChaCha8Rng,
    f: Finding,
    today: Date,
) -> anyhow::Result<()> {
    let Finding {
        hazard_id,
        level,
        on,
        own,
    } = f;
    // How far the rectification got by today.
    let due = if level == Level::Major {
        on + Duration::days(45)
    } else {
        on + Duration::days(15)
    };
    let done_on = on + Duration::days(rng.random_range(3..14));
    let roll = rng.random_range(0..100);
    if own && due > today {
        return Ok(()); // the demo enterprise's open hazard, for its user to rectify
    }
    if done_on > today || (due < today && roll < 10) {
        return Ok(()); // still open (overdue when past its deadline)
    }
    ctx(p.db, p.reference, p.owner, done_on)
        .hazard_step(
            hazard_id,
            Step::Rectify,
            "已按要求整改，附整改后照片",
            Some(AFTER),
        )
        .await?;
    let accept_on = done_on + Duration::days(rng.random_range(1..6));
    if accept_on > today || roll < 16 {
        return Ok(()); // awaiting acceptance
    }
    let checking = ctx(p.db, p.reference, p.inspector, accept_on);
    if roll < 22 {
        checking
            .hazard_step(
                hazard_id,
                Step::Return,
                "复查发现整改不到位，退回重新整改",
                None,
            )
            .await?;
        return Ok(());
    }
    checking
        .hazard_step(
            hazard_id,
            Step::Accept,
            "经现场复查，整改到位，同意销号",
            None,
        )
        .await?;
    Ok(())
}

//! The demo's obligation lists (监管清单, 六（二）2) as a year of self-checks would leave them:
//! features recorded where an enterprise's trade makes them likely (dust in machinery and light
//! industry, molten metal in smelting, confined spaces, hazardous chemicals, ammonia
//! refrigeration in food); about half the enterprises keeping their list well, a quarter in
//! part and the rest not yet; a few gaps found in their own checks, some put right, some past
//! their day. The demo enterprise's own list is left half done for its user to work on.
//! Deterministic for a seed; written once.

use anbiao_domain::ReferenceData;
use anbiao_domain::date::format_date;
use anbiao_domain::obligations::{Frequency, Obligation, Subject};
use anbiao_store::Db;
use anbiao_store::obligations::{self as store, LoadedFeature, LoadedRecord};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

/// What the story wrote.
#[derive(Debug, Default)]
pub struct Told {
    pub enterprises: usize,
    pub features: usize,
    pub records: usize,
    pub gaps: usize,
}

/// How an enterprise keeps its list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keeping {
    Well,
    InPart,
    NotYet,
}

/// The problems enterprises find in their own checks, by item.
const GAPS: [(&str, &str); 8] = [
    (
        "law.special_workers",
        "一名电工特种作业操作证已过期，正在安排复审",
    ),
    ("five.training", "新入职员工 3 人未完成三级安全教育"),
    ("law.warning_signs", "配电房和有限空间入口缺少安全警示标志"),
    ("five.emergency", "年度应急预案演练尚未组织"),
    ("risk.identification", "新增生产线未纳入风险辨识"),
    ("law.ppe", "部分岗位防护用品发放记录不全"),
    (
        "law.occupational_health",
        "噪声岗位职业病危害因素检测报告已过期",
    ),
    ("five.investment", "安全生产费用未单独建账"),
];

/// What an enterprise writes when it confirms an item: the item's own words where there are
/// some, else a general line.
fn done_note(item: &Obligation) -> String {
    let words = match item.key.as_str() {
        "five.party_government" => "公司主要负责人签署年度安全生产承诺书，董事会会议纪要存档",
        "five.one_post_two_duties" => "各部门负责人签订安全生产责任书，岗位安全职责已上墙",
        "five.safety_staff" => "已任命专职安全管理人员，任命文件存档",
        "five.responsibility" => "全员安全生产责任制已修订并逐级签订责任书",
        "five.investment" => "安全生产费用已按规定提取并单独建账",
        "five.training" => "年度安全教育培训计划已完成，培训签到表和考试记录存档",
        "five.management" => "本月安全例会已召开，会议记录存档",
        "five.emergency" => "年度应急预案演练已组织，演练记录和评估报告存档",
        "hazard.investigation" => "本月隐患排查已完成，排查记录和整改台账存档",
        "law.equipment" => "本月安全设备维护检测已完成，检测记录存档",
        "law.injury_insurance" => "全员已参加工伤保险，缴费凭证存档",
        "risk.identification" => "年度风险辨识评估已完成，风险点清单已更新",
        "standard.self_assessment" => "年度标准化自评已完成，自评报告存档",
        _ => "",
    };
    if words.is_empty() {
        format!("{}已按要求落实，相关记录存档备查", item.title)
    } else {
        words.to_string()
    }
}

const SURNAMES: [&str; 12] = [
    "张", "王", "李", "陈", "刘", "杨", "吴", "周", "徐", "朱", "顾", "季",
];
const GIVEN: [&str; 12] = [
    "建华", "海燕", "志强", "秀英", "立新", "春华", "晓东", "丽华", "德明", "亚萍", "永刚", "玉兰",
];

/// The features an enterprise of this industry is likely to have.
fn features_of(industry: &str, rng: &mut ChaCha8Rng) -> Vec<&'static str> {
    let mut out = Vec::new();
    let chance = |rng: &mut ChaCha8Rng, p: f64| rng.random_bool(p);
    match industry {
        "YJ" | "YS" if chance(rng, 0.5) => out.push("smelting"),
        "JX" | "QG" | "FZ" if chance(rng, 0.12) => out.push("dust"),
        _ => {}
    }
    if industry == "QG" && chance(rng, 0.06) {
        out.push("ammonia");
    }
    if chance(rng, 0.15) {
        out.push("confined_space");
    }
    if chance(rng, 0.06) {
        out.push("hazchem");
    }
    out
}

/// Writes the lists' year once (nothing when records exist already).
pub async fn tell(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    own: Option<i64>,
    today: Date,
) -> anyhow::Result<Option<Told>> {
    let Some(set) = reference.obligations.in_force(today) else {
        return Ok(None);
    };
    if store::any_records(db).await? {
        return Ok(None);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0b11_6a71);
    let mut told = Told::default();
    let mut features: Vec<LoadedFeature> = Vec::new();
    let mut records: Vec<LoadedRecord> = Vec::new();
    let mut after = 0i64;
    loop {
        let batch = store::operating_after(db, after, 2_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for e in &batch {
            told.enterprises += 1;
            let held = features_of(&e.industry_code, &mut rng);
            let registered = e.created_at.date();
            for f in &held {
                features.push((e.id, (*f).to_string(), format_date(registered)));
            }
            let held: Vec<String> = held.iter().map(|f| (*f).to_string()).collect();
            let subject = Subject {
                industry_code: &e.industry_code,
                above_scale: e.above_scale,
                size_class: e.size_class.as_deref(),
                features: &held,
            };
            let keeping = if Some(e.id) == own {
                Keeping::InPart
            } else {
                let r: f64 = rng.random();
                let well = if e.above_scale == Some(true) {
                    0.62
                } else {
                    0.45
                };
                if r < well {
                    Keeping::Well
                } else if r < well + 0.27 {
                    Keeping::InPart
                } else {
                    Keeping::NotYet
                }
            };
            if keeping == Keeping::NotYet {
                continue;
            }
            let who = format!(
                "{}{}",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())]
            );
            let gap_item = (Some(e.id) != own && rng.random_bool(0.09))
                .then(|| GAPS[rng.random_range(0..GAPS.len())]);
            for item in set.for_subject(&subject, today) {
                let since = item
                    .validity
                    .from
                    .unwrap_or(set.effective_from)
                    .max(registered);
                let Some(p) = item.frequency.period(today, since, set.grace_days) else {
                    continue;
                };
                let first = p.start.max(registered).min(today);
                let span = (today - first).whole_days().max(0);
                let on = first + Duration::days(rng.random_range(0..=span));
                let base = LoadedRecord {
                    enterprise_id: e.id,
                    rule: set.cite(&item.key),
                    item_key: item.key.clone(),
                    period_key: p.key.clone(),
                    due_on: Some(format_date(p.due)),
                    state: "done",
                    note: String::new(),
                    problem: None,
                    rectify_by: None,
                    recorded_by: who.clone(),
                    recorded_on: format_date(on),
                };
                if let Some((key, problem)) = gap_item
                    && key == item.key
                {
                    told.gaps += 1;
                    // Some put right already, some still open, a few past their day.
                    let r: f64 = rng.random();
                    let (state, by) = if r < 0.35 {
                        ("rectified", on + Duration::days(20))
                    } else if r < 0.8 {
                        ("gap", today + Duration::days(rng.random_range(5..45)))
                    } else {
                        ("gap", today - Duration::days(rng.random_range(1..20)))
                    };
                    let (note, problem) = if state == "rectified" {
                        (
                            "已整改到位，整改记录和照片存档".to_string(),
                            Some(problem.to_string()),
                        )
                    } else {
                        (problem.to_string(), None)
                    };
                    records.push(LoadedRecord {
                        state,
                        note,
                        problem,
                        rectify_by: Some(format_date(by)),
                        recorded_on: format_date(on.min(by - Duration::days(1))),
                        ..base
                    });
                    continue;
                }
                let p_done = match (keeping, item.frequency) {
                    (Keeping::Well, Frequency::Monthly) => 0.55,
                    (Keeping::Well, _) => 0.9,
                    (_, Frequency::Monthly) => 0.15,
                    _ => 0.45,
                };
                // The demo enterprise keeps a few items open for its user.
                let p_done = if Some(e.id) == own { 0.3 } else { p_done };
                if rng.random_bool(p_done) {
                    records.push(LoadedRecord {
                        note: done_note(item),
                        ..base
                    });
                }
            }
        }
    }
    told.features = features.len();
    told.records = store::load(db, &features, &records, "演示数据").await?;
    Ok(Some(told))
}

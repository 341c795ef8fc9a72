//! The demo's year of training (培训, 六（六）1): the city's courses for officers and for
//! evaluators, each district's courses for the principal persons and safety managers of its
//! above-scale enterprises, and 如皋's townships' coaching of small and micro enterprises, with
//! the people who signed in. Not everyone comes: the coverage page has something to show, and
//! one evaluator of each organisation misses the year's course and is flagged where assigned.
//! Deterministic for a seed; built once.

use std::collections::BTreeMap;

use anbiao_actions::Actor as Acting;
use anbiao_actions::training::SessionForm;
use anbiao_domain::date::format_date;
use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::Db;
use anbiao_store::enterprise::{self, Enterprise, Filter};
use anbiao_store::paging::PageReq;
use anbiao_store::training::{self, NewAttendee, Reach};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

use crate::demo::{Cast, ctx};

const SURNAMES: [&str; 20] = [
    "张", "王", "李", "赵", "陈", "刘", "杨", "黄", "吴", "周", "徐", "孙", "朱", "马", "胡", "郭",
    "何", "高", "林", "顾",
];
const GIVEN: [&str; 24] = [
    "建国", "卫东", "海燕", "志强", "秀英", "立新", "春华", "明", "静", "磊", "军", "红梅", "国平",
    "晓东", "文斌", "丽华", "德明", "亚萍", "永刚", "小燕", "振华", "玉兰", "宏伟", "金龙",
];

fn person(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    )
}

/// What the story wrote.
#[derive(Debug, Default)]
pub struct Told {
    pub sessions: usize,
    pub attendances: usize,
    pub models: usize,
    pub townships: usize,
    pub exchanges: usize,
    pub groups: usize,
    pub publicity: usize,
    pub grids: usize,
}

struct Course<'a> {
    title: String,
    organiser: &'a str,
    organiser_name: String,
    topic: &'a str,
    audience: &'a str,
    held_on: Date,
    hours: &'a str,
    place: String,
    trainer: &'a str,
}

async fn hold(
    db: &Db,
    reference: &ReferenceData,
    actor: &Acting,
    c: &Course<'_>,
    people: &[NewAttendee],
    told: &mut Told,
) -> anyhow::Result<()> {
    let id = ctx(db, reference, actor, c.held_on)
        .record_training_session(&SessionForm {
            title: c.title.clone(),
            organiser: c.organiser.into(),
            organiser_name: c.organiser_name.clone(),
            topic: c.topic.into(),
            audience: c.audience.into(),
            held_on: format_date(c.held_on),
            hours: c.hours.into(),
            place: c.place.clone(),
            trainer: c.trainer.into(),
        })
        .await?;
    told.sessions += 1;
    if people.is_empty() {
        return Ok(());
    }
    let session = training::session(db, &Reach::City, id).await?;
    told.attendances += training::add_attendance(db, &actor.audit, &session, people, "sheet")
        .await?
        .len();
    Ok(())
}

/// Builds the year once (when no session is recorded yet).
pub async fn tell(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    today: Date,
) -> anyhow::Result<Option<Told>> {
    let recorded = training::sessions(db, &Reach::City, None, PageReq::default()).await?;
    if !recorded.rows.is_empty() {
        return Ok(None);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7A_0018);
    let mut told = Told::default();
    let cast = Cast { reference };
    let city = Acting::on_behalf(
        Role::CityOfficer,
        Scope::City,
        "南通市应急管理局 安全生产基础处",
        "demo",
    );
    let all: Vec<Enterprise> =
        enterprise::list_all(db, &Scope::City, &Filter::default(), 1_000_000).await?;
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    for r in reference.regions.valid_on(today) {
        units
            .entry(r.unit.clone())
            .or_insert_with(|| r.code.clone());
    }

    // The city: its officers' supervision course, and the evaluators' yearly course.
    let mut officers = Vec::new();
    for unit in units.keys() {
        for _ in 0..2 {
            officers.push(NewAttendee {
                person: person(&mut rng),
                role: "officer".into(),
                enterprise_id: None,
                evaluator_id: None,
                affiliation: format!("{}应急管理局", reference.regions.unit_name(unit, today)),
                phone: None,
            });
        }
    }
    dedupe(&mut officers);
    hold(
        db,
        reference,
        &city,
        &Course {
            title: format!(
                "{}年全市工贸行业安全生产标准化监管能力专题培训",
                today.year()
            ),
            organiser: "city",
            organiser_name: "南通市应急管理局".into(),
            topic: "supervision",
            audience: "officers",
            held_on: today - Duration::days(200),
            hours: "6",
            place: "南通市应急管理局四楼会议室".into(),
            trainer: "江苏省安全生产科学研究院 沈立群",
        },
        &officers,
        &mut told,
    )
    .await?;
    let mut evaluators = Vec::new();
    for org in anbiao_store::orgs::list_orgs(db).await? {
        // The first of each organisation's evaluators misses this year's course.
        for (n, v) in anbiao_store::orgs::evaluators_of(db, org.id)
            .await?
            .into_iter()
            .enumerate()
        {
            if n == 0 {
                continue;
            }
            evaluators.push(NewAttendee {
                person: v.name,
                role: "evaluator".into(),
                enterprise_id: None,
                evaluator_id: Some(v.id),
                affiliation: org.name.clone(),
                phone: None,
            });
        }
    }
    let evaluation_day = Date::from_calendar_date(today.year(), time::Month::March, 18)?;
    hold(
        db,
        reference,
        &city,
        &Course {
            title: format!("{}年安全生产标准化考评员评审能力培训", today.year()),
            organiser: "city",
            organiser_name: "南通市应急管理局".into(),
            topic: "evaluation",
            audience: "evaluators",
            held_on: evaluation_day.min(today),
            hours: "8",
            place: "南通市应急管理局四楼会议室".into(),
            trainer: "南通市安全生产协会 顾振华",
        },
        &evaluators,
        &mut told,
    )
    .await?;

    // Each district: two courses a year for its above-scale enterprises' principal persons and
    // safety managers; most come to one of them.
    for (unit, code) in &units {
        let name = reference.regions.unit_name(unit, today);
        let officer = cast.district(code).in_region(Some(code.clone()));
        let lineage = reference.regions.lineage(code);
        let key: Vec<&Enterprise> = all
            .iter()
            .filter(|e| lineage.contains(&e.region_code) && e.above_scale == Some(true))
            .collect();
        let mut halves: [Vec<NewAttendee>; 2] = [Vec::new(), Vec::new()];
        for e in key {
            let half = rng.random_range(0..2usize);
            if rng.random_range(0..100) < 78 {
                halves[half].push(NewAttendee {
                    person: person(&mut rng),
                    role: "principal".into(),
                    enterprise_id: Some(e.id),
                    evaluator_id: None,
                    affiliation: e.name.clone(),
                    phone: None,
                });
            }
            if rng.random_range(0..100) < 86 {
                halves[half].push(NewAttendee {
                    person: e
                        .contact_person
                        .clone()
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| person(&mut rng)),
                    role: "safety_manager".into(),
                    enterprise_id: Some(e.id),
                    evaluator_id: None,
                    affiliation: e.name.clone(),
                    phone: e.contact_phone.clone().filter(|p| p.len() <= 20),
                });
            }
        }
        for (n, mut people) in halves.into_iter().enumerate() {
            dedupe(&mut people);
            let days = if n == 0 { 250 } else { 95 };
            hold(
                db,
                reference,
                &officer,
                &Course {
                    title: format!(
                        "{name}企业主要负责人和安全管理人员标准化创建培训（第{}期）",
                        n + 1
                    ),
                    organiser: "district",
                    organiser_name: format!("{name}应急管理局"),
                    topic: "standardisation",
                    audience: "principals",
                    held_on: today - Duration::days(days + rng.random_range(0..20)),
                    hours: "4",
                    place: format!("{name}政务服务中心报告厅"),
                    trainer: "南通市安全生产协会 陈立新",
                },
                &people,
                &mut told,
            )
            .await?;
        }
    }

    // 如皋's townships coach their small and micro enterprises.
    let rugao = reference.regions.lineage("320682");
    let mut townships: BTreeMap<String, Vec<&Enterprise>> = BTreeMap::new();
    for e in all.iter().filter(|e| rugao.contains(&e.region_code)) {
        if let (Some(t), Some("small" | "micro")) = (&e.township, e.size_class.as_deref()) {
            townships.entry(t.clone()).or_default().push(e);
        }
    }
    for (n, (township, firms)) in townships.into_iter().enumerate() {
        let officer = Acting::on_behalf(
            Role::TownshipOfficer,
            Scope::Township {
                codes: rugao.clone(),
                township: township.clone(),
            },
            &format!("{township}安监站"),
            "demo",
        )
        .in_region(Some("320682".into()));
        let mut people = Vec::new();
        for e in firms {
            if rng.random_range(0..100) < 64 {
                people.push(NewAttendee {
                    person: e
                        .contact_person
                        .clone()
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| person(&mut rng)),
                    role: if rng.random_range(0..3) == 0 {
                        "principal".into()
                    } else {
                        "safety_manager".into()
                    },
                    enterprise_id: Some(e.id),
                    evaluator_id: None,
                    affiliation: e.name.clone(),
                    phone: None,
                });
            }
        }
        dedupe(&mut people);
        hold(
            db,
            reference,
            &officer,
            &Course {
                title: format!("{township}小微企业安全生产标准化创建辅导"),
                organiser: "township",
                organiser_name: format!("{township}安监站"),
                topic: "standardisation",
                audience: "small_micro",
                held_on: today - Duration::days(30 + (n as i64 * 11) % 240),
                hours: "3",
                place: format!("{township}便民服务中心会议室"),
                trainer: "如皋市应急管理局 标准化科 钱进",
            },
            &people,
            &mut told,
        )
        .await?;
    }
    demonstrate(db, reference, &all, today, &mut rng, &mut told).await?;
    divide_into_grids(db, reference, &all, today, &mut rng, &mut told).await?;
    Ok(Some(told))
}

/// 如皋 and 海安 name model enterprises from their 一级 and 二级 holders and hold visits at them
/// (one open day to come each), 如皋 names two model townships and runs a cooperation group,
/// the city an association; both publicise.
async fn demonstrate(
    db: &Db,
    reference: &ReferenceData,
    all: &[Enterprise],
    today: Date,
    rng: &mut ChaCha8Rng,
    told: &mut Told,
) -> anyhow::Result<()> {
    use anbiao_actions::outreach::{ExchangeForm, PublicityForm};
    let cast = Cast { reference };
    for (code, reasons) in [
        (
            "320682",
            [
                "双重预防机制运行规范，隐患排查治理闭环管理",
                "标准化建设与信息化深度融合，班组安全活动扎实",
                "粉尘防爆治理成效明显，可供同类企业借鉴",
            ],
        ),
        (
            "320685",
            [
                "安全生产责任体系健全，五落实五到位落实到位",
                "有限空间作业管理规范，应急演练常态化",
                "持续改进机制有效运行，连续三年无事故",
            ],
        ),
    ] {
        let officer = cast.district(code).in_region(Some(code.to_string()));
        let lineage = reference.regions.lineage(code);
        let name = reference
            .regions
            .get(code)
            .map(|r| reference.regions.unit_name(&r.unit, today))
            .unwrap_or_default();
        let local: Vec<&Enterprise> = all
            .iter()
            .filter(|e| lineage.contains(&e.region_code))
            .collect();
        let cx = ctx(db, reference, &officer, today - Duration::days(120));
        let mut models: Vec<&Enterprise> = Vec::new();
        for e in local.iter().filter(|e| e.above_scale == Some(true)) {
            if models.len() == reasons.len() {
                break;
            }
            if cx
                .name_model_enterprise(&e.credit_code, reasons[models.len()])
                .await
                .is_ok()
            {
                models.push(e);
            }
        }
        told.models += models.len();
        for (n, m) in models.iter().enumerate() {
            let peers: Vec<String> = local
                .iter()
                .filter(|e| e.industry_code == m.industry_code && e.id != m.id)
                .take(8 + rng.random_range(0..10usize))
                .map(|e| e.credit_code.clone())
                .collect();
            let past = ctx(
                db,
                reference,
                &officer,
                today - Duration::days(90 - 20 * n as i64),
            );
            past.record_exchange(&ExchangeForm {
                kind: if n == 0 { "site_visit" } else { "observation" }.into(),
                title: format!("{}标准化建设现场观摩会", m.name),
                host: m.credit_code.clone(),
                held_on: format_date(past.on),
                place: format!("{}生产现场", m.name),
                note: "参观生产现场和安全管理台账，企业介绍风险分级管控和隐患排查治理经验。".into(),
                attendees: peers.join("\n"),
                ..Default::default()
            })
            .await?;
            told.exchanges += 1;
            if n == 0 {
                let open = ctx(db, reference, &officer, today);
                open.record_exchange(&ExchangeForm {
                    kind: "experience".into(),
                    title: format!("{name}示范企业开放日：{}", m.name),
                    host: m.credit_code.clone(),
                    held_on: format_date(today + Duration::days(18)),
                    place: format!("{}会议室及生产现场", m.name),
                    open_day: true,
                    note: "欢迎周边企业、同类企业和配套企业参加，请提前向属地安监站报名。".into(),
                    ..Default::default()
                })
                .await?;
                told.exchanges += 1;
            }
        }
        let pub_cx = ctx(db, reference, &officer, today - Duration::days(180));
        pub_cx
            .record_publicity(&PublicityForm {
                channel: "meeting".into(),
                title: format!("{name}安全生产标准化创建推进会"),
                held_on: format_date(pub_cx.on),
                reach: "260".into(),
                summary: "通报创建进度，示范企业作经验介绍，部署下阶段小微企业创建工作。".into(),
                published: true,
            })
            .await?;
        told.publicity += 1;
    }

    // 如皋: two model townships where most enterprises are, and a cooperation group.
    let rugao = cast.district("320682").in_region(Some("320682".into()));
    let lineage = reference.regions.lineage("320682");
    let mut by_township: BTreeMap<String, Vec<&Enterprise>> = BTreeMap::new();
    for e in all.iter().filter(|e| lineage.contains(&e.region_code)) {
        if let Some(t) = &e.township {
            by_township.entry(t.clone()).or_default().push(e);
        }
    }
    let mut biggest: Vec<(&String, &Vec<&Enterprise>)> = by_township.iter().collect();
    biggest.sort_by_key(|(t, v)| (std::cmp::Reverse(v.len()), (*t).clone()));
    let cx = ctx(db, reference, &rugao, today - Duration::days(300));
    for (t, _) in biggest.iter().take(2) {
        cx.name_model_township(t, "企业集中、基础较好，作为同类企业交流学习的平台重点培育")
            .await?;
        told.townships += 1;
    }
    if let Some((t, firms)) = biggest.first() {
        let members: Vec<String> = firms
            .iter()
            .take(12)
            .map(|e| e.credit_code.clone())
            .collect();
        let id = cx
            .create_safety_group(
                "cooperation",
                &format!("{t}企业安全生产协作组"),
                &members.join("\n"),
            )
            .await?;
        told.groups += 1;
        let act = ctx(db, reference, &rugao, today - Duration::days(45));
        act.record_exchange(&ExchangeForm {
            kind: "observation".into(),
            title: format!("{t}协作组成员企业互查互学"),
            group_id: id.to_string(),
            held_on: format_date(act.on),
            place: format!("{t}便民服务中心"),
            note: "成员企业交叉检查隐患排查治理台账，交流整改经验。".into(),
            attendees: members.join("\n"),
            ..Default::default()
        })
        .await?;
        told.exchanges += 1;
    }

    // The city: an association of the metallurgy trade, and the safety month's publicity.
    let city = Acting::on_behalf(
        Role::CityOfficer,
        Scope::City,
        "南通市应急管理局 安全生产基础处",
        "demo",
    );
    let cx = ctx(db, reference, &city, today - Duration::days(330));
    let members: Vec<String> = all
        .iter()
        .filter(|e| e.industry_code == "YJ" && e.above_scale == Some(true))
        .take(15)
        .map(|e| e.credit_code.clone())
        .collect();
    cx.create_safety_group(
        "association",
        "南通市冶金行业安全生产协会",
        &members.join("\n"),
    )
    .await?;
    told.groups += 1;
    let june = Date::from_calendar_date(today.year(), time::Month::June, 16)?.min(today);
    for (channel, title, reach, summary) in [
        (
            "safety_month",
            "“安全生产月”安全生产标准化宣传咨询日",
            "5000",
            "在市区主要广场设置咨询台，发放标准化创建宣传册，解答企业咨询。",
        ),
        (
            "newspaper",
            "《南通日报》专版：标准化建设提升企业本质安全",
            "120000",
            "介绍全市样板地区建设进展和示范企业经验。",
        ),
        (
            "wechat",
            "“南通应急管理”微信公众号：小微企业标准化创建“做什么、怎么做”",
            "18000",
            "图解小微企业达标标准和自评流程。",
        ),
    ] {
        let cx = ctx(db, reference, &city, june);
        cx.record_publicity(&PublicityForm {
            channel: channel.into(),
            title: title.into(),
            held_on: format_date(june),
            reach: reach.into(),
            summary: summary.into(),
            published: true,
        })
        .await?;
        told.publicity += 1;
    }
    Ok(())
}

/// 如皋 and 海安 divide each township into grids of about 40 small and micro enterprises, each
/// with a grid officer, and name every enterprise's safety officer (六（四）3).
async fn divide_into_grids(
    db: &Db,
    reference: &ReferenceData,
    all: &[Enterprise],
    today: Date,
    rng: &mut ChaCha8Rng,
    told: &mut Told,
) -> anyhow::Result<()> {
    use anbiao_store::grids::{self, NewGrid};
    for code in ["320682", "320685"] {
        let lineage = reference.regions.lineage(code);
        let Some(unit) = reference.regions.get(code).map(|r| r.unit.clone()) else {
            continue;
        };
        let mut by_township: BTreeMap<String, Vec<&Enterprise>> = BTreeMap::new();
        for e in all.iter().filter(|e| lineage.contains(&e.region_code)) {
            if let (Some(t), Some("small" | "micro")) = (&e.township, e.size_class.as_deref()) {
                by_township.entry(t.clone()).or_default().push(e);
            }
        }
        for (township, firms) in by_township {
            let officer = Acting::on_behalf(
                Role::TownshipOfficer,
                Scope::Township {
                    codes: lineage.clone(),
                    township: township.clone(),
                },
                &format!("{township}安监站"),
                "demo",
            );
            for (n, chunk) in firms.chunks(40).enumerate() {
                let id = grids::create(
                    db,
                    &officer.audit,
                    &NewGrid {
                        unit: &unit,
                        township: &township,
                        name: &format!("第{}网格", n + 1),
                        officer: &person(rng),
                        officer_phone: Some(&format!("1390627{:04}", rng.random_range(0..10_000))),
                    },
                )
                .await?;
                told.grids += 1;
                let grid = grids::get(db, &anbiao_store::training::Reach::City, id).await?;
                for e in chunk {
                    let safety = e
                        .contact_person
                        .clone()
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| person(rng));
                    grids::assign(
                        db,
                        &officer.audit,
                        &grid,
                        e.id,
                        &e.name,
                        &safety,
                        e.contact_phone.as_deref().filter(|p| p.len() <= 20),
                        today - Duration::days(200),
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}

/// Drops a second person of one name from one place (the sheet would refuse it).
fn dedupe(people: &mut Vec<NewAttendee>) {
    let mut seen = std::collections::HashSet::new();
    people.retain(|p| seen.insert(p.key()));
}

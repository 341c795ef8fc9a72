//! A realistic grading history for the demo: evaluation organisations and evaluators,
//! certificates issued since 2015 at every level (some renewed, some revoked after an accident,
//! many expired by now), and current cases in every state of the life cycle. Deterministic for
//! a seed, so two demo databases tell the same story.

use anbiao_actions::Actor as Acting;
use anbiao_actions::Ctx;
use anbiao_actions::orgs::Qualified;
use anbiao_domain::lifecycle::{Action, CaseState};
use anbiao_domain::scoring::{Entry, ItemInput};
use anbiao_domain::standard::Points;
use anbiao_domain::{Grade, ReferenceData, Role, Scope};
use anbiao_store::certificate;
use anbiao_store::enterprise::{self, Enterprise, Filter};
use anbiao_store::{Db, account, standards};
use anyhow::Context;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::macros::date;

pub struct Summary {
    pub certificates: usize,
    pub cases: usize,
    /// Quality audits and small-micro cases of the programme story.
    pub audits: usize,
    pub started: usize,
}

fn entries(
    sheet: &anbiao_domain::standard::ScoringSheet,
    percent: i64,
) -> Vec<(ItemInput, String)> {
    sheet
        .items()
        .map(|(_, i)| {
            (
                ItemInput {
                    item: i.code.clone(),
                    entry: Entry::Earned(Points(i.points.0 * percent / 100)),
                    veto_failed: false,
                },
                String::new(),
            )
        })
        .collect()
}

/// The people of the demo's story as the action layer sees them: each step is taken by the
/// party the authority rules name, as it would be through the pages.
pub struct Cast<'a> {
    pub reference: &'a ReferenceData,
}

impl Cast<'_> {
    /// The enterprise's safety manager.
    pub fn enterprise(&self, e: &Enterprise) -> Acting {
        let name = e
            .contact_person
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{}安全员", e.name));
        Acting::on_behalf(
            Role::EnterpriseManager,
            Scope::Enterprise { id: e.id },
            &name,
            "demo",
        )
    }

    /// The district's standardisation officer.
    pub fn district(&self, region_code: &str) -> Acting {
        let name = self
            .reference
            .regions
            .get(region_code)
            .map(|r| format!("{}应急管理局 标准化科", r.name))
            .unwrap_or_else(|| "县（市、区）应急管理局".into());
        self.district_officer(&name, region_code)
    }

    /// A named officer of a district (an account of the demo, or a person of its story).
    pub fn district_officer(&self, name: &str, region_code: &str) -> Acting {
        Acting::on_behalf(
            Role::DistrictOfficer,
            Scope::Region {
                codes: self.reference.regions.lineage(region_code),
            },
            name,
            "demo",
        )
        .in_region(Some(region_code.to_string()))
    }

    /// The city bureau's officer.
    pub fn city(&self) -> Acting {
        self.city_officer("市局 王科长")
    }

    /// A named officer of the city bureau (its enforcement detachment's inspectors).
    pub fn city_officer(&self, name: &str) -> Acting {
        Acting::on_behalf(Role::CityOfficer, Scope::City, name, "demo")
    }

    /// The body that grades a case: the district for 小微达标, else the city.
    pub fn grader(&self, grade: Grade, region_code: &str) -> Acting {
        if grade == Grade::SmallMicro {
            self.district(region_code)
        } else {
            self.city()
        }
    }

    /// An evaluation organisation.
    pub fn org(&self, id: i64, name: &str) -> Acting {
        Acting::on_behalf(Role::EvaluationOrg, Scope::Org { id }, name, "demo")
    }
}

/// The grading use cases as `actor` on day `on`.
pub fn ctx<'a>(
    db: &'a Db,
    reference: &'a ReferenceData,
    actor: &'a Acting,
    on: time::Date,
) -> Ctx<'a> {
    Ctx {
        db,
        reference,
        actor,
        on,
    }
}

/// Builds the history once (when there is no certificate yet).
pub async fn grading_history(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    enterprise_of_demo_user: Option<i64>,
) -> anyhow::Result<Option<Summary>> {
    if !certificate::recent_public(db, 1).await?.is_empty() {
        return Ok(None);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0A0B);
    let today = anbiao_actions::today();
    let city = Cast { reference }.city();
    let bureau = ctx(db, reference, &city, today);

    // Evaluation organisations and their evaluators.
    let org_names = [
        (
            "江苏安评标准化评审中心",
            "安全生产标准化评审单位（江苏省备案）",
        ),
        (
            "南通安通安全技术服务有限公司",
            "安全生产标准化评审单位（南通市备案）",
        ),
        ("如皋安信安全咨询有限公司", "安全咨询与标准化辅导"),
    ];
    let people = [
        "顾建国",
        "陈志华",
        "王海燕",
        "周明",
        "吴晓东",
        "徐立新",
        "朱红梅",
        "孙伟",
    ];
    let mut org_ids = Vec::new();
    let mut teams: Vec<Vec<i64>> = Vec::new();
    for (i, (name, q)) in org_names.iter().enumerate() {
        let id = bureau
            .create_org(Qualified {
                name,
                certificate: q,
                until: date!(2028 - 12 - 31),
            })
            .await?;
        let mut team = Vec::new();
        for j in 0..3 {
            let who = people[(i * 3 + j) % people.len()];
            let until = if j == 2 {
                date!(2024 - 06 - 30)
            } else {
                date!(2028 - 12 - 31)
            };
            team.push(
                bureau
                    .add_evaluator(
                        id,
                        Qualified {
                            name: who,
                            certificate: &format!("JSPS-{:04}", i * 10 + j + 1),
                            until,
                        },
                    )
                    .await?,
            );
        }
        org_ids.push(id);
        teams.push(team);
    }
    let security = Acting::on_behalf(Role::SecurityAdmin, Scope::Nothing, "secadmin", "demo");
    for username in ["pingshen", "kaoping"] {
        if let Some(u) = account::by_username(db, username).await? {
            anbiao_actions::accounts::link_org(db, &security, u.id, Some(org_ids[0])).await?;
        }
    }

    let all: Vec<Enterprise> =
        enterprise::list_all(db, &Scope::City, &Filter::default(), 1_000_000).await?;
    let told = crate::story::tell(
        db,
        reference,
        &mut rng,
        &all,
        enterprise_of_demo_user,
        today,
    )
    .await?;
    let certificates = told.certificates;

    // Current cases, in every state, most of them in 如皋 so the demo officers see them.
    let holders: std::collections::HashSet<i64> = certificate::recent_public(db, 100_000)
        .await?
        .iter()
        .filter_map(|(_, c)| {
            all.iter()
                .find(|e| e.credit_code == c.credit_code)
                .map(|e| e.id)
        })
        .collect();
    let mut candidates: Vec<&Enterprise> = all
        .iter()
        .filter(|e| {
            !holders.contains(&e.id)
                && !told.with_case.contains(&e.id)
                && Some(e.id) != enterprise_of_demo_user
        })
        .collect();
    candidates.sort_by_key(|e| (e.region_code != "320682", e.id));
    let targets = [
        CaseState::SelfAssessing,
        CaseState::Applied,
        CaseState::Applied,
        CaseState::Returned,
        CaseState::Accepted,
        CaseState::Evaluating,
        CaseState::Evaluating,
        CaseState::Evaluated,
        CaseState::Rectifying,
        CaseState::Reviewed,
        CaseState::Notice,
        CaseState::Notice,
        CaseState::OnHold,
        CaseState::Failed,
        CaseState::Withdrawn,
    ];
    let scope = Scope::City;
    let cast = Cast { reference };
    let mut cases = 0;
    if let Some(own) = enterprise_of_demo_user
        && let Some(e) = all.iter().find(|e| e.id == own)
    {
        ctx(db, reference, &cast.enterprise(e), today)
            .open_case(Grade::Three)
            .await?;
        cases += 1;
    }
    // Cases start over the last five months; the first six evaluations fall in one week with
    // one team, which the quality page flags as implausible throughput.
    let mut evaluated = 0i64;
    for (n, (target, e)) in targets
        .iter()
        .cycle()
        .take(targets.len() * 2)
        .zip(candidates)
        .enumerate()
    {
        let case_on = today - time::Duration::days(150 - 4 * n as i64);
        let small = matches!(e.size_class.as_deref(), Some("small" | "micro"));
        let grade = if small && rng.random_range(0..2) == 0 {
            Grade::SmallMicro
        } else {
            Grade::Three
        };
        let (firm, district) = (cast.enterprise(e), cast.district(&e.region_code));
        let grading_body = cast.grader(grade, &e.region_code);
        let ent = ctx(db, reference, &firm, case_on);
        let dist = ctx(db, reference, &district, case_on);
        let grader = ctx(db, reference, &grading_body, case_on);
        let id = ent.open_case(grade).await?;
        cases += 1;
        let case = anbiao_store::grading::get(db, &scope, id).await?;
        let sheet = standards::get(db, &case.sheet_id, u32::try_from(case.sheet_version)?)
            .await?
            .context("sheet")?;
        if *target == CaseState::SelfAssessing {
            continue;
        }
        if *target == CaseState::Withdrawn {
            ent.act(id, Action::Withdraw, None).await?;
            continue;
        }
        ent.self_assess(
            id,
            &entries(&sheet, rng.random_range(72..96)),
            &self_report(&e.name, n, &mut rng),
        )
        .await?;
        ent.apply(id).await?;
        if *target == CaseState::Applied {
            continue;
        }
        if *target == CaseState::Returned {
            dist.act(
                id,
                Action::Return,
                Some("自评报告缺少现场照片和整改记录，请补充后重新提交"),
            )
            .await?;
            continue;
        }
        dist.act(id, Action::Accept, None).await?;
        if *target == CaseState::Accepted {
            continue;
        }
        let busy_week = evaluated < 6;
        let o = if busy_week { 0 } else { rng.random_range(0..2) };
        grader.assign(id, org_ids[o], &teams[o][..2]).await?;
        if *target == CaseState::Evaluating {
            continue;
        }
        let score = match target {
            CaseState::Rectifying | CaseState::Failed => 48,
            _ => rng.random_range(80..95),
        };
        let eval_on = if busy_week {
            today - time::Duration::days(30 - evaluated)
        } else {
            case_on + time::Duration::days(14)
        };
        evaluated += 1;
        ctx(
            db,
            reference,
            &cast.org(org_ids[o], org_names[o].0),
            eval_on,
        )
        .evaluate(
            id,
            &entries(&sheet, score),
            "现场评审报告：查阅资料、现场核查，按评分细则逐项评分。",
        )
        .await?;
        match target {
            CaseState::Evaluated => continue,
            CaseState::Rectifying => {
                grader
                    .act(
                        id,
                        Action::RequireRectification,
                        Some("评审得分未达标，限期三个月整改后重新评审"),
                    )
                    .await?;
                continue;
            }
            CaseState::Failed => {
                grader
                    .act(id, Action::Reject, Some("评审得分未达到合格线，不予通过"))
                    .await?;
                continue;
            }
            _ => {}
        }
        grader.approve(id).await?;
        if *target == CaseState::Reviewed {
            continue;
        }
        grader.act(id, Action::StartNotice, None).await?;
        // The second case in notice of each round has an objection the grader has not
        // answered yet; the case on hold had one the grader took up.
        let objected = *target == CaseState::Notice
            && (n % targets.len())
                .checked_sub(1)
                .and_then(|i| targets.get(i))
                == Some(target);
        if *target == CaseState::OnHold || objected {
            let mut public = Acting::public("");
            public.audit.username = "公众：王建国".into();
            ctx(db, reference, &public, case_on)
                .act(
                    id,
                    Action::Object,
                    Some("异议人 王建国（139****2468）：反映该企业车间安全通道长期堆放杂物，灭火器过期未换"),
                )
                .await?;
        }
        if *target == CaseState::OnHold {
            grader
                .act(
                    id,
                    Action::HoldForObjection,
                    Some("异议反映的安全通道堵塞问题具体，需现场核实，暂停公示"),
                )
                .await?;
        }
    }
    Ok(Some(Summary {
        certificates,
        cases,
        audits: told.audits,
        started: told.cases,
    }))
}

/// A self-assessment report as enterprises write them: a few of the usual findings in their own
/// words; every seventh case uses one consultancy's template with only the name changed (the
/// quality page flags those as nearly identical).
fn self_report(name: &str, n: usize, rng: &mut impl rand::Rng) -> String {
    const TEMPLATE: &str = "本企业按照评分细则逐项开展自评：建立安全生产责任制，主要负责人签订目标责任书；\
        制定年度安全投入计划并足额提取安全费用；开展全员安全培训，特种作业人员持证上岗；\
        落实有限空间、动火、高处作业审批制度；隐患排查治理台账完整，发现问题均已整改。";
    if n % 7 == 3 {
        return format!("{name}：{TEMPLATE}");
    }
    const FINDINGS: [&str; 8] = [
        "车间安全通道有物料占用，已划线清理",
        "两台行车限位器失效，已更换",
        "有限空间作业未配备气体检测仪，已购置",
        "应急预案未组织演练，已于本月演练一次",
        "新员工三级教育记录不全，已补训",
        "配电箱接地不良，已委托电工整改",
        "危化品仓库通风不足，已加装排风扇",
        "相关方进厂作业未签安全协议，已补签",
    ];
    let mut picked: Vec<&str> = Vec::new();
    while picked.len() < 3 {
        let f = FINDINGS[rng.random_range(0..FINDINGS.len())];
        if !picked.contains(&f) {
            picked.push(f);
        }
    }
    format!(
        "{name}自评报告：成立以主要负责人为组长的标准化工作小组，对照评分细则逐项自查，共查出问题{}项。其中{}。",
        rng.random_range(5..19),
        picked.join("；")
    )
}

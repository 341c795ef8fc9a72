//! The demo's risk register: the demo enterprise (the `qiye` login's 机械 works) has identified
//! and assessed its risk points the way a works of its kind does, in all four colours, two of
//! them 重大 by a direct condition (dust explosion, a confined space).

use anbiao_actions::Actor as Acting;
use anbiao_domain::risk_point::PointDraft;
use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::{Db, risk_points};

use crate::demo::ctx;

/// One point: name, kind, location, hazards, accident types, exposed, method, factors,
/// direct condition, control level ("" for the level's default), responsible, measures by kind
/// (one check item per line).
type Line = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const REGISTER: [Line; 12] = [
    (
        "铝镁件抛光打磨工位",
        "post",
        "三号厂房抛光线",
        "铝镁粉尘积聚，除尘系统故障或明火引燃导致粉尘爆炸",
        &["其他爆炸", "火灾"],
        "8",
        "lec",
        &[("L", "1"), ("E", "6"), ("C", "15")],
        Some("dust_explosion"),
        "",
        "周建华（生产副总经理）",
        &[
            ("engineering", "湿式除尘器每班点检\n防爆电气"),
            ("management", "粉尘每班清扫并记录\n禁止明火"),
        ],
    ),
    (
        "污水处理池清淤",
        "activity",
        "厂区东南污水站",
        "池内硫化氢、缺氧，未通风检测即进入",
        &["中毒和窒息", "淹溺"],
        "3",
        "lec",
        &[("L", "1"), ("E", "1"), ("C", "40")],
        Some("confined_space"),
        "",
        "周建华（生产副总经理）",
        &[
            ("management", "先通风、再检测、后作业\n作业审批\n专人监护"),
            ("ppe", "配备正压式呼吸器"),
        ],
    ),
    (
        "冲压车间 250吨冲床",
        "equipment",
        "二号厂房东侧",
        "双手进入模具区；光电保护装置失效",
        &["机械伤害"],
        "6",
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "15")],
        None,
        "",
        "陈立新（冲压车间主任）",
        &[
            ("engineering", "双手按钮"),
            ("management", "光电保护每班点检\n模具更换挂牌上锁"),
        ],
    ),
    (
        "喷漆房",
        "place",
        "涂装车间",
        "油漆溶剂挥发形成爆炸性混合物；静电、明火",
        &["火灾", "其他爆炸", "中毒和窒息"],
        "4",
        "lec",
        &[("L", "1"), ("E", "6"), ("C", "40")],
        None,
        "",
        "陈立新（涂装车间主任）",
        &[(
            "engineering",
            "防爆风机联锁\n可燃气体报警\n静电接地每月检测",
        )],
    ),
    (
        "空压机储气罐",
        "equipment",
        "空压站",
        "安全阀失效、超压",
        &["容器爆炸"],
        "2",
        "lec",
        &[("L", "1"), ("E", "6"), ("C", "40")],
        None,
        "",
        "沈国平（设备科长）",
        &[
            ("engineering", "安全阀年度校验\n压力表半年校验"),
            ("management", "每日排污"),
        ],
    ),
    (
        "桥式起重机吊装",
        "activity",
        "一号厂房",
        "吊索具断裂、歪拉斜吊、人员在吊物下方",
        &["起重伤害", "物体打击"],
        "5",
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "7")],
        None,
        "",
        "沈国平（设备科长）",
        &[
            ("management", "吊索具每日检查\n吊物下方禁止站人"),
            ("training", "持证司索指挥"),
        ],
    ),
    (
        "危险化学品仓库",
        "place",
        "厂区北侧",
        "稀释剂、油漆泄漏；通风不良",
        &["火灾", "中毒和窒息"],
        "2",
        "ls",
        &[("L", "3"), ("S", "4")],
        None,
        "",
        "顾晓燕（安全科长）",
        &[
            ("engineering", "防爆照明"),
            ("management", "分类分区存放\n双人双锁"),
            ("emergency", "泄漏应急物资"),
        ],
    ),
    (
        "设备登高检修",
        "activity",
        "各车间",
        "未系安全带；平台护栏缺失",
        &["高处坠落"],
        "3",
        "lec",
        &[("L", "3"), ("E", "3"), ("C", "15")],
        None,
        "workshop",
        "沈国平（设备科长）",
        &[
            ("engineering", "检修前检查护栏"),
            ("management", "高处作业审批"),
            ("ppe", "安全带高挂低用"),
        ],
    ),
    (
        "焊接工位",
        "post",
        "结构件车间",
        "焊接烟尘、弧光；焊渣引燃可燃物",
        &["灼烫", "火灾", "触电"],
        "6",
        "ls",
        &[("L", "3"), ("S", "3")],
        None,
        "",
        "陈立新（结构件车间主任）",
        &[
            ("engineering", "局部排烟\n焊机接地检查"),
            ("management", "作业前清理可燃物"),
        ],
    ),
    (
        "配电室",
        "place",
        "厂区变配电所",
        "带电体裸露；绝缘用具失效",
        &["触电", "火灾"],
        "2",
        "lec",
        &[("L", "1"), ("E", "3"), ("C", "15")],
        None,
        "",
        "王强（电工班长）",
        &[
            ("engineering", "挡鼠板"),
            ("management", "绝缘用具半年检测"),
            ("training", "持证电工操作"),
        ],
    ),
    (
        "叉车厂内运输",
        "activity",
        "厂区道路与仓库",
        "超速、视线受阻、人车混行",
        &["车辆伤害"],
        "4",
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "3")],
        None,
        "",
        "李卫东（物流班长）",
        &[
            ("engineering", "人车分流标线"),
            ("management", "限速5公里"),
            ("training", "持证驾驶"),
        ],
    ),
    (
        "数控车床操作",
        "post",
        "机加工车间",
        "卷入旋转部件；切屑飞溅",
        &["机械伤害", "物体打击"],
        "12",
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "3")],
        None,
        "",
        "张海峰（机加工班长）",
        &[
            ("engineering", "防护罩联锁"),
            ("training", "岗位安全操作卡"),
            ("ppe", "禁止戴手套操作"),
        ],
    ),
];

/// Writes the demo enterprise's register once; the number of points written.
pub async fn tell(
    db: &Db,
    reference: &ReferenceData,
    own: Option<i64>,
    today: time::Date,
) -> anyhow::Result<usize> {
    let Some(id) = own else {
        return Ok(0);
    };
    if !risk_points::of_enterprise(db, &Scope::City, id)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let actor = Acting::on_behalf(
        Role::EnterpriseManager,
        Scope::Enterprise { id },
        "qiye",
        "demo",
    );
    // Identified over the spring's risk identification campaign, a few days apart.
    let mut n = 0;
    for (i, l) in REGISTER.iter().enumerate() {
        let on = today - time::Duration::days(120 - 3 * i as i64);
        let d = PointDraft {
            name: l.0.into(),
            kind: l.1.into(),
            location: l.2.into(),
            hazards: l.3.into(),
            accident_types: l.4.iter().map(|s| s.to_string()).collect(),
            exposed: l.5.into(),
            method: l.6.into(),
            factors: l
                .7
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            direct: l.8.iter().map(|s| s.to_string()).collect(),
            control_level: l.9.into(),
            responsible: l.10.into(),
            measures: l
                .11
                .iter()
                .map(|(k, t)| (k.to_string(), t.to_string()))
                .collect(),
        };
        ctx(db, reference, &actor, on).add_risk_point(&d).await?;
        n += 1;
    }
    checks(db, reference, &actor, today).await?;
    Ok(n)
}

/// The points whose checks lapse in the demo: the paint shop's monthly check (due within the
/// last five weeks) and the forklift's daily checks of the last four days were not recorded.
const LAPSED: [(&str, i64); 2] = [("喷漆房", 35), ("叉车厂内运输", 4)];
/// The check that failed: the press's light curtain found bypassed (an open hazard at it).
const FAILED: (&str, &str, &str) = (
    "冲压车间 250吨冲床",
    "光电保护每班点检",
    "光电保护装置被短接，点检记录缺失三天",
);

/// Each point's checks from its identification to today, on the day each task fell due, by
/// the person responsible; the lapsed ones stop early and the daily job escalates them.
async fn checks(
    db: &Db,
    reference: &ReferenceData,
    actor: &Acting,
    today: time::Date,
) -> anyhow::Result<()> {
    use anbiao_domain::date::format_date;
    use anbiao_domain::risk_check::{CheckDraft, ItemDraft};
    let Scope::Enterprise { id } = actor.scope else {
        return Ok(());
    };
    let points = risk_points::of_enterprise(db, &Scope::City, id).await?;
    let mut failed_once = false;
    for p in points {
        let stop = LAPSED
            .iter()
            .find(|(name, _)| *name == p.name)
            .map_or(today, |(_, days)| today - time::Duration::days(*days));
        let checker = p
            .responsible
            .split(['（', '('])
            .next()
            .unwrap_or("")
            .to_string();
        for _ in 0..400 {
            let point = risk_points::get(db, &Scope::City, p.id).await?;
            let Some(due) = point.due() else { break };
            if due > stop {
                break;
            }
            let cx = ctx(db, reference, actor, due);
            let task = cx.risk_check_task(p.id).await?;
            let fail_at =
                (!failed_once && p.name == FAILED.0 && due > today - time::Duration::days(30))
                    .then(|| task.items.iter().position(|i| i.text == FAILED.1))
                    .flatten();
            let items = (0..task.items.len())
                .map(|i| {
                    if Some(i) == fail_at {
                        ItemDraft {
                            result: "fail".into(),
                            note: FAILED.2.into(),
                            level: "general".into(),
                            item_key: String::new(),
                            deadline: format_date(due + time::Duration::days(7)),
                        }
                    } else {
                        ItemDraft {
                            result: "pass".into(),
                            ..Default::default()
                        }
                    }
                })
                .collect();
            failed_once |= fail_at.is_some();
            let d = CheckDraft {
                due: format_date(due),
                checker: checker.clone(),
                items,
            };
            cx.record_risk_check(p.id, &d).await?;
        }
    }
    let escalate: Vec<String> = reference
        .risk
        .in_force(today)
        .map(|s| s.levels.iter().take(2).map(|l| l.key.clone()).collect())
        .unwrap_or_default();
    anbiao_store::risk_checks::mark_overdue(db, today, &escalate).await?;
    Ok(())
}

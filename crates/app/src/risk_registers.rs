//! The demo's risk registers of the city's enterprises above scale: each identified 10 to 40
//! points in its spring identification campaign, from the kinds of place, equipment, activity
//! and post a works of the 工贸 trades has, assessed by the rules of the day (all four colours:
//! the 重大 ones mostly confined spaces, as in most works), with their measures and check
//! tasks on schedule; a few tasks lapsed (overdue, escalated by the daily job), a few new
//! points still without measures, and one works in thirty found an item not met at today's
//! check (a hidden hazard at the point).

use anbiao_domain::risk_point::PointDraft;
use anbiao_domain::{ReferenceData, Scope};
use anbiao_store::audit_log::Actor;
use anbiao_store::enterprise::{self, Filter, SizeFilter};
use anbiao_store::risk_points::{self, BulkPoint};
use anbiao_store::{Db, risk_checks};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

/// One kind of point: name, kind, hazards, accident types, method, factors, direct condition,
/// who is responsible (a post), measures by kind.
struct Template {
    name: &'static str,
    kind: &'static str,
    hazards: &'static str,
    accidents: &'static [&'static str],
    method: &'static str,
    factors: &'static [(&'static str, &'static str)],
    direct: Option<&'static str>,
    post: &'static str,
    measures: &'static [(&'static str, &'static str)],
}

const MAJOR: &[Template] = &[
    Template {
        name: "污水处理池清淤",
        kind: "activity",
        hazards: "池内硫化氢积聚、缺氧，未通风检测即进入",
        accidents: &["中毒和窒息", "淹溺"],
        method: "lec",
        factors: &[("L", "1"), ("E", "1"), ("C", "40")],
        direct: Some("confined_space"),
        post: "安全科长",
        measures: &[
            ("engineering", "强制通风设备\n四合一气体检测仪"),
            (
                "management",
                "有限空间作业审批\n先通风、再检测、后作业\n专人监护",
            ),
            ("ppe", "正压式空气呼吸器"),
            ("emergency", "有限空间事故应急演练每年一次"),
        ],
    },
    Template {
        name: "雨污水窨井检修",
        kind: "activity",
        hazards: "窨井内有毒气体、缺氧",
        accidents: &["中毒和窒息"],
        method: "lec",
        factors: &[("L", "1"), ("E", "2"), ("C", "15")],
        direct: Some("confined_space"),
        post: "设备科长",
        measures: &[
            ("engineering", "井盖警示标识"),
            ("management", "有限空间作业审批\n作业前气体检测"),
            ("ppe", "安全绳、防毒面具"),
        ],
    },
    Template {
        name: "抛光打磨除尘系统",
        kind: "equipment",
        hazards: "金属粉尘积聚，除尘器泄爆失效，明火或静电引燃",
        accidents: &["其他爆炸", "火灾"],
        method: "lec",
        factors: &[("L", "1"), ("E", "6"), ("C", "15")],
        direct: Some("dust_explosion"),
        post: "生产副总经理",
        measures: &[
            (
                "engineering",
                "除尘器泄爆、隔爆装置\n防爆电气设备\n火花探测与熄灭装置",
            ),
            ("management", "粉尘每班清扫并记录\n动火作业审批"),
            ("ppe", "防静电工作服"),
        ],
    },
];

const HIGH: &[Template] = &[
    Template {
        name: "冲压机",
        kind: "equipment",
        hazards: "双手进入模具区；光电保护装置失效",
        accidents: &["机械伤害"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "15")],
        direct: None,
        post: "冲压车间主任",
        measures: &[
            ("engineering", "双手按钮\n光电保护装置"),
            ("management", "光电保护每班点检\n模具更换挂牌上锁"),
        ],
    },
    Template {
        name: "天然气锅炉房",
        kind: "place",
        hazards: "燃气泄漏遇明火爆炸；锅炉超压",
        accidents: &["锅炉爆炸", "火灾", "其他爆炸"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "15")],
        direct: None,
        post: "设备科长",
        measures: &[
            (
                "engineering",
                "可燃气体报警与切断联锁\n安全阀、压力表定期校验",
            ),
            ("management", "司炉工持证上岗\n锅炉运行记录每班填写"),
            ("emergency", "燃气泄漏应急处置卡"),
        ],
    },
    Template {
        name: "喷漆房",
        kind: "place",
        hazards: "油漆溶剂挥发形成爆炸性混合物；静电、明火",
        accidents: &["火灾", "其他爆炸", "中毒和窒息"],
        method: "lec",
        factors: &[("L", "1"), ("E", "6"), ("C", "40")],
        direct: None,
        post: "涂装车间主任",
        measures: &[
            ("engineering", "防爆风机联锁\n可燃气体报警"),
            ("management", "静电接地每月检测\n严禁带入火种"),
            ("ppe", "防毒口罩"),
        ],
    },
    Template {
        name: "空压机储气罐",
        kind: "equipment",
        hazards: "安全阀失效、超压",
        accidents: &["容器爆炸"],
        method: "lec",
        factors: &[("L", "1"), ("E", "6"), ("C", "40")],
        direct: None,
        post: "设备科长",
        measures: &[
            ("engineering", "安全阀年度校验\n压力表半年校验"),
            ("management", "每日排污并记录"),
        ],
    },
];

const MEDIUM: &[Template] = &[
    Template {
        name: "桥式起重机吊装",
        kind: "activity",
        hazards: "吊索具断裂、歪拉斜吊、人员在吊物下方",
        accidents: &["起重伤害", "物体打击"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "7")],
        direct: None,
        post: "设备科长",
        measures: &[
            ("engineering", "起重限位器\n吊钩防脱钩装置"),
            ("management", "吊索具每日检查\n吊物下方禁止站人"),
            ("training", "司索指挥持证上岗"),
        ],
    },
    Template {
        name: "设备登高检修",
        kind: "activity",
        hazards: "未系安全带；平台护栏缺失",
        accidents: &["高处坠落"],
        method: "lec",
        factors: &[("L", "3"), ("E", "3"), ("C", "15")],
        direct: None,
        post: "设备科长",
        measures: &[
            ("engineering", "检修平台护栏"),
            ("management", "高处作业审批"),
            ("ppe", "安全带高挂低用"),
        ],
    },
    Template {
        name: "危险化学品仓库",
        kind: "place",
        hazards: "稀释剂、油漆泄漏；通风不良",
        accidents: &["火灾", "中毒和窒息"],
        method: "ls",
        factors: &[("L", "3"), ("S", "4")],
        direct: None,
        post: "安全科长",
        measures: &[
            ("engineering", "防爆照明\n机械通风"),
            ("management", "分类分区存放\n双人双锁"),
            ("emergency", "泄漏应急物资"),
        ],
    },
    Template {
        name: "焊接工位",
        kind: "post",
        hazards: "焊接烟尘、弧光；焊渣引燃可燃物",
        accidents: &["灼烫", "火灾", "触电"],
        method: "ls",
        factors: &[("L", "3"), ("S", "3")],
        direct: None,
        post: "结构件车间主任",
        measures: &[
            ("engineering", "局部排烟\n焊机接地"),
            ("management", "作业前清理可燃物"),
            ("ppe", "焊接面罩、绝缘手套"),
        ],
    },
    Template {
        name: "木工圆锯机",
        kind: "equipment",
        hazards: "锯片无防护罩；木料反弹",
        accidents: &["机械伤害", "物体打击"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "7")],
        direct: None,
        post: "木工车间主任",
        measures: &[
            ("engineering", "锯片防护罩\n分料刀"),
            ("management", "推料棒使用检查"),
        ],
    },
    Template {
        name: "热处理炉",
        kind: "equipment",
        hazards: "高温工件、淬火油起火",
        accidents: &["灼烫", "火灾"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "7")],
        direct: None,
        post: "热处理班长",
        measures: &[
            ("engineering", "淬火油槽盖板与温控"),
            ("ppe", "隔热手套、防护面罩"),
            ("emergency", "灭火毯与干粉灭火器"),
        ],
    },
    Template {
        name: "食堂燃气灶具",
        kind: "place",
        hazards: "燃气软管老化泄漏",
        accidents: &["火灾", "其他爆炸"],
        method: "lec",
        factors: &[("L", "1"), ("E", "6"), ("C", "15")],
        direct: None,
        post: "行政主管",
        measures: &[
            ("engineering", "燃气泄漏报警与切断阀"),
            ("management", "燃气软管每月检查"),
        ],
    },
];

const LOW: &[Template] = &[
    Template {
        name: "叉车厂内运输",
        kind: "activity",
        hazards: "超速、视线受阻、人车混行",
        accidents: &["车辆伤害"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "3")],
        direct: None,
        post: "物流班长",
        measures: &[
            ("engineering", "人车分流标线"),
            ("management", "限速5公里\n出车前检查"),
            ("training", "叉车司机持证"),
        ],
    },
    Template {
        name: "配电室",
        kind: "place",
        hazards: "带电体裸露；绝缘用具失效",
        accidents: &["触电", "火灾"],
        method: "lec",
        factors: &[("L", "1"), ("E", "3"), ("C", "15")],
        direct: None,
        post: "电工班长",
        measures: &[
            ("engineering", "挡鼠板\n绝缘垫"),
            ("management", "绝缘用具半年检测"),
            ("training", "电工持证操作"),
        ],
    },
    Template {
        name: "数控车床操作",
        kind: "post",
        hazards: "卷入旋转部件；切屑飞溅",
        accidents: &["机械伤害", "物体打击"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "3")],
        direct: None,
        post: "机加工班长",
        measures: &[
            ("engineering", "防护罩联锁"),
            ("management", "禁止戴手套操作"),
            ("training", "岗位安全操作卡"),
        ],
    },
    Template {
        name: "砂轮机",
        kind: "equipment",
        hazards: "砂轮破裂飞出；托架间隙过大",
        accidents: &["物体打击", "机械伤害"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "3")],
        direct: None,
        post: "机加工班长",
        measures: &[
            ("engineering", "砂轮防护罩"),
            ("management", "托架间隙每日检查"),
            ("ppe", "防护眼镜"),
        ],
    },
    Template {
        name: "成品仓库堆垛",
        kind: "place",
        hazards: "堆垛过高倒塌",
        accidents: &["坍塌", "物体打击"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "3")],
        direct: None,
        post: "仓库主管",
        measures: &[("management", "堆垛限高1.8米\n通道保持畅通")],
    },
    Template {
        name: "注塑机",
        kind: "equipment",
        hazards: "安全门联锁失效；高温料筒",
        accidents: &["机械伤害", "灼烫"],
        method: "lec",
        factors: &[("L", "3"), ("E", "6"), ("C", "3")],
        direct: None,
        post: "注塑班长",
        measures: &[
            ("engineering", "安全门联锁"),
            ("management", "开机前联锁测试"),
        ],
    },
    Template {
        name: "办公楼消防",
        kind: "place",
        hazards: "电气线路老化；疏散通道堵塞",
        accidents: &["火灾"],
        method: "lec",
        factors: &[("L", "0.5"), ("E", "6"), ("C", "15")],
        direct: None,
        post: "行政主管",
        measures: &[
            ("management", "消防设施每月检查\n疏散通道每日巡查"),
            ("emergency", "每年两次消防演练"),
        ],
    },
];

const SURNAMES: [&str; 16] = [
    "陈", "张", "王", "李", "周", "吴", "徐", "朱", "顾", "沈", "陆", "季", "缪", "施", "曹", "钱",
];
const GIVEN: [&str; 16] = [
    "建华", "立新", "国平", "晓燕", "卫东", "海峰", "志刚", "秀英", "明", "红梅", "春生", "丽",
    "永林", "爱国", "静", "俊",
];
const WORKSHOPS: [&str; 6] = [
    "一号车间",
    "二号车间",
    "三号车间",
    "综合楼",
    "厂区东侧",
    "厂区北侧",
];

/// Share of points whose last check lapsed (per thousand), and of new points without measures.
const LAPSED_PER_MILLE: u32 = 40;
const UNCONTROLLED_PER_MILLE: u32 = 15;

/// Writes the registers of every enterprise above scale but `skip` (which has its own story),
/// once; the number of points written.
pub async fn write(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    skip: Option<i64>,
    today: Date,
) -> anyhow::Result<usize> {
    let any = risk_points::sums(db, &Scope::City).await?;
    if any
        .iter()
        .any(|s| s.points > 0 && s.level == risk_points::ANY_LEVEL && s.enterprises > 1)
    {
        return Ok(0);
    }
    let f = Filter {
        size: Some(SizeFilter::AboveScale),
        ..Default::default()
    };
    let enterprises = enterprise::list_all(db, &Scope::City, &f, 100_000).await?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7269_736b);
    let mut points = Vec::new();
    for e in enterprises.iter().filter(|e| Some(e.id) != skip) {
        let n = rng.random_range(10..=40usize);
        // One of each colour, then any.
        let mut picks: Vec<&Template> = [MAJOR, HIGH, MEDIUM, LOW]
            .iter()
            .map(|b| &b[rng.random_range(0..b.len())])
            .collect();
        let all: Vec<&Template> = [MAJOR, HIGH, MEDIUM, LOW].into_iter().flatten().collect();
        while picks.len() < n {
            // Confined spaces and dust are one or two per works, not many.
            let t = all[rng.random_range(MAJOR.len()..all.len())];
            picks.push(t);
        }
        let on = today - Duration::days(rng.random_range(60..240));
        let set = reference.risk.in_force(on)?;
        let mut used = std::collections::HashMap::new();
        for t in picks {
            let k = used.entry(t.name).or_insert(0);
            *k += 1;
            let name = if *k == 1 {
                t.name.to_string()
            } else {
                format!("{}（{}号）", t.name, k)
            };
            let person = format!(
                "{}{}（{}）",
                SURNAMES[rng.random_range(0..SURNAMES.len())],
                GIVEN[rng.random_range(0..GIVEN.len())],
                t.post
            );
            let uncontrolled = rng.random_range(0..1000) < UNCONTROLLED_PER_MILLE;
            let d = PointDraft {
                name,
                kind: t.kind.into(),
                location: WORKSHOPS[rng.random_range(0..WORKSHOPS.len())].into(),
                hazards: t.hazards.into(),
                accident_types: t.accidents.iter().map(|s| s.to_string()).collect(),
                exposed: rng.random_range(1..=20).to_string(),
                method: t.method.into(),
                factors: t
                    .factors
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                direct: t.direct.iter().map(|s| s.to_string()).collect(),
                control_level: String::new(),
                responsible: person,
                measures: if uncontrolled {
                    Vec::new()
                } else {
                    t.measures
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                },
            };
            let v = d
                .validate(set)
                .map_err(|e| anyhow::anyhow!("演示风险点“{}”无效：{e}", t.name))?;
            let every = set
                .control(&v.control_level)
                .map_or(1, |c| i64::from(c.check_every_days));
            // On schedule: the current task falls due within one period; a lapsed one is past.
            let due = if rng.random_range(0..1000) < LAPSED_PER_MILLE {
                today - Duration::days(rng.random_range(1..=every.clamp(3, 20)))
            } else {
                today + Duration::days(rng.random_range(0..every))
            };
            points.push(BulkPoint {
                enterprise_id: e.id,
                region_code: e.region_code.clone(),
                point: v,
                on,
                due,
            });
        }
    }
    let n = risk_points::insert_many(db, &Actor::new("demo", "demo"), &points).await?;
    failed_checks(db, reference, &enterprises, skip, today).await?;
    let escalate: Vec<String> = reference
        .risk
        .in_force(today)
        .map(|s| s.levels.iter().take(2).map(|l| l.key.clone()).collect())
        .unwrap_or_default();
    risk_checks::mark_overdue(db, today, &escalate).await?;
    Ok(n as usize)
}

/// One works in [`FAILED_EVERY`] records today's check of an open task with one item not met,
/// which opens a hidden hazard at the point (the hazard path, through the action).
const FAILED_EVERY: usize = 30;

/// What the failing checks found, by the measure's first words.
const FINDINGS: [&str; 4] = [
    "现场检查发现未按要求落实，记录缺失",
    "防护装置损坏未及时修复",
    "作业人员未按规定佩戴防护用品",
    "应急物资过期未更换",
];

async fn failed_checks(
    db: &Db,
    reference: &ReferenceData,
    enterprises: &[anbiao_store::enterprise::Enterprise],
    skip: Option<i64>,
    today: Date,
) -> anyhow::Result<usize> {
    use anbiao_actions::Actor as Acting;
    use anbiao_actions::risks::TaskState;
    use anbiao_domain::date::format_date;
    use anbiao_domain::risk_check::{CheckDraft, ItemDraft};
    let mut n = 0;
    for (i, e) in enterprises
        .iter()
        .filter(|e| Some(e.id) != skip)
        .enumerate()
        .filter(|(i, _)| i % FAILED_EVERY == 0)
    {
        let actor = Acting::on_behalf(
            anbiao_domain::Role::EnterpriseManager,
            Scope::Enterprise { id: e.id },
            "demo",
            "demo",
        );
        let cx = crate::demo::ctx(db, reference, &actor, today);
        let tasks = cx.risk_check_tasks(e.id).await?;
        let Some(t) = tasks
            .tasks
            .iter()
            .find(|t| t.state == TaskState::Open && !t.items.is_empty())
        else {
            continue;
        };
        let items = (0..t.items.len())
            .map(|k| {
                if k == 0 {
                    ItemDraft {
                        result: "fail".into(),
                        note: FINDINGS[i % FINDINGS.len()].into(),
                        level: "general".into(),
                        item_key: String::new(),
                        deadline: format_date(today + Duration::days(15)),
                    }
                } else {
                    ItemDraft {
                        result: "pass".into(),
                        ..Default::default()
                    }
                }
            })
            .collect();
        let checker = t
            .point
            .responsible
            .split(['（', '('])
            .next()
            .unwrap_or("")
            .to_string();
        let d = CheckDraft {
            due: format_date(t.due),
            checker,
            items,
        };
        cx.record_risk_check(t.point.id, &d).await?;
        n += 1;
    }
    Ok(n)
}

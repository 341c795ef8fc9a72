//! Inspections with their checklist and findings, enforcement decisions and the violations
//! database, warning notices, and the job queue that reminds and escalates hazard deadlines.

use anbiao_domain::checklist::Answer;
use anbiao_domain::enforcement::Kind;
use anbiao_domain::hazard::{FiveFixes, Level, Step};
use anbiao_domain::supervision::Modifier;
use anbiao_domain::{ReferenceData, Scope};
use anbiao_store::enforcement::{self, NewDecision, Rules};
use anbiao_store::hazards::{self, NewHazard};
use anbiao_store::inspections::{self, Kind as InspectionKind, NewInspection};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, enterprise, inspection_plans, queue};
use time::Date;
use time::macros::date;

use crate::account::admin;
use crate::{code, input, reference};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const ON: Date = date!(2019 - 03 - 01);
const ITEM_2017: &str = "专项类/有限空间作业相关的/1";

async fn ent(db: &Db, n: u32, region: &str) -> i64 {
    enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(
            &code(region, 700 + n),
            &format!("执法测试{n}厂"),
            region,
            "JX",
            "900",
            "40",
        ),
    )
    .await
    .expect("enterprise")
}

fn rugao() -> Scope {
    Scope::Region {
        codes: vec!["320682".into()],
    }
}

fn answers(r: &ReferenceData, finding: Option<&str>) -> Vec<(String, Answer, String)> {
    r.checklists
        .in_force(ON)
        .expect("checklist")
        .items
        .iter()
        .map(|i| {
            if Some(i.key.as_str()) == finding {
                (
                    i.key.clone(),
                    Answer::Finding,
                    "有限空间未设置警示标志".into(),
                )
            } else {
                (i.key.clone(), Answer::Compliant, String::new())
            }
        })
        .collect()
}

fn finding<'a>(e: i64, level: Level, item: Option<&'a str>, text: &'a str) -> NewHazard<'a> {
    NewHazard {
        enterprise_id: e,
        source: "inspection",
        level,
        item_key: item,
        description: text,
        found_on: ON,
        deadline: Some(date!(2019 - 03 - 20)),
        photo: Some(PNG),
    }
}

/// The frequency rules in force during the tests' years (version 1).
fn inspection_set() -> anbiao_domain::supervision::InspectionSet {
    reference()
        .inspection
        .in_force(ON)
        .expect("inspection")
        .clone()
}

fn rules(r: &ReferenceData) -> Rules<'_> {
    Rules {
        violations: r.violations.in_force(ON).expect("violations"),
        inspection: r.inspection.in_force(ON).expect("inspection"),
    }
}

#[tokio::test]
async fn an_inspection_records_its_checklist_and_opens_its_findings_as_hazards() {
    each_backend(|db| async move {
        let r = reference();
        let e = ent(&db, 1, "320682").await;
        let checklist = r.checklists.in_force(ON).expect("checklist");
        let base = NewInspection {
            enterprise_id: e,
            kind: InspectionKind::Complaint,
            on: ON,
            officers: vec!["zf01".into(), "zf02".into()],
            checklist,
            answers: answers(&r, Some("confined_space")),
            gap_answers: Vec::new(),
            summary: "举报核查",
            findings: vec![
                finding(e, Level::General, None, "有限空间未设置警示标志"),
                finding(e, Level::Major, Some(ITEM_2017), "有限空间作业未经审批"),
            ],
        };
        let refused = |res: Result<i64, anbiao_store::StoreError>, why: &str| {
            let m = res.expect_err(why).to_string();
            assert!(m.contains(why), "{why}: {m}");
        };
        refused(
            inspections::record(
                &db,
                &rugao(),
                &admin(),
                &r.major_hazards,
                &NewInspection {
                    officers: vec!["zf01".into(), " ".into()],
                    ..base.clone()
                },
            )
            .await,
            "2 名以上执法人员",
        );
        let mut short = base.answers.clone();
        short.pop();
        refused(
            inspections::record(
                &db,
                &rugao(),
                &admin(),
                &r.major_hazards,
                &NewInspection {
                    answers: short,
                    ..base.clone()
                },
            )
            .await,
            "检查表条目未填写",
        );
        refused(
            inspections::record(
                &db,
                &rugao(),
                &admin(),
                &r.major_hazards,
                &NewInspection {
                    findings: vec![],
                    ..base.clone()
                },
            )
            .await,
            "请登记相应的隐患",
        );
        refused(
            inspections::record(
                &db,
                &rugao(),
                &admin(),
                &r.major_hazards,
                &NewInspection {
                    kind: InspectionKind::Plan,
                    ..base.clone()
                },
            )
            .await,
            "不在 2019 年度监督检查计划中",
        );
        refused(
            inspections::record(
                &db,
                &rugao(),
                &admin(),
                &r.major_hazards,
                &NewInspection {
                    findings: vec![NewHazard {
                        deadline: None,
                        ..finding(e, Level::General, None, "x")
                    }],
                    ..base.clone()
                },
            )
            .await,
            "第 1 项隐患：请规定整改期限",
        );
        // Another district's officer cannot inspect the enterprise.
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert!(matches!(
            inspections::record(&db, &rudong, &admin(), &r.major_hazards, &base).await,
            Err(anbiao_store::StoreError::NotFound)
        ));
        // Nothing of the refused attempts was written.
        assert!(
            hazards::list(&db, &Scope::City, &hazards::Filter::default(), 10, 0)
                .await
                .expect("list")
                .is_empty()
        );

        let id = inspections::record(&db, &rugao(), &admin(), &r.major_hazards, &base)
            .await
            .expect("recorded");
        let i = inspections::get(&db, &rugao(), id).await.expect("get");
        assert_eq!(
            (i.findings, i.checklist.as_str(), i.officers.as_str()),
            (2, "checklist@1", "zf01,zf02")
        );
        let items = inspections::items(&db, &rugao(), id).await.expect("items");
        assert_eq!(items.len(), checklist.items.len());
        assert!(
            items
                .iter()
                .any(|(k, a, n)| k == "confined_space" && a == "finding" && n.contains("警示标志"))
        );
        let found = hazards::list(
            &db,
            &rugao(),
            &hazards::Filter {
                inspection_id: Some(id),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .expect("hazards");
        assert_eq!(found.len(), 2);
        // Each hazard queued its reminder and escalation.
        let counts = queue::counts(&db).await.expect("queue");
        assert_eq!(counts, vec![("queued".to_string(), 4)]);
        // The plan modifiers now see the open major hazard; overdue once the deadline passed.
        let s = inspection_plans::subject_of(&db, e, date!(2019 - 03 - 05), &inspection_set())
            .await
            .expect("ran")
            .expect("subject");
        assert_eq!(s.modifiers, vec![Modifier::OpenMajorHazard]);
        let s = inspection_plans::subject_of(&db, e, date!(2019 - 04 - 01), &inspection_set())
            .await
            .expect("ran")
            .expect("subject");
        assert_eq!(
            s.modifiers,
            vec![Modifier::OpenMajorHazard, Modifier::OverdueHazard]
        );
    })
    .await;
}

#[tokio::test]
async fn decisions_follow_the_rules_and_become_violation_records() {
    each_backend(|db| async move {
        let r = reference();
        let e = ent(&db, 2, "320682").await;
        let general = hazards::register(
            &db,
            &rugao(),
            &admin(),
            &r.major_hazards,
            &finding(e, Level::General, None, "配电箱未接地"),
        )
        .await
        .expect("general");
        let major = hazards::register(
            &db,
            &rugao(),
            &admin(),
            &r.major_hazards,
            &finding(e, Level::Major, Some(ITEM_2017), "有限空间作业未经审批"),
        )
        .await
        .expect("major");
        let base = NewDecision {
            enterprise_id: e,
            inspection_id: None,
            hazard_id: Some(general),
            kind: Kind::Suspension,
            on: date!(2019 - 03 - 02),
            document_no: "（皋）应急责改〔2019〕1号",
            facts: "存在事故隐患",
            category_key: "hazard_not_removed",
            fine_yuan: None,
            reason: None,
        };
        let refused = |res: Result<i64, anbiao_store::StoreError>, why: &str| {
            let m = res.expect_err(why).to_string();
            assert!(m.contains(why), "{why}: {m}");
        };
        refused(
            enforcement::decide(&db, &rugao(), &admin(), rules(&r), &base).await,
            "只适用于重大事故隐患",
        );
        refused(
            enforcement::decide(
                &db,
                &rugao(),
                &admin(),
                rules(&r),
                &NewDecision {
                    hazard_id: Some(major),
                    kind: Kind::Closure,
                    ..base.clone()
                },
            )
            .await,
            "须先对该重大隐患责令停产整顿",
        );
        refused(
            enforcement::decide(
                &db,
                &rugao(),
                &admin(),
                rules(&r),
                &NewDecision {
                    category_key: "bribery",
                    kind: Kind::Order,
                    ..base.clone()
                },
            )
            .await,
            "不在 violations@1 中",
        );
        // Never started: key supervision with the maximum-penalty flag.
        let limit = rules(&r)
            .violations
            .category("training")
            .expect("cat")
            .fine_max_yuan;
        let fine = NewDecision {
            hazard_id: None,
            kind: Kind::Fine,
            category_key: "training",
            facts: "未按规定开展安全生产教育和培训",
            fine_yuan: Some(limit / 2),
            ..base.clone()
        };
        refused(
            enforcement::decide(&db, &rugao(), &admin(), rules(&r), &fine).await,
            "须记录理由",
        );
        refused(
            enforcement::decide(
                &db,
                &rugao(),
                &admin(),
                rules(&r),
                &NewDecision {
                    fine_yuan: Some(limit + 1),
                    ..fine.clone()
                },
            )
            .await,
            "超过",
        );
        assert!(
            enforcement::list(&db, &Scope::City, &enforcement::Filter::default(), 10, 0)
                .await
                .expect("list")
                .is_empty()
        );
        let f = enforcement::decide(
            &db,
            &rugao(),
            &admin(),
            rules(&r),
            &NewDecision {
                reason: Some("首次违法且已整改"),
                ..fine.clone()
            },
        )
        .await
        .expect("fine with a reason");
        let s = enforcement::decide(
            &db,
            &rugao(),
            &admin(),
            rules(&r),
            &NewDecision {
                hazard_id: Some(major),
                ..base.clone()
            },
        )
        .await
        .expect("suspension");
        // Closure only once the suspended rectification has failed (overdue here).
        refused(
            enforcement::decide(
                &db,
                &rugao(),
                &admin(),
                rules(&r),
                &NewDecision {
                    hazard_id: Some(major),
                    kind: Kind::Closure,
                    ..base.clone()
                },
            )
            .await,
            "整改失败之后",
        );
        let c = enforcement::decide(
            &db,
            &rugao(),
            &admin(),
            rules(&r),
            &NewDecision {
                hazard_id: Some(major),
                kind: Kind::Closure,
                on: date!(2019 - 04 - 01),
                ..base.clone()
            },
        )
        .await
        .expect("closure");
        let all = enforcement::list(&db, &rugao(), &enforcement::Filter::default(), 10, 0)
            .await
            .expect("list");
        assert_eq!(all.iter().map(|d| d.id).collect::<Vec<_>>(), vec![c, s, f]);
        let fined = all.iter().find(|d| d.id == f).expect("fine");
        assert!(
            fined.max_penalty
                && fined.penalty_rule.as_deref() == Some("inspection@1#max_penalty.not_started"),
            "{fined:?}"
        );
        assert_eq!(
            (fined.rule.as_str(), fined.fine_max_yuan),
            ("violations@1#category.training", limit)
        );
        assert!(
            all.iter()
                .find(|d| d.id == s)
                .expect("s")
                .basis
                .contains("六（二）")
        );
        // The recent violation now raises the frequency.
        let subj = inspection_plans::subject_of(&db, e, date!(2019 - 05 - 01), &inspection_set())
            .await
            .expect("ran")
            .expect("s");
        assert!(subj.modifiers.contains(&Modifier::RecentViolation));
        // Another district sees none of it.
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert!(
            enforcement::list(&db, &rudong, &enforcement::Filter::default(), 10, 0)
                .await
                .expect("list")
                .is_empty()
        );
        assert!(
            enforcement::set_typical(&db, &rudong, &admin(), fined.violation_id, true)
                .await
                .is_err()
        );

        // A typical case, a notice drafted for the unit and published.
        enforcement::set_typical(&db, &rugao(), &admin(), all[1].violation_id, true)
            .await
            .expect("typical");
        let codes = vec!["320682".to_string()];
        let set = rules(&r).violations;
        assert!(
            enforcement::draft_notice(
                &db,
                &admin(),
                set,
                "如皋",
                &codes,
                date!(2018 - 01 - 01),
                date!(2018 - 12 - 31)
            )
            .await
            .expect_err("nothing to tell")
            .to_string()
            .contains("没有违法行为记录")
        );
        let n = enforcement::draft_notice(
            &db,
            &admin(),
            set,
            "如皋",
            &codes,
            date!(2019 - 01 - 01),
            date!(2019 - 12 - 31),
        )
        .await
        .expect("draft");
        assert!(
            enforcement::notice(&db, n, false).await.is_err(),
            "a draft is not public"
        );
        let draft = enforcement::notice(&db, n, true).await.expect("draft");
        assert_eq!(draft.total, 3);
        assert!(
            draft
                .counts()
                .contains(&("hazard_not_removed".to_string(), 2)),
            "{:?}",
            draft.counts()
        );
        assert!(
            draft.body.contains("责令停产整顿 1 起") && draft.body.contains("典型案件 1 起"),
            "{}",
            draft.body
        );
        enforcement::publish_notice(&db, &admin(), n, date!(2020 - 01 - 05))
            .await
            .expect("publish");
        assert!(
            enforcement::publish_notice(&db, &admin(), n, date!(2020 - 01 - 06))
                .await
                .is_err()
        );
        let cases = enforcement::notice_cases(&db, n).await.expect("cases");
        assert_eq!(cases.iter().map(|d| d.id).collect::<Vec<_>>(), vec![s]);
        assert_eq!(
            enforcement::notices(&db, false, 10)
                .await
                .expect("public")
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn deadline_jobs_are_delivered_once_by_two_instances() {
    each_backend(|db| async move {
        let r = reference();
        let e = ent(&db, 3, "320682").await;
        let mut ids = Vec::new();
        for n in 0..40 {
            let text = format!("隐患{n}");
            let h = NewHazard {
                description: &text,
                ..finding(e, Level::General, None, "")
            };
            ids.push(
                hazards::register(&db, &rugao(), &admin(), &r.major_hazards, &h)
                    .await
                    .expect("hazard"),
            );
        }
        // One is rectified and written off before its reminder: no notice for it.
        let done = ids[0];
        hazards::step_with_photo(
            &db,
            &rugao(),
            &admin(),
            done,
            Step::Rectify,
            date!(2019 - 03 - 05),
            "已整改",
            Some(PNG),
        )
        .await
        .expect("rectified");
        hazards::step(
            &db,
            &rugao(),
            &admin(),
            done,
            Step::Accept,
            date!(2019 - 03 - 06),
            "验收合格",
        )
        .await
        .expect("closed");
        // Nothing is due before the reminder day.
        assert_eq!(
            queue::work(&db, "a", date!(2019 - 03 - 16))
                .await
                .expect("work")
                .done,
            0
        );
        // Two instances work the reminders at once.
        let (a, b) = tokio::join!(
            queue::work(&db, "a", date!(2019 - 03 - 17)),
            queue::work(&db, "b", date!(2019 - 03 - 17))
        );
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_eq!(a.done + b.done, 40, "{a:?} {b:?}");
        assert_eq!(
            a.delivered + b.delivered,
            39,
            "the written-off hazard is not reminded"
        );
        assert_eq!(a.failed + b.failed, 0);
        // And the escalations, the day after the deadline, to the enterprise and the officers.
        let (a, b) = tokio::join!(
            queue::work(&db, "a", date!(2019 - 03 - 21)),
            queue::work(&db, "b", date!(2019 - 03 - 21))
        );
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_eq!((a.done + b.done, a.delivered + b.delivered), (40, 78));
        assert_eq!(
            queue::counts(&db).await.expect("counts"),
            vec![("done".to_string(), 80)]
        );
        let officer =
            anbiao_store::notify::list(&db, &rugao(), anbiao_store::notify::Audience::Officer, 200)
                .await
                .expect("notes");
        assert_eq!(officer.len(), 39);
        assert!(
            officer
                .iter()
                .all(|n| n.kind == queue::HAZARD_OVERDUE && n.link.starts_with("/hazards/"))
        );
        // A major hazard's plan moves the deadline: the old jobs stand down, new ones are queued.
        let m = hazards::register(
            &db,
            &rugao(),
            &admin(),
            &r.major_hazards,
            &finding(e, Level::Major, Some(ITEM_2017), "有限空间作业未经审批"),
        )
        .await
        .expect("major");
        hazards::plan(
            &db,
            &rugao(),
            &admin(),
            m,
            &FiveFixes {
                measures: "设置警示标志，建立审批制度".into(),
                responsible: "李厂长".into(),
                funds_yuan: Some(20_000),
                deadline: Some(date!(2019 - 05 - 31)),
                contingency: "暂停有限空间作业".into(),
            },
            date!(2019 - 03 - 03),
        )
        .await
        .expect("plan");
        let w = queue::work(&db, "a", date!(2019 - 03 - 21))
            .await
            .expect("work");
        assert_eq!(
            (w.done, w.delivered),
            (2, 0),
            "the jobs of the first deadline deliver nothing"
        );
        let w = queue::work(&db, "a", date!(2019 - 06 - 01))
            .await
            .expect("work");
        assert_eq!((w.done, w.delivered), (2, 3));
    })
    .await;
}

fn rugao_scope_of() -> Scope {
    Scope::Region {
        codes: vec!["320682".into()],
    }
}

fn rudong_scope_of() -> Scope {
    Scope::Region {
        codes: vec!["320623".into()],
    }
}

/// The statistics from the running sums equal those counted from the hazards, after every kind
/// of change (registered, planned, rectified, returned, written off), and after a rebuild.
#[tokio::test]
async fn the_sums_agree_with_the_hazards() {
    each_backend(|db| async move {
        let r = reference();
        let e1 = ent(&db, 4, "320682").await;
        let e2 = ent(&db, 5, "320623").await;
        let compare = |db: Db| async move {
            for year in [2018, 2019] {
                let live = hazards::quarterly(&db, &Scope::City, year, hazards::By::RegionCode)
                    .await
                    .expect("live");
                let sums = hazards::quarterly_from_sums(&db, year, date!(2020 - 01 - 01), None)
                    .await
                    .expect("sums");
                assert_eq!(live, sums, "{year}");
            }
        };
        let mut ids = Vec::new();
        for (n, (e, found, days)) in [
            (e1, date!(2019 - 01 - 20), 30),
            (e1, date!(2019 - 03 - 25), 10),
            (e2, date!(2019 - 06 - 30), 5),
            (e2, date!(2018 - 12 - 01), 60),
            (e1, date!(2019 - 09 - 02), 100),
        ]
        .into_iter()
        .enumerate()
        {
            let text = format!("统计隐患{n}");
            let major = n == 4;
            let id = hazards::register(
                &db,
                &Scope::City,
                &admin(),
                &r.major_hazards,
                &NewHazard {
                    enterprise_id: e,
                    source: "inspection",
                    level: if major { Level::Major } else { Level::General },
                    item_key: major.then_some(ITEM_2017),
                    description: &text,
                    found_on: found,
                    deadline: Some(found + time::Duration::days(days)),
                    photo: None,
                },
            )
            .await
            .expect("hazard");
            ids.push(id);
        }
        compare(db.clone()).await;
        let step = |id, s, on, photo: Option<&'static [u8]>| {
            let db = db.clone();
            async move {
                hazards::step_with_photo(&db, &Scope::City, &admin(), id, s, on, "说明", photo)
                    .await
                    .expect("step");
            }
        };
        step(ids[0], Step::Rectify, date!(2019 - 03 - 01), Some(PNG)).await; // late
        compare(db.clone()).await;
        step(ids[0], Step::Accept, date!(2019 - 04 - 03), None).await; // next quarter
        step(ids[1], Step::Rectify, date!(2019 - 03 - 30), Some(PNG)).await; // in time
        step(ids[1], Step::Return, date!(2019 - 04 - 10), None).await;
        step(ids[3], Step::Rectify, date!(2019 - 01 - 05), Some(PNG)).await;
        step(ids[3], Step::Accept, date!(2019 - 01 - 06), None).await;
        compare(db.clone()).await;
        hazards::plan(
            &db,
            &Scope::City,
            &admin(),
            ids[4],
            &FiveFixes {
                measures: "签订安全管理协议".into(),
                responsible: "厂长".into(),
                funds_yuan: Some(1),
                deadline: Some(date!(2019 - 10 - 15)),
                contingency: "停止外包作业".into(),
            },
            date!(2019 - 09 - 03),
        )
        .await
        .expect("plan");
        compare(db.clone()).await;
        // Per enterprise within 如皋 (counted from the hazards open in the year) the figures add
        // up to the district's.
        let rugao_scope = Scope::Region {
            codes: vec!["320682".into()],
        };
        for year in [2018, 2019] {
            let by_enterprise =
                hazards::quarterly(&db, &rugao_scope, year, hazards::By::Enterprise)
                    .await
                    .expect("per enterprise");
            assert!(by_enterprise.iter().all(|(k, _)| *k == e1.to_string()));
            let district = hazards::quarterly(&db, &rugao_scope, year, hazards::By::RegionCode)
                .await
                .expect("district");
            assert_eq!(
                by_enterprise
                    .into_iter()
                    .map(|(_, q)| q)
                    .collect::<Vec<_>>(),
                district.into_iter().map(|(_, q)| q).collect::<Vec<_>>(),
                "{year}"
            );
        }
        // The kept ranking pages through the same enterprises in the same order, with the same
        // figures, as counting them; after a rebuild of the sums too.
        let rudong_scope = rudong_scope_of();
        let pages = |db: Db| async move {
            let mut out = Vec::new();
            for scope in [rugao_scope_of(), rudong_scope_of()] {
                for year in [2018, 2019, 2020] {
                    let a =
                        hazards::enterprise_page(&db, &scope, year, date!(2020 - 06 - 01), 0, 1)
                            .await
                            .expect("page");
                    let b =
                        hazards::enterprise_page(&db, &scope, year, date!(2020 - 06 - 01), 1, 10)
                            .await
                            .expect("page");
                    out.push((a, b));
                }
            }
            out
        };
        let before = pages(db.clone()).await;
        for (i, (scope, year)) in [rugao_scope.clone(), rudong_scope.clone()]
            .into_iter()
            .flat_map(|s| [2018, 2019, 2020].map(|y| (s.clone(), y)))
            .enumerate()
        {
            let (a, b) = &before[i];
            let mut counted = hazards::quarterly(&db, &scope, year, hazards::By::Enterprise)
                .await
                .expect("counted");
            let found = |q: &[hazards::Quarter; 4]| -> i64 {
                q.iter().map(|x| x.found_general + x.found_major).sum()
            };
            counted.sort_by(|x, y| {
                found(&y.1).cmp(&found(&x.1)).then(
                    x.0.parse::<i64>()
                        .unwrap_or(0)
                        .cmp(&y.0.parse().unwrap_or(0)),
                )
            });
            let paged: Vec<_> = a.rows.iter().chain(b.rows.iter()).cloned().collect();
            assert_eq!(a.enterprises, counted.len() as i64, "{scope:?} {year}");
            assert_eq!(a.more, counted.len() > 1, "{scope:?} {year}");
            assert_eq!(
                paged
                    .iter()
                    .map(|(id, _)| id.to_string())
                    .collect::<Vec<_>>(),
                counted.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                "{scope:?} {year}"
            );
            // Whole quarters before the day agree with counting; so does the total.
            let quarters = if year < 2020 { 4 } else { 1 };
            for ((_, p), (_, c)) in paged.iter().zip(counted.iter()) {
                assert_eq!(p[..quarters], c[..quarters], "{scope:?} {year}");
            }
            let mut total: [hazards::Quarter; 4] = Default::default();
            for (_, qs) in &counted {
                for (t, q) in total.iter_mut().zip(qs.iter()) {
                    t.add(q);
                }
            }
            assert_eq!(a.total[..quarters], total[..quarters], "{scope:?} {year}");
        }
        // 如皋 in 2020: only the hazard found in 2019 and still open.
        assert_eq!(
            before[2].0.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![e1]
        );
        hazards::rebuild_sums(&db).await.expect("rebuild");
        assert_eq!(pages(db.clone()).await, before);
        // A unit's plan read as of a past day sees a hazard written off since as open then:
        // overdue on 2019-02-25 (deadline 02-19, reported done 03-01, written off 04-03).
        enterprise::set_life(
            &db,
            &Scope::City,
            &admin(),
            e1,
            date!(2010 - 01 - 01),
            None,
            "工商登记",
        )
        .await
        .expect("life");
        let read = |on| {
            let db = db.clone();
            async move {
                inspection_plans::subjects(&db, "如皋", on, &inspection_set())
                    .await
                    .expect("subjects")
                    .into_iter()
                    .find(|s| s.enterprise_id == e1)
                    .expect("e1 operating in 如皋")
                    .modifiers
            }
        };
        assert_eq!(
            read(date!(2019 - 02 - 25)).await,
            vec![Modifier::OverdueHazard]
        );
        assert_eq!(read(date!(2019 - 03 - 05)).await, Vec::<Modifier>::new());
        // The second, returned on 04-10 after its deadline, is overdue again.
        assert_eq!(
            read(date!(2019 - 09 - 10)).await,
            vec![Modifier::OpenMajorHazard, Modifier::OverdueHazard]
        );
        let q = hazards::quarterly_from_sums(&db, 2019, date!(2020 - 01 - 01), None)
            .await
            .expect("sums");
        let rugao = q
            .iter()
            .find(|(k, _)| k == "320682")
            .expect("rugao")
            .1
            .clone();
        assert_eq!((rugao[0].found_general, rugao[0].overdue_at_end), (2, 0));
        assert_eq!(
            (rugao[1].closed, rugao[1].overdue_at_end),
            (1, 1),
            "{rugao:?}"
        );
        assert_eq!(
            (rugao[3].open_at_end, rugao[3].overdue_at_end),
            (2, 2),
            "{rugao:?}"
        );
        // The leading figures (today's: after every step above) from the sums equal those
        // counted, for the city and a district.
        for scope in [
            Scope::City,
            Scope::Region {
                codes: vec!["320682".into()],
            },
            Scope::Region {
                codes: vec!["320623".into()],
            },
        ] {
            for on in [date!(2019 - 12 - 31), date!(2020 - 06 - 01)] {
                let sums = hazards::summary(&db, &scope, on).await.expect("sums");
                let counted = hazards::counted_summary(&db, &scope, on)
                    .await
                    .expect("counted");
                assert_eq!(sums, counted, "{scope:?} {on}");
            }
        }
        // Lists by state and level (through the partial indexes) and by state alone.
        let by = |level, state| hazards::Filter {
            level,
            state,
            ..Default::default()
        };
        let planned_major = hazards::list(
            &db,
            &Scope::City,
            &by(
                Some(Level::Major),
                Some(anbiao_domain::hazard::State::Planned),
            ),
            10,
            0,
        )
        .await
        .expect("list");
        assert_eq!(
            planned_major.iter().map(|l| l.id).collect::<Vec<_>>(),
            vec![ids[4]]
        );
        let open = hazards::list(
            &db,
            &Scope::City,
            &by(
                Some(Level::General),
                Some(anbiao_domain::hazard::State::Open),
            ),
            10,
            0,
        )
        .await
        .expect("list");
        assert_eq!(
            open.iter().map(|l| l.id).collect::<Vec<_>>(),
            vec![ids[2], ids[1]],
            "newest first"
        );
        // A rebuild from the hazards gives the same sums; the current quarter reads as of today.
        hazards::rebuild_sums(&db).await.expect("rebuild");
        compare(db.clone()).await;
        let partial = hazards::quarterly_from_sums(&db, 2019, date!(2019 - 05 - 01), None)
            .await
            .expect("sums");
        let rugao = partial
            .iter()
            .find(|(k, _)| k == "320682")
            .expect("rugao")
            .1
            .clone();
        assert_eq!(
            rugao[2],
            hazards::Quarter::default(),
            "a quarter to come has no figures"
        );
        assert_eq!(rugao[1].closed, 1);
    })
    .await;
}

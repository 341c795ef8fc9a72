//! Annual inspection plans: officers and conflicts, statuses from the records, the draw stored
//! with its seed and rule.

use anbiao_domain::Role;
use anbiao_domain::Scope;
use anbiao_domain::grade::Grade;
use anbiao_domain::supervision::Status;
use anbiao_store::inspection_plans::{self, NewPlan};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, StoreError, accident, certificate, enterprise};
use time::macros::date;

use crate::account::{admin, create, user};
use crate::{code, input};

async fn ent(db: &Db, n: u32) -> i64 {
    let id = enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(
            &code("320682", 700 + n),
            &format!("检查对象{n:02}厂"),
            "320682",
            "JX",
            "900",
            "40",
        ),
    )
    .await
    .expect("enterprise");
    enterprise::set_life(
        db,
        &Scope::City,
        &admin(),
        id,
        date!(2010 - 01 - 01),
        None,
        "工商登记",
    )
    .await
    .expect("life");
    id
}

/// An inspection on a complaint with every checklist item compliant.
fn complaint(
    checklist: &anbiao_domain::checklist::ChecklistSet,
    enterprise_id: i64,
    on: time::Date,
) -> anbiao_store::inspections::NewInspection<'_> {
    anbiao_store::inspections::NewInspection {
        enterprise_id,
        kind: anbiao_store::inspections::Kind::Complaint,
        on,
        officers: vec!["zf_a".into(), "zf_b".into()],
        checklist,
        answers: checklist
            .items
            .iter()
            .map(|i| {
                (
                    i.key.clone(),
                    anbiao_domain::checklist::Answer::Compliant,
                    String::new(),
                )
            })
            .collect(),
        gap_answers: Vec::new(),
        summary: "",
        findings: Vec::new(),
    }
}

#[tokio::test]
async fn a_unit_draws_its_inspection_plan_from_the_rules() {
    each_backend(|db| async move {
        let rules = anbiao_domain::ReferenceData::embedded()
            .expect("reference")
            .inspection;
        let set = rules.in_force(date!(2019 - 01 - 02)).expect("set");
        let mut ids = Vec::new();
        for n in 0..40 {
            ids.push(ent(&db, n).await);
        }
        // 0–19 hold 三级, 20 holds 一级, 21 had an accident in 2018, the rest never started.
        for (i, id) in ids.iter().enumerate().take(21) {
            certificate::issue(
                &db,
                &admin(),
                &certificate::NewCertificate {
                    enterprise_id: *id,
                    case_id: None,
                    grade: if i == 20 { Grade::One } else { Grade::Three },
                    industry: "JX".into(),
                    issuer: "如皋市应急管理局".into(),
                    external: i == 20,
                    issued_on: date!(2018 - 01 - 10),
                    valid_until: date!(2021 - 01 - 09),
                    rule: "grading.2014@1#validity".into(),
                    region_abbr: '苏',
                    number: None,
                },
            )
            .await
            .expect("certificate");
        }
        accident::record(
            &db,
            &Scope::City,
            &admin(),
            ids[21],
            &anbiao_domain::rules::Accident {
                occurred_on: date!(2018 - 10 - 01),
                deaths: 0,
                serious_injuries: 1,
                direct_loss_yuan: 200_000,
            },
            "机械伤害，1人重伤",
        )
        .await
        .expect("accident");

        for name in ["zf_a", "zf_b", "zf_c"] {
            create(&db, &user(name, Role::DistrictOfficer, Some("320682")))
                .await
                .expect("officer account");
        }
        create(
            &db,
            &user("zf_rudong", Role::DistrictOfficer, Some("320623")),
        )
        .await
        .expect("account");
        create(&db, &user("city_x", Role::CityOfficer, None))
            .await
            .expect("account");
        for (who, why) in [
            ("city_x", "不是县区或乡镇监管人员"),
            ("zf_rudong", "不属于如皋"),
            ("nobody", "不存在"),
        ] {
            let e = inspection_plans::set_officer(&db, &admin(), who, "如皋", 20, true)
                .await
                .expect_err(why);
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
        inspection_plans::set_officer(&db, &admin(), "zf_a", "如皋", 30, true)
            .await
            .expect("officer");
        let plan = |seed| NewPlan {
            unit: "如皋",
            year: 2019,
            seed,
            on: date!(2019 - 01 - 02),
            set,
        };
        let e = inspection_plans::create(&db, &admin(), &plan(42))
            .await
            .expect_err("one officer");
        assert!(e.to_string().contains("执法人员不足"), "{e}");
        for name in ["zf_b", "zf_c"] {
            inspection_plans::set_officer(&db, &admin(), name, "如皋", 30, true)
                .await
                .expect("officer");
        }
        inspection_plans::declare_conflict(
            &db,
            &admin(),
            "zf_a",
            ids[30],
            "近亲属任该企业负责人",
            date!(2018 - 12 - 01),
        )
        .await
        .expect("conflict");

        // One enterprise inspected every month before the plan is drawn: the plan counts the
        // months it already has.
        let r = crate::reference();
        let checklist = r
            .checklists
            .in_force(date!(2019 - 01 - 02))
            .expect("checklist");
        for m in 1..=12u8 {
            anbiao_store::inspections::record(
                &db,
                &Scope::City,
                &admin(),
                &r.major_hazards,
                &complaint(
                    checklist,
                    ids[35],
                    date!(2019 - 01 - 05)
                        .replace_month(time::Month::try_from(m).expect("month"))
                        .expect("day"),
                ),
            )
            .await
            .expect("inspection");
        }
        let (id, drawn) = inspection_plans::create(&db, &admin(), &plan(42))
            .await
            .expect("plan");
        assert!(drawn.unassigned.is_empty());
        let again = inspection_plans::create(&db, &admin(), &plan(7))
            .await
            .expect_err("once a year");
        assert!(matches!(again, StoreError::Conflict(_)), "{again}");
        let row = inspection_plans::get(&db, "如皋", 2019)
            .await
            .expect("ran")
            .expect("stored");
        assert_eq!(
            (row.seed.as_str(), row.rule.as_str(), row.enterprises),
            ("42", "inspection@1", 40)
        );
        // Of the 21 not in key supervision (20 三级 and the 一级), ⌈5 %⌉ = 2 are drawn.
        assert_eq!((row.random_pool, row.random_drawn), (21, 2));

        let lines = inspection_plans::lines(&db, &Scope::City, id, None, 100, 0)
            .await
            .expect("lines");
        let line = |e: i64| lines.iter().find(|l| l.enterprise_id == e);
        let never = line(ids[35]).expect("never started");
        assert_eq!(
            (
                never.status,
                never.visits,
                never.key_unit,
                never.max_penalty
            ),
            (Status::NotStarted, 4, true, true)
        );
        assert!(
            never.explanation(set).starts_with("未开展标准化：每年4次"),
            "{}",
            never.explanation(set)
        );
        let hurt = line(ids[21]).expect("accident");
        assert_eq!(hurt.visits, 6, "{}", hurt.explanation(set));
        assert!(
            hurt.explanation(set)
                .contains("统计期内发生生产安全事故：+2")
        );
        let three = line(ids[3]).expect("三级");
        assert_eq!(three.status, Status::GradeThree);
        assert_eq!(three.visits, 1 + i64::from(three.drawn));
        assert!(
            line(ids[20]).is_none_or(|l| l.drawn),
            "一级: no routine visit unless drawn"
        );
        for l in &lines {
            for (m, who) in l.visits() {
                assert!((1..=12).contains(&m));
                assert_eq!(who.len(), 2, "{l:?}");
                if l.enterprise_id == ids[30] {
                    assert!(!who.contains(&"zf_a".to_string()), "declared conflict");
                }
            }
        }
        let total: i64 = lines.iter().map(|l| l.visits).sum();
        assert_eq!(total, row.visits);
        // The calendar: a month lists the lines with a visit in it.
        let march = inspection_plans::lines(&db, &Scope::City, id, Some(3), 100, 0)
            .await
            .expect("march");
        assert!(
            march
                .iter()
                .all(|l| l.visits().iter().any(|(m, _)| *m == 3))
        );
        let in_march = lines
            .iter()
            .filter(|l| l.visits().iter().any(|(m, _)| *m == 3))
            .count();
        assert_eq!(march.len(), in_march);

        // The month's figures the workbench reads are running sums; they agree with the lines
        // and the inspections counted, in every month and scope, as inspections are recorded.
        let inspect = |e: i64, on: time::Date| {
            let db = db.clone();
            let r = r.clone();
            async move {
                let checklist = r.checklists.in_force(on).expect("checklist");
                anbiao_store::inspections::record(
                    &db,
                    &Scope::City,
                    &admin(),
                    &r.major_hazards,
                    &complaint(checklist, e, on),
                )
                .await
                .expect("inspection")
            }
        };
        let scopes = [
            Scope::City,
            Scope::Region {
                codes: vec!["320682".into()],
            },
            Scope::Region {
                codes: vec!["320623".into()],
            },
        ];
        let agree = |why: &'static str| {
            let db = db.clone();
            let scopes = scopes.clone();
            async move {
                for scope in &scopes {
                    for m in 1..=12u8 {
                        assert_eq!(
                            inspection_plans::month_progress(&db, scope, 2019, m)
                                .await
                                .expect("sums"),
                            inspection_plans::month_progress_counted(&db, scope, 2019, m)
                                .await
                                .expect("counted"),
                            "{why}: month {m}, {scope:?}"
                        );
                    }
                }
            }
        };
        agree("as drawn").await;
        let (planned, before) = inspection_plans::month_progress(&db, &Scope::City, 2019, 3)
            .await
            .expect("march");
        let never_in_march = march.iter().any(|l| l.enterprise_id == ids[35]);
        assert_eq!(
            (planned, before),
            (in_march as i64, i64::from(never_in_march))
        );
        // Two inspections of one planned enterprise in its month count once; one in a month
        // without a visit for it counts nowhere.
        let first = march
            .iter()
            .find(|l| l.enterprise_id != ids[35])
            .expect("a line in March");
        let other_month = (1..=12u8)
            .find(|m| !first.visits().iter().any(|(v, _)| v == m))
            .expect("a month without a visit");
        inspect(first.enterprise_id, date!(2019 - 03 - 05)).await;
        inspect(first.enterprise_id, date!(2019 - 03 - 28)).await;
        inspect(
            first.enterprise_id,
            date!(2019 - 01 - 01)
                .replace_month(time::Month::try_from(other_month).expect("month"))
                .expect("day"),
        )
        .await;
        agree("after inspections").await;
        assert_eq!(
            inspection_plans::month_progress(&db, &Scope::City, 2019, 3)
                .await
                .expect("march"),
            (in_march as i64, before + 1)
        );
    })
    .await;
}

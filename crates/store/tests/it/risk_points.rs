//! Risk registers written in bulk: every point and its creation event, and running sums that
//! equal counting the points.

use anbiao_domain::Scope;
use anbiao_domain::risk_point::PointDraft;
use anbiao_store::risk_points::{self, BulkPoint};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, enterprise};
use time::macros::date;

use crate::account::admin;
use crate::{code, input, reference};

async fn ent(db: &Db, n: u32) -> i64 {
    enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(
            &code("320682", 700 + n),
            &format!("风险测试{n}厂"),
            "320682",
            "JX",
            "900",
            "40",
        ),
    )
    .await
    .expect("enterprise")
}

fn draft(name: &str, c: &str, measures: bool) -> PointDraft {
    PointDraft {
        name: name.into(),
        kind: "equipment".into(),
        hazards: "旋转部件".into(),
        accident_types: vec!["机械伤害".into()],
        method: "lec".into(),
        factors: vec![
            ("L".into(), "3".into()),
            ("E".into(), "6".into()),
            ("C".into(), c.into()),
        ],
        responsible: "陈立新".into(),
        measures: if measures {
            vec![("engineering".into(), "防护罩".into())]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn points_written_in_bulk_have_their_events_and_sums_that_equal_counting() {
    each_backend(|db| async move {
        let (a, b) = (ent(&db, 1).await, ent(&db, 2).await);
        let on = date!(2026 - 06 - 01);
        let r = reference();
        let set = r.risk.in_force(on).expect("rules");
        let bulk = |e: i64, name: &str, c: &str, measures: bool| BulkPoint {
            enterprise_id: e,
            region_code: "320682".into(),
            point: draft(name, c, measures).validate(set).expect("valid"),
            on,
            due: date!(2026 - 06 - 30),
        };
        // a: 较大 (270) and 低 (54, no measures); b: 较大.
        let points = vec![
            bulk(a, "冲床", "15", true),
            bulk(a, "砂轮机", "3", false),
            bulk(b, "冲床", "15", true),
        ];
        let n = risk_points::insert_many(&db, &admin(), &points)
            .await
            .expect("bulk");
        assert_eq!(n, 3);
        let reg = risk_points::of_enterprise(&db, &Scope::City, a)
            .await
            .expect("register");
        assert_eq!(reg.len(), 2);
        assert_eq!(
            (reg[0].level.as_str(), reg[0].next_check_due.as_str()),
            ("high", "2026-06-30")
        );
        let events = risk_points::events(&db, &Scope::City, reg[1].id)
            .await
            .expect("events");
        assert_eq!(events.len(), 1);
        assert!(
            events[0].note.starts_with("辨识风险点“砂轮机”"),
            "{events:?}"
        );
        let figure = |sums: &[risk_points::LevelSum], level: &str| {
            sums.iter()
                .find(|s| s.level == level)
                .map(|s| (s.enterprises, s.points))
        };
        let sums = risk_points::sums(&db, &Scope::City).await.expect("sums");
        assert_eq!(figure(&sums, "high"), Some((2, 2)));
        assert_eq!(figure(&sums, "low"), Some((1, 1)));
        assert_eq!(figure(&sums, risk_points::ANY_LEVEL), Some((2, 3)));
        assert_eq!(figure(&sums, risk_points::UNCONTROLLED), Some((1, 1)));
        assert_eq!(figure(&sums, risk_points::OVERDUE), None);
        // Overdue from 1 July: two points at a, one at b.
        let r = anbiao_store::risk_checks::mark_overdue(&db, date!(2026 - 07 - 01), &[])
            .await
            .expect("job");
        assert_eq!((r.points, r.enterprises, r.notices), (3, 2, 2));
        let sums = risk_points::sums(&db, &Scope::City).await.expect("sums");
        assert_eq!(figure(&sums, risk_points::OVERDUE), Some((2, 3)));
    })
    .await;
}

/// An uncontrolled 重大 risk (no measures, or an overdue check) adds to an enterprise's routine
/// inspections from the version of the frequency rules that names it, with its reason in words.
#[tokio::test]
async fn an_uncontrolled_major_risk_adds_an_inspection_from_the_rules_that_name_it() {
    use anbiao_domain::supervision::Modifier;
    each_backend(|db| async move {
        let e = ent(&db, 3).await;
        let r = reference();
        let on = date!(2026 - 12 - 10);
        let set = r.risk.in_force(on).expect("rules");
        let mut major = draft("集水井", "15", false);
        major.direct = vec!["confined_space".into()];
        let point = BulkPoint {
            enterprise_id: e,
            region_code: "320682".into(),
            point: major.validate(set).expect("valid"),
            on,
            due: date!(2026 - 12 - 31),
        };
        assert_eq!(point.point.assessment.level, "major");
        risk_points::insert_many(&db, &admin(), &[point])
            .await
            .expect("bulk");
        let (v1, v2) = (
            r.inspection.in_force(date!(2026 - 01 - 01)).expect("v1"),
            r.inspection.in_force(on).expect("v2"),
        );
        let subject = |set| {
            let db = db.clone();
            async move {
                anbiao_store::inspection_plans::subject_of(&db, e, on, set)
                    .await
                    .expect("ran")
                    .expect("subject")
            }
        };
        assert!(
            !subject(v1)
                .await
                .modifiers
                .contains(&Modifier::UncontrolledMajorRisk)
        );
        let s = subject(v2).await;
        assert!(
            s.modifiers.contains(&Modifier::UncontrolledMajorRisk),
            "{s:?}"
        );
        let f = v2.frequency(s.status, &s.modifiers);
        let plain = v2.frequency(s.status, &[]);
        assert_eq!(f.visits, plain.visits + 1);
        assert!(
            f.explanation.contains("存在管控措施未落实的重大风险：+1"),
            "{}",
            f.explanation
        );
    })
    .await;
}

/// The daily job reads the tasks fallen overdue in batches from where the last one stopped: a
/// batch boundary inside one enterprise's tasks of one due day marks each task once, tells the
/// enterprise once, and leaves running sums equal to counting the points; the register flag that
/// leads the list of enterprises without a register follows the points.
#[tokio::test]
async fn the_daily_job_marks_every_overdue_task_once_across_batches() {
    each_backend(|db| async move {
        let (a, b, c, d) = (
            ent(&db, 11).await,
            ent(&db, 12).await,
            ent(&db, 13).await,
            ent(&db, 14).await,
        );
        let on = date!(2026 - 06 - 01);
        let set = reference().risk.in_force(on).expect("rules").clone();
        let high = draft("冲床", "15", true).validate(&set).expect("valid");
        let many = |e: i64, n: usize, due: time::Date| {
            let high = high.clone();
            (0..n).map(move |i| BulkPoint {
                enterprise_id: e,
                region_code: "320682".into(),
                // Names are unique in a register.
                point: anbiao_domain::risk_point::ValidPoint {
                    name: format!("冲床 {i} 号"),
                    ..high.clone()
                },
                on,
                due,
            })
        };
        // a: 2,300 tasks due 29 June (more than one batch of 2,000), b: 1,000 due 30 June,
        // c: 1,200 due 5 July.
        let points: Vec<BulkPoint> = many(a, 2_300, date!(2026 - 06 - 29))
            .chain(many(b, 1_000, date!(2026 - 06 - 30)))
            .chain(many(c, 1_200, date!(2026 - 07 - 05)))
            .collect();
        risk_points::insert_many(&db, &admin(), &points)
            .await
            .expect("bulk");
        let without: Vec<i64> = risk_points::without_register(&db, &Scope::City, 50)
            .await
            .expect("list")
            .iter()
            .map(|w| w.enterprise_id)
            .collect();
        assert!(without.contains(&d), "{without:?}");
        assert!(
            ![a, b, c].iter().any(|e| without.contains(e)),
            "{without:?}"
        );
        let escalate = vec!["high".to_string()];
        let r = anbiao_store::risk_checks::mark_overdue(&db, date!(2026 - 07 - 01), &escalate)
            .await
            .expect("job");
        // Each enterprise is told once, and its officers too (较大).
        assert_eq!((r.points, r.enterprises, r.notices), (3_300, 2, 4));
        let overdue = |sums: &[risk_points::LevelSum]| {
            sums.iter()
                .find(|s| s.level == risk_points::OVERDUE)
                .map(|s| (s.enterprises, s.points))
        };
        let kept = risk_points::sums(&db, &Scope::City).await.expect("sums");
        assert_eq!(overdue(&kept), Some((2, 3_300)));
        risk_points::rebuild_sums(&db).await.expect("rebuild");
        let counted = risk_points::sums(&db, &Scope::City).await.expect("sums");
        assert_eq!(kept, counted);
        let again = anbiao_store::risk_checks::mark_overdue(&db, date!(2026 - 07 - 01), &escalate)
            .await
            .expect("again");
        assert_eq!(again.points, 0);
        let later = anbiao_store::risk_checks::mark_overdue(&db, date!(2026 - 07 - 06), &escalate)
            .await
            .expect("later");
        assert_eq!((later.points, later.enterprises), (1_200, 1));
        // d identifies a point: it leaves the list through the flag kept with the sums.
        risk_points::create(
            &db,
            &Scope::City,
            &admin(),
            d,
            &high,
            on,
            date!(2026 - 07 - 31),
        )
        .await
        .expect("d");
        let without = risk_points::without_register(&db, &Scope::City, 50)
            .await
            .expect("list");
        assert!(without.iter().all(|w| w.enterprise_id != d), "{without:?}");
    })
    .await;
}

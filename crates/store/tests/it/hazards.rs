//! Hidden hazards: registration, the general and major paths, photos as evidence, scope.

use anbiao_domain::Scope;
use anbiao_domain::hazard::{FiveFixes, Level, State, Step};
use anbiao_domain::major_hazard::MajorHazardBook;
use anbiao_store::hazards::{self, NewHazard};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, StoreError, enterprise};
use time::macros::date;

use crate::account::admin;
use crate::{code, input};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];

async fn ent(db: &Db, n: u32, region: &str) -> i64 {
    enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(
            &code(region, 900 + n),
            &format!("隐患测试{n}厂"),
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

#[tokio::test]
async fn general_and_major_hazards_go_from_discovery_to_write_off() {
    each_backend(|db| async move {
        let book = MajorHazardBook::embedded().expect("standards");
        let e = ent(&db, 1, "320682").await;
        let base = NewHazard {
            enterprise_id: e,
            source: "inspection",
            level: Level::General,
            item_key: None,
            description: "配电箱未接地，电缆破损",
            found_on: date!(2019 - 03 - 01),
            deadline: Some(date!(2019 - 03 - 10)),
            photo: Some(JPEG),
        };
        let refused = |r: Result<i64, StoreError>, why: &str| {
            let e = r.expect_err(why).to_string();
            assert!(e.contains(why), "{why}: {e}");
        };
        refused(
            hazards::register(
                &db,
                &rugao(),
                &admin(),
                &book,
                &NewHazard {
                    deadline: None,
                    ..base.clone()
                },
            )
            .await,
            "请规定整改期限",
        );
        refused(
            hazards::register(
                &db,
                &rugao(),
                &admin(),
                &book,
                &NewHazard {
                    photo: Some(b"%PDF-1.4"),
                    ..base.clone()
                },
            )
            .await,
            "JPEG 或 PNG",
        );
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert!(matches!(
            hazards::register(&db, &rudong, &admin(), &book, &base).await,
            Err(StoreError::NotFound)
        ));
        let g = hazards::register(&db, &rugao(), &admin(), &book, &base)
            .await
            .expect("general");
        let h = hazards::get(&db, &rugao(), g).await.expect("get");
        assert!(h.overdue_on(date!(2019 - 03 - 11)) && !h.overdue_on(date!(2019 - 03 - 10)));
        let e1 = hazards::step(
            &db,
            &rugao(),
            &admin(),
            g,
            Step::Rectify,
            date!(2019 - 03 - 08),
            "已整改",
        )
        .await
        .expect_err("no photo");
        assert!(e1.to_string().contains("整改后的照片"), "{e1}");
        hazards::add_photo(&db, &rugao(), &admin(), g, "after", PNG)
            .await
            .expect("photo");
        assert_eq!(
            hazards::step(
                &db,
                &rugao(),
                &admin(),
                g,
                Step::Rectify,
                date!(2019 - 03 - 08),
                "已整改"
            )
            .await
            .expect("rectified"),
            State::Rectified
        );
        assert_eq!(
            hazards::step(
                &db,
                &rugao(),
                &admin(),
                g,
                Step::Accept,
                date!(2019 - 03 - 12),
                "现场复核合格"
            )
            .await
            .expect("closed"),
            State::Closed
        );
        let h = hazards::get(&db, &rugao(), g).await.expect("get");
        assert_eq!(
            (h.state, h.closed_on.as_deref()),
            (State::Closed, Some("2019-03-12"))
        );
        assert!(!h.overdue_on(date!(2019 - 04 - 01)));
        let photos = hazards::photos(&db, &rugao(), g).await.expect("photos");
        assert_eq!(
            photos
                .iter()
                .map(|p| (p.phase.as_str(), p.content_type.as_str()))
                .collect::<Vec<_>>(),
            [("before", "image/jpeg"), ("after", "image/png")]
        );
        let (kind, bytes) = hazards::photo(&db, &rugao(), g, photos[1].id)
            .await
            .expect("bytes");
        assert_eq!((kind.as_str(), bytes.as_slice()), ("image/png", PNG));
        assert!(matches!(
            hazards::photo(&db, &rudong, g, photos[1].id).await,
            Err(StoreError::NotFound)
        ));
        hazards::add_photo(&db, &rugao(), &admin(), g, "after", PNG)
            .await
            .expect_err("written off");

        // Major: an item of the 2017 standard, the 五定 plan, a return, then the write-off.
        let major = NewHazard {
            level: Level::Major,
            description: "有限空间作业未审批",
            deadline: Some(date!(2019 - 06 - 30)),
            photo: None,
            ..base.clone()
        };
        refused(
            hazards::register(&db, &rugao(), &admin(), &book, &major).await,
            "须对应",
        );
        refused(
            hazards::register(
                &db,
                &rugao(),
                &admin(),
                &book,
                &NewHazard {
                    item_key: Some("专项类/有限空间作业相关的/9"),
                    ..major.clone()
                },
            )
            .await,
            "没有条款",
        );
        let m = hazards::register(
            &db,
            &rugao(),
            &admin(),
            &book,
            &NewHazard {
                item_key: Some("专项类/有限空间作业相关的/2"),
                ..major.clone()
            },
        )
        .await
        .expect("major");
        assert_eq!(
            hazards::get(&db, &rugao(), m)
                .await
                .expect("get")
                .standard_id
                .as_deref(),
            Some("major_hazard.2017")
        );
        hazards::add_photo(&db, &rugao(), &admin(), m, "after", JPEG)
            .await
            .expect("photo");
        let e2 = hazards::step(
            &db,
            &rugao(),
            &admin(),
            m,
            Step::Rectify,
            date!(2019 - 04 - 01),
            "",
        )
        .await
        .expect_err("plan first");
        assert!(e2.to_string().contains("不能报告整改完成"), "{e2}");
        let five = FiveFixes {
            measures: "建立有限空间作业审批制度，配置气体检测仪".into(),
            responsible: "李安全".into(),
            funds_yuan: None,
            deadline: Some(date!(2019 - 05 - 31)),
            contingency: "作业前通风检测，设监护人".into(),
        };
        let e3 = hazards::plan(&db, &rugao(), &admin(), m, &five, date!(2019 - 03 - 05))
            .await
            .expect_err("funds");
        assert!(e3.to_string().contains("整改资金"), "{e3}");
        hazards::plan(
            &db,
            &rugao(),
            &admin(),
            m,
            &FiveFixes {
                funds_yuan: Some(80_000),
                ..five
            },
            date!(2019 - 03 - 05),
        )
        .await
        .expect("planned");
        let h = hazards::get(&db, &rugao(), m).await.expect("get");
        assert!(
            h.overdue_on(date!(2019 - 06 - 01)),
            "the plan's deadline counts"
        );
        for (s, note, want) in [
            (Step::Rectify, "已建立制度", Ok(State::Rectified)),
            (Step::Return, " ", Err("退回须说明理由")),
            (Step::Return, "现场仍无检测仪", Ok(State::Planned)),
            (Step::Rectify, "已购置检测仪", Ok(State::Rectified)),
            (Step::Accept, "验收合格", Ok(State::Closed)),
        ] {
            let got =
                hazards::step(&db, &rugao(), &admin(), m, s, date!(2019 - 05 - 20), note).await;
            match want {
                Ok(st) => assert_eq!(got.expect("step"), st),
                Err(why) => assert!(got.expect_err(why).to_string().contains(why)),
            }
        }
    })
    .await;
}

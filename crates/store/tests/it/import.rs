use anbiao_domain::{Role, Scope};
use anbiao_store::enterprise::{self, Actor, Filter};
use anbiao_store::import::{self, ImportOptions, ImportRow, Rejection};
use anbiao_store::testing::each_backend;

use crate::{code, input, reference};

fn rows() -> Vec<ImportRow> {
    vec![
        ImportRow {
            row: 3,
            input: input(&code("320682", 20), "甲公司", "如皋", "机械", "100", "10"),
        },
        ImportRow {
            row: 4,
            input: input(&code("320682", 21), "乙公司", "如皋", "纺织", "200", "20"),
        },
        ImportRow {
            row: 5,
            input: input(&code("320623", 22), "丙公司", "如东", "轻工", "300", "30"),
        },
        ImportRow {
            row: 6,
            input: input(
                &code("320682", 20),
                "甲公司重复",
                "如皋",
                "机械",
                "100",
                "10",
            ),
        },
    ]
}

fn actor() -> Actor {
    Actor::new("importer", "import:名录.xlsx")
}

#[tokio::test]
async fn creates_updates_and_reports() {
    each_backend(|db| async move {
        let noop = |_, _| {};
        // The progress reported: the rows written so far out of the rows to write.
        let seen = std::sync::Mutex::new(Vec::new());
        let record = |done, total| seen.lock().expect("lock").push((done, total));
        let out = import::import(
            &db,
            &Scope::City,
            &actor(),
            rows(),
            vec![],
            ImportOptions::default(),
            &record,
        )
        .await
        .expect("imported");
        assert_eq!((out.imported, out.updated), (3, 0));
        let seen = seen.into_inner().expect("lock");
        assert_eq!(seen.first(), Some(&(0, 3)), "the total first: {seen:?}");
        assert_eq!(seen.last(), Some(&(3, 3)), "{seen:?}");
        assert_eq!(
            out.rejected,
            [Rejection {
                row: 6,
                column: "统一社会信用代码".into(),
                reason: "与第3行的统一社会信用代码重复".into()
            }]
        );
        // The same file again, with one change: updates by credit code.
        let mut again = rows();
        again.truncate(3);
        again[1].input.employees = Some(25);
        let out = import::import(
            &db,
            &Scope::City,
            &actor(),
            again,
            vec![],
            ImportOptions::default(),
            &noop,
        )
        .await
        .expect("imported");
        assert_eq!((out.imported, out.updated, out.rejected.len()), (0, 3, 0));
        let all = enterprise::list_all(&db, &Scope::City, &Filter::default(), 100)
            .await
            .expect("list");
        assert_eq!(all.len(), 3);
        let yi = all.iter().find(|e| e.name == "乙公司").expect("乙");
        assert_eq!(yi.employees, Some(25));
        let h = enterprise::history(&db, &Scope::City, yi.id)
            .await
            .expect("history");
        assert_eq!(h[0].field, "employees");
        assert_eq!(h[0].source, "import:名录.xlsx");
    })
    .await;
}

#[tokio::test]
async fn all_or_nothing_writes_nothing_and_scope_is_enforced() {
    each_backend(|db| async move {
        let noop = |_, _| {};
        let given = vec![Rejection {
            row: 9,
            column: "从业人数".into(),
            reason: "应为数字".into(),
        }];
        let out = import::import(
            &db,
            &Scope::City,
            &actor(),
            rows(),
            given,
            ImportOptions {
                all_or_nothing: true,
            },
            &noop,
        )
        .await
        .expect("ran");
        assert!(!out.committed);
        assert_eq!(out.imported, 0);
        assert_eq!(
            out.rejected.iter().map(|r| r.row).collect::<Vec<_>>(),
            [6, 9]
        );
        assert_eq!(
            enterprise::count(&db, &Scope::City).await.expect("count"),
            0
        );

        // A 如皋 officer imports a file with a 如东 row: that row is refused.
        let rugao = Scope::of(
            Role::DistrictOfficer,
            Some("320682"),
            None,
            None,
            None,
            &reference().regions,
        );
        let out = import::import(
            &db,
            &rugao,
            &actor(),
            rows(),
            vec![],
            ImportOptions::default(),
            &noop,
        )
        .await
        .expect("ran");
        assert_eq!(out.imported, 2);
        assert!(
            out.rejected
                .iter()
                .any(|r| r.row == 5 && r.reason.contains("管辖范围"))
        );
        // And cannot update a 如东 enterprise that the city registered.
        let rudong = vec![ImportRow {
            row: 2,
            input: input(&code("320623", 22), "丙公司", "如东", "轻工", "300", "30"),
        }];
        import::import(
            &db,
            &Scope::City,
            &actor(),
            rudong.clone(),
            vec![],
            ImportOptions::default(),
            &noop,
        )
        .await
        .expect("city");
        let out = import::import(
            &db,
            &rugao,
            &actor(),
            rudong,
            vec![],
            ImportOptions::default(),
            &noop,
        )
        .await
        .expect("ran");
        assert_eq!(out.rejected[0].reason, "该企业已在其他地区登记，您无权修改");
    })
    .await;
}

use anbiao_domain::enterprise::{EnterpriseStatus, Field};
use anbiao_domain::{Role, Scope};
use anbiao_store::StoreError;
use anbiao_store::enterprise::{self, Actor, Filter, SizeFilter, SortKey};
use anbiao_store::testing::each_backend;

use crate::{code, input, reference};

fn actor() -> Actor {
    Actor::new("tester", "form")
}

fn district(code: &str) -> Scope {
    Scope::of(
        Role::DistrictOfficer,
        Some(code),
        None,
        None,
        None,
        &reference().regions,
    )
}

#[tokio::test]
async fn create_get_and_scope() {
    each_backend(|db| async move {
        let rugao = input(
            &code("320682", 1),
            "如皋恒力机械有限公司",
            "如皋",
            "机械",
            "2500",
            "120",
        );
        let id = enterprise::create(&db, &Scope::City, &actor(), &rugao)
            .await
            .expect("created");
        let e = enterprise::get(&db, &Scope::City, id).await.expect("found");
        assert_eq!(e.name, "如皋恒力机械有限公司");
        assert_eq!(e.region_code, "320682");
        assert_eq!(e.annual_sales_yuan, Some(25_000_000));
        assert_eq!(e.above_scale, Some(true));
        assert_eq!(e.size_class.as_deref(), Some("small"));
        assert_eq!(e.size_rule.as_deref(), Some("size.2011@1"));
        assert_eq!(e.version, 1);
        // Own district sees it; another district gets "not found", never the row.
        assert!(enterprise::get(&db, &district("320682"), id).await.is_ok());
        assert!(matches!(
            enterprise::get(&db, &district("320623"), id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            enterprise::get(&db, &Scope::Nothing, id).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            enterprise::get(&db, &Scope::Enterprise { id }, id)
                .await
                .is_ok()
        );
        assert!(matches!(
            enterprise::get(&db, &Scope::Enterprise { id: id + 1 }, id).await,
            Err(StoreError::NotFound)
        ));
        // A district officer cannot create in another district.
        let other = input(&code("320623", 2), "如东某公司", "如东", "纺织", "10", "5");
        let err = enterprise::create(&db, &district("320682"), &actor(), &other)
            .await
            .expect_err("out of scope");
        assert!(matches!(err, StoreError::Invalid(_)));
        assert_eq!(
            enterprise::count(&db, &Scope::City).await.expect("count"),
            1
        );
        // The credit code is unique.
        let dup = input(&code("320682", 1), "重复公司", "如皋", "机械", "1", "1");
        let err = enterprise::create(&db, &Scope::City, &actor(), &dup)
            .await
            .expect_err("duplicate");
        assert!(
            matches!(err, StoreError::Conflict(ref m) if m.contains("已登记")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn merged_district_sees_its_predecessors() {
    each_backend(|db| async move {
        // Recorded under 港闸 (320611) before the 2020 merger.
        let mut e = input(
            &code("320611", 3),
            "港闸老企业",
            "港闸区",
            "建材",
            "100",
            "30",
        );
        e.region_code = "320611".into();
        let id = enterprise::create(&db, &Scope::City, &actor(), &e)
            .await
            .expect("created");
        assert!(enterprise::get(&db, &district("320613"), id).await.is_ok());
        assert!(enterprise::get(&db, &district("320612"), id).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn updates_keep_history_and_refuse_stale_versions() {
    each_backend(|db| async move {
        let c = code("320685", 4);
        let a = input(&c, "海安甲公司", "海安", "机械", "100", "10");
        let id = enterprise::create(&db, &Scope::City, &actor(), &a)
            .await
            .expect("created");
        let b = input(&c, "海安乙公司", "海安", "纺织", "100", "10");
        let changed = enterprise::update(
            &db,
            &district("320685"),
            &Actor::new("officer1", "form"),
            id,
            &b,
            Some(1),
        )
        .await
        .expect("updated");
        assert_eq!(changed, [Field::Name, Field::Industry]);
        let h = enterprise::history(&db, &Scope::City, id)
            .await
            .expect("history");
        assert_eq!(h.len(), 3);
        let name_change = h.iter().find(|c| c.field == "name").expect("name change");
        assert_eq!(name_change.old_value.as_deref(), Some("海安甲公司"));
        assert_eq!(name_change.new_value.as_deref(), Some("海安乙公司"));
        assert_eq!(name_change.actor, "officer1");
        assert_eq!(h.last().map(|c| c.field.as_str()), Some("created"));
        // Nothing changed: no new history row, version unchanged.
        let none = enterprise::update(&db, &Scope::City, &actor(), id, &b, None)
            .await
            .expect("no-op");
        assert!(none.is_empty());
        assert_eq!(
            enterprise::get(&db, &Scope::City, id)
                .await
                .expect("get")
                .version,
            2
        );
        // An edit based on version 1 is refused and changes nothing.
        let c2 = input(&c, "海安丙公司", "海安", "纺织", "100", "10");
        let err = enterprise::update(&db, &Scope::City, &actor(), id, &c2, Some(1))
            .await
            .expect_err("stale");
        assert!(matches!(err, StoreError::Conflict(_)));
        assert_eq!(
            enterprise::get(&db, &Scope::City, id)
                .await
                .expect("get")
                .name,
            "海安乙公司"
        );
        // A district officer cannot move it out of their district, nor see another's history.
        let moved = input(&c, "海安乙公司", "如东", "纺织", "100", "10");
        assert!(
            enterprise::update(&db, &district("320685"), &actor(), id, &moved, None)
                .await
                .is_err()
        );
        assert!(
            enterprise::history(&db, &district("320623"), id)
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    each_backend(|db| async move {
        let rows = [
            (
                code("320682", 10),
                "如皋华宇机械有限公司",
                "如皋",
                "机械",
                "3000",
                "350",
            ),
            (
                code("320682", 11),
                "如皋永盛纺织有限公司",
                "如皋",
                "纺织",
                "500",
                "40",
            ),
            (
                code("320623", 12),
                "如东华宇纺织有限公司",
                "如东",
                "纺织",
                "100",
                "8",
            ),
            (
                code("320623", 13),
                "如东金鼎商贸有限公司",
                "如东",
                "商贸",
                "20000",
                "30",
            ),
            (
                code("320685", 14),
                "海安100%_特殊公司",
                "海安",
                "建材",
                "",
                "",
            ),
        ];
        for (c, n, r, i, s, st) in &rows {
            enterprise::create(&db, &Scope::City, &actor(), &input(c, n, r, i, s, st))
                .await
                .expect("created");
        }
        let names = |p: &anbiao_store::enterprise::Page<anbiao_store::enterprise::Enterprise>| {
            p.items.iter().map(|e| e.name.clone()).collect::<Vec<_>>()
        };
        let all = enterprise::list(&db, &Scope::City, &Filter::default(), 1, 50)
            .await
            .expect("list");
        assert_eq!(all.total, 5);
        let by_name = Filter {
            q: Some("华宇".into()),
            ..Default::default()
        };
        let p = enterprise::list(&db, &Scope::City, &by_name, 1, 50)
            .await
            .expect("list");
        assert_eq!(names(&p), ["如东华宇纺织有限公司", "如皋华宇机械有限公司"]);
        // LIKE wildcards in the search are literal.
        let lit = Filter {
            q: Some("100%_".into()),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &lit, 1, 50)
                .await
                .expect("list")
                .total,
            1
        );
        let pct = Filter {
            q: Some("%".into()),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &pct, 1, 50)
                .await
                .expect("list")
                .total,
            1
        );
        // Credit-code prefix, typed in lower case and full width.
        let prefix = Filter {
            q: Some("９１３２０６２３".to_lowercase()),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &prefix, 1, 50)
                .await
                .expect("list")
                .total,
            2
        );
        let region = Filter {
            region_codes: Some(vec!["320682".into()]),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &region, 1, 50)
                .await
                .expect("list")
                .total,
            2
        );
        let textile = Filter {
            industry: Some("FZ".into()),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &textile, 1, 50)
                .await
                .expect("list")
                .total,
            2
        );
        let above = Filter {
            size: Some(SizeFilter::AboveScale),
            ..Default::default()
        };
        let p = enterprise::list(&db, &Scope::City, &above, 1, 50)
            .await
            .expect("list");
        assert_eq!(names(&p), ["如东金鼎商贸有限公司", "如皋华宇机械有限公司"]);
        let unknown = Filter {
            size: Some(SizeFilter::Unknown),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &unknown, 1, 50)
                .await
                .expect("list")
                .total,
            1
        );
        let small_micro = Filter {
            size: Some(SizeFilter::SmallMicro),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &small_micro, 1, 50)
                .await
                .expect("list")
                .total,
            2
        );
        let closed = Filter {
            status: Some(EnterpriseStatus::Closed),
            ..Default::default()
        };
        assert_eq!(
            enterprise::list(&db, &Scope::City, &closed, 1, 50)
                .await
                .expect("list")
                .total,
            0
        );
        // Sorted by staff, descending, NULLs last; paged two at a time.
        let sorted = Filter {
            sort: SortKey::Employees,
            desc: true,
            ..Default::default()
        };
        let p1 = enterprise::list(&db, &Scope::City, &sorted, 1, 2)
            .await
            .expect("list");
        let p3 = enterprise::list(&db, &Scope::City, &sorted, 3, 2)
            .await
            .expect("list");
        assert_eq!(
            p1.items.iter().map(|e| e.employees).collect::<Vec<_>>(),
            [Some(350), Some(40)]
        );
        assert_eq!(
            p3.items.iter().map(|e| e.employees).collect::<Vec<_>>(),
            [None]
        );
        assert_eq!(p1.pages(), 3);
        // Scope applies on top of every filter.
        let p = enterprise::list(&db, &district("320623"), &by_name, 1, 50)
            .await
            .expect("list");
        assert_eq!(names(&p), ["如东华宇纺织有限公司"]);
        let all = enterprise::list_all(&db, &district("320682"), &Filter::default(), 10)
            .await
            .expect("all");
        assert_eq!(all.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn list_counts_up_to_the_cap() {
    each_backend(|db| async move {
        let r = reference();
        let rows = anbiao_store::seed::generate(&r, enterprise::COUNT_CAP as usize + 50, 3)
            .expect("generated");
        anbiao_store::seed::insert(&db, &rows, &|_| {})
            .await
            .expect("inserted");
        let p = enterprise::list(&db, &Scope::City, &Filter::default(), 1, 20)
            .await
            .expect("list");
        assert!(!p.total_exact);
        assert_eq!(p.total, enterprise::COUNT_CAP);
        assert_eq!(p.items.len(), 20);
        // A narrower filter is counted exactly.
        let one = Filter {
            q: Some(rows[0].credit_code.to_string()),
            ..Default::default()
        };
        let p = enterprise::list(&db, &Scope::City, &one, 1, 20)
            .await
            .expect("list");
        assert!(p.total_exact);
        assert_eq!(p.total, 1);
        assert_eq!(
            enterprise::count(&db, &Scope::City).await.expect("count"),
            enterprise::COUNT_CAP + 50
        );
    })
    .await;
}

#[tokio::test]
async fn name_search_finds_substrings_through_the_pair_index() {
    each_backend(|db| async move {
        let rows = [
            (code("320682", 60), "南通（恒力）机械有限公司"),
            (code("320682", 61), "如皋恒力纺织有限公司"),
            (code("320682", 62), "ABC精密机械有限公司"),
        ];
        let mut ids = Vec::new();
        for (c, n) in &rows {
            ids.push(
                enterprise::create(
                    &db,
                    &Scope::City,
                    &actor(),
                    &input(c, n, "如皋", "机械", "1", "1"),
                )
                .await
                .expect("created"),
            );
        }
        let found = |q: &'static str| {
            let db = db.clone();
            async move {
                let f = Filter {
                    q: Some(q.into()),
                    ..Default::default()
                };
                let mut names: Vec<String> = enterprise::list(&db, &Scope::City, &f, 1, 50)
                    .await
                    .expect("list")
                    .items
                    .into_iter()
                    .map(|e| e.name)
                    .collect();
                names.sort();
                names
            }
        };
        // Names are stored half-width (see domain::text::clean); a full-width query matches.
        assert_eq!(
            found("恒力").await,
            ["南通(恒力)机械有限公司", "如皋恒力纺织有限公司"]
        );
        assert_eq!(found("恒力）机械").await, ["南通(恒力)机械有限公司"]);
        // The pairs ignore punctuation, but the name must contain the term as typed.
        assert!(found("恒力机械").await.is_empty());
        assert_eq!(found("abc精密").await, ["ABC精密机械有限公司"]);
        assert_eq!(found("纺").await, ["如皋恒力纺织有限公司"]);
        assert!(found("力纺机").await.is_empty());
        // A rename is searchable at once, and the old name no longer is.
        let renamed = input(&rows[1].0, "如皋华泰纺织有限公司", "如皋", "机械", "1", "1");
        enterprise::update(&db, &Scope::City, &actor(), ids[1], &renamed, None)
            .await
            .expect("renamed");
        assert_eq!(found("华泰").await, ["如皋华泰纺织有限公司"]);
        assert_eq!(found("恒力").await, ["南通(恒力)机械有限公司"]);
    })
    .await;
}

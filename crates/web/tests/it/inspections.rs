//! The annual inspection plan pages: officers, the draw, the calendar, scope.

use anbiao_domain::Scope;
use anbiao_store::audit_log::Actor;
use anbiao_store::enterprise;
use anbiao_store::testing::each_backend;
use time::macros::date;

#[tokio::test]
async fn a_district_officer_draws_the_plan_and_reads_it_by_month() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let r = anbiao_domain::ReferenceData::embedded().expect("reference");
        for n in 0..30u32 {
            let e = anbiao_domain::EnterpriseDraft {
                credit_code: Some(crate::code("320682", 800 + n)),
                name: Some(format!("巡查对象{n:02}厂")),
                region: Some("320682".into()),
                industry: Some("JX".into()),
                ..Default::default()
            }
            .validate(
                &r,
                anbiao_web::today(),
                anbiao_domain::enterprise::OverridePolicy::Allowed,
            )
            .expect("valid");
            let id = enterprise::create(&db, &Scope::City, &Actor::new("tester", "cli"), &e)
                .await
                .expect("enterprise");
            enterprise::set_life(
                &db,
                &Scope::City,
                &Actor::new("tester", "cli"),
                id,
                date!(2015 - 01 - 01),
                None,
                "登记",
            )
            .await
            .expect("life");
        }
        let rugao = app.session_for("rugao").await;
        let year = anbiao_web::today().year().to_string();
        // Officers: a city account is refused with the reason; two district accounts are needed.
        let res = app
            .send(rugao.form(
                "/inspections/officers",
                &[("username", "city"), ("capacity", "20")],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(
            crate::body_text(res)
                .await
                .contains("不是县区或乡镇监管人员")
        );
        let res = app
            .send(rugao.form("/inspections/plan", &[("year", &year), ("seed", "2020")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("执法人员不足"));
        for who in ["rugao", "township"] {
            assert_eq!(
                app.send(rugao.form(
                    "/inspections/officers",
                    &[("username", who), ("capacity", "40")]
                ))
                .await
                .status(),
                204
            );
        }
        let res = app
            .send(rugao.form("/inspections/plan", &[("year", &year), ("seed", "abc")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("随机种子应为非负整数"));
        assert_eq!(
            app.send(rugao.form("/inspections/plan", &[("year", &year), ("seed", "2020")]))
                .await
                .status(),
            204
        );
        let res = app
            .send(rugao.form("/inspections/plan", &[("year", &year), ("seed", "7")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("不能重抽"));

        // Thirty never-started enterprises: key units, four visits each, two officers a visit.
        let page = crate::body_text(
            app.send(rugao.get(&format!("/inspections/plan?year={year}")))
                .await,
        )
        .await;
        assert!(
            page.contains("未开展标准化：每年4次")
                && page.contains(">2020<")
                && page.contains("在营企业 30 家"),
            "{page}"
        );
        // The officer pairs and the plan's author by name and office, never by login.
        assert!(
            page.contains("rugao用户、township用户") || page.contains("township用户、rugao用户"),
            "{page}"
        );
        assert!(
            !page.contains("rugao、township") && !page.contains("township、rugao"),
            "{page}"
        );
        let summary = page.split("id=\"plan-summary\"").nth(1).expect("summary");
        assert!(
            summary.contains("编制（rugao用户（如皋") && summary.contains("监督检查频次规则"),
            "{summary}"
        );
        let officers = page.split("id=\"officers\"").nth(1).expect("officers");
        assert!(
            officers.contains("township用户（如皋") && !officers.contains(">township<"),
            "{officers}"
        );
        let plan = anbiao_store::inspection_plans::get(&db, "如皋", anbiao_web::today().year())
            .await
            .expect("ran")
            .expect("plan");
        assert_eq!(plan.visits, 120);
        let lines = anbiao_store::inspection_plans::lines(&db, &Scope::City, plan.id, None, 100, 0)
            .await
            .expect("lines");
        let (m, _) = lines[0].visits()[0].clone();
        let month = crate::body_text(
            app.send(rugao.get(&format!("/inspections/plan?year={year}&month={m}")))
                .await,
        )
        .await;
        let in_month = lines
            .iter()
            .filter(|l| l.visits().iter().any(|(x, _)| *x == m))
            .count();
        assert_eq!(
            month.matches("/standing\">巡查对象").count(),
            in_month,
            "{month}"
        );
        // Nothing recorded yet: the month's visits not yet recorded are all of them, as the
        // workbench counts them, and their export holds the same.
        let todo = crate::body_text(
            app.send(rugao.get(&format!(
                "/inspections/plan?year={year}&month={m}&show=todo"
            )))
            .await,
        )
        .await;
        assert_eq!(todo.matches("/standing\">巡查对象").count(), in_month);
        assert!(
            todo.contains("<strong>尚未记录检查的企业</strong>"),
            "{todo}"
        );
        let (planned, recorded) = anbiao_store::inspection_plans::month_progress_counted(
            &db,
            &Scope::City,
            anbiao_web::today().year(),
            m,
        )
        .await
        .expect("progress");
        assert_eq!(((planned - recorded) as usize), in_month);
        let res = app
            .send(rugao.get(&format!(
                "/inspections/plan/export?year={year}&month={m}&show=todo"
            )))
            .await;
        assert_eq!(res.status(), 200);
        let text = crate::objects::workbook_text(&crate::body_bytes(res).await);
        assert_eq!(text.matches("巡查对象").count(), in_month, "{text}");

        // Another district sees its own unit, with no plan; the township may read, not draw.
        let rudong = app.session_for("rudong").await;
        let other = crate::body_text(
            app.send(rudong.get(&format!(
                "/inspections/plan?year={year}&unit=%E5%A6%82%E7%9A%8B"
            )))
            .await,
        )
        .await;
        assert!(
            other.contains("如东") && other.contains("尚未编制"),
            "{other}"
        );
        let township = app.session_for("township").await;
        assert_eq!(
            app.send(township.get(&format!("/inspections/plan?year={year}")))
                .await
                .status(),
            200
        );
        assert_eq!(
            app.send(township.form("/inspections/plan", &[("year", &year), ("seed", "1")]))
                .await
                .status(),
            403
        );
    })
    .await;
}

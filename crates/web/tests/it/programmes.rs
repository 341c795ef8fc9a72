//! The programme API: the loaded programmes and the target table as of a day.

use anbiao_domain::{Grade, ReferenceData, Scope};
use anbiao_store::audit_log::Actor;
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::enterprise;
use anbiao_store::testing::each_backend;
use time::macros::date;

/// Two 二级 enterprises in 如皋: one certified in 2017 (before the plan; it counts), one in 2019.
async fn two_grade_two_in_rugao(db: &anbiao_store::Db) {
    let actor = Actor::new("tester", "cli");
    let r = ReferenceData::embedded().expect("reference");
    // Two 二级 enterprises in 如皋: one from 2017 (before the plan; it counts), one from 2019.
    for (n, from) in [(1u32, date!(2017 - 05 - 01)), (2, date!(2019 - 05 - 01))] {
        let e = anbiao_domain::EnterpriseDraft {
            credit_code: Some(crate::code("320682", 300 + n)),
            name: Some(format!("目标表测试{n}厂")),
            region: Some("320682".into()),
            industry: Some("JX".into()),
            ..Default::default()
        }
        .validate(
            &r,
            anbiao_web::today(),
            anbiao_domain::OverridePolicy::Allowed,
        )
        .expect("valid");
        let id = enterprise::create(db, &Scope::City, &actor, &e)
            .await
            .expect("enterprise");
        enterprise::set_life(
            db,
            &Scope::City,
            &actor,
            id,
            date!(2010 - 01 - 01),
            None,
            "登记",
        )
        .await
        .expect("life");
        certificate::issue(
            db,
            &actor,
            &NewCertificate {
                enterprise_id: id,
                case_id: None,
                grade: Grade::Two,
                industry: "JX".into(),
                issuer: "江苏省安全生产监督管理局".into(),
                external: true,
                issued_on: from,
                valid_until: from + time::Duration::days(3 * 365),
                rule: "grading.2014@1#validity".into(),
                region_abbr: '苏',
                number: None,
            },
        )
        .await
        .expect("certificate");
    }
}

#[tokio::test]
async fn the_target_table_as_of_a_day() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        two_grade_two_in_rugao(&db).await;
        let city = app.session_for("city").await;
        let list = crate::body_json(app.send(city.get("/api/v1/programmes")).await).await;
        assert_eq!(list[0]["id"], "nantong.2018");
        assert_eq!(list[0]["document"], "通政发〔2018〕27号");

        let t = crate::body_json(
            app.send(city.get("/api/v1/programmes/nantong.2018/targets?as_of=2018-12-31"))
                .await,
        )
        .await;
        assert_eq!(t["as_of"], "2018-12-31");
        assert_eq!(t["phase"], "组织实施阶段");
        assert_eq!(t["units"].as_array().map(Vec::len), Some(11));
        let rugao = &t["units"][1];
        assert_eq!(rugao["label"], "如皋市");
        let two = &rugao["metrics"][1];
        assert_eq!(two["metric"], "grade_two_count");
        assert_eq!(
            (two["numerator"].as_u64(), two["target"].as_f64()),
            (Some(1), Some(35.0))
        );
        assert_eq!(
            (two["status"].as_str(), two["shortfall"].as_u64()),
            (Some("behind"), Some(34))
        );
        assert_eq!(t["city"]["metrics"][1]["target"], 300.0);
        let city_two: Vec<_> = t["city_targets"]
            .as_array()
            .expect("array")
            .iter()
            .filter(|c| c["metric"] == "grade_two_count")
            .map(|c| (c["target"].as_f64(), c["numerator"].as_u64()))
            .collect();
        assert_eq!(city_two, [(Some(200.0), Some(1)), (Some(300.0), Some(1))]);

        // A year on, the second counts too, and the deadline has passed.
        let t = crate::body_json(
            app.send(city.get("/api/v1/programmes/nantong.2018/targets?as_of=2020-01-10"))
                .await,
        )
        .await;
        let two = &t["units"][1]["metrics"][1];
        assert_eq!(
            (two["numerator"].as_u64(), two["status"].as_str()),
            (Some(2), Some("missed"))
        );

        // Bad input.
        let res = app
            .send(city.get("/api/v1/programmes/nantong.2018/targets?as_of=2019-13-01"))
            .await;
        assert_eq!(res.status(), 400);
        let body = crate::body_json(res).await;
        assert!(
            body["message"]
                .as_str()
                .unwrap_or("")
                .contains("YYYY-MM-DD"),
            "{body}"
        );
        assert_eq!(body["field"], "as_of");
        let res = app
            .send(city.get("/api/v1/programmes/shanghai.2030/targets"))
            .await;
        assert_eq!(res.status(), 404);
        // A district officer reads the table; an enterprise cannot.
        let rugao = app.session_for("rugao").await;
        assert_eq!(
            app.send(rugao.get("/api/v1/programmes/nantong.2018/targets"))
                .await
                .status(),
            200
        );
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(1),
        )
        .await;
        let qiye = app.session_for("qiye").await;
        assert_eq!(app.send(qiye.get("/api/v1/programmes")).await.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_links_every_figure_to_its_enterprises() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        two_grade_two_in_rugao(&db).await;
        let city = app.session_for("city").await;
        let res = app.send(city.get("/programmes")).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/programmes/nantong.2018");
        let page = crate::body_text(
            app.send(city.get("/programmes/nantong.2018?as_of=2018-12-31")).await,
        )
        .await;
        assert!(page.contains("如皋市") && page.contains("通州湾示范区"), "{page}");
        assert!(page.contains("还需 34 家二级"), "{page}");
        // 三（二）'s counts are striven for, in the plan's words; 三（一）'s rates bind; the
        // attachment's deadline is an inference and says so.
        let targets = page
            .split("id=\"city-targets\"")
            .nth(1)
            .and_then(|t| t.split("</table>").next())
            .unwrap_or("");
        assert!(targets.contains("力争突破26家"), "{targets}");
        assert!(targets.contains("突破 26（不少于 27）"), "{targets}");
        assert!(targets.contains("力争目标") && targets.contains("约束性目标"), "{targets}");
        assert!(page.contains("推定：附件未写明完成期限"), "{page}");
        let pipeline = page.split("id=\"pipeline\"").nth(1).expect("pipeline table");
        let rugao_row = pipeline.split("如皋市").nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or("");
        assert!(rugao_row.contains(">1<") && rugao_row.contains(">38<"), "one graded of 3 + 35: {rugao_row}");
        let link = "/programmes/nantong.2018/behind?unit=%E5%A6%82%E7%9A%8B&#38;metric=grade_two_count&#38;as_of=2018-12-31&#38;side=counted";
        assert!(page.contains(link), "{page}");
        let list = crate::body_text(
            app.send(city.get(&link.replace("&#38;", "&"))).await,
        )
        .await;
        assert!(list.contains("目标表测试1厂") && !list.contains("目标表测试2厂"), "{list}");
        let later = crate::body_text(
            app.send(city.get(&link.replace("&#38;", "&").replace("2018-12-31", "2019-12-31")))
                .await,
        )
        .await;
        assert!(later.contains("目标表测试1厂") && later.contains("目标表测试2厂"));
        // Another district sees the table but none of 如皋's enterprises.
        let rudong = app.session_for("rudong").await;
        let theirs = crate::body_text(app.send(rudong.get(&link.replace("&#38;", "&"))).await).await;
        assert!(theirs.contains("没有企业") && !theirs.contains("目标表测试1厂"));
        // The export keeps the attachment's layout: 地区, then actual / target / status per metric.
        let res = app
            .send(city.get("/programmes/nantong.2018/export?as_of=2018-12-31"))
            .await;
        assert_eq!(res.status(), 200);
        let t = anbiao_sheets::read_table(&crate::body_bytes(res).await).expect("xlsx");
        let cells: Vec<Vec<anbiao_sheets::Cell>> = t.rows.iter().map(|r| r.cells.clone()).collect();
        use anbiao_sheets::Cell::{Number, Text};
        assert_eq!(cells[2][0], Text("地区".into()));
        assert_eq!(cells[2][4], Text("二级标准化达标企业数".into()));
        assert_eq!(cells[5][0], Text("如皋市".into()));
        assert_eq!((&cells[5][4], &cells[5][5], &cells[5][6]), (&Number(1.0), &Number(35.0), &Text("未完成".into())));
        let last = cells.last().expect("rows");
        assert_eq!((&last[0], &last[5]), (&Text("合计".into()), &Number(300.0)));
        // Rates are numbers (a share, shown as a percentage), not text Excel cannot sum.
        let rates: Vec<usize> = (1..cells[2].len())
            .filter(|&j| matches!(&cells[2][j], Text(h) if h.contains('率')))
            .collect();
        assert!(!rates.is_empty(), "the table has rate columns: {:?}", cells[2]);
        let mut shares = 0;
        for j in rates {
            for row in [&cells[5], last] {
                for k in [j, j + 1] {
                    match &row[k] {
                        Number(v) if (0.0..=1.0).contains(v) => shares += 1,
                        Text(t) if t == "—" => {}
                        other => panic!("{:?} reads as a share or —, not {other:?}", cells[2][j]),
                    }
                }
            }
        }
        assert!(shares > 0, "some rates and targets are written as numbers");
        // Monthly charts since the programme began: one point per month end, the last on the day.
        let svg = crate::body_text(
            app.send(city.get("/programmes/nantong.2018/charts?as_of=2018-12-31")).await,
        )
        .await;
        assert_eq!(svg.matches("<polyline").count(), 6, "{svg}");
        let first = svg.split("points=\"").nth(1).and_then(|p| p.split('"').next()).unwrap_or("");
        assert_eq!(first.split(' ').count(), 6, "2018-07 … 2018-12: {first}");
        assert!(svg.contains("2018-07") && svg.contains("2018-12-31"));
        // Bad input.
        for (uri, why) in [
            ("/programmes/nantong.2018?as_of=2018-02-30", "YYYY-MM-DD"),
            ("/programmes/nantong.2018/behind?unit=如皋&metric=grade_9", "未知的指标"),
            ("/programmes/nantong.2018/behind?unit=上海&metric=grade_two_count", "没有地区"),
        ] {
            let uri = uri.replace("如皋", "%E5%A6%82%E7%9A%8B").replace("上海", "%E4%B8%8A%E6%B5%B7");
            let res = app.send(city.get(&uri)).await;
            assert_eq!(res.status(), 400, "{uri}");
            assert!(crate::body_text(res).await.contains(why), "{why}");
        }
    })
    .await;
}

#[tokio::test]
async fn districts_submit_against_deadlines_and_the_city_decides() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        two_grade_two_in_rugao(&db).await;
        let actor = Actor::new("tester", "cli");
        let r = ReferenceData::embedded().expect("reference");
        let foreign = anbiao_domain::EnterpriseDraft {
            credit_code: Some(crate::code("320623", 401)),
            name: Some("如东名单外厂".into()),
            region: Some("320623".into()),
            industry: Some("JX".into()),
            ..Default::default()
        }
        .validate(
            &r,
            anbiao_web::today(),
            anbiao_domain::OverridePolicy::Allowed,
        )
        .expect("valid");
        enterprise::create(&db, &Scope::City, &actor, &foreign)
            .await
            .expect("enterprise");
        let ours = crate::code("320682", 301);
        let theirs = crate::code("320623", 401);
        let pdf: &[u8] = b"%PDF-1.4\n% scanned\n";
        let rugao = app.session_for("rugao").await;
        let tasks = "/programmes/nantong.2018/tasks";
        let page = crate::body_text(app.send(rugao.get(tasks)).await).await;
        assert!(
            page.contains("如皋市报送") && page.contains("逾期未报"),
            "{page}"
        );
        for (fields, file, why) in [
            (
                vec![("deadline", "key_enterprises"), ("codes", ours.as_str())],
                Some(("名单.docx", b"PK\x03\x04".as_slice())),
                "不是 PDF",
            ),
            (
                vec![("deadline", "key_enterprises"), ("codes", theirs.as_str())],
                Some(("名单.pdf", pdf)),
                "不在本地区企业名录中",
            ),
            (
                vec![("deadline", "key_enterprises"), ("codes", "")],
                Some(("名单.pdf", pdf)),
                "每行一个",
            ),
            (
                vec![("deadline", "cultivation")],
                Some(("x.pdf", pdf)),
                "请选择报送事项",
            ),
            (
                vec![("deadline", "work_plan")],
                None,
                "请选择加盖公章的扫描件",
            ),
        ] {
            let res = app.send(rugao.multipart(tasks, &fields, file)).await;
            assert_eq!(res.status(), 422, "{why}");
            assert!(crate::body_text(res).await.contains(why), "{why}");
        }
        let list = format!("{ours}\n\n{ours}\n");
        let res = app
            .send(rugao.multipart(
                tasks,
                &[("deadline", "key_enterprises"), ("codes", list.as_str())],
                Some(("重点企业名单.pdf", pdf)),
            ))
            .await;
        assert_eq!(res.status(), 204);
        let res = app
            .send(rugao.multipart(
                tasks,
                &[("deadline", "key_enterprises"), ("codes", ours.as_str())],
                Some(("名单.pdf", pdf)),
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("正在等待市局审核"));
        let id = anbiao_store::submissions::of_programme(&db, "nantong.2018")
            .await
            .expect("list")[0]
            .id;
        let one = format!("/submissions/{id}");
        // Another district sees neither the submission nor its file, nor does a township of
        // the district itself (townships take no part in the district's reporting), and the
        // task table links only where the reader may open.
        for who in ["rudong", "township"] {
            let s = app.session_for(who).await;
            assert_eq!(app.send(s.get(&one)).await.status(), 404, "{who}");
            assert_eq!(
                app.send(s.get(&format!("{one}/file"))).await.status(),
                404,
                "{who}"
            );
            let table = crate::body_text(app.send(s.get(tasks)).await).await;
            assert!(
                !table.contains(&format!("href=\"{one}\"")),
                "{who}: {table}"
            );
        }
        let table = crate::body_text(app.send(rugao.get(tasks)).await).await;
        assert!(table.contains(&format!("href=\"{one}\"")), "{table}");
        // The city reads the list and the file, returns it with a reason, then accepts the next.
        let city = app.session_for("city").await;
        let page = crate::body_text(app.send(city.get(&one)).await).await;
        assert!(
            page.contains("名单（1 家）") && page.contains("目标表测试1厂"),
            "{page}"
        );
        assert_eq!(
            crate::body_bytes(app.send(city.get(&format!("{one}/file"))).await).await,
            pdf
        );
        let decide = format!("{one}/decide");
        let res = app
            .send(city.form(&decide, &[("decision", "return")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("退回须写明理由"));
        assert_eq!(
            app.send(city.form(&decide, &[("decision", "return"), ("reason", "未加盖公章")]))
                .await
                .status(),
            204
        );
        assert_eq!(
            app.send(city.form(&decide, &[("decision", "accept")]))
                .await
                .status(),
            422,
            "decided once"
        );
        let res = app
            .send(rugao.multipart(
                tasks,
                &[("deadline", "key_enterprises"), ("codes", ours.as_str())],
                Some(("名单（盖章）.pdf", pdf)),
            ))
            .await;
        assert_eq!(res.status(), 204);
        let next = anbiao_store::submissions::of_programme(&db, "nantong.2018")
            .await
            .expect("list")[1]
            .id;
        assert_eq!(
            app.send(city.form(
                &format!("/submissions/{next}/decide"),
                &[("decision", "accept")]
            ))
            .await
            .status(),
            204
        );
        let grid = crate::body_text(app.send(city.get(tasks)).await).await;
        assert!(
            grid.contains("已通过（逾期报送）"),
            "submitted after 2018-08-31: {grid}"
        );
        // Only districts submit; only the city decides.
        assert_eq!(
            app.send(city.multipart(tasks, &[("deadline", "work_plan")], Some(("x.pdf", pdf))))
                .await
                .status(),
            403
        );
        assert_eq!(
            app.send(rugao.form(&decide, &[("decision", "accept")]))
                .await
                .status(),
            403
        );
        // The dashboard flags what is overdue.
        let dash = crate::body_text(
            app.send(city.get("/programmes/nantong.2018?as_of=2018-09-01"))
                .await,
        )
        .await;
        assert!(
            dash.contains("逾期未报") && dash.contains("如皋市 2 项"),
            "{dash}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_unit_draws_its_audit_plan_and_records_audits() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let actor = Actor::new("tester", "cli");
        let r = ReferenceData::embedded().expect("reference");
        let issued = anbiao_web::today() - time::Duration::days(100);
        for n in 0..20u32 {
            let industry = if n % 4 == 0 { "FZ" } else { "JX" };
            let e = anbiao_domain::EnterpriseDraft {
                credit_code: Some(crate::code("320682", 500 + n)),
                name: Some(format!("抽查对象{n:02}厂")),
                region: Some("320682".into()),
                industry: Some(industry.into()),
                ..Default::default()
            }
            .validate(
                &r,
                anbiao_web::today(),
                anbiao_domain::OverridePolicy::Allowed,
            )
            .expect("valid");
            let id = enterprise::create(&db, &Scope::City, &actor, &e)
                .await
                .expect("enterprise");
            enterprise::set_life(
                &db,
                &Scope::City,
                &actor,
                id,
                date!(2010 - 01 - 01),
                None,
                "登记",
            )
            .await
            .expect("life");
            certificate::issue(
                &db,
                &actor,
                &NewCertificate {
                    enterprise_id: id,
                    case_id: None,
                    grade: Grade::Three,
                    industry: industry.into(),
                    issuer: "南通市应急管理局".into(),
                    external: false,
                    issued_on: issued,
                    valid_until: issued + time::Duration::days(3 * 365),
                    rule: "grading.2021@1#validity".into(),
                    region_abbr: '苏',
                    number: None,
                },
            )
            .await
            .expect("certificate");
        }
        let year = anbiao_web::today().year();
        let rugao = app.session_for("rugao").await;
        let page = crate::body_text(app.send(rugao.get("/audits")).await).await;
        assert!(page.contains("尚未生成抽查计划"), "{page}");
        let y = year.to_string();
        let res = app
            .send(rugao.form("/audits/plan", &[("year", &y), ("seed", "abc")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("非负整数"));
        assert_eq!(
            app.send(rugao.form("/audits/plan", &[("year", &y), ("seed", "42")]))
                .await
                .status(),
            204
        );
        let res = app
            .send(rugao.form("/audits/plan", &[("year", &y), ("seed", "7")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("不能重抽"));
        // The plan holds the draw the seed gives: ⌈10 % × 20⌉ = 2, by industry.
        let (plan, items) = anbiao_store::audits::plan(&db, &Scope::City, "如皋", year)
            .await
            .expect("ran")
            .expect("plan");
        assert_eq!(
            (plan.population, plan.seed.as_str(), items.len()),
            (20, "42", 2)
        );
        let pool = anbiao_store::audits::candidates(&db, "如皋", anbiao_web::today())
            .await
            .expect("pool");
        let (drawn, _) = anbiao_domain::sampling::draw(&pool, 10.0, 42);
        let mut a: Vec<i64> = items.iter().map(|i| i.enterprise_id).collect();
        let mut b = drawn.clone();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "the draw reproduces from its seed");
        let target = items[0].enterprise_id.to_string();
        let audited_on =
            anbiao_domain::date::format_date(anbiao_web::today() - time::Duration::days(10));
        let (trees, _) = anbiao_domain::standard::shipped().expect("trees");
        let tree = anbiao_domain::standard::tree_on(&trees, anbiao_web::today()).expect("tree");
        let base_for = |who: &str, outcome: &'static str, class: &'static str, by: &'static str| {
            let mut f = vec![
                ("enterprise".to_string(), who.to_string()),
                ("year".into(), y.clone()),
                ("performed_on".into(), audited_on.clone()),
                ("score".into(), "68".to_string()),
                ("outcome".into(), outcome.to_string()),
                ("class".into(), class.to_string()),
                ("findings".into(), "隐患排查台账与现场不符".to_string()),
                ("rectify_by".into(), by.to_string()),
            ];
            for e in &tree.elements {
                let failed = outcome == "deficient" && e.code == "5.5";
                f.push((
                    format!("verdict_{}", e.code),
                    if failed { "nonconform" } else { "conform" }.into(),
                ));
                f.push((
                    format!("note_{}", e.code),
                    if failed { "台账与现场不符" } else { "" }.into(),
                ));
            }
            f
        };
        let base = |outcome, class, by| base_for(&target, outcome, class, by);
        let mut unnoted = base("deficient", "rectify", "2099-01-01");
        unnoted.retain(|(k, _)| k != "note_5.5");
        let mut unjudged = base("good", "", "");
        unjudged.retain(|(k, _)| k != "verdict_5.3");
        for (fields, why) in [
            (base("deficient", "rectify", ""), "整改期限"),
            (base("good", "rectify", ""), "分类与审计结论不符"),
            (unnoted, "不符合，请写明问题"),
            (unjudged, "请为要素“5.3"),
        ] {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let res = app.send(rugao.form("/audits/record", &pairs)).await;
            assert_eq!(res.status(), 422, "{why}");
            assert!(crate::body_text(res).await.contains(why), "{why}");
        }
        let ok = base("deficient", "rectify", "2099-01-01");
        let pairs: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // Another district cannot record an audit of a 如皋 enterprise.
        let rudong = app.session_for("rudong").await;
        assert_eq!(
            app.send(rudong.form("/audits/record", &pairs))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(rugao.form("/audits/record", &pairs))
                .await
                .status(),
            204
        );
        let city = app.session_for("city").await;
        let page = crate::body_text(
            app.send(city.get(&format!("/audits?year={y}&unit=%E5%A6%82%E7%9A%8B")))
                .await,
        )
        .await;
        assert!(
            page.contains("存在问题") && page.contains("整改") && page.contains(">42<"),
            "{page}"
        );
        // The audit's page: its checklist and the rule; a failed re-check revokes the
        // certificate by the programme's rule.
        let (_, items_now) = anbiao_store::audits::plan(&db, &Scope::City, "如皋", year)
            .await
            .expect("ran")
            .expect("plan");
        let audit_id = items_now.iter().find_map(|i| i.audit_id).expect("audited");
        let detail =
            crate::body_text(app.send(city.get(&format!("/audits/{audit_id}"))).await).await;
        assert!(
            detail.contains("5.5 ")
                && detail.contains("不符合")
                && detail.contains("督促企业及时整改"),
            "{detail}"
        );
        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let recheck = format!("/audits/{audit_id}/recheck");
        let res = app
            .send(rugao.form(
                &recheck,
                &[("on", &audited_on), ("passed", "no"), ("note", "未整改")],
            ))
            .await;
        assert_eq!(res.status(), 422, "not after the audit");
        assert_eq!(
            app.send(rudong.form(
                &recheck,
                &[("on", &today), ("passed", "no"), ("note", "未整改")]
            ))
            .await
            .status(),
            404
        );
        assert_eq!(
            app.send(rugao.form(
                &recheck,
                &[("on", &today), ("passed", "no"), ("note", "整改不到位")]
            ))
            .await
            .status(),
            204
        );
        let certs =
            anbiao_store::certificate::of_enterprise(&db, &Scope::City, items[0].enterprise_id)
                .await
                .expect("certs");
        assert_eq!(certs[0].revoked_on.as_deref(), Some(today.as_str()));
        let detail =
            crate::body_text(app.send(city.get(&format!("/audits/{audit_id}"))).await).await;
        assert!(
            detail.contains("复查未通过") && detail.contains("证书已撤销"),
            "{detail}"
        );
        let standing = crate::body_text(
            app.send(city.get(&format!("/enterprises/{}/standing", items[0].enterprise_id)))
                .await,
        )
        .await;
        assert!(
            standing.contains(&format!("/audits/{audit_id}")) && standing.contains("未通过"),
            "{standing}"
        );
        // A good audit: renewal waits for the renewal window.
        let other = items[1].enterprise_id.to_string();
        let good = base_for(&other, "good", "upgrade", "");
        let pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            app.send(rugao.form("/audits/record", &pairs))
                .await
                .status(),
            204
        );
        let good_id =
            anbiao_store::audits::of_enterprise(&db, &Scope::City, items[1].enterprise_id)
                .await
                .expect("audits")[0]
                .id;
        // A 三级 certificate is renewed in the city's name: the district is not offered the
        // step, and is refused when it forges it.
        let page = crate::body_text(app.send(rugao.get(&format!("/audits/{good_id}"))).await).await;
        assert!(!page.contains("renew-form"), "{page}");
        let city_page = crate::body_text(
            app.send(
                app.session_for("city")
                    .await
                    .get(&format!("/audits/{good_id}")),
            )
            .await,
        )
        .await;
        assert!(city_page.contains("renew-form"), "{city_page}");
        let res = app
            .send(rugao.form(&format!("/audits/{good_id}/renew"), &[]))
            .await;
        assert_eq!(res.status(), 403);
        assert!(crate::body_text(res).await.contains("市局"));
        let city = app.session_for("city").await;
        let res = app
            .send(city.form(&format!("/audits/{good_id}/renew"), &[]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("尚未进入换证期"));
        // The 整改提升 list is public.
        let public = crate::body_text(
            app.send(
                axum::http::Request::get("/portal/rectification")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await,
        )
        .await;
        assert!(
            public.contains(&items[0].name) && public.contains("2099-01-01"),
            "{public}"
        );
        // …and downloads whole, its days as dates.
        let res = app
            .send(
                axum::http::Request::get("/portal/rectification.xlsx")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(res.status(), 200);
        let bytes = crate::body_bytes(res).await;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        use calamine::Reader;
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).expect("sheet");
        let row = range
            .rows()
            .find(|r| r[0] == calamine::Data::String(items[0].name.clone()))
            .expect("the enterprise's row");
        assert!(matches!(row[3], calamine::Data::DateTime(_)), "{row:?}");
    })
    .await;
}

#[tokio::test]
async fn the_city_drafts_edits_and_publishes_a_bulletin() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        two_grade_two_in_rugao(&db).await;
        let city = app.session_for("city").await;
        let res = app
            .send(city.form(
                "/programmes/nantong.2018/bulletins",
                &[("as_of", "2019-12-31")],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let at = res.headers()["hx-redirect"]
            .to_str()
            .expect("ascii")
            .to_string();
        let page = crate::body_text(app.send(city.get(&at)).await).await;
        assert!(
            page.contains("通报草稿") && page.contains("二级标准化达标企业数2家，还需33家"),
            "{page}"
        );
        // Training, demonstration and the obligation lists have their section, the
        // requirements follow it.
        let more = page
            .find("四、培训、典型示范和监管清单")
            .expect("the section");
        assert!(page[more..].contains("示范企业 0 家"), "{page}");
        assert!(page[more..].contains("监管清单（按"), "{page}");
        assert!(page[more..].contains("五、下一步要求"), "{page}");
        let id: i64 = at
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("id");
        let b = anbiao_store::bulletins::get(&db, id).await.expect("stored");
        // A draft is the city's own: a district officer neither opens it, nor its PDF, nor
        // sees it listed on the programme's page.
        let district = app.session_for("rugao").await;
        assert_eq!(app.send(district.get(&at)).await.status(), 404);
        assert_eq!(
            app.send(district.get(&format!("{at}/pdf"))).await.status(),
            404
        );
        let dash = crate::body_text(app.send(district.get("/programmes/nantong.2018")).await).await;
        assert!(!dash.contains(&at), "a draft listed to a district: {dash}");
        let dash = crate::body_text(app.send(city.get("/programmes/nantong.2018")).await).await;
        assert!(dash.contains(&at), "the city's own draft is listed: {dash}");
        let body = format!("{}\n（经局长审定）", b.body);
        let v = b.version.to_string();
        let stale = (b.version + 5).to_string();
        let res = app
            .send(city.form(
                &at,
                &[
                    ("version", &stale),
                    ("title", &b.title),
                    ("body", &body),
                    ("action", "save"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422, "a stale version is refused");
        let res = app
            .send(city.form(
                &at,
                &[
                    ("version", &v),
                    ("title", &b.title),
                    ("body", ""),
                    ("action", "publish"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("不能为空"));
        let res = app
            .send(city.form(
                &at,
                &[
                    ("version", &v),
                    ("title", &b.title),
                    ("body", &body),
                    ("action", "publish"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        // Published: on the portal as HTML and PDF; no more edits.
        let anon = |uri: &str| {
            axum::http::Request::get(uri.to_string())
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let list = crate::body_text(app.send(anon("/portal/bulletins")).await).await;
        assert!(list.contains(&b.title), "{list}");
        let one = crate::body_text(app.send(anon(&format!("/portal/bulletins/{id}"))).await).await;
        assert!(one.contains("（经局长审定）"), "{one}");
        let res = app.send(anon(&format!("/portal/bulletins/{id}/pdf"))).await;
        assert_eq!(res.status(), 200);
        let first = res.headers()["x-cache"].clone();
        let first_bytes = crate::body_bytes(res).await;
        assert!(first_bytes.starts_with(b"%PDF-"));
        // Drawn once per version: the next reader gets the same document without a redraw.
        let res = app.send(anon(&format!("/portal/bulletins/{id}/pdf"))).await;
        assert_eq!(
            (first.to_str().ok(), res.headers()["x-cache"].to_str().ok()),
            (Some("miss"), Some("hit"))
        );
        assert_eq!(crate::body_bytes(res).await, first_bytes);
        let v2 = (b.version + 1).to_string();
        let res = app
            .send(city.form(
                &at,
                &[
                    ("version", &v2),
                    ("title", "改"),
                    ("body", "改"),
                    ("action", "save"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422, "a published bulletin does not change");
        // A draft is not public; a district cannot draft.
        let res = app
            .send(city.form(
                "/programmes/nantong.2018/bulletins",
                &[("as_of", "2019-06-30")],
            ))
            .await;
        let draft = res.headers()["hx-redirect"]
            .to_str()
            .expect("ascii")
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        assert_eq!(
            app.send(anon(&format!("/portal/bulletins/{draft}")))
                .await
                .status(),
            404
        );
        let rugao = app.session_for("rugao").await;
        assert_eq!(
            app.send(rugao.form(
                "/programmes/nantong.2018/bulletins",
                &[("as_of", "2019-06-30")]
            ))
            .await
            .status(),
            403
        );
    })
    .await;
}

/// The workbench on a day inside the programme: the district's row of the target table, its
/// reports due, its audit plan and re-checks, and the certificates expiring; the city's
/// targets and the reports awaiting its decision. Each count opens a list of as many rows.
#[tokio::test]
async fn the_workbench_shows_targets_audits_reports_and_expiring_certificates() {
    use anbiao_store::audits::{self, NewAudit, Outcome};
    each_backend(|db| async move {
        let on = date!(2019 - 06 - 30);
        crate::TestApp::new(db.clone()).await; // the users
        let app = crate::TestApp::on_day(db.clone(), on).await;
        let actor = Actor::new("tester", "cli");
        // Two 三级 enterprises: one certificate expires in 45 days, the other in years.
        let (soon, soon_cert) =
            crate::grading::certified_in_rugao(&db, 71, "将到期机械厂", date!(2016 - 08 - 14))
                .await;
        let (_later, _) =
            crate::grading::certified_in_rugao(&db, 72, "新近达标机械厂", date!(2019 - 01 - 10))
                .await;
        for id in [soon, _later] {
            enterprise::set_life(
                &db,
                &Scope::City,
                &actor,
                id,
                date!(2010 - 01 - 01),
                None,
                "登记",
            )
            .await
            .expect("life");
        }
        let rugao = app.session_for("rugao").await;
        let city = app.session_for("city").await;
        let count_of = |page: &str, label: &str| -> Option<String> {
            let row = &page[page.find(label)?..];
            let cell = row.split("<td class=\"num").nth(1)?;
            Some(cell.split('>').nth(1)?.split('<').next()?.to_string())
        };
        let page = body(&app, &rugao, "/").await;
        assert_eq!(
            count_of(&page, "90 天内到期的标准化证书").as_deref(),
            Some("1 张"),
            "{page}"
        );
        assert!(page.contains("href=\"/certificates/expiring\""), "{page}");
        let until = certificate::of_enterprise(&db, &Scope::City, soon)
            .await
            .expect("certificate")[0]
            .valid_until
            .clone();
        let left = anbiao_domain::date::parse_date(&until).expect("day") - on;
        assert!((1..=90).contains(&left.whole_days()), "{until}");
        let list = body(&app, &rugao, "/certificates/expiring").await;
        assert!(
            list.contains("将到期机械厂")
                && list.contains(&format!("还有 {} 天", left.whole_days()))
                && !list.contains("新近达标"),
            "{list}"
        );
        assert!(
            !body(
                &app,
                &app.session_for("rudong").await,
                "/certificates/expiring"
            )
            .await
            .contains("将到期机械厂"),
            "another district's list holds none of 如皋's"
        );
        // The list exports whole: the number as text, the days as dates.
        {
            use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
            let res = app.send(rugao.get("/certificates/expiring.xlsx")).await;
            assert_eq!(res.status(), 200);
            let bytes = crate::body_bytes(res).await;
            let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
            let range = wb.worksheet_range("即将到期的证书").expect("sheet");
            let rows: Vec<_> = range.rows().skip(2).collect();
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0][0], Data::String("将到期机械厂".into()));
            assert!(matches!(rows[0][1], Data::String(_)), "{:?}", rows[0]);
            assert!(matches!(rows[0][4], Data::DateTime(_)), "{:?}", rows[0]);
        }

        // No audit plan yet for 2019; once drawn, its enterprises wait for their audit.
        assert!(
            page.contains("2019年度运行质量审计抽查计划尚未生成"),
            "{page}"
        );
        audits::create_plan(&db, &actor, "如皋", 2019, 10.0, 42, on)
            .await
            .expect("plan");
        let page = body(&app, &rugao, "/").await;
        assert_eq!(
            count_of(&page, "2019年度抽查计划中尚未审计的企业").as_deref(),
            Some("1 家"),
            "⌈10 % × 2⌉: {page}"
        );
        let plan = body(&app, &rugao, "/audits?year=2019&show=todo").await;
        assert!(plan.contains("尚未审计（1 家）"), "{plan}");
        let res = app
            .send(rugao.get("/audits/export.xlsx?year=2019&show=todo"))
            .await;
        assert_eq!(res.status(), 200);
        {
            use calamine::{Reader, Xlsx, open_workbook_from_rs};
            let bytes = crate::body_bytes(res).await;
            let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
            let name = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&name).expect("sheet");
            assert_eq!(
                range.rows().skip(2).count(),
                1,
                "the enterprise not yet audited"
            );
        }
        // A deficient audit whose rectification period ended yesterday waits for its re-check.
        audits::record(
            &db,
            &Scope::City,
            &actor,
            &NewAudit {
                enterprise_id: soon,
                certificate_id: Some(soon_cert),
                grade: "three",
                performed_on: date!(2019 - 05 - 10),
                score: None,
                outcome: Outcome::Deficient,
                class: Some(audits::Class::Rectify),
                findings: "隐患排查台账与现场不符",
                rectify_by: Some(date!(2019 - 06 - 29)),
                tree: None,
                checklist: &[],
                rule: None,
                revoke: false,
            },
        )
        .await
        .expect("audit");
        let page = body(&app, &rugao, "/").await;
        assert_eq!(
            count_of(&page, "整改期限已过、尚未复查的审计").as_deref(),
            Some("1 家"),
            "{page}"
        );
        let rechecks = body(&app, &rugao, "/audits/rechecks").await;
        assert!(
            rechecks.contains("将到期机械厂") && rechecks.contains("2019-06-29"),
            "{rechecks}"
        );
        assert!(
            body(&app, &app.session_for("rudong").await, "/audits/rechecks")
                .await
                .contains("没有待复查的审计")
        );
        let res = app.send(rugao.get("/audits/rechecks.xlsx")).await;
        assert_eq!(res.status(), 200);
        let text = crate::objects::workbook_text(&crate::body_bytes(res).await);
        assert!(text.contains("将到期机械厂"), "{text}");
        let res = app
            .send(app.session_for("rudong").await.get("/audits/rechecks.xlsx"))
            .await;
        let text = crate::objects::workbook_text(&crate::body_bytes(res).await);
        assert!(
            !text.contains("将到期机械厂"),
            "not another district's: {text}"
        );

        // The district's reports: the work plan (due 2018-07-31) overdue and first; the
        // summary (due 2020-01-15) still open.
        let overdue_at = page.find("工作方案和工作进度表").expect("work plan due");
        let open_at = page
            .find("样板地区建设工作开展情况总结")
            .expect("summary due");
        assert!(
            page[..overdue_at].contains("class=\"overdue\"") && overdue_at < open_at,
            "{page}"
        );
        assert!(page.contains("逾期未报"), "{page}");
        // Its row of the target table follows the page (loaded after it), with links to the
        // enterprises behind each figure.
        assert!(page.contains("hx-get=\"/workbench/targets\""), "{page}");
        let targets = body(&app, &rugao, "/workbench/targets").await;
        assert!(targets.contains("如皋市目标完成情况"), "{targets}");
        assert!(
            targets.contains("/programmes/nantong.2018/behind?unit="),
            "{targets}"
        );
        // A township officer has no programme figures on the workbench.
        let township = app.session_for("township").await;
        assert!(
            !body(&app, &township, "/")
                .await
                .contains("/workbench/targets")
        );
        assert!(
            !body(&app, &township, "/workbench/targets")
                .await
                .contains("目标完成情况")
        );

        // The city: its targets of section 三 and the reports awaiting its decision.
        let page = body(&app, &city, "/").await;
        let targets = body(&app, &city, "/workbench/targets").await;
        assert!(targets.contains("全市目标完成情况"), "{targets}");
        assert!(
            targets.contains("方案三（一）") && targets.contains("方案三（二）"),
            "{targets}"
        );
        assert!(
            targets.contains("逾期未完成"),
            "2018's targets judged on their day: {targets}"
        );
        assert_eq!(
            count_of(&page, "各地报送、待审核的材料").as_deref(),
            Some("无"),
            "{page}"
        );
        assert_eq!(
            count_of(&page, "90 天内到期的标准化证书").as_deref(),
            Some("1 张"),
            "{page}"
        );

        // After the programme: its final figures, and no reports asked any more.
        let after = crate::TestApp::on_day(db.clone(), date!(2021 - 03 - 01)).await;
        let later = after.session_for("rugao").await;
        let page = body(&after, &later, "/").await;
        assert!(!page.contains("逾期未报"), "{page}");
        let targets = body(&after, &later, "/workbench/targets").await;
        assert!(targets.contains("实施期已于 2020-02-29 结束"), "{targets}");
    })
    .await;
}

async fn body(app: &crate::TestApp, s: &crate::Session, uri: &str) -> String {
    let res = app.send(s.get(uri)).await;
    assert_eq!(res.status(), 200, "{uri}");
    crate::body_text(res).await
}

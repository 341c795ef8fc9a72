//! Risk registers through the pages: the enterprise identifies and assesses its points, a
//! change is recorded in words, officers read within their scope, and bad input changes nothing.

use anbiao_domain::Scope;
use anbiao_store::risk_points;
use anbiao_store::testing::each_backend;

use crate::grading::enterprise_in_rugao;

fn point<'a>(method: &'a str, factors: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("version", "0"),
        ("name", "冲压车间 250吨冲床"),
        ("kind", "equipment"),
        ("location", "二号厂房东侧"),
        ("exposed", "6"),
        ("hazards", "双手进入模具区；光电保护装置失效"),
        ("accident_types", "机械伤害"),
        ("accident_types", "触电"),
        ("method", method),
        ("control_level", ""),
        ("responsible", "周建华"),
        ("m_engineering", "双手按钮\n光电保护装置"),
        ("m_management", "光电保护每班点检"),
    ];
    p.extend_from_slice(factors);
    p
}

const LEC: [(&str, &str); 5] = [
    ("f_lec_L", "3"),
    ("f_lec_E", "6"),
    ("f_lec_C", "15"),
    // The other method's boxes are on the form too; the method chosen decides.
    ("f_ls_L", "5"),
    ("f_ls_S", "5"),
];

#[tokio::test]
async fn an_enterprise_keeps_its_register_and_officers_read_it_within_scope() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&db, 61, "南通恒泰机械有限公司").await;
        let other = enterprise_in_rugao(&db, 62, "如皋邻厂").await;
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let qiye = app.session_for("qiye").await;
        // The form offers both methods, the GB 6441 types and the direct conditions.
        let form = crate::body_text(app.send(qiye.get("/risks/new")).await).await;
        assert!(
            form.contains("作业条件危险性评价法（LEC）") && form.contains("取值表待核对"),
            "{form}"
        );
        assert!(form.contains("value=\"中毒和窒息\"") && form.contains("value=\"confined_space\""));
        // LEC 3 × 6 × 15 = 270: 较大风险, controlled at company level by default.
        let res = app.send(qiye.form("/risks", &point("lec", &LEC))).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let points = risk_points::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("register");
        assert_eq!(points.len(), 1);
        let p = &points[0];
        assert_eq!(
            (p.score.as_str(), p.level.as_str(), p.control_level.as_str()),
            ("270", "high", "company")
        );
        assert_eq!(
            (p.factors.as_str(), p.rule.as_str()),
            ("L=3;E=6;C=15", "risk@1#lec.band.160")
        );
        let page = crate::body_text(app.send(qiye.get(&format!("/risks/{}", p.id))).await).await;
        assert!(
            page.contains("160 &#60; D ≤ 320 高度危险，要立即整改")
                && page.contains("较大风险（橙）"),
            "{page}"
        );
        // Re-assessed with the matrix and a direct condition: 重大, and the change in words.
        let mut again = point("ls", &[("f_ls_L", "2"), ("f_ls_S", "2"), ("f_lec_L", "3")]);
        again[0] = ("version", "1");
        again.push(("direct", "confined_space"));
        let res = app
            .send(qiye.form(&format!("/risks/{}", p.id), &again))
            .await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let p = risk_points::get(&db, &Scope::City, p.id)
            .await
            .expect("point");
        assert_eq!(
            (
                p.method.as_str(),
                p.score.as_str(),
                p.level.as_str(),
                p.version
            ),
            ("ls", "4", "major", 2)
        );
        let events = risk_points::events(&db, &Scope::City, p.id)
            .await
            .expect("events");
        assert_eq!(events.len(), 2);
        assert!(
            events[1].note.contains("重新评价")
                && events[1]
                    .note
                    .contains("因“有限空间作业”直接判定为重大风险"),
            "{:?}",
            events[1]
        );
        // A form seen before that change is stale: refused, nothing changed.
        let res = app
            .send(qiye.form(&format!("/risks/{}", p.id), &point("lec", &LEC)))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("已被他人修改"));
        assert_eq!(
            risk_points::get(&db, &Scope::City, p.id)
                .await
                .expect("point")
                .version,
            2
        );
        // Bad input: a value the method does not have, an unknown control level, a type not
        // in GB 6441. Each is refused in words and nothing is stored.
        for (change, says) in [
            (("f_lec_L", "4"), "因素 L 的取值“4”不在"),
            (
                ("control_level", "squad"),
                "管控层级“squad”未在风险分级规则中规定",
            ),
            (
                ("accident_types", "踩踏"),
                "“踩踏”不是 GB 6441 规定的事故类别",
            ),
        ] {
            let mut bad = point("lec", &LEC);
            bad.retain(|(k, _)| *k != change.0 || k == &"accident_types");
            bad.push(change);
            let res = app.send(qiye.form("/risks", &bad)).await;
            assert_eq!(res.status(), 422, "{says}");
            let page = crate::body_text(res).await;
            assert!(page.contains(says), "{says}: {page}");
        }
        assert_eq!(
            risk_points::of_enterprise(&db, &Scope::City, ent)
                .await
                .expect("register")
                .len(),
            1
        );
        // The register lists it with its colour; the district reads it, another district
        // does not find it; officers and other enterprises keep no register.
        let reg = crate::body_text(
            app.send(qiye.get(&format!("/enterprises/{ent}/risks")))
                .await,
        )
        .await;
        assert!(
            reg.contains("lvl-major")
                && reg.contains("重大风险（红）1 处")
                && reg.contains("id=\"new-risk\""),
            "{reg}"
        );
        assert!(
            reg.contains("id=\"checklist-eight_musts\"")
                && reg.contains("八必须 <span class=\"tag bad\">待核对</span>"),
            "{reg}"
        );
        // 两单 as .xlsx: the identification list and the graded control list.
        let res = app
            .send(qiye.get(&format!("/enterprises/{ent}/risks/export")))
            .await;
        assert_eq!(res.status(), 200);
        let bytes = crate::body_bytes(res).await;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        use calamine::Reader;
        assert_eq!(
            wb.sheet_names(),
            ["风险点辨识清单", "风险分级管控清单", "隐患排查清单"]
        );
        let graded = wb.worksheet_range("风险分级管控清单").expect("sheet");
        let row: Vec<String> = graded
            .rows()
            .nth(2)
            .expect("first point")
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            &row[1..8],
            [
                "冲压车间 250吨冲床",
                "风险矩阵法（L × S）",
                "L=2；S=2",
                "4",
                "重大风险",
                "红",
                "公司（厂）级"
            ]
        );
        assert!(
            matches!(
                graded.rows().nth(2).expect("row")[4],
                calamine::Data::Float(_)
            ),
            "the score is a number"
        );
        let first = graded.rows().nth(2).expect("row");
        let assessed = &first[first.len() - 2];
        assert!(
            matches!(assessed, calamine::Data::DateTime(d) if d.as_f64() > 43_000.0),
            "the assessment's day is a date Excel sorts: {assessed:?}"
        );
        // The measures in their kinds' columns, and one line of the hazard-check list per item.
        assert_eq!(
            (row[8].as_str(), row[9].as_str()),
            ("双手按钮；光电保护装置", "光电保护每班点检")
        );
        let checks = wb.worksheet_range("隐患排查清单").expect("sheet");
        let items: Vec<Vec<String>> = checks
            .rows()
            .skip(2)
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(items.len(), 3, "{items:?}");
        assert_eq!(
            &items[1][4..7],
            ["工程技术措施", "光电保护装置", "每月至少一次"]
        );
        let rugao = app.session_for("rugao").await;
        let res = app
            .send(rugao.get(&format!("/enterprises/{ent}/risks")))
            .await;
        assert_eq!(res.status(), 200);
        assert!(!crate::body_text(res).await.contains("id=\"new-risk\""));
        assert_eq!(
            app.send(rugao.get(&format!("/risks/{}", p.id)))
                .await
                .status(),
            200
        );
        // The API reads the same register, with the rule and the words of each decision.
        let res = app
            .send(rugao.get(&format!("/api/v1/enterprises/{ent}/risks")))
            .await;
        assert_eq!(res.status(), 200);
        let v: serde_json::Value =
            serde_json::from_str(&crate::body_text(res).await).expect("json");
        let first = &v["points"][0];
        assert_eq!(
            (
                first["level"].as_str(),
                first["colour"].as_str(),
                first["score"].as_str()
            ),
            (Some("major"), Some("红"), Some("4"))
        );
        assert_eq!(first["factors"], serde_json::json!({"L": "2", "S": "2"}));
        assert_eq!(first["rule"], "risk@1#direct.confined_space");
        let rudong = app.session_for("rudong").await;
        assert_eq!(
            app.send(rudong.get(&format!("/risks/{}", p.id)))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(rudong.get(&format!("/enterprises/{ent}/risks")))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(rudong.get(&format!("/api/v1/enterprises/{ent}/risks")))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(rudong.get(&format!("/enterprises/{ent}/risks/export")))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(rugao.form("/risks", &point("lec", &LEC)))
                .await
                .status(),
            403
        );
        crate::add_user(
            &db,
            "linchang",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(other),
        )
        .await;
        let neighbour = app.session_for("linchang").await;
        assert_eq!(
            app.send(neighbour.get(&format!("/risks/{}", p.id)))
                .await
                .status(),
            404
        );
        let mut theirs = point("lec", &LEC);
        theirs[0] = ("version", "2");
        assert_eq!(
            app.send(neighbour.form(&format!("/risks/{}", p.id), &theirs))
                .await
                .status(),
            404
        );
        assert_eq!(
            risk_points::get(&db, &Scope::City, p.id)
                .await
                .expect("point")
                .version,
            2
        );
    })
    .await;
}

/// The officers' figures are running sums: after points are added and re-assessed across
/// levels and enterprises, every sum equals counting the points, and each reader sees its scope.
#[tokio::test]
async fn the_risk_figures_are_running_sums_that_equal_counting() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let a = enterprise_in_rugao(&db, 71, "如皋甲厂").await;
        let b = enterprise_in_rugao(&db, 72, "如皋乙厂").await;
        let c = enterprise_in_rugao(&db, 73, "如皋丙厂").await;
        crate::add_user(
            &db,
            "qa",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(a),
        )
        .await;
        crate::add_user(
            &db,
            "qb",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(b),
        )
        .await;
        let (qa, qb) = (app.session_for("qa").await, app.session_for("qb").await);
        // a: 较大 (270) twice, then one of them re-assessed to 低 (L × S 1 × 2); b: 重大 by a
        // direct condition.
        for i in 0..2 {
            // Names are unique in a register.
            let name = format!("冲压车间 {i} 号冲床");
            let mut p = point("lec", &LEC);
            p[1] = ("name", &name);
            assert_eq!(app.send(qa.form("/risks", &p)).await.status(), 204);
        }
        let mut direct = point("lec", &LEC);
        direct.push(("direct", "confined_space"));
        assert_eq!(app.send(qb.form("/risks", &direct)).await.status(), 204);
        let first = risk_points::of_enterprise(&db, &Scope::City, a)
            .await
            .expect("register")[0]
            .id;
        let mut lower = point("ls", &[("f_ls_L", "1"), ("f_ls_S", "2")]);
        lower[0] = ("version", "1");
        let res = app.send(qa.form(&format!("/risks/{first}"), &lower)).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        // Counting the points themselves.
        let mut counted: std::collections::BTreeMap<(String, String), (i64, i64)> =
            Default::default();
        for e in [a, b] {
            let points = risk_points::of_enterprise(&db, &Scope::City, e)
                .await
                .expect("register");
            let mut levels: Vec<String> = points.iter().map(|p| p.level.clone()).collect();
            levels.push(risk_points::ANY_LEVEL.into());
            let region = points[0].region_code.clone();
            let mut seen = std::collections::BTreeSet::new();
            for l in &levels {
                let n = if l == risk_points::ANY_LEVEL {
                    points.len() as i64
                } else {
                    points.iter().filter(|p| &p.level == l).count() as i64
                };
                if seen.insert(l.clone()) {
                    let c = counted.entry((region.clone(), l.clone())).or_default();
                    c.0 += 1;
                    c.1 += n;
                }
            }
        }
        let sums: std::collections::BTreeMap<(String, String), (i64, i64)> =
            risk_points::sums(&db, &Scope::City)
                .await
                .expect("sums")
                .into_iter()
                .filter(|s| s.enterprises > 0 || s.points > 0)
                .map(|s| ((s.region_code, s.level), (s.enterprises, s.points)))
                .collect();
        assert_eq!(sums, counted);
        // Per industry, the same figures (the three works are all 机械 here, so they add up).
        let industry = anbiao_store::enterprise::get(&db, &Scope::City, a)
            .await
            .expect("enterprise")
            .industry_code;
        let mut by_industry: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
        for ((_, level), v) in &counted {
            let c = by_industry.entry(level.clone()).or_default();
            c.0 += v.0;
            c.1 += v.1;
        }
        let per_industry: std::collections::BTreeMap<String, (i64, i64)> =
            risk_points::industry_sums(&db, &Scope::City)
                .await
                .expect("industry sums")
                .into_iter()
                .filter(|s| s.enterprises > 0 || s.points > 0)
                .inspect(|s| assert_eq!(s.industry_code, industry))
                .map(|s| (s.level, (s.enterprises, s.points)))
                .collect();
        assert_eq!(per_industry, by_industry);
        assert_eq!(sums[&("320682".to_string(), "high".to_string())], (1, 1));
        assert_eq!(sums[&("320682".to_string(), "*".to_string())], (2, 3));
        // The district's page: its row and the 重大 list; another district sees neither.
        let rugao = app.session_for("rugao").await;
        let page = crate::body_text(app.send(rugao.get("/risks")).await).await;
        assert!(
            page.contains("id=\"risk-summary\"")
                && page.contains(&format!("href=\"/enterprises/{b}/risks\">如皋乙厂")),
            "{page}"
        );
        // The API gives the same figures, scoped the same way.
        let res = app.send(rugao.get("/api/v1/risks/summary")).await;
        assert_eq!(res.status(), 200);
        let v: serde_json::Value =
            serde_json::from_str(&crate::body_text(res).await).expect("json");
        let major = v["figures"]
            .as_array()
            .expect("figures")
            .iter()
            .find(|f| f["level"] == "major")
            .expect("a 重大 figure")
            .clone();
        assert_eq!(
            (
                major["region_code"].as_str(),
                major["enterprises"].as_i64(),
                major["points"].as_i64()
            ),
            (Some("320682"), Some(1), Some(1))
        );
        assert_eq!(v["enterprises"]["major"], serde_json::json!([b]));
        // The one without a register is listed as such.
        assert_eq!(v["without_register"], serde_json::json!([c]));
        let rudong = app.session_for("rudong").await;
        let v: serde_json::Value = serde_json::from_str(
            &crate::body_text(app.send(rudong.get("/api/v1/risks/summary")).await).await,
        )
        .expect("json");
        assert_eq!(v["figures"], serde_json::json!([]));
        assert_eq!(v["without_register"], serde_json::json!([]));
        let page = crate::body_text(app.send(rudong.get("/risks")).await).await;
        assert!(
            !page.contains("如皋乙厂") && page.contains("辖区内企业尚未辨识风险点"),
            "{page}"
        );
        // A township reads its enterprises' figures (counted from their own counts): the
        // test enterprises have no township, so none.
        let township = app.session_for("township").await;
        let res = app.send(township.get("/risks")).await;
        assert_eq!(res.status(), 200);
        assert!(!crate::body_text(res).await.contains("如皋乙厂"));
        // An enterprise's figures are its own register.
        let res = app.send(qa.get("/risks")).await;
        assert_eq!(res.status(), 303);
        let to = res
            .headers()
            .get(axum::http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert_eq!(to, format!("/enterprises/{a}/risks"));
    })
    .await;
}

/// A point's check task falls due on its level of control's schedule; the enterprise records
/// the check, a failed item opens a hazard at the point on the hazard path, a stale or early
/// check is refused and changes nothing, the daily job escalates an overdue task once and the
/// next check ends it; an accident calls for the register to be assessed again.
#[tokio::test]
async fn check_tasks_fall_due_open_hazards_at_the_point_and_escalate_when_overdue() {
    use anbiao_domain::date::format_date;
    use anbiao_store::{jobs, notify, risk_checks};
    use time::Duration;
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&db, 81, "如皋冲压厂").await;
        crate::add_user(
            &db,
            "qc",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let qc = app.session_for("qc").await;
        let today = anbiao_web::today();
        // 较大 (LEC 270), held at company level: checked monthly (30 days), three items.
        let res = app.send(qc.form("/risks", &point("lec", &LEC))).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let p = risk_points::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("register")[0]
            .clone();
        let due = today + Duration::days(29);
        assert_eq!(p.next_check_due, format_date(due));
        let tasks = crate::body_text(
            app.send(qc.get(&format!("/enterprises/{ent}/risk-checks")))
                .await,
        )
        .await;
        assert!(
            tasks.contains("待检查 1 项")
                && tasks.contains("每月至少一次")
                && tasks.contains("3 项"),
            "{tasks}"
        );
        let form =
            crate::body_text(app.send(qc.get(&format!("/risks/{}/check", p.id))).await).await;
        assert!(
            form.contains("hx-boost=\"true\""),
            "the form sends its CSRF token"
        );
        assert!(
            form.contains("2. 工程技术措施：光电保护装置")
                && form.contains("3. 管理措施：光电保护每班点检"),
            "{form}"
        );
        let url = format!("/risks/{}/check", p.id);
        let due_s = format_date(due);
        let deadline = format_date(today + Duration::days(10));
        let mut check = vec![
            ("due", due_s.as_str()),
            ("checker", "顾晓燕"),
            ("r0", "pass"),
            ("r1", "fail"),
            ("r2", "pass"),
            ("deadline1", deadline.as_str()),
        ];
        // A failed item without what was found: refused, nothing written.
        let res = app.send(qc.form(&url, &check)).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(body.contains("第 2 项不符合：请写明发现的问题"), "{body}");
        assert!(
            risk_checks::of_point(&db, p.id)
                .await
                .expect("checks")
                .is_empty()
        );
        check.push(("note1", "光电保护被短接"));
        let res = app.send(qc.form(&url, &check)).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let done = risk_checks::of_point(&db, p.id).await.expect("checks");
        assert_eq!(done.len(), 1);
        // The next task opens later: the form says so instead of offering a check to refuse.
        let form = crate::body_text(app.send(qc.get(&url)).await).await;
        assert!(
            form.contains("id=\"not-yet\"") && !form.contains("id=\"check-form\""),
            "{form}"
        );
        assert!(!done[0].passed);
        let hazard_id = done[0].results()[1].hazard_id.expect("a hazard opened");
        let h = anbiao_store::hazards::get(&db, &Scope::City, hazard_id)
            .await
            .expect("hazard");
        assert_eq!(h.enterprise_id, ent);
        assert_eq!(h.source, "self");
        assert!(
            h.description.contains(
                "风险点“冲压车间 250吨冲床”工程技术措施“光电保护装置”不符合：光电保护被短接"
            ),
            "{}",
            h.description
        );
        assert_eq!(h.risk_point_id, Some(p.id));
        let hazard_page =
            crate::body_text(app.send(qc.get(&format!("/hazards/{hazard_id}"))).await).await;
        assert!(
            hazard_page.contains(&format!(
                "href=\"/risks/{}\" id=\"hazard-risk-point\"",
                p.id
            )),
            "{hazard_page}"
        );
        // Checked early: the schedule holds, the next task is due a period after this one.
        let next = due + Duration::days(30);
        let p2 = risk_points::get(&db, &Scope::City, p.id)
            .await
            .expect("point");
        assert_eq!(p2.next_check_due, format_date(next));
        let page = crate::body_text(app.send(qc.get(&format!("/risks/{}", p.id))).await).await;
        assert!(
            page.contains(&format!("href=\"/hazards/{hazard_id}\""))
                && page.contains("顾晓燕")
                && page.contains("未到检查时间"),
            "{page}"
        );
        // The same task again: stale. The next task: not open until a period before it is due.
        let res = app.send(qc.form(&url, &check)).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("已完成或已变更"));
        let next_s = format_date(next);
        check[0] = ("due", next_s.as_str());
        let res = app.send(qc.form(&url, &check)).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(body.contains("尚未到检查时间"), "{body}");
        assert_eq!(
            risk_checks::of_point(&db, p.id)
                .await
                .expect("checks")
                .len(),
            1
        );
        // The day after it is due the daily job escalates it, once; a 较大 risk's to officers too.
        let late = next + Duration::days(1);
        let escalate = vec!["major".to_string(), "high".to_string()];
        let r = jobs::run_risk_checks(&db, &escalate, late, "a")
            .await
            .expect("job")
            .expect("ran");
        assert_eq!((r.points, r.enterprises, r.notices), (1, 1, 2));
        assert!(
            jobs::run_risk_checks(&db, &escalate, late, "b")
                .await
                .expect("job")
                .is_none()
        );
        let again = risk_checks::mark_overdue(&db, late + Duration::days(1), &escalate)
            .await
            .expect("again");
        assert_eq!(again.points, 0, "a task is escalated once");
        let overdue = |db: anbiao_store::Db| async move {
            risk_points::sums(&db, &Scope::City)
                .await
                .expect("sums")
                .into_iter()
                .find(|s| s.level == risk_points::OVERDUE)
                .map(|s| (s.enterprises, s.points))
        };
        assert_eq!(overdue(db.clone()).await, Some((1, 1)));
        let rugao = app.session_for("rugao").await;
        let figures = crate::body_text(app.send(rugao.get("/risks")).await).await;
        assert!(
            figures.contains("id=\"list-overdue\"")
                && figures.contains(&format!(
                    "href=\"/enterprises/{ent}/risk-checks\">如皋冲压厂"
                )),
            "{figures}"
        );
        let officer = notify::list(
            &db,
            &Scope::Region {
                codes: vec!["320682".into()],
            },
            notify::Audience::Officer,
            10,
        )
        .await
        .expect("notices");
        assert!(
            officer
                .iter()
                .any(|n| n.kind == risk_checks::CHECK_OVERDUE && n.body.contains("冲压车间")),
            "{officer:?}"
        );
        // Checked late, on a later business day: the escalation ends, the schedule restarts.
        let later_app = crate::TestApp::on_day(db.clone(), late).await;
        let mut late_check = check.clone();
        late_check[1] = ("checker", "周建华");
        late_check.truncate(3);
        late_check.push(("r1", "pass"));
        late_check.push(("r2", "pass"));
        let res = later_app.send(qc.form(&url, &late_check)).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        assert_eq!(overdue(db.clone()).await, Some((0, 0)));
        let p3 = risk_points::get(&db, &Scope::City, p.id)
            .await
            .expect("point");
        assert_eq!(
            (p3.next_check_due, p3.check_overdue_since),
            (format_date(late + Duration::days(30)), None)
        );
        // An accident calls for the register to be assessed again; a change answers it.
        anbiao_store::accident::record(
            &db,
            &Scope::City,
            &anbiao_store::audit_log::Actor::new("rugao", "test"),
            ent,
            &anbiao_domain::rules::Accident {
                occurred_on: today,
                deaths: 0,
                serious_injuries: 1,
                direct_loss_yuan: 80_000,
            },
            "冲床伤手",
        )
        .await
        .expect("accident");
        let reg =
            crate::body_text(app.send(qc.get(&format!("/enterprises/{ent}/risks"))).await).await;
        assert!(reg.contains("需重新评价"), "{reg}");
        let mut same = point("lec", &LEC);
        same[0] = ("version", "1");
        let res = app.send(qc.form(&format!("/risks/{}", p.id), &same)).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let p4 = risk_points::get(&db, &Scope::City, p.id)
            .await
            .expect("point");
        assert_eq!(p4.reassess, "");
        // The running sums equal the sums rebuilt from the points.
        let nonzero = |v: Vec<risk_points::LevelSum>| -> Vec<risk_points::LevelSum> {
            v.into_iter()
                .filter(|s| s.enterprises > 0 || s.points > 0)
                .collect()
        };
        let running = nonzero(risk_points::sums(&db, &Scope::City).await.expect("sums"));
        let industries = risk_points::industry_sums(&db, &Scope::City)
            .await
            .expect("industry sums");
        risk_points::rebuild_sums(&db).await.expect("rebuild");
        let rebuilt = nonzero(risk_points::sums(&db, &Scope::City).await.expect("sums"));
        assert_eq!(running, rebuilt);
        let nonzero_i = |v: Vec<risk_points::IndustrySum>| -> Vec<risk_points::IndustrySum> {
            v.into_iter()
                .filter(|s| s.enterprises > 0 || s.points > 0)
                .collect()
        };
        assert_eq!(
            nonzero_i(industries),
            nonzero_i(
                risk_points::industry_sums(&db, &Scope::City)
                    .await
                    .expect("industry sums")
            )
        );
        assert!(
            rebuilt
                .iter()
                .any(|s| s.level == risk_points::ANY_LEVEL && s.points == 1)
        );
        let events = risk_points::events(&db, &Scope::City, p.id)
            .await
            .expect("events");
        assert!(
            events
                .last()
                .is_some_and(|e| e.note.contains("已按要求重新评价")),
            "{events:?}"
        );
    })
    .await;
}

/// A point prints each card type of the rules (三卡) on A4 or A5 with a QR code to its current
/// version on the portal; the portal shows the cards to whoever scans one, says when the card
/// scanned is out of date, and answers nothing for a token that is not one.
#[tokio::test]
async fn a_point_prints_its_cards_and_the_portal_shows_their_current_version() {
    use axum::body::Body;
    use axum::http::Request;
    each_backend(|db| async move {
        let app = crate::TestApp::with_config(
            db.clone(),
            anbiao_web::WebConfig {
                public_url: Some("https://aq.nantong.example".into()),
                ..Default::default()
            },
        )
        .await;
        let ent = enterprise_in_rugao(&db, 91, "如皋卡片厂").await;
        crate::add_user(
            &db,
            "qk",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let qk = app.session_for("qk").await;
        let res = app.send(qk.form("/risks", &point("lec", &LEC))).await;
        assert_eq!(res.status(), 204);
        let p = risk_points::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("register")[0]
            .clone();
        let page = crate::body_text(app.send(qk.get(&format!("/risks/{}", p.id))).await).await;
        assert!(
            page.contains(&format!(
                "href=\"/risks/{}/cards/emergency?paper=a5\"",
                p.id
            )),
            "{page}"
        );
        let res = app
            .send(qk.get(&format!("/risks/{}/cards/notice?paper=a5", p.id)))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().expect("type"),
            "application/pdf"
        );
        let pdf = crate::body_bytes(res).await;
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF-") && text.contains("419.53"), "A5");
        let token = p.card_token.clone().expect("a token");
        assert!(
            text.contains(&format!("/portal/risk-cards/{token}?v=1")),
            "the QR code's link names the version"
        );
        for (url, status) in [
            (format!("/risks/{}/cards/promise", p.id), 404),
            (format!("/risks/{}/cards/notice?paper=b5", p.id), 400),
        ] {
            assert_eq!(app.send(qk.get(&url)).await.status(), status, "{url}");
        }
        let rudong = app.session_for("rudong").await;
        assert_eq!(
            app.send(rudong.get(&format!("/risks/{}/cards/notice", p.id)))
                .await
                .status(),
            404
        );
        // Anyone who scans the card: the current version, all three cards.
        let anon = |uri: String| Request::get(uri).body(Body::empty()).expect("request");
        let res = app
            .send(anon(format!("/portal/risk-cards/{token}?v=1")))
            .await;
        assert_eq!(res.status(), 200);
        let public = crate::body_text(res).await;
        assert!(
            public.contains("id=\"card-current\"")
                && public.contains("岗位风险告知卡")
                && public.contains("安全操作卡")
                && public.contains("光电保护每班点检"),
            "{public}"
        );
        // After a change the printed card is out of date.
        let mut changed = point("lec", &LEC);
        changed[0] = ("version", "1");
        changed.push(("m_emergency", "立即停机并切断电源"));
        assert_eq!(
            app.send(qk.form(&format!("/risks/{}", p.id), &changed))
                .await
                .status(),
            204
        );
        let public = crate::body_text(
            app.send(anon(format!("/portal/risk-cards/{token}?v=1")))
                .await,
        )
        .await;
        assert!(
            public.contains("您扫描的卡片为第 1 版，该风险点已更新为第 2 版")
                && public.contains("立即停机并切断电源"),
            "{public}"
        );
        // A version the point never had is not taken for an old card.
        for v in ["99", "0", "abc"] {
            let public = crate::body_text(
                app.send(anon(format!("/portal/risk-cards/{token}?v={v}")))
                    .await,
            )
            .await;
            assert!(
                public.contains("id=\"card-bad-version\""),
                "v={v}: {public}"
            );
        }
        for bad in ["zz", "0123456789abcdef01234567", &"a".repeat(200)] {
            let res = app.send(anon(format!("/portal/risk-cards/{bad}"))).await;
            assert_eq!(res.status(), 404, "{bad}");
        }
    })
    .await;
}

/// 一图: the enterprise uploads a plan, places points by position or by a click, the map shows
/// each in its colour and prints to PDF; a file that is not an image, a place outside the plan
/// and another enterprise's plan are refused and change nothing; officers read within scope.
#[tokio::test]
async fn points_placed_on_an_uploaded_plan_make_the_four_colour_map() {
    use anbiao_store::risk_plans;
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&db, 95, "如皋布图厂").await;
        let other = enterprise_in_rugao(&db, 96, "如皋邻图厂").await;
        for (u, e) in [("qm", ent), ("qn", other)] {
            crate::add_user(
                &db,
                u,
                anbiao_domain::Role::EnterpriseManager,
                None,
                Some(e),
            )
            .await;
        }
        let (qm, qn) = (app.session_for("qm").await, app.session_for("qn").await);
        let plan = crate::plan_png(800, 500);
        let up = |s: &crate::Session, name: &str, bytes: &[u8]| {
            crate::supervision::multipart(
                s,
                "/risk-plans",
                &[("name", name), ("kind", "site")],
                &[("plan", bytes)],
            )
        };
        // Not an image: refused, nothing stored.
        let res = app.send(up(&qm, "总平面图", b"%PDF-1.7 not a plan")).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("PNG 或 JPEG"));
        assert!(
            risk_plans::of_enterprise(&db, &Scope::City, ent)
                .await
                .expect("plans")
                .is_empty()
        );
        assert_eq!(app.send(up(&qm, "厂区总平面图", &plan)).await.status(), 204);
        assert_eq!(app.send(up(&qn, "邻厂总平面图", &plan)).await.status(), 204);
        let mine = risk_plans::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("plans")[0]
            .clone();
        let theirs = risk_plans::of_enterprise(&db, &Scope::City, other)
            .await
            .expect("plans")[0]
            .clone();
        assert_eq!((mine.width, mine.height), (800, 500));
        // Two points, placed by position and by a click on the plan shown 800 wide.
        for i in 0..2 {
            // Names are unique in a register.
            let name = format!("冲压车间 {i} 号冲床");
            let mut p = point("lec", &LEC);
            p[1] = ("name", &name);
            assert_eq!(app.send(qm.form("/risks", &p)).await.status(), 204);
        }
        let pts = risk_points::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("register");
        let (a, b) = (pts[0].id, pts[1].id);
        let plan_id = mine.id.to_string();
        let place = |id: i64, fields: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            qm.form(&format!("/risks/{id}/place"), &pairs)
        };
        let res = app
            .send(place(
                a,
                vec![
                    ("version", "1".into()),
                    ("plan", plan_id.clone()),
                    ("at", "35,42".into()),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let res = app
            .send(place(
                b,
                vec![
                    ("version", "1".into()),
                    ("plan", plan_id.clone()),
                    ("at.x", "400".into()),
                    ("at.y", "125".into()),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let at = |id: i64| {
            let db = db.clone();
            async move {
                risk_points::get(&db, &Scope::City, id)
                    .await
                    .expect("point")
                    .plan_at
            }
        };
        assert_eq!(at(a).await.as_deref(), Some("350,420"));
        assert_eq!(at(b).await.as_deref(), Some("500,250"));
        // Refused, nothing changed: outside the plan, another enterprise's plan, a stale version.
        for (fields, says) in [
            (
                vec![
                    ("version", "2".into()),
                    ("plan", plan_id.clone()),
                    ("at", "101,5".into()),
                ],
                "超出平面图范围",
            ),
            (
                vec![
                    ("version", "2".into()),
                    ("plan", plan_id.clone()),
                    ("at.x", "900".into()),
                    ("at.y", "5".into()),
                ],
                "超出平面图范围",
            ),
            (
                vec![
                    ("version", "2".into()),
                    ("plan", theirs.id.to_string()),
                    ("at", "5,5".into()),
                ],
                "本企业已上传的平面图",
            ),
            (
                vec![
                    ("version", "0".into()),
                    ("plan", plan_id.clone()),
                    ("at", "5,5".into()),
                ],
                "已被他人修改",
            ),
        ] {
            let res = app.send(place(a, fields)).await;
            assert_eq!(res.status(), 422);
            let body = crate::body_text(res).await;
            assert!(body.contains(says), "{says}: {body}");
        }
        assert_eq!(at(a).await.as_deref(), Some("350,420"));
        // A place is not what the cards print: the version (named by their QR code) stays.
        assert_eq!(
            risk_points::get(&db, &Scope::City, a)
                .await
                .expect("point")
                .version,
            1
        );
        // A click on the plan (image map, no script) offers the position to confirm.
        let offered = crate::body_text(
            app.send(qm.get(&format!("/risks/{b}/plans/{}/at?400,125", mine.id)))
                .await,
        )
        .await;
        assert!(
            offered.contains("id=\"place-note\"") && offered.contains("value=\"50,25\""),
            "{offered}"
        );
        let outside = crate::body_text(
            app.send(qm.get(&format!("/risks/{b}/plans/{}/at?900,5", mine.id)))
                .await,
        )
        .await;
        assert!(outside.contains("超出平面图范围"), "{outside}");
        // The map: each point in its level's colour (较大 orange), at its place in the plan's pixels.
        let map = crate::body_text(
            app.send(qm.get(&format!("/enterprises/{ent}/risk-map")))
                .await,
        )
        .await;
        assert!(
            map.contains("viewBox=\"0 0 800 500\"")
                && map.contains("<circle cx=\"280\" cy=\"210\"")
                && map.contains("fill=\"#f28e2b\""),
            "{map}"
        );
        let res = app
            .send(qm.get(&format!("/risk-plans/{}/map", mine.id)))
            .await;
        assert_eq!(res.status(), 200);
        let pdf = crate::body_bytes(res).await;
        assert!(
            pdf.starts_with(b"%PDF-") && String::from_utf8_lossy(&pdf).contains("/Subtype/Image")
        );
        // Officers: the district's sees the map; another district's and the neighbour do not.
        let rugao = app.session_for("rugao").await;
        assert_eq!(
            app.send(rugao.get(&format!("/enterprises/{ent}/risk-map")))
                .await
                .status(),
            200
        );
        assert_eq!(
            app.send(rugao.get(&format!("/risk-plans/{}/image", mine.id)))
                .await
                .status(),
            200
        );
        let rudong = app.session_for("rudong").await;
        for url in [
            format!("/enterprises/{ent}/risk-map"),
            format!("/risk-plans/{}/image", mine.id),
        ] {
            assert_eq!(app.send(rudong.get(&url)).await.status(), 404, "{url}");
        }
        assert_eq!(
            app.send(qn.get(&format!("/risk-plans/{}/image", mine.id)))
                .await
                .status(),
            404
        );
    })
    .await;
}

/// The 两单 an enterprise exports imports back as the same register (another enterprise's); a
/// file with a wrong row is refused whole, naming the sheet row and the column.
#[tokio::test]
async fn the_exported_register_imports_back_and_a_wrong_row_refuses_the_file() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let from = enterprise_in_rugao(&db, 97, "如皋导出厂").await;
        let to = enterprise_in_rugao(&db, 98, "如皋导入厂").await;
        for (u, e) in [("qx", from), ("qy", to)] {
            crate::add_user(&db, u, anbiao_domain::Role::EnterpriseManager, None, Some(e)).await;
        }
        let (qx, qy) = (app.session_for("qx").await, app.session_for("qy").await);
        let mut direct = point("lec", &LEC);
        direct[1] = ("name", "污水池清淤");
        direct.push(("direct", "confined_space"));
        for p in [point("ls", &[("f_ls_L", "3"), ("f_ls_S", "3")]), direct] {
            assert_eq!(app.send(qx.form("/risks", &p)).await.status(), 204);
        }
        let file = crate::body_bytes(
            app.send(qx.get(&format!("/enterprises/{from}/risks/export")))
                .await,
        )
        .await
        .to_vec();
        let up = |s: &crate::Session, bytes: &[u8]| {
            crate::supervision::multipart(s, "/risks/import", &[], &[("file", bytes)])
        };
        let res = app.send(up(&qy, &file)).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let key = |e: i64| {
            let db = db.clone();
            async move {
                let mut v: Vec<(String, String, String, String, String, String)> =
                    risk_points::of_enterprise(&db, &Scope::City, e)
                        .await
                        .expect("register")
                        .into_iter()
                        .map(|p| (p.name, p.level, p.factors, p.direct, p.control_level, p.measures))
                        .collect();
                v.sort();
                v
            }
        };
        let (a, b) = (key(from).await, key(to).await);
        assert_eq!(a.len(), 2);
        assert_eq!(a, b, "the register reads back the same");
        // The same file again changes nothing: its rows are the points of those names.
        let res = app.send(up(&qy, &file)).await;
        assert_eq!(res.status(), 204);
        let to_page = res.headers()["HX-Redirect"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(
            to_page.ends_with("added=0&updated=0&unchanged=2"),
            "{to_page}"
        );
        assert_eq!(key(to).await, b, "nothing added or changed");
        let page = crate::body_text(app.send(qy.get(&to_page)).await).await;
        assert!(
            page.contains("导入完成：新增 0 处，按名称更新 0 处，2 处与现有风险点相同未作改动"),
            "{page}"
        );
        // A row of a name the register has changes that point; a new name adds one.
        let one = |exposed: &str| {
            format!(
                "风险点名称,类型,所在位置,危险有害因素,可能导致的事故类别,接触人数,评价方法,评价因素,管控层级,管理措施,责任人\n\
                 污水池清淤,作业活动,污水站,硫化氢,中毒和窒息,{exposed},LEC,L=3；E=6；C=15,,作业审批,王强\n\
                 配电室,场所区域,厂区,带电体裸露,触电,2,LEC,L=1；E=3；C=15,,绝缘用具半年检测,王强\n"
            )
        };
        let res = app.send(up(&qy, one("9").as_bytes())).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let after = risk_points::of_enterprise(&db, &Scope::City, to)
            .await
            .expect("register");
        assert_eq!(after.len(), 3);
        let changed = after
            .iter()
            .find(|p| p.name == "污水池清淤")
            .expect("the point of that name");
        assert_eq!((changed.exposed, changed.version), (9, 2));
        // A name twice in the file, or a stated level the factors do not give, refuses it.
        let twice = format!("{}配电室,场所区域,二号厂区,带电体,触电,1,LEC,L=1；E=3；C=15,,检测,李强\n", one("9"));
        let res = app.send(up(&qy, twice.as_bytes())).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(body.contains("与第 3 行重名"), "{body}");
        let stated = "风险点名称,类型,所在位置,危险有害因素,可能导致的事故类别,接触人数,评价方法,评价因素,风险等级,管控层级,管理措施,责任人\n\
                      冲床,设备设施,二号车间,双手进入模具区,机械伤害,3,LEC,L=1；E=3；C=15,重大风险,,光电保护,王强\n";
        let res = app.send(up(&qy, stated.as_bytes())).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(body.contains("表中为“重大风险”"), "{body}");
        // Two sheets: a graded row whose name was not identified is refused on its sheet.
        let headers1 = ["风险点名称", "类型", "所在位置", "危险有害因素", "可能导致的事故类别", "接触人数"];
        let headers2 = ["风险点名称", "评价方法", "评价因素", "管理措施", "责任人"];
        let t = |v: &str| anbiao_sheets::XCell::Text(v.to_string());
        let rows1 = vec![vec![t("砂轮机"), t("设备设施"), t("机修间"), t("砂轮破裂"), t("物体打击"), t("1")]];
        let rows2 = vec![
            vec![t("砂轮机"), t("LEC"), t("L=3；E=6；C=3"), t("防护罩"), t("缪俊")],
            vec![t("冲床X"), t("LEC"), t("L=3；E=6；C=3"), t("光电保护"), t("缪俊")],
        ];
        let book = anbiao_sheets::write_sheets(&[
            anbiao_sheets::Sheet {
                name: "风险点辨识清单",
                title: None,
                headers: &headers1,
                rows: &rows1,
            },
            anbiao_sheets::Sheet {
                name: "风险分级管控清单",
                title: None,
                headers: &headers2,
                rows: &rows2,
            },
        ])
        .expect("book");
        let res = app.send(up(&qy, &book)).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(
            body.contains("风险分级管控清单：风险点名称") && body.contains("风险点辨识清单中没有“冲床X”"),
            "{body}"
        );
        assert_eq!(key(to).await.len(), 3, "nothing written");
        // One sheet with every column; the second data row has a factor value LEC lacks.
        let csv = "风险点名称,类型,所在位置,危险有害因素,可能导致的事故类别,接触人数,评价方法,评价因素,管控层级,管理措施,责任人\n\
                   配电室,场所区域,厂区,带电体裸露,触电,2,LEC,L=1；E=3；C=15,,绝缘用具半年检测,王强\n\
                   叉车,作业活动,厂区,人车混行,车辆伤害,4,LEC,L=4；E=6；C=3,,限速,李卫东\n";
        let res = app.send(up(&qy, csv.as_bytes())).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(
            body.contains("未导入任何风险点")
                && body.contains("第 3 行")
                && body.contains("评价方法与评价因素")
                && body.contains("不在"),
            "{body}"
        );
        assert_eq!(key(to).await.len(), 3, "nothing written");
        // Not a spreadsheet at all.
        let res = app.send(up(&qy, b"\x89PNG\r\n\x1a\n\0\0")).await;
        assert_eq!(res.status(), 422);
        // An officer cannot import into anybody's register.
        let rugao = app.session_for("rugao").await;
        assert_eq!(app.send(up(&rugao, &file)).await.status(), 403);
    })
    .await;
}

/// A register names each point once (the 两单 join by name); a point without measures has no
/// check form to refuse; a township officer's figures are the township's, named so; a plan
/// whose header is sound but whose data is cut off is refused at upload.
#[tokio::test]
async fn names_are_unique_and_pages_say_when_there_is_nothing_to_do() {
    use anbiao_domain::ReferenceData;
    use anbiao_domain::enterprise::{EnterpriseDraft, OverridePolicy};
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let r = ReferenceData::embedded().expect("reference");
        let e = EnterpriseDraft {
            credit_code: Some(crate::code("320682", 131)),
            name: Some("如城测试机械厂".into()),
            region: Some("320682".into()),
            township: Some("如城街道".into()),
            industry: Some("JX".into()),
            ..Default::default()
        }
        .validate(&r, anbiao_web::today(), OverridePolicy::Allowed)
        .expect("valid");
        let ent = anbiao_store::enterprise::create(
            &db,
            &Scope::City,
            &anbiao_store::audit_log::Actor::new("tester", "cli"),
            &e,
        )
        .await
        .expect("enterprise");
        crate::add_user(
            &db,
            "qt",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let qt = app.session_for("qt").await;
        let p = point("lec", &LEC);
        assert_eq!(app.send(qt.form("/risks", &p)).await.status(), 204);
        let res = app.send(qt.form("/risks", &p)).await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(
            body.contains("本企业已有名为“冲压车间 250吨冲床”的风险点"),
            "{body}"
        );
        // Without measures: accepted (it counts as uncontrolled), and its check page says why
        // there is nothing to check.
        let mut bare: Vec<(&str, &str)> = point("lec", &LEC)
            .into_iter()
            .filter(|(k, _)| !k.starts_with("m_"))
            .collect();
        bare[1] = ("name", "二号仓库");
        assert_eq!(app.send(qt.form("/risks", &bare)).await.status(), 204);
        let reg = risk_points::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("register");
        assert_eq!(reg.len(), 2);
        let bare_id = reg.iter().find(|p| p.name == "二号仓库").expect("bare").id;
        let form =
            crate::body_text(app.send(qt.get(&format!("/risks/{bare_id}/check"))).await).await;
        assert!(
            form.contains("id=\"no-items\"") && !form.contains("id=\"check-form\""),
            "{form}"
        );
        // The township's figures are running sums that equal counting its points.
        let ru = Scope::Township {
            codes: vec!["320682".into()],
            township: "如城街道".into(),
        };
        let kept = risk_points::sums(&db, &ru).await.expect("sums");
        let any = kept
            .iter()
            .find(|s| s.level == risk_points::ANY_LEVEL)
            .map(|s| (s.enterprises, s.points));
        assert_eq!(any, Some((1, 2)), "{kept:?}");
        let kept_industries = risk_points::industry_sums(&db, &ru)
            .await
            .expect("industries");
        risk_points::rebuild_sums(&db).await.expect("rebuild");
        assert_eq!(risk_points::sums(&db, &ru).await.expect("sums"), kept);
        assert_eq!(
            risk_points::industry_sums(&db, &ru)
                .await
                .expect("industries"),
            kept_industries
        );
        // The township officer (如城街道) sees the township's figures under its name.
        let township = app.session_for("township").await;
        let page = crate::body_text(app.send(township.get("/risks")).await).await;
        assert!(page.contains("如城街道"), "{page}");
        // A plan cut off after its header.
        let whole = crate::plan_png(800, 500);
        let cut = &whole[..whole.len() / 2];
        let res = app
            .send(crate::supervision::multipart(
                &qt,
                "/risk-plans",
                &[("name", "厂区总平面图"), ("kind", "site")],
                &[("plan", cut)],
            ))
            .await;
        assert_eq!(res.status(), 422);
        let body = crate::body_text(res).await;
        assert!(body.contains("已损坏或不完整"), "{body}");
        assert!(
            anbiao_store::risk_plans::of_enterprise(&db, &Scope::City, ent)
                .await
                .expect("plans")
                .is_empty()
        );
    })
    .await;
}

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, header};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use anbiao_store::testing::each_backend;

use crate::{PASSWORD, TestApp, body_bytes, body_text, code, count, set_cookie};

fn roster_csv() -> String {
    format!(
        "南通市工贸企业名录\n\
序号,单位名称,信用代码,所属地区,行业,营业收入（万元）,职工人数\n\
1,如皋甲机械有限公司,{},如皋,机械行业,\"2,500\",120\n\
2,如皋乙纺织有限公司,{},如皋市,纺织,300,很多\n\
3,,{},如皋,轻工,10,5\n\
4,如皋丁建材有限公司,91320682711592945A,如皋,建材,10,5\n\
,,,,,,\n\
合计,,,,,\"2,810\",125\n",
        code("320682", 1),
        code("320682", 2),
        code("320682", 3)
    )
}

#[tokio::test]
async fn sign_in_through_the_form_and_sign_out() {
    each_backend(|db| async move {
        let app = TestApp::new(db).await;
        // Anonymous pages lead to the sign-in page.
        let res = app
            .send(
                Request::get("/enterprises")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[header::LOCATION], "/login");
        let res = app
            .send(
                Request::get("/enterprises")
                    .header(header::COOKIE, "anbiao_sid=forged")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(res.status(), 303);
        let page = body_text(
            app.send(Request::get("/login").body(Body::empty()).expect("req"))
                .await,
        )
        .await;
        assert!(page.contains("登录"));
        let form = |pw: &str| {
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("hx-request", "true")
                .body(Body::from(format!(
                    "username=city&password={}",
                    pw.replace('#', "%23")
                )))
                .expect("req")
        };
        let res = app.send(form("nope")).await;
        assert_eq!(res.status(), 401);
        assert!(set_cookie(&res).is_none());
        assert!(body_text(res).await.contains("用户名或密码错误"));
        let res = app.send(form(PASSWORD)).await;
        assert_eq!(
            res.headers()["hx-redirect"],
            "/",
            "an officer lands on the workbench"
        );
        let cookie = set_cookie(&res).expect("cookie");
        let raw = res.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax"));
        let res = app
            .send(
                Request::get("/enterprises")
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        assert!(
            res.headers()["content-security-policy"]
                .to_str()
                .unwrap_or("")
                .contains("frame-ancestors 'none'")
        );
        let html = body_text(res).await;
        assert!(html.contains("企业名录"));
        // The page carries the CSRF token for htmx.
        let token = html
            .split("\"X-CSRF-Token\": \"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("token")
            .to_string();
        let logout = |t: &str| {
            Request::post("/logout")
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", t)
                .body(Body::empty())
                .expect("req")
        };
        assert_eq!(app.send(logout("wrong")).await.status(), 403);
        assert_eq!(app.send(logout(&token)).await.status(), 303);
        let res = app
            .send(
                Request::get("/enterprises")
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(res.status(), 303);
    })
    .await;
}

#[tokio::test]
async fn csrf_is_required_on_state_changes() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let s = app.login("city").await;
        let fields = [
            ("credit_code", code("320682", 9)),
            ("name", "某公司".into()),
            ("region_code", "320682".into()),
            ("industry_code", "JX".into()),
        ];
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    if *k == "name" {
                        "%E6%9F%90".to_string()
                    } else {
                        v.to_string()
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let without = Request::post("/enterprises")
            .header(header::COOKIE, &s.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .expect("req");
        assert_eq!(app.send(without).await.status(), 403);
        let wrong = Request::post("/enterprises")
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", "0".repeat(64))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .expect("req");
        assert_eq!(app.send(wrong).await.status(), 403);
        let cross_site = Request::post("/enterprises")
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header("sec-fetch-site", "cross-site")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.clone()))
            .expect("req");
        assert_eq!(app.send(cross_site).await.status(), 403);
        let foreign_origin = Request::post("/api/v1/enterprises")
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::ORIGIN, "http://evil.example")
            .body(Body::from("{}"))
            .expect("req");
        let res = app.send(foreign_origin).await;
        assert_eq!(res.status(), 403);
        assert_eq!(count(&db).await, 0);
        let ok = app.send(s.form("/enterprises", &pairs)).await;
        assert_eq!(ok.status(), 204, "{}", body_text(ok).await);
        assert_eq!(count(&db).await, 1);
    })
    .await;
}

#[tokio::test]
async fn forms_show_field_errors_and_edits_keep_history() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let s = app.login("rugao").await;
        let res = app
            .send(s.form(
                "/enterprises",
                &[
                    ("credit_code", "91320682711592945A"),
                    ("name", ""),
                    ("region_code", "320682"),
                    ("industry_code", "JX"),
                    ("employees", "很多"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        let html = body_text(res).await;
        assert!(html.contains("data-field=\"credit_code\""), "{html}");
        assert!(html.contains("豁免理由"));
        assert!(html.contains("data-field=\"name\""));
        assert!(html.contains("data-field=\"employees\""));
        assert!(!html.contains("data-field=\"region_code\""));
        // The form keeps what was typed.
        assert!(html.contains("value=\"很多\""));
        // An unknown form field is named and nothing is written.
        let res = app
            .send(s.form("/enterprises", &[("name", "x"), ("owner", "y")]))
            .await;
        assert_eq!(res.status(), 400);
        assert!(body_text(res).await.contains("owner"));
        assert_eq!(count(&db).await, 0);

        // The override with a reason is accepted for an officer, and recorded.
        let res = app
            .send(s.form(
                "/enterprises",
                &[
                    ("credit_code", "91320682711592945A"),
                    ("code_override_reason", "已核对营业执照原件"),
                    ("name", "如皋甲公司"),
                    ("region_code", "320682"),
                    ("industry_code", "JX"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let location = res.headers()["hx-redirect"]
            .to_str()
            .expect("ascii")
            .to_string();
        let id: i64 = location
            .trim_start_matches("/enterprises/")
            .parse()
            .expect("id");
        let res = app
            .send(s.form(
                &format!("/enterprises/{id}"),
                &[
                    ("credit_code", "91320682711592945A"),
                    ("code_override_reason", "已核对营业执照原件"),
                    ("name", "如皋甲机械公司"),
                    ("region_code", "320682"),
                    ("industry_code", "JX"),
                    ("employees", "35"),
                    ("version", "1"),
                    ("change_reason", "据营业执照变更登记"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let html = body_text(app.send(s.get(&location)).await).await;
        assert!(html.contains("如皋甲机械公司"));
        assert!(html.contains("已豁免：已核对营业执照原件"));
        let history = html.split("id=\"history\"").nth(1).expect("history table");
        assert!(
            history.contains("<td>企业名称</td><td>如皋甲公司</td><td>如皋甲机械公司</td>"),
            "{history}"
        );
        assert!(history.contains("<td>从业人数</td><td>（空）</td><td>35</td>"));
        assert!(history.contains("rugao"));
        // Another district sees "not found".
        let other = app.login("rudong").await;
        let res = app.send(other.get(&location)).await;
        assert_eq!(res.status(), 404);
        assert!(body_text(res).await.contains("不在您的管辖范围内"));
    })
    .await;
}

#[tokio::test]
async fn import_reports_rows_and_all_or_nothing_writes_nothing() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let s = app.login("rugao").await;
        let csv = roster_csv();
        let res = app
            .send(s.upload("/enterprises/import", "名录.csv", csv.as_bytes(), true))
            .await;
        assert_eq!(res.status(), 200);
        let html = body_text(res).await;
        assert!(html.contains("本次未写入任何数据"), "{html}");
        assert_eq!(count(&db).await, 0);

        // GBK, as Excel on Chinese Windows writes it.
        let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
        let res = app
            .send(s.upload("/enterprises/import", "名录.csv", &gbk, false))
            .await;
        let html = body_text(res).await;
        assert!(html.contains("id=\"imported\">1<"), "{html}");
        assert!(
            html.contains(
                "<td class=\"num\">4</td><td>职工人数</td><td>应为数字，实际为“很多”</td>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"num\">5</td><td>单位名称</td><td>企业名称不能为空</td>")
        );
        assert!(html.contains("<td class=\"num\">6</td><td>信用代码</td>"));
        assert!(html.contains("第 2 行找到表头"));
        assert_eq!(count(&db).await, 1);

        // Files that are not spreadsheets: a Chinese message, nothing written.
        for (name, bytes) in [
            ("noise.xlsx", vec![0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5]),
            ("empty.csv", vec![]),
            ("x.csv", b"a,b\n1,2\n".to_vec()),
        ] {
            let res = app
                .send(s.upload("/enterprises/import", name, &bytes, false))
                .await;
            assert_eq!(res.status(), 400, "{name}");
            let html = body_text(res).await;
            assert!(html.contains("未写入任何数据"), "{name}: {html}");
        }
        assert_eq!(count(&db).await, 1);
        // A township officer may not import.
        let t = app.login("township").await;
        assert_eq!(
            app.send(t.upload("/enterprises/import", "a.csv", csv.as_bytes(), false))
                .await
                .status(),
            403
        );
    })
    .await;
}

#[tokio::test]
async fn a_hostile_workbook_is_refused_and_the_server_keeps_serving() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        // One cell at A1 and one at XFD1048576: 5 KB that once made the process abort.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "企业名称").expect("cell");
        ws.write_string(1_048_575, 16_383, "x").expect("cell");
        let bytes = wb.save_to_buffer().expect("xlsx");
        assert!(bytes.len() < 8 * 1024);
        let s = app.login("rugao").await;
        let res = app
            .send(s.upload("/enterprises/import", "名录.xlsx", &bytes, false))
            .await;
        assert_eq!(res.status(), 400);
        let html = body_text(res).await;
        assert!(
            html.contains("第1048576行第16384列有内容，超出上限"),
            "{html}"
        );
        assert!(html.contains("未写入任何数据"), "{html}");
        let city = app.login("city").await;
        let res = app
            .send(city.multipart(
                "/sheets",
                &[("id", "jx.2011"), ("version", "1")],
                Some(("细则.xlsx", &bytes)),
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("超出上限"));
        // Still serving.
        assert_eq!(app.send(s.get("/enterprises")).await.status(), 200);
        assert_eq!(count(&db).await, 0);
    })
    .await;
}

#[tokio::test]
async fn list_page_searches_and_exports_within_scope() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let city = app.login("city").await;
        for (i, (region, name)) in [("320682", "如皋华宇机械"), ("320682", "如皋永盛纺织"), ("320623", "如东华宇纺织")].iter().enumerate() {
            let body = serde_json::json!({"credit_code": code(region, 40 + i as u32), "name": name, "region_code": region, "industry_code": "FZ", "employees": 10 * (i + 1)});
            assert_eq!(app.send(city.json("POST", "/api/v1/enterprises", body)).await.status(), 201);
        }
        // htmx asks for the results fragment only.
        let req = Request::get("/enterprises?q=%E5%8D%8E%E5%AE%87")
            .header(header::COOKIE, &city.cookie)
            .header("hx-request", "true")
            .header("hx-target", "results")
            .body(Body::empty())
            .expect("req");
        let html = body_text(app.send(req).await).await;
        assert!(!html.contains("<html"));
        assert!(html.contains("共 <strong>2</strong> 家企业"));
        assert!(html.contains("export.xlsx?q="));
        let bad = app.send(city.get("/enterprises?size=huge")).await;
        assert_eq!(bad.status(), 400);
        assert!(body_text(bad).await.contains("无法识别的规模"));

        let rugao = app.login("rugao").await;
        let res = app.send(rugao.get("/enterprises/export.xlsx?q=%E5%8D%8E%E5%AE%87")).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap_or("").contains("attachment"));
        let bytes = body_bytes(res).await;
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
        let range = wb.worksheet_range_at(0).expect("sheet").expect("range");
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows[1][2], Data::String("企业名称".into()));
        assert_eq!(rows.len(), 3, "title, header and the one 如皋 华宇 row");
        assert_eq!(rows[2][2], Data::String("如皋华宇机械".into()));
        assert_eq!(rows[2][3], Data::String("如皋市".into()));
        let admin = app.login("sysadmin").await;
        assert_eq!(app.send(admin.get("/enterprises/export.xlsx")).await.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_long_list_pages_with_its_total_and_keeps_its_filter() {
    use anbiao_store::notify::{self, Audience, NewNotification};
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = crate::grading::enterprise_in_rugao(&db, 91, "分页测试厂").await;
        let notes: Vec<NewNotification> = (0..120)
            .map(|i| NewNotification {
                kind: "test.paging",
                subject: format!("enterprise:{ent}"),
                period: format!("{i:03}"),
                audience: Audience::Officer,
                enterprise_id: ent,
                region_code: "320682".into(),
                title: format!("第{i:03}号提醒"),
                body: "分页".into(),
                link: format!("/enterprises/{ent}"),
                rule: None,
                due_on: None,
            })
            .collect();
        let mut tx = db.begin().await.expect("tx");
        assert_eq!(
            notify::deliver_many_tx(&mut tx, &notes)
                .await
                .expect("deliver"),
            120
        );
        tx.commit().await.expect("commit");
        let rugao = app.session_for("rugao").await;
        let rows = |page: &str| page.matches("<tr class=\"unread\">").count();

        let first = body_text(app.send(rugao.get("/notifications")).await).await;
        assert!(first.contains("共 120 条，第 1/3 页"), "{first}");
        assert_eq!(rows(&first), 50);
        assert!(first.contains("href=\"/notifications?page=2\""), "{first}");

        let last = body_text(app.send(rugao.get("/notifications?page=3")).await).await;
        assert_eq!(rows(&last), 20, "the last page holds the rest");
        assert!(!last.contains("rel=\"next\""));

        // A bigger page, and the filter kept in the pager's links.
        let big = body_text(
            app.send(rugao.get("/notifications?unread=1&size=100"))
                .await,
        )
        .await;
        assert_eq!(rows(&big), 100);
        let links = big.replace("&#38;", "&").replace("&amp;", "&");
        assert!(
            links.contains("href=\"/notifications?unread=1&page=2&size=100\""),
            "{big}"
        );

        // A page past the end (an old link) shows the last one.
        let past = body_text(app.send(rugao.get("/notifications?page=99")).await).await;
        assert!(
            past.contains("共 120 条，第 3/3 页") && rows(&past) == 20,
            "{past}"
        );

        // Nonsense in the URL reads as the first page, never an error.
        let res = app.send(rugao.get("/notifications?page=abc&size=-1")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(rows(&body_text(res).await), 50);

        // Marking one read from the second page of the unread goes back there.
        let first = notify::list(&db, &anbiao_domain::Scope::City, Audience::Officer, 1)
            .await
            .expect("list");
        let res = app
            .send(rugao.form(
                &format!("/notifications/{}/read", first[0].id),
                &[("back", "unread=1&page=2&elsewhere=x")],
            ))
            .await;
        assert_eq!(
            res.headers()["hx-redirect"],
            "/notifications?unread=1&page=2"
        );

        // Another district's officer sees none of them.
        let rudong = app.session_for("rudong").await;
        let none = body_text(app.send(rudong.get("/notifications")).await).await;
        assert!(none.contains("没有记录") && rows(&none) == 0, "{none}");

        // The export holds the whole list as filtered, read back with a real reader: dates
        // and moments as dates; another district's holds none of them.
        let sheet = |bytes: Vec<u8>| {
            let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
            let name = wb.sheet_names()[0].clone();
            wb.worksheet_range(&name).expect("sheet")
        };
        let res = app
            .send(rugao.get("/notifications/export.xlsx?unread=1"))
            .await;
        assert_eq!(res.status(), 200);
        let range = sheet(body_bytes(res).await);
        let ours: Vec<_> = range
            .rows()
            .filter(|r| matches!(&r[0], Data::String(t) if t.ends_with("号提醒")))
            .collect();
        assert_eq!(ours.len(), 119, "the unread ones, one having been read");
        assert!(matches!(ours[0][5], Data::DateTime(_)), "{:?}", ours[0]);
        let res = app.send(rudong.get("/notifications/export.xlsx")).await;
        let theirs = sheet(body_bytes(res).await);
        assert!(
            !theirs
                .rows()
                .any(|r| matches!(&r[0], Data::String(t) if t.ends_with("号提醒"))),
            "another district's export"
        );
    })
    .await;
}

#[tokio::test]
async fn each_role_lands_on_a_workbench_of_what_waits_for_it() {
    use anbiao_store::hazards::{self, NewHazard};
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = crate::grading::enterprise_in_rugao(&db, 92, "工作台测试厂").await;
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let rugao = app.session_for("rugao").await;
        let qiye = app.session_for("qiye").await;
        let rudong = app.session_for("rudong").await;
        let item = |page: &str, label: &str| -> Option<String> {
            let at = page.find(label)?;
            let row = &page[at..];
            let cell = row.split("<td class=\"num").nth(1)?;
            let text = cell.split('>').nth(1)?.split('<').next()?;
            Some(text.to_string())
        };

        let page = body_text(app.send(rugao.get("/")).await).await;
        assert!(page.contains("<h1>工作台</h1>"), "{page}");
        assert_eq!(
            item(&page, "逾期未整改的隐患").as_deref(),
            Some("无"),
            "{page}"
        );

        // A hazard found a month ago, due a week ago: overdue for the district and the
        // enterprise, not for another district.
        let today = anbiao_web::today();
        let rules = anbiao_domain::ReferenceData::embedded().expect("reference");
        let actor = anbiao_store::audit_log::Actor::new("rugao", "form");
        hazards::register(
            &db,
            &anbiao_domain::Scope::City,
            &actor,
            &rules.major_hazards,
            &NewHazard {
                enterprise_id: ent,
                source: "inspection",
                level: anbiao_domain::hazard::Level::General,
                item_key: None,
                description: "消防通道堵塞",
                found_on: today - time::Duration::days(30),
                deadline: Some(today - time::Duration::days(7)),
                photo: None,
            },
        )
        .await
        .expect("hazard");
        let page = body_text(app.send(rugao.get("/")).await).await;
        assert_eq!(
            item(&page, "逾期未整改的隐患").as_deref(),
            Some("1 项"),
            "{page}"
        );
        assert!(
            page.contains("class=\"overdue\""),
            "the overdue first and marked: {page}"
        );
        assert!(page.contains("href=\"/hazards?overdue=1\""), "{page}");
        // The filtered list exports whole, its days as dates; another district's export holds
        // none of it.
        let list = body_text(app.send(rugao.get("/hazards?overdue=1")).await).await;
        assert!(
            list.contains("href=\"/hazards/export.xlsx?overdue=1\""),
            "{list}"
        );
        let res = app.send(rugao.get("/hazards/export.xlsx?overdue=1")).await;
        assert_eq!(res.status(), 200);
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(Cursor::new(body_bytes(res).await)).expect("xlsx");
        let range = wb.worksheet_range("隐患清单").expect("sheet");
        let rows: Vec<_> = range.rows().skip(2).collect();
        assert_eq!(rows.len(), 1, "one overdue hazard");
        assert_eq!(rows[0][1], Data::String("工作台测试厂".into()));
        assert!(matches!(rows[0][5], Data::DateTime(_)), "{:?}", rows[0]);
        assert_eq!(rows[0][8], Data::String("是".into()));
        let res = app.send(rudong.get("/hazards/export.xlsx")).await;
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(Cursor::new(body_bytes(res).await)).expect("xlsx");
        let range = wb.worksheet_range("隐患清单").expect("sheet");
        assert_eq!(range.rows().skip(2).count(), 0, "not another district's");
        let mine = body_text(app.send(qiye.get("/")).await).await;
        assert!(mine.contains("<h1>工作台</h1>"), "{mine}");
        let bar = mine
            .split("<header")
            .nth(1)
            .and_then(|h| h.split("</header>").next())
            .unwrap_or_default();
        assert!(
            bar.contains("工作台测试厂"),
            "the enterprise's name in the top bar: {bar}"
        );
        assert_eq!(
            item(&mine, "逾期未整改的隐患").as_deref(),
            Some("1 项"),
            "{mine}"
        );
        assert!(mine.contains("尚未辨识风险点"), "{mine}");
        assert!(mine.contains("未读提醒"), "{mine}");
        assert!(
            !mine.contains("计划检查"),
            "an enterprise has no inspection plan to keep: {mine}"
        );
        // The obligation list: the items of the period still to check, and a gap once marked.
        let count = |page: &str, label: &str| -> i64 {
            item(page, label)
                .and_then(|v| v.trim_end_matches(" 项").parse().ok())
                .unwrap_or(0)
        };
        let open = count(&mine, "监管清单本期待自查的义务");
        assert!(open > 10, "{mine}");
        assert_eq!(
            item(&mine, "自查发现、尚待整改的问题").as_deref(),
            Some("无")
        );
        let by = anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(20));
        let res = app
            .send(qiye.form(
                "/obligations/five.training/gap",
                &[("note", "新员工未完成三级教育"), ("rectify_by", &by)],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let mine = body_text(app.send(qiye.get("/")).await).await;
        assert_eq!(count(&mine, "监管清单本期待自查的义务"), open - 1, "{mine}");
        assert_eq!(count(&mine, "自查发现、尚待整改的问题"), 1, "{mine}");
        assert!(
            mine.contains(&format!("/enterprises/{ent}/obligations")),
            "{mine}"
        );
        let other = body_text(app.send(rudong.get("/")).await).await;
        assert!(other.contains("<h1>工作台</h1>"), "{other}");
        assert_eq!(
            item(&other, "逾期未整改的隐患").as_deref(),
            Some("无"),
            "{other}"
        );
        // The administrators' work: a refused access counts on the audit administrator's
        // workbench and opens the log filtered to it.
        assert_eq!(app.send(qiye.get("/quality")).await.status(), 403);
        crate::add_user(&db, "wb_sys", anbiao_domain::Role::SystemAdmin, None, None).await;
        crate::add_user(
            &db,
            "wb_sec",
            anbiao_domain::Role::SecurityAdmin,
            None,
            None,
        )
        .await;
        crate::add_user(&db, "wb_audit", anbiao_domain::Role::AuditAdmin, None, None).await;
        let sys = body_text(app.send(app.session_for("wb_sys").await.get("/")).await).await;
        assert_eq!(
            item(&sys, "因多次登录失败被锁定的账户").as_deref(),
            Some("无"),
            "{sys}"
        );
        let sec = body_text(app.send(app.session_for("wb_sec").await.get("/")).await).await;
        assert!(item(&sec, "等待授予角色的账户").is_some(), "{sec}");
        let audit = body_text(app.send(app.session_for("wb_audit").await.get("/")).await).await;
        let denied = item(&audit, "今日越权访问被拒").expect("the item");
        assert_ne!(denied, "无", "{audit}");
        let day = anbiao_domain::date::format_date(anbiao_web::today());
        assert!(
            audit.contains(&format!("/audit?from={day}&amp;action=access.denied"))
                || audit.contains(&format!("/audit?from={day}&#38;action=access.denied")),
            "{audit}"
        );
        // Anonymous: the sign-in page.
        let res = app
            .send(Request::get("/").body(Body::empty()).expect("req"))
            .await;
        assert_eq!(res.headers()[header::LOCATION], "/login");
    })
    .await;
}

#[tokio::test]
async fn units_are_offered_in_the_programme_files_order() {
    each_backend(|db| async move {
        let app = TestApp::new(db).await;
        let city = app.session_for("city").await;
        let page = body_text(app.send(city.get("/inspections/plan")).await).await;
        let select = page
            .split("<select name=\"unit\"")
            .nth(1)
            .and_then(|s| s.split("</select>").next())
            .expect("the city picks a unit");
        let units: Vec<&str> = select
            .split("<option value=\"")
            .skip(1)
            .filter_map(|o| o.split('"').next())
            .collect();
        // The administrative order of the programme file and the region book, not code points
        // (启东 would come first).
        assert_eq!(&units[..4], ["海安", "如皋", "如东", "启东"], "{units:?}");
        assert_eq!(
            units.iter().filter(|u| **u == "崇川").count(),
            1,
            "each unit once"
        );
    })
    .await;
}

#[tokio::test]
async fn a_decision_s_rule_reads_in_words_and_opens_the_rule_book() {
    use anbiao_store::notify::{self, Audience, NewNotification};
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = crate::grading::enterprise_in_rugao(&db, 93, "规则依据测试厂").await;
        let mut tx = db.begin().await.expect("tx");
        notify::deliver_tx(
            &mut tx,
            &NewNotification {
                kind: "certificate.renewal",
                subject: format!("enterprise:{ent}"),
                period: "2026".into(),
                audience: Audience::Officer,
                enterprise_id: ent,
                region_code: "320682".into(),
                title: "证书可申请复评".into(),
                body: "证书将于三个月后到期。".into(),
                link: format!("/enterprises/{ent}/standing"),
                rule: Some("grading.2021@1#validity".into()),
                due_on: None,
            },
        )
        .await
        .expect("deliver");
        tx.commit().await.expect("commit");

        // The officer reads the rule's title and item, linked to its page; the identifier
        // stays only in the link's title.
        let rugao = app.session_for("rugao").await;
        let page = body_text(app.send(rugao.get("/notifications")).await).await;
        assert!(
            page.contains("href=\"/rules/grading.2021@1#validity\"")
                && page.contains("《企业安全生产标准化建设定级办法》：定级办法：有效期3年")
                && page.contains("（待核对）"),
            "{page}"
        );
        assert!(!page.contains(">grading.2021@1#validity<"), "{page}");

        // The rule book: anyone may read it; a signed-in user inside the application.
        let anonymous = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");
        let res = app.send(anonymous("/rules")).await;
        assert_eq!(res.status(), 200);
        let index = body_text(res).await;
        assert!(
            index.contains("href=\"/rules/inspection@2\"")
                && index.contains("监督检查频次规则")
                && index.contains("工作人员登录"),
            "{index}"
        );
        let res = app.send(anonymous("/rules/grading.2014@1")).await;
        assert_eq!(res.status(), 200);
        let set = body_text(res).await;
        assert!(
            set.contains("2014-06-03 起施行，2021-11-01 起停止适用")
                && set.contains("id=\"thresholds.three\"")
                && set.contains("2011 考评办法：三级 ≥ 60 分"),
            "{set}"
        );
        // The recalled notice period says so.
        let notice = set.split("id=\"notice\"").nth(1).expect("notice row");
        let notice = notice.split("</tr>").next().unwrap_or_default();
        assert!(notice.contains("待核对"), "{notice}");
        let inside = body_text(app.send(rugao.get("/rules/grading.2021@1")).await).await;
        assert!(
            inside.contains("企业安全生产标准化建设定级办法") && inside.contains("/logout"),
            "{inside}"
        );
        for missing in [
            "/rules/grading.2014@9",
            "/rules/%3Cscript%3E",
            "/rules/cli:unknown",
        ] {
            let res = app.send(anonymous(missing)).await;
            assert_eq!(res.status(), 404, "{missing}");
        }
    })
    .await;
}

#[tokio::test]
async fn hazards_and_inspections_page_with_the_shared_pager() {
    use anbiao_store::hazards::{self, NewHazard};
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = crate::grading::enterprise_in_rugao(&db, 94, "隐患分页测试厂").await;
        let rules = anbiao_domain::ReferenceData::embedded().expect("reference");
        let actor = anbiao_store::audit_log::Actor::new("rugao", "form");
        let today = anbiao_web::today();
        let texts: Vec<String> = (0..55).map(|i| format!("分页隐患第{i:02}项")).collect();
        for (i, text) in texts.iter().enumerate() {
            hazards::register(
                &db,
                &anbiao_domain::Scope::City,
                &actor,
                &rules.major_hazards,
                &NewHazard {
                    enterprise_id: ent,
                    source: "self",
                    level: anbiao_domain::hazard::Level::General,
                    item_key: None,
                    description: text,
                    found_on: today - time::Duration::days(60 - i as i64),
                    deadline: Some(today + time::Duration::days(30)),
                    photo: None,
                },
            )
            .await
            .expect("hazard");
        }
        let rugao = app.session_for("rugao").await;
        let first = body_text(app.send(rugao.get("/hazards?level=general")).await).await;
        assert!(first.contains("共 55 条，第 1/2 页"), "{first}");
        // Newest found first; the second page holds the five oldest and keeps the filter.
        assert!(first.contains("分页隐患第54项") && !first.contains("分页隐患第04项"));
        let links = first.replace("&#38;", "&").replace("&amp;", "&");
        assert!(
            links.contains("href=\"/hazards?level=general&page=2\""),
            "{first}"
        );
        let second = body_text(app.send(rugao.get("/hazards?level=general&page=2")).await).await;
        assert!(
            second.contains("分页隐患第04项") && !second.contains("分页隐患第05项"),
            "{second}"
        );
        // A hazard's page names who registered it, never the login.
        let id = first
            .split("href=\"/hazards/")
            .skip(1)
            .filter_map(|r| r.split('"').next())
            .find(|r| r.parse::<i64>().is_ok())
            .expect("a hazard link");
        let detail = body_text(app.send(rugao.get(&format!("/hazards/{id}"))).await).await;
        assert!(
            detail.contains("rugao用户（如皋市） 登记") && !detail.contains("rugao 登记"),
            "{detail}"
        );
        // Another district sees none; nonsense in the URL is the first page.
        let rudong = app.session_for("rudong").await;
        let none = body_text(app.send(rudong.get("/hazards")).await).await;
        assert!(!none.contains("分页隐患"), "{none}");
        let res = app.send(rugao.get("/hazards?page=x&size=0")).await;
        assert_eq!(res.status(), 200);

        // The enterprise list reads a page that is not one as the first, inside the frame
        // (the API keeps refusing it: api.rs).
        let res = app
            .send(rugao.get("/enterprises?page=abc&per_page=9999"))
            .await;
        assert_eq!(res.status(), 200);
        let list = body_text(res).await;
        assert!(
            list.contains("隐患分页测试厂") && list.contains("hx-post=\"/logout\""),
            "{list}"
        );
        // …and offers page sizes, the chosen one kept.
        let list = body_text(app.send(rugao.get("/enterprises?per_page=50")).await).await;
        assert!(
            list.contains(r#"<strong aria-current="true">50</strong>"#)
                && list.contains("per_page=100"),
            "{list}"
        );
        // The inspections list: the shared pager with its total.
        let list = body_text(app.send(rugao.get("/inspections")).await).await;
        assert!(
            list.contains("共 0 条") || list.contains("尚无检查记录"),
            "{list}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_portal_home_shows_what_was_published_and_the_bureau_s_contact() {
    each_backend(|db| async move {
        let config = anbiao_web::WebConfig {
            contact: Some("南通市应急管理局 安全生产基础处 电话 0513-85000000".into()),
            ..anbiao_web::WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        let anonymous = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");
        let empty = body_text(app.send(anonymous("/portal")).await).await;
        for section in [
            "正在公示",
            "最新公告",
            "通报",
            "警示通报",
            "整改提升名单",
            "双随机抽查",
        ] {
            assert!(empty.contains(&format!(">{section}")), "{section}: {empty}");
        }
        assert!(
            empty.contains("当前没有正在公示的企业")
                && empty.contains("联系我们：南通市应急管理局 安全生产基础处 电话 0513-85000000"),
            "{empty}"
        );

        // A certificate issued shows among the announcements, linked to its verification.
        let ent = crate::grading::enterprise_in_rugao(&db, 95, "门户首页测试厂").await;
        let today = anbiao_web::today();
        anbiao_store::certificate::issue(
            &db,
            &anbiao_store::audit_log::Actor::new("city", "form"),
            &anbiao_store::certificate::NewCertificate {
                enterprise_id: ent,
                case_id: None,
                grade: anbiao_domain::Grade::Three,
                industry: "JX".into(),
                issuer: "南通市应急管理局".into(),
                external: false,
                issued_on: today,
                valid_until: today + time::Duration::days(3 * 365),
                rule: "grading.2021@1#validity".into(),
                region_abbr: '苏',
                number: None,
            },
        )
        .await
        .expect("certificate");
        let home = body_text(app.send(anonymous("/portal")).await).await;
        let announcements = home
            .split("id=\"h-announcements\"")
            .nth(1)
            .expect("section");
        let announcements = announcements.split("</section>").next().unwrap_or_default();
        assert!(
            announcements.contains("门户首页测试厂 获评三级")
                && announcements.contains("href=\"/verify/"),
            "{announcements}"
        );
        // A search shows the results, not the home.
        let found = body_text(
            app.send(anonymous("/portal?q=%E9%97%A8%E6%88%B7%E9%A6%96%E9%A1%B5"))
                .await,
        )
        .await;
        assert!(found.contains("id=\"lookup-results\"") && !found.contains("id=\"portal-home\""));
        // Without a configured contact the foot says nothing of one.
        let plain = TestApp::on_day(db.clone(), today).await;
        let page = body_text(plain.send(anonymous("/portal")).await).await;
        assert!(!page.contains("联系我们"), "{page}");
    })
    .await;
}

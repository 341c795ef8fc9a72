//! Supervision through the pages: an inspector records an inspection with a finding, the
//! enterprise reports its rectification with a photo, the officer writes it off; decisions and
//! the violations database; warning notices on the portal; and the refusals of bad input.

use axum::body::Body;
use axum::http::{Request, header};

use anbiao_domain::{Role, Scope};
use anbiao_store::audit_log::Actor;
use anbiao_store::testing::each_backend;
use anbiao_store::{enterprise, hazards};

use crate::{Session, TestApp, add_user, body_bytes, body_text};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake";

/// A multipart post with text fields and named files, as htmx sends it.
pub fn multipart(
    s: &Session,
    uri: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Request<Body> {
    let boundary = "----anbiaosupervision42";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{k}.png\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post(uri)
        .header(header::COOKIE, &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .header("hx-request", "true")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

async fn enterprise_in_rugao(app: &TestApp, n: u32) -> i64 {
    let r = anbiao_domain::ReferenceData::embedded().expect("reference");
    let e = anbiao_domain::EnterpriseDraft {
        credit_code: Some(crate::code("320682", 600 + n)),
        name: Some(format!("检查对象{n}号厂")),
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
    enterprise::create(&app.db, &Scope::City, &Actor::new("tester", "cli"), &e)
        .await
        .expect("enterprise")
}

fn location(res: &axum::http::Response<Body>) -> String {
    res.headers()
        .get("hx-redirect")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn checklist_fields(finding: Option<&str>) -> Vec<(String, String)> {
    let r = anbiao_domain::ReferenceData::embedded().expect("reference");
    let set = r
        .checklists
        .in_force(anbiao_web::today())
        .expect("checklist");
    let mut out = Vec::new();
    for i in &set.items {
        if Some(i.key.as_str()) == finding {
            out.push((format!("answer_{}", i.key), "finding".to_string()));
            out.push((format!("note_{}", i.key), "动火作业未办理审批".to_string()));
        } else {
            out.push((format!("answer_{}", i.key), "ok".to_string()));
        }
    }
    out
}

#[tokio::test]
async fn an_inspection_finding_is_rectified_with_a_photo_and_written_off() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&app, 1).await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        let rugao = app.session_for("rugao").await;
        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let deadline =
            anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(10));
        let ent_s = ent.to_string();
        let mut fields: Vec<(String, String)> = vec![
            ("enterprise_id".into(), ent_s.clone()),
            ("kind".into(), "complaint".into()),
            ("on".into(), today.clone()),
            ("officer1".into(), "rugao".into()),
            ("officer2".into(), "township".into()),
            ("summary".into(), "举报核查".into()),
        ];
        fields.extend(checklist_fields(Some("hot_work")));
        let pairs = |extra: &[(&str, &str)]| {
            let mut v: Vec<(String, String)> = fields.clone();
            for (k, x) in extra {
                v.retain(|(kk, _)| kk != k);
                v.push((k.to_string(), x.to_string()));
            }
            v
        };
        let send = |v: Vec<(String, String)>, files: Vec<(&'static str, Vec<u8>)>| {
            let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let frefs: Vec<(&str, &[u8])> = files.iter().map(|(a, b)| (*a, b.as_slice())).collect();
            multipart(&rugao, "/inspections", &refs, &frefs)
        };
        // A finding without its hazard, a hazard without a deadline, a photo that is no image:
        // each refused with the reason, nothing written.
        for (extra, files, why) in [
            (vec![], vec![], "请登记相应的隐患"),
            (
                vec![
                    ("f1_description", "动火作业未审批"),
                    ("f1_level", "general"),
                ],
                vec![],
                "请规定整改期限",
            ),
            (
                vec![
                    ("f1_description", "动火作业未审批"),
                    ("f1_level", "general"),
                    ("f1_deadline", deadline.as_str()),
                ],
                vec![("f1_photo", b"%PDF-1.4 not a photo".to_vec())],
                "照片应为 JPEG 或 PNG 图片",
            ),
            (
                vec![
                    ("f1_description", "动火作业未审批"),
                    ("f1_level", "general"),
                    ("f1_deadline", deadline.as_str()),
                ],
                vec![("f1_photo", {
                    let mut big = PNG.to_vec();
                    big.resize(6 * 1024 * 1024, 0);
                    big
                })],
                "照片不能超过 5 MB",
            ),
            (vec![("officer2", "")], vec![], "2 名以上执法人员"),
            // The pair is two real officers who may inspect there, the recorder among them:
            // no made-up name, no enterprise account, no officer of another district, no
            // second officer twice, no pair the recorder is not part of.
            (
                vec![("officer2", "zf02")],
                vec![],
                "不是本市或该企业所在县区的在职监管人员账号",
            ),
            (
                vec![("officer2", "qiye")],
                vec![],
                "不是本市或该企业所在县区的在职监管人员账号",
            ),
            (
                vec![("officer2", "rudong")],
                vec![],
                "不是本市或该企业所在县区的在职监管人员账号",
            ),
            (vec![("officer2", "rugao")], vec![], "重复填写"),
            (
                vec![("officer1", "city"), ("officer2", "township")],
                vec![],
                "本人列为检查人员之一",
            ),
        ] {
            let res = app.send(send(pairs(&extra), files)).await;
            assert_eq!(res.status(), 422, "{why}");
            let body = body_text(res).await;
            assert!(body.contains(why), "{why}: {body}");
        }
        assert!(
            hazards::list(&db, &Scope::City, &Default::default(), 10, 0)
                .await
                .expect("list")
                .is_empty()
        );

        let res = app
            .send(send(
                pairs(&[
                    ("f1_description", "动火作业未办理审批，现场无监火人"),
                    ("f1_level", "general"),
                    ("f1_deadline", deadline.as_str()),
                ]),
                vec![("f1_photo", PNG.to_vec())],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let at = location(&res);
        assert!(at.starts_with("/inspections/"), "{at}");
        let page = body_text(app.send(rugao.get(&at)).await).await;
        assert!(
            page.contains("动火作业未办理审批") && page.contains("举报投诉核查"),
            "{page}"
        );
        let h = hazards::list(&db, &Scope::City, &Default::default(), 10, 0)
            .await
            .expect("list");
        assert_eq!(h.len(), 1);
        let hid = h[0].id;

        // Writing it off before the enterprise reports it done is refused.
        let res = app
            .send(rugao.form(&format!("/hazards/{hid}/accept"), &[("note", "ok")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("不能验收销号"));
        // A suspension order on a general hazard is refused.
        let res = app
            .send(rugao.form(
                "/enforcement",
                &[
                    ("enterprise_id", &ent_s),
                    ("hazard_id", &hid.to_string()),
                    ("kind", "suspension"),
                    ("on", &today),
                    ("category", "hazard_not_removed"),
                    ("facts", "存在事故隐患"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("只适用于重大事故隐患"));

        // The enterprise sees its hazard and reports the rectification with a photo.
        let qiye = app.session_for("qiye").await;
        let list = body_text(app.send(qiye.get("/hazards")).await).await;
        assert!(list.contains("动火作业未办理审批"), "{list}");
        let res = app
            .send(multipart(
                &qiye,
                &format!("/hazards/{hid}/rectify"),
                &[("note", "已补办审批")],
                &[],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("须上传整改后的照片"));
        let res = app
            .send(multipart(
                &qiye,
                &format!("/hazards/{hid}/rectify"),
                &[("note", "已补办审批，配备监火人")],
                &[("photo", PNG)],
            ))
            .await;
        assert_eq!(res.status(), 204);
        // The enterprise cannot write its own hazard off.
        assert_eq!(
            app.send(qiye.form(&format!("/hazards/{hid}/accept"), &[]))
                .await
                .status(),
            403
        );

        // The officer sees the photo and writes it off.
        let detail = body_text(app.send(rugao.get(&format!("/hazards/{hid}"))).await).await;
        assert!(
            detail.contains("整改完成待验收") && detail.contains("整改后"),
            "{detail}"
        );
        let photos = hazards::photos(&db, &Scope::City, hid)
            .await
            .expect("photos");
        assert_eq!(
            photos.iter().map(|p| p.phase.as_str()).collect::<Vec<_>>(),
            vec!["before", "after"]
        );
        let img = app
            .send(rugao.get(&format!("/hazards/{hid}/photos/{}", photos[1].id)))
            .await;
        assert_eq!(img.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(body_bytes(img).await, PNG);
        let res = app
            .send(rugao.form(
                &format!("/hazards/{hid}/accept"),
                &[("note", "经现场核查，整改到位")],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let h = hazards::get(&db, &Scope::City, hid).await.expect("get");
        assert_eq!(
            (h.state, h.closed_by.as_deref()),
            (anbiao_domain::hazard::State::Closed, Some("rugao"))
        );

        // Another district reads none of it.
        let rudong = app.session_for("rudong").await;
        assert_eq!(
            app.send(rudong.get(&format!("/hazards/{hid}")))
                .await
                .status(),
            404
        );
        assert_eq!(app.send(rudong.get(&at)).await.status(), 404);
        assert!(
            !body_text(app.send(rudong.get("/hazards")).await)
                .await
                .contains("动火作业")
        );
        // The statistics count it in its quarter.
        let stats = body_text(app.send(rugao.get("/hazards/stats")).await).await;
        assert!(stats.contains("检查对象1号厂"), "{stats}");
    })
    .await;
}

#[tokio::test]
async fn decisions_feed_the_violations_database_and_the_warning_notice() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&app, 2).await;
        let rugao = app.session_for("rugao").await;
        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let ent_s = ent.to_string();
        let fine = |amount: &str, reason: &str| {
            rugao.form(
                "/enforcement",
                &[
                    ("enterprise_id", ent_s.as_str()),
                    ("kind", "fine"),
                    ("on", today.as_str()),
                    ("category", "training"),
                    ("facts", "未按规定开展安全生产教育和培训"),
                    ("fine", amount),
                    ("reason", reason),
                    ("document_no", "（皋）应急罚〔2026〕3号"),
                ],
            )
        };
        // Never started: a fine below the limit needs a reason; above it is refused.
        let res = app.send(fine("30000", "")).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("须记录理由"));
        let res = app.send(fine("300000", "")).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("超过"));
        let res = app.send(fine("30000", "首次违法，主动整改")).await;
        assert_eq!(res.status(), 204);
        let list = body_text(app.send(rugao.get("/violations")).await).await;
        assert!(
            list.contains("检查对象2号厂") && list.contains("#category.training"),
            "{list}"
        );
        assert!(
            list.contains(&format!(
                "href=\"/enterprises/{ent}/standing\">检查对象2号厂"
            )),
            "the enterprise's name opens the enterprise: {list}"
        );
        // The database exports whole: the day a date, the fine a number Excel sums.
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        let res = app.send(rugao.get("/violations/export.xlsx")).await;
        assert_eq!(res.status(), 200);
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(std::io::Cursor::new(body_bytes(res).await)).expect("xlsx");
        let range = wb.worksheet_range("违法行为信息库").expect("sheet");
        let rows: Vec<_> = range.rows().skip(2).collect();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(matches!(rows[0][0], Data::DateTime(_)), "{:?}", rows[0]);
        assert_eq!(rows[0][1], Data::String("检查对象2号厂".into()));
        assert_eq!(rows[0][8], Data::Float(30000.0));
        let d = anbiao_store::enforcement::list(&db, &Scope::City, &Default::default(), 10, 0)
            .await
            .expect("list");
        assert_eq!(d.len(), 1);
        assert!(d[0].max_penalty && d[0].reason.as_deref() == Some("首次违法，主动整改"));
        // Typical case, then the city drafts 如皋's notice and publishes it.
        assert_eq!(
            app.send(rugao.form(
                &format!("/violations/{}/typical", d[0].violation_id),
                &[("typical", "1")]
            ))
            .await
            .status(),
            204
        );
        let township = app.session_for("township").await;
        assert_eq!(
            app.send(township.form(
                "/warnings",
                &[
                    ("unit", "如皋"),
                    ("from", "2000-01-01"),
                    ("to", today.as_str())
                ]
            ))
            .await
            .status(),
            403
        );
        let city = app.session_for("city").await;
        let res = app
            .send(city.form(
                "/warnings",
                &[
                    ("unit", "如皋"),
                    ("from", "2000-01-01"),
                    ("to", today.as_str()),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let at = location(&res);
        let id: i64 = at.trim_start_matches("/warnings/").parse().expect("id");
        let anon = |uri: String| Request::get(uri).body(Body::empty()).expect("request");
        assert_eq!(
            app.send(anon(format!("/portal/warnings/{id}")))
                .await
                .status(),
            404,
            "a draft is not public"
        );
        assert_eq!(
            app.send(city.form(&format!("/warnings/{id}/publish"), &[]))
                .await
                .status(),
            204
        );
        let public = body_text(app.send(anon(format!("/portal/warnings/{id}"))).await).await;
        assert!(
            public.contains("如皋安全生产违法行为警示通报")
                && public.contains("检查对象2号厂")
                && public.contains("罚款 3 万元"),
            "{public}"
        );
        assert!(
            body_text(app.send(anon("/portal/warnings".into())).await)
                .await
                .contains(&format!("/portal/warnings/{id}"))
        );
        if fontdb_has_cjk() {
            let pdf = app.send(anon(format!("/portal/warnings/{id}/pdf"))).await;
            assert_eq!(pdf.status(), 200);
            assert!(body_bytes(pdf).await.starts_with(b"%PDF-"));
        }
    })
    .await;
}

/// Whether the machine has the CJK font the PDFs embed (the test script installs it).
fn fontdb_has_cjk() -> bool {
    [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).exists())
}

#[tokio::test]
async fn a_plan_is_only_changed_for_the_officers_own_unit_and_its_draw_is_published() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        for n in 10..16 {
            let id = enterprise_in_rugao(&app, n).await;
            enterprise::set_life(
                &db,
                &Scope::City,
                &Actor::new("tester", "cli"),
                id,
                time::macros::date!(2015 - 01 - 01),
                None,
                "登记",
            )
            .await
            .expect("life");
        }
        let rugao = app.session_for("rugao").await;
        let year = anbiao_web::today().year().to_string();
        // 如皋's officer asks for 如东's plan: refused, nothing drawn.
        let res = app
            .send(rugao.form(
                "/inspections/plan",
                &[("year", &year), ("unit", "如东"), ("seed", "1")],
            ))
            .await;
        assert_eq!(res.status(), 403);
        assert!(body_text(res).await.contains("只能编制和公开本地区"));
        assert!(
            anbiao_store::inspection_plans::get(&db, "如东", anbiao_web::today().year())
                .await
                .expect("ran")
                .is_none()
        );
        for who in ["rugao", "township"] {
            app.send(rugao.form(
                "/inspections/officers",
                &[("username", who), ("capacity", "40")],
            ))
            .await;
        }
        assert_eq!(
            app.send(rugao.form("/inspections/plan", &[("year", &year), ("seed", "99")]))
                .await
                .status(),
            204
        );
        let page = body_text(app.send(rugao.get("/inspections/plan")).await).await;
        assert!(
            page.contains("id=\"calendar\"") && page.contains("记录检查"),
            "{page}"
        );
        let xlsx = app
            .send(rugao.get(&format!("/inspections/plan/export?year={year}")))
            .await;
        assert_eq!(xlsx.status(), 200);
        assert!(body_bytes(xlsx).await.starts_with(b"PK"));
        let plan = anbiao_store::inspection_plans::get(&db, "如皋", anbiao_web::today().year())
            .await
            .expect("ran")
            .expect("plan");
        let anon = |uri: String| Request::get(uri).body(Body::empty()).expect("request");
        assert_eq!(
            app.send(anon(format!("/portal/inspections/{}", plan.id)))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(rugao.form("/inspections/plan/publish", &[("year", &year)]))
                .await
                .status(),
            204
        );
        let public = body_text(
            app.send(anon(format!("/portal/inspections/{}", plan.id)))
                .await,
        )
        .await;
        assert!(
            public.contains(&format!(">{}<", plan.seed)) && public.contains("如皋"),
            "{public}"
        );
        // The officers' names stay internal.
        assert!(!public.contains("township"), "{public}");
    })
    .await;
}

#[tokio::test]
async fn a_districts_statistics_page_through_its_enterprises_most_hazards_first() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let r = anbiao_domain::ReferenceData::embedded().expect("reference");
        let today = anbiao_web::today();
        // 101 enterprises with one hazard each this year, the last with three.
        let mut last = 0;
        for n in 0..101u32 {
            let e = enterprise_in_rugao(&app, 100 + n).await;
            let found = if n == 100 { 3 } else { 1 };
            for k in 0..found {
                let text = format!("统计分页隐患{n}-{k}");
                hazards::register(
                    &db,
                    &Scope::City,
                    &Actor::new("tester", "cli"),
                    &r.major_hazards,
                    &hazards::NewHazard {
                        enterprise_id: e,
                        source: "inspection",
                        level: anbiao_domain::hazard::Level::General,
                        item_key: None,
                        description: &text,
                        found_on: today,
                        deadline: Some(today + time::Duration::days(10)),
                        photo: None,
                    },
                )
                .await
                .expect("hazard");
            }
            last = e;
        }
        let rugao = app.session_for("rugao").await;
        let first = body_text(app.send(rugao.get("/hazards/stats")).await).await;
        assert!(first.contains("有隐患记录的企业 101 家"), "{first}");
        assert!(first.contains("page=2"), "{first}");
        // The one with most hazards heads the first page; the total counts all 103.
        let row = first.find("检查对象200号厂").expect("most hazards first");
        let body = first.find("<tbody>").expect("table");
        assert!(row > body && first[body..row].matches("<tr>").count() == 1);
        assert!(first.contains(&format!("/enterprises/{last}/standing")));
        assert!(first.contains(">103<"), "{first}");
        let second = body_text(app.send(rugao.get("/hazards/stats?page=2")).await).await;
        assert_eq!(second.matches("/standing\"").count(), 1, "{second}");
        assert!(second.contains("上一页") && !second.contains("下一页"));
        assert!(second.contains(">103<"));
    })
    .await;
}

#[tokio::test]
async fn free_text_is_bounded_and_the_refusal_names_the_limit() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&app, 7).await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        let qiye = app.session_for("qiye").await;
        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let deadline =
            anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(10));
        let long = "配电箱".repeat(400);
        let report = |description: &str| {
            multipart(
                &qiye,
                "/hazards",
                &[
                    ("level", "general"),
                    ("found_on", today.as_str()),
                    ("deadline", deadline.as_str()),
                    ("description", description),
                ],
                &[],
            )
        };
        let res = app.send(report(&long)).await;
        assert_eq!(res.status(), 422);
        let body = body_text(res).await;
        assert!(
            body.contains("隐患描述不能超过 1000 字（现有 1200 字）"),
            "{body}"
        );
        assert!(
            hazards::list(&db, &Scope::City, &Default::default(), 10, 0)
                .await
                .expect("list")
                .is_empty()
        );
        let res = app.send(report("配电箱门未关闭，警示标志缺失")).await;
        assert!(
            res.status().is_redirection() || res.status() == 204,
            "{}",
            res.status()
        );
        assert_eq!(
            hazards::list(&db, &Scope::City, &Default::default(), 10, 0)
                .await
                .expect("list")
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn an_inspection_checks_the_gaps_the_enterprise_found_in_its_own_list() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&app, 5).await;
        let other = enterprise_in_rugao(&app, 6).await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        add_user(&db, "qiye2", Role::EnterpriseManager, None, Some(other)).await;
        let by = anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(30));
        for (user, note) in [("qiye", "一名电工证书过期"), ("qiye2", "焊工证过期")] {
            let s = app.session_for(user).await;
            let res = app
                .send(s.form(
                    "/obligations/law.special_workers/gap",
                    &[("note", note), ("rectify_by", &by)],
                ))
                .await;
            assert_eq!(res.status(), 204, "{}", body_text(res).await);
        }
        let gap_of = |e: i64| {
            let db = db.clone();
            async move {
                anbiao_store::obligations::records(
                    &db,
                    &Scope::City,
                    e,
                    anbiao_web::today() - time::Duration::days(400),
                )
                .await
                .expect("records")
                .into_iter()
                .find(|r| r.state == "gap")
                .expect("the gap")
                .id
            }
        };
        let (gap, foreign) = (gap_of(ent).await, gap_of(other).await);

        // The officer's list offers the inspection; its form lists the gap to check.
        let rugao = app.session_for("rugao").await;
        let page = body_text(
            app.send(rugao.get(&format!("/enterprises/{ent}/obligations")))
                .await,
        )
        .await;
        assert!(
            page.contains(&format!("/inspections/new?enterprise={ent}")),
            "{page}"
        );
        let form = body_text(
            app.send(rugao.get(&format!("/inspections/new?enterprise={ent}")))
                .await,
        )
        .await;
        assert!(form.contains("id=\"gap-checklist\""), "{form}");
        assert!(form.contains("一名电工证书过期"), "{form}");
        assert!(form.contains(&format!("answer_gap:{gap}")), "{form}");
        assert!(
            !form.contains("焊工证过期"),
            "another enterprise's gap: {form}"
        );

        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let deadline =
            anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(10));
        let mut base: Vec<(String, String)> = vec![
            ("enterprise_id".into(), ent.to_string()),
            ("kind".into(), "complaint".into()),
            ("on".into(), today),
            ("officer1".into(), "rugao".into()),
            ("officer2".into(), "township".into()),
        ];
        base.extend(checklist_fields(None));
        let post = |extra: Vec<(String, String)>| {
            let mut v = base.clone();
            v.extend(extra);
            let refs: Vec<(&str, &str)> = v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            multipart(&rugao, "/inspections", &refs, &[])
        };
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        let key = format!("gap:{gap}");
        // Not put right but nothing said; said but no hazard; another enterprise's gap: each
        // refused with the reason, nothing recorded.
        for (extra, why) in [
            (
                vec![s(&format!("answer_{key}"), "finding")],
                "写明检查发现的情况",
            ),
            (
                vec![
                    s(&format!("answer_{key}"), "finding"),
                    s(&format!("note_{key}"), "证书仍未更新"),
                ],
                "请登记相应的隐患",
            ),
            (
                vec![s(&format!("answer_gap:{foreign}"), "ok")],
                "已整改或不属于该企业",
            ),
        ] {
            let res = app.send(post(extra)).await;
            assert_eq!(res.status(), 422, "{why}");
            let body = body_text(res).await;
            assert!(body.contains(why), "{why}: {body}");
            // The form comes back as the officer filled it in.
            assert!(
                body.contains("name=\"officer2\" required class=\"mono\" value=\"township\""),
                "{body}"
            );
            if why == "请登记相应的隐患" {
                assert!(body.contains("value=\"证书仍未更新\""), "{body}");
                assert!(
                    body.contains(&format!("name=\"answer_{key}\" value=\"finding\" checked")),
                    "{body}"
                );
            }
        }
        assert!(
            anbiao_store::inspections::page(&db, &Scope::City, Default::default())
                .await
                .expect("inspections")
                .rows
                .is_empty()
        );

        // Found not put right, with its hazard: the inspection records the answer.
        let res = app
            .send(post(vec![
                s(&format!("answer_{key}"), "finding"),
                s(&format!("note_{key}"), "电工证书仍未更新"),
                s("f1_description", "特种作业人员证书过期仍上岗"),
                s("f1_level", "general"),
                s("f1_deadline", &deadline),
            ]))
            .await;
        let to = location(&res);
        assert!(to.starts_with("/inspections/"), "{}", body_text(res).await);
        let detail = body_text(app.send(rugao.get(&to)).await).await;
        assert!(detail.contains("id=\"gap-answers\""), "{detail}");
        assert!(detail.contains("未整改到位"), "{detail}");
        assert!(detail.contains("电工证书仍未更新"), "{detail}");
        assert!(detail.contains("一名电工证书过期"), "{detail}");
    })
    .await;
}

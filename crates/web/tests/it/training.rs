//! Training (培训, issue 18 item 4): a unit records a session, imports its sign-in sheet (all
//! rows or none, with a report per row), prints attendance certificates and reads the coverage
//! as of a day; only the recording unit adds to a session.

use anbiao_domain::{EnterpriseDraft, ReferenceData, Role, Scope};
use anbiao_store::audit_log::Actor;
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, enterprise, orgs};

use crate::{TestApp, add_user, body_text, code};

pub(crate) async fn enterprise_sized(
    db: &Db,
    n: u32,
    region: &str,
    township: &str,
    name: &str,
    sales_wan: &str,
    employees: &str,
) -> i64 {
    let r = ReferenceData::embedded().expect("reference");
    let e = EnterpriseDraft {
        credit_code: Some(code(region, n)),
        name: Some(name.into()),
        region: Some(region.into()),
        township: Some(township.into()),
        industry: Some("JX".into()),
        annual_sales_wan: Some(sales_wan.into()),
        employees: Some(employees.into()),
        ..Default::default()
    }
    .validate(
        &r,
        anbiao_web::today(),
        anbiao_domain::enterprise::OverridePolicy::Allowed,
    )
    .expect("valid");
    enterprise::create(db, &Scope::City, &Actor::new("tester", "cli"), &e)
        .await
        .expect("enterprise")
}

fn redirect_of(res: &axum::response::Response) -> String {
    res.headers()
        .get("HX-Redirect")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_string()
}

fn session_form(title: &str, day: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", title.to_string()),
        ("organiser", "district".into()),
        ("organiser_name", "如皋市应急管理局".into()),
        ("topic", "standardisation".into()),
        ("audience", "principals".into()),
        ("held_on", day.to_string()),
        ("hours", "3.5".into()),
        ("place", "如皋市政务中心三楼会议室".into()),
        ("trainer", "陈立新".into()),
    ]
}

#[tokio::test]
async fn a_district_imports_a_sign_in_sheet_all_or_nothing_and_reads_the_coverage() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let big = enterprise_sized(
            &db,
            81,
            "320682",
            "如城街道",
            "南通华峰机械有限公司",
            "5000",
            "300",
        )
        .await;
        let small = enterprise_sized(
            &db,
            82,
            "320682",
            "如城街道",
            "如皋市小林五金厂",
            "300",
            "12",
        )
        .await;
        enterprise_sized(
            &db,
            83,
            "320623",
            "掘港街道",
            "如东县远洋机械有限公司",
            "300",
            "12",
        )
        .await;
        let actor = Actor::new("tester", "cli");
        let until = time::macros::date!(2099 - 12 - 31);
        let org = orgs::create_org(&db, &actor, "南通安评咨询中心", "评审单位", until)
            .await
            .expect("org");
        let trained = orgs::add_evaluator(&db, &actor, org, "周明", "KP-2026-001", until)
            .await
            .expect("evaluator");
        let untrained = orgs::add_evaluator(&db, &actor, org, "吴芳", "KP-2026-002", until)
            .await
            .expect("evaluator");
        orgs::add_evaluator(
            &db,
            &actor,
            org,
            "郑老",
            "KP-2015-009",
            time::macros::date!(2020 - 06 - 30),
        )
        .await
        .expect("an evaluator no longer qualified");
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(big)).await;
        let rugao = app.session_for("rugao").await;
        let today = anbiao_domain::date::format_date(anbiao_web::today());

        // A refused session keeps what was typed and names the field.
        let mut bad = session_form("", &today);
        bad[0].1 = String::new();
        let pairs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.send(rugao.form("/training", &pairs)).await;
        assert_eq!(res.status(), 422);
        let page = body_text(res).await;
        assert!(page.contains("请填写培训名称"), "{page}");
        assert!(
            page.contains("value=\"如皋市政务中心三楼会议室\""),
            "{page}"
        );

        let form = session_form("2026年企业主要负责人标准化创建培训", &today);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.send(rugao.form("/training", &pairs)).await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let at = redirect_of(&res);
        let id = at.trim_start_matches("/training/").to_string();

        // One bad row (an enterprise of another district) and one person twice: nothing
        // recorded, every row reported.
        let sheet = "2026年培训签到表\n序号,姓名,工作单位,身份,考评员证书编号,手机\n\
            1,王建国,南通华峰机械有限公司,主要负责人,,13962700001\n\
            2,李梅,南通华峰机械有限公司,安全员,,\n\
            3,赵强,如东县远洋机械有限公司,主要负责人,,\n\
            4,王建国,南通华峰机械有限公司,主要负责人,,\n\
            5,郑老,,考评员,KP-2015-009,\n";
        let res = app
            .send(rugao.multipart(
                &format!("/training/{id}/import"),
                &[],
                Some(("签到表.csv", sheet.as_bytes())),
            ))
            .await;
        assert_eq!(res.status(), 422);
        let page = body_text(res).await;
        assert!(page.contains("整张表<strong>未导入</strong>"), "{page}");
        assert!(
            page.contains("企业“如东县远洋机械有限公司”不在您辖区的企业名录中"),
            "{page}"
        );
        assert!(page.contains("与第3行是同一人"), "{page}");
        assert!(
            page.contains("考评员 郑老（证书编号“KP-2015-009”）的资格已于 2020-06-30 到期"),
            "{page}"
        );
        assert!(page.contains("尚未登记签到"), "{page}");
        // An empty file chosen is named as empty, not as missing.
        let res = app
            .send(rugao.multipart(&format!("{at}/import"), &[], Some(("签到表.xlsx", b""))))
            .await;
        assert_eq!(res.status(), 422);
        let page = body_text(res).await;
        assert!(page.contains("所选文件“签到表.xlsx”是空文件"), "{page}");

        let sheet = format!(
            "姓名,工作单位,身份,考评员证书编号\n\
             王建国,南通华峰机械有限公司,主要负责人,\n\
             李梅,{},安全员,\n\
             孙小林,如皋市小林五金厂,员工,\n\
             周明,,考评员,KP-2026-001\n",
            code("320682", 81)
        );
        let res = app
            .send(rugao.multipart(
                &format!("/training/{id}/import"),
                &[],
                Some(("签到表.csv", sheet.as_bytes())),
            ))
            .await;
        let status = res.status();
        let page = body_text(res).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("已导入 <strong>4</strong> 人"), "{page}");
        assert!(
            page.contains("南通安评咨询中心"),
            "the evaluator's organisation: {page}"
        );
        // The same sheet again: every row is already there.
        let res = app
            .send(rugao.multipart(
                &format!("/training/{id}/import"),
                &[],
                Some(("签到表.csv", sheet.as_bytes())),
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("已登记过本次培训"));

        // One on the day; a name the rules do not know is refused with the roles.
        let res = app
            .send(rugao.form(
                &format!("/training/{id}/attendance"),
                &[
                    ("name", "钱进"),
                    ("role", "officer"),
                    ("unit", "如城街道安监站"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(
                &format!("/training/{id}/attendance"),
                &[("name", "钱进"), ("role", "厨师"), ("unit", "食堂")],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("身份“厨师”无法识别"));

        let page = body_text(app.send(rugao.get(&at)).await).await;
        assert!(page.contains("签到名单（5 人）"), "{page}");
        let cert = page
            .split("href=\"/training/attendance/")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .expect("a certificate link")
            .to_string();
        let res = app
            .send(rugao.get(&format!("/training/attendance/{cert}")))
            .await;
        assert_eq!(res.status(), 200);
        let c = body_text(res).await;
        assert!(c.contains("兹证明 <strong>王建国</strong>"), "{c}");
        assert!(c.contains("学时 3.5"), "{c}");

        // Another district neither sees nor adds to it; the list shows it to its own unit.
        let rudong = app.session_for("rudong").await;
        assert_eq!(app.send(rudong.get(&at)).await.status(), 404);
        let res = app
            .send(rudong.form(
                &format!("/training/{id}/attendance"),
                &[
                    ("name", "赵强"),
                    ("role", "officer"),
                    ("unit", "如东县应急管理局"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 404);
        let list = body_text(app.send(rudong.get("/training")).await).await;
        assert!(!list.contains("2026年企业主要负责人标准化创建培训"));
        let list = body_text(app.send(rugao.get("/training")).await).await;
        assert!(list.contains("2026年企业主要负责人标准化创建培训"));
        // Every form that posts goes through htmx, which sends the CSRF token.
        for path in [at.as_str(), "/training", "/outreach"] {
            let page = body_text(app.send(rugao.get(path)).await).await;
            for form in page.split("<form").skip(1) {
                let tag = form.split('>').next().unwrap_or("");
                if tag.contains("method=\"post\"") {
                    assert!(
                        tag.contains("hx-boost") || tag.contains("hx-post"),
                        "{path}: <form{tag}>"
                    );
                }
            }
        }
        // The template to print, and the city's coverage by unit.
        let res = app.send(rugao.get("/training/sign-in.xlsx")).await;
        assert_eq!(res.status(), 200);
        let text = crate::objects::workbook_text(&crate::body_bytes(res).await);
        assert!(
            text.contains("考评员证书编号") && text.contains("主要负责人"),
            "{text}"
        );
        let city = app.session_for("city").await;
        let page = body_text(app.send(city.get("/training/coverage")).await).await;
        assert!(page.contains("<td class=\"nowrap\">如皋市</td>"), "{page}");
        // An enterprise has no training pages.
        let qiye = app.session_for("qiye").await;
        assert_eq!(app.send(qiye.get("/training")).await.status(), 403);

        // The coverage: 如城街道's key enterprise has both its principal and safety manager
        // trained, its small enterprise is reached.
        let page = body_text(app.send(rugao.get("/training/coverage")).await).await;
        let row = page
            .split("<td class=\"nowrap\">如城街道</td>")
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .expect("如城街道's row");
        let nums: Vec<&str> = row
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap_or(""))
            .collect();
        assert_eq!(nums, ["1", "1", "100.0%", "1", "1", "100.0%"], "{row}");
        assert!(
            page.contains("本年度已参加评审业务培训 <strong>0</strong> 名"),
            "the topic is not evaluation: {page}"
        );
        // The same as JSON, and the session with its attendance.
        let json = crate::body_json(app.send(rugao.get("/api/v1/outreach/figures")).await).await;
        let row = json["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["name"] == "如城街道")
            .expect("如城街道");
        assert_eq!(
            (row["key_enterprises"].as_i64(), row["key_trained"].as_i64()),
            (Some(1), Some(1))
        );
        assert_eq!(json["rule"], "outreach@1#coverage");
        let json =
            crate::body_json(app.send(rugao.get(&format!("/api/v1/training/{id}"))).await).await;
        assert_eq!(
            json["attendance"].as_array().map(Vec::len),
            Some(5),
            "{json}"
        );
        let json = crate::body_json(app.send(rugao.get("/api/v1/training?year=2019")).await).await;
        assert_eq!(json["total"], 0, "{json}");
        let res = app
            .send(rugao.get("/api/v1/outreach/figures?on=tomorrow"))
            .await;
        assert_eq!(res.status(), 400);
        // A day before any rules: refused on the parameter the caller sent.
        let res = app
            .send(rugao.get("/api/v1/outreach/figures?on=2000-01-01"))
            .await;
        assert_eq!(res.status(), 400);
        let json = crate::body_json(res).await;
        assert_eq!(json["field"], "on", "{json}");
        assert!(
            json["message"]
                .as_str()
                .unwrap_or_default()
                .contains("2000-01-01"),
            "{json}"
        );
        // As of the day before, nothing yet.
        let before =
            anbiao_domain::date::format_date(anbiao_web::today() - time::Duration::days(1));
        let page = body_text(
            app.send(rugao.get(&format!("/training/coverage?on={before}")))
                .await,
        )
        .await;
        assert!(
            page.contains("<td class=\"num\">0.0%</td>")
                || page.contains("<td class=\"num\">0</td>"),
            "{page}"
        );
        assert!(!page.contains("100.0%"), "{page}");

        // An evaluator trained in evaluation practice this year is not flagged; the other is.
        let form = {
            let mut f = session_form("2026年考评员评审业务培训", &today);
            f[3].1 = "evaluation".into();
            f
        };
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.send(rugao.form("/training", &pairs)).await;
        let eval_at = redirect_of(&res);
        let res = app
            .send(rugao.form(
                &format!("{eval_at}/attendance"),
                &[
                    ("name", "周明"),
                    ("role", "evaluator"),
                    ("certificate", "KP-2026-001"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let reference = ReferenceData::embedded().expect("reference");
        let city =
            anbiao_actions::Actor::on_behalf(Role::CityOfficer, Scope::City, "tester", "cli");
        let cx = anbiao_actions::Ctx {
            db: &db,
            reference: &reference,
            actor: &city,
            on: anbiao_web::today(),
        };
        let flagged = cx
            .evaluators_trained_this_year(&[trained, untrained])
            .await
            .expect("read");
        assert!(flagged.contains(&trained) && !flagged.contains(&untrained));
        let _ = (small, big);
    })
    .await;
}

#[tokio::test]
async fn a_township_reads_its_districts_sessions_but_only_the_recording_unit_adds_to_them() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        enterprise_sized(
            &db,
            91,
            "320682",
            "如城街道",
            "如皋市城北机械厂",
            "300",
            "12",
        )
        .await;
        let rugao = app.session_for("rugao").await;
        let rucheng = app.session_for("township").await;
        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let form = session_form("安全生产标准化知识培训", &today);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let at = redirect_of(&app.send(rugao.form("/training", &pairs)).await);
        let page = body_text(app.send(rucheng.get(&at)).await).await;
        assert!(page.contains("安全生产标准化知识培训"));
        assert!(
            !page.contains("id=\"import-sign-in\""),
            "the township does not add to it"
        );
        let res = app
            .send(rucheng.form(
                &format!("{at}/attendance"),
                &[
                    ("name", "钱进"),
                    ("role", "officer"),
                    ("unit", "如城街道安监站"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 403);
        // A session the township records is its own; a future one takes no sign-in yet.
        let next = anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(10));
        let form = session_form("小微企业标准化创建辅导", &next);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let own = redirect_of(&app.send(rucheng.form("/training", &pairs)).await);
        let res = app
            .send(rucheng.form(
                &format!("{own}/attendance"),
                &[
                    ("name", "钱进"),
                    ("role", "officer"),
                    ("unit", "如城街道安监站"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("尚未举行"));
        // A hostile sheet is refused in words, nothing recorded.
        let res = app
            .send(rugao.multipart(
                &format!("{at}/import"),
                &[],
                Some(("签到表.xlsx", b"PK\x03\x04 not really a workbook")),
            ))
            .await;
        assert_eq!(res.status(), 422);
        let page = body_text(res).await;
        assert!(
            page.contains("Excel 文件已损坏") || page.contains("无法识别"),
            "{page}"
        );
        assert!(page.contains("尚未登记签到"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn a_long_sign_in_list_reads_a_page_at_a_time() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let rugao = app.session_for("rugao").await;
        let today = anbiao_domain::date::format_date(anbiao_web::today());
        let form = session_form("全市安全生产标准化业务培训", &today);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let at = redirect_of(&app.send(rugao.form("/training", &pairs)).await);
        let mut csv = String::from("姓名,工作单位,身份\n");
        for n in 1..=60 {
            csv.push_str(&format!("学员{n:02},如皋市应急管理局,监管人员\n"));
        }
        let res = app
            .send(rugao.multipart(
                &format!("{at}/import"),
                &[],
                Some(("签到表.csv", csv.as_bytes())),
            ))
            .await;
        assert!(res.status().is_success(), "{}", body_text(res).await);
        let rows = |page: &str| -> usize {
            page.split("id=\"training-attendance\"")
                .nth(1)
                .and_then(|t| t.split("</table>").next())
                .map_or(0, |t| t.matches("data-label=\"姓名\"").count())
        };
        let first = body_text(app.send(rugao.get(&at)).await).await;
        assert!(first.contains("签到名单（60 人）"), "{first}");
        assert_eq!(rows(&first), 50, "the default page");
        assert!(
            first.contains("学员01") && !first.contains("学员51"),
            "{first}"
        );
        assert!(first.contains(&format!("{at}?page=2")), "{first}");
        let second = body_text(app.send(rugao.get(&format!("{at}?page=2"))).await).await;
        assert_eq!(rows(&second), 10);
        assert!(second.contains("学员60") && !second.contains("学员01"));
        // A page past the end shows the last one.
        let past = body_text(app.send(rugao.get(&format!("{at}?page=99"))).await).await;
        assert_eq!(rows(&past), 10);
    })
    .await;
}

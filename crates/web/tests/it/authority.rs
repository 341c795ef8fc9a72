//! The findings of issue 14, each as a request a user could make: who may do what to which
//! record is decided by the action layer on the record, whatever the route lets through.

use serde_json::json;

use anbiao_domain::Role;
use anbiao_domain::lifecycle::{Action, CaseState};
use anbiao_domain::standard::shipped;
use anbiao_store::audit_log::Actor;
use anbiao_store::testing::each_backend;
use anbiao_store::{account, certificate, grading, standards};

use crate::grading::{Cx, enterprise_in_rugao, entries};
use crate::{TestApp, add_user, body_json, body_text};

/// A 如皋 enterprise whose case for `grade` has its self-assessment in: (enterprise, case,
/// the sheet it is scored on).
async fn self_assessed(
    db: &anbiao_store::Db,
    n: u32,
    name: &str,
    grade: anbiao_domain::Grade,
) -> (i64, i64, anbiao_domain::standard::ScoringSheet) {
    let actor = Actor::new("tester", "form");
    for s in shipped().expect("sheets").1 {
        standards::save(db, &actor, &s).await.expect("sheet");
    }
    let sheet = standards::get(db, "sample.gbt33000", 1)
        .await
        .expect("ran")
        .expect("sheet");
    let ent = enterprise_in_rugao(db, n, name).await;
    let c = Cx {
        db,
        on: anbiao_web::today(),
    };
    let case = c.open_case(ent, grade).await.expect("open");
    c.submit_assessment(
        case,
        anbiao_store::assessment::Kind::SelfAssessment,
        &entries(&sheet, 90),
        "自评",
    )
    .await
    .expect("self");
    (ent, case, sheet)
}

/// A 二级 case of a 如皋 enterprise recommended to the province, waiting for its decision, and
/// the enterprise's manager (`qiye`) and an evaluator (`kaoping`) signed up.
async fn recommended_two(db: &anbiao_store::Db) -> (i64, i64) {
    let (ent, case, sheet) = self_assessed(db, 71, "二级越权厂", anbiao_domain::Grade::Two).await;
    let c = Cx {
        db,
        on: anbiao_web::today(),
    };
    c.apply(case).await.expect("apply");
    use anbiao_domain::lifecycle::Party::*;
    c.act(case, Action::Accept, District, None)
        .await
        .expect("accept");
    c.act(case, Action::Assign, City, None)
        .await
        .expect("assign");
    c.evaluate(case, &entries(&sheet, 85), "报告")
        .await
        .expect("evaluate");
    c.approve(case, City).await.expect("approve");
    c.act(case, Action::Recommend, City, None)
        .await
        .expect("recommend");
    add_user(db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
    add_user(db, "kaoping", Role::Evaluator, None, None).await;
    (ent, case)
}

#[tokio::test]
async fn only_the_city_records_a_province_grant() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let (ent, case) = recommended_two(&db).await;
        let year = anbiao_web::today().year();
        let number = format!("苏AQBJXII{year}00031");
        let form = [
            ("document", "苏应急〔2026〕31号"),
            ("number", number.as_str()),
            ("issued_on", "2026-01-05"),
        ];
        let uri = format!("/cases/{case}/external");
        // The enterprise's own manager and an evaluator: refused, nothing recorded.
        let qiye = app.session_for("qiye").await;
        let res = app.send(qiye.form(&uri, &form)).await;
        assert_eq!(res.status(), 403);
        assert!(body_text(res).await.contains("应由市局办理"));
        let kaoping = app.session_for("kaoping").await;
        let res = app.send(kaoping.form(&uri, &form)).await;
        // An evaluator not assigned to the case does not see it.
        assert_eq!(res.status(), 404);
        let row = grading::get(&db, &anbiao_domain::Scope::City, case)
            .await
            .expect("case");
        assert_eq!(row.state(), Some(CaseState::Recommended));
        let certs = certificate::of_enterprise(&db, &anbiao_domain::Scope::City, ent)
            .await
            .expect("certs");
        assert!(certs.is_empty(), "{certs:?}");
        // The district is not the city either.
        let rugao = app.session_for("rugao").await;
        assert_eq!(app.send(rugao.form(&uri, &form)).await.status(), 403);
        // The city records it.
        let city = app.session_for("city").await;
        assert_eq!(app.send(city.form(&uri, &form)).await.status(), 204);
        let row = grading::get(&db, &anbiao_domain::Scope::City, case)
            .await
            .expect("case");
        assert_eq!(row.state(), Some(CaseState::ExternallyCertified));
    })
    .await;
}

#[tokio::test]
async fn an_officer_cannot_apply_on_an_enterprise_s_behalf() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let (_, case, _) = self_assessed(&db, 72, "代申请厂", anbiao_domain::Grade::Three).await;
        for who in ["rugao", "city"] {
            let s = app.session_for(who).await;
            let res = app
                .send(s.json(
                    "POST",
                    &format!("/api/v1/cases/{case}/steps"),
                    json!({"action": "apply"}),
                ))
                .await;
            assert_eq!(res.status(), 403, "{who}");
            let res = app
                .send(s.form(&format!("/cases/{case}/act"), &[("action", "apply")]))
                .await;
            assert_eq!(res.status(), 403, "{who}");
        }
        let row = grading::get(&db, &anbiao_domain::Scope::City, case)
            .await
            .expect("case");
        assert_eq!(row.state(), Some(CaseState::SelfAssessing));
    })
    .await;
}

#[tokio::test]
async fn an_enterprise_keeps_its_contacts_and_an_officer_its_status_and_size() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&db, 73, "自改规模厂").await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        let qiye = app.session_for("qiye").await;
        let uri = format!("/api/v1/enterprises/{ent}");
        for body in [
            json!({"status": "closed"}),
            json!({"employees": 5000}),
            json!({"region_code": "320685"}),
            json!({"credit_code": crate::code("320682", 99)}),
        ] {
            let res = app.send(qiye.json("PATCH", &uri, body.clone())).await;
            assert_eq!(res.status(), 403, "{body}");
            let msg = body_json(res).await["message"]
                .as_str()
                .unwrap_or("")
                .to_string();
            assert!(msg.contains("须由属地监管部门修改"), "{msg}");
            assert!(msg.contains("authority@1#enterprise_fields."), "{msg}");
        }
        let e = anbiao_store::enterprise::get(&db, &anbiao_domain::Scope::City, ent)
            .await
            .expect("enterprise");
        assert_eq!(e.status, "active");
        assert_eq!(e.employees, None);
        // Its own contacts it keeps itself.
        let res = app
            .send(qiye.json("PATCH", &uri, json!({"contact_phone": "0513-87651234"})))
            .await;
        assert_eq!(res.status(), 200);
        // Its edit form shows the officer-kept fields as they are, not editable, and saving
        // it as shown (with new contacts) goes through.
        let form = body_text(app.send(qiye.get(&format!("/enterprises/{ent}/edit"))).await).await;
        assert!(
            form.contains(r#"name="name" value="自改规模厂" readonly"#),
            "{form}"
        );
        assert!(form.contains(r#"<select name="status" disabled>"#), "{form}");
        assert!(form.contains(r#"name="contact_person" value="#), "{form}");
        assert!(!form.contains(r#"name="contact_person" value="" readonly"#));
        let officer_form =
            body_text(app.send(app.session_for("rugao").await.get(&format!("/enterprises/{ent}/edit"))).await)
                .await;
        assert!(!officer_form.contains("readonly"), "{officer_form}");
        // An officer changes the status with a reason, kept in the history.
        let rugao = app.session_for("rugao").await;
        let res = app
            .send(rugao.json("PATCH", &uri, json!({"status": "closed"})))
            .await;
        assert_eq!(res.status(), 400);
        let res = app
            .send(rugao.json(
                "PATCH",
                &uri,
                json!({"status": "closed", "change_reason": "2026年11月注销登记"}),
            ))
            .await;
        assert_eq!(res.status(), 200);
        let history = anbiao_store::enterprise::history(&db, &anbiao_domain::Scope::City, ent)
            .await
            .expect("history");
        assert!(
            history
                .iter()
                .any(|c| c.field == "status" && c.reason.as_deref() == Some("2026年11月注销登记")),
            "{history:?}"
        );
        // An enterprise registers no other enterprise.
        let res = app
            .send(qiye.json(
                "POST",
                "/api/v1/enterprises",
                json!({"credit_code": crate::code("320682", 98), "name": "另一家厂", "region_code": "320682", "industry_code": "JX"}),
            ))
            .await;
        assert_eq!(res.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn administrators_keep_to_their_duties() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let secadmin = add_user(&db, "secadmin", Role::SecurityAdmin, None, None).await;
        let auditor = add_user(&db, "auditor", Role::AuditAdmin, None, None).await;
        let sys = app.session_for("sysadmin").await;
        // No reset, disable or unlock of another administrator.
        for target in [secadmin, auditor] {
            for (action, password) in [("reset", "Neu-Passw0rd!"), ("disable", ""), ("unlock", "")]
            {
                let res = app
                    .send(sys.form(
                        &format!("/admin/users/{target}"),
                        &[("action", action), ("password", password)],
                    ))
                    .await;
                assert_eq!(res.status(), 403, "{action} {target}");
            }
        }
        let sec = account::by_id(&db, secadmin)
            .await
            .expect("ran")
            .expect("user");
        assert!(sec.active && !sec.must_change_password);
        // A new account holds no role until the security administrator grants one, whatever
        // the form says.
        let res = app
            .send(sys.form(
                "/admin/users",
                &[
                    ("username", "xinren"),
                    ("display_name", "新人"),
                    ("password", "Chu-Shi-Mi-Ma-9"),
                    ("role", "city_officer"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let new = account::by_username(&db, "xinren")
            .await
            .expect("ran")
            .expect("created");
        assert_eq!(new.role(), Some(Role::Pending));
        assert_eq!(
            anbiao_domain::Scope::of(
                Role::Pending,
                None,
                None,
                None,
                None,
                &anbiao_domain::ReferenceData::embedded().expect("r").regions
            ),
            anbiao_domain::Scope::Nothing
        );
        // The security administrator grants business roles, never an administrator's.
        let sec_s = app.session_for("secadmin").await;
        let res = app
            .send(sec_s.form(
                &format!("/admin/grants/{}", new.id),
                &[("role", "system_admin")],
            ))
            .await;
        assert_eq!(res.status(), 403);
        // A township left in the form belongs to a township officer only: dropped here.
        let res = app
            .send(sec_s.form(
                &format!("/admin/grants/{}", new.id),
                &[
                    ("role", "district_officer"),
                    ("region", "320682"),
                    ("township", "如城街道"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let granted = account::by_id(&db, new.id)
            .await
            .expect("ran")
            .expect("user");
        assert_eq!(granted.role(), Some(Role::DistrictOfficer));
        assert_eq!(granted.township, None);
        let res = app
            .send(sec_s.form(
                &format!("/admin/grants/{auditor}"),
                &[("role", "district_officer"), ("region", "320682")],
            ))
            .await;
        assert_eq!(res.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_partner_s_tokens_come_from_the_security_administrator() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let bank = add_user(&db, "bank", Role::Partner, Some("320682"), None).await;
        add_user(&db, "secadmin", Role::SecurityAdmin, None, None).await;
        let own = app.session_for("bank").await;
        let page = body_text(app.send(own.get("/account/tokens")).await).await;
        assert!(page.contains("tokens-by-admin"), "{page}");
        assert!(!page.contains(r#"action="/account/tokens""#), "{page}");
        let res = app
            .send(own.form(
                "/account/tokens",
                &[("name", "自签令牌"), ("access", "write"), ("days", "366")],
            ))
            .await;
        assert_eq!(res.status(), 403);
        assert!(body_text(res).await.contains("由安全管理员按协议签发"));
        let tokens = anbiao_store::token::list(&db, Some(bank))
            .await
            .expect("ran");
        assert!(tokens.is_empty(), "{tokens:?}");
        // The security administrator issues it, read-only, with the data it covers; a scope
        // that writes is refused.
        let sec = app.session_for("secadmin").await;
        let bank_s = bank.to_string();
        let res = app
            .send(sec.form(
                "/admin/tokens",
                &[
                    ("user", &bank_s),
                    ("name", "银行授信查询"),
                    ("data", "enterprises.edit"),
                    ("days", "90"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        // A region that does not exist is named, not a server error.
        let res = app
            .send(sec.form(
                "/admin/tokens",
                &[
                    ("user", &bank_s),
                    ("name", "银行授信查询"),
                    ("data", "certificates.view"),
                    ("region", "999999"),
                    ("days", "90"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("地区代码 999999 不存在"));
        let res = app
            .send(sec.form(
                "/admin/tokens",
                &[
                    ("user", &bank_s),
                    ("name", "银行授信查询"),
                    ("data", "certificates.view"),
                    ("days", "90"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 200, "{}", body_text(res).await);
        let tokens = anbiao_store::token::list(&db, Some(bank))
            .await
            .expect("ran");
        assert_eq!(tokens.len(), 1);
        // Anyone else still issues their own, read-only or read-write, nothing else.
        let officer = app.session_for("rugao").await;
        let res = app
            .send(officer.form(
                "/account/tokens",
                &[("name", "报表脚本"), ("access", "admin"), ("days", "30")],
            ))
            .await;
        assert_eq!(res.status(), 422);
        let res = app
            .send(officer.form(
                "/account/tokens",
                &[("name", "报表脚本"), ("access", "read"), ("days", "30")],
            ))
            .await;
        assert_eq!(res.status(), 200);
    })
    .await;
}

/// Six operating 如皋 enterprises, with 三级 certificates or never graded: two in 如城街道
/// (the township officer's), four in 城南街道. Returns their (id, name) by township.
async fn two_townships(
    db: &anbiao_store::Db,
    certified: bool,
) -> (Vec<(i64, String)>, Vec<(i64, String)>) {
    use anbiao_store::certificate::NewCertificate;
    let r = anbiao_domain::ReferenceData::embedded().expect("reference");
    let actor = Actor::new("tester", "cli");
    let (mut own, mut other) = (Vec::new(), Vec::new());
    let base = if certified { 900 } else { 950 };
    let kind = if certified { "三级" } else { "未创" };
    for n in 0..6u32 {
        let (township, name) = if n < 2 {
            ("如城街道", format!("如城{kind}{n}厂"))
        } else {
            ("城南街道", format!("城南{kind}{n}厂"))
        };
        let e = anbiao_domain::EnterpriseDraft {
            credit_code: Some(crate::code("320682", base + n)),
            name: Some(name.clone()),
            region: Some("320682".into()),
            township: Some(township.into()),
            industry: Some("JX".into()),
            ..Default::default()
        }
        .validate(
            &r,
            anbiao_web::today(),
            anbiao_domain::enterprise::OverridePolicy::Allowed,
        )
        .expect("valid");
        let id = anbiao_store::enterprise::create(db, &anbiao_domain::Scope::City, &actor, &e)
            .await
            .expect("enterprise");
        anbiao_store::enterprise::set_life(
            db,
            &anbiao_domain::Scope::City,
            &actor,
            id,
            time::macros::date!(2010 - 01 - 01),
            None,
            "登记",
        )
        .await
        .expect("life");
        if n < 2 {
            own.push((id, name))
        } else {
            other.push((id, name))
        }
        if !certified {
            continue;
        }
        let issued = anbiao_web::today() - time::Duration::days(400);
        certificate::issue(
            db,
            &actor,
            &NewCertificate {
                enterprise_id: id,
                case_id: None,
                grade: anbiao_domain::Grade::Three,
                industry: "JX".into(),
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
    (own, other)
}

#[tokio::test]
async fn a_township_officer_reads_the_township_s_part_of_the_district_s_plans() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        // Never graded: key units, every one inspected (the plan lists them all).
        let (own, other) = two_townships(&db, false).await;
        // Graded: the audit plan draws among them.
        let (_, certified_other) = two_townships(&db, true).await;
        let rugao = app.session_for("rugao").await;
        let year = anbiao_web::today().year().to_string();
        for who in ["rugao", "township"] {
            let res = app
                .send(rugao.form(
                    "/inspections/officers",
                    &[("username", who), ("capacity", "40")],
                ))
                .await;
            assert_eq!(res.status(), 204);
        }
        let res = app
            .send(rugao.form("/inspections/plan", &[("year", &year), ("seed", "2020")]))
            .await;
        assert_eq!(res.status(), 204);
        // A seed whose draw takes an enterprise of the other township.
        let pool = anbiao_store::audits::candidates(&db, "如皋", anbiao_web::today())
            .await
            .expect("pool");
        let seed = (0..500u64)
            .find(|s| {
                let (drawn, _) = anbiao_domain::sampling::draw(&pool, 10.0, *s);
                drawn
                    .iter()
                    .any(|d| certified_other.iter().any(|(id, _)| id == d))
            })
            .expect("a seed");
        let res = app
            .send(rugao.form(
                "/audits/plan",
                &[("year", &year), ("seed", &seed.to_string())],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let township = app.session_for("township").await;
        let district_page = body_text(
            app.send(rugao.get(&format!("/inspections/plan?year={year}")))
                .await,
        )
        .await;
        let page = body_text(
            app.send(township.get(&format!("/inspections/plan?year={year}")))
                .await,
        )
        .await;
        let shown = |p: &str, list: &[(i64, String)]| {
            list.iter().filter(|(_, n)| p.contains(n.as_str())).count()
        };
        assert_eq!(shown(&district_page, &other), 4, "{district_page}");
        assert_eq!(shown(&page, &own), 2, "{page}");
        assert_eq!(shown(&page, &other), 0, "{page}");
        // The export holds the same lines.
        let res = app
            .send(township.get(&format!("/inspections/plan/export?year={year}")))
            .await;
        assert_eq!(res.status(), 200);
        let bytes = crate::body_bytes(res).await;
        let text = String::from_utf8_lossy(&bytes).to_string();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        use calamine::Reader;
        let range = book.worksheet_range_at(0).expect("sheet").expect("range");
        let cells: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
        assert!(
            cells
                .iter()
                .all(|c| !other.iter().any(|(_, o)| c.contains(o.as_str()))),
            "{cells:?} {}",
            text.len()
        );
        assert_eq!(
            cells
                .iter()
                .filter(|c| own.iter().any(|(_, o)| c.contains(o.as_str())))
                .count(),
            2
        );
        // The audit plan: the district sees every drawn enterprise, the township its own.
        let district_audits = body_text(app.send(rugao.get("/audits")).await).await;
        let audits = body_text(app.send(township.get("/audits")).await).await;
        assert!(
            shown(&district_audits, &certified_other) > 0,
            "{district_audits}"
        );
        assert_eq!(shown(&audits, &certified_other), 0, "{audits}");
        // Every enterprise link on the township's pages opens for the township officer.
        for p in [&page, &audits] {
            for id in p
                .split("/enterprises/")
                .skip(1)
                .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .filter(|s| !s.is_empty())
            {
                let res = app.send(township.get(&format!("/enterprises/{id}"))).await;
                assert_eq!(res.status(), 200, "/enterprises/{id}");
            }
        }
    })
    .await;
}

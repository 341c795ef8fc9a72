//! Sign-in hardening, tokens, headers, limits and hostile input, through the whole router.

use axum::body::Body;
use axum::http::{Request, header};

use anbiao_domain::{Permission, Role, SignInPolicy};
use anbiao_store::account::{self, NewUser};
use anbiao_store::audit_log::{self, Actor, Filter};
use anbiao_store::testing::each_backend;
use anbiao_store::token::{self, NewToken};
use anbiao_web::WebConfig;

use crate::{PASSWORD, TestApp, add_user, body_bytes, body_json, body_text, code};

fn login_form(user: &str, pw: &str, addr: &str) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", addr)
        .body(Body::from(format!("username={user}&password={pw}")))
        .expect("request")
}

async fn count_action(db: &anbiao_store::Db, action: &str) -> i64 {
    audit_log::count(
        db,
        &Filter {
            action: Some(action.into()),
            ..Default::default()
        },
    )
    .await
    .expect("count")
}

#[tokio::test]
async fn lockout_rate_limit_and_audit_over_http() {
    each_backend(|db| async move {
        let config = WebConfig {
            sign_ins_per_minute: 8,
            trusted_proxies: 1,
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        // Wrong passwords: 401 each time, the fifth locks; the answer never changes.
        let mut answers = Vec::new();
        for _ in 1..=5 {
            let res = app
                .send(login_form("rugao", "Wrong%232018", "10.1.1.1"))
                .await;
            assert_eq!(res.status(), 401);
            answers.push(body_text(res).await);
        }
        assert!(answers[0].contains("用户名或密码错误"));
        assert!(answers.iter().all(|a| *a == answers[0]));
        // The right password does not get in while locked, and is told the same as a wrong one
        // (JSON API).
        let api = |user: &str, pw: &str| {
            Request::post("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-forwarded-for", "10.1.1.2")
                .body(Body::from(format!(
                    r#"{{"username":"{user}","password":"{pw}"}}"#
                )))
                .expect("request")
        };
        let locked = app.send(api("rugao", PASSWORD)).await;
        assert_eq!(locked.status(), 401);
        assert!(crate::set_cookie(&locked).is_none());
        let locked = body_json(locked).await;
        let unknown = body_json(app.send(api("nobody-here", PASSWORD)).await).await;
        let wrong = body_json(app.send(api("rudong", "Wrong#2018")).await).await;
        assert_eq!(locked["code"], "bad_credentials");
        assert_eq!(locked, unknown);
        assert_eq!(locked, wrong);
        assert_eq!(count_action(&db, "account.locked").await, 1);
        assert_eq!(count_action(&db, "signin.locked").await, 1);
        // Four wrong for rugao, then the unknown name and rudong's wrong password.
        assert_eq!(count_action(&db, "signin.failed").await, 6);
        let failed = audit_log::search(
            &db,
            &Filter {
                action: Some("signin.failed".into()),
                object: Some("user:rugao".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .expect("search");
        assert_eq!(failed.len(), 4);
        assert!(failed.iter().all(|e| e.client_addr == "10.1.1.1"));
        // Per-address limit: the ninth attempt in a minute from one address is refused.
        for _ in 0..3 {
            app.send(login_form("nobody", "x", "10.1.1.1")).await;
        }
        let res = app.send(login_form("city", "x", "10.1.1.1")).await;
        assert_eq!(res.status(), 429);
        assert!(body_text(res).await.contains("过于频繁"));
        // Even the right password from that address waits; another address does not.
        let res = app
            .send(login_form("city", "Test%232018pw", "10.1.1.1"))
            .await;
        assert_eq!(res.status(), 429);
        let res = app
            .send(login_form("city", "Test%232018pw", "10.9.9.9"))
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(count_action(&db, "signin.throttled").await, 1);
        assert_eq!(
            audit_log::verify(&db, None).await.expect("verify").broken,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn initial_password_must_be_changed_first() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        account::create(
            &db,
            &Actor::new("tester", "cli"),
            &NewUser {
                username: "newbie".into(),
                display_name: "新同事".into(),
                password: "Init#2026a".into(),
                role: Role::CityOfficer,
                region_code: None,
                township: None,
                enterprise_id: None,
                must_change_password: true,
            },
            &SignInPolicy::default(),
        )
        .await
        .expect("user");
        let res = app.send(login_form("newbie", "Init%232026a", "")).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[header::LOCATION], "/account/password");
        let cookie = crate::set_cookie(&res).expect("cookie");
        let get = |uri: &str| {
            Request::get(uri)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("request")
        };
        let res = app.send(get("/enterprises")).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[header::LOCATION], "/account/password");
        let res = app.send(get("/api/v1/enterprises")).await;
        assert_eq!(res.status(), 403);
        assert_eq!(body_json(res).await["code"], "password_change_required");
        let res = app.send(get("/account/password")).await;
        assert_eq!(res.status(), 200);
        let page = body_text(res).await;
        assert!(page.contains("首次登录"));
        let csrf = page
            .split("\"X-CSRF-Token\": \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("csrf in page")
            .to_string();
        let post = |body: &str| {
            Request::post("/account/password")
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", &csrf)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .expect("request")
        };
        // A weak new password, then mismatched confirmation: 422 with the reason.
        let res = app
            .send(post("current=Init%232026a&new=abcdefgh&confirm=abcdefgh"))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("至少8位"));
        let res = app
            .send(post(
                "current=Init%232026a&new=Next%232026b&confirm=Next%232026c",
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("不一致"));
        let res = app
            .send(post(
                "current=Init%232026a&new=Next%232026b&confirm=Next%232026b",
            ))
            .await;
        assert_eq!(res.status(), 303);
        let res = app.send(get("/enterprises")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(count_action(&db, "password.change").await, 1);
    })
    .await;
}

#[tokio::test]
async fn sessions_rotate_end_and_expire() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let first = app.login("city").await;
        // Signing in again with the old cookie ends the old session: a new id every time.
        let res = app
            .send(
                Request::post("/login")
                    .header(header::COOKIE, &first.cookie)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from("username=city&password=Test%232018pw"))
                    .expect("request"),
            )
            .await;
        let second = crate::set_cookie(&res).expect("new cookie");
        assert_ne!(second, first.cookie);
        let res = app.send(first.get("/api/v1/enterprises")).await;
        assert_eq!(res.status(), 401);
        // An expired session leads to sign-in.
        let u = account::by_username(&db, "city")
            .await
            .expect("ran")
            .expect("city");
        let (old, _) = anbiao_store::session::create(&db, u.id, -1)
            .await
            .expect("session");
        let res = app
            .send(
                Request::get("/enterprises")
                    .header(header::COOKIE, format!("anbiao_sid={old}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()[header::LOCATION], "/login");
        // Cookie attributes.
        let res = app.send(login_form("rugao", "Test%232018pw", "")).await;
        let set = res.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        assert!(!set.contains("Secure"));
        let secure = TestApp {
            router: anbiao_web::app(anbiao_web::AppState::new(
                db.clone(),
                anbiao_domain::ReferenceData::embedded().expect("reference"),
                WebConfig {
                    secure_cookies: true,
                    ..WebConfig::default()
                },
            )),
            db: db.clone(),
        };
        let res = secure.send(login_form("rugao", "Test%232018pw", "")).await;
        let set = res.headers()[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(set.contains("; Secure"), "{set}");
    })
    .await;
}

#[tokio::test]
async fn bearer_tokens_scope_revoke_and_log() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let city = app.login("city").await;
        for (n, region, name) in [(1, "320682", "如皋令牌厂"), (2, "320685", "海安令牌厂")]
        {
            let res = app
                .send(city.json(
                    "POST",
                    "/api/v1/enterprises",
                    serde_json::json!({
                        "credit_code": code(region, n), "name": name,
                        "region_code": region, "industry_code": "JX"
                    }),
                ))
                .await;
            assert_eq!(res.status(), 201);
        }
        let actor = Actor::new("secadmin", "form");
        let partner = add_user(&db, "bank", Role::Partner, None, None).await;
        let (id, secret) = token::issue(
            &db,
            &actor,
            &NewToken {
                user_id: partner,
                name: "如皋数据".into(),
                read_only: true,
                permissions: vec![Permission::ViewEnterprises],
                region_code: Some("320682".into()),
                days: 30,
            },
        )
        .await
        .expect("token");
        let bearer = |method: &str, uri: &str, secret: &str| {
            Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(if method == "GET" { "" } else { "{}" }))
                .expect("request")
        };
        // Within scope: only 如皋, no CSRF token needed.
        let res = app
            .send(bearer("GET", "/api/v1/enterprises", &secret))
            .await;
        assert_eq!(res.status(), 200);
        let list = body_text(res).await;
        assert!(
            list.contains("如皋令牌厂") && !list.contains("海安令牌厂"),
            "{list}"
        );
        // Outside its data scope (writing, exporting is not listed) and its region.
        let res = app
            .send(bearer("POST", "/api/v1/enterprises", &secret))
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(body_json(res).await["code"], "forbidden");
        let res = app
            .send(bearer("GET", "/api/v1/enterprises?region=320685", &secret))
            .await;
        assert!(!body_text(res).await.contains("海安令牌厂"));
        // Tokens open the API only, not the pages.
        let res = app.send(bearer("GET", "/enterprises", &secret)).await;
        assert_eq!(res.status(), 303);
        // Every use on the API is logged.
        assert_eq!(count_action(&db, "token.use").await, 3);
        assert_eq!(count_action(&db, "access.denied").await, 1);
        // Garbage, a malformed header, revoked, expired: 401 with a reason, nothing else.
        let res = app
            .send(bearer("GET", "/api/v1/enterprises", "abt_forged"))
            .await;
        assert_eq!(res.status(), 401);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(body_json(res).await["message"], "令牌无效");
        let res = app
            .send(
                Request::get("/api/v1/enterprises")
                    .header(header::AUTHORIZATION, "Basic Y2l0eTp4")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(res.status(), 401);
        token::revoke(&db, &actor, id, None).await.expect("revoke");
        let res = app
            .send(bearer("GET", "/api/v1/enterprises", &secret))
            .await;
        assert_eq!(res.status(), 401);
        assert_eq!(body_json(res).await["message"], "令牌已被吊销");
        let (old_id, old) = token::issue(
            &db,
            &actor,
            &NewToken {
                user_id: partner,
                name: "过期".into(),
                read_only: true,
                permissions: vec![],
                region_code: None,
                days: 1,
            },
        )
        .await
        .expect("token");
        anbiao_store::with_pool!(&db, |p| sqlx::query(
            "UPDATE api_token SET expires_at = 0 WHERE id = $1"
        )
        .bind(old_id)
        .execute(p)
        .await
        .map(|_| ()))
        .expect("expire");
        let res = app.send(bearer("GET", "/api/v1/enterprises", &old)).await;
        assert_eq!(res.status(), 401);
        assert_eq!(body_json(res).await["message"], "令牌已过期");
        // One entry per address, token and minute: the forged and the malformed header are
        // one burst of unknown tokens; the revoked and the expired token each have theirs.
        assert_eq!(count_action(&db, "token.refused").await, 3);
        // A personal token through the page: shown once, at most the owner's permissions.
        let res = app
            .send(city.form(
                "/account/tokens",
                &[("name", "脚本"), ("access", "read"), ("days", "7")],
            ))
            .await;
        assert_eq!(res.status(), 200);
        let page = body_text(res).await;
        let personal = page
            .split("id=\"new-secret\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("secret shown")
            .to_string();
        let res = app
            .send(bearer("GET", "/api/v1/enterprises", &personal))
            .await;
        let list = body_text(res).await;
        assert!(list.contains("海安令牌厂"));
        let res = app
            .send(bearer("POST", "/api/v1/enterprises", &personal))
            .await;
        assert_eq!(res.status(), 403, "a read token does not write");
        let listed = app.send(city.get("/account/tokens")).await;
        assert!(
            !body_text(listed).await.contains(&personal),
            "the secret is shown only once"
        );
    })
    .await;
}

#[tokio::test]
async fn headers_limits_and_hostile_text() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let city = app.login("city").await;
        let res = app.send(city.get("/enterprises")).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy"));
        // A form far over the form limit is refused before it is read.
        let big = "x".repeat(400 * 1024);
        let res = app.send(city.form("/enterprises", &[("name", &big)])).await;
        assert_eq!(res.status(), 413);
        // SQL and HTML metacharacters are text: searched literally and shown escaped.
        let nasty = "'; DROP TABLE enterprise; -- <script>alert(1)</script> %_\\";
        let uri = format!("/enterprises?q={}", urlencode(nasty));
        let res = app.send(city.get(&uri)).await;
        assert_eq!(res.status(), 200);
        let page = body_text(res).await;
        assert!(!page.contains("<script>alert(1)"));
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || page.contains("&#60;script")
        );
        let res = app
            .send(city.get(&format!("/api/v1/enterprises?q={}", urlencode(nasty))))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(body_json(res).await["total"], 0);
        // The enterprise table is still there, and a name with markup round-trips as text.
        let res = app
            .send(city.json(
                "POST",
                "/api/v1/enterprises",
                serde_json::json!({
                    "credit_code": code("320682", 77), "name": "<b>粗体</b>公司'--",
                    "region_code": "320682", "industry_code": "JX"
                }),
            ))
            .await;
        assert_eq!(res.status(), 201);
        let res = app
            .send(city.get(&format!("/enterprises?q={}", urlencode("<b>粗体"))))
            .await;
        let page = body_text(res).await;
        assert!(
            page.contains("&lt;b&gt;粗体&lt;/b&gt;公司") || page.contains("&#60;b&#62;粗体"),
            "escaped"
        );
        // The auditor's search takes the same text safely.
        add_user(&db, "auditor", Role::AuditAdmin, None, None).await;
        let auditor = app.session_for("auditor").await;
        let res = app
            .send(auditor.get(&format!("/audit?actor={}", urlencode(nasty))))
            .await;
        assert_eq!(res.status(), 200);
        assert!(!body_text(res).await.contains("<script>alert(1)"));
        // The log pages with a size chosen, the filters kept in the pager's links.
        for i in 0..25 {
            let who = anbiao_store::audit_log::Actor::new("paging", "test");
            let ev = anbiao_store::audit_log::Event::new("test.paging", format!("n:{i}"));
            anbiao_store::audit_log::append(&db, &who, &ev)
                .await
                .expect("append");
        }
        let res = app
            .send(auditor.get("/audit?from=2020-01-01&size=20"))
            .await;
        assert_eq!(res.status(), 200);
        let page = body_text(res).await;
        let total: i64 = page
            .split("共 ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("the total in words");
        assert!(total > 20, "{total} entries so far");
        assert_eq!(page.matches("<tr>").count(), 21, "a header and 20 entries");
        let links = page.replace("&#38;", "&").replace("&amp;", "&");
        assert!(
            links.contains("/audit?from=2020-01-01&page=2&size=20"),
            "{page}"
        );
        assert!(page.contains(r#"<strong aria-current="true">20</strong>"#));
        let res = app.send(auditor.get("/audit?page=99999&size=20")).await;
        assert!(
            body_text(res).await.contains("上一页"),
            "clamped to the last page"
        );
        let res = app.send(auditor.get("/audit?from=2026-13-40")).await;
        assert_eq!(res.status(), 400);
        assert!(body_text(res).await.contains("无法识别"));
        // The audit log exports as .xlsx.
        let res = app
            .send(auditor.get("/audit/export.xlsx?action=enterprise"))
            .await;
        assert_eq!(res.status(), 200);
        let bytes = body_bytes(res).await;
        assert_eq!(&bytes[..2], b"PK");
        // Read back with a real reader: the sequence a number, the time a date-time Excel
        // computes with, the hashes text.
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        let range = wb.worksheet_range("审计日志").expect("sheet");
        let first = range.rows().nth(2).expect("an entry");
        assert!(matches!(first[0], Data::Float(n) if n >= 1.0), "{first:?}");
        match &first[1] {
            Data::DateTime(d) => assert!(d.as_f64() > 46_000.0, "{d:?}: after 2025"),
            other => panic!("the time is not a date-time: {other:?}"),
        }
        assert!(
            matches!(&first[11], Data::String(h) if h.len() == 64),
            "{first:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn administrators_keep_accounts_and_grants_apart() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        add_user(&db, "secadmin", Role::SecurityAdmin, None, None).await;
        add_user(&db, "bank", Role::Partner, None, None).await;
        let sys = app.session_for("sysadmin").await;
        // The system administrator creates accounts, not roles: whatever role the request
        // names, the account waits for the security administrator's grant.
        let res = app
            .send(sys.form(
                "/admin/users",
                &[
                    ("username", "liu"),
                    ("display_name", "刘科员"),
                    ("role", "security_admin"),
                    ("password", "Init#2026a"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let liu = account::by_username(&db, "liu")
            .await
            .expect("ran")
            .expect("liu");
        assert_eq!(liu.role, "pending");
        assert!(liu.must_change_password);
        // A township is known by the enterprises registered in it: a grant naming a township
        // the district's registry does not hold is refused, and nothing changes.
        let sec = app.session_for("secadmin").await;
        let res = app
            .send(sec.form(
                &format!("/admin/grants/{}", liu.id),
                &[
                    ("role", "township_officer"),
                    ("region", "320682"),
                    ("township", "如城街"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("没有乡镇（街道）“如城街”"));
        let still = account::by_username(&db, "liu").await.expect("ran").expect("liu");
        assert_eq!(still.role, "pending");
        let officer = app.session_for("rugao").await;
        let body = serde_json::json!({
            "credit_code": code("320682", 77), "name": "如皋如城机械厂", "region_code": "320682",
            "industry_code": "机械行业", "annual_sales_wan": 900, "employees": 40, "township": "如城街道"
        });
        let res = app.send(officer.json("POST", "/api/v1/enterprises", body)).await;
        assert_eq!(res.status(), 201, "{}", body_text(res).await);
        // The security administrator grants; the system administrator cannot.
        let grant = [
            ("role", "township_officer"),
            ("region", "320682"),
            ("township", "如城街道"),
        ];
        let res = app
            .send(sys.form(&format!("/admin/grants/{}", liu.id), &grant))
            .await;
        assert_eq!(res.status(), 403);
        let res = app
            .send(sec.form(&format!("/admin/grants/{}", liu.id), &grant))
            .await;
        assert_eq!(res.status(), 204);
        let liu = account::by_username(&db, "liu")
            .await
            .expect("ran")
            .expect("liu");
        assert_eq!(liu.role, "township_officer");
        // Nobody grants themselves anything.
        let me = account::by_username(&db, "secadmin")
            .await
            .expect("ran")
            .expect("me");
        let res = app
            .send(sec.form(
                &format!("/admin/grants/{}", me.id),
                &[("role", "city_officer")],
            ))
            .await;
        assert_eq!(res.status(), 403);
        // A partner token with a data scope, issued by the security administrator.
        let bank = account::by_username(&db, "bank")
            .await
            .expect("ran")
            .expect("bank");
        let res = app
            .send(sec.form(
                "/admin/tokens",
                &[
                    ("user", &bank.id.to_string()),
                    ("name", "银行"),
                    ("data", "enterprises.view"),
                    ("region", "320682"),
                    ("days", "90"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 200);
        assert!(body_text(res).await.contains("id=\"new-secret\""));
        let res = app
            .send(sec.form(
                "/admin/tokens",
                &[
                    ("user", &bank.id.to_string()),
                    ("name", "写"),
                    ("data", "enterprises.edit"),
                    ("days", "9"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        // Disable ends the account's sessions at once.
        let liu_session = app.session_for("liu").await;
        let res = app
            .send(sys.form(
                &format!("/admin/users/{}", liu.id),
                &[("action", "disable")],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let res = app.send(liu_session.get("/account")).await;
        assert_eq!(res.status(), 303);
        for (actor, action) in [
            ("sysadmin", "user.create"),
            ("secadmin", "user.grant"),
            ("sysadmin", "user.disable"),
            ("secadmin", "token.issue"),
        ] {
            let f = Filter {
                actor: Some(actor.into()),
                action: Some(action.into()),
                ..Default::default()
            };
            assert_eq!(
                audit_log::count(&db, &f).await.expect("count"),
                1,
                "{action}"
            );
        }
    })
    .await;
}

fn urlencode(s: &str) -> String {
    anbiao_domain::text::percent_encode(s)
}

/// The Content-Security-Policy forbids inline script and style: no template may carry a
/// `style=` attribute, an inline `<script>` or an `on…=` handler.
#[test]
fn templates_have_nothing_inline() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut stack = vec![dir];
    let mut offenders = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("templates") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("template");
            let lower = text.to_lowercase();
            for needle in [" style=\"", "<style", "javascript:"] {
                if lower.contains(needle) {
                    offenders.push(format!("{}: {needle}", p.display()));
                }
            }
            for (i, _) in lower.match_indices("<script") {
                let tag_end = lower[i..].find('>').map_or(lower.len(), |e| i + e);
                if !lower[i..tag_end].contains("src=") {
                    offenders.push(format!("{}: inline <script>", p.display()));
                }
            }
            for (i, _) in lower.match_indices(" on") {
                let rest = &lower[i + 3..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase())
                    .collect();
                if !name.is_empty() && rest[name.len()..].starts_with('=') {
                    offenders.push(format!("{}: on{name}= handler", p.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

#[tokio::test]
async fn malformed_requests_are_refused_in_chinese() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let rugao = app.session_for("rugao").await;
        // A path segment that is no number, a form without its required fields, a form
        // without its content type: the framework's refusals, answered in Chinese.
        let res = app.send(rugao.get("/inspections/abc")).await;
        assert_eq!(res.status(), 400);
        let body = body_text(res).await;
        assert!(body.contains("请求的地址或参数格式不正确"), "{body}");
        assert!(!body.contains("Invalid URL"), "{body}");
        let res = app
            .send(rugao.form("/enforcement", &[("kind", "fine")]))
            .await;
        assert_eq!(res.status(), 422);
        let body = body_text(res).await;
        assert!(body.contains("缺少必填项或格式不正确"), "{body}");
        assert!(!body.contains("deserialize"), "{body}");
        let res = app
            .send(
                Request::post("/hazards/1/accept")
                    .header(header::COOKIE, &rugao.cookie)
                    .header("x-csrf-token", &rugao.csrf)
                    .body(Body::from("note=x"))
                    .expect("request"),
            )
            .await;
        assert_eq!(res.status(), 415);
        assert!(body_text(res).await.contains("请通过页面上的表单提交"));
        // Another method of a form's address: 405 naming the one it takes, in Chinese.
        let res = app.send(rugao.get("/warnings")).await;
        assert_eq!(res.status(), 405);
        assert_eq!(
            res.headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok()),
            Some("POST")
        );
        let body = body_text(res).await;
        assert!(
            body.contains("不支持这种请求方式") && body.contains("错误代码 405"),
            "{body}"
        );
        // The page names the code it answers with (a body over the limit: 413, not 400).
        let res = app
            .send(rugao.form("/enforcement", &[("facts", &"长".repeat(100_000))]))
            .await;
        assert_eq!(res.status(), 413);
        let body = body_text(res).await;
        assert!(
            body.contains("超过大小上限") && body.contains("错误代码 413"),
            "{body}"
        );
        // The API answers in its own format.
        let res = app.send(rugao.get("/api/v1/enterprises/abc")).await;
        assert!(res.status().is_client_error());
        let body = body_text(res).await;
        assert!(!body.contains("Invalid URL"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn behind_a_proxy_the_client_is_what_the_proxy_saw() {
    each_backend(|db| async move {
        let config = WebConfig {
            sign_ins_per_minute: 3,
            trusted_proxies: 1,
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        // A client rotating the hop it writes itself; the proxy appends the address it saw
        // (10.7.7.7) each time: the limiter counts one client.
        let mut statuses = Vec::new();
        for i in 0..5 {
            let forged = format!("203.0.113.{i}, 10.7.7.7");
            let res = app
                .send(login_form(&format!("nobody{i}"), "Wrong%232018", &forged))
                .await;
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, vec![401, 401, 401, 429, 429], "{statuses:?}");
        // Another client behind the same proxy is not held back.
        let res = app
            .send(login_form(
                "nobody",
                "Wrong%232018",
                "203.0.113.9, 10.7.7.8",
            ))
            .await;
        assert_eq!(res.status(), 401);
        // The audit entry names the address the proxy saw, not the forged one.
        let failed = audit_log::search(
            &db,
            &Filter {
                action: Some("signin.failed".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .expect("search");
        assert!(!failed.is_empty());
        assert!(
            failed.iter().all(|e| e.client_addr.starts_with("10.7.7.")),
            "{failed:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_end_with_the_password_or_the_role_they_were_issued_under() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let issue = |user_id: i64| {
            let db = db.clone();
            async move {
                token::issue(
                    &db,
                    &Actor::new("tester", "cli"),
                    &NewToken {
                        user_id,
                        name: "报表脚本".into(),
                        read_only: true,
                        permissions: Vec::new(),
                        region_code: None,
                        days: 30,
                    },
                )
                .await
                .expect("issued")
                .1
            }
        };
        let state = |secret: String| {
            let db = db.clone();
            async move {
                match token::check(&db, &secret).await.expect("checked") {
                    token::Presented::Valid(..) => "valid",
                    token::Presented::Revoked(_) => "revoked",
                    token::Presented::Expired(_) => "expired",
                    token::Presented::Unknown => "unknown",
                }
            }
        };
        let rugao = account::by_username(&db, "rugao")
            .await
            .expect("ran")
            .expect("rugao");
        let secret = issue(rugao.id).await;
        assert_eq!(state(secret.clone()).await, "valid");
        // Its owner changes the password: the token ends with the old password.
        let s = app.session_for("rugao").await;
        let res = app
            .send(s.form(
                "/account/password",
                &[
                    ("current", PASSWORD),
                    ("new", "Neu-Passw0rd-2026!"),
                    ("confirm", "Neu-Passw0rd-2026!"),
                ],
            ))
            .await;
        assert!(
            res.status().is_redirection() || res.status() == 204,
            "{}",
            res.status()
        );
        assert_eq!(state(secret).await, "revoked");
        let changed = audit_log::search(
            &db,
            &Filter {
                action: Some("password.change".into()),
                ..Default::default()
            },
            1,
            0,
        )
        .await
        .expect("search");
        assert!(
            changed[0].detail.contains("吊销接口令牌 1 个"),
            "{:?}",
            changed[0]
        );
        // The system administrator disables an account: its tokens end too.
        let rudong = account::by_username(&db, "rudong")
            .await
            .expect("ran")
            .expect("rudong");
        let secret = issue(rudong.id).await;
        let sys = app.session_for("sysadmin").await;
        let res = app
            .send(sys.form(
                &format!("/admin/users/{}", rudong.id),
                &[("action", "disable")],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        assert_ne!(state(secret).await, "valid");
        let still = token::list(&db, Some(rudong.id)).await.expect("listed");
        assert!(still.iter().all(|t| t.revoked_at.is_some()), "{still:?}");
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_bad_tokens_writes_one_entry_and_a_flood_is_turned_away() {
    each_backend(|db| async move {
        let config = WebConfig {
            sign_ins_per_minute: 10,
            trusted_proxies: 1,
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        let bad = |path: &str, from: &str| {
            Request::get(path)
                .header(header::AUTHORIZATION, "Bearer abt_not-a-real-token")
                .header("x-forwarded-for", from)
                .body(Body::empty())
                .expect("request")
        };
        let long_path = format!("/api/v1/enterprises?q={}", "x".repeat(900));
        let before = count_action(&db, "token.refused").await;
        let mut statuses = Vec::new();
        for i in 0..40 {
            let path = if i % 2 == 0 {
                "/api/v1/openapi.json"
            } else {
                long_path.as_str()
            };
            statuses.push(app.send(bad(path, "10.8.8.8")).await.status().as_u16());
        }
        // Refused with 401 while counted (ten a minute here), then 429 without a look-up.
        assert!(statuses[..11].iter().all(|s| *s == 401), "{statuses:?}");
        assert!(statuses[11..].iter().all(|s| *s == 429), "{statuses:?}");
        // One entry for the burst; another address has its own.
        assert_eq!(count_action(&db, "token.refused").await, before + 1);
        assert_eq!(app.send(bad(&long_path, "10.8.8.9")).await.status(), 401);
        assert_eq!(count_action(&db, "token.refused").await, before + 2);
        let entries = audit_log::search(
            &db,
            &Filter {
                action: Some("token.refused".into()),
                ..Default::default()
            },
            5,
            0,
        )
        .await
        .expect("search");
        assert!(
            entries.iter().all(|e| e.detail.chars().count() <= 260),
            "{entries:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn parallel_guesses_get_no_more_password_checks_than_the_limit() {
    each_backend(|db| async move {
        let config = WebConfig {
            sign_ins_per_minute: 1000,
            trusted_proxies: 1,
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        // Twenty guesses at once, each from its own address.
        let guesses = (0..20).map(|i| {
            let router = app.router.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                let req = login_form(
                    "rugao",
                    &format!("Guess%23{i}x2018"),
                    &format!("10.2.0.{i}"),
                );
                router.oneshot(req).await.expect("answer").status()
            })
        });
        for g in guesses {
            assert_eq!(g.await.expect("joined"), 401);
        }
        // A password checked wrong writes signin.failed (or the lock at the fifth); a guess
        // counted past the limit or made while locked writes account.locked or signin.locked
        // without a check. The policy allows five checks.
        let checked = audit_log::search(
            &db,
            &Filter {
                object: Some("user:rugao".into()),
                ..Default::default()
            },
            100,
            0,
        )
        .await
        .expect("search")
        .into_iter()
        .filter(|e| {
            e.action == "signin.failed" || e.action == "account.locked" && e.detail.contains("连续")
        })
        .count();
        assert_eq!(checked, SignInPolicy::default().max_failures as usize);
        // The account is locked: the right password is refused.
        let res = app
            .send(login_form("rugao", "Test%232018pw", "10.2.1.1"))
            .await;
        assert_eq!(res.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_current_password_counts_and_locks_and_ends_the_sessions() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let s = app.login("rugao").await;
        let other = app.login("rugao").await;
        let change = |current: &str| {
            s.form(
                "/account/password",
                &[
                    ("current", current),
                    ("new", "Brand#new2026"),
                    ("confirm", "Brand#new2026"),
                ],
            )
        };
        for i in 1..=4 {
            let res = app.send(change("Wrong#2018")).await;
            assert_eq!(res.status(), 422, "attempt {i}");
            assert!(body_text(res).await.contains("当前密码不正确"));
        }
        assert_eq!(count_action(&db, "password.change_failed").await, 4);
        let res = app.send(change("Wrong#2018")).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("账户已暂时锁定"));
        // Locked, and both sessions ended: the stolen one cannot go on guessing.
        assert_eq!(count_action(&db, "account.locked").await, 1);
        let res = app.send(other.get("/")).await;
        assert!(
            res.status().is_redirection() || res.status() == 401,
            "{}",
            res.status()
        );
        let user = account::by_username(&db, "rugao")
            .await
            .expect("ran")
            .expect("user");
        assert!(user.locked_until.is_some());
        // The password did not change: it still is the old one once the lock is lifted.
        assert!(!account::verify_password(
            "Brand#new2026",
            &user.password_hash
        ));
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    each_backend(|db| async move {
        let config = WebConfig {
            session_max_secs: 3600,
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        let s = app.login("city").await;
        assert_eq!(app.send(s.get("/account")).await.status(), 200);
        // Signed in 61 minutes ago, active a minute ago: the idle limit is not reached, the
        // absolute one is.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        sqlx_exec(
            &db,
            "UPDATE user_session SET created_at = $1, last_seen_at = $2",
            now - 61 * 60,
            now - 60,
        )
        .await;
        let res = app.send(s.get("/account")).await;
        assert!(res.status().is_redirection(), "{}", res.status());
        // A session signed in 59 minutes ago still works.
        let s = app.login("city").await;
        sqlx_exec(
            &db,
            "UPDATE user_session SET created_at = $1, last_seen_at = $2",
            now - 59 * 60,
            now - 60,
        )
        .await;
        assert_eq!(app.send(s.get("/account")).await.status(), 200);
    })
    .await;
}

async fn sqlx_exec(db: &anbiao_store::Db, sql: &'static str, a: i64, b: i64) {
    match db {
        anbiao_store::Db::Sqlite(p) => {
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(p)
                .await
                .expect("update");
        }
        anbiao_store::Db::Postgres(p) => {
            sqlx::query(sql)
                .bind(a)
                .bind(b)
                .execute(p)
                .await
                .expect("update");
        }
    }
}

#[tokio::test]
async fn token_lifetimes_and_write_scope_follow_the_role() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        add_user(&db, "auditor", Role::AuditAdmin, None, None).await;
        let issue = |s: &crate::Session, access: &'static str, days: &'static str| {
            s.form(
                "/account/tokens",
                &[("name", "报表脚本"), ("access", access), ("days", days)],
            )
        };
        // A district officer writes: a write token up to 90 days, a read token up to 180.
        let officer = app.session_for("rugao").await;
        let page = body_text(app.send(officer.get("/account/tokens")).await).await;
        assert!(page.contains("读写令牌最长 90 天"), "{page}");
        let res = app.send(issue(&officer, "write", "91")).await;
        assert_eq!(res.status(), 422);
        assert!(
            body_text(res)
                .await
                .contains("读写令牌有效期应为 1 至 90 天")
        );
        assert_eq!(app.send(issue(&officer, "write", "90")).await.status(), 200);
        let res = app.send(issue(&officer, "read", "366")).await;
        assert_eq!(res.status(), 422);
        assert!(
            body_text(res)
                .await
                .contains("只读令牌有效期应为 1 至 180 天")
        );
        assert_eq!(app.send(issue(&officer, "read", "180")).await.status(), 200);
        // The audit administrator writes nothing: read-only, 90 days at most.
        let auditor = app.session_for("auditor").await;
        let page = body_text(app.send(auditor.get("/account/tokens")).await).await;
        assert!(
            page.contains("只能签发只读令牌") && !page.contains("value=\"write\""),
            "{page}"
        );
        let res = app.send(issue(&auditor, "write", "30")).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("只能只读"));
        assert_eq!(app.send(issue(&auditor, "read", "91")).await.status(), 422);
        assert_eq!(app.send(issue(&auditor, "read", "90")).await.status(), 200);
        // What was issued is what the terms allowed.
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for t in token::list(&db, None).await.expect("tokens") {
            let days = (t.expires_at - now + 3600) / 86_400;
            let max = if t.is_read_only() { 180 } else { 90 };
            assert!(days <= max, "{} days, read-only {}", days, t.is_read_only());
        }
        assert_eq!(token::list(&db, None).await.expect("tokens").len(), 3);
    })
    .await;
}

#[tokio::test]
async fn anonymous_traffic_to_the_public_pages_is_limited_per_address() {
    each_backend(|db| async move {
        let config = WebConfig {
            public_requests_per_minute: 5,
            trusted_proxies: 1,
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        let anon = |path: &str, addr: &str| {
            Request::get(path)
                .header("x-forwarded-for", addr)
                .body(Body::empty())
                .expect("request")
        };
        for path in [
            "/portal",
            "/portal/notices",
            "/verify/none",
            "/login",
            "/portal",
        ] {
            let res = app.send(anon(path, "10.3.0.1")).await;
            assert_ne!(res.status(), 429, "{path}");
        }
        let res = app.send(anon("/portal/bulletins", "10.3.0.1")).await;
        assert_eq!(res.status(), 429);
        assert!(body_text(res).await.contains("访问过于频繁"));
        // Another address, the health check and a signed-in officer are not held back.
        assert_eq!(app.send(anon("/portal", "10.3.0.2")).await.status(), 200);
        assert_eq!(app.send(anon("/healthz", "10.3.0.1")).await.status(), 200);
        let s = app.login("city").await;
        let req = Request::get("/portal")
            .header(header::COOKIE, &s.cookie)
            .header("x-forwarded-for", "10.3.0.1")
            .body(Body::empty())
            .expect("request");
        assert_eq!(app.send(req).await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn a_long_address_is_answered_for_a_signed_in_user() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let city = app.session_for("city").await;
        let q = "a".repeat(9_500);
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            app.send(city.get(&format!("/enterprises?q={q}"))),
        )
        .await
        .expect("answered");
        assert!(res.status().as_u16() < 500, "{}", res.status());
    })
    .await;
}

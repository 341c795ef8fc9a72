//! The partners' feed (issue 19 item 3): every change of an enterprise's standing is an event
//! with a sequence number; a partner reads it with its own token from an offset, sees only the
//! kinds and fields its agreement names within its account's region, can replay from any
//! offset, and checks each page's HMAC-SHA256 signature with its secret.

use anbiao_domain::grade::Grade;
use anbiao_domain::{Permission, Role, Scope};
use anbiao_store::audit_log::Actor;
use anbiao_store::certificate;
use anbiao_store::testing::each_backend;
use anbiao_store::token::{self, NewToken};
use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::Duration;

use crate::consequences::{accident, certify, enterprise_in_rudong, operating_since_2010};
use crate::grading::enterprise_in_rugao;
use crate::{TestApp, add_user, body_bytes, body_text};

/// The secret shown once on the security administrator's page.
fn shown_secret(page: &str) -> String {
    let start = page
        .find(r#"id="new-feed-secret">"#)
        .map(|i| i + r#"id="new-feed-secret">"#.len())
        .unwrap_or_else(|| panic!("no secret shown: {page}"));
    page[start..]
        .split('<')
        .next()
        .expect("secret")
        .trim()
        .to_string()
}

async fn feed_token(db: &anbiao_store::Db, user: i64, region: Option<&str>) -> String {
    token::issue(
        db,
        &Actor::new("secadmin", "cli"),
        &NewToken {
            user_id: user,
            name: "状态变动数据".into(),
            read_only: true,
            permissions: vec![Permission::ReadFeed],
            region_code: region.map(str::to_string),
            days: 90,
        },
    )
    .await
    .expect("token")
    .1
}

fn bearer(uri: &str, secret: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .body(Body::empty())
        .expect("request")
}

/// Reads a page, checks its signature independently of the server's code, returns its JSON.
async fn read(app: &TestApp, token: &str, key: &str, uri: &str) -> serde_json::Value {
    let res = app.send(bearer(uri, token)).await;
    assert_eq!(res.status(), 200, "{uri}");
    let sig = res
        .headers()
        .get("anbiao-signature")
        .and_then(|v| v.to_str().ok())
        .expect("signed")
        .to_string();
    let body = body_bytes(res).await;
    let k = base64::engine::general_purpose::STANDARD
        .decode(key.strip_prefix("whsec_").expect("whsec_ form"))
        .expect("base64 key");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&k).expect("key");
    mac.update(&body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sig, format!("sha256={want}"), "signature of {uri}");
    // an altered copy does not verify
    let mut altered = body.clone();
    if let Some(b) = altered.iter_mut().find(|b| **b == b'1') {
        *b = b'2';
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&k).expect("key");
        mac.update(&altered);
        assert!(mac.verify_slice(&hex(&want)).is_err());
    }
    serde_json::from_slice(&body).expect("json")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn kinds_of(page: &serde_json::Value, name: &str) -> Vec<String> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["data"]["name"].as_str() == Some(name) || name.is_empty())
        .map(|e| e["kind"].as_str().expect("kind").to_string())
        .collect()
}

#[tokio::test]
async fn partners_read_the_changes_they_agreed_to_in_order_signed_and_minimised() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let today = anbiao_web::today();
        let huafeng = enterprise_in_rugao(&db, 71, "南通华峰机械有限公司").await;
        let dongfang = enterprise_in_rugao(&db, 72, "如皋市东方五金有限公司").await;
        let juegang = enterprise_in_rudong(&db, 73, "如东县掘港冶金有限公司").await;
        for id in [huafeng, dongfang, juegang] {
            operating_since_2010(&db, id).await;
        }
        let cert = certify(
            &db,
            huafeng,
            Grade::Two,
            today - Duration::days(100),
            today + Duration::days(900),
        )
        .await;
        certify(
            &db,
            juegang,
            Grade::One,
            today - Duration::days(100),
            today + Duration::days(900),
        )
        .await;
        accident(&db, dongfang, today - Duration::days(3)).await;
        accident(&db, juegang, today - Duration::days(2)).await;

        // The security administrator binds two partner accounts: the central bank city-wide,
        // an insurer for 如皋 only.
        add_user(&db, "secadmin", Role::SecurityAdmin, None, None).await;
        let pboc = add_user(&db, "pboc", Role::Partner, None, None).await;
        let insurer = add_user(&db, "insurer", Role::Partner, Some("320682"), None).await;
        let idle = add_user(&db, "idle", Role::Partner, None, None).await;
        let sec = app.session_for("secadmin").await;
        let page = body_text(app.send(sec.get("/admin/tokens")).await).await;
        assert!(page.contains("企业信用信息基础数据库"), "{page}");
        let mut keys = Vec::new();
        for (user, agreement) in [(pboc, "pboc.credit"), (insurer, "insurers.liability")] {
            let res = app
                .send(sec.form(
                    "/admin/partners",
                    &[("user", &user.to_string()), ("agreement", agreement)],
                ))
                .await;
            assert_eq!(res.status(), 200);
            keys.push(shown_secret(&body_text(res).await));
        }
        // An officer's account or an unknown agreement is refused, nothing bound.
        let city = anbiao_store::account::by_username(&db, "city")
            .await
            .expect("ran")
            .expect("city");
        for (user, agreement, why) in [
            (city.id, "pboc.credit", "只有协作部门账号"),
            (idle, "nope", "请选择规则中列明的数据共享协议"),
        ] {
            let res = app
                .send(sec.form(
                    "/admin/partners",
                    &[("user", &user.to_string()), ("agreement", agreement)],
                ))
                .await;
            assert_eq!(res.status(), 422);
            assert!(body_text(res).await.contains(why));
        }
        let bound = anbiao_store::feed::agreements(&db).await.expect("ran");
        assert_eq!(bound.len(), 2);

        let pboc_t = feed_token(&db, pboc, None).await;
        let ins_t = feed_token(&db, insurer, Some("320682")).await;
        let idle_t = feed_token(&db, idle, None).await;

        // The central bank: certificates only, no accidents; no accident field, no unit.
        let p = read(&app, &pboc_t, &keys[0], "/api/v1/feed").await;
        assert_eq!(p["agreement"], "pboc.credit");
        assert_eq!(kinds_of(&p, "南通华峰机械有限公司"), ["graded"]);
        assert_eq!(kinds_of(&p, "如东县掘港冶金有限公司"), ["graded"]);
        assert!(kinds_of(&p, "如皋市东方五金有限公司").is_empty(), "{p}");
        let ev = p["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["enterprise_id"] == huafeng)
            .expect("huafeng");
        assert_eq!(ev["data"]["grade"], "two");
        assert!(
            ev["data"]["certificate_number"]
                .as_str()
                .is_some_and(|n| n.starts_with("苏AQB"))
        );
        for hidden in ["accident_on", "unit", "township", "key_supervision"] {
            assert!(ev["data"].get(hidden).is_none(), "{hidden} shown: {ev}");
        }
        let seqs: Vec<i64> = p["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["seq"].as_i64().expect("seq"))
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        let next = p["next_after"].as_i64().expect("next");
        assert_eq!(p["more"], false);

        // The insurer: 如皋 only, accidents and supervision included, with their fields.
        let q = read(&app, &ins_t, &keys[1], "/api/v1/feed").await;
        assert_eq!(
            kinds_of(&q, "如皋市东方五金有限公司"),
            ["accident", "key_supervision_on"]
        );
        assert!(kinds_of(&q, "如东县掘港冶金有限公司").is_empty(), "{q}");
        let acc = q["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["kind"] == "accident")
            .expect("accident");
        assert_eq!(
            acc["data"]["accident_on"],
            anbiao_domain::date::format_date(today - Duration::days(3))
        );
        assert!(acc["data"].get("certificate_number").is_none());

        // A revocation is one new event after the offset; a replay from 0 is the same history.
        certificate::revoke(
            &db,
            &Scope::City,
            &Actor::new("rugao", "form"),
            cert,
            today,
            "发生一般事故，经核查不再符合二级标准",
            None,
        )
        .await
        .expect("revoke");
        let p2 = read(
            &app,
            &pboc_t,
            &keys[0],
            &format!("/api/v1/feed?after={next}"),
        )
        .await;
        assert_eq!(kinds_of(&p2, ""), ["revoked"], "{p2}");
        assert_eq!(p2["events"][0]["data"]["previous_grade"], "two");
        let again = read(&app, &pboc_t, &keys[0], "/api/v1/feed?after=0&limit=1").await;
        assert_eq!(again["events"][0]["seq"], p["events"][0]["seq"]);
        assert_eq!(again["events"].as_array().map(Vec::len), Some(1));
        assert_eq!(again["more"], true);
        // Reading again writes nothing new.
        let p3 = read(
            &app,
            &pboc_t,
            &keys[0],
            &format!("/api/v1/feed?after={next}"),
        )
        .await;
        assert_eq!(p3["events"], p2["events"]);

        // Refusals, in Chinese, for a partner with no agreement, an officer and a bad offset.
        let res = app.send(bearer("/api/v1/feed", &idle_t)).await;
        assert_eq!(res.status(), 403);
        assert!(body_text(res).await.contains("尚未绑定数据共享协议"));
        let officer = app.session_for("city").await;
        assert_eq!(app.send(officer.get("/api/v1/feed")).await.status(), 403);
        for bad in ["-1", "x", "99999999999999999999999"] {
            let res = app
                .send(bearer(&format!("/api/v1/feed?after={bad}"), &pboc_t))
                .await;
            assert_eq!(res.status(), 400, "{bad}");
            assert!(body_text(res).await.contains("起始序号"));
        }
        let res = app.send(bearer("/api/v1/feed?limit=5000", &pboc_t)).await;
        assert_eq!(res.status(), 400);

        // Ending the agreement stops the feed at once; a new binding gets a new secret.
        let res = app
            .send(sec.form(&format!("/admin/partners/{pboc}/end"), &[]))
            .await;
        assert!(res.status().is_success() || res.status().is_redirection());
        assert_eq!(
            app.send(bearer("/api/v1/feed", &pboc_t)).await.status(),
            403
        );
    })
    .await;
}

#[tokio::test]
async fn certificates_that_run_out_are_told_the_day_after_and_refreshes_never_repeat() {
    each_backend(|db| async move {
        let today = anbiao_web::today();
        let reference = anbiao_domain::ReferenceData::embedded().expect("reference");
        let e = enterprise_in_rugao(&db, 81, "如皋市长江铸件有限公司").await;
        operating_since_2010(&db, e).await;
        certify(
            &db,
            e,
            Grade::Three,
            today - Duration::days(1000),
            today + Duration::days(10),
        )
        .await;
        // Two refreshes at once write each change once.
        let (a, b) = tokio::join!(
            anbiao_actions::feed::refresh(&db, &reference, today),
            anbiao_actions::feed::refresh(&db, &reference, today)
        );
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_eq!(a.events + b.events, 1, "{a:?} {b:?}");
        assert_eq!(anbiao_store::feed::pending(&db).await.expect("ran"), 0);
        // Eleven days on, nothing was written, yet the certificate has run out: the calendar
        // marks it, and the event is dated the day after its last valid day.
        let later = today + Duration::days(11);
        let r = anbiao_actions::feed::refresh(&db, &reference, later)
            .await
            .expect("refresh");
        assert_eq!(r.events, 2, "{r:?}");
        let rows = anbiao_store::feed::page(&db, &Scope::City, &[], 0, 10)
            .await
            .expect("page");
        let kinds: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.kind.as_str(), r.on_day.as_str()))
            .collect();
        let d = |n: i64| anbiao_domain::date::format_date(today + Duration::days(n));
        assert_eq!(
            kinds,
            [
                ("graded", d(0).as_str()),
                ("expired", d(11).as_str()),
                ("key_supervision_on", d(11).as_str())
            ]
        );
        let again = anbiao_actions::feed::refresh(&db, &reference, later)
            .await
            .expect("refresh");
        assert_eq!(again.events, 0);
    })
    .await;
}

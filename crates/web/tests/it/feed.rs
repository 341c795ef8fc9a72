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
        // A push address that is not http(s) or carries credentials is refused with the reason.
        for (url, why) in [
            ("ftp://bank.example.cn/in", "应以 http:// 或 https:// 开头"),
            ("https://u:p@bank.example.cn/in", "不能包含用户名或密码"),
        ] {
            let res = app
                .send(sec.form(
                    "/admin/partners",
                    &[
                        ("user", &idle.to_string()),
                        ("agreement", "pboc.credit"),
                        ("push_url", url),
                    ],
                ))
                .await;
            assert_eq!(res.status(), 422, "{url}");
            assert!(body_text(res).await.contains(why), "{url}");
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
        // An enterprise on file when the feed began (the migration marks it 0) is its starting
        // point: its certificate is not told as news.
        let old = enterprise_in_rugao(&db, 82, "如皋市老字号纺织厂").await;
        operating_since_2010(&db, old).await;
        certify(
            &db,
            old,
            Grade::Two,
            today - Duration::days(700),
            today + Duration::days(300),
        )
        .await;
        anbiao_store::with_pool!(&db, |p| sqlx::query(
            "UPDATE feed_dirty SET mark = 0 WHERE enterprise_id = $1"
        )
        .bind(old)
        .execute(p)
        .await
        .map(|_| ()))
        .expect("as the migration left it");
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
        let rows = anbiao_store::feed::page(&db, &Scope::City, &[], 0, 100, 10)
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

/// The Python with `standardwebhooks` (scripts/test-all.sh installs it into target/).
fn webhook_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("ANBIAO_WEBHOOK_PYTHON") {
        return p.into();
    }
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/webhook-venv/bin/python");
    assert!(
        p.exists(),
        "the webhook receiver needs Python with standardwebhooks: run scripts/test-all.sh, or \
         python3 -m venv target/webhook-venv && target/webhook-venv/bin/pip install \
         standardwebhooks==1.3.0"
    );
    p
}

/// A partner's receiver on 127.0.0.1 that verifies with `standardwebhooks`, refusing the first
/// `fail_first` deliveries; (process, port).
async fn receiver(
    secret: &str,
    log: &std::path::Path,
    fail_first: u32,
) -> (tokio::process::Child, u16) {
    use tokio::io::AsyncBufReadExt;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/webhook_receiver.py");
    let mut child = tokio::process::Command::new(webhook_python())
        .arg(script)
        .arg(secret)
        .arg(log)
        .arg(fail_first.to_string())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("receiver starts");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::io::BufReader::new(out).read_line(&mut line),
    )
    .await
    .expect("receiver prints its port")
    .expect("read");
    (child, line.trim().parse().expect("port"))
}

fn deliveries(log: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

#[tokio::test]
async fn pushes_are_standard_webhooks_a_partner_verifies_retried_and_never_replayed() {
    each_backend(|db| async move {
        let reference = anbiao_domain::ReferenceData::embedded().expect("reference");
        let state =
            anbiao_web::AppState::new(db.clone(), reference, anbiao_web::WebConfig::default());
        let today = anbiao_web::today();
        let dir = tempfile::tempdir().expect("dir");
        let log = dir.path().join("deliveries.jsonl");
        let secret = anbiao_actions::feed::new_secret().expect("secret");
        let (_rx, port) = receiver(&secret, &log, 1).await;

        // Bound with a push URL: what changes from now on is pushed.
        let hr = add_user(&db, "hrss", Role::Partner, Some("320682"), None).await;
        anbiao_store::feed::bind(
            &db,
            &Actor::new("secadmin", "form"),
            hr,
            "hrss.injury",
            &secret,
            Some(&format!("http://127.0.0.1:{port}/hooks/anbiao")),
        )
        .await
        .expect("bind");
        let e = enterprise_in_rugao(&db, 91, "如皋市通达钢构有限公司").await;
        operating_since_2010(&db, e).await;
        let other = enterprise_in_rudong(&db, 92, "如东县洋口港务有限公司").await;
        operating_since_2010(&db, other).await;
        let cert = certify(
            &db,
            e,
            Grade::Three,
            today - Duration::days(30),
            today + Duration::days(1000),
        )
        .await;
        certify(
            &db,
            other,
            Grade::Two,
            today - Duration::days(30),
            today + Duration::days(1000),
        )
        .await;

        let client = anbiao_web::push::client().expect("client");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // The receiver refuses the first delivery: recorded, retried after 30 seconds.
        let r = anbiao_web::push::push_due(&state, &client, "test-a", now)
            .await
            .expect("push");
        assert_eq!((r.delivered, r.failed), (0, 1));
        let b = anbiao_store::feed::agreement_of(&db, hr)
            .await
            .expect("ran")
            .expect("bound");
        assert_eq!(b.push_failures, 1);
        assert_eq!(b.next_push_at, now + 30);
        assert!(
            b.push_error.as_deref().is_some_and(|e| e.contains("503")),
            "{b:?}"
        );
        let r = anbiao_web::push::push_due(&state, &client, "test-a", now + 10)
            .await
            .expect("push");
        assert_eq!((r.delivered, r.failed), (0, 0), "not before its time");
        let r = anbiao_web::push::push_due(&state, &client, "test-b", now + 30)
            .await
            .expect("push");
        assert_eq!((r.delivered, r.failed), (1, 0));

        // The library verified it; it holds the graded event of 如皋's enterprise only, with the
        // agreement's fields only.
        let got = deliveries(&log);
        assert_eq!(got.len(), 1);
        let body: serde_json::Value =
            serde_json::from_str(got[0]["body"].as_str().expect("body")).expect("json");
        assert_eq!(body["type"], "standing.changed");
        let events = body["data"]["events"].as_array().expect("events");
        assert_eq!(events.len(), 1, "{body}");
        assert_eq!(events[0]["kind"], "graded");
        assert_eq!(events[0]["enterprise_id"], e);
        assert_eq!(events[0]["data"]["grade"], "three");
        assert!(events[0]["data"].get("certificate_number").is_none());
        let b = anbiao_store::feed::agreement_of(&db, hr)
            .await
            .expect("ran")
            .expect("bound");
        assert_eq!(b.push_failures, 0);
        assert_eq!(
            b.pushed_seq,
            body["data"]["next_after"].as_i64().expect("next")
        );

        // The same delivery again is refused as a replay; an altered body fails verification.
        let url = format!("http://127.0.0.1:{port}/hooks/anbiao");
        let send = |body: String| {
            let h = got[0]["headers"].clone();
            let client = client.clone();
            let url = url.clone();
            async move {
                let mut req = client.post(&url).body(body);
                for k in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
                    req = req.header(k, h[k].as_str().expect("header"));
                }
                req.send().await.expect("sent").status().as_u16()
            }
        };
        let raw = got[0]["body"].as_str().expect("body").to_string();
        assert_eq!(send(raw.clone()).await, 409);
        assert_eq!(send(raw.replace("three", "one")).await, 400);

        // Nothing new: nothing sent. A revocation: one more delivery, later in sequence.
        let r = anbiao_web::push::push_due(&state, &client, "test-a", now + 40)
            .await
            .expect("push");
        assert_eq!((r.delivered, r.failed), (0, 0));
        certificate::revoke(
            &db,
            &Scope::City,
            &Actor::new("rugao", "form"),
            cert,
            today,
            "发生一般事故，经核查不再符合三级标准",
            None,
        )
        .await
        .expect("revoke");
        let r = anbiao_web::push::push_due(&state, &client, "test-a", now + 50)
            .await
            .expect("push");
        assert_eq!((r.delivered, r.failed), (1, 0));
        let got = deliveries(&log);
        assert_eq!(got.len(), 2);
        let second: serde_json::Value =
            serde_json::from_str(got[1]["body"].as_str().expect("body")).expect("json");
        assert_eq!(second["data"]["events"][0]["kind"], "revoked");
        assert!(
            second["data"]["events"][0]["seq"].as_i64() > events[0]["seq"].as_i64(),
            "{second}"
        );
        assert_ne!(got[0]["id"], got[1]["id"]);
    })
    .await;
}

//! The authorization matrix, built from the route table: every route × every role × its own
//! region, a foreign region, and no sign-in at all, with the expected answer derived from the
//! declared access and the role's scope. A page or API answer must never carry an enterprise
//! outside the caller's scope.

use axum::body::Body;
use axum::http::{Method, Request, header};

use anbiao_domain::enterprise::{EnterpriseDraft, OverridePolicy};
use anbiao_domain::{Permission, ReferenceData, Role, Scope};
use anbiao_store::account;
use anbiao_store::audit_log::Actor;
use anbiao_store::testing::each_backend;
use anbiao_store::{enterprise, token};
use anbiao_web::WebConfig;
use anbiao_web::routes::{Access, RouteSpec, table};

use crate::{Session, TestApp, add_user, body_text, code};

const OWN_NAME: &str = "如皋矩阵甲厂";
const FOREIGN_NAME: &str = "海安矩阵乙厂";

struct Fixture {
    own: i64,
    foreign: i64,
    target_user: i64,
    token_id: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let r = ReferenceData::embedded().expect("reference");
    let actor = Actor::new("tester", "cli");
    let mk = |c: String, name: &str, region: &str, township: Option<&str>| {
        EnterpriseDraft {
            credit_code: Some(c),
            name: Some(name.into()),
            region: Some(region.into()),
            township: township.map(str::to_string),
            industry: Some("JX".into()),
            ..Default::default()
        }
        .validate(&r, anbiao_web::today(), OverridePolicy::Allowed)
        .expect("valid")
    };
    let own = enterprise::create(
        &app.db,
        &Scope::City,
        &actor,
        &mk(code("320682", 501), OWN_NAME, "320682", Some("如城街道")),
    )
    .await
    .expect("own");
    let foreign = enterprise::create(
        &app.db,
        &Scope::City,
        &actor,
        &mk(code("320685", 502), FOREIGN_NAME, "320685", None),
    )
    .await
    .expect("foreign");
    let extra: [(&str, Role, Option<&str>, Option<i64>); 6] = [
        ("qiye", Role::EnterpriseManager, None, Some(own)),
        ("pingshen", Role::EvaluationOrg, None, None),
        ("kaoping", Role::Evaluator, None, None),
        ("bank", Role::Partner, Some("320682"), None),
        ("secadmin", Role::SecurityAdmin, None, None),
        ("auditor", Role::AuditAdmin, None, None),
    ];
    for (name, role, region, ent) in extra {
        add_user(&app.db, name, role, region, ent).await;
    }
    let target_user = add_user(&app.db, "target", Role::Evaluator, None, None).await;
    let bank = account::by_username(&app.db, "bank")
        .await
        .expect("ran")
        .expect("bank");
    let (token_id, _) = token::issue(
        &app.db,
        &actor,
        &token::NewToken {
            user_id: bank.id,
            name: "矩阵".into(),
            read_only: true,
            permissions: vec![],
            region_code: None,
            days: 5,
        },
    )
    .await
    .expect("token");
    Fixture {
        own,
        foreign,
        target_user,
        token_id,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Foreign,
    Anonymous,
}

fn is_enterprise_item(spec: &RouteSpec) -> bool {
    spec.path.contains("enterprises/{id}")
}

fn path_for(spec: &RouteSpec, f: &Fixture, target: Target) -> String {
    let id = if is_enterprise_item(spec) {
        if target == Target::Foreign {
            f.foreign
        } else {
            f.own
        }
    } else if spec.path.contains("tokens/{id}") {
        f.token_id
    } else {
        f.target_user
    };
    let mut p = spec.path.replace("{id}", &id.to_string());
    // Lists filtered to the own or the foreign district.
    if spec.method == Method::GET && !spec.path.contains("{id}") {
        let region = if target == Target::Foreign {
            "320685"
        } else {
            "320682"
        };
        p.push_str(&format!("?region={region}"));
    }
    p
}

fn request(spec: &RouteSpec, path: &str, s: Option<&Session>) -> Request<Body> {
    let mut b = Request::builder().method(spec.method.clone()).uri(path);
    if let Some(s) = s {
        b = b
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf);
    }
    if spec.method == Method::GET {
        return b.body(Body::empty()).expect("request");
    }
    if spec.is_api() {
        b.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .expect("request")
    } else {
        b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("hx-request", "true")
            .body(Body::from("probe=1"))
            .expect("request")
    }
}

const ROLES: [(&str, Role); 11] = [
    ("city", Role::CityOfficer),
    ("rugao", Role::DistrictOfficer),
    ("township", Role::TownshipOfficer),
    ("qiye", Role::EnterpriseManager),
    ("pingshen", Role::EvaluationOrg),
    ("kaoping", Role::Evaluator),
    ("bank", Role::Partner),
    ("sysadmin", Role::SystemAdmin),
    ("secadmin", Role::SecurityAdmin),
    ("auditor", Role::AuditAdmin),
    ("rudong", Role::DistrictOfficer),
];

#[tokio::test]
async fn every_route_every_role_every_region() {
    each_backend(|db| async move {
        let config = WebConfig {
            sign_ins_per_minute: 100_000,
            public_url: Some("https://anbiao.nantong.example".into()),
            ..WebConfig::default()
        };
        let app = TestApp::with_config(db.clone(), config).await;
        let f = fixture(&app).await;
        let t = table();
        let specs = t.specs();
        assert!(specs.len() > 30, "the table lists every route");
        let mut checked = 0;
        for spec in specs {
            for &(user, role) in &ROLES {
                for target in [Target::Own, Target::Foreign, Target::Anonymous] {
                    let path = path_for(spec, &f, target);
                    // A fresh session per request: sign-out routes end only their own.
                    let session = match target {
                        Target::Anonymous => None,
                        _ => Some(app.session_for(user).await),
                    };
                    let res = app.send(request(spec, &path, session.as_ref())).await;
                    let status = res.status().as_u16();
                    let location = res
                        .headers()
                        .get(header::LOCATION)
                        .or_else(|| res.headers().get("hx-redirect"))
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let ctype = res
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let body = if ctype.contains("spreadsheet") {
                        String::new()
                    } else {
                        body_text(res).await
                    };
                    let what = format!(
                        "{} {} as {user} ({target:?}) → {status} {location}",
                        spec.method, path
                    );
                    assert!(status < 500, "{what}: {body}");
                    // Cells the action layer refuses although the role holds the route's
                    // permission: an enterprise registers no other enterprise.
                    let refused_by_action = (role == Role::EnterpriseManager
                        && ((spec.method == Method::POST && spec.path == "/api/v1/enterprises")
                            || spec.path == "/enterprises/new"))
                        || (spec.path == "/cases/new" && role != Role::EnterpriseManager)
                        // The officers' list behind the figures (the figures themselves send an
                        // enterprise to its own list).
                        || (role == Role::EnterpriseManager
                            && spec.path == "/obligations/enterprises")
                        // Designations are the officers' record: an enterprise cannot designate
                        // itself.
                        || (role == Role::EnterpriseManager
                            && spec.method == Method::POST
                            && (spec.path == "/enterprises/{id}/designations"
                                || spec.path == "/designations/{id}/end"))
                        // A district names its model townships; the city does not.
                        || (role == Role::CityOfficer && spec.path == "/outreach/townships")
                        // A partner's tokens are the security administrator's to issue.
                        || (role == Role::Partner
                            && spec.method == Method::POST
                            && spec.path == "/account/tokens")
                        // The feed is read under an agreement; this table's partner has none
                        // (the object matrix binds one).
                        || (role == Role::Partner && spec.path == "/api/v1/feed");
                    let granted = match spec.access {
                        Access::Public => true,
                        Access::Account | Access::SignedIn => {
                            target != Target::Anonymous && !refused_by_action
                        }
                        Access::Perm(p) => {
                            target != Target::Anonymous && role.allows(p) && !refused_by_action
                        }
                    };
                    if target == Target::Anonymous && spec.access != Access::Public {
                        if spec.is_api() {
                            assert_eq!(status, 401, "{what}");
                        } else {
                            assert!(
                                (status == 303 || status == 204) && location == "/login",
                                "{what}"
                            );
                        }
                    } else if !granted {
                        assert_eq!(status, 403, "{what}");
                    } else if spec.access == Access::Public {
                        // Public routes answer on their own terms (a failed sign-in is 401).
                        assert_ne!(status, 403, "{what}");
                    } else {
                        assert_ne!(status, 401, "{what}");
                        assert_ne!(status, 403, "{what}: {body}");
                        if spec.path != "/logout" {
                            assert_ne!(location, "/login", "{what}");
                        }
                        let scope_covers =
                            |region: &str, township: Option<&str>, id: i64| match role {
                                Role::CityOfficer => true,
                                Role::DistrictOfficer => {
                                    (user == "rugao" && region == "320682")
                                        || (user == "rudong" && region == "320623")
                                }
                                Role::TownshipOfficer => {
                                    region == "320682" && township == Some("如城街道")
                                }
                                Role::EnterpriseManager => id == f.own,
                                Role::Partner => region == "320682",
                                _ => false,
                            };
                        if is_enterprise_item(spec) && matches!(spec.access, Access::Perm(_)) {
                            let (region, township, id) = if target == Target::Foreign {
                                ("320685", None, f.foreign)
                            } else {
                                ("320682", Some("如城街道"), f.own)
                            };
                            if scope_covers(region, township, id) {
                                assert_ne!(status, 404, "{what}");
                            } else {
                                assert_eq!(status, 404, "{what}");
                            }
                        }
                    }
                    // No answer carries an enterprise outside the caller's scope.
                    let sees_own = target != Target::Anonymous
                        && role.allows(Permission::ViewEnterprises)
                        && match role {
                            Role::CityOfficer => true,
                            Role::DistrictOfficer => user == "rugao",
                            Role::TownshipOfficer | Role::EnterpriseManager | Role::Partner => true,
                            _ => false,
                        };
                    let sees_foreign = target != Target::Anonymous && role == Role::CityOfficer;
                    if !sees_own {
                        assert!(!body.contains(OWN_NAME), "{what} leaked {OWN_NAME}");
                    }
                    if !sees_foreign {
                        assert!(!body.contains(FOREIGN_NAME), "{what} leaked {FOREIGN_NAME}");
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, specs.len() * ROLES.len() * 3);
        // Each denial by permission left an audit entry.
        let denied = anbiao_store::audit_log::Filter {
            action: Some("access.denied".into()),
            ..Default::default()
        };
        assert!(
            anbiao_store::audit_log::count(&db, &denied)
                .await
                .expect("count")
                > 50
        );
    })
    .await;
}

/// A few cells spelled out, so the matrix cannot pass by deriving wrong expectations.
#[tokio::test]
async fn separation_of_duties_spelled_out() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        fixture(&app).await;
        let cases: [(&str, &str, u16); 10] = [
            ("sysadmin", "/enterprises", 403),
            ("sysadmin", "/audit", 403),
            ("sysadmin", "/admin/users", 200),
            ("secadmin", "/admin/users", 403),
            ("secadmin", "/admin/grants", 200),
            ("secadmin", "/enterprises", 403),
            ("auditor", "/audit", 200),
            ("auditor", "/admin/tokens", 403),
            ("kaoping", "/enterprises", 403),
            ("bank", "/enterprises/import", 403),
        ];
        for (user, path, want) in cases {
            let s = app.session_for(user).await;
            let res = app.send(s.get(path)).await;
            assert_eq!(res.status().as_u16(), want, "{user} GET {path}");
        }
    })
    .await;
}

/// Routes are declared in the table and nowhere else: no `.route(` or `.nest(` outside
/// `routes.rs`, so a route cannot be added without an access rule.
#[test]
fn routes_are_only_added_through_the_table() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") && !p.ends_with("routes.rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                for needle in [
                    ".route(",
                    ".route_service(",
                    ".nest(",
                    ".nest_service(",
                    ".merge(",
                ] {
                    if text.contains(needle) {
                        offenders.push(format!("{} uses {needle}", p.display()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
    // Every declared route is unique.
    let t = table();
    let mut seen = std::collections::HashSet::new();
    for s in t.specs() {
        assert!(
            seen.insert((s.method.clone(), s.path)),
            "{} {} declared twice",
            s.method,
            s.path
        );
    }
}

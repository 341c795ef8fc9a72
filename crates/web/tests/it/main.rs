//! HTTP tests through the whole router; every test runs on SQLite and PostgreSQL.

mod api;
mod authority;
mod consequences;
mod feed;
mod grading;
mod grids;
mod inspections;
mod matrix;
mod objects;
mod obligations;
mod outreach;
mod pages;
mod programmes;
mod risks;
mod security;
mod supervision;
mod training;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use anbiao_domain::{ReferenceData, Role, SignInPolicy};
use anbiao_store::Db;
use anbiao_store::account::{self, NewUser};
use anbiao_store::audit_log::Actor;
use anbiao_web::{AppState, WebConfig};

pub const PASSWORD: &str = "Test#2018pw";

/// The application over a test database, with one user per role used in the tests.
pub struct TestApp {
    pub router: Router,
    pub db: Db,
}

impl TestApp {
    pub async fn new(db: Db) -> TestApp {
        Self::with_config(db, WebConfig::default()).await
    }

    pub async fn with_config(db: Db, config: WebConfig) -> TestApp {
        let reference = ReferenceData::embedded().expect("reference data");
        let users: [(&str, Role, Option<&str>); 5] = [
            ("city", Role::CityOfficer, None),
            ("rugao", Role::DistrictOfficer, Some("320682")),
            ("rudong", Role::DistrictOfficer, Some("320623")),
            ("sysadmin", Role::SystemAdmin, None),
            ("township", Role::TownshipOfficer, Some("320682")),
        ];
        for (name, role, region) in users {
            account::create(
                &db,
                &Actor::new("tester", "cli"),
                &NewUser {
                    username: name.into(),
                    display_name: format!("{name}用户"),
                    password: PASSWORD.into(),
                    role,
                    region_code: region.map(str::to_string),
                    township: (role == Role::TownshipOfficer).then(|| "如城街道".to_string()),
                    enterprise_id: None,
                    must_change_password: false,
                },
                &SignInPolicy::default(),
            )
            .await
            .expect("test user");
        }
        let state = AppState::new(db.clone(), reference, config);
        TestApp {
            router: anbiao_web::app(state),
            db,
        }
    }

    /// The app of the same database on another business day (the users exist already).
    pub async fn on_day(db: Db, day: time::Date) -> TestApp {
        let reference = ReferenceData::embedded().expect("reference data");
        let config = WebConfig {
            fixed_date: Some(day),
            ..WebConfig::default()
        };
        let state = AppState::new(db.clone(), reference, config);
        TestApp {
            router: anbiao_web::app(state),
            db,
        }
    }

    /// A session for a user straight from the store (no password hashing): for tests that
    /// sign in hundreds of times.
    pub async fn session_for(&self, username: &str) -> Session {
        let u = account::by_username(&self.db, username)
            .await
            .expect("ran")
            .expect("user exists");
        let (sid, csrf) = anbiao_store::session::create(&self.db, u.id, 1800)
            .await
            .expect("session");
        Session {
            cookie: format!("anbiao_sid={sid}"),
            csrf,
            username: username.to_string(),
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.expect("infallible")
    }

    /// Signs in through the API; returns the session cookie and CSRF token.
    pub async fn login(&self, username: &str) -> Session {
        let body = serde_json::json!({ "username": username, "password": PASSWORD }).to_string();
        let res = self
            .send(
                Request::post("/api/v1/session")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(res.status(), 201, "login {username}");
        let cookie = set_cookie(&res).expect("session cookie");
        let json: serde_json::Value = serde_json::from_slice(&body_bytes(res).await).expect("json");
        Session {
            cookie,
            csrf: json["csrf_token"].as_str().expect("token").to_string(),
            username: username.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub username: String,
}

impl Session {
    pub fn get(&self, uri: &str) -> Request<Body> {
        Request::get(uri)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .expect("request")
    }

    pub fn json(&self, method: &str, uri: &str, body: serde_json::Value) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    }

    pub fn form(&self, uri: &str, pairs: &[(&str, &str)]) -> Request<Body> {
        Request::post(uri)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded_pairs(pairs)))
            .expect("request")
    }

    pub fn upload(
        &self,
        uri: &str,
        file_name: &str,
        bytes: &[u8],
        all_or_nothing: bool,
    ) -> Request<Body> {
        let fields: &[(&str, &str)] = if all_or_nothing {
            &[("all_or_nothing", "on")]
        } else {
            &[]
        };
        self.multipart(uri, fields, Some((file_name, bytes)))
    }

    /// A multipart form: text fields, then the file (as `file`), sent as htmx would.
    pub fn multipart(
        &self,
        uri: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Request<Body> {
        let boundary = "----anbiaotestboundary7MA4YWxk";
        let mut body = Vec::new();
        if let Some((file_name, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Request::post(uri)
            .header(header::COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request")
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn set_cookie(res: &Response<Body>) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("anbiao_sid=") && !v.contains("Max-Age=0"))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

pub async fn body_bytes(res: Response<Body>) -> Vec<u8> {
    res.into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

pub async fn body_text(res: Response<Body>) -> String {
    String::from_utf8(body_bytes(res).await).expect("utf-8")
}

pub async fn body_json(res: Response<Body>) -> serde_json::Value {
    serde_json::from_slice(&body_bytes(res).await).expect("json body")
}

pub use anbiao_store::testing::credit_code as code;

/// Adds an account with the test password.
pub async fn add_user(
    db: &Db,
    name: &str,
    role: Role,
    region: Option<&str>,
    enterprise_id: Option<i64>,
) -> i64 {
    account::create(
        db,
        &Actor::new("tester", "cli"),
        &NewUser {
            username: name.into(),
            display_name: name.into(),
            password: PASSWORD.into(),
            role,
            region_code: region.map(str::to_string),
            township: None,
            enterprise_id,
            must_change_password: false,
        },
        &SignInPolicy::default(),
    )
    .await
    .expect("test user")
}

pub async fn count(db: &Db) -> i64 {
    anbiao_store::enterprise::count(db, &anbiao_domain::Scope::City)
        .await
        .expect("count")
}

/// A real `w` × `h` PNG (light grey), as a site plan.
pub fn plan_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().expect("header");
        wr.write_image_data(&vec![230u8; (w * h) as usize])
            .expect("pixels");
    }
    out
}

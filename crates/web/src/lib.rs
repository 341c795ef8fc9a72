//! The web layer of anbiao: server-rendered pages (askama + htmx) and the JSON API under
//! `/api/v1`, over the store. Handlers are thin: they parse, check the permission, call the
//! store or a service, and render.

pub mod api;
pub mod auth;
pub mod error;
pub mod export;
pub mod filters;
pub mod pages;
pub mod services;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use time::{OffsetDateTime, UtcOffset};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use anbiao_domain::ReferenceData;
use anbiao_store::Db;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Idle time after which a session ends.
    pub session_ttl_secs: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl_secs: 30 * 60,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub reference: Arc<ReferenceData>,
    pub config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(db: Db, reference: ReferenceData, config: WebConfig) -> Self {
        Self {
            db,
            reference: Arc::new(reference),
            config: Arc::new(config),
        }
    }
}

/// Today in China (UTC+8): decides which region version a name means and which rules apply.
pub fn today() -> time::Date {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::now_utc().to_offset(offset).date()
}

/// Upload limit for spreadsheet imports; other requests get a small limit.
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
pub const FORM_LIMIT: usize = 256 * 1024;

/// The whole application.
pub fn app(state: AppState) -> Router {
    let uploads = pages::import::router().layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 1024 * 1024));
    let rest = Router::new()
        .merge(pages::router())
        .merge(api::router())
        .route("/healthz", get(healthz))
        .route("/static/htmx.min.js", get(htmx_js))
        .route("/static/app.css", get(app_css))
        .route("/static/app.js", get(app_js))
        .route("/favicon.ico", get(favicon))
        .layer(DefaultBodyLimit::max(FORM_LIMIT));
    Router::new()
        .merge(uploads)
        .merge(rest)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session_layer,
        ))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        error::AppError::NotFound.into_response()
    } else {
        error::HtmlError(error::AppError::NotFound).into_response()
    }
}

const CACHE: &str = "public, max-age=3600";

async fn htmx_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../../static/vendor/htmx-2.0.11.min.js"),
    )
}

async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../../static/app.css"),
    )
}

async fn app_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        include_str!("../../../static/app.js"),
    )
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, CACHE),
        ],
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' rx='3' fill='#c8102e'/>\
<text x='8' y='12' font-size='10' text-anchor='middle' fill='#fff'>安</text></svg>",
    )
}

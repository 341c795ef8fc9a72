//! The web layer of anbiao: server-rendered pages (askama + htmx) and the JSON API under
//! `/api/v1`, over the store. Handlers are thin: they parse, check the permission, call the
//! store or a service, and render.

pub mod api;
pub mod assets;
pub mod auth;
pub mod charts;
pub mod documents;
pub mod error;
pub mod export;
pub mod filters;
pub mod limit;
pub mod pager;
pub mod pages;
pub mod push;
pub mod routes;
pub mod services;
pub mod views;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use anbiao_domain::{ReferenceData, SignInPolicy};
use anbiao_print::CjkFont;
use anbiao_store::Db;

use crate::limit::SignInLimiter;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Idle time after which a session ends.
    pub session_ttl_secs: i64,
    /// Time after signing in at which a session ends however active it is.
    pub session_max_secs: i64,
    /// Password strength and lock-out.
    pub policy: SignInPolicy,
    /// Sign-in attempts allowed per client address per minute.
    pub sign_ins_per_minute: u32,
    /// Requests without a session allowed per client address per minute on the public pages
    /// (the portal, certificate verification, the sign-in page).
    pub public_requests_per_minute: u32,
    /// How many reverse proxies in front of the server append to `X-Forwarded-For` (0: none,
    /// the socket's peer is the client). The client is the entry that many hops from the
    /// right: what the nearest trusted proxy saw, never what the client wrote itself.
    pub trusted_proxies: u8,
    /// The address the public reaches the portal at (printed in certificate QR codes); when
    /// unset, taken from the request's Host header.
    pub public_url: Option<String>,
    /// The CJK font embedded in PDFs; when unset, the usual system locations are searched.
    pub cjk_font: Option<std::path::PathBuf>,
    /// A fixed business date (training, demonstration, acceptance tests): decisions are dated
    /// and judged as of this day instead of today. Shown on every page when set.
    pub fixed_date: Option<time::Date>,
    /// The bureau's contact as the public site's foot shows it (address, telephone, office
    /// hours), from `serve --contact`.
    pub contact: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl_secs: 30 * 60,
            session_max_secs: 12 * 60 * 60,
            policy: SignInPolicy::default(),
            sign_ins_per_minute: 20,
            public_requests_per_minute: 300,
            trusted_proxies: 0,
            public_url: None,
            cjk_font: None,
            fixed_date: None,
            contact: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub reference: Arc<ReferenceData>,
    pub config: Arc<WebConfig>,
    pub sign_in_limiter: Arc<SignInLimiter>,
    /// Anonymous requests to public pages per address and minute.
    pub public_limiter: Arc<SignInLimiter>,
    /// Refused API tokens per address and minute (one audit entry a burst).
    pub refusals: Arc<limit::RefusalBursts>,
    /// Published documents' PDFs, drawn once per version.
    pub documents: Arc<documents::DocumentCache>,
    /// The CJK font for PDFs, loaded at the first document and kept (or why it is missing).
    font: Arc<OnceLock<Result<CjkFont, String>>>,
}

impl AppState {
    pub fn new(db: Db, reference: ReferenceData, config: WebConfig) -> Self {
        Self {
            db,
            reference: Arc::new(reference),
            sign_in_limiter: Arc::new(SignInLimiter::new(config.sign_ins_per_minute)),
            public_limiter: Arc::new(SignInLimiter::new(config.public_requests_per_minute)),
            refusals: Arc::new(limit::RefusalBursts::default()),
            documents: Arc::new(documents::DocumentCache::default()),
            config: Arc::new(config),
            font: Arc::new(OnceLock::new()),
        }
    }

    /// The action context of `actor` on the business date.
    pub fn ctx<'a>(&'a self, actor: &'a anbiao_actions::Actor) -> anbiao_actions::Ctx<'a> {
        anbiao_actions::Ctx {
            db: &self.db,
            reference: &self.reference,
            actor,
            on: self.today(),
        }
    }

    /// The business date: the configured fixed date, else today in China.
    pub fn today(&self) -> time::Date {
        self.config.fixed_date.unwrap_or_else(today)
    }

    /// The font PDFs embed, or a message saying why there is none.
    pub fn font(&self) -> Result<&CjkFont, error::AppError> {
        self.font
            .get_or_init(|| {
                CjkFont::load(self.config.cjk_font.as_deref()).map_err(|e| {
                    tracing::warn!("PDF documents unavailable: {e}");
                    e.to_string()
                })
            })
            .as_ref()
            .map_err(|e| error::AppError::Unavailable(format!("证书 PDF 暂不可用：{e}")))
    }
}

/// Today in China (UTC+8), by the wall clock. Handlers use [`AppState::today`], which honours a
/// configured fixed date.
pub use anbiao_actions::today;

/// Upload limit for spreadsheet imports; other requests get a small limit.
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
pub const FORM_LIMIT: usize = 256 * 1024;

/// The whole application: the route table behind its guard, the session layer, security
/// headers, body limits and a timeout.
pub fn app(state: AppState) -> Router {
    routes::table()
        .into_router(&state)
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(chinese_rejections))
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

/// The framework's own refusals of a malformed request (a path segment that is no number, a
/// form field missing or of the wrong type, a body without its content type) come as English
/// plain text: they are answered in Chinese instead, as the page or the API answers any bad
/// request, with the same status.
async fn chinese_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    // The framework's own refusals come as plain text or with no body at all.
    let bare = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    let message = match status.as_u16() {
        _ if !bare => return res,
        400 => "请求的地址或参数格式不正确",
        405 => "该地址不支持这种请求方式，请通过页面上的链接和表单操作",
        408 => "请求处理超时，请稍后重试",
        413 => "提交的内容超过大小上限",
        415 => "请求格式不正确，请通过页面上的表单提交",
        422 => "提交的表单缺少必填项或格式不正确，请检查后重试",
        _ => return res,
    };
    if !api {
        return error::error_page(status, message.into());
    }
    let mut out = error::AppError::BadRequest {
        field: None,
        message: message.into(),
    }
    .into_response();
    *out.status_mut() = status;
    out
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        error::AppError::NotFound.into_response()
    } else {
        error::HtmlError(error::AppError::NotFound).into_response()
    }
}

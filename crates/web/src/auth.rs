//! Sessions, the signed-in user, permissions and CSRF protection.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use anbiao_domain::{Permission, Role, Scope};
use anbiao_store::account::{self, User};
use anbiao_store::session;

use crate::AppState;
use crate::error::{AppError, HtmlError};

pub const COOKIE: &str = "anbiao_sid";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The live session of a request, put in the extensions by [`session_layer`].
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub user_id: i64,
    pub csrf: String,
}

/// Reads one cookie from the headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The Set-Cookie value of a session cookie.
pub fn session_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The Set-Cookie value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Cross-site check for state-changing requests: `Sec-Fetch-Site` when the browser sends it,
/// else `Origin` against `Host`.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            !host.is_empty() && origin_host == host
        }
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn reject(path: &str, e: AppError) -> Response {
    if is_api(path) {
        e.into_response()
    } else {
        HtmlError(e).into_response()
    }
}

/// Loads the session of the request (sliding its expiry) and enforces CSRF protection on every
/// state-changing request: same origin, and the session's token in `X-CSRF-Token`.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let mut info = None;
    if let Some(id) = cookie(req.headers(), COOKIE) {
        match session::touch(&state.db, &id, state.config.session_ttl_secs).await {
            Ok(Some(s)) => {
                info = Some(SessionInfo {
                    id,
                    user_id: s.user_id,
                    csrf: s.csrf_token,
                })
            }
            Ok(None) => {}
            Err(e) => return reject(&path, AppError::Internal(e.to_string())),
        }
    }
    if !is_safe(req.method()) {
        if !same_origin(req.headers()) {
            return reject(&path, AppError::Csrf);
        }
        // Sign-in has no session yet; everything else needs the session's token.
        let exempt = path == "/login" || path == "/api/v1/session" && req.method() == Method::POST;
        if let (Some(s), false) = (&info, exempt) {
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), s.csrf.as_bytes()) {
                return reject(&path, AppError::Csrf);
            }
        }
    }
    if let Some(s) = info {
        req.extensions_mut().insert(s);
    }
    next.run(req).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Security headers on every response.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    res
}

/// The signed-in user of an API request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    pub csrf: String,
    pub session_id: String,
}

impl CurrentUser {
    /// Fails unless the role grants the permission.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(p.label()))
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.role.allows(p)
    }
}

async fn load_user(parts: &Parts, state: &AppState) -> Result<CurrentUser, AppError> {
    let s = parts
        .extensions
        .get::<SessionInfo>()
        .cloned()
        .ok_or(AppError::Unauthenticated)?;
    let user = account::by_id(&state.db, s.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if !user.active {
        return Err(AppError::Unauthenticated);
    }
    let role = user
        .role()
        .ok_or_else(|| AppError::Internal(format!("unknown role {}", user.role)))?;
    let scope = Scope::of(
        role,
        user.region_code.as_deref(),
        user.township.as_deref(),
        user.enterprise_id,
        &state.reference.regions,
    );
    Ok(CurrentUser {
        user,
        role,
        scope,
        csrf: s.csrf,
        session_id: s.id,
    })
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        load_user(parts, state).await
    }
}

/// The signed-in user of a page request; without one, the browser goes to the sign-in page.
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = HtmlError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        load_user(parts, state)
            .await
            .map(PageUser)
            .map_err(HtmlError)
    }
}

/// Whether the request came from htmx (then a fragment is answered).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
        let mut c = HeaderMap::new();
        c.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; anbiao_sid=abc; b=2"),
        );
        assert_eq!(cookie(&c, COOKIE).as_deref(), Some("abc"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}

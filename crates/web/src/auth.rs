//! Sessions, the signed-in user, permissions and CSRF protection.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use anbiao_domain::{Permission, Role, Scope};
use anbiao_store::account::{self, User};
use anbiao_store::audit_log::{self, Actor, Event};
use anbiao_store::session;
use anbiao_store::token::{self, Presented, Token};

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

/// The caller's address: behind trusted proxies, the `X-Forwarded-For` entry the nearest of
/// them appended for the client; else the socket's peer.
#[derive(Debug, Clone, Default)]
pub struct ClientAddr(pub String);

fn client_addr(req: &Request, trusted_proxies: u8) -> String {
    let peer = || {
        req.extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default()
    };
    if trusted_proxies == 0 {
        return peer();
    }
    forwarded_client(
        req.headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        trusted_proxies,
    )
    .unwrap_or_else(peer)
}

/// The client address in `X-Forwarded-For` values (several headers read as one list) with
/// `hops` trusted proxies: the entry `hops` from the right, each proxy having appended the
/// address it was connected from. Entries to its left are the client's own words and are
/// ignored. `None` when that entry is missing or is not an IP address.
pub fn forwarded_client<'a>(values: impl Iterator<Item = &'a str>, hops: u8) -> Option<String> {
    let entries: Vec<&str> = values
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let at = entries.len().checked_sub(usize::from(hops))?;
    let entry = entries.get(at)?;
    entry
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

/// The bearer secret of an API request, if it carries `Authorization`. A malformed header is an
/// invalid token, not an anonymous request.
fn bearer(req: &Request) -> Option<Result<String, ()>> {
    let v = req.headers().get(header::AUTHORIZATION)?;
    let v = v.to_str().map_err(|_| ());
    Some(v.and_then(|v| {
        let (scheme, secret) = v.trim().split_once(' ').ok_or(())?;
        if scheme.eq_ignore_ascii_case("bearer") && !secret.trim().is_empty() {
            Ok(secret.trim().to_string())
        } else {
            Err(())
        }
    }))
}

/// Resolves who is calling, for every request: a bearer token on `/api/`, else the session
/// cookie (sliding its expiry). Enforces CSRF protection on every state-changing request that
/// rides on the cookie: same origin, and the session's token in `X-CSRF-Token`. Puts the
/// [`ClientAddr`] and, when signed in, the [`CurrentUser`] into the request's extensions.
pub async fn session_layer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let client = client_addr(&req, state.config.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(client.clone()));

    if is_api(&path)
        && let Some(presented) = bearer(&req)
    {
        let request = format!("{} {}", req.method(), path);
        return match token_user(&state, presented, &client, &request).await {
            Ok(u) => {
                req.extensions_mut().insert(u);
                next.run(req).await
            }
            Err(e) => e.into_response(),
        };
    }

    let mut info = None;
    if let Some(id) = cookie(req.headers(), COOKIE) {
        match session::touch(
            &state.db,
            &id,
            state.config.session_ttl_secs,
            state.config.session_max_secs,
        )
        .await
        {
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
        // The portal's public forms act without the session, so its token is not needed there.
        let exempt = path == "/login"
            || path.starts_with("/portal/")
            || path == "/api/v1/session" && req.method() == Method::POST;
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
        match session_user(&state, &s, &client).await {
            Ok(Some(u)) => {
                req.extensions_mut().insert(u);
            }
            Ok(None) => {}
            Err(e) => return reject(&path, e),
        }
        req.extensions_mut().insert(s);
    }
    next.run(req).await
}

/// The user of a live session; `None` when the account is gone or disabled.
async fn session_user(
    state: &AppState,
    s: &SessionInfo,
    client: &str,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user) = account::by_id(&state.db, s.user_id).await? else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    let mut u = CurrentUser::new(state, user, client)?;
    u.name_enterprise(state).await?;
    u.csrf = s.csrf.clone();
    u.session_id = Some(s.id.clone());
    Ok(Some(u))
}

/// The user behind a bearer token. Every use, accepted or refused, is audited.
async fn token_user(
    state: &AppState,
    presented: Result<String, ()>,
    client: &str,
    request: &str,
) -> Result<CurrentUser, AppError> {
    // A flood of bad tokens from one address is turned away before the database is asked.
    if state
        .refusals
        .exceeded(client, state.config.sign_ins_per_minute)
    {
        return Err(AppError::TooManyRequests);
    }
    let anonymous = Actor {
        client: client.to_string(),
        source: "token".into(),
        ..Actor::default()
    };
    // What the entry says of the request is bounded (a path may be long).
    let request: String = request.chars().take(MAX_REQUEST_TEXT).collect();
    let refuse = |msg: &'static str, t: Option<&Token>| {
        let object = t
            .map(|t| format!("token:{}", t.id))
            .unwrap_or_else(|| "token:?".into());
        let ev = Event::new("token.refused", object).detail(format!("{request} {msg}"));
        (ev, AppError::BadToken(msg))
    };
    let (ev, err) = match presented {
        Err(()) => refuse("Authorization 请求头格式应为“Bearer 令牌”", None),
        Ok(secret) => match token::check(&state.db, &secret).await? {
            Presented::Valid(t, user) => {
                let mut u = CurrentUser::new(state, *user, client)?;
                u.narrow_to_token(state, *t);
                if let Some(t) = &u.token {
                    token::record_use(&state.db, &u.actor("token"), t, "token.use", &request, "")
                        .await?;
                }
                return Ok(u);
            }
            Presented::Expired(t) => refuse("令牌已过期", Some(&t)),
            Presented::Revoked(t) => refuse("令牌已被吊销", Some(&t)),
            Presented::Unknown => refuse("令牌无效", None),
        },
    };
    // One entry for a burst: the window's first refusal, with how many the window before
    // held after its own first.
    // Counted per address (the flood limit above) and recorded per address and token (a
    // revoked or expired token in use is worth its own entry).
    state.refusals.refused(client);
    let burst = state
        .refusals
        .refused(&format!("{client}\u{0}{}", ev.object));
    if let crate::limit::Burst::Record { earlier } = burst {
        let ev = if earlier > 0 {
            let detail = format!("{}（此前一分钟内另有 {earlier} 次被拒）", ev.detail);
            ev.detail(detail)
        } else {
            ev
        };
        audit_log::append(&state.db, &anonymous, &ev).await?;
    }
    Err(err)
}

/// Most characters of a request's method and path an audit entry keeps.
const MAX_REQUEST_TEXT: usize = 200;

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

/// The signed-in user of a request, with the scope and permissions in force: the role's, and
/// when the request carries a token, narrowed to the token's.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    /// The session's CSRF token (empty for token requests).
    pub csrf: String,
    pub session_id: Option<String>,
    pub token: Option<Token>,
    pub client: String,
    /// An enterprise account's company, for the top bar.
    pub enterprise_name: Option<String>,
}

impl CurrentUser {
    pub fn new(state: &AppState, user: User, client: &str) -> Result<Self, AppError> {
        let role = user
            .role()
            .ok_or_else(|| AppError::Internal(format!("unknown role {}", user.role)))?;
        let scope = Scope::of(
            role,
            user.region_code.as_deref(),
            user.township.as_deref(),
            user.enterprise_id,
            user.org_id,
            &state.reference.regions,
        );
        Ok(Self {
            user,
            role,
            scope,
            csrf: String::new(),
            session_id: None,
            token: None,
            client: client.to_string(),
            enterprise_name: None,
        })
    }

    /// Reads an enterprise account's company name (one lookup by key).
    async fn name_enterprise(&mut self, state: &AppState) -> Result<(), AppError> {
        if let Some(id) = self.user.enterprise_id {
            let names =
                anbiao_store::enterprise::names(&state.db, &Scope::Enterprise { id }, &[id])
                    .await?;
            self.enterprise_name = names.get(&id).cloned();
        }
        Ok(())
    }

    /// Applies a token's limits: its region narrows the scope.
    fn narrow_to_token(&mut self, state: &AppState, t: Token) {
        if let Some(code) = &t.region_code {
            self.scope = self
                .scope
                .clone()
                .narrow_to_region(code, &state.reference.regions);
        }
        self.token = Some(t);
    }

    /// Whether the role, and the token if any, grant the permission.
    pub fn can(&self, p: Permission) -> bool {
        self.role.allows(p) && self.token.as_ref().is_none_or(|t| t.allows(p))
    }

    /// This user as the action layer's actor: role, scope, token and how the audit log names
    /// them.
    pub fn acting(&self, source: &str) -> anbiao_actions::Actor {
        anbiao_actions::Actor::user(
            self.role,
            self.scope.clone(),
            self.token.clone(),
            self.actor(source),
        )
        .in_region(self.user.region_code.clone())
    }

    /// The audit actor of this user.
    pub fn actor(&self, source: &str) -> Actor {
        let source = if self.token.is_some() {
            "token"
        } else {
            source
        };
        self.user.actor(&self.client, source)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
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
        CurrentUser::from_request_parts(parts, state)
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

    #[test]
    fn the_client_is_counted_from_the_right() {
        use super::forwarded_client;
        let one = |v: &str, hops| forwarded_client(std::iter::once(v), hops);
        assert_eq!(one("10.0.0.5", 1).as_deref(), Some("10.0.0.5"));
        assert_eq!(one("6.6.6.6, 10.0.0.5", 1).as_deref(), Some("10.0.0.5"));
        assert_eq!(
            one("6.6.6.6, 10.0.0.5, 172.16.0.1", 2).as_deref(),
            Some("10.0.0.5")
        );
        // Two headers read as one list.
        let two = ["6.6.6.6", "10.0.0.5"];
        assert_eq!(
            forwarded_client(two.into_iter(), 1).as_deref(),
            Some("10.0.0.5")
        );
        // Fewer entries than trusted hops, or garbage where the client should be: none.
        assert_eq!(one("10.0.0.5", 2), None);
        assert_eq!(one("6.6.6.6, not-an-address", 1), None);
        assert_eq!(one("", 1), None);
        assert_eq!(one("2001:db8::1", 1).as_deref(), Some("2001:db8::1"));
    }
}

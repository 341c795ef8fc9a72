//! Sign-in for the pages and the API; the import and override rules come from the action layer.

use anbiao_store::enterprise::Actor;

pub use anbiao_actions::imports::{ImportError, ImportReport, import_roster, parse_roster};

pub use anbiao_actions::enterprises::override_policy;

/// Signs a user in from a client address: the per-address limit, then the password under the
/// lock-out policy. Every refusal is audited (the limit only at its first refusal per minute).
pub async fn sign_in(
    state: &crate::AppState,
    username: &str,
    password: &str,
    client: &str,
    source: &str,
) -> Result<anbiao_store::account::User, crate::error::AppError> {
    use crate::error::AppError;
    use crate::limit::Verdict;
    use anbiao_store::account::{self, SignIn};
    use anbiao_store::audit_log::{self, Event};

    if let Verdict::Refused { first } = state.sign_in_limiter.attempt(client) {
        if first {
            let actor = Actor {
                username: username.chars().take(50).collect(),
                client: client.to_string(),
                source: source.to_string(),
                ..Actor::default()
            };
            let ev = Event::new("signin.throttled", format!("client:{client}"))
                .detail("同一地址登录尝试过于频繁，暂停受理一分钟");
            audit_log::append(&state.db, &actor, &ev).await?;
        }
        return Err(AppError::TooManyRequests);
    }
    if username.is_empty()
        || password.is_empty()
        || username.chars().count() > 100
        || username.chars().any(char::is_control)
    {
        return Err(AppError::BadCredentials);
    }
    match account::sign_in(
        &state.db,
        username,
        password,
        &state.config.policy,
        client,
        source,
    )
    .await?
    {
        SignIn::Ok(u) => Ok(u),
        // One answer for an unknown name, a wrong password and a locked account: which one it
        // was is in the audit log, not in the answer.
        SignIn::Failed | SignIn::Locked { .. } => Err(AppError::BadCredentials),
    }
}

//! The partners' feed as JSON (issue 19 item 3): the changes of enterprises' standing after a
//! sequence number, as the caller's agreement allows, each page signed with its secret.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The header that carries a page's signature.
pub const SIGNATURE_HEADER: &str = "anbiao-signature";

/// One change of an enterprise's standing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedEventDoc {
    /// The sequence number: increasing, never reused; read on from the last one seen.
    pub seq: i64,
    /// graded, renewed, upgraded, downgraded, revoked, expired, ended, accident,
    /// key_supervision_on, key_supervision_off, closed or reopened.
    pub kind: String,
    pub kind_name: String,
    /// The day the change took effect (YYYY-MM-DD).
    pub on: String,
    /// When this system recorded it (Unix seconds).
    pub recorded_at: i64,
    /// This system's number for the enterprise.
    pub enterprise_id: i64,
    /// Only the fields the partner's agreement names (credit_code, name, unit, township,
    /// grade, previous_grade, certificate_number, valid_until, accident_on, key_supervision).
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl From<anbiao_actions::feed::FeedEvent> for FeedEventDoc {
    fn from(e: anbiao_actions::feed::FeedEvent) -> Self {
        Self {
            seq: e.seq,
            kind: e.kind.to_string(),
            kind_name: e.kind_name.to_string(),
            on: e.on,
            recorded_at: e.recorded_at,
            enterprise_id: e.enterprise_id,
            data: e.data,
        }
    }
}

/// A page of the feed. Its body is signed: header `anbiao-signature: sha256=<hex>`, the
/// HMAC-SHA256 of the exact body bytes under the partner's key (the bytes of its secret after
/// `whsec_`, base64-decoded).
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedPageDoc {
    /// The agreement the page is read under.
    pub agreement: String,
    pub agreement_name: String,
    /// The fields the agreement names.
    pub fields: Vec<String>,
    pub after: i64,
    /// Pass as `after` to read on.
    pub next_after: i64,
    /// The highest sequence number written so far.
    pub head: i64,
    /// Whether there is more after `next_after`.
    pub more: bool,
    pub events: Vec<FeedEventDoc>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct FeedQuery {
    /// Read the events after this sequence number (0 or absent: from the start).
    pub after: Option<String>,
    /// At most this many events (1 to 1000; 200 when absent).
    pub limit: Option<String>,
}

/// The changes of enterprises' standing after a sequence number, as the caller's data-sharing
/// agreement allows (its kinds of change and its fields, within the account's region).
#[utoipa::path(get, path = "/api/v1/feed", params(FeedQuery), tag = "feed",
    responses((status = 200, body = FeedPageDoc, headers(("anbiao-signature" = String, description = "sha256=<hex>: HMAC-SHA256 of the body under the partner's key"))),
        (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn get_feed(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<FeedQuery>,
) -> Result<Response, AppError> {
    let actor = u.acting("api");
    let cx = state.ctx(&actor);
    let p = cx.feed_page(q.after.as_deref(), q.limit.as_deref()).await?;
    let more = p.more();
    let doc = FeedPageDoc {
        agreement: p.agreement,
        agreement_name: p.agreement_name,
        fields: p.fields,
        after: p.after,
        next_after: p.next_after,
        head: p.head,
        more,
        events: p.events.into_iter().map(FeedEventDoc::from).collect(),
    };
    let body = serde_json::to_vec(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    let signature = anbiao_actions::feed::sign_page(&p.secret, &body);
    let mut res = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&signature) {
        res.headers_mut().insert(SIGNATURE_HEADER, v);
    }
    Ok(res)
}

//! Pushing the partners' feed to the URLs their agreements give (issue 19 item 3), as Standard
//! Webhooks 1.0 deliveries: `webhook-id` (the same on every retry of a delivery),
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
//! so a partner verifies with an off-the-shelf library. Each partner's binding is the delivery's
//! queue row: the instance that leases it sends the next page after what the partner accepted,
//! and records either the new position or the failure with the time of the next try (a back-off
//! doubling from 30 seconds to 6 hours). Any instance may run [`push_due`]; a lease keeps two from
//! sending to one partner at once.

use std::time::Duration;

use anbiao_actions::feed::{self, FeedPage};
use anbiao_store::feed::{self as store, Pushed};
use serde::Serialize;

use crate::AppState;

/// Pages sent to one partner per pass at most (the rest waits for the next pass).
const PAGES_PER_PASS: usize = 20;
/// The first retry waits this long; each failure doubles it up to [`MAX_BACKOFF_SECS`].
const FIRST_BACKOFF_SECS: i64 = 30;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;
/// The longest a partner's answer is waited for.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The event type of a delivery.
pub const EVENT_TYPE: &str = "standing.changed";

/// The client deliveries are sent with: bounded waits, no redirects (a delivery goes to the URL
/// agreed, nowhere else).
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("anbiao/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// The wait after the `failures`-th failure in a row.
pub fn backoff(failures: i64) -> i64 {
    let n = failures.clamp(1, 20) - 1;
    FIRST_BACKOFF_SECS
        .saturating_mul(1i64 << n)
        .min(MAX_BACKOFF_SECS)
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushReport {
    pub delivered: usize,
    pub failed: usize,
}

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: PayloadData<'a>,
}

#[derive(Serialize)]
struct PayloadData<'a> {
    agreement: &'a str,
    after: i64,
    next_after: i64,
    events: Vec<crate::api::feed::FeedEventDoc>,
}

/// The body of a delivery of `page`, sent at `now` (Unix seconds).
fn payload(page: &FeedPage, now: i64) -> Result<Vec<u8>, String> {
    let timestamp = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let p = Payload {
        kind: EVENT_TYPE,
        timestamp,
        data: PayloadData {
            agreement: &page.agreement,
            after: page.after,
            next_after: page.next_after,
            events: page
                .events
                .iter()
                .cloned()
                .map(crate::api::feed::FeedEventDoc::from)
                .collect(),
        },
    };
    serde_json::to_vec(&p).map_err(|e| e.to_string())
}

/// Sends one delivery; Ok when the partner answered 2xx.
async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    id: &str,
    now: i64,
    body: Vec<u8>,
) -> Result<(), String> {
    let signature = feed::sign_webhook(secret, id, now, &body);
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "对方在 10 秒内未应答".to_string()
            } else if e.is_connect() {
                "无法连接推送地址".to_string()
            } else {
                "发送失败".to_string()
            }
        })?;
    let status = res.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("对方返回 HTTP {}", status.as_u16()))
    }
}

/// Delivers what is due to every partner with a push URL, at `now` (Unix seconds).
pub async fn push_due(
    state: &AppState,
    client: &reqwest::Client,
    instance: &str,
    now: i64,
) -> Result<PushReport, String> {
    let mut report = PushReport::default();
    // The pass's own clock: `now` at its start, moving on with the time spent (a lease renewed
    // and a delivery stamped at the moment they happen).
    let start = std::time::Instant::now();
    let at = || now.saturating_add(i64::try_from(start.elapsed().as_secs()).unwrap_or(i64::MAX));
    feed::refresh(&state.db, &state.reference, state.today())
        .await
        .map_err(|e| e.to_string())?;
    let due = store::claim_pushes(&state.db, instance, now)
        .await
        .map_err(|e| e.to_string())?;
    for mut bound in due {
        let Some(url) = bound.push_url.clone() else {
            continue;
        };
        for pass in 0..PAGES_PER_PASS {
            let page = feed::push_page(&state.db, &state.reference, &bound)
                .await
                .map_err(|e| e.to_string())?;
            let Some(page) = page else {
                // The account may no longer read: nothing is sent; the binding stays for the
                // security administrator to end.
                let outcome = Pushed::Failed {
                    error: "账户已停用或不再具有读取权限".into(),
                    retry_at: at() + MAX_BACKOFF_SECS,
                };
                store::record_push(
                    &state.db,
                    bound.user_id,
                    instance,
                    &bound.secret,
                    &outcome,
                    at(),
                    None,
                )
                .await
                .map_err(|e| e.to_string())?;
                report.failed += 1;
                break;
            };
            let outcome = if page.events.is_empty() {
                Pushed::Upto(page.next_after)
            } else {
                // the events it carries name it: a retry of the same events has the same id
                let first = page.events.first().map_or(0, |e| e.seq);
                let last = page.events.last().map_or(0, |e| e.seq);
                let id = format!("msg_{}_{first}_{last}", bound.user_id);
                let sent_at = at();
                let body = payload(&page, sent_at)?;
                match send(client, &url, &bound.secret, &id, sent_at, body).await {
                    Ok(()) => {
                        report.delivered += 1;
                        Pushed::Upto(page.next_after)
                    }
                    Err(error) => {
                        tracing::warn!(partner = bound.user_id, %error, "feed push failed");
                        report.failed += 1;
                        Pushed::Failed {
                            error,
                            retry_at: at() + backoff(bound.push_failures + 1),
                        }
                    }
                }
            };
            let more = matches!(outcome, Pushed::Upto(upto) if upto < page.head);
            // the last page of a pass releases the lease, so the next pass takes the rest
            let renew =
                (more && pass + 1 < PAGES_PER_PASS).then_some(at() + store::PUSH_LEASE_SECS);
            let held = store::record_push(
                &state.db,
                bound.user_id,
                instance,
                &bound.secret,
                &outcome,
                at(),
                renew,
            )
            .await
            .map_err(|e| e.to_string())?;
            if !held || !more {
                break;
            }
            if let Pushed::Upto(upto) = outcome {
                bound.pushed_seq = upto;
                bound.push_failures = 0;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_half_a_minute_to_six_hours() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(5), 480);
        assert_eq!(backoff(12), MAX_BACKOFF_SECS);
        assert_eq!(backoff(1000), MAX_BACKOFF_SECS);
        assert_eq!(backoff(0), 30);
    }
}

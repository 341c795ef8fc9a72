//! The partners' feed (issue 19 item 3): bringing it up to date, a partner reading its pages,
//! and the security administrator binding a partner account to its agreement. A partner reads
//! only with its own account (the party comes from the actor), sees the changes and the fields
//! its agreement names, within its account's region, and each page is signed with its secret.

use std::collections::HashMap;

use anbiao_domain::date::format_date;
use anbiao_domain::feed::{self, Held, Standing, Who};
use anbiao_domain::{Permission, ReferenceData, Role};
use anbiao_store::Db;
use anbiao_store::account;
use anbiao_store::feed as store;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

/// Enterprises compared per batch.
const BATCH: i64 = 1000;
/// Events a page holds at most; the default when none is asked for.
pub const MAX_PAGE: i64 = 1000;
pub const DEFAULT_PAGE: i64 = 200;
/// The longest push URL accepted.
const MAX_URL: usize = 500;
/// What prefixes a secret (the Standard Webhooks form: the rest is the key, base64).
pub const SECRET_PREFIX: &str = "whsec_";

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub enterprises: u64,
    pub events: u64,
}

/// Compares every marked enterprise's standing on `today` with the one last compared and
/// appends the changes. Work the system does for everyone; any instance may run it at any time.
pub async fn refresh(
    db: &Db,
    reference: &ReferenceData,
    today: Date,
) -> Result<Refreshed, ActionError> {
    refresh_at_most(db, reference, today, usize::MAX).await
}

/// Batches a partner's read works through before answering: a backlog (the registry's first
/// comparison after an upgrade) is left to the background pass.
const READ_BATCHES: usize = 3;

/// [`refresh`], at most `batches` batches of marks.
pub async fn refresh_at_most(
    db: &Db,
    reference: &ReferenceData,
    today: Date,
    batches: usize,
) -> Result<Refreshed, ActionError> {
    store::mark_calendar(db, today).await?;
    let key_statuses = reference
        .inspection
        .in_force(today)
        .map_err(|e| ActionError::Internal(e.to_string()))?
        .key_statuses
        .clone();
    let mut done = Refreshed::default();
    for _ in 0..batches {
        let marks = store::marks(db, BATCH).await?;
        if marks.is_empty() {
            return Ok(done);
        }
        let ids: Vec<i64> = marks.iter().map(|m| m.0).collect();
        let facts = anbiao_store::consequences::facts(
            db,
            &ids,
            today,
            anbiao_domain::consequences::MAX_WINDOW_MONTHS,
            &key_statuses,
        )
        .await?;
        let registered: HashMap<i64, store::Registered> = store::registered(db, &ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let old: HashMap<i64, Standing> = store::states(db, &ids)
            .await?
            .into_iter()
            .filter_map(|(id, s)| Standing::decode(&s).map(|s| (id, s)))
            .collect();
        let mut batch = Vec::with_capacity(marks.len());
        for (id, mark) in &marks {
            let (Some(r), Some(f)) = (registered.get(id), facts.get(id)) else {
                batch.push(store::Compared {
                    enterprise_id: *id,
                    mark: *mark,
                    standing: None,
                    events: Vec::new(),
                });
                continue;
            };
            let t = format_date(today);
            let operating = r.active_from.as_deref().is_none_or(|d| d <= t.as_str())
                && r.closed_on.as_deref().is_none_or(|d| d > t.as_str());
            // the best grade held; of two of one grade, the one valid longer
            let best = f
                .certificates
                .iter()
                .min_by_key(|c| (c.grade, std::cmp::Reverse(c.valid_until)));
            let new = Standing {
                operating,
                certificate: best.map(|c| Held {
                    number: c.number.clone(),
                    grade: c.grade.key().to_string(),
                    valid_until: format_date(c.valid_until),
                }),
                last_accident: f.accidents.iter().max().map(|d| format_date(*d)),
                key_supervision: operating && f.key_supervision,
            };
            let who = Who {
                credit_code: r.credit_code.clone(),
                name: r.name.clone(),
                unit: reference.regions.get(&r.region_code).map_or_else(
                    || r.region_code.clone(),
                    |g| reference.regions.unit_name(&g.unit, today),
                ),
                township: r.township.clone(),
            };
            // The registry as it stood when the feed began (marked 0 by the migration) is its
            // starting point, not news: only what changes after it is told.
            let baseline = *mark == 0 && !old.contains_key(id);
            let found = if baseline {
                Vec::new()
            } else {
                feed::changes(old.get(id), &new, &f.revocations, today)
            };
            let events = found
                .into_iter()
                .map(|c| store::NewEvent {
                    enterprise_id: *id,
                    region_code: r.region_code.clone(),
                    township: r.township.clone(),
                    kind: c.kind.key().to_string(),
                    on_day: format_date(c.on),
                    body: serde_json::Value::Object(feed::body(&c, &who)).to_string(),
                })
                .collect();
            batch.push(store::Compared {
                enterprise_id: *id,
                mark: *mark,
                standing: Some(new.encode()),
                events,
            });
        }
        done.events += store::write(db, today, &batch).await?;
        done.enterprises += batch.len() as u64;
        if (marks.len() as i64) < BATCH {
            return Ok(done);
        }
    }
    Ok(done)
}

/// One event as a partner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    pub seq: i64,
    pub kind: &'static str,
    pub kind_name: &'static str,
    pub on: String,
    pub recorded_at: i64,
    pub enterprise_id: i64,
    /// Only the fields the agreement names.
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub agreement: String,
    pub agreement_name: String,
    pub fields: Vec<String>,
    pub after: i64,
    /// Where the next page starts: the last sequence number this page looked through.
    pub next_after: i64,
    /// The highest sequence number written.
    pub head: i64,
    pub events: Vec<FeedEvent>,
    /// The partner's secret, for signing the page (never shown).
    pub secret: String,
}

impl FeedPage {
    /// Whether there is more to read after this page.
    pub fn more(&self) -> bool {
        self.next_after < self.head
    }
}

fn parse_number(
    field: &str,
    what: &str,
    s: Option<&str>,
    default: i64,
    max: i64,
) -> Result<i64, ActionError> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(default);
    };
    if s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ActionError::bad(
            field,
            format!("{what}应为不小于 0 的整数"),
        ));
    }
    let n: i64 = s
        .parse()
        .map_err(|_| ActionError::bad(field, format!("{what}应为不小于 0 的整数")))?;
    if n > max {
        return Err(ActionError::bad(field, format!("{what}不能大于 {max}")));
    }
    Ok(n)
}

impl Ctx<'_> {
    /// The partner's agreement, or why it reads nothing.
    async fn partner_agreement(
        &self,
    ) -> Result<
        (
            store::PartnerAgreement,
            &anbiao_domain::consequences::Agreement,
        ),
        ActionError,
    > {
        self.actor.require(Permission::ReadFeed)?;
        let Some(user) = self.actor.audit.user_id else {
            return Err(ActionError::Forbidden(
                "只有协作部门账号可以读取状态变动数据".into(),
            ));
        };
        let bound = store::agreement_of(self.db, user).await?.ok_or_else(|| {
            ActionError::Forbidden("本账号尚未绑定数据共享协议，请联系安全管理员".into())
        })?;
        let a = self
            .reference
            .consequences
            .agreement(&bound.agreement)
            .ok_or_else(|| {
                ActionError::Forbidden(format!(
                    "本账号绑定的数据共享协议“{}”已不在规则中，请联系安全管理员",
                    bound.agreement
                ))
            })?;
        Ok((bound, a))
    }

    /// A page of the feed after `after` (0 or absent: from the start), at most `limit` events,
    /// as the actor's agreement allows.
    pub async fn feed_page(
        &self,
        after: Option<&str>,
        limit: Option<&str>,
    ) -> Result<FeedPage, ActionError> {
        let after = parse_number("after", "起始序号", after, 0, i64::MAX - store::SCAN)?;
        let limit = parse_number("limit", "每页条数", limit, DEFAULT_PAGE, MAX_PAGE)?.max(1);
        let (bound, a) = self.partner_agreement().await?;
        refresh_at_most(self.db, self.reference, self.on, READ_BATCHES).await?;
        page_of(self.db, &bound, a, &self.actor.scope, after, limit).await
    }

    /// The security administrator binds a partner account to an agreement (replacing any
    /// binding) and gets the new secret, shown once.
    pub async fn bind_partner(
        &self,
        user_id: i64,
        agreement: &str,
        push_url: Option<&str>,
    ) -> Result<String, ActionError> {
        self.actor.require(Permission::ManageGrants)?;
        let target = account::by_id(self.db, user_id)
            .await?
            .ok_or(ActionError::NotFound)?;
        if target.role() != Some(Role::Partner) {
            return Err(ActionError::bad(
                "user",
                "只有协作部门账号可以绑定数据共享协议",
            ));
        }
        let a = self
            .reference
            .consequences
            .agreement(agreement.trim())
            .ok_or_else(|| ActionError::bad("agreement", "请选择规则中列明的数据共享协议"))?;
        let url = match push_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => Some(check_url(u)?),
        };
        let secret = new_secret()?;
        store::bind(
            self.db,
            &self.actor.audit,
            user_id,
            &a.key,
            &secret,
            url.as_deref(),
        )
        .await?;
        Ok(secret)
    }

    /// Ends a partner account's agreement.
    pub async fn unbind_partner(&self, user_id: i64) -> Result<(), ActionError> {
        self.actor.require(Permission::ManageGrants)?;
        if !store::unbind(self.db, &self.actor.audit, user_id).await? {
            return Err(ActionError::NotFound);
        }
        Ok(())
    }

    /// The bindings, for the security administrator.
    pub async fn partner_agreements(&self) -> Result<Vec<store::PartnerAgreement>, ActionError> {
        self.actor.require(Permission::ManageGrants)?;
        Ok(store::agreements(self.db).await?)
    }
}

async fn page_of(
    db: &Db,
    bound: &store::PartnerAgreement,
    a: &anbiao_domain::consequences::Agreement,
    scope: &anbiao_domain::Scope,
    after: i64,
    limit: i64,
) -> Result<FeedPage, ActionError> {
    let kinds: Vec<&str> = a.kinds.iter().map(|k| k.key()).collect();
    let head = store::head(db).await?;
    if after > head {
        return Err(ActionError::bad(
            "after",
            format!("起始序号 {after} 超过已有的最大序号 {head}，请从已收到的最后一个序号继续读取"),
        ));
    }
    // Looked through: up to SCAN numbers, never past the head read above, so a row written
    // meanwhile is read on the next page rather than twice.
    let upto = after.saturating_add(store::SCAN).min(head);
    let rows = store::page(db, scope, &kinds, after, upto, limit).await?;
    let next_after = if (rows.len() as i64) == limit {
        rows.last().map_or(upto, |r| r.seq)
    } else {
        upto
    };
    let events = rows
        .into_iter()
        .filter_map(|r| {
            let kind = feed::Kind::parse(&r.kind)?;
            let body: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&r.body).ok()?;
            Some(FeedEvent {
                seq: r.seq,
                kind: kind.key(),
                kind_name: kind.label(),
                on: r.on_day,
                recorded_at: r.recorded_at,
                enterprise_id: r.enterprise_id,
                data: feed::minimise(&body, &a.fields),
            })
        })
        .collect();
    Ok(FeedPage {
        agreement: a.key.clone(),
        agreement_name: a.name.clone(),
        fields: a.fields.clone(),
        after,
        next_after,
        head,
        events,
        secret: bound.secret.clone(),
    })
}

/// The next page to push to a partner bound with a push URL: after what it has accepted, as its
/// agreement and its account's region allow. None when the account may no longer read the feed
/// (disabled, no longer a partner, the agreement gone from the rules).
pub async fn push_page(
    db: &Db,
    reference: &ReferenceData,
    bound: &store::PartnerAgreement,
) -> Result<Option<FeedPage>, ActionError> {
    let Some(user) = account::by_id(db, bound.user_id).await? else {
        return Ok(None);
    };
    let (Some(role), true) = (user.role(), user.active) else {
        return Ok(None);
    };
    if !role.allows(Permission::ReadFeed) {
        return Ok(None);
    }
    let Some(a) = reference.consequences.agreement(&bound.agreement) else {
        return Ok(None);
    };
    let scope = anbiao_domain::Scope::of(
        role,
        user.region_code.as_deref(),
        user.township.as_deref(),
        user.enterprise_id,
        user.org_id,
        &reference.regions,
    );
    Ok(Some(
        page_of(db, bound, a, &scope, bound.pushed_seq, DEFAULT_PAGE).await?,
    ))
}

/// An `http` or `https` URL with a host, without credentials, at most [`MAX_URL`] characters.
fn check_url(u: &str) -> Result<String, ActionError> {
    let bad = |m: &str| ActionError::bad("push_url", m.to_string());
    if u.chars().count() > MAX_URL {
        return Err(bad("推送地址过长（最多 500 个字符）"));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("推送地址不能包含空格或控制字符"));
    }
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| bad("推送地址应以 http:// 或 https:// 开头"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(bad("推送地址应写明主机名，且不能包含用户名或密码"));
    }
    Ok(u.to_string())
}

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> Result<String, ActionError> {
    let token = anbiao_store::session::random_token()?;
    // random_token is 64 hex characters (32 bytes); the key is those bytes
    let bytes: Vec<u8> = (0..token.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The key of a secret: the bytes after `whsec_` (secrets are made by [`new_secret`]; text that
/// is not base64 signs with its own bytes, and verifies nowhere else).
fn key_of(secret: &str) -> Vec<u8> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_else(|_| secret.as_bytes().to_vec())
}

fn hmac(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    let key = key_of(secret);
    // HMAC takes a key of any length
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return Vec::new();
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// The signature of a page's body: `sha256=` and the HMAC-SHA256 of the exact bytes under the
/// partner's key, in hex.
pub fn sign_page(secret: &str, body: &[u8]) -> String {
    let mac = hmac(secret, &[body]);
    format!(
        "sha256={}",
        mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// The Standard Webhooks 1.0 signature of a delivery: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the partner's key.
pub fn sign_webhook(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac = hmac(secret, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_signatures_are_hmac_sha256_of_the_body_under_the_key() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let secret = format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(b"Jefe")
        );
        assert_eq!(
            sign_page(&secret, b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(
            sign_page(&secret, b"what do ya want for nothing!"),
            sign_page(&secret, b"what do ya want for nothing?")
        );
        let a = sign_webhook(&secret, "msg_1", 1_700_000_000, b"{}");
        assert!(a.starts_with("v1,"));
        assert_ne!(a, sign_webhook(&secret, "msg_1", 1_700_000_001, b"{}"));
    }

    #[test]
    fn push_urls_are_checked() {
        assert!(check_url("https://partner.example.cn/hooks/anbiao").is_ok());
        assert!(check_url("http://127.0.0.1:9000/").is_ok());
        for bad in [
            "ftp://x",
            "https://",
            "https://u:p@host/",
            "https://a b",
            "javascript:alert(1)",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(&format!("https://h/{}", "a".repeat(600))).is_err());
    }

    #[test]
    fn numbers_are_bounded() {
        assert_eq!(parse_number("after", "起始序号", None, 0, 10).ok(), Some(0));
        assert_eq!(
            parse_number("after", "起始序号", Some("7"), 0, 10).ok(),
            Some(7)
        );
        assert!(parse_number("after", "起始序号", Some("-1"), 0, 10).is_err());
        assert!(parse_number("after", "起始序号", Some("11"), 0, 10).is_err());
        assert!(parse_number("after", "起始序号", Some("99999999999999999999999"), 0, 10).is_err());
        let s = new_secret().expect("secret");
        assert!(s.starts_with(SECRET_PREFIX));
        assert_eq!(key_of(&s).len(), 32);
    }
}

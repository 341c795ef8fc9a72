//! The partners' feed (migration 0052): the marks of enterprises whose standing may have changed,
//! the standing last compared, the events appended in order, and the partners' agreements.
//! What a change is and what a partner sees of it is decided in `domain::feed`; the action layer
//! works a batch of marks out and hands the result to [`write`].

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use serde::Serialize;
use sqlx::FromRow;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::{Tx, now_secs};
use crate::enterprise::push_scope;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, with_tx};

/// Serialises the feed's writers on PostgreSQL, so `seq` is in commit order.
const LOCK_KEY: i64 = 0x616e_6269_616f_0052;
/// Sequence numbers a page looks through at most, whatever it finds: a partner told of few kinds
/// pages on through the gaps without a long scan.
pub const SCAN: i64 = 5000;

/// Enterprises marked since they were last compared: (enterprise, mark), by enterprise.
pub async fn marks(db: &Db, limit: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let mut b =
        SqlBuf::new("SELECT enterprise_id, mark FROM feed_dirty ORDER BY enterprise_id LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

/// How many enterprises are waiting to be compared.
pub async fn pending(db: &Db) -> Result<i64, StoreError> {
    let b = SqlBuf::new("SELECT COUNT(*) FROM feed_dirty");
    Ok(b.fetch_optional::<(i64,)>(db).await?.map_or(0, |r| r.0))
}

/// Marks the enterprises whose standing changes with the calendar alone since the feed was last
/// brought up to date: a certificate that ran out, a closing or opening dated ahead. Returns
/// the day it was last brought up to date (None the first time).
pub async fn mark_calendar(db: &Db, today: Date) -> Result<Option<String>, StoreError> {
    let t = format_date(today);
    let last: Option<(String,)> = SqlBuf::new("SELECT last_day FROM feed_clock WHERE id = 1")
        .fetch_optional(db)
        .await?;
    let mut tx = db.begin().await?;
    match &last {
        Some((l,)) if l.as_str() >= t.as_str() => {
            tx.commit().await?;
            return Ok(last.map(|r| r.0));
        }
        Some((l,)) => {
            // certificates valid up to a day in [last, today) ran out in between; enterprises
            // closed or opened on a day in (last, today]
            let mark = match tx.backend() {
                crate::Backend::Postgres => "nextval('feed_mark_seq')",
                crate::Backend::Sqlite => "random()",
            };
            let upsert = " ON CONFLICT (enterprise_id) DO UPDATE SET mark = excluded.mark";
            let mut b = SqlBuf::new(&format!(
                "INSERT INTO feed_dirty (enterprise_id, mark) SELECT x.enterprise_id, {mark} FROM \
                 (SELECT DISTINCT enterprise_id FROM certificate WHERE valid_until >= "
            ));
            b.bind(Arg::Text(l.clone()));
            b.push(" AND valid_until < ");
            b.bind(Arg::Text(t.clone()));
            b.push(") x WHERE true");
            b.push(upsert);
            b.execute_in(&mut tx).await?;
            for col in ["closed_on", "active_from"] {
                let mut b = SqlBuf::new(&format!(
                    "INSERT INTO feed_dirty (enterprise_id, mark) SELECT id, {mark} FROM enterprise \
                     WHERE {col} > "
                ));
                b.bind(Arg::Text(l.clone()));
                b.push(&format!(" AND {col} <= "));
                b.bind(Arg::Text(t.clone()));
                b.push(upsert);
                b.execute_in(&mut tx).await?;
            }
        }
        None => {}
    }
    let mut b = SqlBuf::new("INSERT INTO feed_clock (id, last_day) VALUES (1, ");
    b.bind(Arg::Text(t));
    b.push(") ON CONFLICT (id) DO UPDATE SET last_day = excluded.last_day");
    b.execute_in(&mut tx).await?;
    tx.commit().await?;
    Ok(last.map(|r| r.0))
}

/// The registry's record of an enterprise, as the feed names it.
#[derive(Debug, Clone, FromRow)]
pub struct Registered {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub township: Option<String>,
    pub active_from: Option<String>,
    pub closed_on: Option<String>,
}

pub async fn registered(db: &Db, ids: &[i64]) -> Result<Vec<Registered>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = SqlBuf::new(
        "SELECT id, credit_code, name, region_code, township, active_from, closed_on \
         FROM enterprise WHERE id IN ",
    );
    b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
    b.fetch_all(db).await
}

/// The standing last compared, per enterprise (the JSON of `domain::feed::Standing`).
pub async fn states(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut b =
        SqlBuf::new("SELECT enterprise_id, standing FROM feed_state WHERE enterprise_id IN ");
    b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
    b.fetch_all(db).await
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub enterprise_id: i64,
    pub region_code: String,
    pub township: Option<String>,
    pub kind: String,
    pub on_day: String,
    pub body: String,
}

/// What one enterprise's comparison came to: its new standing and the events it found.
#[derive(Debug, Clone)]
pub struct Compared {
    pub enterprise_id: i64,
    pub mark: i64,
    /// None: the enterprise is no longer on file; its mark is cleared.
    pub standing: Option<String>,
    pub events: Vec<NewEvent>,
}

/// Writes a batch in one transaction under the writers' lock. An enterprise is written only if
/// its mark is still the one read (cleared here): one marked again meanwhile, or taken by another
/// instance, is left for the next pass. Returns the events appended.
pub async fn write(db: &Db, day: Date, batch: &[Compared]) -> Result<u64, StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    if let Tx::Postgres(t) = &mut tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut **t)
            .await?;
    }
    let mut taken: std::collections::HashSet<i64> = Default::default();
    for chunk in batch.chunks(400) {
        let mut b = SqlBuf::new("DELETE FROM feed_dirty WHERE ");
        for (i, c) in chunk.iter().enumerate() {
            b.push(if i == 0 { "(" } else { " OR (" });
            b.push("enterprise_id = ");
            b.bind(Arg::Int(c.enterprise_id));
            b.push(" AND mark = ");
            b.bind(Arg::Int(c.mark));
            b.push(")");
        }
        b.push(" RETURNING enterprise_id");
        let sql = b.render(tx.backend());
        let ids: Vec<(i64,)> = with_tx!(&mut tx, |c| bind_args!(
            sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(c)
        .await)?;
        taken.extend(ids.into_iter().map(|r| r.0));
    }
    let now = now_secs();
    let d = format_date(day);
    let mut written = 0u64;
    let mine: Vec<&Compared> = batch
        .iter()
        .filter(|c| taken.contains(&c.enterprise_id))
        .collect();
    let events: Vec<&NewEvent> = mine.iter().flat_map(|c| c.events.iter()).collect();
    for chunk in events.chunks(300) {
        let mut b = SqlBuf::new(
            "INSERT INTO feed_event (enterprise_id, region_code, township, kind, on_day, \
             recorded_at, body) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Int(e.enterprise_id),
                Arg::Text(e.region_code.clone()),
                Arg::OptText(e.township.clone()),
                Arg::Text(e.kind.clone()),
                Arg::Text(e.on_day.clone()),
                Arg::Int(now),
                Arg::Text(e.body.clone()),
            ]);
        }
        b.execute_in(&mut tx).await?;
        written += chunk.len() as u64;
    }
    let states: Vec<(i64, &String)> = mine
        .iter()
        .filter_map(|c| c.standing.as_ref().map(|s| (c.enterprise_id, s)))
        .collect();
    for chunk in states.chunks(400) {
        let mut b = SqlBuf::new("INSERT INTO feed_state (enterprise_id, standing, day) VALUES ");
        for (i, (id, s)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([Arg::Int(*id), Arg::Text((*s).clone()), Arg::Text(d.clone())]);
        }
        b.push(
            " ON CONFLICT (enterprise_id) DO UPDATE SET standing = excluded.standing, \
             day = excluded.day",
        );
        b.execute_in(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// An event as stored.
#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub enterprise_id: i64,
    pub region_code: String,
    pub township: Option<String>,
    pub kind: String,
    pub on_day: String,
    pub recorded_at: i64,
    pub body: String,
}

/// The highest sequence number written (0 when none).
pub async fn head(db: &Db) -> Result<i64, StoreError> {
    let b = SqlBuf::new("SELECT COALESCE(MAX(seq), 0) FROM feed_event");
    Ok(b.fetch_optional::<(i64,)>(db).await?.map_or(0, |r| r.0))
}

/// The events of `scope` and `kinds` numbered in `(after, upto]`, at most `limit` (the caller
/// keeps `upto - after` to at most [`SCAN`]).
pub async fn page(
    db: &Db,
    scope: &Scope,
    kinds: &[&str],
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let mut b = SqlBuf::new(
        "SELECT seq, enterprise_id, region_code, township, kind, on_day, recorded_at, body \
         FROM feed_event WHERE seq > ",
    );
    b.bind(Arg::Int(after));
    b.push(" AND seq <= ");
    b.bind(Arg::Int(upto.min(after.saturating_add(SCAN))));
    push_scope(&mut b, scope, "enterprise_id", "region_code", "township");
    if !kinds.is_empty() {
        b.push(" AND kind IN ");
        b.bind_list(kinds.iter().map(|k| Arg::Text((*k).to_string())));
    }
    b.push(" ORDER BY seq LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

/// A partner account's agreement.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct PartnerAgreement {
    pub user_id: i64,
    pub agreement: String,
    #[serde(skip)]
    pub secret: String,
    pub push_url: Option<String>,
    pub pushed_seq: i64,
    pub push_failures: i64,
    pub push_error: Option<String>,
    pub next_push_at: i64,
    pub created_at: i64,
    pub created_by: String,
}

const AGREEMENT_COLUMNS: &str = "user_id, agreement, secret, push_url, pushed_seq, push_failures, \
    push_error, next_push_at, created_at, created_by";

pub async fn agreement_of(db: &Db, user_id: i64) -> Result<Option<PartnerAgreement>, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {AGREEMENT_COLUMNS} FROM partner_agreement WHERE user_id = "
    ));
    b.bind(Arg::Int(user_id));
    b.fetch_optional(db).await
}

pub async fn agreements(db: &Db) -> Result<Vec<PartnerAgreement>, StoreError> {
    let b = SqlBuf::new(&format!(
        "SELECT {AGREEMENT_COLUMNS} FROM partner_agreement ORDER BY user_id"
    ));
    b.fetch_all(db).await
}

/// Binds a partner account to an agreement with a new secret (replacing any binding: the old
/// secret stops working). A new binding pushes from the current head; a rebinding under the same
/// agreement (a new URL or secret) keeps what was delivered and sends the rest.
pub async fn bind(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    agreement: &str,
    secret: &str,
    push_url: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const HEAD: &str = "SELECT COALESCE(MAX(seq), 0) FROM feed_event";
    let head: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(HEAD).fetch_one(c).await)?;
    const SQL: &str = "INSERT INTO partner_agreement (user_id, agreement, secret, push_url, \
        pushed_seq, push_failures, created_at, created_by) VALUES ($1, $2, $3, $4, $5, 0, $6, $7) \
        ON CONFLICT (user_id) DO UPDATE SET agreement = excluded.agreement, secret = excluded.secret, \
        push_url = excluded.push_url, pushed_seq = CASE WHEN partner_agreement.agreement = \
        excluded.agreement THEN partner_agreement.pushed_seq ELSE excluded.pushed_seq END, push_failures = 0, \
        push_error = NULL, next_push_at = 0, push_lease_by = NULL, push_lease_until = NULL, created_at = excluded.created_at, created_by = excluded.created_by";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(user_id)
        .bind(agreement)
        .bind(secret)
        .bind(push_url)
        .bind(head)
        .bind(now_secs())
        .bind(&actor.username)
        .execute(c)
        .await
        .map(|_| ()))?;
    let ev = Event::new("partner.bind", format!("user:{user_id}")).detail(format!(
        "共享协议 {agreement}{}",
        push_url.map_or(String::new(), |u| format!("，推送至 {u}"))
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a partner account's agreement: its feed and pushes stop.
pub async fn unbind(db: &Db, actor: &Actor, user_id: i64) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "DELETE FROM partner_agreement WHERE user_id = $1";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(user_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n > 0 {
        let ev = Event::new("partner.unbind", format!("user:{user_id}")).detail("终止共享协议");
        audit_log::append_tx(&mut tx, actor, &ev).await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// How long an instance holds a partner's delivery before another may take it over.
pub const PUSH_LEASE_SECS: i64 = 120;

/// Takes the partners due a delivery at `now` (a push URL, past their back-off, not held by a
/// live lease), leasing each to `instance`.
pub async fn claim_pushes(
    db: &Db,
    instance: &str,
    now: i64,
) -> Result<Vec<PartnerAgreement>, StoreError> {
    let mut b = SqlBuf::new("UPDATE partner_agreement SET push_lease_by = ");
    b.bind(Arg::Text(instance.to_string()));
    b.push(", push_lease_until = ");
    b.bind(Arg::Int(now + PUSH_LEASE_SECS));
    b.push(" WHERE push_url IS NOT NULL AND next_push_at <= ");
    b.bind(Arg::Int(now));
    b.push(" AND (push_lease_until IS NULL OR push_lease_until < ");
    b.bind(Arg::Int(now));
    b.push(") AND pushed_seq < (SELECT COALESCE(MAX(seq), 0) FROM feed_event) RETURNING ");
    b.push(AGREEMENT_COLUMNS);
    let mut tx = db.begin().await?;
    let sql = b.render(tx.backend());
    let rows: Vec<PartnerAgreement> = with_tx!(&mut tx, |c| bind_args!(
        sqlx::query_as::<_, PartnerAgreement>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(c)
    .await)?;
    tx.commit().await?;
    Ok(rows)
}

/// What came of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Accepted (or nothing to send) up to this sequence number.
    Upto(i64),
    /// Refused or unreachable: tried again from `retry_at` (Unix seconds).
    Failed { error: String, retry_at: i64 },
}

/// Records a delivery, if `instance` still holds the lease and the binding is the one leased
/// (not rebound meanwhile), releasing the lease or renewing it until `renew_until`. False when
/// it no longer holds it.
pub async fn record_push(
    db: &Db,
    user_id: i64,
    instance: &str,
    leased_secret: &str,
    outcome: &Pushed,
    at: i64,
    renew_until: Option<i64>,
) -> Result<bool, StoreError> {
    let mut b = SqlBuf::new("UPDATE partner_agreement SET ");
    match renew_until {
        Some(t) => {
            b.push("push_lease_until = ");
            b.bind(Arg::Int(t));
            b.push(", ");
        }
        None => {
            b.push("push_lease_by = NULL, push_lease_until = NULL, ");
        }
    }
    match outcome {
        Pushed::Upto(seq) => {
            b.push("pushed_seq = ");
            b.bind(Arg::Int(*seq));
            b.push(", push_failures = 0, push_error = NULL, next_push_at = 0");
        }
        Pushed::Failed { error, retry_at } => {
            b.push("push_failures = push_failures + 1, push_error = ");
            b.bind(Arg::Text(error.clone()));
            b.push(", next_push_at = ");
            b.bind(Arg::Int(*retry_at));
        }
    }
    b.push(" WHERE user_id = ");
    b.bind(Arg::Int(user_id));
    b.push(" AND push_lease_by = ");
    b.bind(Arg::Text(instance.to_string()));
    b.push(" AND push_lease_until >= ");
    b.bind(Arg::Int(at));
    b.push(" AND secret = ");
    b.bind(Arg::Text(leased_secret.to_string()));
    let mut tx = db.begin().await?;
    let sql = b.render(tx.backend());
    let n = with_tx!(&mut tx, |c| bind_args!(
        sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

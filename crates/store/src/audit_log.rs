//! The tamper-evident audit log. Every state-changing action, sign-in and failed sign-in
//! appends one entry; each entry holds the SHA-256 of the one before it, so editing, deleting
//! or inserting an entry breaks the chain at that point. Appends serialise on the single
//! `audit_head` row, inside the transaction of the action they record.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::db::{Db, Tx};
use crate::error::StoreError;
use crate::sql::{Arg, SqlBuf, like_escape};
use crate::{bind_args, with_pool, with_tx};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who does something, from where, and through which channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    /// Role key, empty for the system and anonymous callers.
    pub role: String,
    /// Region code of the account, empty when it has none.
    pub region: String,
    /// Client address, empty for the command line.
    pub client: String,
    /// form, api, token, import:<file>, seed, cli …
    pub source: String,
}

impl Actor {
    pub fn new(username: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            source: source.into(),
            ..Self::default()
        }
    }

    pub fn with_source(&self, source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            ..self.clone()
        }
    }
}

/// What happened, to what.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// A dotted key: `signin.ok`, `enterprise.update`, `token.issue` …
    pub action: String,
    /// `enterprise:42`, `user:7`, `token:3`, `file:名录.xlsx` …
    pub object: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// A short note for the reader (Chinese).
    pub detail: String,
}

impl Event {
    pub fn new(action: &str, object: impl Into<String>) -> Self {
        Self {
            action: action.to_string(),
            object: object.into(),
            ..Self::default()
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }

    /// Records digests of the object before and after the action.
    pub fn states<B: Serialize, A: Serialize>(
        mut self,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Self {
        self.before = before.map(digest);
        self.after = after.map(digest);
        self
    }
}

/// SHA-256 of the JSON form of a value, hex.
pub fn digest<T: Serialize + ?Sized>(v: &T) -> String {
    let json = serde_json::to_vec(v).unwrap_or_default();
    hex(&Sha256::digest(&json))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at_us: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub region: String,
    pub action: String,
    pub object: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub client_addr: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

const COLUMNS: &str = "seq, at_us, actor_id, actor, role, region, action, object, before_digest, after_digest, \
    client_addr, detail, prev_hash, hash";

impl Entry {
    /// The hash of this entry: every field but `hash`, each length-prefixed, so no two
    /// different entries share an encoding.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut put = |s: Option<&str>| match s {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        };
        put(Some(&self.seq.to_string()));
        put(Some(&self.at_us.to_string()));
        put(self.actor_id.map(|i| i.to_string()).as_deref());
        put(Some(&self.actor));
        put(Some(&self.role));
        put(Some(&self.region));
        put(Some(&self.action));
        put(Some(&self.object));
        put(self.before_digest.as_deref());
        put(self.after_digest.as_deref());
        put(Some(&self.client_addr));
        put(Some(&self.detail));
        put(Some(&self.prev_hash));
        hex(&h.finalize())
    }

    pub fn at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.at_us) * 1000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Appends an entry inside the caller's transaction; it commits or rolls back with the action.
pub async fn append_tx(tx: &mut Tx, actor: &Actor, ev: &Event) -> Result<i64, StoreError> {
    // Taking the head row first serialises appends on both backends.
    const HEAD: &str = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash";
    let (seq, prev): (i64, String) = with_tx!(tx, |c| sqlx::query_as(HEAD).fetch_one(c).await)?;
    let now = OffsetDateTime::now_utc();
    let at_us = i64::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX);
    let mut e = Entry {
        seq,
        at_us,
        actor_id: actor.user_id,
        actor: clip(&actor.username, 100),
        role: actor.role.clone(),
        region: actor.region.clone(),
        action: ev.action.clone(),
        object: clip(&ev.object, 300),
        before_digest: ev.before.clone(),
        after_digest: ev.after.clone(),
        client_addr: clip(&actor.client, 100),
        detail: clip(&ev.detail, 1000),
        prev_hash: prev,
        hash: String::new(),
    };
    e.hash = e.compute_hash();
    let sql = format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(e.seq)
        .bind(e.at_us)
        .bind(e.actor_id)
        .bind(&e.actor)
        .bind(&e.role)
        .bind(&e.region)
        .bind(&e.action)
        .bind(&e.object)
        .bind(&e.before_digest)
        .bind(&e.after_digest)
        .bind(&e.client_addr)
        .bind(&e.detail)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(c)
        .await
        .map(|_| ()))?;
    const SET_HEAD: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";
    with_tx!(tx, |c| sqlx::query(SET_HEAD)
        .bind(&e.hash)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(seq)
}

/// Appends an entry in its own transaction.
pub async fn append(db: &Db, actor: &Actor, ev: &Event) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let seq = append_tx(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(seq)
}

/// The head of the chain: the number of entries and the hash of the last.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

pub async fn head(db: &Db) -> Result<Head, StoreError> {
    const SQL: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Head>(SQL)
        .fetch_one(p)
        .await)?)
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries read.
    pub checked: u64,
    /// The head recomputed from the entries.
    pub head: Head,
    /// The first entry at which the chain breaks, and why (for the operator, in Chinese).
    pub broken: Option<(i64, String)>,
}

/// Walks the whole chain in order and recomputes every hash. `kept_head`, a head printed
/// earlier by `audit head`, must still be part of the chain (it catches a rewritten tail).
pub async fn verify(db: &Db, kept_head: Option<&str>) -> Result<Verification, StoreError> {
    verify_with(db, kept_head, &[]).await
}

/// [`verify`], and each of `heads` (written outside the database over time, see `anbiao
/// audit verify --head-file`) must be the entry of its number: a chain rewritten from any point
/// before the last of them, or cut short, fails.
pub async fn verify_with(
    db: &Db,
    kept_head: Option<&str>,
    heads: &[Head],
) -> Result<Verification, StoreError> {
    const PAGE: i64 = 5000;
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
    let mut last_seq = 0i64;
    let mut last_hash = GENESIS.to_string();
    let mut checked = 0u64;
    let mut kept_found = kept_head.is_none_or(|h| h == GENESIS);
    let broken = 'walk: loop {
        let rows: Vec<Entry> = with_pool!(db, |p| sqlx::query_as::<_, Entry>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(last_seq)
        .bind(PAGE)
        .fetch_all(p)
        .await)?;
        if rows.is_empty() {
            break None;
        }
        for e in rows {
            let expected = last_seq + 1;
            if e.seq != expected {
                break 'walk Some((
                    expected,
                    format!("第 {expected} 条记录缺失（被删除），其后为第 {} 条", e.seq),
                ));
            }
            if e.prev_hash != last_hash {
                break 'walk Some((
                    e.seq,
                    format!(
                        "第 {} 条记录的前序哈希与上一条不符（记录被插入、删除或改动）",
                        e.seq
                    ),
                ));
            }
            if e.compute_hash() != e.hash {
                break 'walk Some((e.seq, format!("第 {} 条记录的内容已被修改", e.seq)));
            }
            if kept_head == Some(e.hash.as_str()) {
                kept_found = true;
            }
            if let Some(k) = heads.iter().find(|k| k.seq == e.seq && k.hash != e.hash) {
                break 'walk Some((
                    e.seq,
                    format!("库外记录的第 {} 条链头与日志不符：日志自此已被改写", k.seq),
                ));
            }
            last_seq = e.seq;
            last_hash = e.hash;
            checked += 1;
        }
    };
    let recomputed = Head {
        seq: last_seq,
        hash: last_hash,
    };
    let broken = match broken {
        Some(b) => Some(b),
        None => {
            let stored = head(db).await?;
            if stored.seq > recomputed.seq {
                Some((
                    recomputed.seq + 1,
                    format!(
                        "日志末尾缺少第 {} 至第 {} 条记录（被删除）",
                        recomputed.seq + 1,
                        stored.seq
                    ),
                ))
            } else if stored != recomputed {
                Some((
                    recomputed.seq,
                    format!("链头记录与第 {} 条记录不符", recomputed.seq),
                ))
            } else if let Some(k) = heads
                .iter()
                .filter(|k| k.seq > recomputed.seq)
                .max_by_key(|k| k.seq)
            {
                Some((
                    recomputed.seq + 1,
                    format!(
                        "库外记录的链头已到第 {} 条，日志只有 {} 条：日志被截短后改写",
                        k.seq, recomputed.seq
                    ),
                ))
            } else if !kept_found {
                Some((
                    recomputed.seq,
                    "保存在库外的链头不在当前日志中：日志已被改写".to_string(),
                ))
            } else {
                None
            }
        }
    };
    Ok(Verification {
        checked,
        head: recomputed,
        broken,
    })
}

/// What the audit administrator searches by. Text filters match a part of the field.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub actor: Option<String>,
    pub object: Option<String>,
    pub action: Option<String>,
}

fn filtered(select: &str, f: &Filter) -> SqlBuf {
    let mut b = SqlBuf::new(select);
    b.push(" WHERE 1 = 1");
    if let Some(t) = f.from_us {
        b.push(" AND at_us >= ");
        b.bind(Arg::Int(t));
    }
    if let Some(t) = f.to_us {
        b.push(" AND at_us < ");
        b.bind(Arg::Int(t));
    }
    for (col, v) in [
        ("actor", &f.actor),
        ("object", &f.object),
        ("action", &f.action),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            b.push(&format!(" AND {col} LIKE "));
            b.bind(Arg::Text(format!("%{}%", like_escape(v))));
            b.push(" ESCAPE '\\'");
        }
    }
    b
}

/// Entries matching the filter, newest first.
pub async fn search(
    db: &Db,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Entry>, StoreError> {
    let mut b = filtered(&format!("SELECT {COLUMNS} FROM audit_log"), f);
    b.push(" ORDER BY seq DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.push(" OFFSET ");
    b.bind(Arg::Int(offset));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

pub async fn count(db: &Db, f: &Filter) -> Result<i64, StoreError> {
    let b = filtered("SELECT COUNT(*) FROM audit_log", f);
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_one(p)
    .await)?)
}

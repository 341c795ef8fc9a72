//! The programme's counts kept as running sums (see migration 0019 and `domain::standing`).
//!
//! Triggers mark an enterprise in `standing_dirty` whenever a record its standing depends on is
//! written. [`refresh`] takes marked enterprises a batch at a time, recomputes their events from
//! their records, takes their old events out of the sums and puts the new ones in, all in one
//! transaction per batch. [`sums`] reads the counts on a day from the sums: the years before it,
//! the months of its year before its month, the days of its month up to it; a few hundred rows
//! whatever the size of the registry.

use std::collections::{BTreeMap, HashMap};

use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::grade::Grade;
use anbiao_domain::programme::UnitCounts;
use anbiao_domain::standing::{self, CertificateDates, Counter, Event, Facts};
use time::Date;

use crate::db::Tx;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, with_pool, with_tx};

/// Enterprises recomputed per transaction.
const BATCH: usize = 1000;
/// Serialises refreshes on PostgreSQL (SQLite has one writer anyway).
const LOCK_KEY: i64 = 0x616e_6269_616f_0019;

async fn fetch<T>(tx: &mut Tx, b: &SqlBuf) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let sql = b.render(tx.backend());
    Ok(with_tx!(tx, |c| bind_args!(
        sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(c)
    .await)?)
}

fn ids_in(b: &mut SqlBuf, ids: &[i64]) {
    b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
}

fn day(s: Option<&str>) -> Option<Date> {
    s.and_then(parse_date)
}

/// Recomputes every marked enterprise; returns how many were recomputed.
pub async fn refresh(db: &Db) -> Result<u64, StoreError> {
    let mut done = 0u64;
    // A read first: most calls find nothing marked and need no write transaction.
    const ANY: &str = "SELECT enterprise_id FROM standing_dirty LIMIT 1";
    loop {
        let any: Option<i64> = with_pool!(db, |p| sqlx::query_scalar(ANY).fetch_optional(p).await)?;
        if any.is_none() {
            return Ok(done);
        }
        let n = refresh_batch(db).await?;
        done += n as u64;
        if n < BATCH {
            return Ok(done);
        }
    }
}

/// How many enterprises are waiting to be recomputed.
pub async fn pending(db: &Db) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT COUNT(*) FROM standing_dirty";
    let n: i64 = with_pool!(db, |p| sqlx::query_scalar(SQL).fetch_one(p).await)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Marks every enterprise for recomputation (after a change of the rules of `domain::standing`).
pub async fn mark_all(db: &Db) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO standing_dirty (enterprise_id) SELECT id FROM enterprise \
        ON CONFLICT DO NOTHING";
    with_pool!(db, |p| sqlx::query(SQL).execute(p).await.map(|_| ()))?;
    Ok(())
}

async fn refresh_batch(db: &Db) -> Result<usize, StoreError> {
    let mut tx = db.begin().await?;
    if let Tx::Postgres(t) = &mut tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOCK_KEY)
            .execute(&mut **t)
            .await?;
    }
    let mut b = SqlBuf::new(
        "DELETE FROM standing_dirty WHERE enterprise_id IN \
         (SELECT enterprise_id FROM standing_dirty ORDER BY enterprise_id LIMIT ",
    );
    b.bind(Arg::Int(BATCH as i64));
    b.push(") RETURNING enterprise_id");
    let mut ids: Vec<i64> = fetch::<(i64,)>(&mut tx, &b)
        .await?
        .into_iter()
        .map(|(i,)| i)
        .collect();
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    ids.sort_unstable();

    let facts = load_facts(&mut tx, &ids).await?;
    let mut b =
        SqlBuf::new("SELECT enterprise_id, unit, events FROM standing WHERE enterprise_id IN ");
    ids_in(&mut b, &ids);
    let old: Vec<(i64, String, String)> = fetch(&mut tx, &b).await?;

    let mut diff: HashMap<(char, String, String, Counter), i64> = HashMap::new();
    let mut apply = |unit: &str, events: &[Event], sign: i64| {
        for e in events {
            for (level, period) in periods(e.day) {
                *diff
                    .entry((level, period, unit.to_string(), e.counter))
                    .or_default() += sign * e.delta;
            }
        }
    };
    for (_, unit, text) in &old {
        // Events written by this module always read back; anything else is dropped and the
        // enterprise recomputed from its records (the sums are then rebuilt by `mark_all`).
        if let Some(ev) = standing::decode(text) {
            apply(unit, &ev, -1);
        }
    }
    let mut rows: Vec<(i64, String, String)> = Vec::with_capacity(facts.len());
    for (id, (unit, f)) in &facts {
        let ev = f.events();
        apply(unit, &ev, 1);
        rows.push((*id, unit.clone(), standing::encode(&ev)));
    }

    // The unit on each audit row, for counting audits by unit without a join.
    let mut by_unit: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (id, (unit, _)) in &facts {
        by_unit.entry(unit.as_str()).or_default().push(*id);
    }
    for (unit, members) in by_unit {
        let mut b = SqlBuf::new("UPDATE quality_audit SET unit = ");
        b.bind(Arg::Text(unit.into()));
        b.push(" WHERE (unit IS NULL OR unit <> ");
        b.bind(Arg::Text(unit.into()));
        b.push(") AND enterprise_id IN ");
        ids_in(&mut b, &members);
        b.execute_in(&mut tx).await?;
    }

    let mut b = SqlBuf::new("DELETE FROM standing WHERE enterprise_id IN ");
    ids_in(&mut b, &ids);
    b.execute_in(&mut tx).await?;
    for chunk in rows.chunks(BATCH) {
        let mut b = SqlBuf::new("INSERT INTO standing (enterprise_id, unit, events) VALUES ");
        for (i, (id, unit, events)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Int(*id),
                Arg::Text(unit.clone()),
                Arg::Text(events.clone()),
            ]);
        }
        b.execute_in(&mut tx).await?;
    }
    let mut changes: Vec<_> = diff.into_iter().filter(|(_, d)| *d != 0).collect();
    // A fixed order keeps concurrent writers of the sums from deadlocking.
    changes.sort();
    for chunk in changes.chunks(BATCH) {
        let mut b =
            SqlBuf::new("INSERT INTO standing_sum (level, period, unit, counter, delta) VALUES ");
        for (i, ((level, period, unit, counter), delta)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(level.to_string()),
                Arg::Text(period.clone()),
                Arg::Text(unit.clone()),
                Arg::Text(counter.key().into()),
                Arg::Int(*delta),
            ]);
        }
        b.push(
            " ON CONFLICT (level, period, unit, counter) \
             DO UPDATE SET delta = standing_sum.delta + excluded.delta",
        );
        b.execute_in(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// The year, month and day keys of a day.
fn periods(d: Date) -> [(char, String); 3] {
    let full = format_date(d);
    [
        ('y', full[..4].to_string()),
        ('m', full[..7].to_string()),
        ('d', full),
    ]
}

type CertRow = (i64, String, String, String, Option<String>, Option<String>);

/// The facts of the enterprises that still exist, with the unit each belongs to.
async fn load_facts(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<BTreeMap<i64, (String, Facts)>, StoreError> {
    let mut out: BTreeMap<i64, (String, Facts)> = BTreeMap::new();
    let mut b = SqlBuf::new(
        "SELECT e.id, r.unit, e.active_from, e.closed_on, e.above_scale, e.size_class \
         FROM enterprise e JOIN region r ON r.code = e.region_code WHERE e.id IN ",
    );
    ids_in(&mut b, ids);
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<bool>,
        Option<String>,
    );
    for (id, unit, from, closed, above, size) in fetch::<Row>(tx, &b).await? {
        let f = Facts {
            active_from: day(from.as_deref()),
            closed_on: day(closed.as_deref()),
            above_scale: above == Some(true),
            small_micro: matches!(size.as_deref(), Some("small" | "micro")),
            ..Facts::default()
        };
        out.insert(id, (unit, f));
    }

    let mut b = SqlBuf::new(
        "SELECT enterprise_id, grade, valid_from, valid_until, revoked_on, superseded_on \
         FROM certificate WHERE enterprise_id IN ",
    );
    ids_in(&mut b, ids);
    for (id, grade, from, until, revoked, superseded) in fetch::<CertRow>(tx, &b).await? {
        let (Some((_, f)), Some(valid_from), Some(valid_until)) =
            (out.get_mut(&id), day(Some(&from)), day(Some(&until)))
        else {
            continue;
        };
        f.certificates.push(CertificateDates {
            grade: Grade::parse(&grade),
            valid_from,
            valid_until,
            revoked_on: day(revoked.as_deref()),
            superseded_on: day(superseded.as_deref()),
        });
    }

    let mut b = SqlBuf::new(
        "SELECT enterprise_id, MIN(opened_on) FROM grading_case WHERE enterprise_id IN ",
    );
    ids_in(&mut b, ids);
    b.push(" GROUP BY enterprise_id");
    for (id, first) in fetch::<(i64, Option<String>)>(tx, &b).await? {
        if let Some((_, f)) = out.get_mut(&id) {
            f.first_case = day(first.as_deref());
        }
    }

    let mut b = SqlBuf::new(
        "SELECT g.enterprise_id, MIN(COALESCE(a.performed_on, g.opened_on)) \
         FROM grading_case g JOIN assessment a ON a.case_id = g.id \
         WHERE a.kind = 'self' AND g.enterprise_id IN ",
    );
    ids_in(&mut b, ids);
    b.push(
        " GROUP BY g.enterprise_id UNION ALL \
         SELECT c.enterprise_id, MIN(s.submitted_on) FROM certificate c \
         JOIN annual_self_assessment s ON s.certificate_id = c.id WHERE c.enterprise_id IN ",
    );
    ids_in(&mut b, ids);
    b.push(" GROUP BY c.enterprise_id");
    for (id, first) in fetch::<(i64, Option<String>)>(tx, &b).await? {
        if let (Some((_, f)), Some(d)) = (out.get_mut(&id), day(first.as_deref())) {
            f.first_self_assessment = Some(f.first_self_assessment.map_or(d, |x| x.min(d)));
        }
    }
    Ok(out)
}

/// The counts per unit on `on` (audits aside), from the sums. Call [`refresh`] first.
pub async fn sums(db: &Db, on: Date) -> Result<BTreeMap<String, UnitCounts>, StoreError> {
    let full = format_date(on);
    let (year, month) = (&full[..4], &full[..7]);
    // The day is written into the statement: it comes from a `Date` (digits and dashes only),
    // and PostgreSQL then plans each day's ranges for what they are, instead of a generic plan
    // for any range that scans the whole table after a few executions.
    let sql = format!(
        "SELECT unit, counter, CAST(SUM(delta) AS BIGINT) FROM (\
         SELECT unit, counter, delta FROM standing_sum WHERE level = 'y' AND period < '{year}' \
         UNION ALL SELECT unit, counter, delta FROM standing_sum \
         WHERE level = 'm' AND period >= '{year}-01' AND period < '{month}' \
         UNION ALL SELECT unit, counter, delta FROM standing_sum \
         WHERE level = 'd' AND period >= '{month}-01' AND period <= '{full}') s \
         GROUP BY unit, counter"
    );
    type Row = (String, String, i64);
    let rows: Vec<Row> = match db {
        Db::Sqlite(p) => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(p)
                .await?
        }
        Db::Postgres(p) => {
            // A few thousand rows by index: starting parallel workers would cost more than the
            // query (and more still on a busy machine).
            let mut tx = p.begin().await?;
            sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
                .execute(&mut *tx)
                .await?;
            let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
                .persistent(false)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            rows
        }
    };
    let mut totals: BTreeMap<(String, Counter), i64> = BTreeMap::new();
    for (unit, key, delta) in rows {
        if let Some(c) = Counter::parse(&key) {
            *totals.entry((unit, c)).or_default() += delta;
        }
    }
    let mut out: BTreeMap<String, UnitCounts> = BTreeMap::new();
    for ((unit, counter), n) in totals {
        counter.add_to(out.entry(unit).or_default(), u64::try_from(n).unwrap_or(0));
    }
    out.retain(|_, c| *c != UnitCounts::default());
    Ok(out)
}

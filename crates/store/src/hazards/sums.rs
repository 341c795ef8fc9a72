//! Running sums for the statistics (domain::hazard::tally), kept in the transaction that
//! changes a hazard, and the per-enterprise ranking beside them.

use super::*;

pub(super) fn facts_of(h: &Hazard) -> Option<TallyFacts> {
    Some(TallyFacts {
        level: h.level(),
        state: h.state(),
        found_on: parse_date(&h.found_on)?,
        due: parse_date(h.plan_deadline.as_deref().unwrap_or(&h.deadline))?,
        rectified_on: h.rectified_on.as_deref().and_then(parse_date),
        closed_on: h.closed_on.as_deref().and_then(parse_date),
    })
}

type SumKey = (char, String, String, &'static str);

pub(super) fn add_events(
    into: &mut std::collections::HashMap<SumKey, i64>,
    region: &str,
    f: &TallyFacts,
    sign: i64,
) {
    for (day, t, n) in hazard::tally(f) {
        let full = format_date(day);
        for (level, period) in [('y', &full[..4]), ('m', &full[..7]), ('d', &full[..])] {
            *into
                .entry((level, period.to_string(), region.to_string(), t.key()))
                .or_default() += sign * n;
        }
    }
}

pub(super) async fn write_sums(
    tx: &mut Tx,
    diff: std::collections::HashMap<SumKey, i64>,
) -> Result<(), StoreError> {
    let mut changes: Vec<_> = diff.into_iter().filter(|(_, d)| *d != 0).collect();
    // A fixed order keeps concurrent writers of the sums from deadlocking.
    changes.sort();
    for chunk in changes.chunks(500) {
        let mut b = SqlBuf::new(
            "INSERT INTO hazard_sum (level, period, region_code, counter, delta) VALUES ",
        );
        for (i, ((level, period, region, counter), delta)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(level.to_string()),
                Arg::Text(period.clone()),
                Arg::Text(region.clone()),
                Arg::Text((*counter).into()),
                Arg::Int(*delta),
            ]);
        }
        b.push(
            " ON CONFLICT (level, period, region_code, counter) \
             DO UPDATE SET delta = hazard_sum.delta + excluded.delta",
        );
        b.execute_in(tx).await?;
    }
    Ok(())
}

/// Moves a hazard's contribution to the sums and the ranking from `before` to `after`, in `tx`.
pub(super) async fn retally_tx(
    tx: &mut Tx,
    region: &str,
    enterprise_id: i64,
    before: Option<&TallyFacts>,
    after: Option<&TallyFacts>,
) -> Result<(), StoreError> {
    let mut diff = std::collections::HashMap::new();
    let mut rank = std::collections::HashMap::new();
    if let Some(b) = before {
        add_events(&mut diff, region, b, -1);
        add_rank(&mut rank, region, enterprise_id, b, -1);
    }
    if let Some(a) = after {
        add_events(&mut diff, region, a, 1);
        add_rank(&mut rank, region, enterprise_id, a, 1);
    }
    write_sums(tx, diff).await?;
    write_rank(tx, rank).await
}

type RankKey = (String, i32, i64);

/// A hazard's part in the ranking: found in its year; a row (of nothing found) for each later
/// year up to its write-off. Rows stay when a contribution is taken back: a hazard's finding
/// day, region and enterprise never change, and a write-off is final.
pub(super) fn add_rank(
    into: &mut std::collections::HashMap<RankKey, i64>,
    region: &str,
    enterprise_id: i64,
    f: &TallyFacts,
    sign: i64,
) {
    let first = f.found_on.year();
    let last = f.closed_on.map_or(first, |d| d.year().max(first));
    for y in first..=last {
        *into
            .entry((region.to_string(), y, enterprise_id))
            .or_default() += if y == first { sign } else { 0 };
    }
}

pub(super) async fn write_rank(
    tx: &mut Tx,
    rank: std::collections::HashMap<RankKey, i64>,
) -> Result<(), StoreError> {
    let mut rows: Vec<_> = rank.into_iter().collect();
    // A fixed order keeps concurrent writers from deadlocking.
    rows.sort();
    for chunk in rows.chunks(1000) {
        let mut b = SqlBuf::new(
            "INSERT INTO hazard_rank (region_code, year, enterprise_id, found) VALUES ",
        );
        for (i, ((region, year, e), found)) in chunk.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.bind_list([
                Arg::Text(region.clone()),
                Arg::Int(i64::from(*year)),
                Arg::Int(*e),
                Arg::Int(*found),
            ]);
        }
        b.push(
            " ON CONFLICT (region_code, year, enterprise_id) \
             DO UPDATE SET found = hazard_rank.found + excluded.found",
        );
        b.execute_in(tx).await?;
    }
    Ok(())
}

/// Rebuilds the sums from every hazard (after a bulk load outside the store, or for a database
/// that has hazards from before the sums existed). Returns the hazards read.
pub async fn rebuild_sums(db: &Db) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    for sql in ["DELETE FROM hazard_sum", "DELETE FROM hazard_rank"] {
        with_tx!(&mut tx, |c| sqlx::query(sql).execute(c).await.map(|_| ()))?;
    }
    tx.commit().await?;
    let mut after = 0i64;
    let mut read = 0u64;
    loop {
        let sql =
            format!("SELECT {COLUMNS} FROM hazard h WHERE h.id > $1 ORDER BY h.id LIMIT 50000");
        let rows: Vec<Hazard> = with_pool!(db, |p| sqlx::query_as::<_, Hazard>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(after)
        .fetch_all(p)
        .await)?;
        let Some(last) = rows.last() else {
            return Ok(read);
        };
        after = last.id;
        read += rows.len() as u64;
        let mut diff = std::collections::HashMap::new();
        let mut rank = std::collections::HashMap::new();
        for h in &rows {
            if let Some(f) = facts_of(h) {
                add_events(&mut diff, &h.region_code, &f, 1);
                add_rank(&mut rank, &h.region_code, h.enterprise_id, &f, 1);
            }
        }
        let mut tx = db.begin().await?;
        write_sums(&mut tx, diff).await?;
        write_rank(&mut tx, rank).await?;
        tx.commit().await?;
    }
}

/// Rebuilds the sums when there are hazards but no sums (a database from before them).
pub async fn ensure_sums(db: &Db) -> Result<u64, StoreError> {
    const ANY: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM hazard LIMIT 1) a), \
        (SELECT COUNT(*) FROM (SELECT 1 FROM hazard_sum LIMIT 1) b), \
        (SELECT COUNT(*) FROM (SELECT 1 FROM hazard_rank LIMIT 1) c)";
    let (h, s, r): (i64, i64, i64) = with_pool!(db, |p| sqlx::query_as(ANY).fetch_one(p).await)?;
    if h > 0 && (s == 0 || r == 0) {
        rebuild_sums(db).await
    } else {
        Ok(0)
    }
}

/// The counters per region code on `on`, from the sums; among `codes` when given.
pub async fn tallies_on(
    db: &Db,
    on: Date,
    codes: Option<&[String]>,
) -> Result<std::collections::BTreeMap<String, std::collections::BTreeMap<Tally, i64>>, StoreError>
{
    let full = format_date(on);
    let (year, month) = (full[..4].to_string(), full[..7].to_string());
    let region = |b: &mut SqlBuf| {
        if let Some(c) = codes {
            b.push(" AND region_code IN ");
            if c.is_empty() {
                b.push("('')");
            } else {
                b.bind_list(c.iter().cloned().map(Arg::Text));
            }
        }
    };
    let mut b = SqlBuf::new(
        "SELECT region_code, counter, CAST(SUM(delta) AS BIGINT) FROM (\
         SELECT region_code, counter, delta FROM hazard_sum WHERE level = 'y' AND period < ",
    );
    b.bind(Arg::Text(year.clone()));
    region(&mut b);
    b.push(" UNION ALL SELECT region_code, counter, delta FROM hazard_sum WHERE level = 'm' AND period >= ");
    b.bind(Arg::Text(format!("{year}-01")));
    b.push(" AND period < ");
    b.bind(Arg::Text(month.clone()));
    region(&mut b);
    b.push(" UNION ALL SELECT region_code, counter, delta FROM hazard_sum WHERE level = 'd' AND period >= ");
    b.bind(Arg::Text(format!("{month}-01")));
    b.push(" AND period <= ");
    b.bind(Arg::Text(full));
    region(&mut b);
    b.push(") s GROUP BY region_code, counter");
    let sql = b.render(db.backend());
    let rows: Vec<(String, String, i64)> = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?;
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeMap<Tally, i64>> =
        Default::default();
    for (r, c, n) in rows {
        if let Some(t) = Tally::parse(&c) {
            *out.entry(r).or_default().entry(t).or_default() += n;
        }
    }
    Ok(out)
}

/// The four quarters of `year` per region code from the sums (among `codes` when given), each
/// quarter's end taken as `today` when it has not come yet.
pub async fn quarterly_from_sums(
    db: &Db,
    year: i32,
    today: Date,
    codes: Option<&[String]>,
) -> Result<Vec<(String, [Quarter; 4])>, StoreError> {
    let ends: Vec<Date> = [
        (12, 31, year - 1),
        (3, 31, year),
        (6, 30, year),
        (9, 30, year),
        (12, 31, year),
    ]
    .iter()
    .map(|(m, d, y)| Date::from_calendar_date(*y, month_of(*m), *d).unwrap_or(Date::MIN))
    .collect();
    let mut at = Vec::new();
    let mut current_done = false;
    for e in &ends {
        if *e <= today {
            at.push(Some(tallies_on(db, *e, codes).await?));
        } else if !current_done && at.first().is_some_and(Option::is_some) {
            // The current quarter: its figures as of today; later quarters have none yet.
            current_done = true;
            at.push(Some(tallies_on(db, today, codes).await?));
        } else {
            at.push(None);
        }
    }
    let get = |i: usize, r: &str, t: Tally| -> i64 {
        at.get(i)
            .and_then(|m| m.as_ref())
            .and_then(|m| m.get(r))
            .and_then(|m| m.get(&t))
            .copied()
            .unwrap_or(0)
    };
    let mut regions: std::collections::BTreeSet<String> = Default::default();
    for m in at.iter().flatten() {
        regions.extend(m.keys().cloned());
    }
    let mut out = Vec::new();
    for r in regions {
        let mut qs: [Quarter; 4] = Default::default();
        for (q, slot) in qs.iter_mut().enumerate() {
            if at.get(q + 1).is_none_or(Option::is_none) {
                continue;
            }
            let d = |t| get(q + 1, &r, t) - get(q, &r, t);
            *slot = Quarter {
                found_general: d(Tally::FoundGeneral),
                found_major: d(Tally::FoundMajor),
                closed: d(Tally::Closed),
                open_at_end: get(q + 1, &r, Tally::Open),
                overdue_at_end: get(q + 1, &r, Tally::Overdue),
            };
        }
        if qs.iter().any(|q| *q != Quarter::default()) {
            out.push((r, qs));
        }
    }
    Ok(out)
}

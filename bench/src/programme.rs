//! A programme history for the seeded registry, written straight into the tables (the benchmark
//! measures reading the target table, not issuing certificates): operating dates from 1995 on,
//! a closure for one enterprise in twenty, certificates by kind of enterprise (三级 for most
//! 规上, 小微达标 for half the small and micro, 一级 and 二级 for a few), renewals, revocations,
//! and operation-quality audits of one 三级 in eight during the programme.

use std::time::{Duration, Instant};

use anbiao_store::Db;

/// SplitMix64: a reproducible stream from one seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub struct History {
    pub certificates: usize,
    pub audits: usize,
    pub took: Duration,
}

struct Cert {
    enterprise_id: i64,
    region_code: String,
    grade: &'static str,
    from: time::Date,
    until: time::Date,
    revoked_on: Option<time::Date>,
    open_due: Option<time::Date>,
}

/// The day the workbench is measured on (in the programme's years, with the 2020 plans).
pub const WORKBENCH_DAY: time::Date = time::macros::date!(2020 - 06 - 30);

fn day(d: time::Date) -> String {
    anbiao_domain::date::format_date(d)
}

/// Writes the history; returns what was written and how long it took.
pub async fn write(db: &Db, seed: u64) -> anyhow::Result<History> {
    let t = Instant::now();
    // Operating since a day between 1995 and 2019; one in twenty closed between 2016 and 2022.
    let (life, rows): (&str, &str) = match db {
        Db::Sqlite(_) => (
            "UPDATE enterprise SET active_from = date('1995-01-01', '+' || ((id * 7919) % 9000) || ' days'), \
             closed_on = CASE WHEN id % 20 = 0 THEN date('2016-01-01', '+' || ((id * 31) % 2500) || ' days') END",
            "SELECT id, region_code, above_scale, size_class FROM enterprise ORDER BY id",
        ),
        Db::Postgres(_) => (
            "UPDATE enterprise SET active_from = to_char(DATE '1995-01-01' + ((id * 7919) % 9000)::int, 'YYYY-MM-DD'), \
             closed_on = CASE WHEN id % 20 = 0 THEN to_char(DATE '2016-01-01' + ((id * 31) % 2500)::int, 'YYYY-MM-DD') END",
            "SELECT id, region_code, above_scale, size_class FROM enterprise ORDER BY id",
        ),
    };
    type Row = (i64, String, Option<bool>, Option<String>);
    let enterprises: Vec<Row> = match db {
        Db::Sqlite(p) => {
            sqlx::query(life).execute(p).await?;
            sqlx::query_as(rows).fetch_all(p).await?
        }
        Db::Postgres(p) => {
            sqlx::query(life).execute(p).await?;
            sqlx::query_as(rows).fetch_all(p).await?
        }
    };

    let mut rng = Rng(seed);
    let base = time::macros::date!(2013 - 01 - 01);
    let mut certs = Vec::new();
    for (id, region, above, size) in &enterprises {
        let small_micro = matches!(size.as_deref(), Some("small" | "micro"));
        let roll = rng.below(10_000);
        let grade = if *above == Some(true) {
            match roll {
                0..8 => Some("one"),
                8..120 => Some("two"),
                120..8_000 => Some("three"),
                _ => None,
            }
        } else if small_micro {
            match roll {
                0..5_000 => Some("small_micro"),
                5_000..6_000 => Some("three"),
                _ => None,
            }
        } else {
            (roll < 4_000).then_some("three")
        };
        let Some(grade) = grade else { continue };
        let mut from = base + time::Duration::days(rng.below(7 * 365) as i64);
        // A first certificate and, for three in five, its renewal the day after it ends.
        let renewals = if rng.below(5) < 3 { 2 } else { 1 };
        for _ in 0..renewals {
            let until = anbiao_domain::date::add_months(from, 36) - time::Duration::days(1);
            let revoked_on = (rng.below(100) < 3).then(|| from + time::Duration::days(400));
            // Four in five due years handed in, in order, as of the workbench's day; the column
            // cleared once the certificate ran out (the daily job does that).
            let due = anbiao_domain::certificate::annual_years_due(from, until, WORKBENCH_DAY);
            let done: Vec<i64> = due.into_iter().take_while(|_| rng.below(5) < 4).collect();
            let open_due = (revoked_on.is_none() && until >= WORKBENCH_DAY)
                .then(|| anbiao_domain::certificate::annual_open_due(from, until, &done))
                .flatten();
            certs.push(Cert {
                open_due,
                enterprise_id: *id,
                region_code: region.clone(),
                grade,
                from,
                until,
                revoked_on,
            });
            if revoked_on.is_some() {
                break;
            }
            from = until + time::Duration::days(1);
        }
    }
    let programme_start = time::macros::date!(2018 - 07 - 04);
    let mut audits = Vec::new();
    for c in &certs {
        if c.grade == "three"
            && c.from <= programme_start
            && c.until >= programme_start
            && rng.below(8) == 0
        {
            let on = programme_start + time::Duration::days(rng.below(540) as i64);
            let class = match rng.below(20) {
                0 => Some("eliminate"),
                1..3 => Some("rectify"),
                3..6 => Some("upgrade"),
                _ => None,
            };
            audits.push((c.enterprise_id, day(on), class));
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    macro_rules! run {
        ($pool:expr, $db:ty) => {{
            let mut tx = $pool.begin().await?;
            for (n, chunk) in certs.chunks(1000).enumerate() {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO certificate (number, enterprise_id, region_code, grade, industry, issuer, \
                     external, issued_on, valid_from, valid_until, revoked_on, revoked_reason, rule, \
                     verify_token, created_at, annual_open_due) ",
                );
                qb.push_values(chunk.iter().enumerate(), |mut b, (i, c)| {
                    let k = n * 1000 + i;
                    b.push_bind(format!("BENCH-{k:08}"))
                        .push_bind(c.enterprise_id)
                        .push_bind(c.region_code.clone())
                        .push_bind(c.grade)
                        .push_bind("JX")
                        .push_bind("南通市应急管理局")
                        .push_bind(matches!(c.grade, "one" | "two"))
                        .push_bind(day(c.from))
                        .push_bind(day(c.from))
                        .push_bind(day(c.until))
                        .push_bind(c.revoked_on.map(day))
                        .push_bind(c.revoked_on.map(|_| "基准测试：撤销"))
                        .push_bind("bench")
                        .push_bind(format!("bench{k:08}"))
                        .push_bind(now)
                        .push_bind(c.open_due.map(day));
                });
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in audits.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO quality_audit (enterprise_id, grade, performed_on, score, outcome, \
                     classification, findings, recorded_by, recorded_at) ",
                );
                qb.push_values(chunk, |mut b, (id, on, class)| {
                    b.push_bind(*id)
                        .push_bind("three")
                        .push_bind(on.clone())
                        .push_bind(800i64)
                        .push_bind(match class {
                            Some("eliminate") => "failing",
                            Some("rectify") => "deficient",
                            _ => "good",
                        })
                        .push_bind(*class)
                        .push_bind("基准测试")
                        .push_bind("bench")
                        .push_bind(now);
                });
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }};
    }
    match db {
        Db::Sqlite(p) => run!(p, sqlx::Sqlite),
        Db::Postgres(p) => run!(p, sqlx::Postgres),
    }
    Ok(History {
        certificates: certs.len(),
        audits: audits.len(),
        took: t.elapsed(),
    })
}

/// Median and p95 of `n` runs of `f`.
pub async fn time_runs<F, Fut, T>(n: usize, mut f: F) -> anyhow::Result<(Duration, Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut times = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    times.sort();
    let pick = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let last = last.ok_or_else(|| anyhow::anyhow!("no runs"))?;
    Ok((pick(0.5), pick(0.95), last))
}

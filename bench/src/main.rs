//! anbiao benchmarks, each beside its ceiling measured in the same run on the same database:
//!
//! - seeding N enterprises (rows/s);
//! - importing M rows from .csv and from .xlsx through the real import path (parse, validate,
//!   upsert with history) against a raw multi-row INSERT of the same rows into the same table
//!   (rolled back);
//! - p50/p95 latency of list, search and filter requests through HTTP against an empty axum
//!   handler on the same client.
//!
//! Usage: cargo run --release -p anbiao-bench -- --backend both --enterprises 1000000 --import-rows 100000

mod http;
mod obligations;
mod programme;
mod risk;
mod supervision;
mod workbench;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

use anbiao_domain::enterprise::EnterpriseInput;
use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::account::{self, NewUser};
use anbiao_store::import::ImportOptions;
use anbiao_store::{Db, seed};
use anbiao_web::{AppState, WebConfig, services};

#[derive(Parser, Debug)]
struct Args {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    #[arg(long, default_value_t = 1_000_000)]
    enterprises: usize,
    #[arg(long, default_value_t = 100_000)]
    import_rows: usize,
    /// Leave out the import measurements (the programme figures only need the seeded registry).
    #[arg(long)]
    skip_import: bool,
    /// Runs of the target table computed by scanning the records (slow at 1,000,000).
    #[arg(long, default_value_t = 5)]
    scan_runs: usize,
    /// Hazards written per enterprise for the hazard queries (10 × 1,000,000 = 10,000,000).
    #[arg(long, default_value_t = 10)]
    hazards_per_enterprise: u32,
    /// Leave out the HTTP latencies.
    #[arg(long)]
    skip_http: bool,
    /// Requests per query kind.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// PostgreSQL server (a database is created and dropped on it).
    #[arg(
        long,
        env = "TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
    /// Keep the PostgreSQL database afterwards (to EXPLAIN its queries).
    #[arg(long)]
    keep_db: bool,
    /// Stop after the portal's certificate search (the registry and programme are seeded first).
    #[arg(long)]
    stop_after_portal: bool,
    /// Keep the SQLite file (or, with --pg-name, the PostgreSQL database) of an earlier run and
    /// go straight to the inspection plans and hazards (to measure a change of them without
    /// seeding again).
    #[arg(long)]
    reuse: bool,
    /// With --reuse: keep the hazards of the earlier run too and only time the queries.
    #[arg(long)]
    reuse_hazards: bool,
    /// The PostgreSQL database to create, or to reuse with --reuse (default: named by process).
    #[arg(long)]
    pg_name: Option<String>,
    /// Stop after seeding the registry and measure the risk registers (issue 16): about
    /// twenty risk points per enterprise, the officers' summary, the register and map pages and
    /// the daily check-task job.
    #[arg(long)]
    risk_only: bool,
    /// With --reuse and --risk-only: keep the risk points of an earlier run (of the same day)
    /// and only time the pages and the job (the job's marks of the day are undone first).
    #[arg(long)]
    reuse_risk: bool,
    /// Stop after seeding the registry and measure the obligation lists (issue 18): the daily
    /// job over every enterprise and the officers' figures.
    #[arg(long)]
    obligations_only: bool,
    /// Seed what the workbench reads (registry, programme, plans, hazards) but time only the
    /// workbench (issue 17): the portal search, the hazard queries and the 2026 plans are left out.
    #[arg(long)]
    workbench_only: bool,
    /// Directory for the SQLite file and the generated import files.
    #[arg(long, default_value = "bench/out")]
    work: std::path::PathBuf,
}

/// Draws and stores every unit's plan for `year` as of `on` (the year as the seed): lines, visits.
async fn draw_plans(
    db: &Db,
    units: &[(String, String)],
    year: i32,
    on: time::Date,
    set: &anbiao_domain::supervision::InspectionSet,
) -> anyhow::Result<(usize, usize)> {
    let (mut lines, mut visits) = (0usize, 0usize);
    for (unit, _) in units {
        let (_, p) = anbiao_store::inspection_plans::create(
            db,
            &anbiao_store::audit_log::Actor::new("bench", "cli"),
            &anbiao_store::inspection_plans::NewPlan {
                unit,
                year,
                seed: u64::try_from(year)?,
                on,
                set,
            },
        )
        .await?;
        lines += p.lines.len();
        visits += p.lines.iter().map(|l| l.visits.len()).sum::<usize>();
    }
    Ok((lines, visits))
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work)?;
    let reference = ReferenceData::embedded()?;
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        b => vec![b],
    };
    println!(
        "# anbiao benchmark: {} enterprises, {} import rows, {} requests per query",
        args.enterprises, args.import_rows, args.requests
    );
    for b in backends {
        run_backend(&args, &reference, b).await?;
    }
    Ok(())
}

async fn run_backend(args: &Args, reference: &ReferenceData, backend: &str) -> anyhow::Result<()> {
    let (url, pg_name) = match backend {
        "sqlite" => {
            let path = args.work.join("bench.db");
            for s in ["", "-wal", "-shm"].into_iter().filter(|_| !args.reuse) {
                let _ = std::fs::remove_file(format!("{}{s}", path.display()));
            }
            (format!("sqlite://{}", path.display()), None)
        }
        _ => {
            let name = args
                .pg_name
                .clone()
                .unwrap_or_else(|| format!("anbiao_bench_{}", std::process::id()));
            let base = args
                .postgres
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(args.postgres.clone());
            (format!("{base}/{name}"), Some(name))
        }
    };
    println!("\n## {backend}\n");
    let db = Db::open(&url)
        .await
        .with_context(|| format!("open {url}"))?;
    anbiao_store::reference::sync(&db, reference).await?;

    let reused = args.reuse && {
        let n: i64 = match &db {
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM enterprise")
                    .fetch_one(p)
                    .await?
            }
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM enterprise")
                    .fetch_one(p)
                    .await?
            }
        };
        n > 0
    };
    if reused {
        println!("(reusing the registry, programme and officers of an earlier run)");
        for sql in [
            "DELETE FROM inspection_plan_line",
            "DELETE FROM inspection_plan_month",
            "DELETE FROM inspection_plan",
            "DELETE FROM hazard_sum",
            "DELETE FROM hazard_rank",
            "DELETE FROM hazard",
        ]
        .into_iter()
        .filter(|q| !args.reuse_hazards || !q.contains("hazard"))
        .filter(|_| !args.risk_only && !args.obligations_only)
        {
            match &db {
                Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ())?,
                Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ())?,
            }
        }
    } else {
        // Seeding.
        let t = Instant::now();
        let rows = seed::generate(reference, args.enterprises, 2018)?;
        let gen_time = t.elapsed();
        let t = Instant::now();
        let inserted = seed::insert(&db, &rows, &|_| {}).await?;
        let seed_time = t.elapsed();
        println!("| step | rows | time | rows/s | vs ceiling |");
        println!("|---|---:|---:|---:|---:|");
        println!(
            "| generate synthetic enterprises (CPU) | {} | {:.2} s | {:.0} | |",
            rows.len(),
            gen_time.as_secs_f64(),
            rate(rows.len(), gen_time)
        );
        println!(
            "| seed (insert with history) | {inserted} | {:.2} s | {:.0} | |",
            seed_time.as_secs_f64(),
            rate(inserted as usize, seed_time)
        );

        // Import rows: new enterprises, disjoint from the seeded ones.
        let taken: HashSet<String> = rows.iter().map(|e| e.credit_code.to_string()).collect();
        drop(rows);
        let fresh: Vec<EnterpriseInput> =
            seed::generate(reference, args.import_rows * 2 + 2_000, 99)?
                .into_iter()
                .filter(|e| !taken.contains(e.credit_code.as_str()))
                .collect();
        let (set_a, rest) = fresh.split_at(args.import_rows.min(fresh.len()));
        let set_b = &rest[..args.import_rows.min(rest.len())];

        let csv_path = args.work.join("import.csv");
        write_csv(reference, set_a, &csv_path)?;
        let xlsx_path = args.work.join("import.xlsx");
        let as_enterprises: Vec<anbiao_store::enterprise::Enterprise> =
            set_b.iter().map(to_row).collect();
        std::fs::write(
            &xlsx_path,
            anbiao_actions::exports::enterprises_xlsx(reference, "基准测试", &as_enterprises)
                .map_err(anyhow::Error::msg)?,
        )?;

        let files = [("csv", set_a, &csv_path), ("xlsx", set_b, &xlsx_path)];
        for (label, set, path) in files.into_iter().filter(|_| !args.skip_import) {
            let ceiling = raw_insert(&db, set).await?;
            let bytes = std::fs::read(path)?;
            let t = Instant::now();
            let report = services::import_roster(
                &db,
                reference,
                &anbiao_actions::Actor::on_behalf(
                    anbiao_domain::Role::CityOfficer,
                    Scope::City,
                    "bench",
                    &format!("import:{label}"),
                ),
                bytes,
                ImportOptions::default(),
                anbiao_web::today(),
                &|_, _| {},
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let took = t.elapsed();
            anyhow::ensure!(
                report.outcome.rejected.is_empty(),
                "{label}: rows rejected: {:?}",
                &report.outcome.rejected[..3.min(report.outcome.rejected.len())]
            );
            println!(
                "| raw multi-row INSERT, same rows, rolled back (ceiling) | {} | {:.2} s | {:.0} | 100 % |",
                set.len(),
                ceiling.as_secs_f64(),
                rate(set.len(), ceiling)
            );
            println!(
                "| import .{label} (read, validate, upsert, history) | {} | {:.2} s | {:.0} | {:.0} % |",
                report.outcome.imported,
                took.as_secs_f64(),
                rate(report.outcome.imported as usize, took),
                100.0 * rate(report.outcome.imported as usize, took) / rate(set.len(), ceiling)
            );
        }

        if !args.risk_only && !args.obligations_only {
            programme_figures(args, &db).await?;
        }
    }
    if args.obligations_only {
        obligations::run(&db, reference, args.requests).await?;
        db.close().await;
        return drop_pg(args, pg_name).await;
    }
    if args.risk_only {
        run_risk(args, reference, &db, reused).await?;
        db.close().await;
        return drop_pg(args, pg_name).await;
    }
    portal_and_plans(args, reference, db, pg_name, reused).await
}

/// Risk registers at province scale (issue 16 item 13).
async fn run_risk(
    args: &Args,
    reference: &ReferenceData,
    db: &Db,
    reused: bool,
) -> anyhow::Result<()> {
    let today = anbiao_web::today();
    let kept =
        reused && args.reuse_risk && sqlx_count(db, "SELECT COUNT(*) FROM risk_point").await? > 0;
    let registers = if kept {
        println!("(reusing the risk points of an earlier run; the day's job undone)");
        risk::reset_job(db, today).await?;
        risk::registers(db).await?
    } else {
        for sql in [
            "DELETE FROM risk_check",
            "DELETE FROM risk_point_event",
            "UPDATE risk_point SET plan_id = NULL",
            "DELETE FROM risk_site_plan",
            "DELETE FROM risk_task",
            "DELETE FROM risk_point",
            "DELETE FROM risk_enterprise_level",
            "DELETE FROM risk_sum",
            "DELETE FROM risk_sum_industry",
            "DELETE FROM job_run",
        ] {
            sqlx_exec(db, sql).await?;
        }
        let (registers, n, took) = risk::write(db, reference, today).await?;
        println!("\n| risk registers as of {today} | rows | time | rows/s |");
        println!("|---|---:|---:|---:|");
        println!(
            "| write risk points (one INSERT … SELECT of the templates, raw SQL) | {n} | {:.2} s | {:.0} |",
            took.0.as_secs_f64(),
            rate(n as usize, took.0)
        );
        println!(
            "| build the risk point indexes after them | {n} | {:.2} s | {:.0} |",
            took.1.as_secs_f64(),
            rate(n as usize, took.1)
        );
        risk::place(db, &registers).await?;
        let took = risk::rebuild(db).await?;
        println!(
            "| rebuild the running sums from every point | {n} | {:.2} s | {:.0} |",
            took.as_secs_f64(),
            rate(n as usize, took)
        );
        registers
    };
    match db {
        Db::Postgres(p) => sqlx::raw_sql("VACUUM ANALYZE")
            .execute(p)
            .await
            .map(|_| ())?,
        Db::Sqlite(p) => sqlx::query("ANALYZE").execute(p).await.map(|_| ())?,
    }
    risk::measure(db, reference, &registers, args.requests, today).await
}

async fn sqlx_exec(db: &Db, sql: &'static str) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ())?,
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ())?,
    }
    Ok(())
}

async fn sqlx_count(db: &Db, sql: &'static str) -> anyhow::Result<i64> {
    Ok(match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
    })
}

/// The programme: a history for every enterprise, the running sums rebuilt from it, and the
/// target table from the sums beside the same table by scanning the records.
async fn programme_figures(args: &Args, db: &Db) -> anyhow::Result<()> {
    {
        let db = db.clone();
        let h = programme::write(&db, 2018).await?;
        println!(
            "| programme history: operating dates, certificates, audits (raw SQL) | {} + {} | {:.2} s | | |",
            h.certificates,
            h.audits,
            h.took.as_secs_f64()
        );
        let t = Instant::now();
        let recomputed = anbiao_store::standing::refresh(&db).await?;
        let took = t.elapsed();
        println!(
            "| recompute every enterprise's programme standing | {recomputed} | {:.2} s | {:.0} | |",
            took.as_secs_f64(),
            rate(recomputed as usize, took)
        );
        if let Db::Postgres(p) = &db {
            // What autovacuum does on a running server after a bulk load: statistics, and the
            // visibility map that lets index-only scans skip the table.
            sqlx::raw_sql("VACUUM ANALYZE").execute(p).await?;
        } else if let Db::Sqlite(p) = &db {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        if args.workbench_only {
            return Ok(());
        }
        let (on, since) = (
            time::macros::date!(2019 - 12 - 31),
            time::macros::date!(2018 - 07 - 04),
        );
        let (s50, s95, scanned) = programme::time_runs(args.scan_runs, || async {
            Ok(anbiao_store::programme::counts_by_scan(&db, on, since).await?)
        })
        .await?;
        let (k50, k95, kept) = programme::time_runs(args.requests, || async {
            Ok(anbiao_store::programme::counts(&db, on, since).await?)
        })
        .await?;
        let nonzero =
            |m: &std::collections::BTreeMap<String, anbiao_domain::programme::UnitCounts>| {
                m.iter()
                    .filter(|(_, c)| **c != Default::default())
                    .map(|(u, c)| (u.clone(), c.clone()))
                    .collect::<Vec<_>>()
            };
        anyhow::ensure!(
            nonzero(&scanned) == nonzero(&kept),
            "the running sums disagree with the scan"
        );
        let city: u64 = kept.values().map(|c| c.active).sum();
        println!(
            "\n| counts per unit as of 2019-12-31 (store, no HTTP) | operating | p50 | p95 | p95 ÷ running sums p95 |"
        );
        println!("|---|---:|---:|---:|---:|");
        println!(
            "| from the running sums (+ audits from their records) | {city} | {:.2} ms | {:.2} ms | 1 |",
            ms(k50),
            ms(k95)
        );
        println!(
            "| by scanning the records ({} runs) | {city} | {:.2} ms | {:.2} ms | {:.0} |",
            args.scan_runs,
            ms(s50),
            ms(s95),
            s95.as_secs_f64() / k95.as_secs_f64()
        );
    }
    Ok(())
}

/// The portal's search, the inspection plans, the hazards and the HTTP latencies.
async fn portal_and_plans(
    args: &Args,
    reference: &ReferenceData,
    db: Db,
    pg_name: Option<String>,
    reused: bool,
) -> anyhow::Result<()> {
    // The portal's anonymous certificate search (issue 15): each shape of query a member of the
    // public types, against the exact number on its unique index (the floor) and the former
    // unindexed query (an OR of the three with LIKE '%q%' on the join).
    if !args.workbench_only {
        let sample: (String, String, String) = match &db {
            Db::Sqlite(p) => sqlx::query_as(
                "SELECT c.number, e.credit_code, e.name FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id \
                 ORDER BY c.id DESC LIMIT 1",
            )
            .fetch_one(p)
            .await?,
            Db::Postgres(p) => sqlx::query_as(
                "SELECT c.number, e.credit_code, e.name FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id \
                 ORDER BY c.id DESC LIMIT 1",
            )
            .fetch_one(p)
            .await?,
        };
        let (number, code, name) = sample;
        let rare: String = name.chars().take(4).collect();
        let terms = [
            ("certificate number (floor)", number.clone()),
            ("credit code", code.clone()),
            ("rare name part", rare.clone()),
            ("common name part 有限公司", "有限公司".to_string()),
            ("common name part 机械", "机械".to_string()),
        ];
        println!(
            "\n| portal certificate search (store, 20 rows) | found | p50 | p95 | p95 ÷ floor p95 |"
        );
        println!("|---|---:|---:|---:|---:|");
        let mut floor = None;
        for (label, q) in &terms {
            let (p50, p95, found) = programme::time_runs(args.requests, || async {
                Ok(anbiao_store::certificate::public_search(&db, q, 20)
                    .await?
                    .len())
            })
            .await?;
            let f = *floor.get_or_insert(p95);
            println!(
                "| {label}: {q} | {found} | {:.2} ms | {:.2} ms | {:.1} |",
                ms(p50),
                ms(p95),
                p95.as_secs_f64() / f.as_secs_f64()
            );
        }
        let old = |q: String| {
            let like = format!("%{q}%");
            let db = db.clone();
            async move {
                const OLD: &str = "SELECT COUNT(*) FROM (SELECT c.id FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id \
                    WHERE c.number = $1 OR e.credit_code = $1 OR e.name LIKE $2 ORDER BY c.valid_until DESC LIMIT 20) x";
                let n: i64 = match &db {
                    Db::Sqlite(p) => {
                        sqlx::query_scalar(OLD)
                            .bind(&q)
                            .bind(&like)
                            .fetch_one(p)
                            .await?
                    }
                    Db::Postgres(p) => {
                        sqlx::query_scalar(OLD)
                            .bind(&q)
                            .bind(&like)
                            .fetch_one(p)
                            .await?
                    }
                };
                Ok::<_, anyhow::Error>(n as usize)
            }
        };
        for (label, q) in [("rare name part", rare), ("credit code", code)] {
            let (p50, p95, found) = programme::time_runs(args.scan_runs, || old(q.clone())).await?;
            println!(
                "| former query ({} runs), {label}: {q} | {found} | {:.2} ms | {:.2} ms | {:.1} |",
                args.scan_runs,
                ms(p50),
                ms(p95),
                p95.as_secs_f64() / floor.unwrap_or(p95).as_secs_f64()
            );
        }
    }
    if args.stop_after_portal {
        db.close().await;
        drop_pg(args, pg_name).await?;
        return Ok(());
    }

    // Annual inspection plans for every unit (issue 6): ten officers per unit.
    let units: Vec<(String, String)> = {
        let mut seen = std::collections::BTreeMap::new();
        for r in reference.regions.all() {
            seen.entry(r.unit.clone()).or_insert_with(|| r.code.clone());
        }
        seen.into_iter().collect()
    };
    for (i, (unit, code)) in units.iter().enumerate().filter(|_| !reused) {
        for k in 0..10 {
            let name = format!("zf{i:02}{k}");
            account::create(
                &db,
                &anbiao_store::audit_log::Actor::new("bench", "cli"),
                &NewUser {
                    username: name.clone(),
                    display_name: name.clone(),
                    password: "Bench#2018".into(),
                    role: Role::DistrictOfficer,
                    region_code: Some(code.clone()),
                    township: None,
                    enterprise_id: None,
                    must_change_password: false,
                },
                &anbiao_domain::SignInPolicy::default(),
            )
            .await?;
            anbiao_store::inspection_plans::set_officer(
                &db,
                &anbiao_store::audit_log::Actor::new("bench", "cli"),
                &name,
                unit,
                2_000,
                true,
            )
            .await?;
        }
    }
    let plan_day = time::macros::date!(2020 - 01 - 02);
    let set = reference.inspection.in_force(plan_day)?;
    // With the hazards of an earlier run kept, the 2020 plans would read every hazard written
    // off since 2020 (measured once: docs/benchmarks.md); only the 2026 plans are drawn.
    if !(reused && args.reuse_hazards) {
        // Read twice: the first pass brings the pages into the cache, as the day's first plan would.
        let mut read_took = Vec::new();
        let mut read = 0usize;
        for _ in 0..2 {
            let t = Instant::now();
            read = 0;
            for (unit, _) in &units {
                read += anbiao_store::inspection_plans::subjects(&db, unit, plan_day, set)
                    .await?
                    .len();
            }
            read_took.push(t.elapsed());
        }
        let t = Instant::now();
        let (lines, visits) = draw_plans(&db, &units, 2020, plan_day, set).await?;
        let took = t.elapsed();
        println!(
            "\n| annual inspection plans, every unit ({} units) | lines | visits | time |",
            units.len()
        );
        println!("|---|---:|---:|---:|");
        println!(
            "| read statuses and modifiers only (part of the next line): first pass, again | {read} | | {:.2} s, {:.2} s |",
            read_took[0].as_secs_f64(),
            read_took[1].as_secs_f64()
        );
        println!(
            "| draw and store (statuses, frequencies, 双随机, officers) | {lines} | {visits} | {:.2} s |",
            took.as_secs_f64()
        );
        // The draw alone (domain, no database), from statuses read beforehand.
        let mut inputs = Vec::new();
        for (unit, _) in &units {
            inputs.push((
                anbiao_store::inspection_plans::subjects(&db, unit, plan_day, set).await?,
                anbiao_store::inspection_plans::officers(&db, unit).await?,
            ));
        }
        let t = Instant::now();
        let mut drawn = 0usize;
        for (subjects, officers) in &inputs {
            drawn += anbiao_domain::inspection_plan::build(set, subjects, officers, 2020)
                .lines
                .len();
        }
        println!(
            "| the draw alone (domain, in memory; part of the line above) | {drawn} | | {:.2} s |",
            t.elapsed().as_secs_f64()
        );
        drop(inputs);
    } else {
        // The workbench reads this year's plans (the queries' run keeps only the hazards).
        let t = Instant::now();
        let (lines, visits) = draw_plans(&db, &units, 2020, plan_day, set).await?;
        println!(
            "\n| annual plans for 2020 as of {plan_day}, hazards on file | {lines} lines, {visits} visits | {:.2} s |",
            t.elapsed().as_secs_f64()
        );
    }

    // Hidden hazards at province scale.
    if args.hazards_per_enterprise > 0 && reused && args.reuse_hazards {
        // Sums or ranking added since the hazards were written are built first.
        let t = Instant::now();
        let read = anbiao_store::hazards::ensure_sums(&db).await?;
        if read > 0 {
            println!(
                "\n| rebuild the running sums and the ranking from every hazard | {read} | {:.2} s |",
                t.elapsed().as_secs_f64()
            );
            match &db {
                Db::Postgres(p) => sqlx::raw_sql("VACUUM ANALYZE")
                    .execute(p)
                    .await
                    .map(|_| ())?,
                Db::Sqlite(p) => sqlx::query("ANALYZE").execute(p).await.map(|_| ())?,
            }
        }
        if !args.workbench_only {
            supervision::measure(&db, args.requests, time::macros::date!(2025 - 12 - 31)).await?;
        }
    } else if args.hazards_per_enterprise > 0 {
        let (n, took) = supervision::write(&db, args.hazards_per_enterprise).await?;
        println!("\n| hazards | rows | time | rows/s |");
        println!("|---|---:|---:|---:|");
        println!(
            "| write hazards (one INSERT … SELECT, raw SQL) | {n} | {:.2} s | {:.0} |",
            took.as_secs_f64(),
            rate(n as usize, took)
        );
        let t = Instant::now();
        let read = anbiao_store::hazards::rebuild_sums(&db).await?;
        let took = t.elapsed();
        println!(
            "| rebuild the statistics' running sums from every hazard | {read} | {:.2} s | {:.0} |",
            took.as_secs_f64(),
            rate(read as usize, took)
        );
        if let Db::Postgres(p) = &db {
            // What autovacuum does on a running server after a bulk load: statistics, and the
            // visibility map that lets index-only scans skip the table.
            sqlx::raw_sql("VACUUM ANALYZE").execute(p).await?;
        } else if let Db::Sqlite(p) = &db {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        if !args.workbench_only {
            supervision::measure(&db, args.requests, time::macros::date!(2025 - 12 - 31)).await?;
        }
    }
    if args.hazards_per_enterprise > 0 && !args.workbench_only {
        // The next year's plans drawn on the hazards' last day, with all of them on file: the
        // modifiers read the hazards not written off and those written off after that day.
        let day = time::macros::date!(2025 - 12 - 31);
        let set = reference.inspection.in_force(day)?;
        let t = Instant::now();
        let (lines, _) = draw_plans(&db, &units, 2026, day, set).await?;
        println!(
            "\n| annual plans for 2026 as of 2025-12-31, hazards on file | {lines} lines | {:.2} s |",
            t.elapsed().as_secs_f64()
        );
    }
    workbench::measure(&db, reference, args.requests).await?;
    if args.skip_http {
        db.close().await;
        drop_pg(args, pg_name).await?;
        return Ok(());
    }

    // HTTP latencies.
    account::create(
        &db,
        &anbiao_store::audit_log::Actor::new("bench", "cli"),
        &NewUser {
            username: "bench_city".into(),
            display_name: "bench".into(),
            password: "Bench#2018".into(),
            role: Role::CityOfficer,
            region_code: None,
            township: None,
            enterprise_id: None,
            must_change_password: false,
        },
        &anbiao_domain::SignInPolicy::default(),
    )
    .await?;
    account::create(
        &db,
        &anbiao_store::audit_log::Actor::new("bench", "cli"),
        &NewUser {
            username: "bench_rugao".into(),
            display_name: "bench".into(),
            password: "Bench#2018".into(),
            role: Role::DistrictOfficer,
            region_code: Some("320682".into()),
            township: None,
            enterprise_id: None,
            must_change_password: false,
        },
        &anbiao_domain::SignInPolicy::default(),
    )
    .await?;
    if let Db::Postgres(p) = &db {
        sqlx::query("ANALYZE").execute(p).await?;
    } else if let Db::Sqlite(p) = &db {
        sqlx::query("ANALYZE").execute(p).await?;
    }
    let state = AppState::new(db.clone(), reference.clone(), WebConfig::default());
    let app_addr = http::serve(anbiao_web::app(state)).await?;
    let empty_addr =
        http::serve(axum::Router::new().route("/empty", axum::routing::get(|| async { "" })))
            .await?;
    let city = http::login(app_addr, "bench_city", "Bench#2018").await?;
    let rugao = http::login(app_addr, "bench_rugao", "Bench#2018").await?;

    println!(
        "\n| request (HTTP, sequential, keep-alive) | matches | p50 | p95 | p95 ÷ empty handler p95 |"
    );
    println!("|---|---:|---:|---:|---:|");
    let (e50, e95, _) = http::measure(empty_addr, "/empty", None, args.requests).await?;
    println!(
        "| empty axum handler (ceiling) | | {:.2} ms | {:.2} ms | 1 |",
        ms(e50),
        ms(e95)
    );
    let queries: Vec<(&str, String, &http::Session)> = vec![
        (
            "list, first page (city, by name)",
            "/api/v1/enterprises".into(),
            &city,
        ),
        (
            "search name 机械 (common)",
            "/api/v1/enterprises?q=%E6%9C%BA%E6%A2%B0".into(),
            &city,
        ),
        (
            "search name 和顺精密 (rare)",
            "/api/v1/enterprises?q=%E5%92%8C%E9%A1%BA%E7%B2%BE%E5%AF%86".into(),
            &city,
        ),
        (
            "credit-code prefix 91320682MA1A",
            "/api/v1/enterprises?q=91320682MA1A".into(),
            &city,
        ),
        (
            "filter region 如皋",
            "/api/v1/enterprises?region=320682".into(),
            &city,
        ),
        (
            "filter industry 纺织 + 规上",
            "/api/v1/enterprises?industry=FZ&size=above".into(),
            &city,
        ),
        (
            "sort by sales desc, page 100",
            "/api/v1/enterprises?sort=sales&dir=desc&page=100".into(),
            &city,
        ),
        (
            "district officer (scope) + search 纺织",
            "/api/v1/enterprises?q=%E7%BA%BA%E7%BB%87".into(),
            &rugao,
        ),
        (
            "HTML list page with search 机械",
            "/enterprises?q=%E6%9C%BA%E6%A2%B0".into(),
            &city,
        ),
        (
            "target table JSON as of 2019-12-31",
            "/api/v1/programmes/nantong.2018/targets?as_of=2019-12-31".into(),
            &city,
        ),
        (
            "target table JSON as of 2018-12-31",
            "/api/v1/programmes/nantong.2018/targets?as_of=2018-12-31".into(),
            &city,
        ),
        (
            "dashboard HTML as of 2019-12-31",
            "/programmes/nantong.2018?as_of=2019-12-31".into(),
            &city,
        ),
        (
            "monthly charts (SVG) 2018-07 to 2019-12",
            "/programmes/nantong.2018/charts?as_of=2019-12-31".into(),
            &city,
        ),
        (
            "如皋 small-micro not yet 达标, first page",
            "/programmes/nantong.2018/behind?unit=%E5%A6%82%E7%9A%8B&metric=small_micro_certified_rate&as_of=2019-12-31&side=missing".into(),
            &city,
        ),
    ];
    let mut first_total = None;
    for (label, path, session) in queries {
        let (p50, p95, body) = http::measure(app_addr, &path, Some(session), args.requests).await?;
        let total = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["total"].as_i64());
        if first_total.is_none() {
            first_total = total;
        }
        println!(
            "| {label} | {} | {:.2} ms | {:.2} ms | {:.0} |",
            total.map(|t| t.to_string()).unwrap_or_default(),
            ms(p50),
            ms(p95),
            p95.as_secs_f64() / e95.as_secs_f64()
        );
    }
    anyhow::ensure!(
        first_total.is_some_and(|t| t > 0),
        "the list answered no total"
    );
    db.close().await;
    drop_pg(args, pg_name).await
}

/// Drops the run's PostgreSQL database unless it is to be kept.
async fn drop_pg(args: &Args, pg_name: Option<String>) -> anyhow::Result<()> {
    if let Some(name) = pg_name.filter(|_| !args.keep_db) {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&args.postgres).await?;
        sqlx::Executor::execute(
            &mut c,
            sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")),
        )
        .await?;
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn to_row(e: &EnterpriseInput) -> anbiao_store::enterprise::Enterprise {
    let now = time::OffsetDateTime::now_utc();
    anbiao_store::enterprise::Enterprise {
        id: 0,
        credit_code: e.credit_code.to_string(),
        code_override_reason: None,
        name: e.name.clone(),
        region_code: e.region_code.clone(),
        township: e.township.clone(),
        industry_code: e.industry_code.clone(),
        annual_sales_yuan: e.annual_sales_yuan,
        employees: e.employees,
        above_scale: e.size.as_ref().map(|s| s.above_scale),
        size_class: e.size.as_ref().map(|s| s.class.as_str().to_string()),
        size_rule: e.size.as_ref().map(|s| s.rule.clone()),
        status: e.status.as_str().into(),
        contact_person: e.contact_person.clone(),
        contact_phone: e.contact_phone.clone(),
        address: e.address.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn write_csv(
    reference: &ReferenceData,
    rows: &[EnterpriseInput],
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "统一社会信用代码",
        "企业名称",
        "所属县（市、区）",
        "乡镇（街道）",
        "行业类别",
        "年销售收入（万元）",
        "从业人数",
        "联系人",
        "联系电话",
        "生产经营地址",
    ])?;
    for e in rows {
        let region = reference
            .regions
            .get(&e.region_code)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let industry = reference
            .industries
            .get(&e.industry_code)
            .map(|i| i.name.clone())
            .unwrap_or_default();
        w.write_record([
            e.credit_code.to_string(),
            e.name.clone(),
            region,
            e.township.clone().unwrap_or_default(),
            industry,
            e.annual_sales_yuan
                .map(anbiao_domain::number::format_yuan_as_wan)
                .unwrap_or_default(),
            e.employees.map(|v| v.to_string()).unwrap_or_default(),
            e.contact_person.clone().unwrap_or_default(),
            e.contact_phone.clone().unwrap_or_default(),
            e.address.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The ceiling: the same rows as one multi-row INSERT per 1000 rows into the same table, in one
/// transaction, without validation or history; rolled back so the import can add them after.
async fn raw_insert(db: &Db, rows: &[EnterpriseInput]) -> anyhow::Result<Duration> {
    const COLS: &str = "credit_code, name, region_code, township, industry_code, annual_sales_yuan, employees, \
        above_scale, size_class, size_rule, status, contact_person, contact_phone, address, created_at, updated_at, name_grams";
    let now = time::OffsetDateTime::now_utc();
    // The stored name pairs are part of the row; computing them is left out of the ceiling's time.
    let grams: Vec<String> = rows
        .iter()
        .map(|e| anbiao_domain::text::name_grams(&e.name))
        .collect();
    let rows: Vec<(&EnterpriseInput, &String)> = rows.iter().zip(&grams).collect();
    let t = Instant::now();
    macro_rules! run {
        ($pool:expr, $db:ty) => {{
            let mut tx = $pool.begin().await?;
            for chunk in rows.chunks(1000) {
                let mut qb =
                    sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO enterprise ({COLS}) "));
                qb.push_values(chunk, |mut b, (e, grams)| {
                    b.push_bind(e.credit_code.to_string())
                        .push_bind(e.name.clone())
                        .push_bind(e.region_code.clone())
                        .push_bind(e.township.clone())
                        .push_bind(e.industry_code.clone())
                        .push_bind(e.annual_sales_yuan)
                        .push_bind(e.employees)
                        .push_bind(e.size.as_ref().map(|s| s.above_scale))
                        .push_bind(e.size.as_ref().map(|s| s.class.as_str().to_string()))
                        .push_bind(e.size.as_ref().map(|s| s.rule.clone()))
                        .push_bind(e.status.as_str())
                        .push_bind(e.contact_person.clone())
                        .push_bind(e.contact_phone.clone())
                        .push_bind(e.address.clone())
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind((*grams).clone());
                });
                qb.build().execute(&mut *tx).await?;
            }
            let took = t.elapsed();
            tx.rollback().await?;
            took
        }};
    }
    Ok(match db {
        Db::Sqlite(p) => run!(p, sqlx::Sqlite),
        Db::Postgres(p) => run!(p, sqlx::Postgres),
    })
}

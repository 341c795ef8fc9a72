//! Hidden hazards at province scale: N hazards written straight into the table (ten years,
//! most written off, the last year's partly open or awaiting acceptance), the statistics' running
//! sums rebuilt from them, then the hazard list and statistics queries timed beside a `SELECT 1`
//! round trip on the same pool.

use std::time::{Duration, Instant};

use anbiao_domain::Scope;
use anbiao_store::Db;
use anbiao_store::hazards::{self, By, Filter};

use crate::programme::time_runs;

/// Writes `per_enterprise` hazards for every enterprise; returns (rows, time).
pub async fn write(db: &Db, per_enterprise: u32) -> anyhow::Result<(u64, Duration)> {
    let t = Instant::now();
    // Found on a day of 2016–2025 (offset 0..3650 from 2016-01-01); 1 in 97 major; deadline 15
    // days on; of the last year's, 10 % open and 5 % awaiting acceptance, everything else
    // reported done after 8 days and written off 10–29 days after it was found.
    let sqlite = matches!(db, Db::Sqlite(_));
    let found = if sqlite {
        "date('2016-01-01', '+' || ((e.id * 7 + k.i * 389) % 3650) || ' days')"
    } else {
        "to_char(DATE '2016-01-01' + ((e.id * 7 + k.i * 389) % 3650)::int, 'YYYY-MM-DD')"
    };
    let plus = |col: &str, days: &str| {
        if sqlite {
            format!("date({col}, '+' || ({days}) || ' days')")
        } else {
            format!("to_char(({col})::date + ({days})::int, 'YYYY-MM-DD')")
        }
    };
    let off = "((e.id * 7 + k.i * 389) % 3650)";
    let r = "((e.id * 13 + k.i * 7) % 100)";
    let state = format!(
        "CASE WHEN {off} >= 3285 AND {r} >= 90 THEN 'open' WHEN {off} >= 3285 AND {r} >= 85 THEN 'rectified' ELSE 'closed' END"
    );
    let sql = format!(
        "INSERT INTO hazard (enterprise_id, region_code, source, level, standard_id, item_key, description, \
         found_on, deadline, state, rectified_on, closed_on, closed_by, created_by, created_at) \
         SELECT e.id, e.region_code, 'inspection', \
           CASE WHEN (e.id + k.i) % 97 = 0 THEN 'major' ELSE 'general' END, \
           CASE WHEN (e.id + k.i) % 97 = 0 THEN 'major_hazard.2017' END, \
           CASE WHEN (e.id + k.i) % 97 = 0 THEN '专项类/有限空间作业相关的/1' END, \
           '基准隐患：现场检查发现的问题', {found}, {deadline}, {state}, \
           CASE WHEN {state} = 'open' THEN NULL ELSE {rect} END, \
           CASE WHEN {state} = 'closed' THEN {closed} END, \
           CASE WHEN {state} = 'closed' THEN 'bench' END, 'bench', 0 \
         FROM enterprise e CROSS JOIN k",
        deadline = plus(found, "15"),
        rect = plus(found, "8"),
        closed = plus(found, &format!("10 + {r} % 20")),
    );
    let with = format!(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {per_enterprise}) {sql}"
    );
    let n = match db {
        Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(with.clone()))
            .execute(p)
            .await?
            .rows_affected(),
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(with.clone()))
            .execute(p)
            .await?
            .rows_affected(),
    };
    Ok((n, t.elapsed()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Times the list and statistics queries; prints a table.
pub async fn measure(db: &Db, runs: usize, today: time::Date) -> anyhow::Result<()> {
    let (c50, c95, _) = time_runs(runs, || async {
        let one: i64 = match db {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT 1").fetch_one(p).await?,
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
                    .fetch_one(p)
                    .await?
            }
        };
        Ok(one)
    })
    .await?;
    let rugao = Scope::Region {
        codes: vec!["320682".into()],
    };
    println!("\n| hazard query (store, no HTTP) | rows | p50 | p95 | p95 ÷ SELECT 1 p95 |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| SELECT 1 round trip (ceiling) | | {:.2} ms | {:.2} ms | 1 |",
        ms(c50),
        ms(c95)
    );
    let row = |label: &str, n: usize, p50: Duration, p95: Duration| {
        println!(
            "| {label} | {n} | {:.2} ms | {:.2} ms | {:.0} |",
            ms(p50),
            ms(p95),
            p95.as_secs_f64() / c95.as_secs_f64()
        );
    };
    let lists: Vec<(&str, Scope, Filter)> = vec![
        (
            "list, first page (city, newest first)",
            Scope::City,
            Filter::default(),
        ),
        ("list, first page (如皋)", rugao.clone(), Filter::default()),
        (
            "list, overdue only (如皋)",
            rugao.clone(),
            Filter {
                overdue_on: Some(today),
                ..Default::default()
            },
        ),
        (
            "list, major and open (city)",
            Scope::City,
            Filter {
                level: Some(anbiao_domain::hazard::Level::Major),
                state: Some(anbiao_domain::hazard::State::Open),
                ..Default::default()
            },
        ),
        (
            "list, one enterprise's",
            Scope::Enterprise { id: 4242 },
            Filter::default(),
        ),
    ];
    for (label, scope, f) in lists {
        let (p50, p95, rows) = time_runs(runs, || async {
            Ok(hazards::list(db, &scope, &f, 51, 0).await?)
        })
        .await?;
        anyhow::ensure!(
            !rows.is_empty() || label.contains("major"),
            "{label}: no rows"
        );
        row(label, rows.len(), p50, p95);
    }
    for (label, scope) in [
        ("leading figures (city)", Scope::City),
        ("leading figures (如皋)", rugao.clone()),
    ] {
        let (p50, p95, s) = time_runs(runs, || async {
            Ok(hazards::summary(db, &scope, today).await?)
        })
        .await?;
        row(label, s.open as usize, p50, p95);
    }
    let (p50, p95, q) = time_runs(runs, || async {
        Ok(hazards::quarterly_from_sums(db, 2025, today, None).await?)
    })
    .await?;
    row(
        "quarterly statistics 2025 per region (city, running sums)",
        q.len(),
        p50,
        p95,
    );
    let live_runs = runs.clamp(1, 1);
    let (p50, p95, q) = time_runs(live_runs, || async {
        Ok(hazards::quarterly(db, &Scope::City, 2025, By::RegionCode).await?)
    })
    .await?;
    row(
        &format!("the same counted from the hazards ({live_runs} runs)"),
        q.len(),
        p50,
        p95,
    );
    // A district's per-enterprise view: a page from the kept ranking (migration 0026), beside
    // counting every enterprise from the hazards open in the year (what it was before).
    for (label, offset) in [("first page", 0), ("page 500", 49_900)] {
        let (p50, p95, p) = time_runs(runs, || async {
            Ok(hazards::enterprise_page(db, &rugao, 2025, today, offset, 100).await?)
        })
        .await?;
        anyhow::ensure!(p.rows.len() == 100, "{label}: {} rows", p.rows.len());
        row(
            &format!(
                "quarterly statistics 2025 per enterprise (如皋: {} enterprises), {label} of 100",
                p.enterprises
            ),
            p.rows.len(),
            p50,
            p95,
        );
    }
    let district_runs = runs.min(5);
    let (p50, p95, q) = time_runs(district_runs, || async {
        Ok(hazards::quarterly(db, &rugao, 2025, By::Enterprise).await?)
    })
    .await?;
    row(
        &format!(
            "the same, every enterprise counted from the hazards open in the year ({district_runs} runs)"
        ),
        q.len(),
        p50,
        p95,
    );
    let (p50, p95, q) = time_runs(runs, || async {
        Ok(hazards::quarterly(db, &Scope::Enterprise { id: 4242 }, 2025, By::Enterprise).await?)
    })
    .await?;
    row(
        "quarterly statistics 2025 of one enterprise (from its hazards)",
        q.len(),
        p50,
        p95,
    );
    Ok(())
}

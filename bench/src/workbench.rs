//! The workbench (issue 17 item 1) at province scale: what a city, district and township
//! officer and an enterprise see after signing in, read through the action the page calls, on
//! the programme's day of 2020-06-30 with its certificates, the 2020 plans, the hazards and the
//! risk registers' sums on file.
//!
//! Besides what the earlier sections wrote, the workbench reads two things the bench adds here,
//! in the volumes a province would hold: grading cases under way (one enterprise in a hundred,
//! spread over the open states) and reminders (one enterprise in five has one for the officers
//! and one for itself, half of them read).

use anbiao_domain::lifecycle::CaseState;
use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::Db;

use crate::programme::{WORKBENCH_DAY, time_runs};

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) async fn exec(db: &Db, sql: &str) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(|_| ())?,
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(p)
            .await
            .map(|_| ())?,
    }
    Ok(())
}

pub(crate) async fn one<T>(db: &Db, sql: &str) -> anyhow::Result<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    Ok(match db {
        Db::Sqlite(p) => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await?
        }
        Db::Postgres(p) => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(p)
                .await?
        }
    })
}

/// Writes the cases and reminders once (kept on a reused database).
async fn seed(db: &Db) -> anyhow::Result<()> {
    let (cases,): (i64,) = one(db, "SELECT COUNT(*) FROM grading_case").await?;
    if cases == 0 {
        let (sheets,): (i64,) = one(db, "SELECT COUNT(*) FROM scoring_sheet").await?;
        if sheets == 0 {
            let actor = anbiao_store::audit_log::Actor::new("bench", "cli");
            let (_, shipped) = anbiao_domain::standard::shipped().map_err(anyhow::Error::msg)?;
            for s in &shipped {
                anbiao_store::standards::save(db, &actor, s).await?;
            }
        }
        let (sheet, version): (String, i64) = one(
            db,
            "SELECT id, version FROM scoring_sheet ORDER BY id LIMIT 1",
        )
        .await?;
        let open: Vec<&str> = CaseState::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .map(|s| s.key())
            .collect();
        let state = open
            .iter()
            .enumerate()
            .map(|(i, k)| format!("WHEN {i} THEN '{k}'"))
            .collect::<Vec<_>>()
            .join(" ");
        exec(
            db,
            &format!(
                "INSERT INTO grading_case (enterprise_id, region_code, township, grade, state, rule_set, \
                 sheet_id, sheet_version, opened_on, created_at, updated_at) \
                 SELECT id, region_code, township, 'three', CASE (id / 100) % {} {state} END, 'bench', \
                 '{sheet}', {version}, '2020-05-01', 0, 0 FROM enterprise WHERE id % 100 = 0",
                open.len()
            ),
        )
        .await?;
    }
    let (notes,): (i64,) = one(db, "SELECT COUNT(*) FROM notification").await?;
    if notes == 0 {
        for audience in ["officer", "enterprise"] {
            exec(
                db,
                &format!(
                    "INSERT INTO notification (kind, subject, period, audience, enterprise_id, region_code, \
                     title, body, link, rule, due_on, created_at, read_at) \
                     SELECT 'bench', 'enterprise:' || CAST(id AS TEXT), '2020', '{audience}', id, region_code, \
                     '基准测试提醒', '基准测试提醒', '/', NULL, NULL, id, \
                     CASE WHEN id % 10 < 5 THEN 1 ELSE NULL END FROM enterprise WHERE id % 5 = 0"
                ),
            )
            .await?;
        }
    }
    match db {
        Db::Postgres(p) => sqlx::raw_sql("ANALYZE grading_case; ANALYZE notification")
            .execute(p)
            .await
            .map(|_| ())?,
        Db::Sqlite(p) => sqlx::query("ANALYZE").execute(p).await.map(|_| ())?,
    }
    Ok(())
}

/// Times the workbench of each kind of user beside a `SELECT 1` round trip.
pub async fn measure(db: &Db, reference: &ReferenceData, runs: usize) -> anyhow::Result<()> {
    seed(db).await?;
    let (c50, c95, _) = time_runs(runs, || async {
        let (n,): (i64,) = one(db, "SELECT CAST(1 AS BIGINT)").await?;
        Ok(n)
    })
    .await?;
    let (code, township): (String, String) = one(
        db,
        "SELECT region_code, township FROM enterprise WHERE region_code = '320682' \
         AND township IS NOT NULL GROUP BY region_code, township ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await?;
    let (firm,): (i64,) = one(
        db,
        "SELECT enterprise_id FROM certificate WHERE annual_open_due IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await?;
    println!(
        "\n| workbench on {WORKBENCH_DAY} (action, no HTTP) | items | p50 | p95 | p95 ÷ SELECT 1 p95 |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| SELECT 1 round trip (ceiling) | | {:.2} ms | {:.2} ms | 1 |",
        ms(c50),
        ms(c95)
    );
    for (label, role, scope) in [
        ("city officer", Role::CityOfficer, Scope::City),
        (
            "district officer (如皋)",
            Role::DistrictOfficer,
            Scope::Region {
                codes: vec!["320682".into()],
            },
        ),
        (
            "township officer (如皋, largest township)",
            Role::TownshipOfficer,
            Scope::Township {
                codes: vec![code.clone()],
                township: township.clone(),
            },
        ),
        (
            "enterprise (with a certificate)",
            Role::EnterpriseManager,
            Scope::Enterprise { id: firm },
        ),
    ] {
        let mut actor = anbiao_actions::Actor::on_behalf(role, scope, "bench", "workbench");
        // Officers of a district read their unit's row of the target table.
        if let Scope::Region { codes } | Scope::Township { codes, .. } = &actor.scope {
            actor.region = codes.first().cloned();
        }
        let cx = anbiao_actions::Ctx {
            db,
            reference,
            actor: &actor,
            on: WORKBENCH_DAY,
        };
        let (p50, p95, items) = time_runs(runs, || async {
            cx.workbench().await.map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await?;
        let figures = items
            .iter()
            .map(|i| format!("{} {:?}", i.label, i.count))
            .collect::<Vec<_>>()
            .join("; ");
        eprintln!("  {label}: {figures}");
        println!(
            "| {label} | {} | {:.2} ms | {:.2} ms | {:.0} |",
            items.len(),
            ms(p50),
            ms(p95),
            p95.as_secs_f64() / c95.as_secs_f64()
        );
        // The programme's figures, which the page loads after itself (/workbench/targets).
        if matches!(role, Role::CityOfficer | Role::DistrictOfficer) {
            let (p50, p95, targets) = time_runs(runs, || async {
                cx.workbench_targets()
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
            .await?;
            println!(
                "| {label}: programme figures (/workbench/targets) | {} | {:.2} ms | {:.2} ms | {:.0} |",
                targets.map_or(0, |t| t.lines.len()),
                ms(p50),
                ms(p95),
                p95.as_secs_f64() / c95.as_secs_f64()
            );
        }
    }
    Ok(())
}

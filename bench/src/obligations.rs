//! The obligation lists (issue 18 item 12) at province scale: every operating enterprise's list
//! worked out by the daily job, and the officers' figures read from the running sums.
//!
//! Before the job, the bench records what a year of self-checks would leave: one enterprise in
//! ten with a feature (dust or confined spaces), two in five having confirmed the yearly training
//! and investment items, one in twenty with a gap open.

use std::time::Instant;

use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::Db;

use crate::programme::time_runs;

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

use crate::workbench::{exec, one};

async fn scalar(db: &Db, sql: &str) -> anyhow::Result<i64> {
    let (n,): (i64,) = one(db, sql).await?;
    Ok(n)
}

async fn text(db: &Db, sql: &str) -> anyhow::Result<String> {
    let (t,): (String,) = one(db, sql).await?;
    Ok(t)
}

/// An officer of the role within the scope, as the bench acts.
fn officer(role: Role, scope: Scope) -> anbiao_actions::Actor {
    let mut actor = anbiao_actions::Actor::on_behalf(role, scope, "bench", "obligations");
    if let Scope::Region { codes } | Scope::Township { codes, .. } = &actor.scope {
        actor.region = codes.first().cloned();
    }
    actor
}

/// Seeds the features and records, runs the job twice and times the figures.
pub async fn run(db: &Db, reference: &ReferenceData, requests: usize) -> anyhow::Result<()> {
    let on = anbiao_web::today();
    let year = on.year();
    for sql in [
        "DELETE FROM obligation_item_sum".to_string(),
        "DELETE FROM obligation_sum".to_string(),
        "DELETE FROM obligation_status".to_string(),
        "DELETE FROM obligation_record".to_string(),
        "DELETE FROM enterprise_feature".to_string(),
        "DELETE FROM job_run WHERE job = 'obligations.daily'".to_string(),
        "DELETE FROM notification WHERE kind LIKE 'obligation.%'".to_string(),
        "INSERT INTO enterprise_feature (enterprise_id, feature, since, recorded_by, recorded_at) \
         SELECT id, CASE WHEN id % 20 = 0 THEN 'dust' ELSE 'confined_space' END, '2018-07-04', 'bench', 0 \
         FROM enterprise WHERE id % 10 = 0"
            .to_string(),
    ] {
        exec(db, &sql).await?;
    }
    for (item, state) in [
        ("five.training", "done"),
        ("five.investment", "done"),
        ("law.injury_insurance", "gap"),
    ] {
        let (share, rectify) = if state == "gap" {
            ("id % 20 = 1", format!("'{year}-12-31'"))
        } else {
            ("id % 5 < 2", "NULL".to_string())
        };
        exec(
            db,
            &format!(
                "INSERT INTO obligation_record (enterprise_id, rule, item_key, period_key, due_on, state, \
                 note, rectify_by, recorded_by, recorded_at, recorded_on) \
                 SELECT id, 'obligations@1#item.{item}', '{item}', '{year}', '{year}-12-31', '{state}', \
                 '基准测试', {rectify}, 'bench', 0, '{year}-06-30' FROM enterprise WHERE {share}"
            ),
        )
        .await?;
    }
    let records = scalar(db, "SELECT COUNT(*) FROM obligation_record").await?;
    let features = scalar(db, "SELECT COUNT(*) FROM enterprise_feature").await?;

    println!(
        "\n| obligation lists (store and actions, no HTTP) | enterprises | items | reminders | time | enterprises/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    // The day after the month's end: every monthly item left unrecorded escalates.
    let escalation = anbiao_domain::date::add_months(
        time::Date::from_calendar_date(on.year(), on.month(), 1)?,
        1,
    );
    for (label, day) in [
        (format!("first run on {on} (every status written)"), on),
        (
            format!("second run on {on} (unchanged statuses not rewritten)"),
            on,
        ),
        (
            format!("run on {escalation} (the month's items escalate)"),
            escalation,
        ),
    ] {
        let t = Instant::now();
        let r = anbiao_actions::obligations::work_out_all(
            db,
            reference,
            day,
            day - time::Duration::days(1),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let took = t.elapsed();
        println!(
            "| daily job, {label} | {} | {} | {} | {:.2} s | {:.0} |",
            r.enterprises,
            r.items,
            r.reminders,
            took.as_secs_f64(),
            r.enterprises as f64 / took.as_secs_f64()
        );
    }
    // The figures below are read as of `on` again.
    anbiao_actions::obligations::work_out_all(db, reference, on, on)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("\n(features {features}, records {records})");
    // The sums agree with counting the statuses.
    let (summed, counted) = (
        scalar(
            db,
            "SELECT CAST(SUM(checked) AS BIGINT) FROM obligation_sum",
        )
        .await?,
        scalar(
            db,
            "SELECT CAST(SUM(checked) AS BIGINT) FROM obligation_status",
        )
        .await?,
    );
    anyhow::ensure!(summed == counted, "sums {summed} ≠ counting {counted}");
    if let Db::Postgres(p) = db {
        sqlx::raw_sql("VACUUM ANALYZE").execute(p).await?;
    } else if let Db::Sqlite(p) = db {
        sqlx::query("ANALYZE").execute(p).await?;
    }

    let township = text(
        db,
        "SELECT township FROM enterprise WHERE region_code = '320682' AND township IS NOT NULL \
         GROUP BY township ORDER BY COUNT(*) DESC, township LIMIT 1",
    )
    .await?;
    let officers = [
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
                codes: vec!["320682".into()],
                township: township.clone(),
            },
        ),
    ];
    println!("\n| obligation figures (action, no HTTP) | places | p50 | p95 |");
    println!("|---|---:|---:|---:|");
    for (label, role, scope) in officers.clone() {
        let actor = officer(role, scope);
        let cx = anbiao_actions::Ctx {
            db,
            reference,
            actor: &actor,
            on,
        };
        let (p50, p95, f) = time_runs(requests, || async {
            cx.obligation_figures()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await?;
        println!(
            "| {label} | {} | {:.2} ms | {:.2} ms |",
            f.places.len(),
            ms(p50),
            ms(p95)
        );
    }

    // The lists behind the figures: the first page (20) and the 50th of who has not checked
    // itself, and of who has gaps.
    println!(
        "\n| list behind the figures (action, no HTTP) | show | page | rows | total | p50 | p95 |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (label, role, scope) in officers {
        let actor = officer(role, scope);
        let cx = anbiao_actions::Ctx {
            db,
            reference,
            actor: &actor,
            on,
        };
        for (show, page) in [("unchecked", 1u32), ("unchecked", 50), ("gaps", 1)] {
            let ask = anbiao_actions::obligations::ListAsk {
                show,
                ..Default::default()
            };
            let req = anbiao_store::paging::PageReq { page, size: 20 };
            let (p50, p95, (_, paged)) = time_runs(requests, || async {
                cx.obligation_enterprises(&ask, req)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
            .await?;
            println!(
                "| {label} | {show} | {page} | {} | {:?} | {:.2} ms | {:.2} ms |",
                paged.rows.len(),
                paged.total,
                ms(p50),
                ms(p95)
            );
        }
    }
    Ok(())
}

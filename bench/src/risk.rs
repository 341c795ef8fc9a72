//! Risk registers at province scale (issue 16 item 13): about twenty risk points per enterprise
//! (20,000,000 for 1,000,000), each with its current check task, then the pages officers and
//! enterprises open and the daily job that finds the check tasks gone overdue, each beside its
//! ceiling in the same run.
//!
//! The points are copies of a few template points written through the real path
//! (`risk_points::insert_many`: validated and assessed by the rules in force, with their words
//! and measures), spread over the registry with one `INSERT … SELECT`: a template by a fixed
//! hash (1 % 重大, 9 % 较大, 35 % 一般, 55 % 低), 5 to 36 points per enterprise, one in fifty
//! enterprises without a register. Check tasks fall due within one period of the level that
//! controls the point; in one enterprise in ten, half the tasks fell due yesterday unchecked (the
//! day's job finds them, about 1,000,000), and in another one in ten a quarter were found overdue
//! weeks ago (already escalated, not read again).

use std::time::{Duration, Instant};

use anbiao_domain::risk_point::PointDraft;
use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::Db;
use anbiao_store::account::{self, NewUser};
use anbiao_store::audit_log::Actor;
use anbiao_store::risk_points::{self, BulkPoint};
use time::Date;

use crate::http;
use crate::programme::time_runs;

/// The enterprise with a register of 500 points (a large works) and one with twenty.
pub struct Registers {
    pub big: i64,
    pub typical: i64,
    pub township: (String, String),
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn exec(db: &Db, sql: &str) -> anyhow::Result<u64> {
    Ok(match db {
        Db::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(p)
            .await?
            .rows_affected(),
        Db::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(p)
            .await?
            .rows_affected(),
    })
}

async fn count(db: &Db, sql: &str) -> anyhow::Result<i64> {
    Ok(match db {
        Db::Sqlite(p) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_one(p)
                .await?
        }
        Db::Postgres(p) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_one(p)
                .await?
        }
    })
}

/// A template point: name, kind, location, hazards, accident types, method, factors, direct,
/// responsible, measures; and how many of the hundred hash buckets take it.
type Template = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    &'static str,
    &'static [(&'static str, &'static str)],
    u32,
);

const TEMPLATES: &[Template] = &[
    (
        "反应釜检修",
        "activity",
        "一号车间",
        "釜内残留溶剂挥发、缺氧，未置换检测即进入",
        &["中毒和窒息", "火灾"],
        "lec",
        &[("L", "1"), ("E", "2"), ("C", "15")],
        Some("confined_space"),
        "陆建平（设备科长）",
        &[
            ("engineering", "强制通风\n气体检测仪"),
            ("management", "有限空间作业审批\n专人监护"),
            ("ppe", "长管呼吸器"),
            ("emergency", "有限空间救援演练每年一次"),
        ],
        1,
    ),
    (
        "液氨制冷机房",
        "place",
        "厂区北侧",
        "液氨泄漏；制冷系统超压",
        &["中毒和窒息", "容器爆炸"],
        "lec",
        &[("L", "1"), ("E", "6"), ("C", "40")],
        None,
        "季海峰（动力车间主任）",
        &[
            ("engineering", "氨气浓度报警与排风联锁\n紧急泄氨器"),
            ("management", "制冷工持证上岗\n每班巡检记录"),
            ("emergency", "液氨泄漏应急处置卡"),
        ],
        5,
    ),
    (
        "冲床",
        "equipment",
        "二号车间",
        "双手进入模具区；光电保护失效",
        &["机械伤害"],
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "15")],
        None,
        "顾国强（冲压车间主任）",
        &[
            ("engineering", "双手按钮\n光电保护装置"),
            ("management", "光电保护每班点检"),
        ],
        4,
    ),
    (
        "行车吊装",
        "activity",
        "二号车间",
        "吊索具断裂；吊物下方站人",
        &["起重伤害", "物体打击"],
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "7")],
        None,
        "沈卫东（设备科长）",
        &[
            ("engineering", "起重限位器\n吊钩防脱钩装置"),
            ("management", "吊索具每日检查"),
            ("training", "司索指挥持证上岗"),
        ],
        20,
    ),
    (
        "油漆仓库",
        "place",
        "厂区东侧",
        "稀释剂泄漏；通风不良",
        &["火灾", "中毒和窒息"],
        "ls",
        &[("L", "3"), ("S", "4")],
        None,
        "朱晓燕（安全科长）",
        &[
            ("engineering", "防爆照明\n机械通风"),
            ("management", "分类存放\n双人双锁"),
        ],
        15,
    ),
    (
        "叉车运输",
        "activity",
        "成品仓库",
        "超速、人车混行",
        &["车辆伤害"],
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "3")],
        None,
        "施春生（物流班长）",
        &[
            ("management", "厂内限速5公里\n人车分流"),
            ("training", "叉车司机持证上岗"),
        ],
        30,
    ),
    (
        "砂轮机",
        "equipment",
        "机修间",
        "砂轮破裂飞出",
        &["物体打击"],
        "lec",
        &[("L", "3"), ("E", "6"), ("C", "3")],
        None,
        "缪俊（机修班长）",
        &[
            ("engineering", "防护罩\n托架间隙不大于3毫米"),
            ("ppe", "防护眼镜"),
        ],
        25,
    ),
];

/// Writes the registers: the templates through the real path on the first enterprise, then
/// copies for every other one; returns the points written, the time to write the rows and the
/// time to build the indexes after them.
pub async fn write(
    db: &Db,
    reference: &ReferenceData,
    today: Date,
) -> anyhow::Result<(Registers, u64, (Duration, Duration))> {
    let set = reference.risk.in_force(today)?;
    let first: i64 = count(db, "SELECT MIN(id) FROM enterprise").await?;
    let region: String = match db {
        Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT region_code FROM enterprise WHERE id = $1")
                .bind(first)
                .fetch_one(p)
                .await?
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT region_code FROM enterprise WHERE id = $1")
                .bind(first)
                .fetch_one(p)
                .await?
        }
    };
    let mut bulk = Vec::new();
    for t in TEMPLATES {
        let d = PointDraft {
            name: t.0.into(),
            kind: t.1.into(),
            location: t.2.into(),
            hazards: t.3.into(),
            accident_types: t.4.iter().map(|s| s.to_string()).collect(),
            exposed: "6".into(),
            method: t.5.into(),
            factors: t
                .6
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            direct: t.7.iter().map(|s| s.to_string()).collect(),
            control_level: String::new(),
            responsible: t.8.into(),
            measures: t
                .9
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let point = d
            .validate(set)
            .map_err(|e| anyhow::anyhow!("template {}: {e}", t.0))?;
        bulk.push(BulkPoint {
            enterprise_id: first,
            region_code: region.clone(),
            point,
            on: today,
            due: today,
        });
    }
    risk_points::insert_many(db, &Actor::new("bench", "cli"), &bulk).await?;
    let levels = count(db, "SELECT COUNT(DISTINCT level) FROM risk_point").await?;
    anyhow::ensure!(
        levels == 4,
        "the templates should cover the four levels, not {levels}"
    );

    // The templates as a table (n, columns, period), and the hundred hash buckets.
    let blob = if matches!(db, Db::Sqlite(_)) {
        "INTEGER"
    } else {
        "BIGINT"
    };
    exec(db, "DROP TABLE IF EXISTS bench_tpl").await?;
    exec(db, "DROP TABLE IF EXISTS bench_pick").await?;
    exec(
        db,
        &format!(
            "CREATE TABLE bench_tpl AS SELECT id AS n, kind, location, name, hazards, accident_types, exposed, \
             method, factors, direct, score, level, rule, words, control_level, responsible, measures, \
             assessed_on, created_at, CAST(0 AS {blob}) AS every FROM risk_point WHERE enterprise_id = {first}"
        ),
    )
    .await?;
    for c in &set.controls {
        exec(
            db,
            &format!(
                "UPDATE bench_tpl SET every = {} WHERE control_level = '{}'",
                c.check_every_days, c.key
            ),
        )
        .await?;
    }
    anyhow::ensure!(
        count(db, "SELECT COUNT(*) FROM bench_tpl WHERE every = 0").await? == 0,
        "a template's level of control has no period"
    );
    let ids: Vec<i64> = match db {
        Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT n FROM bench_tpl ORDER BY n")
                .fetch_all(p)
                .await?
        }
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT n FROM bench_tpl ORDER BY n")
                .fetch_all(p)
                .await?
        }
    };
    exec(
        db,
        &format!("CREATE TABLE bench_pick (r {blob} PRIMARY KEY, n {blob} NOT NULL)"),
    )
    .await?;
    let mut r = 0u32;
    let mut values = Vec::new();
    for (t, id) in TEMPLATES.iter().zip(&ids) {
        for _ in 0..t.10 {
            values.push(format!("({r}, {id})"));
            r += 1;
        }
    }
    anyhow::ensure!(r == 100, "the buckets add up to {r}, not 100");
    exec(
        db,
        &format!("INSERT INTO bench_pick (r, n) VALUES {}", values.join(", ")),
    )
    .await?;

    let (big, _) = pick(first);
    let sqlite = matches!(db, Db::Sqlite(_));
    let day = |offset: &str| {
        if sqlite {
            format!("date('{today}', printf('%+d days', {offset}))")
        } else {
            format!("to_char(DATE '{today}' + ({offset})::int, 'YYYY-MM-DD')")
        }
    };
    let token = if sqlite {
        "lower(hex(randomblob(12)))"
    } else {
        "substr(md5(random()::text || clock_timestamp()::text), 1, 24)"
    };
    let insert = |most: u32, which: &str| {
        format!(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {most}) \
             INSERT INTO risk_point (enterprise_id, region_code, name, kind, location, hazards, accident_types, \
             exposed, method, factors, direct, score, level, rule, words, control_level, responsible, measures, \
             assessed_on, created_by, created_at, updated_at, card_token) \
             SELECT e.id, e.region_code, t.name || '（' || k.i || '号）', t.kind, t.location, t.hazards, \
             t.accident_types, t.exposed, t.method, t.factors, t.direct, t.score, t.level, t.rule, t.words, \
             t.control_level, t.responsible, t.measures, t.assessed_on, 'bench', t.created_at, t.created_at, \
             {token} \
             FROM enterprise e CROSS JOIN k JOIN bench_pick b ON b.r = (e.id * 31 + k.i * 17) % 100 \
             JOIN bench_tpl t ON t.n = b.n WHERE {which}"
        )
    };
    // Each copied point's check task, due within one period of the level that controls it.
    let slack = "p.enterprise_id % 10 = 3 AND p.id % 2 = 0";
    let lapsed = "p.enterprise_id % 10 = 7 AND p.id % 4 = 0";
    let offset = format!(
        "CASE WHEN {slack} THEN -1 WHEN {lapsed} THEN -20 ELSE (p.enterprise_id * 13 + p.id) % v.every END"
    );
    let tasks = format!(
        "INSERT INTO risk_task (point_id, due, overdue_since) \
         SELECT p.id, {due}, CASE WHEN {lapsed} THEN {since} END FROM risk_point p \
         JOIN (SELECT DISTINCT control_level, every FROM bench_tpl) v ON v.control_level = p.control_level \
         WHERE p.enterprise_id <> {first}",
        due = day(&offset),
        since = day("-19"),
    );
    // Loaded as a bulk load is: the secondary indexes dropped and built again after the rows
    // (as defined by the migrations, read back from the catalogue). Kept in place, 20,000,000
    // random card tokens inserted one by one into their unique index churn SQLite's cache.
    let indexes: Vec<(String, String)> = match db {
        Db::Sqlite(p) => {
            sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name IN ('risk_point', 'risk_task') AND sql IS NOT NULL",
            )
            .fetch_all(p)
            .await?
        }
        Db::Postgres(p) => {
            sqlx::query_as(
                "SELECT indexname::text, indexdef::text FROM pg_indexes \
                 WHERE tablename IN ('risk_point', 'risk_task') AND indexname NOT LIKE '%_pkey'",
            )
            .fetch_all(p)
            .await?
        }
    };
    for (name, _) in &indexes {
        exec(db, &format!("DROP INDEX {name}")).await?;
    }
    let t = Instant::now();
    let mut n = exec(
        db,
        &insert(
            36,
            &format!(
                "e.id NOT IN ({first}, {big}) AND e.id % 50 <> 0 AND k.i <= 5 + (e.id * 7) % 32"
            ),
        ),
    )
    .await?;
    n += exec(db, &insert(500, &format!("e.id = {big}"))).await?;
    let tasks = exec(db, &tasks).await?;
    anyhow::ensure!(tasks == n, "{tasks} check tasks for {n} points");
    let rows = t.elapsed();
    let t = Instant::now();
    for (_, sql) in &indexes {
        exec(db, sql).await?;
    }
    let took = (rows, t.elapsed());
    exec(db, "DROP TABLE bench_pick").await?;
    exec(db, "DROP TABLE bench_tpl").await?;

    Ok((registers(db).await?, n + TEMPLATES.len() as u64, took))
}

/// The enterprises the pages are measured on, and the largest township of 如皋.
pub async fn registers(db: &Db) -> anyhow::Result<Registers> {
    let first: i64 = count(db, "SELECT MIN(id) FROM enterprise").await?;
    let (big, typical) = pick(first);
    let (code, township): (String, String) = match db {
        Db::Sqlite(p) => sqlx::query_as(
            "SELECT region_code, township FROM enterprise WHERE region_code = '320682' \
             AND township IS NOT NULL GROUP BY region_code, township ORDER BY COUNT(*) DESC LIMIT 1",
        )
        .fetch_one(p)
        .await?,
        Db::Postgres(p) => sqlx::query_as(
            "SELECT region_code, township FROM enterprise WHERE region_code = '320682' \
             AND township IS NOT NULL GROUP BY region_code, township ORDER BY COUNT(*) DESC LIMIT 1",
        )
        .fetch_one(p)
        .await?,
    };
    Ok(Registers {
        big,
        typical,
        township: (code, township),
    })
}

/// A large works with 500 points, and a typical one with 20 (after the first, which holds the
/// templates).
fn pick(first: i64) -> (i64, i64) {
    let typical = (first + 4242..)
        .find(|id| 5 + (id * 7) % 32 == 20 && id % 50 != 0)
        .unwrap_or(first + 4242);
    (first + 4241, typical)
}

/// A plain site plan (PNG, 1200 × 800) for the maps.
fn plan_png() -> anyhow::Result<Vec<u8>> {
    const W: u32 = 1200;
    const H: u32 = 800;
    let mut px = vec![236u8; (W * H * 3) as usize];
    for y in (0..H).filter(|y| y % 100 < 4) {
        for x in 0..W {
            let i = ((y * W + x) * 3) as usize;
            px[i..i + 3].copy_from_slice(&[90, 90, 90]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, W, H);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()?.write_image_data(&px)?;
    }
    Ok(out)
}

/// Gives each of the two enterprises a site plan with every point placed on it.
pub async fn place(db: &Db, r: &Registers) -> anyhow::Result<()> {
    let bytes = plan_png()?;
    let image = anbiao_domain::risk_plan::check_image(&bytes)
        .map_err(|e| anyhow::anyhow!("plan: {}", e.0))?;
    for id in [r.big, r.typical] {
        let plan = anbiao_store::risk_plans::create(
            db,
            &Scope::City,
            &Actor::new("bench", "cli"),
            id,
            "厂区总平面图",
            anbiao_domain::risk_plan::PlanKind::Site,
            &image,
            &bytes,
        )
        .await?;
        exec(
            db,
            &format!(
                "UPDATE risk_point SET plan_id = {plan}, \
                 plan_at = ((id * 37) % 900 + 50) || ',' || ((id * 53) % 900 + 50) WHERE enterprise_id = {id}"
            ),
        )
        .await?;
    }
    Ok(())
}

/// Times the running sums' rebuild from every point.
pub async fn rebuild(db: &Db) -> anyhow::Result<Duration> {
    let t = Instant::now();
    risk_points::rebuild_sums(db).await?;
    Ok(t.elapsed())
}

/// Times the officers' summary (the store calls the page makes, no HTTP), the pages through
/// HTTP, and the daily job beside the bare update it makes; prints the tables.
pub async fn measure(
    db: &Db,
    reference: &ReferenceData,
    r: &Registers,
    runs: usize,
    today: Date,
) -> anyhow::Result<()> {
    let points = count(db, "SELECT COUNT(*) FROM risk_point").await?;
    let (c50, c95, _) = time_runs(runs, || async {
        count(db, "SELECT CAST(1 AS BIGINT)").await
    })
    .await?;
    println!("\n| risk summary (actions, no HTTP) | rows | p50 | p95 | p95 ÷ SELECT 1 p95 |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| SELECT 1 round trip (ceiling) | | {:.2} ms | {:.2} ms | 1 |",
        ms(c50),
        ms(c95)
    );
    let rugao = Scope::Region {
        codes: vec!["320682".into()],
    };
    let township = Scope::Township {
        codes: vec![r.township.0.clone()],
        township: r.township.1.clone(),
    };
    for (label, role, scope) in [
        ("city officer", Role::CityOfficer, Scope::City),
        ("district officer (如皋)", Role::DistrictOfficer, rugao),
        (
            "township officer (如皋, largest township)",
            Role::TownshipOfficer,
            township,
        ),
    ] {
        let actor = anbiao_actions::Actor::on_behalf(role, scope, "bench", "risk");
        let cx = anbiao_actions::Ctx {
            db,
            reference,
            actor: &actor,
            on: today,
        };
        let (p50, p95, s) = time_runs(runs, || async {
            cx.risk_summary().await.map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await?;
        // What each of the page's reads takes (a few runs).
        let (_, each_sums, _) = time_runs(5, || async {
            Ok(risk_points::sums(db, &actor.scope).await?)
        })
        .await?;
        let (_, each_industry, _) = time_runs(5, || async {
            Ok(risk_points::industry_sums(db, &actor.scope).await?)
        })
        .await?;
        let (_, each_without, _) = time_runs(5, || async {
            Ok(risk_points::without_register(db, &actor.scope, 100).await?)
        })
        .await?;
        let mut each_list = Vec::new();
        for key in [
            "major",
            "high",
            risk_points::OVERDUE,
            risk_points::UNCONTROLLED,
        ] {
            let (_, p95, _) = time_runs(5, || async {
                Ok(risk_points::enterprises_at(db, &actor.scope, key, 100).await?)
            })
            .await?;
            each_list.push(format!("{key} {:.1}", ms(p95)));
        }
        eprintln!(
            "  {label}: sums {:.1} ms, industries {:.1} ms, without register {:.1} ms, lists {} ms",
            ms(each_sums),
            ms(each_industry),
            ms(each_without),
            each_list.join(", ")
        );
        let with: i64 = s
            .sums
            .iter()
            .filter(|x| x.level == risk_points::ANY_LEVEL)
            .map(|x| x.enterprises)
            .sum();
        anyhow::ensure!(with > 0, "{label}: no enterprise with a register");
        println!(
            "| {label}: enterprises with a register {with} | {} | {:.2} ms | {:.2} ms | {:.0} |",
            s.sums.len() + s.industries.len(),
            ms(p50),
            ms(p95),
            p95.as_secs_f64() / c95.as_secs_f64()
        );
    }

    // Through HTTP, as the officers and the enterprise see them.
    let mk = |username: &str, role: Role, region: Option<&str>, enterprise: Option<i64>| NewUser {
        username: username.into(),
        display_name: "基准测试".into(),
        password: "Bench#2018".into(),
        role,
        region_code: region.map(str::to_string),
        township: None,
        enterprise_id: enterprise,
        must_change_password: false,
    };
    for u in [
        mk("risk_city", Role::CityOfficer, None, None),
        mk("risk_rugao", Role::DistrictOfficer, Some("320682"), None),
        mk("risk_big", Role::EnterpriseManager, None, Some(r.big)),
    ] {
        let taken = count(
            db,
            &format!(
                "SELECT COUNT(*) FROM app_user WHERE username = '{}'",
                u.username
            ),
        )
        .await?;
        if taken > 0 {
            continue;
        }
        account::create(
            db,
            &Actor::new("bench", "cli"),
            &u,
            &anbiao_domain::SignInPolicy::default(),
        )
        .await?;
    }
    let state = anbiao_web::AppState::new(
        db.clone(),
        reference.clone(),
        anbiao_web::WebConfig::default(),
    );
    let app = http::serve(anbiao_web::app(state)).await?;
    let empty =
        http::serve(axum::Router::new().route("/empty", axum::routing::get(|| async { "" })))
            .await?;
    let city = http::login(app, "risk_city", "Bench#2018").await?;
    let rugao = http::login(app, "risk_rugao", "Bench#2018").await?;
    let big = http::login(app, "risk_big", "Bench#2018").await?;
    println!(
        "\n| risk page (HTTP, sequential, keep-alive), {points} points | bytes | p50 | p95 | p95 ÷ empty handler p95 |"
    );
    println!("|---|---:|---:|---:|---:|");
    let (e50, e95, _) = http::measure(empty, "/empty", None, runs).await?;
    println!(
        "| empty axum handler (ceiling) | | {:.2} ms | {:.2} ms | 1 |",
        ms(e50),
        ms(e95)
    );
    let pages: Vec<(String, String, &http::Session)> = vec![
        (
            "district summary /risks (如皋)".into(),
            "/risks".into(),
            &rugao,
        ),
        ("city summary /risks".into(), "/risks".into(), &city),
        (
            "register, 20 points (city officer)".into(),
            format!("/enterprises/{}/risks", r.typical),
            &city,
        ),
        (
            "register, 500 points (city officer)".into(),
            format!("/enterprises/{}/risks", r.big),
            &city,
        ),
        (
            "register, 500 points (the enterprise)".into(),
            format!("/enterprises/{}/risks", r.big),
            &big,
        ),
        (
            "four-colour map, 20 points".into(),
            format!("/enterprises/{}/risk-map", r.typical),
            &city,
        ),
        (
            "four-colour map, 500 points".into(),
            format!("/enterprises/{}/risk-map", r.big),
            &city,
        ),
        (
            "check tasks, 500 points (the enterprise)".into(),
            format!("/enterprises/{}/risk-checks", r.big),
            &big,
        ),
    ];
    for (label, path, session) in pages {
        let (p50, p95, body) = http::measure(app, &path, Some(session), runs).await?;
        anyhow::ensure!(
            String::from_utf8_lossy(&body).contains("风险"),
            "{label}: not a risk page"
        );
        println!(
            "| {label} | {} | {:.2} ms | {:.2} ms | {:.0} |",
            body.len(),
            ms(p50),
            ms(p95),
            p95.as_secs_f64() / e95.as_secs_f64()
        );
    }

    // The daily job beside the bare update of the same rows (rolled back).
    let due = count(
        db,
        &format!("SELECT COUNT(*) FROM risk_task WHERE overdue_since IS NULL AND due < '{today}'"),
    )
    .await?;
    let t = Instant::now();
    let mut tx = db.begin().await?;
    let bare = anbiao_store::with_tx!(&mut tx, |c| sqlx::query(
        "UPDATE risk_task SET overdue_since = $1 WHERE overdue_since IS NULL AND due < $1",
    )
    .bind(today.to_string())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.rollback().await?;
    let ceiling = t.elapsed();
    anyhow::ensure!(bare as i64 == due, "the bare update marked {bare} of {due}");
    let escalate: Vec<String> = reference
        .risk
        .in_force(today)?
        .levels
        .iter()
        .take(2)
        .map(|l| l.key.clone())
        .collect();
    let before = overdue_sum(db).await?;
    let t = Instant::now();
    let report = anbiao_store::jobs::run_risk_checks(db, &escalate, today, "bench")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the job had already run today"))?;
    let took = t.elapsed();
    let t = Instant::now();
    let again = anbiao_store::jobs::run_risk_checks(db, &escalate, today, "bench-2").await?;
    let second = t.elapsed();
    anyhow::ensure!(again.is_none(), "the job ran twice on one day");
    anyhow::ensure!(
        report.points as i64 == due,
        "the job marked {} of {due}",
        report.points
    );
    let after = overdue_sum(db).await?;
    anyhow::ensure!(
        after - before == due,
        "the running sums moved by {} for {due} tasks",
        after - before
    );
    println!(
        "\n| daily check-task job, {points} points | tasks | enterprises | notices | time | ÷ ceiling |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| bare UPDATE of the same tasks, rolled back (ceiling) | {bare} | | | {:.2} s | 1 |",
        ceiling.as_secs_f64()
    );
    println!(
        "| `risk_checks.daily`: mark, running sums, notices | {} | {} | {} | {:.2} s | {:.1} |",
        report.points,
        report.enterprises,
        report.notices,
        took.as_secs_f64(),
        took.as_secs_f64() / ceiling.as_secs_f64()
    );
    println!(
        "| the same day again (another instance: claimed already) | 0 | | | {:.3} s | |",
        second.as_secs_f64()
    );
    Ok(())
}

/// The city's overdue tasks in the running sums.
async fn overdue_sum(db: &Db) -> anyhow::Result<i64> {
    count(
        db,
        &format!(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM risk_sum WHERE level = '{}'",
            risk_points::OVERDUE
        ),
    )
    .await
}

/// Puts the day's job back as it was before it ran (to time it again on a kept database).
pub async fn reset_job(db: &Db, today: Date) -> anyhow::Result<()> {
    for sql in [
        format!("UPDATE risk_task SET overdue_since = NULL WHERE overdue_since = '{today}'"),
        format!(
            "DELETE FROM notification WHERE kind = '{}' AND period = '{today}'",
            anbiao_store::risk_checks::CHECK_OVERDUE
        ),
        format!("DELETE FROM job_run WHERE day = '{today}'"),
    ] {
        exec(db, &sql).await?;
    }
    risk_points::rebuild_sums(db).await?;
    Ok(())
}

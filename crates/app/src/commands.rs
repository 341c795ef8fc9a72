//! What each subcommand does. Exit codes: 0 success, 1 failure, 2 import with rejected rows.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};

use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::account::{self, NewUser};
use anbiao_store::enterprise::{self, Filter};
use anbiao_store::{Db, jobs, reference as store_reference, seed, session};
use anbiao_web::{AppState, WebConfig};

use crate::cli::{Cli, Command, ExportWhat, ImportWhat, ServeArgs, UserAction};
use crate::ops;

/// Opens (creating and migrating when needed) and mirrors the reference data.
pub(crate) async fn open(cli_db: &str, reference: &ReferenceData) -> anyhow::Result<Db> {
    let db = Db::open(cli_db)
        .await
        .with_context(|| format!("无法打开数据库 {}", anbiao_store::db::redact(cli_db)))?;
    store_reference::sync(&db, reference)
        .await
        .context("无法写入参考数据")?;
    // The shipped sample sheets, once per version; an official sheet is loaded by the bureau.
    let (_, sheets) = anbiao_domain::standard::shipped().context("内置评分细则有误")?;
    for sheet in &sheets {
        if let Err(e) = anbiao_store::standards::save(&db, &ops::cli_actor(), sheet).await {
            tracing::warn!("shipped sheet {} not loaded: {e}", sheet.rule_ref());
        }
    }
    Ok(db)
}

pub(crate) fn progress(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, 剩余 {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let reference = crate::reference::load(cli.data_dir.as_deref())?;
    match cli.command {
        Command::Audit { action } => {
            let db = open(&cli.db, &reference).await?;
            let code = ops::audit_cmd(&db, action).await?;
            db.close().await;
            Ok(code)
        }
        Command::Token { action } => {
            let db = open(&cli.db, &reference).await?;
            let code = ops::token_cmd(&db, &reference, action).await?;
            db.close().await;
            Ok(code)
        }
        Command::Backup { output } => ops::backup(&cli.db, &output).await,
        Command::Standards { action } => {
            let db = open(&cli.db, &reference).await?;
            let code = ops::standards_cmd(&db, &reference, action).await;
            db.close().await;
            code
        }
        Command::Rules { action } => ops::rules_cmd(&cli.db, &reference, action).await,
        Command::Risk { action } => Ok(ops::risk_cmd(&reference, action)),
        Command::Jobs { date } => {
            let db = open(&cli.db, &reference).await?;
            let on = date.unwrap_or_else(anbiao_actions::today);
            let report = jobs::run_daily(&db, &reference.grading, on, &instance_name()).await?;
            let risks =
                jobs::run_risk_checks(&db, &escalated_levels(&reference, on), on, &instance_name())
                    .await?;
            let obligations =
                anbiao_actions::obligations::run_daily(&db, &reference, on, &instance_name())
                    .await?;
            let queued = anbiao_store::queue::work(&db, &instance_name(), on).await?;
            // The feed tells what changes as it happens: it is brought up to date only on the
            // day itself, never as of another day.
            let feed = if on == anbiao_actions::today() {
                anbiao_actions::feed::refresh(&db, &reference, on).await?
            } else {
                anbiao_actions::feed::Refreshed::default()
            };
            db.close().await;
            println!(
                "{}：{}；{}；{}；到期任务 {} 项，发出提醒 {} 条{}",
                anbiao_domain::date::format_date(on),
                report.summary(),
                if obligations.ran {
                    format!(
                        "监管清单 {} 家企业、{} 项义务",
                        obligations.enterprises, obligations.items
                    )
                } else {
                    "监管清单当日已由其他实例计算".into()
                },
                match risks {
                    Some(r) => format!(
                        "风险点隐患排查逾期 {} 处（{} 家企业）",
                        r.points, r.enterprises
                    ),
                    None => "风险点排查任务当日已由其他实例执行".into(),
                },
                queued.done,
                queued.delivered,
                if queued.failed > 0 {
                    format!("，失败 {} 项", queued.failed)
                } else {
                    String::new()
                }
            );
            if feed.events > 0 {
                println!(
                    "状态变动数据：比对 {} 家企业，新增 {} 条",
                    feed.enterprises, feed.events
                );
            }
            Ok(0)
        }
        Command::Restore { input, force } => ops::restore(&cli.db, &input, force).await,
        Command::Migrate { app_role } => {
            let db = open(&cli.db, &reference).await?;
            if let Some(role) = app_role {
                if let Err(e) = db.grant_app_role(&role).await {
                    eprintln!("错误：{e}");
                    db.close().await;
                    return Ok(2);
                }
                eprintln!(
                    "已授权数据库角色 {role}：可读写业务数据，审计日志只能追加（不能修改、删除或清空）"
                );
            }
            db.close().await;
            eprintln!("数据库已就绪：{}", anbiao_store::db::redact(&cli.db));
            Ok(0)
        }
        Command::Seed { enterprises, seed } => {
            let db = open(&cli.db, &reference).await?;
            let n = seed_enterprises(&db, &reference, enterprises, seed).await?;
            eprintln!("已生成 {n} 家企业（种子 {seed}）");
            Ok(0)
        }
        Command::Serve { serve } => {
            let head_key = match &serve.audit_head_key_file {
                Some(path) => match crate::head_file::read_key(path) {
                    Ok(k) => Some(k),
                    Err(e) => {
                        eprintln!("错误：{e:#}");
                        return Ok(2);
                    }
                },
                None => None,
            };
            let db = open(&cli.db, &reference).await?;
            if let (Some(path), Some(key)) = (serve.audit_head_file.clone(), head_key) {
                // Written once now (a failure stops the start: the operator asked for it), then
                // on the schedule.
                let head = anbiao_store::audit_log::head(&db).await?;
                if let Err(e) = crate::head_file::append(&path, &key, &head, unix_now()) {
                    eprintln!("错误：{e:#}");
                    return Ok(2);
                }
                let every = Duration::from_secs(serve.audit_head_every_minutes.max(1) * 60);
                let head_db = db.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(every).await;
                        let written = match anbiao_store::audit_log::head(&head_db).await {
                            Ok(h) => crate::head_file::append(&path, &key, &h, unix_now()),
                            Err(e) => Err(e.into()),
                        };
                        if let Err(e) = written {
                            tracing::error!("audit head not written to {}: {e:#}", path.display());
                        }
                    }
                });
            }
            if !serve.allow_demo_logins
                && let Some(login) = demo_login_in_use(&db).await?
            {
                eprintln!(
                    "错误：数据库中有演示账号“{login}”且仍使用公开的演示密码，不能作为正式系统提供服务。\
                     请修改或停用该账号；演示或培训副本请加 --allow-demo-logins。"
                );
                return Ok(2);
            }
            serve_app(db, reference, serve).await?;
            Ok(0)
        }
        Command::Demo {
            serve,
            enterprises,
            seed,
        } => run_demo(&cli.db, reference, serve, enterprises, seed).await,
        Command::Import {
            what:
                ImportWhat::Enterprises {
                    file,
                    all_or_nothing,
                    json,
                },
        } => crate::registry_cmd::import(&cli.db, &reference, &file, all_or_nothing, json).await,
        Command::Export {
            what:
                ExportWhat::Enterprises {
                    output,
                    q,
                    region,
                    industry,
                    size,
                    status,
                },
        } => {
            let query = anbiao_actions::exports::EnterpriseQuery {
                q: q.as_deref(),
                region: region.as_deref(),
                industry: industry.as_deref(),
                size: size.as_deref(),
                status: status.as_deref(),
                ..Default::default()
            };
            crate::registry_cmd::export(&cli.db, &reference, &output, &query).await
        }
        Command::User {
            action:
                UserAction::Add {
                    username,
                    password,
                    role,
                    region,
                    township,
                    enterprise,
                    name,
                    no_change_required,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                anyhow!("未知角色“{role}”，应为：{}", all.join(", "))
            })?;
            let db = open(&cli.db, &reference).await?;
            let region_code = region.map(|r| resolve_region(&reference, &r)).transpose()?;
            let enterprise_id = match enterprise {
                None => None,
                Some(code) => {
                    let f = Filter {
                        q: Some(code.clone()),
                        ..Default::default()
                    };
                    let found = enterprise::list_all(&db, &Scope::City, &f, 2).await?;
                    match found.as_slice() {
                        [e] => Some(e.id),
                        _ => bail!("找不到信用代码为 {code} 的企业"),
                    }
                }
            };
            let id = account::create(
                &db,
                &ops::cli_actor(),
                &NewUser {
                    display_name: name.unwrap_or_else(|| username.clone()),
                    username: username.clone(),
                    password,
                    role,
                    region_code,
                    township,
                    enterprise_id,
                    must_change_password: !no_change_required,
                },
                &anbiao_domain::SignInPolicy::default(),
            )
            .await?;
            db.close().await;
            eprintln!("已创建用户 {username}（{}，编号 {id}）", role.label());
            Ok(0)
        }
    }
}

/// `anbiao demo`: seed if empty, tell the grading and supervision history once, print one
/// login per role, serve.
async fn run_demo(
    cli_db: &str,
    reference: ReferenceData,
    mut serve: ServeArgs,
    enterprises: usize,
    seed: u64,
) -> anyhow::Result<i32> {
    let db = open(cli_db, &reference).await?;
    // The demo seeds logins with a published password: never into a database that holds
    // anything but an earlier demo (whose logins still open with that password).
    let empty =
        enterprise::count(&db, &Scope::City).await? == 0 && account::list(&db).await?.is_empty();
    if !empty && demo_login_in_use(&db).await?.is_none() {
        eprintln!(
            "错误：数据库 {} 中已有数据，且不是演示系统生成的（没有使用演示密码的演示账号）。\
             演示不会写入该数据库；请去掉 --db 使用默认的 anbiao-demo.db，或指定一个新的数据库。",
            anbiao_store::db::redact(cli_db)
        );
        db.close().await;
        return Ok(2);
    }
    if serve.public_url.is_none() {
        serve.public_url = Some(format!("http://127.0.0.1:{}", serve.port));
    }
    if serve.contact.is_none() {
        serve.contact = Some(
            "南通市应急管理局 安全生产基础处 · 政务服务便民热线 12345 · 工作日 9:00—17:00（演示系统）".into(),
        );
    }
    if enterprise::count(&db, &Scope::City).await? == 0 {
        let n = seed_enterprises(&db, &reference, enterprises, seed).await?;
        eprintln!("已生成演示企业 {n} 家");
    }
    let logins = demo_users(&db).await?;
    let own = match account::by_username(&db, "qiye").await? {
        Some(u) => u.enterprise_id,
        None => None,
    };
    if let Some(s) = crate::demo::grading_history(&db, &reference, seed, own).await? {
        eprintln!(
            "已生成定级历史：证书 {} 张，运行质量审计 {} 次，小微企业自评 {} 家，在办定级案件 {} 件",
            s.certificates, s.audits, s.started, s.cases
        );
    }
    if let Some(t) =
        crate::supervision::tell(&db, &reference, seed, own, anbiao_actions::today()).await?
    {
        eprintln!(
            "已生成监督检查记录 {} 次，隐患 {} 项，执法决定 {} 项",
            t.inspections, t.hazards, t.decisions
        );
    }
    let points = crate::risk_story::tell(&db, &reference, own, anbiao_actions::today()).await?;
    if points > 0 {
        eprintln!("已生成演示企业的风险点辨识清单：风险点 {points} 处");
    }
    let registers =
        crate::risk_registers::write(&db, &reference, seed, own, anbiao_actions::today()).await?;
    if registers > 0 {
        eprintln!("已生成规模以上企业的风险点辨识清单：风险点 {registers} 处");
    }
    let plans =
        crate::site_plans::draw(&db, &reference, seed, own, anbiao_actions::today()).await?;
    if plans > 0 {
        eprintln!("已生成 {plans} 家企业的总平面图并标注风险点");
    }
    if let Some(t) =
        crate::outreach_story::tell(&db, &reference, seed, anbiao_actions::today()).await?
    {
        eprintln!(
            "已生成一年的培训记录：培训 {} 次，参训 {} 人次；示范企业 {} 家，重点培育乡镇 {} 个，观摩交流 {} 次，协作组和协会 {} 个，宣传 {} 项；监管网格 {} 个",
            t.sessions,
            t.attendances,
            t.models,
            t.townships,
            t.exchanges,
            t.groups,
            t.publicity,
            t.grids
        );
    }
    if let Some((owned, models)) =
        crate::consequence_story::tell(&db, &reference, seed, anbiao_actions::today()).await?
    {
        eprintln!(
            "已登记国有工贸企业 {owned} 家、市级诚信示范企业 {models} 家（激励约束措施名单据此生成）"
        );
    }
    if let Some(t) =
        crate::obligation_story::tell(&db, &reference, seed, own, anbiao_actions::today()).await?
    {
        eprintln!(
            "已生成 {} 家企业的监管清单自查记录 {} 条（其中自查发现问题 {} 项），登记企业特征 {} 项",
            t.enterprises, t.records, t.gaps, t.features
        );
    }
    let n = anbiao_store::standing::refresh(&db).await?;
    if n > 0 {
        eprintln!("已更新 {n} 家企业的样板地区统计");
    }
    println!("演示系统：http://127.0.0.1:{}/", serve.port);
    println!("演示账号（密码均为 {DEMO_PASSWORD}）：");
    for (username, label) in logins {
        println!("  {username:<12} {label}");
    }
    serve_app(db, reference, serve).await?;
    Ok(0)
}

/// A region given on the command line, by code or by today's name.
pub fn resolve_region(reference: &ReferenceData, r: &str) -> anyhow::Result<String> {
    reference
        .regions
        .get(r)
        .or_else(|| reference.regions.resolve(r, anbiao_actions::today()))
        .map(|x| x.code.clone())
        .ok_or_else(|| anyhow!("无法识别的地区“{r}”"))
}

async fn seed_enterprises(
    db: &Db,
    reference: &ReferenceData,
    n: usize,
    seed_value: u64,
) -> anyhow::Result<u64> {
    let rows = seed::generate(reference, n, seed_value)?;
    let pb = progress(rows.len() as u64, "生成企业");
    let pb2 = pb.clone();
    let inserted = seed::insert(db, &rows, &move |done| pb2.set_position(done)).await?;
    pb.finish_and_clear();
    let ev = anbiao_store::audit_log::Event::new("enterprise.seed", format!("seed:{seed_value}"))
        .detail(format!("生成合成企业 {inserted} 家（种子 {seed_value}）"));
    anbiao_store::audit_log::append(db, &ops::cli_actor(), &ev).await?;
    Ok(inserted)
}

pub const DEMO_PASSWORD: &str = "Demo@2018";

/// The demo's logins.
const DEMO_LOGINS: [&str; 14] = [
    "city", "zf01", "zf02", "zf03", "haian", "rugao", "rucheng", "qiye", "pingshen", "kaoping",
    "bank", "sysadmin", "secadmin", "auditor",
];

/// 如皋's law-enforcement officers beside the demo's own 如皋 logins: enough that most of the
/// plan's visits are staffed in pairs (3,145 visits a year, 60 a month each). They sign in
/// with the demo password too.
pub const RUGAO_OFFICERS: [(&str, &str); 8] = [
    ("rgzf01", "如皋市应急管理综合行政执法大队 张伟"),
    ("rgzf02", "如皋市应急管理综合行政执法大队 刘洋"),
    ("rgzf03", "如皋市应急管理综合行政执法大队 黄磊"),
    ("rgzf04", "如皋市应急管理综合行政执法大队 吴静"),
    ("rgzf05", "如皋市应急管理综合行政执法大队 徐峰"),
    ("rgzf06", "如皋市应急管理综合行政执法大队 朱琳"),
    ("rgzf07", "如皋市应急管理综合行政执法大队 马超"),
    ("rgzf08", "如皋市应急管理综合行政执法大队 胡军"),
];

/// A demo login that still opens with the published demo password, if any (an active account
/// of the demo's names whose password verifies).
async fn demo_login_in_use(db: &Db) -> anyhow::Result<Option<String>> {
    for name in DEMO_LOGINS
        .into_iter()
        .chain(RUGAO_OFFICERS.iter().map(|(l, _)| *l))
    {
        let Some(u) = account::by_username(db, name).await? else {
            continue;
        };
        let hash = u.password_hash.clone();
        let opens = tokio::task::spawn_blocking(move || {
            anbiao_store::account::verify_password(DEMO_PASSWORD, &hash)
        })
        .await?;
        if u.active && opens {
            return Ok(Some(name.to_string()));
        }
    }
    Ok(None)
}

/// One login per role; created when missing. Returns (username, description).
async fn demo_users(db: &Db) -> anyhow::Result<Vec<(String, String)>> {
    let rugao_ent = enterprise::list_all(
        db,
        &Scope::City,
        &Filter {
            region_codes: Some(vec!["320682".into()]),
            ..Default::default()
        },
        2000,
    )
    .await?;
    // The demo enterprise is a small one of 如城街道, where the demo's township officer works,
    // in one of its grids.
    let rugao_ent: Vec<_> = rugao_ent
        .iter()
        .find(|e| {
            e.township.as_deref() == Some("如城街道")
                && matches!(e.size_class.as_deref(), Some("small" | "micro"))
        })
        .or(rugao_ent.first())
        .into_iter()
        .cloned()
        .collect();
    /// username, display name, role, region, township, enterprise
    type Spec<'a> = (
        &'a str,
        &'a str,
        Role,
        Option<&'a str>,
        Option<&'a str>,
        Option<i64>,
    );
    let mut specs: Vec<Spec> = vec![
        ("city", "市局 王科长", Role::CityOfficer, None, None, None),
        // The city's enforcement detachment inspects across the city, in pairs.
        (
            "zf01",
            "市应急管理综合行政执法支队 赵磊",
            Role::CityOfficer,
            None,
            None,
            None,
        ),
        (
            "zf02",
            "市应急管理综合行政执法支队 钱敏",
            Role::CityOfficer,
            None,
            None,
            None,
        ),
        (
            "zf03",
            "市应急管理综合行政执法支队 孙浩",
            Role::CityOfficer,
            None,
            None,
            None,
        ),
        (
            "haian",
            "海安市应急管理局 李科员",
            Role::DistrictOfficer,
            Some("320685"),
            None,
            None,
        ),
        (
            "rugao",
            "如皋市应急管理局 陈科员",
            Role::DistrictOfficer,
            Some("320682"),
            None,
            None,
        ),
        (
            "rucheng",
            "如城街道安监站 周站长",
            Role::TownshipOfficer,
            Some("320682"),
            Some("如城街道"),
            None,
        ),
        (
            "pingshen",
            "江苏安评评审中心",
            Role::EvaluationOrg,
            None,
            None,
            None,
        ),
        ("kaoping", "考评员 顾工", Role::Evaluator, None, None, None),
        ("bank", "南通某银行信贷部", Role::Partner, None, None, None),
        (
            "sysadmin",
            "系统管理员",
            Role::SystemAdmin,
            None,
            None,
            None,
        ),
        (
            "secadmin",
            "安全管理员",
            Role::SecurityAdmin,
            None,
            None,
            None,
        ),
        ("auditor", "审计管理员", Role::AuditAdmin, None, None, None),
    ];
    for (login, name) in RUGAO_OFFICERS {
        specs.push((
            login,
            name,
            Role::DistrictOfficer,
            Some("320682"),
            None,
            None,
        ));
    }
    if let Some(e) = rugao_ent.first() {
        specs.insert(
            7,
            (
                "qiye",
                "企业安全员",
                Role::EnterpriseManager,
                None,
                None,
                Some(e.id),
            ),
        );
    }
    let mut out = Vec::new();
    for (username, name, role, region, township, enterprise_id) in specs {
        if account::by_username(db, username).await?.is_none() {
            // Demo accounts share a published password and skip the first-sign-in change.
            account::create(
                db,
                &ops::cli_actor(),
                &NewUser {
                    username: username.into(),
                    display_name: name.into(),
                    password: DEMO_PASSWORD.into(),
                    role,
                    region_code: region.map(str::to_string),
                    township: township.map(str::to_string),
                    enterprise_id,
                    must_change_password: false,
                },
                &anbiao_domain::SignInPolicy::default(),
            )
            .await?;
        }
        // 如皋's enforcement officers show as one line.
        match RUGAO_OFFICERS.iter().position(|(l, _)| *l == username) {
            Some(0) => out.push((
                format!("rgzf01…rgzf{:02}", RUGAO_OFFICERS.len()),
                format!(
                    "{}（如皋市应急管理综合行政执法大队 执法人员 {} 名）",
                    role.label(),
                    RUGAO_OFFICERS.len()
                ),
            )),
            Some(_) => {}
            None => out.push((username.to_string(), format!("{}（{name}）", role.label()))),
        }
    }
    // The bank reads the partners' feed under the banks' agreement (六（五）1).
    if let Some(bank) = account::by_username(db, "bank").await?
        && anbiao_store::feed::agreement_of(db, bank.id)
            .await?
            .is_none()
    {
        let secret = anbiao_actions::feed::new_secret()?;
        anbiao_store::feed::bind(
            db,
            &ops::cli_actor(),
            bank.id,
            "banking.credit",
            &secret,
            None,
        )
        .await?;
    }
    Ok(out)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Names this process in job records: host and process id.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

async fn serve_app(db: Db, reference: ReferenceData, args: ServeArgs) -> anyhow::Result<()> {
    let https = args
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    if args.public_url.is_none() {
        eprintln!(
            "注意：未设置 --public-url（公开访问地址），证书不能打印。正式系统请设置为群众访问门户的 https 地址。"
        );
    }
    let config = WebConfig {
        secure_cookies: args.secure_cookies || https,
        session_ttl_secs: args.session_idle_minutes.max(1) * 60,
        session_max_secs: args.session_max_hours.max(1) * 3600,
        policy: anbiao_domain::SignInPolicy {
            max_failures: args.lock_after.max(1),
            lock_minutes: args.lock_minutes.max(1),
            ..Default::default()
        },
        sign_ins_per_minute: args.sign_ins_per_minute.max(1),
        public_requests_per_minute: args.public_requests_per_minute.max(1),
        trusted_proxies: args.trust_proxy,
        public_url: args.public_url.clone(),
        cjk_font: args.cjk_font.clone(),
        fixed_date: args.business_date,
        contact: args.contact.clone(),
    };
    let state = AppState::new(db.clone(), reference, config);
    if let Err(e) = state.font() {
        tracing::warn!("{e}");
        eprintln!("注意：{e}");
    }
    if args.jobs_every_minutes > 0 {
        let (jobs_db, jobs_state) = (db.clone(), state.clone());
        let every = Duration::from_secs(args.jobs_every_minutes * 60);
        tokio::spawn(async move {
            let instance = instance_name();
            loop {
                match jobs::run_daily(
                    &jobs_db,
                    &jobs_state.reference.grading,
                    jobs_state.today(),
                    &instance,
                )
                .await
                {
                    Ok(r) if r.ran => tracing::info!("daily jobs: {}", r.summary()),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("daily jobs failed: {e}"),
                }
                let on = jobs_state.today();
                let escalate = escalated_levels(&jobs_state.reference, on);
                match jobs::run_risk_checks(&jobs_db, &escalate, on, &instance).await {
                    Ok(Some(r)) => tracing::info!(
                        "risk checks: {} overdue at {} enterprises",
                        r.points,
                        r.enterprises
                    ),
                    Ok(None) => {}
                    Err(e) => tracing::warn!("risk check job failed: {e}"),
                }
                match anbiao_actions::obligations::run_daily(
                    &jobs_db,
                    &jobs_state.reference,
                    on,
                    &instance,
                )
                .await
                {
                    Ok(r) if r.ran => tracing::info!(
                        "obligation lists: {} enterprises, {} items",
                        r.enterprises,
                        r.items
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("obligation list job failed: {e}"),
                }
                tokio::time::sleep(every).await;
            }
        });
        // The job queue (deadline reminders, escalations) is polled every minute: each due job
        // is claimed by one instance and done once, however many instances poll.
        let (queue_db, queue_state) = (db.clone(), state.clone());
        let poll = every.min(Duration::from_secs(60));
        tokio::spawn(async move {
            let instance = instance_name();
            let push_client = match anbiao_web::push::client() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!("partners' feed push disabled: {e}");
                    None
                }
            };
            loop {
                refresh_feed(&queue_db, &queue_state).await;
                if let Some(client) = &push_client {
                    let now = unix_now();
                    match anbiao_web::push::push_due(&queue_state, client, &instance, now).await {
                        Ok(r) if r.delivered > 0 || r.failed > 0 => tracing::info!(
                            "partners' feed push: {} delivered, {} failed",
                            r.delivered,
                            r.failed
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!("partners' feed push failed: {e}"),
                    }
                }
                match anbiao_store::queue::work(&queue_db, &instance, queue_state.today()).await {
                    Ok(r) if r.done > 0 || r.failed > 0 => tracing::info!(
                        "job queue: {} done, {} notifications, {} failed",
                        r.done,
                        r.delivered,
                        r.failed
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("job queue failed: {e}"),
                }
                tokio::time::sleep(poll).await;
            }
        });
    }
    // Enterprises imported or changed outside the server (the CLI, a restore) are brought into
    // the programme's running sums now rather than on the first dashboard request.
    let (standing_db, standing_state) = (db.clone(), state.clone());
    tokio::spawn(async move {
        match anbiao_store::standing::refresh(&standing_db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("programme standing recomputed for {n} enterprises"),
            Err(e) => tracing::warn!("programme standing refresh failed: {e}"),
        }
        refresh_feed(&standing_db, &standing_state).await;
        match anbiao_store::hazards::ensure_sums(&standing_db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("hazard statistics rebuilt from {n} hazards"),
            Err(e) => tracing::warn!("hazard statistics rebuild failed: {e}"),
        }
    });
    let purge_db = db.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(600)).await;
            if let Err(e) = session::purge_expired(&purge_db).await {
                tracing::warn!("session purge failed: {e}");
            }
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("无法监听 127.0.0.1:{}", args.port))?;
    tracing::info!("listening on http://127.0.0.1:{}", args.port);
    let app = anbiao_web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    db.close().await;
    Ok(())
}

/// The risk levels whose overdue checks are escalated to the officers: the two highest of the
/// rules in force on `on` (重大 and 较大 in the shipped rules).
fn escalated_levels(reference: &ReferenceData, on: time::Date) -> Vec<String> {
    reference
        .risk
        .in_force(on)
        .map(|set| set.levels.iter().take(2).map(|l| l.key.clone()).collect())
        .unwrap_or_default()
}

/// Brings the partners' feed up to date (the changes of standing since the last pass).
async fn refresh_feed(db: &anbiao_store::Db, state: &anbiao_web::AppState) {
    match anbiao_actions::feed::refresh(db, &state.reference, state.today()).await {
        Ok(r) if r.events > 0 => tracing::info!(
            "partners' feed: {} enterprises compared, {} events",
            r.enterprises,
            r.events
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("partners' feed refresh failed: {e}"),
    }
}

//! Operations commands: the audit chain, API tokens, backup and restore.

use std::path::Path;
use std::process::Command as Process;

use anyhow::{Context, anyhow, bail};

use anbiao_domain::{Permission, ReferenceData};
use anbiao_store::audit_log::{self, Actor, Event};
use anbiao_store::{Db, account, token};

use crate::cli::{AuditAction, RiskAction, RulesAction, StandardsAction, TokenAction};

/// Exit code of `audit verify` when the chain is broken.
pub const CHAIN_BROKEN: i32 = 3;

/// The actor of command-line operations: the operating-system user.
pub fn cli_actor() -> Actor {
    let os_user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Actor {
        username: format!("cli:{os_user}"),
        source: "cli".into(),
        ..Actor::default()
    }
}

pub async fn audit_cmd(db: &Db, action: AuditAction) -> anyhow::Result<i32> {
    match action {
        AuditAction::Head => {
            let h = audit_log::head(db).await?;
            println!("{} {}", h.seq, h.hash);
            Ok(0)
        }
        AuditAction::Verify {
            head,
            head_file,
            key_file,
        } => {
            let kept = head.as_deref().map(|h| {
                // Accept the whole `audit head` line as well as the hash alone.
                h.split_whitespace().last().unwrap_or(h).to_string()
            });
            let heads = match (head_file, key_file) {
                (Some(file), Some(key)) => {
                    let key = crate::head_file::read_key(&key)?;
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("无法读取链头文件 {}", file.display()))?;
                    match crate::head_file::parse(&text, &key)? {
                        Ok(h) => h,
                        Err(why) => {
                            println!("审计日志校验失败：{why}");
                            return Ok(CHAIN_BROKEN);
                        }
                    }
                }
                _ => Vec::new(),
            };
            let v = audit_log::verify_with(db, kept.as_deref(), &heads).await?;
            match v.broken {
                None => {
                    println!(
                        "审计日志完整：共 {} 条，链头 {} {}",
                        v.checked, v.head.seq, v.head.hash
                    );
                    Ok(0)
                }
                Some((seq, why)) => {
                    println!("审计日志校验失败：第一处异常在第 {seq} 条。{why}");
                    Ok(CHAIN_BROKEN)
                }
            }
        }
    }
}

pub async fn token_cmd(
    db: &Db,
    reference: &ReferenceData,
    action: TokenAction,
) -> anyhow::Result<i32> {
    let actor = cli_actor();
    match action {
        TokenAction::Issue {
            user,
            scope,
            days,
            name,
            region,
        } => {
            let owner = account::by_username(db, &user)
                .await?
                .ok_or_else(|| anyhow!("用户 {user} 不存在"))?;
            let read_only = match scope.as_str() {
                "read" => true,
                "write" => false,
                other => bail!("令牌范围“{other}”无效，应为 read 或 write"),
            };
            let region_code = region
                .map(|r| crate::commands::resolve_region(reference, &r))
                .transpose()?;
            let t = token::NewToken {
                user_id: owner.id,
                name,
                read_only,
                permissions: Vec::<Permission>::new(),
                region_code,
                days,
            };
            let (id, secret) = token::issue(db, &actor, &t).await?;
            eprintln!("已为 {user} 签发令牌（编号 {id}，{days} 天有效）。令牌只显示这一次：");
            println!("{secret}");
            Ok(0)
        }
        TokenAction::Revoke { id } => {
            token::revoke(db, &actor, id, None).await?;
            eprintln!("令牌 {id} 已吊销");
            Ok(0)
        }
        TokenAction::List { user } => {
            let owner = match user {
                None => None,
                Some(u) => Some(
                    account::by_username(db, &u)
                        .await?
                        .ok_or_else(|| anyhow!("用户 {u} 不存在"))?
                        .id,
                ),
            };
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            for t in token::list(db, owner).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at <= now {
                    "expired"
                } else {
                    "live"
                };
                println!(
                    "{}\t{}\t{}…\t{}\t{}\t{}",
                    t.id, t.user_id, t.prefix, t.access, state, t.name
                );
            }
            Ok(0)
        }
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let url = anbiao_store::db::normalize_url(url);
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Backs up: records the backup in the audit log first (so the copy holds that entry too),
/// then SQLite's `VACUUM INTO` (a consistent online copy) or `pg_dump --format=custom`.
pub async fn backup(url: &str, output: &Path) -> anyhow::Result<i32> {
    if output.exists() {
        bail!("备份文件 {} 已存在，请换一个文件名", output.display());
    }
    let db = Db::open(url).await.context("无法打开数据库")?;
    let ev = Event::new("backup", format!("file:{}", output.display())).detail("备份数据库");
    audit_log::append(&db, &cli_actor(), &ev).await?;
    let head = audit_log::head(&db).await?;
    match &db {
        Db::Sqlite(_) => {
            db.sqlite_backup_to(&output.to_string_lossy())
                .await
                .context("SQLite 备份失败")?;
        }
        Db::Postgres(_) => {
            let status = Process::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg("--file")
                .arg(output)
                .arg(url)
                .status()
                .context("无法运行 pg_dump（请安装 PostgreSQL 客户端）")?;
            if !status.success() {
                bail!("pg_dump 失败（{status}）");
            }
        }
    }
    db.close().await;
    eprintln!(
        "已备份到 {}。审计链头：{} {}",
        output.display(),
        head.seq,
        head.hash
    );
    Ok(0)
}

/// Restores a backup into `url`, refusing to overwrite data without `force`, then verifies
/// the audit chain of the result.
pub async fn restore(url: &str, input: &Path, force: bool) -> anyhow::Result<i32> {
    if !input.is_file() {
        bail!("备份文件 {} 不存在", input.display());
    }
    if is_postgres(url) {
        let db = Db::connect(url, true).await.context("无法连接目标数据库")?;
        let has_data = db.has_schema().await?;
        db.close().await;
        if has_data && !force {
            bail!("目标数据库已有数据；确认要覆盖时加 --force");
        }
        let status = Process::new("pg_restore")
            .arg("--clean")
            .arg("--if-exists")
            .arg("--no-owner")
            .arg("--exit-on-error")
            .arg("--dbname")
            .arg(url)
            .arg(input)
            .status()
            .context("无法运行 pg_restore（请安装 PostgreSQL 客户端）")?;
        if !status.success() {
            bail!("pg_restore 失败（{status}）");
        }
    } else {
        let target = sqlite_path(url).ok_or_else(|| anyhow!("无法识别的 SQLite 数据库地址"))?;
        let target_path = Path::new(&target);
        if target_path.exists() && std::fs::metadata(target_path)?.len() > 0 && !force {
            bail!("目标数据库 {target} 已存在；确认要覆盖时加 --force");
        }
        // Checked on a copy beside the target: a readable anbiao database with an intact chain.
        let tmp = format!("{target}.restoring");
        std::fs::copy(input, &tmp).context("复制备份文件失败")?;
        let checked = check_sqlite_copy(&tmp).await;
        if let Err(e) = checked {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{tmp}{suffix}"));
            }
            return Err(e);
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{target}{suffix}"));
        }
        std::fs::rename(&tmp, target_path).context("替换目标数据库失败")?;
    }
    let db = Db::open(url).await.context("无法打开恢复后的数据库")?;
    let v = audit_log::verify(&db, None).await?;
    if v.broken.is_none() {
        // The restore is itself recorded, in the restored chain.
        let ev = Event::new("restore", format!("file:{}", input.display())).detail(format!(
            "自备份文件恢复数据库（恢复时链头第 {} 条）",
            v.head.seq
        ));
        audit_log::append(&db, &cli_actor(), &ev).await?;
    }
    db.close().await;
    match v.broken {
        None => {
            eprintln!(
                "已恢复。审计日志完整：共 {} 条，链头 {} {}",
                v.checked, v.head.seq, v.head.hash
            );
            Ok(0)
        }
        Some((seq, why)) => {
            eprintln!("已恢复，但审计日志在第 {seq} 条异常：{why}");
            Ok(CHAIN_BROKEN)
        }
    }
}

async fn check_sqlite_copy(path: &str) -> anyhow::Result<()> {
    let src = Db::connect(&format!("sqlite://{path}"), false)
        .await
        .context("备份文件不是有效的 SQLite 数据库")?;
    let result = async {
        if !src
            .has_schema()
            .await
            .context("备份文件不是有效的 SQLite 数据库")?
        {
            bail!("备份文件不是安标数据库");
        }
        let v = audit_log::verify(&src, None)
            .await
            .context("备份文件不是安标数据库")?;
        if let Some((seq, why)) = v.broken {
            bail!("备份文件的审计日志在第 {seq} 条异常：{why}");
        }
        Ok(())
    }
    .await;
    src.close().await;
    result
}

/// `anbiao risk assess`: one JSON object on stdout, or the reason on stderr and exit 2.
pub fn risk_cmd(reference: &ReferenceData, action: RiskAction) -> i32 {
    let RiskAction::Assess {
        method,
        factors,
        direct,
        on,
    } = action;
    let on = on.unwrap_or_else(anbiao_actions::today);
    let mut pairs = Vec::new();
    for f in &factors {
        let Some((k, v)) = f.split_once('=') else {
            eprintln!("错误：因素应写作 名称=取值，如 L=3（收到“{f}”）");
            return 2;
        };
        pairs.push((k.trim().to_string(), v.trim().to_string()));
    }
    let assessed = reference
        .risk
        .in_force(on)
        .and_then(|set| set.assess(&method, &pairs, &direct));
    match assessed {
        Ok(a) => {
            let out = serde_json::json!({
                "method": a.method,
                "score": a.score,
                "band": a.band,
                "level": a.level_name,
                "level_key": a.level,
                "colour": a.colour,
                "rule": a.rule.to_string(),
                "words": a.words(),
                "to_be_checked": a.to_be_checked,
            });
            println!("{out}");
            0
        }
        Err(e) => {
            eprintln!("错误：{e}");
            2
        }
    }
}

pub async fn rules_cmd(
    url: &str,
    reference: &ReferenceData,
    action: RulesAction,
) -> anyhow::Result<i32> {
    let rules = &reference.grading;
    match action {
        RulesAction::List => {
            for s in &rules.sets {
                let to =
                    s.to.and_then(|t| t.previous_day())
                        .map(anbiao_domain::date::format_date)
                        .unwrap_or_else(|| "今".into());
                println!(
                    "{}@{}\t{} 至 {}\t{}（{}）",
                    s.id,
                    s.version,
                    anbiao_domain::date::format_date(s.from),
                    to,
                    s.title,
                    s.document
                );
            }
            Ok(0)
        }
        RulesAction::Explain { decision } => {
            let rule = if let Some(r) = anbiao_domain::rules::RuleRef::parse(&decision) {
                r
            } else {
                let (case, seq) = decision
                    .split_once('.')
                    .and_then(|(c, s)| Some((c.parse::<i64>().ok()?, s.parse::<i64>().ok()?)))
                    .ok_or_else(|| anyhow!("“{decision}”应为 案件号.序号（如 12.5）或规则编号（如 grading.2014@1#threshold.three）"))?;
                let db = Db::open(url).await.context("无法打开数据库")?;
                let events =
                    anbiao_store::grading::events(&db, &anbiao_domain::Scope::City, case).await;
                db.close().await;
                let events = events.map_err(|_| anyhow!("定级案件 {case} 不存在"))?;
                let ev = events
                    .iter()
                    .find(|e| e.seq == seq)
                    .ok_or_else(|| anyhow!("定级案件 {case} 没有第 {seq} 项办理记录"))?;
                println!(
                    "案件 {case} 第 {seq} 项：{} → {}，办理人 {}{}",
                    ev.from_state,
                    ev.to_state,
                    ev.actor,
                    ev.reason
                        .as_deref()
                        .map(|r| format!("，理由：{r}"))
                        .unwrap_or_default()
                );
                let Some(r) = ev.rule.as_deref() else {
                    println!("这一步不是由规则决定的（人工办理）。");
                    return Ok(0);
                };
                anbiao_domain::rules::RuleRef::parse(r)
                    .ok_or_else(|| anyhow!("记录的规则编号“{r}”无法识别"))?
            };
            let words = rules
                .explain(&rule)
                .ok_or_else(|| anyhow!("规则 {rule} 不存在"))?;
            println!("{words}");
            Ok(0)
        }
    }
}

pub async fn standards_cmd(
    db: &Db,
    reference: &ReferenceData,
    action: StandardsAction,
) -> anyhow::Result<i32> {
    match action {
        StandardsAction::List => {
            for s in anbiao_store::standards::list(db).await? {
                println!(
                    "{}@{}\t{}\t{}\t{}{}",
                    s.id,
                    s.version,
                    s.effective_from,
                    s.grades,
                    s.title,
                    if s.sample { "（示例）" } else { "" }
                );
            }
            Ok(0)
        }
        StandardsAction::ImportMajor { file, standard } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取文件 {}", file.display()))?;
            let Some(s) = reference
                .major_hazards
                .standards
                .iter()
                .find(|s| s.id == standard)
            else {
                let ids: Vec<&str> = reference
                    .major_hazards
                    .standards
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect();
                bail!("判定标准“{standard}”不存在，应为：{}", ids.join("、"));
            };
            let rows = anbiao_sheets::major_hazards::read_major_hazard_list(&bytes)?;
            let items: Vec<_> = rows.iter().map(|(_, i)| i.clone()).collect();
            if let Err(problems) = s.check_list(&items) {
                for p in problems.iter().take(20) {
                    eprintln!("  {p}");
                }
                bail!("{} 的条款清单有 {} 处问题，未导入", s.title, problems.len());
            }
            let n = anbiao_store::hazards::import_items(db, &cli_actor(), &s.id, &items).await?;
            eprintln!("已导入《{}》条款 {n} 条", s.title);
            Ok(0)
        }
        StandardsAction::Import {
            file,
            id,
            version,
            title,
            grades,
            standard,
            effective_from,
            industry,
            source,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取文件 {}", file.display()))?;
            let categories = anbiao_sheets::scoring::read_scoring_sheet(&bytes)?;
            let grades = grades
                .split([',', '，'])
                .map(|g| {
                    anbiao_domain::Grade::parse(g).ok_or_else(|| anyhow!("无法识别的等级“{g}”"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(code) = &industry
                && reference.industries.get(code).is_none()
            {
                bail!("行业代号“{code}”不存在");
            }
            let (trees, _) = anbiao_domain::standard::shipped()?;
            if !trees.iter().any(|t| t.id == standard) {
                let ids: Vec<&str> = trees.iter().map(|t| t.id.as_str()).collect();
                bail!("标准“{standard}”不存在，应为：{}", ids.join("、"));
            }
            let sheet = anbiao_domain::standard::ScoringSheet {
                id,
                version,
                title,
                sample: false,
                standard,
                industry,
                grades,
                effective_from,
                effective_to: None,
                source: if source.is_empty() {
                    format!("{}", file.display())
                } else {
                    source
                },
                categories,
            };
            sheet.validate().map_err(|m| anyhow!(m))?;
            let created = anbiao_store::standards::save(db, &cli_actor(), &sheet).await?;
            eprintln!(
                "{}评分细则 {}：{} 个类目、{} 项，满分 {}",
                if created {
                    "已载入"
                } else {
                    "已存在相同的"
                },
                sheet.rule_ref(),
                sheet.categories.len(),
                sheet.items().count(),
                sheet.full()
            );
            Ok(0)
        }
    }
}

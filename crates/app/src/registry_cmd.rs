//! The registry on the command line: importing a roster, exporting the registry.

use std::path::Path;

use anbiao_actions::exports::{self, EnterpriseQuery};
use anbiao_actions::imports::{self as services, ImportError};
use anbiao_actions::{Actor, Ctx};
use anbiao_domain::Role;
use anbiao_domain::{ReferenceData, Scope};
use anbiao_store::import::ImportOptions;
use anyhow::{Context, anyhow};

use crate::commands::{open, progress};

/// `anbiao import enterprises FILE`: 0 when nothing was rejected, 2 when some rows were, 1 when
/// the file cannot be read at all.
pub async fn import(
    cli_db: &str,
    reference: &ReferenceData,
    file: &Path,
    all_or_nothing: bool,
    json: bool,
) -> anyhow::Result<i32> {
    // With --json a script reads stdout: a refusal is a JSON object there too.
    let refuse = |message: String| -> anyhow::Result<i32> {
        eprintln!("错误：{message}");
        if json {
            println!("{}", serde_json::json!({ "error": message }));
        }
        Ok(1)
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => return refuse(format!("无法读取文件 {}：{e}", file.display())),
    };
    let db = open(cli_db, reference).await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // Reading the file first (its rows are counted there), then writing them.
    let pb = progress(0, "读取文件");
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let pb2 = pb.clone();
    let res = services::import_roster(
        &db,
        reference,
        &anbiao_actions::Actor::on_behalf(
            anbiao_domain::Role::CityOfficer,
            Scope::City,
            "cli",
            &format!("import:{name}"),
        ),
        bytes,
        ImportOptions { all_or_nothing },
        anbiao_actions::today(),
        &move |done, total| {
            if pb2.length() != Some(total) {
                pb2.set_length(total);
                pb2.set_message("写入企业");
                pb2.reset_eta();
            }
            pb2.set_position(done);
        },
    )
    .await;
    pb.finish_and_clear();
    db.close().await;
    let report = match res {
        Ok(r) => r,
        Err(ImportError::Sheet(e)) => return refuse(format!("{}：{e}", file.display())),
        Err(ImportError::Action(e)) => return Err(anyhow!(e)),
    };
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        if !report.outcome.committed {
            println!(
                "有 {} 行被拒绝，按 --all-or-nothing 未写入任何数据。",
                report.outcome.rejected.len()
            );
        } else {
            println!(
                "新增 {} 家，更新 {} 家，拒绝 {} 行。",
                report.outcome.imported,
                report.outcome.updated,
                report.outcome.rejected.len()
            );
        }
        for r in &report.outcome.rejected {
            println!("  第{}行 [{}] {}", r.row, r.column, r.reason);
        }
        if !report.unknown_columns.is_empty() {
            println!(
                "未识别的列（已忽略）：{}",
                report.unknown_columns.join("、")
            );
        }
    }
    Ok(if report.outcome.rejected.is_empty() {
        0
    } else {
        2
    })
}

/// `anbiao export enterprises -o FILE.xlsx`: the registry (filtered) as a workbook.
pub async fn export(
    cli_db: &str,
    reference: &ReferenceData,
    output: &Path,
    query: &EnterpriseQuery<'_>,
) -> anyhow::Result<i32> {
    let on = anbiao_actions::today();
    let filter = exports::filter(reference, on, query).map_err(|e| anyhow!(e.to_string()))?;
    let db = open(cli_db, reference).await?;
    let actor = Actor::on_behalf(Role::CityOfficer, Scope::City, "cli", "export");
    let book = Ctx {
        db: &db,
        reference,
        actor: &actor,
        on,
    }
    .export_enterprises(&filter, "命令行")
    .await;
    db.close().await;
    let book = book.map_err(|e| anyhow!(e.to_string()))?;
    std::fs::write(output, book.bytes).with_context(|| format!("无法写入 {}", output.display()))?;
    eprintln!("已导出 {} 家企业到 {}", book.rows, output.display());
    Ok(0)
}

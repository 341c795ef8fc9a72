//! Loading the reference data: the files built into the binary, or a directory that replaces them.

use std::path::Path;

use anbiao_domain::ReferenceData;
use anbiao_domain::reference::{Texts, embedded};
use anyhow::Context;

pub fn load(dir: Option<&Path>) -> anyhow::Result<ReferenceData> {
    let Some(dir) = dir else {
        return Ok(ReferenceData::embedded()?);
    };
    // A mistyped directory must not quietly mean "the built-in rules".
    if !dir.is_dir() {
        anyhow::bail!("参考数据目录 {} 不存在或不是目录", dir.display());
    }
    let read = |name: &str, fallback: &str| -> anyhow::Result<String> {
        let p = dir.join(name);
        if p.exists() {
            std::fs::read_to_string(&p)
                .with_context(|| format!("无法读取参考数据文件 {}", p.display()))
        } else {
            Ok(fallback.to_string())
        }
    };
    // A `programmes/` folder replaces the shipped programmes as a whole.
    let folder = dir.join("programmes");
    let programmes: Vec<(String, String)> = if folder.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .with_context(|| format!("无法读取方案目录 {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                std::fs::read_to_string(p)
                    .map(|t| (name, t))
                    .with_context(|| format!("无法读取方案文件 {}", p.display()))
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        anbiao_domain::programme::embedded::ALL
            .iter()
            .map(|(f, t)| (f.to_string(), t.to_string()))
            .collect()
    };
    let programme_refs: Vec<(&str, &str)> = programmes
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let (regions, industries, size_rules) = (
        read("regions.toml", embedded::REGIONS)?,
        read("industries.toml", embedded::INDUSTRIES)?,
        read("size_rules.toml", embedded::SIZE_RULES)?,
    );
    let (grading, quality, inspection, violations) = (
        read("grading.toml", embedded::GRADING)?,
        read("quality.toml", embedded::QUALITY)?,
        read("inspection.toml", embedded::INSPECTION)?,
        read("violations.toml", embedded::VIOLATIONS)?,
    );
    let (checklist, major_hazards, authority, risk) = (
        read("checklist.toml", embedded::CHECKLIST)?,
        read("major_hazards.toml", embedded::MAJOR_HAZARDS)?,
        read("authority.toml", embedded::AUTHORITY)?,
        read("risk.toml", embedded::RISK)?,
    );
    let obligations = read("obligations.toml", embedded::OBLIGATIONS)?;
    let outreach = read("outreach.toml", embedded::OUTREACH)?;
    let consequences = read("consequences.toml", embedded::CONSEQUENCES)?;
    Ok(ReferenceData::parse(
        Texts {
            regions: &regions,
            industries: &industries,
            size_rules: &size_rules,
            grading: &grading,
            quality: &quality,
            inspection: &inspection,
            violations: &violations,
            checklist: &checklist,
            major_hazards: &major_hazards,
            authority: &authority,
            risk: &risk,
            obligations: &obligations,
            outreach: &outreach,
            consequences: &consequences,
        },
        &programme_refs,
    )?)
}

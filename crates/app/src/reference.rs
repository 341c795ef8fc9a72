//! Loading the reference data: the files built into the binary, or a directory that replaces them.

use std::path::Path;

use anbiao_domain::ReferenceData;
use anbiao_domain::reference::embedded;
use anyhow::Context;

pub fn load(dir: Option<&Path>) -> anyhow::Result<ReferenceData> {
    let Some(dir) = dir else {
        return Ok(ReferenceData::embedded()?);
    };
    let read = |name: &str, fallback: &str| -> anyhow::Result<String> {
        let p = dir.join(name);
        if p.exists() {
            std::fs::read_to_string(&p)
                .with_context(|| format!("无法读取参考数据文件 {}", p.display()))
        } else {
            Ok(fallback.to_string())
        }
    };
    Ok(ReferenceData::parse(
        &read("regions.toml", embedded::REGIONS)?,
        &read("industries.toml", embedded::INDUSTRIES)?,
        &read("size_rules.toml", embedded::SIZE_RULES)?,
        &read("grading.toml", embedded::GRADING)?,
        &read("quality.toml", embedded::QUALITY)?,
    )?)
}

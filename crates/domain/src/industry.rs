//! The eight 工贸 industries, as data.

use std::collections::HashSet;

use serde::Deserialize;

use crate::reference::ReferenceError;
use crate::text::squeeze;

#[derive(Debug, Clone, Deserialize)]
pub struct Industry {
    /// Two-letter code used in certificate numbers (YJ, YS, JC, JX, QG, FZ, YC, SM).
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Which row of the size rules applies.
    pub size_sector: String,
}

#[derive(Deserialize)]
struct RawFile {
    meta: Meta,
    industry: Vec<Industry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    pub id: String,
    pub version: u32,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct IndustryBook {
    pub meta: Meta,
    industries: Vec<Industry>,
}

impl IndustryBook {
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let file = "industries";
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| ReferenceError::new(file, format!("无法解析：{e}")))?;
        let mut seen = HashSet::new();
        for i in &raw.industry {
            if i.code.len() != 2 || !i.code.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(ReferenceError::new(
                    file,
                    format!("行业代码“{}”应为两位大写字母", i.code),
                ));
            }
            for n in std::iter::once(&i.code)
                .chain(std::iter::once(&i.name))
                .chain(&i.aliases)
            {
                if !seen.insert(squeeze(n)) {
                    return Err(ReferenceError::new(
                        file,
                        format!("行业名称或代码“{n}”重复"),
                    ));
                }
            }
        }
        Ok(Self {
            meta: raw.meta,
            industries: raw.industry,
        })
    }

    pub fn all(&self) -> &[Industry] {
        &self.industries
    }

    pub fn get(&self, code: &str) -> Option<&Industry> {
        self.industries.iter().find(|i| i.code == code)
    }

    /// Resolves 机械, 机械行业, JX, jx … to the industry.
    pub fn resolve(&self, text: &str) -> Option<&Industry> {
        let key = squeeze(text);
        if key.is_empty() {
            return None;
        }
        let upper = key.to_uppercase();
        let stripped = key
            .strip_suffix("行业")
            .or_else(|| key.strip_suffix("业"))
            .unwrap_or(&key);
        self.industries.iter().find(|i| {
            i.code == upper
                || squeeze(&i.name) == key
                || squeeze(&i.name) == stripped
                || i.aliases.iter().any(|a| squeeze(a) == key)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industries_resolve_with_or_without_hangye() {
        let b = IndustryBook::from_toml(include_str!("../../../data/reference/industries.toml"))
            .expect("valid");
        let codes: Vec<&str> = b.all().iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, ["YJ", "YS", "JC", "JX", "QG", "FZ", "YC", "SM"]);
        for (text, code) in [
            ("机械", "JX"),
            ("机械行业", "JX"),
            ("jx", "JX"),
            (" 纺织行业 ", "FZ"),
            ("商贸", "SM"),
            ("烟草行业", "YC"),
        ] {
            assert_eq!(
                b.resolve(text).map(|i| i.code.as_str()),
                Some(code),
                "{text}"
            );
        }
        assert!(b.resolve("化工").is_none());
        assert!(b.resolve("").is_none());
    }
}

//! Supervising regions (监管属地): the plan's units, with validity dates and successors.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use time::Date;

use crate::date::{Validity, parse_date};
use crate::reference::ReferenceError;
use crate::text::squeeze;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    County,
    District,
    Zone,
}

impl RegionKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::County => "县（市）",
            Self::District => "区",
            Self::Zone => "功能区",
        }
    }
}

/// One version of a supervising unit.
#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// The plan's short name; stable across versions (海安县 and 海安市 are both 海安).
    pub unit: String,
    pub kind: RegionKind,
    pub code_kind: String,
    pub validity: Validity,
    pub successor: Option<String>,
    pub aliases: Vec<String>,
    pub confidence: String,
}

impl Region {
    pub fn is_valid_on(&self, d: Date) -> bool {
        self.validity.contains(d)
    }
}

#[derive(Deserialize)]
struct RawFile {
    meta: RawMeta,
    region: Vec<RawRegion>,
}

#[derive(Deserialize)]
struct RawMeta {
    id: String,
    version: u32,
    city_code: String,
    city_name: String,
    source: String,
}

#[derive(Deserialize)]
struct RawRegion {
    code: String,
    name: String,
    unit: String,
    kind: String,
    code_kind: String,
    valid_from: Option<String>,
    valid_to: Option<String>,
    successor: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    confidence: String,
}

/// All regions of a city, validated: unique codes, existing successors, contiguous validity,
/// and no name that means two different units on the same day.
#[derive(Debug, Clone)]
pub struct RegionBook {
    pub id: String,
    pub version: u32,
    pub city_code: String,
    pub city_name: String,
    pub source: String,
    regions: Vec<Region>,
}

impl RegionBook {
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let file = "regions";
        let raw: RawFile = toml::from_str(text)
            .map_err(|e| ReferenceError::new(file, format!("无法解析：{e}")))?;
        let mut regions = Vec::with_capacity(raw.region.len());
        for r in raw.region {
            let bad = |msg: String| ReferenceError::new(file, format!("地区 {}：{msg}", r.code));
            let kind = match r.kind.as_str() {
                "county" => RegionKind::County,
                "district" => RegionKind::District,
                "zone" => RegionKind::Zone,
                other => return Err(bad(format!("未知类型“{other}”"))),
            };
            let date = |v: &Option<String>| -> Result<Option<Date>, ReferenceError> {
                v.as_deref()
                    .map(|s| {
                        parse_date(s).ok_or_else(|| bad(format!("日期“{s}”格式应为 YYYY-MM-DD")))
                    })
                    .transpose()
            };
            let validity = Validity {
                from: date(&r.valid_from)?,
                to: date(&r.valid_to)?,
            };
            if let (Some(f), Some(t)) = (validity.from, validity.to)
                && f >= t
            {
                return Err(bad("有效期起始日期不早于截止日期".into()));
            }
            if r.code.trim().is_empty() || r.name.trim().is_empty() || r.unit.trim().is_empty() {
                return Err(bad("代码、名称和单位简称不能为空".into()));
            }
            regions.push(Region {
                code: r.code,
                name: r.name,
                unit: r.unit,
                kind,
                code_kind: r.code_kind,
                validity,
                successor: r.successor,
                aliases: r.aliases,
                confidence: r.confidence,
            });
        }
        let book = Self {
            id: raw.meta.id,
            version: raw.meta.version,
            city_code: raw.meta.city_code,
            city_name: raw.meta.city_name,
            source: raw.meta.source,
            regions,
        };
        book.validate()?;
        Ok(book)
    }

    fn validate(&self) -> Result<(), ReferenceError> {
        let file = "regions";
        let mut codes = HashSet::new();
        for r in &self.regions {
            if !codes.insert(r.code.as_str()) {
                return Err(ReferenceError::new(
                    file,
                    format!("地区代码 {} 重复", r.code),
                ));
            }
        }
        for r in &self.regions {
            if let Some(s) = &r.successor {
                let Some(next) = self.get(s) else {
                    return Err(ReferenceError::new(
                        file,
                        format!("地区 {} 的承继地区 {s} 不存在", r.code),
                    ));
                };
                if r.validity.to.is_none() || r.validity.to != next.validity.from {
                    return Err(ReferenceError::new(
                        file,
                        format!("地区 {} 的截止日期应等于承继地区 {s} 的起始日期", r.code),
                    ));
                }
            } else if r.validity.to.is_some() {
                return Err(ReferenceError::new(
                    file,
                    format!("地区 {} 已撤销但未指明承继地区", r.code),
                ));
            }
        }
        // A name must not point at two units that are valid on the same day.
        let mut by_name: BTreeMap<String, Vec<&Region>> = BTreeMap::new();
        for r in &self.regions {
            for n in r.names() {
                by_name.entry(squeeze(n)).or_default().push(r);
            }
        }
        for (name, rs) in &by_name {
            for (i, a) in rs.iter().enumerate() {
                for b in &rs[i + 1..] {
                    if a.code != b.code && a.unit != b.unit && a.validity.overlaps(&b.validity) {
                        return Err(ReferenceError::new(
                            file,
                            format!("名称“{name}”同时指向 {} 和 {}", a.code, b.code),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn all(&self) -> &[Region] {
        &self.regions
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    /// Regions valid on the date, in file order (the plan's order).
    pub fn valid_on(&self, d: Date) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(move |r| r.is_valid_on(d))
    }

    /// Follows successors until the version valid on `d`, if any.
    pub fn current_version(&self, code: &str, d: Date) -> Option<&Region> {
        let mut r = self.get(code)?;
        for _ in 0..self.regions.len() {
            if r.is_valid_on(d) {
                return Some(r);
            }
            match &r.successor {
                Some(s) if r.validity.to.is_some_and(|t| t <= d) => r = self.get(s)?,
                _ => return None,
            }
        }
        None
    }

    /// Resolves a name or code as people write it (海安县, 海安市, 海安, 苏通园区, 320685 …)
    /// to the region valid on `d`.
    pub fn resolve(&self, text: &str, d: Date) -> Option<&Region> {
        let key = squeeze(text);
        if key.is_empty() {
            return None;
        }
        let key_stripped = key.strip_prefix("南通市").unwrap_or(&key);
        let mut found: Option<&Region> = None;
        for r in &self.regions {
            let hit = r.code == key
                || r.names().any(|n| {
                    let n = squeeze(n);
                    n == key || n == key_stripped
                });
            if !hit {
                continue;
            }
            if let Some(v) = self.current_version(&r.code, d) {
                match found {
                    Some(f) if f.code != v.code => return None,
                    _ => found = Some(v),
                }
            }
        }
        found
    }

    /// The supervising units in the book's (administrative) order, each once.
    pub fn units(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.regions {
            if !out.contains(&r.unit.as_str()) {
                out.push(&r.unit);
            }
        }
        out
    }

    /// Where a unit comes in the administrative order (units the book does not know last).
    pub fn unit_rank(&self, unit: &str) -> usize {
        self.units()
            .iter()
            .position(|u| *u == unit)
            .unwrap_or(usize::MAX)
    }

    /// A unit's name as it was on `d`: the name of its region in force that day (海安县 before
    /// 2018-02-08, 海安市 from then), else of its latest version; the short name itself for a
    /// unit the book does not know. Every page names units through this one function.
    pub fn unit_name(&self, unit: &str, d: Date) -> String {
        let versions = || self.regions.iter().filter(|r| r.unit == unit);
        versions()
            .find(|r| r.is_valid_on(d) && r.kind != RegionKind::Zone)
            .or_else(|| versions().find(|r| r.is_valid_on(d)))
            .or_else(|| versions().max_by_key(|r| r.validity.from))
            .map(|r| r.name.clone())
            .unwrap_or_else(|| unit.to_string())
    }

    /// The code and every earlier code that leads to it through successors: what a district
    /// officer of `code` supervises, whatever version an enterprise was recorded under.
    pub fn lineage(&self, code: &str) -> Vec<String> {
        let mut out = vec![code.to_string()];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i].clone();
            for r in &self.regions {
                if r.successor.as_deref() == Some(cur.as_str()) && !out.contains(&r.code) {
                    out.push(r.code.clone());
                }
            }
            i += 1;
        }
        out
    }
}

impl Region {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .chain(std::iter::once(self.unit.as_str()))
            .chain(self.aliases.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn book() -> RegionBook {
        RegionBook::from_toml(include_str!("../../../data/reference/regions.toml"))
            .expect("valid file")
    }

    #[test]
    fn a_unit_is_named_as_it_was_on_the_day_and_listed_in_the_plans_order() {
        let b = book();
        assert_eq!(b.unit_name("海安", date!(2018 - 01 - 31)), "海安县");
        assert_eq!(b.unit_name("海安", date!(2018 - 02 - 08)), "海安市");
        assert_eq!(b.unit_name("海门", date!(2019 - 06 - 30)), "海门市");
        assert_eq!(b.unit_name("海门", date!(2026 - 12 - 07)), "海门区");
        assert_eq!(
            b.unit_name("港闸", date!(2026 - 12 - 07)),
            "港闸区",
            "a unit merged away keeps its last name"
        );
        assert_eq!(b.unit_name("不存在", date!(2026 - 12 - 07)), "不存在");
        assert_eq!(&b.units()[..4], ["海安", "如皋", "如东", "启东"]);
        assert!(b.unit_rank("如皋") < b.unit_rank("启东"));
        assert!(
            b.unit_rank("启东") < b.unit_rank("崇川"),
            "not code-point order"
        );
        assert_eq!(b.unit_rank("不存在"), usize::MAX);
    }

    #[test]
    fn the_plans_eleven_units_in_2018() {
        let b = book();
        let units: Vec<&str> = b
            .valid_on(date!(2018 - 07 - 04))
            .map(|r| r.unit.as_str())
            .collect();
        assert_eq!(
            units,
            [
                "海安",
                "如皋",
                "如东",
                "启东",
                "海门",
                "通州",
                "崇川",
                "港闸",
                "开发区",
                "苏通园区",
                "通州湾示范区"
            ]
        );
        assert_eq!(b.valid_on(date!(2021 - 01 - 01)).count(), 10);
    }

    #[test]
    fn names_as_people_write_them() {
        let b = book();
        let today = date!(2026 - 11 - 29);
        for name in ["海安县", "海安市", "海安", " 南通市海安市 "] {
            assert_eq!(
                b.resolve(name, today).map(|r| r.code.as_str()),
                Some("320685"),
                "{name}"
            );
        }
        assert_eq!(
            b.resolve("海安县", date!(2018 - 01 - 01))
                .map(|r| r.code.as_str()),
            Some("320621")
        );
        for name in ["南通经济技术开发区", "开发区"] {
            assert_eq!(
                b.resolve(name, today).map(|r| r.code.as_str()),
                Some("320671")
            );
        }
        for name in ["苏通科技产业园区", "苏通园区"] {
            assert_eq!(
                b.resolve(name, today).map(|r| r.code.as_str()),
                Some("3206X1")
            );
        }
        for name in ["通州湾示范区", "通州湾"] {
            assert_eq!(
                b.resolve(name, today).map(|r| r.code.as_str()),
                Some("3206X2")
            );
        }
        assert_eq!(
            b.resolve("通州区", today).map(|r| r.code.as_str()),
            Some("320612")
        );
        assert_eq!(
            b.resolve("港闸区", date!(2019 - 01 - 01))
                .map(|r| r.code.as_str()),
            Some("320611")
        );
        assert_eq!(
            b.resolve("港闸区", today).map(|r| r.code.as_str()),
            Some("320613")
        );
        assert_eq!(
            b.resolve("崇川区", date!(2019 - 01 - 01))
                .map(|r| r.code.as_str()),
            Some("320602")
        );
        assert_eq!(
            b.resolve("海门", today).map(|r| r.code.as_str()),
            Some("320614")
        );
        assert_eq!(
            b.resolve("320684", today).map(|r| r.code.as_str()),
            Some("320614")
        );
        assert!(b.resolve("苏州", today).is_none());
        assert!(b.resolve("", today).is_none());
    }

    #[test]
    fn lineage_includes_merged_predecessors() {
        let b = book();
        let mut l = b.lineage("320613");
        l.sort();
        assert_eq!(l, ["320602", "320611", "320613"]);
        assert_eq!(b.lineage("320623"), ["320623"]);
    }

    #[test]
    fn broken_files_are_refused() {
        let dup = r#"
[meta]
id = "x"
version = 1
city_code = "1"
city_name = "c"
source = "s"
[[region]]
code = "1"
name = "甲"
unit = "甲"
kind = "county"
code_kind = "local"
[[region]]
code = "1"
name = "乙"
unit = "乙"
kind = "county"
code_kind = "local"
"#;
        let e = RegionBook::from_toml(dup).expect_err("duplicate");
        assert!(e.to_string().contains("重复"), "{e}");
        let dangling = dup
            .replace("code = \"1\"\nname = \"乙\"", "code = \"2\"\nname = \"乙\"")
            .replace(
                "code_kind = \"local\"\n[[region]]",
                "code_kind = \"local\"\nvalid_to = \"2020-01-01\"\nsuccessor = \"9\"\n[[region]]",
            );
        let e = RegionBook::from_toml(&dangling).expect_err("dangling successor");
        assert!(e.to_string().contains("不存在"), "{e}");
        assert!(RegionBook::from_toml("not toml [").is_err());
    }
}

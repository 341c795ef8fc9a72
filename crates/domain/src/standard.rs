//! Standards as data: element trees (GB/T 33000-2016's 8 first-level and 28 second-level
//! elements; AQ/T 9006-2010's 13) and scoring sheets (评分细则): categories of items, each with
//! points, a scoring method and a veto flag. Sheets are versioned; an assessment keeps the
//! `id@version` it was scored on.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use time::Date;

use crate::date::parse_date;
use crate::grade::Grade;
use crate::reference::ReferenceError;

/// Points in tenths, so half points add up exactly. `Points(45)` is 4.5 points.
/// Written and read as a number of points (4.5), held in tenths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(pub i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub fn from_f64(v: f64) -> Option<Points> {
        if !v.is_finite() || !(0.0..=1.0e9).contains(&v) {
            return None;
        }
        let tenths = (v * 10.0).round();
        ((tenths / 10.0 - v).abs() < 1e-6).then_some(Points(tenths as i64))
    }

    /// Parses "4", "4.5", "４．５" (full width), refusing negatives and hundredths.
    pub fn parse(s: &str) -> Option<Points> {
        let s = crate::text::clean(s);
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        s.parse::<f64>().ok().and_then(Points::from_f64)
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 10.0
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 10 == 0 {
            write!(f, "{}", self.0 / 10)
        } else {
            write!(f, "{}.{}", self.0 / 10, (self.0 % 10).abs())
        }
    }
}

impl Serialize for Points {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Points::from_f64(v)
            .ok_or_else(|| serde::de::Error::custom(format!("分值 {v} 无效（非负，最多一位小数）")))
    }
}

/// One node of an element tree.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Element {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub confidence: Option<String>,
    #[serde(default)]
    pub children: Vec<Element>,
}

/// An element tree of a standard.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ElementTree {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub source: String,
    pub confidence: String,
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
    pub elements: Vec<Element>,
}

impl ElementTree {
    pub fn from_toml(text: &str, file: &str) -> Result<Self, ReferenceError> {
        let t: ElementTree =
            toml::from_str(text).map_err(|e| ReferenceError::new(file, e.to_string()))?;
        let mut seen = HashSet::new();
        let mut stack: Vec<&Element> = t.elements.iter().collect();
        while let Some(e) = stack.pop() {
            if !seen.insert(e.code.as_str()) {
                return Err(ReferenceError::new(
                    file,
                    format!("要素编号 {} 重复", e.code),
                ));
            }
            stack.extend(e.children.iter());
        }
        parse_date(&t.effective_from)
            .ok_or_else(|| ReferenceError::new(file, "effective_from 不是日期".into()))?;
        Ok(t)
    }

    /// The number of elements at each depth (first level, second level, …).
    pub fn shape(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut level: Vec<&Element> = self.elements.iter().collect();
        while !level.is_empty() {
            out.push(level.len());
            level = level.iter().flat_map(|e| e.children.iter()).collect();
        }
        out
    }

    pub fn find(&self, code: &str) -> Option<&Element> {
        let mut stack: Vec<&Element> = self.elements.iter().collect();
        while let Some(e) = stack.pop() {
            if e.code == code {
                return Some(e);
            }
            stack.extend(e.children.iter());
        }
        None
    }
}

/// One scored item (考评内容) of a sheet.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct SheetItem {
    pub code: String,
    /// What is assessed (考评内容).
    pub content: String,
    pub points: Points,
    /// How points are deducted (评分方式).
    #[serde(default)]
    pub method: String,
    /// A failed veto item (否决项) fails the assessment whatever the score.
    #[serde(default)]
    pub veto: bool,
    /// The element of the standard's tree this item belongs to.
    #[serde(default)]
    pub element: Option<String>,
}

/// A category (考评类目) of a sheet.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub element: Option<String>,
    pub items: Vec<SheetItem>,
}

impl Category {
    pub fn full(&self) -> Points {
        Points(self.items.iter().map(|i| i.points.0).sum())
    }
}

/// A scoring sheet (评分细则), versioned.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ScoringSheet {
    pub id: String,
    pub version: u32,
    pub title: String,
    /// A sample built for demonstration, not an official sheet (shown as 示例).
    #[serde(default)]
    pub sample: bool,
    /// The element tree the sheet is written against.
    pub standard: String,
    /// Industry code (YJ…SM) when the sheet is an industry's; none for a general sheet.
    #[serde(default)]
    pub industry: Option<String>,
    /// Which grades it assesses.
    pub grades: Vec<Grade>,
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
    pub source: String,
    pub categories: Vec<Category>,
}

impl ScoringSheet {
    pub fn rule_ref(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    pub fn full(&self) -> Points {
        Points(self.categories.iter().map(|c| c.full().0).sum())
    }

    pub fn items(&self) -> impl Iterator<Item = (&Category, &SheetItem)> {
        self.categories
            .iter()
            .flat_map(|c| c.items.iter().map(move |i| (c, i)))
    }

    pub fn item(&self, code: &str) -> Option<&SheetItem> {
        self.items().map(|(_, i)| i).find(|i| i.code == code)
    }

    pub fn effective_from(&self) -> Option<Date> {
        parse_date(&self.effective_from)
    }

    pub fn from_toml(text: &str, file: &str) -> Result<Self, ReferenceError> {
        let s: ScoringSheet =
            toml::from_str(text).map_err(|e| ReferenceError::new(file, e.to_string()))?;
        s.validate().map_err(|m| ReferenceError::new(file, m))?;
        Ok(s)
    }

    /// Checks a sheet read from a file or a spreadsheet; the error is for the user.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.title.trim().is_empty() {
            return Err("评分细则须有编号和名称".into());
        }
        if self.version == 0 {
            return Err("版本号须为正整数".into());
        }
        if self.grades.is_empty() {
            return Err("须注明适用的等级".into());
        }
        if parse_date(&self.effective_from).is_none() {
            return Err(format!("生效日期“{}”无法识别", self.effective_from));
        }
        if self.categories.is_empty() {
            return Err("评分细则没有考评类目".into());
        }
        let mut codes = HashSet::new();
        for c in &self.categories {
            if !codes.insert(c.code.as_str()) {
                return Err(format!("类目编号 {} 重复", c.code));
            }
            if c.items.is_empty() {
                return Err(format!("类目“{}”没有考评内容", c.name));
            }
            for i in &c.items {
                if !codes.insert(i.code.as_str()) {
                    return Err(format!("考评内容编号 {} 重复", i.code));
                }
                if i.points.0 <= 0 {
                    return Err(format!("考评内容 {} 的分值须大于0", i.code));
                }
                if i.content.trim().is_empty() {
                    return Err(format!("考评内容 {} 没有内容", i.code));
                }
            }
        }
        Ok(())
    }
}

/// The shipped standards: element trees and sheets.
pub mod embedded {
    pub const GBT33000_2016: &str = include_str!("../../../data/standards/gbt33000-2016.toml");
    pub const AQT9006_2010: &str = include_str!("../../../data/standards/aqt9006-2010.toml");
    pub const SAMPLE_SHEET: &str =
        include_str!("../../../data/standards/sheets/sample-gbt33000.toml");
    pub const SMALL_MICRO_SHEET: &str =
        include_str!("../../../data/standards/sheets/small-micro-2014.toml");
}

/// The element trees and sheets shipped with the binary.
/// The element tree in force on `on`: the latest to have taken effect and not yet ended
/// (GB/T 33000-2016 from 2017-04-01, AQ/T 9006-2010 before).
pub fn tree_on(trees: &[ElementTree], on: time::Date) -> Option<&ElementTree> {
    trees
        .iter()
        .filter(|t| {
            parse_date(&t.effective_from).is_some_and(|f| f <= on)
                && t.effective_to
                    .as_deref()
                    .and_then(parse_date)
                    .is_none_or(|to| on <= to)
        })
        .max_by_key(|t| parse_date(&t.effective_from))
}

pub fn shipped() -> Result<(Vec<ElementTree>, Vec<ScoringSheet>), ReferenceError> {
    let trees = vec![
        ElementTree::from_toml(embedded::GBT33000_2016, "gbt33000-2016.toml")?,
        ElementTree::from_toml(embedded::AQT9006_2010, "aqt9006-2010.toml")?,
    ];
    let sheets = vec![
        ScoringSheet::from_toml(embedded::SAMPLE_SHEET, "sample-gbt33000.toml")?,
        ScoringSheet::from_toml(embedded::SMALL_MICRO_SHEET, "small-micro-2014.toml")?,
    ];
    for s in &sheets {
        let tree = trees
            .iter()
            .find(|t| t.id == s.standard)
            .ok_or_else(|| ReferenceError::new(&s.id, format!("标准 {} 不存在", s.standard)))?;
        for (c, i) in s.items() {
            for e in [&c.element, &i.element].into_iter().flatten() {
                if tree.find(e).is_none() {
                    return Err(ReferenceError::new(
                        &s.id,
                        format!("要素 {e} 不在标准 {} 中", tree.id),
                    ));
                }
            }
        }
    }
    Ok((trees, sheets))
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_tree_in_force_follows_the_dates() {
        let (trees, _) = shipped().expect("shipped");
        let on = |y, m, d| {
            tree_on(
                &trees,
                time::Date::from_calendar_date(y, time::Month::try_from(m).expect("m"), d)
                    .expect("date"),
            )
            .map(|t| t.id.as_str())
        };
        assert_eq!(on(2017, 3, 31), Some("AQ/T 9006-2010"));
        assert_eq!(on(2017, 4, 1), Some("GB/T 33000-2016"));
        assert_eq!(on(2010, 1, 1), None);
    }

    use super::*;

    #[test]
    fn points_parse_and_print() {
        assert_eq!(Points::parse("4.5"), Some(Points(45)));
        assert_eq!(Points::parse("４"), Some(Points(40)));
        assert_eq!(Points::parse("-1"), None);
        assert_eq!(Points::parse("1.25"), None);
        assert_eq!(Points::parse("abc"), None);
        assert_eq!(Points(45).to_string(), "4.5");
        assert_eq!(Points(40).to_string(), "4");
        let json = serde_json::to_string(&Points(45)).expect("json");
        assert_eq!(json, "4.5");
        assert_eq!(
            serde_json::from_str::<Points>(&json).expect("back"),
            Points(45)
        );
    }

    #[test]
    fn shipped_trees_and_sheets() {
        let (trees, sheets) = shipped().expect("valid");
        let gbt = trees
            .iter()
            .find(|t| t.id == "GB/T 33000-2016")
            .expect("gbt");
        assert_eq!(&gbt.shape()[..2], &[8, 28]);
        let aqt = trees
            .iter()
            .find(|t| t.id == "AQ/T 9006-2010")
            .expect("aqt");
        assert_eq!(aqt.shape()[0], 13);
        let sample = sheets
            .iter()
            .find(|s| s.sample && s.standard == gbt.id)
            .expect("sample");
        assert_eq!(sample.categories.len(), 8);
        assert!(sample.items().any(|(_, i)| i.veto));
        let small = sheets
            .iter()
            .find(|s| s.grades == [Grade::SmallMicro])
            .expect("small-micro");
        assert_eq!(small.categories.len(), 11);
        assert_eq!(small.full(), Points(1000));
    }

    #[test]
    fn bad_sheets_are_refused() {
        let (_, sheets) = shipped().expect("valid");
        let mut s = sheets[0].clone();
        s.categories[1].items[0].code = s.categories[0].items[0].code.clone();
        assert!(s.validate().unwrap_err().contains("重复"));
        let mut s = sheets[0].clone();
        s.categories[0].items[0].points = Points(0);
        assert!(s.validate().is_err());
        let mut s = sheets[0].clone();
        s.grades.clear();
        assert!(s.validate().is_err());
    }
}

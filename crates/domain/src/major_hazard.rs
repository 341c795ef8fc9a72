//! Major-accident hazard standards (重大事故隐患判定标准) for 工贸 enterprises: each version's
//! structure (how many items each class and industry or area holds), the items known so far, and
//! the check an imported full list must pass (`data/standards/major_hazards.toml`).

use std::collections::BTreeMap;

use serde::Deserialize;
use time::Date;

use crate::date::{Validity, parse_date};
use crate::reference::ReferenceError;

pub const EMBEDDED: &str = crate::reference::embedded::MAJOR_HAZARDS;

/// A group of items; `area` "*" stands for every industry or area of the class together.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub class: String,
    pub area: String,
    pub items: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub class: String,
    pub area: String,
    /// The item's number within its class and area.
    pub number: u32,
    pub text: String,
    #[serde(default = "imported")]
    pub confidence: String,
}

fn imported() -> String {
    "imported".into()
}

impl Item {
    /// A stable key within the standard: `专项类/有限空间作业相关的/2`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.class, self.area, self.number)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandard {
    id: String,
    title: String,
    document: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    confidence: String,
    group: Vec<Group>,
    #[serde(default)]
    item: Vec<Item>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    standard: Vec<RawStandard>,
}

#[derive(Debug, Clone)]
pub struct Standard {
    pub id: String,
    pub title: String,
    pub document: String,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub confidence: String,
    pub groups: Vec<Group>,
    /// The items shipped; the rest come from an import.
    pub items: Vec<Item>,
}

impl Standard {
    /// When the version applies: `[effective_from, effective_to)`.
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    /// The number of items the standard holds.
    pub fn total(&self) -> u32 {
        self.groups.iter().map(|g| g.items).sum()
    }

    /// The group an item of (class, area) belongs to.
    fn group_of(&self, class: &str, area: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.class == class && g.area == area)
            .or_else(|| {
                self.groups
                    .iter()
                    .find(|g| g.class == class && g.area == "*")
            })
    }

    /// Checks a full list of items against the structure: every item in a known class and area,
    /// numbered within its group's size, no item twice, and every group complete. Returns every
    /// problem found, in Chinese, with the row (1-based, as the list was given).
    pub fn check_list(&self, items: &[Item]) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
        for (i, it) in items.iter().enumerate() {
            let row = i + 1;
            let Some(g) = self.group_of(&it.class, &it.area) else {
                problems.push(format!(
                    "第 {row} 条：{}没有“{}”“{}”这一类",
                    self.title, it.class, it.area
                ));
                continue;
            };
            if it.text.trim().is_empty() {
                problems.push(format!("第 {row} 条：判定内容为空"));
            }
            if g.area != "*" && (it.number == 0 || it.number > g.items) {
                problems.push(format!(
                    "第 {row} 条：{}“{}”只有 {} 条，序号 {} 不在其中",
                    it.class, it.area, g.items, it.number
                ));
            }
            if let Some(first) = seen.insert(it.key(), row) {
                problems.push(format!("第 {row} 条与第 {first} 条重复（{}）", it.key()));
            }
            *counts.entry((g.class.clone(), g.area.clone())).or_default() += 1;
        }
        for g in &self.groups {
            let have = counts
                .get(&(g.class.clone(), g.area.clone()))
                .copied()
                .unwrap_or(0);
            if have != g.items {
                let area = if g.area == "*" {
                    "合计"
                } else {
                    g.area.as_str()
                };
                problems.push(format!(
                    "{}“{area}”应有 {} 条，清单中有 {have} 条",
                    g.class, g.items
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Every version.
#[derive(Debug, Clone)]
pub struct MajorHazardBook {
    pub standards: Vec<Standard>,
}

impl MajorHazardBook {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("major_hazards", m);
        let raw: RawBook = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut standards: Vec<Standard> = Vec::new();
        for s in raw.standard {
            let date = |v: &str| {
                parse_date(v).ok_or_else(|| bad(format!("{} 的日期“{v}”不是有效日期", s.id)))
            };
            let effective_from = date(&s.effective_from)?;
            let effective_to = match s.effective_to.as_deref() {
                Some(v) => Some(date(v)?),
                None => None,
            };
            if s.group.is_empty() || s.group.iter().any(|g| g.items == 0) {
                return Err(bad(format!("{} 的分类及条数不完整", s.id)));
            }
            let st = Standard {
                id: s.id,
                title: s.title,
                document: s.document,
                effective_from,
                effective_to,
                confidence: s.confidence,
                groups: s.group,
                items: s.item,
            };
            for (i, it) in st.items.iter().enumerate() {
                let ok = st
                    .group_of(&it.class, &it.area)
                    .is_some_and(|g| g.area == "*" || (1..=g.items).contains(&it.number));
                if !ok || st.items[..i].iter().any(|o| o.key() == it.key()) {
                    return Err(bad(format!(
                        "{} 的条目 {} 与分类不符或重复",
                        st.id,
                        it.key()
                    )));
                }
            }
            if standards
                .iter()
                .any(|o| o.validity().overlaps(&st.validity()))
            {
                return Err(bad(format!("{} 与其他版本的生效期间重叠", st.id)));
            }
            standards.push(st);
        }
        if standards.is_empty() {
            return Err(bad("至少需要一个版本的判定标准".into()));
        }
        Ok(Self { standards })
    }

    /// The standard in force on `d` (a hazard is judged by the standard of its day).
    pub fn in_force(&self, d: Date) -> Option<&Standard> {
        self.standards.iter().find(|s| s.validity().contains(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn item(class: &str, area: &str, number: u32) -> Item {
        Item {
            class: class.into(),
            area: area.into(),
            number,
            text: format!("{class}{area}第{number}条"),
            confidence: "imported".into(),
        }
    }

    /// A complete list for a standard, numbered within each group.
    fn full(s: &Standard) -> Vec<Item> {
        s.groups
            .iter()
            .flat_map(|g| (1..=g.items).map(move |n| item(&g.class, &g.area, n)))
            .collect()
    }

    #[test]
    fn the_versions_have_the_confirmed_structure_and_follow_each_other() {
        let b = MajorHazardBook::embedded().expect("shipped");
        let old = b.in_force(date!(2018 - 09 - 01)).expect("2017 version");
        assert_eq!(old.total(), 59);
        let count = |class: &str| -> u32 {
            old.groups
                .iter()
                .filter(|g| g.class == class)
                .map(|g| g.items)
                .sum()
        };
        assert_eq!((count("专项类"), count("行业类")), (14, 45));
        let new = b.in_force(date!(2023 - 05 - 15)).expect("2023 version");
        assert_eq!(
            (new.total(), new.document.as_str()),
            (64, "应急管理部令第10号")
        );
        assert_eq!(
            b.in_force(date!(2023 - 05 - 14)).map(|s| s.id.as_str()),
            Some("major_hazard.2017")
        );
        assert!(!new.items.is_empty() && new.items.iter().all(|i| i.confidence == "confirmed"));
    }

    #[test]
    fn an_imported_list_must_match_the_structure() {
        let b = MajorHazardBook::embedded().expect("shipped");
        let s = b.in_force(date!(2019 - 01 - 01)).expect("in force");
        let good = full(s);
        assert_eq!(good.len(), 59);
        assert_eq!(s.check_list(&good), Ok(()));

        let mut bad = good.clone();
        bad.pop();
        bad.push(item("专项类", "存在粉尘爆炸危险的", 1));
        bad.push(item("行业类", "化工", 1));
        bad.push(item("行业类", "冶金", 12));
        let problems = s.check_list(&bad).expect_err("bad list");
        let all = problems.join("\n");
        assert!(all.contains("与第 1 条重复"), "{all}");
        assert!(all.contains("没有“行业类”“化工”这一类"), "{all}");
        assert!(all.contains("只有 11 条，序号 12 不在其中"), "{all}");
        assert!(all.contains("商贸”应有 1 条，清单中有 0 条"), "{all}");

        // Where only a class total is known, the total is what is checked.
        let s23 = b.in_force(date!(2024 - 01 - 01)).expect("2023");
        let mut list: Vec<Item> = (1..=3).map(|n| item("管理类", "通用", n)).collect();
        list.extend((1..=47).map(|n| item("行业类", if n <= 20 { "冶金" } else { "机械" }, n)));
        list.extend((1..=14).map(|n| item("专项类", "粉尘爆炸", n)));
        assert_eq!(s23.check_list(&list), Ok(()));
        list.pop();
        assert!(
            s23.check_list(&list)
                .expect_err("short")
                .join("")
                .contains("应有 14 条")
        );
    }

    #[test]
    fn a_bad_file_is_refused() {
        let text = EMBEDDED.replacen(
            "effective_to = \"2023-05-15\"",
            "effective_to = \"2023-06-01\"",
            1,
        );
        let e = MajorHazardBook::from_toml(&text).expect_err("overlap");
        assert!(e.to_string().contains("重叠"), "{e}");
        let text = EMBEDDED.replacen(
            "number = 2\ntext = \"未落实",
            "number = 3\ntext = \"未落实",
            1,
        );
        assert_ne!(text, EMBEDDED);
        let e = MajorHazardBook::from_toml(&text).expect_err("number outside its group");
        assert!(e.to_string().contains("与分类不符"), "{e}");
    }
}

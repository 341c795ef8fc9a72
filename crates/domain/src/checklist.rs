//! The inspection checklist (监督检查表) as versioned data (`data/rules/checklist.toml`): the
//! items an inspector checks, grouped as the plan's enforcement focus (hazardous-work permits,
//! contractors, hazardous chemicals, safety facilities), and the check a recorded inspection
//! must pass: every item answered, every finding described.

use serde::Deserialize;
use time::Date;

use crate::date::{Validity, effective_dates};
use crate::reference::ReferenceError;

pub const EMBEDDED: &str = crate::reference::embedded::CHECKLIST;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    pub group: String,
    pub text: String,
}

/// One version of the checklist.
#[derive(Debug, Clone)]
pub struct ChecklistSet {
    pub id: String,
    pub version: u32,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub source: String,
    pub items: Vec<Item>,
}

impl ChecklistSet {
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    /// `checklist@1`
    pub fn name(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    pub fn item(&self, key: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.key == key)
    }

    /// The groups in the order of the file, each with its items.
    pub fn groups(&self) -> Vec<(&str, Vec<&Item>)> {
        let mut out: Vec<(&str, Vec<&Item>)> = Vec::new();
        for i in &self.items {
            match out.iter_mut().find(|(g, _)| *g == i.group) {
                Some((_, v)) => v.push(i),
                None => out.push((i.group.as_str(), vec![i])),
            }
        }
        out
    }

    /// Checks the answers of an inspection: one per item of this version, a note for each
    /// finding. Returns the answers in the checklist's order.
    pub fn check<'a>(
        &self,
        answers: &'a [(String, Answer, String)],
    ) -> Result<Vec<&'a (String, Answer, String)>, ChecklistError> {
        for (key, _, _) in answers {
            if self.item(key).is_none() {
                return Err(ChecklistError::UnknownItem(key.clone(), self.name()));
            }
        }
        let mut out = Vec::new();
        for item in &self.items {
            let mut found = answers.iter().filter(|(k, _, _)| *k == item.key);
            let a = found
                .next()
                .ok_or_else(|| ChecklistError::Unanswered(item.text.clone()))?;
            if found.next().is_some() {
                return Err(ChecklistError::Twice(item.text.clone()));
            }
            if a.1 == Answer::Finding && a.2.trim().is_empty() {
                return Err(ChecklistError::FindingWithoutNote(item.text.clone()));
            }
            out.push(a);
        }
        Ok(out)
    }
}

/// An inspector's answer to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 符合
    Compliant,
    /// 发现问题
    Finding,
    /// 不涉及
    NotApplicable,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Self::Compliant, Self::Finding, Self::NotApplicable];

    pub fn key(self) -> &'static str {
        match self {
            Self::Compliant => "ok",
            Self::Finding => "finding",
            Self::NotApplicable => "na",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Compliant => "符合",
            Self::Finding => "发现问题",
            Self::NotApplicable => "不涉及",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistError {
    #[error("检查表 {1} 中没有条目“{0}”")]
    UnknownItem(String, String),
    #[error("检查表条目未填写：{0}")]
    Unanswered(String),
    #[error("检查表条目填写了两次：{0}")]
    Twice(String),
    #[error("发现问题的条目须写明具体情况：{0}")]
    FindingWithoutNote(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    effective_from: String,
    effective_to: Option<String>,
    source: String,
    item: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    set: Vec<RawSet>,
}

/// Every version of the checklist.
#[derive(Debug, Clone)]
pub struct Checklists {
    pub sets: Vec<ChecklistSet>,
}

impl Checklists {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("checklist", m);
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一版检查表".into()));
        }
        let mut sets: Vec<ChecklistSet> = Vec::new();
        for s in raw.set {
            let name = format!("{}@{}", s.id, s.version);
            let (effective_from, effective_to) =
                effective_dates(&name, &s.effective_from, s.effective_to.as_deref())
                    .map_err(bad)?;
            if s.item.is_empty() {
                return Err(bad(format!("{name}：没有检查条目")));
            }
            for (i, it) in s.item.iter().enumerate() {
                if s.item[..i].iter().any(|o| o.key == it.key) {
                    return Err(bad(format!("{name}：条目“{}”重复", it.key)));
                }
                if it.key.trim().is_empty()
                    || it.text.trim().is_empty()
                    || it.group.trim().is_empty()
                {
                    return Err(bad(format!(
                        "{name}：第 {} 个条目缺少编号、分组或内容",
                        i + 1
                    )));
                }
            }
            let set = ChecklistSet {
                id: s.id,
                version: s.version,
                effective_from,
                effective_to,
                source: s.source,
                items: s.item,
            };
            if let Some(o) = sets.iter().find(|o| o.validity().overlaps(&set.validity())) {
                return Err(bad(format!(
                    "{} 与 {} 的生效期间重叠",
                    set.name(),
                    o.name()
                )));
            }
            sets.push(set);
        }
        Ok(Self { sets })
    }

    pub fn in_force(&self, d: Date) -> Option<&ChecklistSet> {
        self.sets.iter().find(|s| s.validity().contains(d))
    }

    /// The version by name (`checklist@1`), to read an inspection recorded under it.
    pub fn by_name(&self, name: &str) -> Option<&ChecklistSet> {
        self.sets.iter().find(|s| s.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn answers(
        set: &ChecklistSet,
        f: impl Fn(&Item) -> (Answer, &'static str),
    ) -> Vec<(String, Answer, String)> {
        set.items
            .iter()
            .map(|i| {
                let (a, n) = f(i);
                (i.key.clone(), a, n.to_string())
            })
            .collect()
    }

    #[test]
    fn the_shipped_checklist_covers_the_plans_focus() {
        let c = Checklists::embedded().expect("shipped");
        assert!(c.in_force(date!(2018 - 07 - 03)).is_none());
        let s = c.in_force(date!(2019 - 03 - 01)).expect("in force");
        for key in [
            "confined_space",
            "lifting",
            "height",
            "hot_work",
            "contractors",
            "chemicals",
            "facilities",
        ] {
            assert!(s.item(key).is_some(), "{key}");
        }
        let groups: Vec<&str> = s.groups().into_iter().map(|(g, _)| g).collect();
        assert_eq!(groups[0], "危险作业审批");
        assert_eq!(s.groups()[0].1.len(), 4);
        assert_eq!(c.by_name("checklist@1").map(|x| x.version), Some(1));
    }

    #[test]
    fn every_item_is_answered_and_findings_described() {
        let c = Checklists::embedded().expect("shipped");
        let s = c.in_force(date!(2019 - 03 - 01)).expect("in force");
        let all_ok = answers(s, |_| (Answer::Compliant, ""));
        assert_eq!(s.check(&all_ok).map(|v| v.len()), Ok(s.items.len()));
        let mut missing = all_ok.clone();
        missing.remove(2);
        assert!(
            matches!(s.check(&missing), Err(ChecklistError::Unanswered(t)) if t.contains("登高"))
        );
        let bare = answers(s, |i| {
            if i.key == "hot_work" {
                (Answer::Finding, " ")
            } else {
                (Answer::NotApplicable, "")
            }
        });
        assert!(
            matches!(s.check(&bare), Err(ChecklistError::FindingWithoutNote(t)) if t.contains("动火"))
        );
        let mut twice = all_ok.clone();
        twice.push(("chemicals".into(), Answer::Compliant, String::new()));
        assert!(matches!(s.check(&twice), Err(ChecklistError::Twice(_))));
        let mut unknown = all_ok;
        unknown.push(("boilers".into(), Answer::Compliant, String::new()));
        assert_eq!(
            s.check(&unknown).map(|v| v.len()),
            Err(ChecklistError::UnknownItem(
                "boilers".into(),
                "checklist@1".into()
            ))
        );
    }

    #[test]
    fn broken_files_are_refused_with_the_reason() {
        let dup = EMBEDDED.replace("key = \"lifting\"", "key = \"confined_space\"");
        assert!(
            Checklists::from_toml(&dup)
                .expect_err("dup")
                .message
                .contains("重复")
        );
        let overlap = format!(
            "{EMBEDDED}\n[[set]]\nid = \"checklist\"\nversion = 2\neffective_from = \"2020-01-01\"\nsource = \"x\"\n[[set.item]]\nkey = \"a\"\ngroup = \"g\"\ntext = \"t\"\n"
        );
        assert!(
            Checklists::from_toml(&overlap)
                .expect_err("overlap")
                .message
                .contains("重叠")
        );
    }
}

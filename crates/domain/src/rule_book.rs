//! The rule book: every versioned rule set of the data files, read as they are written, so that
//! a decision's rule reference (`grading.2021@1#validity`, `violations@2#category.training`,
//! `inspection@1`) can be shown to users in words — the set's title and document, the item's
//! source, its effective dates and how sure we are of it — and opened on a page of its own.
//!
//! The typed parsers of each file decide; this only reads what they read, for people.

use toml::{Table, Value};

use crate::reference::Texts;

/// One item of a set: a table or list entry that carries its own source or a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleItem {
    /// Its place in the set: `validity`, `blocking.block.three`, `category.training`.
    pub anchor: String,
    /// Its name where the file gives one (违法行为类别、风险等级 …).
    pub name: Option<String>,
    /// The document or reasoning it rests on, in words.
    pub source: Option<String>,
    /// The confidence tag of the domain fact sheet, the set's where the item has none.
    pub confidence: Option<String>,
}

/// One version of a rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// `grading.2021@1`
    pub key: String,
    pub id: String,
    pub version: i64,
    /// The set's own title, or its file's.
    pub title: String,
    /// The documents it follows (the set's `document`, `law` or `source`).
    pub document: Option<String>,
    pub source: Option<String>,
    pub confidence: Option<String>,
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
    pub items: Vec<RuleItem>,
}

/// A rule reference resolved: the set, and the item when the reference names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation<'a> {
    pub set: &'a RuleSet,
    pub item: Option<&'a RuleItem>,
    /// The reference as recorded.
    pub reference: String,
}

impl Citation<'_> {
    /// The page that shows it (the item as the fragment).
    pub fn link(&self) -> String {
        match self.item {
            Some(i) => format!("/rules/{}#{}", self.set.key, i.anchor),
            None => format!("/rules/{}", self.set.key),
        }
    }

    /// The confidence that applies: the item's, else the set's.
    pub fn confidence(&self) -> Option<&str> {
        self.item
            .and_then(|i| i.confidence.as_deref())
            .or(self.set.confidence.as_deref())
    }

    /// Whether users are shown 待核对 beside it.
    pub fn to_be_checked(&self) -> bool {
        self.confidence().is_some_and(to_be_checked)
    }

    /// The title and the item in words: 《企业安全生产标准化建设定级办法》（第1版）：证书有效期3年…
    pub fn words(&self) -> String {
        let mut s = format!("《{}》", self.set.title);
        if let Some(i) = self.item {
            let text = i
                .source
                .as_deref()
                .or(i.name.as_deref())
                .unwrap_or(i.anchor.as_str());
            s.push('：');
            s.push_str(text);
        }
        if self.to_be_checked() {
            s.push_str("（待核对）");
        }
        s
    }
}

/// Whether a confidence tag asks users to check the fact (anything recalled, inferred or a
/// placeholder).
pub fn to_be_checked(confidence: &str) -> bool {
    ["recalled", "inferred", "placeholder"]
        .iter()
        .any(|t| confidence.contains(t))
}

/// A confidence tag in words.
pub fn confidence_words(confidence: &str) -> String {
    let head = confidence
        .split([' ', '(', '（', ';', ':'])
        .next()
        .unwrap_or(confidence);
    let words = match head {
        "confirmed" => "已核实",
        "confirmed-partial" => "部分核实，其余凭记忆整理",
        "recalled-high" => "凭记忆整理（较可靠），待核对",
        "recalled-low" => "凭记忆整理，待核对",
        "inferred" => "据已知规定推定，待核对",
        "default" => "本系统默认值，市局可调整",
        "placeholder" => "占位，待核对",
        _ => return confidence.to_string(),
    };
    if head.len() < confidence.len() && to_be_checked(confidence) && !to_be_checked(head) {
        format!("{words}，部分待核对")
    } else {
        words.to_string()
    }
}

/// The rule sets of every data file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleBook {
    pub sets: Vec<RuleSet>,
}

/// The files and their titles, for sets without a title of their own.
const FILES: [(&str, &str); 11] = [
    ("grading", "标准化定级（评审）规则"),
    ("quality", "评审质量监测规则"),
    ("inspection", "监督检查频次规则"),
    ("violations", "违法行为类别及罚款上限"),
    ("checklist", "监督检查表"),
    ("authority", "职责分工与办理权限"),
    ("risk", "安全风险分级管控规则"),
    ("size", "企业规模划分规则"),
    ("obligations", "安全生产监管清单"),
    ("outreach", "培训、宣传和典型示范规则"),
    ("consequences", "激励约束措施"),
];

/// Keys of a set that describe it rather than hold an item.
const SET_KEYS: [&str; 9] = [
    "id",
    "version",
    "title",
    "document",
    "law",
    "source",
    "confidence",
    "effective_from",
    "effective_to",
];

fn text(t: &Table, key: &str) -> Option<String> {
    t.get(key).and_then(Value::as_str).map(str::to_string)
}

impl RuleBook {
    /// Reads the sets of the rule files; a file that does not parse adds nothing (its typed
    /// parser has refused it already).
    pub fn from_texts(t: &Texts<'_>) -> Self {
        let files = [
            ("grading", t.grading),
            ("quality", t.quality),
            ("inspection", t.inspection),
            ("violations", t.violations),
            ("checklist", t.checklist),
            ("authority", t.authority),
            ("risk", t.risk),
            ("size", t.size_rules),
            ("obligations", t.obligations),
            ("outreach", t.outreach),
            ("consequences", t.consequences),
        ];
        let mut sets = Vec::new();
        for (file, text_of) in files {
            let Ok(table) = text_of.parse::<Table>() else {
                continue;
            };
            let title = FILES
                .iter()
                .find(|(f, _)| *f == file)
                .map_or(file, |(_, t)| *t);
            for key in ["rule_set", "set"] {
                let Some(list) = table.get(key).and_then(Value::as_array) else {
                    continue;
                };
                for s in list.iter().filter_map(Value::as_table) {
                    sets.push(read_set(s, title));
                }
            }
        }
        Self { sets }
    }

    /// A set by its key (`grading.2021@1`).
    pub fn set(&self, key: &str) -> Option<&RuleSet> {
        self.sets.iter().find(|s| s.key == key)
    }

    /// Resolves a rule reference as decisions record it: `set@version`, `set@version#anchor`,
    /// or `set@version#anchor (words)`. `None` for what is not a rule of the files (a
    /// reference of another kind, or a set since removed).
    pub fn cite(&self, reference: &str) -> Option<Citation<'_>> {
        let r = reference.trim();
        let r = r.split([' ', '（', '(']).next().unwrap_or(r);
        let (key, anchor) = match r.split_once('#') {
            Some((k, a)) => (k, Some(a)),
            None => (r, None),
        };
        let set = self.set(key)?;
        let item = anchor.and_then(|a| find_item(set, a));
        Some(Citation {
            set,
            item,
            reference: reference.trim().to_string(),
        })
    }
}

fn read_set(s: &Table, file_title: &str) -> RuleSet {
    let id = text(s, "id").unwrap_or_default();
    let version = s.get("version").and_then(Value::as_integer).unwrap_or(0);
    let mut items = Vec::new();
    let confidence = text(s, "confidence");
    walk(s, "", &confidence, &mut items, true);
    RuleSet {
        key: format!("{id}@{version}"),
        title: text(s, "title").unwrap_or_else(|| file_title.to_string()),
        document: text(s, "document").or_else(|| text(s, "law")),
        source: text(s, "source"),
        confidence,
        effective_from: text(s, "effective_from"),
        effective_to: text(s, "effective_to"),
        id,
        version,
        items,
    }
}

/// Collects the items under `t`: tables that carry a source, and the entries of lists (named
/// by their `id`, `key` or `code`, else their place).
fn walk(t: &Table, path: &str, inherited: &Option<String>, out: &mut Vec<RuleItem>, top: bool) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    for (k, v) in t {
        if top && SET_KEYS.contains(&k.as_str()) {
            continue;
        }
        match v {
            Value::Table(inner) => {
                let anchor = join(k);
                push_item(inner, &anchor, inherited, out, false);
                walk(inner, &anchor, inherited, out, false);
            }
            Value::Array(list) => {
                for (n, e) in list.iter().enumerate() {
                    let Some(inner) = e.as_table() else { continue };
                    let ident = ["id", "key", "code"]
                        .iter()
                        .find_map(|f| text(inner, f))
                        .unwrap_or_else(|| (n + 1).to_string());
                    let anchor = join(&format!("{k}.{ident}"));
                    push_item(inner, &anchor, inherited, out, true);
                    walk(inner, &anchor, inherited, out, false);
                }
            }
            _ => {}
        }
    }
}

fn push_item(
    t: &Table,
    anchor: &str,
    inherited: &Option<String>,
    out: &mut Vec<RuleItem>,
    listed: bool,
) {
    let source = text(t, "source").or_else(|| text(t, "basis"));
    let name = ["name", "label", "title", "text"]
        .iter()
        .find_map(|f| text(t, f));
    if source.is_none() && !(listed && name.is_some()) {
        return;
    }
    out.push(RuleItem {
        anchor: anchor.to_string(),
        name,
        source,
        confidence: text(t, "confidence").or_else(|| inherited.clone()),
    });
}

/// The item an anchor names: the same path, the same path with a list's name in the plural
/// (`threshold.three` for `thresholds.three`), or the longest item the anchor lies within.
fn find_item<'a>(set: &'a RuleSet, anchor: &str) -> Option<&'a RuleItem> {
    let singular = |a: &str| -> String {
        a.split('.')
            .map(|seg| seg.strip_suffix('s').unwrap_or(seg))
            .collect::<Vec<_>>()
            .join(".")
    };
    let want = singular(anchor);
    set.items
        .iter()
        .find(|i| i.anchor == anchor)
        .or_else(|| set.items.iter().find(|i| singular(&i.anchor) == want))
        .or_else(|| {
            set.items
                .iter()
                .filter(|i| {
                    let a = singular(&i.anchor);
                    want.starts_with(&a) && want[a.len()..].starts_with('.')
                })
                .max_by_key(|i| i.anchor.len())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> RuleBook {
        RuleBook::from_texts(&Texts::EMBEDDED)
    }

    #[test]
    fn every_shipped_set_is_in_the_book_with_a_title() {
        let b = book();
        for key in [
            "grading.2014@1",
            "grading.2021@1",
            "inspection@1",
            "inspection@2",
            "violations@1",
            "violations@2",
            "checklist@1",
            "authority@1",
            "quality@1",
            "risk@1",
        ] {
            let s = b.set(key).unwrap_or_else(|| panic!("{key}"));
            assert!(
                !s.title.is_empty() && s.title.chars().any(|c| c > '\u{2e80}'),
                "{key}"
            );
            assert!(s.effective_from.is_some(), "{key}");
        }
    }

    #[test]
    fn references_as_decisions_record_them_read_in_words() {
        let b = book();
        let c = b.cite("grading.2014@1#threshold.three").expect("threshold");
        assert_eq!(c.item.map(|i| i.anchor.as_str()), Some("thresholds.three"));
        assert!(c.words().contains("三级 ≥ 60 分"), "{}", c.words());
        assert_eq!(c.link(), "/rules/grading.2014@1#thresholds.three");

        let c = b
            .cite("grading.2014@1#blocking.block.three")
            .expect("blocking");
        assert_eq!(
            c.item.map(|i| i.anchor.as_str()),
            Some("blocking.block.three")
        );
        // A recalled rule says so.
        let notice = b.cite("grading.2014@1#notice").expect("notice");
        assert!(notice.to_be_checked() && notice.words().ends_with("（待核对）"));
        // A violation category by its name and article.
        let v = b.cite("violations@1#category.training").expect("category");
        assert!(v.item.is_some_and(|i| i.name.is_some()), "{v:?}");
        // A set without an anchor, and words after the reference.
        let i = b.cite("inspection@1").expect("set");
        assert!(i.item.is_none() && i.words().starts_with("《监督检查频次规则》"));
        assert!(b.cite("grading.2021@1#validity（有效期3年）").is_some());
        // An anchor within an item falls back to the item.
        let w = b
            .cite("grading.2021@1#waiting.revocation")
            .expect("waiting");
        assert_eq!(w.item.map(|i| i.anchor.as_str()), Some("waiting"));
        // Not a rule of the files.
        assert!(b.cite("cli:unknown").is_none());
        assert!(b.cite("grading.2014@9#threshold.three").is_none());
    }

    #[test]
    fn confidence_tags_read_in_words() {
        assert_eq!(confidence_words("confirmed"), "已核实");
        assert!(confidence_words("recalled-low").contains("待核对"));
        assert_eq!(
            confidence_words("confirmed code; merger date recalled-low"),
            "已核实，部分待核对"
        );
        assert!(to_be_checked("confirmed code; merger date recalled-low"));
        assert!(!to_be_checked("default"));
    }
}

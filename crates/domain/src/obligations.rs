//! The obligation list (安全生产监管清单, 通政发〔2018〕27号 六（二）2) as versioned data
//! (`data/rules/obligations.toml`): each duty of an industry-and-trade enterprise with its legal
//! basis, the enterprises it applies to, how often it falls due and the evidence expected; and
//! which items apply to one enterprise on a day, with the period each falls due in.

use serde::Deserialize;
use time::{Date, Duration, Month};

use crate::date::{Validity, effective_dates, format_date, parse_date};
use crate::reference::ReferenceError;

pub const EMBEDDED: &str = crate::reference::embedded::OBLIGATIONS;

/// How often a duty falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Once, within the set's grace days of first applying.
    Once,
    Yearly,
    Quarterly,
    Monthly,
    /// On an occasion the enterprise records (hazardous work, a contractor): no schedule.
    Event,
}

impl Frequency {
    pub const ALL: [Frequency; 5] = [
        Self::Once,
        Self::Yearly,
        Self::Quarterly,
        Self::Monthly,
        Self::Event,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Yearly => "yearly",
            Self::Quarterly => "quarterly",
            Self::Monthly => "monthly",
            Self::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Once => "一次性",
            Self::Yearly => "每年",
            Self::Quarterly => "每季度",
            Self::Monthly => "每月",
            Self::Event => "发生时",
        }
    }
}

/// The period a scheduled duty falls due in: its key (`2026`, `2026Q4`, `2026-12`, `once`),
/// its first day and its due day (the period's last day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub key: String,
    pub start: Date,
    pub due: Date,
}

impl Period {
    /// The period in words: 2026年、2026年第4季度、2026年12月、一次性（2026-03-31前）.
    pub fn label(&self) -> String {
        let k = &self.key;
        if k == "once" {
            format!("一次性（{}前）", format_date(self.due))
        } else if let Some((y, q)) = k.split_once('Q') {
            format!("{y}年第{q}季度")
        } else if let Some((y, m)) = k.split_once('-') {
            format!("{y}年{}月", m.trim_start_matches('0'))
        } else {
            format!("{k}年")
        }
    }
}

fn last_day_of_month(year: i32, month: Month) -> Date {
    let first = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    let next = crate::date::add_months(first, 1);
    next.previous_day().unwrap_or(first)
}

impl Frequency {
    /// The period holding `day`; for a once-only duty, the one that began on `since` (the day
    /// it first applied) and ends `grace_days` later. `None` for an event.
    pub fn period(self, day: Date, since: Date, grace_days: i64) -> Option<Period> {
        let y = day.year();
        let date = |m: Month, d: u8| Date::from_calendar_date(y, m, d).unwrap_or(day);
        match self {
            Self::Event => None,
            Self::Once => Some(Period {
                key: "once".into(),
                start: since,
                due: since + Duration::days(grace_days),
            }),
            Self::Yearly => Some(Period {
                key: y.to_string(),
                start: date(Month::January, 1),
                due: date(Month::December, 31),
            }),
            Self::Quarterly => {
                let q = (u8::from(day.month()) - 1) / 3;
                let first = Month::try_from(q * 3 + 1).unwrap_or(Month::January);
                let last = Month::try_from(q * 3 + 3).unwrap_or(Month::December);
                Some(Period {
                    key: format!("{y}Q{}", q + 1),
                    start: date(first, 1),
                    due: last_day_of_month(y, last),
                })
            }
            Self::Monthly => Some(Period {
                key: format!("{y}-{:02}", u8::from(day.month())),
                start: date(day.month(), 1),
                due: last_day_of_month(y, day.month()),
            }),
        }
    }
}

/// A document and article a duty rests on.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    pub document: String,
    #[serde(default)]
    pub article: Option<String>,
    pub confidence: String,
    /// The days the basis holds (a law revised renumbers its articles): half-open, either
    /// side open when absent. Checked when the file is read.
    #[serde(default)]
    pub effective_from: Option<String>,
    #[serde(default)]
    pub effective_to: Option<String>,
}

impl Basis {
    /// 《…》第二十一条
    pub fn words(&self) -> String {
        match &self.article {
            Some(a) => format!("{}{}", self.document, a),
            None => self.document.clone(),
        }
    }

    pub fn to_be_checked(&self) -> bool {
        crate::rule_book::to_be_checked(&self.confidence)
    }

    /// Whether it holds on `day`.
    pub fn holds_on(&self, day: Date) -> bool {
        let from = self.effective_from.as_deref().and_then(parse_date);
        let to = self.effective_to.as_deref().and_then(parse_date);
        Validity { from, to }.contains(day)
    }
}

/// The enterprises a duty applies to: every condition written must hold.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Applies {
    #[serde(default)]
    pub all: bool,
    pub above_scale: Option<bool>,
    #[serde(default)]
    pub sizes: Vec<String>,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub features: Vec<String>,
}

/// What a duty's applicability is judged on: the enterprise's record on the day.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    pub industry_code: &'a str,
    pub above_scale: Option<bool>,
    /// large, medium, small, micro.
    pub size_class: Option<&'a str>,
    pub features: &'a [String],
}

impl Applies {
    fn is_empty(&self) -> bool {
        !self.all
            && self.above_scale.is_none()
            && self.sizes.is_empty()
            && self.industries.is_empty()
            && self.features.is_empty()
    }

    pub fn holds(&self, s: &Subject<'_>) -> bool {
        self.above_scale
            .is_none_or(|want| s.above_scale == Some(want))
            && (self.sizes.is_empty()
                || s.size_class
                    .is_some_and(|c| self.sizes.iter().any(|x| x == c)))
            && (self.industries.is_empty() || self.industries.iter().any(|i| i == s.industry_code))
            && (self.features.is_empty() || self.features.iter().any(|f| s.features.contains(f)))
    }
}

/// One duty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    pub key: String,
    pub group: String,
    pub title: String,
    pub text: String,
    pub frequency: Frequency,
    pub evidence: String,
    pub applies: Applies,
    pub links: Vec<String>,
    pub basis: Vec<Basis>,
    pub confidence: String,
    pub validity: Validity,
}

impl Obligation {
    /// Its legal basis on `day` in words, 待核对 beside what is recalled.
    pub fn basis_words(&self, day: Date) -> String {
        self.basis
            .iter()
            .filter(|b| b.holds_on(day))
            .map(|b| {
                if b.to_be_checked() {
                    format!("{}（待核对）", b.words())
                } else {
                    b.words()
                }
            })
            .collect::<Vec<_>>()
            .join("；")
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub key: String,
    pub name: String,
    pub url: String,
    pub confidence: String,
}

/// One version of the obligation list.
#[derive(Debug, Clone)]
pub struct ObligationSet {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub document: String,
    pub source: String,
    pub confidence: String,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub grace_days: i64,
    /// Days before a scheduled item's due day that the enterprise is reminded.
    pub remind_days: i64,
    pub features: Vec<Feature>,
    pub links: Vec<Link>,
    pub items: Vec<Obligation>,
}

impl ObligationSet {
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    /// `obligations@1`
    pub fn name(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// The rule reference a decision about an item records: `obligations@1#item.five.training`.
    pub fn cite(&self, key: &str) -> String {
        format!("{}#item.{key}", self.name())
    }

    pub fn feature(&self, key: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.key == key)
    }

    pub fn link(&self, key: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.key == key)
    }

    /// The item with this key in force on `day`.
    pub fn item(&self, key: &str, day: Date) -> Option<&Obligation> {
        self.items
            .iter()
            .find(|i| i.key == key && i.validity.contains(day))
    }

    /// The items that apply to `s` on `day`, in the file's order.
    pub fn for_subject(&self, s: &Subject<'_>, day: Date) -> Vec<&Obligation> {
        self.items
            .iter()
            .filter(|i| i.validity.contains(day) && i.applies.holds(s))
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    key: String,
    group: String,
    title: String,
    text: String,
    frequency: String,
    evidence: String,
    applies: Applies,
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    basis: Vec<Basis>,
    confidence: String,
    effective_from: Option<String>,
    effective_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    title: String,
    document: String,
    source: String,
    confidence: String,
    effective_from: String,
    effective_to: Option<String>,
    grace_days: i64,
    remind_days: i64,
    #[serde(default)]
    feature: Vec<Feature>,
    #[serde(default)]
    link: Vec<Link>,
    item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    set: Vec<RawSet>,
}

/// The largest evidence file accepted (as the hazard photos).
pub const EVIDENCE_MAX_BYTES: usize = crate::hazard::PHOTO_MAX_BYTES;

/// The content type of an evidence file from its first bytes (a JPEG or PNG photo, or a PDF),
/// or why it is refused.
pub fn evidence_type(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("证明材料文件为空".into());
    }
    if bytes.len() > EVIDENCE_MAX_BYTES {
        return Err(format!(
            "证明材料不能超过 {} MB",
            EVIDENCE_MAX_BYTES / 1024 / 1024
        ));
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok("application/pdf");
    }
    crate::hazard::photo_type(bytes)
        .map_err(|_| "证明材料应为 JPEG、PNG 图片或 PDF 文件".to_string())
}

/// Every version of the obligation list.
#[derive(Debug, Clone)]
pub struct ObligationRules {
    pub sets: Vec<ObligationSet>,
}

const SIZES: [&str; 4] = ["large", "medium", "small", "micro"];

impl ObligationRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED, &[])
    }

    /// Parses and checks the file: every item cites a basis, names a known frequency, features,
    /// sizes, industries (`industries`: the codes known; empty skips that check) and links, and
    /// two items with one key do not overlap in time; nor do two versions.
    pub fn from_toml(text: &str, industries: &[&str]) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("obligations", m);
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一版监管清单".into()));
        }
        let mut sets: Vec<ObligationSet> = Vec::new();
        for s in raw.set {
            let name = format!("{}@{}", s.id, s.version);
            let (effective_from, effective_to) =
                effective_dates(&name, &s.effective_from, s.effective_to.as_deref())
                    .map_err(bad)?;
            if s.item.is_empty() {
                return Err(bad(format!("{name}：没有清单条目")));
            }
            if !(0..=3650).contains(&s.grace_days) {
                return Err(bad(format!("{name}：grace_days 应在 0 至 3650 天之间")));
            }
            if !(1..=60).contains(&s.remind_days) {
                return Err(bad(format!("{name}：remind_days 应在 1 至 60 天之间")));
            }
            let set_validity = Validity {
                from: Some(effective_from),
                to: effective_to,
            };
            let mut items: Vec<Obligation> = Vec::new();
            for (n, it) in s.item.into_iter().enumerate() {
                let at = format!("{name} 第 {} 个条目（{}）", n + 1, it.key);
                if it.key.trim().is_empty()
                    || it.title.trim().is_empty()
                    || it.text.trim().is_empty()
                    || it.group.trim().is_empty()
                    || it.evidence.trim().is_empty()
                {
                    return Err(bad(format!(
                        "{at}：缺少编号、分组、名称、内容或应留存的证据"
                    )));
                }
                if it.basis.is_empty() || it.basis.iter().any(|b| b.document.trim().is_empty()) {
                    return Err(bad(format!("{at}：没有写明法律依据（文件和条款）")));
                }
                for b in &it.basis {
                    let day = |v: &Option<String>| match v.as_deref() {
                        None => Ok(None),
                        Some(v) => parse_date(v).map(Some).ok_or_else(|| {
                            bad(format!("{at}：依据“{}”的日期“{v}”不是有效日期", b.words()))
                        }),
                    };
                    if let (Some(f), Some(t)) = (day(&b.effective_from)?, day(&b.effective_to)?)
                        && t <= f
                    {
                        return Err(bad(format!(
                            "{at}：依据“{}”的失效日期应晚于生效日期",
                            b.words()
                        )));
                    }
                }
                let frequency = Frequency::parse(&it.frequency).ok_or_else(|| {
                    bad(format!(
                        "{at}：频次“{}”无法识别（应为 once、yearly、quarterly、monthly 或 event）",
                        it.frequency
                    ))
                })?;
                if it.applies.is_empty() {
                    return Err(bad(format!("{at}：没有写明适用的企业范围")));
                }
                if let Some(f) = it
                    .applies
                    .features
                    .iter()
                    .find(|f| !s.feature.iter().any(|x| &x.key == *f))
                {
                    return Err(bad(format!("{at}：企业特征“{f}”未定义")));
                }
                if let Some(z) = it
                    .applies
                    .sizes
                    .iter()
                    .find(|z| !SIZES.contains(&z.as_str()))
                {
                    return Err(bad(format!("{at}：企业规模“{z}”无法识别")));
                }
                if let Some(i) = it
                    .applies
                    .industries
                    .iter()
                    .find(|i| !industries.is_empty() && !industries.contains(&i.as_str()))
                {
                    return Err(bad(format!("{at}：行业代码“{i}”不在行业表中")));
                }
                if let Some(l) = it
                    .links
                    .iter()
                    .find(|l| !s.link.iter().any(|x| &x.key == *l))
                {
                    return Err(bad(format!("{at}：链接“{l}”未定义")));
                }
                let from = match it.effective_from.as_deref() {
                    Some(v) => Some(
                        parse_date(v)
                            .ok_or_else(|| bad(format!("{at}：生效日期“{v}”不是有效日期")))?,
                    ),
                    None => Some(effective_from),
                };
                let to = match it.effective_to.as_deref() {
                    Some(v) => Some(
                        parse_date(v)
                            .ok_or_else(|| bad(format!("{at}：失效日期“{v}”不是有效日期")))?,
                    ),
                    None => effective_to,
                };
                let validity = Validity { from, to };
                if let (Some(f), Some(t)) = (from, to)
                    && t <= f
                {
                    return Err(bad(format!("{at}：失效日期应晚于生效日期")));
                }
                if from.is_some_and(|f| !set_validity.contains(f)) {
                    return Err(bad(format!("{at}：生效日期不在本版清单的生效期间内")));
                }
                if let Some(o) = items
                    .iter()
                    .find(|o| o.key == it.key && o.validity.overlaps(&validity))
                {
                    return Err(bad(format!(
                        "{at}：与同编号条目“{}”的生效期间重叠",
                        o.title
                    )));
                }
                items.push(Obligation {
                    key: it.key,
                    group: it.group,
                    title: it.title,
                    text: it.text,
                    frequency,
                    evidence: it.evidence,
                    applies: it.applies,
                    links: it.links,
                    basis: it.basis,
                    confidence: it.confidence,
                    validity,
                });
            }
            let set = ObligationSet {
                id: s.id,
                version: s.version,
                title: s.title,
                document: s.document,
                source: s.source,
                confidence: s.confidence,
                effective_from,
                effective_to,
                grace_days: s.grace_days,
                remind_days: s.remind_days,
                features: s.feature,
                links: s.link,
                items,
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

    pub fn in_force(&self, d: Date) -> Option<&ObligationSet> {
        self.sets.iter().find(|s| s.validity().contains(d))
    }

    /// The version by name (`obligations@1`), to read a confirmation recorded under it.
    pub fn by_name(&self, name: &str) -> Option<&ObligationSet> {
        self.sets.iter().find(|s| s.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> ObligationRules {
        ObligationRules::from_toml(EMBEDDED, &["YJ", "YS", "JC", "JX", "QG", "FZ", "YC", "SM"])
            .expect("shipped")
    }

    #[test]
    fn the_shipped_list_holds_the_five_and_five_and_cites_a_basis_for_each_item() {
        let r = rules();
        assert!(r.in_force(date!(2018 - 07 - 03)).is_none());
        let s = r.in_force(date!(2019 - 03 - 01)).expect("in force");
        assert_eq!(s.name(), "obligations@1");
        let five: Vec<&str> = s
            .items
            .iter()
            .filter(|i| i.key.starts_with("five."))
            .map(|i| i.title.as_str())
            .collect();
        assert_eq!(five.len(), 10, "五落实 and 五到位: {five:?}");
        assert!(s.items.iter().all(|i| !i.basis.is_empty()));
        // Recalled articles say so in words.
        let staff = s
            .item("five.safety_staff", date!(2019 - 03 - 01))
            .expect("item");
        assert_eq!(
            staff.basis_words(date!(2019 - 03 - 01)),
            "《企业安全生产责任体系五落实五到位规定》（安监总办〔2015〕27号）第四条；\
             《中华人民共和国安全生产法》（2014年修正）第二十一条（待核对）"
        );
    }

    #[test]
    fn evidence_is_a_photo_or_a_pdf_by_its_bytes() {
        assert_eq!(evidence_type(b"%PDF-1.7\n..."), Ok("application/pdf"));
        assert_eq!(evidence_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok("image/jpeg"));
        assert!(
            evidence_type(b"MZ\x90\x00")
                .expect_err("exe")
                .contains("PDF")
        );
        assert!(evidence_type(b"").is_err());
        let big = vec![b'%'; EVIDENCE_MAX_BYTES + 1];
        assert!(evidence_type(&big).expect_err("big").contains("5 MB"));
    }

    #[test]
    fn a_decision_citing_an_item_reads_in_words() {
        let book = crate::rule_book::RuleBook::from_texts(&crate::reference::Texts::EMBEDDED);
        let s = rules();
        let set = s.in_force(date!(2019 - 03 - 01)).expect("in force");
        let c = book.cite(&set.cite("five.training")).expect("cited");
        assert_eq!(c.link(), "/rules/obligations@1#item.five.training");
        assert!(
            c.words()
                .starts_with("《安全生产监管清单（企业主体责任清单）》"),
            "{}",
            c.words()
        );
        assert!(c.words().contains("安全培训到位"), "{}", c.words());
    }

    #[test]
    fn the_basis_cites_the_articles_of_the_law_in_force_on_the_day() {
        let r = rules();
        let set = r.in_force(date!(2026 - 12 - 07)).expect("in force");
        let item = set
            .item("five.safety_staff", date!(2026 - 12 - 07))
            .expect("item");
        let before = item.basis_words(date!(2019 - 03 - 01));
        assert!(
            before.contains("（2014年修正）第二十一条（待核对）"),
            "{before}"
        );
        assert!(!before.contains("2021年修正"), "{before}");
        let after = item.basis_words(date!(2021 - 09 - 01));
        assert!(
            after.contains("（2021年修正）第二十四条（待核对）"),
            "{after}"
        );
        assert!(!after.contains("2014年修正"), "{after}");
        // Every item cites something on any day of the set.
        for day in [
            date!(2018 - 07 - 04),
            date!(2021 - 08 - 31),
            date!(2026 - 12 - 07),
        ] {
            for i in set.items.iter().filter(|i| i.validity.contains(day)) {
                assert!(!i.basis_words(day).is_empty(), "{} on {day}", i.key);
            }
        }
    }

    #[test]
    fn which_items_apply_follows_the_enterprise_on_the_day() {
        let r = rules();
        let day = date!(2019 - 03 - 01);
        let s = r.in_force(day).expect("in force");
        let none: Vec<String> = Vec::new();
        let small = Subject {
            industry_code: "JX",
            above_scale: Some(false),
            size_class: Some("small"),
            features: &none,
        };
        let keys = |v: Vec<&Obligation>| v.into_iter().map(|i| i.key.clone()).collect::<Vec<_>>();
        let small_items = keys(s.for_subject(&small, day));
        assert!(small_items.contains(&"standard.small_micro".to_string()));
        assert!(
            !small_items.contains(&"five.committee".to_string()),
            "above scale only"
        );
        assert!(!small_items.iter().any(|k| k.starts_with("dust.")));

        let features = vec!["dust".to_string(), "smelting".to_string()];
        let big = Subject {
            industry_code: "YJ",
            above_scale: Some(true),
            size_class: Some("large"),
            features: &features,
        };
        let big_items = keys(s.for_subject(&big, day));
        assert!(big_items.contains(&"five.committee".to_string()));
        assert!(big_items.contains(&"dust.cleaning".to_string()));
        assert!(big_items.contains(&"smelting.organisation".to_string()));
        assert!(!big_items.contains(&"standard.small_micro".to_string()));
        assert!(big_items.len() >= 30, "{}", big_items.len());
        // The smelting organisation item needs the feature and a metallurgy industry both.
        let machine = Subject {
            industry_code: "JX",
            ..big.clone()
        };
        assert!(!keys(s.for_subject(&machine, day)).contains(&"smelting.organisation".into()));

        // The dust item changes its basis on the day the 2021 rule took effect.
        let before = s.item("dust.cleaning", date!(2021 - 08 - 31)).expect("old");
        let after = s.item("dust.cleaning", date!(2021 - 09 - 01)).expect("new");
        assert!(before.basis_words(date!(2021 - 08 - 31)).contains("第68号"));
        assert!(
            after
                .basis_words(date!(2021 - 09 - 01))
                .contains("应急管理部令第6号")
        );
        assert_eq!(
            s.for_subject(&big, date!(2021 - 09 - 01))
                .iter()
                .filter(|i| i.key == "dust.cleaning")
                .count(),
            1
        );
    }

    #[test]
    fn periods_end_on_the_last_day_and_once_counts_from_the_day_it_applied() {
        let d = date!(2026 - 11 - 15);
        let since = date!(2026 - 10 - 01);
        let p = Frequency::Quarterly.period(d, since, 90).expect("q");
        assert_eq!(
            (p.key.as_str(), p.start, p.due),
            ("2026Q4", date!(2026 - 10 - 01), date!(2026 - 12 - 31))
        );
        assert_eq!(p.label(), "2026年第4季度");
        let p = Frequency::Monthly
            .period(date!(2024 - 02 - 10), since, 90)
            .expect("m");
        assert_eq!((p.key.as_str(), p.due), ("2024-02", date!(2024 - 02 - 29)));
        assert_eq!(p.label(), "2024年2月");
        let p = Frequency::Yearly.period(d, since, 90).expect("y");
        assert_eq!((p.key.as_str(), p.due), ("2026", date!(2026 - 12 - 31)));
        let p = Frequency::Once.period(d, since, 90).expect("once");
        assert_eq!(p.due, date!(2026 - 12 - 30));
        assert_eq!(p.label(), "一次性（2026-12-30前）");
        assert_eq!(Frequency::Event.period(d, since, 90), None);
    }

    #[test]
    fn a_file_without_a_basis_or_with_overlapping_items_is_refused_with_the_reason() {
        let cases = [
            (
                EMBEDDED.replacen(
                    "[[set.item.basis]]\ndocument = \"《企业安全生产责任体系五落实五到位规定》（安监总办〔2015〕27号）\"\narticle = \"第一条\"\nconfidence = \"confirmed\"\n",
                    "",
                    1,
                ),
                "没有写明法律依据",
            ),
            (
                EMBEDDED.replacen(
                    "effective_from = \"2021-09-01\"\n[[set.item.basis]]\ndocument = \"《工贸企业粉尘防爆",
                    "effective_from = \"2021-08-01\"\n[[set.item.basis]]\ndocument = \"《工贸企业粉尘防爆",
                    1,
                ),
                "生效期间重叠",
            ),
            (
                EMBEDDED.replacen("frequency = \"monthly\"", "frequency = \"weekly\"", 1),
                "频次“weekly”无法识别",
            ),
            (
                EMBEDDED.replacen("features = [\"dust\"]", "features = [\"dusty\"]", 1),
                "企业特征“dusty”未定义",
            ),
            (
                EMBEDDED.replacen("industries = [\"YJ\", \"YS\"]", "industries = [\"XX\"]", 1),
                "行业代码“XX”不在行业表中",
            ),
            (
                EMBEDDED.replacen("applies = { all = true }", "applies = {}", 1),
                "没有写明适用的企业范围",
            ),
            (
                EMBEDDED.replacen("remind_days = 7", "remind_days = 0", 1),
                "remind_days 应在 1 至 60 天之间",
            ),
            (
                EMBEDDED.replacen(
                    "effective_to = \"2021-09-01\"\n[[set.item.basis]]",
                    "effective_to = \"2021-02-30\"\n[[set.item.basis]]",
                    1,
                ),
                "日期“2021-02-30”不是有效日期",
            ),
        ];
        for (text, want) in cases {
            assert_ne!(text, EMBEDDED, "the case changes the file: {want}");
            let e = ObligationRules::from_toml(&text, &["YJ", "YS", "JX"]).expect_err(want);
            assert!(e.message.contains(want), "{want}: {}", e.message);
        }
    }
}

//! Incentives and restrictions (激励约束措施, 通政发〔2018〕27号 六（五）1–6) as versioned data
//! (`data/rules/consequences.toml`): each measure names the department that acts, the condition
//! on an enterprise's standing on a day and the effect. The store finds the enterprises a measure
//! concerns; [`Measure::decide`] says why, from the facts of one enterprise, in words.

use serde::Deserialize;
use time::Date;

use crate::date::{Validity, add_months, effective_dates, format_date};
use crate::grade::Grade;
use crate::reference::ReferenceError;
use crate::rules::RuleRef;

pub const EMBEDDED: &str = crate::reference::embedded::CONSEQUENCES;

/// The longest window a condition may look back, in months.
pub const MAX_WINDOW_MONTHS: u32 = 120;

/// What a measure does for or to the enterprises it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Eligible,
    Preferred,
    Excluded,
    RateDown,
    RateUp,
    ToHandle,
}

impl Effect {
    pub const ALL: [Effect; 6] = [
        Self::Eligible,
        Self::Preferred,
        Self::Excluded,
        Self::RateDown,
        Self::RateUp,
        Self::ToHandle,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Eligible => "eligible",
            Self::Preferred => "preferred",
            Self::Excluded => "excluded",
            Self::RateDown => "rate_down",
            Self::RateUp => "rate_up",
            Self::ToHandle => "to_handle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Eligible => "列入名单",
            Self::Preferred => "优先支持或推荐",
            Self::Excluded => "不列入、不推荐",
            Self::RateDown => "费率下浮",
            Self::RateUp => "费率上浮",
            Self::ToHandle => "应依法依规处理",
        }
    }

    /// Whether the effect is a rate that moves within a band the partner sets.
    pub fn is_rate(self) -> bool {
        matches!(self, Self::RateDown | Self::RateUp)
    }
}

/// The condition on an enterprise's standing on a day: every part written must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// A valid certificate of any grade (达标), or none.
    pub certified: Option<bool>,
    /// A valid certificate of one of these grades.
    pub grades: Vec<Grade>,
    pub accident_free_months: Option<u32>,
    pub accident_within_months: Option<u32>,
    pub revocation_free_months: Option<u32>,
    pub revoked_within_months: Option<u32>,
    /// Among the key-supervision enterprises of the inspection rules in force (六（二）1).
    pub key_supervision: Option<bool>,
    pub above_scale: Option<bool>,
    /// Holds one of these designations on the day.
    pub designations: Vec<String>,
}

/// A valid certificate as a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCertificate {
    pub number: String,
    pub grade: Grade,
    pub valid_until: Date,
}

/// What is known of one enterprise on the day a measure is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Certificates valid on the day, best grade first.
    pub certificates: Vec<HeldCertificate>,
    /// Accident days up to the day, latest first.
    pub accidents: Vec<Date>,
    /// Certificates revoked up to the day: (day, number), latest first.
    pub revocations: Vec<(Date, String)>,
    /// Decided by the caller from the inspection rules in force on the day.
    pub key_supervision: bool,
    pub above_scale: Option<bool>,
    /// Designations held on the day: (key, since).
    pub designations: Vec<(String, Date)>,
}

/// The day a window of `months` starts (exclusive): the window is `(start, day]`.
pub fn window_start(day: Date, months: u32) -> Date {
    add_months(day, -(months.min(MAX_WINDOW_MONTHS) as i32))
}

fn within(dates: impl Iterator<Item = Date>, day: Date, months: u32) -> Option<Date> {
    let start = window_start(day, months);
    dates.filter(|d| *d > start && *d <= day).max()
}

impl Condition {
    /// Whether it holds on `day` for these facts.
    pub fn holds(&self, f: &Facts, day: Date) -> bool {
        self.reasons(f, day, &[]).is_some()
    }

    /// The facts that make it hold, in words, or `None` when it does not.
    pub fn reasons(&self, f: &Facts, day: Date, names: &[Designation]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let best = f.certificates.first();
        let cert_words = |c: &HeldCertificate| {
            format!(
                "{}证书 {}，有效期至{}",
                c.grade.label(),
                c.number,
                format_date(c.valid_until)
            )
        };
        if !self.grades.is_empty() {
            let c = f
                .certificates
                .iter()
                .find(|c| self.grades.contains(&c.grade))?;
            out.push(cert_words(c));
        }
        match self.certified {
            Some(true) => {
                let c = best?;
                if self.grades.is_empty() {
                    out.push(cert_words(c));
                }
            }
            Some(false) => {
                if best.is_some() {
                    return None;
                }
                out.push("当日无有效的安全生产标准化证书（未达标）".into());
            }
            None => {}
        }
        if let Some(m) = self.accident_free_months {
            if within(f.accidents.iter().copied(), day, m).is_some() {
                return None;
            }
            out.push(format!("近{m}个月无生产安全事故记录"));
        }
        if let Some(m) = self.accident_within_months {
            let d = within(f.accidents.iter().copied(), day, m)?;
            out.push(format!("{}发生生产安全事故（近{m}个月内）", format_date(d)));
        }
        if let Some(m) = self.revocation_free_months {
            if within(f.revocations.iter().map(|r| r.0), day, m).is_some() {
                return None;
            }
            out.push(format!("近{m}个月无证书被撤销"));
        }
        if let Some(m) = self.revoked_within_months {
            let d = within(f.revocations.iter().map(|r| r.0), day, m)?;
            let number = f
                .revocations
                .iter()
                .find(|r| r.0 == d)
                .map_or("", |r| r.1.as_str());
            out.push(format!(
                "证书 {number} 于{}被撤销（近{m}个月内）",
                format_date(d)
            ));
        }
        match self.key_supervision {
            Some(true) if f.key_supervision => out.push("属重点监管企业".into()),
            Some(false) if !f.key_supervision => out.push("不属重点监管企业".into()),
            Some(_) => return None,
            None => {}
        }
        match self.above_scale {
            Some(want) if f.above_scale == Some(want) => out.push(
                if want {
                    "规模以上企业"
                } else {
                    "规模以下企业"
                }
                .into(),
            ),
            Some(_) => return None,
            None => {}
        }
        if !self.designations.is_empty() {
            let (key, since) = f
                .designations
                .iter()
                .find(|(k, _)| self.designations.contains(k))?;
            let name = names
                .iter()
                .find(|d| &d.key == key)
                .map_or(key.as_str(), |d| d.name.as_str());
            out.push(format!("{name}（自{}）", format_date(*since)));
        }
        Some(out)
    }

    /// The condition in words, for the measure's page.
    pub fn words(&self, names: &[Designation]) -> String {
        let mut parts = Vec::new();
        if !self.grades.is_empty() {
            let g: Vec<&str> = self.grades.iter().map(|g| g.label()).collect();
            parts.push(format!("持有有效的{}证书", g.join("或")));
        }
        match self.certified {
            Some(true) if self.grades.is_empty() => parts.push("标准化达标（持有有效证书）".into()),
            Some(false) => parts.push("未达标（无有效证书）".into()),
            _ => {}
        }
        if let Some(m) = self.accident_free_months {
            parts.push(format!("近{m}个月无生产安全事故"));
        }
        if let Some(m) = self.accident_within_months {
            parts.push(format!("近{m}个月发生生产安全事故"));
        }
        if let Some(m) = self.revocation_free_months {
            parts.push(format!("近{m}个月无证书被撤销"));
        }
        if let Some(m) = self.revoked_within_months {
            parts.push(format!("近{m}个月有证书被撤销"));
        }
        match self.key_supervision {
            Some(true) => parts.push("属重点监管企业".into()),
            Some(false) => parts.push("不属重点监管企业".into()),
            None => {}
        }
        match self.above_scale {
            Some(true) => parts.push("规模以上".into()),
            Some(false) => parts.push("规模以下".into()),
            None => {}
        }
        if !self.designations.is_empty() {
            let d: Vec<&str> = self
                .designations
                .iter()
                .map(|k| {
                    names
                        .iter()
                        .find(|d| &d.key == k)
                        .map_or(k.as_str(), |d| d.name.as_str())
                })
                .collect();
            parts.push(format!("属{}", d.join("或")));
        }
        parts.join("，")
    }

    /// The windows the condition looks back over, in months (the store loads facts that far).
    pub fn longest_window(&self) -> u32 {
        [
            self.accident_free_months,
            self.accident_within_months,
            self.revocation_free_months,
            self.revoked_within_months,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }
}

/// A designation an officer records on an enterprise (国有工贸企业, 市级诚信示范企业).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Designation {
    pub key: String,
    pub name: String,
    pub section: String,
}

/// A department that acts on a measure's list.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub key: String,
    pub name: String,
    /// A member unit of the leading group (四).
    pub member: bool,
    pub section: String,
    pub confidence: String,
}

/// One measure of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub key: String,
    pub section: String,
    pub department: String,
    pub title: String,
    pub text: String,
    pub effect: Effect,
    /// The department that sets a rate's band.
    pub range_set_by: Option<String>,
    /// The band in percent where the file gives one.
    pub range_percent: Option<(i32, i32)>,
    pub when: Condition,
    pub confidence: String,
    pub validity: Validity,
    pub rule: RuleRef,
}

impl Measure {
    /// Whether users are shown 待核对 beside it.
    pub fn to_be_checked(&self) -> bool {
        crate::outreach::to_be_checked(&self.confidence)
    }

    /// Why the measure concerns the enterprise on `day`, or `None` when it does not.
    pub fn decide(&self, f: &Facts, day: Date, names: &[Designation]) -> Option<String> {
        if !self.validity.contains(day) {
            return None;
        }
        self.when.reasons(f, day, names).map(|r| r.join("；"))
    }
}

/// One version of the measures.
#[derive(Debug, Clone)]
pub struct ConsequenceSet {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub document: String,
    pub source: String,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub designations: Vec<Designation>,
    pub departments: Vec<Department>,
    pub measures: Vec<Measure>,
    pub agreements: Vec<Agreement>,
    pub layouts: Vec<Layout>,
}

/// What a column of a department's workbook holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutField {
    CreditCode,
    Name,
    Unit,
    Township,
    /// The facts that put the enterprise on the list, in words.
    Reasons,
    /// The best certificate held on the day: its grade, number, last valid day.
    Grade,
    CertificateNumber,
    ValidUntil,
    /// A column the department fills in itself (its decision, a remark): header only.
    Blank,
}

impl LayoutField {
    pub const ALL: [LayoutField; 9] = [
        Self::CreditCode,
        Self::Name,
        Self::Unit,
        Self::Township,
        Self::Reasons,
        Self::Grade,
        Self::CertificateNumber,
        Self::ValidUntil,
        Self::Blank,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::CreditCode => "credit_code",
            Self::Name => "name",
            Self::Unit => "unit",
            Self::Township => "township",
            Self::Reasons => "reasons",
            Self::Grade => "grade",
            Self::CertificateNumber => "certificate_number",
            Self::ValidUntil => "valid_until",
            Self::Blank => "blank",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == s)
    }
}

/// A column of a department's workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub field: LayoutField,
    pub header: String,
}

/// The layout of the workbook a department asks its lists in (issue 19 item 2): the sheet's
/// name and the columns in order, with the department's own headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub department: String,
    pub sheet: String,
    pub columns: Vec<Column>,
    pub confidence: String,
}

impl Layout {
    /// The layout used where a department has none of its own.
    pub fn standard() -> Self {
        let col = |field, header: &str| Column {
            field,
            header: header.to_string(),
        };
        Self {
            department: String::new(),
            sheet: "名单".into(),
            columns: vec![
                col(LayoutField::CreditCode, "统一社会信用代码"),
                col(LayoutField::Name, "企业名称"),
                col(LayoutField::Unit, "县（市、区）"),
                col(LayoutField::Township, "乡镇（街道）"),
                col(LayoutField::Reasons, "列入依据"),
            ],
            confidence: "default".into(),
        }
    }
}

/// A data-sharing agreement with a department (the partners' feed, issue 19 item 3): the changes
/// of standing it is told of and the only fields it sees of each (data minimisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub key: String,
    pub department: String,
    pub name: String,
    pub section: String,
    /// What the department uses the data for, in words.
    pub purpose: String,
    pub kinds: Vec<crate::feed::Kind>,
    pub fields: Vec<String>,
    pub confidence: String,
}

impl Agreement {
    /// Whether it is shown to users as 待核对.
    pub fn to_be_checked(&self) -> bool {
        matches!(
            self.confidence.as_str(),
            "inferred" | "recalled-high" | "recalled-low"
        )
    }
}

impl ConsequenceSet {
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    pub fn department(&self, key: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.key == key)
    }

    pub fn designation(&self, key: &str) -> Option<&Designation> {
        self.designations.iter().find(|d| d.key == key)
    }

    /// The measures in force on `day`, in the file's order.
    pub fn measures_on(&self, day: Date) -> impl Iterator<Item = &Measure> {
        self.measures
            .iter()
            .filter(move |m| m.validity.contains(day))
    }

    pub fn measure(&self, key: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.key == key)
    }

    pub fn agreement(&self, key: &str) -> Option<&Agreement> {
        self.agreements.iter().find(|a| a.key == key)
    }

    /// The workbook layout of a department: its own, else the standard one.
    pub fn layout(&self, department: &str) -> std::borrow::Cow<'_, Layout> {
        self.layouts
            .iter()
            .find(|l| l.department == department)
            .map_or_else(
                || std::borrow::Cow::Owned(Layout::standard()),
                std::borrow::Cow::Borrowed,
            )
    }
}

/// Every version of the measures.
#[derive(Debug, Clone)]
pub struct ConsequenceRules {
    pub sets: Vec<ConsequenceSet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    certified: Option<bool>,
    #[serde(default)]
    grades: Vec<String>,
    accident_free_months: Option<u32>,
    accident_within_months: Option<u32>,
    revocation_free_months: Option<u32>,
    revoked_within_months: Option<u32>,
    key_supervision: Option<bool>,
    above_scale: Option<bool>,
    #[serde(default)]
    designations: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    key: String,
    section: String,
    department: String,
    title: String,
    text: String,
    effect: String,
    range_set_by: Option<String>,
    range_percent: Option<Vec<i32>>,
    when: RawWhen,
    confidence: String,
    effective_from: Option<String>,
    effective_to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    title: String,
    effective_from: String,
    effective_to: Option<String>,
    document: String,
    source: String,
    confidence: String,
    #[serde(default)]
    designation: Vec<Designation>,
    #[serde(default)]
    department: Vec<Department>,
    #[serde(default)]
    measure: Vec<RawMeasure>,
    #[serde(default)]
    agreement: Vec<RawAgreement>,
    #[serde(default)]
    layout: Vec<RawLayout>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    department: String,
    sheet: String,
    columns: Vec<RawColumn>,
    confidence: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    field: String,
    header: String,
}

/// The longest header or sheet name a layout may give (Excel's sheet names stop at 31).
const MAX_HEADER: usize = 30;

fn layout(set_name: &str, l: RawLayout, departments: &[Department]) -> Result<Layout, String> {
    let name = format!("{set_name} 报表格式“{}”", l.department);
    if !departments.iter().any(|d| d.key == l.department) {
        return Err(format!("{name}：部门“{}”未在本版规则中列明", l.department));
    }
    if !CONFIDENCES.contains(&l.confidence.as_str()) {
        return Err(format!("{name}：可信度“{}”无法识别", l.confidence));
    }
    let sheet = l.sheet.trim().to_string();
    if sheet.is_empty()
        || sheet.chars().count() > MAX_HEADER
        || sheet.contains(['[', ']', ':', '*', '?', '/', '\\'])
    {
        return Err(format!(
            "{name}：工作表名称应为 1 至 {MAX_HEADER} 个字符，且不含 [ ] : * ? / \\"
        ));
    }
    if l.columns.is_empty() {
        return Err(format!("{name}：至少需要一列"));
    }
    let mut columns: Vec<Column> = Vec::new();
    for c in l.columns {
        let field = LayoutField::parse(&c.field)
            .ok_or_else(|| format!("{name}：列内容“{}”无法识别", c.field))?;
        let header = c.header.trim().to_string();
        if header.is_empty() || header.chars().count() > MAX_HEADER {
            return Err(format!("{name}：列标题应为 1 至 {MAX_HEADER} 个字符"));
        }
        if columns.iter().any(|o| o.header == header) {
            return Err(format!("{name}：列标题“{header}”重复"));
        }
        columns.push(Column { field, header });
    }
    if !columns.iter().any(|c| c.field == LayoutField::CreditCode) {
        return Err(format!(
            "{name}：应有一列统一社会信用代码（credit_code），以便部门核对企业"
        ));
    }
    Ok(Layout {
        department: l.department,
        sheet,
        columns,
        confidence: l.confidence,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    key: String,
    department: String,
    name: String,
    section: String,
    purpose: String,
    kinds: Vec<String>,
    fields: Vec<String>,
    confidence: String,
}

fn agreement(
    set_name: &str,
    a: RawAgreement,
    departments: &[Department],
) -> Result<Agreement, String> {
    let name = format!("{set_name} 共享协议“{}”", a.key);
    if a.key.trim().is_empty() || a.name.trim().is_empty() {
        return Err(format!("{set_name}：有共享协议缺少编号或名称"));
    }
    if !departments.iter().any(|d| d.key == a.department) {
        return Err(format!("{name}：部门“{}”未在本版规则中列明", a.department));
    }
    if !CONFIDENCES.contains(&a.confidence.as_str()) {
        return Err(format!("{name}：可信度“{}”无法识别", a.confidence));
    }
    let mut kinds = Vec::new();
    for k in &a.kinds {
        let kind =
            crate::feed::Kind::parse(k).ok_or_else(|| format!("{name}：变动类型“{k}”无法识别"))?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(format!("{name}：没有写明推送哪些变动（kinds）"));
    }
    let mut fields: Vec<String> = Vec::new();
    for f in &a.fields {
        if crate::feed::field_name(f).is_none() {
            return Err(format!("{name}：字段“{f}”无法识别"));
        }
        if !fields.contains(f) {
            fields.push(f.clone());
        }
    }
    if fields.is_empty() {
        return Err(format!("{name}：没有写明可见字段（fields）"));
    }
    Ok(Agreement {
        key: a.key,
        department: a.department,
        name: a.name,
        section: a.section,
        purpose: a.purpose,
        kinds,
        fields,
        confidence: a.confidence,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    set: Vec<RawSet>,
}

const CONFIDENCES: [&str; 5] = [
    "confirmed",
    "inferred",
    "default",
    "recalled-high",
    "recalled-low",
];

fn condition(name: &str, w: RawWhen, designations: &[Designation]) -> Result<Condition, String> {
    let mut grades = Vec::new();
    for g in &w.grades {
        let grade = Grade::parse(g).ok_or_else(|| format!("{name}：等级“{g}”无法识别"))?;
        if !grades.contains(&grade) {
            grades.push(grade);
        }
    }
    for (what, m) in [
        ("accident_free_months", w.accident_free_months),
        ("accident_within_months", w.accident_within_months),
        ("revocation_free_months", w.revocation_free_months),
        ("revoked_within_months", w.revoked_within_months),
    ] {
        if let Some(m) = m
            && !(1..=MAX_WINDOW_MONTHS).contains(&m)
        {
            return Err(format!(
                "{name}：{what} 的月数 {m} 不在 1 至 {MAX_WINDOW_MONTHS} 之间"
            ));
        }
    }
    if w.accident_free_months.is_some() && w.accident_within_months.is_some() {
        return Err(format!(
            "{name}：不能同时要求近期无事故（accident_free_months）和近期有事故（accident_within_months）"
        ));
    }
    if w.revocation_free_months.is_some() && w.revoked_within_months.is_some() {
        return Err(format!(
            "{name}：不能同时要求近期无撤销（revocation_free_months）和近期有撤销（revoked_within_months）"
        ));
    }
    if w.certified == Some(false) && !grades.is_empty() {
        return Err(format!(
            "{name}：条件自相矛盾：未达标（certified = false）又要求持有等级证书（grades）"
        ));
    }
    if let Some(d) = w
        .designations
        .iter()
        .find(|d| !designations.iter().any(|x| &x.key == *d))
    {
        return Err(format!("{name}：认定类别“{d}”未在本版规则中列明"));
    }
    let c = Condition {
        certified: w.certified,
        grades,
        accident_free_months: w.accident_free_months,
        accident_within_months: w.accident_within_months,
        revocation_free_months: w.revocation_free_months,
        revoked_within_months: w.revoked_within_months,
        key_supervision: w.key_supervision,
        above_scale: w.above_scale,
        designations: w.designations,
    };
    if c == Condition::default() {
        return Err(format!("{name}：没有写明适用条件（when）"));
    }
    Ok(c)
}

impl ConsequenceRules {
    /// Parses and checks the file: every measure names a known department and effect, a
    /// condition that can hold, windows of 1 to 120 months, and a rate's band the right way
    /// round; versions do not overlap.
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("consequences", m);
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一版规则".into()));
        }
        let mut sets: Vec<ConsequenceSet> = Vec::new();
        for s in raw.set {
            let set_name = format!("{}@{}", s.id, s.version);
            let (effective_from, effective_to) =
                effective_dates(&set_name, &s.effective_from, s.effective_to.as_deref())
                    .map_err(bad)?;
            if !CONFIDENCES.contains(&s.confidence.as_str()) {
                return Err(bad(format!("{set_name}：可信度“{}”无法识别", s.confidence)));
            }
            for (n, d) in s.department.iter().enumerate() {
                if s.department[..n].iter().any(|o| o.key == d.key) {
                    return Err(bad(format!("{set_name}：部门“{}”重复", d.key)));
                }
                if !CONFIDENCES.contains(&d.confidence.as_str()) {
                    return Err(bad(format!(
                        "{set_name}：部门“{}”的可信度“{}”无法识别",
                        d.key, d.confidence
                    )));
                }
            }
            for (n, d) in s.designation.iter().enumerate() {
                if s.designation[..n].iter().any(|o| o.key == d.key) {
                    return Err(bad(format!("{set_name}：认定类别“{}”重复", d.key)));
                }
            }
            let set_validity = Validity {
                from: Some(effective_from),
                to: effective_to,
            };
            let mut measures: Vec<Measure> = Vec::new();
            for m in s.measure {
                let name = format!("{set_name} 措施“{}”", m.key);
                if m.key.trim().is_empty() || m.title.trim().is_empty() {
                    return Err(bad(format!("{set_name}：有措施缺少编号或名称")));
                }
                if measures.iter().any(|o| o.key == m.key) {
                    return Err(bad(format!("{set_name}：措施“{}”重复", m.key)));
                }
                let effect = Effect::parse(&m.effect).ok_or_else(|| {
                    bad(format!(
                        "{name}：效果“{}”无法识别（应为 eligible、preferred、excluded、rate_down、rate_up 或 to_handle）",
                        m.effect
                    ))
                })?;
                if !s.department.iter().any(|d| d.key == m.department) {
                    return Err(bad(format!(
                        "{name}：实施部门“{}”未在本版规则中列明",
                        m.department
                    )));
                }
                if !CONFIDENCES.contains(&m.confidence.as_str()) {
                    return Err(bad(format!("{name}：可信度“{}”无法识别", m.confidence)));
                }
                let range_percent = match (&m.range_percent, effect) {
                    (Some(_), e) if !e.is_rate() => {
                        return Err(bad(format!("{name}：只有费率措施可以写浮动幅度")));
                    }
                    (Some(r), e) => {
                        let [low, high] = r.as_slice() else {
                            return Err(bad(format!(
                                "{name}：浮动幅度应写作 [下限, 上限] 两个百分数"
                            )));
                        };
                        if low > high {
                            return Err(bad(format!(
                                "{name}：浮动幅度下限 {low}% 高于上限 {high}%"
                            )));
                        }
                        if e == Effect::RateDown && *high > 0 {
                            return Err(bad(format!(
                                "{name}：下浮措施的幅度上限应不高于 0%（写的是 {high}%）"
                            )));
                        }
                        if e == Effect::RateUp && *low < 0 {
                            return Err(bad(format!(
                                "{name}：上浮措施的幅度下限应不低于 0%（写的是 {low}%）"
                            )));
                        }
                        Some((*low, *high))
                    }
                    (None, _) => None,
                };
                match (&m.range_set_by, effect.is_rate()) {
                    (None, true) => {
                        return Err(bad(format!(
                            "{name}：费率措施应写明由哪个部门确定浮动幅度（range_set_by）"
                        )));
                    }
                    (Some(_), false) => {
                        return Err(bad(format!("{name}：只有费率措施写 range_set_by")));
                    }
                    (Some(d), true) if !s.department.iter().any(|x| &x.key == d) => {
                        return Err(bad(format!(
                            "{name}：确定幅度的部门“{d}”未在本版规则中列明"
                        )));
                    }
                    _ => {}
                }
                let validity = match &m.effective_from {
                    Some(f) => {
                        let (from, to) =
                            effective_dates(&name, f, m.effective_to.as_deref()).map_err(bad)?;
                        Validity {
                            from: Some(from),
                            to,
                        }
                    }
                    None if m.effective_to.is_some() => {
                        return Err(bad(format!("{name}：写了失效日期却没有生效日期")));
                    }
                    None => set_validity,
                };
                let inside = validity.from.is_some_and(|f| set_validity.contains(f))
                    && match (validity.to, set_validity.to) {
                        (Some(a), Some(b)) => a <= b,
                        (None, Some(_)) => false,
                        _ => true,
                    };
                if !inside {
                    return Err(bad(format!("{name}：生效期间超出本版规则的生效期间")));
                }
                let when = condition(&name, m.when, &s.designation).map_err(bad)?;
                measures.push(Measure {
                    rule: RuleRef {
                        set: s.id.clone(),
                        version: s.version,
                        rule: format!("measure.{}", m.key),
                    },
                    key: m.key,
                    section: m.section,
                    department: m.department,
                    title: m.title,
                    text: m.text,
                    effect,
                    range_set_by: m.range_set_by,
                    range_percent,
                    when,
                    confidence: m.confidence,
                    validity,
                });
            }
            let mut agreements: Vec<Agreement> = Vec::new();
            for a in s.agreement {
                if agreements.iter().any(|o| o.key == a.key) {
                    return Err(bad(format!("{set_name}：共享协议“{}”重复", a.key)));
                }
                agreements.push(agreement(&set_name, a, &s.department).map_err(bad)?);
            }
            let mut layouts: Vec<Layout> = Vec::new();
            for l in s.layout {
                if layouts.iter().any(|o| o.department == l.department) {
                    return Err(bad(format!(
                        "{set_name}：部门“{}”的报表格式重复",
                        l.department
                    )));
                }
                layouts.push(layout(&set_name, l, &s.department).map_err(bad)?);
            }
            let set = ConsequenceSet {
                id: s.id,
                version: s.version,
                title: s.title,
                document: s.document,
                source: s.source,
                effective_from,
                effective_to,
                designations: s.designation,
                departments: s.department,
                measures,
                agreements,
                layouts,
            };
            if let Some(o) = sets.iter().find(|o| o.validity().overlaps(&set.validity())) {
                return Err(bad(format!(
                    "{set_name} 与 {}@{} 的生效期间重叠",
                    o.id, o.version
                )));
            }
            sets.push(set);
        }
        Ok(Self { sets })
    }

    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    /// The version in force on `day`.
    pub fn on(&self, day: Date) -> Option<&ConsequenceSet> {
        self.sets.iter().find(|s| s.validity().contains(day))
    }

    /// The agreement of that key in the latest version that has it (a partner bound to one keeps
    /// reading under it).
    pub fn agreement(&self, key: &str) -> Option<&Agreement> {
        self.sets.iter().rev().find_map(|s| s.agreement(key))
    }

    /// Every designation of any version (a designation recorded under one stays readable).
    pub fn designation(&self, key: &str) -> Option<&Designation> {
        self.sets.iter().rev().find_map(|s| s.designation(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> ConsequenceRules {
        ConsequenceRules::embedded().expect("shipped file parses")
    }

    fn cert(grade: Grade, until: Date) -> HeldCertificate {
        HeldCertificate {
            number: format!("苏AQB{}", grade.key()),
            grade,
            valid_until: until,
        }
    }

    #[test]
    fn the_shipped_measures_cover_every_paragraph_of_six_five() {
        let r = rules();
        let s = r.on(date!(2019 - 06 - 30)).expect("in force");
        for n in 1..=6 {
            let section = format!("六（五）{n}");
            assert!(
                s.measures.iter().any(|m| m.section == section),
                "no measure for {section}"
            );
        }
        // The credit-model deadline is an inference: not in force before 2020.
        assert!(
            s.measures_on(date!(2019 - 12 - 31))
                .all(|m| m.key != "economy.credit_model_to_handle")
        );
        assert!(
            s.measures_on(date!(2020 - 01 - 01))
                .any(|m| m.key == "economy.credit_model_to_handle")
        );
        assert!(r.on(date!(2018 - 07 - 03)).is_none());
    }

    #[test]
    fn a_grade_two_enterprise_without_accidents_is_preferred_with_its_certificate_in_words() {
        let r = rules();
        let s = r.on(date!(2019 - 06 - 30)).expect("in force");
        let m = s.measure("banking.credit_support").expect("measure");
        let day = date!(2019 - 06 - 30);
        let mut f = Facts {
            certificates: vec![cert(Grade::Two, date!(2021 - 05 - 31))],
            ..Facts::default()
        };
        let why = m.decide(&f, day, &s.designations).expect("concerned");
        assert_eq!(
            why,
            "二级证书 苏AQBtwo，有效期至2021-05-31；近12个月无生产安全事故记录；近12个月无证书被撤销"
        );
        // An accident 11 months before the day takes it off; 13 months before does not.
        f.accidents = vec![date!(2018 - 08 - 01)];
        assert!(m.decide(&f, day, &s.designations).is_none());
        f.accidents = vec![date!(2018 - 05 - 30)];
        assert!(m.decide(&f, day, &s.designations).is_some());
        // The window's start is exclusive: an accident exactly 12 months before is outside.
        f.accidents = vec![date!(2018 - 06 - 30)];
        assert!(m.decide(&f, day, &s.designations).is_some());
        f.accidents = vec![date!(2018 - 07 - 01)];
        assert!(m.decide(&f, day, &s.designations).is_none());
    }

    #[test]
    fn the_not_certified_are_excluded_and_the_certified_are_not() {
        let r = rules();
        let s = r.on(date!(2019 - 06 - 30)).expect("in force");
        let m = s.measure("listing.excluded").expect("measure");
        let day = date!(2019 - 06 - 30);
        let none = Facts::default();
        assert_eq!(
            m.decide(&none, day, &s.designations).as_deref(),
            Some("当日无有效的安全生产标准化证书（未达标）")
        );
        let three = Facts {
            certificates: vec![cert(Grade::Three, date!(2020 - 01 - 01))],
            ..Facts::default()
        };
        assert!(m.decide(&three, day, &s.designations).is_none());
        // Grade three is 达标 but not among the listing office's preferred grades.
        let p = s.measure("listing.preferred").expect("measure");
        assert!(p.decide(&three, day, &s.designations).is_none());
        let one = Facts {
            certificates: vec![cert(Grade::One, date!(2020 - 01 - 01))],
            ..Facts::default()
        };
        assert!(p.decide(&one, day, &s.designations).is_some());
    }

    #[test]
    fn a_state_owned_enterprise_not_certified_with_an_accident_is_named_with_all_three_facts() {
        let r = rules();
        let day = date!(2020 - 03 - 01);
        let s = r.on(day).expect("in force");
        let m = s.measure("sasac.accident_pay_cut").expect("measure");
        let f = Facts {
            accidents: vec![date!(2019 - 11 - 02)],
            designations: vec![("state_owned".into(), date!(2018 - 01 - 01))],
            key_supervision: true,
            ..Facts::default()
        };
        let why = m.decide(&f, day, &s.designations).expect("concerned");
        assert!(why.contains("未达标"), "{why}");
        assert!(why.contains("2019-11-02发生生产安全事故"), "{why}");
        assert!(why.contains("国有工贸企业（自2018-01-01）"), "{why}");
        let private = Facts {
            designations: vec![],
            ..f
        };
        assert!(m.decide(&private, day, &s.designations).is_none());
    }

    fn with(text: &str) -> Result<ConsequenceRules, ReferenceError> {
        ConsequenceRules::from_toml(text)
    }

    #[test]
    fn departments_get_their_own_workbook_layout_or_the_standard_one() {
        let r = rules();
        let set = r.on(date!(2026 - 12 - 01)).expect("in force");
        let pboc = set.layout("pboc");
        assert_eq!(pboc.sheet, "标准化企业信息");
        let fields: Vec<&str> = pboc.columns.iter().map(|c| c.field.key()).collect();
        assert_eq!(
            fields,
            [
                "credit_code",
                "name",
                "grade",
                "certificate_number",
                "valid_until",
                "reasons",
                "blank"
            ]
        );
        assert_eq!(*set.layout("safety"), Layout::standard());
        let a = r.agreement("insurers.liability").expect("agreement");
        assert!(a.fields.iter().any(|f| f == "accident_on"));
        assert!(a.kinds.contains(&crate::feed::Kind::Accident));
    }

    #[test]
    fn malformed_measures_are_refused_with_the_reason_in_chinese() {
        let cases = [
            (
                EMBEDDED.replacen("effect = \"eligible\"", "effect = \"reward\"", 1),
                "效果“reward”无法识别",
            ),
            (
                EMBEDDED.replacen("accident_free_months = 12", "accident_free_months = 0", 1),
                "不在 1 至 120 之间",
            ),
            (
                EMBEDDED.replacen("accident_free_months = 12", "accident_free_months = 121", 1),
                "不在 1 至 120 之间",
            ),
            (
                EMBEDDED.replacen("range_set_by = \"hrss\"\n", "", 1),
                "range_set_by",
            ),
            (
                EMBEDDED.replacen(
                    "range_set_by = \"hrss\"",
                    "range_set_by = \"hrss\"\nrange_percent = [-20, 10]",
                    1,
                ),
                "下浮措施的幅度上限",
            ),
            (
                EMBEDDED.replacen(
                    "range_set_by = \"hrss\"",
                    "range_set_by = \"hrss\"\nrange_percent = [0, -20]",
                    1,
                ),
                "下限 0% 高于上限 -20%",
            ),
            (
                EMBEDDED.replacen("when = { certified = true }", "when = { }", 1),
                "没有写明适用条件",
            ),
            (
                EMBEDDED.replacen(
                    "when = { certified = false }",
                    "when = { certified = false, grades = [\"one\"] }",
                    1,
                ),
                "自相矛盾",
            ),
            (
                EMBEDDED.replacen("department = \"pboc\"", "department = \"bank\"", 1),
                "实施部门“bank”",
            ),
            (
                EMBEDDED.replacen(
                    "designations = [\"credit_model\"]",
                    "designations = [\"vip\"]",
                    1,
                ),
                "认定类别“vip”",
            ),
            (
                EMBEDDED.replacen("grades = [\"one\", \"two\"]", "grades = [\"four\"]", 1),
                "等级“four”无法识别",
            ),
            (
                EMBEDDED.replacen(
                    "effective_from = \"2020-01-01\"",
                    "effective_from = \"2017-01-01\"",
                    1,
                ),
                "超出本版规则的生效期间",
            ),
            (
                EMBEDDED.replacen(
                    "when = { certified = true }",
                    "when = { certified = true, colour = \"red\" }",
                    1,
                ),
                "colour",
            ),
            // layouts and agreements
            (
                EMBEDDED.replacen(
                    "{ field = \"credit_code\", header = \"统一社会信用代码\" },\n  { field = \"name\", header = \"企业名称\" },\n  { field = \"grade\"",
                    "{ field = \"name\", header = \"企业名称\" },\n  { field = \"grade\"",
                    1,
                ),
                "应有一列统一社会信用代码",
            ),
            (
                EMBEDDED.replacen("{ field = \"blank\", header = \"录入情况\" }", "{ field = \"loan\", header = \"贷款\" }", 1),
                "列内容“loan”无法识别",
            ),
            (
                EMBEDDED.replacen("header = \"录入情况\"", "header = \"录入依据\"", 1),
                "列标题“录入依据”重复",
            ),
            (
                EMBEDDED.replacen("sheet = \"标准化企业信息\"", "sheet = \"标准化/企业\"", 1),
                "工作表名称",
            ),
            (
                EMBEDDED.replacen("fields = [\"credit_code\", \"name\", \"grade\", \"previous_grade\", \"certificate_number\", \"valid_until\"]", "fields = [\"credit_code\", \"salary\"]", 1),
                "字段“salary”无法识别",
            ),
            (
                EMBEDDED.replacen("kinds = [\"graded\", \"renewed\", \"upgraded\", \"downgraded\", \"revoked\", \"expired\", \"ended\"]", "kinds = [\"bankrupt\"]", 1),
                "变动类型“bankrupt”无法识别",
            ),
        ];
        for (text, expected) in cases {
            assert_ne!(text, EMBEDDED, "the case must change the file: {expected}");
            let e = with(&text).expect_err(expected);
            assert!(e.message.contains(expected), "{} / {expected}", e.message);
        }
        let twice = format!(
            "{EMBEDDED}\n{}",
            &EMBEDDED[EMBEDDED.find("\n[[set]]").expect("set")..]
        );
        let e = with(&twice).expect_err("overlap");
        assert!(e.message.contains("重叠"), "{}", e.message);
    }
}

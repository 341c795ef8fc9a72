//! Risk assessment (风险分级, 双重预防机制) as versioned data (`data/rules/risk.toml`): the four
//! levels and their colours, the methods (LEC, the L × S matrix, a jurisdiction's own) with
//! their factor tables and bands, the mapping of bands to levels, the conditions that make a
//! risk 重大 whatever its score, and who controls each level by default. An assessment names
//! the method, the file version and the factors that decided it, and reads back in words.
//!
//! Scores are exact: factor values are decimals held as integers with their scale, so D = 160
//! falls in the band the file gives 160, never one float step away.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::date::{Validity, effective_dates, format_date};
use crate::reference::ReferenceError;
use crate::rules::RuleRef;

pub const EMBEDDED: &str = crate::reference::embedded::RISK;

const CONFIDENCE: [&str; 6] = [
    "confirmed",
    "recalled-high",
    "recalled-low",
    "inferred",
    "default",
    // Items whose text is not known yet: shown as 待核对 until replaced.
    "placeholder",
];
/// Decimals a factor value or bound may carry, and digits before the point.
const MAX_DECIMALS: usize = 4;
const MAX_INTEGER_DIGITS: usize = 9;
/// Factors a method may multiply (keeps the exact product within i128).
const MAX_FACTORS: usize = 6;
/// The longest check period a level of control may have (a year and a day).
const MAX_CHECK_DAYS: u32 = 366;

/// What of a user's input an error message repeats: the first 20 characters.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(20).collect();
    if s.chars().count() > 20 {
        out.push('…');
    }
    out
}

/// A non-negative decimal held exactly: `units / 10^scale`.
#[derive(Debug, Clone, Copy)]
pub struct Dec {
    units: i128,
    scale: u32,
}

impl Dec {
    /// "0.5", "160", "12.25": digits with at most one point, at most four decimals.
    pub fn parse(s: &str) -> Option<Dec> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || int.len() > MAX_INTEGER_DIGITS
            || frac.len() > MAX_DECIMALS
            || s.ends_with('.')
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let digits = format!("{int}{frac}");
        Some(Dec {
            units: digits.parse().ok()?,
            scale: u32::try_from(frac.len()).ok()?,
        })
    }

    fn at_scale(self, scale: u32) -> i128 {
        self.units * 10i128.pow(scale - self.scale)
    }

    fn times(self, o: Dec) -> Dec {
        Dec {
            units: self.units * o.units,
            scale: self.scale + o.scale,
        }
    }

    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// The value as a float, for JSON (every value here has a short exact decimal form).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }
}

impl PartialEq for Dec {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Dec {}
impl PartialOrd for Dec {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Dec {
    fn cmp(&self, o: &Self) -> Ordering {
        let s = self.scale.max(o.scale);
        self.at_scale(s).cmp(&o.at_scale(s))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = 10i128.pow(self.scale);
        let (int, frac) = (self.units / p, self.units % p);
        if frac == 0 {
            return write!(f, "{int}");
        }
        let width = usize::try_from(self.scale).unwrap_or(0);
        let digits = format!("{frac:0width$}");
        write!(f, "{int}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for Dec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

/// One of the four levels (重大 红 / 较大 橙 / 一般 黄 / 低 蓝).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RiskLevel {
    pub key: String,
    pub name: String,
    /// The colour as users name it: 红, 橙, 黄, 蓝.
    pub colour: String,
    /// The colour on maps and lists.
    pub colour_hex: String,
    /// The levels of control that hold a risk of this level by default.
    pub controlled_by: Vec<String>,
}

/// A level of control (管控层级): company, department, workshop, team, post.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ControlLevel {
    pub key: String,
    pub name: String,
    /// How often the risks this level controls are checked (隐患排查周期), in days: a check task
    /// falls due this many days after the last.
    pub check_every_days: u32,
    /// The period in words: 每月、每周、每日.
    pub check: String,
}

/// A kind of control measure (管控措施类别): engineering, management, training, personal
/// protection, emergency; the columns of the graded control list.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MeasureKind {
    pub key: String,
    pub name: String,
}

/// Where the check periods of the levels of control come from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CheckRule {
    pub source: String,
    pub confidence: String,
}

impl CheckRule {
    /// Whether users are shown 待核对 beside it.
    pub fn to_be_checked(&self) -> bool {
        self.confidence.starts_with("recalled") || self.confidence == "placeholder"
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    value: String,
    label: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactor {
    key: String,
    name: String,
    values: Vec<RawValue>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    above: String,
    name: String,
    level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    key: String,
    name: String,
    formula: String,
    source: String,
    confidence: String,
    factor: Vec<RawFactor>,
    band: Vec<RawBand>,
}

/// A checklist the plan names alongside the register (八必须), shown on the register page.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RiskChecklist {
    pub key: String,
    pub title: String,
    pub source: String,
    pub confidence: String,
    pub items: Vec<String>,
}

impl RiskChecklist {
    /// Whether users are shown 待核对 beside it.
    pub fn to_be_checked(&self) -> bool {
        self.confidence == "placeholder" || self.confidence.starts_with("recalled")
    }
}

/// A condition that makes a risk 重大 whatever its score.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Direct {
    pub key: String,
    pub name: String,
    pub basis: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    source: String,
    confidence: String,
    accident_types: Vec<String>,
    level: Vec<RiskLevel>,
    control: Vec<ControlLevel>,
    method: Vec<RawMethod>,
    #[serde(default)]
    direct: Vec<Direct>,
    #[serde(default)]
    checklist: Vec<RiskChecklist>,
    measure: Vec<MeasureKind>,
    checks: CheckRule,
    #[serde(default)]
    card: Vec<RawCard>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    key: String,
    name: String,
    confidence: String,
    section: Vec<RawSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    title: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    lines: Option<Vec<String>>,
}

/// Where a card's section takes its lines from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardSource {
    /// The point's hazardous factors (split at ；).
    Hazards,
    /// The point's GB 6441 accident types.
    AccidentTypes,
    /// The point's measures: of one kind, or of every kind (each line named by its kind).
    Measures(Option<String>),
    /// The person responsible and the level of control.
    Responsible,
    /// Fixed text of the card type.
    Lines(Vec<String>),
}

/// A section of a card type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSection {
    pub title: String,
    pub source: CardSource,
}

/// A type of risk card (三卡): its name and sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardType {
    pub key: String,
    pub name: String,
    pub confidence: String,
    pub sections: Vec<CardSection>,
}

impl CardType {
    /// Whether it is this system's default rather than a set the bureau gave.
    pub fn is_default(&self) -> bool {
        self.confidence == "default"
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    set: Vec<RawSet>,
}

/// One value of a factor's table: 3 = 可能，但不经常.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorValue {
    pub value: Dec,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    pub key: String,
    pub name: String,
    pub values: Vec<FactorValue>,
}

/// A band of scores: above `above`, up to the bound of the band before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub above: Dec,
    pub name: String,
    pub level: String,
}

/// An assessment method: the score is the product of its factors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    pub key: String,
    pub name: String,
    pub formula: String,
    pub source: String,
    pub confidence: String,
    pub factors: Vec<Factor>,
    /// Highest first; the last is above 0.
    pub bands: Vec<Band>,
}

impl Method {
    /// Whether users are shown 待核对 beside its results.
    pub fn to_be_checked(&self) -> bool {
        self.confidence.starts_with("recalled")
    }

    /// The band of a score and the band above it (for "160 < D ≤ 320").
    fn band_of(&self, score: Dec) -> Option<(usize, &Band)> {
        self.bands.iter().enumerate().find(|(_, b)| score > b.above)
    }
}

/// One version of the risk rules.
#[derive(Debug, Clone)]
pub struct RiskSet {
    pub id: String,
    pub version: u32,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub source: String,
    pub confidence: String,
    /// The accident types a risk point may name (GB 6441).
    pub accident_types: Vec<String>,
    /// Highest first.
    pub levels: Vec<RiskLevel>,
    pub controls: Vec<ControlLevel>,
    pub methods: Vec<Method>,
    pub direct: Vec<Direct>,
    /// Checklists shown with the register (八必须).
    pub checklists: Vec<RiskChecklist>,
    /// The kinds of control measure, in the order of the control list's columns.
    pub measures: Vec<MeasureKind>,
    /// Where the check periods come from.
    pub checks: CheckRule,
    /// The risk cards (三卡) a point prints.
    pub cards: Vec<CardType>,
}

/// Why an assessment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskError {
    #[error("未知的评价方法“{given}”，可用：{known}")]
    UnknownMethod { given: String, known: String },
    #[error("{method}没有因素“{given}”，应为 {known}")]
    UnknownFactor {
        method: String,
        given: String,
        known: String,
    },
    #[error("因素 {factor} 填写了两次")]
    Repeated { factor: String },
    #[error("{method}缺少因素 {factor}（{name}）：请在所选的评价方法下选择每个因素")]
    Missing {
        method: String,
        factor: String,
        name: String,
    },
    #[error("因素 {factor} 的取值“{given}”不在{method}的取值表中，可取：{known}")]
    BadValue {
        method: String,
        factor: String,
        given: String,
        known: String,
    },
    #[error("未知的直接判定条件“{given}”，可用：{known}")]
    UnknownDirect { given: String, known: String },
    #[error("{0} 没有生效的风险分级规则")]
    NoneInForce(String),
    #[error("风险分级规则有误：{0}")]
    Broken(String),
}

/// A factor as assessed: L = 3（可能，但不经常）.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chosen {
    pub factor: String,
    pub value: Dec,
    pub label: String,
}

fn as_text<S: serde::Serializer>(r: &RuleRef, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

/// A risk's level and everything that decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The method's key, e.g. `lec`.
    pub method: String,
    pub method_name: String,
    pub score: Dec,
    /// The band's name, e.g. 高度危险，要立即整改.
    pub band: String,
    /// The band as bounds: "160 < D ≤ 320".
    pub bounds: String,
    /// The level's key (`major` …), name and colour.
    pub level: String,
    pub level_name: String,
    pub colour: String,
    /// The rule that decided the level: the band, or the condition that made it 重大.
    #[serde(serialize_with = "as_text")]
    pub rule: RuleRef,
    pub factors: Vec<Chosen>,
    /// The condition that made it 重大 directly, when one did.
    pub direct: Option<String>,
    /// The keys of every direct condition given (each one known to the rules).
    pub direct_keys: Vec<String>,
    /// The method's table is recalled, not read from a source: shown 待核对.
    pub to_be_checked: bool,
}

impl Assessment {
    /// "LEC：L=3（可能，但不经常）× E=6（每天工作时间内暴露）× C=15（非常严重，一人死亡）= 270；
    /// 160 < D ≤ 320 高度危险，要立即整改；较大风险（橙）。依据 risk@1#lec.band.160"
    pub fn words(&self) -> String {
        let factors: Vec<String> = self
            .factors
            .iter()
            .map(|c| format!("{}={}（{}）", c.factor, c.value, c.label))
            .collect();
        let mut s = format!(
            "{}：{} = {}；{} {}",
            self.method_name,
            factors.join(" × "),
            self.score,
            self.bounds,
            self.band
        );
        match &self.direct {
            Some(d) => s.push_str(&format!("；因“{d}”直接判定为{}", self.level_name)),
            None => s.push_str(&format!("；{}", self.level_name)),
        }
        s.push_str(&format!("（{}）。依据 {}", self.colour, self.rule));
        if self.to_be_checked {
            s.push_str("（取值表待核对）");
        }
        s
    }
}

impl RiskSet {
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    pub fn method(&self, key: &str) -> Option<&Method> {
        self.methods
            .iter()
            .find(|m| m.key.eq_ignore_ascii_case(key))
    }

    pub fn level(&self, key: &str) -> Option<&RiskLevel> {
        self.levels.iter().find(|l| l.key == key)
    }

    pub fn control(&self, key: &str) -> Option<&ControlLevel> {
        self.controls.iter().find(|c| c.key == key)
    }

    pub fn card(&self, key: &str) -> Option<&CardType> {
        self.cards.iter().find(|c| c.key == key)
    }

    pub fn measure(&self, key: &str) -> Option<&MeasureKind> {
        self.measures.iter().find(|m| m.key == key)
    }

    /// The rule that set a level of control's check period, for the record of a check.
    pub fn check_rule(&self, control: &ControlLevel) -> String {
        format!(
            "{}@{}#checks.{}（{}，{}）",
            self.id, self.version, control.key, control.name, control.check
        )
    }

    fn rule(&self, rule: String) -> RuleRef {
        RuleRef {
            set: self.id.clone(),
            version: self.version,
            rule,
        }
    }

    /// Assesses a risk with `method` from its factors (`("L", "3")` …), and the direct
    /// conditions that apply to it (keys of `[[set.direct]]`).
    pub fn assess(
        &self,
        method: &str,
        factors: &[(String, String)],
        direct: &[String],
    ) -> Result<Assessment, RiskError> {
        let m = self
            .method(method)
            .ok_or_else(|| RiskError::UnknownMethod {
                given: shown(method),
                known: self
                    .methods
                    .iter()
                    .map(|m| format!("{}（{}）", m.key, m.name))
                    .collect::<Vec<_>>()
                    .join("、"),
            })?;
        let known_factors = m
            .factors
            .iter()
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>()
            .join("、");
        for (i, (k, _)) in factors.iter().enumerate() {
            if !m.factors.iter().any(|f| f.key.eq_ignore_ascii_case(k)) {
                return Err(RiskError::UnknownFactor {
                    method: m.name.clone(),
                    given: shown(k),
                    known: known_factors,
                });
            }
            if factors[..i].iter().any(|(o, _)| o.eq_ignore_ascii_case(k)) {
                return Err(RiskError::Repeated {
                    factor: shown(&k.to_uppercase()),
                });
            }
        }
        let mut chosen = Vec::new();
        let mut score: Option<Dec> = None;
        for f in &m.factors {
            let (_, given) = factors
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&f.key))
                .ok_or_else(|| RiskError::Missing {
                    method: m.name.clone(),
                    factor: f.key.clone(),
                    name: f.name.clone(),
                })?;
            let bad = || RiskError::BadValue {
                method: m.name.clone(),
                factor: f.key.clone(),
                given: shown(given),
                known: f
                    .values
                    .iter()
                    .map(|v| v.value.to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
            };
            let value = Dec::parse(given).ok_or_else(bad)?;
            let v = f.values.iter().find(|v| v.value == value).ok_or_else(bad)?;
            score = Some(score.map_or(v.value, |s| s.times(v.value)));
            chosen.push(Chosen {
                factor: f.key.clone(),
                value: v.value,
                label: v.label.clone(),
            });
        }
        let score = score.unwrap_or(Dec { units: 0, scale: 0 });
        let mut direct_keys: Vec<String> = Vec::new();
        let direct_hit = match direct.first() {
            None => None,
            Some(_) => {
                let mut hit = None;
                for d in direct.iter().filter(|d| !d.trim().is_empty()) {
                    let d = &d.trim().to_string();
                    let c = self.direct.iter().find(|c| &c.key == d).ok_or_else(|| {
                        RiskError::UnknownDirect {
                            given: shown(d),
                            known: self
                                .direct
                                .iter()
                                .map(|c| format!("{}（{}）", c.key, c.name))
                                .collect::<Vec<_>>()
                                .join("、"),
                        }
                    })?;
                    if !direct_keys.contains(&c.key) {
                        direct_keys.push(c.key.clone());
                    }
                    hit.get_or_insert(c);
                }
                hit
            }
        };
        // Validation guarantees a last band above 0 and positive values: every score has one.
        let (i, band) = m
            .band_of(score)
            .ok_or_else(|| RiskError::Broken(format!("{}没有容纳得分 {score} 的分档", m.name)))?;
        let symbol = m.formula.split('=').next().unwrap_or("").trim();
        let bounds = match i.checked_sub(1).and_then(|j| m.bands.get(j)) {
            Some(upper) => format!("{} < {symbol} ≤ {}", band.above, upper.above),
            None => format!("{symbol} > {}", band.above),
        };
        let highest = self
            .levels
            .first()
            .map(|l| l.key.clone())
            .unwrap_or_default();
        let (level_key, rule) = match direct_hit {
            Some(c) => (highest, self.rule(format!("direct.{}", c.key))),
            None => (
                band.level.clone(),
                self.rule(format!("{}.band.{}", m.key, band.above)),
            ),
        };
        let level = self
            .level(&level_key)
            .ok_or_else(|| RiskError::Broken(format!("风险等级“{level_key}”未定义")))?;
        Ok(Assessment {
            method: m.key.clone(),
            method_name: m.name.clone(),
            score,
            band: band.name.clone(),
            bounds,
            level: level.key.clone(),
            level_name: level.name.clone(),
            colour: level.colour.clone(),
            rule,
            factors: chosen,
            direct: direct_hit.map(|c| c.name.clone()),
            direct_keys,
            to_be_checked: m.to_be_checked(),
        })
    }
}

/// Every version of the risk rules.
#[derive(Debug, Clone)]
pub struct RiskRules {
    pub sets: Vec<RiskSet>,
}

impl RiskRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("risk", m);
        let raw: RawRules = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一组风险分级规则".into()));
        }
        let mut sets: Vec<RiskSet> = Vec::new();
        for s in raw.set {
            let set = parse_set(s).map_err(bad)?;
            if let Some(o) = sets.iter().find(|o| o.validity().overlaps(&set.validity())) {
                return Err(bad(format!(
                    "{}@{} 与 {}@{} 的生效期间重叠",
                    set.id, set.version, o.id, o.version
                )));
            }
            sets.push(set);
        }
        Ok(Self { sets })
    }

    /// The set in force on `d`.
    pub fn in_force(&self, d: Date) -> Result<&RiskSet, RiskError> {
        self.sets
            .iter()
            .find(|s| s.validity().contains(d))
            .ok_or_else(|| RiskError::NoneInForce(format_date(d)))
    }
}

fn confidence_ok(name: &str, what: &str, c: &str) -> Result<(), String> {
    if CONFIDENCE.contains(&c) {
        Ok(())
    } else {
        Err(format!(
            "{name}：{what}的可信度“{c}”应为 {} 之一",
            CONFIDENCE.join("、")
        ))
    }
}

fn parse_set(s: RawSet) -> Result<RiskSet, String> {
    let name = format!("{}@{}", s.id, s.version);
    let (effective_from, effective_to) =
        effective_dates(&name, &s.effective_from, s.effective_to.as_deref())?;
    confidence_ok(&name, "规则", &s.confidence)?;
    if s.accident_types.is_empty() {
        return Err(format!("{name}：事故类别不能为空"));
    }
    if s.level.is_empty() || s.control.is_empty() || s.method.is_empty() {
        return Err(format!("{name}：风险等级、管控层级和评价方法都不能为空"));
    }
    for (i, c) in s.control.iter().enumerate() {
        if s.control[..i].iter().any(|o| o.key == c.key) {
            return Err(format!("{name}：管控层级“{}”重复", c.key));
        }
        if !(1..=MAX_CHECK_DAYS).contains(&c.check_every_days) {
            return Err(format!(
                "{name}：{}的排查周期应为 1 至 {MAX_CHECK_DAYS} 天",
                c.name
            ));
        }
    }
    if s.measure.is_empty() {
        return Err(format!("{name}：管控措施类别不能为空"));
    }
    for (i, m) in s.measure.iter().enumerate() {
        if s.measure[..i].iter().any(|o| o.key == m.key) {
            return Err(format!("{name}：管控措施类别“{}”重复", m.key));
        }
    }
    confidence_ok(&name, "排查周期", &s.checks.confidence)?;
    let mut cards: Vec<CardType> = Vec::new();
    for c in s.card {
        if cards.iter().any(|o| o.key == c.key) {
            return Err(format!("{name}：卡片类型“{}”重复", c.key));
        }
        confidence_ok(&name, &format!("卡片类型“{}”", c.key), &c.confidence)?;
        if c.section.is_empty() {
            return Err(format!("{name}：{}没有内容", c.name));
        }
        let mut sections = Vec::new();
        for sec in c.section {
            let source = match (sec.from.as_deref(), sec.lines) {
                (Some("hazards"), None) => CardSource::Hazards,
                (Some("accident_types"), None) => CardSource::AccidentTypes,
                (Some("measures"), None) => CardSource::Measures(None),
                (Some("responsible"), None) => CardSource::Responsible,
                (Some(f), None) => match f.strip_prefix("measures.") {
                    Some(k) if s.measure.iter().any(|m| m.key == k) => {
                        CardSource::Measures(Some(k.to_string()))
                    }
                    _ => {
                        return Err(format!(
                            "{name}：{}的“{}”取自未定义的内容“{f}”（可用 hazards、accident_types、measures、measures.<措施类别>、responsible）",
                            c.name, sec.title
                        ));
                    }
                },
                (None, Some(lines)) if !lines.is_empty() => CardSource::Lines(lines),
                _ => {
                    return Err(format!(
                        "{name}：{}的“{}”应写 from 或 lines 之一",
                        c.name, sec.title
                    ));
                }
            };
            sections.push(CardSection {
                title: sec.title,
                source,
            });
        }
        cards.push(CardType {
            key: c.key,
            name: c.name,
            confidence: c.confidence,
            sections,
        });
    }
    for (i, l) in s.level.iter().enumerate() {
        if s.level[..i].iter().any(|o| o.key == l.key) {
            return Err(format!("{name}：风险等级“{}”重复", l.key));
        }
        if l.controlled_by.is_empty() {
            return Err(format!("{name}：{}没有规定管控层级", l.name));
        }
        if let Some(k) = l
            .controlled_by
            .iter()
            .find(|k| !s.control.iter().any(|c| &c.key == *k))
        {
            return Err(format!("{name}：{}的管控层级“{k}”未定义", l.name));
        }
    }
    let mut methods: Vec<Method> = Vec::new();
    for m in s.method {
        let mname = format!("{name} 的方法 {}", m.key);
        if methods.iter().any(|o| o.key.eq_ignore_ascii_case(&m.key)) {
            return Err(format!("{name}：评价方法“{}”重复", m.key));
        }
        confidence_ok(&mname, "方法", &m.confidence)?;
        if m.factor.is_empty() || m.factor.len() > MAX_FACTORS {
            return Err(format!("{mname}：因素应有 1 至 {MAX_FACTORS} 个"));
        }
        let mut factors: Vec<Factor> = Vec::new();
        for f in m.factor {
            if factors.iter().any(|o| o.key.eq_ignore_ascii_case(&f.key)) {
                return Err(format!("{mname}：因素“{}”重复", f.key));
            }
            if f.values.is_empty() {
                return Err(format!("{mname}：因素“{}”没有取值", f.key));
            }
            let mut values: Vec<FactorValue> = Vec::new();
            for v in f.values {
                let value = Dec::parse(&v.value)
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        format!(
                            "{mname}：因素“{}”的取值“{}”应为正数（至多四位小数）",
                            f.key, v.value
                        )
                    })?;
                if values.iter().any(|o| o.value == value) {
                    return Err(format!("{mname}：因素“{}”的取值 {value} 重复", f.key));
                }
                values.push(FactorValue {
                    value,
                    label: v.label,
                });
            }
            factors.push(Factor {
                key: f.key,
                name: f.name,
                values,
            });
        }
        let mut bands: Vec<Band> = Vec::new();
        for b in m.band {
            let above = Dec::parse(&b.above).ok_or_else(|| {
                format!("{mname}：分档下限“{}”应为非负数（至多四位小数）", b.above)
            })?;
            if bands.last().is_some_and(|prev| above >= prev.above) {
                return Err(format!("{mname}：分档应从高到低排列（{above}）"));
            }
            if !s.level.iter().any(|l| l.key == b.level) {
                return Err(format!(
                    "{mname}：分档“{}”的风险等级“{}”未定义",
                    b.name, b.level
                ));
            }
            bands.push(Band {
                above,
                name: b.name,
                level: b.level,
            });
        }
        if !bands.last().is_some_and(|b| b.above.is_zero()) {
            return Err(format!("{mname}：最低一档的下限应为 0，使每个得分都有分档"));
        }
        methods.push(Method {
            key: m.key,
            name: m.name,
            formula: m.formula,
            source: m.source,
            confidence: m.confidence,
            factors,
            bands,
        });
    }
    for (i, c) in s.checklist.iter().enumerate() {
        if s.checklist[..i].iter().any(|o| o.key == c.key) {
            return Err(format!("{name}：清单“{}”重复", c.key));
        }
        if c.items.is_empty() || c.items.iter().any(|t| t.trim().is_empty()) {
            return Err(format!("{name}：清单“{}”的条目不能为空", c.title));
        }
        confidence_ok(&name, &format!("清单“{}”", c.key), &c.confidence)?;
    }
    for (i, d) in s.direct.iter().enumerate() {
        if s.direct[..i].iter().any(|o| o.key == d.key) {
            return Err(format!("{name}：直接判定条件“{}”重复", d.key));
        }
        confidence_ok(&name, &format!("直接判定条件“{}”", d.key), &d.confidence)?;
    }
    Ok(RiskSet {
        id: s.id,
        version: s.version,
        effective_from,
        effective_to,
        source: s.source,
        confidence: s.confidence,
        accident_types: s.accident_types,
        levels: s.level,
        controls: s.control,
        methods,
        direct: s.direct,
        checklists: s.checklist,
        measures: s.measure,
        checks: s.checks,
        cards,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn set() -> RiskSet {
        RiskRules::embedded()
            .expect("shipped")
            .in_force(date!(2018 - 07 - 04))
            .expect("in force")
            .clone()
    }

    fn lec(l: &str, e: &str, c: &str) -> Assessment {
        set()
            .assess(
                "lec",
                &[
                    ("L".into(), l.into()),
                    ("E".into(), e.into()),
                    ("C".into(), c.into()),
                ],
                &[],
            )
            .expect("assessed")
    }

    fn dec(s: &str) -> Dec {
        Dec::parse(s).expect("decimal")
    }

    /// The level and band a score of the method falls in.
    fn placed<'a>(set: &'a RiskSet, method: &str, score: &str) -> (&'a str, &'a str) {
        let m = set.method(method).expect("method");
        let (_, b) = m.band_of(dec(score)).expect("a band");
        (b.level.as_str(), b.name.as_str())
    }

    #[test]
    fn lec_cut_offs_are_exact() {
        // D = 320, 160, 70, 20 exactly are the top of the band below their cut-off; a ten-
        // thousandth more is the band above (domain.md §6.2: D > 320, 160 < D ≤ 320 …).
        let s = set();
        for (score, level, band) in [
            ("320.0001", "major", "极其危险，不能继续作业"),
            ("320", "high", "高度危险，要立即整改"),
            ("160.0001", "high", "高度危险，要立即整改"),
            ("160", "medium", "显著危险，需要整改"),
            ("70.0001", "medium", "显著危险，需要整改"),
            ("70", "low", "一般危险，需要注意"),
            ("20.0001", "low", "一般危险，需要注意"),
            ("20", "low", "稍有危险，可以接受"),
            ("0.05", "low", "稍有危险，可以接受"),
        ] {
            assert_eq!(placed(&s, "lec", score), (level, band), "D = {score}");
        }
        // Through the tables: 10 × 1 × 7 = 70 and 10 × 2 × 1 = 20 exactly; 0.1 × 0.5 × 1.
        let a = lec("10", "1", "7");
        assert_eq!(
            (a.score.to_string().as_str(), a.band.as_str()),
            ("70", "一般危险，需要注意")
        );
        assert_eq!(a.bounds, "20 < D ≤ 70");
        let a = lec("10", "2", "1");
        assert_eq!(
            (a.score.to_string().as_str(), a.bounds.as_str()),
            ("20", "0 < D ≤ 20")
        );
        let a = lec("0.1", "0.5", "1");
        assert_eq!(
            (a.score.to_string(), a.level.as_str()),
            ("0.05".to_string(), "low")
        );
        let a = lec("1", "10", "40");
        assert_eq!(
            (
                a.score.to_string().as_str(),
                a.bounds.as_str(),
                a.colour.as_str()
            ),
            ("400", "D > 320", "红")
        );
    }

    #[test]
    fn an_assessment_names_its_method_rule_and_factors_in_words() {
        let a = lec("3", "6", "15");
        assert_eq!(a.score.to_string(), "270");
        assert_eq!(
            (a.level.as_str(), a.level_name.as_str(), a.colour.as_str()),
            ("high", "较大风险", "橙")
        );
        assert_eq!(a.rule.to_string(), "risk@1#lec.band.160");
        assert_eq!(
            a.words(),
            "作业条件危险性评价法（LEC）：L=3（可能，但不经常） × E=6（每天工作时间内暴露） × C=15（非常严重，一人死亡） = 270；160 < D ≤ 320 高度危险，要立即整改；较大风险（橙）。依据 risk@1#lec.band.160"
        );
        assert_eq!(
            serde_json::to_value(&a).expect("json")["score"],
            serde_json::json!(270.0)
        );
    }

    #[test]
    fn the_matrix_bands_and_its_recalled_table_are_marked() {
        let s = set();
        for (score, level) in [
            ("25", "major"),
            ("20", "major"),
            ("16", "high"),
            ("15", "high"),
            ("12", "medium"),
            ("9", "medium"),
            ("8", "low"),
            ("1", "low"),
        ] {
            assert_eq!(placed(&s, "ls", score).0, level, "R = {score}");
        }
        let a = s
            .assess(
                "LS",
                &[("l".into(), "4".into()), ("s".into(), "4".into())],
                &[],
            )
            .expect("assessed");
        assert_eq!(
            (a.score.to_string().as_str(), a.level.as_str()),
            ("16", "high")
        );
        assert!(
            a.to_be_checked && a.words().ends_with("（取值表待核对）"),
            "{}",
            a.words()
        );
    }

    #[test]
    fn a_direct_condition_makes_it_major_whatever_the_score() {
        let a = set()
            .assess(
                "lec",
                &[
                    ("L".into(), "0.5".into()),
                    ("E".into(), "1".into()),
                    ("C".into(), "7".into()),
                ],
                &["confined_space".into()],
            )
            .expect("assessed");
        assert_eq!(
            (
                a.score.to_string().as_str(),
                a.level.as_str(),
                a.colour.as_str()
            ),
            ("3.5", "major", "红")
        );
        assert_eq!(a.rule.to_string(), "risk@1#direct.confined_space");
        assert!(
            a.words().contains("因“有限空间作业”直接判定为重大风险"),
            "{}",
            a.words()
        );
    }

    #[test]
    fn wrong_methods_factors_and_values_are_refused_in_words() {
        let s = set();
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let e = s.assess("hazop", &f(&[]), &[]).expect_err("method");
        assert!(
            e.to_string()
                .starts_with("未知的评价方法“hazop”，可用：lec（"),
            "{e}"
        );
        let e = s
            .assess("lec", &f(&[("L", "4"), ("E", "6"), ("C", "15")]), &[])
            .expect_err("value");
        assert_eq!(
            e.to_string(),
            "因素 L 的取值“4”不在作业条件危险性评价法（LEC）的取值表中，可取：10、6、3、1、0.5、0.2、0.1"
        );
        let e = s
            .assess("lec", &f(&[("L", "3"), ("E", "6")]), &[])
            .expect_err("missing");
        assert_eq!(
            e.to_string(),
            "作业条件危险性评价法（LEC）缺少因素 C（发生事故可能造成的后果）：请在所选的评价方法下选择每个因素"
        );
        let e = s
            .assess("lec", &f(&[("L", "3"), ("X", "6")]), &[])
            .expect_err("factor");
        assert!(e.to_string().contains("没有因素“X”，应为 L、E、C"), "{e}");
        let e = s
            .assess("lec", &f(&[("L", "3"), ("l", "6")]), &[])
            .expect_err("twice");
        assert_eq!(e.to_string(), "因素 L 填写了两次");
        for junk in ["-3", "3.", "1e3", "", "３", "0.00001"] {
            assert!(
                s.assess("lec", &f(&[("L", junk), ("E", "6"), ("C", "15")]), &[])
                    .is_err(),
                "{junk:?}"
            );
        }
        // "3.0" is the value 3.
        assert!(
            s.assess("lec", &f(&[("L", "3.0"), ("E", "6"), ("C", "15")]), &[])
                .is_ok()
        );
        let e = s
            .assess(
                "lec",
                &f(&[("L", "3"), ("E", "6"), ("C", "15")]),
                &["ghost".into()],
            )
            .expect_err("direct");
        assert!(
            e.to_string().starts_with("未知的直接判定条件“ghost”"),
            "{e}"
        );
    }

    #[test]
    fn the_other_lec_mapping_is_a_change_of_data() {
        // Mapping B (domain.md §6.2): D > 160 重大, 70 < D ≤ 160 较大, 20 < D ≤ 70 一般, D ≤ 20 低.
        let b = EMBEDDED
            .replacen(
                "name = \"高度危险，要立即整改\"\nlevel = \"high\"",
                "name = \"高度危险，要立即整改\"\nlevel = \"major\"",
                1,
            )
            .replacen(
                "name = \"显著危险，需要整改\"\nlevel = \"medium\"",
                "name = \"显著危险，需要整改\"\nlevel = \"high\"",
                1,
            )
            .replacen(
                "name = \"一般危险，需要注意\"\nlevel = \"low\"",
                "name = \"一般危险，需要注意\"\nlevel = \"medium\"",
                1,
            );
        let s = RiskRules::from_toml(&b).expect("mapping B").sets[0].clone();
        for (score, level) in [
            ("160.0001", "major"),
            ("160", "high"),
            ("70", "medium"),
            ("20", "low"),
        ] {
            assert_eq!(placed(&s, "lec", score).0, level, "D = {score}");
        }
    }

    #[test]
    fn a_broken_file_is_refused_with_the_reason() {
        for (from, to, says) in [
            ("above = \"160\"", "above = \"400\"", "从高到低"),
            (
                "above = \"0\"\nname = \"稍有危险",
                "above = \"5\"\nname = \"稍有危险",
                "下限应为 0",
            ),
            (
                "level = \"medium\"\n",
                "level = \"amber\"\n",
                "“amber”未定义",
            ),
            (
                "{ value = \"0.5\", label = \"很不可能",
                "{ value = \"0\", label = \"很不可能",
                "应为正数",
            ),
            (
                "controlled_by = [\"team\", \"post\"]",
                "controlled_by = [\"squad\"]",
                "“squad”未定义",
            ),
            (
                "confidence = \"recalled-low\"",
                "confidence = \"sure\"",
                "可信度“sure”",
            ),
        ] {
            assert!(EMBEDDED.contains(from), "{from}");
            let e = RiskRules::from_toml(&EMBEDDED.replacen(from, to, 1)).expect_err(says);
            assert!(e.message.contains(says), "{says}: {e}");
        }
        assert!(
            RiskRules::embedded()
                .expect("shipped")
                .in_force(date!(2016 - 10 - 08))
                .is_err()
        );
    }

    #[test]
    fn the_eight_musts_are_placeholders_until_the_bureau_supplies_them() {
        let s = set();
        let c = s
            .checklists
            .iter()
            .find(|c| c.key == "eight_musts")
            .expect("八必须");
        assert_eq!(c.items.len(), 8);
        assert!(c.to_be_checked() && c.items.iter().all(|i| i.contains("待核对")));
        let supplied = EMBEDDED.replacen(
            "confidence = \"placeholder\"",
            "confidence = \"confirmed\"",
            1,
        );
        let rules = RiskRules::from_toml(&supplied).expect("valid");
        assert!(!rules.sets[0].checklists[0].to_be_checked());
    }

    #[test]
    fn decimals_compare_and_print_exactly() {
        assert_eq!(dec("160"), dec("160.0000"));
        assert!(dec("160.0001") > dec("160"));
        assert_eq!(
            dec("0.1").times(dec("0.5")).times(dec("1")).to_string(),
            "0.05"
        );
        assert_eq!(dec("3.50").to_string(), "3.5");
        for bad in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "1e2",
            "1.23456",
            "1234567890",
            " 1 2",
        ] {
            assert!(Dec::parse(bad).is_none(), "{bad:?}");
        }
    }
}

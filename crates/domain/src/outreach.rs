//! Training, publicity and demonstration (通政发〔2018〕27号 六（六）1–3) as versioned data
//! (`data/rules/outreach.toml`): the topics, audiences, organisers and attendee roles a training
//! session is recorded in, the publicity channels, the kinds of visits and groups, and the rules
//! that decide the coverage figures and a model-enterprise nomination.

use serde::Deserialize;
use time::{Date, Duration};

use crate::date::{Validity, effective_dates};
use crate::grade::Grade;
use crate::reference::ReferenceError;

pub const EMBEDDED: &str = crate::reference::embedded::OUTREACH;

/// A word of the file: its key and its name.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub key: String,
    pub name: String,
}

/// The part an attendee plays, and how the sign-in sheet names where they come from.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AttendeeRole {
    pub key: String,
    pub name: String,
    /// From an enterprise, named by its name or credit code.
    #[serde(default)]
    pub enterprise: bool,
    /// An evaluator, named by the certificate number.
    #[serde(default)]
    pub evaluator: bool,
}

/// What decides the training coverage figures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Which enterprises are key (`above_scale`).
    pub key_enterprises: String,
    /// The roles that must all have attended for a key enterprise to count.
    pub key_roles: Vec<String>,
    pub key_section: String,
    pub key_confidence: String,
    /// How long a training counts for.
    pub window_days: i64,
    pub window_source: String,
    pub window_confidence: String,
    pub small_micro_section: String,
    /// The topics an evaluator's yearly training is in.
    pub evaluator_topics: Vec<String>,
    pub evaluator_section: String,
    pub evaluator_confidence: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demonstration {
    /// The grades a model enterprise is named from (`one`, `two`).
    pub model_grades: Vec<String>,
    pub section: String,
    pub confidence: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    id: String,
    version: u32,
    title: String,
    effective_from: String,
    #[serde(default)]
    effective_to: Option<String>,
    document: String,
    source: String,
    confidence: String,
    topic: Vec<Term>,
    audience: Vec<Term>,
    organiser: Vec<Term>,
    role: Vec<AttendeeRole>,
    coverage: Coverage,
    channel: Vec<Term>,
    demonstration: Demonstration,
    visit_kind: Vec<Term>,
    group_kind: Vec<Term>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    set: Vec<RawSet>,
}

/// One version of the rules.
#[derive(Debug, Clone)]
pub struct OutreachSet {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub document: String,
    pub source: String,
    pub confidence: String,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub topics: Vec<Term>,
    pub audiences: Vec<Term>,
    pub organisers: Vec<Term>,
    pub roles: Vec<AttendeeRole>,
    pub coverage: Coverage,
    pub channels: Vec<Term>,
    pub demonstration: Demonstration,
    pub model_grades: Vec<Grade>,
    pub visit_kinds: Vec<Term>,
    pub group_kinds: Vec<Term>,
}

fn find<'a>(terms: &'a [Term], key: &str) -> Option<&'a Term> {
    terms.iter().find(|t| t.key == key)
}

/// Whether a confidence tag means the fact is to be checked (待核对) when shown.
pub fn to_be_checked(confidence: &str) -> bool {
    !matches!(confidence, "confirmed" | "default")
}

impl OutreachSet {
    pub fn validity(&self) -> Validity {
        Validity {
            from: Some(self.effective_from),
            to: self.effective_to,
        }
    }

    /// `outreach@1`
    pub fn name(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// The rule a decision records: `outreach@1#coverage.evaluator`.
    pub fn cite(&self, part: &str) -> String {
        format!("{}#{part}", self.name())
    }

    pub fn topic(&self, key: &str) -> Option<&Term> {
        find(&self.topics, key)
    }

    pub fn audience(&self, key: &str) -> Option<&Term> {
        find(&self.audiences, key)
    }

    pub fn organiser(&self, key: &str) -> Option<&Term> {
        find(&self.organisers, key)
    }

    pub fn channel(&self, key: &str) -> Option<&Term> {
        find(&self.channels, key)
    }

    pub fn visit_kind(&self, key: &str) -> Option<&Term> {
        find(&self.visit_kinds, key)
    }

    pub fn group_kind(&self, key: &str) -> Option<&Term> {
        find(&self.group_kinds, key)
    }

    pub fn role(&self, key: &str) -> Option<&AttendeeRole> {
        self.roles.iter().find(|r| r.key == key)
    }

    /// The role named on a sign-in sheet, by its key or name (主要负责人), or a common
    /// shorter form (负责人, 安全员, 安管人员).
    pub fn role_named(&self, text: &str) -> Option<&AttendeeRole> {
        let t = crate::text::squeeze(text);
        let alias = match t.as_str() {
            "负责人" | "法定代表人" | "企业负责人" => "principal",
            "安全员" | "安管人员" | "安全管理员" | "安全负责人" => {
                "safety_manager"
            }
            "员工" | "职工" | "管理人员" | "技术人员" => "staff",
            "监管员" | "执法人员" => "officer",
            _ => "",
        };
        self.roles.iter().find(|r| {
            r.key == t
                || crate::text::squeeze(&r.name) == t
                || (!alias.is_empty() && r.key == alias)
        })
    }

    /// The first day a training counts for the coverage on `day` (the window's start).
    pub fn window_start(&self, day: Date) -> Date {
        day - Duration::days(self.coverage.window_days - 1)
    }
}

/// Every version of the rules.
#[derive(Debug, Clone)]
pub struct OutreachRules {
    pub sets: Vec<OutreachSet>,
}

impl OutreachRules {
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    /// Parses and checks the file: no list empty, no key twice, the coverage's roles and topics
    /// and the model grades known, and no two versions overlapping in time.
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("outreach", m);
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.set.is_empty() {
            return Err(bad("至少需要一版规则".into()));
        }
        let mut sets: Vec<OutreachSet> = Vec::new();
        for s in raw.set {
            let name = format!("{}@{}", s.id, s.version);
            let (effective_from, effective_to) =
                effective_dates(&name, &s.effective_from, s.effective_to.as_deref())
                    .map_err(bad)?;
            let role_terms: Vec<Term> = s
                .role
                .iter()
                .map(|r| Term {
                    key: r.key.clone(),
                    name: r.name.clone(),
                })
                .collect();
            for (what, list) in [
                ("培训主题", &s.topic),
                ("培训对象", &s.audience),
                ("主办方", &s.organiser),
                ("参训身份", &role_terms),
                ("宣传渠道", &s.channel),
                ("交流方式", &s.visit_kind),
                ("组织类别", &s.group_kind),
            ] {
                if list.is_empty() {
                    return Err(bad(format!("{name}：{what}为空")));
                }
                for (n, t) in list.iter().enumerate() {
                    if t.key.trim().is_empty() || t.name.trim().is_empty() {
                        return Err(bad(format!("{name}：第 {} 个{what}缺少编号或名称", n + 1)));
                    }
                    if list[..n].iter().any(|o| o.key == t.key) {
                        return Err(bad(format!("{name}：{what}“{}”重复", t.key)));
                    }
                }
            }
            if s.role.iter().any(|r| r.enterprise && r.evaluator) {
                return Err(bad(format!("{name}：参训身份不能既来自企业又是考评员")));
            }
            let c = &s.coverage;
            if c.key_enterprises != "above_scale" {
                return Err(bad(format!(
                    "{name}：重点企业的范围“{}”无法识别（应为 above_scale）",
                    c.key_enterprises
                )));
            }
            if c.key_roles.is_empty() {
                return Err(bad(format!("{name}：没有写明重点企业应参训的人员")));
            }
            if let Some(r) = c
                .key_roles
                .iter()
                .find(|r| !s.role.iter().any(|x| &x.key == *r && x.enterprise))
            {
                return Err(bad(format!(
                    "{name}：重点企业应参训的人员“{r}”不是企业的参训身份"
                )));
            }
            if !(1..=3660).contains(&c.window_days) {
                return Err(bad(format!("{name}：window_days 应在 1 至 3660 天之间")));
            }
            if c.evaluator_topics.is_empty() {
                return Err(bad(format!("{name}：没有写明考评员年度培训的主题")));
            }
            if let Some(t) = c
                .evaluator_topics
                .iter()
                .find(|t| !s.topic.iter().any(|x| &x.key == *t))
            {
                return Err(bad(format!("{name}：考评员培训主题“{t}”未定义")));
            }
            let mut model_grades = Vec::new();
            for g in &s.demonstration.model_grades {
                match Grade::parse(g) {
                    Some(g) if g != Grade::SmallMicro => model_grades.push(g),
                    _ => {
                        return Err(bad(format!(
                            "{name}：示范企业的等级“{g}”无法识别（应为 one、two 或 three）"
                        )));
                    }
                }
            }
            if model_grades.is_empty() {
                return Err(bad(format!("{name}：没有写明示范企业的等级")));
            }
            let set = OutreachSet {
                id: s.id,
                version: s.version,
                title: s.title,
                document: s.document,
                source: s.source,
                confidence: s.confidence,
                effective_from,
                effective_to,
                topics: s.topic,
                audiences: s.audience,
                organisers: s.organiser,
                roles: s.role,
                coverage: s.coverage,
                channels: s.channel,
                demonstration: s.demonstration,
                model_grades,
                visit_kinds: s.visit_kind,
                group_kinds: s.group_kind,
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

    pub fn in_force(&self, d: Date) -> Option<&OutreachSet> {
        self.sets.iter().find(|s| s.validity().contains(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_rules_name_the_seeds_audiences_and_model_grades() {
        let r = OutreachRules::embedded().expect("shipped");
        assert!(r.in_force(date!(2018 - 07 - 03)).is_none());
        let s = r.in_force(date!(2026 - 12 - 07)).expect("in force");
        assert_eq!(s.name(), "outreach@1");
        assert_eq!(s.model_grades, vec![Grade::One, Grade::Two]);
        assert_eq!(
            s.audience("evaluators").map(|a| a.name.as_str()),
            Some("考评员")
        );
        assert_eq!(
            s.role_named("安全员").map(|r| r.key.as_str()),
            Some("safety_manager")
        );
        assert_eq!(
            s.role_named("主要负责人").map(|r| r.key.as_str()),
            Some("principal")
        );
        assert!(s.role_named("董事长秘书").is_none());
        assert_eq!(s.window_start(date!(2026 - 12 - 31)), date!(2026 - 01 - 01));
        assert!(to_be_checked(&s.coverage.window_confidence));
        assert!(!to_be_checked(&s.demonstration.confidence));
    }

    #[test]
    fn a_file_with_unknown_roles_topics_grades_or_overlapping_versions_is_refused() {
        let cases = [
            (
                EMBEDDED.replace(
                    "key_roles = [\"principal\", \"safety_manager\"]",
                    "key_roles = [\"evaluator\"]",
                ),
                "不是企业的参训身份",
            ),
            (
                EMBEDDED.replace(
                    "evaluator_topics = [\"evaluation\"]",
                    "evaluator_topics = [\"cooking\"]",
                ),
                "未定义",
            ),
            (
                EMBEDDED.replace(
                    "model_grades = [\"one\", \"two\"]",
                    "model_grades = [\"small_micro\"]",
                ),
                "无法识别",
            ),
            (
                EMBEDDED.replace("key = \"wechat\"", "key = \"internet\""),
                "重复",
            ),
            (
                format!(
                    "{EMBEDDED}\n{}",
                    &EMBEDDED[EMBEDDED.find("\n[[set]]").expect("set")..]
                ),
                "重叠",
            ),
        ];
        for (text, why) in cases {
            let e = OutreachRules::from_toml(&text).expect_err(why);
            assert!(e.message.contains(why), "{why}: {}", e.message);
        }
    }
}

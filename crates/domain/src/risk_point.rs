//! Risk points (风险点): the places, equipment, work activities and posts an enterprise
//! identifies, each with the hazardous factors found at it, the accidents they may cause (GB
//! 6441), the people exposed, its assessment by a method of the risk rules in force, and who
//! controls it (分级管控). The enterprise keeps its register; officers read it.

use std::collections::BTreeSet;

use crate::risk::{Assessment, RiskSet, shown};
use crate::text::{self, limits};

/// What a risk point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointKind {
    Place,
    Equipment,
    Activity,
    Post,
}

impl PointKind {
    pub const ALL: [PointKind; 4] = [Self::Place, Self::Equipment, Self::Activity, Self::Post];

    pub fn key(self) -> &'static str {
        match self {
            Self::Place => "place",
            Self::Equipment => "equipment",
            Self::Activity => "activity",
            Self::Post => "post",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Place => "场所区域",
            Self::Equipment => "设备设施",
            Self::Activity => "作业活动",
            Self::Post => "岗位",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// A risk point as a form or a file gives it, unchecked.
#[derive(Debug, Clone, Default)]
pub struct PointDraft {
    pub name: String,
    pub kind: String,
    pub location: String,
    /// The hazardous and harmful factors found at the point (危险有害因素), in words.
    pub hazards: String,
    pub accident_types: Vec<String>,
    pub exposed: String,
    pub method: String,
    pub factors: Vec<(String, String)>,
    /// Conditions that make the risk 重大 directly (keys of the rules' `direct`).
    pub direct: Vec<String>,
    /// The level of control (管控层级); empty takes the level's default.
    pub control_level: String,
    pub responsible: String,
    /// The control measures (管控措施) as (kind key, text); a kind left empty has none.
    pub measures: Vec<(String, String)>,
}

/// A risk point that passed every check, with its assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPoint {
    pub name: String,
    pub kind: PointKind,
    pub location: String,
    pub hazards: String,
    pub accident_types: Vec<String>,
    pub exposed: i64,
    pub assessment: Assessment,
    /// The key of the level of control.
    pub control_level: String,
    pub responsible: String,
    /// In the order of the rules' kinds, only the kinds with a measure.
    pub measures: Vec<Measure>,
}

/// A control measure of one kind, in words; each line is an item of the hazard-check list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Measure {
    pub kind: String,
    pub text: String,
}

/// The measures as stored: a JSON array of `{"kind", "text"}`.
pub fn stored_measures(ms: &[Measure]) -> String {
    serde_json::to_string(ms).unwrap_or_else(|_| "[]".into())
}

/// The measures a stored value holds; text written before measures had kinds reads as one
/// measure without a kind.
pub fn read_measures(stored: &str) -> Vec<Measure> {
    let t = stored.trim();
    if t.is_empty() {
        return Vec::new();
    }
    serde_json::from_str(t).unwrap_or_else(|_| {
        vec![Measure {
            kind: String::new(),
            text: t.to_string(),
        }]
    })
}

/// The name of a measure's kind (管控措施 for one without a kind or of a kind the rules no
/// longer name).
pub fn measure_name(set: &RiskSet, kind: &str) -> String {
    set.measure(kind)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| "管控措施".into())
}

/// The measures in words: 工程技术措施：…；管理措施：….
pub fn measures_words(set: &RiskSet, ms: &[Measure]) -> String {
    ms.iter()
        .map(|m| {
            format!(
                "{}：{}",
                measure_name(set, &m.kind),
                m.text.replace('\n', "；")
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The most lines of one measure that become check items.
pub const MAX_ITEMS_PER_MEASURE: usize = 20;

/// What is wrong with a draft, and on which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PointError {
    pub field: &'static str,
    pub message: String,
}

pub(crate) fn bad(field: &'static str, message: impl Into<String>) -> PointError {
    PointError {
        field,
        message: message.into(),
    }
}

/// The most people a point may expose (a larger figure is a typing error).
const MAX_EXPOSED: i64 = 100_000;

impl PointDraft {
    /// Checks the draft against the risk rules in force and assesses it.
    pub fn validate(&self, set: &RiskSet) -> Result<ValidPoint, PointError> {
        let clean = |field: &'static str, label: &str, v: &str, max: usize, required: bool| {
            let v = text::clean(v);
            if required && v.is_empty() {
                return Err(bad(field, format!("请填写{label}")));
            }
            if v.chars().count() > max {
                return Err(bad(field, format!("{label}不能超过 {max} 个字")));
            }
            Ok(v)
        };
        let name = clean("name", "风险点名称", &self.name, limits::TITLE, true)?;
        let kind = PointKind::parse(self.kind.trim()).ok_or_else(|| {
            bad(
                "kind",
                "请选择风险点类型：场所区域、设备设施、作业活动或岗位",
            )
        })?;
        let location = clean("location", "所在位置", &self.location, limits::TITLE, false)?;
        let hazards = clean(
            "hazards",
            "危险有害因素",
            &self.hazards,
            limits::DESCRIPTION,
            true,
        )?;
        let mut accident_types = Vec::new();
        let mut seen = BTreeSet::new();
        for t in self
            .accident_types
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if !set.accident_types.iter().any(|k| k == t) {
                return Err(bad(
                    "accident_types",
                    format!("“{}”不是 GB 6441 规定的事故类别", shown(t)),
                ));
            }
            if seen.insert(t.to_string()) {
                accident_types.push(t.to_string());
            }
        }
        if accident_types.is_empty() {
            return Err(bad("accident_types", "请至少选择一种可能导致的事故类别"));
        }
        // In the standard's order, so the same choice always reads the same.
        accident_types.sort_by_key(|t| set.accident_types.iter().position(|k| k == t));
        let exposed = match self.exposed.trim() {
            "" => 0,
            v => v
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=MAX_EXPOSED).contains(n))
                .ok_or_else(|| {
                    bad(
                        "exposed",
                        format!("接触人数应为 0 至 {MAX_EXPOSED} 之间的整数"),
                    )
                })?,
        };
        let assessment = set
            .assess(self.method.trim(), &self.factors, &self.direct)
            .map_err(|e| bad("method", e.to_string()))?;
        let level = set.level(&assessment.level);
        let rank = |k: &str| set.controls.iter().position(|c| c.key == k);
        // The lowest level of control the rules let hold a risk of this level.
        let floor = level.and_then(|l| l.controlled_by.iter().filter_map(|k| rank(k)).max());
        let control_level = match self.control_level.trim() {
            "" => level
                .and_then(|l| l.controlled_by.first())
                .cloned()
                .unwrap_or_default(),
            k if rank(k).is_some_and(|r| floor.is_some_and(|f| r > f)) => {
                let (l, lowest) = (
                    level.map(|l| l.name.as_str()).unwrap_or(""),
                    floor
                        .and_then(|f| set.controls.get(f))
                        .map(|c| c.name.as_str())
                        .unwrap_or(""),
                );
                return Err(bad(
                    "control_level",
                    format!(
                        "{l}至少应由{lowest}管控（风险分级规则 {}@{}），不能交由{}",
                        set.id,
                        set.version,
                        set.control(k).map(|c| c.name.as_str()).unwrap_or(k)
                    ),
                ));
            }
            k if set.control(k).is_some() => k.to_string(),
            k => {
                return Err(bad(
                    "control_level",
                    format!(
                        "管控层级“{}”未在风险分级规则中规定，可选：{}",
                        shown(k),
                        set.controls
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                ));
            }
        };
        let responsible = clean(
            "responsible",
            "管控责任人",
            &self.responsible,
            limits::TITLE,
            true,
        )?;
        let mut measures = Vec::new();
        for (k, _) in &self.measures {
            if set.measure(k.trim()).is_none() {
                return Err(bad(
                    "measures",
                    format!("管控措施类别“{}”未在风险分级规则中规定", shown(k)),
                ));
            }
        }
        for kind in &set.measures {
            let mut lines = Vec::new();
            for (_, text) in self.measures.iter().filter(|(k, _)| k.trim() == kind.key) {
                for line in text.lines() {
                    let line = text::clean(line);
                    if !line.is_empty() {
                        lines.push(line);
                    }
                }
            }
            if lines.is_empty() {
                continue;
            }
            if lines.len() > MAX_ITEMS_PER_MEASURE {
                return Err(bad(
                    "measures",
                    format!("{}至多写 {MAX_ITEMS_PER_MEASURE} 条（每行一条）", kind.name),
                ));
            }
            let text = lines.join("\n");
            if text.chars().count() > limits::DESCRIPTION {
                return Err(bad(
                    "measures",
                    format!("{}不能超过 {} 个字", kind.name, limits::DESCRIPTION),
                ));
            }
            measures.push(Measure {
                kind: kind.key.clone(),
                text,
            });
        }
        Ok(ValidPoint {
            name,
            kind,
            location,
            hazards,
            accident_types,
            exposed,
            assessment,
            control_level,
            responsible,
            measures,
        })
    }
}

/// A point as it was stored, for telling what a change changed.
#[derive(Debug, Clone, Default)]
pub struct Stored<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub location: &'a str,
    pub hazards: &'a str,
    /// Joined with 、.
    pub accident_types: &'a str,
    pub exposed: i64,
    pub level: &'a str,
    /// `L=3;E=6;C=15`
    pub factors: &'a str,
    pub method: &'a str,
    /// Joined with `,`.
    pub direct: &'a str,
    pub control_level: &'a str,
    pub responsible: &'a str,
    /// As stored (JSON).
    pub measures: &'a str,
}

/// The factors as stored: `L=3;E=6;C=15`.
pub fn stored_factors(v: &ValidPoint) -> String {
    v.assessment
        .factors
        .iter()
        .map(|c| format!("{}={}", c.factor, c.value))
        .collect::<Vec<_>>()
        .join(";")
}

/// What changed from the stored point to `v`, each in words users read (names, not codes);
/// empty when nothing did.
pub fn changes(old: &Stored<'_>, v: &ValidPoint, set: &RiskSet) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |label: &str, a: &str, b: &str| {
        if a != b {
            out.push(format!("{label}由“{a}”改为“{b}”"));
        }
    };
    let kind = |k: &str| {
        PointKind::parse(k)
            .map(|k| k.label())
            .unwrap_or("")
            .to_string()
    };
    let control = |k: &str| {
        set.control(k)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| k.to_string())
    };
    diff("名称", old.name, &v.name);
    diff("类型", &kind(old.kind), v.kind.label());
    diff("位置", old.location, &v.location);
    diff("危险有害因素", old.hazards, &v.hazards);
    diff("事故类别", old.accident_types, &v.accident_types.join("、"));
    diff("接触人数", &old.exposed.to_string(), &v.exposed.to_string());
    diff(
        "管控层级",
        &control(old.control_level),
        &control(&v.control_level),
    );
    diff("责任人", old.responsible, &v.responsible);
    diff(
        "管控措施",
        &measures_words(set, &read_measures(old.measures)),
        &measures_words(set, &v.measures),
    );
    let level = |k: &str| {
        set.level(k)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| k.to_string())
    };
    if old.level != v.assessment.level {
        out.push(format!(
            "风险等级由{}改为{}",
            level(old.level),
            level(&v.assessment.level)
        ));
    }
    if old.method != v.assessment.method
        || old.factors != stored_factors(v)
        || old.direct != v.assessment.direct_keys.join(",")
        || old.level != v.assessment.level
    {
        out.push(format!("重新评价：{}", v.assessment.words()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::RiskRules;
    use time::macros::date;

    fn set() -> RiskSet {
        RiskRules::embedded()
            .expect("shipped")
            .in_force(date!(2019 - 03 - 01))
            .expect("in force")
            .clone()
    }

    fn draft() -> PointDraft {
        PointDraft {
            name: "冲压车间 250吨冲床".into(),
            kind: "equipment".into(),
            location: "二号厂房东侧".into(),
            hazards: "双手进入模具区；光电保护装置失效".into(),
            accident_types: vec!["机械伤害".into(), "触电".into(), "机械伤害".into()],
            exposed: "6".into(),
            method: "lec".into(),
            factors: vec![
                ("L".into(), "3".into()),
                ("E".into(), "6".into()),
                ("C".into(), "15".into()),
            ],
            direct: vec![],
            control_level: String::new(),
            responsible: "周建华".into(),
            measures: vec![
                ("engineering".into(), "双手按钮\n 光电保护装置 \n\n".into()),
                ("management".into(), "光电保护每班点检".into()),
            ],
        }
    }

    #[test]
    fn a_point_is_assessed_and_controlled_at_its_level_by_default() {
        let p = draft().validate(&set()).expect("valid");
        assert_eq!(p.kind, PointKind::Equipment);
        assert_eq!(p.accident_types, ["机械伤害", "触电"]);
        assert_eq!(
            (p.assessment.level.as_str(), p.control_level.as_str()),
            ("high", "company")
        );
        let mut d = draft();
        d.control_level = "department".into();
        assert_eq!(
            d.validate(&set()).expect("valid").control_level,
            "department"
        );
    }

    #[test]
    fn measures_keep_their_kinds_in_the_rules_order_one_item_per_line() {
        let s = set();
        let mut d = draft();
        d.measures.reverse();
        let v = d.validate(&s).expect("valid");
        assert_eq!(
            v.measures,
            [
                Measure {
                    kind: "engineering".into(),
                    text: "双手按钮\n光电保护装置".into()
                },
                Measure {
                    kind: "management".into(),
                    text: "光电保护每班点检".into()
                }
            ]
        );
        let stored = stored_measures(&v.measures);
        assert_eq!(read_measures(&stored), v.measures);
        assert_eq!(
            measures_words(&s, &v.measures),
            "工程技术措施：双手按钮；光电保护装置；管理措施：光电保护每班点检"
        );
        // Text written before measures had kinds reads as one measure.
        assert_eq!(
            measures_words(&s, &read_measures("设置防护栏")),
            "管控措施：设置防护栏"
        );
        assert!(read_measures(" ").is_empty());
        d.measures = vec![(
            "management".into(),
            "检查\n".repeat(MAX_ITEMS_PER_MEASURE + 1),
        )];
        let e = d.validate(&s).expect_err("too many lines");
        assert!(e.message.contains("至多写 20 条"), "{e}");
    }

    #[test]
    fn a_level_is_not_controlled_below_its_floor_and_changes_read_in_words() {
        let s = set();
        let mut d = draft();
        // 较大 (company or department by default): not at post level.
        d.control_level = "post".into();
        let e = d.validate(&s).expect_err("too low");
        assert_eq!(e.field, "control_level");
        assert_eq!(
            e.message,
            "较大风险至少应由部门级管控（风险分级规则 risk@1），不能交由岗位级"
        );
        d.control_level = "department".into();
        let v = d.validate(&s).expect("department holds 较大");
        // The same choice in another order is no change; a change names names, not keys.
        let mut again = draft();
        again.accident_types = vec!["触电".into(), "机械伤害".into()];
        again.control_level = "department".into();
        let same = again.validate(&s).expect("valid");
        let stored = Stored {
            name: &v.name,
            kind: v.kind.key(),
            location: &v.location,
            hazards: &v.hazards,
            accident_types: &v.accident_types.join("、"),
            exposed: v.exposed,
            level: &v.assessment.level,
            factors: &stored_factors(&v),
            method: &v.assessment.method,
            direct: "",
            control_level: &v.control_level,
            responsible: &v.responsible,
            measures: &stored_measures(&v.measures),
        };
        assert!(
            changes(&stored, &same, &s).is_empty(),
            "{:?}",
            changes(&stored, &same, &s)
        );
        again.kind = "post".into();
        again.control_level = "company".into();
        again.factors[2].1 = "1".into();
        let changed = changes(&stored, &again.validate(&s).expect("valid"), &s);
        assert_eq!(changed[0], "类型由“设备设施”改为“岗位”");
        assert_eq!(changed[1], "管控层级由“部门级”改为“公司（厂）级”");
        assert_eq!(changed[2], "风险等级由较大风险改为低风险");
        assert!(changed[3].starts_with("重新评价："), "{changed:?}");
    }

    #[test]
    fn each_wrong_field_is_named() {
        let s = set();
        type Change = Box<dyn Fn(&mut PointDraft)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|d| d.name = " ".into()),
                "name",
                "请填写风险点名称",
            ),
            (
                Box::new(|d| d.kind = "机器".into()),
                "kind",
                "请选择风险点类型",
            ),
            (
                Box::new(|d| d.accident_types = vec!["爆炸".into()]),
                "accident_types",
                "不是 GB 6441",
            ),
            (
                Box::new(|d| d.accident_types.clear()),
                "accident_types",
                "至少选择",
            ),
            (Box::new(|d| d.exposed = "-1".into()), "exposed", "接触人数"),
            (Box::new(|d| d.factors[0].1 = "4".into()), "method", "不在"),
            (
                Box::new(|d| d.control_level = "squad".into()),
                "control_level",
                "未在风险分级规则中规定",
            ),
            (
                Box::new(|d| d.measures.push(("fence".into(), "围栏".into()))),
                "measures",
                "管控措施类别“fence”未在风险分级规则中规定",
            ),
            (
                Box::new(|d| d.responsible.clear()),
                "responsible",
                "请填写管控责任人",
            ),
            (
                Box::new(|d| d.hazards = "险".repeat(limits::DESCRIPTION + 1)),
                "hazards",
                "不能超过",
            ),
        ];
        for (change, field, says) in cases {
            let mut d = draft();
            change(&mut d);
            let e = d.validate(&s).expect_err(field);
            assert_eq!(e.field, field, "{e}");
            assert!(e.message.contains(says), "{field}: {e}");
        }
    }
}

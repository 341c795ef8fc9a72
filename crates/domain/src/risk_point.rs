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
    /// The control measures (管控措施), in words.
    pub measures: String,
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
    pub measures: String,
}

/// What is wrong with a draft, and on which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PointError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> PointError {
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
        let control_level = match self.control_level.trim() {
            "" => set
                .level(&assessment.level)
                .and_then(|l| l.controlled_by.first())
                .cloned()
                .unwrap_or_default(),
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
        let measures = clean(
            "measures",
            "管控措施",
            &self.measures,
            limits::DESCRIPTION,
            false,
        )?;
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
            measures: "双手按钮；光电保护每班点检".into(),
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
        d.control_level = "workshop".into();
        assert_eq!(d.validate(&set()).expect("valid").control_level, "workshop");
    }

    #[test]
    fn each_wrong_field_is_named() {
        let s = set();
        let cases: Vec<(Box<dyn Fn(&mut PointDraft)>, &str, &str)> = vec![
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

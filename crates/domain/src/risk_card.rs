//! The risk cards (三卡) of a point: each card type of the risk rules takes its sections from the
//! point (hazards, accident types, measures, who controls it) or prints its own fixed lines.

use crate::risk::{CardSource, CardType, RiskSet};
use crate::risk_point::{Measure, measure_name};

/// What a card prints of a point.
#[derive(Debug, Clone, Copy)]
pub struct PointFacts<'a> {
    pub hazards: &'a str,
    /// Joined with 、.
    pub accident_types: &'a str,
    pub measures: &'a [Measure],
    pub responsible: &'a str,
    /// The level of control's name.
    pub control: &'a str,
}

/// Printed where the point has nothing for a section yet.
pub const NOT_YET: &str = "（尚未填写）";

/// The card's sections for the point: (heading, lines), none empty.
pub fn sections(set: &RiskSet, card: &CardType, p: PointFacts<'_>) -> Vec<(String, Vec<String>)> {
    card.sections
        .iter()
        .map(|s| {
            let lines: Vec<String> = match &s.source {
                CardSource::Hazards => split(p.hazards, &['；', ';']),
                CardSource::AccidentTypes => split(p.accident_types, &['、']),
                CardSource::Measures(None) => p
                    .measures
                    .iter()
                    .flat_map(|m| {
                        let kind = measure_name(set, &m.kind);
                        m.text
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                            .map(move |l| format!("{kind}：{}", l.trim()))
                            .collect::<Vec<_>>()
                    })
                    .collect(),
                CardSource::Measures(Some(kind)) => p
                    .measures
                    .iter()
                    .filter(|m| &m.kind == kind)
                    .flat_map(|m| split(&m.text, &['\n']))
                    .collect(),
                CardSource::Responsible => vec![format!("{}：{}", p.control, p.responsible)],
                CardSource::Lines(lines) => lines.clone(),
            };
            let lines = if lines.is_empty() {
                vec![NOT_YET.to_string()]
            } else {
                lines
            };
            (s.title.clone(), lines)
        })
        .collect()
}

fn split(text: &str, at: &[char]) -> Vec<String> {
    text.split(at)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::RiskRules;
    use time::macros::date;

    #[test]
    fn the_default_cards_take_their_sections_from_the_point() {
        let rules = RiskRules::embedded().expect("shipped");
        let set = rules.in_force(date!(2026 - 12 - 01)).expect("in force");
        assert_eq!(
            set.cards
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["岗位风险告知卡", "应急处置卡", "安全操作卡"]
        );
        assert!(set.cards.iter().all(|c| c.is_default()));
        let measures = [
            Measure {
                kind: "engineering".into(),
                text: "双手按钮\n光电保护装置".into(),
            },
            Measure {
                kind: "management".into(),
                text: "光电保护每班点检".into(),
            },
        ];
        let facts = PointFacts {
            hazards: "双手进入模具区;光电保护装置失效",
            accident_types: "机械伤害、触电",
            measures: &measures,
            responsible: "陈立新",
            control: "公司（厂）级",
        };
        let notice = sections(set, set.card("notice").expect("notice"), facts);
        assert_eq!(notice[0].1, ["双手进入模具区", "光电保护装置失效"]);
        assert_eq!(notice[1].1, ["机械伤害", "触电"]);
        assert_eq!(
            notice[2].1,
            [
                "工程技术措施：双手按钮",
                "工程技术措施：光电保护装置",
                "管理措施：光电保护每班点检"
            ]
        );
        assert_eq!(notice[3].1, ["公司（厂）级：陈立新"]);
        let emergency = sections(set, set.card("emergency").expect("emergency"), facts);
        assert_eq!(
            emergency[1],
            ("应急处置措施".to_string(), vec![NOT_YET.to_string()])
        );
        let operation = sections(set, set.card("operation").expect("operation"), facts);
        assert_eq!(operation[1].1, ["双手按钮", "光电保护装置"]);
    }

    #[test]
    fn a_card_section_from_an_unknown_field_is_refused() {
        let text = crate::reference::embedded::RISK
            .replace("from = \"measures.ppe\"", "from = \"measures.helmet\"");
        let e = RiskRules::from_toml(&text).expect_err("unknown kind");
        assert!(e.to_string().contains("measures.helmet"), "{e}");
    }
}

//! Reference data bundle: regions, industries, size rules and grading rules, parsed from data
//! files and validated against each other.

use thiserror::Error;

use crate::authority::AuthorityRules;
use crate::checklist::Checklists;
use crate::consequences::ConsequenceRules;
use crate::industry::IndustryBook;
use crate::major_hazard::MajorHazardBook;
use crate::obligations::ObligationRules;
use crate::outreach::OutreachRules;
use crate::programme::Programme;
use crate::quality::QualityRules;
use crate::region::RegionBook;
use crate::risk::RiskRules;
use crate::rules::GradingRules;
use crate::size::SizeRules;
use crate::supervision::InspectionRules;
use crate::violations::ViolationRules;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("参考数据文件 {file} 有误：{message}")]
pub struct ReferenceError {
    pub file: String,
    pub message: String,
}

impl ReferenceError {
    pub fn new(file: &str, message: String) -> Self {
        Self {
            file: file.to_string(),
            message,
        }
    }
}

/// The texts of the reference files shipped in `data/reference/`.
pub mod embedded {
    pub const REGIONS: &str = include_str!("../../../data/reference/regions.toml");
    pub const INDUSTRIES: &str = include_str!("../../../data/reference/industries.toml");
    pub const SIZE_RULES: &str = include_str!("../../../data/reference/size_rules.toml");
    pub const GRADING: &str = include_str!("../../../data/rules/grading.toml");
    pub const QUALITY: &str = include_str!("../../../data/rules/quality.toml");
    pub const INSPECTION: &str = include_str!("../../../data/rules/inspection.toml");
    pub const VIOLATIONS: &str = include_str!("../../../data/rules/violations.toml");
    pub const CHECKLIST: &str = include_str!("../../../data/rules/checklist.toml");
    pub const AUTHORITY: &str = include_str!("../../../data/rules/authority.toml");
    pub const RISK: &str = include_str!("../../../data/rules/risk.toml");
    pub const OBLIGATIONS: &str = include_str!("../../../data/rules/obligations.toml");
    pub const OUTREACH: &str = include_str!("../../../data/rules/outreach.toml");
    pub const CONSEQUENCES: &str = include_str!("../../../data/rules/consequences.toml");
    pub const MAJOR_HAZARDS: &str = include_str!("../../../data/standards/major_hazards.toml");
}

/// The texts of the reference and rule files, as shipped or as replaced with `--data-dir`.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    pub regions: &'a str,
    pub industries: &'a str,
    pub size_rules: &'a str,
    pub grading: &'a str,
    pub quality: &'a str,
    pub inspection: &'a str,
    pub violations: &'a str,
    pub checklist: &'a str,
    pub major_hazards: &'a str,
    pub authority: &'a str,
    pub risk: &'a str,
    pub obligations: &'a str,
    pub outreach: &'a str,
    pub consequences: &'a str,
}

impl Texts<'static> {
    /// The files shipped with the binary.
    pub const EMBEDDED: Texts<'static> = Texts {
        regions: embedded::REGIONS,
        industries: embedded::INDUSTRIES,
        size_rules: embedded::SIZE_RULES,
        grading: embedded::GRADING,
        quality: embedded::QUALITY,
        inspection: embedded::INSPECTION,
        violations: embedded::VIOLATIONS,
        checklist: embedded::CHECKLIST,
        major_hazards: embedded::MAJOR_HAZARDS,
        authority: embedded::AUTHORITY,
        risk: embedded::RISK,
        obligations: embedded::OBLIGATIONS,
        outreach: embedded::OUTREACH,
        consequences: embedded::CONSEQUENCES,
    };
}

#[derive(Debug, Clone)]
pub struct ReferenceData {
    pub regions: RegionBook,
    pub industries: IndustryBook,
    pub size_rules: SizeRules,
    pub grading: GradingRules,
    pub quality: QualityRules,
    /// Supervision intensity: routine inspections a year by standardisation status.
    pub inspection: InspectionRules,
    /// Violation categories with their legal basis and fine limits.
    pub violations: ViolationRules,
    /// The inspection checklist (监督检查表) by version.
    pub checklists: Checklists,
    /// The major-hazard standards (重大事故隐患判定标准) with their known items.
    pub major_hazards: MajorHazardBook,
    /// The loaded programmes (样板地区建设方案), checked against the regions.
    pub programmes: Vec<Programme>,
    /// Who may do what: parties of workflow steps, registry fields by party.
    pub authority: AuthorityRules,
    /// Risk levels, assessment methods and the rules that make a risk 重大 directly.
    pub risk: RiskRules,
    /// The obligation list (安全生产监管清单) by version, with the enterprise features it uses.
    pub obligations: ObligationRules,
    /// Training, publicity and demonstration: their words and the coverage rules.
    pub outreach: OutreachRules,
    /// Incentives and restrictions (激励约束措施): who acts, on which standing, with what effect.
    pub consequences: ConsequenceRules,
    /// Every rule set as written, to show a decision's rule in words.
    pub rule_book: crate::rule_book::RuleBook,
}

impl ReferenceData {
    pub fn parse(t: Texts<'_>, programmes: &[(&str, &str)]) -> Result<Self, ReferenceError> {
        let regions = RegionBook::from_toml(t.regions)?;
        let mut loaded: Vec<Programme> = Vec::new();
        for (file, text) in programmes {
            let p = Programme::from_toml(file, text, &regions)
                .map_err(|e| ReferenceError::new("programmes", e.to_string()))?;
            if loaded.iter().any(|o| o.id == p.id) {
                return Err(ReferenceError::new(
                    "programmes",
                    format!("{file}：方案编号“{}”重复", p.id),
                ));
            }
            loaded.push(p);
        }
        let industries = IndustryBook::from_toml(t.industries)?;
        let codes: Vec<&str> = industries.all().iter().map(|i| i.code.as_str()).collect();
        let obligations = ObligationRules::from_toml(t.obligations, &codes)?;
        let data = Self {
            regions,
            industries,
            size_rules: SizeRules::from_toml(t.size_rules)?,
            grading: GradingRules::from_toml(t.grading)?,
            quality: QualityRules::from_toml(t.quality)?,
            inspection: InspectionRules::from_toml(t.inspection)?,
            violations: ViolationRules::from_toml(t.violations)?,
            checklists: Checklists::from_toml(t.checklist)?,
            major_hazards: MajorHazardBook::from_toml(t.major_hazards)?,
            programmes: loaded,
            authority: AuthorityRules::from_toml(t.authority)?,
            risk: RiskRules::from_toml(t.risk)?,
            obligations,
            outreach: OutreachRules::from_toml(t.outreach)?,
            consequences: ConsequenceRules::from_toml(t.consequences)?,
            rule_book: crate::rule_book::RuleBook::from_texts(&t),
        };
        let sectors: Vec<&str> = data.size_rules.sectors().collect();
        for i in data.industries.all() {
            if !sectors.contains(&i.size_sector.as_str()) {
                return Err(ReferenceError::new(
                    "industries",
                    format!(
                        "行业 {} 的规模类别“{}”在规模规则中不存在",
                        i.code, i.size_sector
                    ),
                ));
            }
        }
        Ok(data)
    }

    /// The files shipped with the binary.
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::parse(Texts::EMBEDDED, &crate::programme::embedded::ALL)
    }

    pub fn programme(&self, id: &str) -> Option<&Programme> {
        self.programmes.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_are_consistent() {
        let d = ReferenceData::embedded().expect("valid");
        assert_eq!(d.industries.all().len(), 8);
        let broken =
            embedded::INDUSTRIES.replace("size_sector = \"wholesale\"", "size_sector = \"mining\"");
        let e = ReferenceData::parse(
            Texts {
                industries: &broken,
                ..Texts::EMBEDDED
            },
            &[],
        )
        .expect_err("unknown sector");
        assert!(e.message.contains("mining"));
    }
}

//! A programme (样板地区建设方案) as data: its phases, the deadlines units submit against, the
//! city's targets and the table of unit targets. The metrics are defined once here, in words
//! (`Metric::describe`, `docs/metrics.md`) and as arithmetic over counts the store takes as of
//! a date (`UnitCounts`).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;
use toml::Spanned;

use crate::date::parse_date;
use crate::region::RegionBook;

/// A refusal at load: the line of the file and the reason, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} 第{line}行：{message}")]
pub struct ProgrammeError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The figures a programme can set targets on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    GradeOneCount,
    GradeTwoCount,
    GradeThreeAuditRate,
    RectificationRate,
    SmallMicroCoverage,
    SmallMicroCertifiedRate,
    AboveScaleCertifiedRate,
    AboveScaleSelfAssessedRate,
    BelowScaleCertifiedRate,
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Self::GradeOneCount,
        Self::GradeTwoCount,
        Self::GradeThreeAuditRate,
        Self::RectificationRate,
        Self::SmallMicroCoverage,
        Self::SmallMicroCertifiedRate,
        Self::AboveScaleCertifiedRate,
        Self::AboveScaleSelfAssessedRate,
        Self::BelowScaleCertifiedRate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::GradeOneCount => "grade_one_count",
            Self::GradeTwoCount => "grade_two_count",
            Self::GradeThreeAuditRate => "grade_three_audit_rate",
            Self::RectificationRate => "rectification_rate",
            Self::SmallMicroCoverage => "small_micro_coverage",
            Self::SmallMicroCertifiedRate => "small_micro_certified_rate",
            Self::AboveScaleCertifiedRate => "above_scale_certified_rate",
            Self::AboveScaleSelfAssessedRate => "above_scale_self_assessed_rate",
            Self::BelowScaleCertifiedRate => "below_scale_certified_rate",
        }
    }

    pub fn parse(key: &str) -> Option<Metric> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// The column heading, as the attachment words it.
    pub fn label(self) -> &'static str {
        match self {
            Self::GradeOneCount => "一级标准化达标企业数",
            Self::GradeTwoCount => "二级标准化达标企业数",
            Self::GradeThreeAuditRate => "三级标准化质量审计率",
            Self::RectificationRate => "整改提升率",
            Self::SmallMicroCoverage => "小微企业创建覆盖面",
            Self::SmallMicroCertifiedRate => "小微企业达标率",
            Self::AboveScaleCertifiedRate => "规模以上企业达标率",
            Self::AboveScaleSelfAssessedRate => "规模以上企业自评率",
            Self::BelowScaleCertifiedRate => "规模以下企业达标率",
        }
    }

    /// A count (家) or a rate (%).
    pub fn is_rate(self) -> bool {
        !matches!(self, Self::GradeOneCount | Self::GradeTwoCount)
    }

    /// What is counted, in plain words (numerator ÷ denominator).
    pub fn describe(self) -> &'static str {
        match self {
            Self::GradeOneCount => {
                "当日持有效一级证书的在营企业数（含方案印发前取得、仍在有效期内的）"
            }
            Self::GradeTwoCount => {
                "当日持有效二级证书的在营企业数（含方案印发前取得、仍在有效期内的）"
            }
            Self::GradeThreeAuditRate => {
                "方案开始至当日接受过运行质量审计的三级企业数 ÷ 当日持有效三级证书的在营企业数"
            }
            Self::RectificationRate => {
                "方案开始至当日经审计列入整改（含整改后撤销）的三级企业数 ÷ 当日持有效三级证书的在营企业数"
            }
            Self::SmallMicroCoverage => {
                "当日已开展标准化创建的在营小微企业数（已开立定级案件或取得过证书） ÷ 当日在营小微企业数"
            }
            Self::SmallMicroCertifiedRate => "当日持有效证书的在营小微企业数 ÷ 当日在营小微企业数",
            Self::AboveScaleCertifiedRate => {
                "当日持有效证书（任一等级）的在营规模以上企业数 ÷ 当日在营规模以上企业数"
            }
            Self::AboveScaleSelfAssessedRate => {
                "至当日已提交自评（定级自评或年度自评）或持有效证书的在营规模以上企业数 ÷ 当日在营规模以上企业数"
            }
            Self::BelowScaleCertifiedRate => {
                "当日持有效证书（任一等级）的在营规模以下企业数 ÷ 当日在营规模以下企业数"
            }
        }
    }

    /// The figure from counts taken on a day.
    pub fn figure(self, c: &UnitCounts) -> Figure {
        let rate = |n: u64, d: u64| Figure {
            numerator: n,
            denominator: Some(d),
        };
        match self {
            Self::GradeOneCount => Figure::count(c.grade_one),
            Self::GradeTwoCount => Figure::count(c.grade_two),
            Self::GradeThreeAuditRate => rate(c.grade_three_audited, c.grade_three),
            Self::RectificationRate => rate(c.rectification, c.grade_three),
            Self::SmallMicroCoverage => rate(c.small_micro_started, c.small_micro),
            Self::SmallMicroCertifiedRate => rate(c.small_micro_certified, c.small_micro),
            Self::AboveScaleCertifiedRate => rate(c.above_scale_certified, c.above_scale),
            Self::AboveScaleSelfAssessedRate => rate(c.above_scale_self_assessed, c.above_scale),
            Self::BelowScaleCertifiedRate => rate(c.below_scale_certified, c.below_scale),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What the store counts for one unit (or the city) on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitCounts {
    pub active: u64,
    pub above_scale: u64,
    pub below_scale: u64,
    pub small_micro: u64,
    pub grade_one: u64,
    pub grade_two: u64,
    pub grade_three: u64,
    pub above_scale_certified: u64,
    pub above_scale_self_assessed: u64,
    pub below_scale_certified: u64,
    pub small_micro_started: u64,
    pub small_micro_certified: u64,
    pub grade_three_audited: u64,
    pub rectification: u64,
}

impl UnitCounts {
    pub fn add(&mut self, o: &UnitCounts) {
        self.active += o.active;
        self.above_scale += o.above_scale;
        self.below_scale += o.below_scale;
        self.small_micro += o.small_micro;
        self.grade_one += o.grade_one;
        self.grade_two += o.grade_two;
        self.grade_three += o.grade_three;
        self.above_scale_certified += o.above_scale_certified;
        self.above_scale_self_assessed += o.above_scale_self_assessed;
        self.below_scale_certified += o.below_scale_certified;
        self.small_micro_started += o.small_micro_started;
        self.small_micro_certified += o.small_micro_certified;
        self.grade_three_audited += o.grade_three_audited;
        self.rectification += o.rectification;
    }
}

/// A count, or a rate with its numerator and denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub numerator: u64,
    /// None for a count.
    pub denominator: Option<u64>,
}

impl Figure {
    fn count(n: u64) -> Self {
        Self {
            numerator: n,
            denominator: None,
        }
    }

    /// The count, or the rate in percent (None when nothing is to be divided by).
    pub fn value(&self) -> Option<f64> {
        match self.denominator {
            None => Some(self.numerator as f64),
            Some(0) => None,
            Some(d) => Some(self.numerator as f64 * 100.0 / d as f64),
        }
    }

    /// How many more are needed to reach `target` (enterprises), if short.
    pub fn shortfall(&self, target: f64) -> Option<u64> {
        let need = match self.denominator {
            None => target.ceil(),
            Some(d) => (target * d as f64 / 100.0).ceil(),
        };
        let need = need.max(0.0) as u64;
        (need > self.numerator).then(|| need - self.numerator)
    }
}

/// How a figure stands against its target on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// At or above the target.
    Met,
    /// Below, with the deadline still ahead.
    Behind,
    /// Below, after the deadline.
    Missed,
    /// Nothing to divide by (no enterprises of the kind).
    NoData,
}

impl Standing {
    pub fn of(figure: &Figure, target: f64, on: Date, by: Date) -> Standing {
        match figure.value() {
            None => Standing::NoData,
            Some(v) if v + 1e-9 >= target => Standing::Met,
            Some(_) if on > by => Standing::Missed,
            Some(_) => Standing::Behind,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Met => "已完成",
            Self::Behind => "未完成",
            Self::Missed => "逾期未完成",
            Self::NoData => "无数据",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub key: String,
    pub name: String,
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    File,
    List,
    Milestone,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deadline {
    pub key: String,
    pub name: String,
    pub kind: DeadlineKind,
    pub due: Date,
    pub section: String,
}

/// What happened in an operation-quality audit that a rule attaches a consequence to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// The audit found the enterprise's system running well.
    Good,
    /// The audit found problems to rectify.
    Deficient,
    /// The re-check after rectification found the problems remaining.
    RecheckFailed,
    /// The audit found the enterprise short of the basic requirements.
    Failing,
}

impl AuditEvent {
    pub fn key(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Deficient => "deficient",
            Self::RecheckFailed => "recheck_failed",
            Self::Failing => "failing",
        }
    }
}

/// The consequence a rule attaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The certificate may be renewed without a re-evaluation (or the enterprise recommended
    /// for a higher grade).
    RenewWithoutReview,
    /// A rectification deadline and a re-check.
    RectifyAndRecheck,
    /// The certificate is revoked through the grading life cycle.
    Revoke,
}

/// How the programme uses an audit's result (Nantong: 六（三）3 and 六（四）2).
#[derive(Debug, Clone, Serialize)]
pub struct AuditRule {
    pub when: AuditEvent,
    pub action: AuditAction,
    pub section: String,
    /// The plan's own words.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CityTarget {
    pub metric: Metric,
    pub target: f64,
    pub by: Date,
    pub section: String,
    /// 力争: striven for, beside the binding targets (the attachment's).
    pub stretch: bool,
    /// 突破: met only above the target (a count), not at it.
    pub above: bool,
    /// The plan's own words (力争突破26家).
    pub words: Option<String>,
}

impl CityTarget {
    /// The figure that meets it: the target, or the next count for one to be passed (突破).
    pub fn threshold(&self) -> f64 {
        if self.above {
            self.target.floor() + 1.0
        } else {
            self.target
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitTargets {
    /// The plan's short unit name (`Region::unit`).
    pub unit: String,
    pub label: String,
    pub targets: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Programme {
    pub id: String,
    pub name: String,
    pub document: String,
    pub issued_on: Date,
    pub start: Date,
    pub end: Date,
    pub source: String,
    pub phases: Vec<Phase>,
    pub deadlines: Vec<Deadline>,
    pub city_targets: Vec<CityTarget>,
    pub unit_by: Date,
    pub unit_section: String,
    /// Where `unit_by` comes from when the table gives no date (an inference, 待核对).
    pub unit_by_basis: Option<String>,
    pub columns: Vec<Metric>,
    pub units: Vec<UnitTargets>,
    /// The 合计 row as printed (counts only).
    pub totals: Vec<(Metric, f64)>,
    pub audit_rules: Vec<AuditRule>,
}

impl Programme {
    /// The rule attaching a consequence to `when`, if the programme has one, and its reference
    /// as decisions record it (`nantong.2018#audit.recheck_failed`).
    pub fn audit_rule(&self, when: AuditEvent) -> Option<(&AuditRule, String)> {
        self.audit_rules
            .iter()
            .find(|r| r.when == when)
            .map(|r| (r, format!("{}#audit.{}", self.id, when.key())))
    }

    /// The target of `metric` for `unit`, if the table sets one.
    pub fn unit_target(&self, unit: &str, metric: Metric) -> Option<f64> {
        let col = self.columns.iter().position(|m| *m == metric)?;
        self.units
            .iter()
            .find(|u| u.unit == unit)
            .and_then(|u| u.targets.get(col).copied())
    }

    /// The phase a day falls in.
    pub fn phase_on(&self, d: Date) -> Option<&Phase> {
        self.phases.iter().find(|p| p.from <= d && d <= p.to)
    }

    pub fn covers(&self, d: Date) -> bool {
        self.start <= d && d <= self.end
    }
}

/// The programme files shipped in `data/programmes/`.
pub mod embedded {
    pub const NANTONG_2018: (&str, &str) = (
        "nantong-2018.toml",
        include_str!("../../../../data/programmes/nantong-2018.toml"),
    );
    pub const ALL: [(&str, &str); 1] = [NANTONG_2018];
}

mod file;
mod table;
#[cfg(test)]
mod tests;

pub use table::*;

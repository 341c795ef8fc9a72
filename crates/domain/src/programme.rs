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

    /// Parses and checks a programme file against the regions. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str, regions: &RegionBook) -> Result<Self, ProgrammeError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let err = |line: usize, message: String| ProgrammeError {
            file: file.to_string(),
            line,
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(s.start)).unwrap_or(1);
            err(line, format!("格式错误：{}", e.message()))
        })?;
        let date = |s: &Spanned<String>, what: &str| -> Result<Date, ProgrammeError> {
            parse_date(s.get_ref()).ok_or_else(|| {
                err(
                    line_of(s.span().start),
                    format!("{what}“{}”不是有效日期（应为 YYYY-MM-DD）", s.get_ref()),
                )
            })
        };
        let p = &raw.programme;
        let start = date(&p.start, "开始日期")?;
        let end = date(&p.end, "结束日期")?;
        if end < start {
            return Err(err(
                line_of(p.end.span().start),
                "结束日期早于开始日期".into(),
            ));
        }
        let inside = |d: Date, s: &Spanned<String>, what: &str| -> Result<(), ProgrammeError> {
            if d < start || d > end {
                Err(err(
                    line_of(s.span().start),
                    format!(
                        "{what} {} 不在方案期间（{} 至 {}）内",
                        s.get_ref(),
                        p.start.get_ref(),
                        p.end.get_ref()
                    ),
                ))
            } else {
                Ok(())
            }
        };

        let mut phases: Vec<Phase> = Vec::new();
        for ph in &raw.phase {
            let from = date(&ph.from, "阶段开始日期")?;
            let to = date(&ph.to, "阶段结束日期")?;
            inside(from, &ph.from, "阶段开始日期")?;
            inside(to, &ph.to, "阶段结束日期")?;
            if to < from {
                return Err(err(
                    line_of(ph.to.span().start),
                    format!("阶段“{}”的结束日期早于开始日期", ph.name),
                ));
            }
            if let Some(o) = phases.iter().find(|o| from <= o.to && o.from <= to) {
                return Err(err(
                    line_of(ph.from.span().start),
                    format!("阶段“{}”与阶段“{}”的时间重叠", ph.name, o.name),
                ));
            }
            phases.push(Phase {
                key: ph.key.clone(),
                name: ph.name.clone(),
                from,
                to,
            });
        }

        let mut deadlines = Vec::new();
        for d in &raw.deadline {
            let due = date(&d.due, "截止日期")?;
            inside(due, &d.due, "截止日期")?;
            if deadlines.iter().any(|o: &Deadline| o.key == d.key) {
                return Err(err(
                    line_of(d.due.span().start),
                    format!("截止事项“{}”重复", d.key),
                ));
            }
            deadlines.push(Deadline {
                key: d.key.clone(),
                name: d.name.clone(),
                kind: d.kind,
                due,
                section: d.section.clone(),
            });
        }

        let metric = |s: &Spanned<String>| -> Result<Metric, ProgrammeError> {
            Metric::parse(s.get_ref()).ok_or_else(|| {
                err(
                    line_of(s.span().start),
                    format!("未知的指标“{}”", s.get_ref()),
                )
            })
        };
        let check_target = |m: Metric, v: f64, line: usize| -> Result<(), ProgrammeError> {
            if !v.is_finite() || v < 0.0 {
                return Err(err(line, format!("{}的目标值 {v} 无效", m.label())));
            }
            if m.is_rate() && v > 100.0 {
                return Err(err(line, format!("{}的目标 {v}% 超过 100%", m.label())));
            }
            Ok(())
        };

        let mut city_targets = Vec::new();
        for t in &raw.city_target {
            let m = metric(&t.metric)?;
            let by = date(&t.by, "目标日期")?;
            inside(by, &t.by, "目标日期")?;
            check_target(m, *t.target.get_ref(), line_of(t.target.span().start))?;
            city_targets.push(CityTarget {
                metric: m,
                target: *t.target.get_ref(),
                by,
                section: t.section.clone(),
            });
        }

        let table = &raw.unit_table;
        let unit_by = date(&table.by, "任务表完成日期")?;
        inside(unit_by, &table.by, "任务表完成日期")?;
        let mut columns = Vec::new();
        for c in &table.columns {
            let m = metric(c)?;
            if columns.contains(&m) {
                return Err(err(
                    line_of(c.span().start),
                    format!("指标“{}”重复", c.get_ref()),
                ));
            }
            columns.push(m);
        }
        let known: std::collections::BTreeSet<&str> =
            regions.all().iter().map(|r| r.unit.as_str()).collect();
        let mut units: Vec<UnitTargets> = Vec::new();
        for u in &raw.unit {
            let line = line_of(u.unit.span().start);
            if !known.contains(u.unit.get_ref().as_str()) {
                return Err(err(
                    line,
                    format!(
                        "地区“{}”不存在（可用：{}）",
                        u.unit.get_ref(),
                        known.iter().copied().collect::<Vec<_>>().join("、")
                    ),
                ));
            }
            if units.iter().any(|o| &o.unit == u.unit.get_ref()) {
                return Err(err(line, format!("地区“{}”重复", u.unit.get_ref())));
            }
            let tline = line_of(u.targets.span().start);
            if u.targets.get_ref().len() != columns.len() {
                return Err(err(
                    tline,
                    format!(
                        "地区“{}”有 {} 个目标值，任务表有 {} 列",
                        u.unit.get_ref(),
                        u.targets.get_ref().len(),
                        columns.len()
                    ),
                ));
            }
            for (m, v) in columns.iter().zip(u.targets.get_ref()) {
                check_target(*m, *v, tline)?;
            }
            units.push(UnitTargets {
                unit: u.unit.get_ref().clone(),
                label: u.label.clone(),
                targets: u.targets.get_ref().clone(),
            });
        }
        let mut totals = Vec::new();
        for (key, v) in &raw.totals {
            let line = line_of(v.span().start);
            let m = Metric::parse(key).ok_or_else(|| err(line, format!("未知的指标“{key}”")))?;
            if m.is_rate() {
                return Err(err(
                    line,
                    format!("合计行只对家数求和，不能写{}", m.label()),
                ));
            }
            let col = columns
                .iter()
                .position(|c| *c == m)
                .ok_or_else(|| err(line, format!("任务表没有“{}”一列", m.label())))?;
            let sum: f64 = units.iter().map(|u| u.targets[col]).sum();
            if (sum - v.get_ref()).abs() > 1e-9 {
                return Err(err(
                    line_of(v.span().start),
                    format!("{}合计 {} 与各地之和 {sum} 不符", m.label(), v.get_ref()),
                ));
            }
            totals.push((m, *v.get_ref()));
        }
        let mut audit_rules: Vec<AuditRule> = Vec::new();
        for r in &raw.audit_rule {
            let when = *r.when.get_ref();
            if audit_rules.iter().any(|x| x.when == when) {
                return Err(err(
                    line_of(r.when.span().start),
                    "同一审计结果只能规定一种处理".into(),
                ));
            }
            audit_rules.push(AuditRule {
                when,
                action: r.action,
                section: r.section.clone(),
                text: r.text.clone(),
            });
        }
        Ok(Programme {
            id: p.id.clone(),
            name: p.name.clone(),
            document: p.document.clone(),
            issued_on: date(&p.issued_on, "印发日期")?,
            start,
            end,
            source: p.source.clone(),
            phases,
            deadlines,
            city_targets,
            unit_by,
            unit_section: table.section.clone(),
            columns,
            units,
            totals,
            audit_rules,
        })
    }
}

/// Where a unit stands with one deadline's submission on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not submitted, not yet due.
    Open,
    /// Not submitted (or returned) after the day it was due.
    Overdue,
    /// Awaiting the city's decision.
    Submitted,
    /// Returned; to be submitted again (still before the due day).
    Returned,
    Accepted,
    /// Accepted, but first submitted after the day it was due.
    AcceptedLate,
}

impl TaskStatus {
    /// From the latest submission (its state and the day it was submitted), if any.
    pub fn of(due: Date, on: Date, latest: Option<(&str, Date)>) -> TaskStatus {
        match latest {
            Some(("accepted", day)) if day > due => TaskStatus::AcceptedLate,
            Some(("accepted", _)) => TaskStatus::Accepted,
            Some(("submitted", _)) => TaskStatus::Submitted,
            _ if on > due => TaskStatus::Overdue,
            Some(("returned", _)) => TaskStatus::Returned,
            _ => TaskStatus::Open,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "未报送",
            Self::Overdue => "逾期未报",
            Self::Submitted => "待审核",
            Self::Returned => "已退回",
            Self::Accepted => "已通过",
            Self::AcceptedLate => "已通过（逾期报送）",
        }
    }

    pub fn overdue(self) -> bool {
        matches!(self, Self::Overdue)
    }
}

/// One figure of the table: what it is, its value on the day, and how it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub metric: Metric,
    /// The day the figure was taken: the table's day, or a passed deadline's for a city target.
    pub taken_on: Date,
    pub figure: Figure,
    pub target: Option<f64>,
    pub by: Date,
    pub standing: Option<Standing>,
    /// Enterprises still needed to reach the target.
    pub shortfall: Option<u64>,
}

impl Cell {
    fn new(metric: Metric, counts: &UnitCounts, target: Option<f64>, by: Date, on: Date) -> Self {
        let figure = metric.figure(counts);
        Cell {
            metric,
            taken_on: on,
            figure,
            target,
            by,
            standing: target.map(|t| Standing::of(&figure, t, on, by)),
            shortfall: target.and_then(|t| figure.shortfall(t)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub unit: String,
    pub label: String,
    pub counts: UnitCounts,
    pub cells: Vec<Cell>,
}

/// The attachment table as of a day, with the city's targets.
#[derive(Debug, Clone, Serialize)]
pub struct TargetTable {
    pub as_of: Date,
    pub phase: Option<String>,
    pub rows: Vec<Row>,
    /// The 合计 row: the whole city's counts, with the printed totals as targets for counts.
    pub total: Row,
    pub city: Vec<Cell>,
}

impl Programme {
    /// The deadlines of city targets that have passed by `on`: a passed target is judged by
    /// the figure on its own day, so the table needs the city's counts on those days too.
    pub fn passed_deadlines(&self, on: Date) -> Vec<Date> {
        let mut d: Vec<Date> = self
            .city_targets
            .iter()
            .map(|t| t.by)
            .filter(|by| *by < on)
            .collect();
        d.sort();
        d.dedup();
        d
    }

    /// The table on `on` from the counts per unit taken that day, and the city's counts on
    /// each passed deadline (`at_deadlines`, see `passed_deadlines`). Units with no enterprise
    /// show zeros; counts of units outside the table still add to the city's row.
    pub fn table(
        &self,
        counts: &std::collections::BTreeMap<String, UnitCounts>,
        at_deadlines: &std::collections::BTreeMap<Date, UnitCounts>,
        on: Date,
    ) -> TargetTable {
        let zero = UnitCounts::default();
        let rows = self
            .units
            .iter()
            .map(|u| {
                let c = counts.get(&u.unit).unwrap_or(&zero);
                Row {
                    unit: u.unit.clone(),
                    label: u.label.clone(),
                    counts: c.clone(),
                    cells: self
                        .columns
                        .iter()
                        .zip(&u.targets)
                        .map(|(m, t)| Cell::new(*m, c, Some(*t), self.unit_by, on))
                        .collect(),
                }
            })
            .collect();
        let mut city = UnitCounts::default();
        for c in counts.values() {
            city.add(c);
        }
        let total = Row {
            unit: String::new(),
            label: "合计".into(),
            counts: city.clone(),
            cells: self
                .columns
                .iter()
                .map(|m| {
                    let t = self.totals.iter().find(|(tm, _)| tm == m).map(|(_, v)| *v);
                    Cell::new(*m, &city, t, self.unit_by, on)
                })
                .collect(),
        };
        let city_cells = self
            .city_targets
            .iter()
            .map(|t| match at_deadlines.get(&t.by).filter(|_| t.by < on) {
                Some(then) => Cell::new(
                    t.metric,
                    then,
                    Some(t.target),
                    t.by,
                    t.by + time::Duration::days(1),
                ),
                None => Cell::new(t.metric, &city, Some(t.target), t.by, on),
            })
            .map(|mut c| {
                if c.by < on {
                    c.taken_on = c.by;
                }
                c
            })
            .collect();
        TargetTable {
            as_of: on,
            phase: self.phase_on(on).map(|p| p.name.clone()),
            rows,
            total,
            city: city_cells,
        }
    }
}

/// A unit's share of its targets reached: the mean over its figures with a value of
/// min(value ÷ target, 1), in per cent.
pub fn completion(row: &Row) -> Option<f64> {
    let parts: Vec<f64> = row
        .cells
        .iter()
        .filter_map(|c| {
            let t = c.target.filter(|t| *t > 0.0)?;
            Some((c.figure.value()? / t).min(1.0))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.iter().sum::<f64>() * 100.0 / parts.len() as f64)
}

fn figure_text(c: &Cell) -> String {
    match c.figure.value() {
        None => "无数据".into(),
        Some(v) if c.metric.is_rate() => format!("{v:.1}%"),
        Some(v) => format!("{v:.0}家"),
    }
}

/// The draft of a 通报 from a table: the overall figures, the units ranked by completion, those
/// behind target and by how much, and the usual closing requirement. The officer edits it.
pub fn draft_notice(p: &Programme, t: &TargetTable) -> (String, String) {
    let day = crate::date::format_date_cn(t.as_of);
    let title = format!("关于{}工作进展情况的通报", p.name);
    let mut body = Vec::new();
    body.push(
        "各县（市、区）安监局，南通经济技术开发区、苏通科技产业园区、通州湾示范区安监部门："
            .to_string(),
    );
    body.push(format!(
        "根据《{}》（{}）要求，现将截至{day}各地工作进展情况通报如下：",
        p.name, p.document
    ));
    body.push("一、总体进展".into());
    let overall: Vec<String> = t
        .city
        .iter()
        .map(|c| {
            let target = c.target.map(|v| {
                if c.metric.is_rate() {
                    format!("{v:.0}%")
                } else {
                    format!("{v:.0}家")
                }
            });
            format!(
                "{}{}（{}目标{}，{}）",
                c.metric.label(),
                figure_text(c),
                crate::date::format_date_cn(c.by),
                target.unwrap_or_default(),
                c.standing.map(Standing::label).unwrap_or("")
            )
        })
        .collect();
    body.push(format!("截至{day}，全市{}。", overall.join("；")));
    body.push("二、各地完成情况".into());
    let mut ranked: Vec<(&Row, f64)> = t
        .rows
        .iter()
        .map(|r| (r, completion(r).unwrap_or(0.0)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.label.cmp(&b.0.label)));
    for (i, (r, score)) in ranked.iter().enumerate() {
        body.push(format!(
            "{}. {}：任务分配表目标完成度 {score:.1}%。",
            i + 1,
            r.label
        ));
    }
    body.push("三、存在的问题".into());
    let mut problems = 0;
    for (r, _) in &ranked {
        let short: Vec<String> = r
            .cells
            .iter()
            .filter(|c| matches!(c.standing, Some(Standing::Behind | Standing::Missed)))
            .map(|c| match (c.metric.is_rate(), c.figure.value(), c.target) {
                (true, Some(v), Some(t)) => format!(
                    "{}{v:.1}%，低于目标{t:.0}%{:.1}个百分点",
                    c.metric.label(),
                    t - v
                ),
                _ => format!(
                    "{}{}，还需{}家",
                    c.metric.label(),
                    figure_text(c),
                    c.shortfall.unwrap_or(0)
                ),
            })
            .collect();
        if !short.is_empty() {
            problems += 1;
            body.push(format!("{}：{}。", r.label, short.join("；")));
        }
    }
    if problems == 0 {
        body.push("各地均已完成任务分配表目标。".into());
    }
    body.push("四、下一步要求".into());
    body.push(
        "请未完成目标的地区对照任务分配表逐项分析原因，排出工作计划，落实专人负责，于下月底前将整改措施报送市安监局。"
            .into(),
    );
    (title, body.join("\n"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    programme: RawProgramme,
    #[serde(default)]
    phase: Vec<RawPhase>,
    #[serde(default)]
    deadline: Vec<RawDeadline>,
    #[serde(default)]
    city_target: Vec<RawCityTarget>,
    unit_table: RawTable,
    #[serde(default)]
    unit: Vec<RawUnit>,
    #[serde(default)]
    totals: std::collections::BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    audit_rule: Vec<RawAuditRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuditRule {
    when: Spanned<AuditEvent>,
    action: AuditAction,
    section: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgramme {
    id: String,
    name: String,
    document: String,
    issued_on: Spanned<String>,
    start: Spanned<String>,
    end: Spanned<String>,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    key: String,
    name: String,
    from: Spanned<String>,
    to: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    key: String,
    name: String,
    kind: DeadlineKind,
    due: Spanned<String>,
    section: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCityTarget {
    metric: Spanned<String>,
    target: Spanned<f64>,
    by: Spanned<String>,
    section: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    by: Spanned<String>,
    section: String,
    columns: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    unit: Spanned<String>,
    label: String,
    targets: Spanned<Vec<f64>>,
}

/// The programme files shipped in `data/programmes/`.
pub mod embedded {
    pub const NANTONG_2018: (&str, &str) = (
        "nantong-2018.toml",
        include_str!("../../../data/programmes/nantong-2018.toml"),
    );
    pub const ALL: [(&str, &str); 1] = [NANTONG_2018];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReferenceData;
    use time::macros::date;

    fn load(text: &str) -> Result<Programme, ProgrammeError> {
        let r = ReferenceData::embedded().expect("reference");
        Programme::from_toml("test.toml", text, &r.regions)
    }

    const TEXT: &str = embedded::NANTONG_2018.1;

    #[test]
    fn the_nantong_plan_loads_with_the_attachment_exactly() {
        let p = load(TEXT).expect("valid");
        assert_eq!(p.id, "nantong.2018");
        assert_eq!(p.units.len(), 11);
        let (rule, reference) = p.audit_rule(AuditEvent::RecheckFailed).expect("rule");
        assert_eq!(rule.action, AuditAction::Revoke);
        assert_eq!(reference, "nantong.2018#audit.recheck_failed");
        assert_eq!(rule.section, "六（三）3");
        assert_eq!(
            p.audit_rule(AuditEvent::Failing).map(|r| r.1),
            Some("nantong.2018#audit.failing".to_string())
        );
        assert_eq!(p.unit_target("海安", Metric::GradeTwoCount), Some(55.0));
        assert_eq!(
            p.unit_target("海安", Metric::GradeThreeAuditRate),
            Some(15.0)
        );
        assert_eq!(
            p.unit_target("通州湾示范区", Metric::GradeOneCount),
            Some(1.0)
        );
        assert_eq!(
            p.unit_target("如皋", Metric::SmallMicroCertifiedRate),
            Some(85.0)
        );
        assert_eq!(
            p.totals,
            vec![
                (Metric::GradeOneCount, 28.0),
                (Metric::GradeTwoCount, 300.0)
            ]
        );
        assert_eq!(
            p.deadlines.iter().map(|d| d.due).collect::<Vec<_>>(),
            [
                date!(2018 - 07 - 31),
                date!(2018 - 08 - 31),
                date!(2019 - 06 - 30),
                date!(2020 - 01 - 15)
            ]
        );
        assert_eq!(
            p.phase_on(date!(2019 - 03 - 01)).map(|ph| ph.name.as_str()),
            Some("组织实施阶段")
        );
        let two: Vec<_> = p
            .city_targets
            .iter()
            .filter(|t| t.metric == Metric::GradeTwoCount)
            .map(|t| (t.target, t.by))
            .collect();
        assert_eq!(
            two,
            [
                (200.0, date!(2018 - 12 - 31)),
                (300.0, date!(2019 - 12 - 31))
            ]
        );
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text[..text.find(needle).expect("needle")]
            .matches('\n')
            .count()
            + 1
    }

    #[test]
    fn bad_files_are_refused_with_the_line_and_reason() {
        let cases = [
            (
                TEXT.replace("unit = \"如东\"", "unit = \"如西\""),
                "unit = \"如西\"",
                "地区“如西”不存在",
            ),
            (
                TEXT.replace(
                    "targets = [3, 35, 10, 5, 90, 85]\n\n[[unit]]\nunit = \"如东\"",
                    "targets = [3, 35, 10, 5, 120, 85]\n\n[[unit]]\nunit = \"如东\"",
                ),
                "targets = [3, 35, 10, 5, 120, 85]",
                "超过 100%",
            ),
            (
                TEXT.replace("from = \"2018-08-01\"", "from = \"2018-07-20\""),
                "from = \"2018-07-20\"",
                "时间重叠",
            ),
            (
                TEXT.replace("due = \"2020-01-15\"", "due = \"2021-01-15\""),
                "due = \"2021-01-15\"",
                "不在方案期间",
            ),
            (
                TEXT.replace("grade_one_count = 28", "grade_one_count = 27"),
                "grade_one_count = 27",
                "与各地之和 28 不符",
            ),
            (
                TEXT.replace(
                    "metric = \"grade_two_count\"\ntarget = 200",
                    "metric = \"grade_2_count\"\ntarget = 200",
                ),
                "metric = \"grade_2_count\"",
                "未知的指标",
            ),
            (
                TEXT.replace(
                    "by = \"2018-12-31\"\nsection = \"三（一）\"",
                    "by = \"2018-13-31\"\nsection = \"三（一）\"",
                ),
                "by = \"2018-13-31\"",
                "不是有效日期",
            ),
            (
                TEXT.replace("when = \"failing\"", "when = \"good\""),
                "when = \"good\"\naction = \"revoke\"",
                "同一审计结果只能规定一种处理",
            ),
        ];
        for (text, needle, why) in cases {
            let e = load(&text).expect_err(why);
            assert!(e.message.contains(why), "{why}: {e}");
            assert_eq!(e.line, line_of(&text, needle), "{why}: {e}");
        }
        let e = load("[programme\nid = 1").expect_err("syntax");
        assert!(e.to_string().starts_with("test.toml 第"), "{e}");
    }

    #[test]
    fn the_table_sums_the_city_and_checks_each_unit_against_its_row() {
        let p = load(TEXT).expect("valid");
        let mut counts = std::collections::BTreeMap::new();
        counts.insert(
            "海安".to_string(),
            UnitCounts {
                grade_one: 5,
                grade_two: 50,
                grade_three: 100,
                grade_three_audited: 16,
                ..Default::default()
            },
        );
        counts.insert(
            "如皋".to_string(),
            UnitCounts {
                grade_two: 36,
                ..Default::default()
            },
        );
        let mut then = std::collections::BTreeMap::new();
        assert_eq!(
            p.passed_deadlines(date!(2020 - 01 - 10)),
            [date!(2018 - 12 - 31), date!(2019 - 12 - 31)]
        );
        then.insert(
            date!(2018 - 12 - 31),
            UnitCounts {
                grade_two: 210,
                ..Default::default()
            },
        );
        then.insert(
            date!(2019 - 12 - 31),
            UnitCounts {
                grade_two: 86,
                ..Default::default()
            },
        );
        let t = p.table(&counts, &then, date!(2020 - 01 - 10));
        assert_eq!(t.phase.as_deref(), Some("总结验收阶段"));
        let haian = &t.rows[0];
        assert_eq!(haian.label, "海安县");
        let two = &haian.cells[1];
        assert_eq!(
            (two.standing, two.shortfall),
            (Some(Standing::Missed), Some(5))
        );
        assert_eq!(haian.cells[0].standing, Some(Standing::Met));
        assert_eq!(
            haian.cells[2].standing,
            Some(Standing::Met),
            "16 of 100 audited ≥ 15 %"
        );
        assert_eq!(
            haian.cells[4].standing,
            Some(Standing::NoData),
            "no small-micro enterprises"
        );
        assert_eq!(t.rows[1].cells[1].standing, Some(Standing::Met));
        assert_eq!(t.total.cells[1].figure.numerator, 86);
        assert_eq!(t.total.cells[1].target, Some(300.0));
        assert_eq!(
            t.total.cells[2].target, None,
            "no city target for rates in the table"
        );
        let city_two: Vec<_> = t
            .city
            .iter()
            .filter(|c| c.metric == Metric::GradeTwoCount)
            .map(|c| (c.target, c.standing))
            .collect();
        assert_eq!(
            city_two,
            [
                (Some(200.0), Some(Standing::Met)),
                (Some(300.0), Some(Standing::Missed))
            ],
            "a passed target is judged on its own day"
        );
        let taken: Vec<_> = t.city.iter().map(|c| c.taken_on).collect();
        assert!(taken.contains(&date!(2018 - 12 - 31)) && !taken.contains(&date!(2020 - 01 - 10)));
    }

    #[test]
    fn task_status_follows_the_latest_submission_and_the_due_day() {
        let due = date!(2018 - 07 - 31);
        let before = date!(2018 - 07 - 20);
        let after = date!(2018 - 08 - 02);
        assert_eq!(TaskStatus::of(due, before, None), TaskStatus::Open);
        assert_eq!(TaskStatus::of(due, after, None), TaskStatus::Overdue);
        assert_eq!(
            TaskStatus::of(due, after, Some(("submitted", after))),
            TaskStatus::Submitted
        );
        assert_eq!(
            TaskStatus::of(due, before, Some(("returned", before))),
            TaskStatus::Returned
        );
        assert_eq!(
            TaskStatus::of(due, after, Some(("returned", before))),
            TaskStatus::Overdue
        );
        assert_eq!(
            TaskStatus::of(due, after, Some(("accepted", before))),
            TaskStatus::Accepted
        );
        assert_eq!(
            TaskStatus::of(due, after, Some(("accepted", after))),
            TaskStatus::AcceptedLate
        );
    }

    #[test]
    fn the_draft_notice_ranks_units_and_names_shortfalls() {
        let p = load(TEXT).expect("valid");
        let mut counts = std::collections::BTreeMap::new();
        for unit in [
            "海安",
            "如皋",
            "如东",
            "启东",
            "海门",
            "通州",
            "崇川",
            "港闸",
            "开发区",
            "苏通园区",
            "通州湾示范区",
        ] {
            let t = |m| p.unit_target(unit, m).unwrap_or(0.0) as u64;
            counts.insert(
                unit.to_string(),
                UnitCounts {
                    grade_one: t(Metric::GradeOneCount),
                    grade_two: if unit == "港闸" {
                        12
                    } else {
                        t(Metric::GradeTwoCount)
                    },
                    grade_three: 100,
                    grade_three_audited: if unit == "港闸" { 5 } else { 20 },
                    rectification: 10,
                    small_micro: 100,
                    small_micro_started: 100,
                    small_micro_certified: 96,
                    ..Default::default()
                },
            );
        }
        let t = p.table(
            &counts,
            &std::collections::BTreeMap::new(),
            date!(2019 - 12 - 31),
        );
        let (title, body) = draft_notice(&p, &t);
        assert!(title.contains("通报"));
        assert!(body.contains("截至2019年12月31日"), "{body}");
        let last = body.lines().find(|l| l.starts_with("11. ")).unwrap_or("");
        assert!(
            last.contains("港闸区"),
            "the unit furthest behind ranks last: {body}"
        );
        assert!(body.contains("港闸区：二级标准化达标企业数12家，还需8家；三级标准化质量审计率5.0%，低于目标10%5.0个百分点"), "{body}");
        assert!(
            !body.lines().any(|l| l.starts_with("海安县：")),
            "a unit that met everything is not among the problems"
        );
    }

    #[test]
    fn figures_and_standings() {
        let c = UnitCounts {
            grade_three: 40,
            grade_three_audited: 3,
            small_micro: 0,
            grade_two: 30,
            ..Default::default()
        };
        let audit = Metric::GradeThreeAuditRate.figure(&c);
        assert_eq!(audit.value(), Some(7.5));
        assert_eq!(audit.shortfall(10.0), Some(1), "4 of 40 are needed");
        let two = Metric::GradeTwoCount.figure(&c);
        assert_eq!(two.shortfall(35.0), Some(5));
        assert_eq!(two.shortfall(20.0), None);
        let by = date!(2019 - 12 - 31);
        assert_eq!(
            Standing::of(&two, 35.0, date!(2019 - 06 - 30), by),
            Standing::Behind
        );
        assert_eq!(
            Standing::of(&two, 35.0, date!(2020 - 01 - 01), by),
            Standing::Missed
        );
        assert_eq!(
            Standing::of(&two, 30.0, date!(2020 - 01 - 01), by),
            Standing::Met
        );
        let sm = Metric::SmallMicroCoverage.figure(&c);
        assert_eq!(Standing::of(&sm, 90.0, by, by), Standing::NoData);
    }
}

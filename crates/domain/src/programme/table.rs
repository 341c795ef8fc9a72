//! The target table as of a day (任务分配表), the units' deadlines and the bulletin drafted
//! from the table.

use super::*;

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
                    Some(t.threshold()),
                    t.by,
                    t.by + time::Duration::days(1),
                ),
                None => Cell::new(t.metric, &city, Some(t.threshold()), t.by, on),
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
/// behind target and by how much, the lines of `more` as a section of their own (training,
/// demonstration and the obligation lists) and the usual closing requirement. The officer
/// edits it.
pub fn draft_notice(p: &Programme, t: &TargetTable, more: &[String]) -> (String, String) {
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
    let next = if more.is_empty() {
        "四、下一步要求"
    } else {
        body.push("四、培训、典型示范和监管清单".into());
        body.extend(more.iter().cloned());
        "五、下一步要求"
    };
    body.push(next.into());
    body.push(
        "请未完成目标的地区对照任务分配表逐项分析原因，排出工作计划，落实专人负责，于下月底前将整改措施报送市安监局。"
            .into(),
    );
    (title, body.join("\n"))
}

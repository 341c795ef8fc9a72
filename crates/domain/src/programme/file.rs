//! Reading a programme file: the raw TOML shapes and the checks against the regions, with the
//! line of each refusal.

use super::*;

impl Programme {
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
            if t.above && m.is_rate() {
                return Err(err(
                    line_of(t.target.span().start),
                    format!("{}是比率，不能写“突破”（above）", m.label()),
                ));
            }
            city_targets.push(CityTarget {
                metric: m,
                target: *t.target.get_ref(),
                by,
                section: t.section.clone(),
                stretch: t.stretch,
                above: t.above,
                words: t.words.clone(),
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
            unit_by_basis: table.by_basis.clone(),
            columns,
            units,
            totals,
            audit_rules,
        })
    }
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
    /// 力争: a target the city strives for, beside the binding ones.
    #[serde(default)]
    stretch: bool,
    /// 突破: more than the target, not "at least".
    #[serde(default)]
    above: bool,
    /// The plan's own words.
    #[serde(default)]
    words: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    by: Spanned<String>,
    section: String,
    /// Where the table's deadline comes from when the table itself gives none (an inference,
    /// shown as such).
    #[serde(default)]
    by_basis: Option<String>,
    columns: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    unit: Spanned<String>,
    label: String,
    targets: Spanned<Vec<f64>>,
}

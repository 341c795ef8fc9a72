//! The workbench (工作台): what waits for the actor, read within their scope on the day, each
//! figure with the link that opens the work. Every figure comes from a running sum or an
//! indexed count that stops at the cap of a list (and says so).

use anbiao_domain::Permission;
use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use anbiao_domain::grade::Grade;
use anbiao_domain::lifecycle::{self, CaseState, Party};
use anbiao_domain::programme::{Cell, DeadlineKind, Programme, TaskStatus};
use anbiao_domain::text::percent_encode;
use anbiao_store::paging::Total;
use anbiao_store::{
    audits, certificate, grading, hazards, inspection_plans, notify, risk_points, submissions,
};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

/// One line of the workbench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// The area it belongs to (定级、隐患、检查 …).
    pub area: &'static str,
    /// What is counted, in words.
    pub label: String,
    /// How many, with the word that counts them (件、家、处、条).
    pub count: Total,
    pub unit: &'static str,
    /// The page that opens the work.
    pub link: String,
    /// Past a deadline: shown first and marked.
    pub overdue: bool,
}

/// A programme's key figures against its targets, for the city or one district.
#[derive(Debug, Clone)]
pub struct Targets {
    pub programme_id: String,
    pub programme_name: String,
    /// The day the figures were taken: the workbench's day, or the programme's last day once
    /// it has ended.
    pub as_of: Date,
    pub ended: bool,
    /// The district's unit, or none for the whole city.
    pub unit: Option<String>,
    /// 全市, or the district's name as the programme's table prints it.
    pub label: String,
    pub lines: Vec<TargetLine>,
}

/// One target: the figure and how it stands, with the programme's section that sets it.
#[derive(Debug, Clone)]
pub struct TargetLine {
    pub cell: Cell,
    pub section: String,
}

/// The days before a certificate's expiry from which it shows on the workbench.
pub const EXPIRY_WARNING_DAYS: i64 = 90;

impl Ctx<'_> {
    /// The states and grades at which the actor's party has a step to take on a case.
    pub fn cases_at_my_step(&self) -> Vec<(CaseState, Vec<Grade>)> {
        let Some(party) = self.party() else {
            return Vec::new();
        };
        if party == Party::Public
            || (self.actor.role.is_some() && !self.actor.permits(Permission::ActOnCases))
        {
            return Vec::new();
        }
        let Ok(set) = self.reference.grading.in_force(self.on) else {
            return Vec::new();
        };
        let authority = self.authority();
        CaseState::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .map(|s| {
                let grades = Grade::ALL
                    .into_iter()
                    .filter(|g| {
                        set.authority(*g).is_some_and(|a| {
                            !lifecycle::available(s, party, a.value.level, authority).is_empty()
                        })
                    })
                    .collect();
                (s, grades)
            })
            .collect()
    }

    /// The programme the workbench follows on the day: the one in force, else the latest
    /// begun.
    pub fn current_programme(&self) -> Option<&Programme> {
        let begun = self
            .reference
            .programmes
            .iter()
            .filter(|p| p.start <= self.on);
        begun
            .clone()
            .find(|p| self.on <= p.end)
            .or_else(|| begun.max_by_key(|p| p.end))
    }

    /// What waits for the actor, the overdue first, from running sums and indexed counts (the
    /// page itself; the programme's figures follow in [`Ctx::workbench_targets`]).
    pub async fn workbench(&self) -> Result<Vec<WorkItem>, ActionError> {
        self.work_items().await
    }

    /// The programme's figures for the city (its targets and the table's totals) or the
    /// actor's district (its row), as of the day or the programme's end: the target table's
    /// work, loaded after the workbench itself. `None` for everyone else.
    pub async fn workbench_targets(&self) -> Result<Option<Targets>, ActionError> {
        if !self.actor.permits(Permission::ViewProgrammes) {
            return Ok(None);
        }
        let unit = match &self.actor.scope {
            Scope::City => None,
            Scope::Region { .. } => match self.own_unit() {
                Some(u) => Some(u),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let Some(p) = self.current_programme() else {
            return Ok(None);
        };
        let as_of = self.on.min(p.end);
        // The city's targets are judged on their own deadlines; a district's row needs only
        // the day's counts.
        let table = match &unit {
            None => self.target_table(p, as_of).await?,
            Some(_) => self.unit_table(p, as_of).await?,
        };
        let (label, lines) = match &unit {
            None => {
                let mut lines: Vec<TargetLine> = table
                    .city
                    .into_iter()
                    .zip(&p.city_targets)
                    .map(|(cell, t)| TargetLine {
                        cell,
                        section: match &t.words {
                            Some(w) if t.stretch => format!("{}，力争目标：{w}", t.section),
                            _ => t.section.clone(),
                        },
                    })
                    .collect();
                lines.extend(
                    table
                        .total
                        .cells
                        .into_iter()
                        .filter(|c| c.target.is_some())
                        .map(|cell| TargetLine {
                            cell,
                            section: format!("{}（合计）", p.unit_section),
                        }),
                );
                ("全市".to_string(), lines)
            }
            Some(u) => {
                let Some(row) = table.rows.into_iter().find(|r| r.unit == *u) else {
                    return Ok(None);
                };
                let lines = row
                    .cells
                    .into_iter()
                    .filter(|c| c.target.is_some())
                    .map(|cell| TargetLine {
                        cell,
                        section: p.unit_section.clone(),
                    })
                    .collect();
                (self.reference.regions.unit_name(u, as_of), lines)
            }
        };
        Ok(Some(Targets {
            programme_id: p.id.clone(),
            programme_name: p.name.clone(),
            as_of,
            ended: self.on > p.end,
            unit,
            label,
            lines,
        }))
    }

    /// What waits for the actor, the overdue first.
    /// The administrators' work (they read no business data): locked accounts, accounts
    /// waiting for a role, today's refused accesses.
    async fn administration_items(&self) -> Result<Vec<WorkItem>, ActionError> {
        let mut items = Vec::new();
        let item = |area, label: &str, n: usize, unit, link: &str| WorkItem {
            area,
            label: label.to_string(),
            count: Total::Exact(i64::try_from(n).unwrap_or(i64::MAX)),
            unit,
            link: link.to_string(),
            overdue: false,
        };
        let manages = self.actor.permits(Permission::ManageAccounts);
        let grants = self.actor.permits(Permission::ManageGrants);
        if manages || grants {
            let users = anbiao_store::account::list(self.db).await?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if manages {
                let locked = users
                    .iter()
                    .filter(|u| u.active && u.is_locked(now))
                    .count();
                items.push(item(
                    "账户",
                    "因多次登录失败被锁定的账户",
                    locked,
                    "个",
                    "/admin/users",
                ));
            }
            if grants {
                let pending = users
                    .iter()
                    .filter(|u| u.active && u.role() == Some(anbiao_domain::Role::Pending))
                    .count();
                items.push(item(
                    "授权",
                    "等待授予角色的账户",
                    pending,
                    "个",
                    "/admin/grants",
                ));
            }
        }
        if self.actor.permits(Permission::ViewAuditLog) {
            let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
            let midnight = self
                .on
                .with_time(time::Time::MIDNIGHT)
                .assume_offset(offset);
            let filter = anbiao_store::audit_log::Filter {
                from_us: i64::try_from(midnight.unix_timestamp_nanos() / 1000).ok(),
                action: Some("access.denied".into()),
                ..Default::default()
            };
            let n = anbiao_store::audit_log::count(self.db, &filter).await?;
            let day = anbiao_domain::date::format_date(self.on);
            items.push(WorkItem {
                area: "审计",
                label: "今日越权访问被拒".to_string(),
                count: Total::Exact(n),
                unit: "次",
                link: format!("/audit?from={day}&action=access.denied"),
                overdue: false,
            });
        }
        Ok(items)
    }

    async fn work_items(&self) -> Result<Vec<WorkItem>, ActionError> {
        let scope = &self.actor.scope;
        if matches!(scope, Scope::Nothing) {
            return self.administration_items().await;
        }
        let own = match scope {
            Scope::Enterprise { id } => Some(*id),
            _ => None,
        };
        let mut items = Vec::new();
        let mut push = |area, label: &str, count, unit, link: String, overdue| {
            items.push(WorkItem {
                area,
                label: label.to_string(),
                count,
                unit,
                link,
                overdue,
            });
        };

        if self.actor.permits(Permission::ViewCases) {
            let at = self.cases_at_my_step();
            if at.iter().any(|(_, g)| !g.is_empty()) {
                let n = grading::count_at(self.db, scope, &at).await?;
                push(
                    "定级",
                    "待我方办理的定级案件",
                    n,
                    "件",
                    "/cases?at=me".into(),
                    false,
                );
            }
        }

        if self.actor.permits(Permission::ViewHazards) {
            let h = hazards::summary(self.db, scope, self.on).await?;
            push(
                "隐患",
                "逾期未整改的隐患",
                Total::Exact(h.overdue),
                "项",
                "/hazards?overdue=1".into(),
                h.overdue > 0,
            );
            let awaiting = if own.is_some() {
                "已报整改完成、待验收的隐患"
            } else {
                "企业已报整改完成、待验收的隐患"
            };
            push(
                "隐患",
                awaiting,
                Total::Exact(h.awaiting),
                "项",
                "/hazards?state=rectified".into(),
                false,
            );
        }

        if own.is_none() && self.actor.permits(Permission::ViewInspections) {
            let (year, month) = (self.on.year(), u8::from(self.on.month()));
            let (planned, recorded) =
                inspection_plans::month_progress(self.db, scope, year, month).await?;
            // The city is sent to the unit with the most visits not yet recorded.
            let unit = if matches!(scope, anbiao_domain::Scope::City) {
                let mut by_unit: std::collections::BTreeMap<String, i64> = Default::default();
                for (code, p, r) in
                    inspection_plans::month_progress_by_region(self.db, year, month).await?
                {
                    if let Some(u) = self.reference.regions.get(&code) {
                        *by_unit.entry(u.unit.clone()).or_default() += p - r;
                    }
                }
                by_unit
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                    .max_by_key(|(_, n)| *n)
                    .map(|(u, _)| format!("&unit={}", anbiao_domain::text::percent_encode(&u)))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let what = if planned == 0 {
                format!("{month}月计划检查、尚未记录检查的企业（本月没有计划检查）")
            } else {
                format!("{month}月计划检查、尚未记录检查的企业（计划 {planned} 家）")
            };
            push(
                "检查",
                &what,
                Total::Exact(planned - recorded),
                "家",
                format!("/inspections/plan?year={year}&month={month}&show=todo{unit}"),
                false,
            );
        }

        if self.actor.permits(Permission::ViewRisks) {
            let sums = risk_points::sums(self.db, scope).await?;
            let points = |level: &str| {
                sums.iter()
                    .filter(|s| s.level == level)
                    .map(|s| s.points)
                    .sum::<i64>()
            };
            let overdue = points(risk_points::OVERDUE);
            let link = match own {
                Some(id) => format!("/enterprises/{id}/risk-checks"),
                None => "/risks".into(),
            };
            push(
                "风险",
                "隐患排查任务逾期的风险点",
                Total::Exact(overdue),
                "处",
                link,
                overdue > 0,
            );
            if let Some(id) = own.filter(|_| points(risk_points::ANY_LEVEL) == 0) {
                push(
                    "风险",
                    "尚未辨识风险点（风险点清单为空）",
                    Total::Exact(1),
                    "项",
                    format!("/enterprises/{id}/risks"),
                    false,
                );
            }
        }

        if self.actor.permits(Permission::ViewCases) && !matches!(scope, Scope::Org { .. }) {
            let by = self.on + time::Duration::days(EXPIRY_WARNING_DAYS);
            let expiring = certificate::count_expiring(self.db, scope, self.on, by).await?;
            let link = |list: &str| match own {
                Some(id) => format!("/enterprises/{id}/standing"),
                None => format!("/certificates/{list}"),
            };
            push(
                "证书",
                &format!("{EXPIRY_WARNING_DAYS} 天内到期的标准化证书"),
                expiring,
                "张",
                link("expiring"),
                false,
            );
            let missing = certificate::count_missing_annual(self.db, scope, self.on).await?;
            push(
                "证书",
                "有效期内未按期提交年度自评的证书",
                missing,
                "张",
                link("annual-missing"),
                missing != Total::Exact(0),
            );
        }

        if own.is_none() && self.actor.permits(Permission::ManageAudits) {
            let year = self.on.year();
            let (unaudited, recheck) = audits::due(self.db, scope, year, self.on).await?;
            let unit = self.own_unit().filter(|_| !matches!(scope, Scope::City));
            // The units whose plan of the year is drawn (a district: its own; the city: each).
            let units = match &unit {
                Some(u) => vec![u.clone()],
                None => self.units(),
            };
            let mut undrawn = 0usize;
            for u in &units {
                if !audits::has_plan(self.db, u, year).await? {
                    undrawn += 1;
                }
            }
            let plan_link = match &unit {
                Some(u) => format!("/audits?year={year}&unit={}", percent_encode(u)),
                None => format!("/audits?year={year}"),
            };
            if undrawn < units.len() {
                let what = if undrawn == 0 {
                    format!("{year}年度抽查计划中尚未审计的企业")
                } else {
                    format!(
                        "{year}年度抽查计划中尚未审计的企业（另有 {undrawn} 个县区尚未生成计划）"
                    )
                };
                push("审计", &what, unaudited, "家", plan_link, false);
            } else if unit.is_some() {
                push(
                    "审计",
                    &format!("{year}年度运行质量审计抽查计划尚未生成"),
                    Total::Exact(1),
                    "项",
                    plan_link,
                    false,
                );
            } else {
                push(
                    "审计",
                    &format!("{year}年度运行质量审计抽查计划尚未生成的县区"),
                    Total::Exact(undrawn as i64),
                    "个",
                    plan_link,
                    false,
                );
            }
            push(
                "审计",
                "整改期限已过、尚未复查的审计",
                recheck,
                "家",
                "/audits/rechecks".into(),
                recheck != Total::Exact(0),
            );
        }

        if self.actor.permits(Permission::ViewObligations)
            && self.reference.obligations.in_force(self.on).is_some()
        {
            if let Some(id) = own {
                // The enterprise's own list as it stands today.
                let list = self.obligation_list(id).await?;
                use crate::obligations::Status;
                let open = list.count(Status::Open) as i64;
                let overdue = list.count(Status::Overdue) as i64;
                let gaps = (list.count(Status::Gap) + list.count(Status::GapOverdue)) as i64
                    + list.earlier_gaps.len() as i64;
                let link = format!("/enterprises/{id}/obligations");
                push(
                    "清单",
                    "监管清单本期待自查的义务",
                    Total::Exact(open + overdue),
                    "项",
                    link.clone(),
                    overdue > 0,
                );
                push(
                    "清单",
                    "自查发现、尚待整改的问题",
                    Total::Exact(gaps),
                    "项",
                    link,
                    list.count(Status::GapOverdue) > 0,
                );
            } else if !matches!(scope, Scope::Org { .. }) {
                let f = anbiao_store::obligations::figures(
                    self.db,
                    scope,
                    anbiao_store::obligations::GroupBy::Region,
                )
                .await?;
                let overdue: i64 = f.iter().map(|x| x.overdue).sum();
                push(
                    "清单",
                    "监管清单有义务逾期未自查的企业",
                    Total::Exact(overdue),
                    "家",
                    "/obligations/enterprises?show=overdue".into(),
                    overdue > 0,
                );
            }
        }

        if let Some(p) = self.current_programme().filter(|p| self.on <= p.end) {
            self.reports_due(p, &mut push).await?;
        }

        if let Some(a) = self.audience() {
            let unread = notify::unread_capped(self.db, scope, a).await?;
            push(
                "提醒",
                "未读提醒",
                unread,
                "条",
                "/notifications?unread=1".into(),
                false,
            );
        }

        // The overdue first, then in the order above.
        items.sort_by_key(|i| !i.overdue);
        Ok(items)
    }

    /// The programme's submissions: for a district, each deadline not yet met (due first);
    /// for the city, the submissions awaiting its decision.
    async fn reports_due(
        &self,
        p: &Programme,
        push: &mut impl FnMut(&'static str, &str, Total, &'static str, String, bool),
    ) -> Result<(), ActionError> {
        let link = format!("/programmes/{}/tasks", percent_encode(&p.id));
        if self.actor.permits(Permission::SubmitReports)
            && let Some(unit) = self.own_unit()
        {
            let all = submissions::of_programme(self.db, &p.id).await?;
            let mut deadlines: Vec<_> = p
                .deadlines
                .iter()
                .filter(|d| d.kind != DeadlineKind::Milestone)
                .collect();
            deadlines.sort_by_key(|d| d.due);
            for d in deadlines {
                let (status, _) = crate::programmes::task_status(d, &unit, &all, self.on);
                if matches!(
                    status,
                    TaskStatus::Open | TaskStatus::Overdue | TaskStatus::Returned
                ) {
                    push(
                        "报送",
                        &format!(
                            "报送“{}”（{} 前，{}，方案{}）",
                            d.name,
                            format_date(d.due),
                            status.label(),
                            d.section
                        ),
                        Total::Exact(1),
                        "项",
                        link.clone(),
                        status.overdue(),
                    );
                }
            }
        }
        if self.actor.permits(Permission::ReviewReports) {
            let waiting = submissions::of_programme(self.db, &p.id)
                .await?
                .iter()
                .filter(|s| s.state == "submitted")
                .count();
            push(
                "报送",
                "各地报送、待审核的材料",
                Total::Exact(i64::try_from(waiting).unwrap_or(i64::MAX)),
                "份",
                link,
                false,
            );
        }
        Ok(())
    }
}

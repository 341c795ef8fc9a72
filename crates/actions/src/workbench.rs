//! The workbench (工作台): what waits for the actor, read within their scope on the day, each
//! figure with the link that opens the work. Every figure comes from a running sum or an
//! indexed count that stops at the cap of a list (and says so).

use anbiao_domain::Permission;
use anbiao_domain::Scope;
use anbiao_domain::grade::Grade;
use anbiao_domain::lifecycle::{self, CaseState, Party};
use anbiao_store::paging::Total;
use anbiao_store::{certificate, grading, hazards, inspection_plans, notify, risk_points};

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

    /// What waits for the actor, the overdue first.
    pub async fn workbench(&self) -> Result<Vec<WorkItem>, ActionError> {
        let scope = &self.actor.scope;
        if matches!(scope, Scope::Nothing) {
            return Ok(Vec::new());
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
            push(
                "检查",
                &format!("{month}月计划检查、尚未记录检查的企业（计划 {planned} 家）"),
                Total::Exact(planned - recorded),
                "家",
                format!("/inspections/plan?year={year}&month={month}"),
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
            let link = match own {
                Some(id) => format!("/enterprises/{id}/standing"),
                None => "/certificates/annual-missing".into(),
            };
            push(
                "证书",
                &format!("{EXPIRY_WARNING_DAYS} 天内到期的标准化证书"),
                expiring,
                "张",
                link.clone(),
                false,
            );
            let missing = certificate::count_missing_annual(self.db, scope, self.on).await?;
            push(
                "证书",
                "有效期内未按期提交年度自评的证书",
                missing,
                "张",
                link,
                missing != Total::Exact(0),
            );
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
}

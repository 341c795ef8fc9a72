//! The yearly supervision inspection plan (双随机 draw, 六（二）1): the officers who inspect and
//! how many visits each can take a month, the draw from a public seed, and its publication on
//! the portal. A district plans for itself; the city for any unit.

use anbiao_domain::Permission;
use anbiao_domain::inspection_plan::Officer;
use anbiao_store::inspection_plans::{self, LineRow, NewPlan, PlanRow};

use crate::ctx::Ctx;
use crate::error::ActionError;

/// What a refused change of another unit's plan says.
const OWN_UNIT_ONLY: &str = "只能编制和公开本地区的监督检查计划";

fn year_ok(year: i32) -> Result<i32, ActionError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ActionError::bad("year", "年度应在 2000 至 2100 之间"))
    }
}

/// A unit's plan of the year as a reader sees it: the plan, a page of its lines within the
/// actor's scope (a township's officer reads the township's), the visits per month within
/// that scope and the unit's inspectors.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub plan: Option<PlanRow>,
    pub lines: anbiao_store::paging::Paged<LineRow>,
    pub month_counts: Option<[i64; 12]>,
    pub officers: Vec<Officer>,
}

impl Ctx<'_> {
    /// The unit's plan of the year: a page of lines (in `month` when given), the calendar and
    /// the officers.
    pub async fn plan_view(
        &self,
        unit: &str,
        year: i32,
        month: Option<u8>,
        unrecorded: bool,
        req: anbiao_store::paging::PageReq,
    ) -> Result<PlanView, ActionError> {
        self.actor.require(Permission::ViewInspections)?;
        let scope = &self.actor.scope;
        let plan = inspection_plans::get(self.db, unit, year_ok(year)?).await?;
        let (lines, month_counts) = match &plan {
            Some(p) => (
                match month.filter(|_| unrecorded) {
                    Some(m) => {
                        inspection_plans::unrecorded_lines_page(self.db, scope, p.id, year, m, req)
                            .await?
                    }
                    None => inspection_plans::lines_page(self.db, scope, p.id, month, req).await?,
                },
                Some(inspection_plans::month_counts(self.db, scope, p.id).await?),
            ),
            None => (anbiao_store::paging::Paged::of_all(Vec::new(), req), None),
        };
        Ok(PlanView {
            plan,
            lines,
            month_counts,
            officers: inspection_plans::officers(self.db, unit).await?,
        })
    }

    /// The unit's plan of the year with all its lines within the actor's scope (the export):
    /// those of `month` when given, and only those not yet recorded in it when `unrecorded`.
    pub async fn plan_lines(
        &self,
        unit: &str,
        year: i32,
        month: Option<u8>,
        unrecorded: bool,
    ) -> Result<(PlanRow, Vec<LineRow>), ActionError> {
        self.actor.require(Permission::ViewInspections)?;
        let plan = inspection_plans::get(self.db, unit, year_ok(year)?)
            .await?
            .ok_or(ActionError::NotFound)?;
        let scope = &self.actor.scope;
        let lines = match (month, unrecorded) {
            (None, _) => {
                inspection_plans::lines(self.db, scope, plan.id, None, 10_000_000, 0).await?
            }
            (Some(m), false) => {
                inspection_plans::lines(self.db, scope, plan.id, Some(m), 10_000_000, 0).await?
            }
            (Some(m), true) => {
                crate::exports::whole_list(|req| async move {
                    Ok(inspection_plans::unrecorded_lines_page(
                        self.db, scope, plan.id, year, m, req,
                    )
                    .await?)
                })
                .await?
            }
        };
        Ok((plan, lines))
    }

    /// The unit whose plan the actor may change: its own (another is refused, audited), or
    /// for the city the one asked.
    pub async fn plan_unit(&self, asked: Option<&str>) -> Result<String, ActionError> {
        self.actor.require(Permission::PlanInspections)?;
        let unit = self.unit_to_change(asked, OWN_UNIT_ONLY).await?;
        self.party_may("inspection.plan", format!("unit:{unit}"))
            .await?;
        Ok(unit)
    }

    /// Draws the unit's plan for the year from the seed, under the inspection rules in force
    /// today. Returns the unit and the plan's id.
    pub async fn draw_inspection_plan(
        &self,
        unit: Option<&str>,
        year: i32,
        seed: u64,
    ) -> Result<(String, i64), ActionError> {
        let unit = self.plan_unit(unit).await?;
        let year = year_ok(year)?;
        let set = self
            .reference
            .inspection
            .in_force(self.on)
            .map_err(|e| ActionError::bad("year", e.message))?;
        let (id, _) = inspection_plans::create(
            self.db,
            &self.actor.audit,
            &NewPlan {
                unit: &unit,
                year,
                seed,
                on: self.on,
                set,
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("seed"))?;
        Ok((unit, id))
    }

    /// Adds an officer of the unit to the plan's inspectors with a monthly capacity.
    pub async fn set_plan_officer(
        &self,
        unit: Option<&str>,
        username: &str,
        capacity: u32,
    ) -> Result<String, ActionError> {
        let unit = self.plan_unit(unit).await?;
        if !(1..=500).contains(&capacity) {
            return Err(ActionError::bad(
                "capacity",
                "每月可承担的检查次数应为 1 至 500 的整数",
            ));
        }
        inspection_plans::set_officer(
            self.db,
            &self.actor.audit,
            username.trim(),
            &unit,
            capacity,
            true,
        )
        .await
        .map_err(|e| ActionError::from(e).at("username"))?;
        Ok(unit)
    }

    /// Publishes the unit's plan of the year on the portal.
    pub async fn publish_inspection_plan(
        &self,
        unit: Option<&str>,
        year: i32,
    ) -> Result<String, ActionError> {
        let unit = self.plan_unit(unit).await?;
        let plan = inspection_plans::get(self.db, &unit, year_ok(year)?)
            .await?
            .ok_or(ActionError::NotFound)?;
        inspection_plans::publish(self.db, &self.actor.audit, plan.id, self.on).await?;
        Ok(unit)
    }
}

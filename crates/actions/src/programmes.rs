//! The programme's figures (样板地区建设方案 目标任务表): each unit's counts on a day and the
//! target table drawn from them, the month-end series for the charts, the districts' reports
//! pipeline, and the enterprises behind a rate (within the actor's scope). Officers read them.

use std::collections::BTreeMap;

use anbiao_domain::Permission;
use anbiao_domain::programme::{Programme, TargetTable, UnitCounts};
use anbiao_store::programme::{self as store, Behind, BehindQuery, Pipeline};
use anbiao_store::submissions::{self, Submission};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

impl Ctx<'_> {
    /// The programme's target table on `on`, with the city's counts on each passed deadline.
    pub async fn target_table(&self, p: &Programme, on: Date) -> Result<TargetTable, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let counts = store::counts(self.db, on, p.start).await?;
        let mut then = BTreeMap::new();
        for day in p.passed_deadlines(on) {
            let mut city = UnitCounts::default();
            for c in store::counts(self.db, day, p.start).await?.values() {
                city.add(c);
            }
            then.insert(day, city);
        }
        Ok(p.table(&counts, &then, on))
    }

    /// The programme's table on `on` for the units' rows and the totals only: the city's
    /// targets in it are not judged on their own deadlines (one day's counts instead of one per
    /// passed deadline; a district's workbench reads its row from it).
    pub async fn unit_table(&self, p: &Programme, on: Date) -> Result<TargetTable, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let counts = store::counts(self.db, on, p.start).await?;
        Ok(p.table(&counts, &BTreeMap::new(), on))
    }

    /// Each unit's counts on each of `days` (the charts' month-ends).
    pub async fn counts_on_days(
        &self,
        p: &Programme,
        days: &[Date],
    ) -> Result<Vec<BTreeMap<String, UnitCounts>>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(store::counts_on_days(self.db, days, p.start).await?)
    }

    /// Each unit's stage in the lists it reports (`lists`: the list deadlines) on `on`.
    pub async fn report_pipeline(
        &self,
        p: &Programme,
        lists: &[String],
        on: Date,
    ) -> Result<BTreeMap<String, Pipeline>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(store::pipeline(self.db, &p.id, lists, on).await?)
    }

    /// The enterprises within the actor's scope counted in, or missing from, a unit's rate.
    pub async fn behind(&self, q: &BehindQuery<'_>) -> Result<Vec<Behind>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(store::behind(self.db, &self.actor.scope, q).await?)
    }

    /// Every district's reports of the programme (their states fill the task table; opening
    /// one is [`Ctx::report`]'s).
    pub async fn reports_of(&self, p: &Programme) -> Result<Vec<Submission>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(submissions::of_programme(self.db, &p.id).await?)
    }
}

/// Where `unit` stands on `on` with deadline `d`, from the programme's submissions (`all`):
/// its status and the latest submission made by then. A decision taken after `on` does not
/// count yet.
pub fn task_status(
    d: &anbiao_domain::programme::Deadline,
    unit: &str,
    all: &[Submission],
    on: Date,
) -> (anbiao_domain::programme::TaskStatus, Option<i64>) {
    use anbiao_domain::date::parse_date;
    let latest = all.iter().rfind(|s| {
        s.deadline_key == d.key
            && s.unit == unit
            && parse_date(&s.submitted_on).is_some_and(|x| x <= on)
    });
    let state = latest.map(|s| {
        let decided = s
            .decided_on
            .as_deref()
            .and_then(parse_date)
            .is_some_and(|x| x <= on);
        let st = if decided {
            s.state.as_str()
        } else {
            "submitted"
        };
        (st, parse_date(&s.submitted_on).unwrap_or(on))
    });
    (
        anbiao_domain::programme::TaskStatus::of(d.due, on, state),
        latest.map(|s| s.id),
    )
}

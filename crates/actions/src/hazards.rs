//! Hidden hazards from registration to write-off. Each step loads the hazard within the actor's
//! scope (not found outside it), asks the authority rules (`authority.toml` `hazards`) whether
//! the actor's party takes this step (refused before the hazard's state is looked at), then the
//! store applies the hazard's path (`domain::hazard::next`) with a conditional update.

use anbiao_domain::hazard::{FiveFixes, Level, State, Step};
use anbiao_domain::{Permission, Scope};
use anbiao_store::enforcement::{self, Decision};
use anbiao_store::enterprise;
use anbiao_store::hazards::{
    self, EnterprisePage, Filter, Hazard, HazardEvent, Line, NewHazard, Photo, Quarter, Summary,
};
use time::Date;

use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

use crate::ctx::Ctx;

/// What the enterprise's own check found.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub level: Level,
    pub item_key: Option<&'a str>,
    pub description: &'a str,
    pub found_on: Date,
    pub deadline: Option<Date>,
    pub photo: Option<&'a [u8]>,
}

/// A hazard as its page shows it: the record, its enterprise's name, its history, its photos
/// and the enforcement decisions about it (for those who read violations, and for the
/// enterprise itself).
#[derive(Debug, Clone)]
pub struct HazardFile {
    pub hazard: Hazard,
    pub enterprise: String,
    pub events: Vec<HazardEvent>,
    pub photos: Vec<Photo>,
    pub decisions: Vec<Decision>,
}

/// A year's hazard figures as the actor may read them: the city's per region (from the running
/// sums), anyone else's per enterprise of its scope, a page at a time with the names.
#[derive(Debug, Clone)]
pub enum HazardStats {
    ByRegion(Vec<(String, [Quarter; 4])>),
    ByEnterprise {
        page: Box<EnterprisePage>,
        names: std::collections::HashMap<i64, String>,
    },
}

fn step_key(step: Step) -> &'static str {
    match step {
        Step::Plan => "plan",
        Step::Rectify => "rectify",
        Step::Accept => "accept",
        Step::Return => "return",
    }
}

impl Ctx<'_> {
    /// The hazards within the actor's scope that `f` selects, a page of them.
    pub async fn hazards(
        &self,
        f: &Filter,
        req: anbiao_store::paging::PageReq,
    ) -> Result<anbiao_store::paging::Paged<Line>, ActionError> {
        self.actor.require(Permission::ViewHazards)?;
        Ok(hazards::page(self.db, &self.actor.scope, f, req).await?)
    }

    /// The whole list of hazards within the actor's scope that `f` selects, for an export (up
    /// to [`crate::exports::LIST_EXPORT_MAX`] rows).
    pub async fn hazards_all(&self, f: &Filter) -> Result<Vec<Line>, ActionError> {
        crate::exports::whole_list(|req| self.hazards(f, req)).await
    }

    /// The figures of the hazards within the actor's scope on the day.
    pub async fn hazard_summary(&self) -> Result<Summary, ActionError> {
        self.actor.require(Permission::ViewHazards)?;
        Ok(hazards::summary(self.db, &self.actor.scope, self.on).await?)
    }

    /// A year's figures (quarters), by region for the city, else by enterprise.
    pub async fn hazard_stats(
        &self,
        year: i32,
        offset: i64,
        limit: i64,
    ) -> Result<HazardStats, ActionError> {
        self.actor.require(Permission::ViewHazards)?;
        let scope = &self.actor.scope;
        if matches!(scope, Scope::City) {
            let groups = hazards::quarterly_from_sums(self.db, year, self.on, None).await?;
            return Ok(HazardStats::ByRegion(groups));
        }
        let page = hazards::enterprise_page(self.db, scope, year, self.on, offset, limit).await?;
        let ids: Vec<i64> = page.rows.iter().map(|(id, _)| *id).collect();
        let names = enterprise::names(self.db, scope, &ids).await?;
        Ok(HazardStats::ByEnterprise {
            page: Box::new(page),
            names,
        })
    }

    /// A hazard within the actor's scope with everything its page shows.
    pub async fn hazard_file(&self, id: i64) -> Result<HazardFile, ActionError> {
        self.actor.require(Permission::ViewHazards)?;
        let scope = &self.actor.scope;
        let hazard = hazards::get(self.db, scope, id).await?;
        let enterprise = enterprise::get(self.db, scope, hazard.enterprise_id)
            .await?
            .name;
        let decisions = if self.actor.permits(Permission::ViewViolations)
            || self.actor.permits(Permission::ReportHazards)
        {
            let f = enforcement::Filter {
                hazard_id: Some(id),
                ..Default::default()
            };
            enforcement::list(self.db, scope, &f, 50, 0).await?
        } else {
            Vec::new()
        };
        Ok(HazardFile {
            events: hazards::events(self.db, scope, id).await?,
            photos: hazards::photos(self.db, scope, id).await?,
            hazard,
            enterprise,
            decisions,
        })
    }

    /// A photo of a hazard within the actor's scope: (content type, bytes).
    pub async fn hazard_photo(
        &self,
        id: i64,
        photo: i64,
    ) -> Result<(String, Vec<u8>), ActionError> {
        self.actor.require(Permission::ViewHazards)?;
        Ok(hazards::photo(self.db, &self.actor.scope, id, photo).await?)
    }

    /// Refuses a step the actor's party does not take, audited.
    pub(crate) async fn hazard_party_may(
        &self,
        object: String,
        step: &str,
    ) -> Result<(), ActionError> {
        let rules = self.reference.authority.on(self.on);
        if let Err(r) = rules.may_take_hazard_step(self.actor.party(rules), step) {
            let why = r.to_string();
            return Err(self.actor.denied(self.db, object, why.clone(), why).await);
        }
        Ok(())
    }

    /// The enterprise registers a hazard its own check found, on its own record.
    pub async fn report_hazard(&self, r: &Report<'_>) -> Result<i64, ActionError> {
        self.actor.require(Permission::ReportHazards)?;
        within(
            "description",
            "隐患描述",
            r.description,
            limits::DESCRIPTION,
        )?;
        let Scope::Enterprise { id } = self.actor.scope else {
            return Err(ActionError::Forbidden(
                "只有企业用户可以报告本企业自查的隐患".into(),
            ));
        };
        self.hazard_party_may(format!("enterprise:{id}"), "report")
            .await?;
        if r.found_on > self.on {
            return Err(ActionError::bad("found_on", "发现日期不能晚于今天"));
        }
        let n = NewHazard {
            enterprise_id: id,
            source: "self",
            level: r.level,
            item_key: r.item_key,
            description: r.description,
            found_on: r.found_on,
            deadline: r.deadline,
            photo: r.photo,
        };
        hazards::register(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &self.reference.major_hazards,
            &n,
        )
        .await
        .map_err(|e| invalid_as("description", e))
    }

    /// The enterprise plans a major hazard's rectification with the 五定.
    pub async fn plan_hazard(&self, id: i64, five: &FiveFixes) -> Result<(), ActionError> {
        self.actor.require(Permission::ReportHazards)?;
        within("measures", "治理措施", &five.measures, limits::ACCOUNT)?;
        within("responsible", "责任人", &five.responsible, limits::TITLE)?;
        within(
            "contingency",
            "应急预案",
            &five.contingency,
            limits::ACCOUNT,
        )?;
        hazards::get(self.db, &self.actor.scope, id).await?;
        self.hazard_party_may(format!("hazard:{id}"), "plan")
            .await?;
        hazards::plan(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            id,
            five,
            self.on,
        )
        .await
        .map_err(|e| invalid_as("measures", e))
    }

    /// The enterprise reports the rectification done, with an "after" photo; an officer
    /// accepts or returns it.
    pub async fn hazard_step(
        &self,
        id: i64,
        step: Step,
        note: &str,
        photo: Option<&[u8]>,
    ) -> Result<State, ActionError> {
        within("note", "说明", note, limits::NOTE)?;
        let key = step_key(step);
        let needed = match step {
            Step::Plan | Step::Rectify => Permission::ReportHazards,
            Step::Accept | Step::Return => Permission::Inspect,
        };
        if step == Step::Plan {
            return Err(ActionError::bad("measures", "治理方案请按五定填写"));
        }
        self.actor.require(needed)?;
        hazards::get(self.db, &self.actor.scope, id).await?;
        self.hazard_party_may(format!("hazard:{id}"), key).await?;
        let field = if step == Step::Rectify {
            "photo"
        } else {
            "note"
        };
        hazards::step_with_photo(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            id,
            step,
            self.on,
            note,
            photo,
        )
        .await
        .map_err(|e| invalid_as(field, e))
    }
}

/// A store refusal of the input as a bad request on `field`.
fn invalid_as(field: &str, e: anbiao_store::StoreError) -> ActionError {
    match e {
        anbiao_store::StoreError::Invalid(m) => ActionError::bad(field, m),
        other => other.into(),
    }
}

//! Enforcement (执法): an officer's decision on an enterprise after an inspection or about a
//! hazard, marking a violation a typical case (典型案件), and the city's warning notices
//! (警示通报) drafted from the violation records and published on the portal.

use anbiao_domain::Permission;
use anbiao_domain::enforcement::Kind;
use anbiao_store::enforcement::{self, Decision, NewDecision, Notice, Rules};
use time::Date;

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// An enforcement decision as the officer states it.
#[derive(Debug, Clone)]
pub struct Decide<'a> {
    pub enterprise_id: i64,
    pub hazard_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub kind: Kind,
    pub on: Date,
    pub document_no: &'a str,
    pub category_key: &'a str,
    pub facts: &'a str,
    pub fine_yuan: Option<i64>,
    pub reason: &'a str,
}

impl Ctx<'_> {
    /// An officer of the enterprise's district or of the city takes an enforcement decision,
    /// under the violation categories and inspection rules in force on the decision's day.
    pub async fn decide_enforcement(&self, d: &Decide<'_>) -> Result<i64, ActionError> {
        self.actor.require(Permission::Enforce)?;
        within("facts", "违法事实", d.facts, limits::ACCOUNT)?;
        within("reason", "裁量理由", d.reason, limits::NOTE)?;
        within("document_no", "文书编号", d.document_no, limits::TITLE)?;
        self.party_may(
            "enforcement.decide",
            format!("enterprise:{}", d.enterprise_id),
        )
        .await?;
        if d.on > self.on {
            return Err(ActionError::bad("on", "决定日期不能晚于今天"));
        }
        if d.fine_yuan.is_some_and(|f| f < 0) {
            return Err(ActionError::bad("fine", "罚款金额不能为负数"));
        }
        let violations = self
            .reference
            .violations
            .in_force(d.on)
            .map_err(|e| ActionError::bad("on", e.message))?;
        let inspection = self
            .reference
            .inspection
            .in_force(d.on)
            .map_err(|e| ActionError::bad("on", e.message))?;
        enforcement::decide(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            Rules {
                violations,
                inspection,
            },
            &NewDecision {
                enterprise_id: d.enterprise_id,
                inspection_id: d.inspection_id,
                hazard_id: d.hazard_id,
                kind: d.kind,
                on: d.on,
                document_no: d.document_no,
                facts: d.facts,
                category_key: d.category_key,
                fine_yuan: d.fine_yuan,
                reason: Some(d.reason),
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("facts"))
    }

    /// An officer marks a violation record within scope as a typical case, or not.
    pub async fn set_typical(&self, violation_id: i64, typical: bool) -> Result<(), ActionError> {
        self.actor.require(Permission::Enforce)?;
        self.party_may("enforcement.typical", format!("violation:{violation_id}"))
            .await?;
        Ok(enforcement::set_typical(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            violation_id,
            typical,
        )
        .await?)
    }

    /// The city drafts a unit's warning notice for a period, from the violation records and
    /// the categories in force at its end.
    pub async fn draft_warning(
        &self,
        unit: &str,
        from: Date,
        to: Date,
    ) -> Result<i64, ActionError> {
        self.actor.require(Permission::PublishWarnings)?;
        self.party_may("warning.publish", format!("unit:{unit}"))
            .await?;
        let set = self
            .reference
            .violations
            .in_force(to)
            .map_err(|e| ActionError::bad("to", e.message))?;
        let unit = unit.trim();
        let codes: Vec<String> = self
            .reference
            .regions
            .all()
            .iter()
            .filter(|r| r.unit == unit)
            .map(|r| r.code.clone())
            .collect();
        enforcement::draft_notice(self.db, &self.actor.audit, set, unit, &codes, from, to)
            .await
            .map_err(|e| ActionError::from(e).at("unit"))
    }

    /// The violation records within the actor's scope that `f` selects, a page of them.
    pub async fn violations(
        &self,
        f: &enforcement::Filter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Decision>, ActionError> {
        self.actor.require(Permission::ViewViolations)?;
        Ok(enforcement::list(self.db, &self.actor.scope, f, limit, offset).await?)
    }

    /// One page of the decisions within the actor's scope, newest first.
    pub async fn violations_page(
        &self,
        f: &enforcement::Filter,
        req: anbiao_store::paging::PageReq,
    ) -> Result<anbiao_store::paging::Paged<Decision>, ActionError> {
        self.actor.require(Permission::ViewViolations)?;
        Ok(enforcement::page(self.db, &self.actor.scope, f, req).await?)
    }

    /// Whether the actor reads warning notices in draft (those who publish them).
    pub fn reads_warning_drafts(&self) -> bool {
        self.actor.permits(Permission::PublishWarnings)
    }

    /// A warning notice as the actor may read it: a draft is not found for who does not
    /// publish (the public reads published ones only).
    pub async fn warning(&self, id: i64) -> Result<Notice, ActionError> {
        Ok(enforcement::notice(self.db, id, self.reads_warning_drafts()).await?)
    }

    /// The newest warning notices the actor may read.
    pub async fn warnings(&self, limit: i64) -> Result<Vec<Notice>, ActionError> {
        Ok(enforcement::notices(self.db, self.reads_warning_drafts(), limit).await?)
    }

    /// The city publishes a drafted warning notice on the portal.
    pub async fn publish_warning(&self, id: i64) -> Result<(), ActionError> {
        self.actor.require(Permission::PublishWarnings)?;
        enforcement::notice(self.db, id, true).await?;
        self.party_may("warning.publish", format!("warning:{id}"))
            .await?;
        Ok(enforcement::publish_notice(self.db, &self.actor.audit, id, self.on).await?)
    }
}

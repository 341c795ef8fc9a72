//! Evaluation organisations (评审单位) and their evaluators, kept by the city, and the
//! coaching (辅导) an organisation gives an enterprise, which bars it from grading that
//! enterprise for the cooling-off period.

use anbiao_domain::Permission;
use anbiao_store::{StoreError, enterprise, orgs};
use time::Date;

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// An organisation or an evaluator as registered: name, certificate and its expiry.
#[derive(Debug, Clone, Copy)]
pub struct Qualified<'a> {
    pub name: &'a str,
    pub certificate: &'a str,
    pub until: Date,
}

impl Qualified<'_> {
    fn within(&self) -> Result<(), ActionError> {
        within("name", "名称", self.name, limits::TITLE)?;
        within(
            "qualification",
            "资质或证书编号",
            self.certificate,
            limits::TITLE,
        )
    }
}

impl Ctx<'_> {
    /// The evaluation organisations with their evaluators: for the city, which keeps them, and
    /// for whoever assigns cases to them.
    pub async fn evaluation_orgs(
        &self,
    ) -> Result<Vec<(orgs::Org, Vec<orgs::Evaluator>)>, ActionError> {
        if !self.actor.permits(Permission::ManageOrgs) {
            self.actor.require(Permission::ActOnCases)?;
        }
        let mut out = Vec::new();
        for o in orgs::list_orgs(self.db).await? {
            let team = orgs::evaluators_of(self.db, o.id).await?;
            out.push((o, team));
        }
        Ok(out)
    }

    async fn org_may(&self, object: String) -> Result<(), ActionError> {
        self.actor.require(Permission::ManageOrgs)?;
        self.party_may("org.manage", object).await
    }

    /// The city registers an evaluation organisation.
    pub async fn create_org(&self, q: Qualified<'_>) -> Result<i64, ActionError> {
        q.within()?;
        self.org_may("org:new".into()).await?;
        Ok(orgs::create_org(self.db, &self.actor.audit, q.name, q.certificate, q.until).await?)
    }

    /// The city registers an evaluator of an organisation.
    pub async fn add_evaluator(&self, org_id: i64, q: Qualified<'_>) -> Result<i64, ActionError> {
        q.within()?;
        self.actor.require(Permission::ManageOrgs)?;
        orgs::get_org(self.db, org_id).await?;
        self.org_may(format!("org:{org_id}")).await?;
        Ok(orgs::add_evaluator(
            self.db,
            &self.actor.audit,
            org_id,
            q.name,
            q.certificate,
            q.until,
        )
        .await?)
    }

    /// The city records that an organisation coached an enterprise within scope from a day.
    pub async fn record_coaching(
        &self,
        org_id: i64,
        credit_code: &str,
        from: Date,
        note: &str,
    ) -> Result<(), ActionError> {
        self.actor.require(Permission::ManageOrgs)?;
        orgs::get_org(self.db, org_id).await?;
        self.org_may(format!("org:{org_id}")).await?;
        within("note", "辅导说明", note, limits::NOTE)?;
        let code = anbiao_domain::text::clean(credit_code).to_uppercase();
        let ent = enterprise::id_by_credit_code(self.db, &code)
            .await?
            .ok_or_else(|| {
                ActionError::bad("credit_code", format!("统一社会信用代码 {code} 未登记"))
            })?;
        match orgs::record_coaching(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            org_id,
            ent,
            from,
            note,
        )
        .await
        {
            Err(StoreError::NotFound) => {
                Err(ActionError::bad("credit_code", "该企业不在您的管辖范围内"))
            }
            other => Ok(other?),
        }
    }
}

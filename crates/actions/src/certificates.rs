//! A certificate's life after it is issued: revocation by an officer, the enterprise's annual
//! self-assessment, and the accidents that may lead to revocation. Each loads its record within
//! the actor's scope and asks the authority rules (`authority.toml` `[set.steps]`) for the
//! actor's party before anything else.

use anbiao_domain::Permission;
use anbiao_domain::rules::Accident;
use anbiao_domain::scoring::Percent;
use anbiao_store::enterprise::Enterprise;
use anbiao_store::{accident, audits, certificate, enterprise};
use time::Date;

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// An enterprise's standing (信用状况): its certificates with their annual self-assessments,
/// its accidents and its quality audits.
#[derive(Debug, Clone)]
pub struct Standing {
    pub enterprise: Enterprise,
    pub certificates: Vec<(certificate::Certificate, Vec<certificate::Annual>)>,
    pub accidents: Vec<accident::AccidentRow>,
    pub audits: Vec<audits::Audit>,
}

impl Ctx<'_> {
    /// The standing of an enterprise within the actor's scope.
    pub async fn standing(&self, enterprise_id: i64) -> Result<Standing, ActionError> {
        self.actor.require(Permission::ViewEnterprises)?;
        let scope = &self.actor.scope;
        let enterprise = enterprise::get(self.db, scope, enterprise_id).await?;
        let mut certificates = Vec::new();
        for c in certificate::of_enterprise(self.db, scope, enterprise_id).await? {
            let annuals = certificate::annual_of(self.db, c.id).await?;
            certificates.push((c, annuals));
        }
        Ok(Standing {
            enterprise,
            certificates,
            accidents: accident::of_enterprise(self.db, scope, enterprise_id).await?,
            audits: audits::of_enterprise(self.db, scope, enterprise_id).await?,
        })
    }

    /// The certificates of an enterprise within the actor's scope.
    pub async fn certificates_of(
        &self,
        enterprise_id: i64,
    ) -> Result<Vec<certificate::Certificate>, ActionError> {
        self.actor.require(Permission::ViewCertificates)?;
        enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        Ok(certificate::of_enterprise(self.db, &self.actor.scope, enterprise_id).await?)
    }

    /// An officer revokes a certificate (usually as the rules propose), with the reason.
    /// Returns the certificate's enterprise.
    pub async fn revoke(
        &self,
        id: i64,
        on: Date,
        reason: &str,
        rule: Option<&str>,
    ) -> Result<i64, ActionError> {
        self.actor.require(Permission::RevokeCertificates)?;
        within("reason", "撤销理由", reason, limits::NOTE)?;
        let c = certificate::get(self.db, &self.actor.scope, id).await?;
        self.party_may("certificate.revoke", format!("certificate:{id}"))
            .await?;
        if on > self.on {
            return Err(ActionError::bad("on", "撤销日期不能晚于今天"));
        }
        if anbiao_domain::date::parse_date(&c.valid_from).is_some_and(|from| on < from) {
            return Err(ActionError::bad(
                "on",
                format!("撤销日期不能早于证书生效日期（{}）", c.valid_from),
            ));
        }
        certificate::revoke(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            id,
            on,
            reason,
            rule,
        )
        .await?;
        Ok(c.enterprise_id)
    }

    /// One page of the valid certificates within the actor's scope whose annual
    /// self-assessment is missing on the day, with the years missing and the enterprise's name.
    pub async fn annual_missing(
        &self,
        req: anbiao_store::paging::PageReq,
    ) -> Result<
        anbiao_store::paging::Paged<(certificate::Certificate, Vec<i64>, String)>,
        ActionError,
    > {
        self.actor.require(Permission::ViewCases)?;
        let scope = &self.actor.scope;
        let page = certificate::missing_annual(self.db, scope, self.on, req).await?;
        let ids: Vec<i64> = page.rows.iter().map(|(c, _)| c.enterprise_id).collect();
        let names = enterprise::names(self.db, scope, &ids).await?;
        Ok(page.map(|(c, years)| {
            let name = names.get(&c.enterprise_id).cloned().unwrap_or_default();
            (c, years, name)
        }))
    }

    /// The certificates in force within the actor's scope that expire within
    /// [`crate::workbench::EXPIRY_WARNING_DAYS`] days, the soonest first, each with its
    /// enterprise's name.
    pub async fn expiring_certificates(
        &self,
        req: anbiao_store::paging::PageReq,
    ) -> Result<anbiao_store::paging::Paged<(certificate::Certificate, String)>, ActionError> {
        self.actor.require(Permission::ViewCases)?;
        let scope = &self.actor.scope;
        let by = self.on + time::Duration::days(crate::workbench::EXPIRY_WARNING_DAYS);
        let page = certificate::expiring(self.db, scope, self.on, by, req).await?;
        let ids: Vec<i64> = page.rows.iter().map(|c| c.enterprise_id).collect();
        let names = enterprise::names(self.db, scope, &ids).await?;
        Ok(page.map(|c| {
            let name = names.get(&c.enterprise_id).cloned().unwrap_or_default();
            (c, name)
        }))
    }

    /// A certificate within the actor's scope.
    pub async fn certificate(&self, id: i64) -> Result<certificate::Certificate, ActionError> {
        self.actor.require(Permission::ViewCertificates)?;
        Ok(certificate::get(self.db, &self.actor.scope, id).await?)
    }

    /// A certificate within the actor's scope and its enterprise (to print it).
    pub async fn certificate_with_holder(
        &self,
        id: i64,
    ) -> Result<(certificate::Certificate, Enterprise), ActionError> {
        let c = self.certificate(id).await?;
        let e = enterprise::get(self.db, &self.actor.scope, c.enterprise_id).await?;
        Ok((c, e))
    }

    /// Whether the actor takes the annual self-assessment of this certificate (the enterprise
    /// itself): asked before the form is read, refused (audited) to any other party. Returns
    /// the certificate's enterprise.
    pub async fn annual_may(&self, id: i64) -> Result<i64, ActionError> {
        self.actor.require(Permission::ActOnCases)?;
        let c = certificate::get(self.db, &self.actor.scope, id).await?;
        let rules = self.reference.authority.on(self.on);
        if let Err(r) = rules.may_take_step(self.actor.party(rules), "certificate.annual") {
            let why = format!("年度自评由企业本身提交，监管部门不能代为提交（{}）", r.rule);
            return Err(self
                .actor
                .denied(self.db, format!("certificate:{id}"), r.to_string(), why)
                .await);
        }
        Ok(c.enterprise_id)
    }

    /// The enterprise submits its annual self-assessment for one of its certificates.
    pub async fn submit_annual(
        &self,
        id: i64,
        year: i64,
        score: Percent,
        report: &str,
    ) -> Result<(), ActionError> {
        self.annual_may(id).await?;
        within("report", "自评报告", report, limits::ACCOUNT)?;
        Ok(certificate::submit_annual(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            id,
            &certificate::AnnualInput {
                year,
                score,
                report,
            },
            self.on,
        )
        .await?)
    }

    /// An officer records an accident of an enterprise within scope.
    pub async fn record_accident(
        &self,
        enterprise_id: i64,
        a: &Accident,
        description: &str,
    ) -> Result<i64, ActionError> {
        self.actor.require(Permission::RecordAccidents)?;
        within("description", "事故概况", description, limits::ACCOUNT)?;
        enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        self.party_may("accident.record", format!("enterprise:{enterprise_id}"))
            .await?;
        if a.occurred_on > self.on {
            return Err(ActionError::bad("occurred_on", "事故日期不能晚于今天"));
        }
        Ok(accident::record(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            enterprise_id,
            a,
            description,
        )
        .await?)
    }
}

//! A certificate's life after it is issued: revocation by an officer, the enterprise's annual
//! self-assessment, and the accidents that may lead to revocation. Each loads its record within
//! the actor's scope and asks the authority rules (`authority.toml` `[set.steps]`) for the
//! actor's party before anything else.

use anbiao_domain::Permission;
use anbiao_domain::rules::Accident;
use anbiao_domain::scoring::Percent;
use anbiao_store::{accident, certificate, enterprise};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

impl Ctx<'_> {
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
        let c = certificate::get(self.db, &self.actor.scope, id).await?;
        self.party_may("certificate.revoke", format!("certificate:{id}"))
            .await?;
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

    /// The enterprise submits its annual self-assessment for one of its certificates.
    pub async fn submit_annual(
        &self,
        id: i64,
        year: i64,
        score: Percent,
        report: &str,
    ) -> Result<(), ActionError> {
        self.actor.require(Permission::ActOnCases)?;
        certificate::get(self.db, &self.actor.scope, id).await?;
        self.party_may("certificate.annual", format!("certificate:{id}"))
            .await?;
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

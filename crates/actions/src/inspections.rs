//! Supervision inspections (监督检查) as recorded: the officers, the checklist in force on the
//! day, the answers and the hazards found, each registered as a hazard of the enterprise.

use anbiao_domain::Permission;
use anbiao_domain::checklist::Answer;
use anbiao_domain::date::format_date;
use anbiao_domain::hazard::Level;
use anbiao_store::enterprise;
use anbiao_store::hazards::NewHazard;
use anbiao_store::inspections::{self, Kind, NewInspection};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

/// Which enterprise was inspected: by id (from its page) or by credit code (typed in the field).
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Id(i64),
    CreditCode(&'a str),
}

/// A hazard found on the inspection.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub level: Level,
    pub item_key: Option<&'a str>,
    pub description: &'a str,
    pub deadline: Option<Date>,
    pub photo: Option<&'a [u8]>,
}

/// An inspection as the officers record it.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub subject: Subject<'a>,
    pub kind: Kind,
    pub on: Date,
    pub officers: Vec<String>,
    /// (checklist item key, answer, note)
    pub answers: Vec<(String, Answer, String)>,
    pub summary: &'a str,
    pub findings: Vec<Finding<'a>>,
}

impl Ctx<'_> {
    /// The enterprise a credit code names, within the actor's scope; out of scope reads as
    /// unknown.
    pub async fn enterprise_by_code(&self, field: &str, code: &str) -> Result<i64, ActionError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(ActionError::bad(
                field,
                "请填写被检查企业的统一社会信用代码",
            ));
        }
        let unknown = || ActionError::bad(field, format!("没有统一社会信用代码为“{code}”的企业"));
        let id = enterprise::id_by_credit_code(self.db, &code.to_uppercase())
            .await?
            .ok_or_else(unknown)?;
        enterprise::get(self.db, &self.actor.scope, id)
            .await
            .map_err(|_| unknown())?;
        Ok(id)
    }

    /// Officers of the enterprise's district or of the city record an inspection.
    pub async fn record_inspection(&self, r: &Record<'_>) -> Result<i64, ActionError> {
        self.actor.require(Permission::Inspect)?;
        let enterprise_id = match r.subject {
            Subject::Id(id) => id,
            Subject::CreditCode(code) => self.enterprise_by_code("credit_code", code).await?,
        };
        enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        self.party_may("inspection.record", format!("enterprise:{enterprise_id}"))
            .await?;
        if r.on > self.on {
            return Err(ActionError::bad("on", "检查日期不能晚于今天"));
        }
        let checklist = self.reference.checklists.in_force(r.on).ok_or_else(|| {
            ActionError::bad("on", format!("{} 没有适用的检查表", format_date(r.on)))
        })?;
        let findings = r
            .findings
            .iter()
            .map(|f| NewHazard {
                enterprise_id,
                source: "inspection",
                level: f.level,
                item_key: f.item_key,
                description: f.description,
                found_on: r.on,
                deadline: f.deadline,
                photo: f.photo,
            })
            .collect();
        inspections::record(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &self.reference.major_hazards,
            &NewInspection {
                enterprise_id,
                kind: r.kind,
                on: r.on,
                officers: r.officers.clone(),
                checklist,
                answers: r.answers.clone(),
                summary: r.summary,
                findings,
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("summary"))
    }
}

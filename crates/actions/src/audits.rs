//! Quality audits of graded enterprises (运行质量审计, 六（四）): the yearly draw of the
//! enterprises to audit, the audit as recorded, the re-check of a deficient one, and the
//! renewal without re-evaluation after a good audit. The programme's audit rules decide what
//! each outcome does; the decision records the rule.

use anbiao_domain::Permission;
use anbiao_domain::certificate::CertificateStatus;
use anbiao_domain::programme::{AuditAction, AuditEvent, Metric, Programme};
use anbiao_store::audits::{self, ChecklistItem, Class, NewAudit, Outcome, Plan, PlanItem};
use anbiao_store::{certificate, enterprise};
use time::Date;

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// An audit as the officer records it.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    pub enterprise_id: i64,
    pub performed_on: Date,
    /// Tenths of a percent.
    pub score: Option<i64>,
    pub outcome: Outcome,
    pub class: Option<Class>,
    pub findings: &'a str,
    pub rectify_by: Option<Date>,
    /// The element tree the checklist follows (id, version).
    pub tree: (&'a str, i64),
    pub checklist: &'a [ChecklistItem],
}

/// An audit as its page shows it: the record and its checklist, the enterprise's name and the
/// number of the certificate a renewal issued.
#[derive(Debug, Clone)]
pub struct AuditFile {
    pub audit: audits::Audit,
    pub checklist: Vec<ChecklistItem>,
    pub enterprise: String,
    pub renewed: Option<String>,
}

/// The audit-rate target when the programme's table sets none for the unit.
const DEFAULT_RATE: f64 = 10.0;

impl Ctx<'_> {
    /// The unit's audit plan of the year, its lines within the actor's scope (a township's
    /// officer reads the township's).
    pub async fn audit_plan(
        &self,
        unit: &str,
        year: i32,
    ) -> Result<Option<(Plan, Vec<PlanItem>)>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(audits::plan(self.db, &self.actor.scope, unit, year).await?)
    }

    /// The deficient audits within the actor's scope whose rectification period has ended
    /// without a re-check, the longest waiting first.
    pub async fn audits_awaiting_recheck(
        &self,
        req: anbiao_store::paging::PageReq,
    ) -> Result<anbiao_store::paging::Paged<audits::RecheckDue>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(audits::recheck_due(self.db, &self.actor.scope, self.on, req).await?)
    }

    /// An audit within the actor's scope with everything its page shows.
    pub async fn audit_file(&self, id: i64) -> Result<AuditFile, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let scope = &self.actor.scope;
        let (audit, checklist) = audits::get(self.db, scope, id).await?;
        let enterprise = enterprise::get(self.db, scope, audit.enterprise_id)
            .await?
            .name;
        let renewed = match audit.renewed_certificate_id {
            Some(c) => Some(certificate::get(self.db, scope, c).await?.number),
            None => None,
        };
        Ok(AuditFile {
            audit,
            checklist,
            enterprise,
            renewed,
        })
    }

    fn programme(&self) -> Option<&Programme> {
        self.reference.programmes.first()
    }

    /// The programme's rule for `event`: its reference, and whether it revokes.
    fn audit_rule(&self, event: AuditEvent) -> (Option<String>, bool) {
        match self.programme().and_then(|p| p.audit_rule(event)) {
            Some((r, reference)) => (Some(reference), r.action == AuditAction::Revoke),
            None => (None, false),
        }
    }

    /// The unit of the audit plan: the actor's own (another is refused), or the city's pick
    /// among the programme's units.
    pub async fn audit_unit(&self, asked: Option<&str>) -> Result<String, ActionError> {
        let programme = self.programme().ok_or(ActionError::NotFound)?;
        self.refuse_other_unit(asked, "只能编制本地区的运行质量审计抽查计划")
            .await?;
        let units: Vec<String> = programme.units.iter().map(|x| x.unit.clone()).collect();
        self.unit_among(asked, &units, "方案中没有地区")
    }

    /// The yearly draw of a unit's graded enterprises to audit, at the unit's audit-rate
    /// target (六（四）: ≥ 15 % 海安, ≥ 10 % elsewhere).
    pub async fn draw_audit_plan(
        &self,
        unit: Option<&str>,
        year: i32,
        seed: u64,
    ) -> Result<(String, i64), ActionError> {
        self.actor.require(Permission::ManageAudits)?;
        let unit = self.audit_unit(unit).await?;
        self.party_may("audit.plan", format!("unit:{unit}")).await?;
        if !(2000..=2100).contains(&year) {
            return Err(ActionError::bad("year", "年度应在 2000 至 2100 之间"));
        }
        let rate = self
            .programme()
            .and_then(|p| p.unit_target(&unit, Metric::GradeThreeAuditRate))
            .unwrap_or(DEFAULT_RATE);
        let id = audits::create_plan(self.db, &self.actor.audit, &unit, year, rate, seed, self.on)
            .await?;
        Ok((unit, id))
    }

    /// An officer records an audit of an enterprise within scope holding a valid 三级 or
    /// 小微达标 certificate on the day.
    pub async fn record_audit(&self, a: &Audit<'_>) -> Result<i64, ActionError> {
        self.actor.require(Permission::ManageAudits)?;
        within("findings", "审计发现", a.findings, limits::ACCOUNT)?;
        for item in a.checklist {
            within("checklist", "要素说明", &item.note, limits::NOTE)?;
        }
        let e = enterprise::get(self.db, &self.actor.scope, a.enterprise_id).await?;
        self.party_may("audit.record", format!("enterprise:{}", e.id))
            .await?;
        if a.performed_on > self.on {
            return Err(ActionError::bad("performed_on", "审计日期不能晚于今天"));
        }
        match (a.outcome, a.class) {
            (Outcome::Good, Some(Class::Rectify | Class::Eliminate))
            | (Outcome::Deficient, Some(Class::Upgrade | Class::Eliminate))
            | (Outcome::Failing, Some(Class::Upgrade | Class::Rectify)) => {
                return Err(ActionError::bad(
                    "class",
                    "分类与审计结论不符：提升须结论良好，整改须存在问题，淘汰须不合格",
                ));
            }
            _ => {}
        }
        let grade = match certificate::of_enterprise(self.db, &self.actor.scope, e.id)
            .await?
            .iter()
            .find(|c| {
                matches!(c.grade.as_str(), "three" | "small_micro")
                    && c.status_on(a.performed_on) == CertificateStatus::Valid
            })
            .map(|c| c.grade.clone())
        {
            Some(g) => g,
            None => {
                return Err(ActionError::bad(
                    "enterprise",
                    format!("“{}”在审计日没有有效的三级或小微达标证书", e.name),
                ));
            }
        };
        let event = match a.outcome {
            Outcome::Good => AuditEvent::Good,
            Outcome::Deficient => AuditEvent::Deficient,
            Outcome::Failing => AuditEvent::Failing,
        };
        let (rule, revoke) = self.audit_rule(event);
        audits::record(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &NewAudit {
                enterprise_id: e.id,
                certificate_id: None,
                grade: &grade,
                performed_on: a.performed_on,
                score: a.score,
                outcome: a.outcome,
                class: a.class,
                findings: a.findings,
                rectify_by: a.rectify_by,
                tree: Some(a.tree),
                checklist: a.checklist,
                rule: rule.as_deref(),
                revoke,
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("findings"))
    }

    /// The re-check of an audit within scope; a failed one applies the programme's rule.
    pub async fn recheck_audit(
        &self,
        audit_id: i64,
        on: Date,
        passed: bool,
        note: &str,
    ) -> Result<Option<i64>, ActionError> {
        self.actor.require(Permission::ManageAudits)?;
        within("note", "复查说明", note, limits::NOTE)?;
        audits::get(self.db, &self.actor.scope, audit_id).await?;
        self.party_may("audit.record", format!("audit:{audit_id}"))
            .await?;
        if on > self.on {
            return Err(ActionError::bad("on", "复查日期不能晚于今天"));
        }
        let (rule, revoke) = if passed {
            (None, false)
        } else {
            self.audit_rule(AuditEvent::RecheckFailed)
        };
        audits::recheck(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &audits::Recheck {
                audit_id,
                on,
                passed,
                note,
                rule: rule.as_deref(),
                revoke,
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("recheck"))
    }

    /// Renewal without re-evaluation after a good audit: a new certificate in the name of
    /// the body that grades the level (`audit.renew.three` / `.small_micro`).
    pub async fn renew_after_audit(&self, audit_id: i64) -> Result<(i64, String), ActionError> {
        self.actor.require(Permission::ManageAudits)?;
        let (audit, _) = audits::get(self.db, &self.actor.scope, audit_id).await?;
        self.party_may(
            &format!("audit.renew.{}", audit.grade),
            format!("audit:{audit_id}"),
        )
        .await?;
        let (_, reference) = self
            .programme()
            .and_then(|p| p.audit_rule(AuditEvent::Good))
            .filter(|r| r.0.action == AuditAction::RenewWithoutReview)
            .ok_or_else(|| ActionError::bad("renew", "实施方案未规定审计良好可免于复审换证"))?;
        audits::renew(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &audits::Renewal {
                audit_id,
                on: self.on,
                rule: &reference,
                rules: &self.reference.grading,
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("renew"))
    }
}

//! Grading use cases: the domain's rules and state machine over the store, shared by the pages,
//! the API, the command line and the demo. Every step loads the case within the actor's scope
//! (not found outside it), asks the authority rules whether the actor's party may take the step
//! on this case (refused before its state is looked at), then lets the state machine and the
//! grading rules decide. Each step records the rule that decided it.

use anbiao_domain::authority::AuthoritySet;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::grade::Grade;
use anbiao_domain::lifecycle::{Action, CaseState, Party};
use anbiao_domain::rules::{
    Admission, AuthorityLevel, Decided, GradeResult, GradingRuleSet, GradingRules,
};
use anbiao_domain::scoring::{ItemInput, Outcome, Percent, score};
use anbiao_domain::standard::ScoringSheet;
use anbiao_domain::{Permission, Scope};
use anbiao_store::assessment::{self, Assessment, Kind, NewAssessment};
use anbiao_store::audit_log::{self, Event};
use anbiao_store::certificate::NewCertificate;
use anbiao_store::grading::{self, Case, CaseEvent, NewCase, Step};
use anbiao_store::paging::{PageReq, Paged};
use anbiao_store::{Db, accident, certificate, enterprise, notify, orgs, standards};
use time::Date;

use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// The province abbreviation on 二级/三级 certificate numbers.
pub const REGION_ABBR: char = '苏';

use crate::ctx::Ctx;

fn rules_on(rules: &GradingRules, on: Date) -> Result<&GradingRuleSet, ActionError> {
    rules
        .in_force(on)
        .map_err(|e| ActionError::bad("date", e.to_string()))
}

/// A case loaded for a step the actor's party may take on it.
struct Authorized {
    case: Case,
    party: Party,
    grading: AuthorityLevel,
}

/// The sheet a case is scored on: the newest in force for the grade, the enterprise's own
/// industry's before a general one, an official one before a sample.
pub async fn sheet_for(
    db: &Db,
    grade: Grade,
    industry: &str,
    on: Date,
) -> Result<ScoringSheet, ActionError> {
    let mut best: Option<(bool, bool, String, ScoringSheet)> = None;
    for row in standards::list(db).await? {
        if !row.grades.split(',').any(|g| g == grade.key()) {
            continue;
        }
        if row.industry.as_deref().is_some_and(|i| i != industry) {
            continue;
        }
        if parse_date(&row.effective_from).is_none_or(|d| d > on) {
            continue;
        }
        let Ok(version) = u32::try_from(row.version) else {
            continue;
        };
        let Some(sheet) = standards::get(db, &row.id, version).await? else {
            continue;
        };
        let key = (
            row.industry.is_some(),
            !row.sample,
            row.effective_from.clone(),
        );
        if best
            .as_ref()
            .is_none_or(|(a, b, c, _)| key > (*a, *b, c.clone()))
        {
            best = Some((key.0, key.1, key.2, sheet));
        }
    }
    best.map(|(_, _, _, s)| s).ok_or_else(|| {
        ActionError::bad(
            "grade",
            format!("没有适用于{}的评分细则，请先载入评分细则", grade.label()),
        )
    })
}

/// A case as its reader sees it: the record, its enterprise's name, its history, the latest
/// self-assessment and evaluation, the organisation assigned and the certificate it led to.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub case: Case,
    pub enterprise: String,
    pub events: Vec<CaseEvent>,
    pub self_assessment: Option<Assessment>,
    pub evaluation: Option<Assessment>,
    pub assigned: Option<String>,
    /// (number, verification token)
    pub certificate: Option<(String, String)>,
    /// Objections received in the notice and not yet answered by the grader.
    pub open_objections: usize,
}

/// What an enterprise or an evaluator reads of a public objection in a case's history: who
/// objected and what they wrote stays with the supervising officers (举报人保护).
const OBJECTION_WITHHELD: &str = "公众异议（异议人及内容仅监管部门可见）";

/// An objection as the case records it: who objected, how to reach them, and what they say.
/// A repeat by the same objector while theirs is open is refused.
pub fn objection_text(name: &str, contact: &str, reason: &str) -> String {
    format!("异议人 {name}（{contact}）：{reason}")
}

/// The objections of a case's history still waiting for the grader's answer.
pub fn open_objections(events: &[CaseEvent]) -> usize {
    anbiao_domain::lifecycle::open_objections(
        events
            .iter()
            .map(|e| Action::parse(&e.action).unwrap_or(Action::Apply)),
    )
}

/// The day the case's current public notice started (or resumed after an objection was
/// dismissed); objections and their declines do not restart it.
fn notice_started(events: &[CaseEvent]) -> Option<Date> {
    events
        .iter()
        .rev()
        .find(|e| {
            match (
                CaseState::parse(&e.from_state),
                CaseState::parse(&e.to_state),
            ) {
                (Some(from), Some(to)) => anbiao_domain::lifecycle::starts_notice(from, to),
                _ => false,
            }
        })
        .and_then(|e| time::OffsetDateTime::from_unix_timestamp(e.at_us / 1_000_000).ok())
        .map(|t| t.date())
}

impl Ctx<'_> {
    /// The cases within the actor's scope, newest first, in `state` when given, each with its
    /// enterprise's name.
    pub async fn cases(
        &self,
        state: Option<CaseState>,
        limit: i64,
    ) -> Result<Vec<(Case, String)>, ActionError> {
        self.actor.require(Permission::ViewCases)?;
        let mut out = Vec::new();
        for c in grading::list(self.db, &self.actor.scope, state, limit).await? {
            let name = self.enterprise_name(c.enterprise_id).await?;
            out.push((c, name));
        }
        Ok(out)
    }

    /// One page of the cases within the actor's scope, newest first, in `state` when given,
    /// only those where the actor's party has a step to take when `at_my_step`, each with its
    /// enterprise's name.
    pub async fn cases_page(
        &self,
        state: Option<CaseState>,
        at_my_step: bool,
        req: PageReq,
    ) -> Result<Paged<(Case, String)>, ActionError> {
        self.actor.require(Permission::ViewCases)?;
        let at = at_my_step.then(|| self.cases_at_my_step());
        let page = grading::page(self.db, &self.actor.scope, state, at.as_deref(), req).await?;
        let mut rows = Vec::with_capacity(page.rows.len());
        for c in page.rows {
            let name = self.enterprise_name(c.enterprise_id).await?;
            rows.push((c, name));
        }
        Ok(Paged {
            rows,
            total: page.total,
            req: page.req,
        })
    }

    /// An enterprise's name as the actor reads it (empty outside its scope: an evaluation
    /// organisation reads the cases assigned to it, not always the whole enterprise).
    async fn enterprise_name(&self, id: i64) -> Result<String, ActionError> {
        match enterprise::get(self.db, &self.actor.scope, id).await {
            Ok(e) => Ok(e.name),
            Err(anbiao_store::StoreError::NotFound) => Ok(String::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// A case within the actor's scope.
    pub async fn case(&self, id: i64) -> Result<Case, ActionError> {
        self.actor.require(Permission::ViewCases)?;
        Ok(grading::get(self.db, &self.actor.scope, id).await?)
    }

    /// A case with everything its page shows.
    pub async fn case_file(&self, id: i64) -> Result<CaseFile, ActionError> {
        let case = self.case(id).await?;
        let scope = &self.actor.scope;
        let mut events = grading::events(self.db, scope, id).await?;
        let open_objections = open_objections(&events);
        if !matches!(self.party(), Some(Party::City | Party::District)) {
            for e in events
                .iter_mut()
                .filter(|e| e.action == Action::Object.key())
            {
                e.actor = "公众".into();
                e.reason = Some(OBJECTION_WITHHELD.into());
            }
        }
        let self_assessment = assessment::latest(self.db, scope, id, Kind::SelfAssessment).await?;
        let evaluation = assessment::latest(self.db, scope, id, Kind::Evaluation).await?;
        let assigned = orgs::assignment(self.db, id).await?.map(|(o, _)| o.name);
        let certificate = certificate::of_enterprise(self.db, scope, case.enterprise_id)
            .await?
            .into_iter()
            .find(|c| c.case_id == Some(id))
            .map(|c| (c.number, c.verify_token));
        Ok(CaseFile {
            enterprise: self.enterprise_name(case.enterprise_id).await?,
            case,
            events,
            self_assessment,
            evaluation,
            assigned,
            certificate,
            open_objections,
        })
    }

    /// The authority rules in force on the decision date.
    pub fn authority(&self) -> &AuthoritySet {
        self.reference.authority.on(self.on)
    }

    /// The party the actor is in a grading case.
    pub fn party(&self) -> Option<Party> {
        self.actor.party(self.authority())
    }

    /// The issuing body as the rules name it, with a district authority's placeholder
    /// ("县（市、区）") replaced by the case's district as named on the decision date.
    fn issuer(&self, body: &str, region_code: &str) -> String {
        const PLACEHOLDER: &str = "县（市、区）";
        match self.reference.regions.current_version(region_code, self.on) {
            Some(r) if body.contains(PLACEHOLDER) => body.replace(PLACEHOLDER, &r.name),
            _ => body.to_string(),
        }
    }

    /// Refuses a step the actor's party may not take, audited.
    async fn deny_case(&self, case_id: i64, action: Action, why: String) -> ActionError {
        let detail = format!("{}：{why}", action.label());
        self.actor
            .denied(self.db, format!("case:{case_id}"), detail, why)
            .await
    }

    /// Loads the case within the actor's scope (not found outside it) and asks the authority
    /// rules whether the actor's party may take `action` on it, graded at the level the rules
    /// give `grade_of` the case. The state is not looked at yet.
    async fn authorize(
        &self,
        case_id: i64,
        action: Action,
        grade_of: fn(&Case) -> Option<Grade>,
        rules_day: Date,
    ) -> Result<Authorized, ActionError> {
        // The public may object to any case in public notice (the portal lists them all); every
        // other step needs the permission, and the case within the actor's scope.
        let public = self.actor.role.is_none() && action == Action::Object;
        if !public {
            self.actor.require(Permission::ActOnCases)?;
        }
        let scope = if public {
            &Scope::City
        } else {
            &self.actor.scope
        };
        let case = grading::get(self.db, scope, case_id).await?;
        let grade = grade_of(&case).ok_or(ActionError::NotFound)?;
        let set = rules_on(&self.reference.grading, rules_day)?;
        let grading = set
            .authority(grade)
            .map(|a| a.value.level)
            .ok_or(ActionError::NotFound)?;
        let party = self.party();
        if let Err(r) = self.authority().may_take(party, action, grading) {
            return Err(self.deny_case(case_id, action, r.to_string()).await);
        }
        let party = party.ok_or(ActionError::Forbidden(format!(
            "您不能办理“{}”",
            action.label()
        )))?;
        Ok(Authorized {
            case,
            party,
            grading,
        })
    }

    async fn case_step(&self, a: &Authorized, mut s: Step<'_>) -> Result<CaseState, ActionError> {
        s.grading = a.grading;
        s.party = a.party;
        let scope = if a.party == Party::Public {
            &Scope::City
        } else {
            &self.actor.scope
        };
        Ok(grading::transition(self.db, scope, &self.actor.audit, a.case.id, &s).await?)
    }

    /// The enterprise opens a case for itself: its self-assessment for a grade starts. The
    /// enterprise is the actor's own; nobody opens a case on an enterprise's behalf.
    pub async fn open_case(&self, grade: Grade) -> Result<i64, ActionError> {
        self.actor.require(Permission::ActOnCases)?;
        let Scope::Enterprise { id: enterprise_id } = self.actor.scope else {
            return Err(ActionError::Forbidden(
                "只有企业用户可以为本企业申请定级".into(),
            ));
        };
        let e = enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        let set = rules_on(&self.reference.grading, self.on)?;
        let sheet = sheet_for(self.db, grade, &e.industry_code, self.on).await?;
        Ok(grading::open(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &NewCase {
                enterprise_id,
                grade,
                opened_on: self.on,
                rule_set: format!("{}@{}", set.id, set.version),
                sheet_id: sheet.id,
                sheet_version: sheet.version,
            },
        )
        .await?)
    }

    /// Scores and stores the actor's assessment: the enterprise's self-assessment while the case
    /// is in self-assessment or returned, the evaluation organisation's scores while it is being
    /// evaluated (the evaluation then grades the case: see [`Ctx::evaluate`]).
    pub async fn self_assess(
        &self,
        case_id: i64,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<Outcome, ActionError> {
        let a = self
            .authorize(case_id, Action::Apply, Case::grade, self.on)
            .await?;
        self.store_assessment(&a.case, Kind::SelfAssessment, inputs, report)
            .await
    }

    async fn store_assessment(
        &self,
        case: &Case,
        kind: Kind,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<Outcome, ActionError> {
        let state = case.state();
        let allowed = match kind {
            Kind::SelfAssessment => {
                matches!(state, Some(CaseState::SelfAssessing | CaseState::Returned))
            }
            Kind::Evaluation => state == Some(CaseState::Evaluating),
        };
        if !allowed {
            return Err(ActionError::Conflict(format!(
                "案件当前状态为“{}”，不能提交{}",
                state.map(|s| s.label()).unwrap_or("未知"),
                kind.label()
            )));
        }
        let sheet = case_sheet(self.db, case).await?;
        let plain: Vec<ItemInput> = inputs.iter().map(|(i, _)| i.clone()).collect();
        let outcome =
            score(&sheet, &plain, &[]).map_err(|e| ActionError::bad("items", e.to_string()))?;
        assessment::submit(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &NewAssessment {
                case_id: case.id,
                kind,
                inputs,
                outcome: &outcome,
                report,
                performed_on: self.on,
            },
        )
        .await?;
        Ok(outcome)
    }

    /// The enterprise applies: a self-assessment must exist, and the rules of the day must
    /// admit the application (accidents in the year before, waiting periods).
    pub async fn apply(&self, case_id: i64) -> Result<CaseState, ActionError> {
        let a = self
            .authorize(case_id, Action::Apply, Case::grade, self.on)
            .await?;
        let case = &a.case;
        let grade = case.grade().ok_or(ActionError::NotFound)?;
        if assessment::latest(self.db, &self.actor.scope, case_id, Kind::SelfAssessment)
            .await?
            .is_none()
        {
            return Err(self
                .refuse_case(case_id, Action::Apply, "请先完成并提交自评".into())
                .await);
        }
        let set = rules_on(&self.reference.grading, self.on)?;
        let accidents: Vec<_> = accident::of_enterprise(self.db, &Scope::City, case.enterprise_id)
            .await?
            .iter()
            .filter_map(|a| a.accident())
            .collect();
        let last_revoked = certificate::of_enterprise(self.db, &Scope::City, case.enterprise_id)
            .await?
            .iter()
            .filter_map(|c| c.revoked_on.as_deref().and_then(parse_date))
            .max();
        let last_failed = last_failure(self.db, case.enterprise_id).await?;
        let Decided { value, rule } =
            set.admission(grade, self.on, &accidents, last_revoked, last_failed);
        if let Admission::Blocked(why) = value {
            return Err(self
                .refuse_case(case_id, Action::Apply, format!("{why}（{rule}）"))
                .await);
        }
        let mut s = plain_step(Action::Apply);
        s.rule = Some(rule.to_string());
        self.case_step(&a, s).await
    }

    /// A refusal by the rules or the case's state, audited.
    async fn refuse_case(&self, case_id: i64, action: Action, why: String) -> ActionError {
        let ev = Event::new("case.refused", format!("case:{case_id}"))
            .detail(format!("{}：{why}", action.label()));
        if let Err(e) = audit_log::append(self.db, &self.actor.audit, &ev).await {
            return e.into();
        }
        ActionError::Conflict(why)
    }

    /// Any step that needs no computation beyond the state machine (accept, return, start
    /// notice, objections, withdraw …). After an evaluation, the grade it settled decides who
    /// grades (a lower level may be the city's although the level applied for was the
    /// province's).
    pub async fn act(
        &self,
        case_id: i64,
        action: Action,
        reason: Option<&str>,
    ) -> Result<CaseState, ActionError> {
        within(
            "reason",
            "理由",
            reason.unwrap_or_default(),
            limits::ACCOUNT,
        )?;
        match action {
            Action::Apply
            | Action::Approve
            | Action::Announce
            | Action::Assign
            | Action::SubmitEvaluation
            | Action::RecordExternalGrant => {
                return Err(ActionError::bad("action", "请使用相应的表单办理"));
            }
            _ => {}
        }
        let a = self
            .authorize(case_id, action, Case::effective_grade, self.on)
            .await?;
        let mut s = plain_step(action);
        s.reason = reason;
        match action {
            Action::Object => return self.object(&a, s).await,
            // An answer to objections answers those the grader could see: one arriving after
            // the case was loaded makes the step stale.
            // One decision answers every objection open (a burst of them is answered at once);
            // out of notice, the state machine says why not.
            Action::DeclineObjection | Action::HoldForObjection
                if a.case.state() == Some(CaseState::Notice) =>
            {
                s.expected_version = Some(a.case.version);
                let events = grading::events(self.db, &self.actor.scope, case_id).await?;
                if open_objections(&events) == 0 {
                    let why = "公示期间没有待处理的异议".to_string();
                    return Err(self.refuse_case(case_id, action, why).await);
                }
            }
            _ => {}
        }
        self.case_step(&a, s).await
    }

    /// A member of the public objects to a case in notice: the objection is recorded and the
    /// supervising officers are notified in the same transaction; the notice runs on until the
    /// grader takes the objection up or declines it.
    async fn object(&self, a: &Authorized, mut s: Step<'_>) -> Result<CaseState, ActionError> {
        s.grading = a.grading;
        s.party = a.party;
        let case = &a.case;
        // The same objector's objection while an earlier one is open is a repeat; the
        // notification goes out once for each round of open objections.
        let events = grading::events(self.db, &Scope::City, case.id).await?;
        let open = open_objections(&events);
        let objector = |r: &str| r.split_once('：').map(|(who, _)| who.to_string());
        let who = objector(s.reason.unwrap_or_default());
        if who.is_some()
            && events
                .iter()
                .rev()
                .take(open)
                .any(|e| e.reason.as_deref().and_then(objector) == who)
        {
            return Err(ActionError::Conflict(
                "您对该企业的异议已经登记，正在核实中，请勿重复提交".into(),
            ));
        }
        let round = events
            .iter()
            .rev()
            .nth(open)
            .map(|e| e.seq)
            .unwrap_or_default();
        // The notification is for the officers: the enterprise's name is read on their behalf.
        let name = enterprise::get(self.db, &Scope::City, case.enterprise_id)
            .await?
            .name;
        let what: String = s.reason.unwrap_or_default().chars().take(300).collect();
        let n = notify::NewNotification {
            kind: "case.objection",
            subject: format!("case:{}", case.id),
            period: format!("after-{round}"),
            audience: notify::Audience::Officer,
            enterprise_id: case.enterprise_id,
            region_code: case.region_code.clone(),
            title: format!("公示异议：{name}"),
            body: format!(
                "{name}的定级公示期间收到公众异议，请负责定级的部门核实后决定受理（暂停公示）或不予受理；未处理前不能公告。此后的异议计入案件页面，不再逐条提醒。首件异议：{what}"
            ),
            link: format!("/cases/{}", case.id),
            rule: None,
            due_on: None,
        };
        Ok(grading::transition_with(
            self.db,
            &Scope::City,
            &self.actor.audit,
            case.id,
            &s,
            move |tx| Box::pin(async move { notify::deliver_tx(tx, &n).await.map(|_| ()) }),
        )
        .await?)
    }

    /// The evaluation organisation submits its evaluation; the rules of the day grade the score
    /// against the level applied for.
    pub async fn evaluate(
        &self,
        case_id: i64,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<Decided<GradeResult>, ActionError> {
        let a = self
            .authorize(case_id, Action::SubmitEvaluation, Case::grade, self.on)
            .await?;
        let grade = a.case.grade().ok_or(ActionError::NotFound)?;
        if report.trim().is_empty() {
            return Err(ActionError::bad("report", "请填写评审报告"));
        }
        let outcome = self
            .store_assessment(&a.case, Kind::Evaluation, inputs, report)
            .await?;
        let set = rules_on(&self.reference.grading, self.on)?;
        let decided = set.grade_for(grade, outcome.score, outcome.vetoed());
        let result = match decided.value {
            GradeResult::Granted(g) | GradeResult::Lower(g) => Some(g),
            GradeResult::Failed => None,
        };
        let mut s = plain_step(Action::SubmitEvaluation);
        s.rule = Some(decided.rule.to_string());
        s.result_grade = result;
        self.case_step(&a, s).await?;
        Ok(decided)
    }

    /// The grader approves an evaluation that reached the level applied for.
    pub async fn approve(&self, case_id: i64) -> Result<CaseState, ActionError> {
        let a = self
            .authorize(case_id, Action::Approve, Case::grade, self.on)
            .await?;
        let grade = a.case.grade().ok_or(ActionError::NotFound)?;
        let eval = assessment::latest(self.db, &self.actor.scope, case_id, Kind::Evaluation)
            .await?
            .ok_or_else(|| ActionError::Conflict("尚无评审结果".into()))?;
        let set = rules_on(&self.reference.grading, self.on)?;
        let decided = set.grade_for(grade, Percent(eval.score), !eval.vetoed.is_empty());
        if decided.value != GradeResult::Granted(grade) {
            let why = format!(
                "评审得分 {} 未达到{}的要求，应要求整改、由企业接受较低等级或不予通过",
                Percent(eval.score),
                grade.label()
            );
            return Err(self.refuse_case(case_id, Action::Approve, why).await);
        }
        let mut s = plain_step(Action::Approve);
        s.rule = Some(decided.rule.to_string());
        s.result_grade = Some(grade);
        self.case_step(&a, s).await
    }

    /// The grader announces after the notice has run its course, and the certificate is issued
    /// in the same transaction with the validity the rules give.
    pub async fn announce(&self, case_id: i64) -> Result<(i64, String), ActionError> {
        let a = self
            .authorize(case_id, Action::Announce, Case::grade, self.on)
            .await?;
        let case = &a.case;
        let grade = case.grade().ok_or(ActionError::NotFound)?;
        let set = rules_on(&self.reference.grading, self.on)?;
        let events = grading::events(self.db, &self.actor.scope, case_id).await?;
        let open = open_objections(&events);
        if open > 0 {
            let why = format!(
                "公示期间收到 {open} 件异议尚未处理：请先受理（暂停公示）或决定不予受理，再公告"
            );
            return Err(self.refuse_case(case_id, Action::Announce, why).await);
        }
        if let Some(start) = notice_started(&events) {
            let ends = set.notice_ends(start);
            if self.on <= ends.value {
                let why = format!(
                    "公示期至 {} 结束（{}），期满后方可公告",
                    format_date(ends.value),
                    ends.rule
                );
                return Err(self.refuse_case(case_id, Action::Announce, why).await);
            }
        }
        let e = enterprise::get(self.db, &self.actor.scope, case.enterprise_id).await?;
        let result = case.effective_grade().unwrap_or(grade);
        let authority = set.authority(result).ok_or(ActionError::NotFound)?;
        let valid = set.valid_until(self.on);
        let cert = NewCertificate {
            enterprise_id: case.enterprise_id,
            case_id: Some(case_id),
            grade: result,
            industry: e.industry_code.clone(),
            issuer: self.issuer(&authority.value.body, &case.region_code),
            external: false,
            issued_on: self.on,
            valid_until: valid.value,
            rule: valid.rule.to_string(),
            region_abbr: REGION_ABBR,
            number: None,
        };
        Ok(grading::announce_with_certificate(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            case_id,
            &Step {
                action: Action::Announce,
                party: a.party,
                grading: authority.value.level,
                reason: None,
                rule: Some(authority.rule.to_string()),
                result_grade: Some(result),
                // An objection after the case was loaded makes the announcement stale.
                expected_version: Some(case.version),
            },
            &cert,
        )
        .await?)
    }

    /// The grader assigns an evaluation organisation and its team (independence and
    /// qualifications are checked by the store, in the step's transaction).
    pub async fn assign(
        &self,
        case_id: i64,
        org_id: i64,
        team: &[i64],
    ) -> Result<CaseState, ActionError> {
        let a = self
            .authorize(case_id, Action::Assign, Case::grade, self.on)
            .await?;
        let mut s = plain_step(Action::Assign);
        s.grading = a.grading;
        s.party = a.party;
        anbiao_store::orgs::assign(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            case_id,
            &s,
            org_id,
            team,
            self.on,
        )
        .await?;
        Ok(CaseState::Evaluating)
    }

    /// The level of the body that grades a case now (for the actions a page offers).
    pub fn grading_level(&self, case: &Case) -> Option<AuthorityLevel> {
        let grade = case.effective_grade()?;
        let set = self.reference.grading.in_force(self.on).ok()?;
        set.authority(grade).map(|a| a.value.level)
    }

    /// The steps the actor's party may take on a case now (for the buttons of a page).
    pub fn available(&self, case: &Case, open_objections: usize) -> Vec<Action> {
        let (Some(p), Some(s), Some(level)) =
            (self.party(), case.state(), self.grading_level(case))
        else {
            return Vec::new();
        };
        if self.actor.role.is_some() && !self.actor.permits(Permission::ActOnCases) {
            return Vec::new();
        }
        anbiao_domain::lifecycle::available(s, p, level, self.authority())
            .into_iter()
            // Nothing to decline without an objection; nothing to announce with one open.
            .filter(|a| match a {
                Action::DeclineObjection => open_objections > 0,
                Action::Announce => open_objections == 0,
                _ => true,
            })
            .collect()
    }

    /// The city records a level granted outside it (二级 by the province, 一级 by the
    /// ministry): the document, the certificate number it gave, and the date; the certificate
    /// is registered with the validity the rules give, in the step's transaction.
    pub async fn record_external(
        &self,
        case_id: i64,
        document: &str,
        number: &str,
        issued_on: Date,
    ) -> Result<(i64, String), ActionError> {
        let a = self
            .authorize(
                case_id,
                Action::RecordExternalGrant,
                Case::effective_grade,
                self.on,
            )
            .await?;
        let case = &a.case;
        let grade = case.effective_grade().ok_or(ActionError::NotFound)?;
        let document = anbiao_domain::text::clean(document);
        if document.is_empty() {
            return Err(ActionError::bad("document", "请填写上级定级公告的文号"));
        }
        if issued_on > self.on {
            return Err(ActionError::bad("issued_on", "发证日期不能晚于今天"));
        }
        let parsed = anbiao_domain::certificate::CertificateNumber::parse(number)
            .map_err(|e| ActionError::bad("number", e.to_string()))?;
        if parsed.grade != grade {
            return Err(ActionError::bad(
                "number",
                format!(
                    "证书编号的等级（{}）与定级结果（{}）不符",
                    parsed.grade.label(),
                    grade.label()
                ),
            ));
        }
        let set = rules_on(&self.reference.grading, issued_on)?;
        let authority = set.authority(grade).ok_or(ActionError::NotFound)?;
        let e = enterprise::get(self.db, &self.actor.scope, case.enterprise_id).await?;
        let valid = set.valid_until(issued_on);
        let reason = format!("{}：{document}", authority.value.body);
        let step = Step {
            action: Action::RecordExternalGrant,
            party: a.party,
            grading: authority.value.level,
            reason: Some(&reason),
            rule: Some(authority.rule.to_string()),
            result_grade: Some(grade),
            expected_version: None,
        };
        let cert = NewCertificate {
            enterprise_id: case.enterprise_id,
            case_id: Some(case_id),
            grade,
            industry: e.industry_code,
            issuer: self.issuer(&authority.value.body, &case.region_code),
            external: true,
            issued_on,
            valid_until: valid.value,
            rule: valid.rule.to_string(),
            region_abbr: REGION_ABBR,
            number: Some(parsed.to_string()),
        };
        Ok(grading::announce_with_certificate(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            case_id,
            &step,
            &cert,
        )
        .await?)
    }
}

/// A step whose grader level and party the authorization fills in.
fn plain_step(action: Action) -> Step<'static> {
    Step {
        action,
        party: Party::Public,
        grading: AuthorityLevel::City,
        reason: None,
        rule: None,
        result_grade: None,
        expected_version: None,
    }
}

async fn case_sheet(db: &Db, case: &Case) -> Result<ScoringSheet, ActionError> {
    let version = u32::try_from(case.sheet_version).map_err(|_| ActionError::NotFound)?;
    standards::get(db, &case.sheet_id, version)
        .await?
        .ok_or(ActionError::NotFound)
}

/// The day the enterprise's last failed case failed, if any.
async fn last_failure(db: &Db, enterprise_id: i64) -> Result<Option<Date>, ActionError> {
    let mut last = None;
    for c in grading::list(
        db,
        &Scope::Enterprise { id: enterprise_id },
        Some(CaseState::Failed),
        50,
    )
    .await?
    {
        let events = grading::events(db, &Scope::City, c.id).await?;
        if let Some(e) = events.iter().rev().find(|e| e.to_state == "failed") {
            let d = time::OffsetDateTime::from_unix_timestamp(e.at_us / 1_000_000)
                .map(|t| t.date())
                .ok();
            last = last.max(d);
        }
    }
    Ok(last)
}

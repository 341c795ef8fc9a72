//! Grading use cases: the domain's rules and state machine over the store, shared by the pages,
//! the API and the command line. Each step records the rule that decided it.

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::grade::Grade;
use anbiao_domain::lifecycle::{Action, CaseState, Party};
use anbiao_domain::region::RegionBook;
use anbiao_domain::rules::{Admission, Decided, GradeResult, GradingRuleSet, GradingRules};
use anbiao_domain::scoring::{ItemInput, Outcome, Percent, score};
use anbiao_domain::standard::ScoringSheet;
use anbiao_store::assessment::{self, Kind, NewAssessment};
use anbiao_store::audit::{self, Actor, Event};
use anbiao_store::certificate::NewCertificate;
use anbiao_store::grading::{self, Case, NewCase, Step};
use anbiao_store::{Db, accident, certificate, enterprise, standards};
use time::Date;

use crate::error::AppError;

/// The province abbreviation on 二级/三级 certificate numbers.
pub const REGION_ABBR: char = '苏';

/// Who acts, where, when, under which rules.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub rules: &'a GradingRules,
    /// The regions, to name a district authority on its certificates.
    pub regions: &'a RegionBook,
    pub scope: &'a Scope,
    pub actor: &'a Actor,
    /// The decision date: the rules in force on it decide.
    pub on: Date,
}

fn rules_on(rules: &GradingRules, on: Date) -> Result<&GradingRuleSet, AppError> {
    rules
        .in_force(on)
        .map_err(|e| AppError::bad("date", e.to_string()))
}

/// A step before the grader's level is known.
fn plain_step(action: Action, party: Party) -> Step<'static> {
    Step {
        action,
        party,
        grading: anbiao_domain::rules::AuthorityLevel::City,
        reason: None,
        rule: None,
        result_grade: None,
        expected_version: None,
    }
}

/// The sheet a case is scored on: the newest in force for the grade, the enterprise's own
/// industry's before a general one, an official one before a sample.
pub async fn sheet_for(
    db: &Db,
    grade: Grade,
    industry: &str,
    on: Date,
) -> Result<ScoringSheet, AppError> {
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
        AppError::bad(
            "grade",
            format!("没有适用于{}的评分细则，请先载入评分细则", grade.label()),
        )
    })
}

/// Opens a case: the enterprise starts its self-assessment for a grade.
impl Ctx<'_> {
    /// The issuing body as the rules name it, with a district authority's placeholder
    /// ("县（市、区）") replaced by the case's district as named on the decision date.
    fn issuer(&self, body: &str, region_code: &str) -> String {
        const PLACEHOLDER: &str = "县（市、区）";
        match self.regions.current_version(region_code, self.on) {
            Some(r) if body.contains(PLACEHOLDER) => body.replace(PLACEHOLDER, &r.name),
            _ => body.to_string(),
        }
    }

    pub async fn open_case(&self, enterprise_id: i64, grade: Grade) -> Result<i64, AppError> {
        let Ctx {
            db,
            rules,
            scope,
            actor,
            on,
            ..
        } = *self;
        let e = enterprise::get(db, scope, enterprise_id).await?;
        let set = rules_on(rules, on)?;
        let sheet = sheet_for(db, grade, &e.industry_code, on).await?;
        Ok(grading::open(
            db,
            scope,
            actor,
            &NewCase {
                enterprise_id,
                grade,
                opened_on: on,
                rule_set: format!("{}@{}", set.id, set.version),
                sheet_id: sheet.id,
                sheet_version: sheet.version,
            },
        )
        .await?)
    }
}

async fn case_sheet(db: &Db, case: &Case) -> Result<ScoringSheet, AppError> {
    let version = u32::try_from(case.sheet_version).map_err(|_| AppError::NotFound)?;
    standards::get(db, &case.sheet_id, version)
        .await?
        .ok_or(AppError::NotFound)
}

/// Scores and stores an assessment. A self-assessment is made while the case is in
/// self-assessment or returned; an evaluation while it is being evaluated.
impl Ctx<'_> {
    pub async fn submit_assessment(
        &self,
        case_id: i64,
        kind: Kind,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<Outcome, AppError> {
        let Ctx {
            db,
            scope,
            actor,
            on,
            ..
        } = *self;
        let case = grading::get(db, scope, case_id).await?;
        let state = case.state();
        let allowed = match kind {
            Kind::SelfAssessment => {
                matches!(state, Some(CaseState::SelfAssessing | CaseState::Returned))
            }
            Kind::Evaluation => state == Some(CaseState::Evaluating),
        };
        if !allowed {
            return Err(AppError::Conflict(format!(
                "案件当前状态为“{}”，不能提交{}",
                state.map(|s| s.label()).unwrap_or("未知"),
                kind.label()
            )));
        }
        let sheet = case_sheet(db, &case).await?;
        let plain: Vec<ItemInput> = inputs.iter().map(|(i, _)| i.clone()).collect();
        let outcome =
            score(&sheet, &plain, &[]).map_err(|e| AppError::bad("items", e.to_string()))?;
        assessment::submit(
            db,
            scope,
            actor,
            &NewAssessment {
                case_id,
                kind,
                inputs,
                outcome: &outcome,
                report,
                performed_on: on,
            },
        )
        .await?;
        Ok(outcome)
    }
}

async fn refuse(db: &Db, actor: &Actor, case_id: i64, action: Action, why: String) -> AppError {
    let ev = Event::new("case.refused", format!("case:{case_id}"))
        .detail(format!("{}：{why}", action.label()));
    if let Err(e) = audit::append(db, actor, &ev).await {
        return e.into();
    }
    AppError::Conflict(why)
}

/// The enterprise applies: a self-assessment must exist, and the rules of the day must admit
/// the application (accidents in the year before, waiting periods).
impl Ctx<'_> {
    pub async fn apply(&self, case_id: i64) -> Result<CaseState, AppError> {
        let Ctx {
            db,
            rules,
            scope,
            actor,
            on,
            ..
        } = *self;
        let case = grading::get(db, scope, case_id).await?;
        let grade = case.grade().ok_or(AppError::NotFound)?;
        if assessment::latest(db, scope, case_id, Kind::SelfAssessment)
            .await?
            .is_none()
        {
            return Err(refuse(
                db,
                actor,
                case_id,
                Action::Apply,
                "请先完成并提交自评".into(),
            )
            .await);
        }
        let set = rules_on(rules, on)?;
        let accidents: Vec<_> = accident::of_enterprise(db, &Scope::City, case.enterprise_id)
            .await?
            .iter()
            .filter_map(|a| a.accident())
            .collect();
        let last_revoked = certificate::of_enterprise(db, &Scope::City, case.enterprise_id)
            .await?
            .iter()
            .filter_map(|c| c.revoked_on.as_deref().and_then(parse_date))
            .max();
        let last_failed = last_failure(db, case.enterprise_id).await?;
        let Decided { value, rule } =
            set.admission(grade, on, &accidents, last_revoked, last_failed);
        if let Admission::Blocked(why) = value {
            return Err(refuse(
                db,
                actor,
                case_id,
                Action::Apply,
                format!("{why}（{rule}）"),
            )
            .await);
        }
        let mut s = plain_step(Action::Apply, Party::Enterprise);
        s.rule = Some(rule.to_string());
        self.step(case_id, set, grade, s).await
    }
}

/// The day the enterprise's last failed case failed, if any.
async fn last_failure(db: &Db, enterprise_id: i64) -> Result<Option<Date>, AppError> {
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

impl Ctx<'_> {
    async fn step(
        &self,
        case_id: i64,
        set: &GradingRuleSet,
        grade: Grade,
        mut s: Step<'_>,
    ) -> Result<CaseState, AppError> {
        s.grading = set
            .authority(grade)
            .map(|a| a.value.level)
            .ok_or(AppError::NotFound)?;
        Ok(grading::transition(self.db, self.scope, self.actor, case_id, &s).await?)
    }

    /// Any step that needs no computation beyond the state machine (accept, return, assign,
    /// start notice, objections, withdraw …). The grader's level comes from the rules of the day.
    pub async fn act(
        &self,
        case_id: i64,
        action: Action,
        party: Party,
        reason: Option<&str>,
    ) -> Result<CaseState, AppError> {
        let Ctx {
            db,
            rules,
            scope,
            on,
            ..
        } = *self;
        let case = grading::get(db, scope, case_id).await?;
        // After an evaluation, the grade it settled decides who grades (a lower level may be the
        // city's although the level applied for was the province's).
        let grade = case.effective_grade().ok_or(AppError::NotFound)?;
        let set = rules_on(rules, on)?;
        let mut s = plain_step(action, party);
        s.reason = reason;
        self.step(case_id, set, grade, s).await
    }

    /// The evaluator submits the evaluation; the rules of the day grade the score against the
    /// level applied for.
    pub async fn evaluate(
        &self,
        case_id: i64,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<Decided<GradeResult>, AppError> {
        let Ctx {
            db,
            rules,
            scope,
            on,
            ..
        } = *self;
        let case = grading::get(db, scope, case_id).await?;
        let grade = case.grade().ok_or(AppError::NotFound)?;
        if report.trim().is_empty() {
            return Err(AppError::bad("report", "请填写评审报告"));
        }
        let outcome = self
            .submit_assessment(case_id, Kind::Evaluation, inputs, report)
            .await?;
        let set = rules_on(rules, on)?;
        let decided = set.grade_for(grade, outcome.score, outcome.vetoed());
        let result = match decided.value {
            GradeResult::Granted(g) | GradeResult::Lower(g) => Some(g),
            GradeResult::Failed => None,
        };
        let mut s = plain_step(Action::SubmitEvaluation, Party::Evaluator);
        s.rule = Some(decided.rule.to_string());
        s.result_grade = result;
        self.step(case_id, set, grade, s).await?;
        Ok(decided)
    }

    /// The grader approves an evaluation that reached the level applied for.
    pub async fn approve(&self, case_id: i64, party: Party) -> Result<CaseState, AppError> {
        let Ctx {
            db,
            rules,
            scope,
            actor,
            on,
            ..
        } = *self;
        let case = grading::get(db, scope, case_id).await?;
        let grade = case.grade().ok_or(AppError::NotFound)?;
        let eval = assessment::latest(db, scope, case_id, Kind::Evaluation)
            .await?
            .ok_or_else(|| AppError::Conflict("尚无评审结果".into()))?;
        let set = rules_on(rules, on)?;
        let decided = set.grade_for(grade, Percent(eval.score), !eval.vetoed.is_empty());
        if decided.value != GradeResult::Granted(grade) {
            let why = format!(
                "评审得分 {} 未达到{}的要求，应要求整改、由企业接受较低等级或不予通过",
                Percent(eval.score),
                grade.label()
            );
            return Err(refuse(db, actor, case_id, Action::Approve, why).await);
        }
        let mut s = plain_step(Action::Approve, party);
        s.rule = Some(decided.rule.to_string());
        s.result_grade = Some(grade);
        self.step(case_id, set, grade, s).await
    }

    /// The grader announces after the notice has run its course, and the certificate is issued in
    /// the same transaction with the validity the rules give.
    pub async fn announce(&self, case_id: i64, party: Party) -> Result<(i64, String), AppError> {
        let Ctx {
            db,
            rules,
            scope,
            actor,
            on,
            ..
        } = *self;
        let case = grading::get(db, scope, case_id).await?;
        let grade = case.grade().ok_or(AppError::NotFound)?;
        let set = rules_on(rules, on)?;
        let events = grading::events(db, scope, case_id).await?;
        let notice_start = events
            .iter()
            .rev()
            .find(|e| e.to_state == "notice")
            .and_then(|e| time::OffsetDateTime::from_unix_timestamp(e.at_us / 1_000_000).ok())
            .map(|t| t.date());
        if let Some(start) = notice_start {
            let ends = set.notice_ends(start);
            if on <= ends.value {
                let why = format!(
                    "公示期至 {} 结束（{}），期满后方可公告",
                    format_date(ends.value),
                    ends.rule
                );
                return Err(refuse(db, actor, case_id, Action::Announce, why).await);
            }
        }
        let e = enterprise::get(db, scope, case.enterprise_id).await?;
        let result = case.effective_grade().unwrap_or(grade);
        let authority = set.authority(result).ok_or(AppError::NotFound)?;
        let valid = set.valid_until(on);
        let level = authority.value.level;
        let cert = NewCertificate {
            enterprise_id: case.enterprise_id,
            case_id: Some(case_id),
            grade: result,
            industry: e.industry_code.clone(),
            issuer: self.issuer(&authority.value.body, &case.region_code),
            external: false,
            issued_on: on,
            valid_until: valid.value,
            rule: valid.rule.to_string(),
            region_abbr: REGION_ABBR,
            number: None,
        };
        Ok(grading::announce_with_certificate(
            db,
            scope,
            actor,
            case_id,
            &Step {
                action: Action::Announce,
                party,
                grading: level,
                reason: None,
                rule: Some(authority.rule.to_string()),
                result_grade: Some(result),
                expected_version: None,
            },
            &cert,
        )
        .await?)
    }
}

impl Ctx<'_> {
    /// The grader assigns an evaluation organisation and its team (independence and
    /// qualifications are checked by the store, in the step's transaction).
    pub async fn assign(
        &self,
        case_id: i64,
        party: Party,
        org_id: i64,
        team: &[i64],
    ) -> Result<CaseState, AppError> {
        let case = grading::get(self.db, self.scope, case_id).await?;
        let grade = case.grade().ok_or(AppError::NotFound)?;
        let set = rules_on(self.rules, self.on)?;
        let mut s = plain_step(Action::Assign, party);
        s.grading = set
            .authority(grade)
            .map(|a| a.value.level)
            .ok_or(AppError::NotFound)?;
        anbiao_store::orgs::assign(
            self.db, self.scope, self.actor, case_id, &s, org_id, team, self.on,
        )
        .await?;
        Ok(CaseState::Evaluating)
    }

    /// The level of the body that grades a case now (for the actions a page offers).
    pub fn grading_level(&self, case: &Case) -> Option<anbiao_domain::rules::AuthorityLevel> {
        let grade = case.effective_grade()?;
        let set = self.rules.in_force(self.on).ok()?;
        set.authority(grade).map(|a| a.value.level)
    }
}

impl Ctx<'_> {
    /// The city records a level granted outside it (二级 by the province, 一级 by the ministry):
    /// the document, the certificate number it gave, and the date; the certificate is
    /// registered with the validity the rules give, in the step's transaction.
    pub async fn record_external(
        &self,
        case_id: i64,
        document: &str,
        number: &str,
        issued_on: Date,
    ) -> Result<(i64, String), AppError> {
        let case = grading::get(self.db, self.scope, case_id).await?;
        let grade = case.effective_grade().ok_or(AppError::NotFound)?;
        let document = anbiao_domain::text::clean(document);
        if document.is_empty() {
            return Err(AppError::bad("document", "请填写上级定级公告的文号"));
        }
        if issued_on > self.on {
            return Err(AppError::bad("issued_on", "发证日期不能晚于今天"));
        }
        let parsed = anbiao_domain::certificate::CertificateNumber::parse(number)
            .map_err(|e| AppError::bad("number", e.to_string()))?;
        if parsed.grade != grade {
            return Err(AppError::bad(
                "number",
                format!(
                    "证书编号的等级（{}）与定级结果（{}）不符",
                    parsed.grade.label(),
                    grade.label()
                ),
            ));
        }
        let set = rules_on(self.rules, issued_on)?;
        let authority = set.authority(grade).ok_or(AppError::NotFound)?;
        let e = enterprise::get(self.db, self.scope, case.enterprise_id).await?;
        let valid = set.valid_until(issued_on);
        let reason = format!("{}：{document}", authority.value.body);
        let step = Step {
            action: Action::RecordExternalGrant,
            party: Party::City,
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
            self.db, self.scope, self.actor, case_id, &step, &cert,
        )
        .await?)
    }
}

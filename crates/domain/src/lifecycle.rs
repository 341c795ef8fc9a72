//! The grading life cycle as an explicit state machine: self-assessment → application →
//! acceptance (or return with reasons) → evaluation by an assigned organisation → review →
//! public notice (an objection holds the case) → announcement and certificate. A result below
//! the level applied for leads to rectification and re-evaluation, or to the lower level if the
//! enterprise accepts it. 小微达标 is decided by the district; 一级 and 二级 (in 2018) are decided
//! outside the city: the city recommends and records the external decision.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::authority::AuthoritySet;
use crate::rules::AuthorityLevel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 自评: the enterprise fills its self-assessment.
    SelfAssessing,
    /// 申请: submitted, waiting for acceptance.
    Applied,
    /// 退回: returned with reasons; the enterprise corrects and submits again.
    Returned,
    /// 受理: accepted, waiting for an evaluation organisation.
    Accepted,
    /// 评审中: an organisation is assigned and evaluates.
    Evaluating,
    /// 评审完成: scores and report are in.
    Evaluated,
    /// 整改: below the level applied for; rectify, then evaluate again.
    Rectifying,
    /// 审核通过: reviewed and approved.
    Reviewed,
    /// 已推荐: recommended to the province or the ministry, which decides.
    Recommended,
    /// 公示中.
    Notice,
    /// 异议处理中: an objection holds the case.
    OnHold,
    /// 已公告: announced; a certificate is issued.
    Certified,
    /// 外部已定级: the province or the ministry granted the level.
    ExternallyCertified,
    /// 未通过.
    Failed,
    /// 已撤回.
    Withdrawn,
}

impl CaseState {
    pub const ALL: [CaseState; 15] = [
        Self::SelfAssessing,
        Self::Applied,
        Self::Returned,
        Self::Accepted,
        Self::Evaluating,
        Self::Evaluated,
        Self::Rectifying,
        Self::Reviewed,
        Self::Recommended,
        Self::Notice,
        Self::OnHold,
        Self::Certified,
        Self::ExternallyCertified,
        Self::Failed,
        Self::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::SelfAssessing => "self_assessing",
            Self::Applied => "applied",
            Self::Returned => "returned",
            Self::Accepted => "accepted",
            Self::Evaluating => "evaluating",
            Self::Evaluated => "evaluated",
            Self::Rectifying => "rectifying",
            Self::Reviewed => "reviewed",
            Self::Recommended => "recommended",
            Self::Notice => "notice",
            Self::OnHold => "on_hold",
            Self::Certified => "certified",
            Self::ExternallyCertified => "externally_certified",
            Self::Failed => "failed",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SelfAssessing => "自评中",
            Self::Applied => "已申请",
            Self::Returned => "已退回",
            Self::Accepted => "已受理",
            Self::Evaluating => "评审中",
            Self::Evaluated => "评审完成",
            Self::Rectifying => "整改中",
            Self::Reviewed => "审核通过",
            Self::Recommended => "已推荐上报",
            Self::Notice => "公示中",
            Self::OnHold => "异议处理中",
            Self::Certified => "已公告发证",
            Self::ExternallyCertified => "上级已定级",
            Self::Failed => "未通过",
            Self::Withdrawn => "已撤回",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Certified | Self::ExternallyCertified | Self::Failed | Self::Withdrawn
        )
    }
}

/// Who acts on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Enterprise,
    District,
    City,
    Evaluator,
    Public,
}

impl Party {
    pub fn label(self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::District => "县（市、区）监管部门",
            Self::City => "市局",
            Self::Evaluator => "评审单位",
            Self::Public => "公众",
        }
    }
}

/// What someone does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Apply,
    Return,
    Accept,
    Assign,
    SubmitEvaluation,
    Approve,
    /// The enterprise takes the lower level the evaluation supports.
    AcceptLower,
    RequireRectification,
    /// After rectification, evaluate again.
    Reevaluate,
    Reject,
    Recommend,
    StartNotice,
    /// A member of the public objects during the notice: recorded, the notice runs on.
    Object,
    /// The grader takes an objection up: the notice is held until it is resolved.
    HoldForObjection,
    /// The grader finds the objections received not worth taking up: the notice runs on.
    DeclineObjection,
    DismissObjection,
    UpholdObjection,
    Announce,
    RecordExternalGrant,
    RecordExternalRefusal,
    Withdraw,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Self::Apply,
        Self::Return,
        Self::Accept,
        Self::Assign,
        Self::SubmitEvaluation,
        Self::Approve,
        Self::AcceptLower,
        Self::RequireRectification,
        Self::Reevaluate,
        Self::Reject,
        Self::Recommend,
        Self::StartNotice,
        Self::Object,
        Self::HoldForObjection,
        Self::DeclineObjection,
        Self::DismissObjection,
        Self::UpholdObjection,
        Self::Announce,
        Self::RecordExternalGrant,
        Self::RecordExternalRefusal,
        Self::Withdraw,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Apply => "提交申请",
            Self::Return => "退回",
            Self::Accept => "受理",
            Self::Assign => "指派评审单位",
            Self::SubmitEvaluation => "提交评审结果",
            Self::Approve => "审核通过",
            Self::AcceptLower => "接受较低等级",
            Self::RequireRectification => "要求整改",
            Self::Reevaluate => "整改后重新评审",
            Self::Reject => "不予通过",
            Self::Recommend => "推荐上报",
            Self::StartNotice => "开始公示",
            Self::Object => "提出异议",
            Self::HoldForObjection => "受理异议并暂停公示",
            Self::DeclineObjection => "异议不予受理",
            Self::DismissObjection => "异议不成立",
            Self::UpholdObjection => "异议成立",
            Self::Announce => "公告并发证",
            Self::RecordExternalGrant => "登记上级定级结果",
            Self::RecordExternalRefusal => "登记上级未予定级",
            Self::Withdraw => "撤回申请",
        }
    }

    /// The stable key (as stored in case events and named in the authority rules).
    pub fn key(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Return => "return",
            Self::Accept => "accept",
            Self::Assign => "assign",
            Self::SubmitEvaluation => "submit_evaluation",
            Self::Approve => "approve",
            Self::AcceptLower => "accept_lower",
            Self::RequireRectification => "require_rectification",
            Self::Reevaluate => "reevaluate",
            Self::Reject => "reject",
            Self::Recommend => "recommend",
            Self::StartNotice => "start_notice",
            Self::Object => "object",
            Self::HoldForObjection => "hold_for_objection",
            Self::DeclineObjection => "decline_objection",
            Self::DismissObjection => "dismiss_objection",
            Self::UpholdObjection => "uphold_objection",
            Self::Announce => "announce",
            Self::RecordExternalGrant => "record_external_grant",
            Self::RecordExternalRefusal => "record_external_refusal",
            Self::Withdraw => "withdraw",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Actions that need a written reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Self::Return
                | Self::RequireRectification
                | Self::Reject
                | Self::Object
                | Self::HoldForObjection
                | Self::DeclineObjection
                | Self::DismissObjection
                | Self::UpholdObjection
                | Self::RecordExternalRefusal
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("案件当前状态为“{state}”，不能“{action}”")]
    OutOfOrder {
        state: &'static str,
        action: &'static str,
    },
    #[error("{0}")]
    WrongParty(String),
    #[error("“{0}”须填写理由")]
    ReasonRequired(&'static str),
}

/// The state after `action` on a case in `state`, or why the case cannot take it now. Who may
/// take the step is the authority rules' question ([`AuthoritySet::may_take`]), asked first.
/// `grading` is the level of the body that grades this case's level under the rules in force
/// (city, district, or external).
pub fn advance(
    state: CaseState,
    action: Action,
    grading: AuthorityLevel,
    reason: Option<&str>,
) -> Result<CaseState, TransitionError> {
    use Action as A;
    use CaseState as S;
    let external = grading.is_external();
    // (allowed from-states, to-state)
    let (from, to): (&[CaseState], CaseState) = match action {
        A::Apply => (&[S::SelfAssessing, S::Returned], S::Applied),
        A::Return => (&[S::Applied], S::Returned),
        A::Accept => (&[S::Applied], S::Accepted),
        A::Assign => (&[S::Accepted], S::Evaluating),
        A::SubmitEvaluation => (&[S::Evaluating], S::Evaluated),
        A::Approve => (&[S::Evaluated], S::Reviewed),
        A::AcceptLower => (&[S::Evaluated, S::Rectifying], S::Reviewed),
        A::RequireRectification => (&[S::Evaluated, S::OnHold], S::Rectifying),
        A::Reevaluate => (&[S::Rectifying], S::Evaluating),
        A::Reject => (&[S::Evaluated, S::Rectifying], S::Failed),
        A::Recommend if external => (&[S::Reviewed], S::Recommended),
        A::Recommend => (&[], S::Recommended),
        A::StartNotice if !external => (&[S::Reviewed], S::Notice),
        A::StartNotice => (&[], S::Notice),
        A::Object => (&[S::Notice], S::Notice),
        A::HoldForObjection => (&[S::Notice], S::OnHold),
        A::DeclineObjection => (&[S::Notice], S::Notice),
        A::DismissObjection => (&[S::OnHold], S::Notice),
        A::UpholdObjection => (&[S::OnHold], S::Failed),
        A::Announce => (&[S::Notice], S::Certified),
        A::RecordExternalGrant => (&[S::Recommended], S::ExternallyCertified),
        A::RecordExternalRefusal => (&[S::Recommended], S::Failed),
        A::Withdraw => (
            &[
                S::SelfAssessing,
                S::Applied,
                S::Returned,
                S::Accepted,
                S::Rectifying,
            ],
            S::Withdrawn,
        ),
    };
    if !from.contains(&state) {
        return Err(TransitionError::OutOfOrder {
            state: state.label(),
            action: action.label(),
        });
    }
    if action.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired(action.label()));
    }
    Ok(to)
}

/// The party check of the authority rules, then the state machine.
pub fn next(
    state: CaseState,
    action: Action,
    party: Party,
    grading: AuthorityLevel,
    reason: Option<&str>,
    authority: &AuthoritySet,
) -> Result<CaseState, TransitionError> {
    authority
        .may_take(Some(party), action, grading)
        .map_err(|r| TransitionError::WrongParty(r.to_string()))?;
    advance(state, action, grading, reason)
}

/// The actions `party` may take on a case in `state` (for buttons on a page).
pub fn available(
    state: CaseState,
    party: Party,
    grading: AuthorityLevel,
    authority: &AuthoritySet,
) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| next(state, *a, party, grading, Some("理由"), authority).is_ok())
        .collect()
}

/// The objections waiting for the grader's answer, given a case's steps in order: those made
/// since the last step that was not an objection (the notice's start, its resumption, or the
/// grader's answer to earlier objections). A case with open objections is not announced.
pub fn open_objections(steps: impl IntoIterator<Item = Action>) -> usize {
    steps.into_iter().fold(0, |open, a| match a {
        Action::Object => open + 1,
        _ => 0,
    })
}

/// Whether a step started (or resumed) a public notice: it entered the notice from another
/// state. An objection or its decline keeps the notice running and does not restart it.
pub fn starts_notice(from: CaseState, to: CaseState) -> bool {
    to == CaseState::Notice && from != CaseState::Notice
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::AuthorityRules;
    use AuthorityLevel as L;

    fn rules() -> AuthoritySet {
        AuthorityRules::from_toml(crate::reference::embedded::AUTHORITY)
            .expect("valid")
            .on(time::macros::date!(2018 - 07 - 04))
            .clone()
    }

    fn run(
        grading: AuthorityLevel,
        steps: &[(Action, Party)],
    ) -> Result<CaseState, TransitionError> {
        let mut s = CaseState::SelfAssessing;
        for (a, p) in steps {
            s = next(s, *a, *p, grading, Some("说明"), &rules())?;
        }
        Ok(s)
    }

    #[test]
    fn three_is_decided_by_the_city() {
        use Action::*;
        use Party::*;
        let s = run(
            L::City,
            &[
                (Apply, Enterprise),
                (Accept, District),
                (Assign, City),
                (SubmitEvaluation, Evaluator),
                (Approve, City),
                (StartNotice, City),
                (Object, Public),
                (HoldForObjection, City),
                (DismissObjection, City),
                (Announce, City),
            ],
        );
        assert_eq!(s, Ok(CaseState::Certified));
    }

    #[test]
    fn small_micro_is_decided_by_the_district() {
        use Action::*;
        use Party::*;
        let steps = [
            (Apply, Enterprise),
            (Accept, District),
            (Assign, District),
            (SubmitEvaluation, Evaluator),
            (Approve, District),
            (StartNotice, District),
            (Announce, District),
        ];
        assert_eq!(run(L::District, &steps), Ok(CaseState::Certified));
        // The city does not approve a small-micro case.
        let e = next(
            CaseState::Evaluated,
            Approve,
            City,
            L::District,
            None,
            &rules(),
        )
        .expect_err("district");
        assert!(e.to_string().contains("县（市、区）监管部门"), "{e}");
    }

    #[test]
    fn external_levels_are_recommended_and_recorded() {
        use Action::*;
        use Party::*;
        let mut steps = vec![
            (Apply, Enterprise),
            (Accept, District),
            (Assign, City),
            (SubmitEvaluation, Evaluator),
            (Approve, City),
        ];
        assert!(
            run(
                L::Province,
                &[steps.clone(), vec![(StartNotice, City)]].concat()
            )
            .is_err()
        );
        steps.push((Recommend, City));
        steps.push((RecordExternalGrant, City));
        assert_eq!(run(L::Province, &steps), Ok(CaseState::ExternallyCertified));
    }

    #[test]
    fn lower_results_rectify_or_accept() {
        use Action::*;
        use Party::*;
        let base = [
            (Apply, Enterprise),
            (Accept, District),
            (Assign, City),
            (SubmitEvaluation, Evaluator),
            (RequireRectification, City),
        ];
        assert_eq!(run(L::City, &base), Ok(CaseState::Rectifying));
        let again = [
            base.to_vec(),
            vec![(Reevaluate, City), (SubmitEvaluation, Evaluator)],
        ]
        .concat();
        assert_eq!(run(L::City, &again), Ok(CaseState::Evaluated));
        let lower = [base.to_vec(), vec![(AcceptLower, Enterprise)]].concat();
        assert_eq!(run(L::City, &lower), Ok(CaseState::Reviewed));
        let upheld = [
            (Apply, Enterprise),
            (Accept, District),
            (Assign, City),
            (SubmitEvaluation, Evaluator),
            (Approve, City),
            (StartNotice, City),
            (Object, Public),
            (HoldForObjection, City),
            (UpholdObjection, City),
        ];
        assert_eq!(run(L::City, &upheld), Ok(CaseState::Failed));
    }

    #[test]
    fn an_objection_holds_the_notice_only_when_the_grader_takes_it_up() {
        use Action::*;
        use Party::*;
        let notice = [
            (Apply, Enterprise),
            (Accept, District),
            (Assign, City),
            (SubmitEvaluation, Evaluator),
            (Approve, City),
            (StartNotice, City),
        ];
        // The public's objection is recorded; the notice runs on until the grader answers.
        let objected = [notice.to_vec(), vec![(Object, Public), (Object, Public)]].concat();
        assert_eq!(run(L::City, &objected), Ok(CaseState::Notice));
        let held = [objected.clone(), vec![(HoldForObjection, City)]].concat();
        assert_eq!(run(L::City, &held), Ok(CaseState::OnHold));
        let declined = [objected.clone(), vec![(DeclineObjection, City)]].concat();
        assert_eq!(run(L::City, &declined), Ok(CaseState::Notice));
        // Nobody else holds a notice: not the public, not the enterprise, not the district of
        // a case the city grades.
        for p in [Public, Enterprise, District, Evaluator] {
            let e = next(
                CaseState::Notice,
                HoldForObjection,
                p,
                L::City,
                Some("理由"),
                &rules(),
            );
            assert!(
                matches!(e, Err(TransitionError::WrongParty(_))),
                "{p:?}: {e:?}"
            );
        }
        assert_eq!(
            next(
                CaseState::Notice,
                HoldForObjection,
                City,
                L::City,
                None,
                &rules()
            ),
            Err(TransitionError::ReasonRequired("受理异议并暂停公示"))
        );
        // Only a notice takes an objection.
        assert!(run(L::City, &[held.clone(), vec![(Object, Public)]].concat()).is_err());
    }

    #[test]
    fn open_objections_are_those_since_the_last_other_step() {
        use Action::*;
        assert_eq!(open_objections([StartNotice]), 0);
        assert_eq!(open_objections([StartNotice, Object, Object]), 2);
        assert_eq!(open_objections([StartNotice, Object, DeclineObjection]), 0);
        assert_eq!(
            open_objections([StartNotice, Object, DeclineObjection, Object]),
            1
        );
        assert_eq!(
            open_objections([Object, HoldForObjection, DismissObjection]),
            0
        );
        assert!(starts_notice(CaseState::Reviewed, CaseState::Notice));
        assert!(starts_notice(CaseState::OnHold, CaseState::Notice));
        assert!(!starts_notice(CaseState::Notice, CaseState::Notice));
        assert!(!starts_notice(CaseState::Notice, CaseState::OnHold));
    }

    #[test]
    fn out_of_order_wrong_party_and_missing_reason_are_refused() {
        let e = next(
            CaseState::Applied,
            Action::Announce,
            Party::City,
            L::City,
            None,
            &rules(),
        )
        .expect_err("order");
        assert_eq!(e.to_string(), "案件当前状态为“已申请”，不能“公告并发证”");
        let e = next(
            CaseState::Applied,
            Action::Accept,
            Party::Enterprise,
            L::City,
            None,
            &rules(),
        )
        .expect_err("party");
        assert!(matches!(e, TransitionError::WrongParty(_)));
        let e = next(
            CaseState::Applied,
            Action::Return,
            Party::District,
            L::City,
            Some(" "),
            &rules(),
        )
        .expect_err("reason");
        assert_eq!(e, TransitionError::ReasonRequired("退回"));
        for s in CaseState::ALL.into_iter().filter(|s| s.is_final()) {
            for p in [
                Party::Enterprise,
                Party::District,
                Party::City,
                Party::Evaluator,
                Party::Public,
            ] {
                assert!(
                    available(s, p, L::City, &rules()).is_empty(),
                    "{s:?} is final"
                );
            }
        }
        assert_eq!(
            available(CaseState::Applied, Party::District, L::City, &rules()),
            [Action::Return, Action::Accept]
        );
        for s in CaseState::ALL {
            assert_eq!(CaseState::parse(s.key()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.key()), Some(a));
        }
    }
}

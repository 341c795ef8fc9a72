//! Grading use cases over both databases: the rules of the day admit or block, grade the
//! evaluation, hold the announcement until the notice has run, and set the certificate.

use anbiao_actions::{ActionError, Actor as Acting};
use anbiao_domain::Role;
use anbiao_domain::enterprise::{EnterpriseDraft, OverridePolicy};
use anbiao_domain::lifecycle::{Action, CaseState, Party};
use anbiao_domain::rules::{Accident, GradeResult};
use anbiao_domain::scoring::{Entry, ItemInput};
use anbiao_domain::standard::{Points, ScoringSheet, shipped};
use anbiao_domain::{Grade, ReferenceData, Scope};
use anbiao_store::assessment::Kind;
use anbiao_store::audit_log::{self, Actor, Filter};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, accident, certificate, enterprise, orgs, standards};
use time::Duration;

use crate::code;

/// The grading use cases as the party each step belongs to: the enterprise, the district, the
/// city, the evaluation organisation. Each call takes its step as a member of that party, the
/// way the pages would (the actors see the whole city so a test can follow one case).
pub struct Cx<'a> {
    pub db: &'a Db,
    pub on: time::Date,
}

static REFERENCE: std::sync::LazyLock<ReferenceData> =
    std::sync::LazyLock::new(|| ReferenceData::embedded().expect("reference"));

fn member(p: Party) -> Acting {
    let role = match p {
        Party::Enterprise => Role::EnterpriseManager,
        Party::District => Role::DistrictOfficer,
        Party::City => Role::CityOfficer,
        Party::Evaluator => Role::EvaluationOrg,
        Party::Public => return Acting::public("203.0.113.9"),
    };
    Acting::on_behalf(role, Scope::City, &format!("tester:{}", p.label()), "test")
}

impl Cx<'_> {
    pub async fn open_case(&self, ent: i64, grade: Grade) -> Result<i64, ActionError> {
        let a = Acting::on_behalf(
            Role::EnterpriseManager,
            Scope::Enterprise { id: ent },
            "tester:企业",
            "test",
        );
        self.as_(&a).open_case(grade).await
    }

    fn as_<'b>(&'b self, actor: &'b Acting) -> anbiao_actions::Ctx<'b> {
        anbiao_actions::Ctx {
            db: self.db,
            reference: &REFERENCE,
            actor,
            on: self.on,
        }
    }

    pub async fn submit_assessment(
        &self,
        case: i64,
        kind: Kind,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<anbiao_domain::scoring::Outcome, ActionError> {
        assert_eq!(kind, Kind::SelfAssessment);
        let a = member(Party::Enterprise);
        self.as_(&a).self_assess(case, inputs, report).await
    }

    pub async fn apply(&self, case: i64) -> Result<CaseState, ActionError> {
        let a = member(Party::Enterprise);
        self.as_(&a).apply(case).await
    }

    pub async fn act(
        &self,
        case: i64,
        action: Action,
        p: Party,
        reason: Option<&str>,
    ) -> Result<CaseState, ActionError> {
        let a = member(p);
        if action == Action::Assign {
            let audit = Actor::new("tester", "cli");
            let until = time::macros::date!(2099 - 12 - 31);
            let org = orgs::create_org(
                self.db,
                &audit,
                &format!("评审中心{case}"),
                "评审单位",
                until,
            )
            .await
            .expect("org");
            let ev =
                orgs::add_evaluator(self.db, &audit, org, "考评员", &format!("T-{case}"), until)
                    .await
                    .expect("evaluator");
            return self.as_(&a).assign(case, org, &[ev]).await;
        }
        self.as_(&a).act(case, action, reason).await
    }

    pub async fn assign(
        &self,
        case: i64,
        p: Party,
        org: i64,
        team: &[i64],
    ) -> Result<CaseState, ActionError> {
        let a = member(p);
        self.as_(&a).assign(case, org, team).await
    }

    pub async fn evaluate(
        &self,
        case: i64,
        inputs: &[(ItemInput, String)],
        report: &str,
    ) -> Result<anbiao_domain::rules::Decided<GradeResult>, ActionError> {
        let a = member(Party::Evaluator);
        self.as_(&a).evaluate(case, inputs, report).await
    }

    pub async fn approve(&self, case: i64, p: Party) -> Result<CaseState, ActionError> {
        let a = member(p);
        self.as_(&a).approve(case).await
    }

    pub async fn case_file(
        &self,
        case: i64,
        p: Party,
    ) -> Result<anbiao_actions::grading::CaseFile, ActionError> {
        let a = member(p);
        self.as_(&a).case_file(case).await
    }

    pub async fn announce(&self, case: i64, p: Party) -> Result<(i64, String), ActionError> {
        let a = member(p);
        self.as_(&a).announce(case).await
    }

    pub async fn record_external(
        &self,
        case: i64,
        document: &str,
        number: &str,
        issued_on: time::Date,
    ) -> Result<(i64, String), ActionError> {
        let a = member(Party::City);
        self.as_(&a)
            .record_external(case, document, number, issued_on)
            .await
    }
}

fn cx<'a>(
    db: &'a Db,
    _rules: &anbiao_domain::rules::GradingRules,
    _scope: &Scope,
    _actor: &Actor,
    on: time::Date,
) -> Cx<'a> {
    Cx { db, on }
}

pub async fn enterprise_in_rugao(db: &Db, n: u32, name: &str) -> i64 {
    let r = ReferenceData::embedded().expect("reference");
    let e = EnterpriseDraft {
        credit_code: Some(code("320682", n)),
        name: Some(name.into()),
        region: Some("320682".into()),
        industry: Some("JX".into()),
        ..Default::default()
    }
    .validate(&r, anbiao_web::today(), OverridePolicy::Allowed)
    .expect("valid");
    enterprise::create(db, &Scope::City, &Actor::new("tester", "cli"), &e)
        .await
        .expect("enterprise")
}

/// An enterprise in 如皋 holding a 三级 certificate issued on `issued`: (enterprise, certificate).
pub async fn certified_in_rugao(db: &Db, n: u32, name: &str, issued: time::Date) -> (i64, i64) {
    let rules = ReferenceData::embedded().expect("reference").grading;
    let set = rules.in_force(issued).expect("set");
    let ent = enterprise_in_rugao(db, n, name).await;
    let (cid, _) = issue_three(db, &Actor::new("tester", "cli"), set, ent, issued)
        .await
        .expect("certificate");
    (ent, cid)
}

/// Issues a 三级 certificate on `issued` with the validity the rules give.
async fn issue_three(
    db: &Db,
    actor: &Actor,
    set: &anbiao_domain::rules::GradingRuleSet,
    ent: i64,
    issued: time::Date,
) -> Result<(i64, String), anbiao_store::StoreError> {
    let valid = set.valid_until(issued);
    certificate::issue(
        db,
        actor,
        &anbiao_store::certificate::NewCertificate {
            enterprise_id: ent,
            case_id: None,
            grade: Grade::Three,
            industry: "JX".into(),
            issuer: "南通市应急管理局".into(),
            external: false,
            issued_on: issued,
            valid_until: valid.value,
            rule: valid.rule.to_string(),
            region_abbr: '苏',
            number: None,
        },
    )
    .await
}

/// Entries that score `percent` of the sample sheet (approximately, on its 600 points).
pub fn entries(sheet: &ScoringSheet, percent: i64) -> Vec<(ItemInput, String)> {
    sheet
        .items()
        .map(|(_, i)| {
            let earned = Points(i.points.0 * percent / 100);
            (
                ItemInput {
                    item: i.code.clone(),
                    entry: Entry::Earned(earned),
                    veto_failed: false,
                },
                "现场核查".to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_three_case_from_self_assessment_to_certificate() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        let actor = Actor::new("tester", "form");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let today = anbiao_web::today();
        let ent = enterprise_in_rugao(&db, 11, "如皋定级甲厂").await;
        let city = Scope::City;
        let own = Scope::Enterprise { id: ent };
        let case = cx(&db, &rules, &own, &actor, today)
            .open_case(ent, Grade::Three)
            .await
            .expect("opened");
        // No application before the self-assessment.
        let e = cx(&db, &rules, &city, &actor, today)
            .apply(case)
            .await
            .expect_err("no self-assessment");
        assert!(e.to_string().contains("请先完成并提交自评"), "{e}");
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        // A score above an item's points is refused and nothing is stored.
        let mut bad = entries(&sheet, 100);
        bad[0].0.entry = Entry::Earned(Points(9999));
        let e = cx(&db, &rules, &city, &actor, today)
            .submit_assessment(case, Kind::SelfAssessment, &bad, "自评")
            .await
            .expect_err("above max");
        assert!(e.to_string().contains("超过其分值"), "{e}");
        let out = cx(&db, &rules, &city, &actor, today)
            .submit_assessment(case, Kind::SelfAssessment, &entries(&sheet, 90), "自评报告")
            .await
            .expect("self-assessment");
        assert_eq!(out.score.0, 900);
        assert_eq!(
            cx(&db, &rules, &city, &actor, today)
                .apply(case)
                .await
                .expect("applied"),
            CaseState::Applied
        );
        for (a, p) in [
            (Action::Accept, Party::District),
            (Action::Assign, Party::City),
        ] {
            cx(&db, &rules, &city, &actor, today)
                .act(case, a, p, None)
                .await
                .expect("step");
        }
        let d = cx(&db, &rules, &city, &actor, today)
            .evaluate(case, &entries(&sheet, 85), "评审报告")
            .await
            .expect("evaluated");
        assert_eq!(d.value, GradeResult::Granted(Grade::Three));
        let set = rules.in_force(today).expect("set");
        assert_eq!(
            d.rule.to_string(),
            format!("{}@{}#threshold.three", set.id, set.version)
        );
        cx(&db, &rules, &city, &actor, today)
            .approve(case, Party::City)
            .await
            .expect("approved");
        cx(&db, &rules, &city, &actor, today)
            .act(case, Action::StartNotice, Party::City, None)
            .await
            .expect("notice");
        // Not before the notice has run.
        let e = cx(&db, &rules, &city, &actor, today)
            .announce(case, Party::City)
            .await
            .expect_err("too early");
        assert!(e.to_string().contains("公示期至"), "{e}");
        let later = today + Duration::days(20);
        let (cid, number) = cx(&db, &rules, &city, &actor, later)
            .announce(case, Party::City)
            .await
            .expect("announced");
        assert_eq!(number, format!("苏AQBJXⅢ{}00001", later.year()));
        let c = certificate::get(&db, &city, cid).await.expect("cert");
        assert_eq!(
            c.valid_until,
            anbiao_domain::date::format_date(set.valid_until(later).value)
        );
        assert_eq!(c.issuer, set.authority(Grade::Three).expect("a").value.body);
        let case_row = anbiao_store::grading::get(&db, &city, case)
            .await
            .expect("case");
        assert_eq!(case_row.state(), Some(CaseState::Certified));
        let refused = Filter {
            action: Some("case.refused".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &refused).await.expect("count"), 2);
    })
    .await;
}

#[tokio::test]
async fn accidents_block_and_low_scores_do_not_pass() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        let actor = Actor::new("tester", "form");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let today = anbiao_web::today();
        let city = Scope::City;
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        // A fatal accident three months ago blocks any application under the 2021 rules.
        let ent = enterprise_in_rugao(&db, 12, "如皋事故乙厂").await;
        accident::record(
            &db,
            &city,
            &actor,
            ent,
            &Accident {
                occurred_on: today - Duration::days(90),
                deaths: 1,
                serious_injuries: 0,
                direct_loss_yuan: 1_200_000,
            },
            "机械伤害致1人死亡",
        )
        .await
        .expect("accident");
        let case = cx(&db, &rules, &city, &actor, today)
            .open_case(ent, Grade::Three)
            .await
            .expect("opened");
        cx(&db, &rules, &city, &actor, today)
            .submit_assessment(case, Kind::SelfAssessment, &entries(&sheet, 90), "自评")
            .await
            .expect("self");
        let e = cx(&db, &rules, &city, &actor, today)
            .apply(case)
            .await
            .expect_err("blocked");
        assert!(
            e.to_string().contains("死亡 1 人") && e.to_string().contains("#blocking."),
            "{e}"
        );
        let case_row = anbiao_store::grading::get(&db, &city, case)
            .await
            .expect("case");
        assert_eq!(case_row.state(), Some(CaseState::SelfAssessing));
        // A 二级 application scoring 70: lower level only; approval is refused.
        let ent2 = enterprise_in_rugao(&db, 13, "如皋丙厂").await;
        let case2 = cx(&db, &rules, &city, &actor, today)
            .open_case(ent2, Grade::Two)
            .await
            .expect("opened");
        cx(&db, &rules, &city, &actor, today)
            .submit_assessment(case2, Kind::SelfAssessment, &entries(&sheet, 80), "自评")
            .await
            .expect("self");
        cx(&db, &rules, &city, &actor, today)
            .apply(case2)
            .await
            .expect("applied");
        for (a, p) in [
            (Action::Accept, Party::District),
            (Action::Assign, Party::City),
        ] {
            cx(&db, &rules, &city, &actor, today)
                .act(case2, a, p, None)
                .await
                .expect("step");
        }
        // An evaluation before assignment of another case is refused.
        let e = cx(&db, &rules, &city, &actor, today)
            .evaluate(case, &entries(&sheet, 90), "报告")
            .await
            .expect_err("not evaluating");
        assert!(e.to_string().contains("不能提交评审"), "{e}");
        let d = cx(&db, &rules, &city, &actor, today)
            .evaluate(case2, &entries(&sheet, 70), "评审报告")
            .await
            .expect("evaluated");
        assert_eq!(d.value, GradeResult::Lower(Grade::Three));
        let e = cx(&db, &rules, &city, &actor, today)
            .approve(case2, Party::City)
            .await
            .expect_err("lower");
        assert!(e.to_string().contains("未达到二级"), "{e}");
        // The enterprise may take the lower level.
        let s = cx(&db, &rules, &city, &actor, today)
            .act(case2, Action::AcceptLower, Party::Enterprise, None)
            .await
            .expect("accept lower");
        assert_eq!(s, CaseState::Reviewed);
        let row = anbiao_store::grading::get(&db, &city, case2)
            .await
            .expect("case");
        assert_eq!(row.result_grade.as_deref(), Some("three"));
        // 三级 is the city's: a public notice, not a recommendation upwards.
        let s = cx(&db, &rules, &city, &actor, today)
            .act(case2, Action::StartNotice, Party::City, None)
            .await
            .expect("notice");
        assert_eq!(s, CaseState::Notice);
    })
    .await;
}

#[tokio::test]
async fn the_portal_looks_up_verifies_and_takes_objections() {
    use axum::body::Body;
    use axum::http::{Request, header};
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let rules = ReferenceData::embedded().expect("reference").grading;
        let actor = Actor::new("tester", "form");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let today = anbiao_web::today();
        let city = Scope::City;
        let sheet = standards::get(&db, "sample.gbt33000", 1).await.expect("ran").expect("sheet");
        // Two cases brought to public notice.
        let mut ids = Vec::new();
        for (n, name) in [(21, "公示甲厂"), (22, "公示乙厂")] {
            let ent = enterprise_in_rugao(&db, n, name).await;
            let c = cx(&db, &rules, &city, &actor, today);
            let case = c.open_case(ent, Grade::Three).await.expect("open");
            c.submit_assessment(case, Kind::SelfAssessment, &entries(&sheet, 90), "自评").await.expect("self");
            c.apply(case).await.expect("apply");
            c.act(case, Action::Accept, Party::District, None).await.expect("accept");
            c.act(case, Action::Assign, Party::City, None).await.expect("assign");
            c.evaluate(case, &entries(&sheet, 88), "报告").await.expect("evaluate");
            c.approve(case, Party::City).await.expect("approve");
            c.act(case, Action::StartNotice, Party::City, None).await.expect("notice");
            ids.push(case);
        }
        let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");
        let page = crate::body_text(app.send(get("/portal/notices")).await).await;
        assert!(page.contains("公示甲厂") && page.contains("公示乙厂"), "{page}");
        // An anonymous objection is recorded, audited with the objector and sent to the
        // officers; the notice runs on until the grader answers it.
        let object = |id: i64, body: &str| {
            Request::post(format!("/portal/notices/{id}/objection"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .expect("request")
        };
        let ok = "name=%E5%BC%A0%E4%B8%89&contact=13800000000&reason=%E8%AF%A5%E5%8E%82%E5%AD%98%E5%9C%A8%E9%87%8D%E5%A4%A7%E9%9A%90%E6%82%A3%E6%9C%AA%E6%95%B4%E6%94%B9";
        let res = app.send(object(ids[0], ok)).await;
        assert_eq!(res.status(), 303, "post, redirect, get");
        let to = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert_eq!(to, "/portal/notices?registered=1");
        assert!(crate::body_text(app.send(get(&to)).await).await.contains("异议已登记"));
        // The same objector again while theirs is open: refused as a repeat. Another person's
        // objection is recorded, and the officers are not told twice.
        let res = app.send(object(ids[0], ok)).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("请勿重复提交"));
        let other = "name=%E6%9D%8E%E5%9B%9B&contact=13900000000&reason=%E8%AF%A5%E5%8E%82%E7%81%AD%E7%81%AB%E5%99%A8%E8%BF%87%E6%9C%9F";
        assert_eq!(app.send(object(ids[0], other)).await.status(), 303);
        let objected = anbiao_store::grading::get(&db, &city, ids[0]).await.expect("case");
        assert_eq!(objected.state(), Some(CaseState::Notice));
        let objections = Filter { action: Some("case.object".into()), actor: Some("公众：张三".into()), ..Default::default() };
        assert_eq!(audit_log::count(&db, &objections).await.expect("count"), 1);
        let told = anbiao_store::notify::list(&db, &city, anbiao_store::notify::Audience::Officer, 50)
            .await
            .expect("notifications");
        let told: Vec<_> = told.iter().filter(|n| n.kind == "case.objection").collect();
        assert_eq!(told.len(), 1, "one notification for the round: {told:?}");
        assert_eq!(told[0].link, format!("/cases/{}", ids[0]));
        assert!(told[0].title.contains("公示甲厂") && told[0].body.contains("重大隐患"), "{:?}", told[0]);
        // The officer's page says so and offers the answers, not the announcement.
        let officer = app.session_for("city").await;
        let page = crate::body_text(app.send(officer.get(&format!("/cases/{}", ids[0]))).await).await;
        assert!(page.contains("id=\"open-objections\"") && page.contains("收到 2 件公众异议"), "{page}");
        assert!(page.contains("data-action=\"hold_for_objection\"") && page.contains("data-action=\"decline_objection\""));
        assert!(!page.contains("data-action=\"announce\""));
        // The officers read who objected and why; the enterprise does not.
        let as_city = cx(&db, &rules, &city, &actor, today).case_file(ids[0], Party::City).await.expect("file");
        let ev = as_city.events.iter().find(|e| e.action == "object").expect("objection");
        assert!(ev.actor == "公众：张三" && ev.reason.as_deref().is_some_and(|r| r.contains("13800000000")), "{ev:?}");
        assert_eq!(as_city.open_objections, 2);
        let as_firm = cx(&db, &rules, &city, &actor, today).case_file(ids[0], Party::Enterprise).await.expect("file");
        let ev = as_firm.events.iter().find(|e| e.action == "object").expect("objection");
        assert!(ev.actor == "公众" && !ev.reason.as_deref().unwrap_or_default().contains("张三"), "{ev:?}");
        // With the objection open the case is not announced, even after the notice ran.
        let later = today + Duration::days(20);
        let e = cx(&db, &rules, &city, &actor, later).announce(ids[0], Party::City).await.expect_err("open objection");
        assert!(e.to_string().contains("2 件异议尚未处理"), "{e}");
        // Nobody but the grader takes it up; the grader does, with a reason, and the notice is held.
        for p in [Party::Enterprise, Party::Public] {
            let e = cx(&db, &rules, &city, &actor, today)
                .act(ids[0], Action::HoldForObjection, p, Some("理由"))
                .await
                .expect_err("not the grader");
            assert!(matches!(e, ActionError::Forbidden(_) | ActionError::NotFound), "{p:?}: {e:?}");
        }
        let held = cx(&db, &rules, &city, &actor, today)
            .act(ids[0], Action::HoldForObjection, Party::City, Some("反映问题具体，需现场核实"))
            .await
            .expect("hold");
        assert_eq!(held, CaseState::OnHold);
        // Not in notice any more; too short a reason; an unknown case.
        let res = app.send(object(ids[0], ok)).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("不在公示期"));
        let res = app.send(object(ids[1], "name=x&contact=1&reason=ab")).await;
        assert_eq!(res.status(), 422);
        // A contact that is no telephone number; a reason longer than the form takes: said,
        // not cut, and nothing recorded.
        let res = app.send(object(ids[1], "name=x&contact=abc&reason=%E8%AF%A5%E5%8E%82%E5%AD%98%E5%9C%A8%E9%9A%90%E6%82%A3")).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("联系电话应为手机号码或固定电话"));
        let long = format!("name=x&contact=13800000000&reason={}", "%E9%95%BF".repeat(501));
        let res = app.send(object(ids[1], &long)).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("异议事实和理由不能超过 500 个字"));
        let events = anbiao_store::grading::events(&db, &city, ids[1]).await.expect("events");
        assert!(events.iter().all(|e| e.action != "object"), "nothing recorded");
        assert_eq!(app.send(object(999_999, ok)).await.status(), 404);
        // An objection to the second case is declined with a reason: the notice runs on, and
        // there is nothing left to decline.
        assert_eq!(app.send(object(ids[1], ok)).await.status(), 303);
        let on = cx(&db, &rules, &city, &actor, today)
            .act(ids[1], Action::DeclineObjection, Party::City, Some("反映内容与该企业无关"))
            .await
            .expect("decline");
        assert_eq!(on, CaseState::Notice);
        let e = cx(&db, &rules, &city, &actor, today)
            .act(ids[1], Action::DeclineObjection, Party::City, Some("再次"))
            .await
            .expect_err("nothing open");
        assert!(e.to_string().contains("没有待处理的异议"), "{e}");
        // Nor is a notice held without an objection to take up.
        let e = cx(&db, &rules, &city, &actor, today)
            .act(ids[1], Action::HoldForObjection, Party::City, Some("无异议"))
            .await
            .expect_err("nothing to take up");
        assert!(e.to_string().contains("没有待处理的异议"), "{e}");
        let page = crate::body_text(app.send(get("/portal/notices")).await).await;
        assert!(page.contains("公示乙厂") && !page.contains("公示甲厂"), "{page}");
        // The second case is announced after its notice; the public finds and verifies it.
        let (cid, number) = cx(&db, &rules, &city, &actor, later)
            .announce(ids[1], Party::City)
            .await
            .expect("announce");
        let res = app.send(get(&format!("/portal?q={}", code("320682", 22)))).await;
        let page = crate::body_text(res).await;
        assert!(page.contains(&number) && page.contains("公示乙厂"), "{page}");
        let cert = certificate::get(&db, &city, cid).await.expect("cert");
        let res = app.send(get(&format!("/verify/{}", cert.verify_token))).await;
        assert_eq!(res.status(), 200);
        let page = crate::body_text(res).await;
        // Valid from the announcement date, which lies ahead in this test.
        assert!(page.contains(&number) && page.contains("未到生效日期"), "{page}");
        certificate::revoke(&db, &city, &actor, cid, today, "测试撤销", None).await.expect("revoke");
        let page = crate::body_text(app.send(get(&format!("/verify/{}", cert.verify_token))).await).await;
        assert!(page.contains("已撤销") && page.contains("撤销日期"), "{page}");
        assert_eq!(app.send(get("/verify/not-a-token")).await.status(), 404);
        let page = crate::body_text(app.send(get("/portal/announcements")).await).await;
        assert!(page.contains(&number));
        assert!(page.contains("aria-label=\"分页\"") && page.contains("共 "), "paged: {page}");
        let page =
            crate::body_text(app.send(get("/portal/announcements?page=99&size=20")).await).await;
        assert!(page.contains(&number), "a page past the end shows the last");
        let page = crate::body_text(app.send(get("/portal?q=%3Cscript%3E")).await).await;
        assert!(page.contains("未查到") && !page.contains("<script>"));
    })
    .await;
}

#[tokio::test]
async fn a_case_through_the_pages_by_each_party() {
    use anbiao_store::{account, orgs};
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let actor = Actor::new("tester", "cli");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let ent = enterprise_in_rugao(&db, 31, "页面定级厂").await;
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let kp = crate::add_user(&db, "kaoping", anbiao_domain::Role::Evaluator, None, None).await;
        let org = orgs::create_org(
            &db,
            &actor,
            "江苏标准化评审中心",
            "评审单位",
            time::macros::date!(2099 - 12 - 31),
        )
        .await
        .expect("org");
        let gu = orgs::add_evaluator(
            &db,
            &actor,
            org,
            "顾工",
            "PS-9",
            time::macros::date!(2099 - 12 - 31),
        )
        .await
        .expect("evaluator");
        account::set_org(&db, &actor, kp, Some(org))
            .await
            .expect("linked");
        let qiye = app.session_for("qiye").await;
        let rugao = app.session_for("rugao").await;
        let city = app.session_for("city").await;
        let kaoping = app.session_for("kaoping").await;
        // The enterprise opens a case and lands on its self-assessment form.
        let res = app.send(qiye.form("/cases", &[("grade", "three")])).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let case = anbiao_store::grading::list(&db, &Scope::City, None, 5)
            .await
            .expect("list")[0]
            .id;
        let form = crate::body_text(
            app.send(qiye.get(&format!("/cases/{case}/assessment")))
                .await,
        )
        .await;
        assert!(
            form.contains("企业自评") && form.contains("pts_5.1.1"),
            "form"
        );
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        let mut pairs: Vec<(String, String)> = sheet
            .items()
            .map(|(_, i)| (format!("pts_{}", i.code), i.points.to_string()))
            .collect();
        pairs.push(("report".into(), "自评报告".into()));
        // A score above the points is named and nothing is stored.
        let mut bad = pairs.clone();
        bad[0].1 = "999".into();
        let bad_refs: Vec<(&str, &str)> =
            bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = app
            .send(qiye.form(&format!("/cases/{case}/assessment"), &bad_refs))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("超过其分值"));
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = app
            .send(qiye.form(&format!("/cases/{case}/assessment"), &refs))
            .await;
        assert_eq!(res.status(), 204);
        let act = |s: &crate::Session, action: &str| {
            s.form(&format!("/cases/{case}/act"), &[("action", action)])
        };
        // Not its party's step: the enterprise cannot accept its own application.
        assert_eq!(app.send(act(&qiye, "apply")).await.status(), 204);
        let res = app.send(act(&qiye, "accept")).await;
        assert_eq!(res.status(), 403);
        assert!(
            crate::body_text(res)
                .await
                .contains("应由县（市、区）监管部门办理")
        );
        assert_eq!(app.send(act(&rugao, "accept")).await.status(), 204);
        // The evaluator does not see the case until it is assigned to its organisation.
        assert_eq!(
            app.send(kaoping.get(&format!("/cases/{case}")))
                .await
                .status(),
            404
        );
        let res = app
            .send(city.form(
                &format!("/cases/{case}/assign"),
                &[("org", &org.to_string()), ("team", &gu.to_string())],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let page = crate::body_text(app.send(kaoping.get(&format!("/cases/{case}"))).await).await;
        assert!(
            page.contains("填写评审评分") && page.contains("江苏标准化评审中心"),
            "{page}"
        );
        let mut eval = pairs.clone();
        eval.retain(|(k, _)| k != "report");
        eval.push(("report".into(), "现场评审报告".into()));
        let refs: Vec<(&str, &str)> = eval.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = app
            .send(kaoping.form(&format!("/cases/{case}/assessment"), &refs))
            .await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        assert_eq!(app.send(act(&city, "approve")).await.status(), 204);
        assert_eq!(app.send(act(&city, "start_notice")).await.status(), 204);
        let res = app.send(act(&city, "announce")).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("公示期至"));
        let page = crate::body_text(app.send(city.get(&format!("/cases/{case}"))).await).await;
        assert!(
            page.contains("公示中") && page.contains("threshold.three"),
            "{page}"
        );
        // A foreign district sees nothing of it.
        let rudong = app.session_for("rudong").await;
        assert_eq!(
            app.send(rudong.get(&format!("/cases/{case}")))
                .await
                .status(),
            404
        );
        assert!(
            !crate::body_text(app.send(rudong.get("/cases")).await)
                .await
                .contains("页面定级厂")
        );
    })
    .await;
}

#[tokio::test]
async fn an_accident_proposes_revocation_and_an_officer_confirms_it() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let actor = Actor::new("tester", "cli");
        let rules = ReferenceData::embedded().expect("reference").grading;
        let ent = enterprise_in_rugao(&db, 41, "事故核查厂").await;
        let today = anbiao_web::today();
        let issued = today - Duration::days(400);
        let set = rules.in_force(issued).expect("set");
        issue_three(&db, &actor, set, ent, issued)
            .await
            .expect("certificate");
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let city = app.session_for("city").await;
        let qiye = app.session_for("qiye").await;
        let page = format!("/enterprises/{ent}/standing");
        let record = format!("/enterprises/{ent}/accidents");
        let day = anbiao_domain::date::format_date(today - Duration::days(10));
        // The enterprise sees its standing but does not record accidents.
        assert_eq!(app.send(qiye.get(&page)).await.status(), 200);
        assert_eq!(
            app.send(qiye.form(&record, &[("occurred_on", &day)]))
                .await
                .status(),
            403
        );
        // Bad input is named and nothing is recorded.
        let future = anbiao_domain::date::format_date(today + Duration::days(3));
        for (fields, why) in [
            (
                vec![("occurred_on", future.as_str()), ("description", "x")],
                "不能晚于今天",
            ),
            (
                vec![
                    ("occurred_on", day.as_str()),
                    ("deaths", "-1"),
                    ("description", "x"),
                ],
                "死亡人数",
            ),
            (
                vec![
                    ("occurred_on", day.as_str()),
                    ("direct_loss_wan", "abc"),
                    ("description", "x"),
                ],
                "直接经济损失",
            ),
        ] {
            let res = app.send(city.form(&record, &fields)).await;
            assert_eq!(res.status(), 422, "{why}");
            assert!(crate::body_text(res).await.contains(why), "{why}");
        }
        assert!(
            accident::of_enterprise(&db, &Scope::City, ent)
                .await
                .expect("rows")
                .is_empty()
        );
        let res = app
            .send(city.form(
                &record,
                &[
                    ("occurred_on", &day),
                    ("deaths", "1"),
                    ("direct_loss_wan", "85.5"),
                    ("description", "机械伤害致1人死亡"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let view = crate::body_text(app.send(city.get(&page)).await).await;
        let rule_set = rules.in_force(today - Duration::days(10)).expect("set");
        let expected_rule = format!("{}@{}#revocation.", rule_set.id, rule_set.version);
        assert!(
            view.contains("建议") && view.contains(&expected_rule),
            "{view}"
        );
        let cert = certificate::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("certs")[0]
            .clone();
        let revoke = format!("/certificates/{}/revoke", cert.id);
        let rugao_no = app.session_for("rudong").await;
        assert_eq!(
            app.send(rugao_no.form(&revoke, &[("reason", "x")]))
                .await
                .status(),
            404
        );
        let res = app.send(city.form(&revoke, &[("reason", " ")])).await;
        assert_eq!(res.status(), 422);
        // The date is checked against today and the certificate's own dates.
        let tomorrow = anbiao_domain::date::format_date(today + time::Duration::days(1));
        for (on, why) in [
            (tomorrow.as_str(), "撤销日期不能晚于今天"),
            ("2001-01-01", "撤销日期不能早于证书生效日期"),
            ("2019-02-30", "不是有效日期"),
        ] {
            let res = app
                .send(city.form(&revoke, &[("reason", "发生死亡事故"), ("on", on)]))
                .await;
            assert_eq!(res.status(), 422, "{on}");
            assert!(crate::body_text(res).await.contains(why), "{on}");
        }
        let res = app
            .send(city.form(
                &revoke,
                &[
                    ("reason", "发生死亡事故，经核查撤销"),
                    ("rule", &format!("{expected_rule}x")),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let c = certificate::get(&db, &Scope::City, cert.id)
            .await
            .expect("cert");
        assert_eq!(
            c.status_on(today),
            anbiao_domain::certificate::CertificateStatus::Revoked
        );
        let view = crate::body_text(app.send(city.get(&page)).await).await;
        assert!(view.contains("已撤销") && view.contains("发生死亡事故"));
    })
    .await;
}

#[tokio::test]
async fn a_level_two_is_recommended_and_the_province_decision_recorded() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        let actor = Actor::new("tester", "form");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let today = anbiao_web::today();
        let city = Scope::City;
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        let ent = enterprise_in_rugao(&db, 51, "二级推荐厂").await;
        let c = cx(&db, &rules, &city, &actor, today);
        let case = c.open_case(ent, Grade::Two).await.expect("open");
        c.submit_assessment(case, Kind::SelfAssessment, &entries(&sheet, 90), "自评")
            .await
            .expect("self");
        c.apply(case).await.expect("apply");
        c.act(case, Action::Accept, Party::District, None)
            .await
            .expect("accept");
        c.act(case, Action::Assign, Party::City, None)
            .await
            .expect("assign");
        assert_eq!(
            c.evaluate(case, &entries(&sheet, 85), "报告")
                .await
                .expect("evaluate")
                .value,
            GradeResult::Granted(Grade::Two)
        );
        c.approve(case, Party::City).await.expect("approve");
        // 二级 is not the city's to publish: it recommends upwards.
        assert!(
            c.act(case, Action::StartNotice, Party::City, None)
                .await
                .is_err()
        );
        assert_eq!(
            c.act(case, Action::Recommend, Party::City, None)
                .await
                .expect("recommend"),
            CaseState::Recommended
        );
        let year = today.year();
        for (doc, number, why) in [
            ("", format!("苏AQBJXII{year}00007"), "文号"),
            (
                "苏应急〔2026〕9号",
                format!("苏AQBJXIII{year}00007"),
                "不符",
            ),
            ("苏应急〔2026〕9号", "AQB123".to_string(), "证书编号应为"),
        ] {
            let e = c
                .record_external(case, doc, &number, today)
                .await
                .expect_err(why);
            assert!(e.to_string().contains(why), "{e}");
        }
        let (cid, number) = c
            .record_external(
                case,
                "苏应急〔2026〕9号",
                &format!("苏AQBJXII{year}00007"),
                today,
            )
            .await
            .expect("recorded");
        assert_eq!(number, format!("苏AQBJXⅡ{year}00007"));
        let cert = certificate::get(&db, &city, cid).await.expect("cert");
        assert!(cert.external);
        assert_eq!(
            cert.issuer,
            rules
                .in_force(today)
                .expect("set")
                .authority(Grade::Two)
                .expect("a")
                .value
                .body
        );
        let row = anbiao_store::grading::get(&db, &city, case)
            .await
            .expect("case");
        assert_eq!(row.state(), Some(CaseState::ExternallyCertified));
    })
    .await;
}

#[tokio::test]
async fn cases_and_certificates_through_the_api() {
    use anbiao_domain::Permission;
    use anbiao_store::token::{self, NewToken};
    use axum::body::Body;
    use axum::http::{Request, header};
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let actor = Actor::new("tester", "cli");
        let rules = ReferenceData::embedded().expect("reference").grading;
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let today = anbiao_web::today();
        let ent = enterprise_in_rugao(&db, 61, "接口定级厂").await;
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        let c = cx(&db, &rules, &Scope::City, &actor, today);
        let case = c.open_case(ent, Grade::Three).await.expect("open");
        c.submit_assessment(case, Kind::SelfAssessment, &entries(&sheet, 90), "自评")
            .await
            .expect("self");
        c.apply(case).await.expect("apply");
        let rugao = app.login("rugao").await;
        let res = app.send(rugao.get("/api/v1/cases?state=applied")).await;
        let list = crate::body_json(res).await;
        assert_eq!(list[0]["id"], case);
        let res = app.send(rugao.get("/api/v1/cases?state=nonsense")).await;
        assert_eq!(res.status(), 400);
        let step = |action: &str| serde_json::json!({ "action": action });
        let res = app
            .send(rugao.json(
                "POST",
                &format!("/api/v1/cases/{case}/steps"),
                step("announce"),
            ))
            .await;
        // 三级 is announced by the city: the district is refused before the state is looked at.
        assert_eq!(res.status(), 403);
        assert!(
            crate::body_json(res).await["message"]
                .as_str()
                .is_some_and(|m| m.contains("应由市局办理"))
        );
        let res = app
            .send(rugao.json(
                "POST",
                &format!("/api/v1/cases/{case}/steps"),
                step("accept"),
            ))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(crate::body_json(res).await["state"], "accepted");
        let detail =
            crate::body_json(app.send(rugao.get(&format!("/api/v1/cases/{case}"))).await).await;
        assert_eq!(detail["events"].as_array().map(Vec::len), Some(2));
        assert!(
            detail["events"][0]["rule"]
                .as_str()
                .is_some_and(|r| r.contains("#admission"))
        );
        // A partner token limited to certificates sees grades and validity, not the registry.
        let issued = today - Duration::days(30);
        let set = rules.in_force(issued).expect("set");
        issue_three(&db, &actor, set, ent, issued)
            .await
            .expect("certificate");
        let bank = crate::add_user(&db, "bank", anbiao_domain::Role::Partner, None, None).await;
        let (_, secret) = token::issue(
            &db,
            &actor,
            &NewToken {
                user_id: bank,
                name: "证书共享".into(),
                read_only: true,
                permissions: vec![Permission::ViewCertificates],
                region_code: None,
                days: 30,
            },
        )
        .await
        .expect("token");
        let bearer = |uri: &str| {
            Request::get(uri)
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .body(Body::empty())
                .expect("request")
        };
        let res = app
            .send(bearer(&format!("/api/v1/certificates?enterprise_id={ent}")))
            .await;
        assert_eq!(res.status(), 200);
        let certs = crate::body_json(res).await;
        assert_eq!(certs[0]["status"], "valid");
        assert_eq!(certs[0]["grade"], "three");
        assert_eq!(app.send(bearer("/api/v1/enterprises")).await.status(), 403);
        assert_eq!(app.send(bearer("/api/v1/cases")).await.status(), 403);
        assert_eq!(app.send(bearer("/api/v1/certificates")).await.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn annual_self_assessments_are_owed_each_year_and_flagged_when_missing() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let actor = Actor::new("tester", "cli");
        let rules = ReferenceData::embedded().expect("reference").grading;
        let ent = enterprise_in_rugao(&db, 71, "年度自评厂").await;
        let today = anbiao_web::today();
        let issued = today - Duration::days(400);
        let set = rules.in_force(issued).expect("set");
        let (cid, _) = issue_three(&db, &actor, set, ent, issued)
            .await
            .expect("certificate");
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let qiye = app.session_for("qiye").await;
        let rugao = app.session_for("rugao").await;
        let rudong = app.session_for("rudong").await;
        let standing = format!("/enterprises/{ent}/standing");
        let page = crate::body_text(app.send(qiye.get(&standing)).await).await;
        assert!(
            page.contains("第1年缺失") && page.contains("提交年度自评"),
            "{page}"
        );
        let missing =
            crate::body_text(app.send(rugao.get("/certificates/annual-missing")).await).await;
        assert!(
            missing.contains("年度自评厂") && missing.contains("第1年"),
            "{missing}"
        );
        assert!(
            !crate::body_text(app.send(rudong.get("/certificates/annual-missing")).await)
                .await
                .contains("年度自评厂")
        );
        let submit = format!("/certificates/{cid}/annual");
        let report = "本年度按评分细则逐项自评，整改问题3项。";
        // Another party is refused before its input is read.
        let res = app
            .send(rugao.form(
                &submit,
                &[("year", "1"), ("score", "88"), ("report", report)],
            ))
            .await;
        assert_eq!(res.status(), 403);
        assert!(crate::body_text(res).await.contains("由企业本身提交"));
        for (who, fields, why) in [
            (
                &qiye,
                vec![("year", "1"), ("score", "120"), ("report", report)],
                "0 至 100",
            ),
            (
                &qiye,
                vec![("year", "5"), ("score", "88"), ("report", report)],
                "尚不能提交",
            ),
            (
                &qiye,
                vec![("year", "1"), ("score", "88"), ("report", "短")],
                "至少10个字",
            ),
        ] {
            let res = app.send(who.form(&submit, &fields)).await;
            assert_eq!(res.status(), 422, "{why}");
            assert!(crate::body_text(res).await.contains(why), "{why}");
        }
        let ok = [("year", "1"), ("score", "88.5"), ("report", report)];
        assert_eq!(app.send(qiye.form(&submit, &ok)).await.status(), 204);
        let res = app.send(qiye.form(&submit, &ok)).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("已提交"));
        let page = crate::body_text(app.send(qiye.get(&standing)).await).await;
        assert!(page.contains("第1年已提交（88.5 分）"), "{page}");
        let missing =
            crate::body_text(app.send(rugao.get("/certificates/annual-missing")).await).await;
        assert!(!missing.contains("年度自评厂"));
    })
    .await;
}

#[tokio::test]
async fn the_city_keeps_the_organisation_registry_and_the_security_admin_links_accounts() {
    use anbiao_store::{account, orgs};
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        enterprise_in_rugao(&db, 81, "受辅导厂").await;
        let kp = crate::add_user(&db, "kaoping", anbiao_domain::Role::Evaluator, None, None).await;
        crate::add_user(
            &db,
            "secadmin",
            anbiao_domain::Role::SecurityAdmin,
            None,
            None,
        )
        .await;
        let city = app.session_for("city").await;
        let res = app
            .send(city.form(
                "/orgs",
                &[
                    ("name", "南通评审所"),
                    ("qualification", "评审单位"),
                    ("qualified_until", "2030-12-31"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let res = app
            .send(city.form(
                "/orgs",
                &[
                    ("name", "南通评审所"),
                    ("qualification", "评审单位"),
                    ("qualified_until", "2030-12-31"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422, "a second registration of the same name");
        let res = app
            .send(city.form(
                "/orgs",
                &[
                    ("name", "坏日期所"),
                    ("qualification", "x"),
                    ("qualified_until", "明年"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        let org = orgs::list_orgs(&db).await.expect("orgs")[0].id;
        let res = app
            .send(city.form(
                &format!("/orgs/{org}/evaluators"),
                &[
                    ("name", "顾工"),
                    ("certificate_no", "PS-77"),
                    ("qualified_until", "2030-12-31"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let res = app
            .send(city.form(
                &format!("/orgs/{org}/coaching"),
                &[
                    ("credit_code", "91320682MA0000000X"),
                    ("from", "2018-01-01"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("未登记"));
        let res = app
            .send(city.form(
                &format!("/orgs/{org}/coaching"),
                &[
                    ("credit_code", &code("320682", 81)),
                    ("from", "2018-01-01"),
                    ("note", "制度辅导"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let page = crate::body_text(app.send(city.get("/orgs")).await).await;
        assert!(
            page.contains("南通评审所") && page.contains("顾工（PS-77"),
            "{page}"
        );
        // The security administrator links the evaluator account; a city account cannot be linked.
        let sec = app.session_for("secadmin").await;
        let res = app
            .send(sec.form(
                &format!("/admin/grants/{kp}/org"),
                &[("org", &org.to_string())],
            ))
            .await;
        assert_eq!(res.status(), 204);
        assert_eq!(
            account::by_id(&db, kp)
                .await
                .expect("ran")
                .expect("user")
                .org_id,
            Some(org)
        );
        let city_id = account::by_username(&db, "city")
            .await
            .expect("ran")
            .expect("city")
            .id;
        let res = app
            .send(sec.form(
                &format!("/admin/grants/{city_id}/org"),
                &[("org", &org.to_string())],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(
            crate::body_text(res)
                .await
                .contains("只有评审单位和考评员账户")
        );
    })
    .await;
}

#[tokio::test]
async fn the_city_loads_an_official_sheet_from_a_spreadsheet() {
    use axum::body::Body;
    use axum::http::{Request, header};
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let city = app.session_for("city").await;
        let multipart = |fields: &[(&str, &str)], file: &str| {
            let boundary = "----anbiaosheetboundary";
            let mut body = String::new();
            for (k, v) in fields {
                body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
            }
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"细则.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
            ));
            Request::post("/sheets")
                .header(header::COOKIE, &city.cookie)
                .header("x-csrf-token", &city.csrf)
                .header("hx-request", "true")
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(Body::from(body))
                .expect("request")
        };
        let meta = [
            ("id", "jx.2011"), ("version", "1"), ("title", "机械行业评定标准"), ("standard", "GB/T 33000-2016"),
            ("industry", "JX"), ("effective_from", "2011-06-09"), ("source", "安监总管四〔2011〕"), ("grades", "two"), ("grades", "three"),
        ];
        let good = "考评类目,考评内容,分值,否决项\n目标职责,制定目标,10,\n隐患排查,重大隐患按期整改,20,是\n";
        let res = app.send(multipart(&meta, "考评类目,考评内容,分值\n目标,制定目标,十分\n")).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("第2行分值"));
        let res = app.send(multipart(&meta, good)).await;
        assert_eq!(res.status(), 204, "{}", crate::body_text(res).await);
        let sheet = standards::get(&db, "jx.2011", 1).await.expect("ran").expect("stored");
        assert_eq!(sheet.grades, [Grade::Two, Grade::Three]);
        assert!(!sheet.sample && sheet.categories[1].items[0].veto);
        // The same version with other content is refused.
        let res = app.send(multipart(&meta, "考评类目,考评内容,分值\n目标职责,制定目标,12\n")).await;
        assert_eq!(res.status(), 422);
        assert!(crate::body_text(res).await.contains("新的版本号"));
        let page = crate::body_text(app.send(city.get("/sheets")).await).await;
        assert!(page.contains("jx.2011@1") && page.contains("机械行业评定标准"));
        // Only the city loads sheets.
        let rugao = app.session_for("rugao").await;
        assert_eq!(app.send(rugao.get("/sheets")).await.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn certificate_pdf_prints_for_its_enterprise_with_the_verification_link() {
    each_backend(|db| async move {
        let config = anbiao_web::WebConfig {
            public_url: Some("https://anbiao.nantong.example/".into()),
            ..Default::default()
        };
        let app = crate::TestApp::with_config(db.clone(), config).await;
        let (ent, cid) = certified_in_rugao(
            &db,
            81,
            "证书打印厂",
            anbiao_web::today() - Duration::days(30),
        )
        .await;
        let token = certificate::get(&db, &Scope::City, cid)
            .await
            .expect("stored")
            .verify_token;
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let pdf = format!("/certificates/{cid}/pdf");
        for who in ["qiye", "rugao", "city"] {
            let s = app.session_for(who).await;
            let res = app.send(s.get(&pdf)).await;
            assert_eq!(res.status(), 200, "{who}");
            assert_eq!(res.headers()["content-type"], "application/pdf");
            let disposition = res.headers()["content-disposition"]
                .to_str()
                .expect("ascii");
            assert!(disposition.contains(".pdf"), "{disposition}");
            let bytes = crate::body_bytes(res).await;
            assert!(bytes.starts_with(b"%PDF-"));
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.contains(&format!(
                    "/URI(https://anbiao.nantong.example/verify/{token})"
                )),
                "QR link to the public verification page"
            );
            assert!(text.contains("/FontFile2") || text.contains("/FontFile3"));
        }
        // Another district does not see the certificate at all.
        let rudong = app.session_for("rudong").await;
        assert_eq!(app.send(rudong.get(&pdf)).await.status(), 404);
        // The link the QR code carries opens the public page, which says the certificate is valid.
        let public = crate::body_text(
            app.send(
                axum::http::Request::get(format!("/verify/{token}"))
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await,
        )
        .await;
        assert!(
            public.contains("证书打印厂") && public.contains("有效"),
            "{public}"
        );
    })
    .await;
}

#[tokio::test]
async fn certificate_pdf_without_a_font_says_what_to_install() {
    each_backend(|db| async move {
        let config = anbiao_web::WebConfig {
            cjk_font: Some("/nonexistent/font.ttc".into()),
            ..Default::default()
        };
        let app = crate::TestApp::with_config(db.clone(), config).await;
        let (_, cid) = certified_in_rugao(
            &db,
            82,
            "无字体厂",
            anbiao_web::today() - Duration::days(30),
        )
        .await;
        let city = app.session_for("city").await;
        let res = app
            .send(city.get(&format!("/certificates/{cid}/pdf")))
            .await;
        assert_eq!(res.status(), 503);
        let page = crate::body_text(res).await;
        assert!(
            page.contains("证书 PDF 暂不可用") && page.contains("/nonexistent/font.ttc"),
            "{page}"
        );
        // Without a public address there is nothing to put in the QR code but what the
        // client wrote as Host: the certificate is not printed.
        let app = crate::TestApp {
            router: anbiao_web::app(anbiao_web::AppState::new(
                db.clone(),
                anbiao_domain::ReferenceData::embedded().expect("reference"),
                anbiao_web::WebConfig::default(),
            )),
            db: db.clone(),
        };
        let res = app
            .send(city.get(&format!("/certificates/{cid}/pdf")))
            .await;
        assert_eq!(res.status(), 503);
        assert!(crate::body_text(res).await.contains("--public-url"));
    })
    .await;
}

#[tokio::test]
async fn notifications_page_shows_the_jobs_reminders_to_whom_they_concern() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let rules = ReferenceData::embedded().expect("reference").grading;
        let today = anbiao_web::today();
        let (ent, _) =
            certified_in_rugao(&db, 83, "到期提醒厂", today - Duration::days(3 * 365 + 5)).await;
        let report = anbiao_store::jobs::run_daily(&db, &rules, today, "test")
            .await
            .expect("job");
        assert_eq!(report.expired, 1);
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let qiye = app.session_for("qiye").await;
        let rugao = app.session_for("rugao").await;
        let rudong = app.session_for("rudong").await;
        let page = crate::body_text(app.send(qiye.get("/notifications")).await).await;
        assert!(
            page.contains("标准化证书已期满")
                && page.contains("到期提醒厂")
                && page.contains("未读 1 条"),
            "{page}"
        );
        let page = crate::body_text(app.send(rudong.get("/notifications")).await).await;
        assert!(
            page.contains("暂无提醒") && !page.contains("到期提醒厂"),
            "{page}"
        );
        let officer = anbiao_store::notify::list(
            &db,
            &Scope::City,
            anbiao_store::notify::Audience::Officer,
            10,
        )
        .await
        .expect("list");
        let read = format!("/notifications/{}/read", officer[0].id);
        assert_eq!(app.send(rudong.form(&read, &[])).await.status(), 404);
        assert_eq!(
            app.send(qiye.form(&read, &[])).await.status(),
            404,
            "the officers' copy"
        );
        assert_eq!(app.send(rugao.form(&read, &[])).await.status(), 204);
        let page = crate::body_text(app.send(rugao.get("/notifications")).await).await;
        assert!(
            page.contains("未读 0 条") && page.contains("已阅"),
            "{page}"
        );
    })
    .await;
}

#[tokio::test]
async fn quality_page_flags_alike_self_assessments_and_busy_evaluators_within_scope() {
    each_backend(|db| async move {
        let app = crate::TestApp::new(db.clone()).await;
        let rules = ReferenceData::embedded().expect("reference").grading;
        let actor = Actor::new("tester", "form");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        let org = anbiao_store::orgs::create_org(
            &db,
            &actor,
            "某某安全咨询评审中心",
            "评审单位",
            time::macros::date!(2099 - 12 - 31),
        )
        .await
        .expect("org");
        let gu = anbiao_store::orgs::add_evaluator(
            &db,
            &actor,
            org,
            "顾考评",
            "PS-77",
            time::macros::date!(2099 - 12 - 31),
        )
        .await
        .expect("evaluator");
        let template = "本企业按照评分细则逐项开展自评：建立安全生产责任制，主要负责人签订目标责任书；\
            制定年度安全投入计划并足额提取安全费用；开展全员安全培训，特种作业人员持证上岗；\
            落实有限空间、动火、高处作业审批制度；隐患排查治理台账完整，发现问题十二项已全部整改。";
        let city = Scope::City;
        let start = anbiao_web::today() - Duration::days(20);
        for i in 0..6u32 {
            let name = format!("质量监测{}厂", ["甲", "乙", "丙", "丁", "戊", "己"][i as usize]);
            let ent = enterprise_in_rugao(&db, 90 + i, &name).await;
            let report = match i {
                0 => template.to_string(),
                1 => template.replace("十二项", "十一项"),
                _ => format!("{name}第{i}次自评：各要素对照检查，整改问题{}项，另行附表说明。", i + 3),
            };
            let on = start + Duration::days(i64::from(i));
            let c = cx(&db, &rules, &city, &actor, on);
            let case = c.open_case(ent, Grade::Three).await.expect("case");
            c.submit_assessment(case, Kind::SelfAssessment, &entries(&sheet, 90), &report)
                .await
                .expect("self");
            c.apply(case).await.expect("apply");
            c.act(case, Action::Accept, Party::District, None)
                .await
                .expect("accept");
            c.assign(case, Party::City, org, &[gu]).await.expect("assign");
            c.evaluate(case, &entries(&sheet, 85), "现场评审报告")
                .await
                .expect("evaluate");
        }
        // Later audits: 甲 scores far below its evaluation, 乙 close to it.
        for (n, score) in [(90u32, 600i64), (91, 800)] {
            let ent = enterprise::id_by_credit_code(&db, &code("320682", n))
                .await
                .expect("ran")
                .expect("enterprise");
            anbiao_store::audits::record(
                &db,
                &city,
                &actor,
                &anbiao_store::audits::NewAudit {
                    enterprise_id: ent,
                    certificate_id: None,
                    grade: "three",
                    performed_on: anbiao_web::today(),
                    score: Some(score),
                    outcome: anbiao_store::audits::Outcome::Good,
                    class: None,
                    findings: "回头看检查",
                    rectify_by: None,
                    tree: None,
                    checklist: &[],
                    rule: None,
                    revoke: false,
                },
            )
            .await
            .expect("audit");
        }
        let rugao = app.session_for("rugao").await;
        let page = crate::body_text(app.send(rugao.get("/quality")).await).await;
        let gaps = page.split("id=\"gaps\"").nth(1).expect("gaps table");
        assert!(gaps.contains("质量监测甲厂") && !gaps.contains("质量监测乙厂"), "{gaps}");
        let alike = page.split("id=\"alike\"").nth(1).expect("table");
        assert!(
            alike.contains("质量监测甲厂") && alike.contains("质量监测乙厂") && !alike.contains("质量监测丙厂"),
            "{page}"
        );
        let busy = page.split("id=\"busy\"").nth(1).expect("table");
        assert!(busy.contains("顾考评") && busy.contains(">6<"), "{busy}");
        // The rule in words, linked to its page; the identifier stays in the link's title.
        assert!(
            page.contains("href=\"/rules/quality@1\"")
                && page.contains("《评审质量监测规则》")
                && page.contains("title=\"quality@1#similar_text\""),
            "{page}"
        );
        let rudong = app.session_for("rudong").await;
        let page = crate::body_text(app.send(rudong.get("/quality")).await).await;
        assert!(
            page.contains("未发现高度相似的自评报告") && page.contains("未发现工作量异常的考评员"),
            "{page}"
        );
        assert!(!page.contains("质量监测甲厂"));
        crate::add_user(
            &db,
            "qiye",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(enterprise_in_rugao(&db, 99, "质量监测企业账户厂").await),
        )
        .await;
        let qiye = app.session_for("qiye").await;
        assert_eq!(app.send(qiye.get("/quality")).await.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_small_micro_certificate_names_its_district_authority() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        let actor = Actor::new("tester", "form");
        for s in shipped().expect("sheets").1 {
            standards::save(&db, &actor, &s).await.expect("sheet");
        }
        let r = ReferenceData::embedded().expect("reference");
        let draft = EnterpriseDraft {
            credit_code: Some(code("320682", 120)),
            name: Some("如皋小微五金厂".into()),
            region: Some("320682".into()),
            industry: Some("JX".into()),
            annual_sales_wan: Some("300".into()),
            employees: Some("12".into()),
            ..Default::default()
        }
        .validate(&r, anbiao_web::today(), OverridePolicy::Allowed)
        .expect("valid");
        let ent = enterprise::create(&db, &Scope::City, &actor, &draft)
            .await
            .expect("enterprise");
        let today = anbiao_web::today();
        let city = Scope::City;
        let c = cx(&db, &rules, &city, &actor, today);
        let case = c.open_case(ent, Grade::SmallMicro).await.expect("case");
        let case_row = anbiao_store::grading::get(&db, &city, case)
            .await
            .expect("case");
        let sheet = standards::get(&db, &case_row.sheet_id, case_row.sheet_version as u32)
            .await
            .expect("ran")
            .expect("sheet");
        c.submit_assessment(
            case,
            Kind::SelfAssessment,
            &entries(&sheet, 90),
            "小微企业自评",
        )
        .await
        .expect("self");
        c.apply(case).await.expect("apply");
        for (a, p) in [
            (Action::Accept, Party::District),
            (Action::Assign, Party::District),
        ] {
            c.act(case, a, p, None).await.expect("step");
        }
        c.evaluate(case, &entries(&sheet, 85), "现场核查")
            .await
            .expect("evaluated");
        c.approve(case, Party::District).await.expect("approved");
        c.act(case, Action::StartNotice, Party::District, None)
            .await
            .expect("notice");
        let (cid, number) = cx(&db, &rules, &city, &actor, today + Duration::days(20))
            .announce(case, Party::District)
            .await
            .expect("announced");
        let cert = certificate::get(&db, &city, cid).await.expect("cert");
        assert_eq!(cert.issuer, "如皋市应急管理局", "{number}");
    })
    .await;
}

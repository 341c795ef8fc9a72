//! Grading cases: sheets loaded once per version, the life cycle through the store, refusals
//! that change nothing, scope, and two concurrent transitions of which one wins.

use anbiao_domain::lifecycle::{Action, CaseState, Party};
use anbiao_domain::rules::AuthorityLevel;
use anbiao_domain::standard::shipped;
use anbiao_domain::{Grade, Scope};
use anbiao_store::audit_log::{self, Filter};
use anbiao_store::grading::{self, NewCase, Step};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, StoreError, enterprise, standards};
use time::macros::date;

use crate::account::admin;
use crate::{code, input};

async fn setup(db: &Db) -> (i64, i64) {
    let (_, sheets) = shipped().expect("sheets");
    for s in &sheets {
        assert!(standards::save(db, &admin(), s).await.expect("saved"));
    }
    let ent = enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(
            &code("320682", 7),
            "如皋定级测试厂",
            "320682",
            "JX",
            "3000",
            "40",
        ),
    )
    .await
    .expect("enterprise");
    let case = grading::open(
        db,
        &Scope::Enterprise { id: ent },
        &admin(),
        &NewCase {
            enterprise_id: ent,
            grade: Grade::Three,
            opened_on: date!(2018 - 09 - 01),
            rule_set: "grading.2014@1".into(),
            sheet_id: "sample.gbt33000".into(),
            sheet_version: 1,
        },
    )
    .await
    .expect("case");
    (ent, case)
}

fn step(action: Action, party: Party) -> Step<'static> {
    Step {
        action,
        party,
        grading: AuthorityLevel::City,
        reason: Some("符合要求"),
        rule: None,
        result_grade: None,
        expected_version: None,
    }
}

#[tokio::test]
async fn sheets_are_written_once_per_version() {
    each_backend(|db| async move {
        let (_, sheets) = shipped().expect("sheets");
        for s in &sheets {
            assert!(standards::save(&db, &admin(), s).await.expect("saved"));
            assert!(!standards::save(&db, &admin(), s).await.expect("same again"));
        }
        let mut changed = sheets[0].clone();
        changed.title.push_str("（改）");
        let e = standards::save(&db, &admin(), &changed)
            .await
            .expect_err("conflict");
        assert!(matches!(e, StoreError::Conflict(_)));
        changed.version = 2;
        assert!(
            standards::save(&db, &admin(), &changed)
                .await
                .expect("new version")
        );
        let back = standards::get(&db, &changed.id, 2)
            .await
            .expect("ran")
            .expect("stored");
        assert_eq!(back, changed);
        assert_eq!(
            standards::get(&db, &changed.id, 1)
                .await
                .expect("ran")
                .expect("v1"),
            sheets[0]
        );
        assert_eq!(
            standards::list(&db).await.expect("list").len(),
            sheets.len() + 1
        );
    })
    .await;
}

#[tokio::test]
async fn a_case_runs_its_life_cycle_and_refusals_change_nothing() {
    each_backend(|db| async move {
        let (ent, id) = setup(&db).await;
        let me = Scope::Enterprise { id: ent };
        // One open case per enterprise.
        let again = grading::open(
            &db,
            &me,
            &admin(),
            &NewCase {
                enterprise_id: ent,
                grade: Grade::Two,
                opened_on: date!(2018 - 09 - 02),
                rule_set: "grading.2014@1".into(),
                sheet_id: "sample.gbt33000".into(),
                sheet_version: 1,
            },
        )
        .await
        .expect_err("one open case");
        assert!(matches!(again, StoreError::Conflict(_)));
        // Out of order: refused, nothing written but the audit entry.
        let e = grading::transition(
            &db,
            &Scope::City,
            &admin(),
            id,
            &step(Action::Announce, Party::City),
        )
        .await
        .expect_err("out of order");
        assert_eq!(e.to_string(), "案件当前状态为“自评中”，不能“公告并发证”");
        let case = grading::get(&db, &Scope::City, id).await.expect("case");
        assert_eq!((case.state.as_str(), case.version), ("self_assessing", 1));
        assert!(
            grading::events(&db, &Scope::City, id)
                .await
                .expect("events")
                .is_empty()
        );
        let refused = Filter {
            action: Some("case.refused".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &refused).await.expect("count"), 1);
        // Another district does not see the case.
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert!(matches!(
            grading::get(&db, &rudong, id).await,
            Err(StoreError::NotFound)
        ));
        // The whole path.
        for (a, p) in [
            (Action::Apply, Party::Enterprise),
            (Action::Accept, Party::District),
            (Action::Assign, Party::City),
            (Action::SubmitEvaluation, Party::Evaluator),
            (Action::Approve, Party::City),
            (Action::StartNotice, Party::City),
            (Action::Announce, Party::City),
        ] {
            let mut s = step(a, p);
            if a == Action::Approve {
                s.rule = Some("grading.2014@1#threshold.three".into());
                s.result_grade = Some(Grade::Three);
            }
            grading::transition(&db, &Scope::City, &admin(), id, &s)
                .await
                .unwrap_or_else(|e| panic!("{a:?}: {e}"));
        }
        let case = grading::get(&db, &me, id).await.expect("case");
        assert_eq!(case.state(), Some(CaseState::Certified));
        assert_eq!(case.result_grade.as_deref(), Some("three"));
        let events = grading::events(&db, &me, id).await.expect("events");
        assert_eq!(events.len(), 7);
        assert_eq!(
            events[4].rule.as_deref(),
            Some("grading.2014@1#threshold.three")
        );
        assert_eq!(
            (events[0].from_state.as_str(), events[0].to_state.as_str()),
            ("self_assessing", "applied")
        );
        assert_eq!(
            grading::list(&db, &Scope::City, Some(CaseState::Certified), 10)
                .await
                .expect("list")
                .len(),
            1
        );
        assert_eq!(
            audit_log::verify(&db, None).await.expect("verify").broken,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn of_two_concurrent_transitions_one_wins() {
    each_backend(|db| async move {
        let (_, id) = setup(&db).await;
        grading::transition(
            &db,
            &Scope::City,
            &admin(),
            id,
            &step(Action::Apply, Party::Enterprise),
        )
        .await
        .expect("applied");
        let v = grading::get(&db, &Scope::City, id)
            .await
            .expect("case")
            .version;
        let (a, b) = tokio::join!(
            async {
                let mut s = step(Action::Accept, Party::District);
                s.expected_version = Some(v);
                grading::transition(&db, &Scope::City, &admin(), id, &s).await
            },
            async {
                let mut s = step(Action::Return, Party::District);
                s.expected_version = Some(v);
                grading::transition(&db, &Scope::City, &admin(), id, &s).await
            }
        );
        assert_eq!(
            [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(),
            1,
            "{a:?} {b:?}"
        );
        let events = grading::events(&db, &Scope::City, id)
            .await
            .expect("events");
        assert_eq!(events.len(), 2);
        let case = grading::get(&db, &Scope::City, id).await.expect("case");
        assert_eq!(case.version, v + 1);
    })
    .await;
}

#[tokio::test]
async fn announcing_issues_a_numbered_certificate_that_supersedes_the_old_one() {
    use anbiao_domain::certificate::CertificateStatus;
    use anbiao_store::certificate::{self, NewCertificate};
    each_backend(|db| async move {
        let (ent, id) = setup(&db).await;
        for (a, p) in [
            (Action::Apply, Party::Enterprise),
            (Action::Accept, Party::District),
            (Action::Assign, Party::City),
            (Action::SubmitEvaluation, Party::Evaluator),
            (Action::Approve, Party::City),
            (Action::StartNotice, Party::City),
        ] {
            grading::transition(&db, &Scope::City, &admin(), id, &step(a, p))
                .await
                .expect("step");
        }
        // An older certificate, issued by hand, is superseded by the announcement's.
        let base = NewCertificate {
            enterprise_id: ent,
            case_id: None,
            grade: Grade::Three,
            industry: "JX".into(),
            issuer: "南通市安全生产监督管理局".into(),
            external: false,
            issued_on: date!(2016 - 01 - 10),
            valid_until: date!(2019 - 01 - 09),
            rule: "grading.2014@1#validity".into(),
            region_abbr: '苏',
            number: None,
        };
        let (old_id, old_no) = certificate::issue(&db, &admin(), &base).await.expect("old");
        assert_eq!(old_no, "苏AQBJXⅢ201600001");
        let new = NewCertificate {
            case_id: Some(id),
            issued_on: date!(2018 - 12 - 20),
            valid_until: date!(2021 - 12 - 19),
            ..base.clone()
        };
        let (cid, number) = grading::announce_with_certificate(
            &db,
            &Scope::City,
            &admin(),
            id,
            &step(Action::Announce, Party::City),
            &new,
        )
        .await
        .expect("announced");
        assert_eq!(number, "苏AQBJXⅢ201800001");
        let (_, second) = certificate::issue(
            &db,
            &admin(),
            &NewCertificate {
                enterprise_id: ent,
                ..new.clone()
            },
        )
        .await
        .expect("another");
        assert_eq!(second, "苏AQBJXⅢ201800002");
        let c = certificate::get(&db, &Scope::City, cid)
            .await
            .expect("cert");
        assert_eq!(
            c.status_on(date!(2019 - 01 - 01)),
            CertificateStatus::Superseded
        );
        let old = certificate::get(&db, &Scope::City, old_id)
            .await
            .expect("old");
        assert_eq!(old.superseded_on.as_deref(), Some("2018-12-20"));
        assert_eq!(
            old.status_on(date!(2018 - 12 - 19)),
            CertificateStatus::Valid
        );
        assert_eq!(
            old.status_on(date!(2018 - 12 - 20)),
            CertificateStatus::Superseded
        );
        // Revocation with a reason; twice is refused.
        certificate::revoke(
            &db,
            &Scope::City,
            &admin(),
            cid,
            date!(2019 - 05 - 01),
            "发生死亡事故",
            Some("grading.2014@1#revocation.revoke.one"),
        )
        .await
        .expect("revoked");
        assert!(
            certificate::revoke(
                &db,
                &Scope::City,
                &admin(),
                cid,
                date!(2019 - 05 - 02),
                "再次",
                None
            )
            .await
            .is_err()
        );
        assert!(
            certificate::revoke(
                &db,
                &Scope::City,
                &admin(),
                old_id,
                date!(2019 - 05 - 02),
                " ",
                None
            )
            .await
            .is_err()
        );
        let c = certificate::get(&db, &Scope::City, cid)
            .await
            .expect("cert");
        assert_eq!(
            c.status_on(date!(2019 - 05 - 01)),
            CertificateStatus::Revoked
        );
        // The public lookup by number (ASCII numerals), credit code and name.
        let found = certificate::public_search(&db, "苏AQBJXIII201800001", 10)
            .await
            .expect("search");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].revoked_on.as_deref(), Some("2019-05-01"));
        assert_eq!(
            certificate::public_search(&db, "定级测试", 10)
                .await
                .expect("s")
                .len(),
            3
        );
        assert!(
            certificate::public_search(&db, "x", 10)
                .await
                .expect("s")
                .is_empty()
        );
        let by_token = certificate::by_verify_token(&db, &c.verify_token)
            .await
            .expect("ran")
            .expect("found");
        assert_eq!(by_token.number, number);
        // Another district sees none of it.
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert!(
            certificate::of_enterprise(&db, &rudong, ent)
                .await
                .expect("list")
                .is_empty()
        );
        assert_eq!(
            certificate::of_enterprise(&db, &Scope::City, ent)
                .await
                .expect("list")
                .len(),
            3
        );
    })
    .await;
}

#[tokio::test]
async fn accidents_and_assessments_are_recorded_in_scope() {
    use anbiao_domain::rules::Accident;
    use anbiao_domain::scoring::{ItemInput, score};
    use anbiao_store::accident;
    use anbiao_store::assessment::{self, Kind};
    each_backend(|db| async move {
        let (ent, id) = setup(&db).await;
        let a = Accident {
            occurred_on: date!(2018 - 03 - 01),
            deaths: 1,
            serious_injuries: 0,
            direct_loss_yuan: 800_000,
        };
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert!(matches!(
            accident::record(&db, &rudong, &admin(), ent, &a, "机械伤害").await,
            Err(StoreError::NotFound)
        ));
        assert!(
            accident::record(&db, &Scope::City, &admin(), ent, &a, " ")
                .await
                .is_err()
        );
        accident::record(&db, &Scope::City, &admin(), ent, &a, "机械伤害")
            .await
            .expect("recorded");
        let rows = accident::of_enterprise(&db, &Scope::City, ent)
            .await
            .expect("rows");
        assert_eq!(rows[0].accident(), Some(a));
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        let inputs: Vec<(ItemInput, String)> = sheet
            .items()
            .map(|(_, i)| (ItemInput::earned(&i.code, i.points), "符合".to_string()))
            .collect();
        let plain: Vec<ItemInput> = inputs.iter().map(|(i, _)| i.clone()).collect();
        let outcome = score(&sheet, &plain, &[]).expect("scored");
        let new = assessment::NewAssessment {
            case_id: id,
            kind: Kind::SelfAssessment,
            inputs: &inputs,
            outcome: &outcome,
            report: "自评报告",
            performed_on: date!(2018 - 09 - 10),
        };
        let aid = assessment::submit(&db, &Scope::Enterprise { id: ent }, &admin(), &new)
            .await
            .expect("submitted");
        let latest = assessment::latest(&db, &Scope::City, id, Kind::SelfAssessment)
            .await
            .expect("ran")
            .expect("latest");
        assert_eq!((latest.id, latest.score), (aid, 1000));
        assert_eq!(
            assessment::items(&db, aid).await.expect("items").len(),
            sheet.items().count()
        );
        assert!(
            assessment::latest(&db, &Scope::City, id, Kind::Evaluation)
                .await
                .expect("ran")
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn organisations_are_assigned_independently_and_see_only_their_cases() {
    use anbiao_store::orgs;
    each_backend(|db| async move {
        let (ent, id) = setup(&db).await;
        let other = enterprise::create(
            &db,
            &Scope::City,
            &admin(),
            &input(&code("320682", 8), "如皋另一厂", "320682", "JX", "100", "5"),
        )
        .await
        .expect("other");
        let coach = orgs::create_org(
            &db,
            &admin(),
            "南通安评咨询公司",
            "安全评价机构甲级",
            date!(2030 - 12 - 31),
        )
        .await
        .expect("org");
        let fair = orgs::create_org(
            &db,
            &admin(),
            "江苏标准化评审中心",
            "标准化评审单位",
            date!(2030 - 12 - 31),
        )
        .await
        .expect("org");
        let stale = orgs::create_org(
            &db,
            &admin(),
            "过期评审所",
            "标准化评审单位",
            date!(2017 - 12 - 31),
        )
        .await
        .expect("org");
        assert!(matches!(
            orgs::create_org(
                &db,
                &admin(),
                "江苏标准化评审中心",
                "x",
                date!(2030 - 12 - 31)
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        let gu = orgs::add_evaluator(
            &db,
            &admin(),
            fair,
            "顾工",
            "PS-0001",
            date!(2030 - 12 - 31),
        )
        .await
        .expect("evaluator");
        let old = orgs::add_evaluator(
            &db,
            &admin(),
            fair,
            "钱工",
            "PS-0002",
            date!(2018 - 01 - 31),
        )
        .await
        .expect("evaluator");
        let outsider = orgs::add_evaluator(
            &db,
            &admin(),
            coach,
            "孙工",
            "PS-0003",
            date!(2030 - 12 - 31),
        )
        .await
        .expect("evaluator");
        orgs::record_coaching(
            &db,
            &Scope::City,
            &admin(),
            coach,
            ent,
            date!(2018 - 03 - 01),
            "协助编写制度",
        )
        .await
        .expect("coaching");
        for (a, p) in [
            (Action::Apply, Party::Enterprise),
            (Action::Accept, Party::District),
        ] {
            grading::transition(&db, &Scope::City, &admin(), id, &step(a, p))
                .await
                .expect("step");
        }
        let assign = step(Action::Assign, Party::City);
        let on = date!(2018 - 10 - 01);
        for (org, team, why) in [
            (coach, vec![outsider], "辅导"),
            (stale, vec![gu], "资质"),
            (fair, vec![old], "资格"),
            (fair, vec![outsider], "不属于"),
            (fair, vec![], "至少"),
        ] {
            let e = orgs::assign(&db, &Scope::City, &admin(), id, &assign, org, &team, on)
                .await
                .expect_err(why);
            assert!(e.to_string().contains(why), "{e}");
        }
        let case = grading::get(&db, &Scope::City, id).await.expect("case");
        assert_eq!(case.state(), Some(CaseState::Accepted));
        let org_scope = Scope::Org { id: fair };
        assert!(matches!(
            grading::get(&db, &org_scope, id).await,
            Err(StoreError::NotFound)
        ));
        orgs::assign(&db, &Scope::City, &admin(), id, &assign, fair, &[gu], on)
            .await
            .expect("assigned");
        // The organisation now sees the case and its enterprise, and nothing else.
        assert_eq!(
            grading::get(&db, &org_scope, id)
                .await
                .expect("visible")
                .state(),
            Some(CaseState::Evaluating)
        );
        enterprise::get(&db, &org_scope, ent)
            .await
            .expect("its enterprise");
        assert!(matches!(
            enterprise::get(&db, &org_scope, other).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            grading::get(&db, &Scope::Org { id: coach }, id).await,
            Err(StoreError::NotFound)
        ));
        let (org, team) = orgs::assignment(&db, id)
            .await
            .expect("ran")
            .expect("assigned");
        assert_eq!((org.id, team), (fair, gu.to_string()));
        let events = grading::events(&db, &Scope::City, id)
            .await
            .expect("events");
        assert!(
            events[2]
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("顾工")),
            "{events:?}"
        );
        let refused = Filter {
            action: Some("case.refused".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &refused).await.expect("count"), 5);
    })
    .await;
}

#[tokio::test]
async fn the_portal_search_finds_by_part_of_the_name_code_or_number_through_indexes() {
    use anbiao_store::certificate::{self, NewCertificate};
    each_backend(|db| async move {
        let names = [
            (1, "南通华宇机械有限公司", date!(2018 - 03 - 01)),
            (2, "如皋华宇纺织厂", date!(2019 - 06 - 01)),
            (3, "ABC精工（南通）有限公司", date!(2017 - 09 - 01)),
            (4, "百分之百_化工有限公司", date!(2018 - 01 - 01)),
        ];
        let mut numbers = Vec::new();
        for (n, name, issued) in names {
            let e = input(&code("320682", n), name, "320682", "JX", "3000", "40");
            let id = enterprise::create(&db, &Scope::City, &admin(), &e)
                .await
                .expect("enterprise");
            let (_, number) = certificate::issue(
                &db,
                &admin(),
                &NewCertificate {
                    enterprise_id: id,
                    case_id: None,
                    grade: Grade::Three,
                    industry: "JX".into(),
                    issuer: "南通市安全生产监督管理局".into(),
                    external: false,
                    issued_on: issued,
                    valid_until: issued + time::Duration::days(3 * 365),
                    rule: "grading.2014@1#validity".into(),
                    region_abbr: '苏',
                    number: None,
                },
            )
            .await
            .expect("certificate");
            numbers.push(number);
        }
        let search = |q: &'static str, limit: i64| {
            let db = db.clone();
            async move {
                certificate::public_search(&db, q, limit)
                    .await
                    .expect("search")
                    .into_iter()
                    .map(|c| c.enterprise_name)
                    .collect::<Vec<_>>()
            }
        };
        // A part of the name, newest validity first; the limit keeps the newest.
        assert_eq!(
            search("华宇", 10).await,
            ["如皋华宇纺织厂", "南通华宇机械有限公司"]
        );
        assert_eq!(search("华宇", 1).await, ["如皋华宇纺织厂"]);
        assert_eq!(search("宇机", 10).await, ["南通华宇机械有限公司"]);
        // Latin letters in any case; LIKE's wildcards are literal.
        assert_eq!(search("abc精", 10).await, ["ABC精工(南通)有限公司"]);
        assert_eq!(search("之百_化", 10).await, ["百分之百_化工有限公司"]);
        assert!(search("之百%化", 10).await.is_empty());
        // Fewer than two letters or digits: nothing (that would read every name).
        assert!(search("百_", 10).await.is_empty());
        // The credit code exactly (any case), the certificate number exactly.
        let c = code("320682", 3).to_lowercase();
        let by_code = certificate::public_search(&db, &c, 10).await.expect("s");
        assert_eq!(by_code.len(), 1);
        let by_number = certificate::public_search(&db, &numbers[1], 10)
            .await
            .expect("s");
        assert_eq!(by_number.len(), 1);
        assert_eq!(by_number[0].enterprise_name, "如皋华宇纺织厂");
        // Too short, or nothing like it.
        assert!(search("华", 10).await.is_empty());
        assert!(search("不存在的企业", 10).await.is_empty());
    })
    .await;
}

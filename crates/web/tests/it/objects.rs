//! The authorization matrix per object: for every route (`tests/objects.toml` lists each one,
//! or this test fails), every role × the record's relation to the caller (their own, another in
//! their township, one in another township of their district, one in another district) and
//! anonymous gets one real request with valid content, and the outcome must be the table's. Each role acts on a fresh copy of
//! the fixture wherever the table expects a change to succeed, so one success never hides the
//! next; refusals must change nothing and run on one shared copy.
//!
//! The fixture: four enterprises (如皋 如城街道 ×2, 如皋 城南街道, 如东) each with a case in the
//! states the steps need, a certificate, hazards in each state with photos and a notification;
//! one account per role placed at the first enterprise (如城街道, 如皋, its enterprise, the
//! evaluation organisation assigned to its case, a partner of 如皋).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, header};
use serde::Deserialize;

use anbiao_domain::hazard::{Level, Step};
use anbiao_domain::lifecycle::{Action, Party};
use anbiao_domain::standard::shipped;
use anbiao_domain::{Grade, ReferenceData, Role, Scope, SignInPolicy};
use anbiao_store::account::{self, NewUser};
use anbiao_store::audit_log::Actor;
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::hazards::{self, NewHazard};
use anbiao_store::notify::{self, Audience, NewNotification};
use anbiao_store::testing::{BACKENDS, TestDb};
use anbiao_store::{Db, enterprise, orgs, standards};
use anbiao_web::{AppState, WebConfig};

use crate::grading::{Cx, entries};
use crate::{PASSWORD, Session, TestApp};

/// The relations of an object to the caller, in the table's column order.
pub const RELATIONS: [&str; 4] = ["own", "same", "other_township", "other_district"];

/// The accounts, one per role, by the table's role key.
pub const ACCOUNTS: [(&str, &str, Role); 11] = [
    ("city_officer", "m_city", Role::CityOfficer),
    ("district_officer", "m_rugao", Role::DistrictOfficer),
    ("township_officer", "m_rucheng", Role::TownshipOfficer),
    ("enterprise_manager", "m_qiye", Role::EnterpriseManager),
    ("evaluation_org", "m_pingshen", Role::EvaluationOrg),
    ("evaluator", "m_kaoping", Role::Evaluator),
    ("partner", "m_bank", Role::Partner),
    ("system_admin", "m_sysadmin", Role::SystemAdmin),
    ("security_admin", "m_secadmin", Role::SecurityAdmin),
    ("audit_admin", "m_auditor", Role::AuditAdmin),
    ("pending", "m_pending", Role::Pending),
];

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

/// The records of one place.
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub enterprise: i64,
    /// A 三级 case with its self-assessment in, not yet applied for.
    pub case_self: i64,
    /// A 三级 case applied for, waiting for acceptance.
    pub case_applied: i64,
    /// A 三级 case being evaluated (the first place's by the fixture's organisation).
    pub case_evaluating: i64,
    /// A 二级 case recommended to the province.
    pub case_recommended: i64,
    /// A 三级 case accepted, waiting for its evaluation organisation.
    pub case_accepted: i64,
    /// A 三级 case in public notice.
    pub case_notice: i64,
    /// A good audit (renewal without re-evaluation).
    pub audit_good: i64,
    pub certificate: i64,
    /// The certificate's public verification token.
    pub verify_token: String,
    pub card_token: String,
    pub risk_plan: i64,
    /// A record of the first enterprise's obligation list, with a PDF as its evidence.
    pub obligation_record: i64,
    /// A training session recorded by the place's township (the first), district (the second),
    /// the other township (the third) or the other district (the fourth), held today.
    pub training_session: i64,
    /// An attendance at that session.
    pub training_attendance: i64,
    /// A grid of the place's township (the fourth: 如东's 掘港街道).
    pub grid: i64,
    /// A publicity item recorded by the place's district.
    pub publicity: i64,
    /// The place's enterprise named a model enterprise by its district.
    pub model: i64,
    /// An exchange recorded by the place's district.
    pub exchange: i64,
    /// The place's enterprise designated state-owned (国有工贸企业) by its district.
    pub designation: i64,
    /// An inspection of the place's first enterprise (no findings).
    pub inspection: i64,
    /// A general hazard reported rectified, with its photos.
    pub hazard_rectified: i64,
    pub photo: i64,
    /// An open major hazard (to be planned).
    pub hazard_major: i64,
    /// An open general hazard (to be rectified).
    pub hazard_open: i64,
    pub notification: i64,
    /// A point of the first enterprise's risk register.
    pub risk_point: i64,
    /// The due day of that point's current check task as stored, so the check form names the
    /// task the action loads even when the business day rolls over during the run.
    pub risk_due: String,
    /// The submission of the place's district (如皋's or 如东's).
    pub submission: i64,
    /// An operation-quality audit of the certificate (deficient, to be re-checked).
    pub audit: i64,
    /// The violation record of an enforcement decision about the first enterprise.
    pub violation: i64,
    /// The place's plan unit (如皋 or 如东).
    pub unit: String,
    /// The place's enterprises: the first holds every record but the other cases, which have
    /// one each (self-assessment, evaluation, recommendation).
    pub owners: Vec<i64>,
    pub name: String,
    pub credit_code: String,
    pub region: String,
    pub township: Option<String>,
}

pub struct Fixture {
    /// own, same, other_township, other_district.
    pub places: [Place; 4],
    /// Records without a place, by the table's object name (an account, a token, a draft …).
    pub others: BTreeMap<&'static str, i64>,
    /// A complete self-assessment form of the sample sheet (full marks on every item).
    pub self_form: Vec<(String, String)>,
    /// A complete inspection checklist (every item compliant).
    pub checklist_form: Vec<(String, String)>,
    /// A verdict on every first-level element of the element tree in force (all conform).
    pub verdicts: Vec<(String, String)>,
}

async fn add_account(
    db: &Db,
    username: &str,
    role: Role,
    region: Option<&str>,
    township: Option<&str>,
    enterprise_id: Option<i64>,
) -> i64 {
    account::create(
        db,
        &Actor::new("tester", "cli"),
        &NewUser {
            username: username.into(),
            display_name: format!("{username}（{}）", role.label()),
            password: PASSWORD.into(),
            role,
            region_code: region.map(str::to_string),
            township: township.map(str::to_string),
            enterprise_id,
            must_change_password: false,
        },
        &SignInPolicy::default(),
    )
    .await
    .expect("account")
}

/// The evaluation organisations: the fixture's own (with its evaluator), and another.
#[derive(Clone, Copy)]
struct Orgs {
    own: (i64, i64),
    other: (i64, i64),
}

async fn place(
    db: &Db,
    n: u32,
    region: &str,
    township: Option<&str>,
    name: &str,
    orgs: Orgs,
) -> Place {
    let other_org = orgs.other;
    let r = ReferenceData::embedded().expect("reference");
    let actor = Actor::new("tester", "cli");
    let today = anbiao_web::today();
    // One open case per enterprise: each case of the place has an enterprise of its own there.
    let mut ids = Vec::new();
    for (k, suffix) in ["", "·自评", "·评审", "·推荐", "·受理", "·公示"]
        .iter()
        .enumerate()
    {
        let input = anbiao_domain::EnterpriseDraft {
            credit_code: Some(crate::code(region, 700 + n * 10 + k as u32)),
            name: Some(format!("{name}{suffix}")),
            region: Some(region.into()),
            township: township.map(str::to_string),
            industry: Some("JX".into()),
            employees: Some("40".into()),
            ..Default::default()
        }
        .validate(
            &r,
            today,
            anbiao_domain::enterprise::OverridePolicy::Allowed,
        )
        .expect("valid");
        ids.push(
            enterprise::create(db, &Scope::City, &actor, &input)
                .await
                .expect("enterprise"),
        );
    }
    let ent = ids[0];
    let sheet = standards::get(db, "sample.gbt33000", 1)
        .await
        .expect("ran")
        .expect("sheet");
    let c = Cx { db, on: today };
    let open_assessed = |ent: i64, grade: Grade| async move {
        let c = Cx { db, on: today };
        let case = c.open_case(ent, grade).await.expect("open");
        c.submit_assessment(
            case,
            anbiao_store::assessment::Kind::SelfAssessment,
            &entries(&sheet_for(db).await, 90),
            "自评",
        )
        .await
        .expect("self");
        case
    };
    let case_applied = open_assessed(ent, Grade::Three).await;
    let case_self = open_assessed(ids[1], Grade::Three).await;
    c.apply(case_applied).await.expect("apply");
    let case_evaluating = open_assessed(ids[2], Grade::Three).await;
    c.apply(case_evaluating).await.expect("apply");
    c.act(case_evaluating, Action::Accept, Party::District, None)
        .await
        .expect("accept");
    let (o, t) = if n == 0 { orgs.own } else { other_org };
    c.assign(case_evaluating, Party::City, o, &[t])
        .await
        .expect("assign");
    let case_accepted = open_assessed(ids[4], Grade::Three).await;
    c.apply(case_accepted).await.expect("apply");
    c.act(case_accepted, Action::Accept, Party::District, None)
        .await
        .expect("accept");
    let case_notice = open_assessed(ids[5], Grade::Three).await;
    c.apply(case_notice).await.expect("apply");
    c.act(case_notice, Action::Accept, Party::District, None)
        .await
        .expect("accept");
    c.assign(case_notice, Party::City, other_org.0, &[other_org.1])
        .await
        .expect("assign");
    c.evaluate(case_notice, &entries(&sheet, 88), "评审报告")
        .await
        .expect("evaluate");
    c.approve(case_notice, Party::City).await.expect("approve");
    c.act(case_notice, Action::StartNotice, Party::City, None)
        .await
        .expect("notice");
    // Someone has objected: the grader may take it up or decline it.
    c.act(
        case_notice,
        Action::Object,
        Party::Public,
        Some("异议人 钱女士（13900002222）：安全通道堆放杂物"),
    )
    .await
    .expect("objection");
    let case_recommended = open_assessed(ids[3], Grade::Two).await;
    c.apply(case_recommended).await.expect("apply");
    c.act(case_recommended, Action::Accept, Party::District, None)
        .await
        .expect("accept");
    c.assign(case_recommended, Party::City, other_org.0, &[other_org.1])
        .await
        .expect("assign");
    c.evaluate(case_recommended, &entries(&sheet, 85), "评审报告")
        .await
        .expect("evaluate");
    c.approve(case_recommended, Party::City)
        .await
        .expect("approve");
    c.act(case_recommended, Action::Recommend, Party::City, None)
        .await
        .expect("recommend");
    // In its last months: due for renewal (换证期).
    let issued = today - time::Duration::days(3 * 365 - 60);
    let (certificate, _) = certificate::issue(
        db,
        &actor,
        &NewCertificate {
            enterprise_id: ent,
            case_id: None,
            grade: Grade::Three,
            industry: "JX".into(),
            issuer: "南通市应急管理局".into(),
            external: false,
            issued_on: issued,
            valid_until: issued + time::Duration::days(3 * 365),
            rule: "grading.2021@1#validity".into(),
            region_abbr: '苏',
            number: None,
        },
    )
    .await
    .expect("certificate");
    let verify_token = certificate::get(db, &Scope::City, certificate)
        .await
        .expect("certificate")
        .verify_token;
    let checklist = r.checklists.in_force(today).expect("checklist");
    let inspection = anbiao_store::inspections::record(
        db,
        &Scope::City,
        &actor,
        &r.major_hazards,
        &anbiao_store::inspections::NewInspection {
            enterprise_id: ent,
            kind: anbiao_store::inspections::Kind::Complaint,
            on: today - time::Duration::days(3),
            officers: vec!["m_rugao".into(), "m_rucheng".into()],
            checklist,
            answers: checklist
                .items
                .iter()
                .map(|i| {
                    (
                        i.key.clone(),
                        anbiao_domain::checklist::Answer::Compliant,
                        String::new(),
                    )
                })
                .collect(),
            gap_answers: Vec::new(),
            summary: "举报核查，未发现问题",
            findings: vec![],
        },
    )
    .await
    .expect("inspection");
    let audit = anbiao_store::audits::record(
        db,
        &Scope::City,
        &actor,
        &anbiao_store::audits::NewAudit {
            enterprise_id: ent,
            certificate_id: Some(certificate),
            grade: "three",
            performed_on: today - time::Duration::days(60),
            score: Some(720),
            outcome: anbiao_store::audits::Outcome::Deficient,
            class: Some(anbiao_store::audits::Class::Rectify),
            findings: "隐患排查台账不全，应急演练记录缺失",
            rectify_by: Some(today - time::Duration::days(1)),
            tree: None,
            checklist: &[],
            rule: None,
            revoke: false,
        },
    )
    .await
    .expect("audit");
    let audit_good = anbiao_store::audits::record(
        db,
        &Scope::City,
        &actor,
        &anbiao_store::audits::NewAudit {
            enterprise_id: ent,
            certificate_id: Some(certificate),
            grade: "three",
            performed_on: today - time::Duration::days(5),
            score: Some(920),
            outcome: anbiao_store::audits::Outcome::Good,
            class: None,
            findings: "运行良好，台账齐全",
            rectify_by: None,
            tree: None,
            checklist: &[],
            rule: None,
            revoke: false,
        },
    )
    .await
    .expect("good audit");
    let decided_on = today - time::Duration::days(2);
    let decision = anbiao_store::enforcement::decide(
        db,
        &Scope::City,
        &actor,
        anbiao_store::enforcement::Rules {
            violations: r.violations.in_force(decided_on).expect("violations"),
            inspection: r.inspection.in_force(decided_on).expect("inspection"),
        },
        &anbiao_store::enforcement::NewDecision {
            enterprise_id: ent,
            inspection_id: None,
            hazard_id: None,
            kind: anbiao_domain::enforcement::Kind::Order,
            on: decided_on,
            document_no: "如应急责改〔2026〕7号",
            facts: "未按规定开展安全生产教育和培训",
            category_key: "training",
            fine_yuan: None,
            reason: None,
        },
    )
    .await
    .expect("decision");
    let violation = anbiao_store::enforcement::list(
        db,
        &Scope::City,
        &anbiao_store::enforcement::Filter {
            enterprise_id: Some(ent),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .expect("decisions")
    .into_iter()
    .find(|d| d.id == decision)
    .expect("the decision")
    .violation_id;
    let book = &r.major_hazards;
    let general = |description: &'static str| NewHazard {
        enterprise_id: ent,
        source: "inspection",
        level: Level::General,
        item_key: None,
        description,
        found_on: today - time::Duration::days(20),
        deadline: Some(today + time::Duration::days(20)),
        photo: Some(JPEG),
    };
    let hazard_rectified =
        hazards::register(db, &Scope::City, &actor, book, &general("配电箱未接地"))
            .await
            .expect("hazard");
    hazards::step_with_photo(
        db,
        &Scope::City,
        &actor,
        hazard_rectified,
        Step::Rectify,
        today,
        "已整改",
        Some(JPEG),
    )
    .await
    .expect("rectified");
    let photo = hazards::photos(db, &Scope::City, hazard_rectified)
        .await
        .expect("photos")[0]
        .id;
    let hazard_open = hazards::register(db, &Scope::City, &actor, book, &general("通道堆放物料"))
        .await
        .expect("hazard");
    let hazard_major = hazards::register(
        db,
        &Scope::City,
        &actor,
        book,
        &NewHazard {
            level: Level::Major,
            item_key: Some("管理类/通用/2"),
            description: "特种作业人员无证上岗",
            ..general("")
        },
    )
    .await
    .expect("major");
    let mut tx = db.begin().await.expect("tx");
    notify::deliver_tx(
        &mut tx,
        &NewNotification {
            kind: "matrix",
            subject: format!("enterprise:{ent}"),
            period: "1".into(),
            audience: Audience::Enterprise,
            enterprise_id: ent,
            region_code: region.into(),
            title: format!("{name}的提醒"),
            body: "矩阵测试".into(),
            link: format!("/enterprises/{ent}"),
            rule: None,
            due_on: None,
        },
    )
    .await
    .expect("notification");
    tx.commit().await.expect("commit");
    let notification = notify::list(db, &Scope::Enterprise { id: ent }, Audience::Enterprise, 5)
        .await
        .expect("list")[0]
        .id;
    let risk_point = anbiao_store::risk_points::create(
        db,
        &Scope::City,
        &actor,
        ent,
        &risk_draft()
            .validate(r.risk.in_force(today).expect("risk rules"))
            .expect("valid point"),
        today,
        today,
    )
    .await
    .expect("risk point");
    let point = anbiao_store::risk_points::get(db, &Scope::City, risk_point)
        .await
        .expect("risk point");
    let risk_due = anbiao_domain::date::format_date(point.due().expect("a due day"));
    let card_token = point.card_token.expect("a card token");
    let plan_png = crate::plan_png(400, 300);
    let risk_plan = anbiao_store::risk_plans::create(
        db,
        &Scope::City,
        &actor,
        ent,
        "厂区总平面图",
        anbiao_domain::risk_plan::PlanKind::Site,
        &anbiao_domain::risk_plan::check_image(&plan_png).expect("a plan"),
        &plan_png,
    )
    .await
    .expect("plan");
    let obligation_record = anbiao_store::obligations::record(
        db,
        &Scope::City,
        &actor,
        ent,
        &anbiao_store::obligations::Target {
            rule: "obligations@1#item.five.emergency",
            item_key: "five.emergency",
            title: "应急救援到位",
            period_key: today.year().to_string(),
            due_on: None,
            day: today,
        },
        anbiao_store::obligations::Entry::Done {
            note: "综合应急预案已备案，6月组织演练",
            evidence: Some(anbiao_store::obligations::Evidence {
                name: "演练记录.pdf",
                content_type: "application/pdf",
                bytes: b"%PDF-1.4\n%matrix\n",
            }),
        },
    )
    .await
    .expect("obligation record");
    Place {
        card_token,
        risk_plan,
        obligation_record,
        enterprise: ent,
        risk_point,
        risk_due,
        case_self,
        case_applied,
        case_evaluating,
        case_recommended,
        case_accepted,
        case_notice,
        audit_good,
        certificate,
        verify_token,
        inspection,
        hazard_rectified,
        photo,
        hazard_major,
        hazard_open,
        notification,
        submission: 0,
        training_session: 0,
        training_attendance: 0,
        grid: 0,
        publicity: 0,
        model: 0,
        exchange: 0,
        designation: 0,
        audit,
        violation,
        unit: r
            .regions
            .get(region)
            .map(|x| x.unit.clone())
            .unwrap_or_default(),
        owners: ids,
        name: name.into(),
        credit_code: crate::code(region, 700 + n * 10),
        region: region.into(),
        township: township.map(str::to_string),
    }
}

async fn sheet_for(db: &Db) -> anbiao_domain::standard::ScoringSheet {
    standards::get(db, "sample.gbt33000", 1)
        .await
        .expect("ran")
        .expect("sheet")
}

/// Builds the fixture into `db`.
pub async fn fixture(db: &Db) -> Fixture {
    let actor = Actor::new("tester", "cli");
    for s in shipped().expect("sheets").1 {
        standards::save(db, &actor, &s).await.expect("sheet");
    }
    let until = time::macros::date!(2099 - 12 - 31);
    let org = orgs::create_org(db, &actor, "矩阵评审中心", "评审单位", until)
        .await
        .expect("org");
    let team = orgs::add_evaluator(db, &actor, org, "矩阵考评员", "M-1", until)
        .await
        .expect("evaluator");
    let other = orgs::create_org(db, &actor, "他家评审中心", "评审单位", until)
        .await
        .expect("org");
    let other_team = orgs::add_evaluator(db, &actor, other, "他家考评员", "M-2", until)
        .await
        .expect("evaluator");
    let specs: [(u32, &str, Option<&str>, &str); 4] = [
        (0, "320682", Some("如城街道"), "矩阵本厂"),
        (1, "320682", Some("如城街道"), "矩阵同镇厂"),
        (2, "320682", Some("城南街道"), "矩阵邻镇厂"),
        (3, "320623", None, "矩阵外县厂"),
    ];
    let mut places: Vec<Place> = Vec::new();
    for (n, region, township, name) in specs {
        let orgs = Orgs {
            own: (org, team),
            other: (other, other_team),
        };
        places.push(place(db, n, region, township, name, orgs).await);
    }
    let own = places[0].enterprise;
    for (k, suffix) in ["_self", "_eval", "_rec", "_acc", "_notice"]
        .iter()
        .enumerate()
    {
        add_account(
            db,
            &format!("m_qiye{suffix}"),
            Role::EnterpriseManager,
            None,
            None,
            Some(places[0].owners[k + 1]),
        )
        .await;
    }
    for (_, username, role) in ACCOUNTS {
        let (region, township, ent) = match role {
            Role::DistrictOfficer | Role::Partner => (Some("320682"), None, None),
            Role::TownshipOfficer => (Some("320682"), Some("如城街道"), None),
            Role::EnterpriseManager => (None, None, Some(own)),
            _ => (None, None, None),
        };
        let id = add_account(db, username, role, region, township, ent).await;
        if matches!(role, Role::EvaluationOrg | Role::Evaluator) {
            account::set_org(db, &actor, id, Some(org))
                .await
                .expect("link org");
        }
    }
    // A second city officer, who inspects with the first.
    add_account(db, "m_city2", Role::CityOfficer, None, None, None).await;
    let mut places: [Place; 4] = places.try_into().expect("four places");
    let recorders: [(Option<&str>, Option<&str>); 4] = [
        (Some("如皋"), Some("如城街道")),
        (Some("如皋"), None),
        (Some("如皋"), Some("城南街道")),
        (Some("如东"), None),
    ];
    for (p, (unit, township)) in places.iter_mut().zip(recorders) {
        let s = anbiao_store::training::create_session(
            db,
            &actor,
            &anbiao_store::training::NewSession {
                unit,
                township,
                organiser: "district",
                organiser_name: "矩阵培训主办",
                title: "矩阵培训",
                topic: "standardisation",
                audience: "principals",
                held_on: anbiao_web::today(),
                hours_tenths: 30,
                place: "会议室",
                trainer: "矩阵讲师",
                rule: "outreach@1#training",
            },
        )
        .await
        .expect("session");
        let session = anbiao_store::training::session(db, &anbiao_store::training::Reach::City, s)
            .await
            .expect("session");
        let a = anbiao_store::training::add_attendance(
            db,
            &actor,
            &session,
            &[anbiao_store::training::NewAttendee {
                person: "矩阵学员".into(),
                role: "officer".into(),
                enterprise_id: None,
                evaluator_id: None,
                affiliation: "矩阵安监站".into(),
                phone: None,
            }],
            "form",
        )
        .await
        .expect("attendance");
        p.training_session = s;
        p.training_attendance = a[0];
    }
    for (n, p) in places.iter_mut().enumerate() {
        let unit = p.unit.clone();
        let township = p.township.clone().unwrap_or_else(|| "掘港街道".into());
        p.grid = anbiao_store::grids::create(
            db,
            &actor,
            &anbiao_store::grids::NewGrid {
                unit: &unit,
                township: &township,
                name: &format!("矩阵网格{n}"),
                officer: "矩阵网格员",
                officer_phone: None,
            },
        )
        .await
        .expect("grid");
    }
    for p in places.iter_mut() {
        p.publicity = anbiao_store::outreach::record_publicity(
            db,
            &actor,
            &anbiao_store::outreach::NewPublicity {
                unit: Some(&p.unit),
                channel: "wechat",
                title: "矩阵宣传报道",
                held_on: anbiao_web::today(),
                reach: 100,
                summary: "",
                published: true,
            },
        )
        .await
        .expect("publicity");
        let grade = certificate::get(db, &Scope::City, p.certificate)
            .await
            .expect("certificate")
            .grade;
        p.model = anbiao_store::outreach::name_model(
            db,
            &actor,
            &anbiao_store::outreach::NewModel {
                enterprise_id: p.enterprise,
                enterprise: "矩阵本厂",
                unit: &p.unit,
                certificate_id: p.certificate,
                grade: &grade,
                named_on: anbiao_web::today(),
                reason: "矩阵示范",
                rule: "outreach@1#demonstration.model_grades",
            },
        )
        .await
        .expect("model");
        p.exchange = anbiao_store::outreach::record_exchange(
            db,
            &actor,
            &anbiao_store::outreach::NewExchange {
                unit: Some(&p.unit),
                kind: "observation",
                title: "矩阵观摩",
                host_enterprise_id: None,
                group_id: None,
                held_on: anbiao_web::today(),
                place: "矩阵会议室",
                open_day: false,
                note: "",
                attendees: &[],
            },
        )
        .await
        .expect("exchange");
        p.designation = anbiao_store::consequences::designate(
            db,
            &actor,
            &anbiao_domain::Scope::City,
            p.enterprise,
            ("state_owned", "国有工贸企业"),
            anbiao_web::today(),
            "矩阵国资委文件",
        )
        .await
        .expect("designation");
    }
    // An enterprise of the first place without a case, to open one.
    let fresh = anbiao_domain::EnterpriseDraft {
        credit_code: Some(crate::code("320682", 799)),
        name: Some("矩阵本厂·新申请".into()),
        region: Some("320682".into()),
        township: Some("如城街道".into()),
        industry: Some("JX".into()),
        ..Default::default()
    }
    .validate(
        &ReferenceData::embedded().expect("reference"),
        anbiao_web::today(),
        anbiao_domain::enterprise::OverridePolicy::Allowed,
    )
    .expect("valid");
    let fresh = enterprise::create(db, &Scope::City, &actor, &fresh)
        .await
        .expect("enterprise");
    add_account(
        db,
        "m_qiye_new",
        Role::EnterpriseManager,
        None,
        None,
        Some(fresh),
    )
    .await;
    // The districts' submissions: 如皋's for the first three places, 如东's for the fourth.
    let pdf: &[u8] = b"%PDF-1.4\n% scanned\n";
    for (unit, from) in [("如皋", 0usize), ("如东", 3)] {
        let id = anbiao_store::submissions::submit(
            db,
            &actor,
            &anbiao_store::submissions::NewSubmission {
                programme_id: "nantong.2018",
                deadline_key: "work_plan",
                unit,
                file_name: "工作方案.pdf",
                bytes: pdf,
                enterprise_ids: &[],
                note: None,
                on: anbiao_web::today(),
            },
        )
        .await
        .expect("submission");
        for p in places
            .iter_mut()
            .skip(from)
            .take(if from == 0 { 3 } else { 1 })
        {
            p.submission = id;
        }
    }
    // The units' officers and last year's plans (unpublished), and a published plan of the
    // year before (on the portal).
    add_account(
        db,
        "m_rudong",
        Role::DistrictOfficer,
        Some("320623"),
        None,
        None,
    )
    .await;
    add_account(
        db,
        "m_rudong_t",
        Role::TownshipOfficer,
        Some("320623"),
        Some("掘港街道"),
        None,
    )
    .await;
    let reference = ReferenceData::embedded().expect("reference");
    let today = anbiao_web::today();
    let set = reference
        .inspection
        .in_force(today)
        .expect("inspection rules");
    for (unit, officers) in [
        ("如皋", ["m_rugao", "m_rucheng"]),
        ("如东", ["m_rudong", "m_rudong_t"]),
    ] {
        for o in officers {
            anbiao_store::inspection_plans::set_officer(db, &actor, o, unit, 40, true)
                .await
                .expect("officer");
        }
    }
    let mut plans = Vec::new();
    for (unit, year) in [
        ("如皋", today.year() - 1),
        ("如东", today.year() - 1),
        ("如皋", today.year() - 2),
    ] {
        let (id, _) = anbiao_store::inspection_plans::create(
            db,
            &actor,
            &anbiao_store::inspection_plans::NewPlan {
                unit,
                year,
                seed: 7,
                on: today,
                set,
            },
        )
        .await
        .expect("plan");
        plans.push(id);
    }
    anbiao_store::inspection_plans::publish(db, &actor, plans[2], today)
        .await
        .expect("publish");
    let mut others = BTreeMap::new();
    others.insert("published_plan", plans[2]);
    let codes = reference.regions.lineage("320682");
    let violations = reference.violations.in_force(today).expect("violations");
    let mut notices = Vec::new();
    for _ in 0..2 {
        notices.push(
            anbiao_store::enforcement::draft_notice(
                db,
                &actor,
                violations,
                "如皋",
                &codes,
                today - time::Duration::days(30),
                today,
            )
            .await
            .expect("notice"),
        );
    }
    anbiao_store::enforcement::publish_notice(db, &actor, notices[1], today)
        .await
        .expect("publish notice");
    others.insert("warning_draft", notices[0]);
    others.insert("warning_published", notices[1]);
    let id_of = |name: &'static str| async move {
        account::by_username(db, name)
            .await
            .expect("ran")
            .expect("account")
            .id
    };
    others.insert("account_pending", id_of("m_pending").await);
    others.insert("account_evaluator", id_of("m_kaoping").await);
    others.insert("org", org);
    others.insert("evaluator_person", team);
    let actor_ref = &actor;
    let token = |user: i64| async move {
        anbiao_store::token::issue(
            db,
            actor_ref,
            &anbiao_store::token::NewToken {
                user_id: user,
                name: "矩阵".into(),
                read_only: true,
                permissions: vec![],
                region_code: None,
                days: 30,
            },
        )
        .await
        .expect("token")
        .0
    };
    others.insert("token_city", token(id_of("m_city").await).await);
    others.insert("token_partner", token(id_of("m_bank").await).await);
    others.insert("account_partner", id_of("m_bank").await);
    // The partner reads the feed under an agreement.
    anbiao_store::feed::bind(
        db,
        actor_ref,
        id_of("m_bank").await,
        "banking.credit",
        "whsec_bWF0cml4LXNlY3JldC1rZXktMzItYnl0ZXMtbG9uZyEh",
        None,
    )
    .await
    .expect("agreement");
    let bulletin = anbiao_store::bulletins::draft(
        db,
        &actor,
        "nantong.2018",
        anbiao_web::today(),
        "样板地区建设进展通报",
        "各地区进展如下。",
    )
    .await
    .expect("bulletin");
    others.insert("bulletin", bulletin);
    let sheet = sheet_for(db).await;
    let mut self_form: Vec<(String, String)> = sheet
        .items()
        .map(|(_, i)| (format!("pts_{}", i.code), i.points.to_string()))
        .collect();
    self_form.push((
        "report".into(),
        "按评分细则逐项自评，发现问题两项，均已整改。".into(),
    ));
    let checklist_form = reference
        .checklists
        .in_force(today)
        .expect("checklist")
        .items
        .iter()
        .map(|i| (format!("answer_{}", i.key), "ok".to_string()))
        .collect();
    // A published bulletin, for the portal.
    let published = anbiao_store::bulletins::draft(
        db,
        &actor,
        "nantong.2018",
        today,
        "样板地区建设进展通报（已发布）",
        "各地区进展如下。",
    )
    .await
    .expect("bulletin");
    anbiao_store::bulletins::save(
        db,
        &actor,
        &anbiao_store::bulletins::Edit {
            id: published,
            version: 1,
            title: "样板地区建设进展通报（已发布）",
            body: "各地区进展如下。",
            publish: true,
            on: today,
        },
    )
    .await
    .expect("publish bulletin");
    others.insert("bulletin_published", published);
    let trees = shipped().expect("trees").0;
    let verdicts = anbiao_domain::standard::tree_on(&trees, today)
        .expect("element tree")
        .elements
        .iter()
        .map(|e| (format!("verdict_{}", e.code), "conform".to_string()))
        .collect();
    Fixture {
        places,
        others,
        self_form,
        checklist_form,
        verdicts,
    }
}

/// One row of the table (the role keys are checked against [`ACCOUNTS`]).
#[derive(Debug, Deserialize)]
pub struct Row {
    pub route: String,
    /// For a route that takes several steps (`POST /cases/{id}/act`), the step of this row;
    /// a row without one takes the route's default step.
    #[serde(default)]
    pub action: Option<String>,
    /// Which record of the place `{id}` is.
    pub object: String,
    /// The outcome without a sign-in.
    pub anonymous: String,
    #[serde(flatten)]
    pub roles: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Table {
    row: Vec<Row>,
}

impl Row {
    /// The route, and the step when the row names one (`POST /cases/{id}/act#decline_objection`).
    pub fn label(&self) -> String {
        match &self.action {
            Some(a) => format!("{}#{a}", self.route),
            None => self.route.clone(),
        }
    }
}

fn object_id(f: &Fixture, p: &Place, object: &str) -> Option<i64> {
    if let Some(id) = f.others.get(object) {
        return Some(*id);
    }
    Some(match object {
        "submission" => p.submission,
        "audit" => p.audit,
        "audit_good" => p.audit_good,
        "case_accepted" => p.case_accepted,
        "case_notice" => p.case_notice,
        "violation" => p.violation,
        "unit" => 0,
        "enterprise" => p.enterprise,
        "case_self" => p.case_self,
        "case_applied" => p.case_applied,
        "case_evaluating" => p.case_evaluating,
        "case_recommended" => p.case_recommended,
        "certificate" | "verify" => p.certificate,
        "inspection" => p.inspection,
        "place" | "none" | "programme" | "new_case" => 0,
        "hazard_rectified" | "hazard_photo" => p.hazard_rectified,
        "hazard_major" => p.hazard_major,
        "hazard_open" => p.hazard_open,
        "notification" => p.notification,
        "risk_point" | "risk_card" => p.risk_point,
        "risk_plan" => p.risk_plan,
        "obligation_record" => p.obligation_record,
        "training_session" => p.training_session,
        "training_attendance" => p.training_attendance,
        "grid" => p.grid,
        "publicity" => p.publicity,
        "model" => p.model,
        "exchange" => p.exchange,
        "designation" => p.designation,
        _ => return None,
    })
}

/// The request of a route on a place's object, with valid content for the step.
fn request(row: &Row, f: &Fixture, p: &Place, s: Option<&Session>) -> Request<Body> {
    let (method, path) = row.route.split_once(' ').expect("METHOD /path");
    let id = object_id(f, p, &row.object).expect("known object");
    let mut uri = path.replace("{id}", &id.to_string());
    if row.object == "hazard_photo" {
        uri = uri.replace("{photo}", &p.photo.to_string());
    }
    if row.object == "verify" {
        uri = uri.replace("{token}", &p.verify_token);
    }
    if row.object == "risk_card" {
        uri = uri.replace("{token}", &p.card_token);
    }
    uri = uri.replace("{card}", "notice");
    if path.starts_with("/obligations/") {
        uri = uri.replace("{key}", "five.training");
    }
    if path.contains("/consequences/") {
        uri = uri.replace("{key}", "sasac.performance");
    }
    uri = uri.replace("{key}", "grading.2021@1");
    uri = uri.replace("{plan}", &p.risk_plan.to_string());
    if row.object == "programme" {
        uri = path.replace("{id}", "nantong.2018");
        if path.ends_with("/behind") {
            uri.push_str(&format!(
                "?unit={}&metric=grade_three_audit_rate",
                anbiao_web::export::percent_encode("如皋")
            ));
        }
    }
    if method == "GET" && matches!(path, "/enterprises" | "/api/v1/enterprises") {
        uri.push_str(&format!(
            "?q={}",
            anbiao_web::export::percent_encode(&p.name)
        ));
    }
    if path == "/api/v1/certificates" {
        uri.push_str(&format!("?enterprise_id={}", p.enterprise));
    }
    let mut b = Request::builder().method(method).uri(&uri);
    if let Some(s) = s {
        b = b
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf);
    }
    if method == "GET" {
        return b.body(Body::empty()).expect("request");
    }
    let form = |pairs: &[(&str, String)]| {
        let body = serde_urlencoded::to_string(pairs).expect("form");
        ("application/x-www-form-urlencoded", body.into_bytes())
    };
    let year = anbiao_web::today().year();
    let multipart = |fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>| {
        let boundary = "----anbiaomatrixboundary";
        let mut body = Vec::new();
        if let Some((field, file_name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (
            "multipart/form-data; boundary=----anbiaomatrixboundary",
            body,
        )
    };
    let (ctype, body): (&str, Vec<u8>) = match row.route.as_str() {
        "POST /enterprises/{id}" => form(&[
            ("credit_code", p.credit_code.clone()),
            ("name", p.name.clone()),
            ("region_code", p.region.clone()),
            ("township", p.township.clone().unwrap_or_default()),
            ("industry_code", "JX".into()),
            ("employees", "40".into()),
            ("contact_phone", "0513-80000000".into()),
        ]),
        "PATCH /api/v1/enterprises/{id}" => (
            "application/json",
            br#"{"contact_phone": "0513-81234567"}"#.to_vec(),
        ),
        "POST /cases/{id}/act" => match &row.action {
            Some(a) => form(&[
                ("action", a.clone()),
                ("reason", "异议反映的问题需现场核实".into()),
            ]),
            None => form(&[("action", "accept".into())]),
        },
        "POST /api/v1/cases/{id}/steps" => ("application/json", br#"{"action": "apply"}"#.to_vec()),
        "POST /cases/{id}/external" => form(&[
            ("document", "苏应急〔2026〕77号".into()),
            ("number", format!("苏AQBJXII{year}{:05}", 100 + id)),
            (
                "issued_on",
                anbiao_domain::date::format_date(anbiao_web::today()),
            ),
        ]),
        "POST /hazards/{id}/accept" => form(&[("note", "现场复核合格".into())]),
        "POST /hazards/{id}/return" => form(&[("note", "接地电阻仍超标".into())]),
        "POST /hazards/{id}/plan" => form(&[
            ("measures", "停止作业，办理审批，配备检测仪".into()),
            ("responsible", "张厂长".into()),
            ("funds", "20000".into()),
            (
                "deadline",
                anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(30)),
            ),
            ("contingency", "现场监护，应急救援预案".into()),
        ]),
        "POST /notifications/{id}/read" | "POST /logout" => form(&[]),
        "DELETE /api/v1/session" => ("application/json", Vec::new()),
        "POST /login" => form(&[("username", "m_city".into()), ("password", PASSWORD.into())]),
        "POST /api/v1/session" => (
            "application/json",
            serde_json::json!({"username": "m_city", "password": PASSWORD})
                .to_string()
                .into_bytes(),
        ),
        "POST /account/password" => form(&[
            ("current", PASSWORD.into()),
            ("new", "Neu#2026pass".into()),
            ("confirm", "Neu#2026pass".into()),
        ]),
        "POST /account/tokens" => form(&[
            ("name", "对接".into()),
            ("access", "read".into()),
            ("days", "30".into()),
        ]),
        "POST /cases" => form(&[("grade", "three".into())]),
        "POST /api/v1/enterprises" => (
            "application/json",
            serde_json::json!({
                "credit_code": crate::code(&p.region, 890 + p.enterprise as u32 % 100),
                "name": format!("{}接口登记厂", p.name),
                "region_code": p.region,
                "township": p.township,
                "industry_code": "JX",
            })
            .to_string()
            .into_bytes(),
        ),
        "POST /account/tokens/{id}/revoke" | "POST /admin/tokens/{id}/revoke" => form(&[]),
        "POST /admin/users" => form(&[
            ("username", "m_xinren".into()),
            ("display_name", "新同事".into()),
            ("password", "Chu-Shi-Mi-Ma-9".into()),
        ]),
        "POST /admin/users/{id}" => form(&[("action", "unlock".into())]),
        "POST /admin/grants/{id}" => form(&[
            ("role", "district_officer".into()),
            ("region", "320682".into()),
        ]),
        "POST /admin/grants/{id}/org" => form(&[("org", f.others["org"].to_string())]),
        "POST /admin/partners" => form(&[
            ("user", f.others["account_partner"].to_string()),
            ("agreement", "insurers.liability".into()),
        ]),
        "POST /admin/partners/{id}/end" => form(&[]),
        "POST /admin/tokens" => form(&[
            ("user", f.others["account_partner"].to_string()),
            ("name", "银行对接".into()),
            ("data", "enterprises.view".into()),
            ("region", "320682".into()),
            ("days", "30".into()),
        ]),
        "POST /orgs" => form(&[
            ("name", "新评审中心".into()),
            ("qualification", "安全生产标准化评审单位".into()),
            ("qualified_until", "2029-12-31".into()),
        ]),
        "POST /orgs/{id}/evaluators" => form(&[
            ("name", "新考评员".into()),
            ("certificate_no", "JSPS-9001".into()),
            ("qualified_until", "2029-12-31".into()),
        ]),
        "POST /orgs/{id}/coaching" => form(&[
            ("credit_code", f.places[0].credit_code.clone()),
            ("from", "2025-01-01".into()),
            ("note", "标准化辅导".into()),
        ]),
        "POST /programmes/{id}/bulletins" => form(&[(
            "as_of",
            anbiao_domain::date::format_date(anbiao_web::today()),
        )]),
        "POST /bulletins/{id}" => form(&[
            ("version", "1".into()),
            ("title", "样板地区建设进展通报（修改）".into()),
            ("body", "各地区进展如下，请对照落实。".into()),
            ("action", "save".into()),
        ]),
        "POST /submissions/{id}/decide" => form(&[("decision", "accept".into())]),
        "POST /audits/{id}/recheck" => form(&[
            ("on", anbiao_domain::date::format_date(anbiao_web::today())),
            ("passed", "yes".into()),
            ("note", "复查：台账已补齐，演练已开展".into()),
        ]),
        "POST /violations/{id}/typical" => form(&[("typical", "1".into())]),
        "POST /enforcement" => form(&[
            ("enterprise_id", p.enterprise.to_string()),
            ("kind", "order".into()),
            ("on", anbiao_domain::date::format_date(anbiao_web::today())),
            ("document_no", "应急责改〔2026〕21号".into()),
            ("category", "training".into()),
            ("facts", "特种作业人员未持证上岗".into()),
        ]),
        "POST /audits/plan" => form(&[
            ("year", year.to_string()),
            ("seed", "20".into()),
            ("unit", p.unit.clone()),
        ]),
        "POST /inspections/plan" => form(&[
            ("year", year.to_string()),
            ("seed", "20".into()),
            ("unit", p.unit.clone()),
        ]),
        "POST /inspections/officers" => form(&[
            ("unit", p.unit.clone()),
            (
                "username",
                if p.unit == "如东" {
                    "m_rudong"
                } else {
                    "m_rugao"
                }
                .into(),
            ),
            ("capacity", "30".into()),
        ]),
        "POST /inspections/plan/publish" => {
            form(&[("year", (year - 1).to_string()), ("unit", p.unit.clone())])
        }
        "POST /warnings" => form(&[
            ("unit", "如皋".into()),
            ("from", format!("{year}-01-01")),
            ("to", anbiao_domain::date::format_date(anbiao_web::today())),
        ]),
        "POST /warnings/{id}/publish" | "POST /audits/{id}/renew" => form(&[]),
        "POST /cases/{id}/assessment" => {
            let pairs: Vec<(&str, String)> = f
                .self_form
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            form(&pairs)
        }
        "POST /audits/record" => {
            let mut pairs: Vec<(&str, String)> = vec![
                ("enterprise", p.enterprise.to_string()),
                ("year", year.to_string()),
                (
                    "performed_on",
                    anbiao_domain::date::format_date(anbiao_web::today()),
                ),
                ("score", "91".into()),
                ("outcome", "good".into()),
                ("findings", "运行良好，台账齐全，隐患闭环管理".into()),
            ];
            for (k, v) in &f.verdicts {
                pairs.push((k.as_str(), v.clone()));
            }
            form(&pairs)
        }
        "POST /cases/{id}/assign" => form(&[
            ("org", f.others["org"].to_string()),
            ("team", f.others["evaluator_person"].to_string()),
        ]),
        "POST /risks" | "POST /risks/{id}" => form(&[
            ("version", "1".into()),
            ("name", "冲压车间 250吨冲床".into()),
            ("kind", "equipment".into()),
            ("location", "二号厂房".into()),
            ("exposed", "6".into()),
            ("hazards", "双手进入模具区".into()),
            ("accident_types", "机械伤害".into()),
            ("method", "lec".into()),
            ("f_lec_L", "3".into()),
            ("f_lec_E", "6".into()),
            ("f_lec_C", "7".into()),
            ("control_level", "workshop".into()),
            ("responsible", "周建华".into()),
            ("m_management", "光电保护每班点检".into()),
        ]),
        "POST /risks/{id}/check" => form(&[
            ("due", p.risk_due.clone()),
            ("checker", "王强".into()),
            ("r0", "pass".into()),
        ]),
        "POST /portal/notices/{id}/objection" => form(&[
            ("name", "周先生".into()),
            ("contact", "13800001111".into()),
            ("reason", "反映该企业车间安全通道长期堆放杂物".into()),
        ]),
        "POST /risk-plans" => {
            let plan = crate::plan_png(400, 300);
            multipart(
                &[("name", "厂区总平面图"), ("kind", "site")],
                Some(("plan", "site.png", plan.as_slice())),
            )
        }
        "POST /obligations/{key}/confirm" => multipart(
            &[("note", "全员培训已完成，档案齐全")],
            Some(("file", "培训档案.pdf", b"%PDF-1.4\n%training\n".as_slice())),
        ),
        "POST /obligations/{key}/gap" => form(&[
            ("note", "两名新进员工未完成三级安全教育".into()),
            (
                "rectify_by",
                anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(20)),
            ),
        ]),
        "POST /training" => form(&[
            ("title", "矩阵新培训".into()),
            ("organiser", "district".into()),
            ("organiser_name", "矩阵主办".into()),
            ("topic", "risk".into()),
            ("audience", "small_micro".into()),
            ("held_on", anbiao_domain::date::format_date(anbiao_web::today())),
            ("hours", "2".into()),
            ("place", "会议室".into()),
            ("trainer", "矩阵讲师".into()),
        ]),
        "POST /grids" => form(&[
            ("township", "城南街道".into()),
            ("name", "矩阵新网格".into()),
            ("officer", "矩阵网格员".into()),
        ]),
        "POST /grids/{id}/members" => form(&[
            ("enterprise", p.credit_code.clone()),
            ("safety_officer", "矩阵安全员".into()),
        ]),
        "POST /outreach/models" => form(&[
            ("enterprise", p.credit_code.clone()),
            ("reason", "矩阵命名理由".into()),
        ]),
        "POST /outreach/townships" => form(&[
            ("township", "如城街道".into()),
            ("reason", "矩阵培育理由".into()),
        ]),
        "POST /outreach/exchanges" => form(&[
            ("title", "矩阵观摩".into()),
            ("kind", "observation".into()),
            ("held_on", anbiao_domain::date::format_date(anbiao_web::today())),
            ("place", "矩阵会议室".into()),
        ]),
        "POST /outreach/groups" => form(&[
            ("name", "矩阵协作组".into()),
            ("kind", "cooperation".into()),
        ]),
        "POST /enterprises/{id}/designations" => form(&[
            ("designation", "credit_model".into()),
            ("since", anbiao_domain::date::format_date(anbiao_web::today())),
            ("basis", "矩阵诚信示范企业名单".into()),
        ]),
        // No reason: refused after the scope is checked, so nothing is ended.
        "POST /designations/{id}/end" => form(&[
            ("until", anbiao_domain::date::format_date(anbiao_web::today())),
            ("reason", String::new()),
        ]),
        // No reason: refused after the unit is checked, so nothing is withdrawn.
        "POST /outreach/publicity/{id}/withdraw"
        | "POST /outreach/models/{id}/revoke"
        | "POST /outreach/exchanges/{id}/withdraw" => form(&[("reason", String::new())]),
        "POST /outreach/publicity" => form(&[
            ("title", "矩阵宣传".into()),
            ("channel", "wechat".into()),
            ("held_on", anbiao_domain::date::format_date(anbiao_web::today())),
            ("reach", "100".into()),
        ]),
        "POST /training/{id}/attendance" => form(&[
            ("name", "矩阵现场学员".into()),
            ("role", "officer".into()),
            ("unit", "矩阵安监站".into()),
        ]),
        "POST /training/{id}/import" => multipart(
            &[],
            Some((
                "file",
                "签到表.csv",
                "姓名,工作单位,身份
矩阵签到学员,矩阵安监站,监管人员
".as_bytes(),
            )),
        ),
        "POST /enterprises/{id}/features" => {
            form(&[("feature", "dust".into()), ("on", "1".into())])
        }
        "POST /risks/import" => multipart(
            &[],
            Some((
                "file",
                "两单.csv",
                "风险点名称,类型,危险有害因素,可能导致的事故类别,评价方法,评价因素,管理措施,责任人\n\
                 配电室,场所区域,带电体裸露,触电,LEC,L=1；E=3；C=15,绝缘用具半年检测,王强\n"
                    .as_bytes(),
            )),
        ),
        "POST /risks/{id}/place" => form(&[
            ("version", "1".into()),
            ("plan", p.risk_plan.to_string()),
            ("at", "35,42".into()),
        ]),
        "POST /hazards" => multipart(
            &[
                ("level", "general"),
                (
                    "found_on",
                    &anbiao_domain::date::format_date(anbiao_web::today()),
                ),
                ("description", "配电箱门未关闭，警示标志缺失"),
                (
                    "deadline",
                    &anbiao_domain::date::format_date(
                        anbiao_web::today() + time::Duration::days(15),
                    ),
                ),
            ],
            Some(("photo", "found.jpg", JPEG)),
        ),
        "POST /inspections" => {
            // The one recording inspects, with a colleague who may inspect there.
            let officer1 = s.map_or("m_rugao", |s| s.username.as_str());
            let officer2 = match officer1 {
                "m_city" => "m_city2",
                "m_rugao" => "m_rucheng",
                _ => "m_rugao",
            };
            let date = anbiao_domain::date::format_date(anbiao_web::today());
            let id = p.enterprise.to_string();
            let mut fields: Vec<(&str, &str)> = vec![
                ("enterprise_id", id.as_str()),
                ("kind", "complaint"),
                ("on", date.as_str()),
                ("officer1", officer1),
                ("officer2", officer2),
                ("summary", "举报核查"),
            ];
            for (k, v) in &f.checklist_form {
                fields.push((k.as_str(), v.as_str()));
            }
            multipart(&fields, None)
        }
        "POST /programmes/{id}/tasks" => {
            let (ctype, mut body) = multipart(&[("deadline", "summary_report")], None);
            // The scanned file is the form's `file` field.
            let boundary = "----anbiaomatrixboundary";
            let file = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"总结报告.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n% scanned\n\r\n"
            );
            body.splice(0..0, file.into_bytes());
            (ctype, body)
        }
        "POST /enterprises/import" | "POST /sheets" => {
            let boundary = "----anbiaomatrixboundary";
            let csv = format!(
                "统一社会信用代码,企业名称,所属县（市、区）,乡镇（街道）,行业类别\n{},矩阵导入厂,如皋市,如城街道,机械\n",
                crate::code("320682", 898)
            );
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"名录.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
            );
            (
                "multipart/form-data; boundary=----anbiaomatrixboundary",
                body.into_bytes(),
            )
        }
        "PUT /api/v1/enterprises/{id}" => (
            "application/json",
            serde_json::json!({
                "credit_code": p.credit_code,
                "name": p.name,
                "region_code": p.region,
                "township": p.township,
                "industry_code": "JX",
                "employees": 40,
                "contact_phone": "0513-82345678",
            })
            .to_string()
            .into_bytes(),
        ),
        "POST /enterprises" => form(&[
            (
                "credit_code",
                crate::code(&p.region, 880 + p.enterprise as u32 % 100),
            ),
            ("name", format!("{}新登记厂", p.name)),
            ("region_code", p.region.clone()),
            ("township", p.township.clone().unwrap_or_default()),
            ("industry_code", "JX".into()),
        ]),
        "POST /enterprises/{id}/accidents" => form(&[
            (
                "occurred_on",
                anbiao_domain::date::format_date(anbiao_web::today() - time::Duration::days(5)),
            ),
            ("deaths", "0".into()),
            ("serious_injuries", "1".into()),
            ("direct_loss_wan", "12".into()),
            ("description", "冲床压伤手指".into()),
        ]),
        "POST /certificates/{id}/revoke" => form(&[
            ("reason", "发生生产安全死亡事故，经核查撤销".into()),
            ("on", anbiao_domain::date::format_date(anbiao_web::today())),
        ]),
        "POST /certificates/{id}/annual" => form(&[
            ("year", "2".into()),
            ("score", "86".into()),
            (
                "report",
                "年度自评：按评分细则逐项自查，发现问题两项已整改。".into(),
            ),
        ]),
        "POST /hazards/{id}/rectify" => multipart(
            &[("note", "已更换配电箱并接地")],
            Some(("photo", "after.jpg", JPEG)),
        ),
        other => panic!("no valid content is known for {other}"),
    };
    b.header(header::CONTENT_TYPE, ctype)
        .header("hx-request", "true")
        .body(Body::from(body))
        .expect("request")
}

/// A risk point as the fixture writes it.
fn risk_draft() -> anbiao_domain::risk_point::PointDraft {
    anbiao_domain::risk_point::PointDraft {
        name: "配电室".into(),
        kind: "place".into(),
        hazards: "带电体裸露".into(),
        accident_types: vec!["触电".into()],
        method: "lec".into(),
        factors: vec![
            ("L".into(), "1".into()),
            ("E".into(), "3".into()),
            ("C".into(), "15".into()),
        ],
        responsible: "电工班 王强".into(),
        measures: vec![("management".into(), "绝缘用具半年检测".into())],
        ..Default::default()
    }
}

/// The account of a role for an object: an enterprise's manager is the manager of the
/// enterprise holding the object.
fn account_for(username: &str, object: &str) -> String {
    if username != "m_qiye" {
        return username.to_string();
    }
    match object {
        "case_self" => "m_qiye_self".into(),
        "case_evaluating" => "m_qiye_eval".into(),
        "case_recommended" => "m_qiye_rec".into(),
        "new_case" => "m_qiye_new".into(),
        "case_accepted" => "m_qiye_acc".into(),
        "case_notice" => "m_qiye_notice".into(),
        _ => username.into(),
    }
}

/// Every cell of every sheet of a workbook, as text.
pub(crate) fn workbook_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let mut out = String::new();
    for name in wb.sheet_names() {
        if let Ok(range) = wb.worksheet_range(&name) {
            for row in range.rows() {
                out.push('\n');
                for cell in row {
                    out.push_str(&cell.to_string());
                    out.push('\t');
                }
            }
        }
    }
    out
}

/// The outcome as the table writes it: for a list (no `{id}`), whether the place's record is
/// on it (`ok`) or not (`absent`).
async fn outcome(res: axum::http::Response<Body>, list_needle: Option<&str>) -> String {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(header::LOCATION)
        .or_else(|| res.headers().get("hx-redirect"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = crate::body_bytes(res).await;
    // A workbook (an export) is read for its cells, so a list's needle is found in it too.
    let body = if bytes.starts_with(b"PK\x03\x04") {
        workbook_text(&bytes)
    } else {
        String::from_utf8_lossy(&bytes).to_string()
    };
    match status {
        401 => "login".into(),
        303 | 204 if location == "/login" => "login".into(),
        200 if list_needle.is_some_and(|n| !body.contains(n)) => "absent".into(),
        200..=299 | 303 => "ok".into(),
        500..=599 => panic!("server error {status}: {body}"),
        400 | 409 | 422 if std::env::var_os("ANBIAO_WRITE_MATRIX").is_some() => {
            // What refused valid content, for the one who writes the table.
            let text: String = body
                .split("role=\"alert\"")
                .nth(1)
                .unwrap_or(&body)
                .chars()
                .take(160)
                .collect();
            eprintln!("{status}: {text}");
            status.to_string()
        }
        s => s.to_string(),
    }
}

fn app_over(db: Db) -> TestApp {
    let config = WebConfig {
        sign_ins_per_minute: 100_000,
        public_url: Some("https://anbiao.nantong.example".into()),
        ..WebConfig::default()
    };
    let reference = ReferenceData::embedded().expect("reference");
    let state = AppState::new(db.clone(), reference, config);
    TestApp {
        router: anbiao_web::app(state),
        db,
    }
}

fn table() -> Table {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/objects.toml");
    let text = std::fs::read_to_string(&path).expect("tests/objects.toml");
    toml::from_str(&text).expect("the object matrix table parses")
}

#[tokio::test]
async fn every_listed_route_every_role_every_relation() {
    let t = table();
    let declared: Vec<String> = anbiao_web::routes::table()
        .specs()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    // A route without its rows fails here: every route is in the table, once without a
    // step, and a step of a route at most once.
    let missing: Vec<&String> = declared
        .iter()
        .filter(|d| {
            t.row
                .iter()
                .filter(|r| &r.route == *d && r.action.is_none())
                .count()
                != 1
        })
        .collect();
    assert!(
        missing.is_empty(),
        "routes without exactly one row in tests/objects.toml: {missing:?}"
    );
    let labels: std::collections::BTreeSet<String> = t.row.iter().map(Row::label).collect();
    assert_eq!(labels.len(), t.row.len(), "a route's step listed twice");
    // Every step of the grading life cycle a page takes through the generic route has rows.
    for a in [Action::HoldForObjection, Action::DeclineObjection] {
        let label = format!("POST /cases/{{id}}/act#{}", a.key());
        assert!(labels.contains(&label), "no rows for {label}");
    }
    for row in &t.row {
        assert!(
            declared.contains(&row.route),
            "{} is not a route",
            row.route
        );
        for (key, _, _) in ACCOUNTS {
            assert!(
                row.roles.contains_key(key),
                "{}: no row for {key}",
                row.route
            );
        }
        assert_eq!(
            row.roles.len(),
            ACCOUNTS.len(),
            "{}: unknown role",
            row.route
        );
    }
    let write = std::env::var_os("ANBIAO_WRITE_MATRIX").is_some();
    for backend in BACKENDS {
        let built = TestDb::new(backend).await;
        let f = fixture(&built.db).await;
        let frozen = built.freeze().await;
        let shared = frozen.copy().await;
        let app = app_over(shared.db.clone());
        let mut failures = Vec::new();
        let mut observed: Vec<(String, BTreeMap<String, String>)> = Vec::new();
        let mut checked = 0;
        for row in &t.row {
            // A list holds the record when it links to it.
            let needle = |p: &Place| -> Option<String> {
                let (method, path) = row.route.split_once(' ')?;
                let id = object_id(&f, p, &row.object)?;
                if method != "GET" || path.contains('{') || id == 0 {
                    return None;
                }
                Some(match path {
                    "/api/v1/enterprises" | "/api/v1/cases" => format!("\"id\":{id},"),
                    "/api/v1/certificates" => format!("\"enterprise_id\":{}", p.enterprise),
                    // An export names the enterprise in a cell of its own.
                    "/hazards/export.xlsx" => format!("{}\t", p.name),
                    // …or by its number in the first column.
                    "/cases/export.xlsx" | "/inspections/export.xlsx" => format!("\n{id}\t"),
                    _ => format!("href=\"{path}/{id}\""),
                })
            };
            let mut seen = BTreeMap::new();
            // Anonymous: the own place's object.
            let got = outcome(
                app.send(request(row, &f, &f.places[0], None)).await,
                needle(&f.places[0]).as_deref(),
            )
            .await;
            if got != row.anonymous {
                failures.push(format!(
                    "{} anonymous: {got}, table {}",
                    row.label(),
                    row.anonymous
                ));
            }
            seen.insert("anonymous".to_string(), got);
            for (key, username, _) in ACCOUNTS {
                let expected: Vec<&str> = row.roles[key].split_whitespace().collect();
                // A success changes the record: on a copy of its own, for this role.
                let copy = if row.route.starts_with("GET ") || (!write && !expected.contains(&"ok"))
                {
                    None
                } else {
                    Some(frozen.copy().await)
                };
                let on = copy.as_ref().map(|c| app_over(c.db.clone()));
                let a = on.as_ref().unwrap_or(&app);
                let session = a.session_for(&account_for(username, &row.object)).await;
                let mut got_all: Vec<String> = Vec::new();
                // A route without a record answers the same for every relation: asked once
                // (signing out or changing a password would end the next request's session).
                let placeless = matches!(row.object.as_str(), "none" | "programme" | "new_case")
                    || f.others.contains_key(row.object.as_str());
                for (i, rel) in RELATIONS.iter().enumerate() {
                    let p = &f.places[i];
                    let got = match got_all.first() {
                        Some(first) if placeless => first.clone(),
                        _ => {
                            outcome(
                                a.send(request(row, &f, p, Some(&session))).await,
                                needle(p).as_deref(),
                            )
                            .await
                        }
                    };
                    if expected.get(i) != Some(&got.as_str()) {
                        failures.push(format!(
                            "{} as {key} on {rel}: {got}, table {}",
                            row.label(),
                            expected.get(i).unwrap_or(&"(none)")
                        ));
                    }
                    got_all.push(got);
                    checked += 1;
                }
                seen.insert(key.to_string(), got_all.join(" "));
                if let Some(c) = copy {
                    c.drop_db().await;
                }
            }
            observed.push((row.label(), seen));
        }
        shared.drop_db().await;
        frozen.drop_db().await;
        if write {
            write_table(&t, &observed);
            return;
        }
        assert!(
            failures.is_empty(),
            "{}: {} of {checked} cells differ from tests/objects.toml:\n{}",
            backend.name(),
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Rewrites the table's outcomes with what was observed (to start a new route's rows; every
/// change is then read and argued for in review, never taken blindly).
fn write_table(t: &Table, observed: &[(String, BTreeMap<String, String>)]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/objects.toml");
    let text = std::fs::read_to_string(&path).expect("table");
    let head: String = text
        .lines()
        .take_while(|l| !l.starts_with("[[row]]"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = head;
    for (row, (_, seen)) in t.row.iter().zip(observed) {
        out.push_str(&format!("[[row]]\nroute = \"{}\"\n", row.route));
        if let Some(a) = &row.action {
            out.push_str(&format!("action = \"{a}\"\n"));
        }
        out.push_str(&format!(
            "object = \"{}\"\nanonymous = \"{}\"\n",
            row.object, seen["anonymous"]
        ));
        for (key, _, _) in ACCOUNTS {
            out.push_str(&format!("{key} = \"{}\"\n", seen[key]));
        }
        out.push('\n');
    }
    std::fs::write(&path, out.trim_end().to_string() + "\n").expect("write table");
}

/// The longest text any field may hold (`domain::text::limits::DOCUMENT`).
const LONGEST: usize = 50_000;
/// What each field is set to in turn: longer than any field may hold.
fn flood() -> String {
    "安".repeat(LONGEST + 10_000)
}

/// The same request with one field's value replaced, for each text field it carries (form,
/// JSON object or the text parts of a multipart body).
fn each_field_flooded(req: Request<Body>, body: Vec<u8>) -> Vec<(String, Request<Body>)> {
    let (parts, _) = req.into_parts();
    let ctype = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let long = flood();
    let mut bodies: Vec<(String, Vec<u8>)> = Vec::new();
    if ctype.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        for i in 0..pairs.len() {
            let mut p = pairs.clone();
            p[i].1 = long.clone();
            bodies.push((
                pairs[i].0.clone(),
                serde_urlencoded::to_string(&p).expect("form").into_bytes(),
            ));
        }
    } else if ctype.starts_with("application/json") {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let Some(map) = v.as_object() {
            for (k, field) in map {
                if field.is_string() {
                    let mut m = map.clone();
                    m.insert(k.clone(), serde_json::Value::String(long.clone()));
                    bodies.push((k.clone(), serde_json::to_vec(&m).expect("json")));
                }
            }
        }
    } else if ctype.starts_with("multipart/form-data") {
        // Text parts: `name="X"\r\n\r\nVALUE\r\n--`.
        let find = |hay: &[u8], needle: &[u8], from: usize| {
            hay[from..]
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|i| i + from)
        };
        let mut at = 0;
        while let Some(start) = find(&body, b"Content-Disposition: form-data; name=\"", at) {
            let name_from = start + 38;
            let Some(name_end) = find(&body, b"\"", name_from) else {
                break;
            };
            let name = String::from_utf8_lossy(&body[name_from..name_end]).to_string();
            at = name_end;
            if body[name_end..].starts_with(b"\"\r\n\r\n") {
                let value_from = name_end + 5;
                let Some(value_end) = find(&body, b"\r\n--", value_from) else {
                    break;
                };
                let mut b = body[..value_from].to_vec();
                b.extend_from_slice(long.as_bytes());
                b.extend_from_slice(&body[value_end..]);
                bodies.push((name, b));
            }
        }
    }
    bodies
        .into_iter()
        .map(|(field, b)| {
            let mut r = Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone());
            for (k, v) in &parts.headers {
                r = r.header(k, v);
            }
            (field, r.body(Body::from(b)).expect("request"))
        })
        .collect()
}

/// Text columns holding a run of the flood longer than any field may hold.
async fn over_long(db: &Db) -> Vec<String> {
    let marker = "安".repeat(LONGEST + 1);
    let mut found = Vec::new();
    match db {
        Db::Sqlite(p) => {
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'")
                    .fetch_all(p)
                    .await
                    .expect("tables");
            for t in tables {
                let cols: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT name, type FROM pragma_table_info('{t}')"
                )))
                .fetch_all(p)
                .await
                .expect("columns");
                for (c, ty) in cols
                    .into_iter()
                    .filter(|(_, ty)| ty.to_uppercase().contains("TEXT"))
                {
                    let _ = ty;
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*) FROM \"{t}\" WHERE instr(\"{c}\", $1) > 0"
                    )))
                    .bind(&marker)
                    .fetch_one(p)
                    .await
                    .expect("scan");
                    if n > 0 {
                        found.push(format!("{t}.{c}"));
                    }
                }
            }
        }
        Db::Postgres(p) => {
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json')",
            )
            .fetch_all(p)
            .await
            .expect("columns");
            for (t, c) in cols {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM \"{t}\" WHERE position($1 in \"{c}\"::text) > 0"
                )))
                .bind(&marker)
                .fetch_one(p)
                .await
                .expect("scan");
                if n > 0 {
                    found.push(format!("{t}.{c}"));
                }
            }
        }
    }
    found
}

/// Every text field of every route that writes, set in turn to 60,000 characters by a role
/// that may use the route: never a server error, and nothing stored holds more than the
/// longest field may (the hazard form once stored a 350,000-character description).
#[tokio::test]
async fn every_field_of_every_write_route_is_bounded() {
    let t = table();
    for backend in BACKENDS {
        let built = TestDb::new(backend).await;
        let f = fixture(&built.db).await;
        let app = app_over(built.db.clone());
        let mut errors = Vec::new();
        let mut sent = 0;
        for row in t.row.iter().filter(|r| !r.route.starts_with("GET ")) {
            let Some((_, username, _)) = ACCOUNTS
                .iter()
                .find(|(key, _, _)| row.roles[*key].split_whitespace().next() == Some("ok"))
            else {
                continue;
            };
            let session = app.session_for(&account_for(username, &row.object)).await;
            let req = request(row, &f, &f.places[0], Some(&session));
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .expect("body")
                .to_vec();
            let req = Request::from_parts(parts, Body::empty());
            for (field, flooded) in each_field_flooded(req, bytes) {
                let res = app.send(flooded).await;
                sent += 1;
                if res.status().is_server_error() {
                    errors.push(format!("{} {field}: {}", row.route, res.status()));
                }
            }
        }
        let long = over_long(&built.db).await;
        assert!(sent > 100, "{sent} flooded requests");
        assert!(
            errors.is_empty() && long.is_empty(),
            "{}: server errors {errors:?}; stored over {LONGEST} characters in {long:?}",
            backend.name()
        );
    }
}

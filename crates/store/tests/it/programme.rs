//! Counts as of a day: enterprises by their operating interval, certificates by validity,
//! revocation and supersession, self-assessments and audits by their dates, per unit.

use anbiao_domain::programme::Metric;
use anbiao_domain::standard::shipped;
use anbiao_domain::{Grade, Scope};
use anbiao_store::assessment::{self, Kind};
use anbiao_store::audits::{self, Class, NewAudit, Outcome};
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::grading::{self, NewCase};
use anbiao_store::programme::{BehindQuery, Side};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, enterprise, programme, standards};
use time::Date;
use time::macros::date;

use crate::account::admin;
use crate::{code, input};

async fn ent(db: &Db, n: u32, region: &str, sales_wan: &str, staff: &str, from: Date) -> i64 {
    let id = enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(
            &code(region, n),
            &format!("目标测试{n}厂"),
            region,
            "JX",
            sales_wan,
            staff,
        ),
    )
    .await
    .expect("enterprise");
    enterprise::set_life(db, &Scope::City, &admin(), id, from, None, "工商登记")
        .await
        .expect("life");
    id
}

async fn cert(db: &Db, e: i64, grade: Grade, from: Date, until: Date) -> i64 {
    certificate::issue(
        db,
        &admin(),
        &NewCertificate {
            enterprise_id: e,
            case_id: None,
            grade,
            industry: "JX".into(),
            issuer: "发证机关".into(),
            external: grade == Grade::One || grade == Grade::Two,
            issued_on: from,
            valid_until: until,
            rule: "grading.2014@1#validity".into(),
            region_abbr: '苏',
            number: None,
        },
    )
    .await
    .expect("certificate")
    .0
}

#[tokio::test]
async fn counts_are_what_the_records_said_on_the_day() {
    each_backend(|db| async move {
        for s in &shipped().expect("sheets").1 {
            standards::save(&db, &admin(), s).await.expect("sheet");
        }
        let long_ago = date!(2010 - 01 - 01);
        // Size by 工信部联企业〔2011〕300号: 规上 and ≥ 300 staff is medium, the others here small
        // or micro. A: 规上 with 三级 until 2019-01-09, audited and put into 整改 in 2018.
        let a = ent(&db, 1, "320682", "3000", "320", long_ago).await;
        cert(
            &db,
            a,
            Grade::Three,
            date!(2016 - 01 - 10),
            date!(2019 - 01 - 09),
        )
        .await;
        audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                enterprise_id: a,
                certificate_id: None,
                grade: "three",
                performed_on: date!(2018 - 09 - 01),
                score: Some(620),
                outcome: Outcome::Deficient,
                class: Some(Class::Rectify),
                findings: "有限空间作业审批流于形式",
                rectify_by: Some(date!(2018 - 12 - 01)),
                tree: None,
                checklist: &[],
                rule: None,
                revoke: false,
            },
        )
        .await
        .expect("audit");
        // B: 规上 without a certificate, self-assessed on 2018-10-01.
        let b = ent(&db, 2, "320682", "5000", "400", long_ago).await;
        let case = grading::open(
            &db,
            &Scope::City,
            &admin(),
            &NewCase {
                enterprise_id: b,
                grade: Grade::Three,
                opened_on: date!(2018 - 09 - 15),
                rule_set: "grading.2014@1".into(),
                sheet_id: "sample.gbt33000".into(),
                sheet_version: 1,
            },
        )
        .await
        .expect("case");
        let sheet = standards::get(&db, "sample.gbt33000", 1)
            .await
            .expect("ran")
            .expect("sheet");
        let inputs: Vec<_> = sheet
            .items()
            .map(|(_, i)| {
                (
                    anbiao_domain::scoring::ItemInput::earned(&i.code, i.points),
                    String::new(),
                )
            })
            .collect();
        let plain: Vec<_> = inputs.iter().map(|(i, _)| i.clone()).collect();
        let outcome = anbiao_domain::scoring::score(&sheet, &plain, &[]).expect("scored");
        assessment::submit(
            &db,
            &Scope::City,
            &admin(),
            &assessment::NewAssessment {
                case_id: case,
                kind: Kind::SelfAssessment,
                inputs: &inputs,
                outcome: &outcome,
                report: "自评",
                performed_on: date!(2018 - 10 - 01),
            },
        )
        .await
        .expect("self-assessment");
        // C: small, started with a small-micro case in 2018-09 and certified from 2018-11-01.
        let c = ent(&db, 3, "320682", "300", "12", long_ago).await;
        grading::open(
            &db,
            &Scope::City,
            &admin(),
            &NewCase {
                enterprise_id: c,
                grade: Grade::SmallMicro,
                opened_on: date!(2018 - 09 - 01),
                rule_set: "grading.2014@1".into(),
                sheet_id: "sample.small_micro.2014".into(),
                sheet_version: 1,
            },
        )
        .await
        .expect("case");
        cert(
            &db,
            c,
            Grade::SmallMicro,
            date!(2018 - 11 - 01),
            date!(2021 - 10 - 31),
        )
        .await;
        // D: micro, registered only in 2019.
        ent(&db, 4, "320682", "100", "5", date!(2019 - 03 - 01)).await;
        // E: small, closed on 2018-06-30.
        let e = ent(&db, 5, "320682", "200", "8", long_ago).await;
        enterprise::set_life(
            &db,
            &Scope::City,
            &admin(),
            e,
            long_ago,
            Some(date!(2018 - 06 - 30)),
            "注销",
        )
        .await
        .expect("closed");
        // F: 规上 二级, revoked on 2018-12-01.
        let f = ent(&db, 6, "320682", "8000", "500", long_ago).await;
        let fc = cert(
            &db,
            f,
            Grade::Two,
            date!(2017 - 03 - 01),
            date!(2020 - 02 - 28),
        )
        .await;
        certificate::revoke(
            &db,
            &Scope::City,
            &admin(),
            fc,
            date!(2018 - 12 - 01),
            "发生较大事故",
            None,
        )
        .await
        .expect("revoked");
        // G in 如东: 一级.
        let g = ent(&db, 7, "320623", "90000", "900", long_ago).await;
        cert(
            &db,
            g,
            Grade::One,
            date!(2017 - 06 - 01),
            date!(2020 - 05 - 31),
        )
        .await;

        let start = date!(2018 - 07 - 04);
        let on = |d| programme::counts(&db, d, start);
        let nov = on(date!(2018 - 11 - 30)).await.expect("counts");
        let rugao = &nov["如皋"];
        assert_eq!(
            (rugao.active, rugao.above_scale, rugao.small_micro),
            (4, 3, 1),
            "{rugao:?}"
        );
        assert_eq!((rugao.grade_two, rugao.grade_three), (1, 1));
        assert_eq!(rugao.above_scale_certified, 2);
        assert_eq!(
            rugao.above_scale_self_assessed, 3,
            "A and F certified, B self-assessed"
        );
        assert_eq!(
            (rugao.small_micro_started, rugao.small_micro_certified),
            (1, 1)
        );
        assert_eq!((rugao.grade_three_audited, rugao.rectification), (1, 1));
        assert_eq!(nov["如东"].grade_one, 1);

        let dec = on(date!(2018 - 12 - 31)).await.expect("counts");
        assert_eq!(dec["如皋"].grade_two, 0, "revoked on 2018-12-01");
        assert_eq!(
            dec["如皋"].above_scale_self_assessed, 2,
            "F no longer holds a certificate"
        );

        let later = on(date!(2019 - 06 - 30)).await.expect("counts");
        let rugao = &later["如皋"];
        assert_eq!(
            rugao.grade_three, 0,
            "A's certificate ran out on 2019-01-09"
        );
        assert_eq!(
            (rugao.active, rugao.small_micro, rugao.small_micro_certified),
            (5, 2, 1)
        );
        assert_eq!(
            rugao.grade_three_audited, 1,
            "the audit still counts within the programme"
        );

        // The lists behind each figure agree with the counts, on every day asked.
        for day in [
            date!(2018 - 11 - 30),
            date!(2018 - 12 - 31),
            date!(2019 - 06 - 30),
        ] {
            let counts = on(day).await.expect("counts");
            for unit in ["如皋", "如东"] {
                let c = counts.get(unit).cloned().unwrap_or_default();
                for metric in Metric::ALL {
                    let f = metric.figure(&c);
                    let list = |side| BehindQuery {
                        metric,
                        unit,
                        on: day,
                        since: start,
                        side,
                        limit: 1000,
                    };
                    let counted = programme::behind(&db, &Scope::City, &list(Side::Counted))
                        .await
                        .expect("counted");
                    let missing = programme::behind(&db, &Scope::City, &list(Side::Missing))
                        .await
                        .expect("missing");
                    assert_eq!(counted.len() as u64, f.numerator, "{unit} {metric} {day}");
                    if let Some(den) = f.denominator
                        && !matches!(
                            metric,
                            Metric::GradeThreeAuditRate | Metric::RectificationRate
                        )
                    {
                        assert_eq!(
                            (counted.len() + missing.len()) as u64,
                            den,
                            "{unit} {metric} {day}"
                        );
                    }
                }
            }
        }
        // Scope: another district sees nobody behind 如皋's figures.
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        let q = BehindQuery {
            metric: Metric::GradeTwoCount,
            unit: "如皋",
            on: date!(2018 - 11 - 30),
            since: start,
            side: Side::Counted,
            limit: 10,
        };
        assert_eq!(
            programme::behind(&db, &Scope::City, &q)
                .await
                .expect("city")
                .len(),
            1
        );
        assert!(
            programme::behind(&db, &rudong, &q)
                .await
                .expect("rudong")
                .is_empty()
        );

        // The 一级/二级 pipeline, each enterprise at its furthest stage: F graded (until its
        // revocation), B applying for 二级, A coached, D on the accepted key-enterprise list.
        grading::open(
            &db,
            &Scope::City,
            &admin(),
            &NewCase {
                enterprise_id: b,
                grade: Grade::Two,
                opened_on: date!(2018 - 10 - 15),
                rule_set: "grading.2014@1".into(),
                sheet_id: "sample.gbt33000".into(),
                sheet_version: 1,
            },
        )
        .await
        .expect_err("B already has an open case");
        let h = ent(&db, 8, "320682", "6000", "350", long_ago).await;
        grading::open(
            &db,
            &Scope::City,
            &admin(),
            &NewCase {
                enterprise_id: h,
                grade: Grade::Two,
                opened_on: date!(2018 - 10 - 15),
                rule_set: "grading.2014@1".into(),
                sheet_id: "sample.gbt33000".into(),
                sheet_version: 1,
            },
        )
        .await
        .expect("H applies for 二级");
        let org = anbiao_store::orgs::create_org(
            &db,
            &admin(),
            "辅导机构",
            "安全咨询",
            date!(2030 - 01 - 01),
        )
        .await
        .expect("org");
        anbiao_store::orgs::record_coaching(
            &db,
            &Scope::City,
            &admin(),
            org,
            a,
            date!(2018 - 08 - 01),
            "二级创建辅导",
        )
        .await
        .expect("coaching");
        let d_id = enterprise::id_by_credit_code(&db, &code("320682", 4))
            .await
            .expect("ran")
            .expect("D");
        let listed = anbiao_store::submissions::submit(
            &db,
            &admin(),
            &anbiao_store::submissions::NewSubmission {
                programme_id: "nantong.2018",
                deadline_key: "key_enterprises",
                unit: "如皋",
                file_name: "名单.pdf",
                bytes: b"%PDF-1.4",
                enterprise_ids: &[d_id, a],
                note: None,
                on: date!(2018 - 08 - 30),
            },
        )
        .await
        .expect("submitted");
        anbiao_store::submissions::decide(&db, &admin(), listed, true, None, date!(2018 - 09 - 05))
            .await
            .expect("accepted");
        let lists = vec!["key_enterprises".to_string()];
        let pipe = |d| programme::pipeline(&db, "nantong.2018", &lists, d);
        let p = pipe(date!(2018 - 11 - 30)).await.expect("pipeline");
        let rugao = p.get("如皋").cloned().unwrap_or_default();
        assert_eq!(
            (rugao.graded, rugao.applying, rugao.coached),
            (1, 1, 1),
            "{rugao:?}"
        );
        assert_eq!(rugao.reserve, 0, "D registers only in 2019");
        let p = pipe(date!(2019 - 06 - 30)).await.expect("pipeline");
        let rugao = p.get("如皋").cloned().unwrap_or_default();
        assert_eq!(
            (rugao.graded, rugao.applying, rugao.coached, rugao.reserve),
            (0, 1, 1, 1),
            "{rugao:?}"
        );
        // An audit recommending an upgrade puts the enterprise in reserve from its day.
        let k = ent(&db, 9, "320682", "4000", "330", date!(2019 - 01 - 01)).await;
        audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                enterprise_id: k,
                certificate_id: None,
                grade: "three",
                performed_on: date!(2019 - 03 - 01),
                score: Some(930),
                outcome: Outcome::Good,
                class: Some(Class::Upgrade),
                findings: "体系运行良好，推荐创建二级",
                rectify_by: None,
                tree: None,
                checklist: &[],
                rule: None,
                revoke: false,
            },
        )
        .await
        .expect("audit");
        for (d, reserve) in [(date!(2019 - 02 - 28), 0), (date!(2019 - 03 - 01), 2)] {
            let p = pipe(d).await.expect("pipeline");
            assert_eq!(p["如皋"].reserve, reserve, "{d}");
        }
        let early = pipe(date!(2018 - 09 - 01)).await.expect("pipeline");
        assert_eq!(
            early.get("如皋").map(|x| x.reserve).unwrap_or(0),
            0,
            "accepted only on 09-05"
        );
        assert_eq!(early["如东"].graded, 1);

        let before = on(date!(2018 - 06 - 01)).await.expect("counts");
        assert_eq!(
            before["如皋"].active, 6,
            "E was still open (and H, added for the pipeline)"
        );
        assert_eq!(
            before["如皋"].grade_three_audited, 0,
            "nothing audited before the programme"
        );
    })
    .await;
}

/// The counts from the running sums and from a scan of the records, compared on a day every
/// few weeks across the whole history.
async fn agree(db: &Db, start: Date) {
    let mut d = date!(2009 - 12 - 20);
    while d < date!(2022 - 06 - 30) {
        let mut kept = programme::counts(db, d, start).await.expect("sums");
        let mut scanned = programme::counts_by_scan(db, d, start).await.expect("scan");
        for m in [&mut kept, &mut scanned] {
            m.retain(|_, c| *c != Default::default());
        }
        assert_eq!(kept, scanned, "on {d}");
        d += time::Duration::days(23);
    }
}

#[tokio::test]
async fn running_sums_follow_every_change_and_agree_with_a_scan() {
    each_backend(|db| async move {
        let start = date!(2018 - 07 - 04);
        let long_ago = date!(2010 - 01 - 01);
        let a = ent(&db, 11, "320682", "3000", "320", long_ago).await;
        let three = cert(
            &db,
            a,
            Grade::Three,
            date!(2016 - 01 - 10),
            date!(2019 - 01 - 09),
        )
        .await;
        // Upgraded to 二级 from 2018-03-01, which supersedes the 三级 that day.
        cert(
            &db,
            a,
            Grade::Two,
            date!(2018 - 03 - 01),
            date!(2021 - 02 - 28),
        )
        .await;
        let b = ent(&db, 12, "320623", "200", "8", date!(2015 - 05 - 05)).await;
        let bc = cert(
            &db,
            b,
            Grade::SmallMicro,
            date!(2017 - 02 - 01),
            date!(2020 - 01 - 31),
        )
        .await;
        agree(&db, start).await;
        assert_eq!(
            anbiao_store::standing::pending(&db).await.expect("pending"),
            0
        );
        let on = date!(2018 - 02 - 15);
        let before = programme::counts(&db, on, start).await.expect("counts");
        assert_eq!(
            (
                before["如皋"].grade_three,
                before["如皋"].grade_two,
                before["如皋"].above_scale_certified
            ),
            (1, 0, 1)
        );

        // Each kind of change reaches the sums: a revocation, a closure, a new certificate
        // superseding an old one, an enterprise moving to another district, a district
        // joining another unit.
        certificate::revoke(
            &db,
            &Scope::City,
            &admin(),
            three,
            date!(2018 - 02 - 01),
            "降级",
            None,
        )
        .await
        .expect("revoked");
        enterprise::set_life(
            &db,
            &Scope::City,
            &admin(),
            b,
            date!(2015 - 05 - 05),
            Some(date!(2019 - 03 - 01)),
            "注销",
        )
        .await
        .expect("closed");
        assert!(anbiao_store::standing::pending(&db).await.expect("pending") >= 2);
        let after = programme::counts(&db, on, start).await.expect("counts");
        assert_eq!(
            (
                after["如皋"].grade_three,
                after["如皋"].above_scale_certified
            ),
            (0, 0),
            "revoked on 2018-02-01"
        );
        assert_eq!(
            programme::counts(&db, date!(2019 - 03 - 01), start)
                .await
                .expect("counts")
                .get("如东")
                .map(|c| c.active),
            None,
            "B closed"
        );
        let renewed = cert(
            &db,
            b,
            Grade::SmallMicro,
            date!(2018 - 12 - 01),
            date!(2021 - 11 - 30),
        )
        .await;
        assert!(renewed != bc);
        agree(&db, start).await;
        audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                enterprise_id: a,
                certificate_id: None,
                grade: "three",
                performed_on: date!(2018 - 09 - 01),
                score: None,
                outcome: Outcome::Deficient,
                class: Some(Class::Rectify),
                findings: "隐患台账不全",
                rectify_by: Some(date!(2018 - 12 - 01)),
                tree: None,
                checklist: &[],
                rule: None,
                revoke: false,
            },
        )
        .await
        .expect("audit");
        let audited = programme::counts(&db, date!(2018 - 12 - 31), start)
            .await
            .expect("counts");
        assert_eq!(
            (
                audited["如皋"].grade_three_audited,
                audited["如皋"].rectification
            ),
            (1, 1)
        );
        let move_sql = "UPDATE enterprise SET region_code = '320623' WHERE id = $1";
        match &db {
            Db::Sqlite(p) => sqlx::query(move_sql).bind(a).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(move_sql).bind(a).execute(p).await.map(|_| ()),
        }
        .expect("moved");
        let on = date!(2018 - 06 - 01);
        let moved = programme::counts(&db, on, start).await.expect("counts");
        assert_eq!(moved.get("如皋").map(|c| c.grade_two), None);
        assert_eq!(moved["如东"].grade_two, 1);
        let days = [
            date!(2018 - 08 - 31),
            date!(2018 - 09 - 30),
            date!(2018 - 12 - 31),
            date!(2019 - 06 - 30),
        ];
        let series = programme::counts_on_days(&db, &days, start)
            .await
            .expect("series");
        for (d, got) in days.iter().zip(&series) {
            assert_eq!(
                got,
                &programme::counts(&db, *d, start).await.expect("counts"),
                "{d}"
            );
        }
        assert_eq!(series[1]["如东"].grade_three_audited, 1);
        assert_eq!(
            series[0].get("如东").map(|c| c.grade_three_audited),
            Some(0)
        );
        let later = programme::counts(&db, date!(2018 - 12 - 31), start)
            .await
            .expect("counts");
        assert_eq!(
            later["如东"].grade_three_audited, 1,
            "the audit follows its enterprise"
        );
        let unit_sql = "UPDATE region SET unit = '如皋' WHERE code = '320623'";
        match &db {
            Db::Sqlite(p) => sqlx::query(unit_sql).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(unit_sql).execute(p).await.map(|_| ()),
        }
        .expect("unit");
        let merged = programme::counts(&db, on, start).await.expect("counts");
        assert_eq!(merged.get("如东").map(|c| c.active), None);
        assert_eq!(merged["如皋"].active, 2);
        agree(&db, start).await;
    })
    .await;
}

fn item(element: &str, verdict: &str, note: &str) -> audits::ChecklistItem {
    audits::ChecklistItem {
        element: element.into(),
        title: format!("要素{element}"),
        verdict: verdict.into(),
        note: note.into(),
    }
}

#[tokio::test]
async fn audit_outcomes_drive_the_life_cycle_by_the_programmes_rules() {
    each_backend(|db| async move {
        let long_ago = date!(2010 - 01 - 01);
        let start = date!(2018 - 07 - 04);
        let x = ent(&db, 21, "320682", "900", "40", long_ago).await;
        let xc = cert(
            &db,
            x,
            Grade::Three,
            date!(2017 - 01 - 01),
            date!(2019 - 12 - 31),
        )
        .await;
        let base = |outcome, checklist| NewAudit {
            enterprise_id: x,
            certificate_id: Some(xc),
            grade: "three",
            performed_on: date!(2018 - 09 - 01),
            score: Some(700),
            outcome,
            class: Some(Class::Rectify),
            findings: "隐患排查流于形式",
            rectify_by: Some(date!(2018 - 11 - 30)),
            tree: Some(("GB/T 33000-2016", 1)),
            checklist,
            rule: Some("nantong.2018#audit.deficient"),
            revoke: false,
        };
        let twice = [item("5.1", "conform", ""), item("5.1", "partial", "")];
        let e = audits::record(
            &db,
            &Scope::City,
            &admin(),
            &base(Outcome::Deficient, &twice),
        )
        .await
        .expect_err("duplicate element");
        assert!(e.to_string().contains("重复"), "{e}");
        let failing_item = [
            item("5.1", "conform", ""),
            item("5.5", "nonconform", "台账缺失"),
        ];
        let e = audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                class: None,
                rectify_by: None,
                ..base(Outcome::Good, &failing_item)
            },
        )
        .await
        .expect_err("good with a nonconformity");
        assert!(e.to_string().contains("不能为良好"), "{e}");
        let e = audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                rectify_by: Some(date!(2018 - 08 - 01)),
                ..base(Outcome::Deficient, &failing_item)
            },
        )
        .await
        .expect_err("deadline before the audit");
        assert!(e.to_string().contains("整改期限"), "{e}");
        let id = audits::record(
            &db,
            &Scope::City,
            &admin(),
            &base(Outcome::Deficient, &failing_item),
        )
        .await
        .expect("recorded");
        let (a, items) = audits::get(&db, &Scope::City, id).await.expect("get");
        assert_eq!(items, failing_item.to_vec());
        assert_eq!(a.rule.as_deref(), Some("nantong.2018#audit.deficient"));

        // A re-check before the audit is refused; a failed one revokes and classes 淘汰.
        let recheck = |on, passed| audits::Recheck {
            audit_id: id,
            on,
            passed,
            note: "整改不到位",
            rule: Some("nantong.2018#audit.recheck_failed"),
            revoke: true,
        };
        audits::recheck(
            &db,
            &Scope::City,
            &admin(),
            &recheck(date!(2018 - 08 - 01), false),
        )
        .await
        .expect_err("before the audit");
        let revoked = audits::recheck(
            &db,
            &Scope::City,
            &admin(),
            &recheck(date!(2018 - 12 - 10), false),
        )
        .await
        .expect("rechecked");
        assert_eq!(revoked, Some(xc));
        let c = certificate::get(&db, &Scope::City, xc).await.expect("cert");
        assert_eq!(c.revoked_on.as_deref(), Some("2018-12-10"));
        assert!(c.revoked_reason.unwrap_or_default().contains("整改复查"));
        let (a, _) = audits::get(&db, &Scope::City, id).await.expect("get");
        assert_eq!(
            (a.classification.as_deref(), a.recheck_passed),
            (Some("eliminate"), Some(false))
        );
        audits::recheck(
            &db,
            &Scope::City,
            &admin(),
            &recheck(date!(2018 - 12 - 11), true),
        )
        .await
        .expect_err("only one re-check");
        let counts = programme::counts(&db, date!(2018 - 12 - 31), start)
            .await
            .expect("counts");
        assert_eq!(counts["如皋"].grade_three, 0);
        assert_eq!(counts["如皋"].rectification, 1);

        // Good: renewal without re-evaluation once the renewal window opens.
        let rules = anbiao_domain::ReferenceData::embedded()
            .expect("reference")
            .grading;
        let all_conform = [item("5.1", "conform", "")];
        let y = ent(&db, 22, "320682", "900", "40", long_ago).await;
        let yc = cert(
            &db,
            y,
            Grade::Three,
            date!(2016 - 06 - 01),
            date!(2019 - 05 - 31),
        )
        .await;
        let good = audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                enterprise_id: y,
                certificate_id: Some(yc),
                class: Some(Class::Upgrade),
                rectify_by: None,
                performed_on: date!(2018 - 10 - 01),
                ..base(Outcome::Good, &all_conform)
            },
        )
        .await
        .expect("good audit");
        let renew = |on| audits::Renewal {
            audit_id: good,
            on,
            rule: "nantong.2018#audit.good",
            rules: &rules,
        };
        let e = audits::renew(&db, &Scope::City, &admin(), &renew(date!(2018 - 11 - 01)))
            .await
            .expect_err("too early");
        assert!(e.to_string().contains("换证期"), "{e}");
        let (new_id, number) =
            audits::renew(&db, &Scope::City, &admin(), &renew(date!(2019 - 04 - 01)))
                .await
                .expect("renewed");
        let old = certificate::get(&db, &Scope::City, yc).await.expect("old");
        assert_eq!(old.superseded_by, Some(new_id));
        let new = certificate::get(&db, &Scope::City, new_id)
            .await
            .expect("new");
        assert_eq!(
            (new.number.as_str(), new.grade.as_str()),
            (number.as_str(), "three")
        );
        assert!(
            new.rule.starts_with("nantong.2018#audit.good"),
            "{}",
            new.rule
        );
        assert_eq!(new.valid_until, "2022-03-31");
        audits::renew(&db, &Scope::City, &admin(), &renew(date!(2019 - 04 - 02)))
            .await
            .expect_err("renewed once");

        // Failing: the certificate is revoked on the day of the audit.
        let z = ent(&db, 23, "320682", "900", "40", long_ago).await;
        let zc = cert(
            &db,
            z,
            Grade::Three,
            date!(2017 - 03 - 01),
            date!(2020 - 02 - 28),
        )
        .await;
        audits::record(
            &db,
            &Scope::City,
            &admin(),
            &NewAudit {
                enterprise_id: z,
                certificate_id: Some(zc),
                class: Some(Class::Eliminate),
                rectify_by: None,
                rule: Some("nantong.2018#audit.failing"),
                revoke: true,
                performed_on: date!(2019 - 03 - 15),
                ..base(
                    Outcome::Failing,
                    &[item("5.1", "nonconform", "无安全生产责任制")],
                )
            },
        )
        .await
        .expect("failing audit");
        let c = certificate::get(&db, &Scope::City, zc).await.expect("cert");
        assert_eq!(c.revoked_on.as_deref(), Some("2019-03-15"));
    })
    .await;
}

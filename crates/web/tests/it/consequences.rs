//! Incentives and restrictions (激励约束措施, issue 19 items 1 and 2): each measure's list of the
//! day names the enterprises within the reader's scope with the facts that put each there, as a
//! page, a workbook and the API; the SQL that finds them agrees with the rules that explain them;
//! officers record designations (国有工贸企业, 市级诚信示范企业) within their scope.

use std::collections::BTreeSet;

use anbiao_domain::grade::Grade;
use anbiao_domain::rules::Accident;
use anbiao_domain::{EnterpriseDraft, ReferenceData, Scope};
use anbiao_store::audit_log::Actor;
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::enterprise;
use anbiao_store::testing::each_backend;
use time::Duration;

use crate::grading::enterprise_in_rugao;
use crate::{TestApp, body_bytes, body_text};

pub(crate) async fn enterprise_in_rudong(db: &anbiao_store::Db, n: u32, name: &str) -> i64 {
    let r = ReferenceData::embedded().expect("reference");
    let e = EnterpriseDraft {
        credit_code: Some(crate::code("320623", n)),
        name: Some(name.into()),
        region: Some("320623".into()),
        industry: Some("JX".into()),
        ..Default::default()
    }
    .validate(
        &r,
        anbiao_web::today(),
        anbiao_domain::enterprise::OverridePolicy::Allowed,
    )
    .expect("valid");
    enterprise::create(db, &Scope::City, &Actor::new("tester", "cli"), &e)
        .await
        .expect("enterprise")
}

pub(crate) async fn certify(
    db: &anbiao_store::Db,
    ent: i64,
    grade: Grade,
    issued: time::Date,
    until: time::Date,
) -> i64 {
    certificate::issue(
        db,
        &Actor::new("tester", "cli"),
        &NewCertificate {
            enterprise_id: ent,
            case_id: None,
            grade,
            industry: "JX".into(),
            issuer: "南通市应急管理局".into(),
            external: false,
            issued_on: issued,
            valid_until: until,
            rule: "grading.2021@1#validity".into(),
            region_abbr: '苏',
            number: None,
        },
    )
    .await
    .expect("certificate")
    .0
}

pub(crate) async fn accident(db: &anbiao_store::Db, ent: i64, on: time::Date) {
    anbiao_store::accident::record(
        db,
        &Scope::City,
        &Actor::new("tester", "cli"),
        ent,
        &Accident {
            occurred_on: on,
            deaths: 0,
            serious_injuries: 1,
            direct_loss_yuan: 80_000,
        },
        "冲床作业时一名员工手部受伤",
    )
    .await
    .expect("accident");
}

/// The enterprise operated since 2010, so that a list of a past day may hold it.
pub(crate) async fn operating_since_2010(db: &anbiao_store::Db, id: i64) {
    enterprise::set_life(
        db,
        &Scope::City,
        &Actor::new("tester", "cli"),
        id,
        time::macros::date!(2010 - 01 - 01),
        None,
        "测试：开业日期",
    )
    .await
    .expect("life");
}

fn names_in(page: &str, names: &[&str]) -> BTreeSet<String> {
    names
        .iter()
        .filter(|n| page.contains(*n))
        .map(|n| n.to_string())
        .collect()
}

#[tokio::test]
async fn each_list_names_the_enterprises_of_the_day_with_their_facts_within_scope() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let today = anbiao_web::today();
        let day = anbiao_domain::date::format_date(today);
        let actor = Actor::new("tester", "cli");
        // 华峰: 二级, clean. 东方: 三级 with an accident two months ago. 旧港: no certificate,
        // state-owned, an accident a month ago. 海鸥: its 二级 certificate revoked a month ago.
        // 掘港 (如东): 一级.
        let huafeng = enterprise_in_rugao(&db, 61, "南通华峰机械有限公司").await;
        let dongfang = enterprise_in_rugao(&db, 62, "如皋市东方五金有限公司").await;
        let jiugang = enterprise_in_rugao(&db, 63, "如皋市旧港铸造厂").await;
        let haiou = enterprise_in_rugao(&db, 64, "如皋市海鸥金属制品有限公司").await;
        let juegang = enterprise_in_rudong(&db, 65, "如东县掘港冶金有限公司").await;
        for id in [huafeng, dongfang, jiugang, haiou, juegang] {
            operating_since_2010(&db, id).await;
        }
        let two_issued = today - Duration::days(400);
        certify(
            &db,
            huafeng,
            Grade::Two,
            two_issued,
            today + Duration::days(600),
        )
        .await;
        certify(
            &db,
            dongfang,
            Grade::Three,
            today - Duration::days(300),
            today + Duration::days(700),
        )
        .await;
        accident(&db, dongfang, today - Duration::days(60)).await;
        accident(&db, jiugang, today - Duration::days(30)).await;
        let revoked = certify(
            &db,
            haiou,
            Grade::Two,
            today - Duration::days(500),
            today + Duration::days(500),
        )
        .await;
        certificate::revoke(
            &db,
            &Scope::City,
            &actor,
            revoked,
            today - Duration::days(30),
            "发生较大事故",
            None,
        )
        .await
        .expect("revoke");
        certify(
            &db,
            juegang,
            Grade::One,
            today - Duration::days(200),
            today + Duration::days(900),
        )
        .await;
        let all = [
            "南通华峰机械有限公司",
            "如皋市东方五金有限公司",
            "如皋市旧港铸造厂",
            "如皋市海鸥金属制品有限公司",
            "如东县掘港冶金有限公司",
        ];
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();

        let rugao = app.session_for("rugao").await;
        // The state-owned designation, recorded through the page by the district.
        let res = app
            .send(rugao.form(
                &format!("/enterprises/{jiugang}/designations"),
                &[
                    ("designation", "state_owned"),
                    (
                        "since",
                        &anbiao_domain::date::format_date(today - Duration::days(400)),
                    ),
                    ("basis", "如皋市国资办《市属国有企业名录》"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);

        // Credit support: certified, no accident and no revocation in twelve months.
        let page = body_text(
            app.send(rugao.get("/consequences/banking.credit_support"))
                .await,
        )
        .await;
        assert_eq!(
            names_in(&page, &all),
            set(&["南通华峰机械有限公司"]),
            "{page}"
        );
        assert!(
            page.contains("二级证书 苏AQB")
                && page.contains("近12个月无生产安全事故记录；近12个月无证书被撤销"),
            "{page}"
        );
        // 华峰 is not listed on a day before its certificate was issued.
        let before = anbiao_domain::date::format_date(two_issued - Duration::days(1));
        let page = body_text(
            app.send(rugao.get(&format!("/consequences/banking.credit_support?on={before}")))
                .await,
        )
        .await;
        // 海鸥's certificate, revoked since, was valid then with nothing against it.
        assert_eq!(
            names_in(&page, &all),
            set(&["如皋市海鸥金属制品有限公司"]),
            "{page}"
        );

        // Excluded from the listing reserve: no valid certificate on the day, revoked included.
        let page = body_text(app.send(rugao.get("/consequences/listing.excluded")).await).await;
        assert_eq!(
            names_in(&page, &all),
            set(&["如皋市旧港铸造厂", "如皋市海鸥金属制品有限公司"]),
            "{page}"
        );
        assert!(
            page.contains("当日无有效的安全生产标准化证书（未达标）"),
            "{page}"
        );

        // The pay cut of a state-owned enterprise: all three facts in words.
        let page = body_text(
            app.send(rugao.get("/consequences/sasac.accident_pay_cut"))
                .await,
        )
        .await;
        assert_eq!(names_in(&page, &all), set(&["如皋市旧港铸造厂"]), "{page}");
        let acc = anbiao_domain::date::format_date(today - Duration::days(30));
        assert!(
            page.contains(&format!("{acc}发生生产安全事故（近12个月内）")),
            "{page}"
        );
        assert!(page.contains("国有工贸企业（自"), "{page}");
        // The rule is shown and, being an inference, marked to be checked.
        assert!(page.contains("待核对"), "{page}");

        // The city reads both districts through the API; 如东 reads its own only.
        let city = app.session_for("city").await;
        let res = app
            .send(city.get("/api/v1/consequences/listing.preferred"))
            .await;
        assert_eq!(res.status(), 200);
        let json = body_text(res).await;
        assert_eq!(
            names_in(&json, &all),
            set(&["南通华峰机械有限公司", "如东县掘港冶金有限公司"]),
            "{json}"
        );
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["on"], day);
        assert_eq!(v["measure"]["effect"], "preferred");
        assert_eq!(
            v["measure"]["rule"],
            "consequences@1#measure.listing.preferred"
        );
        let rudong = app.session_for("rudong").await;
        let json = body_text(
            app.send(rudong.get("/api/v1/consequences/listing.preferred"))
                .await,
        )
        .await;
        assert_eq!(
            names_in(&json, &all),
            set(&["如东县掘港冶金有限公司"]),
            "{json}"
        );

        // The workbook holds the page's list with the reasons.
        let res = app
            .send(rugao.get("/consequences/listing.excluded/export.xlsx"))
            .await;
        assert_eq!(res.status(), 200);
        let bytes = body_bytes(res).await;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        use calamine::Reader;
        let range = book.worksheet_range_at(0).expect("sheet").expect("range");
        let cells: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
        let text = cells.join("|");
        assert_eq!(
            names_in(&text, &all),
            set(&["如皋市旧港铸造厂", "如皋市海鸥金属制品有限公司"]),
            "{text}"
        );
        assert!(text.contains("六（五）1"), "{text}");
        assert!(
            text.contains("consequences@1#measure.listing.excluded"),
            "{text}"
        );
        // The central bank's list comes in its own layout: its sheet, its headers, the grade and
        // the certificate of each enterprise, and a column left for the bank to fill in.
        let res = app
            .send(rugao.get("/consequences/pboc.credit_data/export.xlsx"))
            .await;
        assert_eq!(res.status(), 200);
        let bytes = body_bytes(res).await;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
        assert_eq!(book.sheet_names(), ["标准化企业信息"]);
        let range = book.worksheet_range_at(0).expect("sheet").expect("range");
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let head = rows
            .iter()
            .position(|r| r.first().is_some_and(|c| c == "统一社会信用代码"))
            .unwrap_or_else(|| panic!("{rows:?}"));
        assert_eq!(
            rows[head],
            [
                "统一社会信用代码",
                "企业名称",
                "安全生产标准化等级",
                "证书编号",
                "证书有效期至",
                "录入依据",
                "录入情况"
            ]
        );
        let huafeng_row = rows
            .iter()
            .find(|r| r.get(1).is_some_and(|n| n == "南通华峰机械有限公司"))
            .unwrap_or_else(|| panic!("{rows:?}"));
        assert_eq!(huafeng_row[2], "二级");
        assert!(huafeng_row[3].starts_with("苏AQB"), "{huafeng_row:?}");
        assert!(huafeng_row[6].is_empty(), "{huafeng_row:?}");

        // Bad days and keys: refused in words, nothing shown.
        for (q, status, words) in [
            ("?on=2019-13-45", 400, "无法识别"),
            ("?on=2018-07-03", 400, "没有施行的激励约束措施"),
            ("?on=0000-01-01", 400, "无法识别"),
            (
                &format!(
                    "?on={}",
                    anbiao_domain::date::format_date(today + Duration::days(1))
                )[..],
                400,
                "今天及以前",
            ),
        ] {
            let res = app
                .send(rugao.get(&format!("/api/v1/consequences/listing.excluded{q}")))
                .await;
            assert_eq!(res.status(), status, "{q}");
            let body = body_text(res).await;
            assert!(body.contains(words), "{q}: {body}");
        }
        let res = app.send(rugao.get("/consequences/no.such.measure")).await;
        assert_eq!(res.status(), 404);
        // The credit-model deadline is not in force before 2020.
        let res = app
            .send(rugao.get("/consequences/economy.credit_model_to_handle?on=2019-06-30"))
            .await;
        assert_eq!(res.status(), 404);
    })
    .await;
}

/// The SQL that finds a measure's enterprises and the rules that explain each must agree: an
/// enterprise the store lists has reasons, and every enterprise whose facts satisfy the measure
/// is listed. Checked for every measure over a mixed set of enterprises and two days.
#[tokio::test]
async fn the_lists_found_in_sql_agree_with_the_rules_on_every_measure() {
    each_backend(|db| async move {
        let _app = TestApp::new(db.clone()).await;
        let today = anbiao_web::today();
        let actor = Actor::new("tester", "cli");
        let reference = ReferenceData::embedded().expect("reference");
        let mut ids = Vec::new();
        for n in 0..12u32 {
            let id = enterprise_in_rugao(&db, 100 + n, &format!("如皋市测试{n}号机械厂")).await;
            ids.push(id);
            operating_since_2010(&db, id).await;
            let grade = [Grade::One, Grade::Two, Grade::Three, Grade::SmallMicro][n as usize % 4];
            if n % 3 != 0 {
                let cid = certify(
                    &db,
                    id,
                    grade,
                    today - Duration::days(100 + 50 * i64::from(n)),
                    today + Duration::days(300 - 60 * i64::from(n)),
                )
                .await;
                if n % 5 == 1 {
                    certificate::revoke(
                        &db,
                        &Scope::City,
                        &actor,
                        cid,
                        today - Duration::days(20 * i64::from(n)),
                        "测试撤销",
                        None,
                    )
                    .await
                    .expect("revoke");
                }
            }
            if n % 4 == 2 {
                accident(&db, id, today - Duration::days(40 * i64::from(n))).await;
            }
            if n % 2 == 0 {
                anbiao_store::consequences::designate(
                    &db,
                    &actor,
                    &Scope::City,
                    id,
                    if n % 4 == 0 {
                        ("state_owned", "国有工贸企业")
                    } else {
                        ("credit_model", "市级诚信示范企业")
                    },
                    today - Duration::days(30 * i64::from(n)),
                    "测试认定",
                )
                .await
                .expect("designate");
            }
        }
        let scope = Scope::Region {
            codes: vec!["320682".into()],
        };
        let mut listed_somewhere = 0;
        for day in [today, today - Duration::days(200)] {
            let set = reference.consequences.on(day).expect("in force");
            let ks = reference
                .inspection
                .in_force(day)
                .expect("inspection")
                .key_statuses
                .clone();
            let facts = anbiao_store::consequences::facts(&db, &ids, day, 120, &ks)
                .await
                .expect("facts");
            for m in set.measures_on(day) {
                let found: BTreeSet<i64> =
                    anbiao_store::consequences::chunk(&db, &scope, &m.when, &ks, day, 0, 100_000)
                        .await
                        .expect("list")
                        .into_iter()
                        .map(|l| l.id)
                        .filter(|id| ids.contains(id))
                        .collect();
                let decided: BTreeSet<i64> = ids
                    .iter()
                    .copied()
                    .filter(|id| m.decide(&facts[id], day, &set.designations).is_some())
                    .collect();
                assert_eq!(found, decided, "{} on {day}", m.key);
                listed_somewhere += found.len();
            }
        }
        assert!(listed_somewhere > 20, "the fixture exercises the measures");
    })
    .await;
}

#[tokio::test]
async fn designations_are_an_officers_record_within_scope_and_end_without_being_lost() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let today = anbiao_web::today();
        let ent = enterprise_in_rugao(&db, 71, "如皋市港城钢结构有限公司").await;
        let since = anbiao_domain::date::format_date(today - Duration::days(100));
        let form = [
            ("designation", "credit_model"),
            ("since", since.as_str()),
            ("basis", "南通市2018年度诚信示范企业名单"),
        ];
        let path = format!("/enterprises/{ent}/designations");
        // Another district cannot see it: not found, nothing recorded.
        let rudong = app.session_for("rudong").await;
        assert_eq!(app.send(rudong.form(&path, &form)).await.status(), 404);
        // An enterprise cannot designate itself.
        crate::add_user(
            &db,
            "gangcheng",
            anbiao_domain::Role::EnterpriseManager,
            None,
            Some(ent),
        )
        .await;
        let own = app.session_for("gangcheng").await;
        assert_eq!(app.send(own.form(&path, &form)).await.status(), 403);
        // Bad input, in words, nothing recorded.
        let rugao = app.session_for("rugao").await;
        let future = anbiao_domain::date::format_date(today + Duration::days(1));
        for (pairs, words) in [
            (
                vec![
                    ("designation", "vip"),
                    ("since", since.as_str()),
                    ("basis", "x"),
                ],
                "请选择认定类别",
            ),
            (
                vec![
                    ("designation", "credit_model"),
                    ("since", future.as_str()),
                    ("basis", "x"),
                ],
                "不能晚于今天",
            ),
            (
                vec![
                    ("designation", "credit_model"),
                    ("since", since.as_str()),
                    ("basis", "\u{200b}\u{200b}"),
                ],
                "请写明认定依据",
            ),
        ] {
            let res = app.send(rugao.form(&path, &pairs)).await;
            assert_eq!(res.status(), 422);
            let page = body_text(res).await;
            assert!(page.contains(words), "{words}: {page}");
        }
        assert!(
            anbiao_store::consequences::designations_of(&db, ent)
                .await
                .expect("read")
                .is_empty()
        );
        // The district records it; a second while it runs is refused.
        assert_eq!(app.send(rugao.form(&path, &form)).await.status(), 204);
        let res = app.send(rugao.form(&path, &form)).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("请先终止现有认定"));
        let rec = anbiao_store::consequences::designations_of(&db, ent)
            .await
            .expect("read")
            .remove(0);
        // The township officer of the enterprise's township sees it (the enterprise has none:
        // not found); the page shows the basis.
        let page = body_text(app.send(rugao.get(&path)).await).await;
        assert!(page.contains("南通市2018年度诚信示范企业名单"), "{page}");
        assert!(page.contains("市级诚信示范企业"), "{page}");
        // Ending: not before it began, with a reason; then it stays on file as ended.
        let end = format!("/designations/{}/end", rec.id);
        let res = app
            .send(rugao.form(&end, &[("until", since.as_str()), ("reason", "名单调整")]))
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            app.send(rudong.form(
                &end,
                &[
                    ("until", &anbiao_domain::date::format_date(today)),
                    ("reason", "名单调整")
                ]
            ))
            .await
            .status(),
            404
        );
        let res = app
            .send(rugao.form(
                &end,
                &[
                    ("until", &anbiao_domain::date::format_date(today)),
                    ("reason", "2020年名单未再列入"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204);
        let rec = anbiao_store::consequences::designations_of(&db, ent)
            .await
            .expect("read")
            .remove(0);
        assert_eq!(
            rec.until.as_deref(),
            Some(anbiao_domain::date::format_date(today).as_str())
        );
        assert_eq!(rec.end_reason.as_deref(), Some("2020年名单未再列入"));
        // A new period may not reach back into the ended one, nor begin in year 0.
        for (since, words) in [
            (since.as_str(), "新认定的日期应不早于"),
            ("1900-01-01", "不能早于 1950 年"),
        ] {
            let res = app
                .send(rugao.form(
                    &path,
                    &[
                        ("designation", "credit_model"),
                        ("since", since),
                        ("basis", "南通市2019年度诚信示范企业名单"),
                    ],
                ))
                .await;
            assert_eq!(res.status(), 422, "{since}");
            let page = body_text(res).await;
            assert!(page.contains(words), "{words}: {page}");
        }
        // The credit-model measure reads the designation on the days it held.
        let held = today - Duration::days(1);
        let facts = anbiao_store::consequences::facts(&db, &[ent], held, 12, &[])
            .await
            .expect("facts");
        assert_eq!(facts[&ent].designations.len(), 1);
        let facts = anbiao_store::consequences::facts(&db, &[ent], today, 12, &[])
            .await
            .expect("facts");
        assert!(facts[&ent].designations.is_empty());
    })
    .await;
}

//! The obligation list (监管清单, issue 18): an enterprise checks itself against its list,
//! officers read it within their scope, features decide which items apply.

use anbiao_domain::{Role, Scope};
use anbiao_store::testing::each_backend;

use crate::grading::enterprise_in_rugao;
use crate::{TestApp, add_user, body_bytes, body_text};

fn status_of<'a>(page: &'a str, key: &str) -> &'a str {
    let row = page
        .split(&format!("id=\"item-{key}\""))
        .nth(1)
        .expect("the item's row");
    let row = row.split("</tr>").next().unwrap_or(row);
    row.split("class=\"tag st-")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap_or("")
}

#[tokio::test]
async fn an_enterprise_checks_itself_against_its_list_and_officers_read_it() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&db, 71, "南通恒远铸造有限公司").await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        let qiye = app.session_for("qiye").await;
        let list = format!("/enterprises/{ent}/obligations");

        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert!(page.contains("落实“党政同责”"), "{page}");
        assert_eq!(status_of(&page, "five.training"), "open");
        // The rule in words, with its page; recalled bases say 待核对.
        assert!(page.contains("/rules/obligations@1#item.five.training"));
        // Articles of the law in force on the day: its 2021 revision now.
        assert!(page.contains("《中华人民共和国安全生产法》（2021年修正）第二十四条（待核对）"));
        assert!(
            !page.contains("2014年修正"),
            "the 2014 articles no longer cited"
        );
        // Without the dust feature, no dust items.
        assert!(!page.contains("id=\"item-dust.cleaning\""));

        // Confirmed with a PDF, and with a note only.
        let res = app
            .send(qiye.multipart(
                "/obligations/five.training/confirm",
                &[("note", "年度培训计划已执行，档案齐全")],
                Some(("培训档案.pdf", b"%PDF-1.4\n%test\n")),
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(qiye.multipart(
                "/obligations/five.investment/confirm",
                &[("note", "安全生产费用台账已建立")],
                None,
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        // A gap found in its own check, to be put right.
        let by = anbiao_domain::date::format_date(anbiao_web::today() + time::Duration::days(30));
        let res = app
            .send(qiye.form(
                "/obligations/law.special_workers/gap",
                &[("note", "一名电工证书过期"), ("rectify_by", &by)],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);

        let page = body_text(app.send(qiye.get(&list)).await).await;
        let json = crate::body_json(
            app.send(qiye.get(&format!("/api/v1/enterprises/{ent}/obligations")))
                .await,
        )
        .await;
        let item = |key: &str| {
            json["items"]
                .as_array()
                .and_then(|a| a.iter().find(|i| i["key"] == key))
                .map(|i| i["status"].as_str().unwrap_or("").to_string())
        };
        assert_eq!(item("five.training").as_deref(), Some("done"), "{json}");
        assert_eq!(
            item("law.special_workers").as_deref(),
            Some("gap"),
            "{json}"
        );
        assert_eq!(status_of(&page, "five.training"), "done");
        assert_eq!(status_of(&page, "five.investment"), "done");
        assert_eq!(status_of(&page, "law.special_workers"), "gap");
        assert!(page.contains("一名电工证书过期"));
        let link = page
            .split("href=\"/obligation-records/")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .expect("the evidence link");
        let res = app
            .send(qiye.get(&format!("/obligation-records/{link}")))
            .await;
        assert_eq!(res.status(), 200);
        // The file keeps the name it had on the enterprise's computer.
        let disposition = res
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            disposition.contains(&anbiao_domain::text::percent_encode("培训档案.pdf")),
            "{disposition}"
        );
        assert!(body_bytes(res).await.starts_with(b"%PDF-"));

        // Bad input changes nothing, with the reason in words.
        let res = app
            .send(qiye.multipart(
                "/obligations/five.training/confirm",
                &[("note", "再次确认")],
                None,
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("本期已于"));
        let res = app
            .send(qiye.multipart(
                "/obligations/five.emergency/confirm",
                &[("note", "")],
                Some(("演练.exe", b"MZ\x90\x00not a document")),
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("JPEG、PNG 图片或 PDF"));
        let res = app
            .send(qiye.form(
                "/obligations/five.emergency/gap",
                &[("note", "未演练"), ("rectify_by", "2000-01-01")],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("整改期限应在今天至一年以内"));
        let res = app
            .send(qiye.form(
                "/obligations/dust.cleaning/gap",
                &[("note", "积尘"), ("rectify_by", &by)],
            ))
            .await;
        assert_eq!(res.status(), 422, "not on this enterprise's list");
        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert_eq!(
            status_of(&page, "five.emergency"),
            "open",
            "nothing changed"
        );

        // The gap is put right by confirming the item.
        let res = app
            .send(qiye.multipart(
                "/obligations/law.special_workers/confirm",
                &[("note", "已复审取证")],
                None,
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert_eq!(status_of(&page, "law.special_workers"), "rectified");
        // What was done is read beside the problem it put right.
        let row = page
            .split("id=\"item-law.special_workers\"")
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_default();
        assert!(
            row.contains("已复审取证") && row.contains("原问题：一名电工证书过期"),
            "{row}"
        );

        // A gap left open: the enterprise is reminded before its day, and after it the
        // officers are told too, once; the gap put right is not escalated.
        let res = app
            .send(qiye.form(
                "/obligations/law.ppe/gap",
                &[("note", "防护手套发放台账缺两个月"), ("rectify_by", &by)],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let due = anbiao_web::today() + time::Duration::days(30);
        for day in [due - time::Duration::days(3), due + time::Duration::days(1)] {
            anbiao_store::queue::work(&db, "test", day)
                .await
                .expect("queue");
            anbiao_store::queue::work(&db, "test", day)
                .await
                .expect("again");
        }
        let notes = anbiao_store::notify::list(
            &db,
            &anbiao_domain::Scope::City,
            anbiao_store::notify::Audience::Officer,
            50,
        )
        .await
        .expect("notes");
        let escalated: Vec<_> = notes
            .iter()
            .filter(|n| n.kind == "obligation.gap_overdue")
            .collect();
        assert_eq!(escalated.len(), 1, "only the open gap, once: {notes:?}");
        assert!(escalated[0].body.contains("防护手套"));
        let page = body_text(
            app.send(app.session_for("rugao").await.get("/notifications"))
                .await,
        )
        .await;
        assert!(
            page.contains("监管清单自查问题逾期未整改") && page.contains("劳动防护用品"),
            "the rule in words: {page}"
        );
        let mine = body_text(app.send(qiye.get("/notifications")).await).await;
        assert!(mine.contains("整改期限将至"), "{mine}");

        // The district officer reads the list and records a feature; the dust items apply.
        let rugao = app.session_for("rugao").await;
        let page = body_text(app.send(rugao.get(&list)).await).await;
        assert_eq!(status_of(&page, "five.training"), "done");
        assert!(
            !page.contains("action=\"/obligations/"),
            "officers do not confirm"
        );
        let res = app
            .send(rugao.form(
                &format!("/enterprises/{ent}/features"),
                &[("feature", "dust"), ("on", "1")],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert_eq!(status_of(&page, "dust.cleaning"), "open");
        // A feature recorded by mistake is withdrawn the same day, its items with it.
        for on in ["1", "0"] {
            let res = app
                .send(rugao.form(
                    &format!("/enterprises/{ent}/features"),
                    &[("feature", "confined_space"), ("on", on)],
                ))
                .await;
            assert_eq!(res.status(), 204, "{}", body_text(res).await);
        }
        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert!(!page.contains("id=\"item-confined.register\""), "{page}");
        let spans = anbiao_store::obligations::feature_spans(&db, &anbiao_domain::Scope::City, ent)
            .await
            .expect("spans");
        assert!(
            !spans.iter().any(|s| s.feature == "confined_space"),
            "{spans:?}"
        );
        let res = app
            .send(rugao.form(
                &format!("/enterprises/{ent}/features"),
                &[("feature", "nuclear"), ("on", "1")],
            ))
            .await;
        assert_eq!(res.status(), 422);
        let rudong = app.session_for("rudong").await;
        // The officer's own changes are not reported back; the enterprise taking a feature off
        // its own record (its list shrinks) is reported to its officers.
        let feature_off = |db: anbiao_store::Db| async move {
            anbiao_store::notify::list(
                &db,
                &Scope::City,
                anbiao_store::notify::Audience::Officer,
                500,
            )
            .await
            .expect("notifications")
            .into_iter()
            .filter(|n| {
                n.kind == anbiao_actions::obligations::FEATURE_OFF && n.enterprise_id == ent
            })
            .collect::<Vec<_>>()
        };
        assert!(feature_off(db.clone()).await.is_empty());
        let res = app
            .send(qiye.form(
                &format!("/enterprises/{ent}/features"),
                &[("feature", "dust"), ("on", "0")],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let off = feature_off(db.clone()).await;
        assert_eq!(off.len(), 1, "{off:?}");
        assert!(
            off[0]
                .title
                .contains("自行取消了“涉及可燃性粉尘（粉尘爆炸危险）”"),
            "{off:?}"
        );
        assert!(off[0].body.contains("粉尘"), "{off:?}");
        let notes = body_text(app.send(rugao.get("/notifications")).await).await;
        assert!(notes.contains("自行取消了"), "{notes}");
        let notes = body_text(app.send(rudong.get("/notifications")).await).await;
        assert!(!notes.contains("自行取消了"), "{notes}");
        // An officer cannot confirm for the enterprise; another district reads nothing.
        let res = app
            .send(rugao.multipart(
                "/obligations/five.emergency/confirm",
                &[("note", "代为确认")],
                None,
            ))
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(app.send(rudong.get(&list)).await.status(), 404);

        // Every record is audited with the rule that decided it.
        let log = anbiao_store::audit_log::search(
            &db,
            &anbiao_store::audit_log::Filter {
                action: Some("obligation.record".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .expect("log");
        assert_eq!(log.len(), 5, "{log:?}");
        assert!(
            log.iter()
                .any(|e| e.detail.contains("依据 obligations@1#item.five.training"))
        );
    })
    .await;
}

/// The running sums equal counting the statuses (the invariant every writer keeps).
async fn sums_equal_counting(db: &anbiao_store::Db) {
    use anbiao_store::obligations::{self, GroupBy};
    let by_sums = obligations::figures(db, &anbiao_domain::Scope::City, GroupBy::Region)
        .await
        .expect("figures");
    let all: Vec<i64> = (1..5_000).collect();
    let mut statuses = Vec::new();
    for ids in all.chunks(500) {
        statuses.extend(obligations::statuses(db, ids).await.expect("statuses"));
    }
    let mut counted: std::collections::BTreeMap<String, [i64; 6]> = Default::default();
    for s in &statuses {
        let c = counted.entry(s.region_code.clone()).or_default();
        c[0] += 1;
        c[1] += i64::from(s.checked);
        c[2] += i64::from(s.complete());
        c[3] += i64::from(s.open > 0);
        c[4] += i64::from(s.overdue > 0);
        c[5] += i64::from(s.gaps > 0);
    }
    let summed: std::collections::BTreeMap<String, [i64; 6]> = by_sums
        .iter()
        .map(|f| {
            (
                f.key.clone(),
                [
                    f.enterprises,
                    f.checked,
                    f.complete,
                    f.open,
                    f.overdue,
                    f.gaps,
                ],
            )
        })
        .collect();
    assert_eq!(summed, counted);
}

#[tokio::test]
async fn the_daily_job_works_out_every_list_and_officers_read_the_figures() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let reference = anbiao_domain::ReferenceData::embedded().expect("reference");
        let today = anbiao_web::today();
        let (graded, _) = crate::grading::certified_in_rugao(
            &db,
            81,
            "南通新评机械有限公司",
            today - time::Duration::days(30),
        )
        .await;
        let other = enterprise_in_rugao(&db, 82, "如皋未查五金厂").await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(graded)).await;

        let r = anbiao_actions::obligations::run_daily(&db, &reference, today, "test")
            .await
            .expect("job");
        assert!(r.ran && r.enterprises >= 2 && r.items >= 2 * 20, "{r:?}");
        let again = anbiao_actions::obligations::run_daily(&db, &reference, today, "test")
            .await
            .expect("job");
        assert!(!again.ran, "once per day");
        sums_equal_counting(&db).await;
        let before = anbiao_store::obligations::statuses(&db, &[graded, other])
            .await
            .expect("statuses");
        assert_eq!(before.len(), 2);
        assert!(
            before.iter().all(|s| !s.checked && s.open > 0),
            "{before:?}"
        );

        // The officer's figures: nobody has checked yet; the most missing items; the
        // enterprise graded a month ago with its list not complete.
        let rugao = app.session_for("rugao").await;
        let page = body_text(app.send(rugao.get("/obligations")).await).await;
        assert!(page.contains("已自查 <strong>0</strong> 家"), "{page}");
        assert!(page.contains("落实“党政同责”"), "{page}");
        let graded_at = page.find("评审一家、规范一家").expect("the list");
        assert!(
            page[graded_at..].contains(&format!(
                "/enterprises/{graded}/obligations\">南通新评机械有限公司"
            )),
            "{page}"
        );
        assert!(!page[graded_at..].contains("如皋未查五金厂"), "not graded");

        // A record moves the figures at once, and the sums stay equal to counting.
        let qiye = app.session_for("qiye").await;
        let res = app
            .send(qiye.multipart(
                "/obligations/five.training/confirm",
                &[("note", "年度培训已完成")],
                None,
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let page = body_text(app.send(rugao.get("/obligations")).await).await;
        assert!(page.contains("已自查 <strong>1</strong> 家"), "{page}");
        sums_equal_counting(&db).await;
        let after = anbiao_store::obligations::statuses(&db, &[graded])
            .await
            .expect("status");
        assert_eq!(after[0].settled, before[0].settled + 1);
        assert!(!after[0].missing.contains(&"five.training".to_string()));

        // The figures open the enterprises behind them: who has not checked itself yet.
        assert!(
            page.contains("/obligations/enterprises?show=unchecked"),
            "{page}"
        );
        let list = body_text(
            app.send(rugao.get("/obligations/enterprises?show=unchecked"))
                .await,
        )
        .await;
        assert!(list.contains("尚未自查的企业"), "{list}");
        assert!(list.contains("如皋未查五金厂"), "{list}");
        assert!(
            !list.contains("南通新评机械有限公司"),
            "checked already: {list}"
        );
        let industry = anbiao_store::enterprise::get(&db, &anbiao_domain::Scope::City, other)
            .await
            .expect("enterprise")
            .industry_code;
        let list = body_text(
            app.send(rugao.get(&format!(
                "/obligations/enterprises?show=incomplete&industry={industry}"
            )))
            .await,
        )
        .await;
        assert!(list.contains("如皋未查五金厂"), "{list}");
        for (query, why) in [
            ("show=everything", "请选择要列出的企业"),
            ("show=gaps&industry=XX", "行业代码“XX”不在行业表中"),
            ("show=gaps&unit=nowhere", "没有“nowhere”这一地区"),
        ] {
            let res = app
                .send(rugao.get(&format!("/obligations/enterprises?{query}")))
                .await;
            assert_eq!(res.status(), 400, "{query}");
            let body = body_text(res).await;
            assert!(body.contains(why), "{why}: {body}");
        }
        // Another district's officer lists none of them.
        let rudong = app.session_for("rudong").await;
        let list = body_text(
            app.send(rudong.get("/obligations/enterprises?show=incomplete"))
                .await,
        )
        .await;
        assert!(!list.contains("如皋未查五金厂"), "{list}");

        // Another district's officer counts none of them; an enterprise reads its own list.
        let rudong = app.session_for("rudong").await;
        let page = body_text(app.send(rudong.get("/obligations")).await).await;
        assert!(!page.contains("南通新评机械有限公司"), "{page}");
        let res = app.send(qiye.get("/obligations")).await;
        assert_eq!(res.status(), 303);
        let to = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            to.starts_with("/enterprises/") && to.ends_with("/obligations"),
            "{to}"
        );
    })
    .await;
}

/// The enterprise's notifications of `kind`, oldest first: (title, body, period).
async fn notes_of(
    db: &anbiao_store::Db,
    ent: i64,
    audience: anbiao_store::notify::Audience,
    kind: &str,
) -> Vec<(String, String, String)> {
    let scope = match audience {
        anbiao_store::notify::Audience::Enterprise => anbiao_domain::Scope::Enterprise { id: ent },
        anbiao_store::notify::Audience::Officer => anbiao_domain::Scope::City,
    };
    let mut all = anbiao_store::notify::list(db, &scope, audience, 500)
        .await
        .expect("notifications");
    all.sort_by_key(|n| n.id);
    all.into_iter()
        .filter(|n| n.kind == kind && n.enterprise_id == ent)
        .map(|n| (n.title, n.body, n.period))
        .collect()
}

/// The officers' township notices of missed items, oldest first.
async fn township_notes(db: &anbiao_store::Db) -> Vec<anbiao_store::notify::Notification> {
    use anbiao_actions::obligation_reminders::OVERDUE_TOWNSHIP;
    use anbiao_store::notify::{self, Audience};
    let mut all = notify::list(db, &Scope::City, Audience::Officer, 500)
        .await
        .expect("notifications");
    all.sort_by_key(|n| n.id);
    all.into_iter()
        .filter(|n| n.kind == OVERDUE_TOWNSHIP)
        .collect()
}

/// An enterprise of 如皋 in `township` (or none).
async fn enterprise_in_township(
    db: &anbiao_store::Db,
    n: u32,
    name: &str,
    township: Option<&str>,
) -> i64 {
    use anbiao_domain::enterprise::{EnterpriseDraft, OverridePolicy};
    let r = anbiao_domain::ReferenceData::embedded().expect("reference");
    let e = EnterpriseDraft {
        credit_code: Some(crate::code("320682", n)),
        name: Some(name.into()),
        region: Some("320682".into()),
        township: township.map(str::to_string),
        industry: Some("JX".into()),
        ..Default::default()
    }
    .validate(&r, anbiao_web::today(), OverridePolicy::Allowed)
    .expect("valid");
    anbiao_store::enterprise::create(
        db,
        &Scope::City,
        &anbiao_store::audit_log::Actor::new("tester", "cli"),
        &e,
    )
    .await
    .expect("enterprise")
}

#[tokio::test]
async fn the_daily_job_reminds_before_and_on_the_due_day_and_escalates_once() {
    use anbiao_actions::obligation_reminders::{DUE_SOON, DUE_TODAY, OVERDUE};
    use anbiao_domain::date::{add_months, format_date};
    use anbiao_store::notify::Audience;
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let reference = anbiao_domain::ReferenceData::embedded().expect("reference");
        let today = anbiao_web::today();
        let first = time::Date::from_calendar_date(today.year(), today.month(), 1).expect("day");
        let due = add_months(first, 1) - time::Duration::days(1);
        let remind = reference
            .obligations
            .in_force(today)
            .expect("the set")
            .remind_days;
        let soon = due - time::Duration::days(remind);
        // Two enterprises of 如城街道 (the township officer's) and one of 如皋 without a township.
        let ent = enterprise_in_township(&db, 91, "如皋提醒机械厂", Some("如城街道")).await;
        let next_door = enterprise_in_township(&db, 95, "如城邻家机械厂", Some("如城街道")).await;
        let elsewhere = enterprise_in_township(&db, 96, "如皋无乡镇机械厂", None).await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        let qiye = app.session_for("qiye").await;
        // The month's equipment check is done already; it is named in no reminder.
        let res = app
            .send(qiye.multipart(
                "/obligations/law.equipment/confirm",
                &[("note", "本月设备维护检测已完成")],
                None,
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let run = |day: time::Date| {
            let (db, reference) = (db.clone(), reference.clone());
            async move {
                anbiao_actions::obligations::run_daily(&db, &reference, day, "test")
                    .await
                    .expect("job")
            }
        };

        // The day before the reminder day: nothing yet.
        let r = run(soon - time::Duration::days(1)).await;
        assert!(r.ran);
        assert!(
            notes_of(&db, ent, Audience::Enterprise, DUE_SOON)
                .await
                .is_empty()
        );

        // The reminder day: one reminder, naming the month's open items and not the done one.
        let r = run(soon).await;
        assert!(r.reminders >= 1, "{r:?}");
        let soon_notes = notes_of(&db, ent, Audience::Enterprise, DUE_SOON).await;
        assert_eq!(soon_notes.len(), 1, "{soon_notes:?}");
        let (title, body, period) = &soon_notes[0];
        assert!(
            title.contains(&format!("将于 {} 到期", format_date(due))),
            "{title}"
        );
        assert!(body.contains("安全管理到位"), "{body}");
        assert!(!body.contains("安全设备维护检测"), "done already: {body}");
        assert_eq!(period, &format_date(due));
        assert!(township_notes(&db).await.is_empty());

        // The next day: no second reminder.
        run(soon + time::Duration::days(1)).await;
        assert_eq!(
            notes_of(&db, ent, Audience::Enterprise, DUE_SOON)
                .await
                .len(),
            1
        );

        // The due day: the enterprise is told once more, the officers not yet.
        run(due).await;
        let today_notes = notes_of(&db, ent, Audience::Enterprise, DUE_TODAY).await;
        assert_eq!(today_notes.len(), 1, "{today_notes:?}");
        assert!(today_notes[0].0.contains("今日"), "{today_notes:?}");
        assert!(township_notes(&db).await.is_empty());

        // The day after, the items left unrecorded escalate to the enterprise and its officers,
        // once, and the township officer reads it.
        let r = run(due + time::Duration::days(1)).await;
        assert!(r.reminders >= 2, "{r:?}");
        // The officers are told once per township and due day, not once per enterprise: the
        // two enterprises of 如城街道 are one notice, the one without a township another.
        let officer = township_notes(&db).await;
        assert_eq!(officer.len(), 2, "{officer:?}");
        let rucheng = officer
            .iter()
            .find(|n| n.subject == "township:320682/如城街道")
            .expect("如城街道's notice");
        assert!(
            rucheng.title.contains("如城街道 2 家企业逾期未自查"),
            "{rucheng:?}"
        );
        assert!(rucheng.body.contains("（2 家）"), "{rucheng:?}");
        assert!(rucheng.link.contains("show=overdue"), "{rucheng:?}");
        assert_eq!(rucheng.period, format_date(due));
        let no_township = officer
            .iter()
            .find(|n| n.subject == "township:320682/")
            .expect("the notice of 如皋's enterprises without a township");
        assert!(
            no_township.title.contains("（未填乡镇） 1 家企业"),
            "{no_township:?}"
        );
        // Each enterprise is told of its own items, the done one not named.
        let own = notes_of(&db, ent, Audience::Enterprise, OVERDUE).await;
        assert_eq!(own.len(), 1, "{own:?}");
        assert!(own[0].1.contains("安全管理到位"), "{own:?}");
        assert!(!own[0].1.contains("安全设备维护检测"), "{own:?}");
        for e in [next_door, elsewhere] {
            assert_eq!(
                notes_of(&db, e, Audience::Enterprise, OVERDUE).await.len(),
                1
            );
        }
        // The township officer reads 如城街道's notice, not the one of the enterprises without a
        // township; the link opens the list with both of its enterprises.
        let township = app.session_for("township").await;
        let page = body_text(app.send(township.get("/notifications")).await).await;
        assert!(page.contains("如城街道 2 家企业逾期未自查"), "{page}");
        assert!(!page.contains("未填乡镇"), "{page}");
        let list = body_text(app.send(township.get(&rucheng.link)).await).await;
        assert!(
            list.contains("如皋提醒机械厂") && list.contains("如城邻家机械厂"),
            "{list}"
        );
        assert!(!list.contains("如皋无乡镇机械厂"), "{list}");
        // The figures say the same: the enterprise has items overdue (last period's missed).
        let st = anbiao_store::obligations::statuses(&db, &[ent])
            .await
            .expect("status");
        assert!(st[0].overdue > 0, "{st:?}");
        let rugao = app.session_for("rugao").await;
        let page = body_text(app.send(rugao.get("/notifications")).await).await;
        assert!(
            page.contains("监管清单") && page.contains("逾期未自查"),
            "{page}"
        );
        run(due + time::Duration::days(2)).await;
        assert_eq!(township_notes(&db).await.len(), 2);

        // Another district's officer is not told.
        let rudong = app.session_for("rudong").await;
        let page = body_text(app.send(rudong.get("/notifications")).await).await;
        assert!(!page.contains("如皋提醒机械厂"), "{page}");
    })
    .await;
}

#[tokio::test]
async fn a_run_after_days_without_one_catches_up_the_reminders_it_missed() {
    use anbiao_actions::obligation_reminders::DUE_SOON;
    use anbiao_domain::date::add_months;
    use anbiao_store::notify::Audience;
    each_backend(|db| async move {
        let reference = anbiao_domain::ReferenceData::embedded().expect("reference");
        let today = anbiao_web::today();
        let first = time::Date::from_calendar_date(today.year(), today.month(), 1).expect("day");
        let due = add_months(first, 1) - time::Duration::days(1);
        let ent = enterprise_in_rugao(&db, 92, "如皋补发机械厂").await;
        let remind = reference
            .obligations
            .in_force(today)
            .expect("the set")
            .remind_days;
        let soon = due - time::Duration::days(remind);
        // A run three days before the reminder day, then none until two days after it.
        for day in [
            soon - time::Duration::days(3),
            soon + time::Duration::days(2),
        ] {
            anbiao_actions::obligations::run_daily(&db, &reference, day, "test")
                .await
                .expect("job");
        }
        assert_eq!(
            notes_of(&db, ent, Audience::Enterprise, DUE_SOON)
                .await
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_gap_of_an_earlier_period_is_put_right_from_the_list() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let ent = enterprise_in_rugao(&db, 93, "如皋旧账机械厂").await;
        let other = enterprise_in_rugao(&db, 94, "如皋他家机械厂").await;
        add_user(&db, "qiye", Role::EnterpriseManager, None, Some(ent)).await;
        let last_year = anbiao_web::today().year() - 1;
        let gap = |e: i64| anbiao_store::obligations::LoadedRecord {
            enterprise_id: e,
            rule: "obligations@1#item.five.emergency".into(),
            item_key: "five.emergency".into(),
            period_key: last_year.to_string(),
            due_on: Some(format!("{last_year}-12-31")),
            state: "gap",
            note: "去年应急演练未组织".into(),
            problem: None,
            rectify_by: Some(format!("{last_year}-12-20")),
            recorded_by: "王建华".into(),
            recorded_on: format!("{last_year}-11-02"),
        };
        anbiao_store::obligations::load(&db, &[], &[gap(ent), gap(other)], "test")
            .await
            .expect("load");
        let id_of = |e: i64| {
            let db = db.clone();
            async move {
                anbiao_store::obligations::records(
                    &db,
                    &anbiao_domain::Scope::City,
                    e,
                    anbiao_web::today() - time::Duration::days(400),
                )
                .await
                .expect("records")[0]
                    .id
            }
        };
        let (mine, theirs) = (id_of(ent).await, id_of(other).await);
        let qiye = app.session_for("qiye").await;
        let list = format!("/enterprises/{ent}/obligations");
        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert!(page.contains(&format!("id=\"gap-{mine}\"")), "{page}");
        assert!(
            page.contains(&format!("（{last_year}年）：去年应急演练未组织")),
            "{page}"
        );
        assert!(
            page.contains("整改已逾期 1 项"),
            "the earlier gap counts: {page}"
        );

        // Another enterprise's gap, or nothing said, is refused; then it is put right.
        for (gap_id, note, why) in [
            (theirs, "已演练", "已整改或不是本企业以前各期的待整改问题"),
            (mine, "", "请写明整改情况"),
        ] {
            let res = app
                .send(qiye.multipart(
                    "/obligations/five.emergency/confirm",
                    &[("gap", &gap_id.to_string()), ("note", note)],
                    None,
                ))
                .await;
            assert_eq!(res.status(), 422, "{why}");
            assert!(body_text(res).await.contains(why), "{why}");
        }
        let res = app
            .send(qiye.multipart(
                "/obligations/five.emergency/confirm",
                &[
                    ("gap", &mine.to_string()),
                    ("note", "已于本月补充组织综合演练"),
                ],
                None,
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let page = body_text(app.send(qiye.get(&list)).await).await;
        assert!(!page.contains(&format!("id=\"gap-{mine}\"")), "{page}");
        let r = anbiao_store::obligations::records_by_id(
            &db,
            &anbiao_domain::Scope::City,
            ent,
            &[mine],
        )
        .await
        .expect("record");
        assert_eq!(r[0].state, "rectified");
        assert_eq!(r[0].problem.as_deref(), Some("去年应急演练未组织"));
        // This year's item is still this year's to check.
        assert_eq!(status_of(&page, "five.emergency"), "open");
        let theirs_now = anbiao_store::obligations::records_by_id(
            &db,
            &anbiao_domain::Scope::City,
            other,
            &[theirs],
        )
        .await
        .expect("record");
        assert_eq!(theirs_now[0].state, "gap", "not touched");
    })
    .await;
}

#[tokio::test]
async fn a_feature_ended_by_mistake_goes_on_when_set_again_the_same_day() {
    each_backend(|db| async move {
        let ent = enterprise_in_rugao(&db, 95, "如皋误录机械厂").await;
        let actor = anbiao_store::audit_log::Actor::new("rugao", "form");
        let today = anbiao_web::today();
        let set = |on: bool, day: time::Date| {
            let (db, actor) = (db.clone(), actor.clone());
            async move {
                anbiao_store::obligations::set_feature(
                    &db,
                    &anbiao_domain::Scope::City,
                    &actor,
                    ent,
                    "dust",
                    "涉及可燃性粉尘",
                    on,
                    day,
                )
                .await
                .expect("feature")
            }
        };
        assert!(set(true, today - time::Duration::days(10)).await);
        assert!(set(false, today).await);
        assert!(set(true, today).await);
        let spans = anbiao_store::obligations::feature_spans(&db, &anbiao_domain::Scope::City, ent)
            .await
            .expect("spans");
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(spans[0].until.is_none(), "{spans:?}");
        assert_eq!(
            spans[0].since,
            anbiao_domain::date::format_date(today - time::Duration::days(10))
        );
    })
    .await;
}

//! The daily certificate job: expiries recorded once with an audit entry, reminders delivered
//! once per subject and period, one run per day across concurrent instances, notifications
//! scoped like the enterprises they concern.

use anbiao_domain::{Grade, ReferenceData, Scope};
use anbiao_store::audit_log::{self, Filter};
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::jobs::{self, DailyReport};
use anbiao_store::notify::{self, Audience};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, StoreError, enterprise};
use time::macros::date;
use time::{Date, Duration};

use crate::account::admin;
use crate::{code, input};

const ON: Date = date!(2026 - 11 - 29);

/// An enterprise in Rugao with one 三级 certificate valid over [from, until].
async fn certified(db: &Db, n: u32, name: &str, from: Date, until: Date) -> (i64, i64) {
    let ent = enterprise::create(
        db,
        &Scope::City,
        &admin(),
        &input(&code("320682", n), name, "320682", "JX", "3000", "40"),
    )
    .await
    .expect("enterprise");
    let (id, _) = certificate::issue(
        db,
        &admin(),
        &NewCertificate {
            enterprise_id: ent,
            case_id: None,
            grade: Grade::Three,
            industry: "JX".into(),
            issuer: "南通市应急管理局".into(),
            external: false,
            issued_on: from,
            valid_until: until,
            rule: "grading.2021@1#validity".into(),
            region_abbr: '苏',
            number: None,
        },
    )
    .await
    .expect("certificate");
    (ent, id)
}

async fn kinds(db: &Db, ent: i64, audience: Audience) -> Vec<String> {
    let mut k: Vec<String> = notify::list(db, &Scope::Enterprise { id: ent }, audience, 100)
        .await
        .expect("list")
        .into_iter()
        .map(|n| format!("{}/{}", n.kind, n.period))
        .collect();
    k.sort();
    k
}

#[tokio::test]
async fn daily_job_records_expiries_and_delivers_reminders_once() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        let days = Duration::days;
        let (recent, _) =
            certified(&db, 1, "近期期满厂", ON - days(3 * 365 + 10), ON - days(10)).await;
        let (old, _) =
            certified(&db, 2, "早已期满厂", ON - days(6 * 365), ON - days(3 * 365)).await;
        // Renewal opens 3 months before expiry; years 1 and 2 are due and one is submitted.
        let (renewing, rid) =
            certified(&db, 3, "复评期内厂", ON - days(3 * 365 - 60), ON + days(60)).await;
        certificate::submit_annual(
            &db,
            &Scope::City,
            &admin(),
            rid,
            &certificate::AnnualInput {
                year: 1,
                score: anbiao_domain::scoring::Percent(880),
                report: "第一年度自评报告，整改问题三项。",
            },
            ON,
        )
        .await
        .expect("annual");
        // Year 1 falls due in 20 days.
        let (young, _) = certified(
            &db,
            4,
            "新近取证厂",
            ON - days(365 - 20),
            ON + days(2 * 365 + 20),
        )
        .await;

        let report = jobs::run_daily(&db, &rules, ON, "a").await.expect("run");
        assert_eq!(
            report,
            DailyReport {
                ran: true,
                expired: 2,
                renewal_open: 1,
                annual_upcoming: 1,
                annual_missing: 1,
                standing: 4,
            }
        );
        assert_eq!(
            kinds(&db, recent, Audience::Enterprise).await,
            ["certificate.expired/".to_string() + &jobs_until(&db, recent).await]
        );
        assert!(
            kinds(&db, old, Audience::Enterprise).await.is_empty(),
            "no notice years later"
        );
        assert_eq!(
            kinds(&db, renewing, Audience::Enterprise).await,
            [
                "annual.missing/year-2".to_string(),
                format!("renewal.open/{}", jobs_until(&db, renewing).await)
            ]
        );
        assert_eq!(
            kinds(&db, young, Audience::Enterprise).await,
            ["annual.upcoming/year-1"]
        );
        assert!(
            kinds(&db, young, Audience::Officer).await.is_empty(),
            "officers see what is late, not what is coming"
        );
        // Both expiries are audited, with the rule.
        let expiries = audit_log::search(
            &db,
            &Filter {
                action: Some("certificate.expire".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .expect("audit");
        assert_eq!(expiries.len(), 2);
        assert!(
            expiries
                .iter()
                .all(|e| e.detail.contains("grading.2021@1#validity"))
        );

        // The same day again: nothing. The next day: runs, but delivers nothing new.
        assert!(
            !jobs::run_daily(&db, &rules, ON, "b")
                .await
                .expect("again")
                .ran
        );
        let next = jobs::run_daily(&db, &rules, ON + days(1), "b")
            .await
            .expect("next day");
        assert_eq!(
            next,
            DailyReport {
                ran: true,
                ..Default::default()
            }
        );
        assert_eq!(
            audit_log::search(
                &db,
                &Filter {
                    action: Some("certificate.expire".into()),
                    ..Default::default()
                },
                10,
                0
            )
            .await
            .expect("audit")
            .len(),
            2
        );
        assert!(
            audit_log::verify(&db, None)
                .await
                .expect("verify")
                .broken
                .is_none()
        );
    })
    .await;
}

async fn jobs_until(db: &Db, ent: i64) -> String {
    certificate::of_enterprise(db, &Scope::City, ent)
        .await
        .expect("certs")[0]
        .valid_until
        .clone()
}

#[tokio::test]
async fn two_instances_run_the_day_once() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        for n in 0..6 {
            certified(
                &db,
                10 + n,
                &format!("并发期满厂{n}"),
                ON - Duration::days(1200),
                ON - Duration::days(5),
            )
            .await;
        }
        let (a, b) = tokio::join!(
            jobs::run_daily(&db, &rules, ON, "instance-a"),
            jobs::run_daily(&db, &rules, ON, "instance-b")
        );
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert!(a.ran ^ b.ran, "exactly one instance ran: {a:?} {b:?}");
        assert_eq!(a.expired + b.expired, 6);
        let runs = jobs::recent_runs(&db, 10).await.expect("runs");
        assert_eq!(runs.len(), 1);
        assert!(runs[0].finished_at.is_some());
        assert!(
            runs[0]
                .summary
                .as_deref()
                .unwrap_or("")
                .contains("记录证书期满 6 张")
        );
        let officer_notes = notify::list(&db, &Scope::City, Audience::Officer, 100)
            .await
            .expect("list");
        assert_eq!(officer_notes.len(), 6);
    })
    .await;
}

#[tokio::test]
async fn notifications_are_read_within_scope_only() {
    each_backend(|db| async move {
        let rules = ReferenceData::embedded().expect("reference").grading;
        let (ent, _) = certified(
            &db,
            20,
            "已读测试厂",
            ON - Duration::days(1100),
            ON - Duration::days(2),
        )
        .await;
        jobs::run_daily(&db, &rules, ON, "a").await.expect("run");
        let rugao = Scope::Region {
            codes: vec!["320682".into()],
        };
        let rudong = Scope::Region {
            codes: vec!["320623".into()],
        };
        assert_eq!(
            notify::unread(&db, &rugao, Audience::Officer)
                .await
                .expect("n"),
            1
        );
        assert_eq!(
            notify::unread(&db, &rudong, Audience::Officer)
                .await
                .expect("n"),
            0
        );
        let note = &notify::list(&db, &rugao, Audience::Officer, 10)
            .await
            .expect("list")[0];
        assert_eq!(note.link, format!("/enterprises/{ent}/standing"));
        // Another district cannot mark it, nor can the enterprise mark the officers' copy.
        assert!(matches!(
            notify::mark_read(&db, &rudong, Audience::Officer, note.id, "rudong").await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            notify::mark_read(
                &db,
                &Scope::Enterprise { id: ent },
                Audience::Enterprise,
                note.id,
                "qiye"
            )
            .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            notify::unread(&db, &rugao, Audience::Officer)
                .await
                .expect("n"),
            1
        );
        notify::mark_read(&db, &rugao, Audience::Officer, note.id, "rugao")
            .await
            .expect("read");
        notify::mark_read(&db, &rugao, Audience::Officer, note.id, "rugao")
            .await
            .expect("twice is fine");
        assert_eq!(
            notify::unread(&db, &rugao, Audience::Officer)
                .await
                .expect("n"),
            0
        );
        // The enterprise's own copy is still unread.
        assert_eq!(
            notify::unread(&db, &Scope::Enterprise { id: ent }, Audience::Enterprise)
                .await
                .expect("n"),
            1
        );
    })
    .await;
}

/// The certificates missing a self-assessment, as worked out from every certificate's years
/// due and the years handed in (what the list read before migration 0039).
async fn missing_by_hand(db: &Db, certs: &[i64], on: Date) -> Vec<(i64, Vec<i64>)> {
    let mut out = Vec::new();
    for id in certs {
        let c = certificate::get(db, &Scope::City, *id).await.expect("get");
        if c.status_on(on) != anbiao_domain::certificate::CertificateStatus::Valid {
            continue;
        }
        let done: Vec<i64> = certificate::annual_of(db, *id)
            .await
            .expect("annual")
            .into_iter()
            .map(|a| a.validity_year)
            .collect();
        let due = anbiao_domain::certificate::annual_years_due(
            anbiao_domain::date::parse_date(&c.valid_from).expect("from"),
            anbiao_domain::date::parse_date(&c.valid_until).expect("until"),
            on,
        );
        let missing: Vec<i64> = due.into_iter().filter(|y| !done.contains(y)).collect();
        if !missing.is_empty() {
            out.push((*id, missing));
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_index_of_missing_self_assessments_agrees_with_the_years_due() {
    each_backend(|db| async move {
        let days = Duration::days;
        let mut certs = Vec::new();
        // Issued on a 29 February, at the end of a month, and on ordinary days; some expired.
        for (n, from, until) in [
            (11, date!(2024 - 02 - 29), date!(2027 - 02 - 27)),
            (12, date!(2023 - 01 - 31), date!(2026 - 01 - 30)),
            (13, ON - days(400), ON + days(700)),
            (14, ON - days(800), ON + days(300)),
            (15, ON - days(1000), ON + days(90)),
            (16, ON - days(20), ON + days(1075)),
        ] {
            let (_, id) = certified(&db, n, &format!("自评核对厂{n}"), from, until).await;
            certs.push(id);
        }
        let submit = |id: i64, year: i64, on: Date| {
            let db = db.clone();
            async move {
                certificate::submit_annual(
                    &db,
                    &Scope::City,
                    &admin(),
                    id,
                    &certificate::AnnualInput {
                        year,
                        score: anbiao_domain::scoring::Percent(860),
                        report: "年度自评报告，持续改进三项。",
                    },
                    on,
                )
                .await
                .expect("annual")
            }
        };
        // Year 1 of the fourth, year 2 of the fifth (year 1 still missing), the third's one
        // due year.
        submit(certs[3], 1, ON).await;
        submit(certs[4], 2, ON).await;
        submit(certs[2], 1, ON).await;

        let rugao = Scope::Region {
            codes: vec!["320682".into()],
        };
        for on in [
            ON - days(500),
            ON - days(30),
            ON,
            ON + days(200),
            ON + days(400),
        ] {
            let want = missing_by_hand(&db, &certs, on).await;
            for scope in [&Scope::City, &rugao] {
                let page = certificate::missing_annual(
                    &db,
                    scope,
                    on,
                    anbiao_store::paging::PageReq { page: 1, size: 50 },
                )
                .await
                .expect("list");
                let mut got: Vec<(i64, Vec<i64>)> =
                    page.rows.into_iter().map(|(c, y)| (c.id, y)).collect();
                got.sort();
                assert_eq!(got, want, "on {on}");
                assert_eq!(
                    certificate::count_missing_annual(&db, scope, on)
                        .await
                        .expect("count"),
                    anbiao_store::paging::Total::Exact(want.len() as i64),
                    "on {on}"
                );
            }
        }
        assert_eq!(
            certificate::count_missing_annual(
                &db,
                &Scope::Region {
                    codes: vec!["320623".into()]
                },
                ON
            )
            .await
            .expect("count"),
            anbiao_store::paging::Total::Exact(0),
            "another district sees none of them"
        );

        // Migration 0039 fills the column for certificates issued before it as issuing and
        // self-assessing keep it: rerun its statement on emptied columns and compare.
        let kept = open_dues(&db).await;
        let migration = match &db {
            Db::Sqlite(_) => include_str!("../../migrations/sqlite/0039_workbench_sums.sql"),
            Db::Postgres(_) => include_str!("../../migrations/postgres/0039_workbench_sums.sql"),
        };
        let start = migration.find("WITH n(k)").expect("backfill");
        let end = start + migration[start..].find(';').expect("end");
        let backfill = &migration[start..=end];
        match &db {
            Db::Sqlite(p) => {
                sqlx::query("UPDATE certificate SET annual_open_due = NULL")
                    .execute(p)
                    .await
                    .expect("empty");
                sqlx::query(sqlx::AssertSqlSafe(backfill))
                    .execute(p)
                    .await
                    .expect("backfill");
            }
            Db::Postgres(p) => {
                sqlx::query("UPDATE certificate SET annual_open_due = NULL")
                    .execute(p)
                    .await
                    .expect("empty");
                sqlx::query(sqlx::AssertSqlSafe(backfill))
                    .execute(p)
                    .await
                    .expect("backfill");
            }
        }
        assert_eq!(open_dues(&db).await, kept);
        assert!(
            kept.iter().any(|(_, d)| d.is_some())
                && kept.iter().any(|(_, d)| d.as_deref() == Some("2025-02-28"))
        );

        // The daily job records the expired and takes them off the index; the list is the same.
        let rules = ReferenceData::embedded().expect("reference").grading;
        jobs::run_daily(&db, &rules, ON, "a").await.expect("run");
        let left = certificate::missing_annual(
            &db,
            &Scope::City,
            ON,
            anbiao_store::paging::PageReq { page: 1, size: 50 },
        )
        .await
        .expect("list");
        let mut got: Vec<(i64, Vec<i64>)> = left.rows.into_iter().map(|(c, y)| (c.id, y)).collect();
        got.sort();
        assert_eq!(got, missing_by_hand(&db, &certs, ON).await);
    })
    .await;
}

async fn open_dues(db: &Db) -> Vec<(i64, Option<String>)> {
    const SQL: &str = "SELECT id, annual_open_due FROM certificate ORDER BY id";
    match db {
        Db::Sqlite(p) => sqlx::query_as(SQL).fetch_all(p).await,
        Db::Postgres(p) => sqlx::query_as(SQL).fetch_all(p).await,
    }
    .expect("dues")
}

/// Many notifications at once (PostgreSQL takes them by COPY): every text comes back as written,
/// tabs, line breaks and backslashes included; a repeat is stored once, within a batch and across.
#[tokio::test]
async fn many_notifications_are_stored_once_each_with_their_text_intact() {
    each_backend(|db| async move {
        let ent = enterprise::create(
            &db,
            &Scope::City,
            &admin(),
            &input(
                &code("320682", 901),
                "如皋市批量通知测试厂",
                "320682",
                "JX",
                "3000",
                "40",
            ),
        )
        .await
        .expect("enterprise");
        let body = "第一行\t制表\n第二行 \\ 反斜杠 \\N 不是空值\r末尾";
        let note = |i: usize| notify::NewNotification {
            kind: "test.bulk",
            subject: format!("enterprise:{ent}"),
            period: format!("p{i}"),
            audience: Audience::Enterprise,
            enterprise_id: ent,
            region_code: "320682".into(),
            title: format!("批量通知 {i}"),
            body: body.into(),
            link: "/".into(),
            rule: i
                .is_multiple_of(2)
                .then(|| "obligations@1#remind".to_string()),
            due_on: None,
        };
        // 1,500 with 100 repeated inside the batch.
        let mut all: Vec<_> = (0..1_400).map(note).collect();
        all.extend((0..100).map(note));
        assert_eq!(
            notify::deliver_many(&db, &all).await.expect("deliver"),
            1_400
        );
        // Again, with 200 new: only the new are stored.
        let again: Vec<_> = (1_300..1_600).map(note).collect();
        assert_eq!(notify::deliver_many(&db, &again).await.expect("again"), 200);
        let stored = notify::list(
            &db,
            &Scope::Enterprise { id: ent },
            Audience::Enterprise,
            2_000,
        )
        .await
        .expect("list");
        let scope = Scope::Enterprise { id: ent };
        assert_eq!(
            notify::unread(&db, &scope, Audience::Enterprise)
                .await
                .expect("count"),
            1_600
        );
        assert!(
            stored.iter().all(|n| n.body == body),
            "{:?}",
            stored[0].body
        );
        for n in &stored {
            let i: usize = n.period[1..].parse().expect("period");
            assert_eq!(n.rule.is_some(), i.is_multiple_of(2), "{}", n.period);
            assert_eq!(n.title, format!("批量通知 {i}"));
        }
    })
    .await;
}

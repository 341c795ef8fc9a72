//! The audit chain: appends from actions, lock-out, and verification against tampering.

use anbiao_domain::{Role, Scope, SignInPolicy};
use anbiao_store::account::{self, AccountChange, SignIn};
use anbiao_store::audit_log::{self, Filter};
use anbiao_store::testing::each_backend;
use anbiao_store::{Db, enterprise, with_pool};

use crate::account::{admin, create, sign_in, user};
use crate::{code, input};

async fn exec(db: &Db, sql: &str) {
    let sql = sql.to_string();
    with_pool!(db, |p| sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
        .execute(p)
        .await
        .map(|_| ()))
    .expect(&sql);
}

async fn drop_guards(db: &Db) {
    match db.backend() {
        anbiao_store::Backend::Sqlite => {
            exec(
                db,
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
            )
            .await
        }
        anbiao_store::Backend::Postgres => {
            exec(db, "DROP TRIGGER audit_log_no_update ON audit_log").await
        }
    }
}

/// A few entries of different kinds: account creation, sign-ins, an enterprise change.
async fn some_history(db: &Db) {
    create(db, &user("rugao", Role::DistrictOfficer, Some("320682")))
        .await
        .expect("user");
    assert!(matches!(
        sign_in(db, "rugao", "Anbiao#2018").await,
        SignIn::Ok(_)
    ));
    assert!(matches!(sign_in(db, "rugao", "bad").await, SignIn::Failed));
    let scope = Scope::City;
    let e = input(&code("320682", 1), "如皋甲厂", "320682", "JX", "3000", "40");
    let id = enterprise::create(db, &scope, &admin(), &e)
        .await
        .expect("create");
    let mut e2 = e.clone();
    e2.name = "如皋甲厂有限公司".into();
    enterprise::update(db, &scope, &admin(), id, &e2, None)
        .await
        .expect("update");
}

#[tokio::test]
async fn actions_append_a_verifiable_chain() {
    each_backend(|db| async move {
        some_history(&db).await;
        let all = audit_log::search(&db, &Filter::default(), 100, 0)
            .await
            .expect("search");
        let actions: Vec<&str> = all.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "user.create",
                "signin.ok",
                "signin.failed",
                "enterprise.create",
                "enterprise.update"
            ]
        );
        let update = &all[0];
        assert!(update.before_digest.is_some() && update.after_digest.is_some());
        assert_ne!(update.before_digest, update.after_digest);
        assert_eq!(all[2].client_addr, "10.0.0.9");
        assert!(all[2].actor_id.is_some());
        let v = audit_log::verify(&db, None).await.expect("verify");
        assert_eq!(v.broken, None);
        assert_eq!(v.checked, 5);
        assert_eq!(v.head, audit_log::head(&db).await.expect("head"));
        // The filters.
        let f = Filter {
            action: Some("signin".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &f).await.expect("count"), 2);
        let f = Filter {
            object: Some("enterprise:".into()),
            actor: Some("tester".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &f).await.expect("count"), 2);
        // The application's own SQL cannot change or remove an entry.
        let changed = with_pool!(&db, |p| sqlx::query(
            "UPDATE audit_log SET detail = 'x' WHERE seq = 1"
        )
        .execute(p)
        .await
        .map(|_| ()));
        assert!(changed.is_err(), "audit_log must refuse updates");
        let removed = with_pool!(&db, |p| sqlx::query("DELETE FROM audit_log WHERE seq = 1")
            .execute(p)
            .await
            .map(|_| ()));
        assert!(removed.is_err(), "audit_log must refuse deletes");
    })
    .await;
}

#[tokio::test]
async fn verification_names_the_first_tampered_entry() {
    // An edited entry.
    each_backend(|db| async move {
        some_history(&db).await;
        drop_guards(&db).await;
        exec(&db, "UPDATE audit_log SET detail = '已改' WHERE seq = 3").await;
        let v = audit_log::verify(&db, None).await.expect("verify");
        let (seq, why) = v.broken.expect("broken");
        assert_eq!(seq, 3);
        assert!(why.contains("修改"), "{why}");
    })
    .await;
    // A deleted entry in the middle, and one at the end.
    each_backend(|db| async move {
        some_history(&db).await;
        drop_guards(&db).await;
        exec(&db, "DELETE FROM audit_log WHERE seq = 2").await;
        let (seq, _) = audit_log::verify(&db, None)
            .await
            .expect("verify")
            .broken
            .expect("broken");
        assert_eq!(seq, 2);
        exec(&db, "DELETE FROM audit_log WHERE seq >= 2").await;
        let (seq, why) = audit_log::verify(&db, None)
            .await
            .expect("verify")
            .broken
            .expect("broken");
        assert_eq!(seq, 2);
        assert!(why.contains("末尾"), "{why}");
    })
    .await;
    // An inserted entry: the following entry's link no longer matches.
    each_backend(|db| async move {
        some_history(&db).await;
        drop_guards(&db).await;
        exec(&db, "UPDATE audit_log SET seq = -seq WHERE seq >= 3").await;
        exec(&db, "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0").await;
        let mut forged = audit_log::search(&db, &Filter::default(), 100, 0)
            .await
            .expect("search")
            .into_iter()
            .find(|e| e.seq == 2)
            .expect("entry 2");
        forged.seq = 3;
        forged.detail = "伪造的记录".into();
        forged.prev_hash = forged.hash.clone();
        forged.hash = forged.compute_hash();
        let sql = format!(
            "INSERT INTO audit_log SELECT 3, at_us, actor_id, actor, role, region, action, object, before_digest, \
             after_digest, client_addr, '伪造的记录', '{}', '{}' FROM audit_log WHERE seq = 2",
            forged.prev_hash, forged.hash
        );
        exec(&db, &sql).await;
        let (seq, why) = audit_log::verify(&db, None).await.expect("verify").broken.expect("broken");
        assert_eq!(seq, 4, "{why}");
    })
    .await;
    // A rewritten chain (every hash recomputed) passes on its own, but not against a head
    // kept outside the database.
    each_backend(|db| async move {
        some_history(&db).await;
        let kept = audit_log::head(&db).await.expect("head");
        drop_guards(&db).await;
        let mut entries = audit_log::search(&db, &Filter::default(), 100, 0).await.expect("all");
        entries.reverse();
        exec(&db, "DELETE FROM audit_log").await;
        let mut prev = audit_log::GENESIS.to_string();
        for mut e in entries {
            if e.seq == 2 {
                e.detail = "改写".into();
            }
            e.actor_id = None;
            e.before_digest = None;
            e.after_digest = None;
            e.prev_hash = prev.clone();
            e.hash = e.compute_hash();
            prev = e.hash.clone();
            exec(
                &db,
                &format!(
                    "INSERT INTO audit_log VALUES ({}, {}, NULL, '{}', '{}', '{}', '{}', '{}', NULL, NULL, '{}', '{}', '{}', '{}')",
                    e.seq, e.at_us, e.actor, e.role, e.region, e.action, e.object, e.client_addr,
                    e.detail, e.prev_hash, e.hash
                ),
            )
            .await;
        }
        exec(&db, &format!("UPDATE audit_head SET hash = '{prev}' WHERE id = 1")).await;
        // actor_id and digests were dropped in the rewrite; the rewritten chain is consistent.
        let alone = audit_log::verify(&db, None).await.expect("verify");
        assert_eq!(alone.broken, None);
        let against = audit_log::verify(&db, Some(&kept.hash)).await.expect("verify");
        assert!(against.broken.expect("broken").1.contains("链头"));
    })
    .await;
}

#[tokio::test]
async fn failed_sign_ins_lock_the_account_and_the_lock_is_logged() {
    each_backend(|db| async move {
        let id = create(&db, &user("rugao", Role::DistrictOfficer, Some("320682")))
            .await
            .expect("user");
        let policy = SignInPolicy::default();
        for _ in 0..policy.max_failures - 1 {
            assert!(matches!(
                sign_in(&db, "rugao", "wrong").await,
                SignIn::Failed
            ));
        }
        let SignIn::Locked { until } = sign_in(&db, "rugao", "wrong").await else {
            panic!("fifth failure locks")
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!((until - now - policy.lock_minutes * 60).abs() < 5);
        // While locked, even the right password is refused.
        assert!(matches!(
            sign_in(&db, "rugao", "Anbiao#2018").await,
            SignIn::Locked { .. }
        ));
        let locks = Filter {
            action: Some("account.locked".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &locks).await.expect("count"), 1);
        let during = Filter {
            action: Some("signin.locked".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &during).await.expect("count"), 1);
        // The system administrator lifts the lock.
        let sysadmin = create(&db, &user("sysadmin", Role::SystemAdmin, None))
            .await
            .expect("admin");
        let u = account::by_id(&db, sysadmin)
            .await
            .expect("ran")
            .expect("admin");
        account::change(
            &db,
            &u.actor("", "form"),
            id,
            &AccountChange::Unlock,
            &policy,
        )
        .await
        .expect("unlock");
        assert!(matches!(
            sign_in(&db, "rugao", "Anbiao#2018").await,
            SignIn::Ok(_)
        ));
        // Nobody changes their own account through the administrator's path.
        let own = account::change(
            &db,
            &u.actor("", "form"),
            sysadmin,
            &AccountChange::Disable,
            &policy,
        )
        .await
        .expect_err("own account");
        assert!(own.to_string().contains("本人"));
        // A disabled account fails like a wrong password.
        account::change(
            &db,
            &u.actor("", "form"),
            id,
            &AccountChange::Disable,
            &policy,
        )
        .await
        .expect("disable");
        assert!(matches!(
            sign_in(&db, "rugao", "Anbiao#2018").await,
            SignIn::Failed
        ));
        assert_eq!(
            audit_log::verify(&db, None).await.expect("verify").broken,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn password_change_checks_the_current_one_and_the_policy() {
    each_backend(|db| async move {
        let id = create(
            &db,
            &anbiao_store::account::NewUser {
                must_change_password: true,
                ..user("rugao", Role::DistrictOfficer, Some("320682"))
            },
        )
        .await
        .expect("user");
        let u = account::by_id(&db, id).await.expect("ran").expect("user");
        assert!(u.must_change_password);
        let actor = u.actor("", "form");
        let p = SignInPolicy::default();
        let wrong = account::change_password(&db, &actor, id, "nope", "Better#2019", &p, None)
            .await
            .expect_err("wrong current");
        assert!(wrong.to_string().contains("当前密码"));
        let weak = account::change_password(&db, &actor, id, "Anbiao#2018", "weakweak", &p, None)
            .await
            .expect_err("weak");
        assert!(weak.to_string().contains("至少"));
        account::change_password(&db, &actor, id, "Anbiao#2018", "Better#2019", &p, None)
            .await
            .expect("changed");
        let u = account::by_id(&db, id).await.expect("ran").expect("user");
        assert!(!u.must_change_password);
        assert!(matches!(
            sign_in(&db, "rugao", "Better#2019").await,
            SignIn::Ok(_)
        ));
        assert!(matches!(
            sign_in(&db, "rugao", "Anbiao#2018").await,
            SignIn::Failed
        ));
    })
    .await;
}

/// `url` with another login (trust authentication on the test server).
fn as_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("url");
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{user}@{host}")
}

#[tokio::test]
async fn the_application_role_may_only_append_to_the_audit_log() {
    use anbiao_store::testing::{BACKENDS, TestDb};
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        some_history(&t.db).await;
        if backend == anbiao_store::Backend::Sqlite {
            // A file has no roles: the operating system's permissions guard it.
            let e =
                t.db.grant_app_role("anbiao_app")
                    .await
                    .expect_err("no roles");
            assert!(e.to_string().contains("SQLite"), "{e}");
            continue;
        }
        assert!(t.db.grant_app_role("App; DROP TABLE x").await.is_err());
        let role = format!("anbiao_app_{}", std::process::id());
        exec(&t.db, &format!("DROP ROLE IF EXISTS {role}")).await;
        exec(&t.db, &format!("CREATE ROLE {role} LOGIN")).await;
        t.db.grant_app_role(&role).await.expect("grant");
        // The server's login opens the migrated database without touching the schema, and works.
        let app = Db::open(&as_user(&t.url, &role))
            .await
            .expect("open as the app");
        assert_eq!(app.pending_migrations().await.expect("ran"), 0);
        let before = audit_log::head(&app).await.expect("head");
        let e = input(
            &code("320682", 7),
            "如皋应用厂",
            "320682",
            "JX",
            "100",
            "10",
        );
        enterprise::create(&app, &Scope::City, &admin(), &e)
            .await
            .expect("the app writes business data");
        assert!(audit_log::head(&app).await.expect("head").seq > before.seq);
        // It cannot change the log, empty it, or take its guards away.
        for sql in [
            "UPDATE audit_log SET detail = '已改' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "TRUNCATE audit_log",
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DELETE FROM _sqlx_migrations",
        ] {
            let err = with_pool!(&app, |p| sqlx::raw_sql(sqlx::AssertSqlSafe(
                sql.to_string()
            ))
            .execute(p)
            .await
            .map(|_| ()))
            .expect_err(sql);
            let code = err
                .as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.to_string());
            assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
        }
        let v = audit_log::verify(&app, None).await.expect("verify");
        assert_eq!(v.broken, None);
        app.close().await;
        exec(&t.db, &format!("DROP OWNED BY {role}")).await;
        exec(&t.db, &format!("DROP ROLE {role}")).await;
    }
}

#[tokio::test]
async fn heads_kept_outside_must_each_still_be_their_entry() {
    each_backend(|db| async move {
        some_history(&db).await;
        // Any head of the chain as it is verifies.
        let now = audit_log::head(&db).await.expect("head");
        let all = audit_log::verify(&db, None).await.expect("v");
        assert_eq!(all.broken, None);
        let kept = vec![now.clone()];
        assert_eq!(
            audit_log::verify_with(&db, None, &kept)
                .await
                .expect("v")
                .broken,
            None
        );
        // A head whose hash is not the entry of its number: rewritten from there.
        let forged = audit_log::Head {
            seq: 3,
            hash: "0".repeat(64),
        };
        let v = audit_log::verify_with(&db, None, &[now.clone(), forged])
            .await
            .expect("v");
        let (seq, why) = v.broken.expect("broken");
        assert_eq!(seq, 3);
        assert!(why.contains("改写"), "{why}");
        // A head past the end: the log was cut short.
        let ahead = audit_log::Head {
            seq: now.seq + 5,
            hash: "1".repeat(64),
        };
        let v = audit_log::verify_with(&db, None, &[ahead])
            .await
            .expect("v");
        assert!(v.broken.expect("broken").1.contains("截短"));
    })
    .await;
}

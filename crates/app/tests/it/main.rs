//! Command-line tests: the real binary against SQLite and PostgreSQL databases.

use std::io::Cursor;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anbiao_domain::Scope;
use anbiao_store::Backend;
use anbiao_store::testing::{BACKENDS, TestDb};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

fn anbiao(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anbiao"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run anbiao")
}

pub use anbiao_store::testing::credit_code as code;

/// A 机械 enterprise in 如皋, created directly in the store.
async fn enterprise_in_rugao(db: &anbiao_store::Db, n: u32, name: &str) -> i64 {
    let draft = anbiao_domain::EnterpriseDraft {
        credit_code: Some(code("320682", n)),
        name: Some(name.into()),
        region: Some("320682".into()),
        industry: Some("JX".into()),
        ..Default::default()
    }
    .validate(
        &anbiao_domain::ReferenceData::embedded().expect("reference"),
        anbiao_web::today(),
        anbiao_domain::OverridePolicy::Allowed,
    )
    .expect("valid");
    let actor = anbiao_store::audit_log::Actor::new("tester", "cli");
    anbiao_store::enterprise::create(db, &Scope::City, &actor, &draft)
        .await
        .expect("enterprise")
}

/// A roster with one more cell at the sheet's last row and column (about 5 KB).
fn far_corner_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "企业名称").expect("cell");
    ws.write_string(1_048_575, 16_383, "x").expect("cell");
    wb.save_to_buffer().expect("xlsx")
}

async fn count(db: &anbiao_store::Db) -> i64 {
    anbiao_store::enterprise::count(db, &Scope::City)
        .await
        .expect("count")
}

#[tokio::test]
async fn import_json_exit_codes_and_export() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("good.csv");
        std::fs::write(
            &good,
            format!("企业名称,统一社会信用代码,属地,行业\n甲公司,{},如东,纺织行业\n乙公司,{},苏通园区,机械\n", code("320623", 1), code("320600", 2)),
        )
        .expect("write");
        let out = anbiao(
            &t.url,
            &[
                "import",
                "enterprises",
                good.to_str().expect("utf-8"),
                "--json",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(
            json,
            serde_json::json!({"imported": 2, "updated": 0, "rejected": []})
        );

        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("企业名称,统一社会信用代码,属地,行业\n甲公司改名,{},如东,纺织\n丙公司,123,如东,纺织\n", code("320623", 1)))
            .expect("write");
        let out = anbiao(
            &t.url,
            &[
                "import",
                "enterprises",
                bad.to_str().expect("utf-8"),
                "--json",
                "--all-or-nothing",
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(json["imported"], 0);
        assert_eq!(json["updated"], 0);
        assert_eq!(json["rejected"][0]["row"], 3);
        assert_eq!(json["rejected"][0]["column"], "统一社会信用代码");
        assert!(
            json["rejected"][0]["reason"]
                .as_str()
                .expect("reason")
                .contains("18位")
        );
        let out = anbiao(
            &t.url,
            &[
                "import",
                "enterprises",
                bad.to_str().expect("utf-8"),
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            (json["imported"].as_i64(), json["updated"].as_i64()),
            (Some(0), Some(1))
        );

        // A file it cannot read at all: exit 1, the message on stderr and, for the script
        // reading stdout, as {"error": …}.
        let noise = dir.path().join("noise.xlsx");
        std::fs::write(&noise, b"PK\x03\x04 this is not a workbook").expect("write");
        let out = anbiao(
            &t.url,
            &[
                "import",
                "enterprises",
                noise.to_str().expect("utf-8"),
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert!(
            v["error"].as_str().is_some_and(|e| e.contains("损坏")),
            "{v}"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("损坏"));
        // The 5 KB workbook that declared A1:XFD1048576 and made the process abort: refused by
        // the column cap, with the cell named.
        let corner = dir.path().join("corner.xlsx");
        std::fs::write(&corner, far_corner_workbook()).expect("write");
        let out = anbiao(
            &t.url,
            &[
                "import",
                "enterprises",
                corner.to_str().expect("utf-8"),
                "--json",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("第1048576行第16384列"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // With --json, stdout holds one JSON object whatever happened.
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert!(
            v["error"]
                .as_str()
                .is_some_and(|e| e.contains("第1048576行第16384列")),
            "{v}"
        );
        let missing = anbiao(
            &t.url,
            &["import", "enterprises", "/nonexistent/file.csv", "--json"],
        );
        assert_eq!(missing.status.code(), Some(1));
        let v: serde_json::Value =
            serde_json::from_slice(&missing.stdout).expect("one JSON object");
        assert!(
            v["error"]
                .as_str()
                .is_some_and(|e| e.contains("无法读取文件")),
            "{v}"
        );
        assert_eq!(count(&t.db).await, 2);

        // Export with a filter, read back.
        let xlsx = dir.path().join("out.xlsx");
        let out = anbiao(
            &t.url,
            &[
                "export",
                "enterprises",
                "-o",
                xlsx.to_str().expect("utf-8"),
                "--region",
                "如东",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&xlsx).expect("exported");
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
        let range = wb.worksheet_range_at(0).expect("sheet").expect("range");
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2][2], Data::String("甲公司改名".into()));
        // And the export imports back unchanged.
        let out = anbiao(
            &t.url,
            &[
                "import",
                "enterprises",
                xlsx.to_str().expect("utf-8"),
                "--json",
            ],
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"imported": 0, "updated": 1, "rejected": []})
        );
        let h = anbiao_store::enterprise::list_all(&t.db, &Scope::City, &Default::default(), 10)
            .await
            .expect("list");
        let e = h.iter().find(|e| e.name == "甲公司改名").expect("renamed");
        assert_eq!(
            anbiao_store::enterprise::history(&t.db, &Scope::City, e.id)
                .await
                .expect("history")
                .len(),
            2
        );
        t.drop_db().await;
    }
}

#[tokio::test]
async fn users_and_migrate() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let ok = anbiao(
            &t.url,
            &[
                "user",
                "add",
                "--username",
                "nt_haian",
                "--password",
                "Haian#2018",
                "--role",
                "district_officer",
                "--region",
                "海安",
            ],
        );
        assert_eq!(
            ok.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let u = anbiao_store::account::by_username(&t.db, "nt_haian")
            .await
            .expect("query")
            .expect("created");
        assert_eq!(u.region_code.as_deref(), Some("320685"));
        for (args, msg) in [
            (
                vec![
                    "--username",
                    "x",
                    "--password",
                    "Haian#2018",
                    "--role",
                    "boss",
                ],
                "未知角色",
            ),
            (
                vec![
                    "--username",
                    "y",
                    "--password",
                    "Haian#2018",
                    "--role",
                    "district_officer",
                ],
                "必须指定所属地区",
            ),
            (
                vec![
                    "--username",
                    "nt_haian",
                    "--password",
                    "Haian#2018",
                    "--role",
                    "city_officer",
                ],
                "已存在",
            ),
            (
                vec![
                    "--username",
                    "z",
                    "--password",
                    "Haian#2018",
                    "--role",
                    "district_officer",
                    "--region",
                    "苏州",
                ],
                "无法识别的地区",
            ),
        ] {
            let mut full = vec!["user", "add"];
            full.extend(args);
            let out = anbiao(&t.url, &full);
            assert_eq!(out.status.code(), Some(1));
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(msg),
                "{msg}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        t.drop_db().await;
    }
    // A database that does not exist yet is created and migrated.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.db");
    let out = anbiao(path.to_str().expect("utf-8"), &["migrate"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(path.exists());
}

#[tokio::test]
async fn seed_is_reproducible() {
    let t = TestDb::new(Backend::Sqlite).await;
    let out = anbiao(&t.url, &["seed", "--enterprises", "300", "--seed", "5"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(count(&t.db).await, 300);
    // The same seed again adds nothing: same codes.
    anbiao(&t.url, &["seed", "--enterprises", "300", "--seed", "5"]);
    assert_eq!(count(&t.db).await, 300);
    t.drop_db().await;
}

/// `kill -9` in the middle of an import leaves the database as it was.
#[tokio::test]
async fn killed_import_leaves_the_database_unchanged() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("big.csv");
        let mut csv = String::from("企业名称,统一社会信用代码,所属地区,行业类别,从业人数\n");
        let n = 150_000u32;
        for i in 0..n {
            csv.push_str(&format!(
                "测试企业{i},{},如皋,机械,{}\n",
                code("320682", i),
                i % 500
            ));
        }
        std::fs::write(&file, csv).expect("write");
        let before = count(&t.db).await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_anbiao"))
            .args([
                "--db",
                &t.url,
                "import",
                "enterprises",
                file.to_str().expect("utf-8"),
                "--json",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // Kill it once it is writing rows in its transaction: on PostgreSQL its session shows an
        // INSERT inside an open transaction; on SQLite the write-ahead log grows.
        let wal = t.url.strip_prefix("sqlite://").map(|p| format!("{p}-wal"));
        let wal_size = |p: &Option<String>| {
            p.as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len())
        };
        let wal_before = wal_size(&wal);
        let started = Instant::now();
        let mut writing = false;
        while started.elapsed() < Duration::from_secs(120) {
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
            writing = match &t.db {
                anbiao_store::Db::Postgres(p) => {
                    let n: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                         AND xact_start IS NOT NULL AND query LIKE 'INSERT INTO enterprise %'",
                    )
                    .fetch_one(p)
                    .await
                    .expect("pg_stat_activity");
                    n > 0
                }
                anbiao_store::Db::Sqlite(_) => wal_size(&wal) > wal_before + 2 * 1024 * 1024,
            };
            if writing {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let still_running = child.try_wait().expect("try_wait").is_none();
        child.kill().expect("kill -9");
        let _ = child.wait();
        assert!(
            writing && still_running,
            "{}: the import was not caught writing ({:?})",
            backend.name(),
            started.elapsed()
        );
        let after = count(&t.db).await;
        assert_eq!(
            after,
            before,
            "{}: a killed import must leave nothing behind",
            backend.name()
        );
        t.drop_db().await;
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn table_counts(db: &anbiao_store::Db) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in [
        "enterprise",
        "enterprise_change",
        "app_user",
        "api_token",
        "audit_log",
        "region",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 =
            anbiao_store::with_pool!(db, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_one(p)
                .await)
            .expect("count");
        out.push((table.to_string(), n));
    }
    out
}

#[tokio::test]
async fn audit_tokens_backup_and_restore() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let roster = dir.path().join("r.csv");
        std::fs::write(
            &roster,
            format!(
                "企业名称,统一社会信用代码,属地,行业\n甲公司,{},如东,纺织\n",
                code("320623", 1)
            ),
        )
        .expect("write");
        let out = anbiao(
            &t.url,
            &["import", "enterprises", roster.to_str().expect("utf-8")],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = anbiao(
            &t.url,
            &[
                "user",
                "add",
                "--username",
                "bank",
                "--password",
                "Partner#2018x",
                "--role",
                "partner",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));

        // Tokens: printed once, listed, revoked; a wrong scope is refused in Chinese.
        let out = anbiao(&t.url, &["token", "issue", "--user", "bank", "--days", "7"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let secret = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(secret.starts_with("abt_") && secret.len() > 60, "{secret}");
        let out = anbiao(
            &t.url,
            &["token", "issue", "--user", "bank", "--scope", "admin"],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("read 或 write"));
        let out = anbiao(&t.url, &["token", "list"]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("live"));
        let out = anbiao(&t.url, &["token", "revoke", "1"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = anbiao(&t.url, &["token", "list", "--user", "bank"]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
        match anbiao_store::token::check(&t.db, &secret)
            .await
            .expect("check")
        {
            anbiao_store::token::Presented::Revoked(_) => {}
            other => panic!("{other:?}"),
        }

        // The chain: head, verify.
        let out = anbiao(&t.url, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("审计日志完整"));
        let head_before = String::from_utf8_lossy(&anbiao(&t.url, &["audit", "head"]).stdout)
            .trim()
            .to_string();

        // Backup, then restore into a second database; the two are equal and intact.
        let file = dir.path().join("anbiao.backup");
        let out = anbiao(&t.url, &["backup", "-o", file.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let again = anbiao(&t.url, &["backup", "-o", file.to_str().expect("utf-8")]);
        assert_eq!(
            again.status.code(),
            Some(1),
            "an existing file is not overwritten"
        );
        let head_after = String::from_utf8_lossy(&anbiao(&t.url, &["audit", "head"]).stdout)
            .trim()
            .to_string();
        assert_ne!(head_before, head_after, "the backup itself is audited");
        let (target_url, target) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("restored.db").display()),
                None,
            ),
            Backend::Postgres => {
                let t2 = TestDb::new(backend).await;
                (t2.url.clone(), Some(t2))
            }
        };
        if backend == Backend::Postgres {
            let out = anbiao(
                &target_url,
                &["restore", "-i", file.to_str().expect("utf-8")],
            );
            assert_eq!(out.status.code(), Some(1), "{}", text(&out));
            assert!(text(&out).contains("--force"));
        }
        let out = anbiao(
            &target_url,
            &["restore", "-i", file.to_str().expect("utf-8"), "--force"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let restored = anbiao_store::Db::open(&target_url)
            .await
            .expect("open restored");
        // Equal to the original, plus the entry that records the restore.
        let original = anbiao_store::audit_log::head(&t.db).await.expect("head");
        let mut expected = table_counts(&t.db).await;
        for (table, n) in &mut expected {
            if table == "audit_log" {
                *n += 1;
            }
        }
        assert_eq!(table_counts(&restored).await, expected);
        let last = anbiao_store::audit_log::search(&restored, &Default::default(), 2, 0)
            .await
            .expect("entries");
        assert_eq!(last[0].action, "restore");
        assert_eq!(last[1].hash, original.hash);
        restored.close().await;
        let kept = format!("{} {}", original.seq, original.hash);
        let out = anbiao(&target_url, &["audit", "verify", "--head", &kept]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let out = anbiao(&target_url, &["audit", "verify", "--head", &head_before]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));

        // A file that is not a backup changes nothing.
        if backend == Backend::Sqlite {
            let junk = dir.path().join("junk.backup");
            std::fs::write(&junk, b"not a database at all").expect("write");
            let out = anbiao(
                &target_url,
                &["restore", "-i", junk.to_str().expect("utf-8"), "--force"],
            );
            assert_eq!(out.status.code(), Some(1), "{}", text(&out));
            let out = anbiao(&target_url, &["audit", "verify"]);
            assert_eq!(out.status.code(), Some(0));
        }

        // Tampering: verify exits 3 naming the first bad entry.
        let drop = match backend {
            Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
            Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
        };
        for sql in [drop, "UPDATE audit_log SET actor = 'someone' WHERE seq = 2"] {
            anbiao_store::with_pool!(&t.db, |p| sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .map(|_| ()))
            .expect(sql);
        }
        let out = anbiao(&t.url, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        assert!(text(&out).contains("第 2 条"), "{}", text(&out));
        if let Some(t2) = target {
            t2.drop_db().await;
        }
        t.drop_db().await;
    }
}

#[tokio::test]
async fn rules_explain_a_stored_decision() {
    use anbiao_domain::lifecycle::{Action, Party};
    use anbiao_domain::rules::AuthorityLevel;
    use anbiao_store::grading::{self, NewCase, Step};
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        // Opening through the CLI loads the shipped sheets.
        let out = anbiao(&t.url, &["migrate"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let actor = anbiao_store::audit_log::Actor::new("tester", "cli");
        let ent = enterprise_in_rugao(&t.db, 3, "规则解释测试厂").await;
        let case = grading::open(
            &t.db,
            &Scope::City,
            &actor,
            &NewCase {
                enterprise_id: ent,
                grade: anbiao_domain::Grade::Three,
                opened_on: time::macros::date!(2019 - 03 - 01),
                rule_set: "grading.2014@1".into(),
                sheet_id: "sample.gbt33000".into(),
                sheet_version: 1,
            },
        )
        .await
        .expect("case");
        let step = Step {
            action: Action::Apply,
            party: Party::Enterprise,
            grading: AuthorityLevel::City,
            reason: None,
            rule: Some("grading.2014@1#admission".into()),
            result_grade: None,
            expected_version: None,
        };
        grading::transition(&t.db, &Scope::City, &actor, case, &step)
            .await
            .expect("applied");
        let out = anbiao(&t.url, &["rules", "explain", &format!("{case}.1")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let words = text(&out);
        assert!(
            words.contains("self_assessing → applied") && words.contains("申请条件均满足"),
            "{words}"
        );
        assert!(words.contains("2014-06-03 至 2021-10-31"), "{words}");
        let out = anbiao(&t.url, &["rules", "explain", &format!("{case}.9")]);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("没有第 9 项"));
        let out = anbiao(&t.url, &["rules", "list"]);
        assert!(text(&out).contains("grading.2021@1"));
        t.drop_db().await;
    }
}

#[tokio::test]
async fn standards_import_from_a_spreadsheet() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("机械评分细则.csv");
        std::fs::write(
            &file,
            "类目编号,考评类目,编号,考评内容,分值,评分方式,否决项\n\
             1,目标职责,1.1,制定安全生产目标,10,未制定的扣10分,\n\
             ,,1.2,目标分解,5,每缺一项扣1分,\n\
             2,隐患排查,2.1,重大隐患按期整改,20,否决,是\n",
        )
        .expect("write");
        let path = file.to_str().expect("utf-8");
        let args = [
            "standards",
            "import",
            path,
            "--id",
            "jx.2011",
            "--version",
            "1",
            "--title",
            "机械行业评定标准",
            "--grades",
            "two,three",
            "--effective-from",
            "2011-06-09",
            "--industry",
            "JX",
        ];
        let out = anbiao(&t.url, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            text(&out).contains("2 个类目、3 项，满分 35"),
            "{}",
            text(&out)
        );
        let sheet = anbiao_store::standards::get(&t.db, "jx.2011", 1)
            .await
            .expect("ran")
            .expect("stored");
        assert!(sheet.categories[1].items[0].veto);
        let out = anbiao(&t.url, &["standards", "list"]);
        let listed = text(&out);
        assert!(
            listed.contains("jx.2011@1") && listed.contains("（示例）"),
            "{listed}"
        );
        // A bad row is named; nothing is stored.
        std::fs::write(&file, "考评类目,考评内容,分值\n目标职责,制定目标,十分\n").expect("write");
        let mut bad = args;
        bad[6] = "2";
        let out = anbiao(&t.url, &bad);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).contains("第2行分值“十分”"), "{}", text(&out));
        assert!(
            anbiao_store::standards::get(&t.db, "jx.2011", 2)
                .await
                .expect("ran")
                .is_none()
        );
        t.drop_db().await;
    }
}

#[tokio::test]
async fn jobs_run_once_per_business_day() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let out = anbiao(&t.url, &["migrate"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let actor = anbiao_store::audit_log::Actor::new("tester", "cli");
        let ent = enterprise_in_rugao(&t.db, 5, "任务测试厂").await;
        anbiao_store::certificate::issue(
            &t.db,
            &actor,
            &anbiao_store::certificate::NewCertificate {
                enterprise_id: ent,
                case_id: None,
                grade: anbiao_domain::Grade::Three,
                industry: "JX".into(),
                issuer: "南通市应急管理局".into(),
                external: false,
                issued_on: time::macros::date!(2019 - 01 - 10),
                valid_until: time::macros::date!(2022 - 01 - 09),
                rule: "grading.2014@1#validity".into(),
                region_abbr: '苏',
                number: None,
            },
        )
        .await
        .expect("certificate");
        let out = anbiao(&t.url, &["jobs", "--date", "2022-01-20"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            text(&out).contains("2022-01-20：记录证书期满 1 张"),
            "{}",
            text(&out)
        );
        let out = anbiao(&t.url, &["jobs", "--date", "2022-01-20"]);
        assert!(text(&out).contains("已由其他实例执行"), "{}", text(&out));
        let out = anbiao(&t.url, &["jobs", "--date", "2022-13-01"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out).contains("日期应为 YYYY-MM-DD"), "{}", text(&out));
        t.drop_db().await;
    }
}

/// The full list of a major-hazard standard imports from a spreadsheet when it matches the
/// standard's structure; a list with a missing item is refused with the group and nothing kept.
#[tokio::test]
async fn the_major_hazard_list_imports_when_complete() {
    let book = anbiao_domain::major_hazard::MajorHazardBook::embedded().expect("book");
    let s = book
        .standards
        .iter()
        .find(|s| s.id == "major_hazard.2017")
        .expect("2017");
    let mut csv = String::from("类别,行业或领域,序号,判定内容\n");
    for g in &s.groups {
        for n in 1..=g.items {
            csv.push_str(&format!(
                "{},{},{n},{}第{n}条判定内容\n",
                g.class, g.area, g.area
            ));
        }
    }
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("dir");
        let short = dir.path().join("short.csv");
        let lines: Vec<&str> = csv.lines().collect();
        std::fs::write(&short, lines[..lines.len() - 1].join("\n")).expect("write");
        let out = anbiao(
            &t.url,
            &[
                "standards",
                "import-major",
                short.to_str().unwrap_or(""),
                "--standard",
                "major_hazard.2017",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("“商贸”应有 1 条，清单中有 0 条"),
            "{}",
            text(&out)
        );
        assert!(
            anbiao_store::hazards::imported_items(&t.db, "major_hazard.2017")
                .await
                .expect("ran")
                .is_empty()
        );
        let full = dir.path().join("full.csv");
        std::fs::write(&full, &csv).expect("write");
        let out = anbiao(
            &t.url,
            &[
                "standards",
                "import-major",
                full.to_str().unwrap_or(""),
                "--standard",
                "major_hazard.2017",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("条款 59 条"), "{}", text(&out));
        let items = anbiao_store::hazards::imported_items(&t.db, "major_hazard.2017")
            .await
            .expect("ran");
        assert_eq!(items.len(), 59);
        let out = anbiao(
            &t.url,
            &[
                "standards",
                "import-major",
                full.to_str().unwrap_or(""),
                "--standard",
                "major_hazard.1999",
            ],
        );
        assert!(
            text(&out).contains("判定标准“major_hazard.1999”不存在"),
            "{}",
            text(&out)
        );
    }
}

#[tokio::test]
async fn serve_refuses_the_demo_s_logins_and_the_demo_keeps_to_its_own_file() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        // An account named as a demo login, still with the published demo password.
        let ok = anbiao(
            &t.url,
            &[
                "user",
                "add",
                "--username",
                "city",
                "--password",
                "Demo@2018",
                "--role",
                "city_officer",
            ],
        );
        assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
        let out = anbiao(&t.url, &["serve", "--port", "0"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("演示账号“city”"), "{}", text(&out));
        assert!(text(&out).contains("--allow-demo-logins"));
        // Once the password is changed the account is nobody's demo: `demo` will not seed its
        // published logins into that database, and leaves it as it was.
        let city = anbiao_store::account::by_username(&t.db, "city")
            .await
            .expect("ran")
            .expect("city");
        anbiao_store::account::change(
            &t.db,
            &anbiao_store::audit_log::Actor::new("tester", "cli"),
            city.id,
            &anbiao_store::account::AccountChange::ResetPassword("Prod#2026secret".into()),
            &anbiao_domain::SignInPolicy::default(),
        )
        .await
        .expect("reset");
        let out = anbiao(&t.url, &["demo", "--port", "0", "--enterprises", "5"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("不是演示系统生成的"), "{}", text(&out));
        assert_eq!(count(&t.db).await, 0);
        assert!(
            anbiao_store::account::by_username(&t.db, "sysadmin")
                .await
                .expect("ran")
                .is_none()
        );
        // A public address that is not an http(s) URL of a host is refused before anything runs.
        let out = anbiao(
            &t.url,
            &[
                "serve",
                "--port",
                "0",
                "--public-url",
                "javascript:alert(1)",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("https://"), "{}", text(&out));
    }
    // `demo` without --db writes anbiao-demo.db, never the working directory's anbiao.db.
    let dir = std::env::temp_dir().join(format!("anbiao-demo-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anbiao"))
        .args(["demo", "--port", &port.to_string(), "--enterprises", "50"])
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo");
    let start = Instant::now();
    while !dir.join("anbiao-demo.db").exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(dir.join("anbiao-demo.db").exists());
    assert!(!dir.join("anbiao.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_audit_head_is_kept_outside_and_the_server_s_login_only_appends() {
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let heads = dir.path().join("audit-head.log");
        let key = dir.path().join("head.key");
        std::fs::write(&key, "short").expect("key");
        let port = |()| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .expect("port")
                .local_addr()
                .expect("addr")
                .port()
                .to_string()
        };
        let args = |p: &str| {
            vec![
                "serve".to_string(),
                "--port".into(),
                p.to_string(),
                "--audit-head-file".into(),
                heads.display().to_string(),
                "--audit-head-key-file".into(),
                key.display().to_string(),
            ]
        };
        // A key too short to be a secret stops the start.
        let a = args(&port(()));
        let out = anbiao(&t.url, &a.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(text(&out).contains("至少 16 个字节"), "{}", text(&out));
        std::fs::write(&key, "7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e\n").expect("key");
        // The server writes the head at start.
        let a = args(&port(()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_anbiao"))
            .arg("--db")
            .arg(&t.url)
            .args(&a)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let start = Instant::now();
        while std::fs::read_to_string(&heads).map_or(true, |s| s.is_empty())
            && start.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        let line = std::fs::read_to_string(&heads).expect("head file");
        assert_eq!(line.lines().count(), 1, "{line}");
        let verify = |key: &std::path::Path| {
            anbiao(
                &t.url,
                &[
                    "audit",
                    "verify",
                    "--head-file",
                    heads.to_str().expect("utf-8"),
                    "--key-file",
                    key.to_str().expect("utf-8"),
                ],
            )
        };
        let out = verify(&key);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        // Another key, or an edited line: refused, naming the line.
        let other = dir.path().join("other.key");
        std::fs::write(&other, "another secret of sixteen bytes").expect("key");
        let out = verify(&other);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        assert!(text(&out).contains("第 1 行"), "{}", text(&out));
        let fields: Vec<&str> = line.split_whitespace().collect();
        let forged = format!(
            "{} {} {} {}\n",
            fields[0],
            "0".repeat(64),
            fields[2],
            fields[3]
        );
        std::fs::write(&heads, forged).expect("forge");
        assert_eq!(verify(&key).status.code(), Some(3));

        // PostgreSQL: the owner migrates and grants; the server's own login reads, writes and
        // verifies, and may not touch the log's past.
        if backend == anbiao_store::Backend::Postgres {
            let role = format!("anbiao_cli_app_{}", std::process::id());
            let admin = |sql: String| {
                let db = t.db.clone();
                async move {
                    if let anbiao_store::Db::Postgres(p) = &db {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(p)
                            .await
                            .expect("admin sql");
                    }
                }
            };
            admin(format!("DROP ROLE IF EXISTS {role}")).await;
            admin(format!("CREATE ROLE {role} LOGIN")).await;
            let out = anbiao(&t.url, &["migrate", "--app-role", &role]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            assert!(text(&out).contains("审计日志只能追加"), "{}", text(&out));
            let (scheme, rest) = t.url.split_once("://").expect("url");
            let host = rest.split_once('@').map_or(rest, |(_, h)| h);
            let app_url = format!("{scheme}://{role}@{host}");
            let out = anbiao(&app_url, &["audit", "verify"]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            let out = anbiao(&t.url, &["migrate", "--app-role", "Bad Role"]);
            assert_eq!(out.status.code(), Some(2), "{}", text(&out));
            admin(format!("DROP OWNED BY {role}")).await;
            admin(format!("DROP ROLE {role}")).await;
        }
    }
}

#[test]
fn risk_assess_prints_the_level_and_the_rule_that_decided_it() {
    // No database is opened: the rules are the binary's, or --data-dir's.
    let db = "sqlite:///nonexistent-dir/never.db";
    let out = anbiao(
        db,
        &[
            "risk",
            "assess",
            "--method",
            "lec",
            "--factor",
            "L=3",
            "--factor",
            "E=6",
            "--factor",
            "C=15",
            "--on",
            "2018-07-04",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["method"], "lec");
    assert_eq!(v["score"], serde_json::json!(270.0));
    assert_eq!(v["band"], "高度危险，要立即整改");
    assert_eq!(v["level"], "较大风险");
    assert_eq!(v["colour"], "橙");
    assert_eq!(v["rule"], "risk@1#lec.band.160");
    // D = 70 exactly is the band below the cut-off; a direct condition makes it 重大.
    let out = anbiao(
        db,
        &[
            "risk", "assess", "--method", "lec", "--factor", "L=10", "--factor", "E=1", "--factor",
            "C=7",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["score"].as_f64(), v["colour"].as_str()),
        (Some(70.0), Some("蓝"))
    );
    let out = anbiao(
        db,
        &[
            "risk",
            "assess",
            "--method",
            "ls",
            "--factor",
            "L=2",
            "--factor",
            "S=2",
            "--direct",
            "dust_explosion",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["level"].as_str(), v["rule"].as_str()),
        (Some("重大风险"), Some("risk@1#direct.dust_explosion"))
    );
    assert_eq!(v["to_be_checked"], true);
    // Unknown method, factor, value, a malformed factor, a day before the rules: exit 2, Chinese.
    for (args, says) in [
        (
            vec!["--method", "hazop", "--factor", "L=3"],
            "未知的评价方法“hazop”",
        ),
        (
            vec![
                "--method", "lec", "--factor", "L=4", "--factor", "E=6", "--factor", "C=15",
            ],
            "因素 L 的取值“4”不在",
        ),
        (vec!["--method", "lec", "--factor", "Q=4"], "没有因素“Q”"),
        (
            vec!["--method", "lec", "--factor", "L3"],
            "因素应写作 名称=取值",
        ),
        (
            vec![
                "--method",
                "lec",
                "--factor",
                "L=3",
                "--factor",
                "E=6",
                "--factor",
                "C=15",
                "--on",
                "2010-01-01",
            ],
            "没有生效的风险分级规则",
        ),
    ] {
        let mut all = vec!["risk", "assess"];
        all.extend(args.iter().copied());
        let out = anbiao(db, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert!(
            err.contains(says) && out.stdout.is_empty(),
            "{all:?}: {err}"
        );
    }
    // Mapping B is a change of data: a risk.toml in --data-dir with other levels per band.
    let dir = tempfile::tempdir().expect("dir");
    let b = anbiao_domain::reference::embedded::RISK.replacen(
        "name = \"显著危险，需要整改\"\nlevel = \"medium\"",
        "name = \"显著危险，需要整改\"\nlevel = \"high\"",
        1,
    );
    std::fs::write(dir.path().join("risk.toml"), b).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_anbiao"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "risk", "assess", "--method", "lec", "--factor", "L=6", "--factor", "E=3", "--factor",
            "C=7",
        ])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["score"].as_f64(), v["level"].as_str()),
        (Some(126.0), Some("较大风险"))
    );
    // A mistyped directory is refused, not taken for the built-in rules.
    let out = Command::new(env!("CARGO_BIN_EXE_anbiao"))
        .args(["--data-dir", "/nonexistent/anbiao-rules"])
        .args([
            "risk", "assess", "--method", "lec", "--factor", "L=6", "--factor", "E=3", "--factor",
            "C=7",
        ])
        .output()
        .expect("run");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("参考数据目录 /nonexistent/anbiao-rules 不存在")
    );
}

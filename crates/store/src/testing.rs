//! Test support: a fresh database per test on each backend.
//!
//! SQLite: a temporary file. PostgreSQL: a database cloned from a template that is migrated
//! once per migration set (`CREATE DATABASE … TEMPLATE …`), dropped afterwards. The server is
//! `TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anbiao_domain::ReferenceData;
use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, PgConnection};

use crate::db::{Backend, Db, PG_MIGRATOR};
use crate::reference;

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(admin: &str, name: &str) -> String {
    match admin.rfind('/') {
        Some(i) if i > admin.find("://").map_or(0, |j| j + 2) => {
            let (base, rest) = admin.split_at(i);
            let query = rest.find('?').map(|q| &rest[q..]).unwrap_or("");
            format!("{base}/{name}{query}")
        }
        _ => format!("{admin}/{name}"),
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Postgres { admin: String, name: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("anbiao_test_{}.db", unique_suffix()));
        let url = format!("sqlite://{}", path.display());
        let db = Db::open(&url).await.expect("open sqlite test database");
        let data = ReferenceData::embedded().expect("reference data");
        reference::sync(&db, &data)
            .await
            .expect("sync reference data");
        TestDb {
            db,
            url,
            cleanup: Cleanup::File(path),
        }
    }

    pub async fn postgres() -> TestDb {
        let admin = postgres_admin_url();
        let template = ensure_template(&admin).await;
        let name = format!("anbiao_t_{}", unique_suffix());
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect to the PostgreSQL test server");
        let mut tries = 0;
        loop {
            let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
            match conn.execute(sqlx::AssertSqlSafe(sql)).await {
                Ok(_) => break,
                // Another process may be connected to the template for a moment.
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!("retrying CREATE DATABASE: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("CREATE DATABASE {name}: {e}"),
            }
        }
        let _ = conn.close().await;
        let url = with_database(&admin, &name);
        let db = Db::connect(&url, false)
            .await
            .expect("connect to the cloned database");
        TestDb {
            db,
            url,
            cleanup: Cleanup::Postgres { admin, name },
        }
    }

    /// Closes the pool and removes the database.
    pub async fn drop_db(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin, name } => {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = conn.execute(sqlx::AssertSqlSafe(sql)).await;
                    let _ = conn.close().await;
                }
            }
        }
    }
}

/// A filled test database frozen to be copied: every copy starts from the same records, so a
/// test may change one copy without the next seeing it. Made with [`TestDb::freeze`].
pub struct Frozen {
    backend: Backend,
    /// The SQLite file, or the PostgreSQL database name.
    source: String,
    admin: String,
}

impl TestDb {
    /// Closes the database and keeps it as the source of copies.
    pub async fn freeze(self) -> Frozen {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => Frozen {
                backend: Backend::Sqlite,
                source: path.display().to_string(),
                admin: String::new(),
            },
            Cleanup::Postgres { admin, name } => Frozen {
                backend: Backend::Postgres,
                source: name,
                admin,
            },
        }
    }
}

impl Frozen {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A fresh copy, dropped with [`TestDb::drop_db`].
    pub async fn copy(&self) -> TestDb {
        match self.backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("anbiao_test_{}.db", unique_suffix()));
                std::fs::copy(&self.source, &path).expect("copy the frozen SQLite file");
                let url = format!("sqlite://{}", path.display());
                let db = Db::open(&url).await.expect("open the copy");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres => {
                let name = format!("anbiao_t_{}", unique_suffix());
                let mut conn = PgConnection::connect(&self.admin)
                    .await
                    .expect("connect to the PostgreSQL test server");
                let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{}\"", self.source);
                conn.execute(sqlx::AssertSqlSafe(sql))
                    .await
                    .expect("copy the frozen database");
                let _ = conn.close().await;
                let url = with_database(&self.admin, &name);
                let db = Db::connect(&url, false).await.expect("connect to the copy");
                TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Postgres {
                        admin: self.admin.clone(),
                        name,
                    },
                }
            }
        }
    }

    /// Removes the frozen database.
    pub async fn drop_db(self) {
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.source));
                }
            }
            Backend::Postgres => {
                if let Ok(mut conn) = PgConnection::connect(&self.admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.source);
                    let _ = conn.execute(sqlx::AssertSqlSafe(sql)).await;
                    let _ = conn.close().await;
                }
            }
        }
    }
}

/// A template database migrated and filled with reference data, named after a digest of the
/// migrations and the reference files so that a change makes a new one.
async fn ensure_template(admin: &str) -> String {
    let mut h = Sha256::new();
    for m in PG_MIGRATOR.iter() {
        h.update(&m.checksum);
    }
    h.update(crate::reference::fingerprint());
    let digest: String = h
        .finalize()
        .iter()
        .take(8)
        .map(|x| format!("{x:02x}"))
        .collect();
    let template = format!("anbiao_tpl_{digest}");
    let mut conn = PgConnection::connect(admin)
        .await
        .expect("connect to the PostgreSQL test server");
    conn.execute("SELECT pg_advisory_lock(727274)")
        .await
        .expect("advisory lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut conn)
            .await
            .expect("query pg_database");
    if !exists {
        let building = format!("{template}_build");
        let drop = format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)");
        conn.execute(sqlx::AssertSqlSafe(drop))
            .await
            .expect("drop stale template build");
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{building}\""
        )))
        .await
        .expect("create template");
        let url = with_database(admin, &building);
        let db = Db::open(&url).await.expect("migrate template");
        let data = ReferenceData::embedded().expect("reference data");
        reference::sync(&db, &data)
            .await
            .expect("sync reference data");
        db.close().await;
        let rename = format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"");
        conn.execute(sqlx::AssertSqlSafe(rename))
            .await
            .expect("rename template");
    }
    conn.execute("SELECT pg_advisory_unlock(727274)")
        .await
        .expect("advisory unlock");
    let _ = conn.close().await;
    template
}

/// The backends every storage test runs on.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// Runs a test body once per backend, each on a fresh database that is dropped afterwards,
/// even when the body panics (the panic is then re-raised, naming the backend).
pub async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for backend in BACKENDS {
        let t = TestDb::new(backend).await;
        let result = tokio::spawn(f(t.db.clone())).await;
        t.drop_db().await;
        if let Err(e) = result {
            if e.is_panic() {
                eprintln!("test failed on {}", backend.name());
                std::panic::resume_unwind(e.into_panic());
            }
            panic!("test task on {} did not finish: {e}", backend.name());
        }
    }
}

/// A valid credit code registered in `area` (six digits), distinct for each `n`.
pub fn credit_code(area: &str, n: u32) -> String {
    let alphabet: Vec<char> = anbiao_domain::credit_code::ALPHABET.chars().collect();
    let mut tail = String::new();
    let mut x = n;
    for _ in 0..5 {
        tail.push(alphabet[(x % 31) as usize]);
        x /= 31;
    }
    anbiao_domain::CreditCode::complete(&format!("91{area}MA1{tail}"))
        .expect("a six-digit area gives a valid prefix")
        .to_string()
}

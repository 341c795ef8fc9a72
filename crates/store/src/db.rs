//! One code path over two databases: an enum of native pools and dispatch macros.

use std::str::FromStr;
use std::time::Duration;

use log::LevelFilter;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, PgPool, SqlitePool};

use crate::error::StoreError;

pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
pub static PG_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// The default database: `anbiao.db` in the working directory.
pub const DEFAULT_URL: &str = "sqlite://anbiao.db";

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Runs one body against whichever pool the `Db` holds; the body is type-checked per driver.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($p) => $body,
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

/// A transaction on either backend.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs one body against the connection of a [`Tx`].
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

/// Turns what people pass as `--db` into a URL: a bare path means a SQLite file.
pub fn normalize_url(url: &str) -> String {
    if url.starts_with("postgres://")
        || url.starts_with("postgresql://")
        || url.starts_with("sqlite:")
    {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    }
}

/// Hides the password of a database URL for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether a database error is PostgreSQL's "insufficient privilege" or "must be owner".
fn is_permission_denied(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "42501")
}

impl Db {
    /// Connects, creating the database when it does not exist yet, and runs the migrations
    /// that are pending. With none pending nothing is asked of the schema, so the application
    /// role of a PostgreSQL deployment (which may not change the schema, see
    /// [`Db::grant_app_role`]) opens a database its owner migrated.
    pub async fn open(url: &str) -> Result<Db, StoreError> {
        let db = Self::connect(url, true).await?;
        if db.pending_migrations().await? > 0 {
            db.migrate().await.map_err(|e| match e {
                StoreError::Db(ref inner)
                | StoreError::Migrate(sqlx::migrate::MigrateError::Execute(ref inner))
                    if is_permission_denied(inner) =>
                {
                    StoreError::Invalid(
                    "数据库结构需要升级，而当前数据库账户无权修改结构：请用数据库所有者账户运行 anbiao migrate"
                            .into(),
                    )
                }
                e => e,
            })?;
        }
        crate::enterprise::backfill_name_grams(&db).await?;
        Ok(db)
    }

    /// Connects; `create` makes a missing database first.
    pub async fn connect(url: &str, create: bool) -> Result<Db, StoreError> {
        let url = normalize_url(url);
        if url.starts_with("postgres") {
            if create
                && !sqlx::Postgres::database_exists(&url).await?
                && let Err(e) = sqlx::Postgres::create_database(&url).await
            {
                // Another process may have created it in between.
                if !sqlx::Postgres::database_exists(&url).await? {
                    return Err(e.into());
                }
            }
            // Bulk statements are long by design; slow-statement logs would print them whole.
            // No JIT compilation: it spent 30–60 ms compiling each of the inspection plan's and
            // the statistics' reads at 1,000,000 enterprises, more than most of them take to run.
            let opts = PgConnectOptions::from_str(&url)?
                .options([("jit", "off")])
                .log_statements(LevelFilter::Trace)
                .log_slow_statements(LevelFilter::Off, Duration::from_secs(60));
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let opts = SqliteConnectOptions::from_str(&url)?
                .create_if_missing(create)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // 64 MiB of page cache per connection (SQLite's default is 2 MiB): a province's
                // registry is gigabytes, and a unit's plan or a district's figures read tens of
                // megabytes of index pages at once.
                .pragma("cache_size", "-65536")
                .busy_timeout(Duration::from_secs(10))
                .log_statements(LevelFilter::Trace)
                .log_slow_statements(LevelFilter::Off, Duration::from_secs(60));
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        }
    }

    /// How many of the shipped migrations the database has not applied.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";
        let applied: Result<Vec<i64>, sqlx::Error> = match self {
            Db::Sqlite(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
            Db::Postgres(p) => sqlx::query_scalar(SQL).fetch_all(p).await,
        };
        let migrator = match self {
            Db::Sqlite(_) => &SQLITE_MIGRATOR,
            Db::Postgres(_) => &PG_MIGRATOR,
        };
        // A new database has no migrations table yet.
        let applied = applied.unwrap_or_default();
        Ok(migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .filter(|m| !applied.contains(&m.version))
            .count())
    }

    /// PostgreSQL: lets `role` (the server's login) read and write the application's tables
    /// but only append to the audit log: no UPDATE, DELETE or TRUNCATE on it, and, not owning
    /// it, no way to drop its append-only triggers. Run by the owner after the migrations
    /// (`anbiao migrate --app-role`); tables later migrations add get the same grants.
    pub async fn grant_app_role(&self, role: &str) -> Result<(), StoreError> {
        let fine = !role.is_empty()
            && role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !fine {
            return Err(StoreError::Invalid(format!(
                "数据库角色名“{role}”无效：只能用小写字母、数字和下划线"
            )));
        }
        let Db::Postgres(p) = self else {
            return Err(StoreError::Invalid(
                "SQLite 数据库没有数据库角色：文件的读写权限由操作系统控制".into(),
            ));
        };
        let r = format!("\"{role}\"");
        let statements = [
            format!("GRANT USAGE ON SCHEMA public TO {r}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}"),
            format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r}"),
            format!(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}"
            ),
            format!(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {r}"
            ),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {r}"),
            format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {r}"),
        ];
        let mut tx = p.begin().await?;
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATOR.run(p).await?,
            Db::Postgres(p) => PG_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Answers when the database is reachable.
    /// Writes a consistent copy of a SQLite database to `path` while it stays in use
    /// (`VACUUM INTO`). PostgreSQL backs up with `pg_dump` instead.
    pub async fn sqlite_backup_to(&self, path: &str) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => {
                sqlx::query("VACUUM INTO $1").bind(path).execute(p).await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::Invalid(
                "PostgreSQL 数据库请用 pg_dump 备份".into(),
            )),
        }
    }

    /// Whether the database already holds anbiao's tables.
    pub async fn has_schema(&self) -> Result<bool, StoreError> {
        Ok(match self {
            Db::Sqlite(p) => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'app_user')",
            )
            .fetch_one(p)
            .await?,
            Db::Postgres(p) => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = 'app_user')",
            )
            .fetch_one(p)
            .await?,
        })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |p| sqlx::query("SELECT 1")
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }
}

impl Db {
    /// Brings the enterprise table back into shape after a bulk load: fresh planner statistics
    /// (else PostgreSQL plans an IN list of codes as a full scan), and on PostgreSQL a VACUUM,
    /// which folds the full-text index's pending list in and marks pages all-visible so
    /// name scans can stay in the index. SQLite samples its statistics (analysis_limit).
    pub async fn after_bulk_load(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => {
                let mut c = p.acquire().await?;
                sqlx::query("PRAGMA analysis_limit = 1000")
                    .execute(&mut *c)
                    .await?;
                sqlx::query("ANALYZE enterprise").execute(&mut *c).await?;
            }
            Db::Postgres(p) => {
                sqlx::query("VACUUM (ANALYZE) enterprise")
                    .execute(p)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Rows written by one bulk operation after which statistics are refreshed.
pub const ANALYZE_AFTER_ROWS: u64 = 10_000;

/// Now, as Unix seconds (the timestamps stored in BIGINT columns).
pub(crate) fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(normalize_url("data/x.db"), "sqlite://data/x.db");
        assert_eq!(normalize_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}

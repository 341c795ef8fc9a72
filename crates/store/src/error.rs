//! The store's error type.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("记录不存在")]
    NotFound,
    /// A unique key or a concurrent change; the message is for users.
    #[error("{0}")]
    Conflict(String),
    /// Input the store refuses (out of scope, unknown reference); the message is for users.
    #[error("{0}")]
    Invalid(String),
    #[error("数据库错误：{0}")]
    Db(#[from] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("密码处理失败")]
    Password,
}

impl StoreError {
    /// Whether a database error is a unique-key violation (both backends).
    pub fn is_unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }
}

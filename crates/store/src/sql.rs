//! Building SQL with `$n` placeholders and binding a dynamic argument list on either backend.

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    OptBool(Option<bool>),
    Time(time::OffsetDateTime),
}

/// SQL text plus its arguments, numbered as they are pushed.
#[derive(Debug, Default, Clone)]
pub struct SqlBuf {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl SqlBuf {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(a, b, c)` placeholders for a non-empty list.
    pub fn bind_list(&mut self, items: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.sql.push('(');
        for (i, a) in items.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.bind(a);
        }
        self.sql.push(')');
        self
    }
}

impl SqlBuf {
    /// Runs the statement in `tx`.
    pub(crate) async fn execute_in(&self, tx: &mut crate::db::Tx) -> Result<(), crate::StoreError> {
        let sql = self.render(tx.backend());
        crate::with_tx!(tx, |c| crate::bind_args!(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())),
            &self.args
        )
        .execute(c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Reads every row as `T` (the one way to run a built query; typed rows, both backends).
    pub async fn fetch_all<T>(&self, db: &crate::Db) -> Result<Vec<T>, crate::StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = self.render(db.backend());
        Ok(crate::with_pool!(db, |p| crate::bind_args!(
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.clone())),
            &self.args
        )
        .fetch_all(p)
        .await)?)
    }

    /// Reads at most one row as `T`.
    pub async fn fetch_optional<T>(&self, db: &crate::Db) -> Result<Option<T>, crate::StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = self.render(db.backend());
        Ok(crate::with_pool!(db, |p| crate::bind_args!(
            sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.clone())),
            &self.args
        )
        .fetch_optional(p)
        .await)?)
    }

    /// The SQL for a backend. SQLite looks numbered and named parameters up in a list, which
    /// makes a statement with thousands of them quadratic to prepare; plain `?` is positional
    /// and free. Every placeholder of a `SqlBuf` appears once and in order, so `$n` → `?` keeps
    /// the meaning.
    pub fn render(&self, backend: crate::db::Backend) -> String {
        match backend {
            crate::db::Backend::Postgres => self.sql.clone(),
            crate::db::Backend::Sqlite => {
                let mut out = String::with_capacity(self.sql.len());
                let mut chars = self.sql.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                            chars.next();
                        }
                        out.push('?');
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// Binds every [`Arg`] of a [`SqlBuf`] to a sqlx query (works for `query`, `query_as`,
/// `query_scalar` on either backend).
#[macro_export]
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::sql::Arg::Text(v) => q.bind(v.clone()),
                $crate::sql::Arg::OptText(v) => q.bind(v.clone()),
                $crate::sql::Arg::Int(v) => q.bind(*v),
                $crate::sql::Arg::OptInt(v) => q.bind(*v),
                $crate::sql::Arg::OptBool(v) => q.bind(*v),
                $crate::sql::Arg::Time(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut b = SqlBuf::new("SELECT 1 WHERE a = ");
        b.bind(Arg::Int(1))
            .push(" AND b IN ")
            .bind_list([Arg::Text("x".into()), Arg::Text("y".into())]);
        assert_eq!(b.sql, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(b.args.len(), 3);
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
        assert_eq!(
            b.render(crate::db::Backend::Sqlite),
            "SELECT 1 WHERE a = ? AND b IN (?, ?)"
        );
        assert_eq!(b.render(crate::db::Backend::Postgres), b.sql);
    }
}

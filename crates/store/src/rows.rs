//! Typed rows: a stored code (a state, a level, a grade) is parsed when the row is read, and a
//! value that does not parse is an error naming the table, the row and the column, never a
//! silent default.

/// Parses a stored code of `table`.`column` in row `id`.
pub(crate) fn code<T>(
    table: &str,
    id: i64,
    column: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    parse(value).ok_or_else(|| {
        sqlx::Error::Decode(
            format!("表 {table} 第 {id} 行的 {column} 列存有无法识别的值“{value}”").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anbiao_domain::hazard::Level;

    #[test]
    fn a_value_that_does_not_parse_names_table_row_and_column() {
        assert_eq!(
            code("hazard", 7, "level", "major", Level::parse).expect("parses"),
            Level::Major
        );
        let e = code("hazard", 7, "level", "huge", Level::parse).expect_err("unknown");
        let text = e.to_string();
        assert!(
            text.contains("hazard")
                && text.contains("第 7 行")
                && text.contains("level")
                && text.contains("huge"),
            "{text}"
        );
    }
}

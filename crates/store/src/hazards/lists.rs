//! Hazard lists by state, level and deadline, and the leading figures counted from them.

use super::*;

/// What a hazard list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub state: Option<State>,
    pub level: Option<Level>,
    /// Only those overdue on this day.
    pub overdue_on: Option<Date>,
    pub enterprise_id: Option<i64>,
    pub inspection_id: Option<i64>,
}

/// A line of a hazard list.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub level: Level,
    pub state: State,
    pub description: String,
    pub found_on: String,
    pub due: String,
    pub source: String,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for Line
where
    &'r str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let id: i64 = row.try_get("id")?;
        let level: String = row.try_get("level")?;
        let state: String = row.try_get("state")?;
        Ok(Self {
            id,
            enterprise_id: row.try_get("enterprise_id")?,
            name: row.try_get("name")?,
            level: crate::rows::code("hazard", id, "level", &level, Level::parse)?,
            state: crate::rows::code("hazard", id, "state", &state, State::parse)?,
            description: row.try_get("description")?,
            found_on: row.try_get("found_on")?,
            due: row.try_get("due")?,
            source: row.try_get("source")?,
        })
    }
}

impl Line {
    pub fn level(&self) -> Level {
        self.level
    }
    pub fn state(&self) -> State {
        self.state
    }
    pub fn overdue_on(&self, on: Date) -> bool {
        parse_date(&self.due).is_some_and(|d| hazard::overdue(self.state(), d, on))
    }
}

/// The effective deadline: the plan's, once a major hazard has one.
pub(super) const DUE: &str = "COALESCE(h.plan_deadline, h.deadline)";

pub(super) fn filtered(select: &str, scope: &Scope, f: &Filter) -> SqlBuf {
    let mut b = SqlBuf::new(select);
    b.push(" FROM hazard h JOIN enterprise e ON e.id = h.enterprise_id WHERE 1 = 1");
    push_scope(
        &mut b,
        scope,
        "h.enterprise_id",
        "h.region_code",
        "e.township",
    );
    if let Some(s) = f.state {
        b.push(" AND h.state = ");
        b.bind(Arg::Text(s.key().into()));
    }
    if let Some(l) = f.level {
        b.push(" AND h.level = ");
        b.bind(Arg::Text(l.key().into()));
    }
    // A state not written off with a level: the partial indexes of the open hazards hold them
    // in the order shown (without a level, the newest-first scan finds a page sooner).
    if f.level.is_some() && f.state.is_some_and(|s| s != State::Closed) {
        b.push(" AND h.state <> 'closed'");
    }
    if let Some(on) = f.overdue_on {
        b.push(&format!(" AND h.state IN ('open', 'planned') AND {DUE} < "));
        b.bind(Arg::Text(format_date(on)));
    }
    if let Some(id) = f.enterprise_id {
        b.push(" AND h.enterprise_id = ");
        b.bind(Arg::Int(id));
    }
    if let Some(id) = f.inspection_id {
        b.push(" AND h.inspection_id = ");
        b.bind(Arg::Int(id));
    }
    b
}

/// Hazards within the scope, newest found first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Line>, StoreError> {
    let mut b = filtered(
        &format!(
            "SELECT h.id, h.enterprise_id, e.name, h.level, h.state, h.description, h.found_on, \
             {DUE} AS due, h.source"
        ),
        scope,
        f,
    );
    b.push(" ORDER BY h.found_on DESC, h.id DESC LIMIT ");
    b.bind(Arg::Int(limit));
    b.push(" OFFSET ");
    b.bind(Arg::Int(offset));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Line>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// One page of the hazards within the scope that pass the filter, newest found first, with
/// the total up to the cap.
pub async fn page(
    db: &Db,
    scope: &Scope,
    f: &Filter,
    req: crate::paging::PageReq,
) -> Result<crate::paging::Paged<Line>, StoreError> {
    let b = filtered(
        &format!(
            "SELECT h.id, h.enterprise_id, e.name, h.level, h.state, h.description, h.found_on, \
             {DUE} AS due, h.source"
        ),
        scope,
        f,
    );
    crate::paging::fetch(db, &b, "h.found_on DESC, h.id DESC", req).await
}

/// The figures a hazard page leads with, within the scope, on a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Not written off.
    pub open: i64,
    pub major_open: i64,
    /// Past the deadline and not reported done.
    pub overdue: i64,
    /// Reported done, awaiting acceptance.
    pub awaiting: i64,
}

pub async fn summary(db: &Db, scope: &Scope, on: Date) -> Result<Summary, StoreError> {
    // The city's and a district's figures come from the running sums; a township's or an
    // enterprise's are counted from their hazards not written off.
    let codes = match scope {
        Scope::City => Some(None),
        Scope::Region { codes } => Some(Some(codes.as_slice())),
        _ => None,
    };
    if let Some(codes) = codes {
        let t = tallies_on(db, on, codes).await?;
        let sum = |x: Tally| t.values().filter_map(|m| m.get(&x)).sum::<i64>();
        return Ok(Summary {
            open: sum(Tally::Open),
            major_open: sum(Tally::OpenMajor),
            overdue: sum(Tally::Overdue),
            awaiting: sum(Tally::Awaiting),
        });
    }
    counted_summary(db, scope, on).await
}

/// The leading figures counted from the hazards not written off (any scope).
pub async fn counted_summary(db: &Db, scope: &Scope, on: Date) -> Result<Summary, StoreError> {
    let mut b = SqlBuf::new(
        "SELECT CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN h.level = 'major' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN h.state IN ('open', 'planned') AND COALESCE(h.plan_deadline, h.deadline) < ",
    );
    b.bind(Arg::Text(format_date(on)));
    b.push(
        " THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN h.state = 'rectified' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM hazard h",
    );
    // Only the hazards not written off, by the partial index; the enterprise is joined only
    // when the scope needs its township.
    if matches!(scope, Scope::Township { .. }) {
        b.push(" JOIN enterprise e ON e.id = h.enterprise_id");
    }
    b.push(" WHERE h.state <> 'closed'");
    push_scope(
        &mut b,
        scope,
        "h.enterprise_id",
        "h.region_code",
        "e.township",
    );
    let sql = b.render(db.backend());
    let (open, major_open, overdue, awaiting): (i64, i64, i64, i64) =
        with_pool!(db, |p| bind_args!(
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_one(p)
        .await)?;
    Ok(Summary {
        open,
        major_open,
        overdue,
        awaiting,
    })
}

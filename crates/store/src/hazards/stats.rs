//! The quarterly statistics (隐患排查治理统计) and a district's per-enterprise page.

use super::*;

/// One row of the quarterly statistics (隐患排查治理统计, 总局令第16号): per region code or
/// per enterprise, per quarter of a year.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Quarter {
    pub found_general: i64,
    pub found_major: i64,
    /// Written off within the quarter.
    pub closed: i64,
    /// Found by the quarter's end and not written off by then.
    pub open_at_end: i64,
    /// Of those, past the deadline at the quarter's end and not reported done by then.
    pub overdue_at_end: i64,
}

impl Quarter {
    pub fn add(&mut self, o: &Quarter) {
        self.found_general += o.found_general;
        self.found_major += o.found_major;
        self.closed += o.closed;
        self.open_at_end += o.open_at_end;
        self.overdue_at_end += o.overdue_at_end;
    }
}

/// How statistics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    RegionCode,
    Enterprise,
}

/// The four quarters of `year` for every group within the scope that had a hazard open in
/// the year: `(group key, quarters)`, the key a region code or an enterprise id in text.
///
/// One pass over the hazards open at some time in the year: those not written off (the partial
/// index `hazard_open`) and those written off in or after it (`hazard_region_closed`), not the
/// whole history of the unit.
pub async fn quarterly(
    db: &Db,
    scope: &Scope,
    year: i32,
    by: By,
) -> Result<Vec<(String, [Quarter; 4])>, StoreError> {
    quarterly_where(db, scope, year, by, None, None).await
}

/// [`quarterly`], with the quarters taken as the sums take them when `today` is given (a quarter
/// not begun has nothing; the current one is counted as of today), and among `ids` only.
pub(super) async fn quarterly_where(
    db: &Db,
    scope: &Scope,
    year: i32,
    by: By,
    today: Option<Date>,
    ids: Option<&[i64]>,
) -> Result<Vec<(String, [Quarter; 4])>, StoreError> {
    let group = match by {
        By::RegionCode => "h.region_code",
        By::Enterprise => "CAST(h.enterprise_id AS TEXT)",
    };
    let bounds: Vec<(String, String)> = (0..4u8)
        .map(|q| {
            let start = Date::from_calendar_date(year, month_of(q * 3 + 1), 1).unwrap_or(Date::MIN);
            let end = if q == 3 {
                Date::from_calendar_date(year + 1, time::Month::January, 1).unwrap_or(Date::MAX)
            } else {
                Date::from_calendar_date(year, month_of(q * 3 + 4), 1).unwrap_or(Date::MAX)
            };
            let end = match today.and_then(|t| t.next_day()) {
                Some(t) if t < end && start <= t => t,
                _ => end,
            };
            (format_date(start), format_date(end))
        })
        .collect();
    let not_begun: Vec<bool> = bounds
        .iter()
        .map(|(start, _)| today.is_some_and(|t| *start > format_date(t)))
        .collect();
    let year_start = bounds[0].0.clone();
    let mut b = SqlBuf::new("SELECT k");
    for (s, e) in &bounds {
        let sum = |b: &mut SqlBuf, cond: &dyn Fn(&mut SqlBuf)| {
            b.push(", CAST(SUM(CASE WHEN ");
            cond(b);
            b.push(" THEN 1 ELSE 0 END) AS BIGINT)");
        };
        for level in ["general", "major"] {
            sum(&mut b, &|b| {
                b.push(&format!("level = '{level}' AND found_on >= "));
                b.bind(Arg::Text(s.clone()));
                b.push(" AND found_on < ");
                b.bind(Arg::Text(e.clone()));
            });
        }
        sum(&mut b, &|b| {
            b.push("closed_on >= ");
            b.bind(Arg::Text(s.clone()));
            b.push(" AND closed_on < ");
            b.bind(Arg::Text(e.clone()));
        });
        // Open at the quarter's end: found before it and not written off by then.
        let open = |b: &mut SqlBuf| {
            b.push("found_on < ");
            b.bind(Arg::Text(e.clone()));
            b.push(" AND (closed_on IS NULL OR closed_on >= ");
            b.bind(Arg::Text(e.clone()));
            b.push(")");
        };
        sum(&mut b, &open);
        sum(&mut b, &|b| {
            open(b);
            b.push(" AND due < ");
            b.bind(Arg::Text(e.clone()));
            b.push(" AND (rectified_on IS NULL OR rectified_on >= ");
            b.bind(Arg::Text(e.clone()));
            b.push(")");
        });
    }
    b.push(" FROM (");
    let join = if matches!(scope, Scope::Township { .. }) {
        " JOIN enterprise e ON e.id = h.enterprise_id"
    } else {
        ""
    };
    for (i, open_now) in [true, false].into_iter().enumerate() {
        if i > 0 {
            b.push(" UNION ALL ");
        }
        b.push(&format!(
            "SELECT {group} AS k, h.level, h.found_on, h.closed_on, \
             COALESCE(h.plan_deadline, h.deadline) AS due, h.rectified_on FROM hazard h{join} WHERE "
        ));
        // No bound on the finding day here (the sums above count only what was found by each
        // quarter's end; a group with nothing in the year is left out below): with one, SQLite
        // would read a district's whole history through its finding-day index.
        if open_now {
            b.push("h.state <> 'closed'");
        } else {
            b.push("h.state = 'closed' AND h.closed_on >= ");
            b.bind(Arg::Text(year_start.clone()));
        }
        push_scope(
            &mut b,
            scope,
            "h.enterprise_id",
            "h.region_code",
            "e.township",
        );
        if let Some(ids) = ids {
            b.push(" AND h.enterprise_id IN ");
            if ids.is_empty() {
                b.push("(0)");
            } else {
                b.bind_list(ids.iter().map(|i| Arg::Int(*i)));
            }
        }
    }
    b.push(") x GROUP BY k");
    let sql = b.render(db.backend());
    type Row = (
        String,
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
    );
    let rows: Vec<Row> = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, QuarterRow>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?
    .into_iter()
    .map(QuarterRow::into_parts)
    .collect();
    let quarter = |(g, m, c, o, d): (i64, i64, i64, i64, i64)| Quarter {
        found_general: g,
        found_major: m,
        closed: c,
        open_at_end: o,
        overdue_at_end: d,
    };
    let mut out: Vec<(String, [Quarter; 4])> = rows
        .into_iter()
        .map(|(k, a, b, c, d)| {
            let mut qs = [quarter(a), quarter(b), quarter(c), quarter(d)];
            for (q, skip) in qs.iter_mut().zip(&not_begun) {
                if *skip {
                    *q = Quarter::default();
                }
            }
            (k, qs)
        })
        .filter(|(_, qs)| qs.iter().any(|q| *q != Quarter::default()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A group's 4 × 5 figures as read (sqlx maps tuples of at most 16 columns).
pub(super) struct QuarterRow {
    k: String,
    v: [i64; 20],
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for QuarterRow
where
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let mut v = [0i64; 20];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = row.try_get::<Option<i64>, _>(i + 1)?.unwrap_or(0);
        }
        Ok(QuarterRow {
            k: row.try_get(0)?,
            v,
        })
    }
}

impl QuarterRow {
    #[allow(clippy::type_complexity)]
    fn into_parts(
        self,
    ) -> (
        String,
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64),
    ) {
        let v = self.v;
        let q = |i: usize| (v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4]);
        (self.k, q(0), q(5), q(10), q(15))
    }
}

/// One page of a scope's per-enterprise statistics for a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterprisePage {
    /// Enterprises with a hazard open at some time in the year.
    pub enterprises: i64,
    /// The page's enterprises, most hazards found in the year first, then by id.
    pub rows: Vec<(i64, [Quarter; 4])>,
    pub more: bool,
    /// The quarters of every enterprise of the scope together.
    pub total: [Quarter; 4],
}

/// A page of the per-enterprise statistics of a district, township or enterprise: the order
/// from the kept ranking (`hazard_rank`), then those with only a hazard found in an earlier
/// year and still open (by id); the figures of the page's enterprises counted from their own
/// hazards, the total from the running sums for a district (counted otherwise). Quarters are
/// taken as of `today` as the sums take them.
pub async fn enterprise_page(
    db: &Db,
    scope: &Scope,
    year: i32,
    today: Date,
    offset: i64,
    limit: i64,
) -> Result<EnterprisePage, StoreError> {
    let (offset, limit) = (offset.max(0), limit.clamp(1, 1000));
    let codes: Option<&[String]> = match scope {
        Scope::Region { codes } | Scope::Township { codes, .. } => Some(codes),
        _ => None,
    };
    let township = matches!(scope, Scope::Township { .. });
    let join = if township {
        " JOIN enterprise e ON e.id = r.enterprise_id"
    } else {
        ""
    };
    let ranked_from = |b: &mut SqlBuf| {
        b.push(&format!(" FROM hazard_rank r{join} WHERE r.year = "));
        b.bind(Arg::Int(i64::from(year)));
        push_scope(b, scope, "r.enterprise_id", "r.region_code", "e.township");
    };
    // Several region codes (a district after a merger) can rank one enterprise twice.
    let one_code = codes.is_some_and(|c| c.len() == 1) || matches!(scope, Scope::Enterprise { .. });
    let mut count = SqlBuf::new(if one_code {
        "SELECT CAST(COUNT(*) AS BIGINT)"
    } else {
        "SELECT CAST(COUNT(DISTINCT r.enterprise_id) AS BIGINT)"
    });
    ranked_from(&mut count);
    let mut page = SqlBuf::new(if one_code {
        "SELECT r.enterprise_id, r.found"
    } else {
        "SELECT r.enterprise_id, CAST(SUM(r.found) AS BIGINT) AS f"
    });
    ranked_from(&mut page);
    if one_code {
        page.push(" ORDER BY r.found DESC, r.enterprise_id");
    } else {
        page.push(" GROUP BY r.enterprise_id ORDER BY f DESC, r.enterprise_id");
    }
    page.push(" LIMIT ");
    page.bind(Arg::Int(limit + 1));
    page.push(" OFFSET ");
    page.bind(Arg::Int(offset));
    // Still open from an earlier year, with no row for this one (its rows go to its write-off).
    let year_start =
        format_date(Date::from_calendar_date(year, time::Month::January, 1).unwrap_or(Date::MIN));
    let mut carried = SqlBuf::new("SELECT DISTINCT h.enterprise_id FROM hazard h");
    if township {
        carried.push(" JOIN enterprise e ON e.id = h.enterprise_id");
    }
    // The finding day in a CASE, so that the planner reads the hazards not written off (the
    // partial index) rather than the region's whole history by finding day.
    carried.push(" WHERE h.state <> 'closed' AND CASE WHEN h.found_on < ");
    carried.bind(Arg::Text(year_start));
    carried.push(" THEN 1 ELSE 0 END = 1");
    push_scope(
        &mut carried,
        scope,
        "h.enterprise_id",
        "h.region_code",
        "e.township",
    );
    carried.push(" AND NOT EXISTS (SELECT 1 FROM hazard_rank r WHERE r.enterprise_id = h.enterprise_id AND r.year = ");
    carried.bind(Arg::Int(i64::from(year)));
    if let Some(c) = codes {
        carried.push(" AND r.region_code IN ");
        carried.bind_list(c.iter().cloned().map(Arg::Text));
    }
    carried.push(") ORDER BY h.enterprise_id");
    let fetch_all = |b: SqlBuf| async move {
        let sql = b.render(db.backend());
        Ok::<_, StoreError>(with_pool!(db, |p| bind_args!(
            sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?)
    };
    let fetch_ids = |b: SqlBuf| async move {
        let sql = b.render(db.backend());
        Ok::<_, StoreError>(with_pool!(db, |p| bind_args!(
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
            &b.args
        )
        .fetch_all(p)
        .await)?)
    };
    let (counted, ranked, carried) =
        tokio::try_join!(fetch_ids(count), fetch_all(page), fetch_ids(carried))?;
    let ranked_n = counted.first().copied().unwrap_or(0);
    let enterprises = ranked_n + carried.len() as i64;
    let mut ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
    if (ids.len() as i64) < limit + 1 {
        let skip = usize::try_from((offset - ranked_n).max(0)).unwrap_or(0);
        let want = usize::try_from(limit + 1).unwrap_or(0) - ids.len();
        ids.extend(carried.iter().skip(skip).take(want));
    }
    let more = ids.len() as i64 > limit;
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    let (figures, total) = tokio::try_join!(
        quarterly_where(db, scope, year, By::Enterprise, Some(today), Some(&ids)),
        async {
            let mut total: [Quarter; 4] = Default::default();
            let groups = match scope {
                Scope::Region { codes } => {
                    quarterly_from_sums(db, year, today, Some(codes)).await?
                }
                _ => quarterly_where(db, scope, year, By::Enterprise, Some(today), None).await?,
            };
            for (_, qs) in groups {
                for (a, b) in total.iter_mut().zip(qs.iter()) {
                    a.add(b);
                }
            }
            Ok::<_, StoreError>(total)
        }
    )?;
    let by_id: std::collections::HashMap<String, [Quarter; 4]> = figures.into_iter().collect();
    let rows = ids
        .into_iter()
        .map(|id| (id, by_id.get(&id.to_string()).cloned().unwrap_or_default()))
        .collect();
    Ok(EnterprisePage {
        enterprises,
        rows,
        more,
        total,
    })
}

pub(super) fn month_of(m: u8) -> time::Month {
    time::Month::try_from(m).unwrap_or(time::Month::January)
}

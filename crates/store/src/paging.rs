//! Pages of a list: the page a reader asked for, and how many rows the whole list holds.
//!
//! Every list of the system pages the same way: a page number and a page size in the URL,
//! the rows of that page, and the total — exact up to [`COUNT_CAP`], "more than" beyond it, so
//! a list of a million rows does not count them on every view.

use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError};

/// The page sizes a reader may choose.
pub const SIZES: [u32; 4] = [20, 50, 100, 200];
/// The size of a page when the reader names none (or one not in [`SIZES`]).
pub const DEFAULT_SIZE: u32 = 50;
/// Counting stops past this many rows: the list then says it holds more than this.
pub const COUNT_CAP: i64 = 10_000;
/// The deepest page read (deeper pages of a list this long are reached by narrowing it).
pub const MAX_PAGE: u32 = 10_000;

/// The page asked for (1-based) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub page: u32,
    pub size: u32,
}

impl Default for PageReq {
    fn default() -> Self {
        Self {
            page: 1,
            size: DEFAULT_SIZE,
        }
    }
}

impl PageReq {
    /// From the URL's `page` and `size` as given: anything not a page number reads as the
    /// first page, a size not offered as the default one.
    pub fn parse(page: Option<&str>, size: Option<&str>) -> Self {
        let page = page
            .and_then(|p| p.trim().parse::<u32>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_PAGE);
        let size = size
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|s| SIZES.contains(s))
            .unwrap_or(DEFAULT_SIZE);
        Self { page, size }
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.size)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.size)
    }
}

/// How many rows the whole list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    /// More than this many (counting stopped at the cap).
    MoreThan(i64),
}

impl Total {
    /// From a count read with a cap of [`COUNT_CAP`] + 1 rows.
    pub fn capped(n: i64) -> Self {
        if n > COUNT_CAP {
            Self::MoreThan(COUNT_CAP)
        } else {
            Self::Exact(n)
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub total: Total,
    pub req: PageReq,
}

impl<T> Paged<T> {
    /// The page of a list worked out whole in memory (its total is exact).
    pub fn of_all(all: Vec<T>, req: PageReq) -> Self {
        let total = Total::Exact(all.len() as i64);
        let mut req = req;
        if let Some(last) = past_the_end(req, total, 0) {
            req.page = last;
        }
        let rows = all
            .into_iter()
            .skip(usize::try_from(req.offset()).unwrap_or(usize::MAX))
            .take(req.size as usize)
            .collect();
        Self { rows, total, req }
    }

    /// The same page with each row mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            rows: self.rows.into_iter().map(f).collect(),
            total: self.total,
            req: self.req,
        }
    }
}

/// Reads one page of `select` (a query without ORDER BY or LIMIT) in `order` (an ORDER BY
/// clause's terms), and counts the whole list up to the cap.
pub async fn fetch<T>(
    db: &Db,
    select: &SqlBuf,
    order: &str,
    req: PageReq,
) -> Result<Paged<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let read = |req: PageReq| {
        let mut page = select.clone();
        page.push(" ORDER BY ");
        page.push(order);
        page.push(" LIMIT ");
        page.bind(Arg::Int(req.limit()));
        page.push(" OFFSET ");
        page.bind(Arg::Int(req.offset()));
        page
    };
    let mut rows = read(req).fetch_all::<T>(db).await?;
    let total = count(db, select).await?;
    // A page past the end (an old link, a hand-edited URL) shows the last page.
    let mut req = req;
    if let Some(last) = past_the_end(req, total, rows.len()) {
        req.page = last;
        rows = read(req).fetch_all::<T>(db).await?;
    }
    Ok(Paged { rows, total, req })
}

/// The last page, when `req` asked for one past it and found nothing.
fn past_the_end(req: PageReq, total: Total, found: usize) -> Option<u32> {
    match total {
        Total::Exact(n) if found == 0 && n > 0 && req.offset() >= n => {
            u32::try_from((n + req.limit() - 1) / req.limit()).ok()
        }
        _ => None,
    }
}

/// How many rows `select` returns, counted up to the cap.
pub async fn count(db: &Db, select: &SqlBuf) -> Result<Total, StoreError> {
    let mut c = SqlBuf::new("SELECT COUNT(*) FROM (");
    c.sql.push_str(&select.sql);
    c.args = select.args.clone();
    c.push(" LIMIT ");
    c.bind(Arg::Int(COUNT_CAP + 1));
    c.push(") counted");
    let n: Option<(i64,)> = c.fetch_optional(db).await?;
    Ok(Total::capped(n.map_or(0, |r| r.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_asked_for_in_the_url_reads_leniently() {
        assert_eq!(PageReq::parse(None, None), PageReq::default());
        assert_eq!(
            PageReq::parse(Some("3"), Some("100")),
            PageReq { page: 3, size: 100 }
        );
        assert_eq!(PageReq::parse(Some("0"), Some("7")).page, 1);
        assert_eq!(PageReq::parse(Some("abc"), Some("7")).size, DEFAULT_SIZE);
        assert_eq!(PageReq::parse(Some("99999999"), None).page, MAX_PAGE);
        assert_eq!(PageReq::parse(Some("3"), Some("20")).offset(), 40);
    }

    #[test]
    fn a_list_worked_out_in_memory_pages_the_same_way() {
        let all: Vec<i32> = (1..=45).collect();
        let p = Paged::of_all(all.clone(), PageReq { page: 3, size: 20 });
        assert_eq!(p.rows, vec![41, 42, 43, 44, 45]);
        assert_eq!(p.total, Total::Exact(45));
        let past = Paged::of_all(all, PageReq { page: 9, size: 20 });
        assert_eq!(
            (past.req.page, past.rows.len()),
            (3, 5),
            "past the end: the last page"
        );
        assert_eq!(
            past_the_end(PageReq { page: 2, size: 20 }, Total::Exact(0), 0),
            None
        );
    }

    #[test]
    fn a_count_past_the_cap_says_more_than() {
        assert_eq!(Total::capped(449), Total::Exact(449));
        assert_eq!(Total::capped(COUNT_CAP), Total::Exact(COUNT_CAP));
        assert_eq!(Total::capped(COUNT_CAP + 1), Total::MoreThan(COUNT_CAP));
    }
}

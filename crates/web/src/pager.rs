//! The pager under every list: the total, the page links and the page sizes, with the list's
//! filters kept in each link.

use anbiao_store::paging::{PageReq, Paged, SIZES, Total};

/// The page and size of a list that has no other filters, as the URL gives them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
    pub size: Option<String>,
}

impl PageQuery {
    /// The page asked for; nonsense reads as the first page of the default size.
    pub fn req(&self) -> PageReq {
        PageReq::parse(self.page.as_deref(), self.size.as_deref())
    }
}

/// A page size a reader can switch to.
#[derive(Debug, Clone)]
pub struct SizeLink {
    pub size: u32,
    pub url: String,
    pub current: bool,
}

/// What the pager shows.
#[derive(Debug, Clone)]
pub struct Pager {
    /// The total and the page in words (共 449 条，第 2/9 页).
    pub summary: String,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
    pub sizes: Vec<SizeLink>,
    /// The query of the page shown (filters, page, size), for a form on it to come back to.
    pub query: String,
    /// The list holds nothing at all: a table that says so itself leaves the pager out.
    pub empty: bool,
}

/// Where a form posted from a list goes back to: `path` with the list's own query as the form
/// carried it (`back`), keeping only the list's filters and its page and size: nothing else,
/// and never another path.
pub fn back_to(path: &str, back: Option<&str>, filters: &[&str]) -> String {
    let pairs: Vec<(String, String)> = back
        .map(|b| serde_urlencoded::from_str(b).unwrap_or_default())
        .unwrap_or_default();
    let kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, v)| {
            (filters.contains(&k.as_str()) || k == "page" || k == "size")
                && !v.is_empty()
                && v.len() <= 100
        })
        .collect();
    let q = serde_urlencoded::to_string(&kept).unwrap_or_default();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{q}")
    }
}

impl Pager {
    /// For a page of the list at `path` whose filters are `filters` (name, value; empty
    /// values are left out of the links).
    pub fn new<T>(path: &str, filters: &[(&str, String)], p: &Paged<T>) -> Self {
        let PageReq { page, size } = p.req;
        let url = |page: u32, size: u32| {
            let mut pairs: Vec<(&str, String)> = filters
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            if page > 1 {
                pairs.push(("page", page.to_string()));
            }
            if size != anbiao_store::paging::DEFAULT_SIZE {
                pairs.push(("size", size.to_string()));
            }
            let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            if q.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{q}")
            }
        };
        let (summary, pages) = match p.total {
            Total::Exact(0) => ("没有记录".to_string(), Some(1)),
            Total::Exact(n) => {
                let pages = u32::try_from((n + i64::from(size) - 1) / i64::from(size))
                    .unwrap_or(u32::MAX)
                    .max(1);
                (format!("共 {n} 条，第 {page}/{pages} 页"), Some(pages))
            }
            Total::MoreThan(n) => (
                format!("超过 {n} 条，第 {page} 页（可用筛选条件缩小范围）"),
                None,
            ),
        };
        let has_next = match pages {
            Some(pages) => page < pages,
            None => p.rows.len() as i64 == p.req.limit(),
        };
        let here = url(page, size);
        Self {
            empty: matches!(p.total, Total::Exact(0)),
            query: here
                .split_once('?')
                .map(|(_, q)| q.to_string())
                .unwrap_or_default(),
            summary,
            first: (page > 2).then(|| url(1, size)),
            prev: (page > 1).then(|| url(page - 1, size)),
            next: has_next.then(|| url(page + 1, size)),
            last: pages.filter(|&n| n > page + 1).map(|n| url(n, size)),
            sizes: SIZES
                .iter()
                .map(|&s| SizeLink {
                    size: s,
                    url: url(1, s),
                    current: s == size,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paged(rows: usize, total: Total, page: u32, size: u32) -> Paged<()> {
        Paged {
            rows: vec![(); rows],
            total,
            req: PageReq { page, size },
        }
    }

    #[test]
    fn the_pager_keeps_the_filters_and_names_the_pages() {
        let filters = [("state", "pending".to_string()), ("q", String::new())];
        let p = Pager::new("/cases", &filters, &paged(50, Total::Exact(449), 2, 50));
        assert_eq!(p.summary, "共 449 条，第 2/9 页");
        assert_eq!(p.prev.as_deref(), Some("/cases?state=pending"));
        assert_eq!(p.next.as_deref(), Some("/cases?state=pending&page=3"));
        assert_eq!(p.last.as_deref(), Some("/cases?state=pending&page=9"));
        assert_eq!(p.first, None);
        let hundred = p.sizes.iter().find(|s| s.size == 100).expect("offered");
        assert_eq!(hundred.url, "/cases?state=pending&size=100");
        assert!(p.sizes.iter().any(|s| s.current && s.size == 50));
    }

    #[test]
    fn a_form_goes_back_to_the_list_as_it_was_and_nowhere_else() {
        let p = Pager::new(
            "/notifications",
            &[("unread", "1".to_string())],
            &paged(50, Total::Exact(120), 2, 50),
        );
        assert_eq!(p.query, "unread=1&page=2");
        assert_eq!(
            back_to("/notifications", Some(&p.query), &["unread"]),
            "/notifications?unread=1&page=2"
        );
        assert_eq!(
            back_to(
                "/notifications",
                Some("next=//evil.example&page=2"),
                &["unread"]
            ),
            "/notifications?page=2"
        );
        assert_eq!(back_to("/violations", None, &["category"]), "/violations");
    }

    #[test]
    fn the_last_page_and_an_empty_list_have_no_next() {
        let p = Pager::new("/n", &[], &paged(49, Total::Exact(449), 9, 50));
        assert_eq!(p.next, None);
        assert_eq!(p.first.as_deref(), Some("/n"));
        let p = Pager::new("/n", &[], &paged(0, Total::Exact(0), 1, 50));
        assert_eq!(p.summary, "没有记录");
        assert!(p.empty);
        assert_eq!((p.prev, p.next), (None, None));
    }

    #[test]
    fn past_the_cap_the_pager_says_more_than_and_goes_on_while_pages_are_full() {
        let p = Pager::new("/n", &[], &paged(20, Total::MoreThan(10_000), 3, 20));
        assert!(p.summary.starts_with("超过 10000 条，第 3 页"));
        assert_eq!(p.next.as_deref(), Some("/n?page=4&size=20"));
        assert_eq!(p.last, None);
    }
}

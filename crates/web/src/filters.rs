//! The enterprise list's query parameters, shared by the page, the export and the API.

use serde::Deserialize;

use anbiao_actions::exports::EnterpriseQuery;
use anbiao_domain::ReferenceData;
use anbiao_store::enterprise::Filter;

use crate::error::AppError;

/// Query parameters as sent. Empty strings mean "not set" (forms send them).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name substring, or credit-code prefix.
    pub q: Option<String>,
    /// Region code or name.
    pub region: Option<String>,
    /// Industry code or name.
    pub industry: Option<String>,
    /// above, below, small_micro, large, medium, small, micro, unknown.
    pub size: Option<String>,
    /// active, suspended, closed.
    pub status: Option<String>,
    /// name, credit_code, region, industry, sales, employees, updated.
    pub sort: Option<String>,
    /// asc or desc.
    pub dir: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    /// Validates every parameter; a bad one is named in the error.
    pub fn to_filter(&self, reference: &ReferenceData) -> Result<Filter, AppError> {
        Ok(anbiao_actions::exports::filter(
            reference,
            crate::today(),
            &self.asked(),
        )?)
    }

    /// The filters as the action layer takes them.
    pub fn asked(&self) -> EnterpriseQuery<'_> {
        EnterpriseQuery {
            q: self.q.as_deref(),
            region: self.region.as_deref(),
            industry: self.industry.as_deref(),
            size: self.size.as_deref(),
            status: self.status.as_deref(),
            sort: self.sort.as_deref(),
            dir: self.dir.as_deref(),
        }
    }

    pub fn page(&self) -> Result<i64, AppError> {
        match set(&self.page) {
            None => Ok(1),
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|v| (1..=1_000_000).contains(v))
                .ok_or_else(|| AppError::bad("page", "页码应为正整数")),
        }
    }

    /// The page and page size as a page in the browser reads them: anything that is not one
    /// (an old link, a hand-edited URL) is the first page and the usual size, as on every other
    /// list; the API keeps refusing it (`page`, `per_page`).
    pub fn page_leniently(&self, default: i64) -> (i64, i64) {
        (
            self.page().unwrap_or(1),
            self.per_page(default).unwrap_or(default),
        )
    }

    pub fn per_page(&self, default: i64) -> Result<i64, AppError> {
        match set(&self.per_page) {
            None => Ok(default),
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|v| (1..=500).contains(v))
                .ok_or_else(|| AppError::bad("per_page", "每页条数应为1到500之间的整数")),
        }
    }

    /// The query string of these filters (without page), for links and the export button.
    pub fn query_string(&self, with_sort: bool) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("region", &self.region),
            ("industry", &self.industry),
            ("size", &self.size),
            ("status", &self.status),
        ] {
            if let Some(v) = set(v) {
                pairs.push((k, v));
            }
        }
        if with_sort {
            if let Some(v) = set(&self.sort) {
                pairs.push(("sort", v));
            }
            if let Some(v) = set(&self.dir) {
                pairs.push(("dir", v));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

//! The enterprise list's query parameters, shared by the page, the export and the API.

use serde::Deserialize;

use anbiao_domain::{EnterpriseStatus, ReferenceData};
use anbiao_store::enterprise::{Filter, SizeFilter, SortKey};

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
        let region_codes = match set(&self.region) {
            None => None,
            Some(r) => {
                let region = reference
                    .regions
                    .get(r)
                    .or_else(|| reference.regions.resolve(r, crate::today()))
                    .ok_or_else(|| AppError::bad("region", format!("无法识别的地区“{r}”")))?;
                Some(reference.regions.lineage(&region.code))
            }
        };
        let industry = match set(&self.industry) {
            None => None,
            Some(i) => Some(
                reference
                    .industries
                    .resolve(i)
                    .map(|x| x.code.clone())
                    .ok_or_else(|| AppError::bad("industry", format!("无法识别的行业“{i}”")))?,
            ),
        };
        let size = match set(&self.size) {
            None => None,
            Some(s) => Some(
                SizeFilter::parse(s)
                    .ok_or_else(|| AppError::bad("size", format!("无法识别的规模“{s}”")))?,
            ),
        };
        let status = match set(&self.status) {
            None => None,
            Some(s) => Some(
                EnterpriseStatus::parse(s)
                    .ok_or_else(|| AppError::bad("status", format!("无法识别的经营状态“{s}”")))?,
            ),
        };
        let sort = match set(&self.sort) {
            None => SortKey::default(),
            Some(s) => SortKey::parse(s)
                .ok_or_else(|| AppError::bad("sort", format!("无法按“{s}”排序")))?,
        };
        let desc = match set(&self.dir) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(d) => {
                return Err(AppError::bad(
                    "dir",
                    format!("排序方向“{d}”应为 asc 或 desc"),
                ));
            }
        };
        let q = set(&self.q)
            .map(|s| {
                anbiao_domain::text::clean(s)
                    .chars()
                    .take(100)
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty());
        Ok(Filter {
            q,
            region_codes,
            industry,
            size,
            status,
            sort,
            desc,
        })
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

//! The registry as a workbook (企业名录导出), for the pages and the command line: the filters
//! a list is asked with, checked and named when wrong, and the rows within the actor's scope
//! written with the headers the roster import understands.

use anbiao_domain::enterprise::{Field, scale_label, size_label, status_label};
use anbiao_domain::{EnterpriseStatus, Permission, ReferenceData};
use anbiao_sheets::XCell;
use anbiao_store::enterprise::{self, Enterprise, Filter, SizeFilter, SortKey};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;

/// Most rows one export writes (an .xlsx sheet holds 1,048,576).
pub const MAX_ROWS: i64 = 1_000_000;

/// The most rows an export of a list holds (a longer list is narrowed by its filters first).
pub const LIST_EXPORT_MAX: usize = 50_000;

/// A whole list read a page at a time through `read` (the same action, so the same scope and
/// filters, as the page shows), up to [`LIST_EXPORT_MAX`] rows.
pub async fn whole_list<T, F, Fut>(mut read: F) -> Result<Vec<T>, ActionError>
where
    F: FnMut(anbiao_store::paging::PageReq) -> Fut,
    Fut: std::future::Future<Output = Result<anbiao_store::paging::Paged<T>, ActionError>>,
{
    let size = 2_000u32;
    let mut out = Vec::new();
    for page in 1..=u32::try_from(LIST_EXPORT_MAX / size as usize + 1).unwrap_or(1) {
        let rows = read(anbiao_store::paging::PageReq { page, size })
            .await?
            .rows;
        let last = rows.len() < size as usize;
        out.extend(rows);
        if last || out.len() >= LIST_EXPORT_MAX {
            break;
        }
    }
    out.truncate(LIST_EXPORT_MAX);
    Ok(out)
}

/// The filters of an enterprise list as asked (empty means not set).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnterpriseQuery<'a> {
    /// Name substring, or credit-code prefix.
    pub q: Option<&'a str>,
    /// Region code or name.
    pub region: Option<&'a str>,
    /// Industry code or name.
    pub industry: Option<&'a str>,
    pub size: Option<&'a str>,
    pub status: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub dir: Option<&'a str>,
}

fn set(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// The list filter of `q` (region names resolved as of `on`); a bad parameter is named.
pub fn filter(
    reference: &ReferenceData,
    on: Date,
    q: &EnterpriseQuery,
) -> Result<Filter, ActionError> {
    let region_codes = match set(q.region) {
        None => None,
        Some(r) => {
            let region = reference
                .regions
                .get(r)
                .or_else(|| reference.regions.resolve(r, on))
                .ok_or_else(|| ActionError::bad("region", format!("无法识别的地区“{r}”")))?;
            Some(reference.regions.lineage(&region.code))
        }
    };
    let industry = match set(q.industry) {
        None => None,
        Some(i) => Some(
            reference
                .industries
                .resolve(i)
                .map(|x| x.code.clone())
                .ok_or_else(|| ActionError::bad("industry", format!("无法识别的行业“{i}”")))?,
        ),
    };
    let size = match set(q.size) {
        None => None,
        Some(s) => Some(
            SizeFilter::parse(s)
                .ok_or_else(|| ActionError::bad("size", format!("无法识别的规模“{s}”")))?,
        ),
    };
    let status = match set(q.status) {
        None => None,
        Some(s) => Some(
            EnterpriseStatus::parse(s)
                .ok_or_else(|| ActionError::bad("status", format!("无法识别的经营状态“{s}”")))?,
        ),
    };
    let sort = match set(q.sort) {
        None => SortKey::default(),
        Some(s) => {
            SortKey::parse(s).ok_or_else(|| ActionError::bad("sort", format!("无法按“{s}”排序")))?
        }
    };
    let desc = match set(q.dir) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(d) => {
            return Err(ActionError::bad(
                "dir",
                format!("排序方向“{d}”应为 asc 或 desc"),
            ));
        }
    };
    let q = set(q.q)
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

/// An industry code in words (the code itself when unknown).
pub fn industry_name(r: &ReferenceData, code: &str) -> String {
    r.industries
        .get(code)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| code.to_string())
}

/// A written workbook.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub bytes: Vec<u8>,
    pub rows: usize,
    /// The file name to offer (`企业名录_2026-12-06.xlsx`).
    pub file_name: String,
}

impl Ctx<'_> {
    /// The enterprises within the actor's scope that `filter` selects, as a workbook titled
    /// with `by` (who exported) and the day.
    pub async fn export_enterprises(
        &self,
        filter: &Filter,
        by: &str,
    ) -> Result<Workbook, ActionError> {
        self.actor.require(Permission::ExportEnterprises)?;
        let rows = enterprise::list_all(self.db, &self.actor.scope, filter, MAX_ROWS).await?;
        let day = anbiao_domain::date::format_date(self.on);
        let title = format!("企业名录（{by}，导出于{day}，共{}家）", rows.len());
        let n = rows.len();
        // The rows in words here (the names need the rules); the workbook is written off the
        // async threads.
        let data = enterprise_cells(self.reference, &rows);
        drop(rows);
        let bytes = tokio::task::spawn_blocking(move || {
            anbiao_sheets::write_table("企业名录", Some(&title), &headers(), &data)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ActionError::Internal(format!("task: {e}")))?
        .map_err(ActionError::Internal)?;
        Ok(Workbook {
            bytes,
            rows: n,
            file_name: format!("企业名录_{day}.xlsx"),
        })
    }
}

/// Enterprises as a workbook (the layout of the export), written on the calling thread.
pub fn enterprises_xlsx(
    r: &ReferenceData,
    title: &str,
    rows: &[Enterprise],
) -> Result<Vec<u8>, String> {
    anbiao_sheets::write_table(
        "企业名录",
        Some(title),
        &headers(),
        &enterprise_cells(r, rows),
    )
    .map_err(|e| e.to_string())
}

/// The columns, with the headers the roster import reads back.
fn headers() -> [&'static str; 14] {
    [
        "序号",
        Field::CreditCode.label(),
        Field::Name.label(),
        Field::Region.label(),
        Field::Township.label(),
        Field::Industry.label(),
        Field::AnnualSales.label(),
        Field::Employees.label(),
        "规模",
        "企业规模",
        Field::Status.label(),
        Field::ContactPerson.label(),
        Field::ContactPhone.label(),
        Field::Address.label(),
    ]
}

fn enterprise_cells(r: &ReferenceData, rows: &[Enterprise]) -> Vec<Vec<XCell>> {
    rows.iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                XCell::Number((i + 1) as f64),
                XCell::Text(e.credit_code.clone()),
                XCell::Text(e.name.clone()),
                XCell::Text(
                    r.regions
                        .get(&e.region_code)
                        .map(|x| x.name.clone())
                        .unwrap_or_else(|| e.region_code.clone()),
                ),
                e.township.clone().into(),
                XCell::Text(industry_name(r, &e.industry_code)),
                e.annual_sales_yuan
                    .map(|y| XCell::Number(y as f64 / 10_000.0))
                    .unwrap_or(XCell::Empty),
                e.employees
                    .map(|v| XCell::Number(v as f64))
                    .unwrap_or(XCell::Empty),
                XCell::Text(scale_label(e.above_scale).into()),
                XCell::Text(size_label(e.size_class.as_deref()).into()),
                XCell::Text(status_label(&e.status)),
                e.contact_person.clone().into(),
                e.contact_phone.clone().into(),
                e.address.clone().into(),
            ]
        })
        .collect()
}

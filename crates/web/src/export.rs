//! Enterprise lists as .xlsx, with the headers the import understands.

use anbiao_domain::ReferenceData;
use anbiao_domain::enterprise::Field;
use anbiao_sheets::XCell;
use anbiao_store::enterprise::Enterprise;

use crate::views;

/// Most rows one export writes (an .xlsx sheet holds 1,048,576).
pub const MAX_ROWS: i64 = 1_000_000;

pub fn enterprises_xlsx(
    r: &ReferenceData,
    title: &str,
    rows: &[Enterprise],
) -> Result<Vec<u8>, String> {
    let headers = [
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
    ];
    let data: Vec<Vec<XCell>> = rows
        .iter()
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
                XCell::Text(views::industry_name(r, &e.industry_code)),
                e.annual_sales_yuan
                    .map(|y| XCell::Number(y as f64 / 10_000.0))
                    .unwrap_or(XCell::Empty),
                e.employees
                    .map(|v| XCell::Number(v as f64))
                    .unwrap_or(XCell::Empty),
                XCell::Text(views::scale_label(e.above_scale).into()),
                XCell::Text(views::size_label(e.size_class.as_deref()).into()),
                XCell::Text(views::status_label(&e.status)),
                e.contact_person.clone().into(),
                e.contact_phone.clone().into(),
                e.address.clone().into(),
            ]
        })
        .collect();
    anbiao_sheets::write_table("企业名录", Some(title), &headers, &data).map_err(|e| e.to_string())
}

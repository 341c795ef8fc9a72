//! Training sign-in sheets (培训签到表): one row per person under a header with 姓名 and the
//! unit they come from, their part (身份) and, for an evaluator, the certificate number. Title
//! rows above the header are skipped. What the rows name is checked by the caller.

use anbiao_domain::text::{clean, squeeze};
use thiserror::Error;

use crate::read::{Cell, SheetError, read_table};

/// The most people one sheet records.
pub const MAX_PEOPLE: usize = 2000;
const HEADER_SEARCH_ROWS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignInError {
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("未找到表头：前{0}行中须有“姓名”和“身份”两列（以及“单位”或“考评员证书编号”）")]
    NoHeader(usize),
    #[error("签到表中没有任何人员")]
    Empty,
    #[error("签到表超过 {0} 人的上限，请分批导入")]
    TooMany(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Unit,
    Role,
    Certificate,
    Phone,
}

const SYNONYMS: [(Col, &[&str]); 5] = [
    (Col::Name, &["姓名", "参训人员", "参训人姓名", "人员姓名"]),
    (
        Col::Unit,
        &[
            "单位",
            "工作单位",
            "所在单位",
            "企业名称",
            "单位名称",
            "统一社会信用代码",
            "企业(单位)名称",
        ],
    ),
    (
        Col::Role,
        &["身份", "人员类别", "类别", "职务", "岗位", "参训身份"],
    ),
    (
        Col::Certificate,
        &["考评员证书编号", "证书编号", "考评员证号", "证书号"],
    ),
    (
        Col::Phone,
        &["手机", "手机号", "手机号码", "联系电话", "电话"],
    ),
];

fn col_for(header: &str) -> Option<Col> {
    let h = squeeze(header);
    SYNONYMS
        .iter()
        .find(|(_, names)| names.iter().any(|n| squeeze(n) == h))
        .map(|(c, _)| *c)
}

fn text(c: Option<&Cell>) -> String {
    c.and_then(Cell::text)
        .map(|s| clean(&s))
        .unwrap_or_default()
}

/// One person as the sheet writes them, with the row number the spreadsheet program shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRow {
    pub number: u64,
    pub name: String,
    pub unit: String,
    pub role: String,
    pub certificate: String,
    pub phone: String,
}

/// The people of the first sheet, blank rows skipped.
pub fn read_sign_in(bytes: &[u8]) -> Result<Vec<SignInRow>, SignInError> {
    let table = read_table(bytes)?;
    let mut cols: Option<Vec<Option<Col>>> = None;
    let mut rows = Vec::new();
    for (n, row) in table.rows.iter().enumerate() {
        let Some(map) = &cols else {
            if n >= HEADER_SEARCH_ROWS {
                break;
            }
            let found: Vec<Option<Col>> = row
                .cells
                .iter()
                .map(|c| c.text().and_then(|t| col_for(&t)))
                .collect();
            let has = |c: Col| found.contains(&Some(c));
            if has(Col::Name) && has(Col::Role) && (has(Col::Unit) || has(Col::Certificate)) {
                cols = Some(found);
            }
            continue;
        };
        if row.cells.iter().all(Cell::is_blank) {
            continue;
        }
        let at = |want: Col| {
            map.iter()
                .position(|c| *c == Some(want))
                .and_then(|i| row.cells.get(i))
        };
        if rows.len() == MAX_PEOPLE {
            return Err(SignInError::TooMany(MAX_PEOPLE));
        }
        rows.push(SignInRow {
            number: row.number,
            name: text(at(Col::Name)),
            unit: text(at(Col::Unit)),
            role: text(at(Col::Role)),
            certificate: text(at(Col::Certificate)),
            phone: text(at(Col::Phone)),
        });
    }
    if cols.is_none() {
        return Err(SignInError::NoHeader(HEADER_SEARCH_ROWS));
    }
    if rows.is_empty() {
        return Err(SignInError::Empty);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_people_under_a_titled_header_and_skips_blank_rows() {
        let csv = "2026年标准化创建能力培训签到表\n序号,姓名,工作单位,身份,手机\n1,王建国,南通华峰机械有限公司,主要负责人,13800000001\n,,,,\n2, 李 梅 ,南通华峰机械有限公司,安全员,\n";
        let rows = read_sign_in(csv.as_bytes()).expect("read");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, 3);
        assert_eq!(rows[1].number, 5);
        assert_eq!(rows[0].unit, "南通华峰机械有限公司");
        assert_eq!(rows[1].role, "安全员");
        assert_eq!(rows[0].phone, "13800000001");
    }

    #[test]
    fn a_sheet_without_the_header_or_people_or_with_too_many_is_refused() {
        assert!(matches!(
            read_sign_in("姓名,电话\n王建国,1\n".as_bytes()),
            Err(SignInError::NoHeader(_))
        ));
        assert_eq!(
            read_sign_in("姓名,单位,身份\n".as_bytes()),
            Err(SignInError::Empty)
        );
        let mut big = String::from("姓名,单位,身份\n");
        for i in 0..=MAX_PEOPLE {
            big.push_str(&format!("人{i},某厂,员工\n"));
        }
        assert_eq!(
            read_sign_in(big.as_bytes()),
            Err(SignInError::TooMany(MAX_PEOPLE))
        );
        assert!(matches!(
            read_sign_in(b"\x00\x01binary"),
            Err(SignInError::Sheet(_))
        ));
    }
}

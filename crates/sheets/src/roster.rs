//! Enterprise rosters: finding the header row, mapping header synonyms to fields, and turning
//! rows into drafts with their spreadsheet row numbers.

use anbiao_domain::enterprise::{EnterpriseDraft, Field};
use anbiao_domain::number::{format_yuan_as_wan, parse_wan_to_yuan};
use anbiao_domain::text::squeeze;

use crate::read::{Cell, SheetError, Table, read_tables};

/// How many rows from the top may hold titles before the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Header texts per field, as rosters write them (compared without spaces, brackets normalised).
const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::CreditCode,
        &[
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "统一信用代码",
            "统一社会信用代码(注册号)",
            "组织机构代码/统一社会信用代码",
        ],
    ),
    (
        Field::Name,
        &[
            "企业名称",
            "单位名称",
            "企业(单位)名称",
            "名称",
            "企业全称",
            "单位全称",
        ],
    ),
    (
        Field::Region,
        &[
            "所属县(市、区)",
            "所属地区",
            "属地",
            "所属县市区",
            "县(市、区)",
            "县市区",
            "地区",
            "所在地区",
            "监管属地",
            "所属区县",
            "辖区",
        ],
    ),
    (
        Field::Township,
        &[
            "乡镇(街道)",
            "乡镇",
            "街道",
            "所属乡镇",
            "所属乡镇(街道)",
            "镇(街道、园区)",
            "乡镇(街道、园区)",
            "网格",
        ],
    ),
    (
        Field::Industry,
        &["行业类别", "行业", "所属行业", "行业分类", "行业类型"],
    ),
    (
        Field::AnnualSales,
        &[
            "年销售收入(万元)",
            "营业收入(万元)",
            "年销售额",
            "年销售额(万元)",
            "销售收入(万元)",
            "主营业务收入(万元)",
            "年营业收入(万元)",
            "年销售收入",
            "营业收入",
            "销售收入",
        ],
    ),
    (
        Field::Employees,
        &[
            "从业人数",
            "职工人数",
            "从业人员",
            "从业人员数",
            "员工人数",
            "职工总数",
            "从业人数(人)",
            "职工人数(人)",
        ],
    ),
    (Field::Status, &["经营状态", "状态", "生产状态", "企业状态"]),
    (
        Field::ContactPerson,
        &["联系人", "企业联系人", "安全管理联系人"],
    ),
    (
        Field::ContactPhone,
        &["联系电话", "电话", "手机", "联系方式", "手机号码"],
    ),
    (
        Field::Address,
        &["生产经营地址", "地址", "经营地址", "企业地址", "注册地址"],
    ),
    (
        Field::CodeOverrideReason,
        &["信用代码校验豁免理由", "豁免理由"],
    ),
];

/// Headers we know and deliberately ignore (our own export writes some of them).
const KNOWN_IGNORED: &[&str] = &[
    "序号",
    "编号",
    "规模",
    "是否规上",
    "规模以上",
    "企业规模",
    "规模类型",
    "更新时间",
    "备注",
];

fn normalize_header(h: &str) -> String {
    squeeze(h)
        .replace(['*', '※', ':', '：'], "")
        .replace('，', "、")
}

/// Sales headers in 元 rather than 万元.
fn is_yuan_sales(h: &str) -> bool {
    let n = normalize_header(h);
    (n.contains("销售") || n.contains("营业收入")) && n.ends_with("(元)")
}

fn field_for(header: &str) -> Option<Field> {
    let n = normalize_header(header);
    if n.is_empty() {
        return None;
    }
    if is_yuan_sales(header) {
        return Some(Field::AnnualSales);
    }
    SYNONYMS
        .iter()
        .find(|(_, names)| names.iter().any(|s| normalize_header(s) == n))
        .map(|(f, _)| *f)
}

/// A mapped column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub index: usize,
    pub header: String,
    pub field: Field,
    /// Sales given in 元: converted to 万元.
    pub in_yuan: bool,
}

/// A problem with one cell, found while reading (before validation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub row: u64,
    pub draft: EnterpriseDraft,
    pub problems: Vec<CellProblem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    pub sheet: String,
    pub header_row: u64,
    pub columns: Vec<Column>,
    /// Header texts that matched nothing (shown to the user so a misspelt column is noticed).
    pub unknown_columns: Vec<String>,
    pub rows: Vec<RosterRow>,
    /// Blank and total (合计) rows skipped.
    pub skipped: u64,
}

impl Roster {
    /// The header text of a field's column, or the field's own label.
    pub fn column_name(&self, f: Field) -> String {
        self.columns
            .iter()
            .find(|c| c.field == f)
            .map(|c| c.header.clone())
            .unwrap_or_else(|| f.label().to_string())
    }
}

fn find_header(t: &Table) -> Option<(usize, Vec<Column>, Vec<String>)> {
    for (i, row) in t.rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let mut cols: Vec<Column> = Vec::new();
        let mut unknown = Vec::new();
        for (ci, c) in row.cells.iter().enumerate() {
            let Some(h) = c.text() else { continue };
            let h = h.trim().to_string();
            if h.is_empty() {
                continue;
            }
            match field_for(&h) {
                Some(f) if !cols.iter().any(|c| c.field == f) => {
                    cols.push(Column {
                        index: ci,
                        in_yuan: is_yuan_sales(&h),
                        header: h,
                        field: f,
                    });
                }
                Some(_) => unknown.push(h),
                None if KNOWN_IGNORED
                    .iter()
                    .any(|k| normalize_header(k) == normalize_header(&h)) => {}
                None => unknown.push(h),
            }
        }
        let has_key = cols
            .iter()
            .any(|c| matches!(c.field, Field::Name | Field::CreditCode));
        if has_key && cols.len() >= 2 {
            return Some((i, cols, unknown));
        }
    }
    None
}

fn is_total_row(cells: &[Cell]) -> bool {
    cells
        .iter()
        .filter_map(Cell::text)
        .map(|s| squeeze(&s))
        .find(|s| !s.is_empty())
        .is_some_and(|s| {
            s.starts_with("合计") || s.starts_with("总计") || s.starts_with("小计") || s == "总数"
        })
}

fn cell_value(col: &Column, cell: &Cell) -> Result<Option<String>, String> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Text(s) => {
            if s.trim().is_empty() {
                return Ok(None);
            }
            if col.in_yuan {
                return yuan_to_wan(s).map(Some);
            }
            Ok(Some(s.clone()))
        }
        Cell::Number(n) => {
            if col.field == Field::CreditCode {
                // Excel shows an 18-digit code stored as a number as 9.13E+17: the digits are lost.
                return Err(
                    "信用代码被存成了数字，已丢失精度；请将该列设置为“文本”格式后重新填写".into(),
                );
            }
            let s = crate::read::format_number(*n);
            if col.in_yuan {
                yuan_to_wan(&s).map(Some)
            } else {
                Ok(Some(s))
            }
        }
        Cell::Date(_) => match col.field {
            Field::AnnualSales | Field::Employees => {
                Err("应为数字，实际为日期格式；请将单元格格式改为“常规”或“数值”".into())
            }
            _ => Err("单元格为日期格式，应为文本".into()),
        },
        Cell::Bool(_) => Err("单元格为逻辑值（TRUE/FALSE），应为文本或数字".into()),
        Cell::Error(e) => Err(format!("单元格为错误值 {e}，请检查公式")),
    }
}

fn yuan_to_wan(s: &str) -> Result<String, String> {
    // parse_wan_to_yuan(v) = v × 10⁴ in integer units; for a value in 元 that is 元 × 10⁴.
    let scaled = parse_wan_to_yuan(s).map_err(|e| e.to_string())?;
    Ok(format_yuan_as_wan((scaled + 5_000) / 10_000))
}

/// Reads a roster from a file: the first sheet that has a recognisable header.
pub fn read_roster(bytes: &[u8]) -> Result<Roster, SheetError> {
    let tables = read_tables(bytes)?;
    for t in &tables {
        let Some((hi, columns, unknown_columns)) = find_header(t) else {
            continue;
        };
        let header_row = t.rows[hi].number;
        let mut rows = Vec::new();
        let mut skipped = 0;
        for r in &t.rows[hi + 1..] {
            let relevant: Vec<&Cell> = columns
                .iter()
                .filter_map(|c| r.cells.get(c.index))
                .collect();
            if relevant.iter().all(|c| c.is_blank()) {
                skipped += 1;
                continue;
            }
            if is_total_row(&r.cells) {
                skipped += 1;
                continue;
            }
            let mut draft = EnterpriseDraft::default();
            let mut problems = Vec::new();
            for c in &columns {
                let cell = r.cells.get(c.index).unwrap_or(&Cell::Empty);
                match cell_value(c, cell) {
                    Ok(v) => draft.set(c.field, v),
                    Err(reason) => problems.push(CellProblem {
                        column: c.header.clone(),
                        reason,
                    }),
                }
            }
            rows.push(RosterRow {
                row: r.number,
                draft,
                problems,
            });
        }
        return Ok(Roster {
            sheet: t.sheet.clone(),
            header_row,
            columns,
            unknown_columns,
            rows,
            skipped,
        });
    }
    Err(SheetError::NoHeader(HEADER_SEARCH_ROWS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_rows_synonyms_blanks_separators_and_totals() {
        let csv = "\u{feff}南通市工贸企业名录（2018年）\n填报单位：如皋市安监局,,,,\n\
序号,单位名称,信用代码,所属地区,行业,营业收入（万元）,职工人数,备注\n\
1,甲公司,91320682711592946A,如皋,机械行业,\"2,500\",１２０,\n\
,,,,,,,\n\
2,乙公司,91320682MA1YNP7P2L,如皋市,纺织,300.5,35,\n\
合计,,,,,\"2,800.5\",155,\n";
        let r = read_roster(csv.as_bytes()).expect("roster");
        assert_eq!(r.header_row, 3);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.skipped, 2);
        assert!(r.unknown_columns.is_empty());
        assert_eq!(r.rows[0].row, 4);
        assert_eq!(r.rows[1].row, 6);
        let d = &r.rows[0].draft;
        assert_eq!(d.name.as_deref(), Some("甲公司"));
        assert_eq!(d.credit_code.as_deref(), Some("91320682711592946A"));
        assert_eq!(d.region.as_deref(), Some("如皋"));
        assert_eq!(d.annual_sales_wan.as_deref(), Some("2,500"));
        assert_eq!(d.employees.as_deref(), Some("１２０"));
        assert_eq!(r.column_name(Field::Employees), "职工人数");
        assert_eq!(r.column_name(Field::Status), "经营状态");
    }

    #[test]
    fn headers_people_write() {
        for (h, f) in [
            ("所属县（市、区）", Field::Region),
            ("属地", Field::Region),
            ("企业名称*", Field::Name),
            ("统一社会信用代码", Field::CreditCode),
            ("年销售收入（万元）", Field::AnnualSales),
            ("年销售额", Field::AnnualSales),
            ("从业人数", Field::Employees),
            (" 行业类别 ", Field::Industry),
        ] {
            assert_eq!(field_for(h), Some(f), "{h}");
        }
        assert_eq!(field_for("年销售额（元）"), Some(Field::AnnualSales));
        assert_eq!(field_for("法定代表人"), None);
    }

    #[test]
    fn sales_in_yuan_become_wan_and_unknown_headers_are_reported() {
        let csv = "企业名称,年销售额（元）,法人代表\n甲,25000000,张三\n";
        let r = read_roster(csv.as_bytes()).expect("roster");
        assert_eq!(r.rows[0].draft.annual_sales_wan.as_deref(), Some("2500"));
        assert_eq!(r.unknown_columns, ["法人代表"]);
    }

    #[test]
    fn no_header_is_a_clear_error() {
        let e = read_roster("a,b,c\n1,2,3\n".as_bytes()).expect_err("no header");
        assert!(e.to_string().contains("未找到表头"));
    }
}

#[cfg(test)]
mod xlsx_tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

    /// A roster as offices make them in Excel: a merged title, formulas with cached values,
    /// numbers stored as text, a date where a number belongs, a code typed as a number, an
    /// error value, and a total row.
    fn workbook() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("名录").expect("name");
        ws.merge_range(0, 0, 0, 4, "2018年如皋市工贸企业名录", &Format::new())
            .expect("title");
        for (c, h) in [
            "企业名称",
            "统一社会信用代码",
            "所属县（市、区）",
            "年销售收入（万元）",
            "从业人数",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(2, c as u16, *h).expect("header");
        }
        // Row 4: good, with a formula for sales and staff stored as text.
        ws.write_string(3, 0, "甲公司").expect("w");
        ws.write_string(3, 1, "91320682711592946A").expect("w");
        ws.write_string(3, 2, "如皋").expect("w");
        ws.write_formula(3, 3, Formula::new("=1000+1500").set_result("2500"))
            .expect("w");
        ws.write_string(3, 4, "1,200").expect("w");
        // Row 5: a date in the staff column.
        ws.write_string(4, 0, "乙公司").expect("w");
        ws.write_string(4, 1, "91320682MA1YNP7P2L").expect("w");
        ws.write_string(4, 2, "如皋").expect("w");
        let date = ExcelDateTime::from_ymd(2018, 7, 4).expect("date");
        ws.write_datetime_with_format(4, 4, &date, &Format::new().set_num_format("yyyy-mm-dd"))
            .expect("w");
        // Row 6: the credit code typed as a number.
        ws.write_string(5, 0, "丙公司").expect("w");
        ws.write_number(5, 1, 123502001549897397.0).expect("w");
        // Row 7: an error value from a formula.
        ws.write_string(6, 0, "丁公司").expect("w");
        ws.write_string(6, 1, "91350200776049653A").expect("w");
        ws.write_formula(6, 3, Formula::new("=1/0").set_result("#DIV/0!"))
            .expect("w");
        // Row 9 (after a blank row): the total.
        ws.write_string(8, 0, "合计").expect("w");
        ws.write_formula(8, 3, Formula::new("=SUM(D4:D7)").set_result("2500"))
            .expect("w");
        wb.save_to_buffer().expect("saved")
    }

    #[test]
    fn excel_rosters_with_formulas_dates_and_text_numbers() {
        let r = read_roster(&workbook()).expect("roster");
        assert_eq!(r.sheet, "名录");
        assert_eq!(r.header_row, 3);
        let rows: Vec<u64> = r.rows.iter().map(|x| x.row).collect();
        assert_eq!(rows, [4, 5, 6, 7]);
        assert_eq!(r.rows[0].draft.annual_sales_wan.as_deref(), Some("2500"));
        assert_eq!(r.rows[0].draft.employees.as_deref(), Some("1,200"));
        assert!(r.rows[0].problems.is_empty());
        assert_eq!(r.rows[1].problems[0].column, "从业人数");
        assert!(r.rows[1].problems[0].reason.contains("日期"));
        assert_eq!(r.rows[2].problems[0].column, "统一社会信用代码");
        assert!(r.rows[2].problems[0].reason.contains("文本"));
        assert!(r.rows[3].problems[0].reason.contains("#DIV/0!"));
    }

    #[test]
    fn twenty_megabytes_of_noise_is_refused() {
        let mut noise = Vec::with_capacity(20 << 20);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        while noise.len() < 20 << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise.extend_from_slice(&x.to_le_bytes());
        }
        assert!(read_roster(&noise).is_err());
        let mut zip_noise = b"PK\x03\x04".to_vec();
        zip_noise.extend_from_slice(&noise);
        assert_eq!(read_roster(&zip_noise), Err(SheetError::Corrupt));
    }
}

//! Writing tables to .xlsx with Chinese headers.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum XCell {
    Empty,
    Text(String),
    Number(f64),
    /// A share as a fraction (0.461), shown as a percentage (46.1%) that Excel can sort and sum.
    Percent(f64),
    /// A day, as a date Excel can sort and filter (2019-06-30).
    Date(time::Date),
    /// A moment in China time, as a date and time (2019-06-30 14:05:09).
    DateTime(time::PrimitiveDateTime),
}

/// The number format of a share.
const PERCENT: &str = "0.0%";
const DATE: &str = "yyyy-mm-dd";
const DATE_TIME: &str = "yyyy-mm-dd hh:mm:ss";

/// A day or moment as Excel's serial date, with its format; `None` outside Excel's range
/// (1900–9999).
fn excel_date(cell: &XCell) -> Option<(ExcelDateTime, &'static str)> {
    let (d, t, fmt) = match cell {
        XCell::Date(d) => (*d, None, DATE),
        XCell::DateTime(dt) => (dt.date(), Some(dt.time()), DATE_TIME),
        _ => return None,
    };
    let year = u16::try_from(d.year()).ok()?;
    let day = ExcelDateTime::from_ymd(year, u8::from(d.month()), d.day()).ok()?;
    let day = match t {
        Some(t) => day
            .and_hms(u16::from(t.hour()), t.minute(), t.second())
            .ok()?,
        None => day,
    };
    Some((day, fmt))
}

/// A day or moment Excel cannot hold, written as text.
fn date_text(cell: &XCell) -> String {
    match cell {
        XCell::Date(d) => anbiao_domain::date::format_date(*d),
        XCell::DateTime(dt) => format!(
            "{} {}",
            anbiao_domain::date::format_date(dt.date()),
            dt.time()
        ),
        _ => String::new(),
    }
}

impl From<Option<String>> for XCell {
    fn from(v: Option<String>) -> Self {
        v.map(XCell::Text).unwrap_or(XCell::Empty)
    }
}

/// Writes one sheet: an optional title row, a header row, then the rows. Texts that look like
/// numbers (credit codes) stay text. Returns the file bytes.
pub fn write_table(
    sheet_name: &str,
    title: Option<&str>,
    headers: &[&str],
    rows: &[Vec<XCell>],
) -> Result<Vec<u8>, XlsxError> {
    write_sheets(&[Sheet {
        name: sheet_name,
        title,
        headers,
        rows,
    }])
}

/// One sheet of a workbook: its name, an optional title row, the headers and the rows.
pub struct Sheet<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub headers: &'a [&'a str],
    pub rows: &'a [Vec<XCell>],
}

/// Writes a workbook of several sheets, each laid out as [`write_table`] lays out one.
pub fn write_sheets(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for sheet in sheets {
        add_sheet(&mut wb, sheet)?;
    }
    wb.save_to_buffer()
}

fn add_sheet(wb: &mut Workbook, sheet: &Sheet<'_>) -> Result<(), XlsxError> {
    let (title, headers, rows) = (sheet.title, sheet.headers, sheet.rows);
    let ws = wb.add_worksheet();
    ws.set_name(sheet.name)?;
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("#DCE6F1");
    let title_fmt = Format::new().set_bold().set_font_size(14);
    let mut r: u32 = 0;
    if let Some(t) = title {
        ws.write_string_with_format(0, 0, t, &title_fmt)?;
        r = 1;
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count() * 2 + 2).collect();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(r, c as u16, *h, &head)?;
    }
    ws.set_freeze_panes(r + 1, 0)?;
    for (i, row) in rows.iter().enumerate() {
        let rr = r + 1 + i as u32;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                XCell::Empty => {}
                XCell::Text(s) => {
                    ws.write_string(rr, c as u16, s)?;
                    if let Some(w) = widths.get_mut(c) {
                        // CJK characters take about two columns.
                        let width: usize =
                            s.chars().map(|ch| if ch.is_ascii() { 1 } else { 2 }).sum();
                        *w = (*w).max(width.min(60) + 2);
                    }
                }
                XCell::Number(n) => {
                    ws.write_number(rr, c as u16, *n)?;
                }
                XCell::Percent(n) => {
                    ws.write_number_with_format(
                        rr,
                        c as u16,
                        *n,
                        &Format::new().set_num_format(PERCENT),
                    )?;
                }
                XCell::Date(_) | XCell::DateTime(_) => {
                    match excel_date(cell) {
                        Some((d, fmt)) => ws.write_datetime_with_format(
                            rr,
                            c as u16,
                            &d,
                            &Format::new().set_num_format(fmt),
                        )?,
                        None => ws.write_string(rr, c as u16, date_text(cell))?,
                    };
                    if let Some(w) = widths.get_mut(c) {
                        *w = (*w).max(if matches!(cell, XCell::Date(_)) {
                            12
                        } else {
                            21
                        });
                    }
                }
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w as f64)?;
    }
    Ok(())
}

/// A table with grouped columns, as official attachments print them: a title, a note, a first
/// column, then for each group a merged heading over its sub-columns; the last `footer` rows are
/// bold (a 合计 row). Returns the file bytes.
pub struct GroupedTable<'a> {
    pub sheet_name: &'a str,
    pub title: &'a str,
    pub note: &'a str,
    pub first: &'a str,
    pub groups: &'a [(String, Vec<String>)],
    pub rows: &'a [Vec<XCell>],
    pub footer: usize,
}

pub fn write_grouped(t: &GroupedTable<'_>) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(t.sheet_name)?;
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_background_color("#DCE6F1");
    let cell = Format::new().set_border(FormatBorder::Thin);
    let bold = Format::new().set_border(FormatBorder::Thin).set_bold();
    let width: u16 = 1 + t.groups.iter().map(|(_, s)| s.len() as u16).sum::<u16>();
    ws.merge_range(
        0,
        0,
        0,
        width.saturating_sub(1),
        t.title,
        &Format::new()
            .set_bold()
            .set_font_size(14)
            .set_align(FormatAlign::Center),
    )?;
    ws.merge_range(
        1,
        0,
        1,
        width.saturating_sub(1),
        t.note,
        &Format::new().set_text_wrap(),
    )?;
    ws.merge_range(2, 0, 3, 0, t.first, &head)?;
    let mut c: u16 = 1;
    for (name, subs) in t.groups {
        let last = c + subs.len().max(1) as u16 - 1;
        if last > c {
            ws.merge_range(2, c, 2, last, name, &head)?;
        } else {
            ws.write_string_with_format(2, c, name, &head)?;
        }
        for (i, sub) in subs.iter().enumerate() {
            ws.write_string_with_format(3, c + i as u16, sub, &head)?;
        }
        c = last + 1;
    }
    ws.set_row_height(2, 36)?;
    ws.set_freeze_panes(4, 1)?;
    let first_footer = t.rows.len().saturating_sub(t.footer);
    for (i, row) in t.rows.iter().enumerate() {
        let r = 4 + i as u32;
        let f = if i >= first_footer { &bold } else { &cell };
        for (j, v) in row.iter().enumerate() {
            match v {
                XCell::Empty => ws.write_blank(r, j as u16, f)?,
                XCell::Text(s) => ws.write_string_with_format(r, j as u16, s, f)?,
                XCell::Number(n) => ws.write_number_with_format(r, j as u16, *n, f)?,
                XCell::Percent(n) => ws.write_number_with_format(
                    r,
                    j as u16,
                    *n,
                    &f.clone().set_num_format(PERCENT),
                )?,
                XCell::Date(_) | XCell::DateTime(_) => match excel_date(v) {
                    Some((d, fmt)) => ws.write_datetime_with_format(
                        r,
                        j as u16,
                        &d,
                        &f.clone().set_num_format(fmt),
                    )?,
                    None => ws.write_string_with_format(r, j as u16, date_text(v), f)?,
                },
            };
        }
    }
    ws.set_column_width(0, 14)?;
    for j in 1..width {
        ws.set_column_width(j, 11)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Cell, read_table};

    #[test]
    fn grouped_tables_keep_the_layout() {
        let groups = vec![
            (
                "一级".to_string(),
                vec!["实际".to_string(), "目标".to_string()],
            ),
            (
                "审计率".to_string(),
                vec!["实际".to_string(), "目标".to_string()],
            ),
        ];
        let rows = vec![
            vec![
                XCell::Text("海安县".into()),
                XCell::Number(5.0),
                XCell::Number(5.0),
                XCell::Text("15.4%".into()),
                XCell::Text("≥15%".into()),
            ],
            vec![
                XCell::Text("合计".into()),
                XCell::Number(26.0),
                XCell::Number(28.0),
                XCell::Text("12.4%".into()),
                XCell::Empty,
            ],
        ];
        let bytes = write_grouped(&GroupedTable {
            sheet_name: "任务分配表",
            title: "任务分配表完成情况",
            note: "截至 2019-12-31",
            first: "地区",
            groups: &groups,
            rows: &rows,
            footer: 1,
        })
        .expect("written");
        let t = read_table(&bytes).expect("read back");
        let texts: Vec<Vec<Cell>> = t.rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(texts[2][0], Cell::Text("地区".into()));
        assert_eq!(texts[2][1], Cell::Text("一级".into()));
        assert_eq!(texts[3][2], Cell::Text("目标".into()));
        assert_eq!(texts[4][0], Cell::Text("海安县".into()));
        assert_eq!(texts[5][2], Cell::Number(28.0));
    }

    #[test]
    fn days_and_moments_are_dates_excel_computes_with() {
        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
        let moment = time::macros::datetime!(2019-06-30 14:05:09);
        let bytes = write_table(
            "记录",
            None,
            &["日期", "时间", "远古"],
            &[vec![
                XCell::Date(time::macros::date!(2019 - 06 - 30)),
                XCell::DateTime(moment),
                XCell::Date(time::macros::date!(1800 - 01 - 01)),
            ]],
        )
        .expect("written");
        let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        let range = wb.worksheet_range("记录").expect("sheet");
        let serial = |r: u32, c: u32| match range.get_value((r, c)) {
            Some(Data::DateTime(d)) => d.as_f64(),
            other => panic!("not a date: {other:?}"),
        };
        // Excel's day 43646 is 2019-06-30; the time is the fraction of the day.
        assert_eq!(serial(1, 0), 43646.0);
        let secs = (14 * 3600 + 5 * 60 + 9) as f64 / 86_400.0;
        assert!((serial(1, 1) - 43646.0 - secs).abs() < 1e-6);
        assert_eq!(
            range.get_value((1, 2)),
            Some(&Data::String("1800-01-01".into())),
            "a day before Excel's first stays text"
        );
    }

    #[test]
    fn written_files_read_back() {
        let bytes = write_table(
            "企业名录",
            Some("南通市企业名录"),
            &["统一社会信用代码", "企业名称", "从业人数"],
            &[vec![
                XCell::Text("91320682711592946A".into()),
                XCell::Text("甲公司".into()),
                XCell::Number(12.0),
            ]],
        )
        .expect("written");
        let t = read_table(&bytes).expect("read back");
        assert_eq!(t.sheet, "企业名录");
        assert_eq!(t.rows[1].number, 2);
        assert_eq!(
            t.rows[2].cells,
            [
                Cell::Text("91320682711592946A".into()),
                Cell::Text("甲公司".into()),
                Cell::Number(12.0)
            ]
        );
    }
}

//! Writing tables to .xlsx with Chinese headers.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum XCell {
    Empty,
    Text(String),
    Number(f64),
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
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name)?;
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
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w as f64)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Cell, read_table};

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

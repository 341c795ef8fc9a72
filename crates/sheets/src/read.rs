//! Reading any supported file into a table of cells with the row numbers the user sees.

use std::sync::{Condvar, Mutex};

use thiserror::Error;

use crate::grid::{Budget, Grid};
pub use crate::limits::MAX_BYTES;
use crate::limits::{MAX_CONCURRENT_READS, MAX_ROWS};

/// Why a file could not be read at all. Messages are shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SheetError {
    #[error("文件为空")]
    Empty,
    #[error("文件过大（{0} MB），上限为 {1} MB")]
    TooLarge(usize, usize),
    #[error("无法识别的文件：请上传 Excel（.xlsx、.xls）或 CSV 文件")]
    NotSpreadsheet,
    #[error("Excel 文件已损坏或不完整，无法读取")]
    Corrupt,
    #[error("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码")]
    Encoding,
    #[error("CSV 文件格式错误：第{0}行{1}")]
    Csv(u64, String),
    #[error("文件中没有任何工作表")]
    NoSheet,
    #[error("未找到表头：前{0}行中没有“企业名称”或“统一社会信用代码”列")]
    NoHeader(usize),
    #[error("文件解压后超过 {0} MB 的上限，请删去多余的工作表或内容后再上传")]
    Unpacked(u64),
    #[error("文件包含的部件超过 {0} 个，不是常见的 Excel 文件")]
    TooManyParts(usize),
    #[error("文件中的文本条目超过 {0} 条的上限，请分批上传")]
    TooManyStrings(usize),
    #[error("{sheet}第{row}行第{column}列有内容，超出上限：每行最多读取 {max} 列")]
    TooWide {
        sheet: String,
        row: u64,
        column: u64,
        max: u32,
    },
    #[error(
        "{sheet}第{row}行有内容，超出上限：一张表从第一行数据到最后一行最多 {max} 行，请分批上传"
    )]
    TooLong { sheet: String, row: u64, max: u32 },
    #[error("{sheet}的数据区域超过 {max} 个单元格的上限")]
    AreaTooLarge { sheet: String, max: u64 },
    #[error("文件中的工作表超过 {0} 张的上限")]
    TooManySheets(usize),
    #[error("{sheet}第{row}行第{column}列的内容超过 {max} 个字符的上限")]
    CellTooLong {
        sheet: String,
        row: u64,
        column: u64,
        max: usize,
    },
    #[error("文件结构过于复杂（超过 {0} 个元素），请另存为普通工作表或分批上传")]
    TooComplex(u64),
    #[error("文件中有一段文字超过 {0} KB 的上限（每个单元格最多 32767 个字符）")]
    TextRunTooLong(usize),
    #[error("文件中有内容的单元格超过 {0} 个的上限，请分批上传")]
    TooManyCells(usize),
    #[error("文件中的文字超过 {0} MB 的上限，请分批上传")]
    TooMuchText(u64),
}

/// A cell value as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date (or time) cell; the serial number or ISO text as stored.
    Date(String),
    Bool(bool),
    /// An Excel error value such as #N/A.
    Error(String),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, if it is text or a number.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s.clone()),
            Cell::Number(n) => Some(format_number(*n)),
            _ => None,
        }
    }
}

/// Shortest decimal text of a number: 1200.0 → "1200", 1234.5 → "1234.5".
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A row with the 1-based row number the spreadsheet program shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<Cell>,
}

/// One sheet's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub sheet: String,
    pub rows: Vec<Row>,
}

/// Reads every sheet of a workbook, or the one table of a CSV file.
pub fn read_tables(bytes: &[u8]) -> Result<Vec<Table>, SheetError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SheetError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge(
            bytes.len() / (1024 * 1024),
            MAX_BYTES / (1024 * 1024),
        ));
    }
    let is_zip = bytes.starts_with(b"PK\x03\x04");
    let is_ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let _turn = Turn::take();
    // A parser bug on a hostile file must not take the server down.
    let read = || {
        if is_zip {
            crate::xlsx::check_package(bytes)?;
            crate::xlsx::read(bytes)
        } else if is_ole {
            crate::xls::check(bytes)?;
            crate::xls::read(bytes)
        } else {
            read_csv(bytes).map(|t| vec![t])
        }
    };
    std::panic::catch_unwind(read).unwrap_or(Err(SheetError::Corrupt))
}

/// One of [`MAX_CONCURRENT_READS`] turns to parse a file; callers are on blocking threads.
struct Turn;

static READING: Mutex<usize> = Mutex::new(0);
static READ_DONE: Condvar = Condvar::new();

impl Turn {
    fn take() -> Turn {
        let mut n = READING.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= MAX_CONCURRENT_READS {
            n = READ_DONE.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Turn
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut n = READING.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        READ_DONE.notify_one();
    }
}

/// Reads the first table of a file (the first sheet of a workbook).
pub fn read_table(bytes: &[u8]) -> Result<Table, SheetError> {
    read_tables(bytes)?
        .into_iter()
        .next()
        .ok_or(SheetError::NoSheet)
}

/// Whether bytes (not UTF-16) are binary: a NUL, or more than one in a hundred control bytes
/// other than line breaks and tabs (text in UTF-8 or GBK has none).
fn looks_binary(bytes: &[u8]) -> bool {
    let controls = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        .count();
    bytes.contains(&0) || controls * 100 > bytes.len().max(1)
}

/// Decodes CSV bytes: UTF-16 with BOM, UTF-8 with or without BOM, else GB18030 (a superset of
/// GBK, as Excel on Chinese Windows writes it). Refuses binary data.
pub fn decode_text(bytes: &[u8]) -> Result<String, SheetError> {
    let text = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let enc = if bytes[0] == 0xFF {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let (t, had_errors) = enc.decode_with_bom_removal(bytes);
        if had_errors {
            return Err(SheetError::Encoding);
        }
        t.into_owned()
    } else if looks_binary(bytes) {
        // Not text in any encoding (a damaged workbook, an image renamed): say so, rather
        // than blame the encoding.
        return Err(SheetError::NotSpreadsheet);
    } else if let Ok(s) =
        std::str::from_utf8(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes))
    {
        s.to_string()
    } else {
        let (t, _, had_errors) = encoding_rs::GB18030.decode(bytes);
        if had_errors {
            return Err(SheetError::Encoding);
        }
        t.into_owned()
    };
    // Text tables have no NULs and few control characters.
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if text.contains('\0') || controls * 100 > text.chars().count().max(1) {
        return Err(SheetError::NotSpreadsheet);
    }
    Ok(text)
}

fn sniff_delimiter(text: &str) -> u8 {
    let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let count = |c: char| head.matches(c).count();
    let (commas, tabs, semis) = (count(',') + count('，'), count('\t'), count(';'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas && semis > tabs {
        b';'
    } else {
        b','
    }
}

/// How many lines end in `s[from..to]`: CRLF, LF and a lone CR each end one (a CR whose LF
/// follows past `to` is counted with that LF).
fn line_breaks_in(s: &str, from: usize, to: usize) -> u64 {
    let b = s.as_bytes();
    let mut n = 0u64;
    for i in from..to.min(b.len()) {
        if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

fn line_breaks(s: &str) -> u64 {
    line_breaks_in(s, 0, s.len())
}

fn read_csv(bytes: &[u8]) -> Result<Table, SheetError> {
    let text = decode_text(bytes)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut grid = Grid::new("CSV");
    let mut budget = Budget::default();
    let mut record = csv::StringRecord::new();
    let mut records = 0u32;
    // Line breaks inside quoted fields so far: Excel shows such a record as one row, so each
    // one after it sits a row higher than its line.
    let mut inner_breaks = 0u64;
    // Lines counted up to a byte of the text, as Excel counts them (CRLF, LF or CR each end one).
    let (mut counted_to, mut line_at) = (0usize, 1u64);
    loop {
        let before = rdr.position().line();
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                records += 1;
                // The line the record starts on (blank lines before it counted, as Excel
                // shows them as rows), less the breaks inside earlier quoted fields.
                // The reader reports where it stopped after the previous record: the record
                // itself starts after the line ends and blank lines that follow.
                let mut start = record
                    .position()
                    .and_then(|p| usize::try_from(p.byte()).ok())
                    .unwrap_or(counted_to)
                    .clamp(counted_to, text.len());
                while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                    start += 1;
                }
                line_at += line_breaks_in(&text, counted_to, start);
                counted_to = start;
                let excel_row = line_at.saturating_sub(inner_breaks);
                inner_breaks += record.iter().map(line_breaks).sum::<u64>();
                if records > MAX_ROWS {
                    return Err(SheetError::TooLong {
                        sheet: String::new(),
                        row: excel_row,
                        max: MAX_ROWS,
                    });
                }
                let row = u32::try_from(excel_row.saturating_sub(1)).unwrap_or(u32::MAX);
                for (col, s) in record.iter().enumerate() {
                    if !s.trim().is_empty() {
                        let col = u32::try_from(col).unwrap_or(u32::MAX);
                        grid.push(&mut budget, row, col, Cell::Text(s.to_string()))?;
                    }
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(before);
                return Err(SheetError::Csv(
                    line,
                    "无法解析（引号不匹配或编码错误）".into(),
                ));
            }
        }
    }
    let table = grid.into_table();
    if table.rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row each non-blank record lands on, as Excel numbers the rows of the file.
    fn csv_rows(text: &str) -> Vec<(u64, String)> {
        read_csv(text.as_bytes())
            .expect("reads")
            .rows
            .iter()
            .filter(|r| !r.cells.iter().all(|c| matches!(c, Cell::Empty)))
            .map(|r| {
                let first = match &r.cells[0] {
                    Cell::Text(s) => s.clone(),
                    other => format!("{other:?}"),
                };
                (r.number, first)
            })
            .collect()
    }

    #[test]
    fn a_csv_row_is_numbered_as_excel_shows_it() {
        let want = vec![(1, "名称".to_string()), (2, "甲".into()), (3, "乙".into())];
        assert_eq!(csv_rows("名称,人数\n甲,1\n乙,2\n"), want, "LF");
        assert_eq!(csv_rows("名称,人数\r\n甲,1\r\n乙,2\r\n"), want, "CRLF");
        assert_eq!(csv_rows("名称,人数\r甲,1\r乙,2\r"), want, "CR (old Mac)");
        // Blank lines are rows in Excel; a quoted field's line break is not.
        assert_eq!(
            csv_rows("\n\n名称,人数\n\"甲\n厂\",1\r\n乙,2\n"),
            vec![
                (3, "名称".to_string()),
                (4, "甲\n厂".into()),
                (5, "乙".into())
            ]
        );
    }

    #[test]
    fn csv_in_every_encoding_excel_writes() {
        let text = "企业名称,从业人数\n甲公司,12\n";
        let utf8 = read_table(text.as_bytes()).expect("utf8");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        for u in text.replace(',', "\t").encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for bytes in [bom, gbk.into_owned(), utf16] {
            let t = read_table(&bytes).expect("decoded");
            assert_eq!(t.rows, utf8.rows);
        }
        assert_eq!(utf8.rows[1].number, 2);
        assert_eq!(
            utf8.rows[1].cells,
            [Cell::Text("甲公司".into()), Cell::Text("12".into())]
        );
    }

    #[test]
    fn garbage_is_refused_with_a_message() {
        assert_eq!(read_table(b""), Err(SheetError::Empty));
        assert_eq!(read_table(b"  \n"), Err(SheetError::Empty));
        let mut noise = Vec::with_capacity(1 << 20);
        let mut x: u32 = 12345;
        for _ in 0..(1 << 20) {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            noise.push((x >> 16) as u8);
        }
        // Random bytes are not a spreadsheet, whatever they are called; not an encoding problem.
        assert_eq!(read_table(&noise), Err(SheetError::NotSpreadsheet));
        let mut truncated = b"PK\x03\x04".to_vec();
        truncated.extend_from_slice(&noise[..1000]);
        assert_eq!(read_table(&truncated), Err(SheetError::Corrupt));
        assert_eq!(
            read_table(b"a,b\n\0\0\0\0,\0\0"),
            Err(SheetError::NotSpreadsheet)
        );
    }

    #[test]
    fn numbers_format_without_noise() {
        assert_eq!(format_number(1200.0), "1200");
        assert_eq!(format_number(1234.5), "1234.5");
        assert_eq!(Cell::Number(35.0).text().as_deref(), Some("35"));
    }
}

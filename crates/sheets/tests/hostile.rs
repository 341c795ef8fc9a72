//! The hostile-workbook corpus: files built to exhaust memory or time, each answered with the
//! cap it broke (a Chinese message), with the process's peak memory checked after each. Before
//! the caps, the first of these (5 KB) made the process abort.

use std::io::{Cursor, Write};

use anbiao_sheets::SheetError;
use anbiao_sheets::limits::{MAX_COLUMNS, MAX_ROWS};
use anbiao_sheets::read::read_tables;
use zip::write::SimpleFileOptions;

const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A part's content, in chunks.
type Chunks = Box<dyn Iterator<Item = Vec<u8>>>;

/// The error of a read that must be refused (a table read instead is reported by its size only).
fn refused(r: Result<Vec<anbiao_sheets::Table>, SheetError>) -> SheetError {
    match r {
        Err(e) => e,
        Ok(t) => panic!(
            "read {} sheets, {} rows",
            t.len(),
            t.iter().map(|t| t.rows.len()).sum::<usize>()
        ),
    }
}

/// The peak resident memory of this test process, from /proc (Linux).
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn assert_bounded_memory() {
    // Tests of this file run side by side, so this is the sum of their peaks.
    let peak = peak_mib();
    assert!(peak < 3 * 1024, "peak memory {peak} MiB");
}

/// An .xlsx from parts; each part is written in chunks so a large one never sits in memory.
fn xlsx(parts: Vec<(&str, Chunks)>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let mut all: Vec<(&str, Chunks)> = vec![
        (
            "_rels/.rels",
            Box::new(std::iter::once(root_rels.as_bytes().to_vec())),
        ),
        (
            "xl/workbook.xml",
            Box::new(std::iter::once(workbook.into_bytes())),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            Box::new(std::iter::once(rels.as_bytes().to_vec())),
        ),
    ];
    all.extend(parts);
    for (name, chunks) in all {
        zip.start_file(name, opts).expect("start");
        for c in chunks {
            zip.write_all(&c).expect("write");
        }
    }
    zip.finish().expect("finish").into_inner()
}

fn one(bytes: Vec<u8>) -> Chunks {
    Box::new(std::iter::once(bytes))
}

/// A sheet part around the given rows' XML.
fn sheet(dimension: &str, rows: Chunks) -> Chunks {
    let head = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>"#
    );
    Box::new(
        std::iter::once(head.into_bytes())
            .chain(rows)
            .chain(std::iter::once(b"</sheetData></worksheet>".to_vec())),
    )
}

fn cell(r: u32, col: &str, v: &str) -> Vec<u8> {
    format!(r#"<row r="{r}"><c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c></row>"#)
        .into_bytes()
}

#[test]
fn a_declared_dimension_is_not_allocated() {
    let rows = vec![cell(1, "A", "企业名称"), cell(2, "B", "甲公司")];
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1:XFD1048576", Box::new(rows.into_iter())),
    )]);
    let tables = read_tables(&bytes).expect("read");
    assert_eq!(tables[0].sheet, "名册");
    assert_eq!(tables[0].rows.len(), 2);
    assert_eq!(tables[0].rows[1].number, 2);
    assert_eq!(tables[0].rows[1].cells[1].text().as_deref(), Some("甲公司"));
    assert_bounded_memory();
}

#[test]
fn a_cell_at_the_far_corner_is_refused_by_its_position() {
    // The 5 KB file of the issue: one cell at A1, one at XFD1048576.
    let rows = vec![cell(1, "A", "企业名称"), cell(1_048_576, "XFD", "x")];
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1:XFD1048576", Box::new(rows.into_iter())),
    )]);
    assert!(bytes.len() < 5 * 1024, "{} bytes", bytes.len());
    let err = refused(read_tables(&bytes));
    assert!(
        matches!(err, SheetError::TooWide { row: 1_048_576, column: 16_384, max, .. } if max == MAX_COLUMNS),
        "{err:?}"
    );
    assert!(err.to_string().contains("第1048576行第16384列"), "{err}");
    // Far down in the first column: the row cap.
    let rows = vec![cell(1, "A", "企业名称"), cell(1_048_576, "A", "x")];
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1", Box::new(rows.into_iter())),
    )]);
    let err = refused(read_tables(&bytes));
    assert!(
        matches!(err, SheetError::TooLong { row: 1_048_576, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&MAX_ROWS.to_string()), "{err}");
    assert_bounded_memory();
}

#[test]
fn a_zip_bomb_stops_at_the_unpacked_cap() {
    // 320 MiB of zeros in a picture part: about 300 KB packed.
    let zeros = (0..320).map(|_| vec![0u8; 1024 * 1024]);
    let rows = vec![cell(1, "A", "企业名称")];
    let bytes = xlsx(vec![
        ("xl/media/image1.png", Box::new(zeros)),
        (
            "xl/worksheets/sheet1.xml",
            sheet("A1", Box::new(rows.into_iter())),
        ),
    ]);
    assert!(bytes.len() < 2 * 1024 * 1024, "{} bytes", bytes.len());
    let err = refused(read_tables(&bytes));
    assert_eq!(err, SheetError::Unpacked(256));
    assert!(err.to_string().contains("256 MB"), "{err}");
    // 320 MiB of blanks inside the sheet: refused at the first 256 KiB without a tag.
    let blanks = (0..320).map(|_| vec![b' '; 1024 * 1024]);
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1", Box::new(blanks)),
    )]);
    assert_eq!(
        refused(read_tables(&bytes)),
        SheetError::TextRunTooLong(256)
    );
    assert_bounded_memory();
}

#[test]
fn millions_of_elements_stop_before_calamine_parses_them() {
    // 255 MiB of empty cells in one row (261 KB packed): a minute of calamine's time before.
    let head = std::iter::once(br#"<row r="1">"#.to_vec());
    let flood = (0..255).map(|_| b"<c/>".repeat(256 * 1024));
    let tail = std::iter::once(b"</row>".to_vec());
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1", Box::new(head.chain(flood).chain(tail))),
    )]);
    assert_eq!(
        refused(read_tables(&bytes)),
        SheetError::TooComplex(20_000_000)
    );
    // The same in the styles part, which calamine keeps whole.
    let xf = (0..90).map(|_| b"<xf/>".repeat(250_000));
    let styles: Chunks = Box::new(
        std::iter::once(format!(r#"<styleSheet xmlns="{NS}"><cellXfs>"#).into_bytes())
            .chain(xf)
            .chain(std::iter::once(b"</cellXfs></styleSheet>".to_vec())),
    );
    let rows = vec![cell(1, "A", "企业名称")];
    let bytes = xlsx(vec![
        ("xl/styles.xml", styles),
        (
            "xl/worksheets/sheet1.xml",
            sheet("A1", Box::new(rows.into_iter())),
        ),
    ]);
    assert_eq!(
        refused(read_tables(&bytes)),
        SheetError::TooComplex(20_000_000)
    );
    assert_bounded_memory();
}

#[test]
fn rows_reaching_far_right_stop_at_the_laid_out_cap() {
    // One cell at IV in each of 200,000 rows: 51,200,000 cells once rows are laid out.
    let rows = (2..=200_000u32)
        .map(|r| format!(r#"<row r="{r}"><c r="IV{r}"><v>1</v></c></row>"#).into_bytes());
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1", Box::new(rows)),
    )]);
    assert_eq!(
        refused(read_tables(&bytes)),
        SheetError::TooManyCells(4_000_000)
    );
    // The same in CSV.
    let line = format!("{}x\n", ",".repeat(255));
    let csv = line.repeat(20_000);
    assert_eq!(
        refused(read_tables(csv.as_bytes())),
        SheetError::TooManyCells(4_000_000)
    );
    assert_bounded_memory();
}

#[test]
fn a_cell_longer_than_excel_allows_is_refused() {
    let long = "安".repeat(40_000);
    let rows = vec![cell(1, "A", "企业名称"), cell(2, "B", &long)];
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1:B2", Box::new(rows.into_iter())),
    )]);
    let err = refused(read_tables(&bytes));
    assert!(
        matches!(
            err,
            SheetError::CellTooLong {
                row: 2,
                column: 2,
                max: 32_767,
                ..
            }
        ),
        "{err:?}"
    );
    // A single 240 MiB string is refused at its first 256 KiB.
    let huge = (0..240).map(|_| b"x".repeat(1024 * 1024));
    let sst: Chunks = Box::new(
        std::iter::once(format!(r#"<sst xmlns="{NS}"><si><t>"#).into_bytes())
            .chain(huge)
            .chain(std::iter::once(b"</t></si></sst>".to_vec())),
    );
    let bytes = xlsx(vec![
        ("xl/sharedStrings.xml", sst),
        (
            "xl/worksheets/sheet1.xml",
            sheet(
                "A1",
                Box::new(std::iter::once(
                    br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#.to_vec(),
                )),
            ),
        ),
    ]);
    assert_eq!(
        refused(read_tables(&bytes)),
        SheetError::TextRunTooLong(256)
    );
    assert_bounded_memory();
}

#[test]
fn a_million_rows_stop_at_the_row_cap() {
    let rows = (1..=1_000_000u32)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#).into_bytes());
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1:A1000000", Box::new(rows)),
    )]);
    let err = refused(read_tables(&bytes));
    assert!(
        matches!(err, SheetError::TooLong { row, max, .. } if row == u64::from(MAX_ROWS) + 1 && max == MAX_ROWS),
        "{err:?}"
    );
    // The same in CSV.
    let csv: Vec<u8> = (0..1_000_000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    let err = refused(read_tables(&csv));
    assert!(matches!(err, SheetError::TooLong { .. }), "{err:?}");
    assert_bounded_memory();
}

#[test]
fn a_huge_shared_string_table_is_refused() {
    let head = format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">"#).into_bytes();
    let strings = (0..1_100_000).map(|_| b"<si><t>x</t></si>".to_vec());
    let sst: Chunks = Box::new(
        std::iter::once(head)
            .chain(strings)
            .chain(std::iter::once(b"</sst>".to_vec())),
    );
    let rows = vec![cell(1, "A", "企业名称")];
    let bytes = xlsx(vec![
        ("xl/sharedStrings.xml", sst),
        (
            "xl/worksheets/sheet1.xml",
            sheet("A1", Box::new(rows.into_iter())),
        ),
    ]);
    let err = refused(read_tables(&bytes));
    assert_eq!(err, SheetError::TooManyStrings(1_000_000));
    assert_bounded_memory();
}

#[test]
fn one_long_string_in_every_cell_stops_at_the_text_cap() {
    // A 30,000-character shared string (within a cell's limit) used by 3,000 cells would be
    // 270 MB of text once copied into cells.
    let long = "安".repeat(30_000);
    let sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}"><si><t>{long}</t></si></sst>"#
    );
    let rows = (1..=3_000u32)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#).into_bytes());
    let bytes = xlsx(vec![
        ("xl/sharedStrings.xml", one(sst.into_bytes())),
        (
            "xl/worksheets/sheet1.xml",
            sheet("A1:A3000", Box::new(rows)),
        ),
    ]);
    let err = refused(read_tables(&bytes));
    assert_eq!(err, SheetError::TooMuchText(256));
    assert_bounded_memory();
}

#[test]
fn nested_and_entity_laden_xml_is_answered_without_expansion() {
    // Deep nesting inside the sheet data.
    let deep = (0..200_000).map(|_| b"<x>".to_vec());
    let bytes = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet("A1", Box::new(deep)),
    )]);
    let _ = read_tables(&bytes);
    // A "billion laughs" table of entities in the shared strings.
    let mut dtd = String::from(r#"<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "ha">"#);
    let mut prev = 'a';
    for name in 'b'..='k' {
        dtd.push_str(&format!(
            r#"<!ENTITY {name} "{}">"#,
            format!("&{prev};").repeat(10)
        ));
        prev = name;
    }
    dtd.push_str(&format!(r#"]><sst xmlns="{NS}"><si><t>&k;</t></si></sst>"#));
    let rows = vec![br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#.to_vec()];
    let bytes = xlsx(vec![
        ("xl/sharedStrings.xml", one(dtd.into_bytes())),
        (
            "xl/worksheets/sheet1.xml",
            sheet("A1", Box::new(rows.into_iter())),
        ),
    ]);
    match read_tables(&bytes) {
        Err(e) => assert_eq!(e, SheetError::Corrupt),
        Ok(t) => {
            let text = t[0].rows[0].cells[0].text().unwrap_or_default();
            assert!(text.len() < 100, "expanded to {} bytes", text.len());
        }
    }
    assert_bounded_memory();
}

#[test]
fn a_package_that_is_not_a_workbook_is_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("mimetype", SimpleFileOptions::default())
        .expect("start");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("write");
    let bytes = zip.finish().expect("finish").into_inner();
    assert_eq!(read_tables(&bytes), Err(SheetError::NotSpreadsheet));
}

#[test]
fn a_csv_row_wider_than_the_cap_is_refused() {
    let line: Vec<String> = (0..300).map(|i| format!("c{i}")).collect();
    let csv = format!("企业名称\n{}\n", line.join(","));
    let err = refused(read_tables(csv.as_bytes()));
    assert!(
        matches!(
            err,
            SheetError::TooWide {
                row: 2,
                column: 257,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("第2行第257列"), "{err}");
}

/// Legacy `.xls` files: BIFF8 records in a compound file, built here record by record.
mod xls {
    use super::*;

    fn rec(typ: u16, body: &[u8]) -> Vec<u8> {
        let mut v = typ.to_le_bytes().to_vec();
        v.extend_from_slice(&(body.len() as u16).to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    fn bof(dt: u16) -> Vec<u8> {
        let mut b = 0x0600u16.to_le_bytes().to_vec();
        b.extend_from_slice(&dt.to_le_bytes());
        b.extend_from_slice(&[0; 12]);
        rec(0x0809, &b)
    }

    fn eof() -> Vec<u8> {
        rec(0x000A, &[])
    }

    pub fn number(r: u16, c: u16, v: f64) -> Vec<u8> {
        let mut b = r.to_le_bytes().to_vec();
        b.extend_from_slice(&c.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&v.to_le_bytes());
        rec(0x0203, &b)
    }

    pub fn label_sst(r: u16, c: u16, isst: u32) -> Vec<u8> {
        let mut b = r.to_le_bytes().to_vec();
        b.extend_from_slice(&c.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&isst.to_le_bytes());
        rec(0x00FD, &b)
    }

    pub fn dimensions(rows: u32, cols: u16) -> Vec<u8> {
        let mut b = 0u32.to_le_bytes().to_vec();
        b.extend_from_slice(&rows.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&cols.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        rec(0x0200, &b)
    }

    /// A string table of Latin-1 strings, split into CONTINUE records as Excel does (each
    /// continuation inside a string's characters starts with its option byte).
    pub fn sst(strings: &[String]) -> Vec<u8> {
        let mut stream: Vec<Vec<u8>> = vec![Vec::new()];
        let n = strings.len() as u32;
        stream[0].extend_from_slice(&n.to_le_bytes());
        stream[0].extend_from_slice(&n.to_le_bytes());
        const MAX: usize = 8224;
        for s in strings {
            let chars = s.as_bytes();
            if stream.last().map_or(0, Vec::len) + 3 > MAX {
                stream.push(Vec::new());
            }
            let cur = stream.last_mut().expect("segment");
            cur.extend_from_slice(&(chars.len() as u16).to_le_bytes());
            cur.push(0);
            let mut rest = chars;
            loop {
                let cur = stream.last_mut().expect("segment");
                let room = MAX - cur.len();
                let n = room.min(rest.len());
                cur.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                if rest.is_empty() {
                    break;
                }
                stream.push(vec![0]);
            }
        }
        let mut out = rec(0x00FC, &stream[0]);
        for s in &stream[1..] {
            out.extend(rec(0x003C, s));
        }
        out
    }

    /// A workbook with one sheet named 名册 holding the given records.
    pub fn workbook(globals: &[Vec<u8>], cells: &[Vec<u8>]) -> Vec<u8> {
        workbook_with_sheets(globals, cells, 1)
    }

    /// `names` BOUNDSHEET entries, all pointing at the same sheet.
    pub fn workbook_with_sheets(globals: &[Vec<u8>], cells: &[Vec<u8>], names: usize) -> Vec<u8> {
        let sheet_name: Vec<u8> = "名册".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let bound = |pos: u32, i: usize| {
            let mut b = pos.to_le_bytes().to_vec();
            b.extend_from_slice(&[0, 0]);
            if i == 0 {
                b.extend_from_slice(&[2, 1]);
                b.extend_from_slice(&sheet_name);
            } else {
                let n = format!("S{i}");
                b.extend_from_slice(&[n.len() as u8, 0]);
                b.extend_from_slice(n.as_bytes());
            }
            rec(0x0085, &b)
        };
        let head_len = |pos: u32| -> usize {
            let mut g = bof(0x0005);
            g.extend(globals.iter().flatten());
            for i in 0..names {
                g.extend(bound(pos, i));
            }
            g.extend(eof());
            g.len()
        };
        let pos = head_len(0) as u32;
        let mut stream = bof(0x0005);
        stream.extend(globals.iter().flatten());
        for i in 0..names {
            stream.extend(bound(pos, i));
        }
        stream.extend(eof());
        assert_eq!(stream.len(), pos as usize);
        stream.extend(bof(0x0010));
        stream.extend(cells.iter().flatten());
        stream.extend(eof());
        let mut cf =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
                .expect("cfb");
        cf.create_stream("Workbook")
            .expect("stream")
            .write_all(&stream)
            .expect("write");
        cf.flush().expect("flush");
        cf.into_inner().into_inner()
    }

    #[test]
    fn a_plain_xls_is_read() {
        // The table holds Latin-1 strings only (the builder writes one byte per character).
        let strings = vec!["name".to_string(), "x".repeat(20_000)];
        let bytes = workbook(
            &[sst(&strings)],
            &[number(0, 0, 12.0), label_sst(1, 1, 1), label_sst(2, 0, 0)],
        );
        let t = &read_tables(&bytes).expect("read")[0];
        assert_eq!(t.sheet, "名册");
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0].cells[0].text().as_deref(), Some("12"));
        assert_eq!(t.rows[1].cells[1].text().map(|s| s.len()), Some(20_000));
        assert_eq!(t.rows[2].cells[0].text().as_deref(), Some("name"));
    }

    #[test]
    fn a_declared_or_spread_out_sheet_is_refused() {
        let declared = workbook(&[], &[dimensions(4_000_000_000, 255), number(0, 0, 1.0)]);
        let err = refused(read_tables(&declared));
        assert!(matches!(err, SheetError::AreaTooLarge { .. }), "{err:?}");
        assert!(err.to_string().contains("第1张工作表"), "{err}");
        let spread = workbook(&[], &[number(0, 0, 1.0), number(65_535, 250, 1.0)]);
        let err = refused(read_tables(&spread));
        assert!(matches!(err, SheetError::AreaTooLarge { .. }), "{err:?}");
        let wide = workbook(&[], &[number(0, 0, 1.0), number(3, 300, 1.0)]);
        let err = refused(read_tables(&wide));
        assert!(
            matches!(
                err,
                SheetError::TooWide {
                    row: 4,
                    column: 301,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_bounded_memory();
    }

    #[test]
    fn one_sheet_named_many_times_counts_every_time() {
        // 10,000 × 200 cells is inside the area cap once and twice; three names for it are not.
        let cells = [number(0, 0, 1.0), number(9_999, 199, 1.0)];
        assert!(read_tables(&workbook_with_sheets(&[], &cells, 2)).is_ok());
        let err = refused(read_tables(&workbook_with_sheets(&[], &cells, 3)));
        assert!(matches!(err, SheetError::AreaTooLarge { .. }), "{err:?}");
        let err = refused(read_tables(&workbook_with_sheets(&[], &cells, 300)));
        assert_eq!(err, SheetError::TooManySheets(256));
    }

    #[test]
    fn one_long_shared_string_in_every_cell_stops_at_the_text_cap() {
        // The string used is the third: the walk over the table must cross the second's
        // continuation records to find its length.
        let strings = vec!["a".to_string(), "x".repeat(30_000), "y".repeat(60_000)];
        let cells: Vec<Vec<u8>> = (0..2_000u16).map(|r| label_sst(r, 0, 2)).collect();
        let bytes = workbook(&[sst(&strings)], &cells);
        assert!(bytes.len() < 200 * 1024, "{} bytes", bytes.len());
        let err = refused(read_tables(&bytes));
        assert_eq!(err, SheetError::TooMuchText(256));
        assert_bounded_memory();
    }
}

/// Writes the small files of this corpus to `fuzz/seeds/workbook/`, where the fuzz target starts
/// from them and `tests/seeds.rs` replays them:
/// `ANBIAO_WRITE_SEEDS=1 cargo test -p anbiao-sheets --test hostile seeds`.
#[test]
fn seeds() {
    if std::env::var_os("ANBIAO_WRITE_SEEDS").is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/workbook");
    std::fs::create_dir_all(&dir).expect("dir");
    let corner = xlsx(vec![(
        "xl/worksheets/sheet1.xml",
        sheet(
            "A1:XFD1048576",
            Box::new(vec![cell(1, "A", "企业名称"), cell(1_048_576, "XFD", "x")].into_iter()),
        ),
    )]);
    let mut dtd = String::from(r#"<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "ha">"#);
    dtd.push_str(r#"<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>"#);
    dtd.push_str(&format!(r#"<sst xmlns="{NS}"><si><t>&b;</t></si></sst>"#));
    let laughs = xlsx(vec![
        ("xl/sharedStrings.xml", one(dtd.into_bytes())),
        (
            "xl/worksheets/sheet1.xml",
            sheet(
                "A1",
                Box::new(std::iter::once(
                    br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#.to_vec(),
                )),
            ),
        ),
    ]);
    let strings = vec!["name".to_string(), "x".repeat(9_000)];
    let plain_xls = xls::workbook(
        &[xls::sst(&strings)],
        &[
            xls::number(0, 0, 12.0),
            xls::label_sst(1, 1, 1),
            xls::label_sst(2, 0, 0),
        ],
    );
    let spread_xls = xls::workbook(
        &[],
        &[xls::number(0, 0, 1.0), xls::number(65_535, 250, 1.0)],
    );
    let declared_xls = xls::workbook(&[], &[xls::dimensions(4_000_000_000, 255)]);
    let wide: Vec<String> = (0..300).map(|i| format!("c{i}")).collect();
    let wide_csv = format!("企业名称\n{}\n", wide.join(","));
    for (name, bytes) in [
        ("far-corner.xlsx", corner),
        ("entities.xlsx", laughs),
        ("plain.xls", plain_xls),
        ("spread.xls", spread_xls),
        ("declared.xls", declared_xls),
        ("wide.csv", wide_csv.into_bytes()),
    ] {
        std::fs::write(dir.join(name), bytes).expect("write seed");
    }
}

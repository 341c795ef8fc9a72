//! `.xlsx` read cell by cell: the package is checked part by part first (unpacked size counted
//! while inflating, shared strings counted), then each sheet is streamed through calamine's cell
//! reader into a [`Grid`], whatever dimension the sheet declares.

use std::io::{BufReader, Cursor, Read};

use calamine::{Reader, Xlsx};
use quick_xml::events::Event;
use zip::ZipArchive;

use crate::grid::{Budget, Grid};
use crate::limits::{MAX_ELEMENTS, MAX_PARTS, MAX_SHARED_STRINGS, MAX_TEXT_RUN, MAX_UNPACKED, mib};
use crate::read::{SheetError, Table};

/// Whether a zip package is a workbook at all (an `.ods`, `.xlsb` or `.docx` is not).
fn is_xlsx(zip: &ZipArchive<Cursor<&[u8]>>) -> bool {
    zip.file_names()
        .any(|n| n.is_ok_and(|n| n.eq_ignore_ascii_case("xl/workbook.xml")))
}

/// Inflates every part once, counting bytes against [`MAX_UNPACKED`] and shared strings against
/// [`MAX_SHARED_STRINGS`], before calamine keeps any of it.
pub(crate) fn check_package(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    if zip.len() > MAX_PARTS {
        return Err(SheetError::TooManyParts(MAX_PARTS));
    }
    if !is_xlsx(&zip) {
        return Err(SheetError::NotSpreadsheet);
    }
    let mut total: u64 = 0;
    let mut elements: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|_| SheetError::Corrupt)?;
        let name = part.name().map(|n| n.to_lowercase()).unwrap_or_default();
        let budget = MAX_UNPACKED - total;
        let mut counted = Counted {
            inner: part.take(budget + 1),
            bytes: 0,
        };
        if name.ends_with(".xml") || name.ends_with(".rels") {
            let shared = name == "xl/sharedstrings.xml";
            if let Err(e) = walk_xml(&mut counted, shared, &mut elements) {
                // Cut off at the unpacked cap mid-tag: the cap is the reason, not the XML.
                return Err(if counted.bytes > budget {
                    SheetError::Unpacked(mib(MAX_UNPACKED))
                } else {
                    e
                });
            }
        }
        std::io::copy(&mut counted, &mut std::io::sink()).map_err(|_| SheetError::Corrupt)?;
        total += counted.bytes;
        if total > MAX_UNPACKED {
            return Err(SheetError::Unpacked(mib(MAX_UNPACKED)));
        }
    }
    Ok(())
}

/// A reader that counts what passes through it.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads one XML part as calamine would: every element counted against [`MAX_ELEMENTS`] (so
/// the parse that follows is bounded in time), every run of text against [`MAX_TEXT_RUN`],
/// and in the shared-string table its entries against [`MAX_SHARED_STRINGS`]. Stops at the
/// first cap; the part's bytes are counted by the caller either way.
fn walk_xml<R: Read>(part: &mut R, shared: bool, elements: &mut u64) -> Result<(), SheetError> {
    let mut guard = RunGuard {
        inner: part,
        run: 0,
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(&mut guard));
    let mut buf = Vec::new();
    let mut strings = 0usize;
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                *elements += 1;
                if *elements > MAX_ELEMENTS {
                    return Err(SheetError::TooComplex(MAX_ELEMENTS));
                }
                if shared && e.local_name().as_ref() == "si" {
                    strings += 1;
                    if strings > MAX_SHARED_STRINGS {
                        return Err(SheetError::TooManyStrings(MAX_SHARED_STRINGS));
                    }
                }
            }
            Ok(Event::Text(t)) if t.len() > MAX_TEXT_RUN => {
                return Err(SheetError::TextRunTooLong(MAX_TEXT_RUN / 1024));
            }
            Ok(Event::CData(t)) if t.len() > MAX_TEXT_RUN => {
                return Err(SheetError::TextRunTooLong(MAX_TEXT_RUN / 1024));
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(_) if guard.run > MAX_TEXT_RUN => {
                return Err(SheetError::TextRunTooLong(MAX_TEXT_RUN / 1024));
            }
            Err(_) => return Err(SheetError::Corrupt),
        }
        buf.clear();
    }
}

/// Fails the read once more than [`MAX_TEXT_RUN`] bytes pass without a `<`, so the XML
/// reader's buffer never holds a longer run (a sheet of nothing but blanks, one huge string).
struct RunGuard<'a, R> {
    inner: &'a mut R,
    run: usize,
}

impl<R: Read> Read for RunGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'<' {
                self.run = 0;
            } else {
                self.run += 1;
            }
        }
        if self.run > MAX_TEXT_RUN {
            return Err(std::io::Error::other("text run over the cap"));
        }
        Ok(n)
    }
}

/// Reads every worksheet; call [`check_package`] first.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Table>, SheetError> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let names = wb.sheet_names();
    if names.is_empty() {
        return Err(SheetError::NoSheet);
    }
    let mut budget = Budget::default();
    let mut tables = Vec::new();
    for name in &names {
        let mut cells = match wb.worksheet_cells_reader(name) {
            Ok(r) => r,
            // A chart sheet or a dialog sheet holds no cells.
            Err(calamine::XlsxError::WorksheetNotFound(_)) => continue,
            Err(_) => return Err(SheetError::Corrupt),
        };
        let mut grid = Grid::new(name);
        while let Some(cell) = cells.next_cell().map_err(|_| SheetError::Corrupt)? {
            let (row, col) = cell.get_position();
            grid.push(
                &mut budget,
                row,
                col,
                crate::grid::cell_of(cell.get_value().clone().into()),
            )?;
        }
        tables.push(grid.into_table());
    }
    Ok(tables)
}

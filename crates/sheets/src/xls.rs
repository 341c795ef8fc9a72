//! Legacy `.xls` (BIFF). calamine parses every sheet of such a file when it opens it and lays each
//! one out densely, so the file's records are walked first: where the cells sit, how much text
//! the string table holds and how often each string is used, and what the sheets declare. Only a
//! file inside the caps reaches calamine.

use std::io::{Cursor, Read};

use calamine::{Reader, Xls};

use crate::grid::{Budget, Grid};
use crate::limits::{
    MAX_BYTES, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_TEXT, MAX_XLS_AREA, MAX_XLS_SHEETS,
    MAX_XLS_STRINGS, mib,
};
use crate::read::{SheetError, Table};

/// The workbook stream of a compound file, read with a cap.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, SheetError> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| cf.is_stream(n))
        .ok_or(SheetError::NotSpreadsheet)?;
    let stream = cf.open_stream(name).map_err(|_| SheetError::Corrupt)?;
    let mut data = Vec::new();
    stream
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|_| SheetError::Corrupt)?;
    if data.len() > MAX_BYTES {
        return Err(SheetError::TooLarge(
            data.len() / (1024 * 1024),
            MAX_BYTES / (1024 * 1024),
        ));
    }
    Ok(data)
}

fn u16_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 2)
        .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The rectangle a sheet's cells span.
#[derive(Default)]
struct Span {
    index: usize,
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
}

impl Span {
    fn add(&mut self, row: u32, col: u32) -> Result<(), SheetError> {
        if col >= MAX_COLUMNS {
            return Err(SheetError::TooWide {
                sheet: format!("第{}张工作表", self.index),
                row: u64::from(row) + 1,
                column: u64::from(col) + 1,
                max: MAX_COLUMNS,
            });
        }
        let widen = |s: Option<(u32, u32)>, v: u32| match s {
            None => (v, v),
            Some((a, b)) => (a.min(v), b.max(v)),
        };
        let rows = widen(self.rows, row);
        if rows.1 - rows.0 >= MAX_ROWS {
            return Err(SheetError::TooLong {
                sheet: format!("第{}张工作表", self.index),
                row: u64::from(row) + 1,
                max: MAX_ROWS,
            });
        }
        self.rows = Some(rows);
        self.cols = Some(widen(self.cols, col));
        self.area(1, 1)
    }

    /// Refuses a rectangle (the cells' own, or one declared) over [`MAX_XLS_AREA`].
    fn own(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => {
                (u64::from(r1 - r0) + 1).saturating_mul(u64::from(c1 - c0) + 1)
            }
            _ => 0,
        }
    }

    fn area(&self, rows: u64, cols: u64) -> Result<(), SheetError> {
        if self.own().max(rows.saturating_mul(cols)) > MAX_XLS_AREA {
            return Err(SheetError::AreaTooLarge {
                sheet: format!("第{}张工作表", self.index),
                max: MAX_XLS_AREA,
            });
        }
        Ok(())
    }
}

/// Walks the string table (SST and CONTINUE records) and returns each string's length in UTF-8
/// bytes at most (three per UTF-16 unit), as calamine will allocate it for every cell using it.
fn string_lengths(segments: &[&[u8]]) -> Vec<usize> {
    let mut lens = Vec::new();
    let mut seg = 0usize;
    let mut at = 8usize; // cstTotal and cstUnique
    // Skips n bytes across segment boundaries; false when the table ends.
    let skip = |seg: &mut usize, at: &mut usize, mut n: usize| -> bool {
        while n > 0 {
            let Some(s) = segments.get(*seg) else {
                return false;
            };
            let here = (s.len().saturating_sub(*at)).min(n);
            n -= here;
            *at += here;
            if n > 0 {
                *seg += 1;
                *at = 0;
            }
        }
        true
    };
    loop {
        if segments.get(seg).is_some_and(|s| at >= s.len()) {
            seg += 1;
            at = 0;
        }
        let Some(s) = segments.get(seg) else {
            return lens;
        };
        let (Some(cch), Some(&flags)) = (u16_at(s, at), s.get(at + 2)) else {
            return lens;
        };
        at += 3;
        let rich = flags & 0x08 != 0;
        let ext = flags & 0x04 != 0;
        let mut wide = flags & 0x01 != 0;
        let runs = if rich {
            let r = u16_at(s, at).unwrap_or(0) as usize;
            at += 2;
            r
        } else {
            0
        };
        let ext_len = if ext {
            let e = u32_at(s, at).unwrap_or(0) as usize;
            at += 4;
            e
        } else {
            0
        };
        lens.push(cch as usize * 3);
        // Characters: a CONTINUE inside them starts with a new option byte.
        let mut left = cch as usize;
        while left > 0 {
            let Some(s) = segments.get(seg) else {
                return lens;
            };
            let width = if wide { 2 } else { 1 };
            let fit = s.len().saturating_sub(at) / width;
            let n = fit.min(left);
            at += n * width;
            left -= n;
            if left > 0 {
                seg += 1;
                let Some(next) = segments.get(seg) else {
                    return lens;
                };
                wide = next.first().is_some_and(|f| f & 0x01 != 0);
                at = 1;
            }
        }
        if !skip(&mut seg, &mut at, runs * 4 + ext_len) {
            return lens;
        }
    }
}

/// The BIFF records of a stream: type and body.
fn records(data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let typ = u16_at(data, at)? as u16;
        let len = u16_at(data, at + 2)? as usize;
        let end = (at + 4 + len).min(data.len());
        let body = &data[at + 4..end];
        at = end;
        Some((typ, body))
    })
}

/// Running totals over all sheets, as calamine will hold them.
#[derive(Default)]
struct Totals {
    cells: usize,
    text: usize,
    area: u64,
}

impl Totals {
    fn add(&mut self, cells: usize, text: usize) -> Result<(), SheetError> {
        self.cells += cells;
        self.text += text;
        if self.cells > MAX_CELLS {
            return Err(SheetError::TooManyCells(MAX_CELLS));
        }
        if self.text > MAX_TEXT {
            return Err(SheetError::TooMuchText(mib(MAX_TEXT as u64)));
        }
        Ok(())
    }
}

/// Checks the records against the caps, reading them as calamine will: the globals up to their
/// EOF (the last string table wins), then each sheet from the position its BOUNDSHEET names
/// (two entries may name the same position; calamine then lays that sheet out twice).
pub(crate) fn check(bytes: &[u8]) -> Result<(), SheetError> {
    let data = workbook_stream(bytes)?;
    let mut sst: Vec<&[u8]> = Vec::new();
    let mut sst_bytes = 0usize;
    let mut in_sst = false;
    let mut positions = Vec::new();
    for (typ, body) in records(&data) {
        match typ {
            0x00FC => {
                sst = vec![body];
                in_sst = true;
            }
            0x003C if in_sst => sst.push(body),
            0x0085 => {
                positions.push(u32_at(body, 0).ok_or(SheetError::Corrupt)? as usize);
                if positions.len() > MAX_XLS_SHEETS {
                    return Err(SheetError::TooManySheets(MAX_XLS_SHEETS));
                }
            }
            0x000A => break,
            _ => {}
        }
        if typ != 0x00FC && typ != 0x003C {
            in_sst = false;
        }
        if matches!(typ, 0x00FC | 0x003C) {
            sst_bytes += body.len();
            if sst_bytes > MAX_XLS_STRINGS {
                return Err(SheetError::Unpacked(mib(MAX_XLS_STRINGS as u64)));
            }
        }
    }
    let strings = string_lengths(&sst);
    let mut totals = Totals::default();
    for (i, pos) in positions.into_iter().enumerate() {
        let sheet = data.get(pos..).ok_or(SheetError::Corrupt)?;
        check_sheet(sheet, i + 1, &strings, &mut totals)?;
    }
    Ok(())
}

fn check_sheet(
    sheet: &[u8],
    index: usize,
    strings: &[usize],
    totals: &mut Totals,
) -> Result<(), SheetError> {
    let mut cells = Span {
        index,
        ..Span::default()
    };
    let mut formulas = Span {
        index,
        ..Span::default()
    };
    let mut seen_bof = false;
    let mut depth = 0usize;
    for (typ, body) in records(sheet) {
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let pos = || Some((u16_at(body, 0)?, u16_at(body, 2)?));
        match typ {
            // BOF: the sheet's own, then those of charts inside it (skipped, as calamine does).
            0x0809 => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            0x000A => break,
            // DIMENSIONS, as calamine reads it: it reserves rows × columns.
            0x0200 => {
                let (r0, r1, c0, c1) = match body.len() {
                    10 => (
                        u16_at(body, 0),
                        u16_at(body, 2),
                        u16_at(body, 4),
                        u16_at(body, 6),
                    ),
                    14 | 16 => (
                        u32_at(body, 0),
                        u32_at(body, 4),
                        u16_at(body, 8),
                        u16_at(body, 10),
                    ),
                    _ => continue,
                };
                let (r0, r1, c0, c1) = (
                    r0.unwrap_or(0),
                    r1.unwrap_or(0),
                    c0.unwrap_or(0),
                    c1.unwrap_or(0),
                );
                let c0 = if c0 > 0xFF || c1 < c0 { 0 } else { c0 };
                cells.area(
                    u64::from(r1.saturating_sub(r0)) + 1,
                    u64::from(c1.saturating_sub(c0)) + 1,
                )?;
            }
            // NUMBER, LABEL, RSTRING, BOOLERR, RK
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E => {
                if let Some((r, c)) = pos() {
                    cells.add(r, c)?;
                    totals.add(1, body.len() * 3)?;
                }
            }
            // FORMULA: a value cell and a formula text.
            0x0006 => {
                if let Some((r, c)) = pos() {
                    cells.add(r, c)?;
                    formulas.add(r, c)?;
                    totals.add(2, body.len() * 8)?;
                }
            }
            // STRING: a formula's text value, inline.
            0x0207 => totals.add(0, body.len() * 3)?,
            // LABELSST: the shared string is copied into the cell.
            0x00FD => {
                if let Some((r, c)) = pos() {
                    cells.add(r, c)?;
                    let isst = u32_at(body, 6).unwrap_or(0) as usize;
                    totals.add(1, strings.get(isst).copied().unwrap_or(0))?;
                }
            }
            // MULRK: one row, columns first..=last.
            0x00BD => {
                let last = body.len().checked_sub(2).and_then(|at| u16_at(body, at));
                if let (Some((r, c)), Some(c1)) = (pos(), last) {
                    cells.add(r, c)?;
                    cells.add(r, c1)?;
                    totals.add(c1.saturating_sub(c) as usize + 1, 0)?;
                }
            }
            _ => {}
        }
    }
    totals.area += cells.own() + formulas.own();
    if totals.area > MAX_XLS_AREA {
        return Err(SheetError::AreaTooLarge {
            sheet: format!("第{index}张工作表"),
            max: MAX_XLS_AREA,
        });
    }
    Ok(())
}

/// Reads every sheet; call [`check`] first.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Table>, SheetError> {
    let mut wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let names = wb.sheet_names();
    if names.is_empty() {
        return Err(SheetError::NoSheet);
    }
    let mut budget = Budget::default();
    let mut tables = Vec::new();
    for name in &names {
        let range = match wb.worksheet_range(name) {
            Ok(r) => r,
            Err(_) => return Err(SheetError::Corrupt),
        };
        let mut grid = Grid::new(name);
        for (row, col, value) in range.used_cells() {
            let (r0, c0) = range.start().unwrap_or((0, 0));
            grid.push(
                &mut budget,
                r0 + row as u32,
                c0 + col as u32,
                crate::grid::cell_of(value.clone()),
            )?;
        }
        tables.push(grid.into_table());
    }
    Ok(tables)
}

//! Cells collected one at a time under the caps, then laid out as the rows the user sees.

use std::collections::HashMap;

use crate::limits::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_LAID_OUT, MAX_ROWS, MAX_TEXT, mib,
};
use crate::read::{Cell, Row, SheetError, Table};

/// Cells of one sheet; the text budget is shared by all sheets of a file.
pub(crate) struct Grid {
    sheet: String,
    /// How messages name the sheet: 工作表“Sheet1”, or nothing for a CSV file.
    label: String,
    cells: Vec<(u32, u32, Cell)>,
    /// Each row's width so far (its last cell with content, plus one).
    widths: HashMap<u32, u32>,
    first: u32,
    last: u32,
}

/// What the sheets of one file have used so far.
#[derive(Default)]
pub(crate) struct Budget {
    cells: usize,
    text: usize,
    laid_out: usize,
}

impl Grid {
    pub(crate) fn new(sheet: &str) -> Self {
        Grid {
            sheet: sheet.to_string(),
            label: if sheet == "CSV" {
                String::new()
            } else {
                format!("工作表“{sheet}”")
            },
            cells: Vec::new(),
            widths: HashMap::new(),
            first: u32::MAX,
            last: 0,
        }
    }

    /// Adds a cell at a 0-based position; empty cells are dropped.
    pub(crate) fn push(
        &mut self,
        budget: &mut Budget,
        row: u32,
        col: u32,
        cell: Cell,
    ) -> Result<(), SheetError> {
        if matches!(cell, Cell::Empty) {
            return Ok(());
        }
        if col >= MAX_COLUMNS {
            return Err(SheetError::TooWide {
                sheet: self.label.clone(),
                row: u64::from(row) + 1,
                column: u64::from(col) + 1,
                max: MAX_COLUMNS,
            });
        }
        let first = self.first.min(row);
        let last = self.last.max(row);
        if last - first >= MAX_ROWS {
            return Err(SheetError::TooLong {
                sheet: self.label.clone(),
                row: u64::from(row) + 1,
                max: MAX_ROWS,
            });
        }
        budget.cells += 1;
        if budget.cells > MAX_CELLS {
            return Err(SheetError::TooManyCells(MAX_CELLS));
        }
        let width = self.widths.entry(row).or_insert(0);
        if col + 1 > *width {
            budget.laid_out += (col + 1 - *width) as usize;
            *width = col + 1;
            if budget.laid_out > MAX_LAID_OUT {
                return Err(SheetError::TooManyCells(MAX_LAID_OUT));
            }
        }
        if let Cell::Text(s) | Cell::Date(s) | Cell::Error(s) = &cell {
            if s.len() > MAX_CELL_CHARS && s.chars().count() > MAX_CELL_CHARS {
                return Err(SheetError::CellTooLong {
                    sheet: self.label.clone(),
                    row: u64::from(row) + 1,
                    column: u64::from(col) + 1,
                    max: MAX_CELL_CHARS,
                });
            }
            budget.text += s.len();
            if budget.text > MAX_TEXT {
                return Err(SheetError::TooMuchText(mib(MAX_TEXT as u64)));
            }
        }
        self.first = first;
        self.last = last;
        self.cells.push((row, col, cell));
        Ok(())
    }

    /// Every row from the first with content to the last (blank ones included, as the user sees
    /// them), each as long as its last cell with content.
    pub(crate) fn into_table(mut self) -> Table {
        self.cells.sort_by_key(|&(r, c, _)| (r, c));
        let mut rows = Vec::new();
        if !self.cells.is_empty() {
            let mut cells = self.cells.into_iter().peekable();
            for r in self.first..=self.last {
                let mut row = Vec::new();
                while let Some((_, c, cell)) = cells.next_if(|(cr, _, _)| *cr == r) {
                    let c = c as usize;
                    if row.len() < c {
                        row.resize(c, Cell::Empty);
                    }
                    if row.len() == c {
                        row.push(cell);
                    }
                }
                rows.push(Row {
                    number: u64::from(r) + 1,
                    cells: row,
                });
            }
        }
        Table {
            sheet: self.sheet,
            rows,
        }
    }
}

/// A calamine value as a cell of ours (taking it, so text is not copied again).
pub(crate) fn cell_of(d: calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s),
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => Cell::Date(format!("{}", dt.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Date(s),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

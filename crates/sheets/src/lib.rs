//! Spreadsheet files: reading tables from .xlsx/.xls and .csv (UTF-8 with or without BOM,
//! GBK/GB18030, UTF-16 as Excel writes "Unicode text"), finding the roster's header under title
//! rows, and writing .xlsx.

#[doc(hidden)]
pub mod fuzzing;
mod grid;
pub mod limits;
pub mod major_hazards;
pub mod read;
pub mod roster;
pub mod scoring;
pub mod sign_in;
pub mod write;
mod xls;
mod xlsx;

pub use read::{Cell, SheetError, Table, read_table};
pub use roster::{Roster, RosterRow, read_roster};
pub use write::{GroupedTable, Sheet, XCell, write_grouped, write_sheets, write_table};

//! Caps on what an uploaded file may hold. A file over any of them is refused with a message that
//! names the cap; nothing is allocated in proportion to what a file merely declares.
//!
//! | cap | value | why |
//! |---|---|---|
//! | file size | 50 MiB | the upload limit of every form |
//! | unpacked `.xlsx` parts, in all | 256 MiB | a zip bomb stops here, counted while inflating |
//! | parts in one `.xlsx` | 2,000 | a workbook has a few dozen |
//! | shared strings (`.xlsx`) | 1,000,000 | calamine keeps the table in memory |
//! | string table of an `.xls` | 16 MiB | the same, for the legacy format |
//! | rows of one sheet, first to last with data | 200,000 | twice the 100,000-row import benchmark |
//! | columns | 256 | rosters have about 20, scoring sheets fewer; `.xls` stops at 256 |
//! | cells with content, in all | 4,000,000 | 200,000 rows × 20 columns |
//! | cells laid out (rows as wide as their last cell), in all | 4,000,000 | one cell at IV in every row would be 51,200,000 |
//! | characters in a cell | 32,767 | Excel's own limit |
//! | XML elements in an `.xlsx`, in all | 20,000,000 | each costs calamine about a microsecond; 256 MiB of `<c/>` is 64 million |
//! | one run of text in an `.xlsx` part | 256 KiB | a cell's 32,767 characters, escaped |
//! | text in cells, in all | 256 MiB | one long shared string repeated in every cell stops here |
//! | the rectangles of all `.xls` sheets | 4,000,000 cells | calamine lays `.xls` sheets out densely |
//! | sheets an `.xls` names | 256 | two names may point at one sheet, laid out twice |
//! | workbooks read at once | 2 | two cores; a third upload waits its turn |

/// The upload limit enforced by readers.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;
/// Bytes all parts of an `.xlsx` may unpack to, together.
pub const MAX_UNPACKED: u64 = 256 * 1024 * 1024;
/// Parts (zip entries) of an `.xlsx`.
pub const MAX_PARTS: usize = 2_000;
/// Entries of an `.xlsx` shared-string table.
pub const MAX_SHARED_STRINGS: usize = 1_000_000;
/// Bytes of an `.xls` string table (SST and its CONTINUE records).
pub const MAX_XLS_STRINGS: usize = 16 * 1024 * 1024;
/// Rows of one sheet from the first with content to the last.
pub const MAX_ROWS: u32 = 200_000;
/// Columns: a cell with content beyond this one is refused.
pub const MAX_COLUMNS: u32 = 256;
/// Cells with content in one file.
pub const MAX_CELLS: usize = 4_000_000;
/// Cells laid out (each row as wide as its last cell with content), in all sheets of a file.
pub const MAX_LAID_OUT: usize = 4_000_000;
/// Characters in one cell (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// XML elements in all parts of an `.xlsx`, counted before calamine parses any.
pub const MAX_ELEMENTS: u64 = 20_000_000;
/// Bytes of one run of text in an `.xlsx` part (a cell's 32,767 characters, escaped).
pub const MAX_TEXT_RUN: usize = 256 * 1024;
/// Bytes of text in all cells of one file.
pub const MAX_TEXT: usize = 256 * 1024 * 1024;
/// Cells in the rectangles the sheets of an `.xls` span, together (or one declares).
pub const MAX_XLS_AREA: u64 = 4_000_000;
/// Sheets an `.xls` names.
pub const MAX_XLS_SHEETS: usize = 256;
/// Workbooks parsed at the same time in one process.
pub const MAX_CONCURRENT_READS: usize = 2;

/// Megabytes, for messages.
pub(crate) fn mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

//! What the fuzz targets run on each input, kept here so the seed corpus is replayed by an
//! ordinary test (`tests/seeds.rs`) with exactly the fuzzers' checks.

use crate::limits::{MAX_CELLS, MAX_COLUMNS, MAX_ROWS};
use crate::read::read_tables;

/// Every reader on the same bytes: each answers a table or an error with a message, and what
/// it answers is inside the caps.
pub fn every_reader(data: &[u8]) {
    match read_tables(data) {
        Ok(tables) => {
            let mut cells = 0usize;
            for t in &tables {
                assert!(t.rows.len() <= MAX_ROWS as usize);
                for (r, w) in t.rows.iter().zip(t.rows.iter().skip(1)) {
                    assert!(r.number >= 1 && r.number < w.number);
                }
                for r in &t.rows {
                    assert!(r.cells.len() <= MAX_COLUMNS as usize);
                    cells += r.cells.iter().filter(|c| !c.is_blank()).count();
                }
            }
            assert!(cells <= MAX_CELLS);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    if let Err(e) = crate::roster::read_roster(data) {
        assert!(!e.to_string().is_empty());
    }
    if let Err(e) = crate::scoring::read_scoring_sheet(data) {
        assert!(!e.to_string().is_empty());
    }
    if let Err(e) = crate::major_hazards::read_major_hazard_list(data) {
        assert!(!e.to_string().is_empty());
    }
}

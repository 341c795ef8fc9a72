//! The fuzz targets' seed corpus (`fuzz/seeds/`), replayed through the fuzzers' own checks as an
//! ordinary test, so every run of the suite also runs what the fuzzers start from.

#[test]
fn the_seed_corpus_passes_the_fuzzers_checks() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    let mut replayed = 0;
    for target in ["roster", "workbook"] {
        let dir = root.join(target);
        for entry in std::fs::read_dir(&dir).expect("seed directory") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("seed");
            anbiao_sheets::fuzzing::every_reader(&bytes);
            replayed += 1;
        }
    }
    // The committed seeds: two for the roster target, six hostile files for the workbook one.
    assert!(replayed >= 8, "{replayed} seeds");
}

//! Golden files: the generator's whole output for small fixture specs, committed beside them
//! (`tests/golden/NAME.yaml` → `tests/golden/NAME.rs`), as typify and progenitor test theirs. A change
//! to the generator shows up here as a diff a reviewer can read.
//!
//! After an intended change: `UPDATE_GOLDEN=1 cargo test -p gcore-billing-codegen --test golden`.

use std::path::PathBuf;

use gcore_billing_codegen::{first_difference, generate};

#[test]
fn each_fixture_generates_its_golden_file() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(!fixtures.is_empty());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for spec in fixtures {
        let golden = spec.with_extension("rs");
        let fresh = generate(&spec).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        if update {
            std::fs::write(&golden, &fresh).expect("write golden file");
            continue;
        }
        let committed = std::fs::read_to_string(&golden).unwrap_or_default();
        if let Some(difference) = first_difference(&committed, &fresh) {
            panic!(
                "{} differs from what the generator writes now:\n{difference}\n\
                 (UPDATE_GOLDEN=1 cargo test -p gcore-billing-codegen --test golden, after checking)",
                golden.display()
            );
        }
    }
}

//! Golden files: the generator's whole output for small fixture specs, one per generator feature,
//! committed beside them (`tests/golden/NAME.yaml` → `tests/golden/NAME.rs`), as typify and
//! progenitor test theirs. A change to the generator shows up here as a diff a reviewer can read.
//! Each fixture's output is also compiled, as the library a dependent builds (clippy and rustdoc,
//! warnings denied): a golden file that would not compile fails here, not in a user's build.
//!
//! After an intended change: `UPDATE_GOLDEN=1 cargo test -p gcore-billing-codegen --test golden`.
//! `GOLDEN_NO_BUILD=1` compares the text only.

mod dependent;

use std::path::PathBuf;

use gcore_billing_codegen::{first_difference, generate, generate_files};

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    fixtures
}

#[test]
fn each_fixture_generates_its_golden_file() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 4, "one fixture per generator feature");
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

#[test]
fn each_fixture_compiles_as_the_library() {
    if std::env::var_os("GOLDEN_NO_BUILD").is_some() {
        return;
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("golden");
    for spec in fixtures() {
        let name = spec
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let files = generate_files(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        dependent::build_as_a_dependent(&tmp.join(&name), &files)
            .unwrap_or_else(|e| panic!("fixture {name}:\n{e}"));
    }
}

//! Regenerates the client from the spec (feature `codegen`, on by default), or copies the committed
//! `generated/` source when the feature is off, so that users who turn it off never compile progenitor.
//! Either way `OUT_DIR` gets the same files: `gcore_billing.rs`, which the crate includes, and the
//! files it includes in turn (types, builders, open types, mocks).

use std::path::{Path, PathBuf};

fn main() {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        fail("OUT_DIR is not set: run the build script through cargo");
    };
    let out_dir = PathBuf::from(out_dir);
    for (name, source) in sources_for_this_build() {
        let out = out_dir.join(&name);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", parent.display())));
        }
        // Write only on change, so an unchanged output keeps its timestamp.
        if std::fs::read_to_string(&out).ok().as_deref() != Some(source.as_str()) {
            std::fs::write(&out, source)
                .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", out.display())));
        }
    }
}

#[cfg(feature = "codegen")]
fn sources_for_this_build() -> Vec<(String, String)> {
    const SPEC: &str = "openapi/gcore-billing.yaml";
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=codegen/src");
    println!("cargo:rerun-if-changed=build.rs");
    gcore_billing_codegen::generate_files(Path::new(SPEC))
        .unwrap_or_else(|e| fail(&e.to_string()))
        .into_iter()
        .map(|file| (file.name, file.source))
        .collect()
}

#[cfg(not(feature = "codegen"))]
fn sources_for_this_build() -> Vec<(String, String)> {
    const COMMITTED: &str = "generated";
    println!("cargo:rerun-if-changed={COMMITTED}");
    println!("cargo:rerun-if-changed=build.rs");
    let mut files = Vec::new();
    read_committed(Path::new(COMMITTED), "", &mut files);
    files
}

/// Every `.rs` file under `dir` (one folder deep is all the generator writes), named by its path
/// relative to `generated/`.
#[cfg(not(feature = "codegen"))]
fn read_committed(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())))
            .path();
        let name = path
            .file_name()
            .map(|n| format!("{prefix}{}", n.to_string_lossy()))
            .unwrap_or_default();
        if path.is_dir() {
            read_committed(&path, &format!("{name}/"), files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
            files.push((name, source));
        }
    }
}

fn fail(message: &str) -> ! {
    // One clear line in the cargo output instead of a panic backtrace.
    println!("cargo:warning=gcore-billing: {message}");
    eprintln!("gcore-billing build script: {message}");
    std::process::exit(1);
}

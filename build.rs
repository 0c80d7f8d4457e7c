//! Tells the crate which copy of the generated client to compile: the committed `generated/`, or
//! (cfg `gcore_billing_fresh_output`) `OUT_DIR/generated/`. Its root file, `gcore_billing.rs`,
//! includes the rest.
//!
//! - Feature `codegen` (on by default): regenerates the client from the spec. When the output equals
//!   the committed `generated/` (the normal case), the crate compiles the committed files, so compiler
//!   errors and rust-analyzer point into `generated/`. When it differs (the spec was edited and
//!   `generated/` not refreshed yet), the fresh output is written to `OUT_DIR` and compiled from
//!   there, and a cargo warning names the command that refreshes `generated/`.
//! - Without it: the committed `generated/` is compiled as it is, and progenitor is never built.

use std::path::{Path, PathBuf};

/// The committed output, relative to the package root.
const COMMITTED: &str = "generated";

fn main() {
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        fail("CARGO_MANIFEST_DIR is not set: run the build script through cargo");
    };
    let committed = PathBuf::from(manifest_dir).join(COMMITTED);
    println!("cargo:rerun-if-changed={COMMITTED}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(gcore_billing_fresh_output)");
    // Only a flag leaves this script, never a path: cargo reuses a build script's output for a copy
    // of the package elsewhere (`cargo install` from a copy sharing target/), so an absolute path
    // could name a folder that is gone. src/lib.rs includes `CARGO_MANIFEST_DIR/generated/..` or
    // `OUT_DIR/generated/..`, both resolved where the crate is compiled.
    if compiles_fresh_output(&committed) {
        println!("cargo:rustc-cfg=gcore_billing_fresh_output");
    }
}

/// True when the crate must compile `OUT_DIR/generated` (written here) instead of the committed
/// `generated/`.
#[cfg(feature = "codegen")]
fn compiles_fresh_output(committed: &Path) -> bool {
    const SPEC: &str = "openapi/gcore-billing.yaml";
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=codegen/src");
    let fresh: Vec<(String, String)> = gcore_billing_codegen::generate_files(Path::new(SPEC))
        .unwrap_or_else(|e| fail(&e.to_string()))
        .into_iter()
        .map(|file| (file.name, file.source))
        .collect();
    if same_as_committed(committed, &fresh) {
        return false;
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        fail("OUT_DIR is not set: run the build script through cargo");
    };
    let out_dir = PathBuf::from(out_dir).join(COMMITTED);
    write_files(&out_dir, &fresh);
    println!(
        "cargo:warning=generated/ is older than {SPEC}; compiling fresh output from OUT_DIR. \
         Refresh the committed copy with `cargo run -p gcore-billing-codegen -- --write`"
    );
    true
}

#[cfg(not(feature = "codegen"))]
fn compiles_fresh_output(_committed: &Path) -> bool {
    false
}

/// True when `generated/` holds exactly these files (no more, no fewer) with exactly this text.
#[cfg(feature = "codegen")]
fn same_as_committed(committed: &Path, fresh: &[(String, String)]) -> bool {
    let mut on_disk = Vec::new();
    if !list_rust_files(committed, "", &mut on_disk) || on_disk.len() != fresh.len() {
        return false;
    }
    fresh.iter().all(|(name, source)| {
        std::fs::read_to_string(committed.join(name)).is_ok_and(|text| text == *source)
    })
}

/// Every `.rs` file under `dir`, by its path relative to `generated/`; false if a folder cannot be read.
#[cfg(feature = "codegen")]
fn list_rust_files(dir: &Path, prefix: &str, files: &mut Vec<String>) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let path = entry.path();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if path.is_dir() {
            if !list_rust_files(&path, &format!("{name}/"), files) {
                return false;
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(name);
        }
    }
    true
}

/// Writes each file under `dir`, only where its text changed (an unchanged file keeps its timestamp).
#[cfg(feature = "codegen")]
fn write_files(dir: &Path, files: &[(String, String)]) {
    for (name, source) in files {
        let out = dir.join(name);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", parent.display())));
        }
        if std::fs::read_to_string(&out).ok().as_deref() != Some(source.as_str()) {
            std::fs::write(&out, source)
                .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", out.display())));
        }
    }
}

fn fail(message: &str) -> ! {
    // One clear line in the cargo output instead of a panic backtrace.
    println!("cargo:warning=gcore-billing: {message}");
    eprintln!("gcore-billing build script: {message}");
    std::process::exit(1);
}

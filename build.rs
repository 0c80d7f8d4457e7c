//! Tells the crate which copy of each generated file to compile: the committed one under
//! `generated/`, or a fresh one under `OUT_DIR/generated/` (cfg `gcore_billing_fresh = "<file>"`,
//! one per stale file). The generated files include each other through those cfgs (see
//! `include_items` in codegen/src/lib.rs); src/lib.rs includes the root, `gcore_billing.rs`.
//!
//! - Feature `codegen` (on by default): regenerates the client from the spec. When the output equals
//!   the committed `generated/` (the normal case), the crate compiles the committed files, so compiler
//!   errors and rust-analyzer point into `generated/`. When files differ (the spec was edited and
//!   `generated/` not refreshed yet), those files alone are written to `OUT_DIR` and compiled from
//!   there; every other file is still compiled from `generated/`, so rustc's incremental cache
//!   holds for it. A cargo warning names the stale files and the command that refreshes them.
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
    println!("cargo::rustc-check-cfg=cfg(gcore_billing_fresh, values(any()))");
    // Only file names leave this script, never a path: cargo reuses a build script's output for a
    // copy of the package elsewhere (`cargo install` from a copy sharing target/), so an absolute
    // path could name a folder that is gone. The generated files include
    // `CARGO_MANIFEST_DIR/generated/..` or `OUT_DIR/generated/..`, both resolved where the crate is
    // compiled.
    for name in stale_files(&committed) {
        println!("cargo:rustc-cfg=gcore_billing_fresh=\"{name}\"");
    }
}

/// The generated files whose committed copy differs from the generator's output (written fresh to
/// `OUT_DIR/generated/`), by name.
#[cfg(feature = "codegen")]
fn stale_files(committed: &Path) -> Vec<String> {
    const SPEC: &str = "openapi/gcore-billing.yaml";
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=codegen/src");
    let files = gcore_billing_codegen::generate_files(Path::new(SPEC))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let stale: Vec<gcore_billing_codegen::GeneratedFile> = files
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(committed.join(&file.name))
                .ok()
                .as_deref()
                != Some(file.source.as_str())
        })
        .collect();
    if stale.is_empty() {
        return Vec::new();
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        fail("OUT_DIR is not set: run the build script through cargo");
    };
    write_files(&PathBuf::from(out_dir).join(COMMITTED), &stale);
    let names: Vec<String> = stale.into_iter().map(|file| file.name).collect();
    let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    let more = match names.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    println!(
        "cargo:warning=generated/ is older than {SPEC}; compiling {} fresh file(s) from OUT_DIR \
         ({shown}{more}). Refresh the committed copy with `cargo run -p gcore-billing-codegen -- --write`",
        names.len(),
    );
    names
}

#[cfg(not(feature = "codegen"))]
fn stale_files(_committed: &Path) -> Vec<String> {
    Vec::new()
}

/// Writes each file under `dir`, only where its text changed (an unchanged file keeps its timestamp).
#[cfg(feature = "codegen")]
fn write_files(dir: &Path, files: &[gcore_billing_codegen::GeneratedFile]) {
    for gcore_billing_codegen::GeneratedFile { name, source } in files {
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

//! Regenerates the client from the spec (feature `codegen`, on by default), or copies the committed
//! `generated/` source when the feature is off, so that users who turn it off never compile progenitor.

use std::path::{Path, PathBuf};

const OUTPUT: &str = "gcore_billing.rs";

fn main() {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        fail("OUT_DIR is not set: run the build script through cargo");
    };
    let out = PathBuf::from(out_dir).join(OUTPUT);
    let source = source_for_this_build();
    // Write only on change, so an unchanged output keeps its timestamp.
    if std::fs::read_to_string(&out).ok().as_deref() != Some(source.as_str()) {
        std::fs::write(&out, source)
            .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", out.display())));
    }
}

#[cfg(feature = "codegen")]
fn source_for_this_build() -> String {
    const SPEC: &str = "openapi/gcore-billing.yaml";
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=codegen/src");
    println!("cargo:rerun-if-changed=build.rs");
    gcore_billing_codegen::generate(Path::new(SPEC)).unwrap_or_else(|e| fail(&e.to_string()))
}

#[cfg(not(feature = "codegen"))]
fn source_for_this_build() -> String {
    const COMMITTED: &str = "generated/gcore_billing.rs";
    println!("cargo:rerun-if-changed={COMMITTED}");
    println!("cargo:rerun-if-changed=build.rs");
    std::fs::read_to_string(Path::new(COMMITTED))
        .unwrap_or_else(|e| fail(&format!("cannot read {COMMITTED}: {e}")))
}

fn fail(message: &str) -> ! {
    // One clear line in the cargo output instead of a panic backtrace.
    println!("cargo:warning=gcore-billing: {message}");
    eprintln!("gcore-billing build script: {message}");
    std::process::exit(1);
}

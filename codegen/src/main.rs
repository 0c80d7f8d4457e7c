//! `cargo run -p gcore-billing-codegen -- [--write | --check]`
//!
//! Regenerates the client from `openapi/gcore-billing.yaml` and writes it to `generated/` (`--write`),
//! or fails with a diff summary when `generated/` is stale (`--check`, the default).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = root.join("openapi/gcore-billing.yaml");
    let target = root.join("generated/gcore_billing.rs");
    let write = match std::env::args().nth(1).as_deref() {
        Some("--write") => true,
        Some("--check") | None => false,
        Some(other) => {
            eprintln!("unknown argument {other}; use --write or --check");
            return ExitCode::from(2);
        }
    };
    let source = match gcore_billing_codegen::generate(&spec) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if write {
        if let Err(e) = std::fs::write(&target, &source) {
            eprintln!("error: cannot write {}: {e}", target.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", target.display());
        return ExitCode::SUCCESS;
    }
    let committed = std::fs::read_to_string(&target).unwrap_or_default();
    match gcore_billing_codegen::first_difference(&committed, &source) {
        None => {
            eprintln!("{} is fresh", target.display());
            ExitCode::SUCCESS
        }
        Some(diff) => {
            eprintln!(
                "{} is stale:\n{diff}\nrun `cargo run -p gcore-billing-codegen -- --write`",
                target.display()
            );
            ExitCode::FAILURE
        }
    }
}

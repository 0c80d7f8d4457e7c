//! The library built as a crate that depends on it builds it: the package alone in a scratch
//! workspace of its own, its `generated/` replaced by the files under test, checked by clippy
//! (without features, then with `mock`) and rustdoc, warnings denied. Used by the spec-edit
//! corpus and the golden fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The library package alone, its `generated/` replaced by `files`, in a workspace of its own (so
/// only its own features are on), checked by clippy and rustdoc with warnings denied.
pub fn build_as_a_dependent(
    dir: &Path,
    files: &[gcore_billing_codegen::GeneratedFile],
) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf();
    let _ = std::fs::remove_dir_all(dir);
    copy_dir(&root.join("src"), &dir.join("src"));
    for file in ["build.rs", "README.md", "Cargo.lock"] {
        std::fs::copy(root.join(file), dir.join(file)).expect("copy");
    }
    for file in files {
        let path = dir.join("generated").join(&file.name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, &file.source).expect("write generated file");
    }
    std::fs::write(dir.join("Cargo.toml"), dependent_manifest(&root)).expect("manifest");
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-edits-target");
    let run = |args: &[&str], rustdocflags: bool| -> Result<(), String> {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS");
        if rustdocflags {
            command.env("RUSTDOCFLAGS", "-D warnings");
        }
        let output = command
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "cargo {} failed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    };
    // Without features first: `mock` brings httpmock, which turns on serde's `derive`, and generated
    // code must not lean on it.
    run(&["clippy", "--lib", "--", "-D", "warnings"], false)?;
    run(
        &[
            "clippy",
            "--lib",
            "--features",
            "mock",
            "--",
            "-D",
            "warnings",
        ],
        false,
    )?;
    run(&["doc", "--no-deps", "--lib", "--features", "mock"], true)
}

/// The real manifest's `[dependencies]`, under a package of the same name with the `mock` feature,
/// no build-time generator (the generated files are written beside it) and no workspace around it.
fn dependent_manifest(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let start = manifest.find("\n[dependencies]\n").expect("[dependencies]");
    let rest = &manifest[start + 1..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 2);
    let dependencies = &rest[..end];
    // The `mock` feature as the real manifest declares it.
    let mock = manifest
        .lines()
        .find(|line| line.starts_with("mock = "))
        .expect("a mock feature");
    format!(
        "[package]\nname = \"gcore-billing\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
         build = \"build.rs\"\n\n[features]\ncodegen = []\n{mock}\n\n\
         {dependencies}\n[workspace]\n"
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

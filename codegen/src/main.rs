//! `cargo run -p gcore-billing-codegen -- [--write | --check]`
//!
//! Regenerates the client from `openapi/gcore-billing.yaml` and writes it to `generated/` (`--write`),
//! or fails with a diff summary when `generated/` is stale (`--check`, the default).
//!
//! `cargo run -p gcore-billing-codegen -- review --base OLD [--head NEW] [--no-rust-api] [--accept-major-bump]`
//!
//! Prints a Markdown review of what changes from spec OLD to spec NEW (each a file, or `git:REF` for
//! the spec at a git revision; NEW defaults to the working tree). Exit 1 when a change breaks
//! deployed clients, 0 when none does, 2 on usage or parse errors. With `--accept-major-bump`,
//! breaking changes exit 0 when `info.version`'s major number went up (the CI gate).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use gcore_billing_codegen::review;

/// The spec, relative to the repository root.
const SPEC: &str = "openapi/gcore-billing.yaml";

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("review") => review_command(&root, &args[1..]),
        Some("--write") => regenerate(&root, true),
        Some("--check") | None => regenerate(&root, false),
        Some(other) => {
            eprintln!("unknown argument {other}; use --write, --check or review");
            ExitCode::from(2)
        }
    }
}

fn regenerate(root: &Path, write: bool) -> ExitCode {
    let spec = root.join(SPEC);
    let dir = root.join("generated");
    let files = match gcore_billing_codegen::generate_files(&spec) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = false;
    for file in &files {
        let target = dir.join(&file.name);
        if write {
            if let Some(parent) = target.parent()
                && let Err(e) = std::fs::create_dir_all(parent)
            {
                eprintln!("error: cannot create {}: {e}", parent.display());
                return ExitCode::FAILURE;
            }
            if let Err(e) = std::fs::write(&target, &file.source) {
                eprintln!("error: cannot write {}: {e}", target.display());
                return ExitCode::FAILURE;
            }
            eprintln!("wrote {}", target.display());
            continue;
        }
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        if let Some(diff) = gcore_billing_codegen::first_difference(&committed, &file.source) {
            eprintln!("{} is stale:\n{diff}", target.display());
            stale = true;
        }
    }
    // A file the generator no longer writes (a schema removed from the spec) would be dead weight
    // in the package: --write removes it, --check fails on it.
    let known: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let extra: Vec<String> = [
        "",
        gcore_billing_codegen::TYPES_DIR,
        gcore_billing_codegen::BUILDERS_DIR,
    ]
    .iter()
    .flat_map(|sub| rust_files_in(&dir, sub))
    .filter(|name| !known.contains(&name.as_str()))
    .collect();
    for name in &extra {
        if write {
            match std::fs::remove_file(dir.join(name)) {
                Ok(()) => eprintln!("removed generated/{name}: the generator no longer writes it"),
                Err(e) => {
                    eprintln!("error: cannot remove generated/{name}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            eprintln!("generated/{name} is not written by the generator: remove it");
        }
    }
    if write {
        return ExitCode::SUCCESS;
    }
    if stale || !extra.is_empty() {
        eprintln!("run `cargo run -p gcore-billing-codegen -- --write`");
        return ExitCode::FAILURE;
    }
    eprintln!("{} is fresh ({} files)", dir.display(), files.len());
    ExitCode::SUCCESS
}

/// The `.rs` files of `generated/<sub>`, named by their path under `generated/`.
fn rust_files_in(dir: &Path, sub: &str) -> Vec<String> {
    let prefix = if sub.is_empty() {
        String::new()
    } else {
        format!("{sub}/")
    };
    std::fs::read_dir(dir.join(sub))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| format!("{prefix}{}", e.file_name().to_string_lossy()))
                .filter(|name| name.ends_with(".rs"))
                .collect()
        })
        .unwrap_or_default()
}

struct ReviewArgs {
    base: String,
    head: Option<String>,
    rust_api: bool,
    accept_major_bump: bool,
}

fn parse_review_args(args: &[String]) -> Result<ReviewArgs, String> {
    let mut parsed = ReviewArgs {
        base: String::new(),
        head: None,
        rust_api: true,
        accept_major_bump: false,
    };
    let mut base = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--base" => base = Some(rest.next().ok_or("--base needs a value")?.clone()),
            "--head" => parsed.head = Some(rest.next().ok_or("--head needs a value")?.clone()),
            "--no-rust-api" => parsed.rust_api = false,
            "--accept-major-bump" => parsed.accept_major_bump = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    parsed.base = base.ok_or("--base is required (a spec file, or git:REF)")?;
    Ok(parsed)
}

/// The spec text behind a `--base`/`--head` value: a file, or `git:REF` (the spec at that revision).
fn read_spec(root: &Path, source: &str) -> Result<String, String> {
    if let Some(reference) = source.strip_prefix("git:") {
        // A ref that starts with `-` would be read by git as an option (`--output=FILE` writes a file).
        if reference.is_empty() || reference.starts_with('-') {
            return Err(format!(
                "{source}: a git revision cannot be empty or start with '-'"
            ));
        }
        let output = Command::new("git")
            .arg("-C")
            .arg(root)
            .arg("show")
            .arg("--end-of-options")
            .arg(format!("{reference}:{SPEC}"))
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "git show {reference}:{SPEC} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        return String::from_utf8(output.stdout).map_err(|_| format!("{source}: not UTF-8"));
    }
    std::fs::read_to_string(source).map_err(|e| format!("cannot read {source}: {e}"))
}

fn review_command(root: &Path, args: &[String]) -> ExitCode {
    let usage = "usage: review --base OLD [--head NEW] [--no-rust-api] [--accept-major-bump] \
                 (OLD and NEW: a spec file or git:REF; NEW defaults to the working tree)";
    let args = match parse_review_args(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}\n{usage}");
            return ExitCode::from(2);
        }
    };
    let working_tree = root.join(SPEC).display().to_string();
    let head_source = args.head.clone().unwrap_or(working_tree);
    let load = |source: &str| {
        let text = read_spec(root, source)?;
        let spec = gcore_billing_codegen::parse_spec(&text, source).map_err(|e| e.to_string())?;
        // A dangling reference would make the review compare nothing where it points.
        gcore_billing_codegen::check_references(&spec).map_err(|e| format!("{source}: {e}"))?;
        Ok::<_, String>(spec)
    };
    let (base, head) = match (load(&args.base), load(&head_source)) {
        (Ok(base), Ok(head)) => (base, head),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut report = review::review_specs(&base, &head);
    report.base_label = args.base.clone();
    report.head_label = args.head.clone().unwrap_or_else(|| "working tree".into());
    if args.rust_api {
        let sources = gcore_billing_codegen::generate_from_spec(&base)
            .and_then(|old| Ok((old, gcore_billing_codegen::generate_from_spec(&head)?)));
        match sources.and_then(|(old, new)| review::rust_api_changes(&old, &new)) {
            Ok(changes) => report.rust_api = Some(changes),
            Err(e) => {
                eprintln!("error: cannot generate the client to compare its Rust API: {e}");
                return ExitCode::from(2);
            }
        }
    }
    print!("{}", report.to_markdown());
    if report.is_breaking() && args.accept_major_bump && report.major_version_went_up() {
        eprintln!("breaking changes, accepted: info.version's major number went up");
        return ExitCode::SUCCESS;
    }
    ExitCode::from(report.exit_code())
}

//! `generated/` must be exactly what the generator makes from the spec today, file by file, so that
//! a pull request that edits the spec also shows the code it changes.

#[test]
fn generated_source_is_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = gcore_billing_codegen::generate_files(&root.join("openapi/gcore-billing.yaml"))
        .expect("the spec generates");
    assert_eq!(files[0].name, gcore_billing_codegen::ROOT_FILE);
    for file in files {
        let target = root.join("generated").join(&file.name);
        if std::env::var_os("GCORE_BILLING_BLESS").is_some() {
            // A new schema's file may be the first in its folder.
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, &file.source).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        if let Some(diff) = gcore_billing_codegen::first_difference(&committed, &file.source) {
            panic!(
                "generated/{} is stale.\n{diff}\n\nRefresh it with `cargo run -p gcore-billing-codegen -- --write` \
                 (or GCORE_BILLING_BLESS=1 cargo test --test generated_fresh) and commit it with the spec change.",
                file.name
            );
        }
    }
}

/// Every generated file but the root is included exactly once, through the pair of `include!`s
/// that build.rs's cfg chooses between (the committed copy, or a fresh one while it is stale), and
/// both name the file itself: a file included under another file's cfg would be compiled stale.
#[test]
fn each_file_is_included_once_under_its_own_stale_cfg() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = gcore_billing_codegen::generate_files(&root.join("openapi/gcore-billing.yaml"))
        .expect("the spec generates");
    // Compared without whitespace: prettyplease wraps the long ones.
    let all: String = files
        .iter()
        .flat_map(|f| f.source.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    for file in &files[1..] {
        let name = &file.name;
        let committed = format!(
            "#[cfg(not(gcore_billing_fresh=\"{name}\"))]include!(concat!(env!(\"CARGO_MANIFEST_DIR\"),\"/generated/{name}\"));"
        );
        assert_eq!(
            all.matches(&committed).count(),
            1,
            "{name}: committed include"
        );
        let fresh = format!(
            "#[cfg(gcore_billing_fresh=\"{name}\")]include!(concat!(env!(\"OUT_DIR\"),\"/generated/{name}\"));"
        );
        assert_eq!(all.matches(&fresh).count(), 1, "{name}: fresh include");
        let committed_path = format!("\"/generated/{name}\"");
        assert_eq!(
            all.matches(&committed_path).count(),
            2,
            "{name}: both paths"
        );
    }
    assert_eq!(all.matches("include!").count(), 2 * (files.len() - 1));
}

//! Turns `openapi/gcore-billing.yaml` into the Rust source of the gcore-billing client.
//!
//! The pipeline is [`generate`]: [`load_spec`] → [`check_spec`] → the spec lowered to one shape
//! (`lower.rs`: inline bodies become components, operations get the shared error answer) →
//! [`SpecModel::from_spec`] → defaults moved into docs (`defaults.rs`, so they are never sent),
//! UUIDs as text and prose made rustdoc-safe (`rustdoc.rs`) → [`generate_client`] (progenitor for
//! the client; the `types` module written by `typedefs.rs` from a model of the types, which takes
//! names and Rust types from typify's type details and the rest from the schemas: definitions,
//! `extra_fields` on answer types, serde impls as plain code from `serde_code.rs`, builders for
//! request types) and [`generate_mocks`] (typed httpmock helpers written from the operations by
//! `mocks.rs`) → the project's extras (open enums, open unions with their common rows, CSV methods,
//! pager glue, the operation table; `extras.rs`, `api.rs`) → one syn file, pretty-printed by
//! prettyplease. [`generate_files`] splits that file by kind for
//! `generated/`, the types one file per spec schema.

mod api;
mod check;
mod defaults;
pub mod extensions;
mod extras;
mod lower;
mod mocks;
mod model;
pub mod review;
mod rustdoc;
mod samples;
mod serde_code;
mod tidy;
mod typedefs;

use std::fmt;
use std::path::Path;

use openapiv3::OpenAPI;
use proc_macro2::TokenStream;

pub use check::{check_references, check_spec};
pub use model::SpecModel;

/// Where `src/lib.rs` mounts the generated file; open types are referred to by this path.
pub const MOUNT: &str = "crate::generated";

/// Everything that can go wrong while generating, each naming what it is about.
#[derive(Debug)]
pub enum CodegenError {
    /// The spec file could not be read.
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The spec is not valid YAML or not an OpenAPI 3.0 document.
    Parse { path: String, message: String },
    /// The spec uses a shape that the generator cannot handle (or that progenitor would panic on).
    Unsupported { location: String, message: String },
    /// progenitor refused the spec.
    Progenitor(String),
    /// The generated tokens are not valid Rust (a bug in the generator).
    Syntax(String),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read spec {path}: {source}"),
            Self::Parse { path, message } => write!(
                f,
                "spec {path} is not a valid OpenAPI 3.0 document: {message}"
            ),
            Self::Unsupported { location, message } => write!(f, "{location}: {message}"),
            Self::Progenitor(message) => write!(f, "progenitor failed: {message}"),
            Self::Syntax(message) => write!(
                f,
                "generated code does not parse (generator bug): {message}"
            ),
        }
    }
}

impl std::error::Error for CodegenError {}

/// Spec path in, formatted Rust source out.
pub fn generate(spec_path: &Path) -> Result<String, CodegenError> {
    generate_from_spec(&load_spec(spec_path)?)
}

/// A parsed spec in, formatted Rust source out (one text; [`generate_files`] splits it by kind).
pub fn generate_from_spec(spec: &OpenAPI) -> Result<String, CodegenError> {
    let file = generate_syntax(spec)?;
    Ok(format!("{HEADER}{}", prettyplease::unparse(&file)))
}

/// The pipeline: check the spec, model what progenitor does not know, generate the client and mocks
/// from a copy whose defaults are documented instead of sent, add our code, join them.
fn generate_syntax(spec: &OpenAPI) -> Result<syn::File, CodegenError> {
    check_spec(spec)?;
    // Inline request and answer schemas become named components, so every later step reads `$ref`s;
    // an operation without an error answer gets the shared one (lower.rs).
    let spec = &lower::inline_bodies_to_components(spec)?;
    let spec = &lower::shared_error_responses(spec)?;
    // The model's and progenitor's texts become doc comments, so they are made rustdoc-safe
    // (rustdoc.rs); the operation table (api.rs) keeps the spec's own text for the CLI's help.
    let model = SpecModel::from_spec(&rustdoc::descriptions_for_rustdoc(spec)?)?;
    // Defaults are documented and left to the server, never filled in and sent (defaults.rs); UUIDs
    // are text and `format: decimal` numbers rust_decimal::Decimal (lower.rs).
    let wire = lower::uuids_as_text(&defaults::defaults_into_docs(spec))?;
    let wire = lower::decimals_as_rust_decimal(&wire)?;
    let wire = rustdoc::descriptions_for_rustdoc(&wire)?;
    let (client, fields) = generate_client(&wire, &model)?;
    check_decimals_took(&wire, &client)?;
    let mocks = generate_mocks(&wire, &model)?;
    let extras = extras::generate_extras(spec, &model, &fields)?;
    assemble(client, quote::quote! { #extras #mocks }, &model)
}

/// Reads and parses the spec (serde_yaml → openapiv3).
pub fn load_spec(path: &Path) -> Result<OpenAPI, CodegenError> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CodegenError::Read {
        path: display.clone(),
        source,
    })?;
    parse_spec(&text, &display)
}

/// How deep `{...}`/`[...]` collections may nest in a spec's text. serde_yaml refuses more than
/// 128 levels anyway, but only after reading every event of the document, which takes seconds for
/// a few thousand levels; the real spec nests fewer than 20.
pub const MAX_SPEC_NESTING: usize = 100;

/// Parses spec text; `label` names it in errors. Text whose flow collections nest deeper than
/// [`MAX_SPEC_NESTING`] is refused before it is parsed.
pub fn parse_spec(text: &str, label: &str) -> Result<OpenAPI, CodegenError> {
    if let Some(line) = line_nested_too_deep(text, MAX_SPEC_NESTING) {
        return Err(CodegenError::Parse {
            path: label.to_string(),
            message: format!(
                "line {line} nests {{...}} or [...] more than {MAX_SPEC_NESTING} levels deep"
            ),
        });
    }
    serde_yaml::from_str(text).map_err(|e| CodegenError::Parse {
        path: label.to_string(),
        message: e.to_string(),
    })
}

/// The line (from 1) where `{` and `[` outside quoted strings and comments first nest deeper than
/// `limit`, if they do. A quote opens a string only where a scalar can start (after a space,
/// `[`, `{`, `,` or `:`), so the apostrophe in `don't` is text; brackets in block scalars are
/// counted too, which can only over-count by what is left unclosed there.
fn line_nested_too_deep(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1;
    let mut previous = ' ';
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let starts_scalar = matches!(previous, ' ' | '\t' | '\n' | '[' | '{' | ',' | ':');
        match c {
            '\n' => line += 1,
            '{' | '[' => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            '#' if matches!(previous, ' ' | '\t' | '\n') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
                previous = '\n';
                continue;
            }
            '"' if starts_scalar => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\n' => line += 1,
                        '\\' if !escaped => {
                            escaped = true;
                            continue;
                        }
                        '"' if !escaped => break,
                        _ => {}
                    }
                    escaped = false;
                }
            }
            '\'' if starts_scalar => {
                for c in chars.by_ref() {
                    match c {
                        '\n' => line += 1,
                        '\'' => break,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        previous = c;
    }
    None
}

fn progenitor_settings(model: &SpecModel) -> progenitor::GenerationSettings {
    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote::quote! { crate::rt::Hooks })
        .with_derive("PartialEq")
        .with_crate(lower::DECIMAL_CRATE, progenitor::CrateVers::Any, None);
    for name in model.open_type_names() {
        settings.with_replacement(
            name,
            format!("{MOUNT}::open::{name}"),
            model.open_type_impls(name).into_iter(),
        );
    }
    settings
}

/// progenitor panics (todo!/assert!) on some shapes; check_spec rejects the ones we know first, and
/// this turns any other panic into an error instead of a build-script crash.
fn run_progenitor<T>(
    step: impl FnOnce() -> Result<T, progenitor::Error>,
) -> Result<T, CodegenError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(CodegenError::Progenitor(e.to_string())),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(CodegenError::Progenitor(format!("panicked: {message}")))
        }
    }
}

/// The typed httpmock helpers (`MockServerExt`, mocks.rs) and the sample rows (samples.rs),
/// compiled only with the `mock` feature.
pub fn generate_mocks(spec: &OpenAPI, model: &SpecModel) -> Result<TokenStream, CodegenError> {
    let mocks = mocks::emit_mocks(&mocks::read_mock_operations(spec, model)?);
    let samples = samples::generate_samples(spec, model);
    Ok(quote::quote! {
        /// Typed [httpmock](https://docs.rs/httpmock) helpers, one per operation, and sample rows
        /// (feature `mock`).
        #[cfg(feature = "mock")]
        pub mod mock {
            #mocks
            #samples
        }
    })
}

/// Runs progenitor (builder interface, our hooks, open types swapped in for the closed ones it would
/// make), puts the `types` module written from the type model in place of typify's, and makes the
/// client's goal-checked rewrites. Returns the client and the fields of its structs, as their
/// serde impls read them.
pub fn generate_client(
    spec: &OpenAPI,
    model: &SpecModel,
) -> Result<(syn::File, typedefs::StructFields), CodegenError> {
    let mut generator = progenitor::Generator::new(&progenitor_settings(model));
    let tokens = run_progenitor(|| generator.generate_tokens(spec))?;
    // Builders only for what requests are made of: a type named after a schema that a request
    // uses (typify names a schema's inline parts after it).
    let request_types = model::schemas_reachable_from_requests(spec);
    let is_request = |name: &str| model::is_request_type(&request_types, name);
    let types = typedefs::read_type_model(generator.get_type_space(), spec, &is_request)?;
    // typify's items are never read, so they are emptied out before syn parses the rest (they are
    // most of progenitor's output, builders of every answer type among them).
    let tokens = typedefs::empty_types_module(tokens);
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    typedefs::replace_types_module(&mut file, typedefs::emit_types_module(&types))?;
    let fields = types.struct_fields();
    tidy::use_own_runtime(&mut file);
    tidy::drop_unwrapping_constructor(&mut file);
    tidy::drop_api_version_header(&mut file);
    tidy::drop_clippy_all_allows(&mut file);
    tidy::use_field_init_shorthand(&mut file);
    check_rewrites_took(&file)?;
    Ok((file, fields))
}

/// `format: decimal` numbers must come out of typify as `rust_decimal::Decimal` (lower.rs asks for
/// it with `x-rust-type`): if typify ignored the request, they would silently be `f64` and lose
/// digits, so that ends the generation instead.
fn check_decimals_took(wire: &OpenAPI, client: &syn::File) -> Result<(), CodegenError> {
    let marked = serde_json::to_string(wire)
        .map(|text| text.matches("\"x-rust-type\"").count())
        .unwrap_or(0);
    let decimal_fields = quote::ToTokens::to_token_stream(client)
        .to_string()
        .matches("rust_decimal :: Decimal")
        .count();
    if marked > 0 && decimal_fields == 0 {
        return Err(CodegenError::Unsupported {
            location: "step decimals_as_rust_decimal".into(),
            message: format!(
                "{marked} `format: decimal` schemas were marked with x-rust-type, but typify made \
                 none of them rust_decimal::Decimal (they would be f64)"
            ),
        });
    }
    Ok(())
}

/// The rewrites of progenitor's output match its shapes; after a progenitor upgrade a shape may be
/// gone and a rewrite match nothing. Instead of trusting each one, this checks what they are for,
/// and names the step whose goal is not met: no path into `progenitor_client` (`use_own_runtime`),
/// no `regress` (typify's pattern engine, gone with its types module: `replace_types_module`), no
/// `api-version` header (`drop_api_version_header`), no `Client::new` that unwraps
/// (`drop_unwrapping_constructor`), no `#[allow(clippy::all)]` on a module
/// (`drop_clippy_all_allows`).
fn check_rewrites_took(file: &syn::File) -> Result<(), CodegenError> {
    let failed = |step: &str, what: &str| {
        Err(CodegenError::Unsupported {
            location: format!("rewrite step {step}"),
            message: format!(
                "{what} is still in progenitor's output: the step no longer matches what \
                 progenitor writes (after an upgrade?); fix the step in codegen/src/tidy.rs"
            ),
        })
    };
    let mut found = Leftovers::default();
    found.visit(quote::ToTokens::into_token_stream(file.clone()));
    if found.progenitor_client {
        return failed("use_own_runtime", "a path into progenitor_client");
    }
    if found.regress {
        return failed("replace_types_module", "a path into regress");
    }
    if found.api_version {
        return failed("drop_api_version_header", "the api-version header");
    }
    let unwrapping_new = file.items.iter().any(|item| {
        matches!(item, syn::Item::Impl(block)
            if block.trait_.is_none()
                && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"))
                && block.items.iter().any(|f| matches!(f, syn::ImplItem::Fn(f) if f.sig.ident == "new")))
    });
    if unwrapping_new {
        return failed("drop_unwrapping_constructor", "Client::new");
    }
    let blanket_allow = file.items.iter().any(|item| {
        matches!(item, syn::Item::Mod(module) if module.attrs.iter().any(tidy::is_clippy_all_allow))
    });
    if blanket_allow {
        return failed(
            "drop_clippy_all_allows",
            "#[allow(clippy::all)] on a module",
        );
    }
    Ok(())
}

/// What [`check_rewrites_took`] looks for in the tokens.
#[derive(Default)]
struct Leftovers {
    progenitor_client: bool,
    regress: bool,
    api_version: bool,
}

impl Leftovers {
    fn visit(&mut self, tokens: TokenStream) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(ident) => {
                    self.progenitor_client |= ident == "progenitor_client";
                    self.regress |= ident == "regress";
                }
                proc_macro2::TokenTree::Literal(literal) => {
                    self.api_version |= literal.to_string() == "\"api-version\"";
                }
                proc_macro2::TokenTree::Group(group) => self.visit(group.stream()),
                proc_macro2::TokenTree::Punct(_) => {}
            }
        }
    }
}

/// The first lines of every generated file.
const HEADER: &str = "// @generated by gcore-billing-codegen from openapi/gcore-billing.yaml. Do not edit:\n\
                      // change the spec, then run `cargo run -p gcore-billing-codegen -- --write`.\n\n";

/// progenitor's output and ours as one syn file, with the open types re-exported from `types`.
fn assemble(
    mut file: syn::File,
    extras: TokenStream,
    model: &SpecModel,
) -> Result<syn::File, CodegenError> {
    let extras: syn::File = syn::parse2(extras).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    extras::reexport_open_types_in_types_module(&mut file, model);
    file.items.extend(extras.items);
    Ok(file)
}

/// One file of the generated source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its path under `generated/` (and under the build's `OUT_DIR`), such as `types.rs` or
    /// `types/billing_reservation.rs`.
    pub name: String,
    /// Its text.
    pub source: String,
}

/// The file that the crate includes; it includes the others.
pub const ROOT_FILE: &str = "gcore_billing.rs";

/// The file of the client, the pager glue, the query structs and the operation table, which the
/// root includes.
pub const CLIENT_FILE: &str = "client.rs";

/// The folder of `generated/` that holds one file per spec schema (see [`generate_files`]).
pub const TYPES_DIR: &str = "types";

/// The file of the request types' builders.
const BUILDERS_FILE: &str = "types_builders.rs";

/// The folder of `generated/` that holds one file per request type's builder, which
/// `types_builders.rs` includes (see [`generate_files`]).
pub const BUILDERS_DIR: &str = "types_builders";

/// Which module goes to which file, so that a spec change shows in the file of its kind: the
/// types (`types.rs`, which includes one file per schema from `types/`), the builders of request
/// types (`types_builders.rs`, which includes one file per builder from `types_builders/`), the
/// open enums and unions (`open.rs`), progenitor's per-operation builders (`client_builders.rs`),
/// the typed mocks (`mocks.rs`); the client itself, the pager glue and the operation table go to
/// [`CLIENT_FILE`], and the root only includes the others.
const FILES: &[(&str, &str)] = &[
    ("types", "types.rs"),
    ("open", "open.rs"),
    ("builder", "client_builders.rs"),
    ("mock", "mocks.rs"),
];

/// The generated source split into files by kind (types, request builders, open types, operation
/// builders, mocks, the client): the root file first, each module moved out replaced by the
/// `include!`s of its file (the committed copy, or the fresh one while build.rs finds it stale).
/// The types go one file per spec schema (`types/<schema>.rs`: the schema's type, the types
/// typify made from its inline parts, their impls), so that a spec change shows as a change of
/// the schema's own file, and so that rustc's incremental rebuild after an edit redoes that file
/// and what uses it, not every item that happens to come after it in one long file.
pub fn generate_files(spec_path: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    let spec = load_spec(spec_path)?;
    let mut file = generate_syntax(&spec)?;
    let schemas: Vec<&str> = spec
        .components
        .as_ref()
        .map(|c| c.schemas.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut files = Vec::new();
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let Some(&(_, name)) = FILES.iter().find(|(m, _)| module.ident == *m) else {
            continue;
        };
        if module.ident == "types"
            && let Some((_, items)) = module.content.as_mut()
        {
            for inner in items.iter_mut() {
                if let syn::Item::Mod(builders) = inner
                    && builders.ident == "builder"
                {
                    files.extend(split_builders_by_type(builders));
                    files.push(move_into_file(builders, BUILDERS_FILE));
                }
            }
            files.extend(split_by_schema(items, &schemas));
        }
        files.push(move_into_file(module, name));
    }
    // The root keeps only the modules that include their files; the client and the rest of the
    // root's code go to a file of their own, so that an edit to an operation changes that file
    // and not the root, which includes all the others (see [`include_items`]).
    let (modules, rest): (Vec<syn::Item>, Vec<syn::Item>) = std::mem::take(&mut file.items)
        .into_iter()
        .partition(|item| {
            matches!(item, syn::Item::Mod(m) if FILES.iter().any(|(name, _)| m.ident == *name))
        });
    files.push(file_of(CLIENT_FILE, rest));
    file.items = include_items(CLIENT_FILE)
        .into_iter()
        .chain(modules)
        .collect();
    files.insert(
        0,
        GeneratedFile {
            name: ROOT_FILE.to_string(),
            source: format!("{HEADER}{}", prettyplease::unparse(&file)),
        },
    );
    Ok(files)
}

/// The two items that include generated file `name` where a module holds its code: the committed
/// `generated/<name>`, or, while build.rs finds that file stale (cfg
/// `gcore_billing_fresh = "<name>"`), its fresh copy in `OUT_DIR/generated/`. The choice is made
/// per file, and the including file's text is the same either way: after a spec edit rustc sees the
/// unchanged files at the same paths as before, and its incremental cache (which hashes spans by
/// file, line and column) still holds for everything but the files the edit changed.
fn include_items(name: &str) -> [syn::Item; 2] {
    let path = format!("/generated/{name}");
    [
        syn::parse_quote! {
            #[cfg(not(gcore_billing_fresh = #name))]
            include!(concat!(env!("CARGO_MANIFEST_DIR"), #path));
        },
        syn::parse_quote! {
            #[cfg(gcore_billing_fresh = #name)]
            include!(concat!(env!("OUT_DIR"), #path));
        },
    ]
}

/// Moves a module's items into a file of their own, leaving its [`include_items`] in the module.
fn move_into_file(module: &mut syn::ItemMod, name: &str) -> GeneratedFile {
    let items = match module.content.as_mut() {
        Some((_, items)) => std::mem::replace(items, include_items(name).into()),
        None => Vec::new(),
    };
    file_of(name, items)
}

fn file_of(name: &str, items: Vec<syn::Item>) -> GeneratedFile {
    let mut file: syn::File = syn::parse_quote! {};
    file.items = items;
    GeneratedFile {
        name: name.to_string(),
        source: format!("{HEADER}{}", prettyplease::unparse(&file)),
    }
}

/// Moves the types module's items into one file per owning schema (`types/<schema>.rs`), each
/// group becoming a private module where its first item was:
/// `mod <schema> { use super::{what it names}; include!(..types/<schema>.rs..); }` and
/// `pub use <schema>::*;`, so the types keep their paths. A module of its own per schema is what
/// lets rustc's incremental rebuild redo only the changed schema's code (rustc cuts the crate into
/// codegen units by module). Items that belong to no type (the `use` of the open types, the
/// builder and error modules) stay.
fn split_by_schema(items: &mut Vec<syn::Item>, schemas: &[&str]) -> Vec<GeneratedFile> {
    use std::collections::BTreeSet;
    let defined: BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect();
    // What a schema's module may import from `types`: the other types and the modules there.
    let importable: BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .chain(defined.iter().cloned())
        .collect();
    let is_defined = |name: &str| defined.contains(name);
    let mut groups: Vec<(String, Vec<syn::Item>)> = Vec::new();
    // Items that stay, and (as Err) the place of each group's module.
    let mut kept: Vec<Result<syn::Item, usize>> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let Some(owner) =
            tidy::item_subject(&item, &is_defined).map(|name| owning_schema(&name, schemas))
        else {
            kept.push(Ok(item));
            continue;
        };
        match groups.iter_mut().find(|(name, _)| *name == owner) {
            Some((_, group)) => group.push(item),
            None => {
                kept.push(Err(groups.len()));
                groups.push((owner, vec![item]));
            }
        }
    }
    let mut files = Vec::with_capacity(groups.len());
    for slot in kept {
        let (owner, mut group) = match slot {
            Ok(item) => {
                items.push(item);
                continue;
            }
            Err(index) => {
                let (owner, group) = &mut groups[index];
                (std::mem::take(owner), std::mem::take(group))
            }
        };
        let own: BTreeSet<String> = group
            .iter()
            .filter_map(|item| tidy::item_subject(item, &is_defined))
            .collect();
        let mut named = BTreeSet::new();
        for item in &mut group {
            syn::visit_mut::VisitMut::visit_item_mut(&mut IdentsIn(&mut named), item);
        }
        let imports: Vec<syn::Ident> = named
            .iter()
            .filter(|name| importable.contains(*name) && !own.contains(*name))
            .map(|name| quote::format_ident!("{name}"))
            .collect();
        let module = quote::format_ident!("{}", snake_case(&owner));
        let path = format!("{TYPES_DIR}/{module}.rs");
        let import = (!imports.is_empty()).then(|| quote::quote! { use super::{#(#imports),*}; });
        let include = include_items(&path);
        items.push(syn::parse_quote! {
            mod #module {
                #import
                #(#include)*
            }
        });
        items.push(syn::parse_quote! { pub use #module::*; });
        files.push(file_of(&path, group));
    }
    files
}

/// Moves each builder of the `builder` module (its struct and the impls that follow it) into a
/// file of its own, `types_builders/<type>.rs`, leaving `include!` of that file where it was. The
/// builders stay in one module, so their paths do not change. What this buys is stable lines: a
/// new field in one request type no longer moves the lines of every builder after it in one long
/// file, and rustc's incremental rebuild (which hashes spans by file, line and column) then
/// re-checks and re-compiles only the changed builder.
fn split_builders_by_type(module: &mut syn::ItemMod) -> Vec<GeneratedFile> {
    let Some((_, items)) = module.content.as_mut() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut kept = Vec::with_capacity(items.len());
    let mut group: Option<(String, Vec<syn::Item>)> = None;
    let mut close = |group: Option<(String, Vec<syn::Item>)>, kept: &mut Vec<syn::Item>| {
        if let Some((name, group)) = group {
            let path = format!("{BUILDERS_DIR}/{}.rs", snake_case(&name));
            kept.extend(include_items(&path));
            files.push(file_of(&path, group));
        }
    };
    for item in items.drain(..) {
        match (&item, group.as_mut()) {
            (syn::Item::Struct(s), _) => {
                close(group.take(), &mut kept);
                group = Some((s.ident.to_string(), vec![item]));
            }
            (syn::Item::Impl(_), Some((_, current))) => current.push(item),
            _ => {
                close(group.take(), &mut kept);
                kept.push(item);
            }
        }
    }
    close(group.take(), &mut kept);
    *items = kept;
    files
}

/// Collects every identifier of the items it visits (walking the syntax tree; turning each item
/// back into tokens to read them took a tenth of a generator run).
struct IdentsIn<'a>(&'a mut std::collections::BTreeSet<String>);

impl syn::visit_mut::VisitMut for IdentsIn<'_> {
    fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
        self.0.insert(ident.to_string());
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        // A macro's body is tokens, not syntax: its identifiers are read from them.
        syn::visit_mut::visit_path_mut(self, &mut mac.path);
        idents_in(mac.tokens.clone(), self.0);
    }
}

/// Every identifier in a token stream.
fn idents_in(tokens: TokenStream, out: &mut std::collections::BTreeSet<String>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            proc_macro2::TokenTree::Group(group) => idents_in(group.stream(), out),
            _ => {}
        }
    }
}

/// The schema a generated type comes from: the longest schema name that starts the type's name
/// (typify names a schema's inline parts after it: `CostReportResourceVolumeType` belongs to
/// `CostReportResourceVolume`), or the type's own name.
fn owning_schema(type_name: &str, schemas: &[&str]) -> String {
    schemas
        .iter()
        .filter(|s| type_name.starts_with(**s))
        .max_by_key(|s| s.len())
        .map_or_else(|| type_name.to_string(), |s| s.to_string())
}

/// `CostReportResourceVolume` → `cost_report_resource_volume`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A short, readable account of where two versions of the generated file part, or None when equal.
pub fn first_difference(committed: &str, fresh: &str) -> Option<String> {
    if committed == fresh {
        return None;
    }
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = fresh.lines().collect();
    let first = old
        .iter()
        .zip(&new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    let context = |lines: &[&str], sign: char| {
        lines
            .iter()
            .skip(first)
            .take(8)
            .map(|l| format!("{sign} {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Some(format!(
        "first difference at line {} (committed {} lines, fresh {} lines):\n{}\n{}",
        first + 1,
        old.len(),
        new.len(),
        context(&old, '-'),
        context(&new, '+')
    ))
}

#[cfg(test)]
mod tests {
    use super::line_nested_too_deep;

    #[test]
    fn decimals_typify_did_not_make_decimal_end_the_generation() {
        let spec: openapiv3::OpenAPI = serde_yaml::from_str(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    \
             Row: {type: object, properties: {cost: {type: number, format: decimal}}}\n",
        )
        .expect("spec");
        let wire = crate::lower::decimals_as_rust_decimal(&spec).expect("marked");
        let as_f64: syn::File = syn::parse_quote! { pub struct Row { pub cost: Option<f64> } };
        let error = super::check_decimals_took(&wire, &as_f64)
            .unwrap_err()
            .to_string();
        assert!(error.contains("decimals_as_rust_decimal"), "{error}");
        let as_decimal: syn::File =
            syn::parse_quote! { pub struct Row { pub cost: Option<::rust_decimal::Decimal> } };
        assert!(super::check_decimals_took(&wire, &as_decimal).is_ok());
    }

    #[test]
    fn nesting_is_counted_outside_strings_and_comments() {
        assert_eq!(line_nested_too_deep("a: {b: [1, {c: 2}]}", 3), None);
        assert_eq!(line_nested_too_deep("a: {b: [1, {c: 2}]}", 2), Some(1));
        assert_eq!(line_nested_too_deep("a: 1\nb: [[[x]]]", 2), Some(2));
        // Brackets inside quoted strings, after an apostrophe in text, or in comments do not count.
        assert_eq!(line_nested_too_deep("a: \"[[[\\\"[[\"\nb: '{{{'", 1), None);
        assert_eq!(line_nested_too_deep("a: don't [x] # [[[[\nb: [y]", 1), None);
        // Closed collections give their depth back.
        assert_eq!(line_nested_too_deep(&"[]".repeat(1000), 1), None);
    }

    #[test]
    fn a_rewrite_that_matched_nothing_is_named() {
        let file: syn::File = syn::parse_quote! {
            fn send() { let h = progenitor_client::encode_path("x"); }
        };
        assert_eq!(
            super::check_rewrites_took(&file).unwrap_err().to_string(),
            "rewrite step use_own_runtime: a path into progenitor_client is still in progenitor's \
             output: the step no longer matches what progenitor writes (after an upgrade?); fix \
             the step in codegen/src/tidy.rs"
        );
        let file: syn::File = syn::parse_quote! {
            fn send(m: &mut HeaderMap) { m.append(HeaderName::from_static("api-version"), v); }
        };
        assert!(
            super::check_rewrites_took(&file)
                .unwrap_err()
                .to_string()
                .starts_with("rewrite step drop_api_version_header:")
        );
        let file: syn::File = syn::parse_quote! {
            impl Client { pub fn new(url: &str) -> Self { todo!() } }
        };
        assert!(
            super::check_rewrites_took(&file)
                .unwrap_err()
                .to_string()
                .starts_with("rewrite step drop_unwrapping_constructor:")
        );
        let file: syn::File = syn::parse_quote! {
            #[allow(clippy::all)]
            pub mod types {}
        };
        assert!(
            super::check_rewrites_took(&file)
                .unwrap_err()
                .to_string()
                .starts_with("rewrite step drop_clippy_all_allows:")
        );
        let clean: syn::File = syn::parse_quote! { fn f() { crate::rt::encode_path("x"); } };
        assert!(super::check_rewrites_took(&clean).is_ok());
    }

    #[test]
    fn a_deeply_nested_spec_is_refused_before_it_is_parsed() {
        let deep = format!("{}{}", "{\"a\": ".repeat(100_000), "}".repeat(100_000));
        let error = super::parse_spec(&deep, "deep.json").expect_err("refused");
        assert_eq!(
            error.to_string(),
            "spec deep.json is not a valid OpenAPI 3.0 document: line 1 nests {...} or [...] \
             more than 100 levels deep"
        );
        let real = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/gcore-billing.yaml"
        ))
        .expect("spec");
        assert_eq!(
            line_nested_too_deep(&real, 20),
            None,
            "the real spec is shallow"
        );
    }
}

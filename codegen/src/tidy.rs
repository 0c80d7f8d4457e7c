//! The rewrites of progenitor's and typify's output: the runtime pointed at the crate's own, answer
//! builders dropped, unknown fields kept, the serde derives replaced by impls written out as code
//! (`serde_code.rs`), list query parameters matched element by element in the mocks, and the
//! clippy fixes that keep `-D warnings` clean without `allow`s.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, Token};

use crate::serde_code::{self, Presence, Unlisted};

/// progenitor's httpmock helpers format path parameters as `format!("...{}...", value.to_string())`,
/// which clippy flags (`to_string_in_format_args`). `Display` is all `format!` needs, so the
/// `.to_string()` is dropped.
pub fn drop_to_string_in_format_args(tokens: TokenStream) -> syn::Result<TokenStream> {
    let mut file: syn::File = syn::parse2(tokens)?;
    DropToString.visit_file_mut(&mut file);
    Ok(file.into_token_stream())
}

struct DropToString;

impl VisitMut for DropToString {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(mut args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        else {
            return;
        };
        for arg in args.iter_mut().skip(1) {
            if let Expr::MethodCall(call) = arg
                && call.method == "to_string"
                && call.args.is_empty()
            {
                *arg = (*call.receiver).clone();
            }
        }
        mac.tokens = args.into_token_stream();
    }
}

/// progenitor's httpmock helper for a query parameter matches `value.to_string()`, which a list
/// (`Vec<T>`) does not have. For each list parameter of the model's `GET`s, the helper's body is
/// written anew: one `query_param` matcher per element, as the client sends one pair per element.
/// An error names the operation and parameter when progenitor wrote no helper to replace.
pub fn mock_list_query_params(
    tokens: TokenStream,
    model: &crate::SpecModel,
) -> Result<TokenStream, crate::CodegenError> {
    let lists: Vec<(String, String)> = model
        .query_operations
        .iter()
        .flat_map(|op| {
            op.parameters
                .iter()
                .filter(|p| p.list)
                .map(|p| (op.operation_id.clone(), p.name.clone()))
        })
        .collect();
    if lists.is_empty() {
        return Ok(tokens);
    }
    let syntax = |e: syn::Error| crate::CodegenError::Syntax(e.to_string());
    let mut file: syn::File = syn::parse2(tokens).map_err(syntax)?;
    for (operation_id, parameter) in &lists {
        let when = format!("{}When", crate::model::pascal(operation_id));
        let mut replaced = false;
        for item in file.items.iter_mut().flat_map(module_items_mut) {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            if !matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident(&when)) {
                continue;
            }
            for member in &mut block.items {
                if let syn::ImplItem::Fn(method) = member
                    && method.sig.ident == parameter
                {
                    method.block = syn::parse_quote! {{
                        if let Some(value) = value.into() {
                            Self(value.iter().fold(self.0, |when, element| {
                                when.query_param(#parameter, element.to_string())
                            }))
                        } else {
                            Self(self.0.query_param_missing(#parameter))
                        }
                    }};
                    replaced = true;
                }
            }
        }
        if !replaced {
            return Err(crate::CodegenError::Unsupported {
                location: format!("operation {operation_id}"),
                message: format!(
                    "mocks: progenitor wrote no `{when}::{parameter}` helper for the list query \
                     parameter {parameter} (step mock_list_query_params)"
                ),
            });
        }
    }
    Ok(quote::ToTokens::into_token_stream(file))
}

/// The items of a file's top-level item and, for a module, of its contents (progenitor's mocks sit
/// in `pub mod operations`).
fn module_items_mut(item: &mut syn::Item) -> Vec<&mut syn::Item> {
    match item {
        syn::Item::Mod(module) => match &mut module.content {
            Some((_, items)) => items.iter_mut().collect(),
            None => Vec::new(),
        },
        other => vec![other],
    }
}

/// typify checks a string's `pattern` with `regress` (an ECMA-262 engine); this points those paths
/// at `regex-lite` instead, whose `Regex::new` and `find` have the same shape. regress took about
/// 6 s of a 66 s cold build for the one pattern the spec has, regex-lite under 2 s.
/// `check::check_spec` has already compiled every pattern with regex-lite, so the generated
/// `Regex::new(..).unwrap()` cannot fail.
pub fn check_patterns_with_regex_lite(file: &mut syn::File) {
    RegressToRegexLite.visit_file_mut(file);
}

struct RegressToRegexLite;

impl VisitMut for RegressToRegexLite {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if let Some(first) = path.segments.first_mut()
            && first.ident == "regress"
        {
            first.ident = syn::Ident::new("regex_lite", first.ident.span());
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// progenitor marks its `types` and `builder` modules `#[allow(clippy::all)]`, which would hide
/// every lint in most of the generated code; the project keeps clippy clean by fixing causes. This
/// takes those allows off ([`is_clippy_all_allow`]); [`use_field_init_shorthand`] fixes the one
/// lint they hid.
pub fn drop_clippy_all_allows(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Mod(module) = item {
            module.attrs.retain(|attr| !is_clippy_all_allow(attr));
        }
    }
}

/// `#[allow(clippy::all)]` (or an `allow` list that names it).
pub fn is_clippy_all_allow(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("allow")
        && attr
            .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
            .is_ok_and(|lints| {
                lints.iter().any(|lint| {
                    let names: Vec<String> =
                        lint.segments.iter().map(|s| s.ident.to_string()).collect();
                    names == ["clippy", "all"]
                })
            })
}

/// progenitor's operation builders are made with `Self { client: client, .. }`, which clippy flags
/// (`redundant_field_names`). Any struct literal field whose value is a variable of its own name
/// is written in shorthand (`Self { client, .. }`).
pub fn use_field_init_shorthand(file: &mut syn::File) {
    Shorthand.visit_file_mut(file);
}

struct Shorthand;

impl VisitMut for Shorthand {
    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        if let syn::Member::Named(name) = &field.member
            && let Expr::Path(path) = &field.expr
            && path.qself.is_none()
            && path.attrs.is_empty()
            && path.path.is_ident(name)
        {
            field.colon_token = None;
        }
        syn::visit_mut::visit_field_value_mut(self, field);
    }
}

/// progenitor's `Client::new` builds a reqwest client and `unwrap`s the result, which would panic
/// the host process where reqwest cannot set up TLS. The crate builds its reqwest client itself
/// (`ClientBuilder`, which returns the failure as an error), so only `new_with_client` is kept.
pub fn drop_unwrapping_constructor(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Impl(block) = item
            && block.trait_.is_none()
            && type_name(&block.self_ty).is_some_and(|name| name == "Client")
        {
            block
                .items
                .retain(|f| !matches!(f, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        }
    }
}

/// progenitor sends the spec's `info.version` in an `api-version` header with every request;
/// neither Gcore's documentation nor its official SDK sends one. This drops that header where
/// the request is built, and with it the header map and the `.headers(header_map)` that attaches
/// it when no other header is added (`check_spec` accepts no header parameters, so none is).
pub fn drop_api_version_header(file: &mut syn::File) {
    struct DropHeader;
    impl VisitMut for DropHeader {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            let before = block.stmts.len();
            block.stmts.retain(|stmt| !is_api_version_append(stmt));
            if block.stmts.len() != before && !block.stmts.iter().any(appends_a_header) {
                block.stmts.retain(|stmt| !declares_header_map(stmt));
                for stmt in &mut block.stmts {
                    DetachHeaderMap.visit_stmt_mut(stmt);
                }
            }
            syn::visit_mut::visit_block_mut(self, block);
        }
    }
    /// `request.headers(header_map)` becomes `request`.
    struct DetachHeaderMap;
    impl VisitMut for DetachHeaderMap {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            if let Expr::MethodCall(call) = expr
                && call.method == "headers"
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == "header_map"
            {
                *expr = (*call.receiver).clone();
                self.visit_expr_mut(expr);
                return;
            }
            syn::visit_mut::visit_expr_mut(self, expr);
        }
    }
    DropHeader.visit_file_mut(file);
}

/// `header_map.append(HeaderName::from_static("api-version"), ..);`
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let text = stmt.to_token_stream().to_string();
    text.starts_with("header_map . append") && text.contains("\"api-version\"")
}

/// A statement that adds a header to `header_map`, however deeply nested.
fn appends_a_header(stmt: &syn::Stmt) -> bool {
    stmt.to_token_stream()
        .to_string()
        .contains("header_map . append")
}

/// `let mut header_map = ..;`
fn declares_header_map(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Local(local)
        if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "header_map"))
}

/// progenitor's code takes its runtime (`ResponseValue`, `Error`, `ByteStream`, the hook traits,
/// `encode_path`, `QueryParam`) from the `progenitor-client` crate; this points those paths at the
/// crate's own runtime surface `crate::rt` (src/rt.rs, which re-exports src/runtime.rs) and drops
/// the import of `RequestBuilderExt`,
/// which only form-encoded bodies use (`check_spec` accepts JSON bodies only). progenitor-client
/// turns on serde's `derive` feature, so depending on it made every build compile syn and
/// serde's derive macro, though nothing in it derives.
pub fn use_own_runtime(file: &mut syn::File) {
    OwnRuntime.visit_file_mut(file);
}

struct OwnRuntime;

const PROGENITOR_CLIENT: &str = "progenitor_client";

impl VisitMut for OwnRuntime {
    fn visit_item_use_mut(&mut self, item: &mut syn::ItemUse) {
        if matches!(&item.tree, syn::UseTree::Path(p) if p.ident == PROGENITOR_CLIENT) {
            item.leading_colon = None;
        }
        syn::visit_mut::visit_item_use_mut(self, item);
    }

    fn visit_use_tree_mut(&mut self, tree: &mut syn::UseTree) {
        if let syn::UseTree::Path(p) = tree
            && p.ident == PROGENITOR_CLIENT
        {
            let rest = &p.tree;
            *tree = syn::parse_quote! { crate::rt::#rest };
        }
        if let syn::UseTree::Group(group) = tree {
            group.items = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|t| !matches!(t, syn::UseTree::Name(n) if n.ident == "RequestBuilderExt"))
                .collect();
        }
        syn::visit_mut::visit_use_tree_mut(self, tree);
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path
            .segments
            .first()
            .is_some_and(|s| s.ident == PROGENITOR_CLIENT)
        {
            let rest: Vec<syn::PathSegment> = path.segments.iter().skip(1).cloned().collect();
            *path = syn::parse_quote! { crate::rt };
            path.segments.extend(rest);
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// typify writes a builder (`types::builder::X`, and `X::builder()`) for every struct, but only
/// requests are built by callers: answers are parsed. This drops the builder module's items for
/// the types `keep` rejects, which are most of progenitor's output, while it is still tokens: syn
/// then never parses them (parsing them was a third of a generator run). See
/// [`keep_builder_fns_only_for`] for the `X::builder()` functions.
pub fn drop_builders_except(tokens: TokenStream, keep: &dyn Fn(&str) -> bool) -> TokenStream {
    map_module(tokens, "types", &mut |types| {
        map_module(types, "builder", &mut |builders| {
            token_items(builders)
                .into_iter()
                .filter(|item| builder_item_subject(item).is_none_or(|name| keep(&name)))
                .flatten()
                .collect()
        })
    })
}

/// `tokens` with the body of each top-level `mod <name> { .. }` replaced by `f(body)`.
fn map_module(
    tokens: TokenStream,
    name: &str,
    f: &mut dyn FnMut(TokenStream) -> TokenStream,
) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    for token in tokens {
        let token = match token {
            TokenTree::Group(group)
                if group.delimiter() == Delimiter::Brace
                    && matches!(out.as_slice(), [.., TokenTree::Ident(m), TokenTree::Ident(n)] if m == "mod" && n == name) =>
            {
                let mut body = Group::new(Delimiter::Brace, f(group.stream()));
                body.set_span(group.span());
                TokenTree::Group(body)
            }
            other => other,
        };
        out.push(token);
    }
    out.into_iter().collect()
}

/// A module body's tokens cut into items: each ends with its body (a top-level `{ .. }`) or a
/// `;`. Attributes are bracket groups, so they stay with the item they precede.
fn token_items(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut items = Vec::new();
    let mut item = Vec::new();
    for token in tokens {
        let ends = match &token {
            TokenTree::Group(group) => group.delimiter() == Delimiter::Brace,
            TokenTree::Punct(punct) => punct.as_char() == ';',
            _ => false,
        };
        item.push(token);
        if ends {
            items.push(std::mem::take(&mut item));
        }
    }
    if !item.is_empty() {
        items.push(item);
    }
    items
}

/// The type a builder-module item belongs to: `struct X`'s name, or an impl's last identifier
/// before its body (`impl Default for X`, `impl X`, `impl TryFrom<X> for super::X`,
/// `impl From<super::X> for X`: typify names each builder after its type). None for anything else.
fn builder_item_subject(item: &[TokenTree]) -> Option<String> {
    let idents = || {
        item.iter().filter_map(|t| match t {
            TokenTree::Ident(ident) => Some(ident),
            _ => None,
        })
    };
    let mut words = idents().skip_while(|i| *i == "pub");
    match words.next()? {
        first if first == "struct" => words.next().map(|name| name.to_string()),
        first if first == "impl" => idents().next_back().map(|name| name.to_string()),
        _ => None,
    }
}

/// The `impl X { pub fn builder() -> builder::X }` of the types whose builders
/// [`drop_builders_except`] dropped go too.
pub fn keep_builder_fns_only_for(
    file: &mut syn::File,
    keep: &dyn Fn(&str) -> bool,
) -> syn::Result<()> {
    let Some(items) = types_items(file) else {
        return Ok(());
    };
    items.retain(|item| match item {
        syn::Item::Impl(block) if block.trait_.is_none() && is_only_builder_fn(block) => {
            type_name(&block.self_ty).is_none_or(|name| keep(&name))
        }
        _ => true,
    });
    Ok(())
}

fn is_only_builder_fn(block: &syn::ItemImpl) -> bool {
    matches!(block.items.as_slice(), [syn::ImplItem::Fn(f)] if f.sig.ident == "builder")
}

/// The items of the `types` module (typify's output), when progenitor wrote one.
fn types_items(file: &mut syn::File) -> Option<&mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    })
}

/// The last path segment of a type (`super::X` → `X`).
/// `::rust_decimal::Decimal` or an `Option` of it: the type lower.rs has typify give a
/// `format: decimal` number.
fn is_exact_decimal(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let names: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if names == ["rust_decimal", "Decimal"] {
        return true;
    }
    match path.path.segments.last() {
        Some(last) if last.ident == "Option" => match &last.arguments {
            syn::PathArguments::AngleBracketed(args) => matches!(
                args.args.first(),
                Some(syn::GenericArgument::Type(inner)) if is_exact_decimal(inner)
            ),
            _ => false,
        },
        _ => false,
    }
}

fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The type an item of the types module belongs to, among the `defined` ones: a struct, enum or
/// alias by its name; an impl by its self type, or (for `impl From<X> for String`) the type in its
/// trait's generic arguments; an answer macro call by the type it is given. None for anything
/// else (`use`, modules).
pub fn item_subject(item: &syn::Item, defined: &dyn Fn(&str) -> bool) -> Option<String> {
    let name = match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        syn::Item::Type(t) => Some(t.ident.to_string()),
        syn::Item::Impl(block) => type_name(&block.self_ty)
            .filter(|name| defined(name))
            .or_else(|| trait_type_argument(block)),
        syn::Item::Macro(call) => call.mac.tokens.clone().into_iter().find_map(|t| match t {
            proc_macro2::TokenTree::Ident(ident) => Some(ident.to_string()),
            _ => None,
        }),
        _ => None,
    };
    name.filter(|name| defined(name))
}

/// `X` in `impl Trait<X> for ...` (or `Trait<&X>`).
fn trait_type_argument(block: &syn::ItemImpl) -> Option<String> {
    let (path, _) = block.trait_.as_ref()?;
    let syn::PathArguments::AngleBracketed(args) = &path.segments.last()?.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(syn::Type::Reference(r)) => type_name(&r.elem),
        syn::GenericArgument::Type(t) => type_name(t),
        _ => None,
    })
}

/// The field that keeps what the spec does not list, on every struct that only answers carry.
pub const EXTRA_FIELDS: &str = "extra_fields";

/// On every struct of `types` that `is_answer` accepts (one that only responses carry), adds a
/// flattened `extra_fields` map, so a field the spec does not list yet is kept instead of dropped,
/// and makes optional fields serialize as `null` rather than vanish (Gcore sends its nulls), so a
/// re-serialized answer is the JSON the server sent. Request types are left alone: only what the
/// caller set goes on the wire. Answer structs are `#[non_exhaustive]` too: a new field is then a
/// minor change for crates that use them.
pub fn keep_unknown_fields(
    file: &mut syn::File,
    is_answer: &dyn Fn(&str) -> bool,
) -> syn::Result<()> {
    let Some(items) = types_items(file) else {
        return Ok(());
    };
    for item in items.iter_mut() {
        if let syn::Item::Struct(s) = item
            && is_answer(&s.ident.to_string())
            && let syn::Fields::Named(fields) = &mut s.fields
        {
            if fields
                .named
                .iter()
                .any(|f| f.ident.as_ref().is_some_and(|i| i == EXTRA_FIELDS))
            {
                return Err(syn::Error::new(
                    s.ident.span(),
                    format!(
                        "{} has a property named `{EXTRA_FIELDS}`, which the generator \
                             uses for unlisted fields",
                        s.ident
                    ),
                ));
            }
            for field in fields.named.iter_mut() {
                drop_skip_serializing_if(&mut field.attrs)?;
            }
            fields.named.push(syn::parse_quote! {
                /// Fields the server sent that this version of the spec does not list, each as
                /// received; serialized back in place, so nothing the server sent is lost.
                #[serde(flatten)]
                pub extra_fields: ::serde_json::Map<::std::string::String, ::serde_json::Value>
            });
            // A field the spec adds later is then a minor change for crates that use the type
            // (they read answers, and build them in tests from JSON: `serde_json::from_value`).
            s.attrs.push(syn::parse_quote! { #[non_exhaustive] });
        }
    }
    Ok(())
}

/// Removes `skip_serializing_if = ...` from a field's `#[serde(...)]` attributes (dropping an
/// attribute left empty).
fn drop_skip_serializing_if(attrs: &mut Vec<syn::Attribute>) -> syn::Result<()> {
    let mut kept = Vec::with_capacity(attrs.len());
    for mut attr in attrs.drain(..) {
        if !attr.path().is_ident("serde") {
            kept.push(attr);
            continue;
        }
        let items = attr.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)?;
        let rest: Punctuated<syn::Meta, Token![,]> = items
            .into_iter()
            .filter(|m| !m.path().is_ident("skip_serializing_if"))
            .collect();
        if rest.is_empty() {
            continue;
        }
        attr = syn::parse_quote! { #[serde(#rest)] };
        kept.push(attr);
    }
    *attrs = kept;
    Ok(())
}

/// typify gives every string enum `FromStr` and `TryFrom<&str>`/`TryFrom<String>`/
/// `TryFrom<&String>`, which builders use to take strings. Enums only answers carry are parsed by
/// serde and never built from a string by a builder, so for those (`is_answer`) the three
/// `TryFrom`s are dropped; `FromStr` and `Display` stay (values are read from config files and
/// command lines: a GET's query enums, which no request schema holds, among them).
pub fn drop_string_parsing_of_answer_enums(
    file: &mut syn::File,
    is_answer: &dyn Fn(&str) -> bool,
) -> syn::Result<()> {
    let Some(items) = types_items(file) else {
        return Ok(());
    };
    let answer_enums: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Enum(e) if is_answer(&e.ident.to_string()) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    items.retain(|item| match item {
        syn::Item::Impl(block) => {
            !(is_string_parsing(block)
                && type_name(&block.self_ty).is_some_and(|name| answer_enums.contains(&name)))
        }
        _ => true,
    });
    Ok(())
}

/// `impl TryFrom<&str | String | &String> for X`.
fn is_string_parsing(block: &syn::ItemImpl) -> bool {
    let Some((path, _)) = &block.trait_ else {
        return false;
    };
    let Some(last) = path.segments.last() else {
        return false;
    };
    if last.ident != "TryFrom" {
        return false;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    args.args.iter().any(|arg| match arg {
        syn::GenericArgument::Type(syn::Type::Reference(r)) => {
            type_name(&r.elem).is_some_and(|n| n == "str" || n == "String")
        }
        syn::GenericArgument::Type(t) => type_name(t).is_some_and(|n| n == "String"),
        _ => false,
    })
}

/// serde's derived `Deserialize` for a struct with a flattened map buffers the whole object and
/// comes to about 500 lines a struct; a hundred answer structs made it most of what rustc compiled
/// for the crate. This drops `Deserialize` and `Serialize` from every derive of the types module and
/// writes the impls out after the type as plain code (`serde_code.rs`): answer structs keep unlisted
/// fields in `extra_fields`; request structs skip them, or refuse them when the schema says
/// `additionalProperties: false`, and leave unset fields out of what they write; enums of plain
/// values, untagged unions and newtypes get the same one-pass reading and writing as the derive.
/// A type whose serde attributes the generator does not know is an error naming it: nothing falls
/// back to serde's derive, which a crate depending on this one does not compile.
///
/// Returns each struct's fields as read, by type name: the open unions (extras.rs) read their rows
/// in one pass into the variants' fields.
pub fn serde_impls_as_code(
    file: &mut syn::File,
    is_answer: &dyn Fn(&str) -> bool,
) -> syn::Result<StructFields> {
    let mut fields = StructFields::new();
    let Some(items) = types_items(file) else {
        return Ok(fields);
    };
    let mut out = Vec::with_capacity(items.len());
    // Enums whose `Display` is written with their serde impls, from the same list of values.
    let mut displayed = Vec::new();
    for mut item in items.drain(..) {
        let impls = match &mut item {
            syn::Item::Struct(s) if only_serde_attr_is(&s.attrs, "transparent") => {
                newtype_impls(s)?
            }
            syn::Item::Struct(s) => {
                let answer = is_answer(&s.ident.to_string());
                struct_impls(s, answer, &mut fields)?
            }
            syn::Item::Enum(e) if only_serde_attr_is(&e.attrs, "untagged") => union_impls(e)?,
            syn::Item::Enum(e) => {
                let impls = string_enum_impls(e)?;
                if impls.is_some() {
                    displayed.push(e.ident.to_string());
                }
                impls
            }
            _ => None,
        };
        if let Some(still) = derives_serde(&item) {
            return Err(syn::Error::new_spanned(
                still,
                "the generator writes no serde code for this type's shape (it would need serde's \
                 derive, which dependents do not compile); teach serde_code.rs this shape, or \
                 change the schema",
            ));
        }
        let deprecated_fields = has_deprecated_fields(&item);
        out.push((item, false));
        if let Some(impls) = impls {
            let mut written = syn::parse2::<syn::File>(impls)?.items;
            // The impls read and write every field, the deprecated ones too (as serde's derive).
            if deprecated_fields {
                allow_deprecated(&mut written);
            }
            out.extend(written.into_iter().map(|item| (item, true)));
        }
    }
    // typify's `Display` of the enums whose `Display` was written above goes.
    out.retain(|(item, written)| match item {
        syn::Item::Impl(block) if !written => {
            !(is_display(block)
                && type_name(&block.self_ty).is_some_and(|name| displayed.contains(&name)))
        }
        _ => true,
    });
    *items = out.into_iter().map(|(item, _)| item).collect();
    Ok(fields)
}

/// The listed fields of each struct whose serde impls [`serde_impls_as_code`] wrote, and what
/// happens to a field it does not list, by type name.
pub type StructFields = std::collections::BTreeMap<String, (Vec<serde_code::Field>, Unlisted)>;

/// True for a struct with a `#[deprecated]` field (see [`mark_deprecated_fields`]).
fn has_deprecated_fields(item: &syn::Item) -> bool {
    let syn::Item::Struct(s) = item else {
        return false;
    };
    s.fields
        .iter()
        .any(|f| f.attrs.iter().any(|a| a.path().is_ident("deprecated")))
}

/// `#[allow(deprecated)]` on each impl of `items`: code the generator writes that must touch a
/// deprecated field (its serde impls, its builder conversions) says so where it does.
fn allow_deprecated(items: &mut [syn::Item]) {
    for item in items {
        if let syn::Item::Impl(block) = item {
            block.attrs.push(syn::parse_quote! { #[allow(deprecated)] });
        }
    }
}

/// Puts `#[deprecated(note = ..)]` on each field of the types module whose spec property says
/// `deprecated: true` (the note is the property's description), and `#[allow(deprecated)]` on the
/// builder conversions that copy such fields. Runs while typify's `#[serde(rename)]` attributes
/// still name each field's property. A deprecated property of a component schema that it finds no
/// field for is an error naming it (the mark would otherwise be lost without a word).
pub fn mark_deprecated_fields(
    file: &mut syn::File,
    spec: &openapiv3::OpenAPI,
) -> Result<(), String> {
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    let mut expected: Vec<(String, String)> = Vec::new();
    for (name, schema) in schemas.into_iter().flatten() {
        if let openapiv3::ReferenceOr::Item(schema) = schema
            && let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) =
                &schema.schema_kind
        {
            for (property, value) in &object.properties {
                if value.as_item().is_some_and(|p| p.schema_data.deprecated) {
                    expected.push((name.clone(), property.clone()));
                }
            }
        }
    }
    let Some(items) = types_items(file) else {
        return Ok(());
    };
    let mut marked_types = Vec::new();
    let mut marked: Vec<(String, String)> = Vec::new();
    for item in items.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        let Some(openapiv3::ReferenceOr::Item(schema)) =
            schemas.and_then(|schemas| schemas.get(&s.ident.to_string()))
        else {
            continue;
        };
        let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) = &schema.schema_kind
        else {
            continue;
        };
        for field in s.fields.iter_mut() {
            let Some(ident) = &field.ident else { continue };
            let wire = field_serde(&field.attrs)
                .ok()
                .and_then(|serde| serde.rename)
                .unwrap_or_else(|| unraw(ident));
            let Some(openapiv3::ReferenceOr::Item(property)) = object.properties.get(&wire) else {
                continue;
            };
            if !property.schema_data.deprecated {
                continue;
            }
            let note = property
                .schema_data
                .description
                .clone()
                .unwrap_or_else(|| "deprecated in the spec".to_string());
            field
                .attrs
                .push(syn::parse_quote! { #[deprecated(note = #note)] });
            marked.push((s.ident.to_string(), wire));
        }
        if has_deprecated_fields(&syn::Item::Struct(s.clone())) {
            marked_types.push(s.ident.to_string());
        }
    }
    // typify's builders copy every field into and out of the type.
    for item in items.iter_mut() {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        let Some((_, builders)) = module.content.as_mut() else {
            continue;
        };
        for builder in builders.iter_mut() {
            if let syn::Item::Impl(block) = builder
                && block.trait_.is_some()
                && item_subject(builder, &|name| marked_types.iter().any(|m| m == name)).is_some()
            {
                allow_deprecated(std::slice::from_mut(builder));
            }
        }
    }
    let missed: Vec<String> = expected
        .into_iter()
        .filter(|e| !marked.contains(e))
        .map(|(schema, property)| format!("{schema}.{property}"))
        .collect();
    if missed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "deprecated properties with no generated field to mark #[deprecated]: {}",
            missed.join(", ")
        ))
    }
}

/// The type steps above match typify's shapes, and each would do nothing without a word if a
/// shape changed (after a typify or progenitor upgrade). This checks what each is for on the
/// finished types module and names the first step whose goal is not met: a `types` module at all;
/// no answer type left in `types::builder` ([`drop_builders_except`]) or with a `builder()`
/// ([`keep_builder_fns_only_for`]); no `TryFrom` string parsing on an answer enum
/// ([`drop_string_parsing_of_answer_enums`]); every answer struct with named fields carrying
/// `extra_fields` and `#[non_exhaustive]` ([`keep_unknown_fields`]); no serde derive anywhere
/// ([`serde_impls_as_code`]).
pub fn check_type_steps_took(
    file: &syn::File,
    is_answer: &dyn Fn(&str) -> bool,
) -> Result<(), (&'static str, String)> {
    let Some(items) = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => {
            module.content.as_ref().map(|(_, items)| items)
        }
        _ => None,
    }) else {
        return Err(("types module", "progenitor wrote no `types` module".into()));
    };
    let answer_enums: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Enum(e) if is_answer(&e.ident.to_string()) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    for item in items {
        if let Some(name) = derives_serde(item) {
            return Err(("serde_impls_as_code", format!("{name} still derives serde")));
        }
        match item {
            syn::Item::Struct(s)
                if is_answer(&s.ident.to_string()) && matches!(s.fields, syn::Fields::Named(_)) =>
            {
                let keeps_unlisted = s
                    .fields
                    .iter()
                    .any(|f| f.ident.as_ref().is_some_and(|i| i == EXTRA_FIELDS));
                let non_exhaustive = s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
                if !keeps_unlisted || !non_exhaustive {
                    return Err((
                        "keep_unknown_fields",
                        format!(
                            "answer struct {} lacks `{EXTRA_FIELDS}` or #[non_exhaustive]",
                            s.ident
                        ),
                    ));
                }
            }
            syn::Item::Impl(block) if block.trait_.is_none() && is_only_builder_fn(block) => {
                if let Some(name) = type_name(&block.self_ty).filter(|n| is_answer(n)) {
                    return Err((
                        "keep_builder_fns_only_for",
                        format!("answer type {name} still has a builder()"),
                    ));
                }
            }
            syn::Item::Impl(block) if is_string_parsing(block) => {
                if let Some(name) = type_name(&block.self_ty).filter(|n| answer_enums.contains(n)) {
                    return Err((
                        "drop_string_parsing_of_answer_enums",
                        format!("answer enum {name} still has TryFrom of a string"),
                    ));
                }
            }
            syn::Item::Mod(module) if module.ident == "builder" => {
                let builders = module.content.iter().flat_map(|(_, items)| items);
                for builder in builders {
                    if let syn::Item::Struct(b) = builder
                        && is_answer(&b.ident.to_string())
                    {
                        return Err((
                            "drop_builders_except",
                            format!("answer type {} still has a builder struct", b.ident),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The type's name when it still derives `Serialize` or `Deserialize`.
fn derives_serde(item: &syn::Item) -> Option<&syn::Ident> {
    let (attrs, ident) = match item {
        syn::Item::Struct(s) => (&s.attrs, &s.ident),
        syn::Item::Enum(e) => (&e.attrs, &e.ident),
        _ => return None,
    };
    let derives = attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths.iter().any(|p| {
                        p.segments
                            .last()
                            .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
                    })
                })
        });
    derives.then_some(ident)
}

/// The impls of a struct with named fields (see [`serde_impls_as_code`]); its serde attributes are
/// read into [`serde_code::Field`]s and removed with `Deserialize` and `Serialize` from its derive.
/// An answer struct is one that has `extra_fields` (added by [`keep_unknown_fields`]).
fn struct_impls(
    s: &mut syn::ItemStruct,
    answer: bool,
    read: &mut StructFields,
) -> syn::Result<Option<TokenStream>> {
    let syn::Fields::Named(fields) = &s.fields else {
        return Ok(None);
    };
    let has_extra = fields
        .named
        .iter()
        .any(|f| f.ident.as_ref().is_some_and(|i| i == EXTRA_FIELDS));
    if has_extra != answer {
        return Ok(None);
    }
    // `additionalProperties: false`: a request refuses what it does not list; an answer still keeps
    // it (a field the server adds later must not break deployed clients).
    let deny = container_serde_words(&s.attrs)?.contains(&"deny_unknown_fields".to_string());
    let unlisted = match (answer, deny) {
        (true, _) => Unlisted::Keep,
        (false, true) => Unlisted::Deny,
        (false, false) => Unlisted::Skip,
    };
    let mut listed = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else {
            return Ok(None);
        };
        if ident == EXTRA_FIELDS {
            continue;
        }
        let serde = field_serde(&field.attrs)?;
        if answer && let Some(skip) = &serde.skip {
            // Answers write every field; the skip would not be honoured.
            return Err(syn::Error::new_spanned(
                &field.ident,
                format!(
                    "answer field with skip_serializing_if = {skip}: answers write every field"
                ),
            ));
        }
        let presence = if serde.default {
            Presence::Defaulted
        } else if !serde.required && type_name(&field.ty).is_some_and(|n| n == "Option") {
            Presence::Optional
        } else {
            Presence::Required
        };
        listed.push(serde_code::Field {
            ident: ident.clone(),
            wire: serde.rename.unwrap_or_else(|| unraw(ident)),
            presence,
            skip_if: serde.skip,
            exact: is_exact_decimal(&field.ty),
        });
    }
    if !take_out_of_derive(&mut s.attrs, &["Deserialize", "Serialize"])? {
        return Ok(None);
    }
    s.attrs.retain(|a| !a.path().is_ident("serde"));
    drop_field_serde_attrs(s);
    let name = &s.ident;
    let reader = serde_code::deserialize_struct(name, &listed, unlisted);
    let writer = if answer {
        serde_code::serialize_answer_struct(name, &listed)
    } else {
        serde_code::serialize_struct(name, &listed)
    };
    read.insert(name.to_string(), (listed, unlisted));
    Ok(Some(quote::quote! { #reader #writer }))
}

/// The words of a type's own `#[serde(...)]` attributes (`deny_unknown_fields`, ...); only those
/// the generator knows what to do with are accepted.
fn container_serde_words(attrs: &[syn::Attribute]) -> syn::Result<Vec<String>> {
    let mut words = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let items = attr.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)?;
        for meta in items {
            match &meta {
                syn::Meta::Path(p) if p.is_ident("deny_unknown_fields") => {
                    words.push("deny_unknown_fields".to_string())
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &meta,
                        format!(
                            "#[serde({})] on a struct is not something the generator writes serde \
                             code for",
                            meta.to_token_stream()
                        ),
                    ));
                }
            }
        }
    }
    Ok(words)
}

/// `as_str`, `Display`, `Serialize` and `Deserialize` for an enum of plain (unit) values that
/// derives serde's two (taken out of its derive, with the variants' renames); None for any other
/// enum.
fn string_enum_impls(e: &mut syn::ItemEnum) -> syn::Result<Option<TokenStream>> {
    if has_serde_attr(&e.attrs) || e.variants.is_empty() {
        return Ok(None);
    }
    let mut variants = Vec::new();
    for variant in &e.variants {
        if !matches!(variant.fields, syn::Fields::Unit) {
            return Ok(None);
        }
        let serde = field_serde(&variant.attrs)?;
        let wire = serde.rename.unwrap_or_else(|| unraw(&variant.ident));
        variants.push((variant.ident.clone(), wire));
    }
    if !take_out_of_derive(&mut e.attrs, &["Deserialize", "Serialize"])? {
        return Ok(None);
    }
    for variant in &mut e.variants {
        variant.attrs.retain(|a| !a.path().is_ident("serde"));
    }
    Ok(Some(serde_code::string_enum(&e.ident, &variants)))
}

/// `Serialize` and `Deserialize` for a `#[serde(untagged)]` enum whose variants each hold one
/// value (taken out of its derive, with the `#[serde]` attribute); None for any other enum.
fn union_impls(e: &mut syn::ItemEnum) -> syn::Result<Option<TokenStream>> {
    let one_value =
        |v: &syn::Variant| matches!(&v.fields, syn::Fields::Unnamed(f) if f.unnamed.len() == 1);
    if e.variants.is_empty()
        || !e
            .variants
            .iter()
            .all(|v| one_value(v) && v.attrs.is_empty())
    {
        return Ok(None);
    }
    if !take_out_of_derive(&mut e.attrs, &["Deserialize", "Serialize"])? {
        return Ok(None);
    }
    e.attrs.retain(|a| !a.path().is_ident("serde"));
    let variants: Vec<syn::Ident> = e.variants.iter().map(|v| v.ident.clone()).collect();
    Ok(Some(serde_code::untagged_union(&e.ident, &variants)))
}

/// For a `#[serde(transparent)]` struct of one value: its `Serialize`, and its `Deserialize` too
/// when it derives one (typify writes its own for a checked string), both taken out of its derive
/// with the `#[serde]` attribute; None for any other struct.
fn newtype_impls(s: &mut syn::ItemStruct) -> syn::Result<Option<TokenStream>> {
    if !matches!(&s.fields, syn::Fields::Unnamed(f) if f.unnamed.len() == 1) {
        return Ok(None);
    }
    let deserialize = if take_out_of_derive(&mut s.attrs, &["Deserialize", "Serialize"])? {
        true
    } else if take_out_of_derive(&mut s.attrs, &["Serialize"])? {
        false
    } else {
        return Ok(None);
    };
    s.attrs.retain(|a| !a.path().is_ident("serde"));
    Ok(Some(serde_code::transparent(&s.ident, deserialize)))
}

/// True when the item's only `#[serde(...)]` attribute is exactly `#[serde(<word>)]`.
fn only_serde_attr_is(attrs: &[syn::Attribute], word: &str) -> bool {
    let mut serde = attrs.iter().filter(|a| a.path().is_ident("serde"));
    let first = serde.next();
    serde.next().is_none()
        && first.is_some_and(|a| a.parse_args::<syn::Path>().is_ok_and(|p| p.is_ident(word)))
}

/// Drops the `#[serde(...)]` attributes of a struct's fields, once a macro writes both its
/// `Deserialize` and `Serialize` (without serde's derive they would not compile).
fn drop_field_serde_attrs(s: &mut syn::ItemStruct) {
    if let syn::Fields::Named(fields) = &mut s.fields {
        for field in &mut fields.named {
            field.attrs.retain(|a| !a.path().is_ident("serde"));
        }
    }
}

/// `impl Display for X`.
fn is_display(block: &syn::ItemImpl) -> bool {
    block
        .trait_
        .as_ref()
        .and_then(|(path, _)| path.segments.last())
        .is_some_and(|last| last.ident == "Display")
}

/// What a field's (or variant's) `#[serde(...)]` says about reading it.
struct FieldSerde {
    rename: Option<String>,
    default: bool,
    /// An `Option` field that must be present (typify's required-and-nullable).
    required: bool,
    /// `is_none` or `is_empty`: the field is left out of a body while unset.
    skip: Option<syn::Ident>,
}

/// Reads `rename = "..."` and `default`; `flatten` and anything else the macros cannot honour is
/// an error naming the attribute (the generator must learn it first).
fn field_serde(attrs: &[syn::Attribute]) -> syn::Result<FieldSerde> {
    let mut out = FieldSerde {
        rename: None,
        default: false,
        required: false,
        skip: None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let items = attr.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)?;
        for meta in items {
            match &meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("rename") => {
                    if let Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = &nv.value
                    {
                        out.rename = Some(s.value());
                        continue;
                    }
                    return Err(syn::Error::new_spanned(meta, "rename takes a string"));
                }
                syn::Meta::Path(p) if p.is_ident("default") => out.default = true,
                // typify's way of saying "required, may be null": an Option that must be sent.
                syn::Meta::NameValue(nv)
                    if nv.path.is_ident("deserialize_with")
                        && nv.value.to_token_stream().to_string().replace(' ', "")
                            == "\"::std::option::Option::deserialize\"" =>
                {
                    out.required = true;
                }
                syn::Meta::NameValue(nv) if nv.path.is_ident("skip_serializing_if") => {
                    let test = nv.value.to_token_stream().to_string().replace(' ', "");
                    // `Option::is_none`, or `is_empty` of a Vec or a map.
                    out.skip = Some(match test.trim_matches('"').rsplit("::").next() {
                        Some("is_none") => quote::format_ident!("is_none"),
                        Some("is_empty") => quote::format_ident!("is_empty"),
                        _ => {
                            return Err(syn::Error::new_spanned(
                                &meta,
                                format!(
                                    "skip_serializing_if = {test} is a test the generator does not know"
                                ),
                            ));
                        }
                    });
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &meta,
                        format!(
                            "#[serde({})] is a serde attribute the generator writes no code for",
                            meta.to_token_stream()
                        ),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// True when a type carries a container-level `#[serde(...)]` (untagged, transparent, ...).
fn has_serde_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("serde"))
}

/// An identifier as it is spelled on the wire (`r#type` → `type`).
fn unraw(ident: &syn::Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").unwrap_or(&text).to_string()
}

/// Takes `traits` out of the item's `#[derive(..)]`; true when all of them were there (and are
/// gone), false (and nothing changed) otherwise.
fn take_out_of_derive(attrs: &mut [syn::Attribute], traits: &[&str]) -> syn::Result<bool> {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let paths = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)?;
        let before = paths.len();
        let rest: Punctuated<syn::Path, Token![,]> = paths
            .into_iter()
            .filter(|p| {
                p.segments
                    .last()
                    .is_none_or(|s| !traits.iter().any(|t| s.ident == t))
            })
            .collect();
        if before - rest.len() == traits.len() {
            *attr = syn::parse_quote! { #[derive(#rest)] };
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_set_from_a_variable_of_their_name_are_written_in_shorthand() {
        let mut file: syn::File = syn::parse_quote! {
            fn new(client: &C, x: u8) -> S { S { client: client, body: x, other: self.client } }
        };
        use_field_init_shorthand(&mut file);
        assert_eq!(
            quote::quote! { #file }.to_string(),
            "fn new (client : & C , x : u8) -> S { S { client , body : x , other : self . client } }"
        );
    }

    /// Each type step's goal, unmet in a file typify could write after an upgrade, is named.
    #[test]
    fn a_type_step_whose_goal_is_unmet_is_named() {
        let answer = |name: &str| name.starts_with("Answer");
        let step = |file: syn::File| check_type_steps_took(&file, &answer).map_err(|(s, _)| s);
        let done: syn::File = syn::parse_quote! {
            pub mod types {
                #[non_exhaustive]
                pub struct AnswerRow { pub cost: f64, pub extra_fields: Map }
                pub struct Request { pub from: String }
                impl Request { pub fn builder() -> builder::Request { todo!() } }
                pub mod builder { pub struct Request { from: String } }
            }
        };
        assert_eq!(step(done), Ok(()));
        let cases: [(&str, syn::File); 6] = [
            ("types module", syn::parse_quote! { pub struct Client; }),
            (
                "keep_unknown_fields",
                syn::parse_quote! { pub mod types { #[non_exhaustive] pub struct AnswerRow { pub cost: f64 } } },
            ),
            (
                "keep_unknown_fields",
                syn::parse_quote! { pub mod types { pub struct AnswerRow { pub extra_fields: Map } } },
            ),
            (
                "drop_builders_except",
                syn::parse_quote! { pub mod types { pub mod builder { pub struct AnswerRow {} } } },
            ),
            (
                "keep_builder_fns_only_for",
                syn::parse_quote! { pub mod types { impl AnswerRow { pub fn builder() -> B { todo!() } } } },
            ),
            (
                "drop_string_parsing_of_answer_enums",
                syn::parse_quote! { pub mod types {
                    pub enum AnswerUnit { Gb }
                    impl TryFrom<&str> for AnswerUnit { type Error = E; fn try_from(v: &str) -> R { todo!() } }
                } },
            ),
        ];
        for (expected, file) in cases {
            assert_eq!(step(file), Err(expected));
        }
        let derived: syn::File = syn::parse_quote! {
            pub mod types { #[derive(::serde::Deserialize)] pub struct Request { pub from: String } }
        };
        assert_eq!(step(derived), Err("serde_impls_as_code"));
    }

    #[test]
    fn traits_leave_a_derive_only_when_all_of_them_are_there() {
        let mut short: Vec<syn::Attribute> = vec![syn::parse_quote! { #[derive(Deserialize)] }];
        assert!(!take_out_of_derive(&mut short, &["Deserialize", "Serialize"]).unwrap());
        assert_eq!(
            quote::quote! { #(#short)* }.to_string(),
            "# [derive (Deserialize)]"
        );

        let mut full: Vec<syn::Attribute> =
            vec![syn::parse_quote! { #[derive(::serde::Serialize, Clone, ::serde::Deserialize)] }];
        assert!(take_out_of_derive(&mut full, &["Deserialize", "Serialize"]).unwrap());
        assert_eq!(
            quote::quote! { #(#full)* }.to_string(),
            "# [derive (Clone)]"
        );
    }

    #[test]
    fn builders_of_unkept_types_are_dropped_before_parsing() {
        let tokens = quote::quote! {
            pub mod types {
                pub struct Kept { pub a: i64 }
                pub struct Gone { pub b: i64 }
                pub mod builder {
                    #[derive(Clone, Debug)]
                    pub struct Kept { a: Result<i64, String> }
                    impl ::std::default::Default for Kept { fn default() -> Self { todo!() } }
                    impl Kept { pub fn a(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Kept> for super::Kept { type Error = String; }
                    impl ::std::convert::From<super::Kept> for Kept { fn from(v: super::Kept) -> Self { todo!() } }
                    #[derive(Clone, Debug)]
                    pub struct Gone { b: Result<i64, String> }
                    impl ::std::default::Default for Gone { fn default() -> Self { todo!() } }
                    impl Gone { pub fn b(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Gone> for super::Gone { type Error = String; }
                    impl ::std::convert::From<super::Gone> for Gone { fn from(v: super::Gone) -> Self { todo!() } }
                    use super::Kept as Alias;
                }
            }
            pub mod builder { pub struct Gone; }
        };
        let out = drop_builders_except(tokens, &|name| name == "Kept").to_string();
        let file: syn::File = syn::parse_str(&out).expect("still valid Rust");
        let text = prettyplease::unparse(&file);
        // The types themselves and the client's own `builder` module are untouched.
        assert!(
            text.contains("pub struct Gone {\n        pub b: i64,"),
            "{text}"
        );
        assert!(
            text.contains("pub mod builder {\n    pub struct Gone;"),
            "{text}"
        );
        // In typify's builder module, all five items of Kept stay, none of Gone, and the `use`.
        let builders =
            &text[text.find("pub mod builder").unwrap()..text.rfind("pub mod builder").unwrap()];
        for kept in [
            "pub struct Kept",
            "impl ::std::default::Default for Kept",
            "impl Kept",
            "impl ::std::convert::TryFrom<Kept> for super::Kept",
            "impl ::std::convert::From<super::Kept> for Kept",
            "use super::Kept as Alias;",
        ] {
            assert!(builders.contains(kept), "{kept} missing from {builders}");
        }
        assert_eq!(builders.matches("Gone").count(), 0, "{builders}");
    }
}

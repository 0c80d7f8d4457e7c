//! The rewrites of progenitor's client (its `types` module is not rewritten but replaced whole, see
//! `typedefs.rs`; the mocks are not progenitor's, see `mocks.rs`): the runtime pointed at the
//! crate's own, the `api-version` header and the unwrapping constructor dropped, and the clippy
//! fixes that keep `-D warnings` clean without `allow`s. Each is goal-checked after it runs
//! (`check_rewrites_took` in lib.rs).

use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, Token};

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
}

//! Small rewrites of progenitor's output that keep `clippy -D warnings` clean without `allow`s.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, Token};

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

/// typify writes a builder (`types::builder::X`, and `X::builder()`) for every struct, but only
/// requests are built by callers: answers are parsed. This keeps the builders of the types `keep`
/// accepts and drops the rest, which is most of the generated file.
pub fn keep_builders_only_for(
    tokens: TokenStream,
    keep: &dyn Fn(&str) -> bool,
) -> syn::Result<TokenStream> {
    let mut file: syn::File = syn::parse2(tokens)?;
    for item in &mut file.items {
        let syn::Item::Mod(types) = item else {
            continue;
        };
        if types.ident != "types" {
            continue;
        }
        let Some((_, items)) = types.content.as_mut() else {
            continue;
        };
        items.retain(|item| match item {
            // `impl X { pub fn builder() -> builder::X }`
            syn::Item::Impl(block) if block.trait_.is_none() && is_only_builder_fn(block) => {
                type_name(&block.self_ty).is_none_or(|name| keep(&name))
            }
            _ => true,
        });
        for item in items.iter_mut() {
            if let syn::Item::Mod(builder) = item
                && builder.ident == "builder"
                && let Some((_, builders)) = builder.content.as_mut()
            {
                builders.retain(|item| builder_subject(item).is_none_or(|name| keep(&name)));
            }
        }
    }
    Ok(file.into_token_stream())
}

fn is_only_builder_fn(block: &syn::ItemImpl) -> bool {
    matches!(block.items.as_slice(), [syn::ImplItem::Fn(f)] if f.sig.ident == "builder")
}

/// The last path segment of a type (`super::X` → `X`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Which type a builder-module item belongs to: the struct, its impls, and the conversions
/// between it and `super::X`.
fn builder_subject(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Impl(block) => {
            let own = type_name(&block.self_ty)?;
            // `impl TryFrom<X> for super::X`: named by the generic argument, which is the builder.
            let generic = block.trait_.as_ref().and_then(|(path, _)| {
                let last = path.segments.last()?;
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                args.args.iter().find_map(|a| match a {
                    syn::GenericArgument::Type(t) => type_name(t),
                    _ => None,
                })
            });
            Some(generic.unwrap_or(own))
        }
        _ => None,
    }
}

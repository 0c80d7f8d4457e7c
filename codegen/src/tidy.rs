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

/// The field that keeps what the spec does not list, on every struct that only answers carry.
pub const EXTRA_FIELDS: &str = "extra_fields";

/// On every struct of `types` that `is_answer` accepts (one that only responses carry), adds a
/// flattened `extra_fields` map, so a field the spec does not list yet is kept instead of dropped,
/// and makes optional fields serialize as `null` rather than vanish (Gcore sends its nulls), so a
/// re-serialized answer is the JSON the server sent. Request types are left alone: only what the
/// caller set goes on the wire.
pub fn keep_unknown_fields(
    tokens: TokenStream,
    is_answer: &dyn Fn(&str) -> bool,
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
            }
        }
    }
    Ok(file.into_token_stream())
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
/// serde and never built from a string by a builder, so for those (`is_answer`) the four
/// conversions are dropped; `Display` stays.
pub fn drop_string_parsing_of_answer_enums(
    tokens: TokenStream,
    is_answer: &dyn Fn(&str) -> bool,
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
    }
    Ok(file.into_token_stream())
}

/// `impl FromStr for X` or `impl TryFrom<&str | String | &String> for X`.
fn is_string_parsing(block: &syn::ItemImpl) -> bool {
    let Some((path, _)) = &block.trait_ else {
        return false;
    };
    let Some(last) = path.segments.last() else {
        return false;
    };
    if last.ident == "FromStr" {
        return true;
    }
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

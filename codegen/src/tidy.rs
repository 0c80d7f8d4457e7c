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

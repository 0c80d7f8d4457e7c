//! The `Deserialize` and `Serialize` impls of the generated types, written out as plain Rust: a
//! match arm per field when reading, a `serialize_field` per field when writing. No macro and no
//! derive, so a crate that depends on this one compiles neither serde's derive nor a macro of ours,
//! a compile error points at a line of a committed file, and a one-field spec edit changes about
//! one line per impl.
//!
//! They behave as serde's derive does: a missing required field is `missing field`, a missing
//! `Option` field is `None`, a defaulted field falls back to its default, a field sent twice is
//! `duplicate field`, an unknown enum value is `unknown variant`, with serde's own messages.
//! What happens to a field the type does not list is [`Unlisted`].

use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// How a listed field is read when it is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Missing is `missing field` (an `Option` field here must be present, and may be null).
    Required,
    /// An `Option` field: missing and null are both `None`.
    Optional,
    /// Missing is the type's default.
    Defaulted,
}

/// What happens to a field the type does not list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlisted {
    /// Kept in the struct's `extra_fields` map, and written back after the listed fields (answers:
    /// a field Gcore adds is not lost).
    Keep,
    /// Skipped, as serde's derive skips it (requests).
    Skip,
    /// `unknown field`, naming the listed ones (requests whose schema says
    /// `additionalProperties: false`).
    Deny,
}

/// One listed field of a struct.
#[derive(Clone, Debug)]
pub struct Field {
    /// The Rust field.
    pub ident: Ident,
    /// Its name in JSON.
    pub wire: String,
    pub presence: Presence,
    /// `is_none` or `is_empty`: left out of what is written while unset (request fields).
    pub skip_if: Option<Ident>,
    /// A `format: decimal` number (`rust_decimal::Decimal`, or an `Option` of it): read from the
    /// number's text and written with its digits (`crate::rt::ExactNumber`), never through f64.
    pub exact: bool,
}

/// `impl Deserialize` for a struct: one pass over the object, each field parsed straight into its
/// slot, unlisted fields as `unlisted` says.
pub fn deserialize_struct(name: &Ident, fields: &[Field], unlisted: Unlisted) -> TokenStream {
    let name_text = name.to_string();
    let expecting = format!("struct {name_text}");
    // Named after the type, so that it never shadows it.
    let visitor = quote::format_ident!("{name}Visitor");
    // Each field's value while the object is read, in a local named after it (`slot_<field>`,
    // so that no field name meets the visitor's own `map` and `key`).
    let slot = |f: &Field| {
        let name = f.ident.to_string();
        quote::format_ident!("slot_{}", name.trim_start_matches("r#"))
    };
    let slots = fields.iter().map(slot);
    let wires = fields.iter().map(|f| &f.wire);
    let arms = fields.iter().map(|f| {
        let (slot, wire) = (slot(f), &f.wire);
        if f.exact {
            quote! { #wire => crate::rt::set_once_exact(&mut #slot, &mut map, #wire), }
        } else {
            quote! { #wire => crate::rt::set_once(&mut #slot, &mut map, #wire), }
        }
    });
    let values = fields.iter().map(|f| {
        let (ident, slot, wire) = (&f.ident, slot(f), &f.wire);
        match f.presence {
            Presence::Required => quote! {
                #ident: match #slot {
                    Some(value) => value,
                    None => return Err(::serde::de::Error::missing_field(#wire)),
                },
            },
            Presence::Optional => quote! { #ident: #slot.flatten(), },
            Presence::Defaulted => quote! { #ident: #slot.unwrap_or_default(), },
        }
    });
    let (store, take, extra) = match unlisted {
        Unlisted::Keep => (
            quote! { let mut unlisted = ::serde_json::Map::new(); },
            quote! { crate::rt::Unlisted::take(&mut unlisted, key, &mut map) },
            quote! { extra_fields: unlisted, },
        ),
        Unlisted::Skip => (
            quote! { let mut unlisted = crate::rt::Skipped; },
            quote! { crate::rt::Unlisted::take(&mut unlisted, key, &mut map) },
            quote! {},
        ),
        Unlisted::Deny => (
            quote! {},
            quote! { Err(::serde::de::Error::unknown_field(key.as_str(), FIELDS)) },
            quote! {},
        ),
    };
    // With no listed field, the unlisted rule is all there is (a one-arm match is a clippy lint).
    let read = if fields.is_empty() {
        quote! { #take?; }
    } else {
        quote! {
            match key.as_str() {
                #(#arms)*
                _ => #take,
            }?;
        }
    };
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const FIELDS: &[&str] = &[#(#wires),*];
                struct #visitor;
                impl<'de> ::serde::de::Visitor<'de> for #visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<#name, A::Error> {
                        #(let mut #slots = None;)*
                        #store
                        while let Some(key) = map.next_key::<crate::rt::Key<'de>>()? {
                            #read
                        }
                        Ok(#name { #(#values)* #extra })
                    }
                }
                deserializer.deserialize_struct(#name_text, FIELDS, #visitor)
            }
        }
    }
}

/// What a field's `serialize_field` is given: the field, or for an exact number the field wrapped
/// so that it is written with its digits.
fn written(f: &Field) -> TokenStream {
    let ident = &f.ident;
    if f.exact {
        quote! { &crate::rt::Exact(&self.#ident) }
    } else {
        quote! { &self.#ident }
    }
}

/// `impl Serialize` for an answer struct: as serde's derive writes a struct with a flattened map,
/// a map of every listed field in order (`None` as `null`), then the entries of `extra_fields`.
pub fn serialize_answer_struct(name: &Ident, fields: &[Field]) -> TokenStream {
    let entries = fields.iter().map(|f| {
        let (wire, value) = (&f.wire, written(f));
        quote! { map.serialize_entry(#wire, #value)?; }
    });
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(None)?;
                #(#entries)*
                for (key, value) in &self.extra_fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// `impl Serialize` for a request struct, as serde's derive writes it: each field under its wire
/// name, a field with `skip_if` left out while unset (so only what the caller set is sent).
pub fn serialize_struct(name: &Ident, fields: &[Field]) -> TokenStream {
    let name_text = name.to_string();
    if fields.is_empty() {
        return quote! {
            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    use ::serde::ser::SerializeStruct as _;
                    serializer.serialize_struct(#name_text, 0)?.end()
                }
            }
        };
    }
    // As serde's derive: the length counts the fields that are sent.
    let always = fields.iter().filter(|f| f.skip_if.is_none()).count();
    let mut terms: Vec<TokenStream> = Vec::new();
    if always > 0 {
        terms.push(quote! { #always });
    }
    for f in fields {
        if let Some(skip) = &f.skip_if {
            let ident = &f.ident;
            // `is_none` reads best as its opposite; `is_empty` has none.
            terms.push(if skip == "is_none" {
                quote! { usize::from(self.#ident.is_some()) }
            } else {
                quote! { usize::from(!self.#ident.#skip()) }
            });
        }
    }
    let writes = fields.iter().map(|f| {
        let (ident, wire) = (&f.ident, &f.wire);
        let value = written(f);
        match &f.skip_if {
            None => quote! { state.serialize_field(#wire, #value)?; },
            Some(skip) => quote! {
                if self.#ident.#skip() {
                    state.skip_field(#wire)?;
                } else {
                    state.serialize_field(#wire, #value)?;
                }
            },
        }
    });
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                let len = #(#terms)+*;
                let mut state = serializer.serialize_struct(#name_text, len)?;
                #(#writes)*
                state.end()
            }
        }
    }
}

/// `VALUES`, `as_str`, `Display`, `Serialize` and `Deserialize` for an enum of plain values, each variant
/// with its wire value. It travels as that text, as serde's derive writes a unit variant in JSON.
pub fn string_enum(name: &Ident, variants: &[(Ident, String)]) -> TokenStream {
    let idents: Vec<&Ident> = variants.iter().map(|(ident, _)| ident).collect();
    let wires: Vec<&String> = variants.iter().map(|(_, wire)| wire).collect();
    quote! {
        impl #name {
            /// Every value, as the API writes it (for a command line's list of choices).
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The value as the API writes it.
            pub fn as_str(&self) -> &'static str {
                match self {
                    #(Self::#idents => #wires,)*
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <crate::rt::Key<'de> as ::serde::Deserialize>::deserialize(deserializer)?;
                match value.as_str() {
                    #(#wires => Ok(Self::#idents),)*
                    other => Err(::serde::de::Error::unknown_variant(other, &[#(#wires),*])),
                }
            }
        }
    }
}

/// `Serialize` and `Deserialize` for an untagged union whose variants each hold one value: it
/// writes the value it holds, and reads the first variant, in declaration order, that takes the
/// input, as serde's derive does for `#[serde(untagged)]` (the input is buffered once as a
/// `serde_json::Value`, as the derive buffers it).
pub fn untagged_union(name: &Ident, variants: &[Ident]) -> TokenStream {
    let mismatch = format!("data did not match any variant of untagged enum {name}");
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#variants(value) => ::serde::Serialize::serialize(value, serializer),)*
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                #(
                    if let Ok(inner) = ::serde::Deserialize::deserialize(&value) {
                        return Ok(Self::#variants(inner));
                    }
                )*
                Err(::serde::de::Error::custom(#mismatch))
            }
        }
    }
}

/// `Serialize` (and `Deserialize` when `deserialize`) for a newtype that travels as the one value
/// it holds, as serde's derive does for `#[serde(transparent)]`.
pub fn transparent(name: &Ident, deserialize: bool) -> TokenStream {
    let read = deserialize.then(|| {
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    ::serde::Deserialize::deserialize(deserializer).map(Self)
                }
            }
        }
    });
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(&self.0, serializer)
            }
        }
        #read
    }
}

/// One variant of an open union, for [`deserialize_open_union`].
pub struct UnionVariant<'a> {
    /// The value of the union's tag that selects it.
    pub tag: &'a str,
    /// The union's variant (`CostReportResource::Instance`).
    pub variant: Ident,
    /// Its struct (`super::types::CostReportResourceInstance`).
    pub schema: TokenStream,
    pub fields: &'a [Field],
    pub unlisted: Unlisted,
}

/// `impl Deserialize` for an open union tagged by `property`, reading each row in one pass: every
/// field any variant lists gets a slot ([`crate::rt::Loose`] in the runtime, the JSON value as
/// read, strings borrowed), the tag is one of them, and the fields no variant lists go to a map.
/// At the end of the row the tag picks the variant, whose struct is built from the slots (each
/// field parsed into its type then, with serde's messages); a tag the spec does not list rebuilds
/// the row as the JSON object it was (`Unknown`). Slots are shared by wire name, so a name must
/// mean the same in every variant.
pub fn deserialize_open_union(
    name: &Ident,
    property: &str,
    variants: &[UnionVariant<'_>],
) -> TokenStream {
    let name_text = name.to_string();
    let missing = format!("{name_text}: missing string field `{property}`");
    let bad_tag = format!("{name_text}: field `{property}` is not a string");
    let expecting = format!("a {name_text} row (an object)");
    // Named after the union, so that it never shadows it.
    let visitor = quote::format_ident!("{name}Visitor");
    // Every wire name any variant lists but the tag, in first appearance, with whether it is exact.
    let mut listed: Vec<(&str, bool)> = Vec::new();
    // A name that is a decimal in one variant and not in another keeps its text (`set_raw`), which
    // the others read as any other value.
    for v in variants {
        for f in v.fields.iter().filter(|f| f.wire != property) {
            match listed.iter_mut().find(|(wire, _)| *wire == f.wire) {
                Some((_, exact)) => *exact |= f.exact,
                None => listed.push((&f.wire, f.exact)),
            }
        }
    }
    let slot = |wire: &str| {
        let cleaned: String = wire
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        // The index keeps two names that clean to the same text apart.
        let at = listed.iter().position(|(w, _)| *w == wire).unwrap_or(0);
        quote::format_ident!("slot_{at}_{cleaned}")
    };
    let slots: Vec<Ident> = listed.iter().map(|(wire, _)| slot(wire)).collect();
    let arms = listed.iter().map(|(wire, exact)| {
        let slot = slot(wire);
        if *exact {
            quote! { #wire => crate::rt::set_raw(&mut #slot, &mut map, #wire), }
        } else {
            quote! { #wire => crate::rt::set_loose(&mut #slot, &mut map, #wire), }
        }
    });
    let variant_arms = variants.iter().map(|v| {
        let (tag, variant, schema) = (v.tag, &v.variant, &v.schema);
        let values = v.fields.iter().map(|f| {
            let wire = &f.wire;
            let from = if f.wire == property {
                quote! { Some(crate::rt::Loose::Str(::std::borrow::Cow::Borrowed(#tag))) }
            } else {
                let slot = slot(wire);
                quote! { #slot }
            };
            let read = match (f.presence, f.exact) {
                (Presence::Required, false) => quote! { crate::rt::required },
                (Presence::Required, true) => quote! { crate::rt::required_exact },
                (_, false) => quote! { crate::rt::or_default },
                (_, true) => quote! { crate::rt::or_default_exact },
            };
            quote! { #read(#from, #wire) }
        });
        // Each field's value is bound to `value_<n>` (never to a name the code around it uses).
        let bound: Vec<Ident> = (0..v.fields.len())
            .map(|n| quote::format_ident!("value_{n}"))
            .collect();
        let idents = v.fields.iter().map(|f| &f.ident);
        // The slots of fields this variant does not list.
        let others: Vec<(&str, Ident)> = listed
            .iter()
            .filter(|(wire, _)| !v.fields.iter().any(|f| f.wire == *wire))
            .map(|(wire, _)| (*wire, slot(wire)))
            .collect();
        let other_wires = others.iter().map(|(wire, _)| wire);
        let other_slots = others.iter().map(|(_, slot)| slot);
        let others = quote! { [#((#other_wires, #other_slots)),*] };
        let (refuse, unlisted) = match v.unlisted {
            Unlisted::Keep => (
                quote! {},
                quote! { extra_fields: crate::rt::with_unlisted(unlisted, #others)?, },
            ),
            Unlisted::Skip => (quote! {}, quote! {}),
            Unlisted::Deny => {
                let fields = v.fields.iter().map(|f| &f.wire);
                (
                    quote! { crate::rt::deny_unlisted(&unlisted, #others, &[#(#fields),*])?; },
                    quote! {},
                )
            }
        };
        let what = format!("{name_text} with {property} {tag:?}");
        quote! {
            #tag => {
                let row = (|| -> Result<#schema, String> {
                    #refuse
                    // As serde's derive: a bad value is reported before a missing field.
                    match (#(#values,)*) {
                        (#(Ok(#bound),)*) => Ok(#schema { #(#idents: #bound,)* #unlisted }),
                        (#(#bound,)*) => Err(crate::rt::first_failure([#(#bound.err()),*])),
                    }
                })();
                row.map(#name::#variant)
                    .map_err(|e| A::Error::custom(crate::rt::row_failure(#what, &e)))
            }
        }
    });
    let wires = listed.iter().map(|(wire, _)| wire);
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct #visitor;
                impl<'de> ::serde::de::Visitor<'de> for #visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<#name, A::Error> {
                        use ::serde::de::Error as _;
                        let mut tag = None;
                        #(let mut #slots = None;)*
                        let mut unlisted = ::serde_json::Map::new();
                        while let Some(key) = map.next_key::<crate::rt::Key<'de>>()? {
                            match key.as_str() {
                                #property => crate::rt::set_loose(&mut tag, &mut map, #property),
                                #(#arms)*
                                _ => crate::rt::Unlisted::take(&mut unlisted, key, &mut map),
                            }?;
                        }
                        let tag = match tag {
                            Some(crate::rt::Loose::Str(tag)) => tag,
                            None | Some(crate::rt::Loose::Null) => return Err(A::Error::custom(#missing)),
                            Some(_) => return Err(A::Error::custom(#bad_tag)),
                        };
                        match tag.as_ref() {
                            #(#variant_arms)*
                            _ => crate::rt::unknown_row(#property, tag, unlisted, [#((#wires, #slots)),*])
                                .map(#name::Unknown)
                                .map_err(A::Error::custom),
                        }
                    }
                }
                deserializer.deserialize_map(#visitor)
            }
        }
    }
}

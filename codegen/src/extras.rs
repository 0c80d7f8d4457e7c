//! The project's own generated code, added next to progenitor's: open enums and open unions (which
//! keep values the spec does not know), CSV methods, and the glue that lets the pager stream a paged
//! operation. Everything here is derived from [`SpecModel`]; nothing is written per type by hand.

use openapiv3::OpenAPI;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::CodegenError;
use crate::model::{
    BodyOperation, Column, ColumnKind, CommonField, CsvOperation, FieldKind, OpenEnum, OpenUnion,
    PagedOperation, QueryKind, QueryOperation, SpecModel, ref_name,
};
use crate::serde_code::{self, Field, Presence, Unlisted};
use crate::typedefs::StructFields;

/// All extras, as one token stream of items.
pub fn generate_extras(
    spec: &OpenAPI,
    model: &SpecModel,
    fields: &StructFields,
) -> Result<TokenStream, CodegenError> {
    let enums = model
        .open_enums
        .iter()
        .map(open_enum)
        .collect::<Result<Vec<_>, _>>()?;
    // A union whose variants only answers carry has `extra_fields` on each (see typedefs.rs).
    let request_types = crate::model::schemas_reachable_from_requests(spec);
    let answer_only = |u: &OpenUnion| {
        u.variants
            .iter()
            .all(|(_, schema)| !crate::model::is_request_type(&request_types, schema))
    };
    let unions = model
        .open_unions
        .iter()
        .map(|u| open_union(u, answer_only(u), fields))
        .collect::<Result<Vec<_>, _>>()?;
    let error_type = error_type(spec)?;
    let csv = model
        .csv_operations
        .iter()
        .map(|op| csv_method(op, &error_type))
        .collect::<Vec<_>>();
    let pagers = model
        .paged_operations
        .iter()
        .map(|op| pager_glue(op, model, &error_type))
        .collect::<Vec<_>>();
    let api = crate::api::generate_api(spec, model, &error_type)?;
    let methods = model
        .body_operations
        .iter()
        .map(|op| client_methods(op, model))
        .collect::<Vec<_>>();
    // Every schema some operation takes as its JSON body gets its checks.
    let mut checked: Vec<&str> = Vec::new();
    for (_, _, op) in crate::model::operations(spec) {
        let body = op
            .request_body
            .as_ref()
            .and_then(|b| b.as_item())
            .and_then(|b| b.content.get("application/json"))
            .and_then(|m| m.schema.as_ref());
        if let Some(openapiv3::ReferenceOr::Reference { reference }) = body
            && let Some(name) = ref_name(reference)
            && !checked.contains(&name)
        {
            checked.push(name);
        }
    }
    let queries = model
        .query_operations
        .iter()
        .map(|op| query_operation(op, model))
        .collect::<Result<Vec<_>, _>>()?;
    // Always there (src/lib.rs re-exports it), importing the generated items only when used.
    let imports = (!queries.is_empty()).then(|| quote! { use super::*; });
    let queries = quote! {
        /// The query structs of the `GET` operations (`x-gcore-query-type`), with their `Client`
        /// methods. Re-exported at the crate root.
        pub mod queries {
            #imports
            #(#queries)*
        }
    };
    let validations = checked
        .iter()
        .map(|name| validate_impl(spec, name))
        .collect::<Result<Vec<_>, _>>()?;
    let paged_imports = (!pagers.is_empty()).then(|| quote! { use super::*; });
    Ok(quote! {
        /// Types that keep values this version of the spec does not list: enums with an `Unknown(String)`
        /// variant, and unions with an `Unknown(serde_json::Value)` variant. Also re-exported from [`types`].
        pub mod open {
            #(#enums)*
            #(#unions)*
        }

        /// Methods that return the `text/csv` form of a report, as a byte stream.
        impl Client {
            #(#csv)*
        }

        /// The paged operations (those with `x-gcore-pagination`), one marker type each, named after
        /// the `Client` method: what [`crate::Client::paginate`] and [`crate::Client::count`] take as
        /// their type parameter. Keyed to the operation, not its request type, which several
        /// operations may share.
        pub mod paged {
            #paged_imports
            #(#pagers)*
        }

        #(#validations)*

        #queries

        /// The methods users call, one set per operation with a JSON body: checked input, retries,
        /// this crate's errors. Generated from the spec, so a new operation needs no edit in `src/`.
        impl crate::Client {
            #(#methods)*
        }

        #api
    })
}

/// Adds `pub use super::open::*;` to progenitor's `types` module, so open types sit with the others
/// (when the spec has any).
pub fn reexport_open_types_in_types_module(file: &mut syn::File, model: &SpecModel) {
    if model.open_type_names().is_empty() {
        return;
    }
    for item in &mut file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "types"
            && let Some((_, items)) = &mut module.content
        {
            items.insert(0, syn::parse_quote! { pub use super::open::*; });
        }
    }
}

fn doc(text: &str) -> TokenStream {
    let lines = text.trim_end().lines().map(|l| format!(" {l}"));
    quote! { #(#[doc = #lines])* }
}

/// A rustdoc `# Example` section: `input` builds the request and runs in `cargo test --doc` (so the
/// spec's example must parse as the generated type), `call` sends it inside an async block that
/// is compiled but never polled (it would need the API).
fn example_section(input: &[String], call: &[String]) -> String {
    let mut text = String::from(
        "\n\n# Example\n\n```\n# fn main() -> Result<(), Box<dyn std::error::Error>> {\n",
    );
    for line in input {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(
        "# let _never_polled = async {\nlet client = gcore_billing::Client::from_env()?;\n",
    );
    for line in call {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("# Ok::<(), Box<dyn std::error::Error>>(())\n# };\n# Ok(())\n# }\n```");
    text
}

/// `value` as a raw string literal, with enough `#`s that its text cannot end it.
fn raw_string(value: &str) -> String {
    let hashes = (1..)
        .map(|n| "#".repeat(n))
        .find(|h| !value.contains(&format!("\"{h}")))
        .unwrap_or_default();
    format!("r{hashes}\"{value}\"{hashes}")
}

/// The example of a body operation's method: the spec's request example parsed from JSON, the
/// path parameters' examples as arguments. None when the spec gives no body example, or a path
/// parameter has no integer example.
fn body_method_example(op: &BodyOperation) -> Option<String> {
    let body = serde_json::to_string_pretty(op.body_example.as_ref()?).ok()?;
    let mut arguments = Vec::new();
    for parameter in &op.path_parameters {
        let value = parameter.example.as_ref()?;
        arguments.push(value.as_i64().map(|v| v.to_string())?);
    }
    arguments.push("request".to_string());
    Some(example_section(
        &[format!(
            "let request: gcore_billing::types::{} = serde_json::from_str({})?;",
            op.body_type,
            raw_string(&body)
        )],
        &[
            format!(
                "let answer = client.{}({}).await?;",
                op.method,
                arguments.join(", ")
            ),
            "println!(\"{answer:?}\");".to_string(),
        ],
    ))
}

/// The example of a GET's method: the query built with its constructor from the required
/// parameters' examples (each parsed from its text). None when a required parameter has no
/// example.
fn query_method_example(op: &QueryOperation) -> Option<String> {
    let mut path_arguments = Vec::new();
    for parameter in &op.path_parameters {
        let value = parameter.example.as_ref()?;
        path_arguments.push(value.as_i64().map(|v| v.to_string())?);
    }
    path_arguments.push("query".to_string());
    let mut arguments = Vec::new();
    let parsed = |value: &serde_json::Value| {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        format!("{text:?}.parse()?")
    };
    for parameter in op.parameters.iter().filter(|p| p.required) {
        let example = parameter.example.as_ref()?;
        arguments.push(match (parameter.list, example) {
            (true, serde_json::Value::Array(values)) => {
                let values: Vec<String> = values.iter().map(parsed).collect();
                format!("vec![{}]", values.join(", "))
            }
            (true, one) => format!("vec![{}]", parsed(one)),
            (false, one) => parsed(one),
        });
    }
    Some(example_section(
        &[format!(
            "let query = gcore_billing::{}::new({});",
            op.query_type,
            arguments.join(", ")
        )],
        &[
            format!(
                "let answer = client.{}({}).await?;",
                op.method,
                path_arguments.join(", ")
            ),
            "println!(\"{answer:?}\");".to_string(),
        ],
    ))
}

/// `gbminutes` → `Gbminutes`, `active_from.asc` → `ActiveFromAsc`, `GB` → `Gb`.
fn pascal_ident(value: &str) -> Ident {
    let mut name = String::new();
    for part in value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    Ident::new(&name, Span::call_site())
}

/// A field as the crate's struct macros list it: `name`, or `name as "wire"` when the two differ.
/// `#[deprecated(note = ..)]` for an operation the spec deprecates.
fn deprecated_attr(note: Option<&str>) -> Option<TokenStream> {
    note.map(|note| quote! { #[deprecated(note = #note)] })
}

/// A field of a struct the generator writes itself, always written when serialized.
fn wire_field(field: &Ident, wire: &str, presence: Presence) -> Field {
    Field {
        ident: field.clone(),
        wire: wire.to_string(),
        presence,
        skip_if: None,
        exact: false,
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn open_enum(e: &OpenEnum) -> Result<TokenStream, CodegenError> {
    let name = ident(&e.name);
    let idents: Vec<Ident> = e.values.iter().map(|v| pascal_ident(v)).collect();
    let mut seen = std::collections::BTreeSet::new();
    for (value, id) in e.values.iter().zip(&idents) {
        if id == "Unknown" || !seen.insert(id.to_string()) {
            return Err(CodegenError::Unsupported {
                location: format!("schema {}", e.name),
                message: format!("value {value:?} gives the Rust name {id}, which is taken"),
            });
        }
    }
    let values = &e.values;
    let docs = values.iter().map(|v| doc(&format!("`{v}`")));
    let description = doc(e.description.as_deref().unwrap_or(""));
    Ok(quote! {
        #description
        ///
        /// A value the spec does not list is kept in [`Self::Unknown`] instead of failing the response.
        /// Non-exhaustive: a value added to the spec is a new variant, not a breaking change.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#docs #idents,)*
            /// A value this version of the client does not know, exactly as the server sent it.
            Unknown(String),
        }

        impl #name {
            /// Every value the spec lists.
            pub const KNOWN: &'static [&'static str] = &[#(#values),*];

            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #values,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// True when the server sent a value the spec does not list.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#values => Self::#idents,)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl crate::rt::FieldValue for #name {
            type Out<'a> = #name;
            fn value(&self) -> Option<#name> {
                Some(self.clone())
            }
        }

        impl crate::rt::FieldValue for Option<#name> {
            type Out<'a> = #name;
            fn value(&self) -> Option<#name> {
                self.clone()
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    })
}

fn variant_ident(union: &OpenUnion, schema: &str) -> Ident {
    let short = schema
        .strip_prefix(union.name.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(schema);
    ident(short)
}

fn open_union(
    u: &OpenUnion,
    answer_only: bool,
    fields: &StructFields,
) -> Result<TokenStream, CodegenError> {
    let name = ident(&u.name);
    let property = &u.property;
    let variants: Vec<Ident> = u
        .variants
        .iter()
        .map(|(_, schema)| variant_ident(u, schema))
        .collect();
    let schemas: Vec<Ident> = u.variants.iter().map(|(_, schema)| ident(schema)).collect();
    let tags: Vec<&String> = u.variants.iter().map(|(tag, _)| tag).collect();
    let variant_docs = tags.iter().map(|t| doc(&format!("`{property}`: `{t}`")));
    let description = doc(u.description.as_deref().unwrap_or(""));
    let dispatch_doc = doc(&format!(
        "\nDeserialization dispatches on `{property}`: a known value must match its schema \
         exactly (or the error names the type and the field), an unknown value is kept as \
         [`Self::Unknown`]. Non-exhaustive: a type added to the spec is a new variant, not a \
         breaking change."
    ));
    let deserialize = union_deserialize(u, fields)?;
    let accessors = u
        .common_fields
        .iter()
        .map(|f| common_accessor(f, &variants));
    let columns = columns_impl(&name, &u.columns);
    let common_row = common_row(u);
    let extra_fields_match = field_of_any_variant(
        &variants,
        &ident("extra_fields"),
        quote! { Self::Unknown(_) => None },
    );
    let extra_fields = answer_only.then(|| {
        quote! {
            /// The fields of this row that the spec does not list, as received (the variant's
            /// `extra_fields`). `None` for a row of unknown type, which is kept whole in
            /// [`Self::Unknown`].
            pub fn extra_fields(&self) -> Option<&::serde_json::Map<String, ::serde_json::Value>> {
                #extra_fields_match
            }
        }
    });
    Ok(quote! {
        #common_row

        #description
        #dispatch_doc
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #(#variant_docs #variants(super::types::#schemas),)*
            /// A type this version of the client does not know, kept as the JSON the server sent.
            Unknown(::serde_json::Value),
        }

        impl #name {
            /// Every tag the spec lists.
            pub const KNOWN: &'static [&'static str] = &[#(#tags),*];

            /// The value of `#property`, known or not.
            pub fn type_name(&self) -> &str {
                match self {
                    #(Self::#variants(_) => #tags,)*
                    Self::Unknown(value) => value.get(#property).and_then(|v| v.as_str()).unwrap_or(""),
                }
            }

            /// True for a type the spec does not list.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            #extra_fields

            #(#accessors)*
        }

        #columns

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Self::#variants(value) => value.serialize(serializer),)*
                    Self::Unknown(value) => value.serialize(serializer),
                }
            }
        }

        #deserialize
    })
}

/// The union's one-pass `Deserialize` (serde_code.rs), from its variants' fields as their own
/// impls read them.
fn union_deserialize(u: &OpenUnion, fields: &StructFields) -> Result<TokenStream, CodegenError> {
    let unsupported = |message: String| CodegenError::Unsupported {
        location: format!("#/components/schemas/{}", u.name),
        message,
    };
    let mut variants = Vec::new();
    for (tag, schema) in &u.variants {
        let Some((listed, unlisted)) = fields.get(schema) else {
            return Err(unsupported(format!(
                "variant {schema} is not a struct with named fields, which an open union needs"
            )));
        };
        let schema_ident = ident(schema);
        variants.push(serde_code::UnionVariant {
            tag,
            variant: variant_ident(u, schema),
            schema: quote! { super::types::#schema_ident },
            fields: listed,
            unlisted: *unlisted,
        });
    }
    Ok(serde_code::deserialize_open_union(
        &ident(&u.name),
        &u.property,
        &variants,
    ))
}

/// `<Union>Common`: a row with only the discriminator and the default columns' fields (those every
/// variant has, with the union's `x-gcore-default-columns`), parsed in one pass with every other
/// field skipped (for exports of the default columns). A known type must
/// carry each field that all its variants require, as the union checks.
fn common_row(u: &OpenUnion) -> TokenStream {
    let union_name = &u.name;
    let name = format_ident!("{}Common", u.name);
    let property = &u.property;
    let union_ident = ident(&u.name);
    let tag_field = Ident::new_raw(property, proc_macro2::Span::call_site());
    let fields: Vec<&Column> = u
        .columns
        .iter()
        .filter(|c| c.in_default && c.name != *property)
        .collect();
    let idents: Vec<Ident> = fields.iter().map(|c| ident(&c.name)).collect();
    let names: Vec<&String> = fields.iter().map(|c| &c.name).collect();
    let types: Vec<TokenStream> = fields
        .iter()
        .map(|c| match c.kind {
            ColumnKind::Text => quote! { String },
            ColumnKind::Integer => quote! { i64 },
            ColumnKind::Number => quote! { f64 },
            ColumnKind::Decimal => quote! { ::rust_decimal::Decimal },
            ColumnKind::Boolean => quote! { bool },
            ColumnKind::Timestamp => quote! { ::chrono::DateTime<::chrono::offset::Utc> },
            ColumnKind::Json => quote! { ::serde_json::Value },
        })
        .collect();
    // What each field is parsed as: a timestamp as the columns' `RowTime` (the same parser as the
    // rows'), then taken out of it.
    let wire_types: Vec<TokenStream> = fields
        .iter()
        .zip(&types)
        .map(|(c, ty)| match c.kind {
            ColumnKind::Timestamp => quote! { crate::rt::RowTime },
            _ => ty.clone(),
        })
        .collect();
    let listed: Vec<Field> = idents
        .iter()
        .zip(&names)
        .zip(&fields)
        .map(|((id, n), c)| Field {
            exact: c.kind == ColumnKind::Decimal,
            ..wire_field(id, n, Presence::Optional)
        })
        .collect();
    let serialize = serde_code::serialize_struct(
        &name,
        &[
            &[wire_field(&tag_field, property, Presence::Required)],
            &listed[..],
        ]
        .concat(),
    );
    let wire_ident = ident("Wire");
    let deserialize_wire = serde_code::deserialize_struct(
        &wire_ident,
        &[
            &[wire_field(&ident("tag"), property, Presence::Required)],
            &listed[..],
        ]
        .concat(),
        Unlisted::Skip,
    );
    let from_wire: Vec<TokenStream> = fields
        .iter()
        .zip(&idents)
        .map(|(c, id)| match c.kind {
            ColumnKind::Timestamp => quote! { wire.#id.map(|time| time.0) },
            _ => quote! { wire.#id },
        })
        .collect();
    let required: Vec<(&Ident, String)> = u
        .common_fields
        .iter()
        .filter(|f| f.optional_in.iter().all(|optional| !optional))
        .filter_map(|f| {
            let at = names.iter().position(|n| **n == f.name)?;
            Some((&idents[at], format!("missing or null field `{}`", f.name)))
        })
        .collect();
    let (required_fields, required_messages): (Vec<&Ident>, Vec<String>) =
        required.into_iter().unzip();
    let tags: Vec<&String> = u.variants.iter().map(|(tag, _)| tag).collect();
    let docs = doc(&format!(
        "A [`{union_name}`] row with only `{property}` and the fields of the default export \
         columns (those every type has, and the spec's `x-gcore-default-columns`), parsed in one \
         pass (other fields are skipped, not kept). Its columns are [`{union_name}`]'s \
         `COMMON_COLUMNS`. A known `{property}` must carry every field all its variants require; \
         an unknown one is taken as it is."
    ));
    let field_docs = names
        .iter()
        .map(|n| doc(&format!("`{n}`, when the row has it.")));
    let property_doc = doc(&format!("`{property}`, known or not."));
    // A row of a known type must have the fields every known type requires (none: no check).
    let required_checks = if required_fields.is_empty() {
        quote! {}
    } else {
        quote! {
            use ::serde::de::Error as _;
            let known = [#(#tags),*].contains(&wire.tag.as_str());
            #(if known && wire.#required_fields.is_none() {
                return Err(D::Error::custom(format!("{} with {} {:?}: {}", #union_name, #property, wire.tag, #required_messages)));
            })*
        }
    };
    quote! {
        #docs
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub struct #name {
            #property_doc
            pub #tag_field: String,
            #(#field_docs pub #idents: Option<#types>,)*
        }

        #serialize

        impl crate::rt::Columns for #name {
            const COMMON_COLUMNS: &'static [crate::rt::Column] =
                <#union_ident as crate::rt::Columns>::COMMON_COLUMNS;
            const ALL_COLUMNS: &'static [crate::rt::Column] = Self::COMMON_COLUMNS;
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Wire {
                    tag: String,
                    #(#idents: Option<#wire_types>,)*
                }
                #deserialize_wire
                let wire = <Wire as ::serde::Deserialize>::deserialize(deserializer)?;
                #required_checks
                Ok(Self { #tag_field: wire.tag, #(#idents: #from_wire,)* })
            }
        }
    }
}

/// `impl Columns`: the union's export columns, read from the spec.
fn columns_impl(name: &Ident, columns: &[Column]) -> TokenStream {
    let column = |c: &Column| {
        let field = &c.name;
        let kind = match c.kind {
            ColumnKind::Text => quote! { Text },
            ColumnKind::Integer => quote! { Integer },
            ColumnKind::Number => quote! { Number },
            ColumnKind::Decimal => quote! { Decimal },
            ColumnKind::Boolean => quote! { Boolean },
            ColumnKind::Timestamp => quote! { Timestamp },
            ColumnKind::Json => quote! { Json },
        };
        quote! { crate::rt::Column { name: #field, kind: crate::rt::ColumnKind::#kind } }
    };
    let common = columns.iter().filter(|c| c.in_default).map(column);
    let all = columns.iter().map(column);
    quote! {
        impl crate::rt::Columns for #name {
            const COMMON_COLUMNS: &'static [crate::rt::Column] = &[#(#common),*];
            const ALL_COLUMNS: &'static [crate::rt::Column] = &[#(#all),*];
        }
    }
}

/// A `match` that reads `field` of whichever known variant the row is (the same way whether the
/// variant requires it or not); `unknown_arm` is the arm for a row of unknown type.
fn field_of_any_variant(
    variants: &[Ident],
    field: &Ident,
    unknown_arm: TokenStream,
) -> TokenStream {
    quote! {
        match self {
            #(Self::#variants(v) => crate::rt::FieldValue::value(&v.#field),)*
            #unknown_arm
        }
    }
}

/// One accessor of a union's common field: a [`field_of_any_variant`] `match`, reading the key of
/// an unknown row's JSON.
fn common_accessor(f: &CommonField, variants: &[Ident]) -> TokenStream {
    let field = format_ident!("{}", f.name);
    let key = &f.name;
    let description = doc(&format!(
        "{}\n\n`None` when the row does not carry it (null, or an unknown type without it).",
        f.description.as_deref().unwrap_or("")
    ));
    let (ret, unknown) = match &f.kind {
        FieldKind::Str => (quote! { Option<&str> }, quote! { crate::rt::unknown_str }),
        FieldKind::I64 => (quote! { Option<i64> }, quote! { crate::rt::unknown_i64 }),
        FieldKind::F64 => (quote! { Option<f64> }, quote! { crate::rt::unknown_f64 }),
        FieldKind::Decimal => (
            quote! { Option<::rust_decimal::Decimal> },
            quote! { crate::rt::unknown_decimal },
        ),
        FieldKind::DateTime => (
            quote! { Option<::chrono::DateTime<::chrono::offset::Utc>> },
            quote! { crate::rt::unknown_time },
        ),
        FieldKind::OpenEnum(name) => {
            let ty = ident(name);
            (
                quote! { Option<#ty> },
                quote! { crate::rt::unknown_enum::<#ty> },
            )
        }
    };
    let body = field_of_any_variant(
        variants,
        &field,
        quote! { Self::Unknown(raw) => #unknown(raw.get(#key)) },
    );
    quote! {
        #description
        pub fn #field(&self) -> #ret {
            #body
        }
    }
}

/// `CostReportResource` → `cost_report_resource`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::new();
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

fn error_type(spec: &OpenAPI) -> Result<Ident, CodegenError> {
    let components = spec.components.as_ref();
    let from_responses = components.and_then(|c| {
        c.responses.values().find_map(|r| {
            match r
                .as_item()?
                .content
                .get("application/json")?
                .schema
                .as_ref()?
            {
                openapiv3::ReferenceOr::Reference { reference } => {
                    ref_name(reference).map(str::to_string)
                }
                openapiv3::ReferenceOr::Item(_) => None,
            }
        })
    });
    from_responses
        .map(|n| ident(&n))
        .ok_or_else(|| CodegenError::Unsupported {
            location: "components.responses".into(),
            message:
                "CSV methods and pagers need one shared error response with a $ref'd JSON schema"
                    .into(),
        })
}

/// The body of a hand-shaped generated method: POST `json` to `path` with this `Accept`, through the
/// client's hooks (auth, retries, tracing), and read a success with `on_success`.
fn send_through_hooks(
    path: &str,
    operation_id: &str,
    accept: &str,
    json: TokenStream,
    on_success: TokenStream,
) -> TokenStream {
    quote! {
        let url = format!("{}{}", self.baseurl, #path);
        let mut request = self
            .client
            .post(url)
            .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static(#accept))
            .json(&#json)
            .build()?;
        let info = OperationInfo { operation_id: #operation_id };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200..=299 => #on_success,
            400..=599 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}

fn csv_method(op: &CsvOperation, error_type: &Ident) -> TokenStream {
    let method = format_ident!("{}_csv", op.operation_id);
    let operation_id = format!("{}_csv", op.operation_id);
    let body_type = ident(&op.body_type);
    let path = &op.path;
    let field = &op.field;
    let value = &op.value;
    let send = send_through_hooks(
        path,
        &operation_id,
        "text/csv",
        quote! { json },
        quote! { Ok(ResponseValue::stream(response)) },
    );
    let docs = doc(&format!(
        "{}, as CSV: sends the request with `{field}: {value}` and `Accept: text/csv`.\n\n\
         The answer is streamed; nothing is parsed. `POST {path}`",
        op.summary.as_deref().unwrap_or(&op.operation_id)
    ));
    quote! {
        #docs
        pub async fn #method(
            &self,
            body: &types::#body_type,
        ) -> Result<ResponseValue<ByteStream>, Error<types::#error_type>> {
            // Written as the typed method writes it (the same serializer), then read back as an
            // object to set the format.
            let written = ::serde_json::to_vec(body).map_err(|e| Error::InvalidRequest(e.to_string()))?;
            let mut json: ::serde_json::Map<String, ::serde_json::Value> = ::serde_json::from_slice(&written)
                .map_err(|_| Error::InvalidRequest("request body is not a JSON object".to_string()))?;
            json.insert(#field.to_string(), ::serde_json::Value::from(#value));
            #send
        }
    }
}

/// A body operation's path parameters: the method's arguments, their checks (from their schemas,
/// run before anything is sent), and the builder calls that set them.
fn path_parameters(
    operation_id: &str,
    parameters: &[crate::model::PathParameter],
) -> (Vec<TokenStream>, TokenStream, Vec<TokenStream>) {
    if parameters.is_empty() {
        return (Vec::new(), TokenStream::new(), Vec::new());
    }
    let mut arguments = Vec::new();
    let mut setters = Vec::new();
    let mut checks = Vec::new();
    let mut names = Vec::new();
    for parameter in parameters {
        let name = ident(&parameter.name);
        let ty = if parameter.signed {
            quote! { i64 }
        } else {
            quote! { u64 }
        };
        arguments.push(quote! { #name: #ty });
        setters.push(quote! { .#name(#name) });
        names.push((parameter.name.clone(), name));
        let spec = OpenAPI::default();
        // An inline integer schema refers to nothing (an empty spec resolves all it needs) and its
        // checks cannot fail to build.
        let _ = property_checks(&spec, &parameter.name, &parameter.schema, 0, &mut checks);
    }
    let (paths, rules): (Vec<String>, Vec<TokenStream>) = checks.into_iter().unzip();
    let keys = names.iter().map(|(key, _)| key);
    let values = names.iter().map(|(_, value)| value);
    let parameter_checks = quote! {
        const PARAMETER_CHECKS: &[crate::rt::FieldCheck] = &[
            #(crate::rt::FieldCheck { path: #paths, check: crate::rt::Check::#rules },)*
        ];
        crate::rt::check_fields(&::serde_json::json!({ #(#keys: #values),* }), PARAMETER_CHECKS)
            .map_err(|message| crate::Error::InvalidRequest { operation: #operation_id, message })?;
    };
    (arguments, parameter_checks, setters)
}

/// A body operation's `Client` methods: the call, and `_stream`, `_csv`, `_csv_rows` where the
/// spec says it pages or has a CSV form.
fn client_methods(op: &BodyOperation, model: &SpecModel) -> TokenStream {
    let operation_id = &op.operation_id;
    let method = ident(&op.method);
    let body_type = ident(&op.body_type);
    let response_type = type_path(&op.response_type, model);
    let what = op.summary.as_deref().unwrap_or(&op.operation_id);
    let path = &op.path;
    let docs = doc(&format!(
        "{what} (`POST {path}`, `{operation_id}`).\n\nTakes the request or its builder; the input is \
         checked before anything is sent, and errors are [`crate::Error`]s naming `{operation_id}`.{}",
        body_method_example(op).unwrap_or_default()
    ));
    let method_ident = ident(operation_id);
    let (arguments, parameter_checks, setters) =
        path_parameters(&op.operation_id, &op.path_parameters);
    let deprecated = deprecated_attr(op.deprecated.as_deref());
    let plain = quote! {
        #docs
        #deprecated
        pub async fn #method<B>(&self, #(#arguments,)* body: B) -> Result<#response_type, crate::Error>
        where
            B: TryInto<types::#body_type>,
            B::Error: ::std::fmt::Display,
        {
            #parameter_checks
            let body: types::#body_type = crate::rt::prepare(#operation_id, body)?;
            Ok(crate::rt::call(#operation_id, self.generated().#method_ident()#(#setters)*.body(body).send())
                .await?
                .into_inner())
        }
    };
    let stream = op.item_type.as_ref().map(|item| {
        let name = format_ident!("{}_stream", op.method);
        let marker = ident(&crate::model::pascal(&op.method));
        let item_type = type_path(item, model);
        let docs = doc(&format!(
            "{what}: every row, across pages, as a stream (see [`crate::pagination`] for what is \
             checked). Invalid input is the stream's only item."
        ));
        quote! {
            #docs
            #deprecated
            pub fn #name<B>(
                &self,
                body: B,
                options: crate::PageOptions,
            ) -> ::futures::stream::BoxStream<'static, Result<#item_type, crate::Error>>
            where
                B: TryInto<types::#body_type>,
                B::Error: ::std::fmt::Display,
            {
                self.paginate::<paged::#marker, B>(body, options)
            }
        }
    });
    // `_csv_rows` calls `_csv`: where both are deprecated, it says it means to.
    let allow_deprecated = op
        .deprecated
        .as_ref()
        .map(|_| quote! { #[allow(deprecated)] });
    let csv = op.csv.then(|| {
        let bytes = format_ident!("{}_csv", op.method);
        let rows = format_ident!("{}_csv_rows", op.method);
        let generated = format_ident!("{}_csv", op.operation_id);
        // Errors name the operation, as for the JSON call.
        let csv_id = operation_id;
        let bytes_docs = doc(&format!("{what} as CSV bytes, exactly as the server sent them."));
        let rows_docs = doc(&format!("{what} as CSV, parsed into rows."));
        quote! {
            #bytes_docs
            #deprecated
            pub async fn #bytes<B>(&self, body: B) -> Result<::bytes::Bytes, crate::Error>
            where
                B: TryInto<types::#body_type>,
                B::Error: ::std::fmt::Display,
            {
                let body: types::#body_type = crate::rt::prepare(#csv_id, body)?;
                let response = crate::rt::call_bytes(#csv_id, self.generated().#generated(&body)).await?;
                crate::rt::collect_csv(#csv_id, response).await
            }

            #rows_docs
            #deprecated
            pub async fn #rows<B>(&self, body: B) -> Result<crate::CsvTable, crate::Error>
            where
                B: TryInto<types::#body_type>,
                B::Error: ::std::fmt::Display,
            {
                #allow_deprecated
                let bytes = self.#bytes(body).await?;
                crate::rt::parse_csv(#csv_id, &bytes)
            }
        }
    });
    quote! {
        #plain
        #stream
        #csv
    }
}

/// `impl Validate` for a request type: the checks its schema asks for, run before anything is sent.
fn validate_impl(spec: &OpenAPI, name: &str) -> Result<TokenStream, CodegenError> {
    let mut checks = Vec::new();
    if let Some(schema) = component(spec, name) {
        field_checks(spec, schema, "", 0, &mut checks)?;
    }
    let ty = ident(name);
    let docs = doc(&format!(
        "Checks from the spec's `{name}` schema (its constraints and `x-gcore-checks`)."
    ));
    let (paths, rules): (Vec<String>, Vec<TokenStream>) = checks.into_iter().unzip();
    Ok(quote! {
        #docs
        impl crate::rt::Validate for types::#ty {
            fn validate(&self) -> Result<(), String> {
                const CHECKS: &[crate::rt::FieldCheck] = &[
                    #(crate::rt::FieldCheck { path: #paths, check: crate::rt::Check::#rules },)*
                ];
                crate::rt::check_fields(self, CHECKS)
            }
        }
    })
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> Option<&'a openapiv3::Schema> {
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

/// A property's schema, through a `$ref` to a component.
fn resolve<'a>(
    spec: &'a OpenAPI,
    schema: &'a openapiv3::ReferenceOr<Box<openapiv3::Schema>>,
) -> Option<&'a openapiv3::Schema> {
    match schema {
        openapiv3::ReferenceOr::Item(item) => Some(item),
        openapiv3::ReferenceOr::Reference { reference } => component(spec, ref_name(reference)?),
    }
}

/// The checks of an object schema's fields (nested objects and array items included, three levels
/// deep), and its `x-gcore-checks`.
fn field_checks(
    spec: &OpenAPI,
    schema: &openapiv3::Schema,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, TokenStream)>,
) -> Result<(), CodegenError> {
    use openapiv3::{SchemaKind, Type};
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Ok(());
    };
    if let Some(rules) = schema.schema_data.extensions.get(crate::extensions::CHECKS) {
        extension_checks(rules, prefix, out)?;
    }
    if depth > 3 {
        return Ok(());
    }
    for (name, property) in &object.properties {
        if let Some(property) = resolve(spec, property) {
            property_checks(spec, &format!("{prefix}{name}"), property, depth, out)?;
        }
    }
    Ok(())
}

/// The checks one field's schema asks for, at `path`.
fn property_checks(
    spec: &OpenAPI,
    path: &str,
    property: &openapiv3::Schema,
    depth: usize,
    out: &mut Vec<(String, TokenStream)>,
) -> Result<(), CodegenError> {
    use openapiv3::{SchemaKind, Type, VariantOrUnknownOrEmpty};
    let path = path.to_string();
    match &property.schema_kind {
        SchemaKind::Type(Type::Integer(i)) => {
            let (min, max) = (i.minimum.map(|m| m as f64), i.maximum.map(|m| m as f64));
            out.extend(bounds(&path, min, max));
            if matches!(
                &i.format,
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int64)
            ) {
                out.push((path.clone(), quote! { Int64 }));
            }
        }
        SchemaKind::Type(Type::Number(n)) => out.extend(bounds(&path, n.minimum, n.maximum)),
        SchemaKind::Type(Type::String(text)) => {
            if matches!(
                &text.format,
                VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime)
            ) {
                out.push((path.clone(), quote! { Year4 }));
            }
            if let Some(min) = text.min_length {
                let min = min as u64;
                out.push((path.clone(), quote! { MinLength(#min) }));
            }
            if let Some(max) = text.max_length {
                let max = max as u64;
                out.push((path.clone(), quote! { MaxLength(#max) }));
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(min) = array.min_items {
                let min = min as u64;
                out.push((path.clone(), quote! { MinItems(#min) }));
            }
            if let Some(max) = array.max_items {
                let max = max as u64;
                out.push((path.clone(), quote! { MaxItems(#max) }));
            }
            if let Some(items) = array.items.as_ref().and_then(|i| resolve(spec, i)) {
                field_checks(spec, items, &format!("{path}[]."), depth + 1, out)?;
            }
        }
        SchemaKind::Type(Type::Object(_)) => {
            field_checks(spec, property, &format!("{path}."), depth + 1, out)?;
        }
        _ => {}
    }
    Ok(())
}

/// `x-gcore-checks`: `{field, after}` and `{field, within-days-of, days}` rules between fields.
fn extension_checks(
    rules: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<(String, TokenStream)>,
) -> Result<(), CodegenError> {
    for rule in rules.as_array().into_iter().flatten() {
        let field = rule.get("field").and_then(|v| v.as_str());
        let path = field.map(|f| format!("{prefix}{f}"));
        match (
            path,
            rule.get("after"),
            rule.get("within-days-of"),
            rule.get("days"),
        ) {
            (Some(path), Some(after), None, None) => {
                let after = after.as_str().unwrap_or_default();
                out.push((path, quote! { After(#after) }));
            }
            (Some(path), None, Some(start), Some(days)) => {
                let start = start.as_str().unwrap_or_default();
                let days = days.as_i64().unwrap_or_default();
                out.push((path, quote! { WithinDaysOf(#start, #days) }));
            }
            _ => {
                return Err(CodegenError::Unsupported {
                    location: format!("x-gcore-checks of {prefix}"),
                    message: format!(
                        "{rule}: a check is {{field, after}} or {{field, within-days-of, days}}"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A GET's query struct (its fields, a constructor taking the required ones, its checks) and the
/// `Client` method that takes it.
fn query_operation(op: &QueryOperation, model: &SpecModel) -> Result<TokenStream, CodegenError> {
    let query_type = ident(&op.query_type);
    let operation_id = &op.operation_id;
    let method = ident(&op.method);
    let generated = ident(operation_id);
    let response_type = type_path(&op.response_type, model);
    let what = op.summary.as_deref().unwrap_or(operation_id);
    let path = &op.path;
    let mut fields = Vec::new();
    let mut required_arguments = Vec::new();
    let mut initial = Vec::new();
    let mut setters = Vec::new();
    let mut checks = Vec::new();
    // `from_params`: each parameter read from its text, as a command line gives it.
    let mut reads = Vec::new();
    let mut built = Vec::new();
    let empty = OpenAPI::default();
    let listed: Vec<Field> = op
        .parameters
        .iter()
        .map(|p| wire_field(&ident(&p.name), &p.name, Presence::Optional))
        .collect();
    let serialize = serde_code::serialize_struct(&query_type, &listed);
    for parameter in &op.parameters {
        let name = ident(&parameter.name);
        let ty = match &parameter.kind {
            QueryKind::DateTime => quote! { ::chrono::DateTime<::chrono::offset::Utc> },
            QueryKind::Text => quote! { String },
            QueryKind::Enum(name) => {
                let name = ident(name);
                quote! { types::#name }
            }
            QueryKind::Unsigned => quote! { u64 },
            QueryKind::Signed => quote! { i64 },
            QueryKind::Boolean => quote! { bool },
        };
        let docs = doc(parameter.description.as_deref().unwrap_or(""));
        let wire = &parameter.name;
        if parameter.list {
            // Every pair with the name, in order; none is the parameter left out.
            reads.push(quote! {
                let #name = params
                    .iter()
                    .filter(|(name, _)| name == #wire)
                    .map(|(_, text)| text.parse::<#ty>().map_err(|e| format!("{} {text:?}: {e}", #wire)))
                    .collect::<Result<Vec<#ty>, String>>()?;
                let #name = (!#name.is_empty()).then_some(#name);
            });
        } else {
            reads.push(quote! {
                let #name = match params.iter().find(|(name, _)| name == #wire) {
                    Some((_, text)) => Some(text.parse::<#ty>().map_err(|e| format!("{} {text:?}: {e}", #wire))?),
                    None => None,
                };
            });
        }
        if parameter.required {
            let missing = format!("missing the parameter {wire}");
            built.push(quote! { #name: #name.ok_or_else(|| #missing.to_string())? });
        } else {
            built.push(quote! { #name });
        }
        property_checks(&empty, &parameter.name, &parameter.schema, 0, &mut checks)?;
        // A list goes to the builder element by element converted to its element type.
        let value = if parameter.list {
            quote! {
                crate::rt::list_into(#wire, value).map_err(|message| crate::Error::InvalidRequest {
                    operation: #operation_id,
                    message,
                })?
            }
        } else {
            quote! { value }
        };
        let ty = if parameter.list {
            quote! { Vec<#ty> }
        } else {
            ty
        };
        if parameter.required {
            fields.push(quote! { #docs pub #name: #ty });
            required_arguments.push(quote! { #name: #ty });
            initial.push(quote! { #name });
            setters.push(quote! {
                let value = query.#name;
                request = request.#name(#value);
            });
        } else {
            let note = doc(if parameter.list {
                "One `name=value` pair is sent per element. Not sent when `None`."
            } else {
                "Not sent when `None`."
            });
            fields.push(quote! { #docs #note pub #name: Option<#ty> });
            initial.push(quote! { #name: None });
            setters.push(quote! {
                if let Some(value) = query.#name {
                    request = request.#name(#value);
                }
            });
        }
    }
    if let Some(rules) = &op.checks {
        extension_checks(rules, "", &mut checks)?;
    }
    let (paths, rules): (Vec<String>, Vec<TokenStream>) = checks.into_iter().unzip();
    // A GET without parameters reads none.
    let params_arg = if reads.is_empty() {
        quote! { _params }
    } else {
        quote! { params }
    };
    // With no required parameter, `new()` takes nothing, and `Default` is the same query.
    let default_impl = required_arguments.is_empty().then(|| {
        quote! {
            impl Default for #query_type {
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    });
    let struct_docs = doc(&format!(
        "The query of `{operation_id}` (`GET {path}`), one field per query parameter of the spec."
    ));
    let method_docs = doc(&format!(
        "{what} (`GET {path}`, `{operation_id}`).\n\nThe query is checked before anything is sent \
         (its parameters' schemas and the operation's `x-gcore-checks`).{}",
        query_method_example(op).unwrap_or_default()
    ));
    let deprecated = deprecated_attr(op.deprecated.as_deref());
    let (path_arguments, path_checks, path_setters) =
        path_parameters(operation_id, &op.path_parameters);
    // A GET without query parameters has no setters, and its request needs no `mut`.
    let request = if setters.is_empty() {
        quote! { let request = self.generated().#generated()#(#path_setters)*; }
    } else {
        quote! {
            let mut request = self.generated().#generated()#(#path_setters)*;
            #(#setters)*
        }
    };
    Ok(quote! {
        #struct_docs
        #[derive(Clone, Debug, PartialEq)]
        pub struct #query_type {
            #(#fields,)*
        }

        #serialize

        impl #query_type {
            /// A query with the required parameters set and the others left out.
            pub fn new(#(#required_arguments),*) -> Self {
                Self { #(#initial,)* }
            }

            /// A query from parameters given as text (`name`, `value`), as a command line gives
            /// them; an error names the parameter that does not parse or is missing. Names that
            /// are not parameters are not looked at.
            pub fn from_params(#params_arg: &[(String, String)]) -> Result<Self, String> {
                #(#reads)*
                Ok(Self { #(#built,)* })
            }
        }

        #default_impl

        impl crate::rt::Validate for #query_type {
            fn validate(&self) -> Result<(), String> {
                const CHECKS: &[crate::rt::FieldCheck] = &[
                    #(crate::rt::FieldCheck { path: #paths, check: crate::rt::Check::#rules },)*
                ];
                crate::rt::check_fields(self, CHECKS)
            }
        }

        impl crate::Client {
            #method_docs
            #deprecated
            pub async fn #method(&self, #(#path_arguments,)* query: #query_type) -> Result<#response_type, crate::Error> {
                #path_checks
                crate::rt::Validate::validate(&query).map_err(|message| crate::Error::InvalidRequest {
                    operation: #operation_id,
                    message,
                })?;
                #request
                Ok(crate::rt::call(#operation_id, request.send()).await?.into_inner())
            }
        }
    })
}

fn bounds(path: &str, min: Option<f64>, max: Option<f64>) -> Option<(String, TokenStream)> {
    let check = match (min, max) {
        (Some(min), Some(max)) => quote! { Between(#min, #max) },
        (Some(min), None) => quote! { Minimum(#min) },
        (None, Some(max)) => quote! { Maximum(#max) },
        (None, None) => return None,
    };
    Some((path.to_string(), check))
}

fn type_path(name: &str, model: &SpecModel) -> TokenStream {
    let id = ident(name);
    if model.open_type_names().contains(&name) {
        quote! { open::#id }
    } else {
        quote! { types::#id }
    }
}

fn pager_glue(op: &PagedOperation, model: &SpecModel, error_type: &Ident) -> TokenStream {
    let body_type = ident(&op.body_type);
    let page_type = ident(&op.response_type);
    let item_type = type_path(&op.item_type, model);
    let method = ident(&op.operation_id);
    let operation_id = &op.operation_id;
    let limit = ident(&op.limit);
    let offset = ident(&op.offset);
    let count = ident(&op.count);
    let items = ident(&op.items);
    let limit_default = op.limit_default;
    let limit_value = if op.limit_is_nonzero {
        quote! { body.#limit.map_or(#limit_default, |limit| limit.get()) }
    } else {
        // The pager only reads this for a request it then checks; a negative limit reads as 0.
        quote! { body.#limit.map_or(#limit_default, |limit| u64::try_from(limit).unwrap_or(0)) }
    };
    let marker = ident(&crate::model::pascal(&op.method));
    let docs = doc(&format!(
        "The `{operation_id}` operation as a type, for [`crate::Client::paginate`] and \
         [`crate::Client::count`] (a type only; never built). It pages with `{}`/`{}` and reports \
         `{}`; its rows are `{}`.",
        op.limit, op.offset, op.count, op.items
    ));
    let raw_method = format_ident!("{}_rows", op.operation_id);
    let send = send_through_hooks(
        &op.path,
        &op.operation_id,
        "application/json",
        quote! { body },
        quote! { ResponseValue::from_response(response).await },
    );
    let common_item = match model.open_unions.iter().find(|u| u.name == op.item_type) {
        Some(union) => {
            let common = format_ident!("{}Common", union.name);
            quote! { open::#common }
        }
        None => item_type.clone(),
    };
    let count_field = &op.count;
    let items_field = &op.items;
    let path = &op.path;
    let raw_docs = doc(&format!(
        "{}: one page, its rows read as `T`: the typed rows, [`crate::pagination::RawRow`] for each \
         row's JSON text, or the rows' common fields. `POST {path}`",
        op.summary.as_deref().unwrap_or(&op.operation_id)
    ));
    quote! {
        #docs
        pub enum #marker {}

        impl crate::rt::PagedOperation for #marker {
            type Body = types::#body_type;
            type Page = types::#page_type;
            type Item = #item_type;
            type Error = types::#error_type;
            const OPERATION_ID: &'static str = #operation_id;

            fn limit(body: &Self::Body) -> u64 {
                #limit_value
            }

            fn offset(body: &Self::Body) -> i64 {
                crate::rt::offset_of(body.#offset)
            }

            fn with_window(body: &Self::Body, limit: u64, offset: u64) -> Result<Self::Body, String> {
                let mut next = body.clone();
                next.#limit = Some(crate::rt::window_value(limit, #operation_id)?);
                next.#offset = Some(crate::rt::window_value(offset, #operation_id)?);
                Ok(next)
            }

            fn fetch(
                client: &Client,
                body: Self::Body,
            ) -> impl ::std::future::Future<Output = Result<ResponseValue<Self::Page>, Error<Self::Error>>> + Send + '_ {
                client.#method().body(body).send()
            }

            fn count(page: &Self::Page) -> i64 {
                page.#count
            }

            fn into_items(page: Self::Page) -> Vec<Self::Item> {
                page.#items
            }
        }

        impl crate::rt::PagedRows for #marker {
            const COUNT_FIELD: &'static str = #count_field;
            const ITEMS_FIELD: &'static str = #items_field;
            type CommonItem = #common_item;

            fn fetch_rows<T: ::serde::de::DeserializeOwned + Send + 'static>(
                client: &Client,
                body: Self::Body,
            ) -> impl ::std::future::Future<Output = Result<ResponseValue<crate::rt::RowsPage<Self, T>>, Error<Self::Error>>> + Send + '_ {
                client.#raw_method::<T>(body)
            }
        }

        impl Client {
            #raw_docs
            pub async fn #raw_method<T: ::serde::de::DeserializeOwned>(
                &self,
                body: types::#body_type,
            ) -> Result<ResponseValue<crate::rt::RowsPage<#marker, T>>, Error<types::#error_type>> {
                #send
            }
        }
    }
}

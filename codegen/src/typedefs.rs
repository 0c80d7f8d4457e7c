//! The `types` module of the generated client, written from a model of the spec's types.
//!
//! typify (inside progenitor) decides what Rust types the spec's schemas become: their names (an
//! inline part is named after its parent and property) and each field's Rust type (`Option`,
//! `Vec`, maps, `NonZeroU64`, chrono's dates, the open types swapped in). [`read_type_model`] takes
//! those decisions from typify's public type details (`TypeSpace`), joins each type to the schema
//! it came from by following type ids from the components and the operations' parameters, and
//! reads from the schema what typify does not expose: each field's and value's name on the wire,
//! deprecation, `additionalProperties: false`, a string's pattern and length bounds, an integer
//! enum's values. A type it cannot join, or whose shape it does not know, is an error naming it.
//!
//! [`emit_types_module`] then writes every item of the module from that model: the definitions
//! with their docs, their serde impls (`serde_code.rs`), the string enums' `as_str`, `Display` and
//! `FromStr`, the checked newtypes, and the request types' builders. Nothing typify writes is
//! kept, so no step edits its output.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use typify::{Type, TypeDetails, TypeEnumVariant, TypeId, TypeSpace};

use crate::CodegenError;
use crate::serde_code::{self, Presence, Unlisted};

/// The field that keeps what the spec does not list, on every answer struct.
pub const EXTRA_FIELDS: &str = "extra_fields";

/// Every type of the `types` module, by name.
pub struct TypeModel {
    pub types: BTreeMap<String, TypeDef>,
}

/// One type: its name, its doc, whether requests carry it, its shape.
pub struct TypeDef {
    pub name: Ident,
    pub doc: String,
    /// Made of what requests carry: a builder, unset fields left out of what is sent, unlisted
    /// fields skipped. Otherwise only answers carry it: unlisted fields are kept in
    /// `extra_fields`, every field is written, the struct is `#[non_exhaustive]`.
    pub request: bool,
    pub shape: Shape,
}

pub enum Shape {
    Struct {
        fields: Vec<FieldDef>,
        /// `additionalProperties: false`.
        closed: bool,
    },
    /// A string enum: each variant with its wire value and doc.
    StringEnum(Vec<(Ident, String, Option<String>)>),
    /// An untagged union: each variant with the type it holds.
    Union(Vec<(Ident, TypeRef)>),
    Newtype {
        inner: TypeRef,
        check: Check,
    },
}

/// What a newtype checks its value against.
pub enum Check {
    /// Nothing: any value of the inner type (its field is public).
    Nothing,
    /// A string's length (in characters) and pattern.
    Text {
        min: Option<usize>,
        max: Option<usize>,
        pattern: Option<String>,
    },
    /// One of the listed values (an enum of integers).
    OneOf(Vec<serde_json::Value>),
}

/// One field of a struct.
pub struct FieldDef {
    pub ident: Ident,
    pub wire: String,
    pub doc: Option<String>,
    pub ty: TypeRef,
    pub presence: Presence,
    /// `is_none` or `is_empty`: left out of a request while unset.
    pub skip_if: Option<Ident>,
    /// A `format: decimal` number, read and written through its digits.
    pub exact: bool,
    /// The note of `#[deprecated]`, for a property the spec marks deprecated.
    pub deprecated: Option<String>,
}

/// A Rust type as typify decided it; written with or without `super::` before the names of the
/// module's own types (`in_module` / `from_builder`).
#[derive(Clone)]
pub struct TypeRef {
    in_module: TokenStream,
    from_builder: TokenStream,
    /// Its kind at the top, for derives and presence.
    top: Top,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Top {
    Option,
    /// A `Vec` or a map: empty is its default.
    Collection,
    Text,
    Integer,
    Other,
}

type Fail = (String, String);

fn unsupported((location, message): Fail) -> CodegenError {
    CodegenError::Unsupported { location, message }
}

/// typify's name for a spec name: its `sanitize` (heck's case, characters that cannot continue an
/// identifier turned into `-`, an `x` before a leading non-letter, `_` after a keyword).
pub(crate) fn typify_name(text: &str, pascal: bool) -> String {
    use heck::{ToPascalCase, ToSnakeCase};
    let to_case = |s: &str| {
        if pascal {
            s.to_pascal_case()
        } else {
            s.to_snake_case()
        }
    };
    let cleaned: String = text
        .replace('\'', "")
        .chars()
        .map(|c| {
            if unicode_ident::is_xid_continue(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out = match text {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => to_case(&cleaned),
    };
    let out = match out.chars().next() {
        None => to_case("x"),
        Some(c) if unicode_ident::is_xid_start(c) => out,
        Some(_) => format!("{}{out}", to_case("x")),
    };
    if syn::parse_str::<syn::Ident>(&out).is_ok() && out != "gen" && out != "Self" {
        out
    } else {
        format!("{out}_")
    }
}

/// Reads typify's types into a [`TypeModel`], joined with the schemas of `spec` (the spec typify
/// was given). `is_request` says which type names requests carry.
pub fn read_type_model(
    space: &TypeSpace,
    spec: &OpenAPI,
    is_request: &dyn Fn(&str) -> bool,
) -> Result<TypeModel, CodegenError> {
    let named = named_types(space);
    let schemas = join_schemas(space, spec, &named).map_err(unsupported)?;
    let mut types = BTreeMap::new();
    for (name, ty) in &named {
        let Some(schema) = schemas.get(name) else {
            return Err(unsupported((
                format!("type {name}"),
                "typify made this type from a part of the spec the generator cannot place (it \
                 joins types to schemas from the components and the operations' parameters)"
                    .into(),
            )));
        };
        let def =
            read_type(space, spec, name, ty, schema, is_request(name)).map_err(unsupported)?;
        types.insert(name.clone(), def);
    }
    Ok(TypeModel { types })
}

/// The structs, enums and newtypes typify defines, by name (its other types are built in or
/// swapped for the crate's own).
fn named_types(space: &TypeSpace) -> BTreeMap<String, Type<'_>> {
    space
        .iter_types()
        .filter(|ty| {
            matches!(
                ty.details(),
                TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_)
            )
        })
        .map(|ty| (ty.name(), ty))
        .collect()
}

/// Reads one type's shape from its details and its schema.
fn read_type(
    space: &TypeSpace,
    spec: &OpenAPI,
    name: &str,
    ty: &Type<'_>,
    schema: &Schema,
    request: bool,
) -> Result<TypeDef, Fail> {
    let at = |message: String| (format!("type {name}"), message);
    let doc = schema
        .schema_data
        .description
        .clone()
        .unwrap_or_else(|| format!("`{name}`"));
    let shape = match ty.details() {
        TypeDetails::Struct(details) => {
            let properties = object_properties(spec, schema);
            let mut fields = Vec::new();
            let mut seen = BTreeSet::new();
            for info in details.properties_info() {
                if !seen.insert(info.name.to_string()) {
                    return Err(same_field(name, info.name, &properties));
                }
                let Some((wire, property)) = properties
                    .iter()
                    .find(|(wire, _)| typify_name(wire, false) == info.name)
                else {
                    return Err(at(format!(
                        "field `{}` has no property of the schema behind it (a flattened map or a \
                         merged schema the generator does not read)",
                        info.name
                    )));
                };
                let field_ty = type_ref(space, &info.type_id).map_err(at)?;
                let presence = if info.required {
                    Presence::Required
                } else {
                    match field_ty.top {
                        Top::Option => Presence::Optional,
                        Top::Collection => Presence::Defaulted,
                        _ => {
                            return Err(at(format!(
                                "optional property `{wire}` has no way to be absent in Rust"
                            )));
                        }
                    }
                };
                let skip_if = match (request, presence) {
                    (true, Presence::Optional) => Some(format_ident!("is_none")),
                    (true, Presence::Defaulted) => Some(format_ident!("is_empty")),
                    _ => None,
                };
                let deprecated = property.schema_data.deprecated.then(|| {
                    property
                        .schema_data
                        .description
                        .clone()
                        .unwrap_or_else(|| "deprecated in the spec".to_string())
                });
                fields.push(FieldDef {
                    ident: syn::parse_str(info.name).map_err(|e| at(e.to_string()))?,
                    wire: wire.clone(),
                    doc: info.description.map(str::to_string),
                    exact: is_exact_decimal(space, &info.type_id),
                    ty: field_ty,
                    presence,
                    skip_if,
                    deprecated,
                });
            }
            if !request && fields.iter().any(|f| f.ident == EXTRA_FIELDS) {
                return Err(at(format!(
                    "a property named `{EXTRA_FIELDS}`, which the generator uses for unlisted fields"
                )));
            }
            Shape::Struct {
                fields,
                closed: closed_object(spec, schema),
            }
        }
        TypeDetails::Enum(details) => {
            let variants: Vec<_> = details.variants_info().collect();
            if variants
                .iter()
                .all(|v| matches!(v.details, TypeEnumVariant::Simple))
            {
                let values = string_values(spec, schema);
                let mut out = Vec::new();
                for variant in &variants {
                    let Some(wire) = values.iter().find(|v| typify_name(v, true) == variant.name)
                    else {
                        return Err(at(format!(
                            "variant {} matches no string of the schema's `enum`",
                            variant.name
                        )));
                    };
                    out.push((
                        format_ident!("{}", variant.name),
                        wire.clone(),
                        variant.description.map(str::to_string),
                    ));
                }
                Shape::StringEnum(out)
            } else {
                let mut out = Vec::new();
                for variant in &variants {
                    match &variant.details {
                        TypeEnumVariant::Tuple(ids) if ids.len() == 1 => out.push((
                            format_ident!("{}", variant.name),
                            type_ref(space, &ids[0]).map_err(at)?,
                        )),
                        _ => {
                            return Err(at(format!(
                                "variant {} is not one value (the generator writes untagged \
                                 unions of one value per variant, and string enums)",
                                variant.name
                            )));
                        }
                    }
                }
                Shape::Union(out)
            }
        }
        TypeDetails::Newtype(details) => {
            let inner = type_ref(space, &details.inner()).map_err(at)?;
            let schema = resolve(spec, schema);
            let check = match &schema.schema_kind {
                SchemaKind::Type(openapiv3::Type::String(text))
                    if text.pattern.is_some()
                        || text.min_length.is_some()
                        || text.max_length.is_some() =>
                {
                    Check::Text {
                        min: text.min_length,
                        max: text.max_length,
                        pattern: text.pattern.clone(),
                    }
                }
                SchemaKind::Type(openapiv3::Type::Integer(number))
                    if !number.enumeration.is_empty() =>
                {
                    Check::OneOf(
                        number
                            .enumeration
                            .iter()
                            .flatten()
                            .map(|v| serde_json::Value::from(*v))
                            .collect(),
                    )
                }
                SchemaKind::Type(openapiv3::Type::String(text)) if !text.enumeration.is_empty() => {
                    return Err(at("a string enum typify made a newtype of".into()));
                }
                _ => Check::Nothing,
            };
            Shape::Newtype { inner, check }
        }
        _ => return Err(at("not a struct, enum or newtype".into())),
    };
    Ok(TypeDef {
        name: format_ident!("{name}"),
        doc,
        request,
        shape,
    })
}

/// The error for two properties that become one Rust field.
fn same_field(schema: &str, field: &str, properties: &[(String, &Schema)]) -> Fail {
    let squash = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let names: Vec<String> = properties
        .iter()
        .filter(|(wire, _)| squash(wire) == squash(field))
        .map(|(wire, _)| format!("`{wire}`"))
        .collect();
    let which = if names.len() > 1 {
        format!("properties {}", names.join(", "))
    } else {
        "two or more properties".to_string()
    };
    (
        format!("schema {schema}"),
        format!(
            "{which} become the one Rust field `{field}` (names that differ only in case or \
             punctuation); the generator cannot tell them apart, so rename or remove one"
        ),
    )
}

/// A schema with its `$ref`s and one-element `allOf` wrappers followed.
fn resolve<'a>(spec: &'a OpenAPI, schema: &'a Schema) -> &'a Schema {
    let mut schema = schema;
    for _ in 0..32 {
        match &schema.schema_kind {
            SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
                match resolve_ref(spec, &all_of[0]) {
                    Some(inner) => schema = inner,
                    None => return schema,
                }
            }
            _ => return schema,
        }
    }
    schema
}

fn resolve_ref<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    let mut current = schema;
    for _ in 0..32 {
        match current {
            ReferenceOr::Item(schema) => return Some(schema),
            ReferenceOr::Reference { reference } => {
                let name = crate::model::ref_name(reference)?;
                current = spec.components.as_ref()?.schemas.get(name)?;
            }
        }
    }
    None
}

fn resolve_boxed<'a>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<Box<Schema>>,
) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(resolve(spec, schema)),
        ReferenceOr::Reference { reference } => {
            let name = crate::model::ref_name(reference)?;
            let found = spec.components.as_ref()?.schemas.get(name)?;
            resolve_ref(spec, found).map(|s| resolve(spec, s))
        }
    }
}

/// An object schema's properties by wire name, those of an `allOf`'s members merged in.
fn object_properties<'a>(spec: &'a OpenAPI, schema: &'a Schema) -> Vec<(String, &'a Schema)> {
    let mut out = Vec::new();
    collect_properties(spec, resolve(spec, schema), &mut out, 0);
    out
}

fn collect_properties<'a>(
    spec: &'a OpenAPI,
    schema: &'a Schema,
    out: &mut Vec<(String, &'a Schema)>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match &schema.schema_kind {
        SchemaKind::Type(openapiv3::Type::Object(object)) => {
            for (wire, property) in &object.properties {
                if let Some(property) = resolve_boxed(spec, property) {
                    out.push((wire.clone(), property));
                }
            }
        }
        SchemaKind::AllOf { all_of } => {
            for member in all_of {
                if let Some(member) = resolve_ref(spec, member) {
                    collect_properties(spec, resolve(spec, member), out, depth + 1);
                }
            }
        }
        SchemaKind::Any(any) => {
            for (wire, property) in &any.properties {
                if let Some(property) = resolve_boxed(spec, property) {
                    out.push((wire.clone(), property));
                }
            }
        }
        _ => {}
    }
}

/// The property's own schema as written (not followed), to tell a `$ref` from an inline part.
fn object_property_written<'a>(
    spec: &'a OpenAPI,
    schema: &'a Schema,
    wire: &str,
) -> Option<&'a ReferenceOr<Box<Schema>>> {
    match &resolve(spec, schema).schema_kind {
        SchemaKind::Type(openapiv3::Type::Object(object)) => object.properties.get(wire),
        SchemaKind::Any(any) => any.properties.get(wire),
        SchemaKind::AllOf { all_of } => all_of.iter().find_map(|member| {
            resolve_ref(spec, member).and_then(|m| object_property_written(spec, m, wire))
        }),
        _ => None,
    }
}

/// `additionalProperties: false` on the object.
fn closed_object(spec: &OpenAPI, schema: &Schema) -> bool {
    let additional = match &resolve(spec, schema).schema_kind {
        SchemaKind::Type(openapiv3::Type::Object(object)) => object.additional_properties.as_ref(),
        SchemaKind::Any(any) => any.additional_properties.as_ref(),
        _ => None,
    };
    matches!(
        additional,
        Some(openapiv3::AdditionalProperties::Any(false))
    )
}

/// The strings of a schema's `enum`.
fn string_values(spec: &OpenAPI, schema: &Schema) -> Vec<String> {
    match &resolve(spec, schema).schema_kind {
        SchemaKind::Type(openapiv3::Type::String(text)) => {
            text.enumeration.iter().flatten().cloned().collect()
        }
        SchemaKind::Any(any) => any
            .enumeration
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Each named type's schema: the components by their names, the operations' parameters by
/// progenitor's names for them (`<operationId>-<parameter>`), and then every type reached from
/// those through a struct's property, a union's variant, an array's items or a map's values.
fn join_schemas<'a>(
    space: &TypeSpace,
    spec: &'a OpenAPI,
    named: &BTreeMap<String, Type<'_>>,
) -> Result<BTreeMap<String, &'a Schema>, Fail> {
    let mut joined: BTreeMap<String, &'a Schema> = BTreeMap::new();
    let mut queue: Vec<String> = Vec::new();
    let mut seed = |name: String, schema: &'a Schema, joined: &mut BTreeMap<String, &'a Schema>| {
        if named.contains_key(&name) && !joined.contains_key(&name) {
            joined.insert(name.clone(), schema);
            queue.push(name);
        }
    };
    if let Some(components) = &spec.components {
        for (key, schema) in &components.schemas {
            // A component that is only a `$ref` is typify's newtype of the other one.
            if let Some(schema) = resolve_ref(spec, schema) {
                seed(typify_name(key, true), schema, &mut joined);
            }
        }
    }
    for (_, _, operation) in spec.operations() {
        let Some(operation_id) = &operation.operation_id else {
            continue;
        };
        for parameter in &operation.parameters {
            let ReferenceOr::Item(parameter) = parameter else {
                continue;
            };
            let data = parameter.parameter_data_ref();
            if let openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) =
                &data.format
            {
                let name = typify_name(&format!("{operation_id}-{}", data.name), true);
                seed(name, schema, &mut joined);
            }
        }
    }
    while let Some(name) = queue.pop() {
        let (Some(ty), Some(&schema)) = (named.get(&name), joined.get(&name)) else {
            continue;
        };
        let mut reached: Vec<(TypeId, &'a Schema)> = Vec::new();
        match ty.details() {
            TypeDetails::Struct(details) => {
                let properties = object_properties(spec, schema);
                for info in details.properties_info() {
                    let Some((wire, property)) = properties
                        .iter()
                        .find(|(wire, _)| typify_name(wire, false) == info.name)
                    else {
                        continue;
                    };
                    // A `$ref`'d property is its component's type, joined by name already.
                    let by_reference = object_property_written(spec, schema, wire)
                        .is_some_and(|written| matches!(written, ReferenceOr::Reference { .. }));
                    if !by_reference {
                        reach(space, spec, &info.type_id, property, &mut reached);
                    }
                }
            }
            TypeDetails::Enum(details) => {
                let members: Vec<&ReferenceOr<Schema>> = match &resolve(spec, schema).schema_kind {
                    SchemaKind::OneOf { one_of } => one_of.iter().collect(),
                    SchemaKind::AnyOf { any_of } => any_of.iter().collect(),
                    _ => Vec::new(),
                };
                let variants: Vec<_> = details.variants_info().collect();
                if members.len() == variants.len() {
                    for (variant, member) in variants.iter().zip(members) {
                        if let (TypeEnumVariant::Tuple(ids), ReferenceOr::Item(member)) =
                            (&variant.details, member)
                            && let [id] = ids.as_slice()
                        {
                            reach(space, spec, id, member, &mut reached);
                        }
                    }
                }
            }
            TypeDetails::Newtype(details) => {
                reach(space, spec, &details.inner(), schema, &mut reached);
            }
            _ => {}
        }
        for (id, schema) in reached {
            let name = space
                .get_type(&id)
                .map_err(|e| ("types".to_string(), e.to_string()))?
                .name();
            if !joined.contains_key(&name) {
                joined.insert(name.clone(), schema);
                queue.push(name);
            }
        }
    }
    Ok(joined)
}

/// The named types inside type `id`, which was made from `schema`: the type itself when it is
/// named, or through an `Option`, `Vec`, map or `Box` to the schema of what it holds.
fn reach<'a>(
    space: &TypeSpace,
    spec: &'a OpenAPI,
    id: &TypeId,
    schema: &'a Schema,
    out: &mut Vec<(TypeId, &'a Schema)>,
) {
    let Ok(ty) = space.get_type(id) else {
        return;
    };
    let schema = resolve(spec, schema);
    match ty.details() {
        TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_) => {
            out.push((id.clone(), schema));
        }
        TypeDetails::Option(inner) | TypeDetails::Box(inner) => {
            reach(space, spec, &inner, schema, out)
        }
        TypeDetails::Vec(inner) | TypeDetails::Set(inner) => {
            if let SchemaKind::Type(openapiv3::Type::Array(array)) = &schema.schema_kind
                && let Some(items) = &array.items
                && let ReferenceOr::Item(items) = items
            {
                reach(space, spec, &inner, items, out);
            }
        }
        TypeDetails::Map(_, value) => {
            let additional = match &schema.schema_kind {
                SchemaKind::Type(openapiv3::Type::Object(object)) => {
                    object.additional_properties.as_ref()
                }
                SchemaKind::Any(any) => any.additional_properties.as_ref(),
                _ => None,
            };
            if let Some(openapiv3::AdditionalProperties::Schema(values)) = additional
                && let ReferenceOr::Item(values) = values.as_ref()
            {
                reach(space, spec, &value, values, out);
            }
        }
        _ => {}
    }
}

/// The Rust type of `id`, as typify decided it.
fn type_ref(space: &TypeSpace, id: &TypeId) -> Result<TypeRef, String> {
    let ty = space.get_type(id).map_err(|e| e.to_string())?;
    let wrap = |inner: TypeRef, top: Top, make: &dyn Fn(&TokenStream) -> TokenStream| TypeRef {
        in_module: make(&inner.in_module),
        from_builder: make(&inner.from_builder),
        top,
    };
    Ok(match ty.details() {
        TypeDetails::Struct(_) | TypeDetails::Enum(_) | TypeDetails::Newtype(_) => {
            let name = format_ident!("{}", ty.name());
            TypeRef {
                in_module: quote! { #name },
                from_builder: quote! { super::#name },
                top: Top::Other,
            }
        }
        TypeDetails::Option(inner) => {
            let inner = type_ref(space, &inner)?;
            if inner.top == Top::Option {
                inner
            } else {
                wrap(
                    inner,
                    Top::Option,
                    &|t| quote! { ::std::option::Option<#t> },
                )
            }
        }
        TypeDetails::Vec(inner) | TypeDetails::Set(inner) => wrap(
            type_ref(space, &inner)?,
            Top::Collection,
            &|t| quote! { ::std::vec::Vec<#t> },
        ),
        TypeDetails::Box(inner) => wrap(
            type_ref(space, &inner)?,
            Top::Other,
            &|t| quote! { ::std::boxed::Box<#t> },
        ),
        TypeDetails::Map(key, value) => {
            let (key, value) = (type_ref(space, &key)?, type_ref(space, &value)?);
            if key.top == Top::Text && value.in_module.to_string() == ":: serde_json :: Value" {
                let map = quote! { ::serde_json::Map<::std::string::String, ::serde_json::Value> };
                TypeRef {
                    in_module: map.clone(),
                    from_builder: map,
                    top: Top::Collection,
                }
            } else {
                let (k, v) = (&key.in_module, &value.in_module);
                let (bk, bv) = (&key.from_builder, &value.from_builder);
                TypeRef {
                    in_module: quote! { ::std::collections::HashMap<#k, #v> },
                    from_builder: quote! { ::std::collections::HashMap<#bk, #bv> },
                    top: Top::Collection,
                }
            }
        }
        TypeDetails::Builtin(path) => {
            let parsed: syn::Type = syn::parse_str(path).map_err(|e| format!("{path}: {e}"))?;
            let last = path.rsplit("::").next().unwrap_or(path);
            let top = if is_integer(last) {
                Top::Integer
            } else if last == "String" {
                Top::Text
            } else {
                Top::Other
            };
            let parsed = quote! { #parsed };
            TypeRef {
                in_module: parsed.clone(),
                from_builder: parsed,
                top,
            }
        }
        TypeDetails::String => {
            let text = quote! { ::std::string::String };
            TypeRef {
                in_module: text.clone(),
                from_builder: text,
                top: Top::Text,
            }
        }
        TypeDetails::Unit => TypeRef {
            in_module: quote! { () },
            from_builder: quote! { () },
            top: Top::Other,
        },
        _ => return Err(format!("{}: a tuple or fixed array", ty.name())),
    })
}

fn is_integer(name: &str) -> bool {
    matches!(
        name,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "NonZeroU8"
            | "NonZeroU16"
            | "NonZeroU32"
            | "NonZeroU64"
    )
}

/// `rust_decimal::Decimal`, or an `Option` of it: the type lower.rs has typify give a
/// `format: decimal` number.
fn is_exact_decimal(space: &TypeSpace, id: &TypeId) -> bool {
    let Ok(ty) = space.get_type(id) else {
        return false;
    };
    match ty.details() {
        TypeDetails::Builtin(path) => path.trim_start_matches("::") == "rust_decimal::Decimal",
        TypeDetails::Option(inner) => is_exact_decimal(space, &inner),
        _ => false,
    }
}

impl TypeModel {
    /// The listed fields of each struct as its serde impls read them, and what happens to a field
    /// it does not list, by type name (the open unions read their rows into these fields).
    pub fn struct_fields(&self) -> StructFields {
        self.types
            .iter()
            .filter_map(|(name, def)| match &def.shape {
                Shape::Struct { fields, closed } => Some((
                    name.clone(),
                    (serde_fields(fields), unlisted(def.request, *closed)),
                )),
                _ => None,
            })
            .collect()
    }
}

/// The listed fields of each struct, and what happens to a field it does not list, by type name.
pub type StructFields = BTreeMap<String, (Vec<serde_code::Field>, Unlisted)>;

fn serde_fields(fields: &[FieldDef]) -> Vec<serde_code::Field> {
    fields
        .iter()
        .map(|f| serde_code::Field {
            ident: f.ident.clone(),
            wire: f.wire.clone(),
            presence: f.presence,
            skip_if: f.skip_if.clone(),
            exact: f.exact,
        })
        .collect()
}

/// Answers keep what they do not list (a field the server adds later must not break deployed
/// clients, even under `additionalProperties: false`); requests skip it, or refuse it when closed.
fn unlisted(request: bool, closed: bool) -> Unlisted {
    match (request, closed) {
        (false, _) => Unlisted::Keep,
        (true, true) => Unlisted::Deny,
        (true, false) => Unlisted::Skip,
    }
}

/// The whole `types` module: every type with its impls, the builders of the request structs in
/// `types::builder`, and the conversion error in `types::error`.
pub fn emit_types_module(model: &TypeModel) -> TokenStream {
    let types = model.types.values().map(emit_type);
    let builders = model.types.values().filter_map(emit_builder);
    quote! {
        /// The spec's schemas as Rust types, with their serde impls written out.
        pub mod types {
            #(#types)*

            /// Builders of the request types: set fields one by one, then convert with
            /// `try_from`, which says which required field is missing or which value did not
            /// convert.
            pub mod builder {
                #(#builders)*
            }

            /// The error of a conversion into a generated type.
            pub mod error {
                /// A value that does not convert into a generated type, and why.
                pub struct ConversionError(::std::borrow::Cow<'static, str>);

                impl ::std::error::Error for ConversionError {}

                impl ::std::fmt::Display for ConversionError {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> Result<(), ::std::fmt::Error> {
                        ::std::fmt::Display::fmt(&self.0, f)
                    }
                }

                impl ::std::fmt::Debug for ConversionError {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> Result<(), ::std::fmt::Error> {
                        ::std::fmt::Debug::fmt(&self.0, f)
                    }
                }

                impl From<&'static str> for ConversionError {
                    fn from(value: &'static str) -> Self {
                        Self(value.into())
                    }
                }

                impl From<String> for ConversionError {
                    fn from(value: String) -> Self {
                        Self(value.into())
                    }
                }
            }
        }
    }
}

fn emit_type(def: &TypeDef) -> TokenStream {
    match &def.shape {
        Shape::Struct { fields, closed } => emit_struct(def, fields, *closed),
        Shape::StringEnum(variants) => emit_string_enum(def, variants),
        Shape::Union(variants) => emit_union(def, variants),
        Shape::Newtype { inner, check } => emit_newtype(def, inner, check),
    }
}

/// A struct, its serde impls, and for a request its `builder()`.
fn emit_struct(def: &TypeDef, fields: &[FieldDef], closed: bool) -> TokenStream {
    let (name, doc) = (&def.name, &def.doc);
    let defaultable = fields.iter().all(|f| f.presence != Presence::Required);
    let derives = if defaultable {
        quote! { #[derive(Clone, Debug, Default, PartialEq)] }
    } else {
        quote! { #[derive(Clone, Debug, PartialEq)] }
    };
    let declared = fields.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty.in_module);
        let doc = f.doc.as_ref().map(|d| quote! { #[doc = #d] });
        let deprecated = f
            .deprecated
            .as_ref()
            .map(|note| quote! { #[deprecated(note = #note)] });
        quote! { #doc #deprecated pub #ident: #ty, }
    });
    // A field the spec adds later is then a minor change for crates that use an answer type (they
    // read answers, and build them in tests from JSON).
    let (extra, non_exhaustive) = if def.request {
        (quote! {}, quote! {})
    } else {
        let extra = format_ident!("{EXTRA_FIELDS}");
        (
            quote! {
                /// Fields the server sent that this version of the spec does not list, each as
                /// received; serialized back in place, so nothing the server sent is lost.
                pub #extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            },
            quote! { #[non_exhaustive] },
        )
    };
    let listed = serde_fields(fields);
    let allow = fields
        .iter()
        .any(|f| f.deprecated.is_some())
        .then(|| quote! { #[allow(deprecated)] });
    let reader = serde_code::deserialize_struct(name, &listed, unlisted(def.request, closed));
    let writer = if def.request {
        serde_code::serialize_struct(name, &listed)
    } else {
        serde_code::serialize_answer_struct(name, &listed)
    };
    let builder = def.request.then(|| {
        quote! {
            impl #name {
                /// A builder of this type, every field unset.
                pub fn builder() -> builder::#name {
                    Default::default()
                }
            }
        }
    });
    quote! {
        #[doc = #doc]
        #derives
        #non_exhaustive
        pub struct #name {
            #(#declared)*
            #extra
        }
        #allow
        #reader
        #allow
        #writer
        #builder
    }
}

/// An enum of plain values: `VALUES`, `as_str`, `Display` and serde from serde_code.rs, `FromStr`
/// (values are read from config files and command lines), and for request enums the
/// `TryFrom`s of strings that builders take.
fn emit_string_enum(def: &TypeDef, variants: &[(Ident, String, Option<String>)]) -> TokenStream {
    let (name, doc) = (&def.name, &def.doc);
    let declared = variants.iter().map(|(ident, _, doc)| {
        let doc = doc.as_ref().map(|d| quote! { #[doc = #d] });
        quote! { #doc #ident, }
    });
    let pairs: Vec<(Ident, String)> = variants
        .iter()
        .map(|(ident, wire, _)| (ident.clone(), wire.clone()))
        .collect();
    let serde = serde_code::string_enum(name, &pairs);
    let idents = variants.iter().map(|(ident, _, _)| ident);
    let wires = variants.iter().map(|(_, wire, _)| wire);
    // A format string naming the value given and every value taken (braces in them doubled).
    let invalid = format!(
        "invalid value {{value:?}}: expected one of {}",
        variants
            .iter()
            .map(|(_, wire, _)| format!("`{wire}`").replace('{', "{{").replace('}', "}}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let try_from = def.request.then(|| string_try_froms(name));
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        pub enum #name {
            #(#declared)*
        }
        #serde
        impl ::std::str::FromStr for #name {
            type Err = self::error::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                match value {
                    #(#wires => Ok(Self::#idents),)*
                    _ => Err(format!(#invalid).into()),
                }
            }
        }
        #try_from
    }
}

/// `TryFrom<&str>` and `TryFrom<String>` through the type's `FromStr`.
fn string_try_froms(name: &Ident) -> TokenStream {
    quote! {
        impl ::std::convert::TryFrom<&str> for #name {
            type Error = self::error::ConversionError;
            fn try_from(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }
        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = self::error::ConversionError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }
    }
}

/// An untagged union: serde from serde_code.rs, and a `From` of each variant's value when no two
/// variants hold the same type.
fn emit_union(def: &TypeDef, variants: &[(Ident, TypeRef)]) -> TokenStream {
    let (name, doc) = (&def.name, &def.doc);
    let declared = variants.iter().map(|(ident, ty)| {
        let ty = &ty.in_module;
        quote! { #ident(#ty), }
    });
    let idents: Vec<Ident> = variants.iter().map(|(ident, _)| ident.clone()).collect();
    let serde = serde_code::untagged_union(name, &idents);
    let held: BTreeSet<String> = variants
        .iter()
        .map(|(_, ty)| ty.in_module.to_string())
        .collect();
    let froms = (held.len() == variants.len()).then(|| {
        let froms = variants.iter().map(|(ident, ty)| {
            let ty = &ty.in_module;
            quote! {
                impl ::std::convert::From<#ty> for #name {
                    fn from(value: #ty) -> Self {
                        Self::#ident(value)
                    }
                }
            }
        });
        quote! { #(#froms)* }
    });
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#declared)*
        }
        #serde
        #froms
    }
}

/// A newtype: open (`pub` inner value, `From` both ways) when its schema checks nothing; otherwise
/// its value is private and every way in (`FromStr`, `TryFrom`, `Deserialize`) checks it.
fn emit_newtype(def: &TypeDef, inner: &TypeRef, check: &Check) -> TokenStream {
    let (name, doc) = (&def.name, &def.doc);
    let ty = &inner.in_module;
    let derives = match inner.top {
        Top::Integer => {
            quote! { #[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)] }
        }
        Top::Text => quote! { #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)] },
        _ => quote! { #[derive(Clone, Debug, PartialEq)] },
    };
    let definition = quote! {
        #[doc = #doc]
        #derives
        pub struct #name(#ty);
    };
    let common = quote! {
        impl ::std::ops::Deref for #name {
            type Target = #ty;
            fn deref(&self) -> &#ty {
                &self.0
            }
        }
        impl ::std::convert::From<#name> for #ty {
            fn from(value: #name) -> Self {
                value.0
            }
        }
    };
    let display = matches!(inner.top, Top::Integer | Top::Text).then(|| {
        quote! {
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    self.0.fmt(f)
                }
            }
        }
    });
    match check {
        Check::Nothing => {
            let serde = serde_code::transparent(name, true);
            let from_str = (inner.top == Top::Text).then(|| {
                quote! {
                    impl ::std::str::FromStr for #name {
                        type Err = ::std::convert::Infallible;
                        fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                            Ok(Self(value.to_string()))
                        }
                    }
                }
            });
            quote! {
                #[doc = #doc]
                #derives
                pub struct #name(pub #ty);
                #serde
                #common
                impl ::std::convert::From<#ty> for #name {
                    fn from(value: #ty) -> Self {
                        Self(value)
                    }
                }
                #display
                #from_str
            }
        }
        Check::Text { min, max, pattern } => {
            let serde = serde_code::transparent(name, false);
            let too_long = max.map(|max| {
                let message = format!("longer than {max} characters");
                quote! {
                    if value.chars().count() > #max {
                        return Err(#message.into());
                    }
                }
            });
            let too_short = min.map(|min| {
                let message = format!("shorter than {min} characters");
                quote! {
                    if value.chars().count() < #min {
                        return Err(#message.into());
                    }
                }
            });
            // check.rs has compiled every pattern with regex-lite, so `Regex::new` cannot fail.
            let unmatched = pattern.as_ref().map(|pattern| {
                let message = format!("doesn't match pattern {pattern:?}");
                quote! {
                    static PATTERN: ::std::sync::LazyLock<::regex_lite::Regex> =
                        ::std::sync::LazyLock::new(|| ::regex_lite::Regex::new(#pattern).unwrap());
                    if PATTERN.find(value).is_none() {
                        return Err(#message.into());
                    }
                }
            });
            let try_from = string_try_froms(name);
            quote! {
                #definition
                #serde
                #common
                impl ::std::str::FromStr for #name {
                    type Err = self::error::ConversionError;
                    fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                        #too_long
                        #too_short
                        #unmatched
                        Ok(Self(value.to_string()))
                    }
                }
                #try_from
                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?
                            .parse()
                            .map_err(|e: self::error::ConversionError| {
                                <D::Error as ::serde::de::Error>::custom(e.to_string())
                            })
                    }
                }
                #display
            }
        }
        Check::OneOf(values) => {
            let serde = serde_code::transparent(name, false);
            // Compared as text, which every integer type (`NonZeroU64` for `minimum: 1` too)
            // writes as JSON does.
            let listed: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let message = format!("not one of the values {}", listed.join(", "));
            quote! {
                #definition
                #serde
                #common
                impl ::std::convert::TryFrom<#ty> for #name {
                    type Error = self::error::ConversionError;
                    fn try_from(value: #ty) -> ::std::result::Result<Self, self::error::ConversionError> {
                        if [#(#listed),*].contains(&value.to_string().as_str()) {
                            Ok(Self(value))
                        } else {
                            Err(#message.into())
                        }
                    }
                }
                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        Self::try_from(<#ty as ::serde::Deserialize>::deserialize(deserializer)?)
                            .map_err(|e| <D::Error as ::serde::de::Error>::custom(e.to_string()))
                    }
                }
                #display
            }
        }
    }
}

/// The builder of a request struct (None for any other type): each field a `Result` that its
/// setter fills through `TryInto`, required ones starting as "no value supplied", and the two
/// conversions to and from the struct.
fn emit_builder(def: &TypeDef) -> Option<TokenStream> {
    let Shape::Struct { fields, .. } = &def.shape else {
        return None;
    };
    if !def.request {
        return None;
    }
    let name = &def.name;
    let doc = format!(
        " Builds a [`super::{name}`] field by field; `try_from` says which required field is \
         missing or which value did not convert."
    );
    let idents: Vec<&Ident> = fields.iter().map(|f| &f.ident).collect();
    let declared = fields.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty.from_builder);
        quote! { #ident: ::std::result::Result<#ty, ::std::string::String>, }
    });
    let defaults = fields.iter().map(|f| {
        let ident = &f.ident;
        if f.presence == Presence::Required {
            let message = format!("no value supplied for {}", unraw(ident));
            quote! { #ident: Err(#message.to_string()), }
        } else {
            quote! { #ident: Ok(Default::default()), }
        }
    });
    let setters = fields.iter().map(|f| {
        let (ident, ty) = (&f.ident, &f.ty.from_builder);
        let doc = f.doc.as_ref().map(|d| quote! { #[doc = #d] });
        let message = format!(
            "error converting supplied value for {}: {{e}}",
            unraw(ident)
        );
        quote! {
            #doc
            pub fn #ident<T>(mut self, value: T) -> Self
            where
                T: ::std::convert::TryInto<#ty>,
                T::Error: ::std::fmt::Display,
            {
                self.#ident = value.try_into().map_err(|e| format!(#message));
                self
            }
        }
    });
    let allow = fields
        .iter()
        .any(|f| f.deprecated.is_some())
        .then(|| quote! { #[allow(deprecated)] });
    Some(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub struct #name {
            #(#declared)*
        }
        impl ::std::default::Default for #name {
            fn default() -> Self {
                Self {
                    #(#defaults)*
                }
            }
        }
        impl #name {
            #(#setters)*
        }
        #allow
        impl ::std::convert::TryFrom<#name> for super::#name {
            type Error = super::error::ConversionError;
            fn try_from(value: #name) -> ::std::result::Result<Self, super::error::ConversionError> {
                Ok(Self {
                    #(#idents: value.#idents?,)*
                })
            }
        }
        #allow
        impl ::std::convert::From<super::#name> for #name {
            fn from(value: super::#name) -> Self {
                Self {
                    #(#idents: Ok(value.#idents),)*
                }
            }
        }
    })
}

/// An identifier as it is spelled in text (`r#type` → `type`).
fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").unwrap_or(&text).to_string()
}

/// progenitor's tokens with the body of its top-level `mod types { .. }` (typify's output) left
/// empty, so that syn does not parse what [`replace_types_module`] drops anyway. Tokens without
/// such a module come back as they were; the replacement then fails naming its step.
pub fn empty_types_module(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let mut out: Vec<TokenTree> = Vec::new();
    for token in tokens {
        let follows_mod_types = matches!(
            out.as_slice(),
            [.., TokenTree::Ident(m), TokenTree::Ident(t)] if m == "mod" && t == "types"
        );
        match token {
            TokenTree::Group(group)
                if follows_mod_types && group.delimiter() == Delimiter::Brace =>
            {
                out.push(TokenTree::Group(Group::new(
                    Delimiter::Brace,
                    TokenStream::new(),
                )));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Puts `module` in place of progenitor's `types` module (typify's output, which is dropped
/// whole). An error when progenitor wrote none: the client would then name types nobody defines.
pub fn replace_types_module(file: &mut syn::File, module: TokenStream) -> Result<(), CodegenError> {
    let ours: syn::ItemMod =
        syn::parse2(module).map_err(|e| CodegenError::Syntax(e.to_string()))?;
    let slot = file.items.iter_mut().find(
        |item| matches!(item, syn::Item::Mod(m) if m.ident == "types" && m.content.is_some()),
    );
    match slot {
        Some(slot) => {
            *slot = syn::Item::Mod(ours);
            Ok(())
        }
        None => Err(CodegenError::Unsupported {
            location: "step replace_types_module".into(),
            message: "progenitor wrote no `types` module to replace".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model typify and the joined schemas give for `schemas` (YAML of
    /// `components.schemas`), with one POST taking `Request` and answering `Answer`.
    fn model_of(schemas: &str) -> Result<TypeModel, CodegenError> {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /r:\n    post:\n      \
             operationId: post_r\n      requestBody:\n        required: true\n        content:\n          \
             application/json:\n            schema: {{$ref: '#/components/schemas/Request'}}\n      \
             responses:\n        '200':\n          description: ok\n          content:\n            \
             application/json:\n              schema: {{$ref: '#/components/schemas/Answer'}}\n\
             components:\n  schemas:\n{schemas}"
        );
        let spec: OpenAPI = serde_yaml::from_str(&text).expect("test spec");
        let mut generator = progenitor::Generator::default();
        generator
            .generate_tokens(&spec)
            .map_err(|e| CodegenError::Progenitor(e.to_string()))?;
        read_type_model(generator.get_type_space(), &spec, &|name| {
            name.starts_with("Request")
        })
    }

    fn fields(model: &TypeModel, name: &str) -> Vec<(String, String, Presence)> {
        match &model.types[name].shape {
            Shape::Struct { fields, .. } => fields
                .iter()
                .map(|f| (f.ident.to_string(), f.wire.clone(), f.presence))
                .collect(),
            _ => panic!("{name} is not a struct"),
        }
    }

    #[test]
    fn only_the_top_level_types_module_is_emptied() {
        let tokens = quote! {
            pub mod types { pub struct A; pub mod builder { pub struct A; } }
            pub mod builder { pub struct B; }
            fn types() {}
        };
        assert_eq!(
            empty_types_module(tokens).to_string(),
            "pub mod types { } pub mod builder { pub struct B ; } fn types () { }"
        );
    }

    #[test]
    fn names_are_typify_s() {
        for (wire, snake) in [
            ("type", "type_"),
            ("24h_usage", "x24h_usage"),
            ("last-seen", "last_seen"),
            ("priceTotal", "price_total"),
            ("self", "self_"),
        ] {
            assert_eq!(typify_name(wire, false), snake, "{wire}");
        }
        assert_eq!(typify_name("ai_cluster", true), "AiCluster");
        assert_eq!(typify_name("+1", true), "plus1");
        assert_eq!(typify_name("post_r-order", true), "PostROrder");
    }

    /// Wire names, presence, string values, checks and deprecation come from the schemas, joined to
    /// typify's types through inline parts too.
    #[test]
    fn each_type_is_joined_to_its_schema() {
        let model = model_of(
            "    Request:\n      type: object\n      required: [24h-usage]\n      properties:\n        \
             24h-usage: {type: integer}\n        type: {type: string, enum: [per-hour, 'on demand']}\n        \
             code: {type: string, pattern: '^[A-Z]{2}$', maxLength: 2}\n        \
             old: {type: string, deprecated: true, description: Use code.}\n        \
             tiers: {type: array, items: {type: integer, enum: [1, 2]}}\n    \
             Answer:\n      type: object\n      additionalProperties: false\n      properties:\n        \
             rows: {type: array, items: {type: object, properties: {lastSeen: {type: string}}}}\n",
        )
        .expect("joined");
        assert_eq!(
            fields(&model, "Request"),
            [
                ("code".into(), "code".into(), Presence::Optional),
                ("old".into(), "old".into(), Presence::Optional),
                ("tiers".into(), "tiers".into(), Presence::Defaulted),
                ("type_".into(), "type".into(), Presence::Optional),
                ("x24h_usage".into(), "24h-usage".into(), Presence::Required),
            ]
        );
        let Shape::Struct {
            fields: request, ..
        } = &model.types["Request"].shape
        else {
            panic!("struct")
        };
        assert_eq!(request[1].deprecated.as_deref(), Some("Use code."));
        assert_eq!(
            request[0].skip_if.as_ref().map(Ident::to_string),
            Some("is_none".into())
        );
        let Shape::StringEnum(values) = &model.types["RequestType"].shape else {
            panic!("RequestType is not a string enum")
        };
        let values: Vec<(String, &str)> = values
            .iter()
            .map(|(i, w, _)| (i.to_string(), w.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                ("PerHour".into(), "per-hour"),
                ("OnDemand".into(), "on demand")
            ]
        );
        assert!(matches!(
            &model.types["RequestCode"].shape,
            Shape::Newtype { check: Check::Text { max: Some(2), pattern: Some(p), .. }, .. }
                if p == "^[A-Z]{2}$"
        ));
        assert!(matches!(
            &model.types["RequestTiersItem"].shape,
            Shape::Newtype { check: Check::OneOf(values), .. } if values.len() == 2
        ));
        // An answer keeps what it does not list, `additionalProperties: false` or not; its inline
        // row type is an answer type too.
        assert!(!model.types["Answer"].request);
        assert_eq!(
            fields(&model, "AnswerRowsItem"),
            [("last_seen".into(), "lastSeen".into(), Presence::Optional)]
        );
        let unlisted = model.struct_fields();
        assert_eq!(unlisted["Answer"].1, Unlisted::Keep);
        assert_eq!(unlisted["Request"].1, Unlisted::Skip);
    }

    /// A component that only refers to another is read as typify makes it.
    #[test]
    fn a_component_that_is_a_reference_is_joined() {
        let model = model_of(
            "    Request: {type: object, properties: {a: {type: string}}}\n    \
             Answer: {type: object, properties: {b: {type: string}}}\n    \
             Alias: {$ref: '#/components/schemas/Answer'}\n",
        )
        .expect("joined");
        let kinds: Vec<(&str, &str)> = model
            .types
            .iter()
            .map(|(name, def)| {
                let kind = match def.shape {
                    Shape::Struct { .. } => "struct",
                    Shape::Newtype { .. } => "newtype",
                    _ => "other",
                };
                (name.as_str(), kind)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("Alias", "newtype"),
                ("Answer", "struct"),
                ("Request", "struct")
            ]
        );
    }

    /// A shape the model cannot read is an error naming the type, not a type left out.
    #[test]
    fn a_field_with_no_property_behind_it_is_an_error_naming_the_type() {
        let error = model_of(
            "    Request:\n      type: object\n      properties:\n        a: {type: string}\n      \
             additionalProperties: {type: integer}\n    Answer:\n      type: object\n",
        )
        .err()
        .expect("refused");
        let text = error.to_string();
        assert!(
            text.starts_with("type Request: field `extra` has no property of the schema behind it"),
            "{text}"
        );
    }
}

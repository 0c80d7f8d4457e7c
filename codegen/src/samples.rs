//! Sample rows for tests of code that uses the crate (feature `mock`): for each row type of an open
//! union (a variant of `CostReportResource`, `UsageReportTotal`, ...), a function returning a row
//! with every required field set, so that a test need not know a row's required fields to build
//! one. The values come from the spec: a field's `example`, else its first enum value, else a
//! value of its type. The JSON is made here from the schema; the generated function parses it
//! with the type's own deserializer, and `check_all` (run by the crate's tests) parses every one.

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value};

use crate::SpecModel;
use crate::model::ref_name;

/// How deep a sample follows nested required objects (the spec's rows are two levels deep).
const MAX_DEPTH: usize = 8;

/// The `samples` module: a function per row type, and `check_all`.
pub fn generate_samples(spec: &OpenAPI, model: &SpecModel) -> TokenStream {
    let mut functions = Vec::new();
    let mut checks = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for union in &model.open_unions {
        for (_, variant) in &union.variants {
            if !seen.insert(variant.clone()) {
                continue;
            }
            let Some(schema) = component(spec, variant) else {
                continue;
            };
            let json = sample_of(spec, schema, 0).to_string();
            let name = format_ident!("{}", crate::extras::snake(variant));
            let ty = format_ident!("{}", variant);
            let docs = format!(
                " A `{variant}` with every required field set from the spec (its examples, else \
                 values of the right type) and the optional ones left out; change its public \
                 fields to make the row a test needs. Wrap it in its union's variant to get a \
                 report row."
            );
            let message = format!("the sample {variant} parses as its type");
            functions.push(quote! {
                #[doc = #docs]
                pub fn #name() -> crate::generated::types::#ty {
                    ::serde_json::from_str(#json).expect(#message)
                }
            });
            checks.push(quote! {
                ::serde_json::from_str::<crate::generated::types::#ty>(#json)
                    .map_err(|e| format!("sample {}: {e}", #variant))?;
            });
        }
    }
    // The module's example uses the first row type there is (none: no example).
    let example = model
        .open_unions
        .iter()
        .find_map(|u| u.variants.first().map(|(tag, schema)| (u, tag, schema)))
        .map(|(union, tag, schema)| {
            let function = crate::extras::snake(schema);
            let property = &union.property;
            format!(
                "\n\n```\nuse gcore_billing::generated::mock::samples;\n\
                 let row = samples::{function}();\n\
                 let json = serde_json::to_value(&row).unwrap();\n\
                 assert_eq!(json[\"{property}\"], \"{tag}\");\n```"
            )
        })
        .unwrap_or_default();
    let docs = format!(
        " Rows for tests, one function per row type, each with every required field set.{example}"
    );
    let docs = docs.lines().map(|l| format!(" {}", l.trim_start()));
    quote! {
        #(#[doc = #docs])*
        pub mod samples {
            #(#functions)*

            /// Parses every sample, naming the first that does not parse as its type (the crate's
            /// tests run it, so the functions above never panic).
            pub fn check_all() -> Result<(), String> {
                #(#checks)*
                Ok(())
            }
        }
    }
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

/// The schema a reference or inline schema stands for.
fn resolve<'a, T: std::borrow::Borrow<Schema>>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<T>,
) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(item) => Some(item.borrow()),
        ReferenceOr::Reference { reference } => component(spec, ref_name(reference)?),
    }
}

/// A JSON value of `schema`'s type: its example, else its first enum value, else a value of the
/// type (for an object, its required properties only).
fn sample_of(spec: &OpenAPI, schema: &Schema, depth: usize) -> Value {
    if let Some(example) = &schema.schema_data.example {
        return example.clone();
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(text)) => {
            if let Some(Some(first)) = text.enumeration.first() {
                return Value::String(first.clone());
            }
            let sample = match &text.format {
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime) => {
                    "2024-08-01T00:00:00Z"
                }
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Date) => {
                    "2024-08-01"
                }
                _ => "sample",
            };
            Value::String(sample.into())
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            integer.enumeration.iter().flatten().next().map_or_else(
                || Value::from(integer.minimum.unwrap_or(1).max(1)),
                |v| Value::from(*v),
            )
        }
        SchemaKind::Type(Type::Number(_)) => Value::from(1.0),
        SchemaKind::Type(Type::Boolean(_)) => Value::Bool(false),
        SchemaKind::Type(Type::Array(_)) => Value::Array(Vec::new()),
        SchemaKind::Type(Type::Object(object)) => {
            let mut fields = Map::new();
            if depth < MAX_DEPTH {
                for name in &object.required {
                    let Some(property) = object.properties.get(name) else {
                        continue;
                    };
                    if let Some(property) = resolve(spec, property) {
                        fields.insert(name.clone(), sample_of(spec, property, depth + 1));
                    }
                }
            }
            Value::Object(fields)
        }
        SchemaKind::AllOf { all_of: parts }
        | SchemaKind::OneOf { one_of: parts }
        | SchemaKind::AnyOf { any_of: parts } => {
            let mut merged = Map::new();
            let take = if matches!(schema.schema_kind, SchemaKind::AllOf { .. }) {
                parts.len()
            } else {
                1
            };
            for part in parts.iter().take(take) {
                match resolve(spec, part).map(|s| sample_of(spec, s, depth + 1)) {
                    Some(Value::Object(fields)) => merged.extend(fields),
                    Some(other) if take == 1 => return other,
                    _ => {}
                }
            }
            Value::Object(merged)
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_has_the_required_fields_with_examples_enums_and_typed_values() {
        let spec: OpenAPI = serde_yaml::from_str(
            r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Unit: {type: string, enum: [minutes, GB]}
    Row:
      type: object
      required: [type, name, at, count, unit, tags, nested]
      properties:
        type: {type: string, enum: [instance]}
        name: {type: string, example: web-1}
        at: {type: string, format: date-time}
        count: {type: integer, minimum: 5}
        unit: {$ref: '#/components/schemas/Unit'}
        tags: {type: array, items: {type: string}}
        nested: {type: object, required: [id], properties: {id: {type: integer}, x: {type: string}}}
        optional: {type: string}
"#,
        )
        .expect("spec");
        let row = component(&spec, "Row").expect("Row");
        assert_eq!(
            sample_of(&spec, row, 0),
            serde_json::json!({
                "type": "instance", "name": "web-1", "at": "2024-08-01T00:00:00Z", "count": 5,
                "unit": "minutes", "tags": [], "nested": {"id": 1}
            })
        );
    }
}

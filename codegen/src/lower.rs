//! Spec-to-spec steps that put a spec into the one shape the rest of the generator reads, so that
//! each later step handles one spelling of a thing instead of several.
//!
//! - [`inline_bodies_to_components`]: a request body or success answer written inline (as Gcore's
//!   published spec writes its answers) becomes a component schema, named as progenitor would name
//!   the inline type (`<OperationId>Body`, `<OperationId>Response`), and the operation `$ref`s it.
//! - [`shared_error_responses`]: an operation that declares no error response gets the one the
//!   other operations share (`4XX` and `5XX`), since the client reads every error body as that type.
//! - [`uuids_as_text`]: `format: uuid` strings are read as `String` (typify would name
//!   `::uuid::Uuid`, a crate this one does not depend on), with "(a UUID)" in their description.

use openapiv3::{OpenAPI, ReferenceOr, Schema, StatusCode};

use crate::CodegenError;
use crate::model::pascal;

/// The spec with every inline JSON request body and success answer moved into
/// `components.schemas`. A name already taken by a schema is an error naming both.
pub fn inline_bodies_to_components(spec: &OpenAPI) -> Result<OpenAPI, CodegenError> {
    let mut hoisted: Vec<(String, Schema, String)> = Vec::new();
    let mut spec = spec.clone();
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in operations_mut(item) {
            let Some(id) = op.operation_id.clone() else {
                continue;
            };
            let location = format!("operation {id} ({method} {path})");
            if let Some(ReferenceOr::Item(body)) = op.request_body.as_mut()
                && let Some(media) = body.content.get_mut("application/json")
            {
                take_inline(
                    &mut media.schema,
                    pascal(&id) + "Body",
                    &location,
                    &mut hoisted,
                );
            }
            for (status, response) in op.responses.responses.iter_mut() {
                let success = matches!(status, StatusCode::Code(200..=299) | StatusCode::Range(2));
                if let (true, ReferenceOr::Item(response)) = (success, response)
                    && let Some(media) = response.content.get_mut("application/json")
                {
                    take_inline(
                        &mut media.schema,
                        pascal(&id) + "Response",
                        &location,
                        &mut hoisted,
                    );
                }
            }
        }
    }
    let schemas = &mut spec.components.get_or_insert_with(Default::default).schemas;
    for (name, schema, location) in hoisted {
        if schemas.contains_key(&name) {
            return Err(CodegenError::Unsupported {
                location,
                message: format!(
                    "its inline schema would become the component {name}, which the spec already \
                     has; $ref a component instead, or rename that schema"
                ),
            });
        }
        schemas.insert(name, ReferenceOr::Item(schema));
    }
    Ok(spec)
}

/// The spec with `4XX` and `5XX` answers added, as the error response the other operations `$ref`,
/// to every operation that declares no error answer. With none to copy, such an operation is an
/// error naming it.
pub fn shared_error_responses(spec: &OpenAPI) -> Result<OpenAPI, CodegenError> {
    let is_error = |status: &StatusCode| match status {
        StatusCode::Code(code) => *code >= 400,
        StatusCode::Range(range) => *range >= 4,
    };
    let shared = crate::model::operations(spec)
        .into_iter()
        .find_map(|(_, _, op)| {
            op.responses
                .responses
                .iter()
                .find(|(status, response)| is_error(status) && response.as_item().is_none())
                .map(|(_, response)| response.clone())
        });
    let mut spec = spec.clone();
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in operations_mut(item) {
            if op.responses.responses.keys().any(is_error) {
                continue;
            }
            let Some(shared) = &shared else {
                return Err(CodegenError::Unsupported {
                    location: format!(
                        "operation {} ({method} {path})",
                        op.operation_id.as_deref().unwrap_or("?")
                    ),
                    message: "declares no error answer, and no other operation has one ($ref'd) \
                              to share: add `'4XX': {$ref: '#/components/responses/...'}`"
                        .into(),
                });
            };
            for range in [4, 5] {
                op.responses
                    .responses
                    .insert(StatusCode::Range(range), shared.clone());
            }
        }
    }
    Ok(spec)
}

/// A path item's operations, with their methods.
fn operations_mut(
    item: &mut openapiv3::PathItem,
) -> impl Iterator<Item = (&'static str, &mut openapiv3::Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op.as_mut()?)))
}

/// Replaces an inline schema in `slot` by a `$ref` to `name`, remembering the schema.
fn take_inline(
    slot: &mut Option<ReferenceOr<Schema>>,
    name: String,
    location: &str,
    hoisted: &mut Vec<(String, Schema, String)>,
) {
    if let Some(ReferenceOr::Item(_)) = slot {
        let reference = ReferenceOr::Reference {
            reference: format!("#/components/schemas/{name}"),
        };
        if let Some(ReferenceOr::Item(schema)) = slot.replace(reference) {
            hoisted.push((name, schema, location.to_string()));
        }
    }
}

/// The spec with `format: uuid` taken off every string schema (noted in its description).
pub fn uuids_as_text(spec: &OpenAPI) -> Result<OpenAPI, crate::CodegenError> {
    // Through serde_yaml's Value, which keeps the order of paths and schemas (serde_json's sorts them).
    let failed = |e: serde_yaml::Error| crate::CodegenError::Unsupported {
        location: "step uuids_as_text".into(),
        message: format!("the spec did not survive its round trip through YAML values: {e}"),
    };
    let mut value = serde_yaml::to_value(spec).map_err(failed)?;
    drop_uuid_format(&mut value);
    serde_yaml::from_value(value).map_err(failed)
}

fn drop_uuid_format(value: &mut serde_yaml::Value) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            let is_uuid = map.get("type").and_then(|t| t.as_str()) == Some("string")
                && map.get("format").and_then(|f| f.as_str()) == Some("uuid");
            if is_uuid {
                map.remove("format");
                let note = "(a UUID)";
                let description = match map.get("description").and_then(|d| d.as_str()) {
                    Some(text) if !text.trim().is_empty() => format!("{} {note}", text.trim_end()),
                    _ => note.to_string(),
                };
                map.insert("description".into(), description.into());
            }
            map.values_mut().for_each(drop_uuid_format);
        }
        serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(drop_uuid_format),
        _ => {}
    }
}

/// Numbers with `format: decimal` (money and billed quantities) become `rust_decimal::Decimal`:
/// typify is told so through its `x-rust-type` extension on each such schema (progenitor's
/// settings name the crate). The generated serde code reads them from the number's own text, never
/// through `f64` (serde_code.rs).
pub fn decimals_as_rust_decimal(spec: &OpenAPI) -> Result<OpenAPI, crate::CodegenError> {
    let failed = |e: serde_yaml::Error| crate::CodegenError::Unsupported {
        location: "step decimals_as_rust_decimal".into(),
        message: format!("the spec did not survive its round trip through YAML values: {e}"),
    };
    let mut value = serde_yaml::to_value(spec).map_err(failed)?;
    mark_decimals(&mut value);
    serde_yaml::from_value(value).map_err(failed)
}

/// The `x-rust-type` that makes typify use `rust_decimal::Decimal`.
pub const DECIMAL_CRATE: &str = "rust_decimal";

fn mark_decimals(value: &mut serde_yaml::Value) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            let is_decimal = map.get("type").and_then(|t| t.as_str()) == Some("number")
                && map.get("format").and_then(|f| f.as_str()) == Some("decimal");
            if is_decimal {
                let mut rust_type = serde_yaml::Mapping::new();
                rust_type.insert("crate".into(), DECIMAL_CRATE.into());
                rust_type.insert("version".into(), "1".into());
                rust_type.insert("path".into(), "rust_decimal::Decimal".into());
                map.insert("x-rust-type".into(), serde_yaml::Value::Mapping(rust_type));
            }
            map.values_mut().for_each(mark_decimals);
        }
        serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(mark_decimals),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> OpenAPI {
        serde_yaml::from_str(text).expect("spec")
    }

    const INLINE: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /sum:
    post:
      operationId: get_cost_summary
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {day: {type: string, format: uuid, description: Day.}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: string}}
"#;

    #[test]
    fn inline_bodies_become_components_named_like_progenitor_names_them() {
        let out =
            serde_json::to_value(inline_bodies_to_components(&spec(INLINE)).unwrap()).unwrap();
        let op = &out["paths"]["/sum"]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/GetCostSummaryBody"
        );
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/GetCostSummaryResponse"
        );
        let schemas = &out["components"]["schemas"];
        assert_eq!(schemas["GetCostSummaryResponse"]["type"], "array");
        assert_eq!(
            schemas["GetCostSummaryBody"]["properties"]["day"]["format"],
            "uuid"
        );
    }

    #[test]
    fn a_taken_name_is_an_error_naming_the_operation() {
        let mut taken = spec(INLINE);
        taken
            .components
            .get_or_insert_with(Default::default)
            .schemas
            .insert(
                "GetCostSummaryBody".into(),
                ReferenceOr::Item(Schema {
                    schema_data: Default::default(),
                    schema_kind: openapiv3::SchemaKind::Any(Default::default()),
                }),
            );
        let error = inline_bodies_to_components(&taken).unwrap_err().to_string();
        assert!(
            error.starts_with("operation get_cost_summary (post /sum): its inline schema would become the component GetCostSummaryBody"),
            "{error}"
        );
    }

    #[test]
    fn uuids_become_text_with_a_note() {
        let out = serde_json::to_value(uuids_as_text(&spec(INLINE)).unwrap()).unwrap();
        let day = &out["paths"]["/sum"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["properties"]["day"];
        assert_eq!(day.get("format"), None);
        assert_eq!(day["description"], "Day. (a UUID)");
    }
}

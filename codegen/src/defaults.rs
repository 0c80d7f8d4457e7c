//! Spec defaults are documented, never sent. typify turns a property with a `default` into a plain
//! field filled with that value, so every request would carry every default whether the caller set it
//! or not. The official SDK sends only what the caller set, and so does this client: before progenitor
//! sees the spec, each property's `default` moves into its description ("Default: ..."), so typify
//! generates an `Option` that is left out of the JSON when `None`, and the server applies its own
//! default. The spec in `openapi/` keeps its defaults; only the copy handed to progenitor changes.

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

/// A copy of `spec` whose object properties have no `default`: each is noted in the description.
pub fn defaults_into_docs(spec: &OpenAPI) -> OpenAPI {
    let mut spec = spec.clone();
    if let Some(components) = spec.components.as_mut() {
        for schema in components.schemas.values_mut() {
            if let ReferenceOr::Item(schema) = schema {
                move_defaults(schema);
            }
        }
    }
    spec
}

/// Moves the defaults of a schema's properties (and of its `allOf`/`oneOf`/`anyOf` parts, and of
/// nested objects) into their descriptions.
fn move_defaults(schema: &mut Schema) {
    match &mut schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            for property in object.properties.values_mut() {
                if let ReferenceOr::Item(property) = property {
                    note_default(property);
                    move_defaults(property);
                }
            }
        }
        SchemaKind::AllOf { all_of: parts }
        | SchemaKind::OneOf { one_of: parts }
        | SchemaKind::AnyOf { any_of: parts } => {
            for part in parts.iter_mut() {
                if let ReferenceOr::Item(part) = part {
                    move_defaults(part);
                }
            }
        }
        _ => {}
    }
}

fn note_default(property: &mut Schema) {
    let Some(default) = property.schema_data.default.take() else {
        return;
    };
    let value = match &default {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let note = format!("Default: `{value}` (the server's, when the field is not sent).");
    property.schema_data.description = Some(match property.schema_data.description.take() {
        Some(text) if !text.trim().is_empty() => format!("{} {note}", text.trim_end()),
        _ => note,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_become_notes_and_nothing_else_changes() {
        let spec: OpenAPI = serde_yaml::from_str(
            r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Request:
      type: object
      required: [time_from]
      properties:
        time_from: {type: string, format: date-time}
        limit: {type: integer, minimum: 1, default: 10, description: Rows per page.}
        format: {type: string, enum: [csv, json], default: json}
        filter:
          type: object
          properties:
            kind: {type: string, default: OR}
"#,
        )
        .unwrap();
        let out = serde_json::to_value(defaults_into_docs(&spec)).unwrap();
        let properties = &out["components"]["schemas"]["Request"]["properties"];
        assert!(!out.to_string().contains("\"default\""), "{out}");
        let note =
            |value: &str| format!("Default: `{value}` (the server's, when the field is not sent).");
        assert_eq!(
            properties["limit"]["description"],
            format!("Rows per page. {}", note("10"))
        );
        assert_eq!(properties["format"]["description"], note("json"));
        assert_eq!(
            properties["filter"]["properties"]["kind"]["description"],
            note("OR")
        );
        assert_eq!(properties["time_from"].get("description"), None);
        // The input is untouched.
        assert!(
            serde_yaml::to_string(&spec)
                .unwrap()
                .contains("default: 10")
        );
    }
}

//! Rejects, with a message naming the operation or schema, the spec shapes that progenitor would panic
//! on or that the generator cannot represent faithfully.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, StatusCode, Type};

use crate::CodegenError;
use crate::model::{operations, ref_name, schemas_reachable_from_responses, string_enum_values};

fn problem(location: impl Into<String>, message: impl Into<String>) -> CodegenError {
    CodegenError::Unsupported {
        location: location.into(),
        message: message.into(),
    }
}

/// All checks, in the order a reader would fix them.
pub fn check_spec(spec: &OpenAPI) -> Result<(), CodegenError> {
    check_version(spec)?;
    check_references(spec)?;
    crate::extensions::check_extensions(spec)?;
    check_operations(spec)?;
    check_discriminators(spec)?;
    check_no_inline_enums_in_responses(spec)?;
    check_patterns(spec)?;
    Ok(())
}

fn check_version(spec: &OpenAPI) -> Result<(), CodegenError> {
    if !spec.openapi.starts_with("3.0.") {
        return Err(problem(
            "openapi",
            format!(
                "version {} is not 3.0.x, the only one progenitor reads",
                spec.openapi
            ),
        ));
    }
    if spec.info.version.trim().is_empty() {
        return Err(problem(
            "info.version",
            "must be set: the spec review compares it to tell a new major version",
        ));
    }
    Ok(())
}

fn check_operations(spec: &OpenAPI) -> Result<(), CodegenError> {
    for (path, item) in &spec.paths.paths {
        if item.as_item().is_none() {
            return Err(problem(
                format!("path {path}"),
                "a $ref'd path item is not supported",
            ));
        }
    }
    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(spec) {
        let location = format!(
            "operation {} ({method} {path})",
            op.operation_id.as_deref().unwrap_or("?")
        );
        let Some(id) = &op.operation_id else {
            return Err(problem(location, "has no operationId"));
        };
        if !ids.insert(id.clone()) {
            return Err(problem(location, "operationId is used twice"));
        }
        if let Some(ReferenceOr::Item(body)) = &op.request_body
            && body.content.len() > 1
        {
            let types: Vec<_> = body.content.keys().cloned().collect();
            return Err(problem(
                location,
                format!(
                    "request body has {} media types ({}); progenitor accepts one",
                    types.len(),
                    types.join(", ")
                ),
            ));
        }
        // The generated code's runtime (src/runtime.rs) sends JSON bodies only.
        if let Some(ReferenceOr::Item(body)) = &op.request_body
            && let Some(other) = body.content.keys().find(|t| *t != "application/json")
        {
            return Err(problem(
                location,
                format!("request body is {other}; the client sends application/json bodies only"),
            ));
        }
        let mut error_schemas = BTreeSet::new();
        let mut success_schemas = BTreeSet::new();
        for (status, response) in &op.responses.responses {
            let (is_error, code_ok) = match status {
                StatusCode::Code(c) => (*c >= 400, *c < 1000),
                StatusCode::Range(r) => (*r >= 4, *r < 10),
            };
            if !code_ok {
                return Err(problem(
                    &location,
                    format!("status {status} is out of range"),
                ));
            }
            let key = match response {
                ReferenceOr::Reference { reference } => reference.clone(),
                ReferenceOr::Item(r) => match r
                    .content
                    .get("application/json")
                    .and_then(|m| m.schema.as_ref())
                {
                    Some(ReferenceOr::Reference { reference }) => reference.clone(),
                    Some(ReferenceOr::Item(_)) => format!("inline schema of {status}"),
                    None => "no JSON body".to_string(),
                },
            };
            if is_error {
                error_schemas.insert(key)
            } else {
                success_schemas.insert(key)
            };
            if let ReferenceOr::Item(r) = response
                && let Some(media) = r.content.get("application/json")
            {
                if media.schema.is_none() {
                    return Err(problem(
                        &location,
                        format!("JSON response {status} has no schema"),
                    ));
                }
                if !media.encoding.is_empty() {
                    return Err(problem(
                        &location,
                        format!(
                            "JSON response {status} has an encoding, which progenitor does not support"
                        ),
                    ));
                }
            }
        }
        if error_schemas.len() > 1 {
            return Err(problem(
                location,
                format!(
                    "error responses use {} different bodies ({}); progenitor needs one error schema",
                    error_schemas.len(),
                    error_schemas.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if success_schemas.len() > 1 {
            return Err(problem(
                location,
                "success responses use different bodies; progenitor needs one",
            ));
        }
    }
    Ok(())
}

fn check_discriminators(spec: &OpenAPI) -> Result<(), CodegenError> {
    let Some(components) = &spec.components else {
        return Ok(());
    };
    for (name, schema) in &components.schemas {
        let Some(schema) = schema.as_item() else {
            continue;
        };
        let Some(discriminator) = &schema.schema_data.discriminator else {
            continue;
        };
        let location = format!("schema {name}");
        let SchemaKind::OneOf { one_of } = &schema.schema_kind else {
            return Err(problem(location, "discriminator without oneOf"));
        };
        let members: BTreeSet<&str> = one_of
            .iter()
            .filter_map(|m| match m {
                ReferenceOr::Reference { reference } => ref_name(reference),
                ReferenceOr::Item(_) => None,
            })
            .collect();
        if members.len() != one_of.len() {
            return Err(problem(
                location,
                "every oneOf member must be a distinct $ref",
            ));
        }
        let mut targets = BTreeSet::new();
        for (tag, target) in &discriminator.mapping {
            let target_name = ref_name(target).ok_or_else(|| {
                problem(
                    &location,
                    format!("mapping {tag} → {target} is not a component schema"),
                )
            })?;
            if !members.contains(target_name) {
                return Err(problem(
                    &location,
                    format!("mapping {tag} → {target_name}, which is not in oneOf"),
                ));
            }
            if !targets.insert(target_name) {
                return Err(problem(
                    &location,
                    format!("{target_name} is mapped from two tags"),
                ));
            }
            let variant = components
                .schemas
                .get(target_name)
                .and_then(|s| s.as_item());
            let tag_values = variant.and_then(|v| match &v.schema_kind {
                SchemaKind::Type(Type::Object(o)) => o
                    .properties
                    .get(&discriminator.property_name)?
                    .as_item()
                    .and_then(|p| string_enum_values(p)),
                _ => None,
            });
            if tag_values.as_deref() != Some(std::slice::from_ref(tag)) {
                return Err(problem(
                    &location,
                    format!(
                        "variant {target_name} must declare `{}` as a one-value enum [{tag}]",
                        discriminator.property_name
                    ),
                ));
            }
        }
        if targets.len() != members.len() {
            let missing: Vec<_> = members.difference(&targets).collect();
            return Err(problem(
                location,
                format!("oneOf members without a discriminator mapping: {missing:?}"),
            ));
        }
    }
    Ok(())
}

/// Response enums must be named schemas so that they can be generated open; an inline one would be
/// generated closed, and one new value from the server would fail a whole response.
fn check_no_inline_enums_in_responses(spec: &OpenAPI) -> Result<(), CodegenError> {
    let Some(components) = &spec.components else {
        return Ok(());
    };
    let discriminated: BTreeSet<String> = components
        .schemas
        .values()
        .filter_map(|s| s.as_item()?.schema_data.discriminator.as_ref())
        .flat_map(|d| {
            d.mapping
                .values()
                .filter_map(|t| ref_name(t).map(|n| (n.to_string(), d.property_name.clone())))
        })
        .map(|(n, p)| format!("{n}.{p}"))
        .collect();
    for name in schemas_reachable_from_responses(spec) {
        let Some(schema) = components.schemas.get(&name).and_then(|s| s.as_item()) else {
            continue;
        };
        let SchemaKind::Type(Type::Object(obj)) = &schema.schema_kind else {
            continue;
        };
        for (prop, value) in &obj.properties {
            let Some(value) = value.as_item() else {
                continue;
            };
            if string_enum_values(value).is_some()
                && !discriminated.contains(&format!("{name}.{prop}"))
            {
                return Err(problem(
                    format!("schema {name}, property {prop}"),
                    "an inline enum in a response would be generated closed; move it to components/schemas so it is generated open",
                ));
            }
        }
    }
    Ok(())
}

/// Every `pattern` must compile with `regex-lite`, which the generated code checks it with (the
/// checked newtypes of `typedefs.rs`), so that the generated `Regex::new(..).unwrap()` cannot
/// fail at run time. regex-lite reads the ECMA-262 subset that JSON Schema patterns use in practice
/// (classes, groups, alternation, repetition, anchors); a pattern beyond it (lookaround,
/// backreferences, Unicode classes) is an error here rather than a surprise for a user.
fn check_patterns(spec: &OpenAPI) -> Result<(), CodegenError> {
    let value = serde_json::to_value(spec)
        .map_err(|e| problem("spec", format!("cannot be read back as JSON: {e}")))?;
    let mut found = Vec::new();
    collect_patterns(&value, String::new(), &mut found);
    for (location, pattern) in found {
        if let Err(e) = regex_lite::Regex::new(&pattern) {
            return Err(problem(
                location,
                format!("pattern {pattern:?} is not one that regex-lite can check: {e}"),
            ));
        }
    }
    Ok(())
}

/// The string values of `pattern` keys, with their JSON pointer. A property that happens to be
/// named `pattern` holds a schema (an object), so only strings count.
fn collect_patterns(value: &serde_json::Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match inner {
                    serde_json::Value::String(p) if key == "pattern" => out.push((here, p.clone())),
                    _ => collect_patterns(inner, here, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                collect_patterns(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every `$ref` must point into this document at something that is there: typify panics on a
/// dangling one, and the review would compare nothing where it points.
pub fn check_references(spec: &OpenAPI) -> Result<(), CodegenError> {
    let value = serde_json::to_value(spec)
        .map_err(|e| problem("spec", format!("cannot be read back as JSON: {e}")))?;
    let mut found = Vec::new();
    collect_references(&value, String::new(), &mut found);
    for (location, reference) in found {
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| value.pointer(pointer));
        if target.is_none() {
            return Err(problem(
                location,
                format!(
                    "$ref {reference:?} points at nothing in this document (only local \
                     references, `#/...`, are read)"
                ),
            ));
        }
    }
    Ok(())
}

/// The string values of `$ref` keys, with the JSON pointer of the object holding them.
fn collect_references(value: &serde_json::Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(reference)) = map.get("$ref") {
                out.push((at.clone(), reference.clone()));
            }
            for (key, inner) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                collect_references(inner, here, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                collect_references(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

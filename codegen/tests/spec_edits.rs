//! A corpus of realistic spec edits, each applied to the real spec: the generator must either write
//! a crate that compiles on its own, or refuse the edit with an error naming where it is and what
//! is not supported. "ok" followed by a compile error is the bug this test exists to catch.
//!
//! Every edit is generated alone (its outcome checked); then the edits expected to work are applied
//! together, in groups, and each group's output is built as a dependent builds the library: the
//! package alone in a scratch workspace (no feature unification with the CLI or the tests), with
//! `clippy -D warnings` and `rustdoc -D warnings`.
//!
//! `SPEC_EDITS_NO_BUILD=1` checks the outcomes only (seconds instead of minutes).

mod common;
mod dependent;

use std::path::{Path, PathBuf};

use common::{at, openapi, prop, real, schema, yaml};
use serde_yaml::Value;

/// What the generator must do with an edit.
enum Expect {
    /// Generate code that compiles, in this build group.
    Builds(&'static str),
    /// Refuse, with an error containing this text.
    Refused(&'static str),
}

struct Edit {
    name: &'static str,
    expect: Expect,
    apply: fn(&mut Value),
}

fn props<'a>(spec: &'a mut Value, name: &str) -> &'a mut serde_yaml::Mapping {
    at(spec, &["components", "schemas", name, "properties"])
        .as_mapping_mut()
        .expect("properties")
}

fn add_props(spec: &mut Value, name: &str, new: &str) {
    let new = yaml(new);
    let props = props(spec, name);
    for (key, value) in new.as_mapping().expect("mapping") {
        props.insert(key.clone(), value.clone());
    }
}

fn paths(spec: &mut Value) -> &mut serde_yaml::Mapping {
    at(spec, &["paths"]).as_mapping_mut().expect("paths")
}

fn add_path(spec: &mut Value, path: &str, item: &str) {
    paths(spec).insert(Value::from(path), yaml(item));
}

fn add_schema(spec: &mut Value, name: &str, body: &str) {
    at(spec, &["components", "schemas"])
        .as_mapping_mut()
        .expect("schemas")
        .insert(Value::from(name), yaml(body));
}

/// The fields of every type and format the generator claims to read, as YAML properties.
const EVERY_FORMAT: &str = "
count32: {type: integer, format: int32, description: An int32.}
ratio: {type: number, format: float, description: A float.}
day: {type: string, format: date, description: A date.}
id: {type: string, format: uuid, description: A UUID.}
address: {type: string, format: ipv4, description: An IPv4 address.}
labels: {type: object, additionalProperties: {type: string}, description: A map of strings.}
nested: {type: object, description: An inline object., properties: {inner: {type: string}, depth: {type: integer}}}
matrix: {type: array, items: {type: array, items: {type: number, format: double}}, description: Arrays of arrays.}
";

fn edits() -> Vec<Edit> {
    vec![
        Edit {
            name: "answer fields of every type and format",
            expect: Expect::Builds("types"),
            apply: |s| add_props(s, "ReservationHardware", EVERY_FORMAT),
        },
        Edit {
            name: "request fields of every type and format",
            expect: Expect::Builds("types"),
            apply: |s| add_props(s, "CostReportDetailedRequest", EVERY_FORMAT),
        },
        Edit {
            name: "a required answer field becomes nullable",
            expect: Expect::Builds("types"),
            apply: |s| prop(s, "Region", "display_name")["nullable"] = Value::from(true),
        },
        Edit {
            name: "a request field becomes nullable",
            expect: Expect::Builds("types"),
            apply: |s| prop(s, "TagCondition", "strict")["nullable"] = Value::from(true),
        },
        Edit {
            name: "allOf around a $ref, with its own description",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_props(
                    s,
                    "ReservationHardware",
                    "where: {allOf: [{$ref: '#/components/schemas/RegionCoordinates'}], description: Where it is.}",
                )
            },
        },
        Edit {
            name: "an untagged oneOf of a string and an integer",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_props(
                    s,
                    "ReservationHardware",
                    "size: {oneOf: [{type: string}, {type: integer}], description: Either.}",
                )
            },
        },
        Edit {
            name: "an integer enum",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_props(
                    s,
                    "ReservationHardware",
                    "{tier: {type: integer, enum: [1, 2, 3], description: A tier.}, rank: {type: integer, minimum: 1, enum: [1, 2], description: A rank that is NonZeroU64 in Rust.}}",
                )
            },
        },
        Edit {
            name: "additionalProperties: false on the four report requests",
            expect: Expect::Builds("types"),
            apply: |s| {
                for name in [
                    "CostReportDetailedRequest",
                    "CostReportAggregatedRequest",
                    "CostReportMonthlyRequest",
                    "UsageReportRequest",
                ] {
                    schema(s, name)["additionalProperties"] = Value::from(false);
                }
            },
        },
        Edit {
            name: "additionalProperties: false on an answer",
            expect: Expect::Builds("types"),
            apply: |s| schema(s, "Region")["additionalProperties"] = Value::from(false),
        },
        Edit {
            name: "properties named like Rust keywords",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_props(
                    s,
                    "RegionCoordinates",
                    "{fn: {type: string}, match: {type: integer}, self: {type: string}, crate: {type: string}, async: {type: string}, use: {type: string}}",
                )
            },
        },
        Edit {
            name: "properties with dashes and leading digits",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_props(
                    s,
                    "TagCondition",
                    "{last-seen: {type: string}, 24h_usage: {type: number}, x-request-id: {type: string}}",
                )
            },
        },
        Edit {
            name: "properties whose names differ only in case",
            expect: Expect::Refused(
                "schema ReservationCommit: properties `price_total`, `priceTotal` become the one Rust field `price_total`",
            ),
            apply: |s| {
                add_props(
                    s,
                    "ReservationCommit",
                    "{Type: {type: string}, TYPE: {type: string}, priceTotal: {type: string}}",
                )
            },
        },
        Edit {
            name: "Markdown-heavy descriptions",
            expect: Expect::Builds("types"),
            apply: |s| {
                let text = "See [the docs](https://gcore.com/docs/cloud) or <https://api.gcore.com>; \
                            a bare URL https://api.gcore.com/cloud/v1/regions, a <string> placeholder, \
                            [brackets], [a][b], items[0], `code [x]` and a <b>tag</b>.";
                prop(s, "Region", "display_name")["description"] = Value::from(text);
                prop(s, "TagCondition", "key")["description"] = Value::from(text);
                schema(s, "RegionCoordinates")["description"] = Value::from(text);
                at(s, &["paths", "/cloud/v1/regions", "get"])["description"] = Value::from(text);
            },
        },
        Edit {
            name: "deprecated fields, answer and request",
            expect: Expect::Builds("types"),
            apply: |s| {
                prop(s, "Region", "display_name")["deprecated"] = Value::from(true);
                prop(s, "TagCondition", "key")["deprecated"] = Value::from(true);
            },
        },
        Edit {
            name: "a deprecated operation",
            expect: Expect::Builds("operations"),
            apply: |s| {
                at(s, &["paths", "/cloud/v1/regions", "get"])["deprecated"] = Value::from(true)
            },
        },
        Edit {
            name: "a new variant of the detailed report's row union",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_schema(
                    s,
                    "CostReportResourceGpuCluster",
                    "{type: object, description: One GPU cluster., required: [type, billing_value], properties: {type: {type: string, enum: [gpu_cluster]}, billing_value: {type: number, format: double}, cost: {type: number, nullable: true}}}",
                );
                let union = schema(s, "CostReportResource");
                union["oneOf"].as_sequence_mut().expect("oneOf").push(yaml(
                    "$ref: '#/components/schemas/CostReportResourceGpuCluster'",
                ));
                union["discriminator"]["mapping"]
                    .as_mapping_mut()
                    .expect("mapping")
                    .insert(
                        Value::from("gpu_cluster"),
                        Value::from("#/components/schemas/CostReportResourceGpuCluster"),
                    );
            },
        },
        Edit {
            name: "a GET with a path parameter",
            expect: Expect::Builds("operations"),
            apply: |s| {
                add_path(
                    s,
                    "/cloud/v1/projects/{project_id}/regions",
                    "get:
                       operationId: list_project_regions
                       description: Regions of one project.
                       parameters:
                         - {name: project_id, in: path, required: true, schema: {type: integer, format: int64, minimum: 1}, example: 42}
                         - {name: show_volumes, in: query, required: false, schema: {type: boolean}}
                       responses:
                         '200':
                           description: ok
                           content:
                             application/json:
                               schema: {$ref: '#/components/schemas/RegionList'}",
                )
            },
        },
        Edit {
            name: "a GET with array query parameters",
            expect: Expect::Builds("operations"),
            apply: |s| {
                add_path(
                    s,
                    "/cloud/v1/regions/named",
                    "get:
                       operationId: list_named_regions
                       description: Regions with these names.
                       parameters:
                         - {name: names, in: query, required: false, schema: {type: array, items: {type: string}}}
                         - {name: ids, in: query, required: true, schema: {type: array, items: {type: integer, minimum: 1}}, example: [1, 2]}
                         - {name: since, in: query, required: false, schema: {type: array, items: {type: string, format: date-time}}}
                       responses:
                         '200':
                           description: ok
                           content:
                             application/json:
                               schema: {$ref: '#/components/schemas/RegionList'}",
                )
            },
        },
        Edit {
            name: "a GET with an array of an inline enum",
            expect: Expect::Refused(
                "operation list_sorted_regions (get /cloud/v1/regions/sorted): query parameter order: an array of an inline enum; $ref a named enum schema for its items",
            ),
            apply: |s| {
                add_path(
                    s,
                    "/cloud/v1/regions/sorted",
                    "get:
                       operationId: list_sorted_regions
                       description: Regions in an order.
                       parameters:
                         - {name: order, in: query, required: false, schema: {type: array, items: {type: string, enum: [name, id]}}}
                       responses:
                         '200':
                           description: ok
                           content:
                             application/json:
                               schema: {$ref: '#/components/schemas/RegionList'}",
                )
            },
        },
        Edit {
            name: "a POST with inline request and answer schemas",
            expect: Expect::Builds("operations"),
            apply: |s| {
                add_path(
                    s,
                    "/cloud/v1/cost_report/summary",
                    "post:
                       operationId: get_cost_summary
                       description: A summary.
                       requestBody:
                         required: true
                         content:
                           application/json:
                             schema: {type: object, required: [time_from], properties: {time_from: {type: string, format: date-time}, project: {type: integer}}}
                       responses:
                         '200':
                           description: The summary.
                           content:
                             application/json:
                               schema: {type: object, required: [total], properties: {total: {type: number}, currency: {type: string}}}",
                )
            },
        },
        Edit {
            name: "a paged POST whose page fields have other names, answer inline",
            expect: Expect::Builds("operations"),
            apply: |s| {
                add_path(
                    s,
                    "/cloud/v1/cost_report/lines",
                    "post:
                       operationId: get_cost_lines
                       description: Cost lines, a page at a time.
                       x-gcore-pagination: {limit: page_size, offset: skip, count: total, items: data}
                       requestBody:
                         required: true
                         content:
                           application/json:
                             schema: {type: object, properties: {page_size: {type: integer, minimum: 1, maximum: 100}, skip: {type: integer, minimum: 0}}}
                       responses:
                         '200':
                           description: A page.
                           content:
                             application/json:
                               schema: {type: object, required: [total, data], properties: {total: {type: integer}, data: {type: array, items: {$ref: '#/components/schemas/Region'}}}}",
                )
            },
        },
        Edit {
            name: "a GET whose answer is a top-level array",
            expect: Expect::Builds("operations"),
            apply: |s| {
                add_path(
                    s,
                    "/cloud/v1/regions/all",
                    "get:
                       operationId: list_all_regions
                       description: Every region at once.
                       responses:
                         '200':
                           description: The regions.
                           content:
                             application/json:
                               schema: {type: array, items: {$ref: '#/components/schemas/Region'}}",
                )
            },
        },
        Edit {
            name: "OpenAPI 3.1",
            expect: Expect::Refused("openapi"),
            apply: |s| s["openapi"] = Value::from("3.1.0"),
        },
        Edit {
            name: "a new value of an open enum",
            expect: Expect::Builds("types"),
            apply: |s| {
                schema(s, "BillingValueUnit")["enum"]
                    .as_sequence_mut()
                    .expect("enum")
                    .push(Value::from("tbhours"))
            },
        },
        Edit {
            name: "a new required request field with a pattern and length bounds",
            expect: Expect::Builds("types"),
            apply: |s| {
                add_props(
                    s,
                    "ReservationPricingRequest",
                    "billing_code: {type: string, pattern: '^[A-Z]{2}-[0-9]+$', minLength: 4, maxLength: 12}",
                );
                schema(s, "ReservationPricingRequest")["required"]
                    .as_sequence_mut()
                    .expect("required")
                    .push(Value::from("billing_code"));
            },
        },
        Edit {
            name: "a $ref to a schema that is not there",
            expect: Expect::Refused(
                "/components/schemas/TagCondition/properties/key: $ref \"#/components/schemas/Missing\" points at nothing",
            ),
            apply: |s| {
                *prop(s, "TagCondition", "key") = yaml("$ref: '#/components/schemas/Missing'")
            },
        },
        Edit {
            name: "two operations with one operationId",
            expect: Expect::Refused("operationId is used twice"),
            apply: |s| {
                at(s, &["paths", "/cloud/v1/regions", "get"])["operationId"] =
                    Value::from("list_billing_reservations")
            },
        },
        Edit {
            name: "a pattern regex-lite cannot check (lookahead)",
            expect: Expect::Refused("is not one that regex-lite can check"),
            apply: |s| {
                add_props(
                    s,
                    "TagCondition",
                    "code: {type: string, pattern: '^(?=x)y$'}",
                )
            },
        },
        Edit {
            name: "a misspelt extension",
            expect: Expect::Refused(
                "post /cloud/v1/usage_report: unknown extension x-gcore-paginaton",
            ),
            apply: |s| {
                let op = at(s, &["paths", "/cloud/v1/usage_report", "post"]);
                let paging = op["x-gcore-pagination"].clone();
                let op = op.as_mapping_mut().expect("operation");
                op.remove("x-gcore-pagination");
                op.insert(Value::from("x-gcore-paginaton"), paging);
            },
        },
        Edit {
            name: "an operation extension on a schema",
            expect: Expect::Refused(
                "/components/schemas/TagCondition: x-gcore-method is read only on: [Operation]",
            ),
            apply: |s| schema(s, "TagCondition")["x-gcore-method"] = Value::from("tags"),
        },
        Edit {
            name: "a form-encoded request body",
            expect: Expect::Refused("the client sends application/json bodies only"),
            apply: |s| {
                let content = at(
                    s,
                    &[
                        "paths",
                        "/cloud/v1/usage_report",
                        "post",
                        "requestBody",
                        "content",
                    ],
                );
                let media = content["application/json"].clone();
                *content = yaml("{}");
                content
                    .as_mapping_mut()
                    .expect("content")
                    .insert(Value::from("application/x-www-form-urlencoded"), media);
            },
        },
    ]
}

/// The spec with `edits` applied, written to `dir/name.yaml`.
fn write_spec(dir: &Path, name: &str, edits: &[&Edit]) -> PathBuf {
    let mut spec = real();
    for edit in edits {
        (edit.apply)(&mut spec);
    }
    // Every edit leaves a document that openapiv3 reads (the generator's own checks come next).
    let _ = openapi(&spec);
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, serde_yaml::to_string(&spec).expect("YAML")).expect("write spec");
    path
}

#[test]
fn every_spec_edit_builds_or_is_refused_by_name() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-edits");
    std::fs::create_dir_all(&tmp).expect("scratch dir");
    let edits = edits();
    assert!(edits.len() >= 25, "the corpus keeps its size");
    let mut wrong = Vec::new();
    for (i, edit) in edits.iter().enumerate() {
        let path = write_spec(&tmp, &format!("edit-{i}"), &[edit]);
        let outcome = gcore_billing_codegen::generate_files(&path);
        match (&edit.expect, outcome) {
            (Expect::Builds(_), Ok(_)) => {}
            (Expect::Builds(_), Err(e)) => wrong.push(format!("{}: refused: {e}", edit.name)),
            (Expect::Refused(text), Err(e)) if e.to_string().contains(text) => {}
            (Expect::Refused(text), Err(e)) => {
                wrong.push(format!("{}: refused without {text:?}: {e}", edit.name))
            }
            (Expect::Refused(_), Ok(_)) => wrong.push(format!("{}: not refused", edit.name)),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    if std::env::var_os("SPEC_EDITS_NO_BUILD").is_some() {
        return;
    }
    for group in ["types", "operations"] {
        let members: Vec<&Edit> = edits
            .iter()
            .filter(|e| matches!(e.expect, Expect::Builds(g) if g == group))
            .collect();
        let spec = write_spec(&tmp, group, &members);
        let files = gcore_billing_codegen::generate_files(&spec)
            .unwrap_or_else(|e| panic!("group {group}: {e}"));
        let names: Vec<&str> = members.iter().map(|e| e.name).collect();
        dependent::build_as_a_dependent(&tmp.join(format!("crate-{group}")), &files)
            .unwrap_or_else(|e| panic!("group {group} ({}):\n{e}", names.join("; ")));
    }
}

#[test]
fn deprecated_fields_and_operations_are_marked_deprecated_with_the_spec_note() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spec-edits-deprecated");
    std::fs::create_dir_all(&tmp).expect("scratch dir");
    let edits = edits();
    let chosen: Vec<&Edit> = edits
        .iter()
        .filter(|e| e.name.starts_with("deprecated fields") || e.name == "a deprecated operation")
        .collect();
    assert_eq!(chosen.len(), 2);
    let files = gcore_billing_codegen::generate_files(&write_spec(&tmp, "deprecated", &chosen))
        .expect("generates");
    let text = |name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.source.clone())
            .expect("file")
    };
    let region = text("types/region.rs");
    let field = region.find("pub display_name").expect("field");
    assert!(
        region[..field]
            .trim_end()
            .ends_with("#[deprecated(note = \"The region's name, as people know it.\")]"),
        "{}",
        &region[field.saturating_sub(300)..field]
    );
    // The serde impls that touch it say they mean to.
    assert!(
        region.contains("#[allow(deprecated)]\nimpl<'de> ::serde::Deserialize<'de> for Region")
    );
    let tag = text("types/tag_condition.rs");
    assert!(
        tag.contains("#[deprecated(note = \"Tag name.\")]\n    pub key:"),
        "{tag}"
    );
    let root = text("client.rs");
    let method = root.find("pub async fn list_regions(").expect("method");
    assert!(
        root[..method].contains("#[deprecated("),
        "{}",
        &root[method.saturating_sub(400)..method]
    );
}

//! The spec review: pairs of specs built by editing the real one, each with the class of change and
//! the exit code a reviewer gets; the Rust API section; and the command's exit codes.

use std::process::Command;

mod common;

use common::{at, openapi, prop, real, schema, spec_path, yaml};
use gcore_billing_codegen::review::{Class, Review, review_specs, rust_api_changes};
use serde_yaml::{Mapping, Value};

fn map(value: &mut Value) -> &mut Mapping {
    value.as_mapping_mut().expect("a mapping")
}

fn seq(value: &mut Value) -> &mut Vec<Value> {
    value.as_sequence_mut().expect("a sequence")
}

fn reservation_params(spec: &mut Value) -> &mut Vec<Value> {
    seq(at(
        spec,
        &["paths", "/cloud/v2/reservations", "get", "parameters"],
    ))
}

fn remove_from(list: &mut Value, item: &str) {
    seq(list).retain(|v| v.as_str() != Some(item));
}

fn review_of(edit: &dyn Fn(&mut Value)) -> Review {
    let base = real();
    let mut head = base.clone();
    edit(&mut head);
    review_specs(&openapi(&base), &openapi(&head))
}

struct Fixture {
    name: &'static str,
    edit: Box<dyn Fn(&mut Value)>,
    class: Class,
    location: &'static str,
    path: &'static str,
    exit: u8,
}

fn fixture(
    name: &'static str,
    class: Class,
    location: &'static str,
    path: &'static str,
    edit: impl Fn(&mut Value) + 'static,
) -> Fixture {
    Fixture {
        name,
        edit: Box::new(edit),
        class,
        location,
        path,
        exit: u8::from(class == Class::Breaking),
    }
}

const DETAILED_REQUEST: &str = "schema CostReportDetailedRequest (in requests)";
const RESERVATIONS: &str = "GET /cloud/v2/reservations (list_billing_reservations)";
const INSTANCE: &str = "schema CostReportResourceInstance (in responses)";

fn fixtures() -> Vec<Fixture> {
    vec![
        fixture(
            "remove an operation",
            Class::Breaking,
            "POST /cloud/v1/usage_report (get_usage_report)",
            "",
            |s| {
                map(at(s, &["paths"])).remove("/cloud/v1/usage_report");
            },
        ),
        fixture(
            "a decimal answer field read as a float again",
            Class::Breaking,
            INSTANCE,
            "cost.format",
            |s| prop(s, "CostReportResourceInstance", "cost")["format"] = Value::from("double"),
        ),
        fixture(
            "add an operation",
            Class::NonBreaking,
            "POST /cloud/v1/usage_report_v2 (get_usage_report_v2)",
            "",
            |s| {
                let mut copy = at(s, &["paths", "/cloud/v1/usage_report"]).clone();
                *at(&mut copy, &["post", "operationId"]) = Value::from("get_usage_report_v2");
                map(at(s, &["paths"])).insert(Value::from("/cloud/v1/usage_report_v2"), copy);
            },
        ),
        fixture(
            "remove a query parameter",
            Class::Breaking,
            RESERVATIONS,
            "query metric_name",
            |s| reservation_params(s).retain(|p| p["name"] != "metric_name"),
        ),
        fixture(
            "add a required query parameter",
            Class::Breaking,
            RESERVATIONS,
            "query account_id",
            |s| {
                reservation_params(s).push(yaml(
                    "{name: account_id, in: query, required: true, schema: {type: integer}}",
                ))
            },
        ),
        fixture(
            "add an optional query parameter",
            Class::NonBreaking,
            RESERVATIONS,
            "query include_expired",
            |s| {
                reservation_params(s).push(yaml(
                    "{name: include_expired, in: query, required: false, schema: {type: boolean}}",
                ))
            },
        ),
        fixture(
            "make a query parameter required",
            Class::Breaking,
            RESERVATIONS,
            "query metric_name",
            |s| {
                for p in reservation_params(s) {
                    if p["name"] == "metric_name" {
                        p["required"] = Value::from(true);
                    }
                }
            },
        ),
        fixture(
            "make a request field required",
            Class::Breaking,
            DETAILED_REQUEST,
            "rounding",
            |s| {
                seq(at(schema(s, "CostReportDetailedRequest"), &["required"]))
                    .push(Value::from("rounding"))
            },
        ),
        fixture(
            "add a required request field",
            Class::Breaking,
            DETAILED_REQUEST,
            "account",
            |s| {
                let request = schema(s, "CostReportDetailedRequest");
                map(at(request, &["properties"]))
                    .insert(Value::from("account"), yaml("{type: string}"));
                seq(at(request, &["required"])).push(Value::from("account"));
            },
        ),
        fixture(
            "add an optional request field",
            Class::NonBreaking,
            DETAILED_REQUEST,
            "currency",
            |s| {
                map(at(schema(s, "CostReportDetailedRequest"), &["properties"]))
                    .insert(Value::from("currency"), yaml("{type: string}"));
            },
        ),
        fixture(
            "remove a request field",
            Class::Breaking,
            DETAILED_REQUEST,
            "rounding",
            |s| {
                map(at(schema(s, "CostReportDetailedRequest"), &["properties"])).remove("rounding");
            },
        ),
        fixture(
            "remove a request enum value",
            Class::Breaking,
            DETAILED_REQUEST,
            "response_format.enum",
            |s| {
                remove_from(
                    at(
                        prop(s, "CostReportDetailedRequest", "response_format"),
                        &["enum"],
                    ),
                    "csv_records",
                )
            },
        ),
        fixture(
            "add a request enum value",
            Class::NonBreaking,
            DETAILED_REQUEST,
            "response_format.enum",
            |s| {
                seq(at(
                    prop(s, "CostReportDetailedRequest", "response_format"),
                    &["enum"],
                ))
                .push(Value::from("parquet"))
            },
        ),
        fixture(
            "raise a request minimum",
            Class::Breaking,
            DETAILED_REQUEST,
            "limit.minimum",
            |s| prop(s, "CostReportDetailedRequest", "limit")["minimum"] = Value::from(5),
        ),
        fixture(
            "add a request maximum",
            Class::Breaking,
            DETAILED_REQUEST,
            "limit.maximum",
            |s| prop(s, "CostReportDetailedRequest", "limit")["maximum"] = Value::from(1000),
        ),
        fixture(
            "drop a request minimum",
            Class::NonBreaking,
            DETAILED_REQUEST,
            "offset.minimum",
            |s| {
                map(prop(s, "CostReportDetailedRequest", "offset")).remove("minimum");
            },
        ),
        fixture(
            "change a request pattern",
            Class::Breaking,
            "schema CostReportMonthlyRequest (in requests)",
            "year_month.pattern",
            |s| {
                prop(s, "CostReportMonthlyRequest", "year_month")["pattern"] =
                    Value::from("^20[0-9]{2}-(0[1-9]|1[0-2])$")
            },
        ),
        fixture(
            "cap a request array",
            Class::Breaking,
            DETAILED_REQUEST,
            "projects.maxItems",
            |s| prop(s, "CostReportDetailedRequest", "projects")["maxItems"] = Value::from(10),
        ),
        fixture(
            "make a nullable request field non-nullable",
            Class::Breaking,
            "schema UsageReportRequest (in requests)",
            "projects",
            |s| prop(s, "UsageReportRequest", "projects")["nullable"] = Value::from(false),
        ),
        fixture(
            "remove a required response field",
            Class::Breaking,
            INSTANCE,
            "flavor",
            |s| {
                let instance = schema(s, "CostReportResourceInstance");
                map(at(instance, &["properties"])).remove("flavor");
                remove_from(at(instance, &["required"]), "flavor");
            },
        ),
        fixture(
            "rename a required response field",
            Class::Breaking,
            INSTANCE,
            "uuid",
            |s| {
                let instance = schema(s, "CostReportResourceInstance");
                let uuid = map(at(instance, &["properties"]))
                    .remove("uuid")
                    .expect("uuid");
                map(at(instance, &["properties"])).insert(Value::from("id"), uuid);
                remove_from(at(instance, &["required"]), "uuid");
                seq(at(instance, &["required"])).push(Value::from("id"));
            },
        ),
        fixture(
            "make a required response field optional",
            Class::Breaking,
            INSTANCE,
            "region",
            |s| {
                remove_from(
                    at(schema(s, "CostReportResourceInstance"), &["required"]),
                    "region",
                )
            },
        ),
        fixture(
            "make a response field nullable",
            Class::Breaking,
            INSTANCE,
            "billing_value",
            |s| {
                prop(s, "CostReportResourceInstance", "billing_value")["nullable"] =
                    Value::from(true)
            },
        ),
        fixture(
            "change a response field's type",
            Class::Breaking,
            INSTANCE,
            "project_id",
            |s| *prop(s, "CostReportResourceInstance", "project_id") = yaml("{type: string}"),
        ),
        fixture(
            "change a response field's format",
            Class::Breaking,
            INSTANCE,
            "first_seen.format",
            |s| prop(s, "CostReportResourceInstance", "first_seen")["format"] = Value::from("date"),
        ),
        fixture(
            "add a response field",
            Class::NonBreaking,
            INSTANCE,
            "gpu_count",
            |s| {
                map(at(schema(s, "CostReportResourceInstance"), &["properties"]))
                    .insert(Value::from("gpu_count"), yaml("{type: integer}"));
            },
        ),
        fixture(
            "remove an optional response field",
            Class::NonBreaking,
            INSTANCE,
            "tags",
            |s| {
                map(at(schema(s, "CostReportResourceInstance"), &["properties"])).remove("tags");
            },
        ),
        fixture(
            "add a response enum value",
            Class::NonBreaking,
            "schema BillingValueUnit (in responses)",
            "enum",
            |s| seq(at(schema(s, "BillingValueUnit"), &["enum"])).push(Value::from("kwh")),
        ),
        fixture(
            "add a union variant",
            Class::NonBreaking,
            "schema CostReportResource (in responses)",
            "[quantum]",
            |s| {
                let mut variant = schema(s, "CostReportResourceAiCluster").clone();
                variant["properties"]["type"]["enum"] = yaml("[quantum]");
                map(at(s, &["components", "schemas"]))
                    .insert(Value::from("CostReportResourceQuantum"), variant);
                let union = schema(s, "CostReportResource");
                let reference = Value::from("#/components/schemas/CostReportResourceQuantum");
                seq(at(union, &["oneOf"])).push(yaml(&format!(
                    "{{$ref: '{}'}}",
                    reference.as_str().expect("text")
                )));
                map(at(union, &["discriminator", "mapping"]))
                    .insert(Value::from("quantum"), reference);
            },
        ),
        fixture(
            "remove a variant of an open union",
            Class::NonBreaking,
            "schema CostReportResource (in responses)",
            "[ai_cluster]",
            |s| {
                let union = schema(s, "CostReportResource");
                seq(at(union, &["oneOf"]))
                    .retain(|v| v["$ref"] != "#/components/schemas/CostReportResourceAiCluster");
                map(at(union, &["discriminator", "mapping"])).remove("ai_cluster");
            },
        ),
        fixture(
            "remove a variant of a closed union",
            Class::Breaking,
            "schema UsageReportResource (in responses)",
            "[ai_cluster]",
            |s| {
                let union = schema(s, "UsageReportResource");
                seq(at(union, &["oneOf"]))
                    .retain(|v| v["$ref"] != "#/components/schemas/UsageReportResourceAiCluster");
                map(union).remove("discriminator");
            },
        ),
        fixture(
            "reword a description",
            Class::Docs,
            INSTANCE,
            "last_name",
            |s| {
                prop(s, "CostReportResourceInstance", "last_name")["description"] =
                    Value::from("The instance's name at the end of the period.")
            },
        ),
        fixture(
            "deprecate a request field",
            Class::Deprecation,
            DETAILED_REQUEST,
            "order_by",
            |s| prop(s, "CostReportDetailedRequest", "order_by")["deprecated"] = Value::from(true),
        ),
        fixture(
            "change a request default",
            Class::NonBreaking,
            DETAILED_REQUEST,
            "limit.default",
            |s| prop(s, "CostReportDetailedRequest", "limit")["default"] = Value::from(100),
        ),
        fixture(
            "change how an operation pages",
            Class::Breaking,
            "POST /cloud/v1/cost_report/resources (get_detailed_cost_report)",
            "x-gcore-pagination",
            |s| {
                at(
                    s,
                    &[
                        "paths",
                        "/cloud/v1/cost_report/resources",
                        "post",
                        "x-gcore-pagination",
                    ],
                )["count"] = Value::from("total")
            },
        ),
        fixture(
            "rename a Client method",
            Class::Breaking,
            "GET /cloud/v1/regions (list_regions)",
            "x-gcore-method",
            |s| {
                at(s, &["paths", "/cloud/v1/regions", "get"])["x-gcore-method"] =
                    Value::from("regions")
            },
        ),
        fixture(
            "add a check between request fields",
            Class::Breaking,
            DETAILED_REQUEST,
            "x-gcore-checks",
            |s| {
                schema(s, "CostReportDetailedRequest")["x-gcore-checks"] =
                    yaml("[{field: time_to, within-days-of: time_from, days: 366}]")
            },
        ),
        fixture(
            "drop the CSV form of a report",
            Class::Breaking,
            "POST /cloud/v1/cost_report/resources (get_detailed_cost_report)",
            "response 200",
            |s| {
                map(at(
                    s,
                    &[
                        "paths",
                        "/cloud/v1/cost_report/resources",
                        "post",
                        "responses",
                        "200",
                        "content",
                    ],
                ))
                .remove("text/csv");
            },
        ),
        fixture(
            "rename an operationId",
            Class::NonBreaking,
            RESERVATIONS,
            "operationId",
            |s| {
                at(s, &["paths", "/cloud/v2/reservations", "get"])["operationId"] =
                    Value::from("list_reservations")
            },
        ),
    ]
}

#[test]
fn every_fixture_gets_its_class_and_exit_code() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 25, "{} fixtures", fixtures.len());
    for f in fixtures {
        let review = review_of(&*f.edit);
        let location = f.location;
        let found = review
            .changes
            .iter()
            .find(|c| c.location == location && c.path == f.path);
        let Some(change) = found else {
            panic!(
                "{}: no change at {location} / {}: {:#?}",
                f.name, f.path, review.changes
            );
        };
        assert_eq!(change.class, f.class, "{}: {change:?}", f.name);
        assert_eq!(
            review.exit_code(),
            f.exit,
            "{}: {:#?}",
            f.name,
            review.changes
        );
        let most_severe = review.changes.iter().map(|c| c.class).min();
        assert_eq!(
            most_severe,
            Some(f.class),
            "{}: {:#?}",
            f.name,
            review.changes
        );
        let report = review.to_markdown();
        assert!(
            report.contains(&format!("| {location} | {} |", f.path)),
            "{}:\n{report}",
            f.name
        );
    }
}

#[test]
fn open_enums_and_unions_say_new_values_are_kept_as_unknown() {
    let review =
        review_of(&|s| seq(at(schema(s, "BillingValueUnit"), &["enum"])).push(Value::from("kwh")));
    assert_eq!(review.changes.len(), 1, "{:#?}", review.changes);
    assert_eq!(review.changes[0].new, "kwh");
    assert!(
        review.changes[0].note.contains("Unknown"),
        "{:?}",
        review.changes[0]
    );
}

#[test]
fn the_real_spec_against_itself_has_no_changes() {
    let spec = openapi(&real());
    let review = review_specs(&spec, &spec);
    assert!(review.changes.is_empty(), "{:#?}", review.changes);
    assert_eq!(review.exit_code(), 0);
    assert!(review.to_markdown().contains("**No changes.**"));
}

#[test]
fn the_rust_api_section_tells_semver_major_from_minor() {
    let generate = |value: &Value| {
        gcore_billing_codegen::generate_from_spec(&openapi(value)).expect("generates")
    };
    let base = real();
    let old = generate(&base);

    // A new response enum value adds a variant to a `#[non_exhaustive]` open enum: minor.
    let mut head = base.clone();
    seq(at(schema(&mut head, "BillingValueUnit"), &["enum"])).push(Value::from("kwh"));
    let changes = rust_api_changes(&old, &generate(&head)).expect("compares");
    let unit = changes
        .iter()
        .find(|c| c.item == "open::BillingValueUnit")
        .unwrap_or_else(|| panic!("{changes:#?}"));
    assert_eq!((unit.kind, unit.major), ("changed", false));

    // A new operation adds items (minor), except that the `mock::MockServerExt` trait gains
    // a method, which is major by the semver rules (an implementor outside the crate would break).
    let mut head = base.clone();
    let mut copy = at(&mut head, &["paths", "/cloud/v1/usage_report"]).clone();
    *at(&mut copy, &["post", "operationId"]) = Value::from("get_usage_report_v2");
    map(at(&mut head, &["paths"])).insert(Value::from("/cloud/v1/usage_report_v2"), copy);
    let changes = rust_api_changes(&old, &generate(&head)).expect("compares");
    assert!(
        changes
            .iter()
            .any(|c| c.item == "Client::get_usage_report_v2" && c.kind == "added"),
        "{changes:#?}"
    );
    let major: Vec<&str> = changes
        .iter()
        .filter(|c| c.major)
        .map(|c| c.item.as_str())
        .collect();
    assert_eq!(major, ["mock::MockServerExt"], "{changes:#?}");

    // A new response field on a `#[non_exhaustive]` answer struct: minor.
    let mut head = base.clone();
    map(at(
        schema(&mut head, "ReservationHardware"),
        &["properties"],
    ))
    .insert(Value::from("gpu_count"), yaml("{type: integer}"));
    let changes = rust_api_changes(&old, &generate(&head)).expect("compares");
    let hardware = changes
        .iter()
        .find(|c| c.item == "types::ReservationHardware")
        .unwrap_or_else(|| panic!("{changes:#?}"));
    assert_eq!((hardware.kind, hardware.major), ("changed", false));

    // Documentation only: no Rust API change at all.
    let mut head = base.clone();
    prop(&mut head, "CostReportResourceInstance", "last_name")["description"] =
        Value::from("Renamed docs.");
    assert_eq!(
        rust_api_changes(&old, &generate(&head)).expect("compares"),
        vec![]
    );
}

fn run_review(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gcore-billing-codegen"))
        .arg("review")
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code().expect("exit code"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_command_exits_0_1_or_2() {
    let tmp = tempfile::Builder::new()
        .prefix("gcore-review-")
        .tempdir()
        .expect("temp dir");
    let dir = tmp.path();
    let real_path = spec_path();
    let real_path = real_path.to_str().expect("UTF-8 path");

    // Same spec: 0 and "No changes".
    let (code, out, _) = run_review(&["--base", real_path, "--head", real_path, "--no-rust-api"]);
    assert_eq!(code, 0);
    assert!(out.contains("**No changes.**"), "{out}");

    // A breaking edit: 1; with the major number bumped and --accept-major-bump: 0.
    let mut head = real();
    reservation_params(&mut head).retain(|p| p["name"] != "metric_name");
    let breaking = dir.join("breaking.yaml");
    std::fs::write(&breaking, serde_yaml::to_string(&head).expect("YAML")).expect("write");
    let breaking = breaking.to_str().expect("UTF-8");
    let (code, out, _) = run_review(&["--base", real_path, "--head", breaking, "--no-rust-api"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("| breaking | GET /cloud/v2/reservations (list_billing_reservations) | query metric_name | present | removed |"), "{out}");
    let (code, _, _) = run_review(&[
        "--base",
        real_path,
        "--head",
        breaking,
        "--no-rust-api",
        "--accept-major-bump",
    ]);
    assert_eq!(code, 1, "no major bump, so still refused");
    head["info"]["version"] = Value::from("2026.0.0");
    let bumped = dir.join("bumped.yaml");
    std::fs::write(&bumped, serde_yaml::to_string(&head).expect("YAML")).expect("write");
    let (code, out, err) = run_review(&[
        "--base",
        real_path,
        "--head",
        bumped.to_str().expect("UTF-8"),
        "--no-rust-api",
        "--accept-major-bump",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("major number went up"), "{out}");

    // Usage and parse errors: 2, with a message.
    let (code, _, err) = run_review(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("--base is required"), "{err}");
    let not_yaml = dir.join("not.yaml");
    std::fs::write(&not_yaml, "openapi: [unclosed").expect("write");
    let (code, _, err) =
        run_review(&["--base", not_yaml.to_str().expect("UTF-8"), "--no-rust-api"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a valid OpenAPI 3.0 document"), "{err}");
    let (code, _, err) = run_review(&["--base", "git:no-such-ref-anywhere", "--no-rust-api"]);
    assert_eq!(code, 2);
    assert!(err.contains("git show no-such-ref-anywhere"), "{err}");
}

#[test]
fn hostile_input_is_refused_with_a_message() {
    let tmp = tempfile::Builder::new()
        .prefix("gcore-review-")
        .tempdir()
        .expect("temp dir");
    let dir = tmp.path();
    let real_path = spec_path();
    let real_path = real_path.to_str().expect("UTF-8 path");
    let write = |name: &str, spec: &Value| {
        let path = dir.join(name);
        std::fs::write(&path, serde_yaml::to_string(spec).expect("YAML")).expect("write");
        path.to_str().expect("UTF-8").to_string()
    };

    // A ref that git would read as an option is refused, and git writes nothing.
    let written = dir.join("written-by-git");
    let base = format!("git:--output={}", written.display());
    let (code, out, err) = run_review(&["--base", &base, "--no-rust-api"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("cannot be empty or start with '-'"), "{err}");
    assert!(!written.exists(), "git must not have written {written:?}");

    // A dangling $ref is an error naming the reference and where it is, with or without the Rust API.
    let mut head = real();
    *prop(&mut head, "TagCondition", "key") = yaml("$ref: '#/components/schemas/Nope'");
    let dangling = write("dangling.yaml", &head);
    for extra in [&["--no-rust-api"][..], &[][..]] {
        let mut args = vec!["--base", real_path, "--head", &dangling];
        args.extend_from_slice(extra);
        let (code, out, err) = run_review(&args);
        assert_eq!(code, 2, "{out}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.contains(
                "/components/schemas/TagCondition/properties/key: $ref \"#/components/schemas/Nope\" points at nothing"
            ),
            "{err}"
        );
    }

    // A cyclic schema is reviewed, and the report says how.
    let mut head = real();
    *prop(&mut head, "TagCondition", "key") = yaml("$ref: '#/components/schemas/TagCondition'");
    let cyclic = write("cyclic.yaml", &head);
    let (code, out, _) = run_review(&["--base", real_path, "--head", &cyclic, "--no-rust-api"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "> Note: the head spec's schemas refer to themselves (TagCondition → TagCondition)"
        ),
        "{out}"
    );

    // Deep nesting is refused before it is parsed.
    let deep = dir.join("deep.json");
    std::fs::write(
        &deep,
        format!("{}{}", "{\"a\": ".repeat(50_000), "}".repeat(50_000)),
    )
    .expect("write");
    let (code, _, err) = run_review(&[
        "--base",
        real_path,
        "--head",
        deep.to_str().expect("UTF-8"),
        "--no-rust-api",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("line 1 nests {...} or [...] more than 100 levels deep"),
        "{err}"
    );
}

#[test]
fn a_cycle_through_two_schemas_is_named_once_from_its_first_member() {
    let review = review_of(&|spec| {
        *prop(spec, "TagCondition", "value") = yaml("$ref: '#/components/schemas/TagsFilter'");
    });
    assert_eq!(
        review.notes,
        vec![
            "the head spec's schemas refer to themselves (TagCondition → TagsFilter → \
             TagCondition); a schema in a cycle is compared once per context, where the review \
             first reaches it, and its changes are classed there"
                .to_string()
        ]
    );
    assert!(review_of(&|_| {}).notes.is_empty());
}

#[test]
fn a_float_answer_field_made_an_exact_decimal_is_non_breaking_on_the_wire_and_major_in_rust() {
    let head = real();
    let mut base = head.clone();
    prop(&mut base, "CostReportResourceInstance", "cost")["format"] = Value::from("double");
    let review = review_specs(&openapi(&base), &openapi(&head));
    let changes: Vec<_> = review
        .changes
        .iter()
        .map(|c| (c.class, c.location.as_str(), c.path.as_str()))
        .collect();
    assert_eq!(changes, [(Class::NonBreaking, INSTANCE, "cost.format")]);
    let generate = |value: &Value| {
        gcore_billing_codegen::generate_from_spec(&openapi(value)).expect("generates")
    };
    let rust = rust_api_changes(&generate(&base), &generate(&head)).expect("compares");
    let instance = rust
        .iter()
        .find(|c| c.item == "types::CostReportResourceInstance")
        .unwrap_or_else(|| panic!("{rust:#?}"));
    assert!(instance.major, "f64 became Decimal: {instance:?}");
}

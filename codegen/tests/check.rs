//! Spec shapes that progenitor panics on, or that would be generated wrongly, are reported as errors
//! naming the operation or schema, before progenitor runs.

use gcore_billing_codegen::{CodegenError, SpecModel, check_spec};

fn spec(paths: &str, schemas: &str) -> openapiv3::OpenAPI {
    let text = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}\ncomponents:\n  schemas:\n    A: {{type: object, properties: {{m: {{type: string}}}}}}\n    B: {{type: object, properties: {{n: {{type: string}}}}}}\n{schemas}"
    );
    serde_yaml::from_str(&text).expect("test spec parses")
}

fn message(result: Result<(), CodegenError>) -> String {
    result.expect_err("the check must fail").to_string()
}

const OK_200: &str = "          '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n";

#[test]
fn two_request_media_types_are_reported_with_the_operation() {
    let paths = format!(
        "  /x:\n    post:\n      operationId: make_x\n      requestBody:\n        content:\n          application/json: {{schema: {{$ref: '#/components/schemas/A'}}}}\n          application/x-www-form-urlencoded: {{schema: {{$ref: '#/components/schemas/A'}}}}\n      responses:\n{OK_200}"
    );
    let text = message(check_spec(&spec(&paths, "")));
    assert!(
        text.starts_with("operation make_x (post /x): request body has 2 media types"),
        "{text}"
    );
}

#[test]
fn a_form_request_body_is_reported_with_the_operation() {
    let paths = format!(
        "  /x:\n    post:\n      operationId: make_x\n      requestBody:\n        content:\n          application/x-www-form-urlencoded: {{schema: {{$ref: '#/components/schemas/A'}}}}\n      responses:\n{OK_200}"
    );
    let text = message(check_spec(&spec(&paths, "")));
    assert_eq!(
        text,
        "operation make_x (post /x): request body is application/x-www-form-urlencoded; the client sends application/json bodies only"
    );
}

#[test]
fn two_error_schemas_are_reported_with_the_operation() {
    let paths = format!(
        "  /x:\n    get:\n      operationId: get_x\n      responses:\n{OK_200}          '4XX': {{description: e, content: {{application/json: {{schema: {{$ref: '#/components/schemas/A'}}}}}}}}\n          '5XX': {{description: e, content: {{application/json: {{schema: {{$ref: '#/components/schemas/B'}}}}}}}}\n"
    );
    let text = message(check_spec(&spec(&paths, "")));
    assert!(
        text.contains("operation get_x (get /x): error responses use 2 different bodies"),
        "{text}"
    );
}

#[test]
fn missing_operation_id_is_reported_with_the_path() {
    let paths = format!("  /y:\n    get:\n      responses:\n{OK_200}");
    let text = message(check_spec(&spec(&paths, "")));
    assert!(text.contains("(get /y): has no operationId"), "{text}");
}

#[test]
fn inline_enum_in_a_response_is_reported_with_schema_and_property() {
    let paths = "  /z:\n    get:\n      operationId: get_z\n      responses:\n          '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/C'}}}}\n";
    let schemas = "    C: {type: object, properties: {state: {type: string, enum: [on, off]}}}\n";
    let text = message(check_spec(&spec(paths, schemas)));
    assert!(
        text.starts_with("schema C, property state: an inline enum in a response"),
        "{text}"
    );
}

#[test]
fn discriminator_variant_without_fixed_tag_is_reported() {
    let paths = "  /u:\n    get:\n      operationId: get_u\n      responses:\n          '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/U'}}}}\n";
    let schemas = "    U: {oneOf: [{$ref: '#/components/schemas/V'}], discriminator: {propertyName: type, mapping: {v: '#/components/schemas/V'}}}\n    V: {type: object, required: [type], properties: {type: {type: string}}}\n";
    let text = message(check_spec(&spec(paths, schemas)));
    assert!(
        text.contains("schema U: variant V must declare `type` as a one-value enum [v]"),
        "{text}"
    );
}

#[test]
fn the_project_spec_passes_and_has_the_expected_open_types() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/gcore-billing.yaml");
    let spec = gcore_billing_codegen::load_spec(&path).unwrap();
    check_spec(&spec).unwrap();
    let model = SpecModel::from_spec(&spec).unwrap();
    let mut open = model.open_type_names();
    open.sort();
    assert_eq!(
        open,
        [
            "BillingValueUnit",
            "CostReportResource",
            "CostReportTotal",
            "EgressInstanceType",
            "FileShareType",
            "PriceStatus",
            "RegionAccessLevel",
            "RegionEndpointType",
            "RegionState",
            "RegionZone",
            "UsageReportResource",
            "UsageReportTotal"
        ]
    );
    assert_eq!(model.csv_operations.len(), 3);
    assert_eq!(
        model
            .paged_operations
            .iter()
            .map(|p| p.operation_id.as_str())
            .collect::<Vec<_>>(),
        ["get_detailed_cost_report", "get_usage_report"]
    );
}

#[test]
fn an_unreadable_spec_is_a_clear_error_not_a_panic() {
    let error = gcore_billing_codegen::generate(std::path::Path::new("/nonexistent/spec.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("cannot read spec /nonexistent/spec.yaml"),
        "{error}"
    );
}

#[test]
fn a_pattern_the_client_cannot_check_is_reported_with_its_place() {
    // A lookahead: ECMA-262 has it, regex-lite (which the generated client checks patterns with)
    // does not, so the generated `Regex::new(..).unwrap()` would panic at run time.
    let paths = format!("  /p:\n    get:\n      operationId: get_p\n      responses:\n{OK_200}");
    let schemas =
        "    D: {type: object, properties: {code: {type: string, pattern: '^(?=x)x$'}}}\n";
    let text = message(check_spec(&spec(&paths, schemas)));
    assert!(
        text.starts_with("/components/schemas/D/properties/code/pattern: pattern \"^(?=x)x$\" is not one that regex-lite can check"),
        "{text}"
    );
}

#[test]
fn a_property_named_pattern_is_a_schema_not_a_pattern() {
    let paths = format!("  /p:\n    get:\n      operationId: get_p\n      responses:\n{OK_200}");
    let schemas =
        "    D: {type: object, properties: {pattern: {type: string, pattern: '^[a-z]+$'}}}\n";
    check_spec(&spec(&paths, schemas)).expect("a valid pattern under a property named pattern");
}

#[test]
fn default_columns_naming_no_field_is_an_error_not_a_silent_no_op() {
    let paths = "  /u:\n    get:\n      operationId: get_u\n      responses:\n          '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/U'}}}}\n";
    let union = |rule: &str| {
        format!(
            "    U: {{oneOf: [{{$ref: '#/components/schemas/V'}}], discriminator: {{propertyName: type, mapping: {{v: '#/components/schemas/V'}}}}, x-gcore-default-columns: {rule}}}\n    V: {{type: object, required: [type], properties: {{type: {{type: string, enum: [v]}}, id: {{type: string}}}}}}\n"
        )
    };
    let model = |rule: &str| SpecModel::from_spec(&spec(paths, &union(rule)));
    let good = model("{add: [id]}").expect("a known field");
    let columns = &good.open_unions[0].columns;
    assert!(columns.iter().any(|c| c.name == "id" && c.in_default));
    for (rule, expected) in [
        (
            "{add: [idd]}",
            "x-gcore-default-columns.add: no variant has a field \"idd\"",
        ),
        ("{omit: [type]}", "cannot drop the discriminator"),
        (
            "{add: id}",
            "x-gcore-default-columns.add must be a list of field names",
        ),
        ("{remove: [id]}", "only `add` and `omit` are read"),
    ] {
        let Err(error) = model(rule) else {
            panic!("{rule}: the generator accepted it")
        };
        let text = error.to_string();
        assert!(text.contains(expected), "{rule}: {text}");
        assert!(text.contains("schema U"), "{rule}: {text}");
    }
}

//! The spec itself: loadable by openapiv3, every operation named, every example valid for the generated
//! types, every discriminator value mapped to exactly one schema.

use std::collections::{BTreeMap, BTreeSet};

use gcore_billing::types;
use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use serde_json::Value;

fn spec() -> OpenAPI {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/gcore-billing.yaml"
    ))
    .unwrap();
    serde_yaml::from_str(&text).expect("the spec parses as OpenAPI 3.0")
}

type Check = fn(Value) -> Result<(), String>;

fn parses<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value) -> Result<(), String> {
    let parsed: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    // Unknown variants would also round-trip, so make sure nothing was kept as unknown: every known row
    // re-serializes through its typed variant, which drops nothing and adds nothing.
    let text = serde_json::to_string(&parsed).map_err(|e| e.to_string())?;
    if text.contains("\"type\":\"") && !types_known(&serde_json::from_str(&text).unwrap()) {
        return Err(format!(
            "an example row has a type the spec does not know: {text}"
        ));
    }
    Ok(())
}

fn types_known(value: &Value) -> bool {
    let known: BTreeSet<&str> = types::CostReportResource::KNOWN.iter().copied().collect();
    match value {
        Value::Object(map) => {
            let own = match map.get("type").and_then(Value::as_str) {
                Some(t) if map.contains_key("billing_value") => known.contains(t),
                _ => true,
            };
            own && map.values().all(types_known)
        }
        Value::Array(items) => items.iter().all(types_known),
        _ => true,
    }
}

/// How to check the request and 200-response examples of each operation.
fn checks() -> BTreeMap<&'static str, (Option<Check>, Check)> {
    BTreeMap::from([
        (
            "get_detailed_cost_report",
            (
                Some(parses::<types::CostReportDetailedRequest> as Check),
                parses::<types::CostReportDetailed> as Check,
            ),
        ),
        (
            "get_aggregated_cost_report",
            (
                Some(parses::<types::CostReportAggregatedRequest>),
                parses::<types::CostReportAggregated>,
            ),
        ),
        (
            "get_monthly_reservation_cost_report",
            (
                Some(parses::<types::CostReportMonthlyRequest>),
                parses::<types::CostReportMonthly>,
            ),
        ),
        (
            "get_usage_report",
            (
                Some(parses::<types::UsageReportRequest>),
                parses::<types::UsageReport>,
            ),
        ),
        (
            "get_reservation_prices",
            (
                Some(parses::<types::ReservationPricingRequest>),
                parses::<types::ReservationPricing>,
            ),
        ),
        (
            "list_billing_reservations",
            (None, parses::<types::BillingReservations>),
        ),
        ("list_regions", (None, parses::<types::RegionList>)),
    ])
}

fn examples(media: &openapiv3::MediaType) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = media
        .example
        .iter()
        .map(|e| ("example".to_string(), e.clone()))
        .collect();
    for (name, example) in &media.examples {
        if let ReferenceOr::Item(example) = example {
            out.push((
                name.clone(),
                example.value.clone().expect("examples carry a value"),
            ));
        }
    }
    out
}

#[test]
fn every_operation_has_an_operation_id_and_a_check() {
    let spec = spec();
    let checks = checks();
    let mut seen = BTreeSet::new();
    for (path, item) in &spec.paths.paths {
        for (method, op) in item.as_item().unwrap().iter() {
            let id = op
                .operation_id
                .as_deref()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(seen.insert(id.to_string()), "operationId {id} used twice");
            assert!(
                checks.contains_key(id),
                "add {id} to checks() in tests/spec.rs"
            );
        }
    }
    assert_eq!(seen.len(), 7);
}

#[test]
fn every_example_parses_with_the_generated_types() {
    let spec = spec();
    let checks = checks();
    let mut checked = 0;
    for (path, item) in &spec.paths.paths {
        for (_, op) in item.as_item().unwrap().iter() {
            let id = op.operation_id.as_deref().unwrap();
            let (request_check, response_check) = checks[id];
            if let Some(ReferenceOr::Item(body)) = &op.request_body {
                for (name, example) in examples(&body.content["application/json"]) {
                    request_check.expect("operation has a body")(example)
                        .unwrap_or_else(|e| panic!("{id} request example {name}: {e}"));
                    checked += 1;
                }
            }
            let ok = op.responses.responses[&openapiv3::StatusCode::Code(200)]
                .as_item()
                .unwrap();
            let json = &ok.content["application/json"];
            assert!(
                !examples(json).is_empty(),
                "{id} ({path}) has no response example"
            );
            for (name, example) in examples(json) {
                response_check(example)
                    .unwrap_or_else(|e| panic!("{id} response example {name}: {e}"));
                checked += 1;
            }
        }
    }
    let components = spec.components.as_ref().unwrap();
    for (name, response) in &components.responses {
        for (example_name, example) in
            examples(&response.as_item().unwrap().content["application/json"])
        {
            parses::<types::ErrorResponse>(example)
                .unwrap_or_else(|e| panic!("response {name} example {example_name}: {e}"));
            checked += 1;
        }
    }
    let schema_checks: BTreeMap<&str, Check> = BTreeMap::from([
        ("SchemaFilter", parses::<types::SchemaFilter> as Check),
        ("TagsFilter", parses::<types::TagsFilter>),
        ("CsvReport", parses::<String>),
    ]);
    for (name, schema) in &components.schemas {
        let Some(example) = schema.as_item().and_then(|s| s.schema_data.example.clone()) else {
            continue;
        };
        let check = schema_checks
            .get(name.as_str())
            .unwrap_or_else(|| panic!("add schema {name} to schema_checks"));
        check(example).unwrap_or_else(|e| panic!("schema {name} example: {e}"));
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} examples checked");
}

#[test]
fn every_discriminator_value_maps_to_exactly_one_schema() {
    let spec = spec();
    let schemas = &spec.components.as_ref().unwrap().schemas;
    let mut unions = BTreeMap::new();
    for (name, schema) in schemas {
        let schema = schema.as_item().unwrap();
        let Some(discriminator) = &schema.schema_data.discriminator else {
            continue;
        };
        let SchemaKind::OneOf { one_of } = &schema.schema_kind else {
            panic!("{name}: discriminator without oneOf")
        };
        let members: BTreeSet<String> = one_of
            .iter()
            .map(|m| match m {
                ReferenceOr::Reference { reference } => {
                    reference.rsplit('/').next().unwrap().to_string()
                }
                ReferenceOr::Item(_) => panic!("{name}: inline oneOf member"),
            })
            .collect();
        assert_eq!(
            members.len(),
            one_of.len(),
            "{name}: a member is listed twice"
        );
        let targets: Vec<String> = discriminator
            .mapping
            .values()
            .map(|t| t.rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(
            targets.iter().collect::<BTreeSet<_>>().len(),
            targets.len(),
            "{name}: two values map to one schema"
        );
        assert_eq!(
            targets.iter().cloned().collect::<BTreeSet<_>>(),
            members,
            "{name}: mapping and oneOf differ"
        );
        for (tag, target) in &discriminator.mapping {
            let variant = schemas[target.rsplit('/').next().unwrap()]
                .as_item()
                .unwrap();
            let SchemaKind::Type(Type::Object(object)) = &variant.schema_kind else {
                panic!("{target} is not an object")
            };
            let property = object.properties[&discriminator.property_name]
                .as_item()
                .unwrap();
            let SchemaKind::Type(Type::String(string)) = &property.schema_kind else {
                panic!("{target}.type is not a string")
            };
            assert_eq!(
                string.enumeration,
                vec![Some(tag.clone())],
                "{target} must fix `type` to {tag}"
            );
            assert!(
                object.required.contains(&discriminator.property_name),
                "{target}: `type` must be required"
            );
        }
        unions.insert(name.clone(), discriminator.mapping.len());
    }
    assert_eq!(unions["CostReportResource"], 25);
    assert_eq!(unions["UsageReportResource"], 25);
    assert_eq!(unions["CostReportTotal"], 25);
    assert_eq!(unions["UsageReportTotal"], 24);
    assert_eq!(unions["SchemaFilter"], 25);
}

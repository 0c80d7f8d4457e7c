//! The generated types' `Deserialize` and `Serialize` are plain code the generator writes
//! (codegen/src/serde_code.rs) instead of serde's derive. These pin what users rely on: the same
//! values, errors and output as the derive, and nothing the server sent lost.

use gcore_billing::types::{
    CostReportDetailedRequest, CostReportResourceVolumeType, ErrorResponse, ReservationCommit,
    ResourceType,
};
use serde_json::json;

fn commit(value: serde_json::Value) -> Result<ReservationCommit, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn full_commit() -> serde_json::Value {
    json!({
        "active_from": "2024-08-01T00:00:00Z",
        "active_to": null,
        "price_per_month": "10.5",
        "price_per_unit": "0.0144",
        "price_total": "31.5",
        "subscription_id": 7
    })
}

#[test]
fn fields_are_parsed_into_their_types() {
    let parsed = commit(full_commit()).unwrap();
    assert_eq!(parsed.active_from.to_rfc3339(), "2024-08-01T00:00:00+00:00");
    assert_eq!(parsed.active_to, None);
    assert_eq!(parsed.price_per_month, "10.5");
    assert_eq!(parsed.subscription_id, Some(7));
    assert!(parsed.extra_fields.is_empty());
}

#[test]
fn a_missing_optional_field_is_none_and_a_missing_required_field_is_named() {
    let mut value = full_commit();
    value.as_object_mut().unwrap().remove("active_to");
    value.as_object_mut().unwrap().remove("subscription_id");
    let parsed = commit(value).unwrap();
    assert_eq!((parsed.active_to, parsed.subscription_id), (None, None));

    let mut value = full_commit();
    value.as_object_mut().unwrap().remove("price_total");
    assert_eq!(commit(value).unwrap_err(), "missing field `price_total`");
}

#[test]
fn a_field_sent_twice_is_an_error() {
    let text = r#"{"active_from":"2024-08-01T00:00:00Z","price_per_month":"1","price_per_month":"2",
                  "price_per_unit":"1","price_total":"1"}"#;
    let error = serde_json::from_str::<ReservationCommit>(text).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("duplicate field `price_per_month`"),
        "{error}"
    );
}

#[test]
fn unlisted_fields_are_kept_in_place_and_written_back() {
    let mut value = full_commit();
    value["discount"] = json!({"percent": 5, "until": "2025-01-01"});
    // A key written with an escape reaches the parser as an owned string.
    let text = serde_json::to_string(&value)
        .unwrap()
        .replace("\"discount\"", "\"disc\\u006funt\"");
    let parsed: ReservationCommit = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed.extra_fields.get("discount"),
        Some(&json!({"percent": 5, "until": "2025-01-01"}))
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
}

#[test]
fn answers_serialize_as_the_derive_did_listed_fields_in_order_then_unlisted_ones() {
    // A row as the server sends it: the spec's fields in the struct's order (`type` under its
    // wire name, a null kept as null), then one the spec does not list. The text comes back as is.
    let sent = concat!(
        r#"{"attached_to_vm":null,"billing_feature_name":"Volume SSD","billing_metric_name":"volume_size","#,
        r#""billing_value":1440.5,"billing_value_unit":"gbminutes","cost":0.25,"currency":"EUR","err":null,"#,
        r#""first_seen":"2025-01-01T00:00:00Z","last_name":"data","last_seen":"2025-01-01T23:59:00Z","#,
        r#""last_size":10,"project_id":1,"region":76,"region_id":76,"size_unit":"GiB","tags":null,"#,
        r#""type":"volume","uuid":"9e5a","volume_type":"ssd_hiiops","zone":"a"}"#
    );
    let parsed: gcore_billing::types::CostReportResourceVolume =
        serde_json::from_str(sent).unwrap();
    assert_eq!(parsed.extra_fields.get("zone"), Some(&json!("a")));
    assert_eq!(serde_json::to_string(&parsed).unwrap(), sent);

    // Fields sent in another order come back in the struct's order, unlisted ones last.
    let shuffled = r#"{"note":"x","message":"no","errors":{"a":["b"]},"exception_class":null}"#;
    let parsed: ErrorResponse = serde_json::from_str(shuffled).unwrap();
    assert_eq!(
        serde_json::to_string(&parsed).unwrap(),
        r#"{"errors":{"a":["b"]},"exception_class":null,"message":"no","note":"x"}"#
    );
}

#[test]
fn a_wrong_shape_or_type_names_what_was_expected() {
    assert_eq!(
        commit(json!([1, 2])).unwrap_err(),
        "invalid type: sequence, expected struct ReservationCommit"
    );
    let mut value = full_commit();
    value["subscription_id"] = json!("seven");
    assert_eq!(
        commit(value).unwrap_err(),
        "invalid type: string \"seven\", expected i64"
    );
}

#[test]
fn field_paths_reach_through_the_answer_parser() {
    let mut value = full_commit();
    value["active_from"] = json!("yesterday");
    let text = value.to_string();
    let mut reader = serde_json::Deserializer::from_str(&text);
    let error = serde_path_to_error::deserialize::<_, ReservationCommit>(&mut reader).unwrap_err();
    assert_eq!(error.path().to_string(), "active_from");
}

#[test]
fn a_defaulted_field_falls_back_to_its_default() {
    let parsed: ErrorResponse = serde_json::from_value(json!({"message": "no"})).unwrap();
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.message.as_deref(), Some("no"));
    let parsed: ErrorResponse =
        serde_json::from_value(json!({"errors": {"time_to": ["bad"]}})).unwrap();
    assert_eq!(parsed.errors.get("time_to"), Some(&json!(["bad"])));
}

#[test]
fn answer_enums_take_their_values_and_name_the_allowed_ones() {
    let parsed: CostReportResourceVolumeType = serde_json::from_value(json!("volume")).unwrap();
    assert_eq!(parsed, CostReportResourceVolumeType::Volume);
    assert_eq!(serde_json::to_value(parsed).unwrap(), json!("volume"));
    assert_eq!(parsed.to_string(), "volume");
    // A wire value that is not the variant's name is what `Serialize` and `Display` write.
    let ai = gcore_billing::types::CostReportResourceAiClusterType::AiCluster;
    assert_eq!(serde_json::to_string(&ai).unwrap(), r#""ai_cluster""#);
    assert_eq!(ai.to_string(), "ai_cluster");
    let error = serde_json::from_value::<CostReportResourceVolumeType>(json!("disk")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown variant `disk`, expected `volume`"
    );
    let error = serde_json::from_value::<CostReportResourceVolumeType>(json!(5)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid type: integer `5`, expected a string"
    );
}

#[test]
fn requests_parse_as_with_the_derive_and_skip_unlisted_fields() {
    let parsed: CostReportDetailedRequest = serde_json::from_value(json!({
        "time_from": "2024-08-01T00:00:00Z",
        "time_to": "2024-09-01T00:00:00Z",
        "limit": 100,
        "types": ["volume", "instance"],
        "not_in_the_spec": {"anything": [1, 2]}
    }))
    .unwrap();
    assert_eq!(parsed.limit.map(|l| l.get()), Some(100));
    assert_eq!(
        parsed.types,
        vec![ResourceType::Volume, ResourceType::Instance]
    );
    assert_eq!((parsed.offset, parsed.enable_last_day), (None, None));
    assert!(parsed.regions.is_empty() && parsed.order_by.is_empty());
    // Only what was set goes back on the wire; the unlisted field is not kept for requests.
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        json!({"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z",
               "limit": 100, "types": ["volume", "instance"]})
    );

    let error = serde_json::from_value::<CostReportDetailedRequest>(
        json!({"time_from": "2024-08-01T00:00:00Z"}),
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "missing field `time_to`");
    let error = serde_json::from_value::<CostReportDetailedRequest>(json!({
        "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 0
    }))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid value: integer `0`, expected a nonzero u64"
    );
}

#[test]
fn request_enums_unions_and_newtypes_read_and_write_as_the_derive_did() {
    use gcore_billing::types::{
        CostReportMonthlyRequestYearMonth, CsvReport, ReservationPeriod, SchemaFilter,
        SchemaFilterVolume, SchemaFilterVolumeField, SchemaFilterVolumeType,
    };
    // A request enum: its wire value both ways, and serde's own message for an unknown one.
    let period: ReservationPeriod = serde_json::from_value(json!("MONTHS36")).unwrap();
    assert_eq!(period, ReservationPeriod::Months36);
    assert_eq!(serde_json::to_string(&period).unwrap(), r#""MONTHS36""#);
    assert_eq!(period.to_string(), "MONTHS36");
    assert_eq!(
        "MONTHS12".parse::<ReservationPeriod>().unwrap(),
        ReservationPeriod::Months12
    );
    let error = serde_json::from_value::<ReservationPeriod>(json!("MONTHS24")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown variant `MONTHS24`, expected `MONTHS12` or `MONTHS36`"
    );

    // The untagged schema filter: the variant whose `type` matches, written back field by field.
    let text = r#"{"field":"last_name","type":"volume","values":["a","b"]}"#;
    let filter: SchemaFilter = serde_json::from_str(text).unwrap();
    assert_eq!(
        filter,
        SchemaFilter::Volume(SchemaFilterVolume {
            field: SchemaFilterVolumeField::LastName,
            type_: SchemaFilterVolumeType::Volume,
            values: vec!["a".into(), "b".into()],
        })
    );
    assert_eq!(serde_json::to_string(&filter).unwrap(), text);
    let error = serde_json::from_str::<SchemaFilter>(
        r#"{"field":"last_name","type":"teapot","values":[]}"#,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "data did not match any variant of untagged enum SchemaFilter"
    );

    // Newtypes travel as the value they hold; a checked one is still checked when read.
    let csv: CsvReport = serde_json::from_str(r#""a,b\n1,2\n""#).unwrap();
    assert_eq!(csv.0, "a,b\n1,2\n");
    assert_eq!(serde_json::to_string(&csv).unwrap(), r#""a,b\n1,2\n""#);
    let month: CostReportMonthlyRequestYearMonth = "2025-01".parse().unwrap();
    assert_eq!(serde_json::to_string(&month).unwrap(), r#""2025-01""#);
    assert!(serde_json::from_str::<CostReportMonthlyRequestYearMonth>(r#""2025-1""#).is_err());
}

#[test]
fn common_rows_write_type_first_then_every_default_field() {
    let row: gcore_billing::types::CostReportResourceCommon = serde_json::from_str(
        r#"{"uuid":"x","type":"volume","billing_metric_name":"m","billing_value":1.5,
            "billing_value_unit":"minutes","first_seen":"2024-08-01T00:00:30+02:00",
            "last_seen":"2024-08-02T00:00:30Z","project_id":1,"region":2,"region_id":2}"#,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_string(&row).unwrap(),
        r#"{"type":"volume","billing_feature_name":null,"billing_metric_name":"m","billing_value":1.5,"billing_value_unit":"minutes","cost":null,"currency":null,"err":null,"first_seen":"2024-07-31T22:00:30Z","last_seen":"2024-08-02T00:00:30Z","project_id":1,"region_id":2,"last_name":null,"tags":null,"uuid":"x"}"#
    );
}

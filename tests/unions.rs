//! The generated open unions and open enums: known types parse into their variant, unknown types are
//! kept as raw JSON, and a known type with a bad field fails with an error naming the type and field.

use gcore_billing::types::{
    self, BillingValueUnit, CostReportResource, CostReportTotal, PriceStatus, UsageReportResource,
    UsageReportTotal,
};
use serde_json::json;

fn instance_resource() -> serde_json::Value {
    json!({
        "type": "instance", "billing_metric_name": "g1-standard-2-4_min", "billing_value": 44640.0,
        "billing_value_unit": "minutes", "first_seen": "2024-08-01T00:00:00Z", "last_seen": "2024-08-31T23:59:00Z",
        "flavor": "g1-standard-2-4", "last_name": "web-1", "project_id": 7, "region": 1, "region_id": 1,
        "uuid": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "tags": [{"env": "prod"}]
    })
}

#[test]
fn cost_report_resource_known_unknown_malformed() {
    let mut known = instance_resource();
    known["cost"] = json!(26.78);
    known["currency"] = json!("EUR");
    let parsed: CostReportResource = serde_json::from_value(known.clone()).unwrap();
    match &parsed {
        CostReportResource::Instance(i) => {
            assert_eq!(i.flavor, "g1-standard-2-4");
            assert_eq!(i.cost, Some("26.78".parse().unwrap()));
            assert_eq!(i.billing_value_unit, BillingValueUnit::Minutes);
            assert_eq!(i.tags.as_ref().unwrap()[0]["env"], "prod");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(parsed.type_name(), "instance");
    assert_eq!(parsed.cost(), Some("26.78".parse().unwrap()));
    assert_eq!(parsed.currency(), Some("EUR"));
    // Serializes back to what came in, with a null for each optional field the row left out (Gcore
    // sends its nulls; a row as Gcore sends it comes back unchanged, see below).
    let mut with_nulls = known.clone();
    with_nulls["err"] = json!(null);
    with_nulls["billing_feature_name"] = json!(null);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), with_nulls);

    let unknown = json!({"type": "gpu_spaceship", "region_id": 3, "anything": [1, 2]});
    let parsed: CostReportResource = serde_json::from_value(unknown.clone()).unwrap();
    assert_eq!(parsed, CostReportResource::Unknown(unknown.clone()));
    assert_eq!(parsed.type_name(), "gpu_spaceship");
    assert_eq!(parsed.region_id(), Some(3));
    assert_eq!(parsed.cost(), None);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), unknown);

    let mut malformed = instance_resource();
    malformed["billing_value"] = json!("lots");
    let error = serde_json::from_value::<CostReportResource>(malformed)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("CostReportResource with type \"instance\""),
        "{error}"
    );
    assert!(
        error.contains("field `billing_value`: \"lots\" is not a number"),
        "{error}"
    );

    let mut missing = instance_resource();
    missing.as_object_mut().unwrap().remove("uuid");
    let error = serde_json::from_value::<CostReportResource>(missing)
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing field `uuid`"), "{error}");

    let error = serde_json::from_value::<CostReportResource>(json!({"uuid": "x"}))
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing string field `type`"), "{error}");
}

/// A field the spec does not list, on a row of a known type, is kept: readable from
/// `extra_fields`, and written back in place, so the re-serialized row is the row the server sent.
#[test]
fn fields_the_spec_does_not_list_are_kept_and_written_back() {
    let mut sent = instance_resource();
    sent["cost"] = json!(26.78);
    sent["currency"] = json!("EUR");
    sent["err"] = json!(null);
    sent["billing_feature_name"] = json!("Instances");
    sent["carbon_grams"] = json!(12.5);
    sent["placement"] = json!({"zone": "a", "rack": [1, 2]});
    let parsed: CostReportResource = serde_json::from_value(sent.clone()).unwrap();
    let CostReportResource::Instance(instance) = &parsed else {
        panic!("{parsed:?}");
    };
    assert_eq!(instance.flavor, "g1-standard-2-4");
    assert_eq!(
        instance.extra_fields.len(),
        2,
        "{:?}",
        instance.extra_fields
    );
    assert_eq!(instance.extra_fields["carbon_grams"], json!(12.5));
    assert_eq!(
        instance.extra_fields["placement"],
        json!({"zone": "a", "rack": [1, 2]})
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), sent);
    // From the row itself, whatever its type.
    assert_eq!(parsed.extra_fields(), Some(&instance.extra_fields));
    let unknown: CostReportResource =
        serde_json::from_value(json!({"type": "gpu_spaceship", "x": 1})).unwrap();
    assert_eq!(unknown.extra_fields(), None);

    // The same for the page around the rows, and for the other answers.
    let page = json!({"count": 1, "price_status": "show", "results": [sent], "next_cursor": "abc"});
    let parsed: types::CostReportDetailed = serde_json::from_value(page.clone()).unwrap();
    assert_eq!(parsed.extra_fields["next_cursor"], json!("abc"));
    assert_eq!(serde_json::to_value(&parsed).unwrap(), page);
    let reservations = json!({"count": 0, "results": [], "generated_at": "2024-08-01T00:00:00Z"});
    let parsed: types::BillingReservations = serde_json::from_value(reservations.clone()).unwrap();
    assert_eq!(
        parsed.extra_fields["generated_at"],
        json!("2024-08-01T00:00:00Z")
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), reservations);
}

#[test]
fn usage_report_resource_known_unknown_malformed() {
    let parsed: UsageReportResource = serde_json::from_value(instance_resource()).unwrap();
    assert!(matches!(parsed, UsageReportResource::Instance(_)));
    assert_eq!(parsed.project_id(), Some(7));

    let parsed: UsageReportResource =
        serde_json::from_value(json!({"type": "new_thing", "project_id": 9})).unwrap();
    assert!(parsed.is_unknown());
    assert_eq!(parsed.project_id(), Some(9));

    let mut malformed = instance_resource();
    malformed["first_seen"] = json!("yesterday");
    let error = serde_json::from_value::<UsageReportResource>(malformed)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("UsageReportResource with type \"instance\""),
        "{error}"
    );
}

#[test]
fn totals_unions_known_unknown_malformed() {
    let total = json!({
        "type": "egress_traffic", "billing_metric_name": "egress_bytes", "billing_value": 1e9,
        "billing_value_unit": "bytes", "instance_type": "router", "region": 76, "region_id": 76,
        "cost": null, "currency": null, "err": "price not found", "billing_feature_name": null
    });
    let parsed: CostReportTotal = serde_json::from_value(total.clone()).unwrap();
    match &parsed {
        CostReportTotal::EgressTraffic(t) => {
            assert_eq!(t.instance_type, types::EgressInstanceType::Router);
            assert_eq!(t.err.as_deref(), Some("price not found"));
            assert_eq!(t.cost, None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(parsed.billing_value_unit(), Some(BillingValueUnit::Bytes));

    // A new instance_type value is kept, not fatal.
    let mut new_kind = total.clone();
    new_kind["instance_type"] = json!("gateway");
    let parsed: CostReportTotal = serde_json::from_value(new_kind).unwrap();
    match parsed {
        CostReportTotal::EgressTraffic(t) => assert_eq!(
            t.instance_type,
            types::EgressInstanceType::Unknown("gateway".into())
        ),
        other => panic!("{other:?}"),
    }

    let parsed: CostReportTotal = serde_json::from_value(json!({"type": "brand_new"})).unwrap();
    assert!(parsed.is_unknown());

    let mut malformed = total.clone();
    malformed["region_id"] = json!("seventy-six");
    let error = serde_json::from_value::<CostReportTotal>(malformed)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("CostReportTotal with type \"egress_traffic\""),
        "{error}"
    );

    let usage_total = json!({"type": "instance", "billing_metric_name": "m", "billing_value": 1.0, "billing_value_unit": "minutes",
        "flavor": "g1", "region": 1, "region_id": 1});
    assert!(matches!(
        serde_json::from_value::<UsageReportTotal>(usage_total.clone()).unwrap(),
        UsageReportTotal::Instance(_)
    ));
    // The usage report has no backup totals in the spec: a backup total is kept as unknown.
    assert!(
        serde_json::from_value::<UsageReportTotal>(json!({"type": "backup", "region_id": 1}))
            .unwrap()
            .is_unknown()
    );
    let mut malformed = usage_total;
    malformed.as_object_mut().unwrap().remove("flavor");
    let error = serde_json::from_value::<UsageReportTotal>(malformed)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("UsageReportTotal with type \"instance\": missing field `flavor`"),
        "{error}"
    );
}

#[test]
fn open_enums_keep_unknown_values_and_round_trip() {
    assert_eq!(
        serde_json::from_value::<PriceStatus>(json!("show")).unwrap(),
        PriceStatus::Show
    );
    let odd: PriceStatus = serde_json::from_value(json!("partial")).unwrap();
    assert_eq!(odd, PriceStatus::Unknown("partial".into()));
    assert!(odd.is_unknown());
    assert_eq!(serde_json::to_value(&odd).unwrap(), json!("partial"));
    assert_eq!(BillingValueUnit::from("GBS"), BillingValueUnit::Gbs);
    assert_eq!(BillingValueUnit::Gbs.to_string(), "GBS");
    assert_eq!(
        "MLS".parse::<BillingValueUnit>().unwrap(),
        BillingValueUnit::Mls
    );
    assert!(serde_json::from_value::<PriceStatus>(json!(3)).is_err());
    let page: types::CostReportDetailed = serde_json::from_value(
        json!({"count": 0, "price_status": "brand_new_status", "results": []}),
    )
    .unwrap();
    assert_eq!(page.price_status.as_str(), "brand_new_status");
}

/// The client parses response bytes (not a `Value`): a page with known, unknown and escaped tags
/// parses row by row, and a malformed known row fails the page with the type and field named.
#[test]
fn pages_parse_from_bytes_with_unknown_rows_kept() {
    let mut known = instance_resource();
    known["cost"] = json!(1.5);
    let unknown = json!({"type": "quantum_disk", "project_id": 4, "nested": {"type": "instance"}});
    let escaped = json!({"type": "quantum\u{00e9}\"disk", "project_id": 5});
    let page = json!({"count": 3, "price_status": "show", "results": [known, unknown, escaped]});
    let bytes = serde_json::to_vec(&page).unwrap();
    let parsed: types::CostReportDetailed = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(parsed.count, 3);
    assert!(matches!(parsed.results[0], CostReportResource::Instance(_)));
    assert_eq!(parsed.results[0].cost(), Some("1.5".parse().unwrap()));
    assert_eq!(parsed.results[1], CostReportResource::Unknown(unknown));
    assert_eq!(parsed.results[2].type_name(), "quantum\u{00e9}\"disk");
    assert_eq!(parsed.results[2].project_id(), Some(5));

    let mut bad = instance_resource();
    bad["project_id"] = json!("seven");
    let page = json!({"count": 1, "price_status": "show", "results": [bad]});
    let error =
        serde_json::from_slice::<types::CostReportDetailed>(&serde_json::to_vec(&page).unwrap())
            .unwrap_err()
            .to_string();
    assert!(
        error.contains("CostReportResource with type \"instance\": field `project_id`: invalid type: string \"seven\", expected i64"),
        "{error}"
    );

    let page = br#"{"count": 1, "price_status": "show", "results": [{"type": 7}]}"#;
    let error = serde_json::from_slice::<types::CostReportDetailed>(page)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("CostReportResource: field `type` is not a string"),
        "{error}"
    );
}

/// The rows are read in one pass, before their `type` is known (Gcore sends it near the end). What
/// that must not change: where `type` comes does not matter; a row of unknown type comes back as
/// the exact JSON it was, its times and decimals as sent; a field that only other types list is
/// kept in `extra_fields`; a field sent twice is an error; a reader that cannot lend its strings
/// (an `io::Read`) parses the same rows.
#[test]
fn rows_are_read_in_one_pass_whatever_the_key_order() {
    let mut untagged = instance_resource();
    untagged.as_object_mut().unwrap().remove("type");
    let fields = serde_json::to_string(&untagged).unwrap();
    let fields = fields.trim_start_matches('{').trim_end_matches('}');
    let tag_first = format!(r#"{{"type":"instance",{fields}}}"#);
    let tag_last = format!(r#"{{{fields},"type":"instance"}}"#);
    let first: CostReportResource = serde_json::from_str(&tag_first).unwrap();
    let last: CostReportResource = serde_json::from_str(&tag_last).unwrap();
    let from_reader: CostReportResource = serde_json::from_reader(tag_last.as_bytes()).unwrap();
    assert!(matches!(first, CostReportResource::Instance(_)));
    assert_eq!(first, last);
    assert_eq!(first, from_reader);

    // Unknown type: times in a form the typed rows would rewrite, a decimal with more digits than
    // f64 holds, an escaped string, a nested object, a field only instances list: all as sent.
    let unknown = r#"{"billing_value":1.000000000000000001,"first_seen":"2024-08-01T00:00:00+00:00",
        "flavor":{"cpu":4},"last_name":"a\"b\u00e9","project_id":-3,"tags":null,"type":"warp_drive","zzz":[true]}"#;
    let parsed: CostReportResource = serde_json::from_str(unknown).unwrap();
    let expected: serde_json::Value = serde_json::from_str(unknown).unwrap();
    assert_eq!(parsed, CostReportResource::Unknown(expected.clone()));
    assert_eq!(serde_json::to_value(&parsed).unwrap(), expected);
    assert_eq!(parsed.type_name(), "warp_drive");
    assert_eq!(parsed.project_id(), Some(-3));

    // A volume row with `flavor` (only instances list it) keeps it in `extra_fields`.
    let volume = json!({
        "type": "volume", "billing_metric_name": "ssd_hiiops", "billing_value": 10, "billing_value_unit": "gbminutes",
        "first_seen": "2024-08-01T00:00:00Z", "last_seen": "2024-08-31T23:59:00Z", "last_name": "disk",
        "project_id": 7, "region": 1, "region_id": 1, "uuid": "u", "size_unit": "GiB", "volume_type": "ssd_hiiops", "last_size": 20,
        "flavor": "g1-standard-2-4", "brand_new": {"x": 1}
    });
    let parsed: CostReportResource = serde_json::from_value(volume.clone()).unwrap();
    let CostReportResource::Volume(v) = &parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(v.extra_fields["flavor"], "g1-standard-2-4");
    assert_eq!(v.extra_fields["brand_new"], json!({"x": 1}));
    assert_eq!(v.extra_fields.len(), 2);

    // Sent twice: serde's message, with the row's type.
    let twice = tag_last.replacen(r#""flavor":"#, r#""flavor":"x","flavor":"#, 1);
    let error = serde_json::from_str::<CostReportResource>(&twice)
        .unwrap_err()
        .to_string();
    assert!(error.contains("duplicate field `flavor`"), "{error}");

    // A bad value is named before a missing field, as serde's derive names them.
    let mut both = instance_resource();
    both.as_object_mut().unwrap().remove("uuid");
    both["project_id"] = json!("seven");
    let error = serde_json::from_value::<CostReportResource>(both.clone())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("field `project_id`: invalid type"),
        "{error}"
    );
    both["project_id"] = json!(7);
    let error = serde_json::from_value::<CostReportResource>(both)
        .unwrap_err()
        .to_string();
    assert!(error.ends_with("missing field `uuid`"), "{error}");

    // Not an object at all.
    let error = serde_json::from_str::<CostReportResource>("[1]")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("expected a CostReportResource row (an object)"),
        "{error}"
    );
}

//! `Client::call_operation`: any operation of the spec by its operationId, JSON in and out, checked
//! against the generated types before sending and after receiving.

mod common;

use common::{client, server};
use gcore_billing::{Error, OPERATIONS};
use serde_json::json;

fn text(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_table_lists_every_operation_of_the_spec() {
    let ids: Vec<&str> = OPERATIONS.iter().map(|o| o.id).collect();
    assert_eq!(
        ids,
        [
            "get_detailed_cost_report",
            "get_aggregated_cost_report",
            "get_monthly_reservation_cost_report",
            "get_usage_report",
            "get_reservation_prices",
            "list_billing_reservations",
            "list_regions",
        ]
    );
    let list = OPERATIONS
        .iter()
        .find(|o| o.id == "list_billing_reservations")
        .expect("op");
    assert_eq!(
        (list.method, list.path, list.body),
        ("GET", "/cloud/v2/reservations", None)
    );
    let region = list
        .parameters
        .iter()
        .find(|p| p.name == "region_id")
        .expect("param");
    assert_eq!(
        (
            region.location,
            region.required,
            region.kind,
            region.minimum
        ),
        ("query", false, "integer", Some(1))
    );
}

#[tokio::test]
async fn a_body_operation_sends_the_body_and_returns_the_parsed_answer() {
    let server = server(7).await;
    let answer = client(&server)
        .call_operation(
            "get_detailed_cost_report",
            &[],
            Some(json!({"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 5})),
        )
        .await
        .expect("answer");
    assert_eq!(answer["count"], 7);
    assert_eq!(answer["results"].as_array().map(Vec::len), Some(5));
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/cloud/v1/cost_report/resources");
    // Exactly what was given: no defaults added, no api-version header.
    assert_eq!(
        sent.body,
        Some(
            json!({"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 5})
        )
    );
    assert!(sent.headers.get("api-version").is_none());
}

#[tokio::test]
async fn path_and_query_parameters_are_filled_and_checked() {
    let server = server(1).await;
    let client = client(&server);
    let answer = client
        .call_operation(
            "list_billing_reservations",
            &text(&[
                ("time_from", "2024-08-01T00:00:00Z"),
                ("time_to", "2024-08-20T00:00:00Z"),
                ("region_id", "76"),
            ]),
            None,
        )
        .await
        .expect("answer");
    assert!(answer["results"].is_array());
    let sent = &server.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str(), &sent.body),
        ("GET", "/cloud/v2/reservations", &None)
    );
    let query = sent.query.as_deref().unwrap_or("");
    assert!(
        query.contains("region_id=76") && query.contains("time_from=2024-08-01T00%3A00%3A00Z"),
        "{query}"
    );

    let prices = client
        .call_operation(
            "get_reservation_prices",
            &text(&[("region_id", "76")]),
            Some(json!({"period": "MONTHS12", "resources": [{"resource_name": "bm1-hf-medium", "resource_type": "flavor", "resource_value": 2}]})),
        )
        .await
        .expect("prices");
    assert_eq!(prices["region_id"], 76);
    let sent = &server.requests()[1];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/cloud/v1/pricing/76/billing_reservation")
    );

    let invalid = |e: Error| match e {
        Error::InvalidRequest { message, .. } => message,
        other => panic!("{other:?}"),
    };
    for (id, params, body, expected) in [
        (
            "list_billing_reservations",
            text(&[("time_from", "2024-08-01T00:00:00Z")]),
            None,
            "list_billing_reservations needs the parameter time_to",
        ),
        (
            "list_billing_reservations",
            text(&[
                ("time_from", "yesterday"),
                ("time_to", "2024-08-20T00:00:00Z"),
            ]),
            None,
            "time_from must be an RFC 3339 date-time: premature end of input",
        ),
        (
            "list_billing_reservations",
            text(&[
                ("time_from", "2024-08-01T00:00:00Z"),
                ("time_to", "2024-08-20T00:00:00Z"),
                ("region_id", "0"),
            ]),
            None,
            "region_id must be at least 1, got 0",
        ),
        (
            "list_billing_reservations",
            text(&[
                ("time_from", "2024-08-01T00:00:00Z"),
                ("time_to", "2024-08-20T00:00:00Z"),
                ("order_by", "size"),
            ]),
            None,
            "order_by must be one of active_from.asc, active_from.desc, active_to.asc, active_to.desc, got \"size\"",
        ),
        (
            "list_billing_reservations",
            text(&[("colour", "red")]),
            None,
            "list_billing_reservations has no parameter colour",
        ),
        (
            "get_usage_report",
            vec![],
            Some(json!({"time_from": "2024-08-01T00:00:00Z"})),
            "body is not a valid UsageReportRequest: missing field `time_to`",
        ),
        (
            "list_billing_reservations",
            text(&[
                ("time_from", "2024-08-01T00:00:00Z"),
                ("time_to", "2024-09-30T00:00:00Z"),
            ]),
            None,
            "time_to must be at most 31 days after time_from",
        ),
        (
            "get_reservation_prices",
            text(&[("region_id", "76")]),
            Some(json!({"period": "MONTHS12", "resources": []})),
            "body is not a valid ReservationPricingRequest: resources must have at least 1 item(s)",
        ),
        (
            "list_billing_reservations",
            text(&[
                ("time_from", "2024-08-01T00:00:00Z"),
                ("time_to", "2024-08-20T00:00:00Z"),
            ]),
            Some(json!({})),
            "list_billing_reservations takes no body",
        ),
        (
            "get_quantum_report",
            vec![],
            None,
            "no operation get_quantum_report in the spec",
        ),
    ] {
        let error = client
            .call_operation(id, &params, body)
            .await
            .expect_err(expected);
        assert_eq!(invalid(error), expected);
    }
    assert_eq!(server.requests().len(), 2, "nothing sent for invalid calls");
}

#[tokio::test]
async fn count_asks_for_one_row_and_returns_the_report_size() {
    let server = server(7).await;
    let count = client(&server)
        .count::<gcore_billing::paged::DetailedCostReport, _>(common::detailed().offset(3))
        .await
        .expect("count");
    assert_eq!(count, 7);
    let sent = server.requests()[0].body.clone().expect("body");
    assert_eq!(
        (sent["limit"].clone(), sent["offset"].clone()),
        (json!(1), json!(0))
    );
}

/// A server that answers every request with `sent` (status 200), and a client of it.
async fn answering(sent: &serde_json::Value) -> (common::hostile::Hostile, gcore_billing::Client) {
    let sent = sent.clone();
    let server = common::hostile::start(move |_, _| common::hostile::Reply::json(200, &sent)).await;
    let client = gcore_billing::Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .build()
        .expect("client");
    (server, client)
}

/// A pricing answer as Gcore sends it.
fn pricing_answer() -> serde_json::Value {
    json!({
        "activity_period": "MONTHS12",
        "activity_period_length": 12,
        "amount_prices": {
            "commit_price_per_month": "120.50", "commit_price_per_unit": "0.17",
            "commit_price_total": "1446.00", "currency_code": "EUR",
            "overcommit_price_per_month": "0.00", "overcommit_price_per_unit": "0.00",
            "overcommit_price_total": "0.00"
        },
        "price_status": "OK",
        "region_id": 76,
        "region_name": "Luxembourg-2",
        "resources": [{
            "activity_period": "MONTHS12", "activity_period_length": 12,
            "commit_price_per_month": "120.50", "commit_price_per_unit": "0.17",
            "commit_price_total": "1446.00", "overcommit_price_per_month": "0.00",
            "overcommit_price_per_unit": "0.00", "overcommit_price_total": "0.00",
            "resource_name": "bm1-hf-medium", "unit_name": "pcs", "unit_size_month": "720",
            "unit_size_total": "8640"
        }]
    })
}

#[tokio::test]
async fn the_answer_comes_back_as_the_server_sent_it_with_unlisted_fields_and_no_added_nulls() {
    // Optional fields left out (`active_to`, `subscription_id`, `plan_item_id`, the hardware's
    // `disk`) stay out, and fields the spec does not list yet stay in, as sent.
    let sent = json!({
        "count": 1,
        "results": [{
            "active_billing_plan_id": 4,
            "active_overcommit": {
                "active_from": "2024-08-01T00:00:00Z", "price_per_month": "0.00",
                "price_per_unit": "0.00", "price_total": "0.00"
            },
            "commit": {
                "active_from": "2024-08-01T00:00:00Z", "price_per_month": "10.5",
                "price_per_unit": "0.0144", "price_total": "31.5"
            },
            "hardware_info": {"cpu": "2x Xeon", "ram": "64 GiB"},
            "region_name": "Luxembourg-2",
            "resource_count": 2,
            "resource_name": "bm1-hf-medium",
            "unit_name": "pcs",
            "unit_size_month": "720",
            "unit_size_total": "1440",
            "renewal": {"automatic": true}
        }],
        "next_page_token": "b2Zmc2V0PTE"
    });
    let (_server, client) = answering(&sent).await;
    let answer = client
        .call_operation(
            "list_billing_reservations",
            &text(&[
                ("time_from", "2024-08-01T00:00:00Z"),
                ("time_to", "2024-08-20T00:00:00Z"),
            ]),
            None,
        )
        .await
        .expect("answer");
    assert_eq!(answer, sent);
}

#[tokio::test]
async fn an_answer_that_is_not_the_operations_type_is_a_decode_error_with_the_body() {
    let mut sent = pricing_answer();
    sent["region_id"] = json!("seventy-six");
    let (_server, client) = answering(&sent).await;
    let error = client
        .call_operation(
            "get_reservation_prices",
            &text(&[("region_id", "76")]),
            Some(json!({"period": "MONTHS12", "resources": [
                {"resource_name": "bm1-hf-medium", "resource_type": "flavor", "resource_value": 2}
            ]})),
        )
        .await
        .expect_err("region_id is not a number");
    match &error {
        Error::Decode {
            operation,
            status,
            raw,
            ..
        } => {
            assert_eq!(*operation, "get_reservation_prices");
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            let raw: serde_json::Value = serde_json::from_slice(raw).expect("raw body is JSON");
            assert_eq!(raw, sent);
        }
        other => panic!("{other:?}"),
    }
    let source = std::error::Error::source(&error)
        .expect("serde's reason")
        .to_string();
    assert!(
        source.starts_with("invalid type: string \"seventy-six\", expected i64"),
        "{source}"
    );
}

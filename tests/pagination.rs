//! Streaming every row across pages: nothing lost, nothing twice, failures end the stream.

mod common;

use std::collections::BTreeSet;

use common::{at, client, detailed, server};
use futures::StreamExt;
use gcore_billing::{Error, PageOptions, paged, types};
use gcore_billing_fake::{Config, FakeServer, Fault};

/// The identity of a row: (type, name, value) is unique in the fake data because the name has the index.
fn key(row: &types::CostReportResource) -> String {
    serde_json::to_string(row).unwrap()
}

async fn all_rows_one_request(server: &FakeServer, total: u64) -> Vec<String> {
    // The fake caps pages at max_page, so fetch the reference list with the CSV-free JSON API in one go
    // from a server configured with a large max_page.
    let client = client(server);
    let page = client
        .detailed_cost_report(detailed().limit(std::num::NonZeroU64::new(total).unwrap()))
        .await
        .unwrap();
    assert_eq!(page.results.len() as u64, total);
    page.results.iter().map(key).collect()
}

async fn collect(
    stream: futures::stream::BoxStream<'static, Result<types::CostReportResource, Error>>,
) -> (Vec<String>, Option<Error>) {
    let mut rows = Vec::new();
    let mut stream = stream;
    while let Some(item) = stream.next().await {
        match item {
            Ok(row) => rows.push(key(&row)),
            Err(e) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream must end after an error"
                );
                return (rows, Some(e));
            }
        }
    }
    (rows, None)
}

#[tokio::test]
async fn sequential_pages_yield_every_row_once_in_order() {
    let server = FakeServer::start(Config {
        resources: 257,
        max_page: 10_000,
        ..Config::default()
    })
    .await
    .unwrap();
    let expected = all_rows_one_request(&server, 257).await;
    let stream = client(&server)
        .detailed_cost_report_stream(detailed(), PageOptions::default().page_size(50));
    let (rows, error) = collect(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(rows, expected);
    // 1 reference request + 6 pages (50 * 5 + 7).
    let offsets: Vec<u64> = server.requests()[1..]
        .iter()
        .map(|r| r.body.as_ref().unwrap()["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 50, 100, 150, 200, 250]);
}

#[tokio::test]
async fn concurrent_pages_yield_every_row_once_in_order() {
    let server = FakeServer::start(Config {
        resources: 1003,
        max_page: 10_000,
        ..Config::default()
    })
    .await
    .unwrap();
    let expected = all_rows_one_request(&server, 1003).await;
    let stream = client(&server).detailed_cost_report_stream(
        detailed(),
        PageOptions::default().page_size(100).concurrency(4),
    );
    let (rows, error) = collect(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(rows.len(), 1003);
    assert_eq!(
        rows.iter().collect::<BTreeSet<_>>().len(),
        1003,
        "no row twice"
    );
    assert_eq!(rows, expected);
    let mut offsets: Vec<u64> = server.requests()[1..]
        .iter()
        .map(|r| r.body.as_ref().unwrap()["offset"].as_u64().unwrap())
        .collect();
    offsets.sort();
    assert_eq!(offsets, (0..=1000).step_by(100).collect::<Vec<_>>());
}

#[tokio::test]
async fn short_pages_from_the_server_are_completed() {
    // The server never returns more than 30 rows, whatever the page size asks for.
    let server = FakeServer::start(Config {
        resources: 200,
        max_page: 30,
        ..Config::default()
    })
    .await
    .unwrap();
    for concurrency in [1, 3] {
        let stream = client(&server).detailed_cost_report_stream(
            detailed(),
            PageOptions::default()
                .page_size(100)
                .concurrency(concurrency),
        );
        let (rows, error) = collect(stream).await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(rows.len(), 200);
        assert_eq!(rows.iter().collect::<BTreeSet<_>>().len(), 200);
    }
}

#[tokio::test]
async fn a_page_failing_mid_stream_ends_the_stream_with_its_error() {
    let server = server(300).await;
    // Offset 200 fails on every attempt (1 + 2 retries).
    server.fault_at_offset(
        200,
        3,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    );
    for concurrency in [1, 2] {
        let stream = client(&server).detailed_cost_report_stream(
            detailed(),
            PageOptions::default()
                .page_size(100)
                .concurrency(concurrency),
        );
        let (rows, error) = collect(stream).await;
        assert_eq!(rows.len(), 200, "the rows before the failing page arrive");
        match error {
            Some(Error::Api { status, .. }) => assert_eq!(status.as_u16(), 500),
            other => panic!("expected the page's API error, got {other:?}"),
        }
        server.fault_at_offset(
            200,
            3,
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        );
    }
}

#[tokio::test]
async fn a_page_that_fails_once_is_retried_and_nothing_is_lost() {
    let server = server(300).await;
    server.fault_at_offset(
        100,
        1,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    );
    let stream = client(&server).detailed_cost_report_stream(
        detailed(),
        PageOptions::default().page_size(100).concurrency(3),
    );
    let (rows, error) = collect(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(rows.len(), 300);
}

#[tokio::test]
async fn an_empty_page_before_count_is_an_error_not_an_endless_loop() {
    let server = server(300).await;
    let empty = r#"{"count": 300, "price_status": "show", "results": []}"#;
    server.fault_at_offset(
        100,
        1,
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: empty.into(),
        },
    );
    let stream = client(&server)
        .detailed_cost_report_stream(detailed(), PageOptions::default().page_size(100));
    let (rows, error) = collect(stream).await;
    assert_eq!(rows.len(), 100);
    assert!(matches!(error, Some(Error::Pagination { .. })), "{error:?}");
}

#[tokio::test]
async fn usage_report_streams_resources_through_the_same_pager() {
    let server = server(120).await;
    let request = types::UsageReportRequest::builder()
        .time_from(at("2024-08-01T00:00:00Z"))
        .time_to(at("2024-09-01T00:00:00Z"));
    let rows: Vec<_> = client(&server)
        .usage_report_stream(request, PageOptions::default().page_size(50))
        .collect()
        .await;
    assert_eq!(rows.len(), 120);
    assert!(
        rows.iter()
            .all(|r| r.as_ref().is_ok_and(|r| !r.is_unknown()))
    );
}

#[tokio::test]
async fn invalid_options_and_requests_fail_before_sending() {
    let server = server(10).await;
    let client = client(&server);
    let (_, error) = collect(
        client.detailed_cost_report_stream(detailed(), PageOptions::default().page_size(0)),
    )
    .await;
    assert!(
        matches!(error, Some(Error::InvalidRequest { .. })),
        "{error:?}"
    );
    let backwards = types::CostReportDetailedRequest::builder()
        .time_from(at("2024-09-01T00:00:00Z"))
        .time_to(at("2024-08-01T00:00:00Z"));
    let (_, error) =
        collect(client.detailed_cost_report_stream(backwards, PageOptions::default())).await;
    assert!(
        matches!(error, Some(Error::InvalidRequest { .. })),
        "{error:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn raw_rows_are_the_servers_text_and_parse_to_the_typed_rows() {
    use gcore_billing::pagination::{Raw, RawRow};
    let server = server(1234).await;
    let client = client(&server);
    let options = PageOptions::default().page_size(300).concurrency(2);
    let typed = collect(client.paginate::<paged::DetailedCostReport, _>(detailed(), options)).await;
    assert!(typed.1.is_none());
    let raw: Vec<RawRow> = client
        .paginate::<Raw<paged::DetailedCostReport>, _>(detailed(), options)
        .map(|row| row.expect("row"))
        .collect()
        .await;
    assert_eq!(raw.len(), 1234);
    let dataset =
        gcore_billing_fake::Dataset::embedded(1234, Config::default().seed).expect("dataset");
    for (i, (row, typed)) in raw.iter().zip(&typed.0).enumerate() {
        // Exactly the JSON the server sent (serde_json writes the fake's maps in key order).
        assert_eq!(
            row.json(),
            dataset.detailed_rows(i, 1)[0].to_string(),
            "row {i}"
        );
        let parsed: types::CostReportResource = row.parse().expect("typed");
        assert_eq!(&key(&parsed), typed, "row {i}");
        // The cost, exact from the text: the same number the typed row holds, where there is one.
        let cost = row.decimal("cost").expect("a number or null");
        let expected = serde_json::from_str::<serde_json::Value>(row.json()).unwrap()["cost"]
            .as_f64()
            .map(|f| f.to_string().parse::<rust_decimal::Decimal>().unwrap());
        assert_eq!(cost, expected, "row {i}");
    }
}

#[test]
fn exact_decimals_come_from_the_text_or_fail_with_a_reason() {
    use gcore_billing::pagination::{RawRow, exact_decimal};
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(exact_decimal("null"), Ok(None));
    assert_eq!(exact_decimal("-0.50"), Ok(Some(d("-0.50"))));
    assert_eq!(exact_decimal("1.5E3"), Ok(Some(d("1500"))));
    // 0.1 + 0.2 style: the text, not the nearest float.
    assert_eq!(
        exact_decimal("0.30000000000000000001"),
        Ok(Some(d("0.30000000000000000001")))
    );
    for bad in [
        "\"12\"",
        "true",
        "1e400",
        "1.00000000000000000000000000001",
        "[1]",
    ] {
        assert!(exact_decimal(bad).is_err(), "{bad}");
    }
    let row = RawRow::from_json(r#"{"cost": 12.345678901234567890123, "n": null}"#).unwrap();
    assert_eq!(row.decimal("cost"), Ok(Some(d("12.345678901234567890123"))));
    assert_eq!(row.decimal("n"), Ok(None));
    assert_eq!(row.decimal("absent"), Ok(None));
    let error = RawRow::from_json(r#"{"cost": "free"}"#)
        .unwrap()
        .decimal("cost")
        .unwrap_err();
    assert!(
        error.contains("`cost`") && error.contains("not a number"),
        "{error}"
    );
    assert!(RawRow::from_json("[1, 2]").unwrap().fields().is_err());
}

#[tokio::test]
async fn common_rows_hold_the_typed_rows_common_fields_in_one_pass() {
    use gcore_billing::pagination::Common;
    use gcore_billing::types::CostReportResourceCommon;
    let server = server(777).await;
    let client = client(&server);
    let options = PageOptions::default().page_size(200);
    let typed: Vec<types::CostReportResource> = client
        .paginate::<paged::DetailedCostReport, _>(detailed(), options)
        .map(|row| row.expect("row"))
        .collect()
        .await;
    let common: Vec<CostReportResourceCommon> = client
        .paginate::<Common<paged::DetailedCostReport>, _>(detailed(), options)
        .map(|row| row.expect("row").into_inner())
        .collect()
        .await;
    assert_eq!(common.len(), 777);
    for (c, t) in common.iter().zip(&typed) {
        assert_eq!(c.r#type, t.type_name());
        assert_eq!(c.cost, t.cost());
        assert_eq!(c.billing_value, t.billing_value());
        assert_eq!(
            c.billing_value_unit.as_deref(),
            t.billing_value_unit().map(|u| u.to_string()).as_deref()
        );
        assert_eq!(c.region_id, t.region_id());
        assert_eq!(c.project_id, t.project_id());
        assert_eq!(c.first_seen, t.first_seen());
        assert_eq!(c.last_seen, t.last_seen());
        assert_eq!(c.err.as_deref(), t.err());
    }
}

#[test]
fn common_rows_check_what_every_variant_requires_and_keep_unknown_types() {
    use gcore_billing::types::CostReportResourceCommon;
    let row = |text: &str| serde_json::from_str::<CostReportResourceCommon>(text);
    let complete = r#"{"type":"volume","billing_metric_name":"m","billing_value":1.5,
        "billing_value_unit":"minutes","cost":null,"currency":null,"err":"no price",
        "first_seen":"2024-08-01T00:00:30+02:00","last_seen":"2024-08-02T00:00:30Z",
        "project_id":1,"region":2,"region_id":2,"uuid":"skipped","tags":[{"a":"b"}]}"#;
    let parsed = row(complete).expect("a complete volume row");
    assert_eq!(parsed.billing_value, Some("1.5".parse().unwrap()));
    assert_eq!(
        parsed.first_seen.map(|t| t.to_rfc3339()),
        Some("2024-07-31T22:00:30+00:00".into())
    );
    // A known type without a field every volume row has is an error naming both.
    let error = row(&complete.replace(r#""region_id":2,"#, ""))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("volume") && error.contains("region_id"),
        "{error}"
    );
    // A type this client does not know is kept with what it has.
    let unknown = row(r#"{"type":"quantum","cost":3}"#).expect("unknown type");
    assert_eq!(
        (unknown.r#type.as_str(), unknown.cost),
        ("quantum", Some(gcore_billing::Decimal::from(3)))
    );
    // Times are checked: the hand-read form and chrono's agree on what is valid.
    assert!(row(&complete.replace("2024-08-02T00:00:30Z", "2024-02-30T00:00:30Z")).is_err());
}

/// A fleet: 1,000 resources identical but for their ID and name. Their common fields (what the
/// `Common` rows keep) are the same row after row, so an overlap check on those fields would take a
/// valid report for a server repeating itself. Every page size and concurrency reads them exactly.
#[tokio::test]
async fn a_fleet_of_identical_but_for_id_resources_streams_whole_at_any_page_size() {
    use gcore_billing::pagination::Common;
    let server = FakeServer::start(Config {
        resources: 1000,
        fleet: 1000,
        ..Config::default()
    })
    .await
    .expect("fake server");
    let client = client(&server);
    let truth: Vec<String> = server
        .data()
        .detailed_rows(0, 1000)
        .iter()
        .map(|row| row["uuid"].as_str().expect("uuid").to_string())
        .collect();
    assert_eq!(truth.iter().collect::<BTreeSet<_>>().len(), 1000);
    let first = server.data().detailed_rows(0, 1)[0].clone();
    let last = server.data().detailed_rows(999, 1)[0].clone();
    for field in [
        "type",
        "cost",
        "billing_value",
        "first_seen",
        "last_seen",
        "region_id",
    ] {
        assert_eq!(first[field], last[field], "{field} is shared by the fleet");
    }
    for page_size in [1, 2, 7, 1000] {
        for concurrency in [1, 4] {
            let options = PageOptions::default()
                .page_size(page_size)
                .concurrency(concurrency);
            let rows: Vec<_> = client
                .paginate::<Common<paged::DetailedCostReport>, _>(detailed(), options)
                .collect()
                .await;
            let rows: Vec<_> = rows
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("page size {page_size} x{concurrency}: {e}"));
            assert_eq!(rows.len(), 1000, "page size {page_size} x{concurrency}");
            let common = &rows[0].row;
            assert_eq!(common.cost, rows[999].row.cost);
        }
    }
}

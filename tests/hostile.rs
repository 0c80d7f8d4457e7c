//! Hostile and broken servers: every number, length and time they send is checked, and each ends in
//! a clear error (never a panic, an abort, unbounded memory or a silent loss or repeat of rows).

mod common;

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use common::hostile::{self, Hostile, Reply, Seen};
use common::{KEY, at, detailed, fast_retries};
use futures::StreamExt;
use gcore_billing::{Client, Error, PageOptions, RetryPolicy, paged, types};
use gcore_billing_fake::Dataset;
use serde_json::{Value, json};

fn dataset() -> Arc<Dataset> {
    Arc::new(Dataset::embedded(10_000, 7).expect("dataset"))
}

fn page(count: i64, rows: Vec<Value>) -> Reply {
    Reply::json(
        200,
        &json!({"count": count, "price_status": "show", "results": rows}),
    )
}

fn client_for(server: &Hostile, retry: RetryPolicy) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry_policy(retry)
        .build()
        .expect("client builds")
}

/// Every row of a detailed stream until its end or first error, and that error; asserts that nothing
/// follows an error.
async fn drain(
    client: &Client,
    options: PageOptions,
) -> (Vec<types::CostReportResource>, Option<Error>) {
    let mut stream = client.detailed_cost_report_stream(detailed(), options);
    let mut rows = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(row) => rows.push(row),
            Err(error) => {
                assert!(stream.next().await.is_none(), "an error ends the stream");
                return (rows, Some(error));
            }
        }
    }
    (rows, None)
}

fn pagination_message(error: Option<Error>) -> String {
    match error {
        Some(Error::Pagination { operation, message }) => {
            assert_eq!(operation, "get_detailed_cost_report");
            message
        }
        other => panic!("expected a pagination error, got {other:?}"),
    }
}

/// Serves `count` and the rows the request asks for, from `data`, shifted by `shift(offset)`.
fn honest_pages(
    data: Arc<Dataset>,
    count: impl Fn(u64) -> i64 + Send + Sync + 'static,
    shift: impl Fn(u64) -> u64 + Send + Sync + 'static,
) -> impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static {
    move |_, seen| {
        let (offset, limit) = seen.window();
        let total = count(offset);
        let first = shift(offset);
        let end = (offset + limit).min(total.max(0) as u64);
        let take = end.saturating_sub(offset) as usize;
        page(total, data.detailed_rows(first as usize, take))
    }
}

#[tokio::test]
async fn a_count_of_10_to_the_15_ends_in_an_error_with_bounded_requests() {
    for concurrency in [1, 4] {
        let data = dataset();
        let server = hostile::start(move |_, seen| {
            let (offset, _) = seen.window();
            let rows = if offset == 0 {
                data.detailed_rows(0, 3)
            } else {
                Vec::new()
            };
            page(1_000_000_000_000_000, rows)
        })
        .await;
        let client = client_for(&server, RetryPolicy::none());
        let (rows, error) = drain(&client, PageOptions::default().concurrency(concurrency)).await;
        assert_eq!(rows.len(), 3);
        let message = pagination_message(error);
        assert_eq!(
            message,
            "empty page at offset 3, but the claimed count is 1000000000000000"
        );
        // The first page, then at most `concurrency` windows in flight: nothing planned up front.
        assert!(
            server.seen().len() <= 1 + concurrency,
            "{}",
            server.seen().len()
        );
    }
}

#[tokio::test]
async fn a_count_that_shrinks_or_grows_mid_export_is_an_error_after_the_consistent_rows() {
    for (later, word) in [(2400, "2400"), (2600, "2600")] {
        let server = hostile::start(honest_pages(
            dataset(),
            move |offset| if offset == 0 { 2500 } else { later },
            |offset| offset,
        ))
        .await;
        let client = client_for(&server, RetryPolicy::none());
        let (rows, error) = drain(&client, PageOptions::default()).await;
        assert_eq!(rows.len(), 1000, "the first page, nothing after the change");
        assert_eq!(
            pagination_message(error),
            format!(
                "count changed from 2500 to {word} at offset 1000: the report changed while it was \
                 read, so rows may have shifted; read it again"
            )
        );
    }
}

#[tokio::test]
async fn overlapping_pages_are_an_error_not_duplicates() {
    let server = hostile::start(honest_pages(
        dataset(),
        |_| 2500,
        |offset| offset.saturating_sub(10),
    ))
    .await;
    let client = client_for(&server, RetryPolicy::none());
    let (rows, error) = drain(&client, PageOptions::default()).await;
    assert_eq!(rows.len(), 1000);
    assert_eq!(
        pagination_message(error),
        "the page at offset 1000 starts with the row already read at offset 990: the server's \
         pages overlap or ignore the offset"
    );
}

#[tokio::test]
async fn a_server_that_ignores_offset_is_an_error_not_the_same_rows_again() {
    for concurrency in [1, 3] {
        let server = hostile::start(honest_pages(dataset(), |_| 2500, |_| 0)).await;
        let client = client_for(&server, RetryPolicy::none());
        let (rows, error) = drain(&client, PageOptions::default().concurrency(concurrency)).await;
        assert_eq!(rows.len(), 1000);
        assert!(
            pagination_message(error).contains("already read at offset 0"),
            "concurrency {concurrency}"
        );
    }
}

#[tokio::test]
async fn impossible_counts_and_oversized_pages_are_errors() {
    // (claimed count, rows served, page size, the error)
    for (count, served, page_size, expected) in [
        (
            -1,
            3,
            1000,
            "the page at offset 0 claims a negative count (-1)",
        ),
        (
            2,
            5,
            1000,
            "the page at offset 0 has 5 rows, past the claimed count 2",
        ),
        (100, 20, 10, "asked for at most 10 rows at offset 0, got 20"),
    ] {
        let data = dataset();
        let server = hostile::start(move |_, _| page(count, data.detailed_rows(0, served))).await;
        let (rows, error) = drain(
            &client_for(&server, RetryPolicy::none()),
            PageOptions::default().page_size(page_size),
        )
        .await;
        assert!(rows.is_empty(), "{expected}");
        assert_eq!(pagination_message(error), expected);
    }
}

#[tokio::test]
async fn page_options_out_of_range_are_rejected_before_sending() {
    let server = hostile::start(|_, _| page(0, Vec::new())).await;
    let client = client_for(&server, RetryPolicy::none());
    for (options, expected) in [
        (
            PageOptions::default().page_size(u64::MAX),
            "page_size must be between 1 and 9223372036854775807, got 18446744073709551615",
        ),
        (
            PageOptions::default().page_size(0),
            "page_size must be between 1 and 9223372036854775807, got 0",
        ),
        (
            PageOptions::default().concurrency(0),
            "concurrency must be between 1 and 64, got 0",
        ),
        (
            PageOptions::default().concurrency(usize::MAX),
            &format!("concurrency must be between 1 and 64, got {}", usize::MAX),
        ),
    ] {
        let (rows, error) = drain(&client, options).await;
        assert!(rows.is_empty());
        match error {
            Some(Error::InvalidRequest { message, .. }) => assert_eq!(message, expected),
            other => panic!("{other:?}"),
        }
    }
    assert!(server.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn absurd_retry_after_values_fall_back_to_the_backoff_without_panicking() {
    let data = dataset();
    let server = hostile::start(move |index, _| match index {
        0 => Reply::json(429, &json!({"message": "slow down"})).with_header("retry-after", "1e20"),
        1 => {
            Reply::json(429, &json!({"message": "slow down"})).with_header("retry-after-ms", "1e30")
        }
        2 => Reply::json(503, &json!({"message": "busy"})).with_header("retry-after", "-5"),
        _ => page(3, data.detailed_rows(0, 3)),
    })
    .await;
    let page = client_for(&server, fast_retries(3))
        .detailed_cost_report(detailed())
        .await
        .expect("retried with the normal backoff");
    assert_eq!(page.results.len(), 3);
    assert_eq!(server.seen().len(), 4);

    // With retries off, the same answer is an error at once, still without a panic.
    let server = hostile::start(|_, _| {
        Reply::json(429, &json!({"message": "slow down"})).with_header("retry-after", "1e20")
    })
    .await;
    let error = client_for(&server, RetryPolicy::none())
        .detailed_cost_report(detailed())
        .await
        .expect_err("429");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_endless_trickling_body_times_out_and_is_retried() {
    let server = hostile::start(|_, _| Reply::Trickle {
        pause: Duration::from_millis(20),
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .retry_policy(fast_retries(1))
        .build()
        .expect("client");
    let error = client
        .detailed_cost_report(detailed())
        .await
        .expect_err("never ends");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(server.seen().len(), 2, "the timeout mid-body was retried");
}

#[tokio::test]
async fn a_body_cut_short_is_retried_like_any_transport_failure() {
    let data = dataset();
    let server = hostile::start(move |index, _| match index {
        0 => Reply::CutShort {
            declared: 5000,
            sent: br#"{"count": 3, "price_status": "show", "resu"#.to_vec(),
        },
        _ => page(3, data.detailed_rows(0, 3)),
    })
    .await;
    let page = client_for(&server, fast_retries(2))
        .detailed_cost_report(detailed())
        .await
        .expect("retried");
    assert_eq!(page.results.len(), 3);
    assert_eq!(server.seen().len(), 2);

    let server = hostile::start(|_, _| Reply::CutShort {
        declared: 5000,
        sent: b"{".to_vec(),
    })
    .await;
    let error = client_for(&server, RetryPolicy::none())
        .detailed_cost_report(detailed())
        .await
        .expect_err("cut short");
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_1_gib_body_is_refused_at_the_size_limit_and_not_retried() {
    // Declared up front: refused before reading, at the default limit of 256 MiB.
    let server = hostile::start(|_, _| Reply::Huge {
        total: 1 << 30,
        declared: true,
    })
    .await;
    let error = client_for(&server, fast_retries(2))
        .detailed_cost_report(detailed())
        .await
        .expect_err("too large");
    match &error {
        Error::ResponseTooLarge { limit, status, .. } => {
            assert_eq!(*limit, 256 * 1024 * 1024);
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(server.seen().len(), 1);

    // Chunked, with no length: read up to the limit (1 MiB here), then refused; JSON and CSV alike.
    let server = hostile::start(|_, _| Reply::Huge {
        total: 1 << 30,
        declared: false,
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .max_body_bytes(1 << 20)
        .retry_policy(fast_retries(2))
        .build()
        .expect("client");
    let error = client
        .detailed_cost_report(detailed())
        .await
        .expect_err("too large");
    assert!(
        matches!(error, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "get_detailed_cost_report: response body over the 1048576-byte limit (200 OK)"
    );
    let error = client
        .detailed_cost_report_csv(detailed())
        .await
        .expect_err("too large");
    assert!(matches!(error, Error::ResponseTooLarge { .. }), "{error:?}");
    assert_eq!(server.seen().len(), 2, "one request each, none retried");
}

#[tokio::test]
async fn an_error_body_of_another_shape_keeps_its_text() {
    let server = hostile::start(|_, _| {
        Reply::json(400, &json!({"detail": "time_from is too far in the past"}))
            .with_header("x-request-id", "req-42")
    })
    .await;
    let error = client_for(&server, RetryPolicy::none())
        .detailed_cost_report(detailed())
        .await
        .expect_err("400");
    let raw: Value = serde_json::from_slice(error.raw_body().expect("raw kept")).expect("JSON");
    assert_eq!(raw["detail"], "time_from is too far in the past");
    assert_eq!(error.request_id(), Some("req-42"));
    assert!(
        error
            .to_string()
            .contains("time_from is too far in the past"),
        "{error}"
    );
}

#[tokio::test]
async fn a_malformed_row_names_its_index_type_and_field_and_quotes_little() {
    let data = dataset();
    let server = hostile::start(move |_, _| {
        let mut rows = data.detailed_rows(0, 3);
        rows[2]["cost"] = json!("x".repeat(1 << 20));
        page(3, rows)
    })
    .await;
    let error = client_for(&server, RetryPolicy::none())
        .detailed_cost_report(detailed())
        .await
        .expect_err("bad row");
    match &error {
        Error::Decode {
            message,
            raw,
            source: Some(source),
            ..
        } => {
            assert_eq!(message, "at `results[2]`");
            let reason = source.to_string();
            assert!(
                reason.starts_with("CostReportResource with type "),
                "{reason}"
            );
            assert!(
                reason.contains("field `cost`: \"xxx") && reason.contains("is not a number"),
                "{reason}"
            );
            assert!(reason.len() < 1000, "{} bytes", reason.len());
            assert_eq!(raw.len(), 64 * 1024, "the raw body is an excerpt");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().len() < 1500);
    assert!(error.full_message().len() < 2500);
}

#[tokio::test]
async fn csv_methods_require_a_csv_answer_with_a_header_row() {
    let html = hostile::start(|_, _| Reply::Full {
        status: 200,
        content_type: "text/html",
        headers: Vec::new(),
        body: b"<html>maintenance</html>".to_vec(),
    })
    .await;
    let error = client_for(&html, RetryPolicy::none())
        .detailed_cost_report_csv_rows(detailed())
        .await
        .expect_err("HTML is not CSV");
    match &error {
        Error::Decode { message, raw, .. } => {
            assert_eq!(message, "asked for text/csv, got text/html");
            assert_eq!(&raw[..], b"<html>maintenance</html>");
        }
        other => panic!("{other:?}"),
    }
    let empty = hostile::start(|_, _| Reply::Full {
        status: 200,
        content_type: "text/csv; charset=utf-8",
        headers: Vec::new(),
        body: b"\r\n".to_vec(),
    })
    .await;
    let error = client_for(&empty, RetryPolicy::none())
        .detailed_cost_report_csv_rows(detailed())
        .await
        .expect_err("no header");
    assert!(
        matches!(&error, Error::Decode { message, .. } if message == "the CSV answer is empty: not even a header row"),
        "{error:?}"
    );
}

#[tokio::test]
async fn base_urls_with_credentials_query_or_fragment_are_refused_and_never_shown() {
    let builder = Client::builder()
        .api_key(KEY)
        .base_url("https://someone:s3cret-pass@api.gcore.com");
    assert!(!format!("{builder:?}").contains("s3cret-pass"));
    let error = builder.build().expect_err("userinfo");
    assert_eq!(
        error.to_string(),
        "configuration: the base URL https://redacted@api.gcore.com/ carries a user name or \
         password; remove it (the API key is the only credential)"
    );
    for (url, what) in [
        ("https://api.gcore.com/?region=1", "query"),
        ("https://api.gcore.com/#top", "fragment"),
    ] {
        let error = Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .expect_err(url);
        assert!(error.to_string().contains(what), "{error}");
    }
    // A path prefix is fine (a gateway), and a trailing slash is dropped.
    let client = Client::builder()
        .api_key(KEY)
        .base_url("https://gateway.example/gcore/")
        .build()
        .expect("path prefix");
    assert_eq!(client.base_url(), "https://gateway.example/gcore");
}

#[tokio::test]
async fn integers_past_int64_and_years_past_9999_are_not_sent() {
    let server = hostile::start(|_, _| page(0, Vec::new())).await;
    let client = client_for(&server, RetryPolicy::none());
    let invalid = |error: Error| match error {
        Error::InvalidRequest { message, .. } => message,
        other => panic!("{other:?}"),
    };
    let huge_limit = detailed().limit(NonZeroU64::new(u64::MAX).expect("nonzero"));
    assert_eq!(
        invalid(
            client
                .detailed_cost_report(huge_limit)
                .await
                .expect_err("limit")
        ),
        "limit must be at most 9223372036854775807 (int64), got 18446744073709551615"
    );
    let far = chrono::NaiveDate::from_ymd_opt(10000, 1, 1)
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("time")
        .and_utc();
    let year_10000 = detailed().time_to(far);
    assert_eq!(
        invalid(
            client
                .detailed_cost_report(year_10000)
                .await
                .expect_err("year")
        ),
        "time_to must be between years 0000 and 9999 (RFC 3339), got year 10000"
    );
    let pricing = types::ReservationPricingRequest::builder()
        .period(types::ReservationPeriod::Months12)
        .resources(vec![types::ReservationPricingResource {
            resource_name: "bm1-hf-medium".into(),
            resource_type: "flavor".into(),
            resource_value: NonZeroU64::new(2).expect("nonzero"),
        }]);
    assert_eq!(
        invalid(
            client
                .reservation_prices(u64::MAX, pricing)
                .await
                .expect_err("region")
        ),
        "region_id must be at most 9223372036854775807 (int64), got 18446744073709551615"
    );
    let mut query = gcore_billing::ReservationQuery::new(
        at("2024-08-01T00:00:00Z"),
        at("2024-08-20T00:00:00Z"),
    );
    query.region_id = Some(u64::MAX);
    assert!(
        invalid(
            client
                .list_billing_reservations(query)
                .await
                .expect_err("region")
        )
        .starts_with("region_id must be at most")
    );
    assert!(server.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_fault_rule_for_zero_requests_does_not_break_the_fake_server() {
    let server = common::server(3).await;
    server.fault_at_offset(0, 0, gcore_billing_fake::Fault::Drop);
    let page = common::client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect("served normally");
    assert_eq!(page.results.len(), 3);
}

/// Overlaps are judged on whole rows: a fleet's rows look alike in the common fields, yet a server
/// that ignores the offset is still caught when only those fields are kept.
#[tokio::test]
async fn a_server_that_ignores_offset_is_caught_through_common_rows_of_a_fleet() {
    use gcore_billing::pagination::Common;
    for concurrency in [1, 4] {
        let fleet = Arc::new(
            Dataset::embedded(2500, 7)
                .expect("dataset")
                .with_fleets(2500),
        );
        let server = hostile::start(honest_pages(fleet, |_| 2500, |_| 0)).await;
        let client = client_for(&server, RetryPolicy::none());
        let mut stream = client.paginate::<Common<paged::DetailedCostReport>, _>(
            detailed(),
            PageOptions::default().concurrency(concurrency),
        );
        let (mut rows, mut error) = (0, None);
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => rows += 1,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        assert_eq!(rows, 1000, "concurrency {concurrency}");
        assert!(
            pagination_message(error).contains("already read at offset 0"),
            "concurrency {concurrency}"
        );
    }
}

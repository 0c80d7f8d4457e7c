//! Each way a call can fail, and what the caller gets back.

mod common;

use std::time::Duration;

use common::{KEY, at, client, detailed, fast_retries, server};
use gcore_billing::{Client, Error, types};
use gcore_billing_fake::Fault;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn status_429_with_retry_after_is_retried_then_succeeds() {
    let server = server(5).await;
    server.push_fault(Fault::Status {
        status: 429,
        retry_after: Some("1".into()),
    });
    let page = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect("retried");
    assert_eq!(page.count, 5);
    assert_eq!(server.requests().len(), 2);
    // The retry is the same request.
    assert_eq!(server.requests()[0].body, server.requests()[1].body);
}

#[tokio::test]
async fn status_503_twice_then_200_succeeds_within_default_retries() {
    let server = server(5).await;
    server.push_fault(Fault::Status {
        status: 503,
        retry_after: None,
    });
    server.push_fault(Fault::Status {
        status: 503,
        retry_after: None,
    });
    let page = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect("retried twice");
    assert_eq!(page.results.len(), 5);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn status_503_three_times_is_an_api_error_with_status_body_and_request_id() {
    let server = server(5).await;
    for _ in 0..3 {
        server.push_fault(Fault::Status {
            status: 503,
            retry_after: None,
        });
    }
    let error = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect_err("retries exhausted");
    assert_eq!(server.requests().len(), 3);
    match &error {
        Error::Api {
            operation,
            status,
            body,
            raw,
            request_id,
        } => {
            assert_eq!(*operation, "get_detailed_cost_report");
            assert_eq!(status.as_u16(), 503);
            assert_eq!(
                body.as_ref().and_then(|b| b.message.as_deref()),
                Some("injected fault")
            );
            // The raw body is kept too, even when it parses (bounded to 64 KiB).
            let raw: serde_json::Value =
                serde_json::from_slice(raw.as_deref().expect("raw body kept")).expect("JSON");
            assert_eq!(raw["message"], "injected fault");
            assert_eq!(request_id.as_deref(), Some("fake-req-1"));
        }
        other => panic!("expected Api error, got {other:?}"),
    }
    assert!(error.is_retryable());
    assert_eq!(
        error.to_string(),
        "get_detailed_cost_report: API error 503 Service Unavailable: injected fault (request id fake-req-1)"
    );
}

#[tokio::test]
async fn bad_request_is_not_retried() {
    let server = server(5).await;
    server.push_fault(Fault::Status {
        status: 400,
        retry_after: None,
    });
    let error = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect_err("400");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(!error.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let server = server(5).await;
    server.push_fault(Fault::Drop);
    let page = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect("retried after drop");
    assert_eq!(page.count, 5);
    assert_eq!(server.requests().len(), 2);
}

/// A raw TCP peer that resets the first connection (RST, via SO_LINGER 0) and answers the second.
#[tokio::test]
async fn connection_reset_is_retried_and_without_retries_is_a_network_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let peer = tokio::spawn(async move {
        for answer in [false, true] {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = vec![0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            if answer {
                let body = r#"{"count":0,"price_status":"hide","results":[]}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
            } else {
                socket.set_zero_linger().unwrap();
                drop(socket);
            }
        }
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&url)
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let page = client
        .detailed_cost_report(detailed())
        .await
        .expect("second connection answers");
    assert_eq!(page.price_status, types::PriceStatus::Hide);
    peer.await.unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let _ = socket.read(&mut [0u8; 4096]).await;
        socket.set_zero_linger().unwrap();
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&url)
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .detailed_cost_report(detailed())
        .await
        .expect_err("reset");
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn slow_server_past_the_timeout_is_a_timeout_error() {
    let server = server(5).await;
    server.push_fault(Fault::Delay(Duration::from_secs(5)));
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .detailed_cost_report(detailed())
        .await
        .expect_err("timeout");
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "get_detailed_cost_report",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn slow_first_attempt_is_retried_after_timeout() {
    let server = server(5).await;
    server.push_fault(Fault::Delay(Duration::from_secs(5)));
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();
    let page = client
        .detailed_cost_report(detailed())
        .await
        .expect("second attempt is fast");
    assert_eq!(page.count, 5);
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_the_raw_body() {
    let server = server(5).await;
    let truncated =
        r#"{"count": 1, "price_status": "show", "results": [{"type": "instance", "uuid": "#;
    server.push_fault(Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: truncated.into(),
    });
    let error = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect_err("truncated");
    match &error {
        Error::Decode {
            status,
            raw,
            source: Some(source),
            ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(&raw[..], truncated.as_bytes());
            // serde_json's own error, typed, as the source: printed once, after the context.
            assert!(source.is_eof(), "{source}");
            let full = error.full_message();
            assert_eq!(full.matches("EOF").count(), 1, "{full}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn html_error_page_is_an_api_error_carrying_the_raw_page() {
    let server = server(5).await;
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    server.push_fault(Fault::Body {
        status: 502,
        content_type: "text/html".into(),
        body: page.into(),
    });
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .detailed_cost_report(detailed())
        .await
        .expect_err("502");
    match &error {
        Error::Api {
            status, body, raw, ..
        } => {
            assert_eq!(status.as_u16(), 502);
            assert!(body.is_none());
            assert_eq!(raw.as_deref(), Some(page.as_bytes()));
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert!(error.to_string().contains("502 Bad Gateway"));
}

#[tokio::test]
async fn unknown_resource_type_is_kept_and_known_rows_still_parse() {
    let server = server(5).await;
    let body = serde_json::json!({
        "count": 2, "price_status": "show",
        "results": [
            {"type": "quantum_computer", "uuid": "q-1", "region_id": 76, "cost": 1.5, "billing_value_unit": "qubit_hours"},
            {"type": "floatingip", "billing_metric_name": "floatingip_min", "billing_value": 60.0, "billing_value_unit": "minutes",
             "first_seen": "2024-08-01T00:00:00Z", "last_seen": "2024-08-01T01:00:00Z", "ip_address": "203.0.113.1",
             "last_name": "fip", "project_id": 1, "region": 1, "region_id": 1, "uuid": "f-1",
             "cost": null, "currency": null, "err": "price not found", "billing_feature_name": null, "tags": null}
        ]
    });
    server.push_fault(Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: body.to_string(),
    });
    let page = client(&server)
        .detailed_cost_report(detailed())
        .await
        .expect("unknown type kept");
    assert!(page.results[0].is_unknown());
    assert_eq!(page.results[0].type_name(), "quantum_computer");
    assert_eq!(page.results[0].region_id(), Some(76));
    assert_eq!(page.results[0].cost(), Some("1.5".parse().unwrap()));
    assert_eq!(
        page.results[0].billing_value_unit(),
        Some(types::BillingValueUnit::Unknown("qubit_hours".into()))
    );
    match &page.results[1] {
        types::CostReportResource::FloatingIp(ip) => {
            assert_eq!(ip.ip_address, "203.0.113.1");
            assert_eq!(ip.cost, None);
            assert_eq!(ip.err.as_deref(), Some("price not found"));
        }
        other => panic!("expected a floating IP, got {other:?}"),
    }
}

#[tokio::test]
async fn csv_body_comes_back_as_bytes_and_rows() {
    let server = server(12).await;
    let client = client(&server);
    let bytes = client
        .detailed_cost_report_csv(detailed())
        .await
        .expect("csv");
    let sent = &server.requests()[0];
    assert_eq!(sent.headers.get("accept").unwrap(), "text/csv");
    assert_eq!(
        sent.body.as_ref().unwrap()["response_format"],
        "csv_records"
    );
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(
        text.starts_with("type,uuid,last_name,project_id,region_id,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 13);

    let table = client
        .detailed_cost_report_csv_rows(detailed())
        .await
        .expect("csv rows");
    assert_eq!(table.rows.len(), 12);
    let json_page = client
        .detailed_cost_report(detailed().limit(std::num::NonZeroU64::new(12).unwrap()))
        .await
        .unwrap();
    for (i, row) in json_page.results.iter().enumerate() {
        assert_eq!(
            table.get(i, "billing_metric_name"),
            row.billing_metric_name()
        );
        assert_eq!(
            table.get(i, "region_id").map(|r| r.parse::<i64>().unwrap()),
            row.region_id()
        );
        assert_eq!(table.get(i, "type"), Some(row.type_name()));
    }

    let totals = client
        .aggregated_cost_report_csv_rows(
            types::CostReportAggregatedRequest::builder()
                .time_from(at("2024-08-01T00:00:00Z"))
                .time_to(at("2024-09-01T00:00:00Z")),
        )
        .await
        .expect("totals csv");
    assert_eq!(
        server.requests().last().unwrap().body.as_ref().unwrap()["response_format"],
        "csv_totals"
    );
    assert_eq!(
        &totals.headers,
        &csv::StringRecord::from(vec![
            "type",
            "region_id",
            "billing_metric_name",
            "billing_value",
            "billing_value_unit",
            "cost",
            "currency"
        ])
    );
}

#[tokio::test]
async fn csv_answered_with_json_is_a_decode_error() {
    let server = server(3).await;
    server.push_fault(Fault::Body {
        status: 200,
        content_type: "application/json".into(),
        body: "{}".into(),
    });
    let error = client(&server)
        .detailed_cost_report_csv(detailed())
        .await
        .expect_err("json instead of csv");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn api_key_never_appears_in_debug_or_errors() {
    let secret = "super-secret-key-9f8e7d";
    let client = Client::builder()
        .api_key(secret)
        .base_url("http://127.0.0.1:9")
        .max_retries(0)
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains(secret));
    // The generated client's Debug shows reqwest's default headers; the key header is marked sensitive.
    assert!(!format!("{:?}", client.generated()).contains(secret));
    let builder_debug = format!("{:?}", Client::builder().api_key(secret));
    assert!(!builder_debug.contains(secret), "{builder_debug}");
    let error = client
        .detailed_cost_report(detailed())
        .await
        .expect_err("nothing listens on port 9");
    assert!(!format!("{error:?}").contains(secret));
    assert!(!error.to_string().contains(secret));
}

#[test]
fn errors_print_each_cause_once_and_keep_typed_sources() {
    use std::error::Error as _;
    // Rows of unequal length: the csv crate's own error, kept typed as the source.
    let error = gcore_billing::parse_csv("get_detailed_cost_report_csv", b"a,b\n1,2\n3\n")
        .expect_err("ragged CSV");
    let source = error
        .source()
        .and_then(|s| s.downcast_ref::<csv::Error>())
        .expect("a csv::Error source");
    let cause = source.to_string();
    assert_eq!(
        error.to_string(),
        "get_detailed_cost_report_csv: CSV: the answer is not valid CSV"
    );
    assert!(!error.to_string().contains(&cause));
    assert_eq!(
        error.full_message(),
        format!("get_detailed_cost_report_csv: CSV: the answer is not valid CSV: {cause}")
    );
}

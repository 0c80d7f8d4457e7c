//! The typed httpmock helpers (generated from the spec's operations), exposed with the `mock`
//! feature, used against the real client.
#![cfg(feature = "mock")]

use gcore_billing::Client;
use gcore_billing::generated::mock::MockServerExt;
use gcore_billing::httpmock::MockServer;
use gcore_billing::types;

#[tokio::test]
async fn typed_mock_answers_the_client() {
    let server = MockServer::start_async().await;
    // Answer types are `#[non_exhaustive]`: tests build them from JSON.
    let body: types::BillingReservations =
        serde_json::from_value(serde_json::json!({"count": 0, "results": []})).unwrap();
    let mock = server.list_billing_reservations(|when, then| {
        when.region_id(1);
        then.ok(&body);
    });
    let client = Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let mut query = gcore_billing::ReservationQuery::new(
        "2024-08-01T00:00:00Z".parse().unwrap(),
        "2024-08-02T00:00:00Z".parse().unwrap(),
    );
    query.region_id = Some(1);
    let list = client.list_billing_reservations(query).await.unwrap();
    assert_eq!(list.count, 0);
    mock.assert();
}

fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .build()
        .unwrap()
}

#[tokio::test]
async fn typed_query_matchers_match_the_query_the_client_sends() {
    let server = MockServer::start_async().await;
    let body: types::BillingReservations =
        serde_json::from_value(serde_json::json!({"count": 1, "results": []})).unwrap();
    let from: chrono::DateTime<chrono::Utc> = "2024-08-01T00:00:00Z".parse().unwrap();
    let to: chrono::DateTime<chrono::Utc> = "2024-08-02T12:30:00.250Z".parse().unwrap();
    let mock = server.list_billing_reservations(|when, then| {
        when.time_from(from)
            .time_to(to)
            .region_id(76)
            .order_by(types::ListBillingReservationsOrderBy::ActiveFromDesc)
            .metric_name("bm3-ai-1xlarge-h100-80-8_min")
            .show_inactive(None);
        then.ok(&body);
    });
    let client = client_for(&server);
    let mut query = gcore_billing::ReservationQuery::new(from, to);
    query.region_id = Some(76);
    query.order_by = Some(types::ListBillingReservationsOrderBy::ActiveFromDesc);
    query.metric_name = Some("bm3-ai-1xlarge-h100-80-8_min".to_string());
    let list = client
        .list_billing_reservations(query.clone())
        .await
        .unwrap();
    assert_eq!(list.count, 1);
    mock.assert();
    // A request the matchers exclude (another region; `show_inactive` sent) is not answered by it.
    query.region_id = Some(77);
    let other = client.list_billing_reservations(query.clone()).await;
    assert!(
        matches!(&other, Err(gcore_billing::Error::Api { status, .. }) if status.as_u16() == 404),
        "{other:?}"
    );
    query.region_id = Some(76);
    query.show_inactive = Some(false);
    assert!(client.list_billing_reservations(query).await.is_err());
    assert_eq!(mock.calls(), 1);
}

#[tokio::test]
async fn typed_path_matcher_and_error_answer() {
    let server = MockServer::start_async().await;
    let request: types::ReservationPricingRequest = types::ReservationPricingRequest::builder()
        .period(types::ReservationPeriod::Months12)
        .resources(vec![types::ReservationPricingResource {
            resource_name: "bm1-hf-medium".into(),
            resource_type: "flavor".into(),
            resource_value: std::num::NonZeroU64::new(2).unwrap(),
        }])
        .try_into()
        .unwrap();
    let error: types::ErrorResponse = serde_json::from_value(serde_json::json!({
        "message": "no such flavor", "exception_class": "FlavorNotFound"
    }))
    .unwrap();
    let mock = server.get_reservation_prices(|when, then| {
        when.region_id(7).body(&request);
        then.client_error(422, &error);
    });
    let client = client_for(&server);
    let got = client.reservation_prices(7, request.clone()).await;
    match got {
        Err(gcore_billing::Error::Api { status, body, .. }) => {
            assert_eq!(status.as_u16(), 422);
            assert_eq!(body.unwrap().message.as_deref(), Some("no such flavor"));
        }
        other => panic!("expected the mocked 422, got {other:?}"),
    }
    mock.assert();
    // Another region's path does not match the mock.
    let other = client.reservation_prices(8, request).await;
    assert!(
        matches!(&other, Err(gcore_billing::Error::Api { status, .. }) if status.as_u16() == 404),
        "{other:?}"
    );
    assert_eq!(mock.calls(), 1);
}

#[test]
#[should_panic(expected = "client_error needs a status in 400..=499, not 503")]
fn a_client_error_answer_refuses_a_server_status() {
    let server = MockServer::start();
    let error = types::ErrorResponse::default();
    server.get_usage_report(|_when, then| {
        then.client_error(503, &error);
    });
}

#[test]
fn every_sample_row_parses_as_its_type() {
    gcore_billing::generated::mock::samples::check_all().unwrap();
}

#[tokio::test]
async fn sample_rows_served_by_a_typed_mock_come_back_from_the_stream_as_built() {
    use futures::StreamExt;
    use gcore_billing::generated::mock::samples;
    use gcore_billing::types::CostReportResource;
    let server = MockServer::start_async().await;
    let mut instance = samples::cost_report_resource_instance();
    instance.cost = Some("12.5".parse().unwrap());
    let mut volume = samples::cost_report_resource_volume();
    volume.uuid = "vol-2".to_string();
    let rows = vec![
        CostReportResource::Instance(instance.clone()),
        CostReportResource::Volume(volume.clone()),
    ];
    let page = serde_json::json!({"count": 2, "price_status": "show", "results": rows});
    let body: types::CostReportDetailed = serde_json::from_value(page).unwrap();
    let mock = server.get_detailed_cost_report(|_when, then| {
        then.ok(&body);
    });
    let client = Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let request = types::CostReportDetailedRequest::builder()
        .time_from(
            "2024-08-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .time_to(
            "2024-08-02T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        );
    let got: Vec<CostReportResource> = client
        .detailed_cost_report_stream(request, gcore_billing::PageOptions::default())
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].type_name(), "instance");
    assert_eq!(got[0].cost(), Some("12.5".parse().unwrap()));
    assert!(matches!(&got[1], CostReportResource::Volume(v) if v.uuid == "vol-2"));
    mock.assert();
}

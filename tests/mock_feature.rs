//! progenitor's typed httpmock helpers, exposed with the `mock` feature, used against the real client.
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
        when.region_id(std::num::NonZeroU64::new(1).unwrap());
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

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

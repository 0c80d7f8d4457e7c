//! Bad input is refused before anything is sent, with an error that says what is wrong.

mod common;

use common::{at, client, server};
use gcore_billing::{Client, Error, ReservationQuery, types};

fn invalid(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::InvalidRequest { operation, message }) => format!("{operation}: {message}"),
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}

#[tokio::test]
async fn checks_run_before_any_request() {
    let server = server(5).await;
    let client = client(&server);
    let from = at("2024-08-01T00:00:00Z");
    let to = at("2024-09-01T00:00:00Z");

    let backwards = types::CostReportDetailedRequest::builder()
        .time_from(to)
        .time_to(from);
    assert!(
        invalid(client.detailed_cost_report(backwards).await)
            .starts_with("get_detailed_cost_report: time_to")
    );

    let negative = types::CostReportDetailedRequest::builder()
        .time_from(from)
        .time_to(to)
        .offset(-1);
    assert_eq!(
        invalid(client.detailed_cost_report(negative).await),
        "get_detailed_cost_report: offset must be 0 or more, got -1"
    );

    // `limit` has `minimum: 1`: a zero cannot even be built (it is an `Option<NonZeroU64>`).
    let zero_limit = serde_json::json!({
        "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 0
    });
    let error = serde_json::from_value::<types::UsageReportRequest>(zero_limit).unwrap_err();
    assert!(error.to_string().contains("nonzero"), "{error}");

    let missing = types::CostReportAggregatedRequest::builder().time_from(from);
    assert!(invalid(client.aggregated_cost_report(missing).await).contains("time_to"));

    let bad_month = types::CostReportMonthlyRequestYearMonth::try_from("2024-13");
    assert!(bad_month.is_err(), "year_month must be YYYY-MM");
    assert!(types::CostReportMonthlyRequestYearMonth::try_from("2024-8").is_err());
    // `$` is the end of the text, as in ECMA-262: no trailing newline slips through.
    assert!(types::CostReportMonthlyRequestYearMonth::try_from("2024-08\n").is_err());
    let august = types::CostReportMonthlyRequestYearMonth::try_from("2024-08").unwrap();
    assert_eq!(august.as_str(), "2024-08");
    let bad_month_json = serde_json::json!({"year_month": "August"});
    assert!(serde_json::from_value::<types::CostReportMonthlyRequest>(bad_month_json).is_err());

    let pricing = |value: u64| {
        types::ReservationPricingRequest::builder()
            .period(types::ReservationPeriod::Months36)
            .resources(vec![types::ReservationPricingResource {
                resource_name: "bm1-hf-medium".into(),
                resource_type: "flavor".into(),
                resource_value: std::num::NonZeroU64::new(value).unwrap(),
            }])
    };
    assert_eq!(
        invalid(client.reservation_prices(1, pricing(101)).await),
        "get_reservation_prices: resources[0].resource_value must be between 1 and 100, got 101"
    );
    assert_eq!(
        invalid(client.reservation_prices(0, pricing(1)).await),
        "get_reservation_prices: region_id must be 1 or more, got 0"
    );
    let empty = types::ReservationPricingRequest::builder()
        .period(types::ReservationPeriod::Months12)
        .resources(vec![]);
    assert_eq!(
        invalid(client.reservation_prices(1, empty).await),
        "get_reservation_prices: resources must have at least 1 item(s)"
    );
    // Checks come from the spec: `x-gcore-checks` orders the period, nothing is sent.
    let backwards = types::CostReportAggregatedRequest::builder()
        .time_from(at("2024-09-01T00:00:00Z"))
        .time_to(at("2024-08-01T00:00:00Z"));
    assert_eq!(
        invalid(client.aggregated_cost_report(backwards).await),
        "get_aggregated_cost_report: time_to (2024-08-01T00:00:00+00:00) must be after time_from (2024-09-01T00:00:00+00:00)"
    );

    let too_long = ReservationQuery::new(at("2024-01-01T00:00:00Z"), at("2024-03-01T00:00:00Z"));
    assert_eq!(
        invalid(client.list_billing_reservations(too_long).await),
        "list_billing_reservations: time_to must be at most 31 days after time_from"
    );

    assert!(
        server.requests().is_empty(),
        "nothing may be sent for invalid input"
    );
}

#[test]
fn configuration_errors_are_clear() {
    let no_key = Client::builder().build().unwrap_err();
    assert_eq!(
        no_key.to_string(),
        "configuration: no API key: set GCORE_API_KEY or call ClientBuilder::api_key"
    );
    let bad_url = Client::builder()
        .api_key("k")
        .base_url("not a url")
        .build()
        .unwrap_err();
    assert!(
        bad_url
            .to_string()
            .starts_with("configuration: the base URL does not parse: "),
        "{bad_url}"
    );
    let bad_key = Client::builder()
        .api_key("line\nbreak")
        .build()
        .unwrap_err();
    assert_eq!(
        bad_key.to_string(),
        "configuration: the API key contains characters that cannot go in an HTTP header"
    );
    let client = Client::builder().api_key("k").build().unwrap();
    assert_eq!(client.base_url(), "https://api.gcore.com");
}

//! The exact requests each operation sends, and the values parsed from the answers.

mod common;

use common::{KEY, at, client, server};
use gcore_billing::types;
use serde_json::json;

fn header<'a>(request: &'a gcore_billing_fake::RecordedRequest, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing"))
}

fn assert_common_headers(request: &gcore_billing_fake::RecordedRequest, accept: &str) {
    assert_eq!(header(request, "authorization"), format!("APIKey {KEY}"));
    // progenitor's `api-version` header is not sent: neither the docs nor the official SDK send one.
    assert!(request.headers.get("api-version").is_none());
    assert_eq!(header(request, "accept"), accept);
    assert_eq!(
        header(request, "user-agent"),
        concat!("gcore-billing-rust/", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn detailed_cost_report_minimal_request_sends_only_the_fields_set() {
    let server = server(30).await;
    let client = client(&server);
    let request = types::CostReportDetailedRequest::builder()
        .time_from(at("2023-01-01T00:00:00Z"))
        .time_to(at("2023-02-01T00:00:00Z"));
    let page = client.detailed_cost_report(request).await.expect("report");

    let sent = &server.requests()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/cloud/v1/cost_report/resources");
    assert_common_headers(sent, "application/json");
    assert_eq!(header(sent, "content-type"), "application/json");
    assert_eq!(
        sent.body,
        // Only what the caller set: the spec's defaults (limit 10, offset 0, rounding, ...) are the
        // server's to apply, as the official SDK leaves them.
        Some(json!({"time_from": "2023-01-01T00:00:00Z", "time_to": "2023-02-01T00:00:00Z"}))
    );
    assert_eq!(page.count, 30);
    assert_eq!(page.price_status, types::PriceStatus::Show);
    assert_eq!(page.results.len(), 10);
    assert!(page.results.iter().all(|r| !r.is_unknown()));
}

#[tokio::test]
async fn detailed_cost_report_sends_every_filter() {
    let server = server(200).await;
    let client = client(&server);
    let request = types::CostReportDetailedRequest::builder()
        .time_from(at("2024-08-01T00:00:00Z"))
        .time_to(at("2024-09-01T00:00:00Z"))
        .limit(std::num::NonZeroU64::new(50).unwrap())
        .offset(5)
        .projects(vec![1, 2])
        .regions(vec![76])
        .types(vec![
            types::ResourceType::Instance,
            types::ResourceType::EgressTraffic,
        ])
        .order_by(vec![types::OrderBy::ProjectDesc])
        .tags(types::TagsFilter {
            condition_type: Some(types::TagsFilterConditionType::And),
            conditions: vec![types::TagCondition {
                key: Some("env".into()),
                strict: Some(true),
                value: Some("prod".into()),
            }],
        })
        .schema_filter(types::SchemaFilter::Instance(types::SchemaFilterInstance {
            type_: types::SchemaFilterInstanceType::Instance,
            field: types::SchemaFilterInstanceField::Flavor,
            values: vec!["g1-standard-2-4".into()],
        }))
        .rounding(false);
    let page = client.detailed_cost_report(request).await.expect("report");
    assert_eq!(
        server.requests()[0].body,
        Some(json!({
            "limit": 50, "offset": 5, "order_by": ["project.desc"],
            "projects": [1, 2], "regions": [76], "rounding": false,
            "schema_filter": {"type": "instance", "field": "flavor", "values": ["g1-standard-2-4"]},
            "tags": {"condition_type": "AND", "conditions": [{"key": "env", "strict": true, "value": "prod"}]},
            "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z",
            "types": ["instance", "egress_traffic"]
        }))
    );
    // The fake applies the same filters: every row is an instance or egress meter in region 76, project 1 or 2.
    for row in &page.results {
        assert!(
            matches!(row.type_name(), "instance" | "egress_traffic"),
            "{}",
            row.type_name()
        );
        assert_eq!(row.region_id(), Some(76));
        assert!(matches!(row.project_id(), Some(1 | 2)));
    }
}

#[tokio::test]
async fn aggregated_cost_report_request_and_totals() {
    let server = server(100).await;
    let client = client(&server);
    let request = types::CostReportAggregatedRequest::builder()
        .time_from(at("2024-08-01T00:00:00Z"))
        .time_to(at("2024-09-01T00:00:00Z"))
        .regions(vec![1]);
    let report = client
        .aggregated_cost_report(request)
        .await
        .expect("report");
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/cloud/v1/cost_report/totals");
    assert_common_headers(sent, "application/json");
    assert_eq!(
        sent.body,
        Some(json!({
            "regions": [1], "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z"
        }))
    );
    assert_eq!(report.count as usize, report.results.len());
    assert!(!report.results.is_empty());
    assert!(
        report
            .results
            .iter()
            .all(|t| t.region_id() == Some(1) && !t.is_unknown())
    );
}

#[tokio::test]
async fn monthly_report_sends_year_month_and_no_response_format_by_default() {
    let server = server(50).await;
    let client = client(&server);
    let request = types::CostReportMonthlyRequest::builder().year_month(Some(
        types::CostReportMonthlyRequestYearMonth::try_from("2024-08").expect("valid month"),
    ));
    let report = client
        .monthly_reservation_cost_report(request)
        .await
        .expect("report");
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/cloud/v1/reservation_cost_report/totals");
    assert_eq!(sent.body, Some(json!({"year_month": "2024-08"})));
    assert_eq!(report.price_status, types::PriceStatus::Show);
    assert!(!report.results.is_empty());
}

#[tokio::test]
async fn usage_report_request_and_both_result_lists() {
    let server = server(40).await;
    let client = client(&server);
    let request = types::UsageReportRequest::builder()
        .time_from(at("2024-08-01T00:00:00Z"))
        .time_to(at("2024-09-01T00:00:00Z"))
        .limit(std::num::NonZeroU64::new(25).unwrap());
    let report = client.usage_report(request).await.expect("report");
    assert_eq!(server.requests()[0].path, "/cloud/v1/usage_report");
    assert_eq!(
        server.requests()[0].body,
        Some(json!({
            "limit": 25, "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z"
        }))
    );
    assert_eq!(report.count, 40);
    assert_eq!(report.resources.len(), 25);
    let summed: gcore_billing::Decimal =
        report.totals.iter().filter_map(|t| t.billing_value()).sum();
    assert!(summed > gcore_billing::Decimal::ZERO);
    assert!(report.resources.iter().chain([]).all(|r| !r.is_unknown()));
}

#[tokio::test]
async fn reservation_prices_path_body_and_parsed_prices() {
    let server = server(1).await;
    let client = client(&server);
    let request = types::ReservationPricingRequest::builder()
        .period(types::ReservationPeriod::Months12)
        .resources(vec![types::ReservationPricingResource {
            resource_name: "bm1-hf-medium".into(),
            resource_type: "flavor".into(),
            resource_value: std::num::NonZeroU64::new(2).unwrap(),
        }]);
    let prices = client
        .reservation_prices(76, request)
        .await
        .expect("prices");
    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/cloud/v1/pricing/76/billing_reservation");
    assert_common_headers(sent, "application/json");
    assert_eq!(
        sent.body,
        Some(json!({
            "period": "MONTHS12",
            "resources": [{"resource_name": "bm1-hf-medium", "resource_type": "flavor", "resource_value": 2}]
        }))
    );
    assert_eq!(prices.region_id, 76);
    assert_eq!(prices.amount_prices.currency_code, "EUR");
    assert_eq!(prices.resources[0].unit_size_total, "1488");
    assert_eq!(prices.activity_period_length, 12);
}

#[tokio::test]
async fn list_reservations_sends_query_and_parses_nested_prices() {
    let server = server(1).await;
    let client = client(&server);
    let mut query = gcore_billing::ReservationQuery::new(
        at("2024-08-01T00:00:00Z"),
        at("2024-08-31T00:00:00Z"),
    );
    query.region_id = Some(1);
    query.order_by = Some(types::ListBillingReservationsOrderBy::ActiveFromDesc);
    query.show_inactive = Some(true);
    let list = client.list_billing_reservations(query).await.expect("list");
    let sent = &server.requests()[0];
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.path, "/cloud/v2/reservations");
    assert_common_headers(sent, "application/json");
    let query = sent.query.as_deref().unwrap_or_default();
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            "order_by=active_from.desc",
            "region_id=1",
            "show_inactive=true",
            "time_from=2024-08-01T00%3A00%3A00Z",
            "time_to=2024-08-31T00%3A00%3A00Z"
        ]
    );
    assert_eq!(list.count, 1);
    let reservation = &list.results[0];
    assert_eq!(reservation.resource_name, "bm1-hf-medium");
    assert_eq!(reservation.commit.active_to, None);
    assert_eq!(reservation.active_overcommit.subscription_id, None);
    assert_eq!(reservation.hardware_info.disk, None);
}

#[tokio::test]
async fn regions_list_sends_its_query_and_parses_names_and_open_enums() {
    let server = server(1).await;
    let client = client(&server);
    let query = gcore_billing::RegionQuery {
        limit: Some(2),
        offset: Some(3),
        order_by: Some(types::ListRegionsOrderBy::DisplayNameAsc),
        ..Default::default()
    };
    let page = client.list_regions(query).await.expect("list");
    let sent = &server.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("GET", "/cloud/v1/regions")
    );
    assert_common_headers(sent, "application/json");
    let mut pairs: Vec<&str> = sent
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .collect();
    pairs.sort();
    assert_eq!(pairs, ["limit=2", "offset=3", "order_by=display_name.asc"]);
    // The fake server lists five regions; this page holds the 4th and 5th.
    assert_eq!(page.count, 5);
    let names: Vec<(i64, &str)> = page
        .results
        .iter()
        .map(|r| (r.id, r.display_name.as_str()))
        .collect();
    assert_eq!(names, [(76, "Luxembourg-2"), (100, "Santa Clara")]);
    let region = &page.results[1];
    assert_eq!(
        region.state,
        gcore_billing::generated::open::RegionState::Active
    );
    assert_eq!(region.coordinates, None);
    assert_eq!(
        region.file_share_types,
        Some(vec![
            gcore_billing::generated::open::FileShareType::Standard
        ])
    );
}

#[tokio::test]
async fn regions_query_out_of_range_is_refused_before_sending() {
    let server = server(1).await;
    let mut query = gcore_billing::RegionQuery::new();
    query.limit = Some(1001);
    let error = client(&server)
        .list_regions(query)
        .await
        .expect_err("refused");
    assert!(
        error.to_string().contains("limit"),
        "names the parameter: {error}"
    );
    assert!(server.requests().is_empty(), "nothing sent");
}

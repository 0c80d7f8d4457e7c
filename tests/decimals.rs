//! Money and billed quantities (`format: decimal` in the spec) are `rust_decimal::Decimal`, read
//! from the number's own text and written back with the same digits: no f64 on the way.

mod common;

use common::hostile::{self, Reply};
use common::{KEY, detailed, fast_retries};
use futures::StreamExt;
use gcore_billing::{Client, Decimal, PageOptions, types};
use gcore_billing_fake::Dataset;

const COST: &str = "1234567890.12345678";
const QUANTITY: &str = "0.000000001234567891";

/// A one-row page of the detailed report whose cost and billed quantity have digits no f64 holds.
fn page() -> String {
    let mut row = Dataset::embedded(1, 3)
        .expect("dataset")
        .detailed_rows(0, 1)
        .remove(0);
    row["cost"] = serde_json::json!(777.125);
    row["billing_value"] = serde_json::json!(555.25);
    serde_json::json!({"count": 1, "price_status": "show", "results": [row]})
        .to_string()
        .replacen("777.125", COST, 1)
        .replacen("555.25", QUANTITY, 1)
}

#[tokio::test]
async fn an_18_digit_cost_comes_through_the_typed_stream_and_back_to_json_exactly() {
    let body = page().into_bytes();
    let server = hostile::start(move |_, _| Reply::Full {
        status: 200,
        content_type: "application/json",
        headers: Vec::new(),
        body: body.clone(),
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry_policy(fast_retries(0))
        .build()
        .expect("client");
    let rows: Vec<_> = client
        .detailed_cost_report_stream(detailed(), PageOptions::default())
        .collect()
        .await;
    assert_eq!(rows.len(), 1);
    let row = rows.into_iter().next().expect("a row").expect("parses");
    assert_eq!(row.cost(), Some(COST.parse::<Decimal>().expect("decimal")));
    assert_eq!(row.cost().map(|c| c.to_string()).as_deref(), Some(COST));
    assert_eq!(
        row.billing_value().map(|v| v.to_string()).as_deref(),
        Some(QUANTITY)
    );
    // Written back, the numbers have the server's digits.
    let text = serde_json::to_string(&row).expect("JSON");
    assert!(text.contains(&format!("\"cost\":{COST}")), "{text}");
    assert!(
        text.contains(&format!("\"billing_value\":{QUANTITY}")),
        "{text}"
    );
    // Summing is exact: a thousand of them is the cost times a thousand, digit for digit.
    let cost = row.cost().expect("cost");
    let sum: Decimal = std::iter::repeat_n(cost, 1000).sum();
    assert_eq!(sum.to_string(), "1234567890123.45678000");
}

#[test]
fn a_page_parsed_whole_keeps_the_digits_and_null_stays_null() {
    let parse = |text: &str| serde_json::from_str::<types::CostReportDetailed>(text);
    let whole = parse(&page()).expect("page");
    assert_eq!(
        whole.results[0].cost().map(|c| c.to_string()).as_deref(),
        Some(COST)
    );
    let unpriced = parse(&page_with_cost("null")).expect("page");
    assert_eq!(unpriced.results[0].cost(), None);
    // Scientific notation is read exactly too.
    let scientific = parse(&page_with_cost("1.5e-7")).expect("page");
    assert_eq!(
        scientific.results[0]
            .cost()
            .map(|c| c.to_string())
            .as_deref(),
        Some("0.00000015")
    );
    // A number past a decimal's 28 digits is an error naming the field, not a rounded value.
    let error = parse(&page_with_cost("123456789012345678901234567890.5"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("field `cost`") && error.contains("exactly"),
        "{error}"
    );
}

fn page_with_cost(cost: &str) -> String {
    page().replacen(COST, cost, 1)
}

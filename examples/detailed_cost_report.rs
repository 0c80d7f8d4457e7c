//! One page of the detailed cost report, then the cost of every instance over all pages.
//!
//! `cargo run --example detailed_cost_report`

#[path = "support/mod.rs"]
mod support;

use futures::StreamExt;
use gcore_billing::{PageOptions, types};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = support::connect(2_000).await?;
    let (from, to) = support::last_month();
    let request = types::CostReportDetailedRequest::builder()
        .time_from(from)
        .time_to(to);

    let page = client.detailed_cost_report(request.clone()).await?;
    println!(
        "{} rows in the report ({:?} prices); the first page:",
        page.count,
        page.price_status.as_str()
    );
    for row in &page.results {
        println!(
            "  {:<36} {:>12.1} {:<10} {:>10} {}",
            row.type_name(),
            row.billing_value().unwrap_or_default(),
            row.billing_value_unit()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            row.cost().map_or("-".to_string(), |c| format!("{c:.2}")),
            row.currency().unwrap_or(""),
        );
    }

    let instances = request.types(vec![types::ResourceType::Instance]);
    let mut rows =
        client.detailed_cost_report_stream(instances, PageOptions::default().page_size(500));
    // Costs are exact decimals: the sum has the server's digits, not binary rounding.
    let (mut count, mut total, mut unpriced) = (0, gcore_billing::Decimal::ZERO, 0);
    while let Some(row) = rows.next().await {
        let row = row?;
        count += 1;
        match row.cost() {
            Some(cost) => total += cost,
            None => unpriced += 1,
        }
    }
    println!("{count} instances cost {total:.2} in total; {unpriced} could not be priced");
    Ok(())
}

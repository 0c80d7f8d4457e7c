//! Costs summed per resource type and region, as JSON and as CSV.
//!
//! `cargo run --example aggregated_cost_report`

#[path = "support/mod.rs"]
mod support;

use gcore_billing::types;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = support::connect(2_000).await?;
    let (from, to) = support::last_month();
    let request = types::CostReportAggregatedRequest::builder()
        .time_from(from)
        .time_to(to);
    let report = client.aggregated_cost_report(request.clone()).await?;
    println!("{} totals:", report.count);
    for total in &report.results {
        let line = support::total_line(
            total.type_name(),
            total.region_id(),
            total.billing_value(),
            total.billing_value_unit(),
        );
        let cost = total
            .cost()
            .map_or("unpriced".to_string(), |c| format!("{c:.2}"));
        println!("{line} {cost:>10}");
    }
    let table = client.aggregated_cost_report_csv_rows(request).await?;
    println!(
        "the same report as CSV has columns {:?} and {} rows",
        table.headers,
        table.rows.len()
    );
    Ok(())
}

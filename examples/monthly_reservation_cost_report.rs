//! Monthly cost totals (commit and pay-as-you-go), for one calendar month.
//!
//! `cargo run --example monthly_reservation_cost_report [YYYY-MM]`

#[path = "support/mod.rs"]
mod support;

use gcore_billing::types;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = support::connect(2_000).await?;
    let month = match std::env::args().nth(1) {
        Some(month) => month,
        None => support::last_month().0.format("%Y-%m").to_string(),
    };
    let year_month = types::CostReportMonthlyRequestYearMonth::try_from(month.as_str())?;
    let report = client
        .monthly_reservation_cost_report(
            types::CostReportMonthlyRequest::builder().year_month(Some(year_month)),
        )
        .await?;
    let total: gcore_billing::Decimal = report.results.iter().filter_map(|t| t.cost()).sum();
    println!("{month}: {} totals, {total:.2} in all", report.count);
    for row in report.results.iter().take(10) {
        println!(
            "  {:<36} {:>10}",
            row.type_name(),
            row.cost()
                .map_or("unpriced".to_string(), |c| format!("{c:.2}"))
        );
    }
    Ok(())
}

//! What reserving two bare-metal servers for a year would cost.
//!
//! `cargo run --example reservation_prices [REGION_ID]`

#[path = "support/mod.rs"]
mod support;

use gcore_billing::types;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = support::connect(1).await?;
    let region: u64 = std::env::args()
        .nth(1)
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(1);
    let request = types::ReservationPricingRequest::builder()
        .period(types::ReservationPeriod::Months12)
        .resources(vec![types::ReservationPricingResource {
            resource_name: "bm1-hf-medium".into(),
            resource_type: "flavor".into(),
            resource_value: std::num::NonZeroU64::new(2).expect("2 is not zero"),
        }]);
    let prices = client.reservation_prices(region, request).await?;
    let amount = &prices.amount_prices;
    println!(
        "{} (region {}), {} {}s:",
        prices.region_name, prices.region_id, prices.activity_period_length, prices.activity_period
    );
    println!(
        "  commit:      {} {} per month, {} in total",
        amount.commit_price_per_month, amount.currency_code, amount.commit_price_total
    );
    println!(
        "  over-commit: {} {} per month, {} in total",
        amount.overcommit_price_per_month, amount.currency_code, amount.overcommit_price_total
    );
    for resource in &prices.resources {
        println!(
            "  {}: {} {} per month",
            resource.resource_name, resource.unit_size_total, resource.unit_name
        );
    }
    Ok(())
}

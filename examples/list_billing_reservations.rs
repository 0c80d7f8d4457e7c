//! The reservations active in the last 30 days, with their prices.
//!
//! `cargo run --example list_billing_reservations`

#[path = "support/mod.rs"]
mod support;

use gcore_billing::ReservationQuery;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = support::connect(1).await?;
    let to = chrono::Utc::now();
    let list = client
        .list_billing_reservations(ReservationQuery::new(to - chrono::Duration::days(30), to))
        .await?;
    println!("{} reservations", list.count);
    for r in &list.results {
        println!(
            "  {} x{} in {}: commit {} per month from {}, over-commit {} per unit",
            r.resource_name,
            r.resource_count,
            r.region_name,
            r.commit.price_per_month,
            r.commit.active_from,
            r.active_overcommit.price_per_unit
        );
    }
    Ok(())
}

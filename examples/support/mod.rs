//! Shared by the examples: use the real API when `GCORE_API_KEY` is set, otherwise start the local fake
//! billing server in-process so that every example runs with no key and no network.
#![allow(dead_code)]

use gcore_billing::Client;
use gcore_billing_fake::{Config, FakeServer};

/// The client, and the fake server it talks to (kept alive by the caller) when there is no API key.
pub async fn connect(
    fake_resources: usize,
) -> Result<(Client, Option<FakeServer>), Box<dyn std::error::Error>> {
    if std::env::var_os("GCORE_API_KEY").is_some() {
        let client = Client::from_env()?;
        eprintln!("using {} (GCORE_API_KEY is set)", client.base_url());
        return Ok((client, None));
    }
    let server = FakeServer::start(Config {
        resources: fake_resources,
        ..Config::default()
    })
    .await?;
    eprintln!(
        "GCORE_API_KEY is not set: using the local fake billing server at {}",
        server.base_url()
    );
    let client = Client::builder()
        .api_key("local-demo-key")
        .base_url(server.base_url())
        .build()?;
    Ok((client, Some(server)))
}

/// The last full calendar month before today, as the report period.
pub fn last_month() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    use chrono::{Datelike, TimeZone, Utc};
    let now = Utc::now();
    let this_month = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .unwrap();
    let previous = this_month - chrono::Duration::days(1);
    (
        Utc.with_ymd_and_hms(previous.year(), previous.month(), 1, 0, 0, 0)
            .unwrap(),
        this_month,
    )
}

/// One line of a totals table: type, region, amount and unit, as both totals examples print them.
pub fn total_line(
    type_name: &str,
    region_id: Option<i64>,
    billing_value: Option<gcore_billing::Decimal>,
    unit: Option<gcore_billing::types::BillingValueUnit>,
) -> String {
    format!(
        "  {:<36} region {:>3}: {:>14.1} {:<10}",
        type_name,
        region_id.unwrap_or_default(),
        billing_value.unwrap_or_default(),
        unit.map(|u| u.to_string()).unwrap_or_default(),
    )
}

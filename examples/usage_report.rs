//! What resources consumed, without prices: totals per type, and the first resources.
//!
//! `cargo run --example usage_report`

#[path = "support/mod.rs"]
mod support;

use futures::TryStreamExt;
use gcore_billing::{PageOptions, types};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = support::connect(2_000).await?;
    let (from, to) = support::last_month();
    let request = types::UsageReportRequest::builder()
        .time_from(from)
        .time_to(to);
    let page = client.usage_report(request.clone()).await?;
    println!("{} resources; totals:", page.count);
    for total in &page.totals {
        let line = support::total_line(
            total.type_name(),
            total.region_id(),
            total.billing_value(),
            total.billing_value_unit(),
        );
        println!("{}", line.trim_end());
    }
    let all: Vec<types::UsageReportResource> = client
        .usage_report_stream(request, PageOptions::default().concurrency(4))
        .try_collect()
        .await?;
    let unknown = all.iter().filter(|r| r.is_unknown()).count();
    println!(
        "streamed {} resources ({unknown} of types this client does not know)",
        all.len()
    );
    Ok(())
}

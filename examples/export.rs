//! Streams a whole detailed cost report into a CSV file, with a progress bar on stderr.
//!
//! With no `GCORE_API_KEY`, it exports from the local fake billing server started in-process:
//!
//! `cargo run --release --example export -- --output report.csv`

#[path = "support/mod.rs"]
mod support;

use std::io::Write;
use std::num::NonZeroU64;

use clap::Parser;
use futures::StreamExt;
use gcore_billing::csv_safety::neutralise_formula;
use gcore_billing::{PageOptions, types};
use indicatif::{ProgressBar, ProgressStyle};

/// Export the detailed cost report to CSV.
#[derive(Parser, Debug)]
struct Args {
    /// Where to write the CSV ("-" for stdout).
    #[arg(long, default_value = "cost-report.csv")]
    output: String,
    /// Start of the period (RFC 3339); default: start of last month.
    #[arg(long)]
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// End of the period (RFC 3339); default: start of this month.
    #[arg(long)]
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// Rows per request.
    #[arg(long, default_value_t = 1000)]
    page_size: u64,
    /// Pages fetched at once after the first.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Rows in the local fake server (only without GCORE_API_KEY).
    #[arg(long, default_value_t = 100_000)]
    fake_resources: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Write cells exactly as received. By default a cell a spreadsheet would run as a formula
    /// (starting with =, +, -, @, tab or CR, other than a plain number) gets a leading `'`.
    #[arg(long)]
    raw_cells: bool,
}

const COLUMNS: [&str; 13] = [
    "type",
    "uuid",
    "last_name",
    "project_id",
    "region_id",
    "billing_metric_name",
    "billing_value",
    "billing_value_unit",
    "cost",
    "currency",
    "first_seen",
    "last_seen",
    "tags",
];

fn cell(row: &serde_json::Value, column: &str) -> String {
    match row.get(column) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (client, _server) = support::connect(args.fake_resources).await?;
    let (default_from, default_to) = support::last_month();
    let request = types::CostReportDetailedRequest::builder()
        .time_from(args.from.unwrap_or(default_from))
        .time_to(args.to.unwrap_or(default_to));

    // One tiny request tells how many rows to expect, for the progress bar.
    let total = u64::try_from(
        client
            .detailed_cost_report(request.clone().limit(NonZeroU64::MIN))
            .await?
            .count,
    )?;
    let progress = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    progress.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} rows {per_sec} eta {eta}",
    )?);

    let output: Box<dyn Write> = match args.output.as_str() {
        "-" => Box::new(std::io::stdout().lock()),
        path => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
    };
    let mut writer = csv::Writer::from_writer(output);
    writer.write_record(COLUMNS)?;
    let options = PageOptions::default()
        .page_size(args.page_size)
        .concurrency(args.concurrency);
    let mut rows = client.detailed_cost_report_stream(request, options);
    let mut written = 0u64;
    while let Some(row) = rows.next().await {
        let row = serde_json::to_value(row?)?;
        let cells = COLUMNS.iter().map(|c| cell(&row, c));
        if args.raw_cells {
            writer.write_record(cells)?;
        } else {
            writer.write_record(cells.map(|c| neutralise_formula(&c).into_owned()))?;
        }
        written += 1;
        progress.inc(1);
    }
    writer.flush()?;
    progress.finish_and_clear();
    eprintln!("wrote {written} of {total} rows to {}", args.output);
    if written != total {
        return Err(format!("expected {total} rows, wrote {written}").into());
    }
    Ok(())
}

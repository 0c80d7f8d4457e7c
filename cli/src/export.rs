//! `gcore-billing export`: a report's rows into CSV, JSON lines or Parquet, resumable.
//!
//! Rows come typed from the client and are turned into cells by their spec-given columns
//! ([`gcore_billing::columns`]); no `serde_json::Value` is built on the row path.
//!
//! Nothing is touched before everything is checked: the options, the request, the key and the output
//! path (not a directory, not a device, its directory writable) are checked before the first request,
//! and an exclusive lock (`PATH.lock`) refuses a second export to the same path. Rows go to
//! `PATH.partial` (Parquet: complete parts in `PATH.parts/`, see [`crate::sinks`]), renamed onto
//! `PATH` only when the export is whole: a file under the output's name is always a complete export.
//!
//! Resuming: the paged reports (detailed, usage) keep a checkpoint next to the output,
//! `PATH.checkpoint`, written at most once a second for CSV and JSON lines, at each closed Parquet
//! part, and whenever an export stops early. It records what was asked (so a resume cannot mix two
//! different exports), the server's base URL and a SHA-256 of the key (never the key), the report's
//! row count, the rows read and written, how much of the partial output holds them, and a fingerprint
//! of the last row read. `--resume` refuses another server or account, checks the partial output
//! against the checkpoint, fetches that last row again and refuses if it changed, cuts the output back
//! to the checkpoint, and fetches from the next row on. The finished file holds every row once.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use clap::{Args, ValueEnum};
use futures::StreamExt;
use gcore_billing::columns::{Cell, Column, Columns, RowWriter};
use gcore_billing::paged;
use gcore_billing::pagination::{
    Common, MAX_CONCURRENCY, PagedOperation, PagedRows, Raw, RawRow, Received,
};
use gcore_billing::validate::Validate;
use gcore_billing::{Client, PageOptions, types};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::focus::{FocusRows, Outcome};
use crate::sinks::{
    Counting, CsvSink, Durable, JsonLinesSink, ParquetSink, Sink, SinkError, open_text,
    parquet_file_rows, part_path,
};
use crate::{Connected, Connection, Failure, connect, progress_wanted};

/// Which report to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Report {
    /// One row per resource, with its cost (paged; resumable).
    Detailed,
    /// One row per resource, with its usage (paged; resumable).
    Usage,
    /// Costs summed per type and region.
    Aggregated,
    /// Reservation costs of one month.
    Monthly,
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Parquet with typed columns.
    Parquet,
    /// FOCUS 1.0 rows as CSV (detailed report only; see docs/focus.md).
    FocusCsv,
    /// FOCUS 1.0 rows as Parquet, money as Decimal128(38, 18) (detailed report only).
    FocusParquet,
}

impl Format {
    fn is_focus(self) -> bool {
        matches!(self, Format::FocusCsv | Format::FocusParquet)
    }
}

/// Export a report to CSV, JSON lines or Parquet.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The report.
    #[arg(value_enum)]
    report: Report,
    /// Start of the period: RFC 3339, or a date (00:00 UTC). Default: the start of last month.
    #[arg(long, value_parser = parse_time)]
    from: Option<DateTime<Utc>>,
    /// End of the period (exclusive): RFC 3339, or a date. Default: the start of this month.
    #[arg(long, value_parser = parse_time)]
    to: Option<DateTime<Utc>>,
    /// The month of a monthly report, YYYY-MM. Default: last month.
    #[arg(long, value_parser = parse_month)]
    month: Option<String>,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Where to write: a path, or - for stdout.
    #[arg(long, short, default_value = "-")]
    output: String,
    /// Pages in flight at once after the first (1 to 64).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Rows per request.
    #[arg(long, default_value_t = 1000)]
    page_size: u64,
    /// Costs at the server's full precision (the report's `rounding: false`). By default Gcore rounds
    /// each row's cost to 5 decimals, so a sum of many rows can be off by up to half a unit of the
    /// 5th decimal per row; FOCUS exports, whose costs are exact decimals, should use this.
    #[arg(long)]
    no_rounding: bool,
    /// Count the last day of the period too (the report's `enable_last_day: true`).
    #[arg(long)]
    include_last_day: bool,
    /// Go on when the server says prices are hidden or failed (`price_status` hide or error): a
    /// FOCUS export is refused without it, and with it marks every row in x_PriceStatus.
    #[arg(long)]
    allow_unpriced: bool,
    /// Only these resource types (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(types::ResourceType::VALUES))]
    types: Vec<String>,
    /// Only these region IDs (comma-separated).
    #[arg(long, value_delimiter = ',')]
    regions: Vec<i64>,
    /// Only these project IDs (comma-separated).
    #[arg(long, value_delimiter = ',')]
    projects: Vec<i64>,
    /// Only resources with this tag, KEY=VALUE (repeatable; any one matches).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    /// Every field of every resource type, not only the common ones (empty where a type lacks one).
    #[arg(long)]
    wide: bool,
    /// One more column, `other_fields`: a JSON object of each row's fields that no other column
    /// takes (a resource type's own fields, fields the spec does not list), so nothing the server
    /// sent is dropped.
    #[arg(long)]
    other_fields: bool,
    /// Continue an interrupted export from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// Write CSV cells exactly as received (by default a cell that a spreadsheet would run as a
    /// formula gets a leading ').
    #[arg(long)]
    raw_cells: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// FOCUS BillingAccountId: the Gcore account billed (the report's rows do not say). Required
    /// for the FOCUS formats, except with --demo.
    #[arg(long, env = "GCORE_BILLING_ACCOUNT_ID", value_name = "ID")]
    billing_account_id: Option<String>,
    /// FOCUS BillingAccountName (optional).
    #[arg(long, env = "GCORE_BILLING_ACCOUNT_NAME", value_name = "NAME")]
    billing_account_name: Option<String>,
    /// Set by `sync`: the progress bar starts with this label (the partition), and there is no
    /// "wrote N rows" line at the end (`sync` says what it did per month itself).
    #[arg(skip)]
    pub(crate) sync_label: Option<String>,
}

/// RFC 3339, or a plain date taken as 00:00 UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            format!("{text:?} is neither RFC 3339 (2024-08-01T00:00:00Z) nor a date (2024-08-01)")
        })
}

/// `--month`: `YYYY-MM` with a month from 01 to 12.
fn parse_month(text: &str) -> Result<String, String> {
    let valid = text.len() == 7
        && text.as_bytes()[4] == b'-'
        && text[..4].bytes().all(|b| b.is_ascii_digit())
        && text[5..]
            .parse::<u8>()
            .is_ok_and(|month| (1..=12).contains(&month) && text[5..].len() == 2);
    if valid {
        Ok(text.to_string())
    } else {
        Err("expected YYYY-MM with a month from 01 to 12, like 2024-08".into())
    }
}

/// The last full calendar month: (its first instant, the first instant of this month).
fn last_month() -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Utc::now();
    let this_month = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let previous_day = this_month - chrono::Duration::days(1);
    let start = Utc
        .with_ymd_and_hms(previous_day.year(), previous_day.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(previous_day);
    (start, this_month)
}

/// The request body, as JSON, checked by parsing it into the report's request type.
fn request_body(args: &ExportArgs) -> Result<serde_json::Value, Failure> {
    let mut body = serde_json::Map::new();
    if args.report == Report::Monthly {
        if args.from.is_some() || args.to.is_some() {
            return Err(Failure::Usage(
                "the monthly report takes --month YYYY-MM, not --from/--to".into(),
            ));
        }
        let month = match &args.month {
            Some(month) => month.clone(),
            None => last_month().0.format("%Y-%m").to_string(),
        };
        body.insert("year_month".into(), json!(month));
    } else {
        if args.month.is_some() {
            return Err(Failure::Usage(
                "--month is for the monthly report; use --from/--to".into(),
            ));
        }
        let (from, to) = period(args);
        if to <= from {
            return Err(Failure::Usage(format!(
                "--to ({}) must be after --from ({})",
                to.format("%Y-%m-%d %H:%M:%SZ"),
                from.format("%Y-%m-%d %H:%M:%SZ")
            )));
        }
        body.insert("time_from".into(), json!(from));
        body.insert("time_to".into(), json!(to));
        if !args.projects.is_empty() {
            body.insert("projects".into(), json!(args.projects));
        }
    }
    if args.no_rounding {
        body.insert("rounding".into(), json!(false));
    }
    if args.include_last_day {
        body.insert("enable_last_day".into(), json!(true));
    }
    if !args.types.is_empty() {
        body.insert("types".into(), json!(args.types));
    }
    if !args.regions.is_empty() {
        body.insert("regions".into(), json!(args.regions));
    }
    if !args.tags.is_empty() {
        let conditions = args
            .tags
            .iter()
            .map(|tag| match tag.split_once('=') {
                Some((key, value)) => Ok(json!({"key": key, "value": value, "strict": true})),
                None => Err(Failure::Usage(format!("--tag {tag:?} must be KEY=VALUE"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        body.insert(
            "tags".into(),
            json!({"conditions": conditions, "condition_type": "OR"}),
        );
    }
    Ok(serde_json::Value::Object(body))
}

/// The request as its generated type, checked as the client would check it before sending (so that
/// a bad request is refused before any file is touched).
fn typed<T: serde::de::DeserializeOwned + Validate>(
    body: &serde_json::Value,
    report: Report,
) -> Result<T, Failure> {
    let name = format!("{report:?}").to_lowercase();
    let request: T = serde_json::from_value(body.clone())
        .map_err(|e| Failure::Usage(format!("invalid {name} report request: {e}")))?;
    request
        .validate()
        .map_err(|e| Failure::Usage(format!("invalid {name} report request: {e}")))?;
    Ok(request)
}

/// The requested period of a detailed or usage report: --from/--to, or last month.
fn period(args: &ExportArgs) -> (DateTime<Utc>, DateTime<Utc>) {
    let (from, to) = last_month();
    (args.from.unwrap_or(from), args.to.unwrap_or(to))
}

/// The FOCUS row maker for this export, from its period and billing account.
fn focus_rows(args: &ExportArgs, connection: &Connection) -> Result<FocusRows, Failure> {
    if args.report != Report::Detailed {
        return Err(Failure::Usage(
            "the FOCUS formats are for the detailed report (one FOCUS row per resource and period)"
                .into(),
        ));
    }
    if args.wide || args.other_fields {
        return Err(Failure::Usage(
            "--wide and --other-fields do not apply to FOCUS: x_Details already keeps every field \
             no FOCUS column takes"
                .into(),
        ));
    }
    let account = match (&args.billing_account_id, connection.demo) {
        (Some(id), _) => id.clone(),
        (None, true) => "demo-account".to_string(),
        (None, false) => {
            return Err(Failure::Usage(
                "FOCUS needs the billing account: set --billing-account-id or GCORE_BILLING_ACCOUNT_ID \
                 (the report's rows do not name it)"
                    .into(),
            ));
        }
    };
    let (from, to) = period(args);
    FocusRows::new(account, args.billing_account_name.clone(), &from, &to).map_err(Failure::Usage)
}

pub async fn run(connection: &Connection, args: ExportArgs) -> Result<(), Failure> {
    run_on(connection, None, args).await
}

/// [`run`] through a client already connected (`sync` exports many periods through one), or
/// through a new one when `connected` is None.
pub async fn run_on(
    connection: &Connection,
    connected: Option<&Connected>,
    args: ExportArgs,
) -> Result<(), Failure> {
    let options = PageOptions::default()
        .page_size(args.page_size)
        .concurrency(args.concurrency);
    options.check().map_err(|e| {
        Failure::Usage(format!(
            "--page-size and --concurrency: {e} (concurrency at most {MAX_CONCURRENCY})"
        ))
    })?;
    if args.resume && args.output == "-" {
        return Err(Failure::Usage(
            "--resume needs --output PATH (stdout cannot be resumed)".into(),
        ));
    }
    let body = request_body(&args)?;
    let focus = match args.format.is_focus() {
        true => Some(focus_rows(&args, connection)?),
        false => None,
    };
    // The request is checked as its type before anything else happens.
    let request = match args.report {
        Report::Detailed => Request::Detailed(typed(&body, args.report)?),
        Report::Usage => Request::Usage(typed(&body, args.report)?),
        Report::Aggregated => Request::Aggregated(typed(&body, args.report)?),
        Report::Monthly => Request::Monthly(typed(&body, args.report)?),
    };
    if args.resume && matches!(args.report, Report::Aggregated | Report::Monthly) {
        return Err(Failure::Usage(
            "--resume is for the paged reports (detailed, usage)".into(),
        ));
    }
    let owned;
    let connected = match connected {
        Some(connected) => connected,
        None => {
            owned = connect(connection).await?;
            &owned
        }
    };
    let mut focus = focus;
    if let Some(focus) = focus.as_mut() {
        focus.set_region_names(region_names(&connected.client).await?);
    }
    let target = Target::check(&args.output, args.resume)?;
    let outcome = export(&args, target.as_ref(), &body, connected, request, focus).await;
    if let (Some(target), Ok(())) = (&target, &outcome) {
        target.release();
    }
    outcome
}

/// Pages of regions asked for at most: 100,000 regions, far more than Gcore has, so that a server
/// whose `count` never ends cannot keep the export waiting.
const MAX_REGION_PAGES: usize = 100;

/// Every region's name by ID, from the API's list of regions (`list_regions`, 1,000 a page), for
/// FOCUS `RegionName`. Fetched once per export, before any file is touched.
async fn region_names(client: &Client) -> Result<BTreeMap<i64, String>, Failure> {
    const PAGE: u64 = 1_000;
    let mut names = BTreeMap::new();
    let mut offset = 0u64;
    for _ in 0..MAX_REGION_PAGES {
        let mut query = gcore_billing::RegionQuery::new();
        query.limit = Some(PAGE);
        query.offset = Some(offset);
        let page = client.list_regions(query).await.map_err(|e| {
            Failure::from(e).with(" (listing regions for the FOCUS RegionName column)")
        })?;
        let received = page.results.len() as u64;
        for region in page.results {
            names.insert(region.id, region.display_name);
        }
        offset += received;
        // `count` is the number of regions in all; an empty page ends the list whatever it says.
        if received == 0 || offset >= u64::try_from(page.count).unwrap_or(0) {
            return Ok(names);
        }
    }
    Err(Failure::Remote(format!(
        "listing regions for the FOCUS RegionName column: still not at the end after {MAX_REGION_PAGES} pages of {PAGE}; the server's count is not believable"
    )))
}

/// A report's request, as its generated type.
enum Request {
    Detailed(types::CostReportDetailedRequest),
    Usage(types::UsageReportRequest),
    Aggregated(types::CostReportAggregatedRequest),
    Monthly(types::CostReportMonthlyRequest),
}

async fn export(
    args: &ExportArgs,
    target: Option<&Target>,
    body: &serde_json::Value,
    connected: &Connected,
    request: Request,
    focus: Option<FocusRows>,
) -> Result<(), Failure> {
    let client = &connected.client;
    match request {
        Request::Detailed(request) => match focus {
            Some(focus) => {
                export_paged::<paged::DetailedCostReport, Raw<paged::DetailedCostReport>, _>(
                    args, target, body, connected, request, focus,
                )
                .await
            }
            None => {
                export_rows::<paged::DetailedCostReport>(args, target, body, connected, request)
                    .await
            }
        },
        Request::Usage(request) => {
            export_rows::<paged::UsageReport>(args, target, body, connected, request).await
        }
        Request::Aggregated(request) => {
            let report = client.aggregated_cost_report(request).await?;
            warn_price_status(Some(&report.price_status.to_string()), report.results.len());
            export_all(args, target, report.results)
        }
        Request::Monthly(request) => {
            let report = client.monthly_reservation_cost_report(request).await?;
            warn_price_status(Some(&report.price_status.to_string()), report.results.len());
            export_all(args, target, report.results)
        }
    }
}

/// The files of an export to a path, checked before anything is written, and the lock held on them.
pub struct Target {
    /// `PATH`: written only by renaming the complete export onto it.
    output: PathBuf,
    /// `PATH.partial`: the export as it is written.
    partial: PathBuf,
    /// `PATH.parts/`: Parquet parts.
    parts: PathBuf,
    checkpoint: PathBuf,
    lock_path: PathBuf,
    /// Held open, and locked, for the whole export.
    _lock: File,
}

/// The list of the rows a FOCUS export of `output` left out, when there were any.
pub fn left_out_list(output: &Path) -> PathBuf {
    sibling(output, ".left-out.jsonl")
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl Target {
    /// `None` for stdout. Otherwise the output path must not be a directory or anything but a
    /// regular file, its directory must exist and be writable, and no other export may hold its
    /// lock. Nothing of the user's is opened for writing here.
    fn check(output: &str, resume: bool) -> Result<Option<Self>, Failure> {
        if output == "-" {
            return Ok(None);
        }
        if output.is_empty() {
            return Err(Failure::Usage(
                "--output is empty: give a file path, or - for stdout".into(),
            ));
        }
        let path = PathBuf::from(output);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                return Err(Failure::Usage(format!(
                    "--output {output} is a directory: give a file path in it"
                )));
            }
            Ok(meta) if !meta.is_file() => {
                return Err(Failure::Usage(format!(
                    "--output {output} exists and is not a regular file (a device or pipe?): \
                     write to a file, or use --output - and redirect"
                )));
            }
            _ => {}
        }
        let directory = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !directory.is_dir() {
            return Err(Failure::Usage(format!(
                "--output {output}: the directory {} does not exist",
                directory.display()
            )));
        }
        let lock_path = sibling(&path, ".lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| {
                Failure::Local(format!(
                    "cannot write in {} (creating {}): {e}",
                    directory.display(),
                    lock_path.display()
                ))
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Failure::Local(format!(
                    "another export is writing {output} (it holds {}): wait for it to end, or \
                     choose another --output",
                    lock_path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Failure::Local(format!(
                    "cannot lock {}: {e}",
                    lock_path.display()
                )));
            }
        }
        let target = Self {
            partial: sibling(&path, ".partial"),
            parts: sibling(&path, ".parts"),
            checkpoint: sibling(&path, ".checkpoint"),
            output: path,
            lock_path,
            _lock: lock,
        };
        if !resume && target.checkpoint.exists() {
            // A fresh export replaces an interrupted one: its checkpoint no longer applies.
            std::fs::remove_file(&target.checkpoint).map_err(|e| {
                Failure::Local(format!("removing {}: {e}", target.checkpoint.display()))
            })?;
        }
        Ok(Some(target))
    }

    fn left_out(&self) -> PathBuf {
        left_out_list(&self.output)
    }

    /// Renames the complete export onto the output's name.
    fn publish(&self) -> Result<(), Failure> {
        std::fs::rename(&self.partial, &self.output).map_err(|e| {
            Failure::Local(format!(
                "renaming {} to {}: {e}",
                self.partial.display(),
                self.output.display()
            ))
        })?;
        let _ = std::fs::remove_dir_all(&self.parts);
        Ok(())
    }

    /// After a complete export: the lock file goes (while still held).
    fn release(&self) {
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// Warns on stderr when the server says the prices of an answer are hidden or failed.
fn warn_price_status(status: Option<&str>, rows: impl std::fmt::Display) {
    if let Some(status @ ("hide" | "error")) = status {
        eprintln!(
            "warning: the report's price_status is {status}: the costs of its {rows} rows are {} \
             and must not be used as prices",
            if status == "hide" {
                "hidden"
            } else {
                "not valid (pricing failed)"
            }
        );
    }
}

/// A paged report's rows as columns: every field of every type with `--wide` (each row's text,
/// parsed into the typed row), else the default columns, parsed in one pass ([`Common`]).
async fn export_rows<O>(
    args: &ExportArgs,
    target: Option<&Target>,
    body: &serde_json::Value,
    connected: &Connected,
    request: O::Body,
) -> Result<(), Failure>
where
    O: PagedRows<Error = types::ErrorResponse>,
    O::Body: Validate + Serialize,
    O::Item: Columns + Serialize + serde::de::DeserializeOwned,
    O::CommonItem: Columns + Serialize,
{
    if args.wide || args.other_fields {
        let cells = Wide::<O::Item> {
            writer: row_writer(args, columns_of::<O::Item>(args.wide))?,
            row: std::marker::PhantomData,
        };
        export_paged::<O, Raw<O>, _>(args, target, body, connected, request, cells).await
    } else {
        let cells = RowWriter::new(O::CommonItem::COMMON_COLUMNS);
        export_paged::<O, Common<O>, _>(args, target, body, connected, request, cells).await
    }
}

/// A row as the pager delivered it: what its text was, for checkpoints and left-out lists.
trait ReceivedRow {
    /// [`gcore_billing::pagination::fingerprint`] of the row's text.
    fn fingerprint(&self) -> u64;
    /// The row's text, when it was kept.
    fn text(&self) -> Option<&str>;
}

impl<T> ReceivedRow for Received<T> {
    fn fingerprint(&self) -> u64 {
        Received::fingerprint(self)
    }

    fn text(&self) -> Option<&str> {
        None
    }
}

impl ReceivedRow for RawRow {
    fn fingerprint(&self) -> u64 {
        RawRow::fingerprint(self)
    }

    fn text(&self) -> Option<&str> {
        Some(self.json())
    }
}

/// Every field of every type: each row's text parsed into the typed row `T`, then its cells.
struct Wide<T> {
    writer: RowWriter,
    row: std::marker::PhantomData<fn() -> T>,
}

impl<T: Serialize + serde::de::DeserializeOwned> RowCells<RawRow> for Wide<T> {
    fn columns(&self) -> &[Column] {
        self.writer.columns()
    }

    fn fill(&mut self, row: &RawRow, cells: &mut Vec<Cell>) -> Result<Outcome, String> {
        let typed: T = row.parse()?;
        self.writer
            .fill(&typed, cells)
            .map(|()| Outcome::Row)
            .map_err(|e| e.to_string())
    }
}

/// Turns one streamed row into the cells of an output row, or says why the row is left out.
trait RowCells<Item> {
    /// The output's columns.
    fn columns(&self) -> &[Column];
    /// Fills `cells` for `row`.
    fn fill(&mut self, row: &Item, cells: &mut Vec<Cell>) -> Result<Outcome, String>;
    /// What, besides the request and format, makes two exports differ (for `--resume`).
    fn identity(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    /// Marks the rows with the report's `price_status` (only FOCUS has a column for it).
    fn set_price_status(&mut self, _status: &str) {}
}

impl<T: Serialize> RowCells<T> for RowWriter {
    fn columns(&self) -> &[Column] {
        RowWriter::columns(self)
    }

    fn fill(&mut self, row: &T, cells: &mut Vec<Cell>) -> Result<Outcome, String> {
        RowWriter::fill(self, row, cells)
            .map(|()| Outcome::Row)
            .map_err(|e| e.to_string())
    }
}

impl RowCells<RawRow> for FocusRows {
    fn columns(&self) -> &[Column] {
        crate::focus::COLUMNS
    }

    fn fill(&mut self, row: &RawRow, cells: &mut Vec<Cell>) -> Result<Outcome, String> {
        FocusRows::fill(self, row, cells)
    }

    fn identity(&self) -> serde_json::Value {
        json!({"focus": crate::focus::FOCUS_VERSION, "rows": format!("{self:?}")})
    }

    fn set_price_status(&mut self, status: &str) {
        FocusRows::set_price_status(self, status);
    }
}

/// What a checkpoint remembers.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    /// What was asked: report, request, format and columns, as JSON text.
    export: String,
    /// The server the rows came from.
    base_url: String,
    /// SHA-256 of the API key (of the account the rows belong to); never the key.
    key_sha256: String,
    /// Rows in the report when the export began.
    count: u64,
    /// Rows of the report read (written or left out).
    rows: u64,
    /// Rows in the output (fewer than `rows` when some were left out).
    written: u64,
    /// The partial output that holds them.
    partial: PathBuf,
    /// Length of the partial output that holds exactly those rows (CSV and JSON lines).
    bytes: Option<u64>,
    /// Complete Parquet parts that hold exactly those rows.
    parts: Option<u64>,
    /// Length of the left-out rows' list.
    left_out_bytes: u64,
    /// Fingerprint of the last row read (`rows - 1`), to tell a report that changed since.
    last_row: Option<u64>,
}

fn write_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(checkpoint)
        .map_err(|e| Failure::Local(format!("cannot write the checkpoint: {e}")))?;
    let temporary = sibling(path, ".tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            Failure::Local(format!(
                "cannot write the checkpoint {}: {e}",
                path.display()
            ))
        })
}

/// Where rows that the output format cannot hold are listed, one JSON object per line, each row
/// exactly as the server sent it: `PATH.left-out.jsonl` next to the output (written as
/// `PATH.left-out.jsonl.partial` until the export is whole), or stderr when the output is stdout.
struct LeftOut {
    out: Counting<Box<dyn std::io::Write + Send>>,
    /// (partial, final) paths.
    paths: Option<(PathBuf, PathBuf)>,
    count: u64,
}

impl LeftOut {
    fn open(target: Option<&Target>, resume_at: Option<&Checkpoint>) -> Result<Self, Failure> {
        let paths = target.map(|t| {
            let path = t.left_out();
            (sibling(&path, ".partial"), path)
        });
        let (out, start): (Box<dyn std::io::Write + Send>, u64) = match &paths {
            None => (Box::new(std::io::stderr()), 0),
            Some((partial, _)) => open_text(Some(partial), resume_at.map(|c| c.left_out_bytes))
                .map_err(|e| Failure::Local(e.to_string()))?,
        };
        Ok(Self {
            out: Counting::new(out, start),
            paths,
            count: resume_at.map_or(0, |c| c.rows - c.written),
        })
    }

    /// Lists one row: its offset, the reason, and the row's own text, unchanged.
    fn write(&mut self, offset: u64, reason: &str, row: Option<&str>) -> Result<(), Failure> {
        let reason = serde_json::to_string(reason).unwrap_or_else(|_| "\"\"".into());
        let line = format!(
            "{{\"offset\":{offset},\"reason\":{reason},\"row\":{}}}\n",
            row.unwrap_or("null")
        );
        std::io::Write::write_all(&mut self.out, line.as_bytes())
            .map_err(|e| Failure::Local(format!("listing a left-out row: {e}")))?;
        self.count += 1;
        Ok(())
    }

    /// Flushes, and returns the length of the list.
    fn checkpoint(&mut self) -> Result<u64, Failure> {
        std::io::Write::flush(&mut self.out)
            .map_err(|e| Failure::Local(format!("listing a left-out row: {e}")))?;
        Ok(self.out.count())
    }

    /// At the end of an export: the list is removed when empty, and a non-empty one is renamed
    /// into place and announced (unless `sync`, which moves it on and says so, ran the export).
    fn finish(mut self, quiet: bool, for_sync: bool) -> Result<(), Failure> {
        self.checkpoint()?;
        match (&self.paths, self.count) {
            (Some((partial, _)), 0) => {
                let _ = std::fs::remove_file(partial);
            }
            (Some((partial, path)), _) if for_sync => {
                std::fs::rename(partial, path)
                    .map_err(|e| Failure::Local(format!("renaming {}: {e}", partial.display())))?;
            }
            (Some((partial, path)), n) => {
                std::fs::rename(partial, path)
                    .map_err(|e| Failure::Local(format!("renaming {}: {e}", partial.display())))?;
                eprintln!(
                    "warning: {n} rows could not be written in this format (FOCUS forbids a null \
                     cost); they are listed, with the reason, in {}",
                    path.display()
                );
            }
            (None, n) if n > 0 && !quiet => eprintln!(
                "warning: {n} rows could not be written in this format; they are listed above"
            ),
            (None, _) => {}
        }
        Ok(())
    }
}

/// A sink's failure as the command's: a closed stdout ends quietly, a value the format cannot
/// hold is a data error, anything else a local one.
fn sink_failure(offset: u64, error: SinkError) -> Failure {
    match error {
        e if e.is_broken_pipe() => Failure::ReaderGone,
        SinkError::Data(message) => Failure::Data(format!("row {offset}: {message}")),
        e @ SinkError::Io { .. } => Failure::Local(format!("row {offset}: {e}")),
    }
}

/// Opens the output: stdout, or the target's partial file (resuming: cut back to the checkpoint).
fn open_sink(
    args: &ExportArgs,
    target: Option<&Target>,
    columns: &[Column],
    resume_at: Option<&Checkpoint>,
) -> Result<Box<dyn Sink>, Failure> {
    let local = |e: SinkError| Failure::Local(e.to_string());
    match args.format {
        Format::Csv | Format::Jsonl | Format::FocusCsv => {
            let keep = resume_at.map(|c| c.bytes.unwrap_or(0));
            let (out, start) =
                open_text(target.map(|t| t.partial.as_path()), keep).map_err(local)?;
            Ok(match args.format {
                Format::Csv | Format::FocusCsv => Box::new(
                    CsvSink::new(out, start, columns, resume_at.is_none(), args.raw_cells)
                        .map_err(|e| sink_failure(0, e))?,
                ),
                _ => Box::new(JsonLinesSink::new(out, start, columns)),
            })
        }
        Format::Parquet | Format::FocusParquet => Ok(match target {
            None => Box::new(ParquetSink::to_stdout(columns).map_err(local)?),
            Some(t) => Box::new(
                ParquetSink::to_parts(
                    &t.parts,
                    &t.partial,
                    columns,
                    resume_at.and_then(|c| c.parts).unwrap_or(0),
                )
                .map_err(local)?,
            ),
        }),
    }
}

fn progress(quiet: bool, label: Option<&str>, total: u64, done: u64) -> ProgressBar {
    if !progress_wanted(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Some(label) = label {
        bar.set_message(label.to_string());
    }
    let template = match label {
        Some(_) => "{msg} {wide_bar} {human_pos}/{human_len} rows  {rate}  eta {eta}",
        None => "{bar:40} {human_pos}/{human_len} rows  {rate}  eta {eta}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        // indicatif's `{per_sec}` prints four decimals (`30,945.4379/s`); whole rows read better.
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&rate_text(state.per_sec()));
            },
        ));
    }
    bar.set_position(done);
    bar
}

/// A progress rate in whole rows per second.
fn rate_text(per_sec: f64) -> String {
    if per_sec.is_finite() && per_sec >= 0.0 {
        format!("{per_sec:.0} rows/s")
    } else {
        "- rows/s".to_string()
    }
}

/// The report's row count and `price_status`, from a one-row first page.
async fn first_page<O>(client: &Client, request: &O::Body) -> Result<(u64, Option<String>), Failure>
where
    O: PagedRows,
    O::Body: Serialize,
{
    let one = O::with_window(request, 1, 0).map_err(Failure::Usage)?;
    let body = serde_json::to_value(&one).map_err(|e| Failure::Usage(e.to_string()))?;
    let answer = client
        .call_operation(O::OPERATION_ID, &[], Some(body))
        .await?;
    let count = answer
        .get(O::COUNT_FIELD)
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| {
            Failure::Remote(format!(
                "the first page's `{}` is missing or not a row count",
                O::COUNT_FIELD
            ))
        })?;
    let status = answer
        .get("price_status")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    Ok((count, status))
}

/// The checkpoint at `path`, checked to be for this export, this server and this key.
fn read_checkpoint(
    path: &Path,
    export: &str,
    connected: &Connected,
) -> Result<Checkpoint, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(format!(
            "--resume: cannot read the checkpoint {}: {e}",
            path.display()
        ))
    })?;
    let checkpoint: Checkpoint = serde_json::from_str(&text).map_err(|e| {
        Failure::Usage(format!(
            "--resume: {} is not a checkpoint of this version: {e}; export again without --resume",
            path.display()
        ))
    })?;
    if checkpoint.export != export {
        return Err(Failure::Usage(
            "--resume: the checkpoint is for another export (report, period, filters, format, \
             columns or rounding differ)"
                .into(),
        ));
    }
    if checkpoint.base_url != connected.client.base_url() {
        return Err(Failure::Usage(format!(
            "--resume: the checkpoint's rows came from {}, not {}: export again without --resume",
            checkpoint.base_url,
            connected.client.base_url()
        )));
    }
    if checkpoint.key_sha256 != connected.key_fingerprint {
        return Err(Failure::Usage(
            "--resume: the checkpoint was written with another API key (another account's rows?): \
             export again without --resume"
                .into(),
        ));
    }
    if checkpoint.written > checkpoint.rows
        || checkpoint.rows > checkpoint.count
        || (checkpoint.rows > 0) != checkpoint.last_row.is_some()
    {
        return Err(Failure::Usage(format!(
            "--resume: {} is damaged (its row counts disagree): export again without --resume",
            path.display()
        )));
    }
    Ok(checkpoint)
}

/// Checks that the partial output holds exactly the rows the checkpoint says: a text file at least
/// `bytes` long whose first `bytes` hold `written` complete rows (and the header), or `parts`
/// complete Parquet parts holding `written` rows.
fn check_partial(
    args: &ExportArgs,
    target: &Target,
    checkpoint: &Checkpoint,
) -> Result<(), Failure> {
    let damaged = |why: String| {
        Failure::Usage(format!(
            "--resume: {why}; it does not match the checkpoint: export again without --resume"
        ))
    };
    if checkpoint.partial != target.partial {
        return Err(damaged(format!(
            "the checkpoint names {}",
            checkpoint.partial.display()
        )));
    }
    match (checkpoint.bytes, checkpoint.parts) {
        (Some(bytes), None) if !matches!(args.format, Format::Parquet | Format::FocusParquet) => {
            let file = File::open(&target.partial)
                .map_err(|e| damaged(format!("{}: {e}", target.partial.display())))?;
            let length = file.metadata().map(|m| m.len()).unwrap_or(0);
            if length < bytes {
                return Err(damaged(format!(
                    "{} has {length} bytes, fewer than the {bytes} recorded",
                    target.partial.display()
                )));
            }
            let head = file.take(bytes);
            let rows = match args.format {
                Format::Jsonl => {
                    let mut lines = 0u64;
                    let mut last = b'\n';
                    let mut reader = std::io::BufReader::new(head);
                    let mut buffer = [0u8; 64 * 1024];
                    loop {
                        let n = reader
                            .read(&mut buffer)
                            .map_err(|e| damaged(e.to_string()))?;
                        if n == 0 {
                            break;
                        }
                        lines += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
                        last = buffer[n - 1];
                    }
                    if last != b'\n' {
                        return Err(damaged("its last row is cut short".into()));
                    }
                    lines
                }
                _ => {
                    let mut reader = csv::ReaderBuilder::new()
                        .has_headers(true)
                        .from_reader(head);
                    let mut record = csv::ByteRecord::new();
                    let mut rows = 0u64;
                    while reader
                        .read_byte_record(&mut record)
                        .map_err(|e| damaged(e.to_string()))?
                    {
                        rows += 1;
                    }
                    rows
                }
            };
            if rows != checkpoint.written {
                return Err(damaged(format!(
                    "{} holds {rows} rows where {} were written",
                    target.partial.display(),
                    checkpoint.written
                )));
            }
        }
        (None, Some(parts)) if matches!(args.format, Format::Parquet | Format::FocusParquet) => {
            let mut rows = 0u64;
            for index in 0..parts {
                let part = part_path(&target.parts, index);
                rows += parquet_file_rows(&part).map_err(|e| damaged(e.to_string()))?;
            }
            if rows != checkpoint.written {
                return Err(damaged(format!(
                    "the parts in {} hold {rows} rows where {} were written",
                    target.parts.display(),
                    checkpoint.written
                )));
            }
        }
        _ => return Err(damaged("the checkpoint is for another format".into())),
    }
    Ok(())
}

/// Fetches the last row the checkpoint read and compares it, whole, with its fingerprint.
async fn check_last_row<O>(
    client: &Client,
    request: &O::Body,
    checkpoint: &Checkpoint,
) -> Result<(), Failure>
where
    O: PagedRows<Error = types::ErrorResponse>,
    O::Body: Validate,
{
    let (Some(expected), Some(at)) = (checkpoint.last_row, checkpoint.rows.checked_sub(1)) else {
        return Ok(());
    };
    let one = O::with_window(request, 1, at).map_err(Failure::Usage)?;
    let mut rows = client.paginate::<Raw<O>, _>(one, PageOptions::default().page_size(1));
    let row = match rows.next().await {
        Some(row) => row?,
        None => {
            return Err(Failure::Usage(format!(
                "--resume: the report has no row {at} any more: the report changed since the \
                 export started; start again without --resume"
            )));
        }
    };
    if row.fingerprint() != expected {
        return Err(Failure::Usage(format!(
            "--resume: row {at} is not what it was: the report changed since the export started; \
             start again without --resume"
        )));
    }
    Ok(())
}

/// A paged report (any operation with `x-gcore-pagination`), streamed as `P` (its rows' text, or
/// their default columns): count it, then stream from where the output stands, checkpointing as it
/// goes.
async fn export_paged<O, P, C>(
    args: &ExportArgs,
    target: Option<&Target>,
    body: &serde_json::Value,
    connected: &Connected,
    request: O::Body,
    mut converter: C,
) -> Result<(), Failure>
where
    O: PagedRows<Error = types::ErrorResponse>,
    O::Body: Validate + Serialize,
    P: PagedOperation<Body = O::Body, Error = types::ErrorResponse>,
    P::Item: ReceivedRow,
    C: RowCells<P::Item>,
{
    let client = &connected.client;
    let columns = converter.columns().to_vec();
    let export = serde_json::to_string(&json!({
        "report": args.report, "request": body, "format": args.format,
        "columns": columns.iter().map(|c| c.name).collect::<Vec<_>>(), "raw_cells": args.raw_cells,
        "rows": converter.identity(),
    }))
    .map_err(|e| Failure::Usage(e.to_string()))?;
    let resume_at = match (target, args.resume) {
        (Some(t), true) => Some(read_checkpoint(&t.checkpoint, &export, connected)?),
        _ => None,
    };
    if let (Some(t), Some(checkpoint)) = (target, &resume_at) {
        check_partial(args, t, checkpoint)?;
    }
    let (count, price_status) = first_page::<O>(client, &request).await?;
    if let Some(status @ ("hide" | "error")) = price_status.as_deref() {
        if args.format.is_focus() && !args.allow_unpriced {
            return Err(Failure::Remote(format!(
                "the report's price_status is {status}: its costs are {} prices, and a FOCUS file \
                 would present them as billed costs. Rerun with --allow-unpriced to export them \
                 anyway, each row marked in x_PriceStatus",
                if status == "hide" {
                    "hidden, not"
                } else {
                    "not valid"
                }
            )));
        }
        converter.set_price_status(status);
    }
    if let Some(checkpoint) = &resume_at {
        if checkpoint.count != count {
            return Err(Failure::Remote(format!(
                "the report now has {count} rows, not the {} it had when the export began: its \
                 rows may have moved, so export again without --resume",
                checkpoint.count
            )));
        }
        check_last_row::<O>(client, &request, checkpoint).await?;
    }
    warn_price_status(price_status.as_deref(), count);
    let mut sink = open_sink(args, target, &columns, resume_at.as_ref())?;
    let mut left_out = match args.format.is_focus() {
        true => Some(LeftOut::open(target, resume_at.as_ref())?),
        false => None,
    };
    let mut written = resume_at.as_ref().map_or(0, |c| c.written);
    // Rows of the report read so far: those written plus those left out.
    let mut consumed = resume_at.as_ref().map_or(0, |c| c.rows);
    let mut last_row = resume_at.as_ref().and_then(|c| c.last_row);
    // Rows read as of the last checkpoint saved.
    let mut saved = consumed;
    let checkpoint_now = |durable: Durable,
                          consumed: u64,
                          written: u64,
                          last_row: Option<u64>,
                          left_out: &mut Option<LeftOut>|
     -> Result<(), Failure> {
        let Some(t) = target else {
            return Ok(());
        };
        let (bytes, parts) = match durable {
            Durable::Bytes(b) => (Some(b), None),
            Durable::Parts(p) => (None, Some(p)),
            Durable::Nothing => return Ok(()),
        };
        let left_out_bytes = left_out.as_mut().map_or(Ok(0), LeftOut::checkpoint)?;
        write_checkpoint(
            &t.checkpoint,
            &Checkpoint {
                export: export.clone(),
                base_url: client.base_url().to_string(),
                key_sha256: connected.key_fingerprint.clone(),
                count,
                rows: consumed,
                written,
                partial: t.partial.clone(),
                bytes,
                parts,
                left_out_bytes,
                last_row,
            },
        )
    };
    // A checkpoint from the start: a run that fails before the first periodic one can resume too.
    if target.is_some() {
        let durable = sink.checkpoint().map_err(|e| sink_failure(consumed, e))?;
        checkpoint_now(durable, consumed, written, last_row, &mut left_out)?;
    }
    let bar = progress(args.quiet, args.sync_label.as_deref(), count, consumed);
    let options = PageOptions::default()
        .page_size(args.page_size)
        .concurrency(args.concurrency);
    let start = O::with_window(&request, args.page_size, consumed).map_err(Failure::Usage)?;
    let mut stream = client.paginate::<P, _>(start, options);
    let mut cells: Vec<Cell> = Vec::with_capacity(columns.len());
    let mut since_checkpoint = 0u64;
    let mut last_checkpoint = std::time::Instant::now();
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let stop: Option<Failure> = loop {
        let item = tokio::select! {
            biased;
            _ = &mut ctrl_c => break Some(Failure::Interrupted("interrupted".into())),
            item = stream.next() => item,
        };
        let row = match item {
            None => break None,
            Some(Err(error)) => break Some(Failure::from(error)),
            Some(Ok(row)) => row,
        };
        let mut part_closed = false;
        match converter.fill(&row, &mut cells) {
            Ok(Outcome::Row) => match sink.write(&cells) {
                Ok(closed) => {
                    written += 1;
                    part_closed = closed;
                }
                Err(e) => break Some(sink_failure(consumed, e)),
            },
            Ok(Outcome::LeftOut(reason)) => match &mut left_out {
                Some(list) => {
                    if let Err(failure) = list.write(consumed, &reason, row.text()) {
                        break Some(failure);
                    }
                }
                None => break Some(Failure::Data(format!("row {consumed}: {reason}"))),
            },
            Err(e) => break Some(Failure::Data(format!("row {consumed}: {e}"))),
        }
        consumed += 1;
        last_row = Some(row.fingerprint());
        since_checkpoint += 1;
        bar.inc(1);
        // Text: at most once a second, so that a resume refetches at most a second's rows.
        // Parquet: whenever a part is closed.
        let due = part_closed
            || (since_checkpoint >= args.page_size
                && last_checkpoint.elapsed() >= std::time::Duration::from_secs(1)
                && !matches!(args.format, Format::Parquet | Format::FocusParquet));
        if due && target.is_some() {
            let durable = match sink.checkpoint() {
                Ok(durable) => durable,
                Err(e) => break Some(sink_failure(consumed, e)),
            };
            if let Err(failure) =
                checkpoint_now(durable, consumed, written, last_row, &mut left_out)
            {
                break Some(failure);
            }
            saved = consumed;
            since_checkpoint = 0;
            last_checkpoint = std::time::Instant::now();
        }
    };
    bar.finish_and_clear();
    if stop.is_none() && consumed != count {
        return Err(Failure::Remote(format!(
            "the report has {count} rows but {consumed} arrived"
        )));
    }
    if let Some(failure) = stop {
        if matches!(failure, Failure::ReaderGone) {
            return Err(failure);
        }
        let Some(t) = target else {
            return Err(failure);
        };
        // Whatever is complete is kept for a resume; if even that fails, the last checkpoint
        // stands (the output is cut back to it on resume).
        let saving = sink
            .checkpoint()
            .map_err(|e| sink_failure(consumed, e))
            .and_then(|durable| {
                checkpoint_now(durable, consumed, written, last_row, &mut left_out)
            });
        let done = format!(
            "; {consumed} of {count} rows were read ({written} in {})",
            t.partial.display()
        );
        return Err(match (&failure, saving) {
            (_, Err(also)) => failure.with(&format!(
                "{done}; the checkpoint could not be updated ({}), so the one saved at row \
                 {saved} stands: rerun with --resume to continue from there",
                message_of(&also)
            )),
            // The same rows would fail again: a resume cannot help.
            (Failure::Data(_), Ok(())) => failure.with(&format!(
                "{done}; this value cannot be written in {:?} format, so a rerun would stop here \
                 again",
                args.format
            )),
            (_, Ok(())) => failure.with(&format!("{done}; rerun with --resume to continue")),
        });
    }
    sink.finish().map_err(|e| sink_failure(consumed, e))?;
    if let Some(t) = target {
        t.publish()?;
    }
    if let Some(list) = left_out {
        list.finish(args.quiet, args.sync_label.is_some())?;
    }
    if let Some(t) = target {
        let _ = std::fs::remove_file(&t.checkpoint);
    }
    if !args.quiet && args.sync_label.is_none() {
        eprintln!("wrote {written} rows to {}", args.output);
    }
    Ok(())
}

fn message_of(failure: &Failure) -> String {
    match failure {
        Failure::Usage(m)
        | Failure::Remote(m)
        | Failure::Data(m)
        | Failure::Local(m)
        | Failure::Interrupted(m) => m.clone(),
        Failure::Client(c) => c.message().to_string(),
        Failure::ReaderGone => "stdout was closed".into(),
    }
}

/// The name of `--other-fields`' column.
pub const OTHER_FIELDS: &str = "other_fields";

/// The row writer of a native export: these columns, and with `--other-fields` one more.
fn row_writer(args: &ExportArgs, columns: &[Column]) -> Result<RowWriter, Failure> {
    if args.other_fields {
        RowWriter::with_other_fields(columns, OTHER_FIELDS)
            .map_err(|e| Failure::Usage(format!("--other-fields: {e}")))
    } else {
        Ok(RowWriter::new(columns))
    }
}

fn columns_of<R: Columns>(wide: bool) -> &'static [Column] {
    if wide {
        R::ALL_COLUMNS
    } else {
        R::COMMON_COLUMNS
    }
}

/// A report that comes in one answer.
fn export_all<R: Columns + Serialize>(
    args: &ExportArgs,
    target: Option<&Target>,
    rows: Vec<R>,
) -> Result<(), Failure> {
    let mut writer = row_writer(args, columns_of::<R>(args.wide))?;
    let columns = writer.columns().to_vec();
    let mut sink = open_sink(args, target, &columns, None)?;
    let mut cells = Vec::with_capacity(columns.len());
    for (i, row) in rows.iter().enumerate() {
        let offset = u64::try_from(i).unwrap_or(u64::MAX);
        writer
            .fill(row, &mut cells)
            .map_err(|e| Failure::Data(format!("row {i}: {e}")))?;
        sink.write(&cells).map_err(|e| sink_failure(offset, e))?;
    }
    sink.finish().map_err(|e| sink_failure(0, e))?;
    if let Some(t) = target {
        t.publish()?;
    }
    if !args.quiet && args.sync_label.is_none() {
        eprintln!("wrote {} rows to {}", rows.len(), args.output);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_rate_is_whole_rows_per_second() {
        assert_eq!(super::rate_text(30_945.437_9), "30945 rows/s");
        assert_eq!(super::rate_text(0.4), "0 rows/s");
        assert_eq!(super::rate_text(f64::NAN), "- rows/s");
    }

    use super::*;

    #[test]
    fn times_are_rfc_3339_or_dates() {
        assert_eq!(
            parse_time("2024-08-01").map(|t| t.to_rfc3339()),
            Ok("2024-08-01T00:00:00+00:00".into())
        );
        assert_eq!(
            parse_time("2024-08-01T10:00:00+02:00").map(|t| t.to_rfc3339()),
            Ok("2024-08-01T08:00:00+00:00".into())
        );
        assert!(parse_time("August").is_err());
    }

    #[test]
    fn last_month_is_a_whole_calendar_month() {
        let (from, to) = last_month();
        assert_eq!((from.day(), to.day()), (1, 1));
        assert!(from < to && to - from <= chrono::Duration::days(31));
    }
}

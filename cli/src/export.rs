//! `gcore-billing export`: a report's rows into CSV, JSON lines or Parquet, resumable.
//!
//! Rows come typed from the client and are turned into cells by their spec-given columns
//! ([`gcore_billing::columns`]); no `serde_json::Value` is built on the row path.
//!
//! Resuming: the paged reports (detailed, usage) keep a checkpoint next to the output,
//! `PATH.checkpoint`, written every page for CSV and JSON lines and whenever an export stops early. It
//! records what was asked (so a resume cannot mix two different exports), the report's row count, the
//! rows written and, for text formats, the file length that holds exactly them. `--resume` cuts the
//! file back to that length (or, for Parquet, copies its rows into a new file), checks that the report
//! still has the same count, and fetches from the next row on. The finished file holds every row once.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use clap::{Args, ValueEnum};
use futures::StreamExt;
use gcore_billing::columns::{Cell, Column, Columns, RowWriter};
use gcore_billing::paged;
use gcore_billing::pagination::{Common, PagedOperation, PagedRows, Raw, RawRow};
use gcore_billing::validate::Validate;
use gcore_billing::{Client, PageOptions, types};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::focus::{FocusRows, Outcome};
use crate::sinks::{Counting, CsvSink, JsonLinesSink, ParquetSink, Sink, open_text};
use crate::{Connection, Failure, connect, progress_wanted};

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
    #[arg(long)]
    month: Option<String>,
    /// File format.
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Where to write: a path, or - for stdout.
    #[arg(long, short, default_value = "-")]
    output: String,
    /// Pages in flight at once after the first.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Rows per request.
    #[arg(long, default_value_t = 1000)]
    page_size: u64,
    /// Only these resource types (comma-separated).
    #[arg(long, value_delimiter = ',')]
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
}

/// RFC 3339, or a plain date taken as 00:00 UTC.
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
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

/// What a checkpoint remembers.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    /// What was asked: report, request, format and columns, as JSON text.
    export: String,
    /// Rows in the report when the export began.
    count: u64,
    /// Rows written to the output.
    rows: u64,
    /// Length of the output file that holds exactly those rows (CSV and JSON lines).
    bytes: Option<u64>,
    /// Rows in the output file (fewer than `rows` when some were left out).
    written: u64,
    /// Length of the left-out rows' file.
    left_out_bytes: u64,
}

fn checkpoint_path(output: &Path) -> PathBuf {
    PathBuf::from(format!("{}.checkpoint", output.display()))
}

fn write_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), String> {
    let text = serde_json::to_string_pretty(checkpoint).map_err(|e| e.to_string())?;
    let temporary = PathBuf::from(format!("{}.tmp", path.display()));
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("cannot write the checkpoint {}: {e}", path.display()))
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
        body.insert("time_from".into(), json!(from));
        body.insert("time_to".into(), json!(to));
        if !args.projects.is_empty() {
            body.insert("projects".into(), json!(args.projects));
        }
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

fn typed<T: serde::de::DeserializeOwned>(
    body: &serde_json::Value,
    report: Report,
) -> Result<T, Failure> {
    serde_json::from_value(body.clone()).map_err(|e| {
        Failure::Usage(format!(
            "invalid {} report request: {e}",
            format!("{report:?}").to_lowercase()
        ))
    })
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
    if args.wide {
        return Err(Failure::Usage(
            "--wide does not apply to FOCUS: x_Details already keeps every field no FOCUS column takes"
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
    if args.page_size == 0 || args.concurrency == 0 {
        return Err(Failure::Usage(
            "--page-size and --concurrency must be at least 1".into(),
        ));
    }
    let output = (args.output != "-").then(|| PathBuf::from(&args.output));
    if args.resume && output.is_none() {
        return Err(Failure::Usage(
            "--resume needs --output PATH (stdout cannot be resumed)".into(),
        ));
    }
    let body = request_body(&args)?;
    let focus = match args.format.is_focus() {
        true => Some(focus_rows(&args, connection)?),
        false => None,
    };
    let (client, _server) = connect(connection).await?;
    let output = output.as_deref();
    match args.report {
        Report::Detailed => {
            let request: types::CostReportDetailedRequest = typed(&body, args.report)?;
            match focus {
                Some(focus) => {
                    export_paged::<Raw<paged::DetailedCostReport>, _>(
                        &args, output, &body, &client, request, focus,
                    )
                    .await
                }
                None => {
                    export_rows::<paged::DetailedCostReport>(&args, output, &body, &client, request)
                        .await
                }
            }
        }
        Report::Usage => {
            let request: types::UsageReportRequest = typed(&body, args.report)?;
            export_rows::<paged::UsageReport>(&args, output, &body, &client, request).await
        }
        Report::Aggregated => {
            let request: types::CostReportAggregatedRequest = typed(&body, args.report)?;
            let report = client.aggregated_cost_report(request).await?;
            export_all(&args, output, report.results)
        }
        Report::Monthly => {
            let request: types::CostReportMonthlyRequest = typed(&body, args.report)?;
            let report = client.monthly_reservation_cost_report(request).await?;
            export_all(&args, output, report.results)
        }
    }
}

/// A paged report's rows as columns: every field of every type with `--wide` (the typed rows), else
/// the fields every type has, parsed in one pass ([`Common`]).
async fn export_rows<O>(
    args: &ExportArgs,
    output: Option<&Path>,
    body: &serde_json::Value,
    client: &Client,
    request: O::Body,
) -> Result<(), Failure>
where
    O: PagedRows<Error = types::ErrorResponse>,
    O::Body: Validate,
    O::Item: Columns + Serialize,
    O::CommonItem: Columns + Serialize,
{
    if args.wide {
        let cells = RowWriter::new(O::Item::ALL_COLUMNS);
        export_paged::<O, _>(args, output, body, client, request, cells).await
    } else {
        let cells = RowWriter::new(O::CommonItem::COMMON_COLUMNS);
        export_paged::<Common<O>, _>(args, output, body, client, request, cells).await
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
}

/// Where rows that the output format cannot hold are listed, one JSON object per line:
/// `PATH.left-out.jsonl` next to the output, or stderr when the output is stdout.
struct LeftOut {
    out: Counting<Box<dyn std::io::Write + Send>>,
    path: Option<PathBuf>,
    count: u64,
}

impl LeftOut {
    fn path_for(output: &Path) -> PathBuf {
        PathBuf::from(format!("{}.left-out.jsonl", output.display()))
    }

    fn open(output: Option<&Path>, resume_at: Option<&Checkpoint>) -> Result<Self, Failure> {
        let path = output.map(Self::path_for);
        let (out, start): (Box<dyn std::io::Write + Send>, u64) = match &path {
            None => (Box::new(std::io::stderr()), 0),
            Some(path) => open_text(Some(path), resume_at.map(|c| c.left_out_bytes))
                .map_err(Failure::Usage)?,
        };
        Ok(Self {
            out: Counting::new(out, start),
            path,
            count: resume_at.map_or(0, |c| c.rows - c.written),
        })
    }

    fn write<T: Serialize>(&mut self, offset: u64, reason: &str, row: &T) -> Result<(), Failure> {
        let line = json!({"offset": offset, "reason": reason, "row": row});
        serde_json::to_writer(&mut self.out, &line)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                std::io::Write::write_all(&mut self.out, b"\n").map_err(|e| e.to_string())
            })
            .map_err(|e| Failure::Remote(format!("listing a left-out row: {e}")))?;
        self.count += 1;
        Ok(())
    }

    /// Flushes, and returns the length of the list.
    fn checkpoint(&mut self) -> Result<u64, Failure> {
        std::io::Write::flush(&mut self.out)
            .map_err(|e| Failure::Remote(format!("listing a left-out row: {e}")))?;
        Ok(self.out.count())
    }

    /// At the end of an export: the list is removed when empty, and a non-empty one is announced.
    fn finish(mut self, quiet: bool) -> Result<(), Failure> {
        self.checkpoint()?;
        match (&self.path, self.count) {
            (Some(path), 0) => {
                let _ = std::fs::remove_file(path);
            }
            (Some(path), n) => eprintln!(
                "warning: {n} rows could not be written in this format (FOCUS forbids a null cost); \
                 they are listed, with the reason, in {}",
                path.display()
            ),
            (None, n) if n > 0 && !quiet => eprintln!(
                "warning: {n} rows could not be written in this format; they are listed above"
            ),
            (None, _) => {}
        }
        Ok(())
    }
}

fn columns_of<R: Columns>(wide: bool) -> &'static [Column] {
    if wide {
        R::ALL_COLUMNS
    } else {
        R::COMMON_COLUMNS
    }
}

/// Opens the output for a fresh export, or (resuming) at the checkpoint; returns the sink and the
/// rows already in it.
fn open_sink(
    args: &ExportArgs,
    output: Option<&Path>,
    columns: &[Column],
    resume_at: Option<&Checkpoint>,
) -> Result<(Box<dyn Sink>, u64), Failure> {
    let usage = Failure::Usage;
    match args.format {
        Format::Csv | Format::Jsonl | Format::FocusCsv => {
            let keep = resume_at.map(|c| c.bytes.unwrap_or(0));
            let (out, start) = open_text(output, keep).map_err(usage)?;
            let sink: Box<dyn Sink> = match args.format {
                Format::Csv | Format::FocusCsv => Box::new(
                    CsvSink::new(out, start, columns, resume_at.is_none(), args.raw_cells)
                        .map_err(Failure::Remote)?,
                ),
                _ => Box::new(JsonLinesSink::new(out, start, columns)),
            };
            Ok((sink, resume_at.map_or(0, |c| c.written)))
        }
        Format::Parquet | Format::FocusParquet => {
            let (sink, rows) =
                ParquetSink::new(output, columns, resume_at.is_some()).map_err(usage)?;
            if let Some(checkpoint) = resume_at
                && rows != checkpoint.written
            {
                return Err(Failure::Usage(format!(
                    "the Parquet file holds {rows} rows but the checkpoint says {}: export again without --resume",
                    checkpoint.written
                )));
            }
            Ok((Box::new(sink), rows))
        }
    }
}

fn progress(quiet: bool, total: u64, done: u64) -> ProgressBar {
    if !progress_wanted(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    bar.set_position(done);
    bar
}

/// A paged report (any operation with `x-gcore-pagination`): count it, then stream from where the
/// output stands, checkpointing as it goes.
async fn export_paged<O, C>(
    args: &ExportArgs,
    output: Option<&Path>,
    body: &serde_json::Value,
    client: &Client,
    request: O::Body,
    mut converter: C,
) -> Result<(), Failure>
where
    O: PagedOperation<Error = types::ErrorResponse>,
    O::Body: Validate,
    O::Item: Serialize,
    C: RowCells<O::Item>,
{
    let columns = converter.columns().to_vec();
    let export = serde_json::to_string(&json!({
        "report": args.report, "request": body, "format": args.format,
        "columns": columns.iter().map(|c| c.name).collect::<Vec<_>>(), "raw_cells": args.raw_cells,
        "rows": converter.identity(),
    }))
    .map_err(|e| Failure::Remote(e.to_string()))?;
    let checkpoint_file = output.map(checkpoint_path);
    let resume_at = match (&checkpoint_file, args.resume) {
        (Some(path), true) => Some(read_checkpoint(path, &export)?),
        _ => None,
    };
    let count = client.count::<O, _>(request.clone()).await?;
    if let Some(checkpoint) = &resume_at
        && checkpoint.count != count
    {
        return Err(Failure::Remote(format!(
            "the report now has {count} rows, not the {} it had when the export began: its rows may \
             have moved, so export again without --resume",
            checkpoint.count
        )));
    }
    let (mut sink, mut written) = open_sink(args, output, &columns, resume_at.as_ref())?;
    let mut left_out = match args.format.is_focus() {
        true => Some(LeftOut::open(output, resume_at.as_ref())?),
        false => None,
    };
    // Rows of the report read so far: those written plus those left out.
    let mut consumed = resume_at.as_ref().map_or(written, |c| c.rows);
    let bar = progress(args.quiet, count, consumed);
    let options = PageOptions::default()
        .page_size(args.page_size)
        .concurrency(args.concurrency);
    let start = O::with_window(&request, args.page_size, consumed).map_err(Failure::Usage)?;
    let mut stream = client.paginate::<O, _>(start, options);
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
        match item {
            None => break None,
            Some(Err(error)) => break Some(Failure::from(error)),
            Some(Ok(row)) => {
                match converter.fill(&row, &mut cells) {
                    Ok(Outcome::Row) => {
                        if let Err(e) = sink.write(&cells) {
                            break Some(Failure::Remote(format!("row {consumed}: {e}")));
                        }
                        written += 1;
                    }
                    Ok(Outcome::LeftOut(reason)) => match &mut left_out {
                        Some(list) => list.write(consumed, &reason, &row)?,
                        None => {
                            break Some(Failure::Remote(format!("row {consumed}: {reason}")));
                        }
                    },
                    Err(e) => break Some(Failure::Remote(format!("row {consumed}: {e}"))),
                }
                consumed += 1;
                since_checkpoint += 1;
                bar.inc(1);
                // At most once a second: a resume then refetches at most a second's rows.
                if since_checkpoint >= args.page_size
                    && last_checkpoint.elapsed() >= std::time::Duration::from_secs(1)
                    && let Some(path) = &checkpoint_file
                    && let Some(bytes) = sink.checkpoint().map_err(Failure::Remote)?
                {
                    since_checkpoint = 0;
                    last_checkpoint = std::time::Instant::now();
                    let left_out_bytes = left_out.as_mut().map_or(Ok(0), LeftOut::checkpoint)?;
                    write_checkpoint(
                        path,
                        &Checkpoint {
                            export: export.clone(),
                            count,
                            rows: consumed,
                            bytes: Some(bytes),
                            written,
                            left_out_bytes,
                        },
                    )
                    .map_err(Failure::Remote)?;
                }
            }
        }
    };
    bar.finish_and_clear();
    if let Some(failure) = stop {
        let bytes = sink.checkpoint().map_err(Failure::Remote)?;
        sink.finish().map_err(Failure::Remote)?;
        let left_out_bytes = left_out.as_mut().map_or(Ok(0), LeftOut::checkpoint)?;
        let Some(path) = &checkpoint_file else {
            return Err(failure);
        };
        write_checkpoint(
            path,
            &Checkpoint {
                export,
                count,
                rows: consumed,
                bytes,
                written,
                left_out_bytes,
            },
        )
        .map_err(Failure::Remote)?;
        let resume = format!(
            "; {consumed} of {count} rows are done ({written} in {}), rerun with --resume to continue",
            args.output
        );
        return Err(match failure {
            Failure::Usage(m) => Failure::Usage(m + &resume),
            Failure::Remote(m) => Failure::Remote(m + &resume),
            Failure::Interrupted(m) => Failure::Interrupted(m + &resume),
        });
    }
    sink.finish().map_err(Failure::Remote)?;
    if let Some(list) = left_out {
        list.finish(args.quiet)?;
    }
    if let Some(path) = &checkpoint_file {
        let _ = std::fs::remove_file(path);
    }
    if consumed != count {
        return Err(Failure::Remote(format!(
            "the report has {count} rows but {consumed} arrived"
        )));
    }
    if !args.quiet {
        eprintln!("wrote {written} rows to {}", args.output);
    }
    Ok(())
}

/// The checkpoint at `path`, checked to be for this export.
fn read_checkpoint(path: &Path, export: &str) -> Result<Checkpoint, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(format!(
            "--resume: cannot read the checkpoint {}: {e}",
            path.display()
        ))
    })?;
    let checkpoint: Checkpoint = serde_json::from_str(&text).map_err(|e| {
        Failure::Usage(format!(
            "--resume: {} is not a checkpoint: {e}",
            path.display()
        ))
    })?;
    if checkpoint.export != export {
        return Err(Failure::Usage(
            "--resume: the checkpoint is for another export (report, period, filters, format or columns differ)".into(),
        ));
    }
    if checkpoint.written > checkpoint.rows {
        return Err(Failure::Usage(format!(
            "--resume: {} says more rows were written than read",
            path.display()
        )));
    }
    Ok(checkpoint)
}

/// A report that comes in one answer.
fn export_all<R: Columns + Serialize>(
    args: &ExportArgs,
    output: Option<&Path>,
    rows: Vec<R>,
) -> Result<(), Failure> {
    if args.resume {
        return Err(Failure::Usage(
            "--resume is for the paged reports (detailed, usage)".into(),
        ));
    }
    let columns = columns_of::<R>(args.wide);
    let (mut sink, _) = open_sink(args, output, columns, None)?;
    let mut writer = RowWriter::new(columns);
    let mut cells = Vec::with_capacity(columns.len());
    for (i, row) in rows.iter().enumerate() {
        writer
            .fill(row, &mut cells)
            .map_err(|e| e.to_string())
            .and_then(|()| sink.write(&cells))
            .map_err(|e| Failure::Remote(format!("row {i}: {e}")))?;
    }
    sink.finish().map_err(Failure::Remote)?;
    if !args.quiet {
        eprintln!("wrote {} rows to {}", rows.len(), args.output);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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

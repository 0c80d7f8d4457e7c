//! `gcore-billing sync <DESTINATION>`: keeps datasets of the cost reports current, for one account
//! or several, on disk or in PostgreSQL ([`crate::postgres`]). A dataset is one report (detailed,
//! usage, aggregated) in its native columns, or the detailed report as FOCUS rows ([`Dataset`]).
//! On disk it is one Parquet file per dataset, account and calendar month, Hive-partitioned as
//! DuckDB, Polars, pandas and Spark read it:
//!
//! ```text
//! DESTINATION/report=<dataset>/account=<name>/month=YYYY-MM/part-0.parquet
//! DESTINATION/report=focus/account=<name>/month=YYYY-MM/_left-out.jsonl   rows FOCUS cannot hold
//! DESTINATION/_manifest.json     what was fetched, when, how many rows, cost per currency
//! DESTINATION/.sync.lock         held while a sync runs
//! DESTINATION/.staging/          months being exported (partial files), renamed into place when done
//! ```
//!
//! Each month is exported with `export`'s machinery (checks, retries, the partial file renamed into
//! place only when complete) into a staging folder, then put in place in one step (a rename, or
//! one PostgreSQL transaction), so a sync that fails or is interrupted leaves every partition
//! either as it was or complete, never half-written; the record of what the destination holds (the
//! manifest, rewritten to a temporary name then renamed, or the state table) is updated with each
//! month. What to fetch comes from that record: a month it does not list is added; a month fetched
//! before its end plus the look-back window (Gcore revises the costs of recent days), or written
//! with other columns by an earlier version, is fetched again and replaced; the others are left
//! alone. Running it twice, or again after a failure, never duplicates or loses a row: a partition
//! is one month, replaced whole. Accounts (`--accounts`) run side by side, at most `--jobs` at
//! once; one that fails does not stop the others.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use clap::{Args, Parser};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::export::ExportArgs;
use crate::{Connection, Failure};

/// What a sync keeps, one dataset per report: its partitions' `report=` name, its PostgreSQL
/// table, its columns and what its summary sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dataset {
    /// The detailed cost report, the export's default columns and `other_fields`.
    Detailed,
    /// The usage report, likewise.
    Usage,
    /// The aggregated cost report (costs summed per type and region), likewise.
    Aggregated,
    /// The detailed cost report as FOCUS 1.0 rows (`--format focus`).
    Focus,
}

impl Dataset {
    /// Its `report=` partition name (and the suffix of its PostgreSQL table).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dataset::Detailed => "detailed",
            Dataset::Usage => "usage",
            Dataset::Aggregated => "aggregated",
            Dataset::Focus => "focus",
        }
    }

    /// The columns of its files, as `export` writes them (from the spec for the native reports).
    pub(crate) fn columns(self) -> Vec<gcore_billing::columns::Column> {
        use gcore_billing::columns::{Column, ColumnKind, Columns};
        let native = |columns: &[Column]| {
            let mut all = columns.to_vec();
            all.push(Column {
                name: crate::export::OTHER_FIELDS,
                kind: ColumnKind::Json,
            });
            all
        };
        match self {
            Dataset::Detailed => native(gcore_billing::types::CostReportResource::COMMON_COLUMNS),
            Dataset::Usage => native(gcore_billing::types::UsageReportResource::COMMON_COLUMNS),
            Dataset::Aggregated => native(gcore_billing::types::CostReportTotal::COMMON_COLUMNS),
            Dataset::Focus => crate::focus::COLUMNS.to_vec(),
        }
    }

    /// The columns of cost and currency its summary sums, when it has them.
    fn cost_columns(self) -> Option<(&'static str, &'static str)> {
        match self {
            Dataset::Detailed | Dataset::Aggregated => Some(("cost", "currency")),
            Dataset::Focus => Some(("BilledCost", "BillingCurrency")),
            Dataset::Usage => None,
        }
    }

    /// `export`'s report and format arguments for it.
    fn export_arguments(self) -> [&'static str; 3] {
        match self {
            Dataset::Detailed => ["detailed", "--format", "parquet"],
            Dataset::Usage => ["usage", "--format", "parquet"],
            Dataset::Aggregated => ["aggregated", "--format", "parquet"],
            Dataset::Focus => ["detailed", "--format", "focus-parquet"],
        }
    }
}

/// `--reports`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReportName {
    /// The detailed cost report (one row per resource).
    Detailed,
    /// The usage report (one row per resource).
    Usage,
    /// The aggregated cost report (costs per type and region).
    Aggregated,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum DatasetFormat {
    /// The report's own columns (the export's default columns, and `other_fields`).
    Native,
    /// FOCUS 1.0 columns (the detailed report only).
    Focus,
}

/// The datasets of `--reports` and `--format`.
fn datasets(reports: &[ReportName], format: DatasetFormat) -> Result<Vec<Dataset>, Failure> {
    let mut datasets = Vec::new();
    for report in reports {
        datasets.push(match (report, format) {
            (ReportName::Detailed, DatasetFormat::Native) => Dataset::Detailed,
            (ReportName::Detailed, DatasetFormat::Focus) => Dataset::Focus,
            (ReportName::Usage, DatasetFormat::Native) => Dataset::Usage,
            (ReportName::Aggregated, DatasetFormat::Native) => Dataset::Aggregated,
            (other, DatasetFormat::Focus) => {
                return Err(Failure::Usage(format!(
                    "--format focus is for the detailed report (FOCUS rows are billed costs per \
                     resource); sync the {} report in a run of its own, with native columns",
                    match other {
                        ReportName::Usage => "usage",
                        _ => "aggregated",
                    }
                )));
            }
        });
    }
    datasets.sort();
    datasets.dedup();
    Ok(datasets)
}

/// Keep a dataset of cost reports current (Parquet files or PostgreSQL).
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Where the dataset lives: a directory path or file://PATH (created if missing), or a
    /// PostgreSQL URL, postgres://USER@HOST:PORT/DATABASE (tables created on the first run).
    destination: String,
    /// First day to keep (a date or RFC 3339; backfills month by month from there). Default: the
    /// start of the month that was current --lookback days ago.
    #[arg(long, value_parser = crate::export::parse_time)]
    from: Option<DateTime<Utc>>,
    /// End of the data (exclusive). Default: the start of tomorrow (UTC), so today counts.
    #[arg(long, value_parser = crate::export::parse_time)]
    to: Option<DateTime<Utc>>,
    /// How long after a month ends Gcore may still revise it: a month fetched earlier than its
    /// end plus this is fetched again. Days (3d) or hours (72h).
    #[arg(long, default_value = "3d", value_parser = parse_lookback)]
    lookback: Duration,
    /// The account's name in the dataset (its `account=` partition). Default: the profile's name,
    /// else `default`.
    #[arg(long, value_parser = parse_account, conflicts_with = "accounts")]
    account: Option<String>,
    /// Sync several accounts into the dataset: profiles of the config file (comma-separated), or
    /// `all` for every profile. Each profile's name is its `account=` partition; its own key and
    /// base_url come before GCORE_API_KEY and GCORE_BASE_URL. An account that fails is reported
    /// and the others go on.
    #[arg(long, value_delimiter = ',', value_name = "PROFILES")]
    accounts: Vec<String>,
    /// How many accounts are synced at once (with --accounts).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// The reports to keep (comma-separated), each a dataset of its own: `report=<name>` in
    /// files, table `gcore_billing_<name>` in PostgreSQL.
    #[arg(long, value_delimiter = ',', value_enum, default_value = "detailed")]
    reports: Vec<ReportName>,
    /// The columns: the report's own, or FOCUS 1.0 (detailed report only; its dataset is
    /// `report=focus`, table `gcore_billing_focus`).
    #[arg(long, value_enum, default_value = "native")]
    format: DatasetFormat,
    /// FOCUS BillingAccountId, the Gcore account billed (with --format focus). With --accounts,
    /// each profile's `billing_account_id` is used instead.
    #[arg(long, env = "GCORE_BILLING_ACCOUNT_ID", value_name = "ID")]
    billing_account_id: Option<String>,
    /// With --format focus: go on when the server says prices are hidden or failed, marking
    /// the rows in x_PriceStatus (as `export --allow-unpriced`).
    #[arg(long)]
    allow_unpriced: bool,
    /// PostgreSQL over TLS: a PEM file of the certificate authorities to trust besides the
    /// platform's (a managed database's CA).
    #[arg(long, env = "PGSSLROOTCERT", value_name = "PATH")]
    pg_ca_file: Option<PathBuf>,
    /// Print what would be fetched and replaced, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Costs at the server's full precision (the report's `rounding: false`).
    #[arg(long)]
    no_rounding: bool,
    /// No progress bar and no per-month lines (the summary is still printed).
    #[arg(long, short)]
    quiet: bool,
}

/// `--lookback`: `3d`, `72h` or a number of days.
fn parse_lookback(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a look-back (e.g. 3d or 72h)"))?;
    match unit {
        "" | "d" => Ok(Duration::days(number.min(3650))),
        "h" => Ok(Duration::hours(number.min(87_600))),
        other => Err(format!("{text:?}: unknown unit {other:?} (use d or h)")),
    }
}

/// `--account`: a name that is safe as one path segment.
fn parse_account(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !text.starts_with('.');
    ok.then(|| text.to_string())
        .ok_or_else(|| format!("{text:?}: use 1 to 64 letters, digits, '-', '_' or '.'"))
}

/// The dataset's record of what it holds, `_manifest.json`.
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
pub(crate) struct Manifest {
    /// The layout's version, for readers and later versions of this command.
    version: u32,
    /// By partition path (`report=detailed/account=a/month=2024-08`).
    pub(crate) partitions: BTreeMap<String, Partition>,
}

impl Manifest {
    /// An empty manifest of this layout version.
    pub(crate) fn new() -> Self {
        Manifest {
            version: LAYOUT_VERSION,
            partitions: BTreeMap::new(),
        }
    }
}

/// One partition: a month of one account's detailed report.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub(crate) struct Partition {
    pub(crate) report: String,
    pub(crate) account: String,
    pub(crate) month: String,
    /// The period the file holds: [from, to).
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) rows: u64,
    /// Sum of `cost` per currency, as decimal text.
    pub(crate) cost: BTreeMap<String, String>,
    pub(crate) fetched_at: DateTime<Utc>,
    /// The spec version the client was generated from.
    pub(crate) spec_version: String,
    /// The columns' layout it was written with ([`PARTITION_LAYOUT`]); 1 when the record
    /// predates the field.
    #[serde(default = "first_layout")]
    pub(crate) layout: u32,
    /// Rows of the report that the format could not hold (FOCUS: a row without a price), each
    /// kept with its reason in the partition's `_left-out.jsonl` (or the left-out table).
    #[serde(default)]
    pub(crate) left_out: u64,
}

/// The layout of the partitions this version writes: 2 added `other_fields` to the native
/// columns. A partition of an earlier layout is fetched again, so that a dataset's files share
/// one schema.
pub(crate) const PARTITION_LAYOUT: u32 = 2;

fn first_layout() -> u32 {
    1
}

impl Partition {
    /// Its path in the file dataset, and its key in the manifest:
    /// `report=detailed/account=a/month=2024-08`.
    pub(crate) fn key(&self) -> String {
        partition_key(&self.report, &self.account, &self.month)
    }
}

fn partition_key(report: &str, account: &str, month: &str) -> String {
    format!("report={report}/account={account}/month={month}")
}

const MANIFEST: &str = "_manifest.json";
/// In a partition's folder: the rows its file could not hold, as `export` lists them. The `_`
/// keeps it out of what Spark, Hive and pyarrow read as the table.
pub(crate) const LEFT_OUT: &str = "_left-out.jsonl";
const LOCK: &str = ".sync.lock";
/// Where months are exported before they are renamed into their partition.
const STAGING: &str = ".staging";
const LAYOUT_VERSION: u32 = 1;

/// What a sync does to one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Add,
    Replace,
    Unchanged,
}

/// One month of the plan.
struct Planned {
    dataset: Dataset,
    month: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    key: String,
    action: Action,
    why: &'static str,
}

/// The first instant of the month holding `at`.
fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(at)
}

/// The first instant of the month after the one starting at `start`.
fn next_month(start: DateTime<Utc>) -> DateTime<Utc> {
    let (year, month) = if start.month() == 12 {
        (start.year() + 1, 1)
    } else {
        (start.year(), start.month() + 1)
    };
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or(start + Duration::days(31))
}

/// The months of [from, to), each clipped to the period, and what to do with each.
fn plan(
    manifest: &Manifest,
    dataset: Dataset,
    account: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    lookback: Duration,
    now: DateTime<Utc>,
) -> Vec<Planned> {
    let mut months = Vec::new();
    let mut start = month_start(from);
    while start < to {
        let end = next_month(start);
        let (period_from, period_to) = (start.max(from), end.min(to));
        let month = format!("{:04}-{:02}", start.year(), start.month());
        let key = partition_key(dataset.name(), account, &month);
        let (action, why) = match manifest.partitions.get(&key) {
            None => (Action::Add, "not in the dataset"),
            Some(p) if p.layout < PARTITION_LAYOUT => (
                Action::Replace,
                "written by an earlier gcore-billing, with other columns",
            ),
            Some(p) if p.from > period_from || p.to < period_to => {
                (Action::Replace, "the dataset holds less of the month")
            }
            Some(p) if p.fetched_at < p.to + lookback && p.fetched_at < now => (
                Action::Replace,
                "fetched within the look-back window: may have been revised",
            ),
            Some(_) => (Action::Unchanged, "final"),
        };
        months.push(Planned {
            dataset,
            month,
            from: period_from,
            to: period_to,
            key,
            action,
            why,
        });
        start = end;
    }
    months
}

/// Where a dataset lives, as the command line names it.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A directory: `PATH` or `file://PATH`.
    Files(PathBuf),
    /// A PostgreSQL database: `postgres://...` or `postgresql://...`.
    Postgres(String),
}

/// The destination's kind from its text; other schemes are refused.
fn target_of(destination: &str) -> Result<Target, Failure> {
    if let Some(path) = destination.strip_prefix("file://") {
        return Ok(Target::Files(PathBuf::from(path)));
    }
    if destination.starts_with("postgres://") || destination.starts_with("postgresql://") {
        return Ok(Target::Postgres(destination.to_string()));
    }
    if let Some((scheme, _)) = destination.split_once("://") {
        return Err(Failure::Usage(format!(
            "sync: {scheme}:// destinations are not supported; give a directory path, \
             file://PATH or postgres://..."
        )));
    }
    if destination.is_empty() {
        return Err(Failure::Usage("sync: the destination is empty".into()));
    }
    Ok(Target::Files(PathBuf::from(destination)))
}

/// An open destination.
enum Destination {
    /// A directory of Parquet files and its manifest; `.sync.lock` held (not in a dry run).
    Files {
        dir: PathBuf,
        manifest: std::sync::Mutex<Manifest>,
        _lock: Option<Lock>,
    },
    /// A PostgreSQL database, its advisory lock held.
    Postgres(crate::postgres::Store),
}

impl Destination {
    /// Opens (and unless `dry_run` creates) the destination, holding its lock.
    async fn open(
        target: Target,
        datasets: &[Dataset],
        dry_run: bool,
        ca_file: Option<&Path>,
    ) -> Result<Destination, Failure> {
        match target {
            Target::Files(dir) => {
                if !dry_run {
                    std::fs::create_dir_all(&dir).map_err(|e| {
                        Failure::Local(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let lock = if dry_run { None } else { Some(lock(&dir)?) };
                let manifest = read_manifest(&dir)?;
                Ok(Destination::Files {
                    dir,
                    manifest: std::sync::Mutex::new(manifest),
                    _lock: lock,
                })
            }
            Target::Postgres(url) => Ok(Destination::Postgres(
                crate::postgres::Store::open(&url, datasets, dry_run, ca_file).await?,
            )),
        }
    }

    /// What the destination holds: the manifest, or the PostgreSQL state table.
    async fn state(&self) -> Result<Manifest, Failure> {
        match self {
            Destination::Files { manifest, .. } => Ok(lock_manifest(manifest).clone()),
            Destination::Postgres(store) => store.state().await,
        }
    }

    /// The summary's name of the destination.
    fn describe(&self) -> String {
        match self {
            Destination::Files { dir, .. } => dir.display().to_string(),
            Destination::Postgres(store) => store.description().to_string(),
        }
    }

    /// A new, empty folder to export the month of `key` into, and the guard that removes it when
    /// it is temporary. Under the dataset's `.staging/` for files (on the same file system, so
    /// that the rename is atomic), else in the system's temporary directory.
    fn staging(&self, key: &str) -> Result<(PathBuf, Option<tempfile::TempDir>), Failure> {
        let local =
            |what: &Path, e: std::io::Error| Failure::Local(format!("{}: {e}", what.display()));
        match self {
            Destination::Files { dir, .. } => {
                let staging = dir.join(STAGING).join(key.replace('/', ","));
                if staging.exists() {
                    std::fs::remove_dir_all(&staging).map_err(|e| local(&staging, e))?;
                }
                std::fs::create_dir_all(&staging).map_err(|e| local(&staging, e))?;
                Ok((staging, None))
            }
            Destination::Postgres(_) => {
                let temporary = tempfile::Builder::new()
                    .prefix("gcore-billing-sync-")
                    .tempdir()
                    .map_err(|e| local(&std::env::temp_dir(), e))?;
                Ok((temporary.path().to_path_buf(), Some(temporary)))
            }
        }
    }

    /// Puts the month's exported file `staged` in place of what the destination held for it, and
    /// records it: a rename and the manifest rewritten, or one PostgreSQL transaction.
    async fn store(
        &self,
        dataset: Dataset,
        partition: Partition,
        staged: &Path,
        left_out: Option<&Path>,
    ) -> Result<(), Failure> {
        match self {
            Destination::Files { dir, manifest, .. } => {
                let local = |what: &Path, e: std::io::Error| {
                    Failure::Local(format!("{}: {e}", what.display()))
                };
                let key = partition.key();
                let folder = dir.join(&key);
                std::fs::create_dir_all(&folder).map_err(|e| local(&folder, e))?;
                let file = folder.join("part-0.parquet");
                // The month's list of left-out rows goes with it; an older one goes.
                let list = folder.join(LEFT_OUT);
                match left_out {
                    Some(staged_list) => {
                        std::fs::rename(staged_list, &list).map_err(|e| local(&list, e))?
                    }
                    None if list.exists() => {
                        std::fs::remove_file(&list).map_err(|e| local(&list, e))?
                    }
                    None => {}
                }
                std::fs::rename(staged, &file).map_err(|e| local(&file, e))?;
                if let Some(parent) = staged.parent() {
                    let _ = std::fs::remove_dir_all(parent);
                }
                let mut manifest = lock_manifest(manifest);
                manifest.partitions.insert(key, partition);
                write_manifest(dir, &manifest)
            }
            Destination::Postgres(store) => {
                store.replace(dataset, &partition, staged, left_out).await
            }
        }
    }

    /// Removes the (then empty) staging folder of a file dataset.
    fn tidy(&self) {
        if let Destination::Files { dir, .. } = self {
            let _ = std::fs::remove_dir(dir.join(STAGING));
        }
    }
}

fn read_manifest(dir: &Path) -> Result<Manifest, Failure> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(Manifest::new());
    }
    let text = crate::read_limited(&path, 64 * 1024 * 1024, "the dataset manifest")?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| Failure::Local(format!("{} is damaged: {e}", path.display())))?;
    if manifest.version != LAYOUT_VERSION {
        return Err(Failure::Local(format!(
            "{} has layout version {}; this gcore-billing writes version {LAYOUT_VERSION}",
            path.display(),
            manifest.version
        )));
    }
    Ok(manifest)
}

/// Writes the manifest to a temporary name and renames it into place.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), Failure> {
    let path = dir.join(MANIFEST);
    let temporary = dir.join(format!("{MANIFEST}.partial"));
    let local = |e: std::io::Error| Failure::Local(format!("writing {}: {e}", path.display()));
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| Failure::Local(format!("writing {}: {e}", path.display())))?;
    std::fs::write(&temporary, text + "\n").map_err(local)?;
    File::open(&temporary)
        .and_then(|f| f.sync_all())
        .map_err(local)?;
    std::fs::rename(&temporary, &path).map_err(local)
}

/// Sum of the cost column (exact, Decimal128) per currency of an exported month of `dataset`
/// (rows without a cost or a currency are left out of the sums; a dataset without costs has none).
fn cost_totals(path: &Path, dataset: Dataset) -> Result<BTreeMap<String, Decimal>, Failure> {
    use arrow_array::{Array, Decimal128Array, StringArray};
    use arrow_schema::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let damaged = |e: String| Failure::Local(format!("reading {} back: {e}", path.display()));
    let mut totals = BTreeMap::new();
    let Some((cost_column, currency_column)) = dataset.cost_columns() else {
        return Ok(totals);
    };
    let file = File::open(path).map_err(|e| damaged(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| damaged(e.to_string()))?;
    for batch in reader {
        let batch = batch.map_err(|e| damaged(e.to_string()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| damaged(format!("no {name} column")))
        };
        let (cost, currency) = (column(cost_column)?, column(currency_column)?);
        let DataType::Decimal128(_, scale) = cost.data_type() else {
            return Err(damaged(format!(
                "{cost_column} is {}, not a decimal",
                cost.data_type()
            )));
        };
        let scale = u32::try_from(*scale).map_err(|_| damaged("negative cost scale".into()))?;
        let cost = cost
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .ok_or_else(|| damaged(format!("{cost_column} is not Decimal128")))?;
        let currency = currency
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| damaged(format!("{currency_column} is not text")))?;
        for i in 0..batch.num_rows() {
            if cost.is_null(i) || currency.is_null(i) {
                continue;
            }
            let value = Decimal::try_from_i128_with_scale(cost.value(i), scale)
                .map_err(|e| damaged(e.to_string()))?;
            add_to(&mut totals, currency.value(i), value)?;
        }
    }
    Ok(totals)
}

/// Adds `value` to the total of `currency`; a total past what a decimal holds (about 7.9e28) is an
/// error, never a panic.
fn add_to(
    totals: &mut BTreeMap<String, Decimal>,
    currency: &str,
    value: Decimal,
) -> Result<(), Failure> {
    let total = totals.entry(currency.to_string()).or_insert(Decimal::ZERO);
    *total = total
        .checked_add(value)
        .ok_or_else(|| Failure::Data(format!("the {currency} cost total overflows a decimal")))?;
    Ok(())
}

/// The export of one month of a dataset into `file`, as `export REPORT --format parquet
/// --other-fields` (or `--format focus-parquet`) would run it. `bar`: a progress bar on a TTY.
fn export_args(
    month: &Planned,
    file: &Path,
    args: &SyncArgs,
    account: &Account,
    demo: bool,
    bar: bool,
) -> Result<ExportArgs, Failure> {
    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        export: ExportArgs,
    }
    let mut argv: Vec<String> = std::iter::once("export")
        .chain(month.dataset.export_arguments())
        .map(String::from)
        .collect();
    if month.dataset == Dataset::Focus {
        match (&account.billing_account_id, demo) {
            (Some(id), _) => argv.extend(["--billing-account-id".into(), id.clone()]),
            (None, true) => {}
            (None, false) => {
                return Err(Failure::Usage(format!(
                    "--format focus needs the Gcore account billed (FOCUS BillingAccountId) of \
                     account {}: {}",
                    account.name,
                    if account.profile.own_key_and_url {
                        "set billing_account_id in its profile"
                    } else {
                        "pass --billing-account-id, set GCORE_BILLING_ACCOUNT_ID or the \
                         profile's billing_account_id"
                    }
                )));
            }
        }
        if args.allow_unpriced {
            argv.push("--allow-unpriced".into());
        }
    } else {
        argv.push("--other-fields".into());
    }
    argv.extend([
        "--from".into(),
        month.from.to_rfc3339(),
        "--to".into(),
        month.to.to_rfc3339(),
        "--output".into(),
        file.to_str()
            .ok_or_else(|| Failure::Usage(format!("{} is not UTF-8", file.display())))?
            .to_string(),
    ]);
    if args.no_rounding {
        argv.push("--no-rounding".into());
    }
    if !bar {
        argv.push("--quiet".into());
    }
    let mut export = Wrap::try_parse_from(argv)
        .map(|w| w.export)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    // Sync says what it did per month itself; the export's own line would name the staging file.
    export.sync_label = Some(format!(
        "{} {} {}",
        month.dataset.name(),
        account.name,
        month.month
    ));
    Ok(export)
}

/// Holds `.sync.lock` (an OS file lock) for the sync; a second sync of the same dataset is refused.
/// The lock is the open file: it is released when this drops (or the process ends).
struct Lock {
    _file: File,
}

fn lock(dir: &Path) -> Result<Lock, Failure> {
    let path = dir.join(LOCK);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::Local(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Lock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::Local(format!(
            "another sync is writing {} (it holds {}); try again when it ends",
            dir.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Failure::Local(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// One account to sync: its partition name and the profile it connects with.
struct Account {
    name: String,
    profile: crate::config::Chosen,
    /// FOCUS BillingAccountId: `--billing-account-id` or the profile's (the profile's only with
    /// `--accounts`).
    billing_account_id: Option<String>,
}

/// The accounts of a sync: the profiles of `--accounts`, else the one account of `--account`,
/// the profile in use, or `default`.
fn accounts(connection: &Connection, args: &SyncArgs) -> Result<Vec<Account>, Failure> {
    if args.accounts.is_empty() {
        let profile = crate::config::choose(connection.profile.as_deref())?;
        let name = match (&args.account, &profile.name) {
            (Some(account), _) => account.clone(),
            (None, Some(name)) => parse_account(name).map_err(|e| {
                Failure::Usage(format!(
                    "the profile's name cannot be an account name: {e}; pass --account"
                ))
            })?,
            (None, None) => "default".to_string(),
        };
        let billing_account_id = args
            .billing_account_id
            .clone()
            .or_else(|| profile.profile.billing_account_id.clone());
        return Ok(vec![Account {
            name,
            profile,
            billing_account_id,
        }]);
    }
    let names = if args.accounts.iter().any(|a| a == "all") {
        let names = crate::config::profile_names()?;
        if names.is_empty() {
            return Err(Failure::Usage(
                "--accounts all: the config file has no profiles".into(),
            ));
        }
        names
    } else {
        let mut names = args.accounts.clone();
        names.sort();
        names.dedup();
        names
    };
    names
        .into_iter()
        .map(|name| {
            parse_account(&name).map_err(|e| {
                Failure::Usage(format!(
                    "--accounts: profile {name:?} cannot be an account name: {e}"
                ))
            })?;
            let mut profile = crate::config::choose(Some(&name))?;
            profile.own_key_and_url = true;
            let billing_account_id = profile.profile.billing_account_id.clone();
            Ok(Account {
                name,
                profile,
                billing_account_id,
            })
        })
        .collect()
}

/// What a sync did, for the summary.
#[derive(Default)]
struct Outcome {
    added: u32,
    replaced: u32,
    unchanged: u32,
    rows: u64,
    /// Rows the format could not hold, kept in left-out lists.
    left_out: u64,
    /// Cost per currency, per dataset.
    totals: BTreeMap<Dataset, BTreeMap<String, Decimal>>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) -> Result<(), Failure> {
        self.added += other.added;
        self.replaced += other.replaced;
        self.unchanged += other.unchanged;
        self.rows = self.rows.saturating_add(other.rows);
        self.left_out = self.left_out.saturating_add(other.left_out);
        for (dataset, totals) in &other.totals {
            self.add_costs(*dataset, totals)?;
        }
        Ok(())
    }

    fn add_costs(
        &mut self,
        dataset: Dataset,
        costs: &BTreeMap<String, Decimal>,
    ) -> Result<(), Failure> {
        let totals = self.totals.entry(dataset).or_default();
        for (currency, sum) in costs {
            add_to(totals, currency, *sum)?;
        }
        Ok(())
    }

    /// The summary's cost: `12.5 EUR, 3 USD`; with several datasets, each named:
    /// `detailed 12.5 EUR; aggregated 12.5 EUR`.
    fn cost_text(&self) -> String {
        let named = self.totals.len() > 1;
        let parts: Vec<String> = self
            .totals
            .iter()
            .map(|(dataset, totals)| {
                let sums: Vec<String> = totals
                    .iter()
                    .map(|(currency, sum)| format!("{} {currency}", sum.normalize()))
                    .collect();
                let sums = if sums.is_empty() {
                    "none".to_string()
                } else {
                    sums.join(", ")
                };
                if named {
                    format!("{} {sums}", dataset.name())
                } else {
                    sums
                }
            })
            .collect();
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join("; ")
        }
    }
}

/// Runs `sync`.
pub async fn run(connection: &Connection, args: SyncArgs) -> Result<(), Failure> {
    let target = target_of(&args.destination)?;
    let datasets = datasets(&args.reports, args.format)?;
    let accounts = accounts(connection, &args)?;
    let now = Utc::now();
    let to = args.to.unwrap_or_else(|| {
        let tomorrow = now.date_naive() + chrono::Days::new(1);
        tomorrow.and_hms_opt(0, 0, 0).map_or(now, |t| t.and_utc())
    });
    let from = args
        .from
        .unwrap_or_else(|| month_start(now - args.lookback));
    if from >= to {
        return Err(Failure::Usage(format!(
            "--to ({to}) must be after --from ({from})"
        )));
    }
    let destination =
        Destination::open(target, &datasets, args.dry_run, args.pg_ca_file.as_deref()).await?;
    let state = destination.state().await?;
    let plans: Vec<(Account, Vec<Planned>)> = accounts
        .into_iter()
        .map(|account| {
            let months = datasets
                .iter()
                .flat_map(|dataset| {
                    plan(
                        &state,
                        *dataset,
                        &account.name,
                        from,
                        to,
                        args.lookback,
                        now,
                    )
                })
                .collect();
            (account, months)
        })
        .collect();
    if args.dry_run {
        let mut text = String::new();
        for m in plans.iter().flat_map(|(_, months)| months) {
            let verb = match m.action {
                Action::Add => "add",
                Action::Replace => "replace",
                Action::Unchanged => "keep",
            };
            text.push_str(&format!(
                "{verb:<8} {}  [{} .. {})  {}\n",
                m.key,
                m.from.format("%Y-%m-%d %H:%M"),
                m.to.format("%Y-%m-%d %H:%M"),
                m.why
            ));
        }
        return crate::print_out(text.trim_end());
    }
    let several = plans.len() > 1;
    let jobs = usize::from(args.jobs);
    // A progress bar per month when one account runs at a time (bars of several would mix).
    let bars = !args.quiet && (!several || jobs == 1);
    let results: Vec<(String, Outcome, Result<(), Failure>)> = {
        use futures::StreamExt as _;
        let (state, args, destination) = (&state, &args, &destination);
        futures::stream::iter(plans)
            .map(|(account, months)| async move {
                let mut outcome = Outcome::default();
                let run = Run {
                    connection,
                    state,
                    destination,
                    args,
                    bars,
                };
                let result = sync_account(&run, &account, &months, &mut outcome).await;
                (account.name, outcome, result)
            })
            .buffer_unordered(jobs)
            .collect()
            .await
    };
    destination.tidy();
    let mut total = Outcome::default();
    let mut failed: Vec<(String, Failure)> = Vec::new();
    // A failed account's months done before the failure count too: they are in the dataset.
    for (account, outcome, result) in results {
        total.merge(outcome)?;
        if let Err(failure) = result {
            failed.push((account, failure));
        }
    }
    failed.sort_by(|a, b| a.0.cmp(&b.0));
    let failures = if failed.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = failed.iter().map(|(name, _)| name.as_str()).collect();
        format!("; {} account(s) failed: {}", failed.len(), names.join(", "))
    };
    eprintln!(
        "sync of {}: {} added, {} replaced, {} unchanged; {} rows{}; cost {}{failures}",
        destination.describe(),
        total.added,
        total.replaced,
        total.unchanged,
        total.rows,
        if total.left_out > 0 {
            format!(
                " ({} more left out, kept in the left-out lists)",
                total.left_out
            )
        } else {
            String::new()
        },
        total.cost_text()
    );
    // Every failure is printed; the last one is returned, and its kind sets the exit code.
    let mut failed = failed.into_iter().peekable();
    while let Some((account, failure)) = failed.next() {
        let failure = if several {
            failure.with(&format!(" (account {account})"))
        } else {
            failure
        };
        if failed.peek().is_none() {
            return Err(failure);
        }
        failure.print(connection.error_format);
    }
    Ok(())
}

/// What every account's sync shares.
struct Run<'a> {
    connection: &'a Connection,
    /// What the destination held when the sync began.
    state: &'a Manifest,
    destination: &'a Destination,
    args: &'a SyncArgs,
    /// A progress bar per month (on a terminal, one account at a time).
    bars: bool,
}

/// Syncs the months of one account, recording each month in the destination as it is done, and
/// in `outcome` what it did.
async fn sync_account(
    run: &Run<'_>,
    account: &Account,
    months: &[Planned],
    outcome: &mut Outcome,
) -> Result<(), Failure> {
    let Run {
        connection,
        state,
        destination,
        args,
        bars,
    } = *run;
    let mut connected = None;
    let spec_version = gcore_billing::spec_version().to_string();
    for month in months {
        if month.action == Action::Unchanged {
            outcome.unchanged += 1;
            if let Some(p) = state.partitions.get(&month.key) {
                outcome.rows = outcome.rows.saturating_add(p.rows);
                outcome.left_out = outcome.left_out.saturating_add(p.left_out);
                let mut costs = BTreeMap::new();
                for (currency, cost) in &p.cost {
                    let cost = cost.parse::<Decimal>().map_err(|e| {
                        Failure::Local(format!(
                            "{}: the recorded {currency} cost of {} is not a decimal: {e}",
                            destination.describe(),
                            month.key
                        ))
                    })?;
                    costs.insert(currency.clone(), cost);
                }
                if month.dataset.cost_columns().is_some() {
                    outcome.add_costs(month.dataset, &costs)?;
                }
            }
            continue;
        }
        if connected.is_none() {
            connected = Some(crate::connect_with(connection, &account.profile).await?);
        }
        // Exported into a staging folder (its partial file and Parquet parts too, which a reader
        // of the dataset must never see), then put in place in one step.
        let (staging, _temporary) = destination.staging(&month.key)?;
        let staged = staging.join("part-0.parquet");
        let fetched_at = Utc::now();
        let export = export_args(month, &staged, args, account, connection.demo, bars)?;
        let keeps = match destination {
            Destination::Files { .. } => "the dataset keeps every month done so far",
            Destination::Postgres(_) => "the database keeps every month done so far",
        };
        crate::export::run_on(connection, connected.as_ref(), export)
            .await
            .map_err(|f| {
                f.with(&format!(
                    " (sync of {}; {keeps}, rerun to go on)",
                    month.key
                ))
            })?;
        let count = crate::sinks::parquet_file_rows(&staged)
            .map_err(|e| Failure::Local(format!("reading {} back: {e}", staged.display())))?;
        let cost = cost_totals(&staged, month.dataset)?;
        let list = crate::export::left_out_list(&staged);
        let left_out = if list.exists() {
            Some(count_lines(&list)?)
        } else {
            None
        };
        let partition = Partition {
            report: month.dataset.name().into(),
            account: account.name.clone(),
            month: month.month.clone(),
            from: month.from,
            to: month.to,
            rows: count,
            cost: cost
                .iter()
                .map(|(c, v)| (c.clone(), v.normalize().to_string()))
                .collect(),
            fetched_at,
            spec_version: spec_version.clone(),
            layout: PARTITION_LAYOUT,
            left_out: left_out.unwrap_or(0),
        };
        destination
            .store(
                month.dataset,
                partition,
                &staged,
                left_out.map(|_| list.as_path()),
            )
            .await?;
        outcome.left_out = outcome.left_out.saturating_add(left_out.unwrap_or(0));
        if month.dataset.cost_columns().is_some() {
            outcome.add_costs(month.dataset, &cost)?;
        }
        outcome.rows = outcome.rows.saturating_add(count);
        match month.action {
            Action::Add => outcome.added += 1,
            _ => outcome.replaced += 1,
        }
        if let Some(n) = left_out {
            eprintln!(
                "warning: {}: {n} rows could not be written as FOCUS (a null cost); they are \
                 kept, with the reason, {}",
                month.key,
                match destination {
                    Destination::Files { .. } => format!("in {}/{LEFT_OUT}", month.key),
                    Destination::Postgres(_) => {
                        format!("in table {}", crate::postgres::LEFT_OUT_TABLE)
                    }
                }
            );
        }
        if !args.quiet {
            eprintln!(
                "{} {} ({count} rows)",
                if month.action == Action::Add {
                    "added"
                } else {
                    "replaced"
                },
                month.key
            );
        }
    }
    Ok(())
}

/// The lines of a left-out list.
fn count_lines(path: &Path) -> Result<u64, Failure> {
    use std::io::BufRead as _;
    let file =
        File::open(path).map_err(|e| Failure::Local(format!("reading {}: {e}", path.display())))?;
    let mut count = 0u64;
    let mut reader = std::io::BufReader::new(file);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| Failure::Local(format!("reading {}: {e}", path.display())))?;
        if read == 0 {
            return Ok(count);
        }
        count += 1;
    }
}

/// The manifest, also after a thread panicked while holding it (it is rewritten whole each time).
fn lock_manifest(manifest: &std::sync::Mutex<Manifest>) -> std::sync::MutexGuard<'_, Manifest> {
    manifest
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("time")
    }

    fn entry(from: &str, to: &str, fetched: &str) -> Partition {
        Partition {
            report: "detailed".into(),
            account: "a".into(),
            month: from[..7].into(),
            from: at(from),
            to: at(to),
            rows: 1,
            cost: BTreeMap::new(),
            fetched_at: at(fetched),
            spec_version: "1".into(),
            layout: PARTITION_LAYOUT,
            left_out: 0,
        }
    }

    #[test]
    fn months_are_added_replaced_while_revisable_and_kept_when_final() {
        let mut manifest = Manifest::default();
        let key = |m: &str| format!("report=detailed/account=a/month={m}");
        // June fetched long after it ended: final. July fetched one day after its end: revisable.
        manifest.partitions.insert(
            key("2024-06"),
            entry(
                "2024-06-01T00:00:00Z",
                "2024-07-01T00:00:00Z",
                "2024-08-20T00:00:00Z",
            ),
        );
        manifest.partitions.insert(
            key("2024-07"),
            entry(
                "2024-07-01T00:00:00Z",
                "2024-08-01T00:00:00Z",
                "2024-08-02T00:00:00Z",
            ),
        );
        let months = plan(
            &manifest,
            Dataset::Detailed,
            "a",
            at("2024-06-15T00:00:00Z"),
            at("2024-09-01T00:00:00Z"),
            Duration::days(3),
            at("2024-09-10T00:00:00Z"),
        );
        let got: Vec<(&str, Action)> = months
            .iter()
            .map(|m| (m.month.as_str(), m.action))
            .collect();
        assert_eq!(
            got,
            vec![
                // The dataset's June starts on the 1st, more than the 15th asked for: kept.
                ("2024-06", Action::Unchanged),
                ("2024-07", Action::Replace),
                ("2024-08", Action::Add),
            ]
        );
        assert_eq!(months[0].from, at("2024-06-15T00:00:00Z"));
        assert_eq!(months[2].to, at("2024-09-01T00:00:00Z"));
    }

    #[test]
    fn a_month_held_only_in_part_is_replaced() {
        let mut manifest = Manifest::default();
        manifest.partitions.insert(
            "report=detailed/account=a/month=2024-08".into(),
            entry(
                "2024-08-01T00:00:00Z",
                "2024-08-10T00:00:00Z",
                "2024-09-30T00:00:00Z",
            ),
        );
        let months = plan(
            &manifest,
            Dataset::Detailed,
            "a",
            at("2024-08-01T00:00:00Z"),
            at("2024-09-01T00:00:00Z"),
            Duration::days(3),
            at("2024-10-01T00:00:00Z"),
        );
        assert_eq!(months.len(), 1);
        assert_eq!(months[0].action, Action::Replace);
    }

    #[test]
    fn a_partition_of_an_earlier_layout_is_fetched_again() {
        let mut manifest = Manifest::default();
        let mut old = entry(
            "2024-06-01T00:00:00Z",
            "2024-07-01T00:00:00Z",
            "2024-08-20T00:00:00Z",
        );
        // A manifest written before the field existed reads as layout 1.
        let mut json = serde_json::to_value(&old).expect("json");
        json.as_object_mut().expect("object").remove("layout");
        assert_eq!(
            serde_json::from_value::<Partition>(json)
                .expect("partition")
                .layout,
            1
        );
        old.layout = 1;
        manifest
            .partitions
            .insert("report=detailed/account=a/month=2024-06".into(), old);
        let months = plan(
            &manifest,
            Dataset::Detailed,
            "a",
            at("2024-06-01T00:00:00Z"),
            at("2024-07-01T00:00:00Z"),
            Duration::days(3),
            at("2024-10-01T00:00:00Z"),
        );
        assert_eq!(months[0].action, Action::Replace);
        // The same month of another dataset is its own partition.
        let focus = plan(
            &manifest,
            Dataset::Focus,
            "a",
            at("2024-06-01T00:00:00Z"),
            at("2024-07-01T00:00:00Z"),
            Duration::days(3),
            at("2024-10-01T00:00:00Z"),
        );
        assert_eq!(
            (focus[0].action, focus[0].key.as_str()),
            (Action::Add, "report=focus/account=a/month=2024-06")
        );
    }

    #[test]
    fn reports_and_formats_make_datasets() {
        assert_eq!(
            datasets(
                &[ReportName::Usage, ReportName::Detailed, ReportName::Usage],
                DatasetFormat::Native
            )
            .ok(),
            Some(vec![Dataset::Detailed, Dataset::Usage])
        );
        assert_eq!(
            datasets(&[ReportName::Detailed], DatasetFormat::Focus).ok(),
            Some(vec![Dataset::Focus])
        );
        assert!(matches!(
            datasets(&[ReportName::Aggregated], DatasetFormat::Focus),
            Err(Failure::Usage(_))
        ));
    }

    #[test]
    fn lookback_and_account_names_are_checked() {
        assert_eq!(parse_lookback("3d"), Ok(Duration::days(3)));
        assert_eq!(parse_lookback("72h"), Ok(Duration::hours(72)));
        assert_eq!(parse_lookback("5"), Ok(Duration::days(5)));
        assert!(parse_lookback("3w").is_err());
        assert!(parse_account("prod-eu_1").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(parse_account(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(target_of("s3://bucket/x"), Err(Failure::Usage(_))));
        assert_eq!(
            target_of("postgres://db/x").ok(),
            Some(Target::Postgres("postgres://db/x".into()))
        );
        assert_eq!(
            target_of("file:///tmp/x").ok(),
            Some(Target::Files(PathBuf::from("/tmp/x")))
        );
    }
}

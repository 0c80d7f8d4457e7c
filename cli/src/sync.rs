//! `gcore-billing sync <DESTINATION>`: keeps a dataset of the detailed cost report current on disk,
//! one Parquet file per account and calendar month, Hive-partitioned as DuckDB, Polars, pandas and
//! Spark read it:
//!
//! ```text
//! DESTINATION/report=detailed/account=<name>/month=YYYY-MM/part-0.parquet
//! DESTINATION/_manifest.json     what was fetched, when, how many rows, cost per currency
//! DESTINATION/.sync.lock         held while a sync runs
//! DESTINATION/.staging/          months being exported (partial files), renamed into place when done
//! ```
//!
//! Each month is exported with `export`'s machinery (checks, retries, the partial file renamed into
//! place only when complete), so a sync that fails or is interrupted leaves every partition either
//! as it was or complete, never half-written; the manifest is rewritten (to a temporary name, then
//! renamed) after each month. What to fetch comes from the manifest: a month it does not list is
//! added; a month fetched before its end plus the look-back window (Gcore revises the costs of
//! recent days) is fetched again and replaced; the others are left alone. Running it twice, or
//! again after a failure, never duplicates or loses a row: a partition is one month, replaced whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use clap::{Args, Parser};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::export::ExportArgs;
use crate::{Connection, Failure, connect};

/// Keep a Parquet dataset of the detailed cost report current.
#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Where the dataset lives: a directory path or file://PATH (created if missing).
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
    #[arg(long, value_parser = parse_account)]
    account: Option<String>,
    /// Print what would be fetched and replaced, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Costs at the server's full precision (the report's `rounding: false`).
    #[arg(long)]
    no_rounding: bool,
    /// No per-month lines (the summary is still printed).
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
#[derive(Serialize, Deserialize, Debug, Default)]
struct Manifest {
    /// The layout's version, for readers and later versions of this command.
    version: u32,
    /// By partition path (`report=detailed/account=a/month=2024-08`).
    partitions: BTreeMap<String, Partition>,
}

/// One partition: a month of one account's detailed report.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Partition {
    report: String,
    account: String,
    month: String,
    /// The period the file holds: [from, to).
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rows: u64,
    /// Sum of `cost` per currency, as decimal text.
    cost: BTreeMap<String, String>,
    fetched_at: DateTime<Utc>,
    /// The spec version the client was generated from.
    spec_version: String,
}

const MANIFEST: &str = "_manifest.json";
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
        let key = format!("report=detailed/account={account}/month={month}");
        let (action, why) = match manifest.partitions.get(&key) {
            None => (Action::Add, "not in the dataset"),
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

/// The dataset's directory from `file://PATH` or `PATH`; other schemes are refused.
fn destination_dir(destination: &str) -> Result<PathBuf, Failure> {
    if let Some(path) = destination.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = destination.split_once("://") {
        return Err(Failure::Usage(format!(
            "sync: {scheme}:// destinations are not supported yet; give a directory path or \
             file://PATH"
        )));
    }
    if destination.is_empty() {
        return Err(Failure::Usage("sync: the destination is empty".into()));
    }
    Ok(PathBuf::from(destination))
}

fn read_manifest(dir: &Path) -> Result<Manifest, Failure> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(Manifest {
            version: LAYOUT_VERSION,
            ..Manifest::default()
        });
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

/// Sum of the `cost` column (exact, Decimal128) per `currency` of a native Parquet export (rows
/// without a cost or a currency are left out of the sums).
fn cost_totals(path: &Path) -> Result<BTreeMap<String, Decimal>, Failure> {
    use arrow_array::{Array, Decimal128Array, StringArray};
    use arrow_schema::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let damaged = |e: String| Failure::Local(format!("reading {} back: {e}", path.display()));
    let file = File::open(path).map_err(|e| damaged(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| damaged(e.to_string()))?;
    let mut totals = BTreeMap::new();
    for batch in reader {
        let batch = batch.map_err(|e| damaged(e.to_string()))?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| damaged(format!("no {name} column")))
        };
        let (cost, currency) = (column("cost")?, column("currency")?);
        let DataType::Decimal128(_, scale) = cost.data_type() else {
            return Err(damaged(format!(
                "cost is {}, not a decimal",
                cost.data_type()
            )));
        };
        let scale = u32::try_from(*scale).map_err(|_| damaged("negative cost scale".into()))?;
        let cost = cost
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .ok_or_else(|| damaged("cost is not Decimal128".into()))?;
        let currency = currency
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| damaged("currency is not text".into()))?;
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

/// The export of one month into `file`, as `export detailed --format parquet` would run it.
fn export_args(month: &Planned, file: &Path, args: &SyncArgs) -> Result<ExportArgs, Failure> {
    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        export: ExportArgs,
    }
    let mut argv = vec![
        "export".to_string(),
        "detailed".into(),
        "--format".into(),
        "parquet".into(),
        "--from".into(),
        month.from.to_rfc3339(),
        "--to".into(),
        month.to.to_rfc3339(),
        "--output".into(),
        file.to_str()
            .ok_or_else(|| Failure::Usage(format!("{} is not UTF-8", file.display())))?
            .to_string(),
    ];
    if args.no_rounding {
        argv.push("--no-rounding".into());
    }
    // Sync says what it did per month itself; the export's own line would name the staging file.
    argv.push("--quiet".into());
    Wrap::try_parse_from(argv)
        .map(|w| w.export)
        .map_err(|e| Failure::Usage(e.to_string()))
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

/// Runs `sync`.
pub async fn run(connection: &Connection, args: SyncArgs) -> Result<(), Failure> {
    let dir = destination_dir(&args.destination)?;
    let profile = crate::config::choose(connection.profile.as_deref())?;
    let account = match (&args.account, &profile.name) {
        (Some(account), _) => account.clone(),
        (None, Some(name)) => parse_account(name).map_err(|e| {
            Failure::Usage(format!(
                "the profile's name cannot be an account name: {e}; pass --account"
            ))
        })?,
        (None, None) => "default".to_string(),
    };
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
    if !args.dry_run {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::Local(format!("cannot create {}: {e}", dir.display())))?;
    }
    let _lock = if args.dry_run {
        None
    } else {
        Some(lock(&dir)?)
    };
    let mut manifest = read_manifest(&dir)?;
    let months = plan(&manifest, &account, from, to, args.lookback, now);
    if args.dry_run {
        let mut text = String::new();
        for m in &months {
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
    let connected = connect(connection).await?;
    let spec_version = gcore_billing::spec_version().to_string();
    let (mut added, mut replaced, mut unchanged, mut rows) = (0u32, 0u32, 0u32, 0u64);
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for month in &months {
        if month.action == Action::Unchanged {
            unchanged += 1;
            if let Some(p) = manifest.partitions.get(&month.key) {
                rows = rows.saturating_add(p.rows);
                for (currency, cost) in &p.cost {
                    let cost = cost.parse::<Decimal>().map_err(|e| {
                        Failure::Local(format!(
                            "{}: the {currency} cost of {} is not a decimal: {e}",
                            dir.join(MANIFEST).display(),
                            month.key
                        ))
                    })?;
                    add_to(&mut totals, currency, cost)?;
                }
            }
            continue;
        }
        // Exported under .staging/ (its partial file and Parquet parts too, which a reader globbing
        // the partitions must never see), then renamed over the partition's file in one step.
        let staging = dir.join(STAGING).join(month.key.replace('/', ","));
        let local =
            |what: &Path, e: std::io::Error| Failure::Local(format!("{}: {e}", what.display()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| local(&staging, e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| local(&staging, e))?;
        let staged = staging.join("part-0.parquet");
        let fetched_at = Utc::now();
        let export = export_args(month, &staged, &args)?;
        crate::export::run_on(connection, Some(&connected), export)
            .await
            .map_err(|f| {
                f.with(&format!(
                    " (sync of {}; the dataset keeps every month done so far, rerun to go on)",
                    month.key
                ))
            })?;
        let count = crate::sinks::parquet_file_rows(&staged)
            .map_err(|e| Failure::Local(format!("reading {} back: {e}", staged.display())))?;
        let cost = cost_totals(&staged)?;
        let folder = dir.join(&month.key);
        std::fs::create_dir_all(&folder).map_err(|e| local(&folder, e))?;
        let file = folder.join("part-0.parquet");
        std::fs::rename(&staged, &file).map_err(|e| local(&file, e))?;
        let _ = std::fs::remove_dir_all(&staging);
        for (currency, sum) in &cost {
            add_to(&mut totals, currency, *sum)?;
        }
        rows = rows.saturating_add(count);
        manifest.partitions.insert(
            month.key.clone(),
            Partition {
                report: "detailed".into(),
                account: account.clone(),
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
            },
        );
        write_manifest(&dir, &manifest)?;
        match month.action {
            Action::Add => added += 1,
            _ => replaced += 1,
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
    let costs: Vec<String> = totals
        .iter()
        .map(|(currency, sum)| format!("{} {currency}", sum.normalize()))
        .collect();
    eprintln!(
        "sync of {}: {added} added, {replaced} replaced, {unchanged} unchanged; {rows} rows; cost {}",
        dir.display(),
        if costs.is_empty() {
            "none".to_string()
        } else {
            costs.join(", ")
        }
    );
    Ok(())
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
    fn lookback_and_account_names_are_checked() {
        assert_eq!(parse_lookback("3d"), Ok(Duration::days(3)));
        assert_eq!(parse_lookback("72h"), Ok(Duration::hours(72)));
        assert_eq!(parse_lookback("5"), Ok(Duration::days(5)));
        assert!(parse_lookback("3w").is_err());
        assert!(parse_account("prod-eu_1").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "a b"] {
            assert!(parse_account(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            destination_dir("postgres://db/x"),
            Err(Failure::Usage(_))
        ));
        assert_eq!(
            destination_dir("file:///tmp/x").ok(),
            Some(PathBuf::from("/tmp/x"))
        );
    }
}

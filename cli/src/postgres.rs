//! `gcore-billing sync postgres://...`: the datasets in PostgreSQL. A table per dataset and a state
//! table, created on the first run (in the connection's default schema, `public` unless the URL's
//! `options` set a search path):
//!
//! - `gcore_billing_<dataset>` (`detailed`, `usage`, `aggregated`, `focus`): the report's rows,
//!   with the `account` and `month` of the sync and the columns of the dataset's files (made from
//!   the spec, so a new column in a later version is added with `ALTER TABLE ... ADD COLUMN IF NOT
//!   EXISTS`): money and quantities `numeric` (exact), times `timestamptz`, IDs `bigint`, tags and
//!   `other_fields` (every field no column takes) `jsonb`.
//! - `gcore_billing_sync_state`: what the tables hold per (report, account, month): the period,
//!   rows, cost per currency, when it was fetched, the spec version and the columns' layout; the
//!   file dataset's manifest.
//!
//! Each month is replaced inside one transaction: its rows are deleted, the new ones loaded with
//! `COPY ... FROM STDIN (FORMAT csv)` and its state row written, then committed, so a reader sees
//! the old month or the new one, never a mix, and a sync killed at any point leaves the old month.
//! A session advisory lock keeps two syncs off the same database at once.

use std::path::Path;

use arrow_array::{
    Array, BooleanArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, TimeUnit};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::SinkExt as _;
use gcore_billing::columns::{Column, ColumnKind};
use tokio_postgres::config::SslMode;

use crate::Failure;
use crate::sync::{Dataset, Manifest, Partition};

/// The rows a dataset's format could not hold (FOCUS: rows without a price), with the reason.
pub const LEFT_OUT_TABLE: &str = "gcore_billing_left_out";
/// The sync's state table.
pub const STATE_TABLE: &str = "gcore_billing_sync_state";
/// The advisory lock a sync holds for its session ("gcorebil" in ASCII).
const LOCK_KEY: i64 = 0x6763_6f72_6562_696c;
/// Bytes of CSV sent to COPY in one message.
const CHUNK: usize = 1 << 20;

/// A dataset's table.
pub fn table_of(dataset: Dataset) -> String {
    format!("gcore_billing_{}", dataset.name())
}

/// The PostgreSQL type of a column kind.
fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Text => "text",
        ColumnKind::Integer => "bigint",
        ColumnKind::Number => "double precision",
        ColumnKind::Boolean => "boolean",
        ColumnKind::Timestamp => "timestamptz",
        ColumnKind::Json => "jsonb",
        ColumnKind::Decimal => "numeric",
    }
}

/// An identifier, double-quoted (column names come from the spec).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A dataset's table DDL, as the first sync runs it (the README shows the detailed one).
pub fn table_ddl(dataset: Dataset) -> String {
    let table = table_of(dataset);
    let mut text = format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n    \"account\" text NOT NULL,\n    \"month\" text NOT NULL"
    );
    for column in dataset.columns() {
        text.push_str(&format!(
            ",\n    {} {}",
            quoted(column.name),
            sql_type(column.kind)
        ));
    }
    text.push_str(&format!(
        "\n);\nCREATE INDEX IF NOT EXISTS {table}_partition ON {table} (\"account\", \"month\");\n"
    ));
    text
}

/// The state table's DDL (the README shows it).
pub fn state_ddl() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (\n    \
         report text NOT NULL,\n    account text NOT NULL,\n    month text NOT NULL,\n    \
         period_from timestamptz NOT NULL,\n    period_to timestamptz NOT NULL,\n    \
         rows bigint NOT NULL,\n    cost jsonb NOT NULL,\n    fetched_at timestamptz NOT NULL,\n    \
         spec_version text NOT NULL,\n    layout integer NOT NULL DEFAULT 1,\n    \
         left_out bigint NOT NULL DEFAULT 0,\n    PRIMARY KEY (report, account, month)\n);\n\
         CREATE TABLE IF NOT EXISTS {LEFT_OUT_TABLE} (\n    report text NOT NULL,\n    \
         account text NOT NULL,\n    month text NOT NULL,\n    \"offset\" bigint,\n    \
         reason text,\n    row jsonb\n);\n"
    )
}

/// A connection to the destination database, holding the sync's advisory lock.
pub struct Store {
    client: tokio::sync::Mutex<tokio_postgres::Client>,
    /// `database NAME on HOST:PORT`, for messages (never the password).
    description: String,
}

/// What a message says of the database: its name, host and port (never the user or password).
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "PostgreSQL database {} on {host}:{port}",
        config.get_dbname().unwrap_or("(the user's)")
    )
}

/// Waits for the connection to end, and logs why it did.
async fn log_end<F: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(
    connection: F,
) {
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "the PostgreSQL connection ended");
    }
}

/// Whether a connection failed on the server's certificate.
fn is_certificate_error(error: &tokio_postgres::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|tls| matches!(tls, rustls::Error::InvalidCertificate(_)))
        {
            return true;
        }
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// TLS to PostgreSQL: rustls with the *ring* provider, the server's certificate checked against
/// the platform's roots (rustls-platform-verifier, as the API client does) and the certificates of
/// `ca_file` (PEM), for servers with a private CA (managed databases usually have one).
fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, Failure> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = Vec::new();
    if let Some(path) = ca_file {
        let text = crate::read_limited(path, 4 * 1024 * 1024, "the PostgreSQL CA file")?;
        roots = CertificateDer::pem_slice_iter(text.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                Failure::Usage(format!("{}: not PEM certificates: {e}", path.display()))
            })?;
        if roots.is_empty() {
            return Err(Failure::Usage(format!(
                "{}: holds no certificate",
                path.display()
            )));
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone()).map_err(
            |e| Failure::Local(format!("cannot load the platform's root certificates: {e}")),
        )?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Local(format!("TLS set-up: {e}")))?
        .dangerous() // a custom verifier: the platform's, which does verify
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth())
}

/// A PostgreSQL error with what was being done; the server's own message when it sent one.
fn failed(what: &str, error: &tokio_postgres::Error) -> Failure {
    let detail = error
        .as_db_error()
        .map(|db| format!("{} ({})", db.message(), db.code().code()))
        .unwrap_or_else(|| {
            // The causes too: "error performing TLS handshake: invalid peer certificate: ...".
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        });
    Failure::Remote(format!("PostgreSQL: {what}: {detail}"))
}

impl Store {
    /// Connects to `url`, takes the advisory lock, and (unless `dry_run`) creates the tables and
    /// any column they lack.
    pub async fn open(
        url: &str,
        datasets: &[Dataset],
        dry_run: bool,
        ca_file: Option<&Path>,
    ) -> Result<Store, Failure> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Failure::Usage(format!("sync: the PostgreSQL URL is not valid: {e}")))?;
        let description = describe(&config);
        let client = match config.get_ssl_mode() {
            SslMode::Disable => {
                let (client, connection) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| failed(&format!("cannot connect to {description}"), &e))?;
                tokio::spawn(log_end(connection));
                client
            }
            // `prefer` (the default) and `require`: TLS when the server offers it (`require`:
            // only then), its certificate always verified, unlike libpq's `require`.
            _ => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(ca_file)?);
                let (client, connection) = config.connect(tls).await.map_err(|e| {
                    let mut failure = failed(&format!("cannot connect to {description}"), &e);
                    if is_certificate_error(&e) {
                        failure = failure.with(
                            "; its TLS certificate is not trusted: give its CA with --pg-ca-file \
                             (or PGSSLROOTCERT), or on a trusted network sslmode=disable",
                        );
                    }
                    failure
                })?;
                tokio::spawn(log_end(connection));
                client
            }
        };
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .await
            .map_err(|e| failed("taking the sync lock", &e))?
            .get(0);
        if !locked {
            return Err(Failure::Local(format!(
                "another sync is writing {description} (it holds the advisory lock {LOCK_KEY}); \
                 try again when it ends"
            )));
        }
        if !dry_run {
            // The state table of a first version lacks `layout`: its months are fetched again.
            let state = format!(
                "{}ALTER TABLE {STATE_TABLE} ADD COLUMN IF NOT EXISTS layout integer NOT NULL \
                 DEFAULT 1; ALTER TABLE {STATE_TABLE} ADD COLUMN IF NOT EXISTS left_out bigint \
                 NOT NULL DEFAULT 0;",
                state_ddl()
            );
            client
                .batch_execute(&state)
                .await
                .map_err(|e| failed("creating the state table", &e))?;
            for dataset in datasets {
                let table = table_of(*dataset);
                client
                    .batch_execute(&table_ddl(*dataset))
                    .await
                    .map_err(|e| failed(&format!("creating table {table}"), &e))?;
                // Columns added to the spec since the table was created.
                for column in dataset.columns() {
                    let statement = format!(
                        "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} {}",
                        quoted(column.name),
                        sql_type(column.kind)
                    );
                    client.batch_execute(&statement).await.map_err(|e| {
                        failed(&format!("adding column {} to {table}", column.name), &e)
                    })?;
                }
            }
        }
        Ok(Store {
            client: tokio::sync::Mutex::new(client),
            description,
        })
    }

    /// `PostgreSQL database NAME on HOST:PORT`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The state table as a manifest (empty when the table does not exist yet: a dry run).
    pub async fn state(&self) -> Result<Manifest, Failure> {
        let client = self.client.lock().await;
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&STATE_TABLE])
            .await
            .map_err(|e| failed("reading the sync state", &e))?
            .get(0);
        let mut manifest = Manifest::new();
        if !exists {
            return Ok(manifest);
        }
        let rows = client
            .query(
                &format!(
                    // `layout` through JSON: a dry run may read a first version's table.
                    "SELECT report, account, month, period_from, period_to, rows, cost, \
                     fetched_at, spec_version, (to_jsonb(s) ->> 'layout')::integer, \
                     (to_jsonb(s) ->> 'left_out')::bigint FROM {STATE_TABLE} s"
                ),
                &[],
            )
            .await
            .map_err(|e| failed("reading the sync state", &e))?;
        for row in rows {
            let cost: serde_json::Value = row.get(6);
            let cost = cost
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let rows: i64 = row.get(5);
            let layout: Option<i32> = row.get(9);
            let left_out: Option<i64> = row.get(10);
            let partition = Partition {
                report: row.get(0),
                account: row.get(1),
                month: row.get(2),
                from: row.get(3),
                to: row.get(4),
                rows: u64::try_from(rows).unwrap_or(0),
                cost,
                fetched_at: row.get(7),
                spec_version: row.get(8),
                layout: layout.and_then(|l| u32::try_from(l).ok()).unwrap_or(1),
                left_out: left_out.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            };
            manifest.partitions.insert(partition.key(), partition);
        }
        Ok(manifest)
    }

    /// Replaces the partition's month with the rows of the Parquet file `staged`, in one
    /// transaction with its state row. The number of rows loaded must equal `partition.rows`.
    pub async fn replace(
        &self,
        dataset: Dataset,
        partition: &Partition,
        staged: &Path,
        left_out: Option<&Path>,
    ) -> Result<(), Failure> {
        let mut client = self.client.lock().await;
        let key = partition.key();
        let table = table_of(dataset);
        let expected = dataset.columns();
        let what = |step: &str| format!("{step} {key}");
        let transaction = client
            .transaction()
            .await
            .map_err(|e| failed(&what("starting the replacement of"), &e))?;
        transaction
            .execute(
                &format!("DELETE FROM {table} WHERE account = $1 AND month = $2"),
                &[&partition.account, &partition.month],
            )
            .await
            .map_err(|e| failed(&what("deleting the old rows of"), &e))?;
        let columns: Vec<String> = ["account", "month"]
            .into_iter()
            .chain(expected.iter().map(|c| c.name))
            .map(quoted)
            .collect();
        let copy = format!(
            "COPY {table} ({}) FROM STDIN (FORMAT csv)",
            columns.join(", ")
        );
        let sink = transaction
            .copy_in::<_, Bytes>(&copy)
            .await
            .map_err(|e| failed(&what("loading"), &e))?;
        futures::pin_mut!(sink);
        let prefix = format!(
            "{},{},",
            csv_text(&partition.account),
            csv_text(&partition.month)
        );
        let mut buffer = String::with_capacity(CHUNK + 4096);
        for batch in read_batches(staged)? {
            let batch = batch?;
            append_csv(&batch, &expected, &prefix, &mut buffer)
                .map_err(|e| Failure::Local(format!("reading {} back: {e}", staged.display())))?;
            if buffer.len() >= CHUNK {
                let chunk = Bytes::from(std::mem::take(&mut buffer));
                sink.send(chunk)
                    .await
                    .map_err(|e| failed(&what("loading"), &e))?;
            }
        }
        if !buffer.is_empty() {
            sink.send(Bytes::from(buffer))
                .await
                .map_err(|e| failed(&what("loading"), &e))?;
        }
        let loaded = sink
            .as_mut()
            .finish()
            .await
            .map_err(|e| failed(&what("loading"), &e))?;
        if loaded != partition.rows {
            return Err(Failure::Local(format!(
                "{key}: loaded {loaded} rows into PostgreSQL, but the month has {}; nothing \
                 was changed",
                partition.rows
            )));
        }
        let cost = serde_json::Value::Object(
            partition
                .cost
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        );
        transaction
            .execute(
                &format!(
                    "DELETE FROM {LEFT_OUT_TABLE} WHERE report = $1 AND account = $2 AND month = $3"
                ),
                &[&partition.report, &partition.account, &partition.month],
            )
            .await
            .map_err(|e| failed(&what("deleting the left-out rows of"), &e))?;
        if let Some(list) = left_out {
            let listed = copy_left_out(&transaction, partition, list).await?;
            if listed != partition.left_out {
                return Err(Failure::Local(format!(
                    "{key}: loaded {listed} left-out rows into PostgreSQL, but the month has {}; \
                     nothing was changed",
                    partition.left_out
                )));
            }
        }
        let rows = i64::try_from(partition.rows).unwrap_or(i64::MAX);
        let layout = i32::try_from(partition.layout).unwrap_or(i32::MAX);
        let left_out = i64::try_from(partition.left_out).unwrap_or(i64::MAX);
        transaction
            .execute(
                &format!(
                    "INSERT INTO {STATE_TABLE} (report, account, month, period_from, period_to, \
                     rows, cost, fetched_at, spec_version, layout, left_out) VALUES ($1, $2, $3, \
                     $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (report, account, month) DO \
                     UPDATE SET period_from = EXCLUDED.period_from, period_to = \
                     EXCLUDED.period_to, rows = EXCLUDED.rows, cost = EXCLUDED.cost, fetched_at = \
                     EXCLUDED.fetched_at, spec_version = EXCLUDED.spec_version, layout = \
                     EXCLUDED.layout, left_out = EXCLUDED.left_out"
                ),
                &[
                    &partition.report,
                    &partition.account,
                    &partition.month,
                    &partition.from,
                    &partition.to,
                    &rows,
                    &cost,
                    &partition.fetched_at,
                    &partition.spec_version,
                    &layout,
                    &left_out,
                ],
            )
            .await
            .map_err(|e| failed(&what("recording the state of"), &e))?;
        transaction
            .commit()
            .await
            .map_err(|e| failed(&what("committing"), &e))
    }
}

/// Loads the left-out list `list` (JSON lines of `offset`, `row` and `reason`, as `export`
/// writes it) into the left-out table; returns how many rows it loaded.
async fn copy_left_out(
    transaction: &tokio_postgres::Transaction<'_>,
    partition: &Partition,
    list: &Path,
) -> Result<u64, Failure> {
    use std::io::BufRead as _;
    let key = partition.key();
    let damaged = |e: String| Failure::Local(format!("reading {}: {e}", list.display()));
    let sink = transaction
        .copy_in::<_, Bytes>(&format!(
            "COPY {LEFT_OUT_TABLE} (report, account, month, \"offset\", reason, row) FROM STDIN \
             (FORMAT csv)"
        ))
        .await
        .map_err(|e| failed(&format!("loading the left-out rows of {key}"), &e))?;
    futures::pin_mut!(sink);
    let prefix = format!(
        "{},{},{},",
        csv_text(&partition.report),
        csv_text(&partition.account),
        csv_text(&partition.month)
    );
    let reader =
        std::io::BufReader::new(std::fs::File::open(list).map_err(|e| damaged(e.to_string()))?);
    let mut buffer = String::new();
    for line in reader.lines() {
        let line = line.map_err(|e| damaged(e.to_string()))?;
        /// A line of the list; the row as the server sent it, digit for digit.
        #[derive(serde::Deserialize)]
        struct Entry<'a> {
            offset: Option<u64>,
            reason: Option<String>,
            #[serde(borrow)]
            row: Option<&'a serde_json::value::RawValue>,
        }
        let entry: Entry<'_> = serde_json::from_str(&line).map_err(|e| damaged(e.to_string()))?;
        buffer.push_str(&prefix);
        if let Some(offset) = entry.offset {
            buffer.push_str(&offset.to_string());
        }
        buffer.push(',');
        if let Some(reason) = &entry.reason {
            buffer.push_str(&csv_text(reason));
        }
        buffer.push(',');
        if let Some(row) = entry.row {
            buffer.push_str(&csv_text(row.get()));
        }
        buffer.push('\n');
        if buffer.len() >= CHUNK {
            sink.send(Bytes::from(std::mem::take(&mut buffer)))
                .await
                .map_err(|e| failed(&format!("loading the left-out rows of {key}"), &e))?;
        }
    }
    if !buffer.is_empty() {
        sink.send(Bytes::from(buffer))
            .await
            .map_err(|e| failed(&format!("loading the left-out rows of {key}"), &e))?;
    }
    sink.as_mut()
        .finish()
        .await
        .map_err(|e| failed(&format!("loading the left-out rows of {key}"), &e))
}

/// The record batches of a Parquet file written by `export`.
fn read_batches(
    path: &Path,
) -> Result<impl Iterator<Item = Result<RecordBatch, Failure>> + use<>, Failure> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let damaged = |e: String| Failure::Local(format!("reading {} back: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| damaged(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| damaged(e.to_string()))?;
    let path = path.to_path_buf();
    Ok(reader.map(move |batch| {
        batch.map_err(|e| Failure::Local(format!("reading {} back: {e}", path.display())))
    }))
}

/// A text value as one CSV field: always quoted, so an empty string stays an empty string (an
/// unquoted empty field is NULL to COPY).
fn csv_text(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// An exact decimal's text from its unscaled value and scale (`12345`, 3 → `12.345`).
fn decimal_text(unscaled: i128, scale: i8) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let Ok(scale) = usize::try_from(scale) else {
        // A negative scale multiplies by a power of ten.
        return format!(
            "{sign}{digits}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        );
    };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// Appends the rows of `batch` to `out` as CSV lines, each starting with `prefix` (the account
/// and month fields). The batch's columns must be `expected`, the table's, in its order.
fn append_csv(
    batch: &RecordBatch,
    expected: &[Column],
    prefix: &str,
    out: &mut String,
) -> Result<(), String> {
    use std::fmt::Write as _;
    let schema = batch.schema();
    if schema.fields().len() != expected.len()
        || schema
            .fields()
            .iter()
            .zip(expected)
            .any(|(f, c)| f.name() != c.name)
    {
        return Err(format!(
            "its columns ({}) are not the sync's ({})",
            schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", "),
            expected
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for row in 0..batch.num_rows() {
        out.push_str(prefix);
        for (i, column) in batch.columns().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if column.is_null(row) {
                continue;
            }
            let wrong = || format!("column {} has an unexpected type", schema.field(i).name());
            match column.data_type() {
                DataType::Utf8 => {
                    let array = column
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .ok_or_else(wrong)?;
                    out.push_str(&csv_text(array.value(row)));
                }
                DataType::Int64 => {
                    let array = column
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .ok_or_else(wrong)?;
                    let _ = write!(out, "{}", array.value(row));
                }
                DataType::Float64 => {
                    let array = column
                        .as_any()
                        .downcast_ref::<Float64Array>()
                        .ok_or_else(wrong)?;
                    let value = array.value(row);
                    if value.is_nan() {
                        out.push_str("NaN");
                    } else if value.is_infinite() {
                        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
                    } else {
                        let _ = write!(out, "{value}");
                    }
                }
                DataType::Boolean => {
                    let array = column
                        .as_any()
                        .downcast_ref::<BooleanArray>()
                        .ok_or_else(wrong)?;
                    out.push_str(if array.value(row) { "true" } else { "false" });
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    let array = column
                        .as_any()
                        .downcast_ref::<TimestampMicrosecondArray>()
                        .ok_or_else(wrong)?;
                    let at = DateTime::<Utc>::from_timestamp_micros(array.value(row))
                        .ok_or_else(|| format!("{} is out of range", schema.field(i).name()))?;
                    out.push_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
                }
                DataType::Decimal128(_, scale) => {
                    let array = column
                        .as_any()
                        .downcast_ref::<Decimal128Array>()
                        .ok_or_else(wrong)?;
                    out.push_str(&decimal_text(array.value(row), *scale));
                }
                _ => return Err(wrong()),
            }
        }
        out.push('\n');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit() {
        assert_eq!(decimal_text(12_345, 3), "12.345");
        assert_eq!(decimal_text(-5, 3), "-0.005");
        assert_eq!(decimal_text(1_000_000_000_000_000_000, 18), "1");
        assert_eq!(decimal_text(0, 18), "0");
        assert_eq!(decimal_text(7, 0), "7");
        assert_eq!(decimal_text(7, -2), "700");
        assert_eq!(
            decimal_text(i128::MAX, 18),
            "170141183460469231731.687303715884105727"
        );
    }

    #[test]
    fn the_ddl_types_money_as_numeric_and_tags_as_jsonb() {
        let ddl = table_ddl(Dataset::Detailed) + &state_ddl();
        assert!(ddl.contains("\"cost\" numeric"), "{ddl}");
        assert!(ddl.contains("\"billing_value\" numeric"), "{ddl}");
        assert!(ddl.contains("\"tags\" jsonb"), "{ddl}");
        assert!(ddl.contains("\"first_seen\" timestamptz"), "{ddl}");
        assert!(ddl.contains("\"other_fields\" jsonb"), "{ddl}");
        let focus = table_ddl(Dataset::Focus);
        assert!(focus.contains("\"BilledCost\" numeric"), "{focus}");
        assert!(focus.contains("\"x_Details\" jsonb"), "{focus}");
        assert!(
            ddl.contains("PRIMARY KEY (report, account, month)"),
            "{ddl}"
        );
        assert_eq!(csv_text("a\"b"), "\"a\"\"b\"");
        // The README's DDL names every column with the type the sync gives it.
        let readme = include_str!("../../README.md");
        for column in Dataset::Detailed.columns() {
            let declared = format!("{} {}", quoted(column.name), sql_type(column.kind));
            assert!(readme.contains(&declared), "README lacks {declared}");
        }
        assert_eq!(csv_text(""), "\"\"");
    }
}

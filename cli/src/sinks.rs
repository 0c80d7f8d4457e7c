//! Where exported rows go: CSV, JSON lines or Parquet, one column per [`Column`].
//!
//! Nothing is written under the output's own name until the export is whole: every format writes
//! `PATH.partial` and the export renames it onto `PATH` at the end.
//!
//! CSV and JSON lines are written through a byte counter, so that a checkpoint can record how much of
//! the file is complete rows; resuming truncates to that length and appends.
//!
//! A Parquet file is only readable once closed (its footer indexes it), so a Parquet export to a
//! file is written as parts, `PATH.parts/part-NNNNNN.parquet`: each a complete file of at most
//! [`PART_ROWS`] rows, written under a temporary name and renamed once closed. Memory stays bounded by
//! one part; a crash (even `kill -9`) loses at most the part being written, and a resume goes on
//! after the last complete part. At the end the parts are copied, a batch at a time, into
//! `PATH.partial`, which is renamed onto `PATH`.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use gcore_billing::columns::{Cell, Column, ColumnKind};
use gcore_billing::csv_safety::neutralise_formula;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::writer::SerializedFileWriter;
use serde::ser::{SerializeMap, Serializer};

/// Digits of a Parquet decimal column: the most a 128-bit decimal holds.
pub const DECIMAL_PRECISION: u8 = 38;
/// Digits after the point: 10^-18 is far below any currency's minor unit, and 20 digits remain
/// before the point.
pub const DECIMAL_SCALE: i8 = 18;

/// `d` as a Decimal128 at [`DECIMAL_SCALE`], or why it cannot be one exactly.
pub fn decimal128(d: &rust_decimal::Decimal) -> Result<i128, String> {
    let target = u32::try_from(DECIMAL_SCALE).unwrap_or(0);
    let mantissa = d.mantissa();
    let scale = d.scale();
    let value = if scale <= target {
        10i128
            .checked_pow(target - scale)
            .and_then(|factor| mantissa.checked_mul(factor))
    } else {
        // More decimals than the column holds: exact only when the extra digits are zeros.
        10i128
            .checked_pow(scale - target)
            .filter(|factor| mantissa % factor == 0)
            .map(|factor| mantissa / factor)
    };
    value
        .filter(|v| v.unsigned_abs() < 10u128.pow(u32::from(DECIMAL_PRECISION)))
        .ok_or_else(|| {
            format!("{d} does not fit a Decimal128({DECIMAL_PRECISION}, {DECIMAL_SCALE}) exactly")
        })
}

/// How much of an export's output is complete, for a checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durable {
    /// A text file: its length in bytes holds exactly the rows written.
    Bytes(u64),
    /// Parquet parts: this many complete parts hold the rows written.
    Parts(u64),
    /// Nothing can be resumed (stdout).
    Nothing,
}

/// An open export file.
pub trait Sink {
    /// Writes one row, one cell per column. Returns true when the rows so far have just become
    /// durable on their own (a Parquet part was closed), so that a checkpoint can be written.
    fn write(&mut self, cells: &[Cell]) -> Result<bool, SinkError>;
    /// Makes every row written so far durable (flushes text, closes the current Parquet part), and
    /// says how much of the output holds them.
    fn checkpoint(&mut self) -> Result<Durable, SinkError>;
    /// Completes the output: flushes, and for Parquet parts assembles them into the output file.
    fn finish(self: Box<Self>) -> Result<(), SinkError>;
}

/// Counts the bytes that pass through.
pub struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W> Counting<W> {
    /// Counts from `start` (the bytes already in the file).
    pub fn new(inner: W, start: u64) -> Self {
        Self {
            inner,
            count: start,
        }
    }

    /// Bytes so far, `start` included.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count = self
            .count
            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Why a row could not be written.
#[derive(Debug)]
pub enum SinkError {
    /// Reading or writing a file (or stdout) failed: a local failure.
    Io { what: String, error: io::Error },
    /// The row's value does not fit the format (a number too large for its Parquet column): it
    /// would fail again on a rerun.
    Data(String),
}

impl SinkError {
    pub fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |error| SinkError::Io { what, error }
    }

    /// True when the reader of stdout went away (`| head`): not a failure of the export.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, SinkError::Io { error, .. } if error.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkError::Io { what, error } => write!(f, "{what}: {error}"),
            SinkError::Data(message) => f.write_str(message),
        }
    }
}

fn csv_error(error: csv::Error) -> SinkError {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => SinkError::Io {
            what: "writing CSV".into(),
            error,
        },
        other => SinkError::Data(format!("writing CSV: {other:?}")),
    }
}

fn json_error(error: serde_json::Error) -> SinkError {
    match error.io_error_kind() {
        Some(kind) => SinkError::Io {
            what: "writing JSON".into(),
            error: io::Error::new(kind, error.to_string()),
        },
        None => SinkError::Data(format!("writing JSON: {error}")),
    }
}

fn parquet_error(error: impl fmt::Display) -> SinkError {
    SinkError::Io {
        what: "writing Parquet".into(),
        error: io::Error::other(error.to_string()),
    }
}

/// Opens `path` for writing rows: new and empty, or (resuming) cut to `keep` bytes and appended to
/// (the caller has checked that the first `keep` bytes are the rows the checkpoint recorded).
pub fn open_text(
    path: Option<&Path>,
    keep: Option<u64>,
) -> Result<(Box<dyn Write + Send>, u64), SinkError> {
    let Some(path) = path else {
        return Ok((Box::new(BufWriter::new(io::stdout())), 0));
    };
    let what = path.display().to_string();
    let file = match keep {
        None => File::create(path).map_err(SinkError::io(&what))?,
        Some(length) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(SinkError::io(&what))?;
            file.set_len(length).map_err(SinkError::io(&what))?;
            io::Seek::seek(&mut file, io::SeekFrom::End(0)).map_err(SinkError::io(&what))?;
            file
        }
    };
    Ok((Box::new(BufWriter::new(file)), keep.unwrap_or(0)))
}

/// CSV, with a header row, formula-looking text cells neutralised unless `raw` is set.
pub struct CsvSink {
    writer: csv::Writer<Counting<Box<dyn Write + Send>>>,
    raw: bool,
    /// Number formatting buffers, so that a row allocates nothing.
    integers: itoa::Buffer,
    floats: ryu::Buffer,
    decimals: String,
}

impl CsvSink {
    pub fn new(
        out: Box<dyn Write + Send>,
        start: u64,
        columns: &[Column],
        header: bool,
        raw: bool,
    ) -> Result<Self, SinkError> {
        let mut writer = csv::Writer::from_writer(Counting {
            inner: out,
            count: start,
        });
        if header {
            writer
                .write_record(columns.iter().map(|c| c.name))
                .map_err(csv_error)?;
        }
        Ok(Self {
            writer,
            raw,
            integers: itoa::Buffer::new(),
            floats: ryu::Buffer::new(),
            decimals: String::new(),
        })
    }
}

impl Sink for CsvSink {
    fn write(&mut self, cells: &[Cell]) -> Result<bool, SinkError> {
        for cell in cells {
            let field: &str = match cell {
                Cell::Null => "",
                Cell::Text(s) | Cell::Json(s) if self.raw => s,
                Cell::Text(s) | Cell::Json(s) => {
                    let safe = neutralise_formula(s);
                    self.writer
                        .write_field(safe.as_bytes())
                        .map_err(csv_error)?;
                    continue;
                }
                Cell::Bool(true) => "true",
                Cell::Bool(false) => "false",
                Cell::Int(i) => self.integers.format(*i),
                Cell::UInt(u) => self.integers.format(*u),
                // The shortest text that reads back as the same f64 (as serde_json writes JSON).
                Cell::Float(f) if f.is_finite() => self.floats.format_finite(*f),
                Cell::Float(_) => "",
                Cell::Decimal(d) => {
                    use std::fmt::Write as _;
                    self.decimals.clear();
                    let _ = write!(self.decimals, "{d}");
                    &self.decimals
                }
            };
            self.writer
                .write_field(field.as_bytes())
                .map_err(csv_error)?;
        }
        self.writer.write_record(None::<&[u8]>).map_err(csv_error)?;
        Ok(false)
    }

    fn checkpoint(&mut self) -> Result<Durable, SinkError> {
        self.writer.flush().map_err(SinkError::io("writing CSV"))?;
        Ok(Durable::Bytes(self.writer.get_ref().count))
    }

    fn finish(mut self: Box<Self>) -> Result<(), SinkError> {
        self.writer.flush().map_err(SinkError::io("writing CSV"))
    }
}

/// One JSON object per line, keyed by column name.
pub struct JsonLinesSink {
    out: Counting<Box<dyn Write + Send>>,
    columns: Vec<Column>,
}

impl JsonLinesSink {
    pub fn new(out: Box<dyn Write + Send>, start: u64, columns: &[Column]) -> Self {
        Self {
            out: Counting {
                inner: out,
                count: start,
            },
            columns: columns.to_vec(),
        }
    }
}

impl Sink for JsonLinesSink {
    fn write(&mut self, cells: &[Cell]) -> Result<bool, SinkError> {
        let mut serializer = serde_json::Serializer::new(&mut self.out);
        let mut map = serializer
            .serialize_map(Some(cells.len()))
            .map_err(json_error)?;
        for (column, cell) in self.columns.iter().zip(cells) {
            match cell {
                // Nested values stay JSON, not a string holding JSON.
                Cell::Json(text) => {
                    let raw = serde_json::value::RawValue::from_string(text.clone())
                        .map_err(json_error)?;
                    map.serialize_entry(column.name, &raw)
                }
                other => map.serialize_entry(column.name, other),
            }
            .map_err(json_error)?;
        }
        map.end().map_err(json_error)?;
        self.out
            .write_all(b"\n")
            .map_err(SinkError::io("writing JSON"))?;
        Ok(false)
    }

    fn checkpoint(&mut self) -> Result<Durable, SinkError> {
        self.out.flush().map_err(SinkError::io("writing JSON"))?;
        Ok(Durable::Bytes(self.out.count))
    }

    fn finish(mut self: Box<Self>) -> Result<(), SinkError> {
        self.out.flush().map_err(SinkError::io("writing JSON"))
    }
}

/// Rows per Parquet record batch: rows are buffered in Arrow builders up to this many.
const BATCH_ROWS: usize = 8192;

/// Rows per Parquet part (and per row group): what a crash can lose, and what memory holds.
pub const PART_ROWS: usize = 65_536;

/// The Arrow schema of the columns: timestamps as UTC microseconds, numbers as Float64, integers
/// as Int64, booleans, text and nested values (as JSON text) as Utf8. Every column is nullable.
pub fn arrow_schema(columns: &[Column]) -> Schema {
    Schema::new(
        columns
            .iter()
            .map(|c| {
                let data_type = match c.kind {
                    ColumnKind::Text | ColumnKind::Json => DataType::Utf8,
                    ColumnKind::Integer => DataType::Int64,
                    ColumnKind::Number => DataType::Float64,
                    ColumnKind::Boolean => DataType::Boolean,
                    ColumnKind::Timestamp => {
                        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
                    }
                    ColumnKind::Decimal => DataType::Decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
                };
                Field::new(c.name, data_type, true)
            })
            .collect::<Vec<_>>(),
    )
}

/// One cell converted to its column's Arrow type, before anything is appended: a row whose cells do
/// not all convert appends nothing, so the columns never fall out of step.
enum Staged<'a> {
    Null,
    Text(std::borrow::Cow<'a, str>),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    Decimal(i128),
    Micros(i64),
}

/// A cell as its column's type, or why it does not fit (never dropped or changed silently).
fn stage(kind: ColumnKind, cell: &Cell) -> Result<Staged<'_>, String> {
    Ok(match (kind, cell) {
        (_, Cell::Null) => Staged::Null,
        (ColumnKind::Text | ColumnKind::Json, Cell::Text(s) | Cell::Json(s)) => {
            Staged::Text(s.as_str().into())
        }
        (ColumnKind::Text | ColumnKind::Json, other) => Staged::Text(other.to_text()),
        (ColumnKind::Integer, Cell::Int(i)) => Staged::Integer(*i),
        (ColumnKind::Integer, Cell::UInt(u)) => Staged::Integer(
            i64::try_from(*u).map_err(|_| format!("{u} does not fit a 64-bit signed integer"))?,
        ),
        (ColumnKind::Number, Cell::Float(f)) => Staged::Number(*f),
        // An integer in a number column is exact up to 2^53, past any amount billed.
        (ColumnKind::Number, Cell::Int(i)) => Staged::Number(*i as f64),
        (ColumnKind::Boolean, Cell::Bool(v)) => Staged::Boolean(*v),
        (ColumnKind::Decimal, Cell::Decimal(d)) => Staged::Decimal(decimal128(d)?),
        (ColumnKind::Timestamp, Cell::Text(s)) => {
            let at = chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))?;
            Staged::Micros(at.timestamp_micros())
        }
        (kind, other) => {
            return Err(format!(
                "{} does not fit a {kind:?} column",
                other.to_text()
            ));
        }
    })
}

enum Builder {
    Decimal(Decimal128Builder),
    Text(StringBuilder),
    Integer(Int64Builder),
    Number(Float64Builder),
    Boolean(BooleanBuilder),
    Timestamp(TimestampMicrosecondBuilder),
}

impl Builder {
    fn new(kind: ColumnKind) -> Self {
        match kind {
            ColumnKind::Text | ColumnKind::Json => Builder::Text(StringBuilder::new()),
            ColumnKind::Integer => Builder::Integer(Int64Builder::new()),
            ColumnKind::Number => Builder::Number(Float64Builder::new()),
            ColumnKind::Boolean => Builder::Boolean(BooleanBuilder::new()),
            ColumnKind::Timestamp => {
                Builder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
            }
            ColumnKind::Decimal => Builder::Decimal(
                Decimal128Builder::new()
                    .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)
                    .unwrap_or_default(),
            ),
        }
    }

    /// Appends a staged cell; `stage` made it for this builder's column, so the pairs match.
    fn append(&mut self, value: &Staged<'_>) {
        match (self, value) {
            (Builder::Decimal(b), Staged::Null) => b.append_null(),
            (Builder::Text(b), Staged::Null) => b.append_null(),
            (Builder::Integer(b), Staged::Null) => b.append_null(),
            (Builder::Number(b), Staged::Null) => b.append_null(),
            (Builder::Boolean(b), Staged::Null) => b.append_null(),
            (Builder::Timestamp(b), Staged::Null) => b.append_null(),
            (Builder::Text(b), Staged::Text(s)) => b.append_value(s),
            (Builder::Integer(b), Staged::Integer(i)) => b.append_value(*i),
            (Builder::Number(b), Staged::Number(f)) => b.append_value(*f),
            (Builder::Boolean(b), Staged::Boolean(v)) => b.append_value(*v),
            (Builder::Decimal(b), Staged::Decimal(d)) => b.append_value(*d),
            (Builder::Timestamp(b), Staged::Micros(m)) => b.append_value(*m),
            // Unreachable by construction; a null keeps the columns in step all the same.
            (builder, _) => builder.append_null(),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Decimal(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Integer(b) => b.append_null(),
            Builder::Number(b) => b.append_null(),
            Builder::Boolean(b) => b.append_null(),
            Builder::Timestamp(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Decimal(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Integer(b) => Arc::new(b.finish()),
            Builder::Number(b) => Arc::new(b.finish()),
            Builder::Boolean(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
        }
    }
}

fn writer_properties() -> parquet::file::properties::WriterProperties {
    parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(PART_ROWS))
        .build()
}

/// The name of part `index` in `dir`.
pub fn part_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("part-{index:06}.parquet"))
}

/// Rows in a complete Parquet file, from its footer.
pub fn parquet_file_rows(path: &Path) -> Result<u64, SinkError> {
    let file = File::open(path).map_err(SinkError::io(path.display().to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| SinkError::Io {
        what: format!("reading {}", path.display()),
        error: io::Error::other(e.to_string()),
    })?;
    let rows = reader.metadata().file_metadata().num_rows();
    Ok(u64::try_from(rows).unwrap_or(0))
}

/// Where a Parquet sink's rows go: straight to stdout, or parts in a directory.
enum ParquetOut {
    Stdout(ArrowWriter<Box<dyn Write + Send>>),
    Parts {
        dir: PathBuf,
        /// The output file the parts are assembled into, and its final name.
        partial: PathBuf,
        /// The part being written, its temporary name, and its index.
        current: Option<(ArrowWriter<BufWriter<File>>, PathBuf, u64)>,
        /// Complete parts.
        parts: u64,
    },
}

/// Parquet with typed columns ([`arrow_schema()`]), Snappy-compressed, in row groups of at most
/// [`PART_ROWS`] rows.
pub struct ParquetSink {
    out: ParquetOut,
    schema: Arc<Schema>,
    columns: Vec<Column>,
    builders: Vec<Builder>,
    /// Rows in the builders.
    buffered: usize,
    /// Rows in the part being written (buffered included).
    in_part: usize,
}

impl ParquetSink {
    /// A sink to stdout.
    pub fn to_stdout(columns: &[Column]) -> Result<Self, SinkError> {
        let schema = Arc::new(arrow_schema(columns));
        let out: Box<dyn Write + Send> = Box::new(BufWriter::new(io::stdout()));
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(writer_properties()))
            .map_err(parquet_error)?;
        Ok(Self::with(ParquetOut::Stdout(writer), schema, columns))
    }

    /// A sink writing parts into `dir`, to be assembled into `partial`. `keep_parts` complete parts
    /// are kept from an earlier run (the caller has checked them); any other file in `dir` is
    /// removed.
    pub fn to_parts(
        dir: &Path,
        partial: &Path,
        columns: &[Column],
        keep_parts: u64,
    ) -> Result<Self, SinkError> {
        let what = dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(SinkError::io(&what))?;
        let keep: Vec<PathBuf> = (0..keep_parts).map(|i| part_path(dir, i)).collect();
        for entry in std::fs::read_dir(dir).map_err(SinkError::io(&what))? {
            let path = entry.map_err(SinkError::io(&what))?.path();
            if !keep.contains(&path) {
                std::fs::remove_file(&path).map_err(SinkError::io(path.display().to_string()))?;
            }
        }
        let schema = Arc::new(arrow_schema(columns));
        let out = ParquetOut::Parts {
            dir: dir.to_path_buf(),
            partial: partial.to_path_buf(),
            current: None,
            parts: keep_parts,
        };
        Ok(Self::with(out, schema, columns))
    }

    fn with(out: ParquetOut, schema: Arc<Schema>, columns: &[Column]) -> Self {
        Self {
            out,
            schema,
            columns: columns.to_vec(),
            builders: columns.iter().map(|c| Builder::new(c.kind)).collect(),
            buffered: 0,
            in_part: 0,
        }
    }

    /// Writes the buffered rows as a record batch.
    fn flush_batch(&mut self) -> Result<(), SinkError> {
        if self.buffered == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        self.buffered = 0;
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(parquet_error)?;
        match &mut self.out {
            ParquetOut::Stdout(writer) => writer.write(&batch).map_err(parquet_error),
            ParquetOut::Parts {
                dir,
                current,
                parts,
                ..
            } => {
                if current.is_none() {
                    let temporary = dir.join(format!("part-{:06}.parquet.tmp", *parts));
                    let file = File::create(&temporary)
                        .map_err(SinkError::io(temporary.display().to_string()))?;
                    let writer = ArrowWriter::try_new(
                        BufWriter::new(file),
                        self.schema.clone(),
                        Some(writer_properties()),
                    )
                    .map_err(parquet_error)?;
                    *current = Some((writer, temporary, *parts));
                }
                match current {
                    Some((writer, _, _)) => writer.write(&batch).map_err(parquet_error),
                    None => Ok(()),
                }
            }
        }
    }

    /// Closes the part being written (after flushing the buffered rows into it), durably, under
    /// its final name. Returns whether a part was closed.
    fn close_part(&mut self) -> Result<bool, SinkError> {
        self.flush_batch()?;
        self.in_part = 0;
        let ParquetOut::Parts {
            dir,
            current,
            parts,
            ..
        } = &mut self.out
        else {
            return Ok(false);
        };
        let Some((writer, temporary, index)) = current.take() else {
            return Ok(false);
        };
        let file = writer
            .into_inner()
            .map_err(parquet_error)?
            .into_inner()
            .map_err(|e| parquet_error(e.error()))?;
        file.sync_all()
            .map_err(SinkError::io(temporary.display().to_string()))?;
        let path = part_path(dir, index);
        std::fs::rename(&temporary, &path)
            .map_err(SinkError::io(format!("renaming {}", temporary.display())))?;
        *parts = index + 1;
        Ok(true)
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, cells: &[Cell]) -> Result<bool, SinkError> {
        let mut staged = Vec::with_capacity(cells.len());
        for (cell, column) in cells.iter().zip(&self.columns) {
            let value = stage(column.kind, cell).map_err(|e| {
                SinkError::Data(format!(
                    "field {}: {e}; Parquet's {} column cannot hold it",
                    column.name, column.name
                ))
            })?;
            staged.push(value);
        }
        for (builder, value) in self.builders.iter_mut().zip(&staged) {
            builder.append(value);
        }
        drop(staged);
        self.buffered += 1;
        self.in_part += 1;
        if self.in_part >= PART_ROWS {
            return self.close_part();
        }
        if self.buffered >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(false)
    }

    fn checkpoint(&mut self) -> Result<Durable, SinkError> {
        self.close_part()?;
        match &self.out {
            ParquetOut::Stdout(_) => Ok(Durable::Nothing),
            ParquetOut::Parts { parts, .. } => Ok(Durable::Parts(*parts)),
        }
    }

    fn finish(mut self: Box<Self>) -> Result<(), SinkError> {
        self.close_part()?;
        match self.out {
            ParquetOut::Stdout(writer) => {
                let mut out = writer.into_inner().map_err(parquet_error)?;
                out.flush().map_err(SinkError::io("writing Parquet"))
            }
            ParquetOut::Parts {
                dir,
                partial,
                parts,
                ..
            } => assemble(&dir, parts, &partial, self.schema),
        }
    }
}

/// Joins parts `0..parts` of `dir` into one Parquet file at `partial`: each part's row group is
/// copied as it is encoded, column chunk by column chunk (nothing is decoded, so memory stays at a
/// copy buffer however many parts there are). The parts' key-value metadata (the Arrow schema,
/// which keeps timestamps' "UTC") is carried over. With no part, the file holds the schema and no
/// rows.
fn assemble(dir: &Path, parts: u64, partial: &Path, schema: Arc<Schema>) -> Result<(), SinkError> {
    let what = partial.display().to_string();
    let file = File::create(partial).map_err(SinkError::io(&what))?;
    if parts == 0 {
        let writer = ArrowWriter::try_new(BufWriter::new(file), schema, Some(writer_properties()))
            .map_err(parquet_error)?;
        let file = writer
            .into_inner()
            .map_err(parquet_error)?
            .into_inner()
            .map_err(|e| parquet_error(e.error()))?;
        return file.sync_all().map_err(SinkError::io(&what));
    }
    // The first part gives the output its Parquet schema and key-value metadata.
    let (_, first) = read_part(dir, 0)?;
    let root = first.file_metadata().schema_descr().root_schema_ptr();
    let mut writer =
        SerializedFileWriter::new(BufWriter::new(file), root, Arc::new(writer_properties()))
            .map_err(parquet_error)?;
    for kv in first
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
    {
        writer.append_key_value_metadata(kv.clone());
    }
    for index in 0..parts {
        let (part, metadata) = read_part(dir, index)?;
        let path = part_path(dir, index);
        if metadata.file_metadata().schema() != first.file_metadata().schema() {
            return Err(parquet_error(format!(
                "{} has another schema than the first part",
                path.display()
            )));
        }
        copy_row_groups(&part, &metadata, &mut writer)
            .map_err(|e| parquet_error(format!("copying {}: {e}", path.display())))?;
    }
    let file = writer
        .into_inner()
        .map_err(parquet_error)?
        .into_inner()
        .map_err(|e| parquet_error(e.error()))?;
    file.sync_all().map_err(SinkError::io(&what))
}

/// Part `index` of `dir`, open, and its footer (with the page indexes it has).
fn read_part(dir: &Path, index: u64) -> Result<(File, ParquetMetaData), SinkError> {
    let path = part_path(dir, index);
    let part = File::open(&path).map_err(SinkError::io(path.display().to_string()))?;
    let metadata = ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Optional)
        .parse_and_finish(&part)
        .map_err(|e| parquet_error(format!("reading {}: {e}", path.display())))?;
    Ok((part, metadata))
}

/// Appends every row group of `part` to `writer`, column chunks copied as encoded, with their
/// statistics and page indexes.
fn copy_row_groups(
    part: &File,
    metadata: &ParquetMetaData,
    writer: &mut SerializedFileWriter<BufWriter<File>>,
) -> parquet::errors::Result<()> {
    let page_index = metadata.page_index();
    for (group, row_group) in metadata.row_groups().iter().enumerate() {
        let mut out = writer.next_row_group()?;
        for (column, chunk) in row_group.columns().iter().enumerate() {
            let rows = u64::try_from(row_group.num_rows()).unwrap_or(0);
            out.append_column(
                part,
                ColumnCloseResult {
                    bytes_written: u64::try_from(chunk.compressed_size()).unwrap_or(0),
                    rows_written: rows,
                    metadata: chunk.clone(),
                    bloom_filter: None,
                    column_index: page_index
                        .and_then(|p| p.column_index(group, column))
                        .cloned(),
                    offset_index: page_index
                        .and_then(|p| p.offset_index(group, column))
                        .cloned(),
                },
            )?;
        }
        out.close()?;
    }
    Ok(())
}

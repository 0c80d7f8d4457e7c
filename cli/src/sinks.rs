//! Where exported rows go: CSV, JSON lines or Parquet, one column per [`Column`].
//!
//! CSV and JSON lines are written through a byte counter, so that a checkpoint can record how much of
//! the file is complete rows; resuming truncates to that length and appends. Parquet files are only
//! readable once closed (their footer holds the index), so a Parquet export is written to
//! `PATH.partial`, closed and renamed on success or interruption alike; resuming copies the rows of
//! the earlier file into a new one and goes on from there.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use gcore_billing::columns::{Cell, Column, ColumnKind};
use gcore_billing::csv_safety::neutralise_formula;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
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

/// Rows per Parquet record batch (and so at most this many rows are buffered).
const BATCH_ROWS: usize = 8192;

/// An open export file.
pub trait Sink {
    /// Writes one row, one cell per column.
    fn write(&mut self, cells: &[Cell]) -> Result<(), String>;
    /// Makes every row written so far durable, and returns the length of the file that holds
    /// exactly those rows; None when the format cannot be resumed by length (Parquet).
    fn checkpoint(&mut self) -> Result<Option<u64>, String>;
    /// Completes the file (on success, or on interruption before a resume).
    fn finish(self: Box<Self>) -> Result<(), String>;
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

fn io_error(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Opens `path` for writing rows: new and empty, or (resuming) cut to `keep` bytes and appended to.
pub fn open_text(
    path: Option<&Path>,
    keep: Option<u64>,
) -> Result<(Box<dyn Write + Send>, u64), String> {
    let Some(path) = path else {
        return Ok((Box::new(BufWriter::new(io::stdout())), 0));
    };
    let what = path.display().to_string();
    let file = match keep {
        None => File::create(path).map_err(io_error(&what))?,
        Some(length) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io_error(&what))?;
            let actual = file.metadata().map_err(io_error(&what))?.len();
            if actual < length {
                return Err(format!(
                    "{what} has {actual} bytes, fewer than the {length} the checkpoint recorded: \
                     it was changed since; export again without --resume"
                ));
            }
            file.set_len(length).map_err(io_error(&what))?;
            let mut file = file;
            io::Seek::seek(&mut file, io::SeekFrom::End(0)).map_err(io_error(&what))?;
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
    ) -> Result<Self, String> {
        let mut writer = csv::Writer::from_writer(Counting {
            inner: out,
            count: start,
        });
        if header {
            writer
                .write_record(columns.iter().map(|c| c.name))
                .map_err(|e| format!("writing CSV: {e}"))?;
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
    fn write(&mut self, cells: &[Cell]) -> Result<(), String> {
        for cell in cells {
            let field: &str = match cell {
                Cell::Null => "",
                Cell::Text(s) | Cell::Json(s) if self.raw => s,
                Cell::Text(s) | Cell::Json(s) => {
                    let safe = neutralise_formula(s);
                    self.writer
                        .write_field(safe.as_bytes())
                        .map_err(|e| format!("writing CSV: {e}"))?;
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
                .map_err(|e| format!("writing CSV: {e}"))?;
        }
        self.writer
            .write_record(None::<&[u8]>)
            .map_err(|e| format!("writing CSV: {e}"))
    }

    fn checkpoint(&mut self) -> Result<Option<u64>, String> {
        self.writer
            .flush()
            .map_err(|e| format!("writing CSV: {e}"))?;
        Ok(Some(self.writer.get_ref().count))
    }

    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.writer.flush().map_err(|e| format!("writing CSV: {e}"))
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
    fn write(&mut self, cells: &[Cell]) -> Result<(), String> {
        let mut serializer = serde_json::Serializer::new(&mut self.out);
        let mut map = serializer
            .serialize_map(Some(cells.len()))
            .map_err(|e| format!("writing JSON: {e}"))?;
        for (column, cell) in self.columns.iter().zip(cells) {
            match cell {
                // Nested values stay JSON, not a string holding JSON.
                Cell::Json(text) => {
                    let raw = serde_json::value::RawValue::from_string(text.clone())
                        .map_err(|e| format!("writing JSON: {e}"))?;
                    map.serialize_entry(column.name, &raw)
                }
                other => map.serialize_entry(column.name, other),
            }
            .map_err(|e| format!("writing JSON: {e}"))?;
        }
        map.end().map_err(|e| format!("writing JSON: {e}"))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| format!("writing JSON: {e}"))
    }

    fn checkpoint(&mut self) -> Result<Option<u64>, String> {
        self.out.flush().map_err(|e| format!("writing JSON: {e}"))?;
        Ok(Some(self.out.count))
    }

    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.out.flush().map_err(|e| format!("writing JSON: {e}"))
    }
}

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

    /// Appends a cell, or says why it does not fit the column's type (never dropped silently).
    fn append(&mut self, cell: &Cell) -> Result<(), String> {
        match (self, cell) {
            (Builder::Text(b), Cell::Null) => b.append_null(),
            (Builder::Text(b), Cell::Text(s) | Cell::Json(s)) => b.append_value(s),
            (Builder::Text(b), other) => b.append_value(other.to_text()),
            (Builder::Integer(b), Cell::Null) => b.append_null(),
            (Builder::Integer(b), Cell::Int(i)) => b.append_value(*i),
            (Builder::Number(b), Cell::Null) => b.append_null(),
            (Builder::Number(b), Cell::Float(f)) => b.append_value(*f),
            // An integer in a number column is exact up to 2^53, past any amount billed.
            (Builder::Number(b), Cell::Int(i)) => b.append_value(*i as f64),
            (Builder::Boolean(b), Cell::Null) => b.append_null(),
            (Builder::Boolean(b), Cell::Bool(v)) => b.append_value(*v),
            (Builder::Decimal(b), Cell::Null) => b.append_null(),
            (Builder::Decimal(b), Cell::Decimal(d)) => b.append_value(decimal128(d)?),
            (Builder::Timestamp(b), Cell::Null) => b.append_null(),
            (Builder::Timestamp(b), Cell::Text(s)) => {
                let at = chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))?;
                b.append_value(at.timestamp_micros());
            }
            (_, other) => return Err(format!("{other:?} does not fit the column's type")),
        }
        Ok(())
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

    fn len(&self) -> usize {
        match self {
            Builder::Decimal(b) => b.len(),
            Builder::Text(b) => b.len(),
            Builder::Integer(b) => b.len(),
            Builder::Number(b) => b.len(),
            Builder::Boolean(b) => b.len(),
            Builder::Timestamp(b) => b.len(),
        }
    }
}

/// Parquet with typed columns ([`arrow_schema()`]), Snappy-compressed.
pub struct ParquetSink {
    writer: ArrowWriter<Box<dyn Write + Send>>,
    schema: Arc<Schema>,
    columns: Vec<Column>,
    builders: Vec<Builder>,
    /// `(PATH.partial, PATH)`: renamed when the file is complete.
    rename: Option<(PathBuf, PathBuf)>,
    rows: u64,
}

impl ParquetSink {
    /// A new file at `path` (or stdout), resuming from the rows of the file already there when
    /// `resume` is set. Returns the sink and how many rows it already holds.
    pub fn new(
        path: Option<&Path>,
        columns: &[Column],
        resume: bool,
    ) -> Result<(Self, u64), String> {
        let schema = Arc::new(arrow_schema(columns));
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let (out, rename): (Box<dyn Write + Send>, _) = match path {
            None => (Box::new(io::stdout()), None),
            Some(path) => {
                let partial = PathBuf::from(format!("{}.partial", path.display()));
                let file =
                    File::create(&partial).map_err(io_error(&partial.display().to_string()))?;
                (
                    Box::new(BufWriter::new(file)),
                    Some((partial, path.to_path_buf())),
                )
            }
        };
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(properties))
            .map_err(|e| format!("writing Parquet: {e}"))?;
        let mut sink = Self {
            writer,
            schema,
            columns: columns.to_vec(),
            builders: columns.iter().map(|c| Builder::new(c.kind)).collect(),
            rename,
            rows: 0,
        };
        let mut copied = 0;
        if let (true, Some(path)) = (resume, path) {
            let file = File::open(path).map_err(io_error(&path.display().to_string()))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.build())
                .map_err(|e| {
                    format!(
                        "{} cannot be read to resume: {e}; export again without --resume",
                        path.display()
                    )
                })?;
            for batch in reader {
                let batch = batch.map_err(|e| format!("reading {}: {e}", path.display()))?;
                if batch.schema() != sink.schema {
                    return Err(format!(
                        "{} has other columns than this export",
                        path.display()
                    ));
                }
                copied += u64::try_from(batch.num_rows()).unwrap_or(u64::MAX);
                sink.writer
                    .write(&batch)
                    .map_err(|e| format!("writing Parquet: {e}"))?;
            }
        }
        sink.rows = copied;
        Ok((sink, copied))
    }

    fn flush_batch(&mut self) -> Result<(), String> {
        if self.builders.first().is_none_or(|b| b.len() == 0) {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| format!("writing Parquet: {e}"))?;
        self.writer
            .write(&batch)
            .map_err(|e| format!("writing Parquet: {e}"))
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, cells: &[Cell]) -> Result<(), String> {
        for ((builder, cell), column) in self.builders.iter_mut().zip(cells).zip(&self.columns) {
            builder
                .append(cell)
                .map_err(|e| format!("row {}, column {}: {e}", self.rows, column.name))?;
        }
        self.rows += 1;
        if self.builders.first().is_some_and(|b| b.len() >= BATCH_ROWS) {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn checkpoint(&mut self) -> Result<Option<u64>, String> {
        Ok(None)
    }

    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.flush_batch()?;
        let rename = self.rename.take();
        let mut out = self
            .writer
            .into_inner()
            .map_err(|e| format!("writing Parquet: {e}"))?;
        out.flush().map_err(|e| format!("writing Parquet: {e}"))?;
        drop(out);
        if let Some((partial, path)) = rename {
            std::fs::rename(&partial, &path).map_err(|e| {
                format!("renaming {} to {}: {e}", partial.display(), path.display())
            })?;
        }
        Ok(())
    }
}

//! Rows as columns, for exports (CSV, JSON lines, Parquet).
//!
//! Each report row type (an open union) knows its columns from the spec: [`Columns::COMMON_COLUMNS`]
//! are the default export columns (the fields every resource type has, with the union's
//! `x-gcore-default-columns` added or omitted), [`Columns::ALL_COLUMNS`] every field of any type. The
//! generator writes both lists, so a new field or resource type in the spec is a new column with no
//! edit here. [`RowWriter::fill`] turns one typed row into cells by serializing it through a small
//! [`serde::Serializer`] that keeps only the wanted fields: no `serde_json::Value` is built for a
//! known row, and nested values (tags) become compact JSON text.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// How a column's values are typed (Parquet types; CSV writes all of them as text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// A string.
    Text,
    /// A signed 64-bit integer.
    Integer,
    /// A 64-bit float.
    Number,
    /// A boolean.
    Boolean,
    /// An RFC 3339 date-time, UTC.
    Timestamp,
    /// An array or object, as compact JSON text.
    Json,
    /// An exact decimal (money): Parquet `Decimal128(38, 18)`.
    Decimal,
}

/// One column of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    /// The field name, as on the wire.
    pub name: &'static str,
    /// Its type.
    pub kind: ColumnKind,
}

/// A row type whose columns the spec gives. Implemented by the generated open unions.
pub trait Columns {
    /// The default export columns: the discriminator and the fields every variant has, with the
    /// spec's `x-gcore-default-columns` added or omitted, in spec order.
    const COMMON_COLUMNS: &'static [Column];
    /// Every field of any variant: the common ones first, then the others in order of appearance.
    const ALL_COLUMNS: &'static [Column];
}

/// One value of a row, as serialized.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Absent or null.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer past `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A string (dates arrive here as RFC 3339 text, enums as their wire value).
    Text(String),
    /// An array or object, as compact JSON text.
    Json(String),
    /// An exact decimal, as read from the JSON text ([`crate::pagination::RawRow::decimal`]).
    Decimal(rust_decimal::Decimal),
}

impl Cell {
    /// The cell as CSV text: empty for null, the shortest exact form for numbers.
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Cell::Null => Cow::Borrowed(""),
            Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::UInt(u) => Cow::Owned(u.to_string()),
            Cell::Float(f) => Cow::Owned(f.to_string()),
            Cell::Text(s) | Cell::Json(s) => Cow::Borrowed(s),
            Cell::Decimal(d) => Cow::Owned(d.to_string()),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Null => serializer.serialize_none(),
            Cell::Bool(b) => serializer.serialize_bool(*b),
            Cell::Int(i) => serializer.serialize_i64(*i),
            Cell::UInt(u) => serializer.serialize_u64(*u),
            Cell::Float(f) => serializer.serialize_f64(*f),
            Cell::Text(s) => serializer.serialize_str(s),
            // Already JSON: written as a string so that every column keeps one type.
            Cell::Json(s) => serializer.serialize_str(s),
            // A JSON number with exactly the decimal's digits (as the server sent them).
            Cell::Decimal(d) => serde_json::value::RawValue::from_string(d.to_string())
                .map_err(ser::Error::custom)?
                .serialize(serializer),
        }
    }
}

/// The newtype name an exact decimal (`format: decimal`) is serialized under (src/de.rs), so
/// that a column keeps it a [`Cell::Decimal`] instead of a float.
#[doc(hidden)]
pub const EXACT_DECIMAL: &str = "gcore_billing::Decimal";

/// Why a row could not be turned into cells.
#[derive(Debug)]
pub struct CellError(String);

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CellError {}

impl ser::Error for CellError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CellError(msg.to_string())
    }
}

/// What the scalar serializer says: done, or "an array or object" (which then becomes JSON text).
#[derive(Debug)]
enum SlotError {
    NotScalar,
    Failed(CellError),
}

impl fmt::Display for SlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotError::NotScalar => f.write_str("not a scalar"),
            SlotError::Failed(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SlotError {}

impl ser::Error for SlotError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SlotError::Failed(CellError(msg.to_string()))
    }
}

/// Fills rows of fixed columns from typed rows, reusing each cell's text buffer from row to row.
#[derive(Clone, Debug)]
pub struct RowWriter {
    columns: Vec<Column>,
    index: HashMap<&'static str, usize>,
    /// Struct field names by address: serde passes the same `&'static str` for a field every time,
    /// so after the first row a field is found by comparing pointers, without hashing its name.
    seen_keys: Vec<(usize, usize, Option<usize>)>,
    /// Which cells the current row has set.
    set: Vec<bool>,
    /// The last column's index when it collects the fields no other column takes
    /// ([`RowWriter::with_other_fields`]).
    other: Option<usize>,
    /// That column's JSON object, being built for the current row.
    other_json: Vec<u8>,
}

impl RowWriter {
    /// A writer for these columns, in this order.
    pub fn new(columns: &[Column]) -> Self {
        let index = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name, i))
            .collect();
        Self {
            columns: columns.to_vec(),
            index,
            seen_keys: Vec::new(),
            set: vec![false; columns.len()],
            other: None,
            other_json: Vec::new(),
        }
    }

    /// A writer for these columns and one more, named `name` (a [`ColumnKind::Json`] column):
    /// a JSON object of the row's fields that no other column takes, in the row's order, or
    /// `Null` when there are none. Nothing the server sent is dropped. Fails when `name` is
    /// already one of the columns.
    pub fn with_other_fields(columns: &[Column], name: &'static str) -> Result<Self, CellError> {
        if columns.iter().any(|c| c.name == name) {
            return Err(CellError(format!(
                "the column {name:?} of the other fields is already a column"
            )));
        }
        let mut all = columns.to_vec();
        all.push(Column {
            name,
            kind: ColumnKind::Json,
        });
        // The other-fields column is filled at the end of a row, never from a field of its name.
        let mut writer = Self::new(columns);
        writer.columns = all;
        writer.set.push(false);
        writer.other = Some(columns.len());
        Ok(writer)
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Sets `cells` to the row's value in each column (`Null` where the row lacks the field). Fields
    /// outside the columns are skipped. The row must serialize as an object (every report row does).
    pub fn fill<T: Serialize>(&mut self, row: &T, cells: &mut Vec<Cell>) -> Result<(), CellError> {
        cells.resize(self.columns.len(), Cell::Null);
        self.set.iter_mut().for_each(|s| *s = false);
        self.other_json.clear();
        row.serialize(RowSerializer {
            writer: self,
            cells,
            key: None,
        })?;
        if let Some(at) = self.other.filter(|_| !self.other_json.is_empty()) {
            self.other_json.push(b'}');
            let text = String::from_utf8(std::mem::take(&mut self.other_json))
                .map_err(|e| CellError(e.to_string()))?;
            if let (Some(cell), Some(set)) = (cells.get_mut(at), self.set.get_mut(at)) {
                *cell = Cell::Json(text);
                *set = true;
            }
        }
        for (cell, set) in cells.iter_mut().zip(&self.set) {
            if !set {
                *cell = Cell::Null;
            }
        }
        Ok(())
    }

    fn column_of_field(&mut self, key: &'static str) -> Option<usize> {
        let address = (key.as_ptr() as usize, key.len());
        if let Some(&(_, _, at)) = self.seen_keys.iter().find(|(p, l, _)| (*p, *l) == address) {
            return at;
        }
        let at = self.index.get(key).copied();
        self.seen_keys.push((address.0, address.1, at));
        at
    }
}

struct RowSerializer<'a> {
    writer: &'a mut RowWriter,
    cells: &'a mut Vec<Cell>,
    /// Where the value of a map entry goes.
    key: Option<Destination>,
}

/// Where one field's value goes.
enum Destination {
    /// Into this column.
    Column(usize),
    /// Into the other fields, under this name.
    Other(String),
}

impl RowSerializer<'_> {
    /// Adds `key: value` to the row's other fields, when the writer keeps them. A null value
    /// (an absent optional field) is left out.
    fn put_other<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), CellError> {
        if self.writer.other.is_none() {
            return Ok(());
        }
        let json = &mut self.writer.other_json;
        let mark = json.len();
        json.push(if mark == 0 { b'{' } else { b',' });
        serde_json::to_writer(&mut *json, key).map_err(|e| CellError(e.to_string()))?;
        json.push(b':');
        let start = json.len();
        serde_json::to_writer(&mut *json, value).map_err(|e| CellError(e.to_string()))?;
        if &json[start..] == b"null" {
            json.truncate(mark);
        }
        Ok(())
    }

    fn put<T: Serialize + ?Sized>(&mut self, at: usize, value: &T) -> Result<(), CellError> {
        let (Some(slot), Some(set)) = (self.cells.get_mut(at), self.writer.set.get_mut(at)) else {
            return Ok(());
        };
        *set = true;
        match value.serialize(SlotSerializer { slot: &mut *slot }) {
            Ok(()) => Ok(()),
            Err(SlotError::NotScalar) => {
                // Reuse the slot's buffer for the JSON text.
                let mut bytes = match std::mem::replace(slot, Cell::Null) {
                    Cell::Text(s) | Cell::Json(s) => s.into_bytes(),
                    _ => Vec::new(),
                };
                bytes.clear();
                serde_json::to_writer(&mut bytes, value).map_err(|e| CellError(e.to_string()))?;
                let text = String::from_utf8(bytes).map_err(|e| CellError(e.to_string()))?;
                *slot = Cell::Json(text);
                Ok(())
            }
            Err(SlotError::Failed(e)) => Err(e),
        }
    }
}

fn not_an_object() -> CellError {
    CellError("a row must serialize as an object".into())
}

macro_rules! reject_scalars {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), CellError> {
            Err(not_an_object())
        })*
    };
}

impl<'a> ser::Serializer for RowSerializer<'a> {
    type Ok = ();
    type Error = CellError;
    type SerializeSeq = Impossible<(), CellError>;
    type SerializeTuple = Impossible<(), CellError>;
    type SerializeTupleStruct = Impossible<(), CellError>;
    type SerializeTupleVariant = Impossible<(), CellError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), CellError>;

    reject_scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_none(self) -> Result<(), CellError> {
        Err(not_an_object())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CellError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CellError> {
        Err(not_an_object())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CellError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CellError> {
        Err(not_an_object())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CellError> {
        Err(not_an_object())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CellError> {
        Err(not_an_object())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CellError> {
        Err(not_an_object())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CellError> {
        Err(not_an_object())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, CellError> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CellError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CellError> {
        Err(not_an_object())
    }
}

impl ser::SerializeStruct for RowSerializer<'_> {
    type Ok = ();
    type Error = CellError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CellError> {
        match self.writer.column_of_field(key) {
            Some(at) => self.put(at, value),
            None => self.put_other(key, value),
        }
    }

    fn end(self) -> Result<(), CellError> {
        Ok(())
    }
}

impl ser::SerializeMap for RowSerializer<'_> {
    type Ok = ();
    type Error = CellError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CellError> {
        let mut name = Cell::Null;
        self.key = match key.serialize(SlotSerializer { slot: &mut name }) {
            Ok(()) => match name {
                Cell::Text(name) => Some(match self.writer.index.get(name.as_str()) {
                    Some(&at) => Destination::Column(at),
                    None => Destination::Other(name),
                }),
                _ => None,
            },
            Err(_) => None,
        };
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CellError> {
        match self.key.take() {
            Some(Destination::Column(at)) => self.put(at, value),
            Some(Destination::Other(name)) => self.put_other(&name, value),
            None => Ok(()),
        }
    }

    fn end(self) -> Result<(), CellError> {
        Ok(())
    }
}

/// Serializes one field's value into its cell, in place (a text cell keeps its buffer); arrays and
/// objects answer [`SlotError::NotScalar`].
struct SlotSerializer<'a> {
    slot: &'a mut Cell,
}

impl SlotSerializer<'_> {
    fn text(self, value: &str) -> Result<(), SlotError> {
        match self.slot {
            Cell::Text(buffer) => {
                buffer.clear();
                buffer.push_str(value);
            }
            other => *other = Cell::Text(value.to_string()),
        }
        Ok(())
    }

    fn set(self, cell: Cell) -> Result<(), SlotError> {
        *self.slot = cell;
        Ok(())
    }
}

impl ser::Serializer for SlotSerializer<'_> {
    type Ok = ();
    type Error = SlotError;
    type SerializeSeq = Impossible<(), SlotError>;
    type SerializeTuple = Impossible<(), SlotError>;
    type SerializeTupleStruct = Impossible<(), SlotError>;
    type SerializeTupleVariant = Impossible<(), SlotError>;
    type SerializeMap = Impossible<(), SlotError>;
    type SerializeStruct = Impossible<(), SlotError>;
    type SerializeStructVariant = Impossible<(), SlotError>;

    fn serialize_bool(self, v: bool) -> Result<(), SlotError> {
        self.set(Cell::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), SlotError> {
        self.set(Cell::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<(), SlotError> {
        self.set(Cell::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<(), SlotError> {
        self.set(Cell::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<(), SlotError> {
        self.set(Cell::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), SlotError> {
        self.set(Cell::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<(), SlotError> {
        self.set(Cell::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<(), SlotError> {
        self.set(Cell::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<(), SlotError> {
        self.set(i64::try_from(v).map_or(Cell::UInt(v), Cell::Int))
    }
    fn serialize_f32(self, v: f32) -> Result<(), SlotError> {
        self.set(Cell::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<(), SlotError> {
        self.set(Cell::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<(), SlotError> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), SlotError> {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_none(self) -> Result<(), SlotError> {
        self.set(Cell::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SlotError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SlotError> {
        self.set(Cell::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SlotError> {
        self.set(Cell::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SlotError> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SlotError> {
        if name == EXACT_DECIMAL {
            // The raw number, as serde_json writes it: its digits, read back exactly.
            let text = serde_json::to_string(value)
                .map_err(|e| SlotError::Failed(CellError(e.to_string())))?;
            return match crate::pagination::exact_decimal(&text) {
                Ok(Some(decimal)) => self.set(Cell::Decimal(decimal)),
                Ok(None) => self.set(Cell::Null),
                Err(e) => Err(SlotError::Failed(CellError(e))),
            };
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SlotError> {
        Err(SlotError::NotScalar)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SlotError> {
        Err(SlotError::NotScalar)
    }
}

/// How the generated union accessors (`CostReportResource::cost()`, ...) read a field of a known
/// variant: the same call whether the variant's schema requires the field (`T`) or not
/// (`Option<T>`). Implemented here for the field kinds unions share, and by the generated open
/// enums for themselves.
#[doc(hidden)]
pub trait FieldValue {
    /// What the accessor returns inside its `Option`.
    type Out<'a>
    where
        Self: 'a;
    /// The field's value; `None` when an optional field is null.
    fn value(&self) -> Option<Self::Out<'_>>;
}

impl FieldValue for String {
    type Out<'a> = &'a str;
    fn value(&self) -> Option<&str> {
        Some(self)
    }
}

impl FieldValue for Option<String> {
    type Out<'a> = &'a str;
    fn value(&self) -> Option<&str> {
        self.as_deref()
    }
}

// Copied values (integers, floats, timestamps, decimals), required or optional.

impl FieldValue for i64 {
    type Out<'a> = i64;
    fn value(&self) -> Option<i64> {
        Some(*self)
    }
}

impl FieldValue for Option<i64> {
    type Out<'a> = i64;
    fn value(&self) -> Option<i64> {
        *self
    }
}

impl FieldValue for f64 {
    type Out<'a> = f64;
    fn value(&self) -> Option<f64> {
        Some(*self)
    }
}

impl FieldValue for Option<f64> {
    type Out<'a> = f64;
    fn value(&self) -> Option<f64> {
        *self
    }
}

impl FieldValue for chrono::DateTime<chrono::Utc> {
    type Out<'a> = chrono::DateTime<chrono::Utc>;
    fn value(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(*self)
    }
}

impl FieldValue for Option<chrono::DateTime<chrono::Utc>> {
    type Out<'a> = chrono::DateTime<chrono::Utc>;
    fn value(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        *self
    }
}

impl FieldValue for rust_decimal::Decimal {
    type Out<'a> = rust_decimal::Decimal;
    fn value(&self) -> Option<rust_decimal::Decimal> {
        Some(*self)
    }
}

impl FieldValue for Option<rust_decimal::Decimal> {
    type Out<'a> = rust_decimal::Decimal;
    fn value(&self) -> Option<rust_decimal::Decimal> {
        *self
    }
}

impl FieldValue for serde_json::Map<String, serde_json::Value> {
    type Out<'a> = &'a serde_json::Map<String, serde_json::Value>;
    fn value(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        Some(self)
    }
}

/// A text field of a row of unknown type.
#[doc(hidden)]
pub fn unknown_str(value: Option<&serde_json::Value>) -> Option<&str> {
    value.and_then(serde_json::Value::as_str)
}

/// An integer field of a row of unknown type.
#[doc(hidden)]
pub fn unknown_i64(value: Option<&serde_json::Value>) -> Option<i64> {
    value.and_then(serde_json::Value::as_i64)
}

/// A number field of a row of unknown type.
#[doc(hidden)]
pub fn unknown_f64(value: Option<&serde_json::Value>) -> Option<f64> {
    value.and_then(serde_json::Value::as_f64)
}

/// An exact-decimal field (`format: decimal`) of a row of unknown type: the number as kept in the
/// row's JSON value (`None` when it is not a number).
#[doc(hidden)]
pub fn unknown_decimal(value: Option<&serde_json::Value>) -> Option<rust_decimal::Decimal> {
    let number = value?.as_number()?;
    crate::pagination::exact_decimal(&number.to_string())
        .ok()
        .flatten()
}

/// A timestamp field of a row of unknown type (`None` when it is not RFC 3339).
#[doc(hidden)]
pub fn unknown_time(value: Option<&serde_json::Value>) -> Option<chrono::DateTime<chrono::Utc>> {
    unknown_str(value).and_then(|text| text.parse().ok())
}

/// An open-enum field of a row of unknown type.
#[doc(hidden)]
pub fn unknown_enum<T: for<'a> From<&'a str>>(value: Option<&serde_json::Value>) -> Option<T> {
    unknown_str(value).map(T::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::CostReportResource;

    fn row() -> CostReportResource {
        serde_json::from_value(serde_json::json!({
            "type": "instance", "billing_metric_name": "g1-standard-2-4_min", "billing_value": 44640.0,
            "billing_value_unit": "minutes", "first_seen": "2024-08-01T00:00:00Z",
            "last_seen": "2024-08-31T23:59:00Z", "flavor": "g1-standard-2-4", "last_name": "web-1",
            "project_id": 7, "region": 1, "region_id": 1, "cost": 26.78, "currency": "EUR",
            "uuid": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "tags": [{"env": "prod"}]
        }))
        .expect("row")
    }

    #[test]
    fn a_typed_row_fills_its_columns_with_typed_cells() {
        let mut writer = RowWriter::new(&[
            Column {
                name: "type",
                kind: ColumnKind::Text,
            },
            Column {
                name: "cost",
                kind: ColumnKind::Number,
            },
            Column {
                name: "project_id",
                kind: ColumnKind::Integer,
            },
            Column {
                name: "first_seen",
                kind: ColumnKind::Timestamp,
            },
            Column {
                name: "tags",
                kind: ColumnKind::Json,
            },
            Column {
                name: "err",
                kind: ColumnKind::Text,
            },
            Column {
                name: "volume_type",
                kind: ColumnKind::Text,
            },
        ]);
        let mut cells = Vec::new();
        writer.fill(&row(), &mut cells).expect("fills");
        assert_eq!(
            cells,
            [
                Cell::Text("instance".into()),
                // `format: decimal`: the server's digits, not a float.
                Cell::Decimal("26.78".parse().expect("decimal")),
                Cell::Int(7),
                Cell::Text("2024-08-01T00:00:00Z".into()),
                Cell::Json(r#"[{"env":"prod"}]"#.into()),
                Cell::Null,
                Cell::Null,
            ]
        );
    }

    #[test]
    fn unknown_rows_fill_the_columns_they_have() {
        let unknown: CostReportResource = serde_json::from_value(serde_json::json!({
            "type": "quantum_disk", "cost": 1.5, "region_id": 9, "extra": {"a": 1}
        }))
        .expect("row");
        let mut writer = RowWriter::new(&[
            Column {
                name: "type",
                kind: ColumnKind::Text,
            },
            Column {
                name: "cost",
                kind: ColumnKind::Number,
            },
            Column {
                name: "region_id",
                kind: ColumnKind::Integer,
            },
            Column {
                name: "uuid",
                kind: ColumnKind::Text,
            },
        ]);
        let mut cells = Vec::new();
        writer.fill(&unknown, &mut cells).expect("fills");
        assert_eq!(
            cells,
            [
                Cell::Text("quantum_disk".into()),
                Cell::Float(1.5),
                Cell::Int(9),
                Cell::Null
            ]
        );
    }

    #[test]
    fn the_other_fields_column_keeps_every_field_no_column_takes() {
        let columns = CostReportResource::COMMON_COLUMNS;
        let mut writer = RowWriter::with_other_fields(columns, "other_fields").expect("writer");
        assert_eq!(writer.columns().len(), columns.len() + 1);
        assert_eq!(
            writer.columns().last(),
            Some(&Column {
                name: "other_fields",
                kind: ColumnKind::Json
            })
        );
        // A known type: its own fields (flavor, region) and a field the spec does not list.
        let mut known = serde_json::to_value(row()).expect("json");
        known["surprise"] = serde_json::json!({"nested": [1, 2]});
        let known: CostReportResource = serde_json::from_value(known).expect("row");
        let mut cells = Vec::new();
        writer.fill(&known, &mut cells).expect("fills");
        let Some(Cell::Json(other)) = cells.last() else {
            panic!("no other fields: {cells:?}")
        };
        let other: serde_json::Value = serde_json::from_str(other).expect("JSON object");
        assert_eq!(
            other,
            serde_json::json!({"flavor": "g1-standard-2-4", "region": 1,
                               "surprise": {"nested": [1, 2]}})
        );
        // A row of an unknown type keeps what no column takes; the next row starts afresh.
        let unknown: CostReportResource = serde_json::from_value(serde_json::json!({
            "type": "quantum_disk", "cost": 1.5, "qubits": 7, "uuid": "u"
        }))
        .expect("row");
        writer.fill(&unknown, &mut cells).expect("fills");
        assert_eq!(cells.last(), Some(&Cell::Json(r#"{"qubits":7}"#.into())));
        // A row with nothing else has none.
        let plain: CostReportResource = serde_json::from_value(serde_json::json!({
            "type": "quantum_disk", "cost": 1.5
        }))
        .expect("row");
        writer.fill(&plain, &mut cells).expect("fills");
        assert_eq!(cells.last(), Some(&Cell::Null));
        assert!(RowWriter::with_other_fields(columns, "cost").is_err());
    }

    #[test]
    fn the_spec_gives_common_and_all_columns() {
        let common: Vec<&str> = CostReportResource::COMMON_COLUMNS
            .iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(common.first(), Some(&"type"));
        for name in [
            "billing_metric_name",
            "billing_value",
            "cost",
            "currency",
            "first_seen",
            "last_seen",
            "project_id",
            "region_id",
        ] {
            assert!(common.contains(&name), "{name} in {common:?}");
        }
        assert!(!common.contains(&"flavor"), "only some types have a flavor");
        // The spec's x-gcore-default-columns: identity for cost allocation, though a few types lack
        // it, and not `region`, which repeats `region_id`.
        for name in ["uuid", "last_name", "tags"] {
            assert!(common.contains(&name), "{name} in {common:?}");
        }
        assert!(!common.contains(&"region"), "{common:?}");
        let all: Vec<&str> = CostReportResource::ALL_COLUMNS
            .iter()
            .map(|c| c.name)
            .collect();
        assert!(all.contains(&"flavor") && all.contains(&"volume_type"));
        assert!(all.contains(&"region"));
        assert!(common.iter().all(|c| all.contains(c)), "{common:?}");
        let kind = |name: &str| {
            CostReportResource::ALL_COLUMNS
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.kind)
        };
        assert_eq!(kind("first_seen"), Some(ColumnKind::Timestamp));
        assert_eq!(kind("cost"), Some(ColumnKind::Decimal));
        assert_eq!(kind("billing_value"), Some(ColumnKind::Decimal));
        assert_eq!(kind("project_id"), Some(ColumnKind::Integer));
        assert_eq!(kind("tags"), Some(ColumnKind::Json));
        assert_eq!(kind("billing_value_unit"), Some(ColumnKind::Text));
    }
}

/// An RFC 3339 time as UTC, for the generated common rows (`Option<RowTime>` reads `null` as
/// `None`): the usual `YYYY-MM-DDTHH:MM:SSZ` form is read directly, any other through chrono (so
/// exactly the texts chrono accepts are accepted).
#[doc(hidden)]
pub struct RowTime(pub chrono::DateTime<chrono::Utc>);

impl<'de> serde::Deserialize<'de> for RowTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = RowTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RowTime, E> {
                parse_utc(text).map(RowTime).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` read by hand; anything else through chrono's `FromStr`.
fn parse_utc(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let fast = || {
        let b = text.as_bytes();
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            b.get(range)?.iter().try_fold(0u32, |n, d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        let shape = b.len() == 20
            && b.get(4) == Some(&b'-')
            && b.get(7) == Some(&b'-')
            && b.get(10) == Some(&b'T')
            && b.get(13) == Some(&b':')
            && b.get(16) == Some(&b':')
            && b.get(19) == Some(&b'Z');
        if !shape {
            return None;
        }
        let year = i32::try_from(number(0..4)?).ok()?;
        chrono::NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)?
            .and_hms_opt(number(11..13)?, number(14..16)?, number(17..19)?)
            .map(|at| at.and_utc())
    };
    match fast() {
        Some(at) => Ok(at),
        None => text
            .parse::<chrono::DateTime<chrono::Utc>>()
            .map_err(|e| format!("{text:?} is not an RFC 3339 date-time: {e}")),
    }
}

#[cfg(test)]
mod time_tests {
    use super::parse_utc;

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        for text in [
            "2024-08-01T00:00:30Z",
            "1999-12-31T23:59:59Z",
            "2024-02-29T12:00:00Z",
            "2024-08-01T00:00:30+02:00",
            "2024-08-01T00:00:30.123Z",
        ] {
            assert_eq!(
                parse_utc(text),
                Ok(text.parse::<chrono::DateTime<chrono::Utc>>().unwrap()),
                "{text}"
            );
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-08-01T24:00:00Z",
            "2024-08-01 00:00:00",
            "2024-08-0xT00:00:00Z",
            "",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
    }
}

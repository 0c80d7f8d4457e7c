//! What the generated serde code calls: the generator writes each type's `Deserialize` and
//! `Serialize` out as plain code (codegen/src/serde_code.rs), and they share these few pieces: a
//! key read without copying ([`Key`]), a field set once ([`set_once`]: a field sent twice is
//! serde's `duplicate field`), where an unlisted field goes ([`Unlisted`]: an answer's
//! `extra_fields`, or [`Skipped`] for a request), and [`Loose`], a union row's field read before
//! the row's tag says which variant it is.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};

/// A map key or a string value, borrowed from the input where the format allows it.
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(value.to_owned())))
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(value)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Parses the next value into `slot`; a field sent twice is an error, as with serde's derive.
pub fn set_once<'de, T: de::Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// What happens to a field a struct does not list.
pub trait Unlisted {
    /// Takes the field's value from `map`.
    fn take<'de, A: MapAccess<'de>>(&mut self, key: Key<'de>, map: &mut A) -> Result<(), A::Error>;
}

/// An answer keeps it as received (a later one of the same name wins).
impl Unlisted for serde_json::Map<String, serde_json::Value> {
    fn take<'de, A: MapAccess<'de>>(&mut self, key: Key<'de>, map: &mut A) -> Result<(), A::Error> {
        let value = map.next_value::<serde_json::Value>()?;
        self.insert(key.0.into_owned(), value);
        Ok(())
    }
}

/// A request skips it.
pub struct Skipped;

impl Unlisted for Skipped {
    fn take<'de, A: MapAccess<'de>>(
        &mut self,
        _key: Key<'de>,
        map: &mut A,
    ) -> Result<(), A::Error> {
        map.next_value::<de::IgnoredAny>()?;
        Ok(())
    }
}

/// A number the spec marks `format: decimal` (money, billed quantities): read from the JSON
/// number's own text into a [`rust_decimal::Decimal`], never through `f64`, and written back as a
/// JSON number with the same digits. Implemented for the two shapes a field takes.
pub trait ExactNumber: Sized {
    /// Reads the value (the generated `Deserialize` of a struct calls it through [`set_once_exact`]).
    fn read<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// Writes the value (through [`Exact`]).
    fn write<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads the value from the JSON text of a number, or of `null`.
    fn from_text(text: &str) -> Result<Self, String>;
}

/// The number's text: the JSON text of the value as received (a copy; serde_json gives a number's
/// digits only this way without its `arbitrary_precision` feature, which would change every
/// program's serde_json).
fn number_text<'de, D: de::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<rust_decimal::Decimal>, D::Error> {
    let raw = <Box<serde_json::value::RawValue> as de::Deserialize>::deserialize(deserializer)?;
    crate::pagination::exact_decimal(raw.get()).map_err(de::Error::custom)
}

fn write_decimal<S: serde::Serializer>(
    value: &rust_decimal::Decimal,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let raw = serde_json::value::RawValue::from_string(value.to_string())
        .map_err(serde::ser::Error::custom)?;
    // A newtype of the raw number: serde_json writes the digits as they are, and the export
    // columns (crate::columns) know the name and keep the value a decimal.
    serializer.serialize_newtype_struct(crate::columns::EXACT_DECIMAL, &raw)
}

impl ExactNumber for rust_decimal::Decimal {
    fn read<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        number_text(deserializer)?.ok_or_else(|| de::Error::custom("expected a number, got null"))
    }
    fn write<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_decimal(self, serializer)
    }
    fn from_text(text: &str) -> Result<Self, String> {
        crate::pagination::exact_decimal(text)?.ok_or_else(|| "expected a number, got null".into())
    }
}

impl ExactNumber for Option<rust_decimal::Decimal> {
    fn read<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        number_text(deserializer)
    }
    fn write<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => write_decimal(value, serializer),
            None => serializer.serialize_none(),
        }
    }
    fn from_text(text: &str) -> Result<Self, String> {
        crate::pagination::exact_decimal(text)
    }
}

/// A value read or written as an [`ExactNumber`]: `Exact<T>` to read, `Exact<&T>` to write.
pub struct Exact<T>(pub T);

impl<'de, T: ExactNumber> de::Deserialize<'de> for Exact<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::read(deserializer).map(Exact)
    }
}

impl<T: ExactNumber> serde::Serialize for Exact<&T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write(serializer)
    }
}

/// [`set_once`] for an [`ExactNumber`] field.
pub fn set_once_exact<'de, T: ExactNumber, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value::<Exact<T>>()?.0);
    Ok(())
}

/// One field of a union row, read before the row's tag is known (the tag usually comes late:
/// Gcore writes keys in alphabetical order). It holds the JSON value as read, borrowed where the
/// input allows, so that the row is parsed once: when the tag is known, each field becomes the
/// variant's field ([`required`], [`or_default`]); for a type the spec does not list, the row is
/// rebuilt as the JSON it was ([`unknown_row`]), nothing changed.
#[derive(Debug)]
pub enum Loose<'de> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A negative integer.
    I64(i64),
    /// A non-negative integer.
    U64(u64),
    /// Any other number.
    F64(f64),
    /// A string, borrowed from the input where it has no escapes.
    Str(Cow<'de, str>),
    /// The text of a `format: decimal` number (read by [`set_raw`]), so its digits are kept.
    Raw(Box<serde_json::value::RawValue>),
    /// An array or an object.
    Other(serde_json::Value),
}

impl<'de> de::Deserialize<'de> for Loose<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor;
        impl<'de> Visitor<'de> for LooseVisitor {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Loose<'de>, E> {
                Ok(Loose::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Loose<'de>, E> {
                Ok(Loose::Null)
            }
            fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Loose<'de>, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose<'de>, E> {
                Ok(Loose::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose<'de>, E> {
                Ok(Loose::I64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose<'de>, E> {
                Ok(Loose::U64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose<'de>, E> {
                Ok(Loose::F64(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Loose<'de>, E> {
                Ok(Loose::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
                let value =
                    de::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Loose::Other(value))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
                let value =
                    de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Loose::Other(value))
            }
        }
        deserializer.deserialize_any(LooseVisitor)
    }
}

impl Loose<'_> {
    /// The value as a `serde_json::Value`, as serde_json would have read it.
    fn into_value(self) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        Ok(match self {
            Loose::Null => Value::Null,
            Loose::Bool(v) => Value::Bool(v),
            Loose::I64(v) => Value::from(v),
            Loose::U64(v) => Value::from(v),
            Loose::F64(v) => Value::from(v),
            Loose::Str(v) => Value::String(v.into_owned()),
            Loose::Raw(raw) => serde_json::from_str(raw.get()).map_err(|e| e.to_string())?,
            Loose::Other(v) => v,
        })
    }
}

/// A [`Loose`] value is read into the variant's field type through this: each scalar is handed
/// to the field type's visitor as serde_json would hand it, so the field parses (and fails, with
/// serde's own message) as it would straight from the text.
impl<'de> de::Deserializer<'de> for Loose<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Loose::Null => visitor.visit_unit(),
            Loose::Bool(v) => visitor.visit_bool(v),
            Loose::I64(v) => visitor.visit_i64(v),
            Loose::U64(v) => visitor.visit_u64(v),
            Loose::F64(v) => visitor.visit_f64(v),
            Loose::Str(Cow::Borrowed(v)) => visitor.visit_borrowed_str(v),
            Loose::Str(Cow::Owned(v)) => visitor.visit_string(v),
            raw @ Loose::Raw(_) => raw
                .into_value()
                .map_err(de::Error::custom)?
                .deserialize_any(visitor),
            Loose::Other(v) => v.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Loose::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.into_value()
            .map_err(de::Error::custom)?
            .deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// Reads the next value into a union row's field `slot` (see [`Loose`]); sent twice is an error.
pub fn set_loose<'de, A: MapAccess<'de>>(
    slot: &mut Option<Loose<'de>>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    set_once(slot, map, name)
}

/// [`set_loose`] for a `format: decimal` field: its text is kept, for [`required_exact`] and
/// [`or_default_exact`] to read the digits from.
pub fn set_raw<'de, A: MapAccess<'de>>(
    slot: &mut Option<Loose<'de>>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(Loose::Raw(map.next_value()?));
    Ok(())
}

/// Why a field of a union row's variant could not be read.
#[derive(Debug)]
pub enum FieldFailure {
    /// Required and not sent: `missing field`, as serde's derive says.
    Missing(&'static str),
    /// Sent, and not a value of the field's type: `field `name`: ` and serde's message.
    Invalid(String),
}

/// The message of the first field that was sent with a bad value, else of the first missing one,
/// in the order of the struct's fields (as serde's derive, which stops at a bad value while it
/// reads and reports a missing field only at the end).
pub fn first_failure(failures: impl IntoIterator<Item = Option<FieldFailure>>) -> String {
    let mut missing = None;
    for failure in failures.into_iter().flatten() {
        match failure {
            FieldFailure::Invalid(message) => return message,
            FieldFailure::Missing(name) => {
                missing.get_or_insert(name);
            }
        }
    }
    match missing {
        Some(name) => format!("missing field `{name}`"),
        None => "does not parse".to_owned(),
    }
}

/// A required field of a union row's variant.
pub fn required<'de, T: de::Deserialize<'de>>(
    slot: Option<Loose<'de>>,
    name: &'static str,
) -> Result<T, FieldFailure> {
    match slot {
        Some(value) => {
            T::deserialize(value).map_err(|e| FieldFailure::Invalid(format!("field `{name}`: {e}")))
        }
        None => Err(FieldFailure::Missing(name)),
    }
}

/// An optional or defaulted field of a union row's variant: missing is the default (`None`).
pub fn or_default<'de, T: de::Deserialize<'de> + Default>(
    slot: Option<Loose<'de>>,
    name: &'static str,
) -> Result<T, FieldFailure> {
    match slot {
        Some(_) => required(slot, name),
        None => Ok(T::default()),
    }
}

/// [`required`] for a `format: decimal` field, read from the number's text.
pub fn required_exact<T: ExactNumber>(
    slot: Option<Loose<'_>>,
    name: &'static str,
) -> Result<T, FieldFailure> {
    let invalid = |e: String| FieldFailure::Invalid(format!("field `{name}`: {e}"));
    match slot {
        Some(Loose::Raw(raw)) => T::from_text(raw.get()).map_err(invalid),
        // Only `set_raw` fills the slot of a decimal field.
        Some(other) => Err(invalid(format!(
            "{other:?} was not read as a number's text"
        ))),
        None => Err(FieldFailure::Missing(name)),
    }
}

/// [`or_default`] for a `format: decimal` field, read from the number's text.
pub fn or_default_exact<T: ExactNumber + Default>(
    slot: Option<Loose<'_>>,
    name: &'static str,
) -> Result<T, FieldFailure> {
    match slot {
        Some(_) => required_exact(slot, name),
        None => Ok(T::default()),
    }
}

/// A known variant's `extra_fields`: the fields no variant lists, and the fields other variants
/// list that this row carries, each as received.
pub fn with_unlisted<'de>(
    mut unlisted: serde_json::Map<String, serde_json::Value>,
    others: impl IntoIterator<Item = (&'static str, Option<Loose<'de>>)>,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    for (name, slot) in others {
        if let Some(value) = slot {
            unlisted.insert(name.to_owned(), value.into_value()?);
        }
    }
    Ok(unlisted)
}

/// For a variant whose schema says `additionalProperties: false`: an error naming the first field
/// it does not list, in serde's words.
pub fn deny_unlisted<'de>(
    unlisted: &serde_json::Map<String, serde_json::Value>,
    others: impl IntoIterator<Item = (&'static str, Option<Loose<'de>>)>,
    fields: &'static [&'static str],
) -> Result<(), String> {
    let other = others
        .into_iter()
        .find_map(|(name, slot)| slot.map(|_| name));
    match unlisted.keys().map(String::as_str).next().or(other) {
        Some(name) => {
            Err(<serde_json::Error as de::Error>::unknown_field(name, fields).to_string())
        }
        None => Ok(()),
    }
}

/// A row of a type the spec does not list, rebuilt as the object it was: its tag, every field any
/// variant lists that it carries, and the fields none lists.
pub fn unknown_row<'de>(
    property: &'static str,
    tag: Cow<'de, str>,
    unlisted: serde_json::Map<String, serde_json::Value>,
    listed: impl IntoIterator<Item = (&'static str, Option<Loose<'de>>)>,
) -> Result<serde_json::Value, String> {
    let mut row = with_unlisted(unlisted, listed)?;
    row.insert(
        property.to_owned(),
        serde_json::Value::String(tag.into_owned()),
    );
    Ok(serde_json::Value::Object(row))
}

/// A union row's failure, for the error of the page: what the row was, then why (a bad value
/// quoted at most in part).
pub fn row_failure(what: &str, reason: &str) -> String {
    crate::error::row_failure(what, reason)
}

//! What the generated serde code calls: the generator writes each type's `Deserialize` and
//! `Serialize` out as plain code (codegen/src/serde_code.rs), and they share these few pieces: a
//! key read without copying ([`Key`]), a field set once ([`set_once`]: a field sent twice is
//! serde's `duplicate field`), where an unlisted field goes ([`Unlisted`]: an answer's
//! `extra_fields`, or [`Skipped`] for a request), and [`tag_of`], which finds a union row's tag.

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

/// The value of field `name` of the JSON object `text`, every other field skipped without being
/// parsed into anything: `None` when the field is missing or null. An error when `text` is not an
/// object, or the field is neither a string nor null, or it is sent twice. The open unions read
/// their tag with it before they parse the row as the variant the tag names.
pub fn tag_of<'a>(
    text: &'a str,
    name: &'static str,
) -> Result<Option<Cow<'a, str>>, serde_json::Error> {
    struct TagVisitor(&'static str);
    impl<'de> Visitor<'de> for TagVisitor {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut tag: Option<Option<Key<'de>>> = None;
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if key.as_str() == self.0 {
                    set_once(&mut tag, &mut map, self.0)?;
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            Ok(tag.flatten().map(|key| key.0))
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let tag = de::Deserializer::deserialize_map(&mut deserializer, TagVisitor(name))?;
    deserializer.end()?;
    Ok(tag)
}

/// A number the spec marks `format: decimal` (money, billed quantities): read from the JSON
/// number's own text into a [`rust_decimal::Decimal`], never through `f64`, and written back as a
/// JSON number with the same digits. Implemented for the two shapes a field takes.
pub trait ExactNumber: Sized {
    /// Reads the value (the generated `Deserialize` of a struct calls it through [`set_once_exact`]).
    fn read<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// Writes the value (through [`Exact`]).
    fn write<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
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

//! Parsing of the generated types: the macros the generated code calls instead of serde's derive.
//!
//! Answers (the types only responses carry) keep the fields the spec does not list in a flattened
//! `extra_fields` map. serde's derive writes about 500 lines per such struct (`#[serde(flatten)]`
//! buffers the whole object first), and a hundred of them made up most of what rustc compiled. The
//! generator writes [`answer_struct!`] (which also writes the struct's `Serialize`) and
//! [`string_enum!`] (which also writes the enum's `Serialize` and `Display`) instead: one pass over
//! the object, each field parsed straight into its type, unlisted fields into `extra_fields`.
//! They behave as the derive does: a missing required field is `missing field`, a missing
//! `Option` field is `None`, a `#[serde(default)]` field falls back to its default, a field sent
//! twice is `duplicate field`, an unknown enum value is `unknown variant`, with serde's own
//! messages. Answers serialize as the derive would write them: every listed field in order
//! (`None` as `null`), then the unlisted ones. Request structs get the same parser and their
//! `Serialize` through [`request_struct!`], with unlisted fields skipped as the derive skips them
//! and unset fields left out of the body as the derive leaves them out.

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

/// A field the struct must have: its value, or `missing field` returned from the parser.
macro_rules! required {
    ($slot:ident, $name:expr) => {
        match $slot {
            ::std::option::Option::Some(value) => value,
            ::std::option::Option::None => {
                return ::std::result::Result::Err(::serde::de::Error::missing_field($name));
            }
        }
    };
}
pub(crate) use required;

/// An `Option` field: missing and `null` are both `None`.
macro_rules! optional {
    ($slot:ident, $name:expr) => {
        $slot.flatten()
    };
}
pub(crate) use optional;

/// A `#[serde(default)]` field: missing is the type's default.
macro_rules! defaulted {
    ($slot:ident, $name:expr) => {
        $slot.unwrap_or_default()
    };
}
pub(crate) use defaulted;

/// The name a field travels under: its own, or the one given with `as`.
macro_rules! wire_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident $wire:literal) => {
        $wire
    };
}
pub(crate) use wire_name;

/// `Deserialize` and `Serialize` for an answer struct with an `extra_fields` map: each listed
/// field as `rust_name => required | optional | defaulted`, with `as "wire_name"` after the Rust
/// name when the two differ. Unlisted fields are kept in `extra_fields` and written back after
/// the listed ones, so a row serializes to what the server sent.
macro_rules! answer_struct {
    ($name:ident { $($fields:tt)* }) => {
        $crate::de::deserialize_struct!(answer $name { $($fields)* });
        $crate::de::serialize_answer_struct!($name { $($fields)* });
    };
}
pub(crate) use answer_struct;

/// `Serialize` for an answer struct, as serde's derive writes it for a struct with a flattened
/// map: a map of every listed field in declaration order (`None` as `null`; answers skip no
/// field), then the entries of `extra_fields`.
macro_rules! serialize_answer_struct {
    ($name:ident { $($field:ident $(as $wire:literal)? => $how:ident),* $(,)? }) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::std::option::Option::None)?;
                $(map.serialize_entry($crate::de::wire_name!($field $($wire)?), &self.$field)?;)*
                for (key, value) in &self.extra_fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    };
}
pub(crate) use serialize_answer_struct;

/// `Deserialize` and `Serialize` for a request struct: its fields written as for
/// [`answer_struct!`], each followed by `if is_none` (an `Option`) or `if is_empty` (a `Vec`) when
/// it is left out of the body while unset, so that only what the caller set is sent. Unlisted
/// fields are skipped when parsing, as serde's derive skips them (the CLI's `api --body` parses
/// requests).
macro_rules! request_struct {
    ($name:ident { $($field:ident $(as $wire:literal)? => $how:ident $(if $unset:ident)?),* $(,)? }) => {
        $crate::de::deserialize_struct!(request $name { $($field $(as $wire)? => $how),* });
        $crate::de::serialize_struct!($name { $($field $(as $wire)? $(if $unset)?),* });
    };
}
pub(crate) use request_struct;

/// `Serialize` for a struct, as serde's derive writes it: each field as `rust_name`, with
/// `as "wire_name"` when the two differ and `if is_none` / `if is_empty` when it is left out while
/// unset (the derive's `skip_serializing_if`); the others are always written.
macro_rules! serialize_struct {
    // A struct of no fields (a GET without query parameters): an empty object.
    ($name:ident {}) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                serializer.serialize_struct(stringify!($name), 0)?.end()
            }
        }
    };
    ($name:ident { $($field:ident $(as $wire:literal)? $(if $unset:ident)?),* $(,)? }) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct as _;
                // As serde's derive: the length counts the fields that are sent.
                let len = 0 $(+ $crate::de::sent!(self.$field $(, $unset)?))*;
                let mut state = serializer.serialize_struct(stringify!($name), len)?;
                $($crate::de::serialize_field!(state, self.$field, $crate::de::wire_name!($field $($wire)?) $(, $unset)?);)*
                state.end()
            }
        }
    };
}
pub(crate) use serialize_struct;

/// 1 when a request field is sent, 0 when it is unset and left out.
macro_rules! sent {
    ($value:expr) => {
        1usize
    };
    ($value:expr, $unset:ident) => {
        if $value.$unset() { 0usize } else { 1usize }
    };
}
pub(crate) use sent;

/// Writes one request field, or skips it when it is unset and marked so.
macro_rules! serialize_field {
    ($state:ident, $value:expr, $wire:expr) => {
        $state.serialize_field($wire, &$value)?
    };
    ($state:ident, $value:expr, $wire:expr, $unset:ident) => {
        if $value.$unset() {
            $state.skip_field($wire)?
        } else {
            $state.serialize_field($wire, &$value)?
        }
    };
}
pub(crate) use serialize_field;

/// The body of both struct macros; `answer` or `request` says where unlisted fields go.
///
/// Written for rustc as much as for the reader, since the crate has a hundred and fifty of these:
/// the field arms produce a `Result` that one `?` after the `match` checks, and the struct is
/// built with plain matches rather than calls and a `?` per field. With a `?` and a generic call
/// per field, type-checking and borrow-checking these bodies took 3.0 s of the crate's 12 s
/// compile; now 0.9 s (`-Z self-profile`). Declaring each slot's type as well saved too little to
/// be worth repeating every field's type here.
macro_rules! deserialize_struct {
    ($kind:ident $name:ident { $($field:ident $(as $wire:literal)? => $how:ident),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Fields;
                impl<'de> ::serde::de::Visitor<'de> for Fields {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<$name, A::Error> {
                        $(let mut $field = ::std::option::Option::None;)*
                        let mut unlisted = $crate::de::unlisted!($kind);
                        while let ::std::option::Option::Some(key) = map.next_key::<$crate::de::Key<'de>>()? {
                            match key.as_str() {
                                $($crate::de::wire_name!($field $($wire)?) => $crate::de::set_once(&mut $field, &mut map, $crate::de::wire_name!($field $($wire)?)),)*
                                _ => $crate::de::Unlisted::take(&mut unlisted, key, &mut map),
                            }?;
                        }
                        ::std::result::Result::Ok($crate::de::with_unlisted!($kind unlisted, $name {
                            $($field: $crate::de::$how!($field, $crate::de::wire_name!($field $($wire)?)),)*
                        }))
                    }
                }
                deserializer.deserialize_struct(stringify!($name), &[$($crate::de::wire_name!($field $($wire)?)),*], Fields)
            }
        }
    };
}
pub(crate) use deserialize_struct;

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

/// Where a struct's unlisted fields go while it is parsed: an answer's map, or nowhere.
macro_rules! unlisted {
    (answer) => {
        ::serde_json::Map::new()
    };
    (request) => {
        $crate::de::Skipped
    };
}
pub(crate) use unlisted;

/// The struct built from its listed fields, plus `extra_fields` for an answer.
macro_rules! with_unlisted {
    (answer $unlisted:ident, $name:ident { $($fields:tt)* }) => {
        $name { $($fields)* extra_fields: $unlisted }
    };
    (request $unlisted:ident, $name:ident { $($fields:tt)* }) => {
        $name { $($fields)* }
    };
}
pub(crate) use with_unlisted;

/// `Deserialize`, `Serialize` and `Display` for an answer enum of plain values: each variant as
/// `Variant = "wire_value"`. It serializes as its wire value, as serde's derive does for a unit
/// variant in JSON, without 100 more runs of serde's derive in every build of the crate.
macro_rules! string_enum {
    ($name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        impl $name {
            /// The value as the API writes it.
            fn wire_value(&self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.wire_value())
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.wire_value())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <$crate::de::Key<'de> as ::serde::Deserialize>::deserialize(deserializer)?;
                match value.as_str() {
                    $($wire => ::std::result::Result::Ok(Self::$variant),)*
                    other => ::std::result::Result::Err(<D::Error as ::serde::de::Error>::unknown_variant(other, &[$($wire),*])),
                }
            }
        }
    };
}
pub(crate) use string_enum;

/// `Deserialize` and `Serialize` for an untagged union whose variants each hold one value: it
/// writes the value it holds, and it reads the first variant, in declaration order, that takes
/// the input, as serde's derive does for `#[serde(untagged)]`. The input is buffered once as a
/// `serde_json::Value` (the derive buffers it too), then offered to each variant in turn.
macro_rules! untagged_union {
    ($name:ident { $($variant:ident),* $(,)? }) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    $(Self::$variant(value) => ::serde::Serialize::serialize(value, serializer),)*
                }
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                $(
                    if let ::std::result::Result::Ok(inner) = ::serde::Deserialize::deserialize(&value) {
                        return ::std::result::Result::Ok(Self::$variant(inner));
                    }
                )*
                ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(concat!(
                    "data did not match any variant of untagged enum ",
                    stringify!($name)
                )))
            }
        }
    };
}
pub(crate) use untagged_union;

/// `Serialize` (and, with `Deserialize`, that too) for a newtype that travels as the one value
/// it holds, as serde's derive does for `#[serde(transparent)]`.
macro_rules! transparent {
    ($name:ident) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(&self.0, serializer)
            }
        }
    };
    ($name:ident, Deserialize) => {
        $crate::de::transparent!($name);
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                ::serde::Deserialize::deserialize(deserializer).map(Self)
            }
        }
    };
}
pub(crate) use transparent;

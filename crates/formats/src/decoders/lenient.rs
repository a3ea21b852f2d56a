//! Deserializers for fields that real exports fill with the wrong JSON type now and then
//! (`"debugData": ""`, a phone number as a number): the value is read when it has the expected
//! type and ignored otherwise, so one odd field does not lose the record. Every decoder reads
//! its lenient fields through this module.
//!
//! The design, in order of preference:
//!
//! - Field types that are the same everywhere live here whole: [`Obj`] (an object or nothing),
//!   [`Str`] (a string or nothing), [`Text`] (a required string, or what stood in its place for
//!   the error), [`U32`], and the list reader [`List`] with its [`Collect`] trait (an array
//!   folded element by element, anything else read as empty). Scalars whose JSON type varies
//!   by producer: [`Code`] (a number or a string, kept as written) and [`AnyText`] (any scalar
//!   spelled as text); [`Key`] reads the keys of a hand-visited object without allocating.
//! - A decoder whose type has its own shape (a location that is an object or a region string,
//!   a parameter value of any type) keeps its own `Visitor` for the types it wants and takes
//!   the rest from [`ignore_other_types!`], which writes the `visit_*` methods that skip a
//!   value and return the type's [`Fallback`]; [`visit_strings!`] writes the three string
//!   methods that keep a borrowed string borrowed.
//!
//! Nothing here builds a generic JSON value tree: a value of a type that is not wanted is
//! skipped by the parser (`IgnoredAny`), strings are borrowed from the record when the parser
//! can (`Cow::Borrowed`), and nothing allocates per record beyond what the decoder keeps.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::RecordError;

/// What a lenient field makes of the JSON types it does not want: usually "nothing".
pub trait Fallback: Sized {
    fn none() -> Self;
}

/// Writes, inside a `Visitor` impl whose `Value` is [`Fallback`], the `visit_*` methods for the
/// JSON types listed (`bool`, `i64`, `u64`, `f64`, `str`, `unit`, `none`, `seq`, `map`): each
/// skips the value (arrays and objects element by element, without keeping them) and returns
/// `Fallback::none()`. Types left out keep serde's default, an error, or the visitor's own
/// method. One macro rather than a default impl because `Visitor` is serde's trait.
macro_rules! ignore_other_types {
    ($de:lifetime: $($kind:ident),+ $(,)?) => {
        $($crate::decoders::lenient::ignore_other_types!(@ $de $kind);)+
    };
    (@ $de:lifetime bool) => {
        fn visit_bool<E: ::serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime i64) => {
        fn visit_i64<E: ::serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime u64) => {
        fn visit_u64<E: ::serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime f64) => {
        fn visit_f64<E: ::serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime str) => {
        fn visit_str<E: ::serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime unit) => {
        fn visit_unit<E: ::serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime none) => {
        fn visit_none<E: ::serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime seq) => {
        fn visit_seq<A: ::serde::de::SeqAccess<$de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<::serde::de::IgnoredAny>()?.is_some() {}
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
    (@ $de:lifetime map) => {
        fn visit_map<A: ::serde::de::MapAccess<$de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<::serde::de::IgnoredAny, ::serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok($crate::decoders::lenient::Fallback::none())
        }
    };
}
pub(crate) use ignore_other_types;

/// Writes, inside a `Visitor` impl, `visit_borrowed_str`, `visit_str` and `visit_string`, each
/// handing `$wrap` the string as a `Cow<str>`: borrowed from the record when the parser can
/// (no escapes), owned otherwise. `$wrap` is a function or closure from `Cow<str>` to
/// `Self::Value`.
macro_rules! visit_strings {
    ($de:lifetime, $wrap:expr) => {
        fn visit_borrowed_str<E: ::serde::de::Error>(
            self,
            v: &$de str,
        ) -> Result<Self::Value, E> {
            Ok(($wrap)(::std::borrow::Cow::Borrowed(v)))
        }
        fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(($wrap)(::std::borrow::Cow::Owned(v.to_owned())))
        }
        fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(($wrap)(::std::borrow::Cow::Owned(v)))
        }
    };
}
pub(crate) use visit_strings;

/// Something built from a JSON array one element at a time: a list that keeps only the
/// elements of a usable shape, or a fold that keeps just what the decoder needs (the first
/// `User` target) without collecting a vector first. Read through [`List`] or [`list`].
pub trait Collect<'de>: Default {
    /// How one element is read; a lenient type ([`Obj`], or the decoder's own) so that one
    /// malformed element is skipped rather than failing the record.
    type Item: Deserialize<'de>;
    fn push(&mut self, item: Self::Item);
}

/// A [`Collect`] read from an array, or its default when the field holds another JSON type.
pub struct List<C>(pub C);

impl<C: Default> Fallback for List<C> {
    fn none() -> Self {
        List(C::default())
    }
}

impl<'de, C: Collect<'de>> Deserialize<'de> for List<C> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<C>(PhantomData<C>);

        impl<'de, C: Collect<'de>> Visitor<'de> for Visit<C> {
            type Value = List<C>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut collected = C::default();
                while let Some(item) = seq.next_element::<C::Item>()? {
                    collected.push(item);
                }
                Ok(List(collected))
            }

            ignore_other_types!('de: bool, i64, u64, f64, str, unit, none, map);
        }

        deserializer.deserialize_any(Visit(PhantomData))
    }
}

/// Reads a [`Collect`] leniently: for a type's own `Deserialize` impl, so that fields keep the
/// decoder's type rather than a [`List`] wrapper.
pub fn list<'de, C: Collect<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<C, D::Error> {
    List::deserialize(deserializer).map(|List(c)| c)
}

/// An object of type `T`, or nothing when the field holds another JSON type.
pub struct Obj<T>(pub Option<T>);

impl<T> Default for Obj<T> {
    fn default() -> Self {
        Obj(None)
    }
}

/// A string, or nothing when the field holds another JSON type.
#[derive(Default)]
pub struct Str<'a>(pub Option<Cow<'a, str>>);

/// A non-negative integer that fits in 32 bits (or a string of one), or nothing.
#[derive(Default)]
pub struct U32(pub Option<u32>);

/// A field that must hold a string (a time, an event type): the string, or what the field
/// held instead, so the error can name the field and say what was wrong with it.
#[derive(Default)]
pub enum Text<'a> {
    /// Absent or `null`.
    #[default]
    Absent,
    Str(Cow<'a, str>),
    /// Another JSON type, named for the error message.
    Wrong(&'static str),
}

impl<'a> Text<'a> {
    /// The string, or the error a person can act on.
    pub fn require(self, field: &'static str) -> Result<Cow<'a, str>, RecordError> {
        match self {
            Text::Str(text) => Ok(text),
            Text::Absent => Err(RecordError::MissingField(field)),
            Text::Wrong(found) => Err(RecordError::invalid(
                field,
                format!("expected a string, found {found}"),
            )),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for Visit<'a> {
            type Value = Text<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            visit_strings!('de, Text::Str);

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text::Wrong("a boolean"))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text::Wrong("a number"))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text::Wrong("a number"))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text::Wrong("a number"))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::Absent)
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::Absent)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text::Wrong("an array"))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text::Wrong("an object"))
            }
        }

        deserializer.deserialize_any(Visit(PhantomData))
    }
}

impl<T> Fallback for Obj<T> {
    fn none() -> Self {
        Obj(None)
    }
}

impl Fallback for Str<'_> {
    fn none() -> Self {
        Str(None)
    }
}

impl Fallback for U32 {
    fn none() -> Self {
        U32(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Visit<T> {
            type Value = Obj<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }

            ignore_other_types!('de: bool, i64, u64, f64, str, unit, none, seq);
        }

        deserializer.deserialize_any(Visit(PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for Visit<'a> {
            type Value = Str<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            visit_strings!('de, |s| Str(Some(s)));
            ignore_other_types!('de: bool, i64, u64, f64, unit, none, seq, map);
        }

        deserializer.deserialize_any(Visit(PhantomData))
    }
}

impl<'de> Deserialize<'de> for U32 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;

        impl<'de> Visitor<'de> for Visit {
            type Value = U32;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(U32(u32::try_from(v).ok()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(U32(u32::try_from(v).ok()))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(U32(v.trim().parse().ok()))
            }

            ignore_other_types!('de: bool, f64, unit, none, seq, map);
        }

        deserializer.deserialize_any(Visit)
    }
}

/// A status or result code written as a number (`50126`) or a string (`"50126"`, `"Success"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code<'a> {
    Number(i64),
    Text(Cow<'a, str>),
}

impl Code<'_> {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Code::Number(n) => Some(*n),
            Code::Text(t) => t.trim().parse().ok(),
        }
    }

    pub fn as_u32(&self) -> Option<u32> {
        self.as_i64().and_then(|n| u32::try_from(n).ok())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Code<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodeVisitor;
        impl<'de> Visitor<'de> for CodeVisitor {
            type Value = Code<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Code::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(Code::Number)
                    .map_err(|_| E::custom(format!("code {v} is out of range")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Code::Text(Cow::Owned(v.to_string())))
            }
            visit_strings!('de, Code::Text);
        }
        deserializer.deserialize_any(CodeVisitor)
    }
}

/// A value read as text whatever its JSON type: strings as they are, numbers and booleans
/// spelled out, `null`, objects and arrays as nothing. For name/value lists whose values
/// vary by producer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnyText<'a>(pub Option<Cow<'a, str>>);

impl Fallback for AnyText<'_> {
    fn none() -> Self {
        AnyText(None)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AnyText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = AnyText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(AnyText(Some(Cow::Borrowed(if v {
                    "true"
                } else {
                    "false"
                }))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(AnyText(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(AnyText(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(AnyText(Some(Cow::Owned(v.to_string()))))
            }
            visit_strings!('de, |s| AnyText(Some(s)));
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                AnyText::deserialize(d)
            }
            ignore_other_types!('de: unit, none, seq, map);
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A map key kept inline (the keys forewarn looks for are short), so that reading the keys of
/// a hand-visited object allocates nothing, where serde's `Cow<str>` would copy each one.
pub struct Key {
    bytes: [u8; 32],
    /// `None` for a key too long to be one forewarn looks for.
    len: Option<usize>,
}

impl Key {
    /// Whether the key is `name`, ASCII case ignored.
    pub fn is(&self, name: &str) -> bool {
        self.len
            .and_then(|n| self.bytes.get(..n))
            .is_some_and(|k| k.eq_ignore_ascii_case(name.as_bytes()))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let mut bytes = [0u8; 32];
                let len = bytes.get_mut(..v.len()).map(|slot| {
                    slot.copy_from_slice(v.as_bytes());
                    v.len()
                });
                Ok(Key { bytes, len })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

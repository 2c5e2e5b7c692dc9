//! [`Binary`]: raw bytes that travel as bytes.
//!
//! Every other typed value is a JSON payload; a `Binary` (as a workflow's, activity's,
//! signal's or update's input or result) is a payload with the `binary` encoding whose
//! data are the bytes themselves, as Temporal's `binary/plain`. The SDK tells it apart
//! by serializing the value once into [`Probe`], a serializer that accepts nothing but a
//! `Binary` at the top (and fails at once on anything else).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, Impossible, Serializer};
use serde::{Deserialize, Serialize};

/// The name `Binary` serializes under, which no other type uses.
const NAME: &str = "$weft::Binary";

/// Raw bytes, stored and delivered as a `binary` payload (not a JSON array).
///
/// ```
/// use weft_sdk::{workflow, Binary, WfContext, WfResult};
///
/// #[workflow]
/// async fn echo_binary(_ctx: WfContext, input: Binary) -> WfResult<Binary> {
///     Ok(input)
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Binary(pub Vec<u8>);

impl From<Vec<u8>> for Binary {
    fn from(bytes: Vec<u8>) -> Self {
        Binary(bytes)
    }
}

impl From<Binary> for Vec<u8> {
    fn from(binary: Binary) -> Self {
        binary.0
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl Serialize for Binary {
    /// As a newtype of bytes under a reserved name: the SDK's payloads make it a
    /// `binary` payload; inside another value (JSON) it is an array of numbers.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(NAME, &Bytes(&self.0))
    }
}

impl<'de> Deserialize<'de> for Binary {
    /// From a `binary` payload's bytes, or from a JSON array of numbers.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Binary, D::Error> {
        d.deserialize_byte_buf(BinaryVisitor)
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Binary, E> {
        Ok(Binary(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Binary, E> {
        Ok(Binary(v))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        Ok(Binary(bytes))
    }
}

/// The bytes of `value` when it is a [`Binary`]; `None` for any other value.
pub(crate) fn bytes_of<T: Serialize + ?Sized>(value: &T) -> Option<Vec<u8>> {
    value.serialize(Probe { inner: false }).ok()
}

/// Not a `Binary`.
#[derive(Debug)]
struct NotBinary;

impl fmt::Display for NotBinary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Binary")
    }
}

impl std::error::Error for NotBinary {}

impl ser::Error for NotBinary {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NotBinary
    }
}

/// Accepts `Binary`'s newtype at the top (`inner: false`), then its bytes.
struct Probe {
    inner: bool,
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Vec<u8>, NotBinary> {
            Err(NotBinary)
        }
    )*};
}

impl Serializer for Probe {
    type Ok = Vec<u8>;
    type Error = NotBinary;
    type SerializeSeq = Impossible<Vec<u8>, NotBinary>;
    type SerializeTuple = Impossible<Vec<u8>, NotBinary>;
    type SerializeTupleStruct = Impossible<Vec<u8>, NotBinary>;
    type SerializeTupleVariant = Impossible<Vec<u8>, NotBinary>;
    type SerializeMap = Impossible<Vec<u8>, NotBinary>;
    type SerializeStruct = Impossible<Vec<u8>, NotBinary>;
    type SerializeStructVariant = Impossible<Vec<u8>, NotBinary>;

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Vec<u8>, NotBinary> {
        if self.inner || name != NAME {
            return Err(NotBinary);
        }
        value.serialize(Probe { inner: true })
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Vec<u8>, NotBinary> {
        if self.inner {
            Ok(v.to_vec())
        } else {
            Err(NotBinary)
        }
    }

    refuse!(
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
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Vec<u8>, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Vec<u8>, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotBinary> {
        Err(NotBinary)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotBinary> {
        Err(NotBinary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_binary_at_the_top_is_one() {
        assert_eq!(bytes_of(&Binary(vec![0xde, 0xad])), Some(vec![0xde, 0xad]));
        assert_eq!(bytes_of(&vec![0xde_u8, 0xad]), None);
        assert_eq!(bytes_of(&Some(Binary(vec![1]))), None);
        assert_eq!(bytes_of(&(Binary(vec![1]),)), None);
        assert_eq!(bytes_of("text"), None);
    }

    #[test]
    fn inside_json_it_is_an_array_and_reads_back() {
        let json = serde_json::to_string(&vec![Binary(vec![1, 2])]).unwrap();
        assert_eq!(json, "[[1,2]]");
        let back: Vec<Binary> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![Binary(vec![1, 2])]);
    }
}

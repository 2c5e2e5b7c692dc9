//! Payloads: how typed values cross the component boundary.
//!
//! Every payload the SDK produces is `encoding: json`, but a [`Binary`](crate::Binary)'s,
//! which is `encoding: binary` with the bytes themselves. An empty JSON payload decodes
//! as JSON `null`, so a workflow whose input type is `()` or `Option<T>` can be started
//! without input.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::wit::{Encoding, Payload};

/// Encodes `value` as a JSON payload.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Payload, serde_json::Error> {
    if let Some(data) = crate::binary::bytes_of(value) {
        return Ok(Payload {
            encoding: Encoding::Binary,
            data,
        });
    }
    Ok(Payload {
        encoding: Encoding::Json,
        data: serde_json::to_vec(value)?,
    })
}

/// Decodes a JSON payload into `T`.
///
/// The error is a sentence fragment meant to follow "does not decode: ".
pub(crate) fn from_json<T: DeserializeOwned>(payload: &Payload) -> Result<T, String> {
    if payload.encoding == Encoding::Binary {
        let bytes =
            serde::de::value::BytesDeserializer::<serde::de::value::Error>::new(&payload.data);
        return T::deserialize(bytes).map_err(|e| {
            format!("the payload is binary, which decodes as `weft_sdk::Binary` only ({e})")
        });
    }
    let data: &[u8] = if payload.data.is_empty() {
        b"null"
    } else {
        &payload.data
    };
    let mut json = serde_json::Deserializer::from_slice(data);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        }
    })
}

/// Decodes a message's input (a signal's, a query's, an update's) into `T`.
///
/// The error is a sentence fragment: "its input does not decode as `T`: …".
pub(crate) fn decode_input<T: DeserializeOwned>(input: &Payload) -> Result<T, String> {
    from_json(input).map_err(|error| {
        format!(
            "its input does not decode as `{}`: {error}",
            std::any::type_name::<T>()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_payload_decodes_as_null() {
        let empty = Payload {
            encoding: Encoding::Json,
            data: Vec::new(),
        };
        from_json::<()>(&empty).unwrap();
        assert_eq!(from_json::<Option<u32>>(&empty).unwrap(), None);
    }

    #[test]
    fn binary_payload_is_a_binary_only() {
        let binary = Payload {
            encoding: Encoding::Binary,
            data: b"1".to_vec(),
        };
        let error = from_json::<u32>(&binary).unwrap_err();
        assert!(error.contains("weft_sdk::Binary"), "{error}");
        let bytes: crate::Binary = from_json(&binary).unwrap();
        assert_eq!(bytes.0, b"1");
    }

    #[test]
    fn a_binary_is_a_binary_payload_of_its_bytes() {
        let p = to_json(&crate::Binary(vec![0xde, 0xad, 0xbe, 0xef])).unwrap();
        assert_eq!(p.encoding, Encoding::Binary);
        assert_eq!(p.data, [0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn round_trip() {
        let p = to_json(&vec![1u64, 2]).unwrap();
        assert_eq!(p.data, b"[1,2]");
        assert_eq!(from_json::<Vec<u64>>(&p).unwrap(), vec![1, 2]);
    }
}

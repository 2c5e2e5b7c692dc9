//! The history file: JSON a person can read and the replayer can load.
//!
//! ```json
//! { "format": "weft-history", "version": 2, "workflow_id": "...", "run_id": "...",
//!   "events": [ {"ExecutionStarted": {...}}, {"TaskStarted": {"time_ms": 1700000000000}}, ... ] }
//! ```
//! Payloads appear as `{"json": <value>}` when their encoding is JSON and as
//! `{"binary": "<hex>"}` otherwise. A payload the payload codec encoded (and that was
//! not decoded for the file) appears as its envelope:
//! `{"encoded": {"key_id": "2025-06", "compressed": false, "encoding": "Json",
//! "nonce": "<hex>", "data": "<hex of the ciphertext>"}}`.

use serde_json::{json, Map, Value};

use super::codec::OLDEST_FORMAT;
use super::vocab::{Encoding, Payload};
use super::{Event, FORMAT_VERSION};
use crate::payload_codec::Envelope;

/// A history file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON.
    #[error("the history file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not a weft history.
    #[error("not a weft history file: {0}")]
    NotAHistory(String),
    /// The history was written by a newer weft.
    #[error("history format version {found} is newer than this weft understands ({FORMAT_VERSION}); upgrade weft")]
    NewerVersion { found: u64 },
    /// A payload's `binary` field is not hex.
    #[error("a binary payload is not valid hex ({0}) in the history file")]
    BadHex(String),
    /// An `encoded` payload is not an envelope.
    #[error("an encoded payload in the history file is not an envelope: {0}")]
    BadEnvelope(String),
}

/// Encode a run's history as the file's JSON.
pub fn to_json(workflow_id: &str, run_id: &str, events: &[Event]) -> Value {
    let mut events = serde_json::to_value(events).expect("events always serialize");
    show_payloads(&mut events);
    json!({
        "format": "weft-history",
        "version": FORMAT_VERSION,
        "workflow_id": workflow_id,
        "run_id": run_id,
        "events": events,
    })
}

/// Decode a history file's JSON.
pub fn from_json(text: &str) -> Result<(String, String, Vec<Event>), ImportError> {
    let mut root: Value = serde_json::from_str(text)?;
    if root.get("format").and_then(Value::as_str) != Some("weft-history") {
        return Err(ImportError::NotAHistory(
            "the `format` field is missing or is not \"weft-history\"".into(),
        ));
    }
    let version = root.get("version").and_then(Value::as_u64).ok_or_else(|| {
        ImportError::NotAHistory("the `version` field is missing or not a number".into())
    })?;
    if version > FORMAT_VERSION as u64 {
        return Err(ImportError::NewerVersion { found: version });
    }
    if version < OLDEST_FORMAT as u64 {
        return Err(ImportError::NotAHistory(format!(
            "there is no history format version {version}"
        )));
    }
    let field = |root: &Value, name: &str| {
        root.get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ImportError::NotAHistory(format!("the `{name}` field is missing")))
    };
    let (workflow_id, run_id) = (field(&root, "workflow_id")?, field(&root, "run_id")?);
    let mut events = root
        .get_mut("events")
        .map(Value::take)
        .ok_or_else(|| ImportError::NotAHistory("no `events` list".into()))?;
    hide_payloads(&mut events)?;
    Ok((workflow_id, run_id, serde_json::from_value(events)?))
}

fn is_payload(map: &Map<String, Value>) -> bool {
    map.len() == 2 && map.contains_key("encoding") && map.get("data").is_some_and(Value::is_array)
}

fn show_payloads(value: &mut Value) {
    match value {
        Value::Object(map) if is_payload(map) => {
            let bytes: Vec<u8> = serde_json::from_value(map["data"].take()).unwrap_or_default();
            *value = match map["encoding"].as_str() {
                Some("Json") => match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => json!({ "json": v }),
                    Err(_) => json!({ "binary": hex::encode(&bytes) }),
                },
                Some("Encoded") => show_envelope(&bytes),
                _ => json!({ "binary": hex::encode(&bytes) }),
            };
        }
        Value::Object(map) => map.values_mut().for_each(show_payloads),
        Value::Array(items) => items.iter_mut().for_each(show_payloads),
        _ => {}
    }
}

fn hide_payloads(value: &mut Value) -> Result<(), ImportError> {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("json") => {
            let data = serde_json::to_vec(&map["json"]).expect("JSON values serialize");
            *value = json!({ "encoding": "Json", "data": data });
        }
        Value::Object(map) if map.len() == 1 && map.get("binary").is_some_and(Value::is_string) => {
            let text = map["binary"].as_str().unwrap_or_default();
            let data = hex::decode(text).map_err(|e| ImportError::BadHex(e.to_string()))?;
            *value = json!({ "encoding": "Binary", "data": data });
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("encoded") => {
            let payload = hide_envelope(&map["encoded"])?;
            *value = serde_json::to_value(payload).expect("payloads serialize");
        }
        Value::Object(map) => map.values_mut().try_for_each(hide_payloads)?,
        Value::Array(items) => items.iter_mut().try_for_each(hide_payloads)?,
        _ => {}
    }
    Ok(())
}

/// An encoded payload's envelope as the file shows it (its bytes in hex if they are
/// not an envelope, so that nothing is lost).
fn show_envelope(bytes: &[u8]) -> Value {
    let payload = Payload {
        encoding: Encoding::Encoded,
        data: bytes.to_vec(),
    };
    match Envelope::of(&payload) {
        Ok(e) => json!({ "encoded": {
            "key_id": e.key_id,
            "compressed": e.compressed,
            "encoding": e.encoding,
            "nonce": hex::encode(&e.nonce),
            "data": hex::encode(&e.data),
        }}),
        Err(_) => json!({ "encoded": hex::encode(bytes) }),
    }
}

fn hide_envelope(shown: &Value) -> Result<Payload, ImportError> {
    let bad = |what: &str| ImportError::BadEnvelope(what.to_string());
    let hex_field = |name: &str| -> Result<Vec<u8>, ImportError> {
        let text = shown[name]
            .as_str()
            .ok_or_else(|| bad(&format!("no `{name}` string")))?;
        hex::decode(text).map_err(|e| ImportError::BadHex(e.to_string()))
    };
    if let Some(raw) = shown.as_str() {
        let data = hex::decode(raw).map_err(|e| ImportError::BadHex(e.to_string()))?;
        return Ok(Payload {
            encoding: Encoding::Encoded,
            data,
        });
    }
    let envelope = Envelope {
        key_id: match &shown["key_id"] {
            Value::Null => None,
            Value::String(id) => Some(id.clone()),
            _ => return Err(bad("`key_id` is neither a string nor null")),
        },
        nonce: hex_field("nonce")?,
        compressed: shown["compressed"]
            .as_bool()
            .ok_or_else(|| bad("no `compressed` flag"))?,
        encoding: serde_json::from_value(shown["encoding"].clone())
            .map_err(|e| bad(&format!("`encoding`: {e}")))?,
        data: hex_field("data")?,
    };
    Ok(envelope.into_payload())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::{Job, Signal};

    fn sample() -> Vec<Event> {
        vec![Event::Job(Job::Signal(Signal {
            name: "s".into(),
            input: Payload {
                encoding: Encoding::Binary,
                data: vec![0xde, 0xad],
            },
        }))]
    }

    #[test]
    fn round_trips_with_readable_payloads() {
        let json = to_json("w", "r", &sample());
        assert!(json.to_string().contains(r#"{"binary":"dead"}"#), "{json}");
        let (w, r, events) = from_json(&json.to_string()).unwrap();
        assert_eq!((w.as_str(), r.as_str(), events), ("w", "r", sample()));
    }

    #[test]
    fn encoded_payloads_show_their_envelope_and_round_trip() {
        let envelope = Envelope {
            key_id: Some("k1".into()),
            nonce: vec![7; 12],
            compressed: true,
            encoding: Encoding::Json,
            data: vec![0xca, 0xfe],
        };
        let events = vec![Event::Job(Job::Signal(Signal {
            name: "s".into(),
            input: envelope.clone().into_payload(),
        }))];
        let json = to_json("w", "r", &events);
        let shown = &json["events"][0]["Job"]["Signal"]["input"]["encoded"];
        assert_eq!(shown["key_id"], "k1", "{json}");
        assert_eq!(shown["data"], "cafe");
        let (_, _, back) = from_json(&json.to_string()).unwrap();
        assert_eq!(back, events);
    }

    #[test]
    fn malformed_files_are_errors_not_guesses() {
        let good = to_json("w", "r", &sample());
        let with = |edit: &dyn Fn(&mut Value)| {
            let mut v = good.clone();
            edit(&mut v);
            from_json(&v.to_string())
        };
        let no_version = with(&|v| {
            v.as_object_mut().unwrap().remove("version");
        });
        assert!(matches!(no_version, Err(ImportError::NotAHistory(_))));
        let newer = with(&|v| v["version"] = json!(FORMAT_VERSION + 1));
        assert!(matches!(newer, Err(ImportError::NewerVersion { .. })));
        let zero = with(&|v| v["version"] = json!(0));
        assert!(matches!(zero, Err(ImportError::NotAHistory(_))));
        let bad_hex = with(&|v| {
            v["events"][0]["Job"]["Signal"]["input"] = json!({"binary": "xyz"});
        });
        assert!(
            matches!(bad_hex, Err(ImportError::BadHex(_))),
            "{bad_hex:?}"
        );
        let no_id = with(&|v| {
            v.as_object_mut().unwrap().remove("workflow_id");
        });
        assert!(matches!(no_id, Err(ImportError::NotAHistory(_))));
        assert!(matches!(
            from_json("{\"format\": \"other\"}"),
            Err(ImportError::NotAHistory(_))
        ));
    }
}

//! The search-attribute tables: each run's current attributes, the index of their
//! values, and the type each attribute name was first given.
//!
//! Index keys are `(name, encoded value, start ms, run id)`. Values are encoded so that
//! byte order is value order: strings as their UTF-8 bytes, integers and datetimes
//! (milliseconds) as big-endian with the sign bit flipped, doubles as their IEEE bits
//! with the sign bit flipped (all bits for negatives), bools as one byte. A keyword
//! list has one row per keyword. A name has one type (see `search_attribute_types`),
//! so the rows under a name never mix encodings.

use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};
use weft_types::{SearchAttributeKind, SearchAttributeValue};

use super::plan::Value;
use super::{RunAttributes, StorageError};

/// run id → JSON `RunAttributes`.
pub const RUN_ATTRIBUTES: TableDefinition<&str, &[u8]> = TableDefinition::new("run_attributes");
/// (attribute name, encoded value, start ms, run id).
pub const ATTRIBUTE_INDEX: TableDefinition<(&str, &[u8], u64, &str), ()> =
    TableDefinition::new("search_attribute_index");
/// attribute name → type byte (`SearchAttributeKind::byte`).
pub const ATTRIBUTE_TYPES: TableDefinition<&str, u8> =
    TableDefinition::new("search_attribute_types");

/// Order-preserving bytes of an integer (or a datetime's milliseconds).
pub fn encode_i64(i: i64) -> Vec<u8> {
    ((i as u64) ^ (1 << 63)).to_be_bytes().to_vec()
}

/// Order-preserving bytes of a double.
pub fn encode_f64(v: f64) -> Vec<u8> {
    let bits = v.to_bits();
    let key = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    key.to_be_bytes().to_vec()
}

/// The index bytes of a query value.
pub fn encode_value(v: &Value) -> Vec<u8> {
    match v {
        Value::Str(s) => s.as_bytes().to_vec(),
        Value::Int(i) | Value::Time(i) => encode_i64(*i),
        Value::Double(d) => encode_f64(*d),
        Value::Bool(b) => vec![u8::from(*b)],
        Value::Status(s) => vec![*s as u8],
    }
}

/// The index rows' values of one stored attribute.
pub fn index_values(value: &SearchAttributeValue) -> Vec<Vec<u8>> {
    Value::of_attribute(value)
        .iter()
        .map(encode_value)
        .collect()
}

pub fn decode_attributes(run_id: &str, bytes: &[u8]) -> Result<RunAttributes, StorageError> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::DecodeJson {
        what: format!("attributes of run {run_id}"),
        message: e.to_string(),
    })
}

/// The attribute tables, open for writing.
pub struct AttributeTables<'tx> {
    current: Table<'tx, &'static str, &'static [u8]>,
    index: Table<'tx, (&'static str, &'static [u8], u64, &'static str), ()>,
    types: Table<'tx, &'static str, u8>,
}

impl<'tx> AttributeTables<'tx> {
    pub fn open(tx: &'tx WriteTransaction) -> Result<AttributeTables<'tx>, StorageError> {
        Ok(AttributeTables {
            current: tx.open_table(RUN_ATTRIBUTES)?,
            index: tx.open_table(ATTRIBUTE_INDEX)?,
            types: tx.open_table(ATTRIBUTE_TYPES)?,
        })
    }

    /// Replace a run's attributes: drop the index rows of the old ones, write the new.
    /// Only the search attributes are kept: the memo lives in the run's history alone,
    /// where a payload codec encrypts it (the index has to read search attributes).
    pub fn put(
        &mut self,
        run_id: &str,
        start_ms: u64,
        attributes: &RunAttributes,
    ) -> Result<(), StorageError> {
        let attributes = &RunAttributes {
            search: attributes.search.clone(),
            memo: Default::default(),
            summary: attributes.summary.clone(),
        };
        let old = self
            .current
            .get(run_id)?
            .map(|v| decode_attributes(run_id, v.value()))
            .transpose()?;
        if let Some(old) = old {
            for (name, value) in &old.search {
                for bytes in index_values(value) {
                    self.index
                        .remove((name.as_str(), bytes.as_slice(), start_ms, run_id))?;
                }
            }
        }
        if attributes.is_empty() {
            self.current.remove(run_id)?;
            return Ok(());
        }
        let json = serde_json::to_vec(attributes).expect("attributes always encode");
        self.current.insert(run_id, json.as_slice())?;
        for (name, value) in &attributes.search {
            for bytes in index_values(value) {
                self.index
                    .insert((name.as_str(), bytes.as_slice(), start_ms, run_id), ())?;
            }
            if self.types.get(name.as_str())?.is_none() {
                self.types.insert(name.as_str(), value.kind().byte())?;
            }
        }
        Ok(())
    }
}

/// Decode a stored type byte.
pub fn decode_kind(name: &str, byte: u8) -> Result<SearchAttributeKind, StorageError> {
    SearchAttributeKind::from_byte(byte).ok_or_else(|| StorageError::DecodeJson {
        what: format!("type of search attribute {name}"),
        message: format!("unknown type byte {byte}; a newer weft wrote it"),
    })
}

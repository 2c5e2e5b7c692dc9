//! Sensitive fields: what the host masks wherever it displays a payload.
//!
//! A field is sensitive when its JSON object key is one of the names of a
//! [`SensitiveFields`] (by default [`DEFAULT_SENSITIVE_FIELDS`], plus what the server is
//! told), compared without case and without `_` or `-` (`creditCard`, `CREDIT_CARD` and
//! `credit-card` are all `credit_card`), at any depth; or when its value is a
//! [`Sensitive`], which serializes as `{"$sensitive": <value>}` whatever its field is
//! called. Masking changes only what is displayed: the workflow and its activities get
//! the real values.
//!
//! A masked value is `"****"`, or `"****1234"` for a string of at least 12 digits
//! (spaces and dashes allowed between them, as in a card number): its last four digits,
//! the way a receipt shows a card. `null` stays `null`. A [`Sensitive`] keeps its marker
//! (`{"$sensitive": "****1234"}`), so a reader sees why it is masked.
//!
//! ```
//! use weft_types::sensitive::{Sensitive, SensitiveFields};
//!
//! #[derive(serde::Serialize)]
//! struct Payment { card_number: String, cvv: Sensitive<String>, amount_cents: u64 }
//!
//! let payment = Payment {
//!     card_number: "4111 1111 1111 1111".into(),
//!     cvv: Sensitive("123".into()),
//!     amount_cents: 500,
//! };
//! let mut shown = serde_json::to_value(&payment).unwrap();
//! SensitiveFields::default().mask(&mut shown);
//! assert_eq!(
//!     shown,
//!     serde_json::json!({"card_number": "****1111", "cvv": {"$sensitive": "****"}, "amount_cents": 500})
//! );
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The key of the object a [`Sensitive`] serializes as.
pub const SENSITIVE_MARKER: &str = "$sensitive";

/// The field names masked when nothing else is configured.
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    "password",
    "credit_card",
    "card_number",
    "ssn",
    "api_key",
    "secret",
    "token",
];

/// What a masked value shows.
pub const MASK: &str = "****";

/// A value the host masks wherever it shows it, whatever its field is named.
///
/// It serializes as `{"$sensitive": <value>}` and reads back from that or from the bare
/// value (so a client can start a workflow with a plain `"cvv": "123"`). `Debug` never
/// prints the value, so a `{:?}` in a log does not leak it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sensitive<T>(pub T);

impl<T> Sensitive<T> {
    /// The real value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Sensitive<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sensitive({MASK})")
    }
}

impl<T: Serialize> Serialize for Sensitive<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(SENSITIVE_MARKER, &self.0)?;
        map.end()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let inner = match value {
            Value::Object(mut map) if map.len() == 1 && map.contains_key(SENSITIVE_MARKER) => {
                map.remove(SENSITIVE_MARKER).unwrap_or(Value::Null)
            }
            bare => bare,
        };
        T::deserialize(inner)
            .map(Sensitive)
            .map_err(serde::de::Error::custom)
    }
}

/// The field names whose values are masked, normalized (lower case, no `_` or `-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveFields {
    names: BTreeSet<String>,
}

impl Default for SensitiveFields {
    /// [`DEFAULT_SENSITIVE_FIELDS`].
    fn default() -> SensitiveFields {
        SensitiveFields::none().with(DEFAULT_SENSITIVE_FIELDS.iter().copied())
    }
}

impl SensitiveFields {
    /// No names (values marked [`Sensitive`] are still masked).
    pub fn none() -> SensitiveFields {
        SensitiveFields {
            names: BTreeSet::new(),
        }
    }

    /// These fields and `names` too.
    pub fn with<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> SensitiveFields {
        self.names
            .extend(names.into_iter().map(|n| normalize(n.as_ref())));
        self
    }

    /// The names, normalized, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Whether an object key names a sensitive field.
    pub fn is_sensitive(&self, key: &str) -> bool {
        self.names.contains(&normalize(key))
    }

    /// Mask, in place, every sensitive field of `value` and every [`Sensitive`] in it.
    /// Returns whether anything was masked.
    pub fn mask(&self, value: &mut Value) -> bool {
        match value {
            Value::Object(map) if is_marked(map) => {
                let inner = map.get_mut(SENSITIVE_MARKER).expect("a marked object");
                *inner = masked(inner);
                true
            }
            Value::Object(map) => {
                let mut any = false;
                for (key, field) in map.iter_mut() {
                    if self.is_sensitive(key) {
                        // A marked value keeps its marker; anything else is replaced.
                        if !matches!(field, Value::Object(inner) if is_marked(inner)) {
                            *field = masked(field);
                        } else {
                            self.mask(field);
                        }
                        any = true;
                    } else {
                        any |= self.mask(field);
                    }
                }
                any
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |any, item| self.mask(item) | any),
            _ => false,
        }
    }

    /// The names of the fields of `value` (at any depth) that hold a [`Sensitive`]: a
    /// field marked so in one payload is sensitive in the others too (a start's input
    /// that a client wrote bare, say, once the workflow has passed it on marked).
    pub fn marked_names(value: &Value, names: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, field) in map {
                    if matches!(field, Value::Object(inner) if is_marked(inner)) {
                        names.insert(normalize(key));
                    }
                    SensitiveFields::marked_names(field, names);
                }
            }
            Value::Array(items) => {
                for item in items {
                    SensitiveFields::marked_names(item, names);
                }
            }
            _ => {}
        }
    }

    /// The masked form of a value kept under a sensitive name (a memo entry, a search
    /// attribute): masked whole when the name is sensitive, field by field otherwise.
    pub fn mask_named(&self, name: &str, value: &mut Value) -> bool {
        if self.is_sensitive(name) && !value.is_null() {
            *value = masked(value);
            true
        } else {
            self.mask(value)
        }
    }
}

fn is_marked(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 1 && map.contains_key(SENSITIVE_MARKER)
}

/// A field name as [`SensitiveFields`] compares it.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a sensitive value shows: `null` stays, a string of 12 or more digits keeps its
/// last four (`****1234`), anything else is `****`. A mask stays as it is, so masking
/// twice is masking once.
pub fn masked(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(s) if s.starts_with(MASK) => value.clone(),
        Value::String(s) => Value::String(match last_four_digits(s) {
            Some(last4) => format!("{MASK}{last4}"),
            None => MASK.to_string(),
        }),
        _ => Value::String(MASK.to_string()),
    }
}

fn last_four_digits(s: &str) -> Option<String> {
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return None;
    }
    let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 12).then(|| digits[digits.len() - 4..].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_match_without_case_or_separators_at_any_depth() {
        let fields = SensitiveFields::default();
        let mut v = json!({
            "user": {"Password": "hunter2", "name": "Ada"},
            "cards": [{"creditCard": "4111-1111-1111-1111"}, {"CARD-NUMBER": 4111111111111111u64}],
            "API_KEY": null,
            "tokens": "not a sensitive name"
        });
        assert!(fields.mask(&mut v));
        assert_eq!(
            v,
            json!({
                "user": {"Password": "****", "name": "Ada"},
                "cards": [{"creditCard": "****1111"}, {"CARD-NUMBER": "****"}],
                "API_KEY": null,
                "tokens": "not a sensitive name"
            })
        );
    }

    #[test]
    fn a_marked_value_keeps_its_marker_and_reads_back_either_way() {
        let fields = SensitiveFields::none();
        let mut v = serde_json::to_value(Sensitive("123-45-6789")).unwrap();
        assert_eq!(v, json!({"$sensitive": "123-45-6789"}));
        assert!(fields.mask(&mut v));
        assert_eq!(v, json!({"$sensitive": "****"}));
        let marked: Sensitive<String> = serde_json::from_value(json!({"$sensitive": "x"})).unwrap();
        let bare: Sensitive<String> = serde_json::from_value(json!("x")).unwrap();
        assert_eq!((marked.0.as_str(), bare.0.as_str()), ("x", "x"));
        assert_eq!(format!("{:?}", Sensitive("x")), "Sensitive(****)");
    }

    #[test]
    fn a_marked_value_under_a_sensitive_name_is_masked_once() {
        let mut v = json!({"ssn": {"$sensitive": "123456789012"}});
        SensitiveFields::default().mask(&mut v);
        assert_eq!(v, json!({"ssn": {"$sensitive": "****9012"}}));
    }

    #[test]
    fn masking_twice_is_masking_once() {
        let fields = SensitiveFields::default();
        let mut v =
            json!({"card_number": "4111 1111 1111 1111", "token": "t", "x": {"$sensitive": 5}});
        fields.mask(&mut v);
        let once = v.clone();
        fields.mask(&mut v);
        assert_eq!(v, once);
        assert_eq!(v["card_number"], "****1111");
    }

    #[test]
    fn names_that_hold_a_marked_value_are_found_at_any_depth() {
        let mut names = BTreeSet::new();
        let v = json!({"a": [{"CVV": {"$sensitive": "1"}}], "b": {"$sensitive": {"pin": 1}}});
        SensitiveFields::marked_names(&v, &mut names);
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["b", "cvv"]);
    }

    #[test]
    fn added_names_and_named_values() {
        let fields = SensitiveFields::none().with(["IBAN"]);
        assert!(fields.is_sensitive("iban") && !fields.is_sensitive("password"));
        let mut v = json!("DE89370400440532013000");
        assert!(fields.mask_named("iban", &mut v));
        assert_eq!(v, json!("****"));
        let mut clean = json!({"amount": 5});
        assert!(!fields.mask(&mut clean));
    }
}

//! The shapes format 8 changed, as formats 1 to 7 stored them, and how they convert.
//!
//! Format 8 gave [`Failure`] a `cause` and `encoded_attributes`. Events are encoded by
//! position (postcard), so the bytes of an older chunk hold the four-field failure of
//! [`Failure7`]. The history codec says which shape a chunk holds by running its
//! (de)serialization under [`with_shape`]; `Failure`'s serde reads that and reads or
//! writes the older shape where it must: the chunks of a run in format 7 or older
//! decode through [`Failure7`] (no cause), and the bare chunks of a format-1 run,
//! which cannot say they hold newer data, are also *written* in it (their failures
//! lose their causes). Anywhere else (JSON, outcomes, newer chunks) the shape is
//! today's.

use std::cell::Cell;

use serde::de::Deserializer;
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::codec::FORMAT_VERSION;
use super::vocab::{Failure, Payload};

/// The first format whose failures have a cause (and encoded attributes).
pub const FAILURE_CAUSE_SINCE: u16 = 8;

thread_local! {
    static SHAPE: Cell<u16> = const { Cell::new(FORMAT_VERSION) };
}

/// Run `f` with `Failure`'s serde in the shape of format `format`.
pub fn with_shape<T>(format: u16, f: impl FnOnce() -> T) -> T {
    struct Restore(u16);
    impl Drop for Restore {
        fn drop(&mut self) {
            SHAPE.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SHAPE.with(|s| s.replace(format)));
    f()
}

fn older_shape() -> bool {
    SHAPE.with(Cell::get) < FAILURE_CAUSE_SINCE
}

/// [`Failure`] as formats 1 to 7 stored it.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Failure")]
pub struct Failure7 {
    pub message: String,
    pub error_type: String,
    pub non_retryable: bool,
    pub details: Option<Payload>,
}

impl From<Failure7> for Failure {
    fn from(old: Failure7) -> Failure {
        Failure {
            message: old.message,
            error_type: old.error_type,
            non_retryable: old.non_retryable,
            details: old.details,
            ..Failure::default()
        }
    }
}

/// [`Failure`] in today's shape; the new fields default, so that JSON written before
/// them (history files) still reads.
#[derive(Deserialize)]
#[serde(rename = "Failure")]
struct Failure8 {
    message: String,
    error_type: String,
    non_retryable: bool,
    details: Option<Payload>,
    #[serde(default)]
    cause: Option<Box<Failure>>,
    #[serde(default)]
    encoded_attributes: Option<Box<Payload>>,
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let older = older_shape();
        // In JSON, fields that are none are left out (files stay as they were).
        let readable = s.is_human_readable();
        let write_cause = !(older || readable && self.cause.is_none());
        let write_encoded = !(older || readable && self.encoded_attributes.is_none());
        let len = 4 + usize::from(write_cause) + usize::from(write_encoded);
        let mut st = s.serialize_struct("Failure", len)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("error_type", &self.error_type)?;
        st.serialize_field("non_retryable", &self.non_retryable)?;
        st.serialize_field("details", &self.details)?;
        if write_cause {
            st.serialize_field("cause", &self.cause)?;
        }
        if write_encoded {
            st.serialize_field("encoded_attributes", &self.encoded_attributes)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for Failure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Failure, D::Error> {
        if older_shape() {
            return Failure7::deserialize(d).map(Failure::from);
        }
        let new = Failure8::deserialize(d)?;
        Ok(Failure {
            message: new.message,
            error_type: new.error_type,
            non_retryable: new.non_retryable,
            details: new.details,
            cause: new.cause,
            encoded_attributes: new.encoded_attributes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caused() -> Failure {
        Failure::new("outer", "Outer").caused_by(Failure::new("inner", "Inner").non_retryable())
    }

    #[test]
    fn the_older_shape_reads_as_a_failure_without_cause() {
        let old = Failure7 {
            message: "boom".into(),
            error_type: "E".into(),
            non_retryable: true,
            details: None,
        };
        let bytes = postcard::to_stdvec(&old).unwrap();
        let read: Failure = with_shape(7, || postcard::from_bytes(&bytes)).unwrap();
        assert_eq!(read, Failure::new("boom", "E").non_retryable());
        assert!(postcard::from_bytes::<Failure>(&bytes).is_err());
    }

    #[test]
    fn a_cause_round_trips_in_todays_shape_and_is_dropped_in_the_older() {
        let failure = caused();
        let bytes = postcard::to_stdvec(&failure).unwrap();
        assert_eq!(postcard::from_bytes::<Failure>(&bytes).unwrap(), failure);
        let old = with_shape(1, || postcard::to_stdvec(&failure)).unwrap();
        let read: Failure = with_shape(1, || postcard::from_bytes(&old)).unwrap();
        assert_eq!(read, Failure::new("outer", "Outer"));
    }

    #[test]
    fn json_without_the_new_fields_reads_and_none_are_left_out() {
        let json = serde_json::to_value(Failure::new("m", "T")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"message": "m", "error_type": "T", "non_retryable": false, "details": null})
        );
        let back: Failure = serde_json::from_value(json).unwrap();
        assert_eq!(back, Failure::new("m", "T"));
        let chained = serde_json::to_value(caused()).unwrap();
        assert_eq!(chained["cause"]["message"], "inner");
        assert_eq!(
            serde_json::from_value::<Failure>(chained).unwrap(),
            caused()
        );
    }
}

//! Fairness and concurrency keys: how work that waits for capacity is shared.
//!
//! A [`Fairness`] names who the work is for (a tenant, a customer) and its weight:
//! under contention, within one priority, keys share capacity in proportion to their
//! weights, so one key with 10,000 waiting runs does not starve another with 10. A
//! [`Flow`] is what an activity or a child may set for itself (priority, fairness,
//! concurrency key); what it leaves unset it inherits from its run.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Priority;

/// The largest weight: a key of weight 1000 gets 1000 turns for one of weight 1.
pub const MAX_WEIGHT: u32 = 1000;

/// Bytes a fairness or concurrency key may take.
pub const MAX_KEY_BYTES: usize = 256;

/// Who the work is for, and its share of contended capacity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fairness {
    pub key: String,
    /// 1 to [`MAX_WEIGHT`]; 1 when not given.
    pub weight: u32,
}

/// A fairness key or weight that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FairnessError(pub String);

impl Fairness {
    /// `key` with `weight` (1 when `None`), checked.
    pub fn new(key: &str, weight: Option<u32>) -> Result<Fairness, FairnessError> {
        check_key("fairness key", key)?;
        let weight = weight.unwrap_or(1);
        if !(1..=MAX_WEIGHT).contains(&weight) {
            return Err(FairnessError(format!(
                "fairness weight `{weight}` is out of range: give 1 to {MAX_WEIGHT} (1 is the default)"
            )));
        }
        Ok(Fairness {
            key: key.to_string(),
            weight,
        })
    }
}

/// `KEY` or `KEY:WEIGHT`, as `--fairness` takes it.
impl FromStr for Fairness {
    type Err = FairnessError;
    fn from_str(s: &str) -> Result<Fairness, FairnessError> {
        match s.rsplit_once(':') {
            Some((key, weight)) => {
                let weight = weight.trim().parse::<u32>().map_err(|_| {
                    FairnessError(format!(
                        "`{s}`: the weight after `:` must be a whole number, 1 to {MAX_WEIGHT}; write KEY or KEY:WEIGHT, as in `tenant-a:2`"
                    ))
                })?;
                Fairness::new(key.trim(), Some(weight))
            }
            None => Fairness::new(s.trim(), None),
        }
    }
}

impl fmt::Display for Fairness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (weight {})", self.key, self.weight)
    }
}

/// Check a fairness or concurrency key: not blank, no control characters, at most
/// [`MAX_KEY_BYTES`].
pub fn check_key(what: &str, key: &str) -> Result<(), FairnessError> {
    if key.trim().is_empty() {
        return Err(FairnessError(format!("{what}: give a non-blank key")));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(FairnessError(format!(
            "{what}: {} bytes, over the limit of {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(FairnessError(format!(
            "{what} `{}`: control characters are not allowed",
            key.escape_debug()
        )));
    }
    Ok(())
}

/// What an activity or a child workflow sets for itself; unset fields are its run's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub priority: Option<Priority>,
    pub fairness: Option<Fairness>,
    /// Activities only: the key whose concurrency limit (`--concurrency-limit KEY=N`)
    /// and rate limit (`--rate key:KEY=N/s`) the activity counts against.
    pub concurrency_key: Option<String>,
}

impl Flow {
    /// True when it sets nothing.
    pub fn is_empty(&self) -> bool {
        self.priority.is_none() && self.fairness.is_none() && self.concurrency_key.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_or_key_and_weight() {
        let f: Fairness = "tenant-a".parse().unwrap();
        assert_eq!((f.key.as_str(), f.weight), ("tenant-a", 1));
        let f: Fairness = "tenant-b:5".parse().unwrap();
        assert_eq!((f.key.as_str(), f.weight), ("tenant-b", 5));
        assert_eq!(f.to_string(), "tenant-b (weight 5)");
        for bad in ["", " ", "a:0", "a:1001", "a:x", ":2"] {
            assert!(bad.parse::<Fairness>().is_err(), "{bad:?}");
        }
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(Fairness::new(&long, None).is_err());
        assert!(Fairness::new("a\nb", None).is_err());
    }
}

//! A run's priority: 1 (highest) to 5 (lowest), 3 when not given. Under contention,
//! work of a higher priority runs first, and within one priority first come, first
//! served (see `weft_runtime::flow`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A priority, 1 (highest) to 5 (lowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Priority(u8);

/// A priority out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("priority `{0}` is out of range: give 1 (highest) to 5 (lowest); 3 is the default")]
pub struct PriorityError(pub String);

impl Priority {
    pub const HIGHEST: Priority = Priority(1);
    pub const DEFAULT: Priority = Priority(3);
    pub const LOWEST: Priority = Priority(5);

    /// `n` if it is 1 to 5.
    pub fn new(n: u8) -> Result<Priority, PriorityError> {
        if (Self::HIGHEST.0..=Self::LOWEST.0).contains(&n) {
            Ok(Priority(n))
        } else {
            Err(PriorityError(n.to_string()))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Whether it is the default (a start records nothing for it).
    pub fn is_default(self) -> bool {
        self == Self::DEFAULT
    }
}

impl Default for Priority {
    fn default() -> Priority {
        Priority::DEFAULT
    }
}

impl TryFrom<u8> for Priority {
    type Error = PriorityError;
    fn try_from(n: u8) -> Result<Priority, PriorityError> {
        Priority::new(n)
    }
}

impl From<Priority> for u8 {
    fn from(p: Priority) -> u8 {
        p.0
    }
}

impl FromStr for Priority {
    type Err = PriorityError;
    fn from_str(s: &str) -> Result<Priority, PriorityError> {
        s.trim()
            .parse::<u8>()
            .ok()
            .and_then(|n| Priority::new(n).ok())
            .ok_or_else(|| PriorityError(s.to_string()))
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_five_default_three() {
        assert_eq!(Priority::default().get(), 3);
        assert_eq!("1".parse::<Priority>().unwrap(), Priority::HIGHEST);
        assert_eq!(" 5".parse::<Priority>().unwrap(), Priority::LOWEST);
        for bad in ["0", "6", "x", "-1", ""] {
            let e = bad.parse::<Priority>().unwrap_err().to_string();
            assert!(e.contains("1 (highest) to 5 (lowest)"), "{e}");
        }
        assert!(serde_json::from_str::<Priority>("9").is_err());
        assert_eq!(
            serde_json::to_string(&Priority::new(2).unwrap()).unwrap(),
            "2"
        );
    }
}

//! What a schedule does with an action that comes due while an earlier one runs.
//!
//! | policy            | nothing running | an earlier action running                          |
//! |-------------------|-----------------|----------------------------------------------------|
//! | `skip` (default)  | start           | drop the new one                                   |
//! | `buffer-one`      | start           | keep one to start when it closes; drop the rest    |
//! | `buffer-all`      | start           | keep every one, started one at a time in order     |
//! | `cancel-other`    | start           | ask the running one to cancel; start after it ends |
//! | `terminate-other` | start           | terminate the running one and start at once        |
//! | `allow-all`       | start           | start at once, beside it                           |

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A schedule's overlap policy, with Temporal's names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverlapPolicy {
    #[default]
    Skip,
    BufferOne,
    BufferAll,
    CancelOther,
    TerminateOther,
    AllowAll,
}

/// What to do with one action that came due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Start,
    /// Keep it in the buffer (replacing what is there when `replace`).
    Buffer {
        replace: bool,
    },
    Skip,
    /// Ask the running actions to cancel, and buffer this one (replacing the buffer).
    CancelThenBuffer,
    /// Terminate the running actions, then start this one.
    TerminateThenStart,
}

impl OverlapPolicy {
    pub const NAMES: [&'static str; 6] = [
        "skip",
        "buffer-one",
        "buffer-all",
        "cancel-other",
        "terminate-other",
        "allow-all",
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The decision for an action that came due, given whether an earlier action is
    /// open and how many wait in the buffer.
    pub fn decide(self, running: bool, buffered: usize) -> Decision {
        let busy = running || buffered > 0;
        match self {
            _ if !busy => Decision::Start,
            OverlapPolicy::AllowAll => Decision::Start,
            OverlapPolicy::Skip => Decision::Skip,
            OverlapPolicy::BufferOne if buffered == 0 => Decision::Buffer { replace: false },
            OverlapPolicy::BufferOne => Decision::Skip,
            OverlapPolicy::BufferAll => Decision::Buffer { replace: false },
            OverlapPolicy::CancelOther if running => Decision::CancelThenBuffer,
            OverlapPolicy::CancelOther => Decision::Buffer { replace: true },
            OverlapPolicy::TerminateOther => Decision::TerminateThenStart,
        }
    }
}

impl FromStr for OverlapPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const ALL: [OverlapPolicy; 6] = [
            OverlapPolicy::Skip,
            OverlapPolicy::BufferOne,
            OverlapPolicy::BufferAll,
            OverlapPolicy::CancelOther,
            OverlapPolicy::TerminateOther,
            OverlapPolicy::AllowAll,
        ];
        ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            format!(
                "`{s}` is not an overlap policy ({})",
                Self::NAMES.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in OverlapPolicy::NAMES {
            assert_eq!(name.parse::<OverlapPolicy>().unwrap().as_str(), name);
        }
        assert!("skip-all"
            .parse::<OverlapPolicy>()
            .unwrap_err()
            .contains("buffer-one"));
    }

    #[test]
    fn decisions_follow_the_table() {
        use Decision::*;
        for p in [
            OverlapPolicy::Skip,
            OverlapPolicy::BufferAll,
            OverlapPolicy::AllowAll,
        ] {
            assert_eq!(p.decide(false, 0), Start);
        }
        assert_eq!(OverlapPolicy::Skip.decide(true, 0), Skip);
        assert_eq!(
            OverlapPolicy::BufferOne.decide(true, 0),
            Buffer { replace: false }
        );
        assert_eq!(OverlapPolicy::BufferOne.decide(true, 1), Skip);
        assert_eq!(
            OverlapPolicy::BufferAll.decide(true, 3),
            Buffer { replace: false }
        );
        assert_eq!(OverlapPolicy::CancelOther.decide(true, 0), CancelThenBuffer);
        assert_eq!(
            OverlapPolicy::TerminateOther.decide(true, 0),
            TerminateThenStart
        );
        assert_eq!(OverlapPolicy::AllowAll.decide(true, 0), Start);
    }
}

//! Known bugs, compiled in only with the feature `sim-canaries`, for the simulator to
//! prove it finds them (`weft-sim --canary NAME`). Without the feature every check is a
//! constant `false` and compiles away; with it, a bug is switched on for the current
//! thread only, so a simulator's seeds and other tests on other threads stay correct.
//!
//! | canary               | the bug                                                   |
//! |----------------------|-----------------------------------------------------------|
//! | `ack-before-durable` | a signal is acknowledged before its task is committed     |
//! | `skip-fsync`         | commits are not synced (redb `Durability::None`)          |
//! | `keep-fired-timer`   | a fired timer's row is not deleted                         |
//! | `forget-activities`  | a resumed run does not dispatch its pending activities    |
//! | `signal-twice`       | a signal is delivered to the workflow twice                |

/// A known bug (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canary {
    AckBeforeDurable,
    SkipFsync,
    KeepFiredTimer,
    ForgetActivities,
    SignalTwice,
}

impl Canary {
    /// Every canary, in the order of the module docs.
    pub const ALL: [Canary; 5] = [
        Canary::AckBeforeDurable,
        Canary::SkipFsync,
        Canary::KeepFiredTimer,
        Canary::ForgetActivities,
        Canary::SignalTwice,
    ];

    /// Its name on the simulator's command line.
    pub fn name(self) -> &'static str {
        match self {
            Canary::AckBeforeDurable => "ack-before-durable",
            Canary::SkipFsync => "skip-fsync",
            Canary::KeepFiredTimer => "keep-fired-timer",
            Canary::ForgetActivities => "forget-activities",
            Canary::SignalTwice => "signal-twice",
        }
    }

    /// The canary named `name`.
    pub fn named(name: &str) -> Option<Canary> {
        Canary::ALL.into_iter().find(|c| c.name() == name)
    }
}

#[cfg(feature = "sim-canaries")]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Canary>> = const { std::cell::Cell::new(None) };
}

/// Switch `canary` on for this thread (`None`: none). Refused (false) in a build
/// without the feature `sim-canaries`, where no bug can be switched on.
pub fn set(canary: Option<Canary>) -> bool {
    #[cfg(feature = "sim-canaries")]
    {
        ACTIVE.with(|a| a.set(canary));
        true
    }
    #[cfg(not(feature = "sim-canaries"))]
    {
        canary.is_none()
    }
}

/// Whether `canary` is on for this thread.
#[inline]
pub(crate) fn active(canary: Canary) -> bool {
    #[cfg(feature = "sim-canaries")]
    {
        ACTIVE.with(|a| a.get()) == Some(canary)
    }
    #[cfg(not(feature = "sim-canaries"))]
    {
        let _ = canary;
        false
    }
}

//! How `history show` writes the events of a run steered from outside: who, when,
//! why, and an activity's new options.

use super::human::{self, truncate};

/// Who steered the run or an activity, when and why.
pub(super) fn steered(identity: &str, time_ms: u64, reason: &str) -> String {
    format!(
        "by {identity} at {}: {}",
        human::utc(time_ms),
        truncate(reason, 200)
    )
}

pub(super) fn optional_ms(ms: Option<u64>) -> String {
    ms.map_or("none".into(), |t| format!("{t}ms"))
}

/// A retry policy in a few words.
pub(super) fn retry_text(policy: Option<&crate::history::vocab::RetryPolicy>) -> String {
    match policy {
        None => "default".into(),
        Some(p) => format!(
            "{} attempts, initial {}ms, x{}, max interval {}ms",
            match p.maximum_attempts {
                0 => "unlimited".to_string(),
                n => format!("at most {n}"),
            },
            p.initial_interval_ms,
            p.backoff_coefficient,
            p.maximum_interval_ms
        ),
    }
}

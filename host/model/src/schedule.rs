//! When a schedule acts, as data: cron expressions and intervals, a time zone, a
//! jitter and bounds. The runtime checks a spec and computes its slots
//! (`weft_runtime::schedules::CompiledSpec`); the API's bodies carry it as it is.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An interval: slots at every multiple of `every_ms` since the Unix epoch, shifted
/// by `offset_ms` (every hour at minute 15 is `every 1h, offset 15m`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub every_ms: u64,
    #[serde(default)]
    pub offset_ms: u64,
}

/// The times a schedule acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    /// Cron expressions (5 fields, or 6 with seconds first; `@hourly`, `@daily` …;
    /// `@every <duration>` is an interval).
    #[serde(default)]
    pub cron: Vec<String>,
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// IANA time zone the cron expressions are read in; UTC when absent.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Each slot is delayed by up to this much (the same delay for the same slot).
    #[serde(default)]
    pub jitter_ms: u64,
    /// No slot before this time (ms since the Unix epoch).
    #[serde(default)]
    pub start_ms: Option<u64>,
    /// No slot after this time.
    #[serde(default)]
    pub end_ms: Option<u64>,
}

impl ScheduleSpec {
    /// A spec of one interval.
    pub fn every(every: Duration) -> ScheduleSpec {
        ScheduleSpec {
            intervals: vec![Interval {
                every_ms: u64::try_from(every.as_millis()).unwrap_or(u64::MAX),
                offset_ms: 0,
            }],
            ..ScheduleSpec::default()
        }
    }
}

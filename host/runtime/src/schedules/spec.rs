//! When a schedule acts: cron expressions and intervals, in a time zone, between a
//! start and an end time, each slot delayed by a jitter that is the same every time
//! the slot is computed.
//!
//! A *slot* is a nominal time the spec names (a cron match or an interval boundary);
//! the schedule acts on it at `slot + jitter(slot)`. Slots, not the moment of acting,
//! name the workflow ids of a schedule's runs, so a slot computed twice (after a
//! restart) is recognised as the same slot.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use sha2::{Digest, Sha256};

pub use weft_model::schedule::{Interval, ScheduleSpec};

/// A spec that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("a schedule needs at least one cron expression or interval")]
    Empty,
    #[error("`{expression}` is not a cron expression: {reason}")]
    Cron { expression: String, reason: String },
    #[error("`{0}` is not an IANA time zone (such as Europe/Paris or UTC)")]
    TimeZone(String),
    #[error("an interval must be at least 1 ms, and its offset smaller than the interval")]
    Interval,
    #[error("the end time is before the start time")]
    EndBeforeStart,
}

/// A validated spec, ready to compute slots.
#[derive(Debug, Clone)]
pub struct CompiledSpec {
    crons: Vec<Cron>,
    intervals: Vec<Interval>,
    tz: Tz,
    jitter_ms: u64,
    start_ms: u64,
    end_ms: u64,
}

impl CompiledSpec {
    /// Check the spec and prepare it for computing slots.
    pub fn new(spec: &ScheduleSpec) -> Result<CompiledSpec, SpecError> {
        let mut intervals = spec.intervals.clone();
        let mut crons = Vec::new();
        for expression in &spec.cron {
            let trimmed = expression.trim();
            if let Some(every) = trimmed.strip_prefix("@every") {
                let every = parse_duration(every).map_err(|reason| SpecError::Cron {
                    expression: expression.clone(),
                    reason,
                })?;
                intervals.push(Interval {
                    every_ms: crate::runtime::clock::millis(every),
                    offset_ms: 0,
                });
                continue;
            }
            let cron = Cron::from_str(trimmed).map_err(|e| SpecError::Cron {
                expression: expression.clone(),
                reason: e.to_string(),
            })?;
            crons.push(cron);
        }
        if crons.is_empty() && intervals.is_empty() {
            return Err(SpecError::Empty);
        }
        if intervals
            .iter()
            .any(|i| i.every_ms == 0 || i.offset_ms >= i.every_ms)
        {
            return Err(SpecError::Interval);
        }
        let tz = match &spec.timezone {
            None => Tz::UTC,
            Some(name) => name
                .parse::<Tz>()
                .map_err(|_| SpecError::TimeZone(name.clone()))?,
        };
        let start_ms = spec.start_ms.unwrap_or(0);
        let end_ms = spec.end_ms.unwrap_or(u64::MAX);
        if end_ms < start_ms {
            return Err(SpecError::EndBeforeStart);
        }
        Ok(CompiledSpec {
            crons,
            intervals,
            tz,
            jitter_ms: spec.jitter_ms,
            start_ms,
            end_ms,
        })
    }

    /// The spec of a cron schedule on a start (`weft start --cron`): one cron
    /// expression or `@every <duration>`, in UTC, as a schedule takes them.
    pub fn cron(expression: &str) -> Result<CompiledSpec, SpecError> {
        CompiledSpec::new(&ScheduleSpec {
            cron: vec![expression.to_string()],
            ..ScheduleSpec::default()
        })
    }

    /// The first slot strictly after `after_ms`, if the spec has one.
    pub fn next_after(&self, after_ms: u64) -> Option<u64> {
        // Slots before the start time do not exist: look from just before it.
        let from = after_ms.max(self.start_ms.saturating_sub(1));
        let intervals = self.intervals.iter().map(|i| {
            let k = from.saturating_sub(i.offset_ms) / i.every_ms;
            let mut slot = k.saturating_mul(i.every_ms).saturating_add(i.offset_ms);
            while slot <= from {
                slot = slot.saturating_add(i.every_ms);
            }
            slot
        });
        let crons = self.crons.iter().filter_map(|c| self.next_cron(c, from));
        intervals
            .chain(crons)
            .filter(|&slot| slot > after_ms)
            .min()
            .filter(|&slot| slot <= self.end_ms)
    }

    fn next_cron(&self, cron: &Cron, after_ms: u64) -> Option<u64> {
        let after: DateTime<Utc> = Utc
            .timestamp_millis_opt(i64::try_from(after_ms).ok()?)
            .single()?;
        let next = cron
            .find_next_occurrence(&after.with_timezone(&self.tz), false)
            .ok()?;
        u64::try_from(next.timestamp_millis()).ok()
    }

    /// Every slot in `(after_ms, until_ms]`, oldest first, at most `limit` of them.
    pub fn slots(&self, after_ms: u64, until_ms: u64, limit: usize) -> Vec<u64> {
        let mut slots = Vec::new();
        let mut at = after_ms;
        while slots.len() < limit {
            match self.next_after(at) {
                Some(slot) if slot <= until_ms => {
                    slots.push(slot);
                    at = slot;
                }
                _ => break,
            }
        }
        slots
    }

    /// How long after `slot_ms` the schedule acts on it: a delay below the spec's
    /// jitter, drawn from the schedule id and the slot so it is the same every time.
    pub fn jitter(&self, schedule_id: &str, slot_ms: u64) -> u64 {
        if self.jitter_ms == 0 {
            return 0;
        }
        let digest = Sha256::new()
            .chain_update(schedule_id.as_bytes())
            .chain_update(slot_ms.to_be_bytes())
            .finalize();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(bytes) % self.jitter_ms
    }
}

/// A duration as people write it: a whole number with `ms`, `s`, `m`, `h` or `d`, or
/// a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || format!("`{text}` is not a duration; write it as 500ms, 10s, 2m, 1h or 1d");
    let n: u64 = number.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" | "min" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => return Err(bad()),
    };
    ms.map(Duration::from_millis).ok_or_else(bad)
}

/// `ms` as an RFC 3339 time in UTC, to the second (`2026-11-23T08:00:00Z`).
pub fn rfc3339(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{ms}ms"))
}

/// An RFC 3339 time (`2026-11-23T08:00:00Z`, or with an offset) in ms since the epoch.
pub fn parse_rfc3339(text: &str) -> Result<u64, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 time such as 2026-11-23T08:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;

    #[test]
    fn intervals_with_offsets_name_their_slots() {
        let spec = CompiledSpec::new(&ScheduleSpec {
            intervals: vec![Interval {
                every_ms: HOUR,
                offset_ms: 15 * 60_000,
            }],
            ..ScheduleSpec::default()
        })
        .unwrap();
        assert_eq!(spec.next_after(0), Some(15 * 60_000));
        assert_eq!(spec.next_after(15 * 60_000), Some(HOUR + 15 * 60_000));
        assert_eq!(
            spec.slots(0, 3 * HOUR, 10),
            vec![15 * 60_000, HOUR + 15 * 60_000, 2 * HOUR + 15 * 60_000]
        );
    }

    #[test]
    fn cron_reads_its_time_zone() {
        let at = parse_rfc3339("2026-11-23T00:00:00Z").unwrap();
        let utc = ScheduleSpec {
            cron: vec!["0 9 * * *".into()],
            ..ScheduleSpec::default()
        };
        let paris = ScheduleSpec {
            timezone: Some("Europe/Paris".into()),
            ..utc.clone()
        };
        let next =
            |s: &ScheduleSpec| rfc3339(CompiledSpec::new(s).unwrap().next_after(at).unwrap());
        assert_eq!(next(&utc), "2026-11-23T09:00:00Z");
        // 09:00 in Paris in November is 08:00 UTC.
        assert_eq!(next(&paris), "2026-11-23T08:00:00Z");
    }

    #[test]
    fn every_is_an_interval_and_bounds_hold() {
        let spec = CompiledSpec::new(&ScheduleSpec {
            cron: vec!["@every 2s".into()],
            start_ms: Some(10_000),
            end_ms: Some(14_000),
            ..ScheduleSpec::default()
        })
        .unwrap();
        assert_eq!(spec.slots(0, u64::MAX, 10), vec![10_000, 12_000, 14_000]);
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let err = |s: ScheduleSpec| CompiledSpec::new(&s).unwrap_err().to_string();
        assert!(err(ScheduleSpec::default()).contains("at least one"));
        let bad_cron = ScheduleSpec {
            cron: vec!["61 * * * *".into()],
            ..ScheduleSpec::default()
        };
        assert!(err(bad_cron).contains("`61 * * * *`"));
        let bad_zone = ScheduleSpec {
            timezone: Some("Mars/Olympus".into()),
            ..ScheduleSpec::every(Duration::from_secs(1))
        };
        assert!(err(bad_zone).contains("Mars/Olympus"));
    }

    #[test]
    fn jitter_is_stable_and_bounded() {
        let spec = CompiledSpec::new(&ScheduleSpec {
            jitter_ms: 1000,
            ..ScheduleSpec::every(Duration::from_secs(60))
        })
        .unwrap();
        let j = spec.jitter("s", 60_000);
        assert_eq!(j, spec.jitter("s", 60_000));
        assert!(j < 1000);
    }

    #[test]
    fn durations_and_times_parse() {
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_duration("2 weeks").is_err());
        assert_eq!(
            rfc3339(parse_rfc3339("2026-11-23T08:00:00Z").unwrap()),
            "2026-11-23T08:00:00Z"
        );
    }
}

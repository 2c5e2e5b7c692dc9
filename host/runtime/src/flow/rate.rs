//! Rate limits (`--rate QUEUE=50/s`, `--rate type:charge=10/s`, `--rate key:stripe=5/s`):
//! at most N activity attempts of a task queue, of an activity type, or of a
//! concurrency key start per period, in bursts of at most N, over all runs, timed on
//! the host's clock (a virtual clock in tests). An attempt takes a token of every rate
//! that applies to it.
//!
//! A bucket is the generic cell rate algorithm: one attempt per `interval` (the period
//! over N) on average, and up to N at once after a quiet spell. It keeps one number,
//! the time the next attempt would be due if every slot had been used (`due`):
//!
//! | an attempt asks at `now` and …        | it                                    |
//! |---------------------------------------|---------------------------------------|
//! | `due - now` ≤ (N − 1) × `interval`    | starts; `due` = max(`due`, `now`) + `interval` |
//! | otherwise                             | waits until `due` − (N − 1) × `interval` |

use std::str::FromStr;
use std::sync::Mutex;

/// What a rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateScope {
    /// Attempts on a task queue (`QUEUE=N/s` or `queue:QUEUE=N/s`).
    Queue,
    /// Attempts of an activity type (`type:TYPE=N/s`).
    ActivityType,
    /// Attempts of activities with a concurrency key (`key:KEY=N/s`).
    Key,
}

/// `[queue:|type:|key:]NAME=N/s` (or `/m`, `/h`): at most N attempts of NAME start per
/// second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub scope: RateScope,
    /// The queue, activity type or key.
    pub name: String,
    /// Attempts per period (and the largest burst).
    pub count: u32,
    pub period_ms: u64,
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<RateLimit, String> {
        let usage = "write [queue:|type:|key:]NAME=N/s (or /m, /h), as in `default=50/s` or `type:charge=10/s`";
        let (target, rate) = s.split_once('=').ok_or_else(|| format!("`{s}`: {usage}"))?;
        let (scope, name) = match target.split_once(':') {
            Some(("queue", name)) => (RateScope::Queue, name),
            Some(("type", name)) => (RateScope::ActivityType, name),
            Some(("key", name)) => (RateScope::Key, name),
            Some((other, _)) => {
                return Err(format!(
                    "`{s}`: `{other}:` is not a scope (queue:, type: or key:); {usage}"
                ))
            }
            None => (RateScope::Queue, target),
        };
        if name.trim().is_empty() {
            return Err(format!("`{s}` names nothing to limit: {usage}"));
        }
        let (count, per) = rate
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: {usage}"))?;
        let count = count
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                format!("`{s}`: the count must be a whole number, 1 or more; {usage}")
            })?;
        let period_ms = match per.trim() {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            other => {
                return Err(format!(
                    "`{s}`: `{other}` is not a period (s, m or h); {usage}"
                ))
            }
        };
        Ok(RateLimit {
            scope,
            name: name.trim().to_string(),
            count,
            period_ms,
        })
    }
}

/// `N/s`, `N/m` or `N/h`.
impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.period_ms {
            1_000 => "s",
            60_000 => "m",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl RateLimit {
    /// What it limits, in words: "task queue `mail`", "activity type `charge`", …
    pub fn target(&self) -> String {
        let what = match self.scope {
            RateScope::Queue => "task queue",
            RateScope::ActivityType => "activity type",
            RateScope::Key => "concurrency key",
        };
        format!("{what} `{}`", self.name)
    }
}

/// One rate's bucket; see the module docs. Times in microseconds.
#[derive(Debug)]
pub struct Bucket {
    interval_us: u64,
    tolerance_us: u64,
    due_us: Mutex<u64>,
}

impl Bucket {
    pub fn new(rate: &RateLimit) -> Bucket {
        let interval_us = (rate.period_ms * 1_000 / u64::from(rate.count)).max(1);
        Bucket {
            interval_us,
            tolerance_us: interval_us * u64::from(rate.count - 1),
            due_us: Mutex::new(0),
        }
    }

    /// Take a token at `now_ms`, or say when to ask again (ms).
    pub fn take(&self, now_ms: u64) -> Result<(), u64> {
        let now_us = now_ms.saturating_mul(1_000);
        let mut due = self.due_us.lock().unwrap();
        if due.saturating_sub(now_us) <= self.tolerance_us {
            *due = (*due).max(now_us) + self.interval_us;
            return Ok(());
        }
        let at_us = *due - self.tolerance_us;
        Err(at_us.div_ceil(1_000))
    }

    /// Take the next token free at `now_ms` or later, and say when it is (ms): tokens
    /// reserved one after another come at the rate, in the order they were reserved.
    pub fn reserve(&self, now_ms: u64) -> u64 {
        let now_us = now_ms.saturating_mul(1_000);
        let mut due = self.due_us.lock().unwrap();
        let at_us = now_us.max(due.saturating_sub(self.tolerance_us));
        *due = (*due).max(at_us) + self.interval_us;
        at_us.div_ceil(1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_queue_equals_count_per_period() {
        let r: RateLimit = "api=50/s".parse().unwrap();
        assert_eq!((r.name.as_str(), r.count, r.period_ms), ("api", 50, 1_000));
        assert_eq!(r.scope, RateScope::Queue);
        assert_eq!("x=3/m".parse::<RateLimit>().unwrap().period_ms, 60_000);
        let t: RateLimit = "type:charge=10/s".parse().unwrap();
        assert_eq!(
            (t.scope, t.name.as_str()),
            (RateScope::ActivityType, "charge")
        );
        assert_eq!(t.target(), "activity type `charge`");
        let k: RateLimit = "key:stripe=5/m".parse().unwrap();
        assert_eq!(
            (k.scope, k.to_string()),
            (RateScope::Key, "5/m".to_string())
        );
        assert_eq!(
            "queue:q=1/h".parse::<RateLimit>().unwrap().scope,
            RateScope::Queue
        );
        for bad in [
            "api",
            "api=50",
            "api=0/s",
            "api=5/d",
            "=5/s",
            "api=x/s",
            "type:=5/s",
            "tenant:x=5/s",
        ] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_of_n_then_one_per_interval() {
        let bucket = Bucket::new(&"q=2/s".parse().unwrap());
        assert_eq!(bucket.take(0), Ok(()));
        assert_eq!(bucket.take(0), Ok(()));
        assert_eq!(bucket.take(0), Err(500));
        assert_eq!(bucket.take(500), Ok(()));
        assert_eq!(bucket.take(500), Err(1_000));
        // A quiet spell refills the burst, no more.
        assert_eq!(bucket.take(10_000), Ok(()));
        assert_eq!(bucket.take(10_000), Ok(()));
        assert_eq!(bucket.take(10_000), Err(10_500));
    }

    #[test]
    fn reserved_tokens_come_at_the_rate_in_order() {
        let bucket = Bucket::new(&"q=2/s".parse().unwrap());
        let at: Vec<u64> = (0..5).map(|_| bucket.reserve(0)).collect();
        assert_eq!(at, [0, 0, 500, 1_000, 1_500]);
        // A token taken now comes after the reserved ones.
        assert_eq!(bucket.take(600), Err(2_000));
        assert_eq!(bucket.reserve(10_000), 10_000);
    }
}

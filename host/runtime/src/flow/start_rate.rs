//! Start rate limits per workflow type (`weft server --start-rate TYPE=N/s[,refuse|delay]`):
//! at most N starts of TYPE per period, in bursts of at most N, timed on the host's
//! clock with a [`Bucket`] (the generic cell rate algorithm of task-queue rates).
//!
//! | a start of TYPE past its rate, in mode … | it is                                       |
//! |------------------------------------------|---------------------------------------------|
//! | `refuse`                                 | refused at once, saying when to try again   |
//! | `delay` (the default)                    | answered at once, pending until its token   |
//!
//! A delayed start reserves the next free token, so delayed starts run at the rate in
//! the order they came. A child of a limited type takes a token as any start does, but
//! is never refused: a parent cannot retry its child's start, so past the rate a child
//! waits for its token (as in `delay`). A continue-as-new is no new start: it takes no
//! token.

use std::collections::HashMap;
use std::str::FromStr;

use super::{Bucket, RateLimit};

/// What a start past the rate gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartRateMode {
    /// Refused at once (HTTP 429 `resource_exhausted`).
    Refuse,
    /// Answered at once, pending until a token is free.
    #[default]
    Delay,
}

/// `TYPE=N/s[,refuse|delay]`: at most N starts of TYPE per second (or /m, /h).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRate {
    /// `rate.name` is the workflow type.
    pub rate: RateLimit,
    pub mode: StartRateMode,
}

impl StartRate {
    pub fn workflow_type(&self) -> &str {
        &self.rate.name
    }
}

impl FromStr for StartRate {
    type Err = String;

    fn from_str(s: &str) -> Result<StartRate, String> {
        let usage = "write TYPE=N/s[,refuse|delay] (or /m, /h), as in `report=10/s,refuse`";
        let (rate, mode) = match s.rsplit_once(',') {
            Some((rate, mode)) => (rate, mode.trim()),
            None => (s, "delay"),
        };
        let mode = match mode {
            "delay" => StartRateMode::Delay,
            "refuse" => StartRateMode::Refuse,
            other => return Err(format!("`{s}`: `{other}` is not refuse or delay; {usage}")),
        };
        let rate = rate
            .parse::<RateLimit>()
            .ok()
            .filter(|r| r.scope == super::RateScope::Queue)
            .ok_or_else(|| format!("`{s}`: {usage}"))?;
        Ok(StartRate { rate, mode })
    }
}

/// `N/s`, with `,refuse` when it refuses.
impl std::fmt::Display for StartRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.mode {
            StartRateMode::Delay => write!(f, "{}", self.rate),
            StartRateMode::Refuse => write!(f, "{},refuse", self.rate),
        }
    }
}

/// What a start of a limited type got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAdmission {
    /// A token now: it starts.
    Now,
    /// Its token comes at this time (ms): pending until then.
    At(u64),
    /// Refused: try again at this time (ms).
    Refused { retry_at_ms: u64 },
}

/// The host's start rates, one bucket per limited type.
#[derive(Default)]
pub struct StartRates {
    by_type: HashMap<String, (StartRate, Bucket)>,
}

impl StartRates {
    /// Rates as declared (a type declared twice keeps its last rate).
    pub fn new(rates: &[StartRate]) -> StartRates {
        StartRates {
            by_type: rates
                .iter()
                .map(|r| {
                    (
                        r.workflow_type().to_string(),
                        (r.clone(), Bucket::new(&r.rate)),
                    )
                })
                .collect(),
        }
    }

    /// The rate of `workflow_type`, if it has one.
    pub fn rate(&self, workflow_type: &str) -> Option<&StartRate> {
        if self.by_type.is_empty() {
            return None;
        }
        self.by_type.get(workflow_type).map(|(r, _)| r)
    }

    /// A start of `workflow_type` at `now_ms`; `child`: a child's start, never refused.
    pub fn admit(&self, workflow_type: &str, now_ms: u64, child: bool) -> StartAdmission {
        let Some((rate, bucket)) = self.by_type.get(workflow_type) else {
            return StartAdmission::Now;
        };
        if rate.mode == StartRateMode::Refuse && !child {
            return match bucket.take(now_ms) {
                Ok(()) => StartAdmission::Now,
                Err(retry_at_ms) => StartAdmission::Refused { retry_at_ms },
            };
        }
        match bucket.reserve(now_ms) {
            at if at <= now_ms => StartAdmission::Now,
            at => StartAdmission::At(at),
        }
    }

    /// Whether any type has a rate.
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_rate_is_type_equals_rate_and_mode() {
        let r: StartRate = "report=10/s,refuse".parse().unwrap();
        assert_eq!(r.workflow_type(), "report");
        assert_eq!((r.rate.count, r.rate.period_ms), (10, 1_000));
        assert_eq!(r.mode, StartRateMode::Refuse);
        assert_eq!(r.to_string(), "10/s,refuse");
        let r: StartRate = "mail=3/m".parse().unwrap();
        assert_eq!(
            (r.mode, r.to_string()),
            (StartRateMode::Delay, "3/m".into())
        );
        assert_eq!(
            "mail=3/h,delay"
                .parse::<StartRate>()
                .unwrap()
                .rate
                .period_ms,
            3_600_000
        );
        for bad in [
            "report",
            "report=10/s,drop",
            "=1/s",
            "report=0/s",
            "report=1/d",
        ] {
            let error = bad.parse::<StartRate>().unwrap_err();
            assert!(error.contains("TYPE=N/s"), "{bad}: {error}");
        }
    }

    #[test]
    fn refuse_answers_when_to_retry_and_delay_spaces_the_starts() {
        let rates = StartRates::new(&[
            "report=2/s,refuse".parse().unwrap(),
            "mail=2/s".parse().unwrap(),
        ]);
        let report: Vec<_> = (0..3).map(|_| rates.admit("report", 0, false)).collect();
        assert_eq!(
            report,
            [
                StartAdmission::Now,
                StartAdmission::Now,
                StartAdmission::Refused { retry_at_ms: 500 }
            ]
        );
        // A child is never refused: it waits for the next token.
        assert_eq!(rates.admit("report", 0, true), StartAdmission::At(500));
        let mail: Vec<_> = (0..5).map(|_| rates.admit("mail", 0, false)).collect();
        assert_eq!(
            mail,
            [
                StartAdmission::Now,
                StartAdmission::Now,
                StartAdmission::At(500),
                StartAdmission::At(1_000),
                StartAdmission::At(1_500)
            ]
        );
        assert_eq!(rates.admit("other", 0, false), StartAdmission::Now);
        assert!(rates.rate("other").is_none() && rates.rate("mail").is_some());
    }
}

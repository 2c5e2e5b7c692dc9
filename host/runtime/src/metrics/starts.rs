//! Metrics of starts that wait before they run: debounced starts and start rates.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

/// Counters of debounced and rate-limited starts, by workflow type, and the gauge of
/// those waiting (set at scrape time).
#[derive(Clone)]
pub(crate) struct StartMetrics {
    /// Starts that carried a debounce key.
    pub debounced: IntCounterVec,
    /// Pending debounced runs closed by a later start of their key.
    pub superseded: IntCounterVec,
    /// Starts past their type's start rate that waited for a token.
    pub rate_waits: IntCounterVec,
    /// Starts past their type's start rate that were refused.
    pub rate_refused: IntCounterVec,
    /// Starts recorded but waiting, by why (`debounce` or `start_rate`).
    pub waiting: IntGaugeVec,
}

impl StartMetrics {
    pub fn new(registry: &Registry) -> StartMetrics {
        let counters = |name: &str, help: &str| {
            let c = IntCounterVec::new(Opts::new(name, help), &["workflow_type"])
                .expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("unique");
            c
        };
        let waiting = IntGaugeVec::new(
            Opts::new(
                "weft_start_waits",
                "Starts recorded but waiting to run: for their debounce period to pass \
                 (reason=\"debounce\") or for a token of their type's start rate \
                 (reason=\"start_rate\")",
            ),
            &["reason"],
        )
        .expect("a valid gauge");
        registry
            .register(Box::new(waiting.clone()))
            .expect("unique");
        StartMetrics {
            debounced: counters(
                "weft_debounced_starts_total",
                "Starts that carried a debounce key",
            ),
            superseded: counters(
                "weft_debounce_superseded_total",
                "Pending debounced runs closed because a later start of their key came \
                 within the period",
            ),
            rate_waits: counters(
                "weft_start_rate_waits_total",
                "Starts past their type's start rate that were delayed until a token",
            ),
            rate_refused: counters(
                "weft_start_rate_refused_total",
                "Starts past their type's start rate that were refused",
            ),
            waiting,
        }
    }

    /// A start of `workflow_type` carried a debounce key; its superseded count is a
    /// series from now on, 0 or not.
    pub fn debounced(&self, workflow_type: &str) {
        self.debounced.with_label_values(&[workflow_type]).inc();
        self.superseded.with_label_values(&[workflow_type]);
    }

    /// `workflow_type` has a start rate: its waits and refusals are series, at 0.
    pub fn rated(&self, workflow_type: &str) {
        self.rate_waits.with_label_values(&[workflow_type]);
        self.rate_refused.with_label_values(&[workflow_type]);
    }
}

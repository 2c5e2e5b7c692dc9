//! Custom metrics from a workflow: counters, gauges and histograms that the host
//! serves with its own (`GET /metrics` of `weft server`).
//!
//! A value recorded while the workflow replays is dropped (by the SDK, and again by
//! the host), so an instance rebuilt from its history never counts twice. The host
//! makes a metric the first time its name is used; a later use with another kind or
//! other label names is refused and logged by the host, never failing the workflow.

use crate::host;
use crate::wit::{MetricKind, MetricValue};
use crate::WfContext;

/// A workflow's handle on the host's custom metrics (see [`WfContext::metrics`]).
pub struct Metrics {
    replaying: bool,
}

impl<S> WfContext<S> {
    /// Custom metrics: `ctx.metrics().add("orders_placed", 1.0, &[("region", "eu")])`.
    /// Dropped while replaying.
    pub fn metrics(&self) -> Metrics {
        Metrics {
            replaying: self.is_replaying(),
        }
    }
}

impl Metrics {
    /// Add `value` to the counter `name`.
    pub fn add(&self, name: &str, value: f64, labels: &[(&str, &str)]) {
        self.record(MetricKind::Counter, name, value, labels);
    }

    /// Set the gauge `name` to `value`.
    pub fn set(&self, name: &str, value: f64, labels: &[(&str, &str)]) {
        self.record(MetricKind::Gauge, name, value, labels);
    }

    /// Observe `value` in the histogram `name`.
    pub fn observe(&self, name: &str, value: f64, labels: &[(&str, &str)]) {
        self.record(MetricKind::Histogram, name, value, labels);
    }

    fn record(&self, kind: MetricKind, name: &str, value: f64, labels: &[(&str, &str)]) {
        if self.replaying {
            return;
        }
        host::record_metric(&MetricValue {
            kind,
            name: name.to_string(),
            value,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }
}

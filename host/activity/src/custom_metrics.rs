//! Custom metrics: counters, gauges and histograms that activities (through their
//! context) and workflows (through the SDK) define by using them.
//!
//! A metric is made the first time its name is used, with the label names of that
//! use, and registered in the host's registry beside the host's own, so `GET /metrics`
//! serves both. A later use with another kind or other label names is refused (the
//! registry could not serve both), and so are names Prometheus does not accept. A
//! workflow's uses are dropped while it replays, so a rebuilt instance never counts
//! again what it counted the first time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus::{CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry};

/// What kind of metric a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (`add`).
    Counter,
    /// Goes anywhere (`set`).
    Gauge,
    /// A distribution of observed values (`observe`).
    Histogram,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }
}

/// Why a custom metric was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("`{0}` is not a metric name: use letters, digits and `_`, not starting with a digit")]
    Name(String),
    #[error(
        "`{0}` is not a label name: use letters, digits and `_`, not starting with a digit or `__`"
    )]
    Label(String),
    #[error("metric `{name}` is a {was} with labels [{labels}]; it cannot be used as a {kind} with labels [{asked}]")]
    Conflict {
        name: String,
        was: &'static str,
        labels: String,
        kind: &'static str,
        asked: String,
    },
    #[error("metric `{name}`: {reason}")]
    Value { name: String, reason: String },
    #[error("metric `{0}` is one of the host's own")]
    Reserved(String),
}

enum Family {
    Counter(CounterVec),
    Gauge(GaugeVec),
    Histogram(HistogramVec),
}

struct Entry {
    labels: Vec<String>,
    family: Family,
}

/// The custom metrics of one host (cheap to clone: one shared set).
#[derive(Clone)]
pub struct CustomMetrics {
    registry: Registry,
    families: Arc<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for CustomMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomMetrics")
    }
}

impl Default for CustomMetrics {
    /// Metrics in a registry of their own (an activity run outside a host).
    fn default() -> Self {
        CustomMetrics::new(Registry::new())
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

impl CustomMetrics {
    #[doc(hidden)]
    pub fn new(registry: Registry) -> CustomMetrics {
        CustomMetrics {
            registry,
            families: Arc::default(),
        }
    }

    /// Add `value` (not negative) to the counter `name`.
    pub fn add(&self, name: &str, value: f64, labels: &[(&str, &str)]) -> Result<(), MetricError> {
        if !(value >= 0.0 && value.is_finite()) {
            return Err(MetricError::Value {
                name: name.into(),
                reason: format!("a counter only goes up; {value} cannot be added"),
            });
        }
        self.record(MetricKind::Counter, name, value, labels)
    }

    /// Set the gauge `name` to `value`.
    pub fn set(&self, name: &str, value: f64, labels: &[(&str, &str)]) -> Result<(), MetricError> {
        self.record(MetricKind::Gauge, name, value, labels)
    }

    /// Observe `value` in the histogram `name`.
    pub fn observe(
        &self,
        name: &str,
        value: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), MetricError> {
        self.record(MetricKind::Histogram, name, value, labels)
    }

    /// Record one value of a metric of `kind`.
    pub fn record(
        &self,
        kind: MetricKind,
        name: &str,
        value: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), MetricError> {
        if !valid_name(name) {
            return Err(MetricError::Name(name.into()));
        }
        if name.starts_with("weft_") {
            return Err(MetricError::Reserved(name.into()));
        }
        if let Some((bad, _)) = labels
            .iter()
            .find(|(l, _)| !valid_name(l) || l.starts_with("__") || l.contains(':'))
        {
            return Err(MetricError::Label((*bad).into()));
        }
        let mut names: Vec<&str> = labels.iter().map(|(l, _)| *l).collect();
        names.sort_unstable();
        let values: Vec<&str> = {
            let mut sorted: Vec<_> = labels.to_vec();
            sorted.sort_unstable_by_key(|(l, _)| *l);
            sorted.into_iter().map(|(_, v)| v).collect()
        };
        let mut families = self.families.lock().unwrap();
        if !families.contains_key(name) {
            let entry = self.make(kind, name, &names)?;
            families.insert(name.to_string(), entry);
        }
        let entry = &families[name];
        let conflict = |was: &'static str| MetricError::Conflict {
            name: name.into(),
            was,
            labels: entry.labels.join(", "),
            kind: kind.as_str(),
            asked: names.join(", "),
        };
        if entry.labels != names {
            let was = match entry.family {
                Family::Counter(_) => "counter",
                Family::Gauge(_) => "gauge",
                Family::Histogram(_) => "histogram",
            };
            return Err(conflict(was));
        }
        match (&entry.family, kind) {
            (Family::Counter(c), MetricKind::Counter) => c.with_label_values(&values).inc_by(value),
            (Family::Gauge(g), MetricKind::Gauge) => g.with_label_values(&values).set(value),
            (Family::Histogram(h), MetricKind::Histogram) => {
                h.with_label_values(&values).observe(value)
            }
            (Family::Counter(_), _) => return Err(conflict("counter")),
            (Family::Gauge(_), _) => return Err(conflict("gauge")),
            (Family::Histogram(_), _) => return Err(conflict("histogram")),
        }
        Ok(())
    }

    fn make(&self, kind: MetricKind, name: &str, labels: &[&str]) -> Result<Entry, MetricError> {
        let help = format!("Custom {} {name}", kind.as_str());
        let invalid = |e: prometheus::Error| MetricError::Value {
            name: name.into(),
            reason: e.to_string(),
        };
        let family = match kind {
            MetricKind::Counter => {
                let c = CounterVec::new(Opts::new(name, help), labels).map_err(invalid)?;
                self.registry
                    .register(Box::new(c.clone()))
                    .map_err(invalid)?;
                Family::Counter(c)
            }
            MetricKind::Gauge => {
                let g = GaugeVec::new(Opts::new(name, help), labels).map_err(invalid)?;
                self.registry
                    .register(Box::new(g.clone()))
                    .map_err(invalid)?;
                Family::Gauge(g)
            }
            MetricKind::Histogram => {
                let h =
                    HistogramVec::new(HistogramOpts::new(name, help), labels).map_err(invalid)?;
                self.registry
                    .register(Box::new(h.clone()))
                    .map_err(invalid)?;
                Family::Histogram(h)
            }
        };
        Ok(Entry {
            labels: labels.iter().map(|l| l.to_string()).collect(),
            family,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus::{Encoder, TextEncoder};

    fn text(registry: &Registry) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn metrics_are_made_on_first_use_and_served() {
        let registry = Registry::new();
        let m = CustomMetrics::new(registry.clone());
        m.add("orders_total", 2.0, &[("currency", "eur")]).unwrap();
        m.add("orders_total", 1.0, &[("currency", "eur")]).unwrap();
        m.set("queue_depth", 7.0, &[]).unwrap();
        m.observe("order_value", 12.5, &[("b", "2"), ("a", "1")])
            .unwrap();
        m.observe("order_value", 1.0, &[("a", "1"), ("b", "2")])
            .unwrap();
        let t = text(&registry);
        assert!(t.contains("orders_total{currency=\"eur\"} 3"), "{t}");
        assert!(t.contains("queue_depth 7"), "{t}");
        assert!(t.contains("order_value_count{a=\"1\",b=\"2\"} 2"), "{t}");
    }

    #[test]
    fn misuse_is_refused_with_a_reason() {
        let m = CustomMetrics::default();
        m.add("jobs", 1.0, &[("kind", "a")]).unwrap();
        let e = m.set("jobs", 1.0, &[("kind", "a")]).unwrap_err();
        assert!(e.to_string().contains("is a counter"), "{e}");
        let e = m.add("jobs", 1.0, &[("other", "a")]).unwrap_err();
        assert!(e.to_string().contains("[kind]"), "{e}");
        assert!(matches!(
            m.add("jobs", -1.0, &[("kind", "a")]),
            Err(MetricError::Value { .. })
        ));
        assert!(matches!(
            m.add("9lives", 1.0, &[]),
            Err(MetricError::Name(_))
        ));
        assert!(matches!(
            m.add("x", 1.0, &[("__x", "1")]),
            Err(MetricError::Label(_))
        ));
        assert!(matches!(
            m.add("weft_fake", 1.0, &[]),
            Err(MetricError::Reserved(_))
        ));
    }
}

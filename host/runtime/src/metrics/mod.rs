//! The host's Prometheus metrics, served by `GET /metrics` of `weft server`.
//!
//! Each host owns its own [`Registry`] (several hosts live in one test process, and the
//! global default registry would mix their counts). Counters and histograms are atomics;
//! the paths that run often (a workflow task, an activity attempt) use handles whose
//! label values were looked up once per run or per activity ([`RunMetrics`],
//! [`ActivityMetrics`]), and the gauges are read from the host when scraped.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

pub use weft_activity::custom_metrics::{CustomMetrics, MetricError, MetricKind};

mod starts;
pub(crate) use starts::StartMetrics;

use crate::storage::{CommitObserver, Status};
use weft_model::status::ExecutionStatus;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Buckets of durations in seconds: 100 µs to 60 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// Buckets of group-commit sizes, in batches (the writer takes at most 512).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Every metric of one host.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    executions_started: IntCounterVec,
    executions_closed: IntCounterVec,
    task_seconds: HistogramVec,
    task_failures: IntCounterVec,
    activity_attempts: IntCounterVec,
    activity_failures: IntCounterVec,
    activity_attempt_seconds: HistogramVec,
    activity_schedule_to_start_seconds: HistogramVec,
    pub(crate) timers_fired: IntCounter,
    /// Closed runs removed (`weft delete`, retention).
    pub(crate) executions_deleted: IntCounter,
    /// Closed runs written to the archive before retention removed them.
    pub(crate) executions_archived: IntCounter,
    /// Open runs whose actor was rebuilt from storage (on demand, or by an opening
    /// host).
    pub(crate) runs_woken: IntCounter,
    /// Open runs that let their actor go while they wait.
    pub(crate) runs_rested: IntCounter,
    pub(crate) signals_received: IntCounter,
    pub(crate) queries_received: IntCounter,
    pub(crate) updates_received: IntCounter,
    commit_batches: Histogram,
    commit_seconds: Histogram,
    cache_size: IntGauge,
    pub(crate) cache_hits: IntCounter,
    pub(crate) cache_misses: IntCounter,
    pub(crate) cache_evictions: IntCounter,
    pub(crate) rebuilds: IntCounter,
    open_runs: IntGauge,
    /// Pending starts (past a workflow limit) by workflow type, set at scrape time.
    pending_starts: IntGaugeVec,
    /// Activity attempts that had to wait, by what they first waited for.
    activity_waits: IntCounterVec,
    /// Activity attempts waiting now, by what they wait for, set at scrape time.
    activities_waiting: IntGaugeVec,
    /// Attempts waiting for a concurrency key's slot, by key, set at scrape time.
    key_waiting: IntGaugeVec,
    /// Debounced and rate-limited starts.
    pub(crate) starts: StartMetrics,
    /// The metrics activities and workflows define (see [`CustomMetrics`]).
    pub custom: CustomMetrics,
}

/// The handles a run's actor uses on every task, labelled with its workflow type.
#[derive(Clone)]
pub(crate) struct RunMetrics {
    pub task_seconds: Histogram,
    pub task_failures: IntCounter,
}

/// The handles an activity uses on every attempt, labelled with its activity type.
#[derive(Clone)]
pub(crate) struct ActivityMetrics {
    pub attempts: IntCounter,
    pub failures: IntCounter,
    pub attempt_seconds: Histogram,
    pub schedule_to_start_seconds: Histogram,
    /// By what an attempt first waited for (`weft_activity_waits_total`).
    pub waits: IntCounterVec,
    pub custom: CustomMetrics,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric at zero, registered in a registry of their own.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counters = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("unique");
            c
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("unique");
            c
        };
        let histograms = |name: &str, help: &str, labels: &[&str]| {
            let opts = HistogramOpts::new(name, help).buckets(SECONDS_BUCKETS.to_vec());
            let h = HistogramVec::new(opts, labels).expect("a valid histogram");
            registry.register(Box::new(h.clone())).expect("unique");
            h
        };
        let histogram = |name: &str, help: &str, buckets: &[f64]| {
            let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
            let h = Histogram::with_opts(opts).expect("a valid histogram");
            registry.register(Box::new(h.clone())).expect("unique");
            h
        };
        let gauges = |name: &str, help: &str, labels: &[&str]| {
            let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge");
            registry.register(Box::new(g.clone())).expect("unique");
            g
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("a valid gauge");
            registry.register(Box::new(g.clone())).expect("unique");
            g
        };
        let metrics = Metrics {
            executions_started: counters(
                "weft_executions_started_total",
                "Runs started (new executions, children and continue-as-new runs)",
                &["workflow_type"],
            ),
            executions_closed: counters(
                "weft_executions_closed_total",
                "Runs closed, by how they ended",
                &["workflow_type", "status"],
            ),
            task_seconds: histograms(
                "weft_workflow_task_seconds",
                "Time a workflow task spends running on its instance (rebuild included)",
                &["workflow_type"],
            ),
            task_failures: counters(
                "weft_workflow_task_failures_total",
                "Workflow tasks that failed (panic, trap, deadline, rebuild, bad command)",
                &["workflow_type"],
            ),
            activity_attempts: counters(
                "weft_activity_attempts_total",
                "Activity attempts run",
                &["activity_type"],
            ),
            activity_failures: counters(
                "weft_activity_attempt_failures_total",
                "Activity attempts that failed or timed out",
                &["activity_type"],
            ),
            activity_attempt_seconds: histograms(
                "weft_activity_attempt_seconds",
                "Time an activity attempt runs, from its start to its end",
                &["activity_type"],
            ),
            activity_schedule_to_start_seconds: histograms(
                "weft_activity_schedule_to_start_seconds",
                "Time from an attempt being due (scheduled, or its backoff over) to its start \
                 on a task-queue slot",
                &["activity_type"],
            ),
            timers_fired: counter("weft_timers_fired_total", "Durable timers fired"),
            executions_deleted: counter(
                "weft_executions_deleted_total",
                "Closed runs removed, by `weft delete` or by retention",
            ),
            executions_archived: counter(
                "weft_executions_archived_total",
                "Closed runs written to the archive before retention removed them",
            ),
            runs_woken: counter(
                "weft_runs_woken_total",
                "Open runs whose actor was rebuilt from storage (on demand or at open)",
            ),
            runs_rested: counter(
                "weft_runs_rested_total",
                "Open runs that let their actor and decoded history go while they wait",
            ),
            signals_received: counter("weft_signals_received_total", "Signals received"),
            queries_received: counter("weft_queries_received_total", "Queries received"),
            updates_received: counter("weft_updates_received_total", "Updates received"),
            commit_batches: histogram(
                "weft_group_commit_batches",
                "Batches (one per execution commit) written by one group commit",
                BATCH_BUCKETS,
            ),
            commit_seconds: histogram(
                "weft_group_commit_seconds",
                "Time one group commit's transaction takes to be durable",
                SECONDS_BUCKETS,
            ),
            cache_size: gauge(
                "weft_instance_cache_size",
                "Workflow instances in the instance cache",
            ),
            cache_hits: counter(
                "weft_instance_cache_hits_total",
                "Workflow tasks that found their instance in the cache",
            ),
            cache_misses: counter(
                "weft_instance_cache_misses_total",
                "Workflow tasks that did not find their instance in the cache",
            ),
            cache_evictions: counter(
                "weft_instance_cache_evictions_total",
                "Instances dropped from the full cache to make room",
            ),
            rebuilds: counter(
                "weft_rebuild_replays_total",
                "Instances rebuilt by replaying a history",
            ),
            open_runs: gauge("weft_open_runs", "Runs open on this host"),
            pending_starts: gauges(
                "weft_pending_starts",
                "Runs started past their type's workflow limit that wait to run",
                &["workflow_type"],
            ),
            activity_waits: counters(
                "weft_activity_waits_total",
                "Activity attempts that could not start at once, by what they first waited for (key_slot, queue_slot, queue_token, type_token, key_token, host_slot)",
                &["for"],
            ),
            activities_waiting: gauges(
                "weft_activities_waiting",
                "Activity attempts waiting now, by what they wait for (a slot or a rate limit's token)",
                &["for"],
            ),
            key_waiting: gauges(
                "weft_concurrency_key_waiting",
                "Activity attempts waiting for a slot of a concurrency key with a limit",
                &["key"],
            ),
            starts: StartMetrics::new(&registry),
            custom: CustomMetrics::new(registry.clone()),
            registry,
        };
        // Every step a wait can be at is a series from the start (a rate reads 0).
        for step in crate::activities::Waiting::ALL {
            metrics.activity_waits.with_label_values(&[step.name()]);
        }
        metrics
    }

    /// The handles of a run of `workflow_type`.
    pub(crate) fn run(&self, workflow_type: &str) -> RunMetrics {
        RunMetrics {
            task_seconds: self.task_seconds.with_label_values(&[workflow_type]),
            task_failures: self.task_failures.with_label_values(&[workflow_type]),
        }
    }

    /// The handles of an activity of `activity_type`.
    pub(crate) fn activity(&self, activity_type: &str) -> ActivityMetrics {
        let labels = [activity_type];
        ActivityMetrics {
            attempts: self.activity_attempts.with_label_values(&labels),
            failures: self.activity_failures.with_label_values(&labels),
            attempt_seconds: self.activity_attempt_seconds.with_label_values(&labels),
            schedule_to_start_seconds: self
                .activity_schedule_to_start_seconds
                .with_label_values(&labels),
            waits: self.activity_waits.clone(),
            custom: self.custom.clone(),
        }
    }

    /// A run of `workflow_type` started. Its type's closed counts are made at zero
    /// now, so every outcome is a series (a rate of failures reads 0, not nothing).
    pub(crate) fn started(&self, workflow_type: &str) {
        self.executions_started
            .with_label_values(&[workflow_type])
            .inc();
        for status in ExecutionStatus::ALL.into_iter().filter(|s| !s.is_open()) {
            self.executions_closed
                .with_label_values(&[workflow_type, status.as_str()]);
        }
    }

    /// A run of `workflow_type` closed with `status`.
    pub(crate) fn closed(&self, workflow_type: &str, status: Status) {
        self.executions_closed
            .with_label_values(&[workflow_type, ExecutionStatus::from(status).as_str()])
            .inc();
    }

    /// The registry, to add metrics of one's own next to the host's.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Set the pending starts of `workflow_type` (a limited type) to `n`.
    pub(crate) fn pending_starts(&self, workflow_type: &str, n: usize) {
        self.pending_starts
            .with_label_values(&[workflow_type])
            .set(n as i64);
    }

    /// Set the activity attempts waiting now: by step, and by concurrency key.
    pub(crate) fn activities_waiting(
        &self,
        by_step: &[(crate::activities::Waiting, usize)],
        by_key: &[(String, usize, usize)],
    ) {
        for (step, n) in by_step {
            self.activities_waiting
                .with_label_values(&[step.name()])
                .set(*n as i64);
        }
        for (key, _, waiting) in by_key {
            self.key_waiting
                .with_label_values(&[key])
                .set(*waiting as i64);
        }
    }

    /// Every metric in the text exposition format, with the gauges set to the sizes
    /// given (read from the host at scrape time, so nothing tracks them in between).
    pub fn render(&self, open_runs: usize, cache_size: usize) -> String {
        self.open_runs.set(open_runs as i64);
        self.cache_size.set(cache_size as i64);
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("the text encoder writes to memory");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

impl CommitObserver for Metrics {
    fn committed(&self, batches: usize, seconds: f64) {
        self.commit_batches.observe(batches as f64);
        self.commit_seconds.observe(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample `series` (name and labels as rendered) in `text`.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn renders_what_was_counted_per_host() {
        let metrics = Metrics::new();
        let other = Metrics::new();
        metrics.started("hello");
        metrics.started("hello");
        metrics.closed("hello", Status::ContinuedAsNew);
        let run = metrics.run("hello");
        run.task_seconds.observe(0.002);
        run.task_failures.inc();
        let activity = metrics.activity("greet");
        activity.attempts.inc();
        activity.attempt_seconds.observe(0.5);
        metrics.committed(3, 0.001);
        metrics.timers_fired.inc();
        let text = metrics.render(4, 2);
        for (series, value) in [
            (
                r#"weft_executions_started_total{workflow_type="hello"}"#,
                2.0,
            ),
            (
                r#"weft_executions_closed_total{status="continued-as-new",workflow_type="hello"}"#,
                1.0,
            ),
            (
                r#"weft_workflow_task_seconds_count{workflow_type="hello"}"#,
                1.0,
            ),
            (
                r#"weft_workflow_task_failures_total{workflow_type="hello"}"#,
                1.0,
            ),
            (
                r#"weft_activity_attempts_total{activity_type="greet"}"#,
                1.0,
            ),
            (
                r#"weft_activity_attempt_seconds_sum{activity_type="greet"}"#,
                0.5,
            ),
            ("weft_group_commit_batches_sum", 3.0),
            ("weft_group_commit_seconds_count", 1.0),
            ("weft_timers_fired_total", 1.0),
            ("weft_open_runs", 4.0),
            ("weft_instance_cache_size", 2.0),
            ("weft_signals_received_total", 0.0),
        ] {
            assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
        }
        assert!(text.contains("# HELP weft_rebuild_replays_total "));
        assert!(text.contains("# TYPE weft_workflow_task_seconds histogram"));
        // Another host's registry saw none of it.
        let text = other.render(0, 0);
        assert_eq!(sample(&text, "weft_timers_fired_total"), Some(0.0));
        assert!(!text.contains(r#"workflow_type="hello""#));
    }
}

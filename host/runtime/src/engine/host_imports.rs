//! The host interface a workflow imports: recorded time, seeded randomness, logging,
//! and what the workflow reports (its current details, what it waits on: `reports`).

use std::sync::{Arc, Mutex, PoisonError};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

use super::reports::{Details, WaitKind, WaitPoint};
use super::wasi::VirtualWasi;
use crate::contract::wit::weft::workflow::{host, types};
use crate::contract::wit::SourceLocation;
use crate::contract::{ChildOptions, Conv, HistoryInfo, LogLevel};
use crate::metrics::{CustomMetrics, MetricKind};

/// What a task gives its commands through imports rather than in them (the command
/// types are fixed by components already built), by the command's seq.
#[derive(Debug, Default)]
pub struct TaskAside {
    /// The children's timeouts and retry policies (`child-workflow-options`).
    pub child_options: Vec<(u32, ChildOptions)>,
    /// The activities' priority, fairness and concurrency key (`activity-flow`).
    pub activity_flows: Vec<(u32, weft_model::Flow)>,
    /// The children's priority and fairness (`child-flow`).
    pub child_flows: Vec<(u32, weft_model::Flow)>,
    /// The local activities the workflow cancelled and wants told
    /// (`cancel-local-activity`), in order; never while replaying.
    pub local_cancels: Vec<u32>,
    /// Options the host cannot take: the task fails with this message.
    pub refused: Option<String>,
}

/// The failure causes of one task, both ways (see `causes`).
#[derive(Debug, Default)]
pub(crate) struct TaskCauses {
    /// The causes of each job's failure, by the job's index (`job-failure-causes`).
    pub jobs: Vec<Vec<types::Failure>>,
    /// The causes the guest gave its commands' failures, by the command's index
    /// (`command-failure-causes`).
    pub commands: Vec<(u32, Vec<types::Failure>)>,
}

impl TaskAside {
    /// The flow options of activity (or child) `seq`; options the host cannot take
    /// fail the task.
    fn flow(&mut self, seq: u32, flow: host::FlowOptions, activity: bool) {
        let (flows, what) = if activity {
            (&mut self.activity_flows, "activity")
        } else {
            (&mut self.child_flows, "child")
        };
        match flow_of(flow, activity) {
            Ok(flow) => {
                flows.retain(|(s, _)| *s != seq);
                flows.push((seq, flow));
            }
            Err(e) => self.refused = Some(format!("the flow options of {what} {seq}: {e}")),
        }
    }
}

/// The guest's flow options, checked (a concurrency key only for an activity).
fn flow_of(flow: host::FlowOptions, activity: bool) -> Result<weft_model::Flow, String> {
    let priority = flow
        .priority
        .map(weft_model::Priority::new)
        .transpose()
        .map_err(|e| e.to_string())?;
    let fairness = match flow.fairness_key {
        Some(key) => {
            Some(weft_model::Fairness::new(&key, flow.fairness_weight).map_err(|e| e.to_string())?)
        }
        None if flow.fairness_weight.is_some() => {
            return Err("a fairness weight needs a fairness key".into())
        }
        None => None,
    };
    if let Some(key) = &flow.concurrency_key {
        if !activity {
            return Err("a child workflow takes no concurrency key".into());
        }
        weft_model::fairness::check_key("concurrency key", key).map_err(|e| e.to_string())?;
    }
    Ok(weft_model::Flow {
        priority,
        fairness,
        concurrency_key: flow.concurrency_key,
    })
}

/// A panic the guest reported just before trapping.
pub(crate) struct PanicReport {
    pub message: String,
    pub location: Option<SourceLocation>,
    /// The workflow opted in to failing its run on a panic.
    pub fails_run: bool,
    /// It panicked in the validator of this update (`report-validator-panic`).
    pub validating: Option<String>,
}

/// Per-instance state the imports read and write.
pub struct InstanceState {
    /// The current activation's recorded time.
    pub(crate) time_ms: u64,
    pub(crate) rng: SeededRng,
    pub(crate) replaying: bool,
    pub(crate) history_info: HistoryInfo,
    /// Set by the guest's panic hook just before it traps.
    pub(crate) panic: Option<PanicReport>,
    /// Used in log lines.
    pub(crate) workflow_id: String,
    /// The run this one continued as new from (its history's `ContinuedFrom`).
    pub(crate) continued_from: Option<String>,
    /// The attempt of the live task (`task-attempt`; 1 while replaying).
    pub(crate) task_attempt: u32,
    /// The cron schedule of the execution (its history's `CronScheduled`).
    pub(crate) cron_schedule: Option<String>,
    /// What the current task gave its commands aside from them.
    pub(crate) aside: TaskAside,
    /// The failure causes of the current task's jobs and commands.
    pub(crate) causes: TaskCauses,
    /// Where the workflow's custom metrics go (none in a bare replay).
    pub(crate) metrics: Option<CustomMetrics>,
    /// The workflow's current details.
    pub(crate) details: Details,
    /// What the workflow last reported waiting on besides its commands' answers.
    pub(crate) waiting_on: Vec<WaitPoint>,
    /// The virtual WASI, made on the first WASI call: a component without WASI imports
    /// never pays for it.
    pub(crate) wasi: Option<Box<VirtualWasi>>,
}

impl InstanceState {
    pub(crate) fn new(workflow_id: String) -> InstanceState {
        InstanceState {
            time_ms: 0,
            rng: SeededRng::default(),
            replaying: false,
            history_info: HistoryInfo {
                length: 0,
                size_bytes: 0,
                continue_as_new_suggested: false,
            },
            panic: None,
            workflow_id,
            continued_from: None,
            task_attempt: 1,
            cron_schedule: None,
            aside: TaskAside::default(),
            causes: TaskCauses::default(),
            metrics: None,
            details: Details::default(),
            waiting_on: Vec::new(),
            wasi: None,
        }
    }

    /// Prepares the state for one workflow task.
    pub(crate) fn begin_task(&mut self, time_ms: u64, replaying: bool, history: HistoryInfo) {
        self.time_ms = time_ms;
        self.replaying = replaying;
        self.history_info = history;
        self.panic = None;
        self.aside = TaskAside::default();
        self.causes = TaskCauses::default();
        if let Some(wasi) = &self.wasi {
            wasi.begin_task(time_ms, replaying);
        }
    }
}

/// The PRNG behind `random-bytes` and WASI's random, seeded by the recorded seed of the
/// start job. Clones share one stream, so both interfaces draw from it in call order.
#[derive(Clone)]
pub(crate) struct SeededRng(Arc<Mutex<ChaCha8Rng>>);

impl Default for SeededRng {
    fn default() -> Self {
        SeededRng(Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(0))))
    }
}

impl SeededRng {
    pub(crate) fn seed(&self, seed: u64) {
        *self.stream() = ChaCha8Rng::seed_from_u64(seed);
    }

    pub(crate) fn fill(&self, bytes: &mut [u8]) {
        self.stream().fill_bytes(bytes);
    }

    pub(crate) fn next_u32(&self) -> u32 {
        self.stream().next_u32()
    }

    pub(crate) fn next_u64(&self) -> u64 {
        self.stream().next_u64()
    }

    fn stream(&self) -> std::sync::MutexGuard<'_, ChaCha8Rng> {
        // Nothing panics while holding the lock; a poisoned stream is still a stream.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl types::Host for InstanceState {}

impl host::Host for InstanceState {
    fn now(&mut self) -> u64 {
        self.time_ms
    }

    fn random_bytes(&mut self, len: u32) -> Vec<u8> {
        // Bounded so a guest cannot make the host allocate without limit.
        let mut bytes = vec![0; len.min(1 << 20) as usize];
        self.rng.fill(&mut bytes);
        bytes
    }

    fn log(&mut self, level: LogLevel, message: String) {
        if self.replaying {
            return;
        }
        let id = self.workflow_id.as_str();
        match level {
            LogLevel::Trace => tracing::trace!(workflow = id, "{message}"),
            LogLevel::Debug => tracing::debug!(workflow = id, "{message}"),
            LogLevel::Info => tracing::info!(workflow = id, "{message}"),
            LogLevel::Warn => tracing::warn!(workflow = id, "{message}"),
            LogLevel::Error => tracing::error!(workflow = id, "{message}"),
        }
    }

    fn history_info(&mut self) -> HistoryInfo {
        self.history_info
    }

    fn report_panic(&mut self, message: String, location: Option<SourceLocation>) {
        self.panic = Some(PanicReport {
            message,
            location,
            fails_run: false,
            validating: None,
        });
    }

    fn report_fatal_panic(&mut self, message: String, location: Option<SourceLocation>) {
        self.panic = Some(PanicReport {
            message,
            location,
            fails_run: true,
            validating: None,
        });
    }

    fn report_validator_panic(
        &mut self,
        update_id: String,
        message: String,
        location: Option<SourceLocation>,
    ) {
        self.panic = Some(PanicReport {
            message,
            location,
            fails_run: false,
            validating: Some(update_id),
        });
    }

    fn task_attempt(&mut self) -> u32 {
        match self.replaying {
            true => 1,
            false => self.task_attempt,
        }
    }

    fn cron_schedule(&mut self) -> Option<String> {
        self.cron_schedule.clone()
    }

    fn continued_from(&mut self) -> Option<String> {
        self.continued_from.clone()
    }

    fn child_workflow_options(&mut self, seq: u32, options: host::ChildOptions) {
        let options = ChildOptions {
            execution_timeout_ms: options.execution_timeout_ms,
            run_timeout_ms: options.run_timeout_ms,
            retry_policy: options.retry_policy.conv(),
        };
        self.aside.child_options.retain(|(s, _)| *s != seq);
        self.aside.child_options.push((seq, options));
    }

    fn activity_flow(&mut self, seq: u32, flow: host::FlowOptions) {
        self.aside.flow(seq, flow, true);
    }

    fn child_flow(&mut self, seq: u32, flow: host::FlowOptions) {
        self.aside.flow(seq, flow, false);
    }

    fn record_metric(&mut self, metric: host::MetricValue) {
        let Some(metrics) = &self.metrics else { return };
        if self.replaying {
            return;
        }
        let kind = match metric.kind {
            host::MetricKind::Counter => MetricKind::Counter,
            host::MetricKind::Gauge => MetricKind::Gauge,
            host::MetricKind::Histogram => MetricKind::Histogram,
        };
        let labels: Vec<(&str, &str)> = metric
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Err(e) = metrics.record(kind, &metric.name, metric.value, &labels) {
            tracing::warn!(workflow = %self.workflow_id, "custom metric not recorded: {e}");
        }
    }

    fn set_current_details(&mut self, details: String) {
        self.details.set(details, self.replaying);
    }

    fn cancel_local_activity(&mut self, seq: u32) {
        // A replayed task's local activities have their recorded results.
        if !self.replaying {
            self.aside.local_cancels.push(seq);
        }
    }

    fn job_failure_causes(&mut self, index: u32) -> Vec<types::Failure> {
        self.causes
            .jobs
            .get(index as usize)
            .cloned()
            .unwrap_or_default()
    }

    fn command_failure_causes(&mut self, index: u32, causes: Vec<types::Failure>) {
        self.causes.commands.retain(|(i, _)| *i != index);
        self.causes.commands.push((index, causes));
    }

    fn waiting_on(&mut self, points: Vec<host::WaitPoint>) {
        self.waiting_on = points
            .into_iter()
            .map(|p| WaitPoint {
                kind: match p.kind {
                    host::WaitKind::Condition => WaitKind::Condition,
                    host::WaitKind::HandlersFinished => WaitKind::HandlersFinished,
                    host::WaitKind::SignalChannel => WaitKind::SignalChannel,
                    host::WaitKind::Cancellation => WaitKind::Cancellation,
                },
                name: p.name,
                location: p.location.conv(),
            })
            .collect();
    }
}

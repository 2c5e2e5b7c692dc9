//! Run a workflow natively, without a host: for unit tests of workflow code.
//!
//! A [`Harness`] plays the host's part by hand: it starts the workflow, shows the
//! commands each activation produced, and delivers the jobs a test chooses. Time and
//! randomness come from a stand-in host (time moves only when the test says so).
//!
//! ```
//! use weft_sdk::testing::{self, Harness};
//! use weft_sdk::wit::Command;
//! use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};
//!
//! #[workflow]
//! async fn double(ctx: WfContext, n: u64) -> WfResult<u64> {
//!     let options = ActivityOptions::start_to_close(std::time::Duration::from_secs(1));
//!     Ok(ctx.activity_by_name::<u64>("double", &n, &options).await?)
//! }
//!
//! let mut harness = Harness::new::<double>();
//! let commands = harness.start(&21).unwrap();
//! assert!(matches!(&commands[0].command, Command::ScheduleActivity(s) if s.seq == 1));
//! let commands = harness.activate(vec![testing::complete_activity(1, &42)]).unwrap();
//! assert_eq!(testing::completed::<u64>(&commands), Some(42));
//! ```
//!
//! Signals, updates and queries are delivered the way the host delivers them: a signal
//! or an update as a job (alone with [`Harness::signal`] and [`Harness::update`], or
//! among others with [`Harness::activate`]), a query alone in its activation
//! ([`Harness::query`]).
//!
//! ```
//! use weft_sdk::testing::{self, Harness};
//! use weft_sdk::{workflow, WfContext, WfResult};
//!
//! #[derive(Default)]
//! struct Counter {
//!     count: u64,
//! }
//!
//! #[workflow]
//! impl Counter {
//!     async fn run(ctx: WfContext<Self>) -> WfResult<u64> {
//!         ctx.wait_condition(|s| s.count >= 10).await;
//!         Ok(ctx.state(|s| s.count))
//!     }
//!
//!     #[query]
//!     fn count(&self) -> u64 {
//!         self.count
//!     }
//!
//!     #[update]
//!     fn add(&mut self, n: u64) -> WfResult<u64> {
//!         self.count += n;
//!         Ok(self.count)
//!     }
//!
//!     #[update_validator(add)]
//!     fn positive(&self, n: &u64) -> Result<(), &'static str> {
//!         if *n == 0 { Err("add at least 1") } else { Ok(()) }
//!     }
//! }
//!
//! let mut harness = Harness::new::<Counter>();
//! harness.start(&()).unwrap();
//! let commands = harness.update("u1", "add", &4).unwrap();
//! assert_eq!(testing::accepted(&commands), ["u1"]);
//! assert_eq!(testing::update_result::<u64>(&commands, "u1"), Some(Ok(4)));
//! let commands = harness.update("u2", "add", &0).unwrap();
//! assert_eq!(testing::rejected(&commands)[0].1.message, "add at least 1");
//! assert_eq!(harness.query::<u64>("count", &()), Ok(4));
//! let done = harness.update("u3", "add", &6).unwrap();
//! assert_eq!(testing::completed::<u64>(&done), Some(10));
//! ```

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::component::Component;
use crate::host::{self, Host};
use crate::payload;
use crate::wit::{
    Activation, Command, Failure, HistoryInfo, IssuedCommand, Job, LogLevel, Marker, Payload,
    SourceLocation, StartWorkflow, TaskFailure,
};
use crate::workflow::{Workflow, WorkflowEntry};

mod jobs;

pub use jobs::*;

/// One workflow execution, driven by a test.
pub struct Harness {
    workflow_type: &'static str,
    component: Component,
    host: Rc<TestHost>,
    is_replaying: bool,
    queries: u32,
}

impl Harness {
    /// A component that exports only `W`, with the workflow clock at 2000-01-01T00:00:00Z.
    pub fn new<W: Workflow>() -> Self {
        Self {
            workflow_type: W::NAME,
            component: Component::new(&[WorkflowEntry::of::<W>()]),
            host: Rc::new(TestHost {
                now_ms: Cell::new(946_684_800_000),
                random_state: Cell::new(0x5eed),
                logs: RefCell::default(),
                panics: RefCell::default(),
                continued_from: RefCell::default(),
                task_attempt: Cell::new(1),
                cron_schedule: RefCell::default(),
                child_options: RefCell::default(),
                flows: RefCell::default(),
                metrics: RefCell::default(),
                current_details: RefCell::default(),
                waiting_on: RefCell::default(),
                local_cancels: RefCell::default(),
                command_causes: RefCell::default(),
            }),
            is_replaying: false,
            queries: 0,
        }
    }

    /// Starts the execution with `input` (encoded as JSON).
    pub fn start(&mut self, input: &impl Serialize) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.start_with(input, Vec::new())
    }

    /// Starts the execution with `input` and more jobs in the same activation, after the
    /// start: signal-with-start is `start_with(&input, vec![testing::signal(..)])`.
    pub fn start_with(
        &mut self,
        input: &impl Serialize,
        jobs: Vec<Job>,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        let input = payload::to_json(input).expect("the test input encodes as JSON");
        let mut all = vec![self.start_job(self.workflow_type, input)];
        all.extend(jobs);
        self.activate(all)
    }

    /// Starts the execution as workflow type `workflow_type` with `input` (encoded as
    /// JSON): how a dynamic workflow (`#[workflow(dynamic)]`) is started as the types it
    /// serves.
    pub fn start_as(
        &mut self,
        workflow_type: &str,
        input: &impl Serialize,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        let input = payload::to_json(input).expect("the test input encodes as JSON");
        self.start_with_payload(workflow_type, input)
    }

    /// Starts an execution of any workflow type with a raw payload.
    pub fn start_with_payload(
        &mut self,
        workflow_type: &str,
        input: Payload,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.activate(vec![self.start_job(workflow_type, input)])
    }

    fn start_job(&self, workflow_type: &str, input: Payload) -> Job {
        Job::StartWorkflow(StartWorkflow {
            workflow_type: workflow_type.to_owned(),
            input,
            workflow_id: "test-workflow".to_owned(),
            run_id: "test-run".to_owned(),
            attempt: 1,
            parent_workflow_id: None,
            random_seed: 0x5eed,
            search_attributes: Vec::new(),
            memo: Vec::new(),
        })
    }

    /// The options (timeouts, retry policy) the workflow gave the children it started,
    /// by their start command's seq, in the order given.
    pub fn child_options(&self) -> Vec<(u32, crate::wit::ChildOptions)> {
        self.host.child_options.borrow().clone()
    }

    /// The local activities the workflow asked the host to tell of their cancellation
    /// (`cancel-local-activity`), by seq, in order.
    pub fn local_activity_cancels(&self) -> Vec<u32> {
        self.host.local_cancels.borrow().clone()
    }

    /// The flow options the workflow gave its activities (`false`) and children
    /// (`true`) so far, by command seq.
    pub fn flow_options(&self) -> Vec<(u32, bool, crate::wit::FlowOptions)> {
        self.host.flows.borrow().clone()
    }

    /// The custom metric values the workflow recorded so far (none while replaying).
    pub fn metrics(&self) -> Vec<crate::wit::MetricValue> {
        self.host.metrics.borrow().clone()
    }

    /// What the workflow last gave `ctx.set_current_details` (replayed or not); `None`
    /// before it gave anything.
    pub fn current_details(&self) -> Option<String> {
        self.host.current_details.borrow().clone()
    }

    /// What the workflow last reported waiting on besides its commands' answers
    /// (conditions, signal channels), each with the line that awaits it, as `weft stack`
    /// shows them.
    pub fn waiting_on(&self) -> Vec<crate::wit::WaitPoint> {
        self.host.waiting_on.borrow().clone()
    }

    /// The causes the workflow gave the failures of its commands so far (a
    /// `fail-workflow` of an error converted from a child's failure, …), each with the
    /// command's index in its activation's commands, outermost cause first.
    pub fn failure_causes(&self) -> Vec<(u32, Vec<Failure>)> {
        self.host.command_causes.borrow().clone()
    }

    /// Makes the execution a run that continued as new from `run_id` (what
    /// `ctx.info().continued_from` says); call before `start`.
    pub fn continued_from(&mut self, run_id: &str) {
        *self.host.continued_from.borrow_mut() = Some(run_id.to_owned());
    }

    /// Makes the execution one started with cron schedule `spec` (what
    /// `ctx.info().cron_schedule` says); call before `start`.
    pub fn cron_schedule(&mut self, spec: &str) {
        *self.host.cron_schedule.borrow_mut() = Some(spec.to_owned());
    }

    /// Makes the following activations attempt `attempt` of their workflow task (what
    /// `ctx.task_attempt()` says), as when the host retries a failed task.
    pub fn set_task_attempt(&mut self, attempt: u32) {
        self.host.task_attempt.set(attempt);
    }

    /// Delivers `jobs` in one activation at the current workflow time.
    pub fn activate(&mut self, jobs: Vec<Job>) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.activate_as(jobs, self.is_replaying)
    }

    /// Marks the following activations as replaying recorded history (or not), as the
    /// host does while it rebuilds an instance: update validators do not run, logs are
    /// the host's to suppress.
    pub fn set_replaying(&mut self, is_replaying: bool) {
        self.is_replaying = is_replaying;
    }

    /// Delivers a signal in an activation of its own.
    pub fn signal(
        &mut self,
        name: &str,
        input: &impl Serialize,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.activate(vec![signal(name, input)])
    }

    /// Delivers a cancellation request (`cancel-requested`) in an activation of its own.
    pub fn cancel(&mut self) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.activate(vec![cancel_requested()])
    }

    /// Delivers an update in an activation of its own, as the host does to validate it.
    pub fn update(
        &mut self,
        id: &str,
        name: &str,
        input: &impl Serialize,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.activate(vec![update(id, name, input)])
    }

    /// Sends a query in an activation of its own (never replaying) and decodes the answer.
    ///
    /// # Panics
    ///
    /// If the task fails, or the activation produces anything but one `respond-query`
    /// for this query (a query must change nothing).
    pub fn query<O: DeserializeOwned>(
        &mut self,
        name: &str,
        input: &impl Serialize,
    ) -> Result<O, Failure> {
        self.queries += 1;
        let id = format!("query-{}", self.queries);
        let commands = match self.activate_as(vec![query(&id, name, input)], false) {
            Ok(commands) => commands,
            Err(failure) => panic!("query `{name}` failed the task: {}", failure.message),
        };
        match &commands[..] {
            [IssuedCommand {
                command: Command::RespondQuery(response),
                ..
            }] if response.id == id => match &response.result {
                Ok(answer) => Ok(payload::from_json(answer).expect("the query answer decodes")),
                Err(failure) => Err(failure.clone()),
            },
            _ => panic!("query `{name}` must produce one `respond-query`, not {commands:?}"),
        }
    }

    fn activate_as(
        &mut self,
        jobs: Vec<Job>,
        is_replaying: bool,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        let activation = Activation {
            jobs,
            time_ms: self.host.now_ms.get(),
            is_replaying,
        };
        host::install(Some(self.host.clone()));
        let result = self.component.activate(activation);
        host::install(None);
        result
    }

    /// Moves the workflow clock forward.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.host
            .now_ms
            .set(self.host.now_ms.get().saturating_add(by));
    }

    /// The workflow clock.
    pub fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(self.host.now_ms.get())
    }

    /// Everything the workflow logged so far.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.host.logs.borrow().clone()
    }

    /// The panics the workflow reported through `report-panic`.
    pub fn reported_panics(&self) -> Vec<(String, Option<SourceLocation>)> {
        self.host.panics.borrow().clone()
    }
}

/// The `record-marker` commands among `commands`, in order.
pub fn markers(commands: &[IssuedCommand]) -> Vec<&Marker> {
    commands
        .iter()
        .filter_map(|issued| match &issued.command {
            Command::RecordMarker(marker) => Some(marker),
            _ => None,
        })
        .collect()
}

/// The ids of the `accept-update` commands among `commands`, in order.
pub fn accepted(commands: &[IssuedCommand]) -> Vec<&str> {
    commands
        .iter()
        .filter_map(|issued| match &issued.command {
            Command::AcceptUpdate(id) => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

/// The `reject-update` commands among `commands`: update id and failure, in order.
pub fn rejected(commands: &[IssuedCommand]) -> Vec<(&str, &Failure)> {
    commands
        .iter()
        .filter_map(|issued| match &issued.command {
            Command::RejectUpdate((id, failure)) => Some((id.as_str(), failure)),
            _ => None,
        })
        .collect()
}

/// The outcome of update `id`'s `complete-update` command among `commands`, decoded.
pub fn update_result<T: DeserializeOwned>(
    commands: &[IssuedCommand],
    id: &str,
) -> Option<Result<T, Failure>> {
    commands.iter().find_map(|issued| match &issued.command {
        Command::CompleteUpdate(complete) if complete.id == id => Some(
            complete
                .result
                .as_ref()
                .map(|result| payload::from_json(result).expect("the update result decodes"))
                .map_err(Clone::clone),
        ),
        _ => None,
    })
}

/// The answer of the `respond-query` command among `commands`, decoded.
pub fn query_response<T: DeserializeOwned>(
    commands: &[IssuedCommand],
) -> Option<Result<T, Failure>> {
    commands.iter().find_map(|issued| match &issued.command {
        Command::RespondQuery(response) => Some(
            response
                .result
                .as_ref()
                .map(|answer| payload::from_json(answer).expect("the query answer decodes"))
                .map_err(Clone::clone),
        ),
        _ => None,
    })
}

/// The result of the `complete-workflow` command among `commands`, decoded.
pub fn completed<T: DeserializeOwned>(commands: &[IssuedCommand]) -> Option<T> {
    commands.iter().find_map(|issued| match &issued.command {
        Command::CompleteWorkflow(result) => {
            Some(payload::from_json(result).expect("the workflow result decodes"))
        }
        _ => None,
    })
}

/// Whether `commands` hold `cancel-workflow-confirmed` (the run ends as cancelled).
pub fn cancel_confirmed(commands: &[IssuedCommand]) -> bool {
    commands
        .iter()
        .any(|issued| issued.command == Command::CancelWorkflowConfirmed)
}

/// The failure of the `fail-workflow` command among `commands`.
pub fn failed(commands: &[IssuedCommand]) -> Option<&Failure> {
    commands.iter().find_map(|issued| match &issued.command {
        Command::FailWorkflow(failure) => Some(failure),
        _ => None,
    })
}

/// The host's services as a test provides them.
struct TestHost {
    now_ms: Cell<u64>,
    random_state: Cell<u64>,
    logs: RefCell<Vec<(LogLevel, String)>>,
    panics: RefCell<Vec<(String, Option<SourceLocation>)>>,
    continued_from: RefCell<Option<String>>,
    task_attempt: Cell<u32>,
    cron_schedule: RefCell<Option<String>>,
    child_options: RefCell<Vec<(u32, crate::wit::ChildOptions)>>,
    /// Flow options by seq: (seq, of a child, options).
    flows: RefCell<Vec<(u32, bool, crate::wit::FlowOptions)>>,
    metrics: RefCell<Vec<crate::wit::MetricValue>>,
    current_details: RefCell<Option<String>>,
    waiting_on: RefCell<Vec<crate::wit::WaitPoint>>,
    local_cancels: RefCell<Vec<u32>>,
    /// The causes the workflow gave its commands' failures, by command index.
    command_causes: RefCell<Vec<(u32, Vec<Failure>)>>,
}

impl Host for TestHost {
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    fn random_bytes(&self, len: u32) -> Vec<u8> {
        // splitmix64: deterministic, and good enough for tests.
        let mut bytes = Vec::with_capacity(len as usize);
        while bytes.len() < len as usize {
            let state = self.random_state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            self.random_state.set(state);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            bytes.extend_from_slice(&z.to_le_bytes());
        }
        bytes.truncate(len as usize);
        bytes
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    fn continued_from(&self) -> Option<String> {
        self.continued_from.borrow().clone()
    }

    fn task_attempt(&self) -> u32 {
        self.task_attempt.get()
    }

    fn cron_schedule(&self) -> Option<String> {
        self.cron_schedule.borrow().clone()
    }

    fn child_workflow_options(&self, seq: u32, options: &crate::wit::ChildOptions) {
        self.child_options.borrow_mut().push((seq, options.clone()));
    }

    fn record_metric(&self, metric: &crate::wit::MetricValue) {
        self.metrics.borrow_mut().push(metric.clone());
    }

    fn activity_flow(&self, seq: u32, flow: &crate::wit::FlowOptions) {
        self.flows.borrow_mut().push((seq, false, flow.clone()));
    }

    fn child_flow(&self, seq: u32, flow: &crate::wit::FlowOptions) {
        self.flows.borrow_mut().push((seq, true, flow.clone()));
    }

    fn set_current_details(&self, details: &str) {
        *self.current_details.borrow_mut() = Some(details.to_owned());
    }

    fn waiting_on(&self, points: &[crate::wit::WaitPoint]) {
        *self.waiting_on.borrow_mut() = points.to_vec();
    }

    fn cancel_local_activity(&self, seq: u32) {
        self.local_cancels.borrow_mut().push(seq);
    }

    fn job_failure_causes(&self, _index: u32) -> Vec<Failure> {
        // The jobs a test delivers are contract records, which hold no causes.
        Vec::new()
    }

    fn command_failure_causes(&self, index: u32, causes: &[Failure]) {
        self.command_causes
            .borrow_mut()
            .push((index, causes.to_vec()));
    }

    fn history_info(&self) -> HistoryInfo {
        HistoryInfo {
            length: 0,
            size_bytes: 0,
            continue_as_new_suggested: false,
        }
    }

    fn report_panic(&self, message: &str, location: Option<SourceLocation>) {
        if let Ok(mut panics) = self.panics.try_borrow_mut() {
            panics.push((message.to_owned(), location));
        }
    }
}

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

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::component::Component;
use crate::host::{self, Host};
use crate::payload;
use crate::wit::{
    Activation, ActivityResolution, Command, Failure, HistoryInfo, IssuedCommand, Job, LogLevel,
    Payload, ResolveActivity, SourceLocation, StartWorkflow, TaskFailure,
};
use crate::workflow::{Workflow, WorkflowEntry};

/// One workflow execution, driven by a test.
pub struct Harness {
    workflow_type: &'static str,
    component: Component,
    host: Rc<TestHost>,
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
            }),
        }
    }

    /// Starts the execution with `input` (encoded as JSON).
    pub fn start(&mut self, input: &impl Serialize) -> Result<Vec<IssuedCommand>, TaskFailure> {
        let input = payload::to_json(input).expect("the test input encodes as JSON");
        self.start_with_payload(self.workflow_type, input)
    }

    /// Starts an execution of any workflow type with a raw payload.
    pub fn start_with_payload(
        &mut self,
        workflow_type: &str,
        input: Payload,
    ) -> Result<Vec<IssuedCommand>, TaskFailure> {
        self.activate(vec![Job::StartWorkflow(StartWorkflow {
            workflow_type: workflow_type.to_owned(),
            input,
            workflow_id: "test-workflow".to_owned(),
            run_id: "test-run".to_owned(),
            attempt: 1,
            parent_workflow_id: None,
            random_seed: 0x5eed,
            search_attributes: Vec::new(),
            memo: Vec::new(),
        })])
    }

    /// Delivers `jobs` in one activation at the current workflow time.
    pub fn activate(&mut self, jobs: Vec<Job>) -> Result<Vec<IssuedCommand>, TaskFailure> {
        let activation = Activation {
            jobs,
            time_ms: self.host.now_ms.get(),
            is_replaying: false,
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

/// A `resolve-activity` job: the activity returned `output`.
pub fn complete_activity(seq: u32, output: &impl Serialize) -> Job {
    Job::ResolveActivity(ResolveActivity {
        seq,
        resolution: ActivityResolution::Completed(
            payload::to_json(output).expect("the test output encodes as JSON"),
        ),
    })
}

/// A `resolve-activity` job: the activity failed.
pub fn fail_activity(seq: u32, message: &str, error_type: &str) -> Job {
    Job::ResolveActivity(ResolveActivity {
        seq,
        resolution: ActivityResolution::Failed(Failure {
            message: message.to_owned(),
            error_type: error_type.to_owned(),
            non_retryable: false,
            details: None,
        }),
    })
}

/// A `fire-timer` job.
pub fn fire_timer(seq: u32) -> Job {
    Job::FireTimer(seq)
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

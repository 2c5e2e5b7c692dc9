//! `WfContext`: everything a workflow may do besides computing.

use std::panic::Location;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::activity::{ActivityError, ActivityFuture, ActivityType};
use crate::cancellation::{ActivityCancellationType, OpKind};
use crate::host;
use crate::options::{self, ActivityOptions};
use crate::payload;
use crate::pending::Op;
use crate::state::{Answer, SharedState, WorkflowState};
use crate::state_cell::StateCell;
use crate::timer::TimerFuture;
use crate::wit::{self, Command, HistoryInfo, ScheduleActivity, StartTimer, StartWorkflow};

/// Facts about the running execution, fixed when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowInfo {
    /// The registered workflow type.
    pub workflow_type: String,
    /// The id the execution was started with.
    pub workflow_id: String,
    /// This run of the execution.
    pub run_id: String,
    /// The attempt, starting at 1.
    pub attempt: u32,
    /// The parent execution, if this is a child workflow.
    pub parent_workflow_id: Option<String>,
    /// The run this one continued as new from; `None` for an execution's first run.
    pub continued_from: Option<String>,
    /// The cron schedule the execution was started with (`weft start --cron`), which
    /// every run of its chain carries; `None` without one.
    pub cron_schedule: Option<String>,
}

impl WorkflowInfo {
    pub(crate) fn from_start(start: &StartWorkflow) -> Self {
        Self {
            workflow_type: start.workflow_type.clone(),
            workflow_id: start.workflow_id.clone(),
            run_id: start.run_id.clone(),
            attempt: start.attempt,
            parent_workflow_id: start.parent_workflow_id.clone(),
            continued_from: crate::host::continued_from(),
            cron_schedule: crate::host::cron_schedule(),
        }
    }
}

/// The workflow's handle on its execution. Cheap to clone; clones share one execution.
///
/// Methods that ask the host for something (`activity`, `sleep`) issue the command the
/// moment they are called, tagged with the caller's source line, and return a future for
/// the answer. Issue order is therefore call order, whatever order futures are polled in.
///
/// `S` is the workflow's state: the type of a `#[workflow] impl` block, shared by its run
/// method and its handlers and reached with [`state`](Self::state) and
/// [`state_mut`](Self::state_mut). A function-form workflow has none (`WfContext` is
/// `WfContext<()>`); everything else works the same for every `S`.
pub struct WfContext<S = ()> {
    pub(crate) state: SharedState,
    pub(crate) data: Rc<StateCell<S>>,
    info: Rc<WorkflowInfo>,
}

impl<S> Clone for WfContext<S> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            data: self.data.clone(),
            info: self.info.clone(),
        }
    }
}

impl<S> WfContext<S> {
    pub(crate) fn new(state: SharedState, data: Rc<StateCell<S>>, info: WorkflowInfo) -> Self {
        Self {
            state,
            data,
            info: Rc::new(info),
        }
    }

    /// Reads the workflow's state: returns what `read` returns.
    ///
    /// ```no_run
    /// # use weft_sdk::{workflow, WfContext, WfResult};
    /// # #[derive(Default)]
    /// # struct Cart { items: Vec<String> }
    /// # #[workflow]
    /// # impl Cart {
    /// async fn run(ctx: WfContext<Self>) -> WfResult<usize> {
    ///     Ok(ctx.state(|cart| cart.items.len()))
    /// }
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If called inside [`state_mut`](Self::state_mut)'s closure.
    #[track_caller]
    pub fn state<R>(&self, read: impl FnOnce(&S) -> R) -> R {
        self.data.read(read)
    }

    /// Changes the workflow's state: returns what `write` returns.
    ///
    /// The state cannot be borrowed across an `await` (the closure cannot await), so
    /// handlers that run between two polls always find it free.
    ///
    /// ```no_run
    /// # use weft_sdk::{workflow, WfContext, WfResult};
    /// # #[derive(Default)]
    /// # struct Cart { items: Vec<String> }
    /// # #[workflow]
    /// # impl Cart {
    /// async fn run(ctx: WfContext<Self>, first: String) -> WfResult<usize> {
    ///     Ok(ctx.state_mut(|cart| {
    ///         cart.items.push(first);
    ///         cart.items.len()
    ///     }))
    /// }
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If called inside another [`state`](Self::state) or `state_mut` closure.
    #[track_caller]
    pub fn state_mut<R>(&self, write: impl FnOnce(&mut S) -> R) -> R {
        self.data.write(write)
    }

    /// Schedules a typed activity.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use weft_sdk::{ActivityOptions, ActivityType, WfContext, WfResult};
    /// # struct Greet;
    /// # impl ActivityType for Greet {
    /// #     const NAME: &'static str = "greet";
    /// #     type Input = String;
    /// #     type Output = String;
    /// # }
    /// async fn greet(ctx: &WfContext, name: String) -> WfResult<String> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    ///     Ok(ctx.activity(Greet, name, &options).await?)
    /// }
    /// ```
    #[track_caller]
    pub fn activity<A: ActivityType>(
        &self,
        _activity: A,
        input: A::Input,
        options: &ActivityOptions,
    ) -> ActivityFuture<A::Output> {
        self.schedule(
            OpKind::Activity,
            A::NAME,
            &input,
            (options.to_wit(), options.flow_to_wit()),
            options.cancellation(),
            Location::caller(),
        )
    }

    /// Schedules an activity by name, for activities without an [`ActivityType`].
    #[track_caller]
    pub fn activity_by_name<O: DeserializeOwned>(
        &self,
        activity_type: &str,
        input: &impl Serialize,
        options: &ActivityOptions,
    ) -> ActivityFuture<O> {
        self.schedule(
            OpKind::Activity,
            activity_type,
            input,
            (options.to_wit(), options.flow_to_wit()),
            options.cancellation(),
            Location::caller(),
        )
    }

    /// Issues `schedule-activity` (or `schedule-local-activity`, for `kind`
    /// `LocalActivity`) with the next sequence number of its kind, telling the host its
    /// flow options (activities only) when any is set.
    pub(crate) fn schedule<I: Serialize + ?Sized, O>(
        &self,
        kind: OpKind,
        activity_type: &str,
        input: &I,
        (options, flow): (wit::ActivityOptions, Option<wit::FlowOptions>),
        cancellation: ActivityCancellationType,
        caller: &'static Location<'static>,
    ) -> ActivityFuture<O> {
        let input = match payload::to_json(input) {
            Ok(input) => input,
            Err(error) => {
                return ActivityFuture::not_scheduled(
                    kind,
                    ActivityError::input_encoding(activity_type, &error),
                )
            }
        };
        let mut state = self.state.borrow_mut();
        let op = Op::new(cancellation, state.shielding(), caller);
        let seq = match kind {
            OpKind::LocalActivity => state.local_activities.issue(op),
            _ => state.activities.issue(op),
        };
        let schedule = ScheduleActivity {
            seq,
            activity_type: activity_type.to_owned(),
            input,
            options,
        };
        let (command, table): (_, crate::state::TableOf<_>) = match kind {
            OpKind::LocalActivity => (Command::ScheduleLocalActivity(schedule), |s| {
                &mut s.local_activities
            }),
            _ => (Command::ScheduleActivity(schedule), |s| &mut s.activities),
        };
        if let (OpKind::Activity, Some(flow)) = (kind, flow) {
            crate::host::activity_flow(seq, &flow);
        }
        state.issue(command, Some(caller));
        drop(state);
        let answer = Answer::new(self.state.clone(), table, seq);
        ActivityFuture::scheduled(activity_type, kind, answer)
    }

    /// Waits for `duration` on a durable timer (rounded up to whole milliseconds).
    ///
    /// Resolves `Err(Cancelled)` if the timer is cancelled: by
    /// [`TimerFuture::cancel`], or because the workflow's cancellation was requested
    /// while it was pending. `?` passes that on, and the run then ends as cancelled.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use weft_sdk::{workflow, WfContext, WfResult};
    /// #[workflow]
    /// async fn nap(ctx: WfContext) -> WfResult<()> {
    ///     ctx.sleep(Duration::from_secs(60)).await?;
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn sleep(&self, duration: Duration) -> TimerFuture {
        let mut state = self.state.borrow_mut();
        let op = Op::new(
            ActivityCancellationType::TryCancel,
            state.shielding(),
            Location::caller(),
        );
        let seq = state.timers.issue(op);
        let command = Command::StartTimer(StartTimer {
            seq,
            duration_ms: options::millis(duration),
        });
        state.issue(command, Some(Location::caller()));
        drop(state);
        TimerFuture::new(Answer::new(
            self.state.clone(),
            |s: &mut WorkflowState| &mut s.timers,
            seq,
        ))
    }

    /// The workflow time: when the current activation happened, as recorded in history.
    pub fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(host::now_ms())
    }

    /// A random number from the execution's recorded seed: the same on every replay.
    pub fn random_u64(&self) -> u64 {
        self.outside_side_effect("random numbers drawn");
        let bytes: [u8; 8] = host::random_bytes(8)
            .try_into()
            .expect("the host returned the wrong number of random bytes");
        u64::from_le_bytes(bytes)
    }

    /// `len` random bytes from the execution's recorded seed.
    pub fn random_bytes(&self, len: u32) -> Vec<u8> {
        self.outside_side_effect("random bytes drawn");
        host::random_bytes(len)
    }

    /// How long the history is, and whether the host suggests continue-as-new.
    pub fn history_info(&self) -> HistoryInfo {
        host::history_info()
    }

    /// Whether the current activation replays recorded history.
    pub fn is_replaying(&self) -> bool {
        self.state.borrow().is_replaying
    }

    /// The attempt of the current workflow task: 1, or n when the host retries it after
    /// n - 1 attempts failed (a panic, a trap, a deadline). Not recorded: while
    /// replaying it is 1, so read it in [`side_effect`](Self::side_effect) to act on it.
    pub fn task_attempt(&self) -> u32 {
        host::task_attempt()
    }

    /// Facts about this execution.
    pub fn info(&self) -> &WorkflowInfo {
        &self.info
    }

    /// The execution's workflow id.
    pub fn workflow_id(&self) -> &str {
        &self.info.workflow_id
    }

    /// The execution's run id.
    pub fn run_id(&self) -> &str {
        &self.info.run_id
    }
}

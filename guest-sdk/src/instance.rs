//! One execution of one workflow: jobs in, commands out.
//!
//! An activation goes in three steps:
//!
//! 1. Prepare: every job is checked and sorted before anything changes (an answer must
//!    match an operation that waits for it; a replayed update must name a handler that
//!    can take its input). A job that cannot be applied fails the task, and the instance
//!    stays as it was.
//! 2. Apply, in the order the host gave: answers resolve their operations, signals run
//!    their sync handlers (or start handler tasks, or go to the mailbox), updates are
//!    validated and accepted (starting handler tasks) or rejected, a cancellation request
//!    cancels what is pending (see [`crate::cancellation`]), a marker notice tells what
//!    the replayed task recorded (see [`crate::versioning`]).
//! 3. Run the executor: tasks are polled and conditions evaluated until nothing can make
//!    progress (see [`crate::executor`]). When the main task has finished, its outcome
//!    becomes `complete-workflow` or `fail-workflow` (or `cancel-workflow-confirmed`, for
//!    a cancellation error after a cancellation request), the last command.
//!
//! Step 3 is skipped when every job was a rejected update: the host records nothing of
//! such an activation, so nothing may have changed. Queries do not come here at all
//! ([`Execution::query`]).

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::cancellation;
use crate::cancellation::OpKind;
use crate::conditions;
use crate::context::{WfContext, WorkflowInfo};
use crate::error::WfResult;
use crate::executor::Executor;
use crate::handlers::{self, Handlers, Named};
use crate::jobs::Delivery;
use crate::log::LogLevel;
use crate::pending::ResolveError;
use crate::queries;
use crate::signals::{SignalAction, SignalDelivery};
use crate::state::SharedState;
use crate::state_cell::StateCell;
use crate::updates::UpdateDelivery;
use crate::versioning::Notice;
use crate::wit::{
    ActivityResolution, ChildResolution, Command, Failure, IssuedCommand, Payload, Query,
    RespondQuery, SourceLocation, StartWorkflow,
};
use crate::workflow::{self, Workflow};

/// An execution, whatever its workflow type.
pub(crate) trait Execution {
    /// Runs one workflow task. `Err` fails the task and leaves the instance as it was.
    fn activate(
        &mut self,
        deliveries: Vec<Delivery>,
        is_replaying: bool,
    ) -> Result<Vec<IssuedCommand>, String>;

    /// Answers a query without changing anything: the `respond-query` command.
    fn query(&self, query: &Query) -> IssuedCommand;
}

pub(crate) struct Instance<W: Workflow> {
    state: SharedState,
    ctx: WfContext<W::State>,
    handlers: Handlers<W::State>,
    executor: Executor<WfResult<Payload>>,
    defined_at: Option<SourceLocation>,
    /// Whether the executor has run once (it always runs in the first activation).
    has_run: bool,
}

/// A job that was checked and sorted, ready to apply.
enum Prepared<S> {
    ResolveActivity {
        seq: u32,
        resolution: ActivityResolution,
        causes: Vec<Failure>,
    },
    ResolveLocalActivity {
        seq: u32,
        resolution: ActivityResolution,
        causes: Vec<Failure>,
    },
    CancelRequested,
    FireTimer {
        seq: u32,
    },
    Signal(SignalDelivery<S>),
    Update(UpdateDelivery<S>),
    Notice(Notice),
    ResolveChildWorkflow {
        seq: u32,
        resolution: ChildResolution,
        causes: Vec<Failure>,
    },
    ChildCancelRequested {
        seq: u32,
    },
}

impl<W: Workflow> Instance<W> {
    /// Sets up the execution; its code first runs in the first activation.
    pub(crate) fn start(start: &StartWorkflow) -> Self {
        let state = SharedState::default();
        state.borrow_mut().attributes = crate::attributes::Attributes::from_start(start);
        let handlers = W::handlers();
        state
            .borrow_mut()
            .mailbox
            .set_handled(handlers.signals.iter().map(Named::name));
        let data = Rc::new(StateCell::new(W::State::default()));
        let ctx = WfContext::new(state.clone(), data, WorkflowInfo::from_start(start));
        Self {
            executor: Executor::new(workflow::start::<W>(ctx.clone(), &start.input)),
            state,
            ctx,
            handlers,
            defined_at: W::DEFINED_AT.map(|at| at.to_wit()),
            has_run: false,
        }
    }

    /// Checks and sorts the deliveries; changes nothing.
    fn prepare(
        &self,
        deliveries: Vec<Delivery>,
        is_replaying: bool,
    ) -> Result<Vec<Prepared<W::State>>, String> {
        let state = self.state.borrow();
        let mut activities = BTreeSet::new();
        let mut local_activities = BTreeSet::new();
        let mut timers = BTreeSet::new();
        let mut children = Vec::new();
        let mut prepared = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            prepared.push(match delivery {
                Delivery::ResolveActivity {
                    seq,
                    resolution,
                    causes,
                } => {
                    let checked = state.activities.check(seq);
                    answer("resolve-activity", seq, checked, activities.insert(seq))?;
                    Prepared::ResolveActivity {
                        seq,
                        resolution,
                        causes,
                    }
                }
                Delivery::ResolveLocalActivity {
                    seq,
                    resolution,
                    causes,
                } => {
                    let checked = state.local_activities.check(seq);
                    let first = local_activities.insert(seq);
                    answer("resolve-local-activity", seq, checked, first)?;
                    Prepared::ResolveLocalActivity {
                        seq,
                        resolution,
                        causes,
                    }
                }
                Delivery::CancelRequested => Prepared::CancelRequested,
                Delivery::FireTimer { seq } => {
                    let checked = state.timers.check(seq);
                    answer("fire-timer", seq, checked, timers.insert(seq))?;
                    Prepared::FireTimer { seq }
                }
                Delivery::Notice(notice) => Prepared::Notice(notice),
                Delivery::ResolveChildWorkflow {
                    seq,
                    resolution,
                    causes,
                } => {
                    children.push((seq, matches!(resolution, ChildResolution::Started(_))));
                    let checked = state.children.check(&children);
                    answer("resolve-child-workflow", seq, checked, true)?;
                    Prepared::ResolveChildWorkflow {
                        seq,
                        resolution,
                        causes,
                    }
                }
                Delivery::ChildCancelRequested { seq } => Prepared::ChildCancelRequested { seq },
                Delivery::Signal(signal) => {
                    Prepared::Signal(SignalDelivery::sort(&self.handlers, signal))
                }
                Delivery::Update(update) => Prepared::Update(UpdateDelivery::sort(
                    W::NAME,
                    &self.handlers,
                    update,
                    is_replaying,
                    self.executor.finished(),
                    self.defined_at.clone(),
                )?),
            });
        }
        Ok(prepared)
    }

    /// Applies prepared jobs in order; returns how many were rejected updates.
    fn apply(&mut self, prepared: Vec<Prepared<W::State>>, is_replaying: bool) -> usize {
        {
            let mut state = self.state.borrow_mut();
            state.is_replaying = is_replaying;
            state.markers.begin_activation();
        }
        let mut rejected = 0;
        for job in prepared {
            match job {
                Prepared::ResolveActivity {
                    seq,
                    resolution,
                    causes,
                } => {
                    let mut state = self.state.borrow_mut();
                    state.activity_causes.keep(OpKind::Activity, seq, causes);
                    let resolved = state.activities.resolve(seq, resolution);
                    resolved.expect("answers are checked before they are applied");
                }
                Prepared::ResolveLocalActivity {
                    seq,
                    resolution,
                    causes,
                } => {
                    let mut state = self.state.borrow_mut();
                    state
                        .activity_causes
                        .keep(OpKind::LocalActivity, seq, causes);
                    let resolved = state.local_activities.resolve(seq, resolution);
                    resolved.expect("answers are checked before they are applied");
                }
                Prepared::CancelRequested => cancellation::request(&mut self.state.borrow_mut()),
                Prepared::FireTimer { seq } => {
                    let mut state = self.state.borrow_mut();
                    let resolved = state.timers.resolve(seq, Ok(()));
                    resolved.expect("answers are checked before they are applied");
                }
                Prepared::ResolveChildWorkflow {
                    seq,
                    resolution,
                    causes,
                } => {
                    let mut state = self.state.borrow_mut();
                    state.children.resolve(seq, resolution, causes);
                }
                Prepared::ChildCancelRequested { seq } => {
                    self.state.borrow_mut().children.cancel_recorded(seq);
                }
                Prepared::Signal(signal) => self.apply_signal(signal),
                Prepared::Notice(notice) => {
                    let mut state = self.state.borrow_mut();
                    state.markers.apply(notice, is_replaying);
                }
                Prepared::Update(update) => match update.apply(&self.ctx) {
                    Some(task) => self.executor.spawn(task),
                    None => rejected += 1,
                },
            }
        }
        rejected
    }

    fn apply_signal(&mut self, signal: SignalDelivery<W::State>) {
        match signal {
            SignalDelivery::Handler {
                action: SignalAction::Apply(apply),
                ..
            } => self.ctx.data.write(apply),
            SignalDelivery::Handler {
                name,
                action: SignalAction::Spawn(spawn),
            } => {
                let task = spawn(self.ctx.clone());
                let task = handlers::tracked(&self.state, format!("signal `{name}`"), task);
                self.executor.spawn(task);
            }
            SignalDelivery::Undecodable { name, error } => {
                crate::log(LogLevel::Warn, &format!("signal `{name}` dropped: {error}"))
            }
            SignalDelivery::Mailbox(signal) => {
                let mut state = self.state.borrow_mut();
                state.mailbox.deliver(signal.name, signal.input);
            }
        }
    }

    /// Runs the workflow until it waits for the host; returns the commands it issued, the
    /// final `complete-workflow` / `fail-workflow` last.
    fn run(&mut self) -> Vec<IssuedCommand> {
        self.has_run = true;
        let state = self.state.clone();
        if let Some(outcome) = self.executor.run(|| conditions::evaluate(&state)) {
            self.warn_about_running_handlers();
            let (command, location) = match outcome {
                Ok(result) => (Command::CompleteWorkflow(result), self.defined_at.clone()),
                Err(mut error) if error.is_continue_as_new() => {
                    let next = error.take_continue_as_new().expect("checked");
                    let (_, location) = error.into_parts();
                    (
                        Command::ContinueAsNew(next),
                        location.or_else(|| self.defined_at.clone()),
                    )
                }
                Err(error) if error.is_cancelled() && self.ctx.is_cancel_requested() => {
                    let (_, location) = error.into_parts();
                    (
                        Command::CancelWorkflowConfirmed,
                        location.or_else(|| self.defined_at.clone()),
                    )
                }
                Err(error) => {
                    let causes = error.causes().to_vec();
                    let (failure, location) = error.into_parts();
                    let location = location.or_else(|| self.defined_at.clone());
                    let mut state = self.state.borrow_mut();
                    state.issue_failing_at(Command::FailWorkflow(failure), location, &causes);
                    return state.take_commands();
                }
            };
            self.state.borrow_mut().issue_at(command, location);
        } else {
            crate::waits::report(&self.state);
        }
        self.state.borrow_mut().take_commands()
    }

    /// Handlers still running when the workflow completes never finish: say so, as the
    /// caller of an update cut off this way gets no result.
    fn warn_about_running_handlers(&self) {
        let state = self.state.borrow();
        let running = state.running.descriptions();
        if running.is_empty() {
            return;
        }
        let message = format!(
            "workflow `{}` completed while handlers were still running: {}; they will not \
             finish (await `ctx.all_handlers_finished()` before returning to let them)",
            W::NAME,
            running.join(", ")
        );
        drop(state);
        crate::log(LogLevel::Warn, &message);
    }
}

/// Whether an answer (`what` for `seq`) can be applied: its operation waits for it
/// (`checked`), and it is the first answer for `seq` in this activation (`first`).
fn answer(
    what: &str,
    seq: u32,
    checked: Result<(), ResolveError>,
    first: bool,
) -> Result<(), String> {
    checked.map_err(|error| format!("`{what}` for seq {seq}: {error}"))?;
    if !first {
        return Err(format!(
            "`{what}` for seq {seq}: delivered twice in one activation"
        ));
    }
    Ok(())
}

impl<W: Workflow> Execution for Instance<W> {
    fn activate(
        &mut self,
        deliveries: Vec<Delivery>,
        is_replaying: bool,
    ) -> Result<Vec<IssuedCommand>, String> {
        let prepared = self.prepare(deliveries, is_replaying)?;
        let jobs = prepared.len();
        let rejected = self.apply(prepared, is_replaying);
        if self.has_run && jobs > 0 && rejected == jobs {
            return Ok(self.state.borrow_mut().take_commands());
        }
        Ok(self.run())
    }

    fn query(&self, query: &Query) -> IssuedCommand {
        let open_channels = self
            .state
            .borrow()
            .mailbox
            .open_names()
            .map(str::to_owned)
            .collect();
        let result = queries::answer(
            W::NAME,
            &self.handlers,
            &self.ctx.data,
            open_channels,
            query,
        );
        IssuedCommand {
            command: Command::RespondQuery(RespondQuery {
                id: query.id.clone(),
                result,
            }),
            location: None,
        }
    }
}

//! The workflow's side of the conversation with the host: the commands issued during the
//! current activation and the operations still waiting for their answer.
//!
//! Shared (`Rc<RefCell<_>>`) between the instance, which feeds jobs in and takes commands
//! out, and the workflow's futures, which issue commands and take answers. Borrows are
//! short and never held across a poll of workflow code.

use std::cell::RefCell;
use std::panic::Location;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::attributes::Attributes;
use crate::cancellation::Cancelled;
use crate::child_workflow::ChildTable;
use crate::conditions::ConditionTable;
use crate::handlers::RunningHandlers;
use crate::location;
use crate::pending::SeqTable;
use crate::signals::Mailbox;
use crate::versioning::Markers;
use crate::wit::{ActivityResolution, Command, IssuedCommand};

#[derive(Default)]
pub(crate) struct WorkflowState {
    /// Commands issued during the current activation, in issue order.
    commands: Vec<IssuedCommand>,
    pub(crate) activities: SeqTable<ActivityResolution>,
    pub(crate) local_activities: SeqTable<ActivityResolution>,
    pub(crate) timers: SeqTable<Result<(), Cancelled>>,
    /// Child workflows whose closing answer has not arrived.
    pub(crate) children: ChildTable,
    /// The last sequence number of `signal-external` (they count on their own).
    pub(crate) external_signals: u32,
    /// Whether the host delivered `cancel-requested`.
    pub(crate) cancel_requested: bool,
    /// How many `non_cancellable` futures are being polled right now (they nest): while
    /// it is not zero, the operations started or polled are shielded.
    pub(crate) shield_depth: u32,
    /// Whether the current activation replays recorded history.
    pub(crate) is_replaying: bool,
    /// What `wait_condition` and friends wait for.
    pub(crate) conditions: ConditionTable,
    /// Signals on their way to channels (or waiting for one to be opened).
    pub(crate) mailbox: Mailbox,
    /// Signal and update handler tasks that have not finished.
    pub(crate) running: RunningHandlers,
    /// Patches and side effects (see [`crate::versioning`]).
    pub(crate) markers: Markers,
    /// The current search attributes and memo (see [`crate::attributes`]).
    pub(crate) attributes: Attributes,
    /// What the host was last told the workflow waits on (see [`crate::waits`]).
    pub(crate) reported_waits: crate::waits::Reported,
    /// The causes of activities' failures, until their futures take them.
    pub(crate) activity_causes: crate::causes::ActivityCauses,
}

pub(crate) type SharedState = Rc<RefCell<WorkflowState>>;

impl WorkflowState {
    /// Records a command, attributed to a line of workflow code.
    pub(crate) fn issue(&mut self, command: Command, location: Option<&Location<'_>>) {
        if self.markers.in_side_effect {
            panic!("a command issued inside a side effect's closure: the closure does not run on replay");
        }
        self.commands.push(IssuedCommand {
            command,
            location: location.map(location::from_caller),
        });
    }

    /// Records a command whose location is already in the contract's form.
    pub(crate) fn issue_at(
        &mut self,
        command: Command,
        location: Option<crate::wit::SourceLocation>,
    ) {
        self.commands.push(IssuedCommand { command, location });
    }

    /// Records a command carrying a failure whose causes are `causes` (outermost first),
    /// handed to the host by the command's index (`command-failure-causes`).
    pub(crate) fn issue_failing_at(
        &mut self,
        command: Command,
        location: Option<crate::wit::SourceLocation>,
        causes: &[crate::wit::Failure],
    ) {
        if !causes.is_empty() {
            crate::host::command_failure_causes(self.commands.len() as u32, causes);
        }
        self.issue_at(command, location);
    }

    /// Whether operations started or polled now are exempt from workflow cancellation.
    pub(crate) fn shielding(&self) -> bool {
        self.shield_depth > 0
    }

    /// The commands of this activation; the buffer starts empty again.
    pub(crate) fn take_commands(&mut self) -> Vec<IssuedCommand> {
        std::mem::take(&mut self.commands)
    }
}

/// Which table of [`WorkflowState`] an [`Answer`] waits in.
pub(crate) type TableOf<T> = fn(&mut WorkflowState) -> &mut SeqTable<T>;

/// The awaiting end of one issued operation: takes its answer from the table once the
/// host's job has delivered it, and abandons the entry if dropped before that.
pub(crate) struct Answer<T> {
    state: SharedState,
    table: TableOf<T>,
    seq: u32,
    taken: bool,
}

impl<T> Answer<T> {
    pub(crate) fn new(state: SharedState, table: TableOf<T>, seq: u32) -> Self {
        Self {
            state,
            table,
            seq,
            taken: false,
        }
    }

    pub(crate) fn seq(&self) -> u32 {
        self.seq
    }

    pub(crate) fn state(&self) -> &SharedState {
        &self.state
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        let shielding = state.shielding();
        let table = (self.table)(&mut state);
        let answer = table.poll(self.seq, cx);
        self.taken = answer.is_ready();
        if answer.is_pending() && shielding {
            table.shield(self.seq);
        }
        answer
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        // `try_`: never panic in drop, e.g. while unwinding from a panic that happened
        // during a borrow.
        if let Ok(mut state) = self.state.try_borrow_mut() {
            (self.table)(&mut state).abandon(self.seq);
        }
    }
}

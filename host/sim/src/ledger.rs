//! What the outside world saw: the client's answers and the activities' executions.
//! Both survive the host's crashes; the invariants compare them with what the host
//! recorded.

use std::collections::BTreeMap;

use crate::options::Op;

/// How the client last heard of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The host said it is done (and durable).
    Acked,
    /// The host said no (the run is not there, or already closed).
    Refused,
    /// No answer, or one that does not say (a lost reply, a crash, a failed disk).
    Unknown,
}

/// The client's side of a workflow.
#[derive(Debug, Clone, Default)]
pub struct WorkflowLedger {
    /// The start's answer, once there is one.
    pub start: Option<Answer>,
    /// Signal tokens sent, with how many times each was sent and its last answer.
    pub signals: BTreeMap<u64, (u32, Answer)>,
    /// Update tokens sent, with how many times each was sent and its last answer.
    pub updates: BTreeMap<u64, (u32, Answer)>,
    /// A cancel or terminate was sent (whatever came back): the run may end so.
    pub stop_sent: bool,
}

/// One execution of an activity attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub run_id: String,
    pub seq: u32,
    pub attempt: u32,
    pub generation: u32,
}

/// Everything the world outside the host saw.
#[derive(Debug, Default)]
pub struct Ledger {
    pub workflows: Vec<WorkflowLedger>,
    pub executions: Vec<Execution>,
    /// Violations the activities saw as they started (they check the history then).
    pub violations: Vec<String>,
    /// Operations whose answer was lost, to send again.
    pub retries: Vec<Op>,
}

impl Ledger {
    pub fn new(workflows: usize) -> Ledger {
        Ledger {
            workflows: vec![WorkflowLedger::default(); workflows],
            ..Ledger::default()
        }
    }

    /// The times sent and the last answer of a signal's or an update's token.
    pub fn token(&mut self, op: &Op) -> Option<&mut (u32, Answer)> {
        let (tokens, token) = match *op {
            Op::Signal(i, token) => (&mut self.workflows[i].signals, token),
            Op::Update(i, token) => (&mut self.workflows[i].updates, token),
            Op::Start(_) | Op::Cancel(_) | Op::Terminate(_) => return None,
        };
        Some(tokens.entry(token).or_insert((0, Answer::Unknown)))
    }
}

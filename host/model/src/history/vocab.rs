//! The history's own vocabulary: jobs, commands, payloads and failures as the host
//! stores them.
//!
//! These types are deliberately *not* the ones wasmtime generates from `wit/weft.wit`:
//! the contract may change (a new job, a new field) without touching what is stored.
//! `crate::contract` converts between the two at the engine's edge. Their shape is
//! part of the stored format (see [`super::codec`]): a field or variant is never
//! changed or reordered in place; a new variant goes at the end of its enum, anything
//! else takes a new format version.

use serde::{Deserialize, Serialize};

/// How the bytes of a payload are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8 JSON text.
    Json,
    /// Opaque bytes the host never interprets.
    Binary,
    /// Stored only: a payload encrypted and/or compressed by the payload codec, its data
    /// an envelope (`crate::payload_codec::Envelope`). Never reaches a workflow or an
    /// activity: the codec decodes it when the history is read. Format 5.
    Encoded,
}

/// A value passed between workflow, host and activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub encoding: Encoding,
    pub data: Vec<u8>,
}

impl Payload {
    /// A JSON payload holding `value`.
    pub fn json(value: &serde_json::Value) -> Payload {
        Payload {
            encoding: Encoding::Json,
            data: serde_json::to_vec(value).expect("a JSON value always serializes"),
        }
    }

    /// The payload as a JSON value: parsed when it is JSON, a byte array otherwise.
    pub fn to_json(&self) -> serde_json::Value {
        match self.encoding {
            Encoding::Json => serde_json::from_slice(&self.data).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&self.data).into())
            }),
            Encoding::Binary => serde_json::json!({ "binary": hex::encode(&self.data) }),
            Encoding::Encoded => serde_json::json!({ "encoded": hex::encode(&self.data) }),
        }
    }
}

/// Why something failed, and what caused it.
///
/// Its stored shape changed in format 8 (`cause`, `encoded_attributes`): serde goes
/// through [`super::format_7`], which reads and writes the older shape where the data
/// being read or written is older (see [`super::codec`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    pub message: String,
    /// A type name a retry policy can match.
    pub error_type: String,
    pub non_retryable: bool,
    pub details: Option<Payload>,
    /// The failure that caused this one: a child's failure under the parent's
    /// child-failed error, an activity's last attempt under its timeout. Format 8.
    pub cause: Option<Box<Failure>>,
    /// Stored only: the message (`{"message": ..}`) as a payload the payload codec
    /// encoded, the message itself then being [`Failure::ENCODED_MESSAGE`]. Never
    /// reaches a workflow or a reader with the keys: the codec decodes it when the
    /// history or outcome is read. Format 8.
    pub encoded_attributes: Option<Box<Payload>>,
}

impl Failure {
    /// The message of a failure whose real message the payload codec encoded at rest.
    pub const ENCODED_MESSAGE: &'static str = "Encoded failure";

    /// A failure with a message and an error type.
    pub fn new(message: impl Into<String>, error_type: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            error_type: error_type.into(),
            ..Failure::default()
        }
    }

    pub fn non_retryable(mut self) -> Failure {
        self.non_retryable = true;
        self
    }

    /// This failure, caused by `cause`.
    pub fn caused_by(mut self, cause: Failure) -> Failure {
        self.cause = Some(Box::new(cause));
        self
    }

    /// This failure and its causes, outermost first.
    pub fn chain(&self) -> impl Iterator<Item = &Failure> {
        std::iter::successors(Some(self), |f| f.cause.as_deref())
    }
}

/// Where in the workflow's source a command was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub initial_interval_ms: u64,
    pub backoff_coefficient: f64,
    /// Zero means 100 x the initial interval.
    pub maximum_interval_ms: u64,
    /// Zero means unlimited.
    pub maximum_attempts: u32,
    pub non_retryable_error_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityOptions {
    pub task_queue: Option<String>,
    pub start_to_close_timeout_ms: u64,
    pub schedule_to_close_timeout_ms: Option<u64>,
    pub schedule_to_start_timeout_ms: Option<u64>,
    pub heartbeat_timeout_ms: Option<u64>,
    pub retry_policy: Option<RetryPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartWorkflow {
    pub workflow_type: String,
    pub input: Payload,
    pub workflow_id: String,
    pub run_id: String,
    pub attempt: u32,
    pub parent_workflow_id: Option<String>,
    pub random_seed: u64,
    pub search_attributes: Vec<(String, Payload)>,
    pub memo: Vec<(String, Payload)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ActivityResolution {
    Completed(Payload),
    Failed(Failure),
    Cancelled(Failure),
    TimedOut(Failure),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveActivity {
    pub seq: u32,
    pub resolution: ActivityResolution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub name: String,
    pub input: Payload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub id: String,
    pub name: String,
    pub input: Payload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub id: String,
    pub name: String,
    pub input: Payload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChildResolution {
    Started(String),
    Completed(Payload),
    Failed(Failure),
    Cancelled(Failure),
    Terminated(Failure),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveChildWorkflow {
    pub seq: u32,
    pub resolution: ChildResolution,
}

/// The signal name [`Job::ChildCancelRequested`] reaches a workflow under (the contract
/// has no job of its own for it), its input the child's seq as JSON; reserved: the host
/// refuses a signal of this name from a client or another workflow.
pub const CHILD_CANCEL_REQUESTED_SIGNAL: &str = "__weft_child_cancel_requested";

/// One thing that happened, delivered to the workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Job {
    StartWorkflow(StartWorkflow),
    ResolveActivity(ResolveActivity),
    ResolveLocalActivity(ResolveActivity),
    FireTimer(u32),
    Signal(Signal),
    Update(Update),
    CancelRequested,
    ResolveChildWorkflow(ResolveChildWorkflow),
    /// Never recorded.
    Query(Query),
    /// Child `seq`'s run has recorded the cancellation its parent requested (its
    /// `cancel-child-workflow` reached it): what a `WaitCancellationRequested` parent
    /// waits for. Format 8.
    ChildCancelRequested(u32),
}

impl Job {
    /// The job's kind in the contract's words (`start-workflow`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Job::StartWorkflow(_) => "start-workflow",
            Job::ResolveActivity(_) => "resolve-activity",
            Job::ResolveLocalActivity(_) => "resolve-local-activity",
            Job::FireTimer(_) => "fire-timer",
            Job::Signal(_) => "signal",
            Job::Update(_) => "update",
            Job::CancelRequested => "cancel-requested",
            Job::ResolveChildWorkflow(_) => "resolve-child-workflow",
            Job::Query(_) => "query",
            Job::ChildCancelRequested(_) => "child-cancel-requested",
        }
    }
}

/// A batch of jobs for one workflow task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    pub jobs: Vec<Job>,
    /// The workflow time of this step, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// True while the host replays recorded history.
    pub is_replaying: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleActivity {
    pub seq: u32,
    pub activity_type: String,
    pub input: Payload,
    pub options: ActivityOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartTimer {
    pub seq: u32,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParentClosePolicy {
    Terminate,
    Abandon,
    RequestCancel,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartChildWorkflow {
    pub seq: u32,
    pub workflow_type: String,
    pub input: Payload,
    pub workflow_id: Option<String>,
    pub parent_close_policy: ParentClosePolicy,
}

/// How a child workflow runs (the `child-workflow-options` of its start).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildOptions {
    pub execution_timeout_ms: Option<u64>,
    pub run_timeout_ms: Option<u64>,
    pub retry_policy: Option<RetryPolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalExternal {
    pub seq: u32,
    pub workflow_id: String,
    pub name: String,
    pub input: Payload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Marker {
    Patch(String),
    SideEffect(Payload),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContinueAsNew {
    pub workflow_type: Option<String>,
    pub input: Payload,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RespondQuery {
    pub id: String,
    pub result: Result<Payload, Failure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompleteUpdate {
    pub id: String,
    pub result: Result<Payload, Failure>,
}

/// Something the workflow asks the host to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    ScheduleActivity(ScheduleActivity),
    RequestCancelActivity(u32),
    ScheduleLocalActivity(ScheduleActivity),
    StartTimer(StartTimer),
    CancelTimer(u32),
    StartChildWorkflow(StartChildWorkflow),
    CancelChildWorkflow(u32),
    SignalExternal(SignalExternal),
    RecordMarker(Marker),
    UpsertSearchAttributes(Vec<(String, Payload)>),
    UpsertMemo(Vec<(String, Payload)>),
    RespondQuery(RespondQuery),
    AcceptUpdate(String),
    RejectUpdate((String, Failure)),
    CompleteUpdate(CompleteUpdate),
    CompleteWorkflow(Payload),
    FailWorkflow(Failure),
    ContinueAsNew(ContinueAsNew),
    CancelWorkflowConfirmed,
}

/// A command and the line of workflow code that issued it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedCommand {
    pub command: Command,
    pub location: Option<SourceLocation>,
}

/// Why a workflow task could not complete (the workflow's code, not its outcome, is at
/// fault: a panic, a trap, a deadline, an unknown workflow type, undecodable input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    pub message: String,
    pub location: Option<SourceLocation>,
}

impl TaskFailure {
    /// A failure the host found (no source line).
    pub fn host(message: impl Into<String>) -> TaskFailure {
        TaskFailure {
            message: message.into(),
            location: None,
        }
    }
}

impl std::fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "workflow task failed at {loc}: {}", self.message),
            None => write!(f, "workflow task failed: {}", self.message),
        }
    }
}

impl Command {
    /// The command's kind in the contract's words (`schedule-activity`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::ScheduleActivity(_) => "schedule-activity",
            Command::RequestCancelActivity(_) => "request-cancel-activity",
            Command::ScheduleLocalActivity(_) => "schedule-local-activity",
            Command::StartTimer(_) => "start-timer",
            Command::CancelTimer(_) => "cancel-timer",
            Command::StartChildWorkflow(_) => "start-child-workflow",
            Command::CancelChildWorkflow(_) => "cancel-child-workflow",
            Command::SignalExternal(_) => "signal-external",
            Command::RecordMarker(_) => "record-marker",
            Command::UpsertSearchAttributes(_) => "upsert-search-attributes",
            Command::UpsertMemo(_) => "upsert-memo",
            Command::RespondQuery(_) => "respond-query",
            Command::AcceptUpdate(_) => "accept-update",
            Command::RejectUpdate(_) => "reject-update",
            Command::CompleteUpdate(_) => "complete-update",
            Command::CompleteWorkflow(_) => "complete-workflow",
            Command::FailWorkflow(_) => "fail-workflow",
            Command::ContinueAsNew(_) => "continue-as-new",
            Command::CancelWorkflowConfirmed => "cancel-workflow-confirmed",
        }
    }

    /// The command's identity in one line (kind, sequence number, what it names), as
    /// replay compares it; payloads are left out.
    pub fn summary(&self) -> String {
        use Command as C;
        let kind = self.kind();
        match self {
            C::ScheduleActivity(a) | C::ScheduleLocalActivity(a) => {
                format!("{kind} seq={} activity `{}`", a.seq, a.activity_type)
            }
            C::StartTimer(t) => format!("{kind} seq={} for {} ms", t.seq, t.duration_ms),
            C::StartChildWorkflow(c) => {
                format!("{kind} seq={} workflow `{}`", c.seq, c.workflow_type)
            }
            C::SignalExternal(s) => format!(
                "{kind} seq={} signal `{}` to `{}`",
                s.seq, s.name, s.workflow_id
            ),
            C::RequestCancelActivity(seq) | C::CancelTimer(seq) | C::CancelChildWorkflow(seq) => {
                format!("{kind} seq={seq}")
            }
            C::RecordMarker(Marker::Patch(id)) => format!("{kind} patch `{id}`"),
            C::RecordMarker(Marker::SideEffect(_)) => format!("{kind} side-effect"),
            C::FailWorkflow(f) => format!("{kind} ({}): {}", f.error_type, f.message),
            _ => kind.to_string(),
        }
    }

    /// Whether `self` (produced on replay) stands for the same decision as `recorded`.
    ///
    /// Like Temporal, replay checks the identity of each command (its kind, sequence
    /// number and the name of what it schedules), not its inputs: a new version may
    /// compute an activity's input differently and still be compatible. A patch marker
    /// is identified by its patch id; a side-effect marker by its place alone (its value
    /// is data that replay hands back to the workflow, see [`super::markers`]).
    pub fn same_decision(&self, recorded: &Command) -> bool {
        use Command as C;
        match (self, recorded) {
            (C::ScheduleActivity(a), C::ScheduleActivity(b))
            | (C::ScheduleLocalActivity(a), C::ScheduleLocalActivity(b)) => {
                a.seq == b.seq && a.activity_type == b.activity_type
            }
            (C::StartTimer(a), C::StartTimer(b)) => a.seq == b.seq,
            (C::StartChildWorkflow(a), C::StartChildWorkflow(b)) => {
                a.seq == b.seq && a.workflow_type == b.workflow_type
            }
            (C::SignalExternal(a), C::SignalExternal(b)) => a.seq == b.seq && a.name == b.name,
            (C::RecordMarker(Marker::Patch(a)), C::RecordMarker(Marker::Patch(b))) => a == b,
            (C::RecordMarker(Marker::SideEffect(_)), C::RecordMarker(Marker::SideEffect(_))) => {
                true
            }
            (C::RecordMarker(_), C::RecordMarker(_)) => false,
            (C::RequestCancelActivity(a), C::RequestCancelActivity(b))
            | (C::CancelTimer(a), C::CancelTimer(b))
            | (C::CancelChildWorkflow(a), C::CancelChildWorkflow(b)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(recorded),
        }
    }
}

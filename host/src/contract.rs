//! The guest/host contract (`wit/weft.wit`) as Rust types.
//!
//! The generated types double as the history's vocabulary: jobs and commands are stored
//! exactly as the guest saw and produced them, so replay compares like with like.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "workflow",
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
});

pub use exports::weft::workflow::guest::{Activation, IssuedCommand, TaskFailure};
pub use weft::workflow::types::{
    ActivityOptions, ActivityResolution, Command, Encoding, Failure, HistoryInfo, Job, LogLevel,
    Payload, ResolveActivity, RetryPolicy, ScheduleActivity, SourceLocation, StartTimer,
    StartWorkflow,
};

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
        }
    }
}

impl Failure {
    /// A failure with a message and an error type.
    pub fn new(message: impl Into<String>, error_type: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            error_type: error_type.into(),
            non_retryable: false,
            details: None,
        }
    }

    pub fn non_retryable(mut self) -> Failure {
        self.non_retryable = true;
        self
    }
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
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
            C::RecordMarker(m) => format!("{kind} {m:?}"),
            C::FailWorkflow(f) => format!("{kind} ({}): {}", f.error_type, f.message),
            _ => kind.to_string(),
        }
    }

    /// Whether `self` (produced on replay) stands for the same decision as `recorded`.
    ///
    /// Like Temporal, replay checks the identity of each command (its kind, sequence
    /// number and the name of what it schedules), not its inputs: a new version may
    /// compute an activity's input differently and still be compatible.
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
            (C::RecordMarker(a), C::RecordMarker(b)) => a == b,
            (C::RequestCancelActivity(a), C::RequestCancelActivity(b))
            | (C::CancelTimer(a), C::CancelTimer(b))
            | (C::CancelChildWorkflow(a), C::CancelChildWorkflow(b)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(recorded),
        }
    }
}

//! The HTTP API's request and response bodies, shared by the server and the client.
//!
//! | method | path                                   | body → response                                   |
//! |--------|----------------------------------------|---------------------------------------------------|
//! | POST   | /v1/modules?name=N[&check=true]        | component bytes → 201 [`ModuleInfo`]              |
//! | GET    | /v1/modules                            | → 200 [`ModuleList`]                              |
//! | POST   | /v1/executions                         | [`StartBody`] → 201 [`Started`]                   |
//! | GET    | /v1/executions?status=&type=&limit=&cursor= | → 200 [`ExecutionPage`]                      |
//! | GET    | /v1/executions?query=Q&limit=&cursor=  | → 200 [`ExecutionPage`] of the runs passing the   |
//! |        |                                        | list filter Q (see `weft_host::query`)            |
//! | GET    | /v1/execution-count?query=Q            | → 200 [`CountBody`] (Q may end `GROUP BY          |
//! |        |                                        | ExecutionStatus`)                                 |
//! | GET    | /v1/executions/{id}                    | → 200 [`Description`]                             |
//! | GET    | /v1/executions/{id}/stack              | → 200 [`StackBody`](crate::stack_types::StackBody): where an open run waits |
//! | DELETE | /v1/executions/{id}                    | → 200 [`DeletedExecution`](crate::stack_types::DeletedExecution); an open run: 409 `conflict` |
//! | GET    | /v1/executions/{id}/result?wait_s=S    | → 200 [`ResultBody`] (202 if still open after S)  |
//! | GET    | /v1/executions/{id}/history            | → 200 history file JSON (`history::export`); payloads decoded, or as stored (codec envelopes) with `?stored=true` |
//! | POST   | /v1/executions/{id}/signals/{name}     | [`MessageBody`] → 200 [`Signalled`] once durable  |
//! | POST   | /v1/executions/{id}/queries/{name}     | [`MessageBody`] → 200 [`QueryAnswer`]             |
//! | POST   | /v1/executions/{id}/updates/{name}     | [`UpdateBody`] → 200 [`UpdateAnswer`] (202 if not |
//! |        |                                        | at the stage after `wait_s`: ask again, same id)  |
//! | POST   | /v1/executions/{id}/cancel             | [`StopBody`] → 200 [`RunRef`] once the request is |
//! |        |                                        | durable (the workflow decides how to end)         |
//! | POST   | /v1/executions/{id}/terminate          | [`StopBody`] → 200 [`RunRef`] once the run closed |
//! | GET    | /v1/health                             | → 200 `{"status":"ok"}`                           |
//! | GET    | /metrics                               | → 200 Prometheus text format (`text/plain;        |
//! |        |                                        | version=0.0.4`), see `weft_runtime::metrics`           |
//!
//! A signal or update to a closed run is refused with `closed` (409); a query to a
//! closed run is answered from its history. A query that fails is `query_failed`
//! (422); an update the workflow rejects is `update_rejected` (422), one whose task
//! failed is `update_failed` (422); an update whose handler returned an error is a
//! 200 [`UpdateAnswer`] with `failure`. Signal-with-start is a start whose
//! [`StartBody`] names a `signal`.
//!
//! Cancel and terminate go to the open run of `{id}`; a closed run refuses them with
//! `closed` (409). Cancelling twice is accepted (the first reason is kept). The
//! [`StopBody`]'s `reason` is optional for both (a default names the API as the
//! asker); when given it must not be blank and is at most [`MAX_REASON_BYTES`].
//!
//! `{id}` is a workflow id (its latest run) or a run id. Every error is an
//! [`ApiErrorBody`] with one of the [`ErrorCode`]s and a message for a person.
//!
//! These bodies are not the stored records: the runtime makes [`ExecutionInfo`],
//! [`ModuleInfo`], [`CountBody`] and [`Description`] from its own types with `From`
//! (`weft_runtime::bodies`), so the stored format can change without changing the API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weft_types::SearchAttributeValue;

/// Largest workflow input the API accepts (bytes of JSON).
pub const MAX_INPUT_BYTES: usize = 2 << 20;
/// Largest component the API accepts.
pub const MAX_MODULE_BYTES: usize = 64 << 20;
/// Page size of `GET /v1/executions` when none is given, and the most allowed.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 1000;

/// What kind of error a response carries; each maps to one HTTP status and one CLI exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is malformed (bad JSON, bad parameter).
    BadRequest,
    /// 404: no such execution, module or workflow type.
    NotFound,
    /// 409: refused: the id is in use, or `deploy --check` found a divergence.
    Conflict,
    /// 413: the body is larger than the documented limit.
    TooLarge,
    /// 422: the body is well-formed but invalid (not a weft component).
    Invalid,
    /// 500: the host failed.
    Internal,
    /// 409: the execution is closed (signals, updates, cancel and terminate go to open
    /// runs).
    Closed,
    /// 422: the query failed (unknown name, its handler failed or issued commands).
    QueryFailed,
    /// 422: the workflow's validator rejected the update; nothing was recorded.
    UpdateRejected,
    /// 422: the workflow task that would have accepted the update failed.
    UpdateFailed,
    /// 503: the host cannot take the request now (stopping, or the run is changing
    /// state); try again.
    Unavailable,
    /// 503: the host stopped after a storage I/O error. For the request whose own
    /// commit met the error the outcome is unknown (it may or may not be durable);
    /// later requests were not tried. Restart the server and look the execution up.
    StorageFailed,
    /// 502: a standby forwarded the call to the host that serves and got no answer (that
    /// host died or stopped answering mid-call): it may or may not have taken effect;
    /// look before retrying.
    ForwardFailed,
    /// 401: the server requires a bearer token and the request has none, or one the
    /// server does not accept.
    Unauthorized,
    /// 429: refused for load: the workflow type is past its start rate, which
    /// refuses; the message says when to try again.
    ResourceExhausted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// For a refused `deploy --check`: the first divergence of each execution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub divergences: Vec<Divergence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    pub workflow_id: String,
    pub run_id: String,
    pub report: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleList {
    /// Every version of every name, by name then version.
    pub modules: Vec<ModuleInfo>,
}

/// One deployed version of a module name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleInfo {
    pub name: String,
    /// 1 for the first deployment of the name.
    pub version: u32,
    /// sha256 of the component, hex.
    pub digest: String,
    pub workflow_types: Vec<String>,
    pub deployed_ms: u64,
    /// Open executions whose histories a checked deployment replayed against it.
    #[serde(default)]
    pub checked_executions: usize,
    /// In a deployment's answer: the open runs of earlier versions that moved to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<RunRef>,
    /// In a deployment's answer: the open runs that stayed on their version, with the
    /// report of the replay that diverged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stayed: Vec<Divergence>,
}

pub use weft_model::status::ExecutionStatus;

/// One run of an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionInfo {
    pub workflow_id: String,
    pub run_id: String,
    pub workflow_type: String,
    /// Digest of the module the run runs on.
    pub module_digest: String,
    pub status: ExecutionStatus,
    pub start_ms: u64,
    pub close_ms: Option<u64>,
    /// Number of events in the history.
    pub history_len: u64,
    /// History encoding version the run was written with.
    pub format_version: u16,
    /// An open run that is paused (`weft pause`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// 1 (highest) to 5 (lowest); 3 unless its start gave another (or its parent ran
    /// at another).
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// Set while the run is pending: its start was recorded past a workflow limit and
    /// its first task waits; says which (`workflow limit report=2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// The one-line summary its start gave (`weft start --summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What its workflow last said it is doing, in Markdown
    /// (`ctx.set_current_details(..)`); absent when it never said or cleared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_details: Option<String>,
}

/// The priority of a run whose start gave none.
pub const DEFAULT_PRIORITY: u8 = 3;

fn default_priority() -> u8 {
    DEFAULT_PRIORITY
}

pub use crate::start_types::{CronInfo, DebounceBody, StartBody};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    pub workflow_id: String,
    pub run_id: String,
    /// False when the request went to a run that was already open (use-existing,
    /// signal-with-start).
    #[serde(default = "yes")]
    pub started: bool,
}

fn yes() -> bool {
    true
}

/// The body of a signal or query: its input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MessageBody {
    /// Any JSON value; null when absent.
    #[serde(default)]
    pub input: serde_json::Value,
    /// For a signal: delivers it once; the same request id again answers success and
    /// delivers nothing. 1 to 128 bytes, printable. Queries ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A signal is durable in the history of this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signalled {
    pub workflow_id: String,
    pub run_id: String,
}

/// Why an execution is cancelled or terminated: recorded in its history, shown by
/// `describe`, and for a termination the run's outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StopBody {
    /// Absent: [`DEFAULT_CANCEL_REASON`] or [`DEFAULT_TERMINATE_REASON`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Applies the request once: the same request id again answers success for the
    /// run it reached, even once that run has closed, and applies nothing (a
    /// termination never reaches a later run of the id). 1 to 128 bytes, printable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A reset (`POST /v1/executions/{id}/reset`): the execution goes on from a workflow
/// task of its latest run, in a new run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetBody {
    /// `first-task`, `last-task`, or the index of a `task-started` event.
    pub to: String,
    /// Why: recorded in both runs' histories. Required, at most [`MAX_REASON_BYTES`].
    pub reason: String,
    /// Which signals and updates recorded after the task the new run receives again:
    /// `all` (absent: the default), `signals`, `updates` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reapply: Option<String>,
}

/// What a reset did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetDone {
    pub workflow_id: String,
    /// The run that was reset.
    pub from_run_id: String,
    /// The new run.
    pub run_id: String,
    /// The index of the `task-started` event the new run goes on from.
    pub event_index: u64,
}

/// The reason recorded for a cancellation asked for without one.
pub const DEFAULT_CANCEL_REASON: &str = "cancelled by a client";
/// The reason recorded for a termination asked for without one.
pub const DEFAULT_TERMINATE_REASON: &str = "terminated by a client";
/// Longest reason accepted (bytes of UTF-8); it is stored in the history.
pub const MAX_REASON_BYTES: usize = 4096;

/// A child workflow a run started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildInfo {
    pub workflow_id: String,
    pub workflow_type: String,
    /// Its run, once started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// `starting`, `running`, or how it ended as the parent saw it.
    pub state: String,
}

/// The run a request went to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub workflow_id: String,
    pub run_id: String,
}

/// What a query returned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryAnswer {
    pub result: serde_json::Value,
}

/// The body of an update.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateBody {
    #[serde(default)]
    pub input: serde_json::Value,
    /// Deduplicates: the same id again answers the first outcome. The server picks
    /// one when absent (the answer says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_id: Option<String>,
    /// `accepted` or `completed` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<String>,
    /// Longest the server holds the request open waiting for the stage (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_s: Option<u64>,
}

/// Where an update stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateAnswer {
    pub update_id: String,
    /// `accepted`, `completed`, or `pending` (202: not at the asked stage yet).
    pub stage: String,
    /// The handler's value, when completed without error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The error the handler returned, when completed with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureBody>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExecutionPage {
    /// Newest first.
    pub executions: Vec<ExecutionInfo>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// With `query`: how the runs were found (the index, or a scan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
}

/// `GET /v1/execution-count`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountBody {
    pub count: u64,
    /// With `GROUP BY ExecutionStatus`: the count of each status that has runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<CountGroup>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountGroup {
    /// Temporal's name of the status (`Running`, `Completed`, …).
    pub status: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingActivityInfo {
    pub seq: u32,
    pub activity_type: String,
    /// The attempt running or next to run.
    pub attempt: u32,
    pub scheduled_ms: u64,
    /// Set while waiting out a retry's backoff.
    pub next_attempt_ms: Option<u64>,
    pub last_failure: Option<String>,
    /// When the last recorded heartbeat (of any attempt) was sent. Heartbeats are
    /// recorded throttled, so a live activity may have sent later ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_heartbeat_ms: Option<u64>,
    /// The details of that heartbeat, which the next attempt resumes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_details: Option<serde_json::Value>,
    /// The workflow asked for the activity to be cancelled; it has not ended yet.
    #[serde(default)]
    pub cancel_requested: bool,
    /// A local activity waiting out a backoff too long for its workflow task.
    #[serde(default)]
    pub local: bool,
    /// Why it has not started: the slot (of its task queue, of the host) or the rate
    /// token it waits for ([flow control](../../docs/guide/flow-control.md)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
    /// Paused by an operator (`weft activity pause`): no new attempt starts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingTimerInfo {
    pub seq: u32,
    pub fire_at_ms: u64,
}

/// Where a reset run came from: the run reset, the index of the `task-started` event
/// the new run goes on from, and the reason given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetLink {
    pub run_id: String,
    pub event_index: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Description {
    #[serde(flatten)]
    pub run: ExecutionInfo,
    pub module_name: Option<String>,
    pub module_version: Option<u32>,
    /// When an open run last moved to another module version (a deployment it
    /// replayed on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_moved_ms: Option<u64>,
    /// The run this one continued as new from (or followed, in a cron chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continued_from: Option<String>,
    /// The execution's cron schedule and its next slot (`weft start --cron`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<CronInfo>,
    /// The run a reset made this one from (`weft reset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_from: Option<ResetLink>,
    /// The run a reset of this one made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_to: Option<String>,
    /// The workflow that started this run as its child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_workflow_id: Option<String>,
    /// The memo: the start's, merged with the workflow's upserts (carried across
    /// continue-as-new).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub memo: serde_json::Map<String, serde_json::Value>,
    /// The current search attributes (the start's, merged with upserts).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub search_attributes: BTreeMap<String, SearchAttributeValue>,
    /// The child workflows this run started.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildInfo>,
    pub pending_activities: Vec<PendingActivityInfo>,
    pub pending_timers: Vec<PendingTimerInfo>,
    /// Where an open run waits: its pending futures with their source lines (as
    /// `GET /v1/executions/{id}/stack` lists them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting_at: Vec<crate::stack_types::StackFrame>,
    /// The workflow task that is failing and being retried, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_task: Option<FailingTaskInfo>,
    /// Set once cancellation was asked for, on a run that is still open or ended
    /// cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_requested: Option<CancelRequestInfo>,
    /// Set while the run is paused: who paused it, why and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<crate::steer_types::PauseInfoBody>,
    /// Markdown details its start gave (`weft start --details`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Whom its work is for (`weft start --fairness KEY[:WEIGHT]`), inherited by its
    /// activities and children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness: Option<FairnessInfo>,
    /// Present once closed.
    pub result: Option<ResultBody>,
    /// The names the workflow's signal, query and update handlers answer to, when its
    /// SDK reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handlers: Option<HandlersInfo>,
}

/// A fairness key and its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairnessInfo {
    pub key: String,
    pub weight: u32,
}

/// A cancellation asked of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequestInfo {
    /// The reason of the first request (asking again records nothing).
    pub reason: String,
}

/// The names a workflow's handlers answer to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlersInfo {
    pub signals: Vec<String>,
    pub queries: Vec<String>,
    pub updates: Vec<String>,
}

/// A workflow task that failed and is retried with backoff; the run stays open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailingTaskInfo {
    /// What went wrong (a panic's message, a trap, a deadline, a failed rebuild).
    pub message: String,
    /// The workflow's source line, when the failure has one (`file:line:column`).
    pub location: Option<String>,
    /// When the first failure of this streak happened.
    pub since_ms: u64,
    /// Failed attempts recorded in the history (repeats without news are not).
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_ms: u64,
}

/// How a run ended (or that it has not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultBody {
    pub workflow_id: String,
    pub run_id: String,
    pub status: ExecutionStatus,
    /// The result, when completed.
    pub result: Option<serde_json::Value>,
    /// The failure, when failed, cancelled or terminated.
    pub failure: Option<FailureBody>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FailureBody {
    pub message: String,
    pub error_type: String,
    /// Whether a retry policy may retry it (absent: no).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_retryable: bool,
    /// Its structured details, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// The failure that caused it (a child's failure under a parent's child failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Box<FailureBody>>,
}

impl FailureBody {
    /// A failure with a message and an error type, and no cause.
    pub fn new(message: impl Into<String>, error_type: impl Into<String>) -> FailureBody {
        FailureBody {
            message: message.into(),
            error_type: error_type.into(),
            ..FailureBody::default()
        }
    }

    /// The body of a stored failure and of its causes.
    pub fn of(failure: &weft_model::history::Failure) -> FailureBody {
        FailureBody {
            message: failure.message.clone(),
            error_type: failure.error_type.clone(),
            non_retryable: failure.non_retryable,
            details: failure.details.as_ref().map(|d| d.to_json()),
            cause: failure
                .cause
                .as_deref()
                .map(|c| Box::new(FailureBody::of(c))),
        }
    }

    /// This failure and its causes, outermost first.
    pub fn chain(&self) -> impl Iterator<Item = &FailureBody> {
        std::iter::successors(Some(self), |f| f.cause.as_deref())
    }
}

/// `GET /v1/cluster`: the hosts of the cluster the server belongs to. A server on a
/// redb file is a cluster of one node holding its one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// Every node that ever joined, by node id.
    pub nodes: Vec<ClusterNode>,
    /// How many shards the cluster has (fixed when it was created).
    pub shards: u32,
}

/// One host of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNode {
    pub node_id: String,
    /// Where its API listens (`--advertise`, else its listening address).
    pub address: String,
    /// It heartbeated within the last three heartbeat periods.
    pub alive: bool,
    /// How many shards it holds an unexpired lease of.
    pub shards: u32,
    /// The highest epoch among its shards (raised at every takeover; 0: none held).
    pub epoch: i64,
}

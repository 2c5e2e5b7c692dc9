//! Starting runs: workflow id policies (Temporal's names), signal-with-start, and the
//! first task's commit that makes a start durable.
//!
//! | an open run has the id | `--signal` given        | conflict policy | result            |
//! |------------------------|-------------------------|-----------------|-------------------|
//! | no                     | -                       | -               | reuse policy says |
//! | yes                    | yes                     | any             | signal that run   |
//! | yes                    | no                      | fail            | refused           |
//! | yes                    | no                      | use-existing    | that run          |
//!
//! The reuse policy looks at the id's latest closed run: `allow-duplicate` starts
//! anyway, `allow-duplicate-failed-only` only when it did not complete (failed,
//! cancelled, terminated), `reject-duplicate` never.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::messages::{check_message, MessageError};
use super::request_ids::{Applied, RequestKey, RequestKind};
use super::{Host, IdConflictPolicy, IdReusePolicy, RunHandle, StartError};
use crate::engine::Module;
use crate::history::vocab::{Signal, StartWorkflow, Update};
use crate::history::{Event, ExecutionStarted, History, Job, Payload, FORMAT_VERSION};
use crate::storage::{durable, ModuleVersion, RunRecord, Status, Write};
use serde::{Deserialize, Serialize};
use weft_model::names::WorkflowId;
use weft_model::Priority;
use weft_types::SearchAttributeValue;

/// What to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartRequest {
    pub workflow_type: String,
    pub input: Payload,
    /// Defaults to `<type>-<random>`.
    pub workflow_id: Option<String>,
    /// Module digest; defaults to the newest deployed module exporting the type.
    pub module: Option<String>,
    /// Whether a closed run's id may be used again.
    pub id_reuse_policy: IdReusePolicy,
    /// What to do when a run of the id is open.
    pub id_conflict_policy: IdConflictPolicy,
    /// Signal-with-start: deliver this signal to the open run of the id, or start one
    /// and deliver it in the first task (one durable commit).
    pub signal: Option<Signal>,
    /// Update-with-start: a run this request starts gets this update in its first
    /// task, in its first commit (see `update_with_start`); an open run of the id does
    /// not get it from here.
    pub update: Option<Update>,
    /// Close the run as timed out if it is still open this long after it started.
    pub run_timeout: Option<std::time::Duration>,
    /// Close the execution as timed out this long after it started (its later runs,
    /// once continue-as-new exists, keep the same deadline).
    pub execution_timeout: Option<std::time::Duration>,
    /// The workflow id of the parent that starts this run as its child.
    pub parent_workflow_id: Option<String>,
    /// Memo: named values shown by `describe`, never indexed; carried across
    /// continue-as-new.
    pub memo: Vec<(String, Payload)>,
    /// Typed search attributes, indexed for `weft list --query` and carried across
    /// continue-as-new (see [`StartRequest::search_attribute`]).
    pub search_attributes: Vec<(String, SearchAttributeValue)>,
    /// The attempt this run is (1 but for a child workflow's retries).
    pub attempt: u32,
    /// A start sent again with the same request id (for the same workflow id) answers
    /// what the first answered and starts nothing (see `request_ids`). Without a
    /// workflow id, the id is derived from it, so a retry names the same execution.
    pub request_id: Option<String>,
    /// 1 (highest) to 5 (lowest); `None`: the default, 3. Its activities and children
    /// inherit it; under contention, work of a higher priority runs first.
    pub priority: Option<Priority>,
    /// Whom the work is for: under contention, keys share capacity by weight. Its
    /// activities and children inherit it.
    pub fairness: Option<weft_model::Fairness>,
    /// What the execution is for, in one line, shown by `describe` and `list` (at most
    /// [`MAX_SUMMARY_BYTES`]).
    pub summary: Option<String>,
    /// More about it, in Markdown, shown by `describe` (at most [`MAX_DETAILS_BYTES`]).
    pub details: Option<String>,
    /// Debounce: of the starts of this type and key less than the period apart, only
    /// the last runs; this one is pending until the period passes (see
    /// `crate::flow::Debouncer`).
    pub debounce: Option<crate::flow::Debounce>,
    /// Temporal's legacy cron: a cron expression or `@every <duration>` (what a
    /// schedule takes). The run waits for the spec's next slot, and each run that
    /// completes, fails or times out is followed by the next (see `start_gates`).
    pub cron_schedule: Option<String>,
}

/// Longest summary a start may give.
pub const MAX_SUMMARY_BYTES: usize = 400;
/// Longest details a start may give.
pub const MAX_DETAILS_BYTES: usize = 20_000;

/// A start's summary and details, checked: the message names the field.
fn check_user_metadata(request: &StartRequest) -> Result<(), String> {
    if let Some(summary) = &request.summary {
        if summary.trim().is_empty() || summary.contains(['\n', '\r']) {
            return Err("summary: give one non-blank line (details take Markdown)".into());
        }
        if summary.len() > MAX_SUMMARY_BYTES {
            return Err(format!(
                "summary: {} bytes, over the limit of {MAX_SUMMARY_BYTES}",
                summary.len()
            ));
        }
    }
    match &request.details {
        Some(details) if details.len() > MAX_DETAILS_BYTES => Err(format!(
            "details: {} bytes, over the limit of {MAX_DETAILS_BYTES}",
            details.len()
        )),
        _ => Ok(()),
    }
}

impl StartRequest {
    /// A request with the default id (random) and policies, on the newest module.
    pub fn new(workflow_type: impl Into<String>, input: Payload) -> StartRequest {
        StartRequest {
            workflow_type: workflow_type.into(),
            input,
            workflow_id: None,
            module: None,
            id_reuse_policy: IdReusePolicy::default(),
            id_conflict_policy: IdConflictPolicy::default(),
            signal: None,
            update: None,
            run_timeout: None,
            execution_timeout: None,
            parent_workflow_id: None,
            memo: Vec::new(),
            search_attributes: Vec::new(),
            attempt: 1,
            request_id: None,
            priority: None,
            fairness: None,
            summary: None,
            details: None,
            debounce: None,
            cron_schedule: None,
        }
    }

    /// Add a search attribute (a schedule sets `WeftScheduledById` as a keyword and
    /// `WeftScheduledStartTime` as a datetime this way).
    ///
    /// ```
    /// use weft_runtime::history::Payload;
    /// use weft_runtime::runtime::StartRequest;
    /// use weft_types::SearchAttributeValue;
    ///
    /// let request = StartRequest::new("report", Payload::json(&serde_json::json!(null)))
    ///     .search_attribute("WeftScheduledById", SearchAttributeValue::keyword("nightly"));
    /// assert_eq!(request.search_attributes.len(), 1);
    /// ```
    pub fn search_attribute(
        mut self,
        name: impl Into<String>,
        value: SearchAttributeValue,
    ) -> Self {
        self.search_attributes.push((name.into(), value));
        self
    }
}

/// How a start request was served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartOutcome {
    pub run: RunHandle,
    /// False when an open run took the request (use-existing, signal-with-start).
    pub started: bool,
}

impl Host {
    /// Start a run; returns once its start (and first workflow task) is durable.
    pub async fn start(&self, request: StartRequest) -> Result<RunHandle, StartError> {
        Ok(self.start_execution(request).await?.run)
    }

    /// Start a run under the request's id policies, or hand the request to the open
    /// run of its id (signal-with-start, use-existing). A request id applied before
    /// answers what it answered then.
    pub async fn start_execution(&self, request: StartRequest) -> Result<StartOutcome, StartError> {
        self.start_on(request, true).await
    }

    /// [`Host::start_execution`]; a workflow id another host of the cluster serves is
    /// started there when `forward`, refused with [`StartError::NotOwner`] otherwise.
    pub(super) async fn start_on(
        &self,
        request: StartRequest,
        forward: bool,
    ) -> Result<StartOutcome, StartError> {
        if let Some(error) = self.failure() {
            return Err(StartError::Stopped(error));
        }
        // The id a request names is checked as the API checks it (an id the host
        // picks is `<type>-<random>`).
        if let Some(id) = &request.workflow_id {
            WorkflowId::parse(id).map_err(|e| StartError::Invalid(e.to_string()))?;
        }
        if let Some(signal) = &request.signal {
            check_message("signal", &signal.name, &signal.input)
                .map_err(|e| StartError::Invalid(e.to_string()))?;
        }
        check_user_metadata(&request).map_err(StartError::Invalid)?;
        if let Some(spec) = &request.cron_schedule {
            crate::schedules::CompiledSpec::cron(spec)
                .map_err(|e| StartError::Invalid(format!("cron_schedule: {e}")))?;
        }
        if request.workflow_type == crate::DYNAMIC_WORKFLOW {
            return Err(StartError::Invalid(format!(
                "`{}` names a module's dynamic workflow, not a workflow type: start the type \
                 it should serve, and a module with a dynamic workflow serves it when no \
                 module exports it",
                crate::DYNAMIC_WORKFLOW
            )));
        }
        let key = match &request.request_id {
            Some(id) => Some(RequestKey::new(RequestKind::Start, id).map_err(StartError::Invalid)?),
            None => None,
        };
        let workflow_id = match &request.workflow_id {
            Some(id) => id.clone(),
            None => self.pick_workflow_id(&request),
        };
        let placement = &self.inner.placement;
        if !placement.owns(&workflow_id) {
            if let (true, Some(remote)) = (forward, &self.inner.remote) {
                return remote.start(&workflow_id, request).await;
            }
            return Err(StartError::NotOwner {
                shard: placement.shard_of(&workflow_id),
                workflow_id,
            });
        }
        let Some(key) = key else {
            return self.start_once(&request, &workflow_id, None).await;
        };
        // Starts of one request id go one at a time: a duplicate finds the first's row.
        // On a task of its own, so that a caller that goes away (a client or a
        // forwarding host that disconnected) does not let a duplicate in before the
        // first start's outcome is known.
        let host = self.clone();
        let keyed = async move {
            let _held = (host.inner.start_requests)
                .lock(format!("{workflow_id}\0{}", key.as_str()))
                .await;
            match host.inner.applied(&workflow_id, &key) {
                Ok(Some(applied)) => Ok(StartOutcome {
                    run: RunHandle {
                        workflow_id,
                        run_id: applied.run_id,
                    },
                    started: applied.started,
                }),
                Ok(None) => host.start_once(&request, &workflow_id, Some(&key)).await,
                Err(e) => Err(StartError::Storage(e.to_string())),
            }
        };
        tokio::spawn(keyed)
            .await
            .unwrap_or_else(|e| Err(StartError::Storage(format!("the start failed: {e}"))))
    }

    /// Start `workflow_id` as `request` asks; `key`, its request id, is recorded with
    /// what it did.
    async fn start_once(
        &self,
        request: &StartRequest,
        workflow_id: &str,
        key: Option<&RequestKey>,
    ) -> Result<StartOutcome, StartError> {
        let module = self.pick_module(request)?;
        let search_payloads = if request.search_attributes.is_empty() {
            Vec::new()
        } else {
            let known = self
                .inner
                .storage
                .attribute_types()
                .map_err(|e| StartError::Storage(e.to_string()))?;
            super::attributes::start_payloads(&request.search_attributes, &known)
                .map_err(StartError::Invalid)?
        };
        // A run that closes between the look-up and the signal sends us round again.
        for _ in 0..8 {
            let open = self.inner.open.lock().unwrap().get(workflow_id).cloned();
            if let Some(run) = open.filter(|run| !self.is_closing(run)) {
                if let Some(signal) = &request.signal {
                    match self.signal_run(&run, signal.clone(), key.cloned()).await {
                        Ok(()) => {
                            return Ok(StartOutcome {
                                run,
                                started: false,
                            })
                        }
                        Err(MessageError::Closed { .. } | MessageError::NotFound(_)) => continue,
                        Err(e) => return Err(StartError::Storage(e.to_string())),
                    }
                }
                return match request.id_conflict_policy {
                    IdConflictPolicy::Fail => Err(StartError::AlreadyRunning(workflow_id.into())),
                    IdConflictPolicy::UseExisting => self.use_existing(run, key).await,
                    IdConflictPolicy::TerminateExisting => {
                        let reason = "terminated by a start with id conflict policy \
                                      terminate-existing";
                        match self.terminate(&run.run_id, reason).await {
                            Ok(_) | Err(MessageError::Closed { .. }) => continue,
                            Err(e) => Err(StartError::Storage(e.to_string())),
                        }
                    }
                };
            }
            if request.id_reuse_policy != IdReusePolicy::AllowDuplicate {
                self.check_reuse(workflow_id, request.id_reuse_policy)?;
            }
            let begun = self
                .begin(request, &search_payloads, workflow_id, module.clone(), key)
                .await?;
            if let Some(run) = begun {
                return Ok(StartOutcome { run, started: true });
            }
        }
        Err(StartError::Storage(format!(
            "workflow id `{workflow_id}` keeps changing hands; try again"
        )))
    }

    /// An open run took the start (use-existing): its request id, if any, is recorded
    /// alone, as nothing else changes.
    async fn use_existing(
        &self,
        run: RunHandle,
        key: Option<&RequestKey>,
    ) -> Result<StartOutcome, StartError> {
        if let Some(key) = key {
            let applied = Applied {
                run_id: run.run_id.clone(),
                started: false,
            };
            let writes = vec![
                applied.write(&run.workflow_id, key),
                Write::Fence {
                    workflow_id: run.workflow_id.clone(),
                },
            ];
            durable(self.inner.storage.commit(writes))
                .await
                .map_err(|e| match e.is_fatal() {
                    true => StartError::OutcomeUnknown(e.to_string()),
                    false => StartError::Storage(e.to_string()),
                })?;
        }
        Ok(StartOutcome {
            run,
            started: false,
        })
    }

    /// Whether `run`, still in the table of open runs, has in fact closed: its close
    /// is durable and its actor is about to take it out of the table. (A caller that saw
    /// it close may start the id again at once.)
    fn is_closing(&self, run: &RunHandle) -> bool {
        matches!(self.inspect().find_run(&run.run_id), Ok(record) if !record.status.is_open())
    }

    fn check_reuse(&self, workflow_id: &str, policy: IdReusePolicy) -> Result<(), StartError> {
        let last = match self.inner.storage.latest_run(workflow_id) {
            Ok(Some(run)) => run,
            Ok(None) => return Ok(()),
            Err(e) => return Err(StartError::Storage(e.to_string())),
        };
        let allowed = match policy {
            IdReusePolicy::AllowDuplicate => true,
            IdReusePolicy::AllowDuplicateFailedOnly => matches!(
                last.status,
                Status::Failed | Status::Cancelled | Status::Terminated
            ),
            IdReusePolicy::RejectDuplicate => false,
        };
        if allowed || last.status.is_open() {
            return Ok(());
        }
        Err(StartError::IdReused {
            workflow_id: workflow_id.to_string(),
            run_id: last.run_id,
            status: last.status.name().to_string(),
            policy: policy.as_str().to_string(),
        })
    }

    /// Start a new run of `workflow_id`; `None` when another start took the id first.
    async fn begin(
        &self,
        request: &StartRequest,
        search_attributes: &[(String, Payload)],
        workflow_id: &str,
        module: Arc<Module>,
        key: Option<&RequestKey>,
    ) -> Result<Option<RunHandle>, StartError> {
        let time_ms = self.inner.clock.now_ms();
        let gate = self.start_gate(request, time_ms)?;
        let workflow_id = workflow_id.to_string();
        let run_id = self.inner.entropy.id();
        let handle = RunHandle {
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
        };
        {
            let mut open = self.inner.open.lock().unwrap();
            if open
                .get(&workflow_id)
                .is_some_and(|run| !self.is_closing(run))
            {
                return Ok(None);
            }
            open.insert(workflow_id.clone(), handle.clone());
        }
        let record = RunRecord {
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
            workflow_type: request.workflow_type.clone(),
            module_digest: module.digest.clone(),
            status: Status::Running,
            start_ms: time_ms,
            close_ms: None,
            history_len: 0,
            format_version: FORMAT_VERSION,
        };
        let started = ExecutionStarted {
            workflow_type: request.workflow_type.clone(),
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
            module_digest: module.digest.clone(),
            time_ms,
        };
        let job = Job::StartWorkflow(StartWorkflow {
            workflow_type: request.workflow_type.clone(),
            input: request.input.clone(),
            workflow_id,
            run_id,
            attempt: request.attempt.max(1),
            parent_workflow_id: request.parent_workflow_id.clone(),
            random_seed: self.inner.entropy.seed(),
            search_attributes: search_attributes.to_vec(),
            memo: request.memo.clone(),
        });
        let priority = request.priority.unwrap_or_default();
        let priority_event = Event::Priority {
            priority: priority.get(),
        };
        let opening = (!priority.is_default()).then_some(&priority_event);
        let mut attributes =
            super::attributes::Current::of(opening, std::slice::from_ref(&job)).values;
        attributes.summary = request.summary.clone();
        // The run record and the started event go into the first commit, together with
        // the first workflow task (and a signal-with-start's signal).
        let mut writes = vec![Write::PutRun(record.clone())];
        if let Some(key) = key {
            let applied = Applied {
                run_id: handle.run_id.clone(),
                started: true,
            };
            writes.push(applied.write(&handle.workflow_id, key));
        }
        if !attributes.is_empty() {
            writes.push(Write::PutAttributes {
                run_id: handle.run_id.clone(),
                start_ms: time_ms,
                attributes,
            });
        }
        let mut events = vec![Event::ExecutionStarted(started)];
        let deadline = |timeout: Option<std::time::Duration>| {
            timeout.map(|t| time_ms.saturating_add(super::clock::millis(t)))
        };
        // A run of a cron schedule times out counting from the slot it waits for.
        let run_start_ms = (request.cron_schedule.as_deref())
            .and_then(|spec| super::start_gates::cron_slot(spec, time_ms))
            .unwrap_or(time_ms);
        let deadlines = Event::Deadlines {
            run_deadline_ms: (request.run_timeout)
                .map(|t| run_start_ms.saturating_add(super::clock::millis(t))),
            execution_deadline_ms: deadline(request.execution_timeout),
        };
        if !matches!(
            deadlines,
            Event::Deadlines {
                run_deadline_ms: None,
                execution_deadline_ms: None
            }
        ) {
            events.push(deadlines);
        }
        events.extend(opening.cloned());
        events.extend(request.fairness.clone().map(Event::Fairness));
        if request.summary.is_some() || request.details.is_some() {
            events.push(Event::UserMetadata {
                summary: request.summary.clone(),
                details: request.details.clone(),
            });
        }
        events.extend(gate.as_ref().and_then(|g| g.debounced.clone()));
        events.extend(gate.as_ref().and_then(|g| g.cron.clone()));
        let mut jobs = vec![job];
        if let Some(signal) = &request.signal {
            jobs.push(Job::Signal(signal.clone()));
        }
        if let Some(update) = &request.update {
            jobs.push(Job::Update(update.clone()));
        }
        let workflow_type = record.workflow_type.clone();
        let turn = crate::flow::Turn {
            priority,
            fairness: request.fairness.clone(),
        };
        if let Some(gate) = gate {
            let gates = &self.inner.gates;
            gates.expect(&handle.run_id, &workflow_type, turn, gate.token_at);
            self.begin_pending(record, module, writes, events, jobs)
                .await?;
            return Ok(Some(handle));
        }
        if !self.inner.flow.start(&workflow_type, &handle.run_id, &turn) {
            self.begin_pending(record, module, writes, events, jobs)
                .await?;
            return Ok(Some(handle));
        }
        let (ack, acked) = oneshot::channel();
        let mut execution = self.execution(record, module, History::default(), Some(ack));
        execution.pending_writes = writes;
        execution.deadline = History::new(events.clone()).deadline();
        execution.events = events;
        execution.jobs = jobs;
        execution.guards.push(self.inner.clock.busy());
        self.spawn(execution);
        let failed = match acked.await {
            Ok(Ok(())) => return Ok(Some(handle)),
            Ok(Err(e)) => e,
            Err(_) => match self.failure() {
                Some(error) => StartError::OutcomeUnknown(error),
                None => StartError::Storage("the run stopped before its start was recorded".into()),
            },
        };
        // It never ran: its place under a workflow limit is free again.
        self.inner.flow.closed(&workflow_type, &handle.run_id);
        Err(failed)
    }

    fn pick_module(&self, request: &StartRequest) -> Result<Arc<Module>, StartError> {
        let versions = self.inner.versions.lock().unwrap().clone();
        let known = match &request.module {
            Some(digest) => versions.iter().any(|v| &v.digest == digest),
            None => super::deploy::serving_version(&versions, &request.workflow_type).is_some(),
        };
        // Another host of a cluster may have deployed it: look again in storage.
        let versions = if known || !self.inner.placement.is_partial() {
            versions
        } else {
            self.refresh_versions()
                .map_err(|e| StartError::Storage(e.to_string()))?
        };
        let digest = match &request.module {
            Some(digest) => versions
                .iter()
                .find(|v| &v.digest == digest)
                .map(|v| v.digest.clone())
                .ok_or_else(|| StartError::UnknownModule(digest.clone()))?,
            None => match super::deploy::serving_version(&versions, &request.workflow_type) {
                Some(v) => v.digest.clone(),
                None => return Err(Self::unknown_type(&versions, request)),
            },
        };
        self.module_by_digest(&digest).map_err(StartError::Storage)
    }

    fn unknown_type(versions: &[ModuleVersion], request: &StartRequest) -> StartError {
        let mut known: Vec<String> = versions
            .iter()
            .flat_map(|m| m.workflow_types.clone())
            .collect();
        known.sort();
        known.dedup();
        StartError::UnknownWorkflowType {
            workflow_type: request.workflow_type.clone(),
            known: if known.is_empty() {
                "none deployed".into()
            } else {
                known.join(", ")
            },
        }
    }
}

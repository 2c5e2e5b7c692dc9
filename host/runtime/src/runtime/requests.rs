//! Signals, queries and updates from the host's callers to an execution: find its run,
//! hand the request to the run's actor, wait for the answer. A query to a closed run
//! (which has no actor) is answered on an instance rebuilt by replaying its history.

use tokio::sync::oneshot;

use super::execution::Updates;
use super::messages::{check_message, MessageError, UpdateOutcome, UpdateRequest};
use super::outbox::Ack;
use super::queries::{self, METADATA_QUERY};
use super::remote::RemoteMessage;
use super::request_ids::{RequestKey, RequestKind};
use super::{Host, Message, QueryError, RunHandle};
use crate::history::vocab::{Query, Signal, Update};
use crate::history::{Failure, Payload, RunState};
use crate::replay::{history_info, replay_into};
use crate::storage::RunRecord;

/// The names of a workflow's handlers, as its SDK reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandlerNames {
    #[serde(default)]
    pub signals: Vec<String>,
    #[serde(default)]
    pub queries: Vec<String>,
    #[serde(default)]
    pub updates: Vec<String>,
}

/// Where a request for an execution goes.
pub(super) enum Target {
    Open(RunHandle),
    Closed(RunRecord),
}

impl Host {
    /// Deliver a signal to the open run of `id` (a workflow id or a run id); returns
    /// once the task that delivers it is durable.
    pub async fn signal(
        &self,
        id: &str,
        name: &str,
        input: Payload,
    ) -> Result<RunHandle, MessageError> {
        self.signal_with_request(id, name, input, None).await
    }

    /// [`Host::signal`] on this host only.
    async fn signal_here(
        &self,
        id: &str,
        name: &str,
        input: Payload,
    ) -> Result<RunHandle, MessageError> {
        let (reply, acked) = oneshot::channel();
        let run = self.signal_acked(id, name, input, Ack::new(reply))?;
        acked
            .await
            .unwrap_or_else(|_| Err(self.gone(&run.run_id)))?;
        Ok(run)
    }

    /// [`Host::signal`] with a request id: a signal sent again with the same
    /// `request_id` is answered as the first was and not delivered again (see
    /// `request_ids`). Without one it is [`Host::signal`].
    pub async fn signal_with_request(
        &self,
        id: &str,
        name: &str,
        input: Payload,
        request_id: Option<&str>,
    ) -> Result<RunHandle, MessageError> {
        if !self.inner.placement.is_partial() {
            return self.signal_here_with(id, name, input, request_id).await;
        }
        let message = RemoteMessage::Signal {
            name: name.to_string(),
            input: input.clone(),
            request_id: request_id.map(str::to_string),
        };
        let here = self.signal_here_with(id, name, input, request_id).await;
        self.or_elsewhere(here, message).await
    }

    /// [`Host::signal_with_request`] on this host only.
    pub(super) async fn signal_here_with(
        &self,
        id: &str,
        name: &str,
        input: Payload,
        request_id: Option<&str>,
    ) -> Result<RunHandle, MessageError> {
        let Some(request_id) = request_id else {
            return self.signal_here(id, name, input).await;
        };
        check_message("signal", name, &input)?;
        let key =
            RequestKey::new(RequestKind::Signal, request_id).map_err(MessageError::Invalid)?;
        self.inner.metrics.signals_received.inc();
        let signal = Signal {
            name: name.to_string(),
            input,
        };
        self.keyed(id, &key, |run, ack| {
            self.send_signal(run, signal.clone(), ack, Some(key.clone()))
        })
        .await
    }

    /// Hand a signal to the open run of `id`; `ack` is answered once it is durable.
    pub(super) fn signal_acked(
        &self,
        id: &str,
        name: &str,
        input: Payload,
        ack: Ack,
    ) -> Result<RunHandle, MessageError> {
        check_message("signal", name, &input)?;
        self.inner.metrics.signals_received.inc();
        let run = self.open_target(id)?;
        let signal = Signal {
            name: name.to_string(),
            input,
        };
        self.send_signal(&run, signal, ack, None)?;
        Ok(run)
    }

    /// Hand a signal to an open run's actor and wait for it to be durable; `request`
    /// is the request id it applies (a signal-with-start's).
    pub(super) async fn signal_run(
        &self,
        run: &RunHandle,
        signal: Signal,
        request: Option<RequestKey>,
    ) -> Result<(), MessageError> {
        let (reply, acked) = oneshot::channel();
        self.send_signal(run, signal, Ack::new(reply), request)?;
        acked.await.unwrap_or_else(|_| Err(self.gone(&run.run_id)))
    }

    fn send_signal(
        &self,
        run: &RunHandle,
        signal: Signal,
        ack: Ack,
        request: Option<RequestKey>,
    ) -> Result<(), MessageError> {
        let message = Message::Signal {
            signal,
            ack,
            request,
            busy: self.inner.clock.busy(),
        };
        if !self.inner.send(&run.run_id, message) {
            return Err(self.gone(&run.run_id));
        }
        Ok(())
    }

    /// Ask the workflow of `id` a query. Never recorded; answered by the open run's
    /// instance, or for a closed run by one rebuilt from its history.
    pub async fn query(
        &self,
        id: &str,
        name: &str,
        input: Payload,
    ) -> Result<Payload, MessageError> {
        check_message("query", name, &input)?;
        self.inner.metrics.queries_received.inc();
        self.ask(id, name, input).await
    }

    /// [`Host::query`] for the host's own needs (the reported waits of `weft stack`):
    /// not counted as a query received.
    pub(crate) async fn ask(
        &self,
        id: &str,
        name: &str,
        input: Payload,
    ) -> Result<Payload, MessageError> {
        let query = Query {
            id: self.inner.entropy.id(),
            name: name.to_string(),
            input,
        };
        match self.target(id)? {
            Target::Open(run) => {
                let (reply, answer) = oneshot::channel();
                let message = Message::Query {
                    query: query.clone(),
                    reply,
                    busy: self.inner.clock.busy(),
                };
                if self.inner.send(&run.run_id, message) {
                    if let Ok(answer) = answer.await {
                        return answer;
                    }
                }
                // Closed meanwhile: ask its history.
                let record = self.inspect().find_run(&run.run_id).map_err(lookup_error)?;
                self.query_closed(record, query).await
            }
            Target::Closed(record) => self.query_closed(record, query).await,
        }
    }

    /// The names of the handlers of `id`'s workflow, when its SDK reports them.
    pub async fn handler_names(&self, id: &str) -> Option<HandlerNames> {
        let answer = self
            .query(id, METADATA_QUERY, Payload::json(&serde_json::Value::Null))
            .await
            .ok()?;
        serde_json::from_slice(&answer.data).ok()
    }

    async fn query_closed(&self, record: RunRecord, query: Query) -> Result<Payload, MessageError> {
        let host = self.clone();
        let time_ms = self.inner.clock.now_ms();
        let answered = self.inner.workflows.spawn_blocking(move || {
            let unavailable = |what: String| {
                MessageError::Failed(Failure::new(
                    format!("cannot answer the query: {what}"),
                    "QueryFailed",
                ))
            };
            let module = host
                .module_by_digest(&record.module_digest)
                .map_err(unavailable)?;
            let events = host.inspect().history_of(&record).map_err(lookup_error)?;
            let mut instance = host
                .inner
                .engine
                .instantiate(&module, &record.workflow_id)
                .map_err(|e| unavailable(e.to_string()))?;
            replay_into(&mut instance, &events)
                .map_err(|e| unavailable(format!("its history does not replay: {e}")))?;
            let info = history_info(events.len(), 0);
            queries::answer(&mut instance, query, time_ms, info).0
        });
        answered
            .await
            .unwrap_or_else(|e| Err(MessageError::Unavailable(e.to_string())))
    }

    /// Send an update to the open run of `id` and wait for the stage it asks for.
    pub async fn update(
        &self,
        id: &str,
        request: UpdateRequest,
    ) -> Result<UpdateOutcome, MessageError> {
        check_message("update", &request.name, &request.input)?;
        self.inner.metrics.updates_received.inc();
        // Only an id the caller gave can have been completed by an earlier run.
        let given = request.update_id.is_some();
        let update_id = request
            .update_id
            .clone()
            .unwrap_or_else(|| self.inner.entropy.id());
        if update_id.is_empty() || update_id.len() > 200 {
            return Err(MessageError::Invalid(
                "an update id has 1 to 200 characters".into(),
            ));
        }
        let run = match self.target(id)? {
            Target::Open(run) => run,
            Target::Closed(record) => {
                return self.closed_update(&record, &update_id);
            }
        };
        if given {
            let before = self.completed_before(&run.workflow_id, &update_id)?;
            if let Some(outcome) = before {
                return Ok(outcome);
            }
        }
        let (reply, answer) = oneshot::channel();
        let message = Message::Update {
            update: Update {
                id: update_id.clone(),
                name: request.name,
                input: request.input,
            },
            wait: request.wait,
            reply,
            busy: self.inner.clock.busy(),
        };
        let answered = if self.inner.send(&run.run_id, message) {
            answer.await.unwrap_or_else(|_| Err(self.gone(&run.run_id)))
        } else {
            Err(self.gone(&run.run_id))
        };
        match answered {
            // Closed meanwhile: its history may have completed this update.
            Err(MessageError::Closed { .. }) => {
                let record = self.inspect().find_run(&run.run_id).map_err(lookup_error)?;
                self.closed_update(&record, &update_id)
            }
            other => other,
        }
    }

    /// An update to a closed run: the outcome of that update id if the run (or an
    /// earlier run of its workflow id) completed it, otherwise refused because the run
    /// is closed.
    fn closed_update(
        &self,
        record: &RunRecord,
        update_id: &str,
    ) -> Result<UpdateOutcome, MessageError> {
        if let Some(outcome) = self.completed_in(record, update_id)? {
            return Ok(outcome);
        }
        match self.completed_before(&record.workflow_id, update_id)? {
            Some(outcome) => Ok(outcome),
            None => Err(closed(record)),
        }
    }

    /// The outcome of update `update_id` if a run of `workflow_id` completed it (it may
    /// have continued as new since, or be closing now: its history answers, whatever
    /// run the update was sent to).
    fn completed_before(
        &self,
        workflow_id: &str,
        update_id: &str,
    ) -> Result<Option<UpdateOutcome>, MessageError> {
        let applied = self
            .inner
            .applied(workflow_id, &RequestKey::update(update_id))
            .map_err(|e| MessageError::Unavailable(e.to_string()))?;
        let Some(applied) = applied else {
            return Ok(None);
        };
        let record = self
            .inspect()
            .find_run(&applied.run_id)
            .map_err(lookup_error)?;
        self.completed_in(&record, update_id)
    }

    /// The outcome of update `update_id` if the run of `record` completed it.
    fn completed_in(
        &self,
        record: &RunRecord,
        update_id: &str,
    ) -> Result<Option<UpdateOutcome>, MessageError> {
        let events = self.inspect().history_of(record).map_err(lookup_error)?;
        let result = Updates::from_state(&RunState::fold(&events)).completed_result(update_id);
        Ok(result.map(|result| UpdateOutcome::Completed {
            update_id: update_id.to_string(),
            result,
        }))
    }

    /// The open run of `id`, or its latest closed one.
    pub(super) fn target(&self, id: &str) -> Result<Target, MessageError> {
        if let Some(error) = self.failure() {
            return Err(MessageError::Stopped(error));
        }
        if let Some(run) = self.inner.open.lock().unwrap().get(id) {
            return Ok(Target::Open(run.clone()));
        }
        let record = self.inspect().find_run(id).map_err(lookup_error)?;
        let placement = &self.inner.placement;
        if !placement.owns(&record.workflow_id) {
            return Err(MessageError::NotOwner {
                shard: placement.shard_of(&record.workflow_id),
                workflow_id: record.workflow_id,
            });
        }
        if record.status.is_open() {
            // A run id: open here whether its actor is live or it rests.
            if let Some(run) = self.inner.open.lock().unwrap().get(&record.workflow_id) {
                if run.run_id == record.run_id {
                    return Ok(Target::Open(run.clone()));
                }
            }
            // Open in storage but not (or no longer) in this host's table: it is
            // closing right now, or its start failed.
            return Err(MessageError::Unavailable(format!(
                "execution `{id}` is changing state; try again"
            )));
        }
        Ok(Target::Closed(record))
    }

    /// The open run of `id`; a closed one is an error that says how it ended.
    pub(super) fn open_target(&self, id: &str) -> Result<RunHandle, MessageError> {
        match self.target(id)? {
            Target::Open(run) => Ok(run),
            Target::Closed(record) => Err(closed(&record)),
        }
    }

    /// The error for a run whose actor is gone: closed, or the host stopping.
    pub(super) fn gone(&self, run_id: &str) -> MessageError {
        if let Some(error) = self.failure() {
            return MessageError::OutcomeUnknown(error);
        }
        match self.inspect().find_run(run_id) {
            Ok(record) if !record.status.is_open() => closed(&record),
            Ok(record) if !self.inner.placement.owns(&record.workflow_id) => {
                MessageError::NotOwner {
                    shard: self.inner.placement.shard_of(&record.workflow_id),
                    workflow_id: record.workflow_id,
                }
            }
            Ok(_) => MessageError::Unavailable("the host is stopping".into()),
            Err(e) => lookup_error(e),
        }
    }
}

pub(super) fn closed(record: &RunRecord) -> MessageError {
    MessageError::Closed {
        workflow_id: record.workflow_id.clone(),
        run_id: record.run_id.clone(),
        status: record.status,
    }
}

pub(super) fn lookup_error(e: QueryError) -> MessageError {
    match e {
        QueryError::NotFound(id) => MessageError::NotFound(id),
        other => MessageError::Unavailable(other.to_string()),
    }
}

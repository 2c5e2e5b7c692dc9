//! Starts past a workflow limit (`crate::flow::WorkflowLimits`): recorded at once, run
//! later. A pending start writes the run's record and its first events, the start job
//! as a pending job (as a continue-as-new does), in one durable commit, and answers; the
//! run's actor then waits (`execution::held`) until a run of the type closes.

use std::sync::Arc;

use super::{Host, OpenError, StartError};
use crate::engine::Module;
use crate::flow::{OpenRun, StartAdmission, StartRate, WorkflowLimit};
use crate::history::{Event, History, Job, FORMAT_VERSION};
use crate::storage::{durable, RunRecord, Write};

impl Host {
    /// Record the pending start of `record` (`writes`: its record, request id and
    /// attributes; `events`: its opening events; `jobs`: what its first task delivers)
    /// and give it an actor that waits for its turn.
    pub(super) async fn begin_pending(
        &self,
        record: RunRecord,
        module: Arc<Module>,
        mut writes: Vec<Write>,
        mut events: Vec<Event>,
        jobs: Vec<Job>,
    ) -> Result<(), StartError> {
        events.extend(jobs.into_iter().map(Event::PendingJob));
        let (chunk, _) = self.inner.codec.encode_chunk(FORMAT_VERSION, &events);
        writes.push(Write::Append {
            run_id: record.run_id.clone(),
            first_index: 0,
            events: chunk,
        });
        writes.push(Write::Fence {
            workflow_id: record.workflow_id.clone(),
        });
        if let Err(e) = durable(self.inner.storage.commit(writes)).await {
            if !self.inner.gates.closed(&record.run_id) {
                self.inner
                    .flow
                    .closed(&record.workflow_type, &record.run_id);
            }
            self.inner.forget(&record);
            return Err(match e.is_fatal() {
                true => StartError::OutcomeUnknown(e.to_string()),
                false => StartError::Storage(e.to_string()),
            });
        }
        self.inner.metrics.started(&record.workflow_type);
        tracing::info!(
            run = %record.run_id,
            workflow_type = %record.workflow_type,
            why = ?self.pending_reason(&record.run_id),
            "pending"
        );
        let mut execution = self.execution(record, module, History::new(events), None);
        execution.resume_pending();
        self.spawn(execution);
        Ok(())
    }

    /// Count the open runs of each limited type and line up the pending ones, before
    /// any actor is back (see [`crate::flow::WorkflowLimits::recover`]). The pending
    /// runs of a type with a start rate take a token again, in the order they started
    /// (see `start_gates`), after the tokens the open runs of the type took when they
    /// started (their first task's time), so a restart does not let a burst through.
    /// A pending debounced run is left to its actor, which finds it held.
    pub(super) fn recover_limits(
        &self,
        limits: &[WorkflowLimit],
        rates: &[StartRate],
    ) -> Result<(), OpenError> {
        if limits.is_empty() && rates.is_empty() {
            return Ok(());
        }
        let gates = &self.inner.gates;
        let (mut runs, mut tokens) = (Vec::new(), Vec::new());
        for record in self.inner.storage.open_runs()? {
            let rated = gates.rates.rate(&record.workflow_type).is_some();
            if !self.inner.flow.limits(&record.workflow_type) && !rated {
                continue;
            }
            let history = self
                .inner
                .read_history(&record)
                .map_err(|e| OpenError::Engine(format!("run {}: {e}", record.run_id)))?;
            let opening = Opening::of(&history);
            if opening.debouncing() {
                continue;
            }
            if let (true, Some(at)) = (rated, opening.token_ms()) {
                tokens.push((at, record.workflow_type.clone()));
            }
            runs.push((
                rated && opening.waits_for_token(),
                OpenRun {
                    turn: crate::flow::Turn::of_history(&history),
                    workflow_type: record.workflow_type,
                    run_id: record.run_id,
                    start_ms: record.start_ms,
                    pending: !opening.ran,
                },
            ));
        }
        tokens.sort();
        for (at, workflow_type) in tokens {
            gates.rates.admit(&workflow_type, at, true);
        }
        let (mut held, counted): (Vec<_>, Vec<_>) = runs.into_iter().partition(|(h, _)| *h);
        held.sort_by(|(_, a), (_, b)| (a.start_ms, &a.run_id).cmp(&(b.start_ms, &b.run_id)));
        let now_ms = self.inner.clock.now_ms();
        for (_, run) in held {
            let token_at = match gates.rates.admit(&run.workflow_type, now_ms, true) {
                StartAdmission::At(at) => Some(at),
                _ => None,
            };
            gates.expect(&run.run_id, &run.workflow_type, run.turn, token_at);
        }
        self.inner
            .flow
            .recover(counted.into_iter().map(|(_, run)| run).collect());
        Ok(())
    }

    /// Why run `run_id` has not started, while it is pending.
    pub fn pending_reason(&self, run_id: &str) -> Option<String> {
        self.inner.pending_reason(run_id)
    }
}

/// What an opening host needs of an open run's history to line it up.
#[derive(Default)]
struct Opening {
    /// It ran a task, or was continued from another run.
    ran: bool,
    /// It was made by a continue-as-new or a reset: no new start.
    made: bool,
    /// Its start was debounced.
    debounced: bool,
    /// When its first task ran: when a new start took its start-rate token.
    first_task_ms: Option<u64>,
}

impl Opening {
    fn of(history: &History) -> Opening {
        let mut opening = Opening::default();
        for event in &history.events {
            match event {
                Event::ContinuedFrom { .. } => (opening.ran, opening.made) = (true, true),
                Event::ResetFrom { .. } => opening.made = true,
                Event::Debounced { .. } => opening.debounced = true,
                Event::TaskStarted { time_ms } => {
                    opening.ran = true;
                    opening.first_task_ms.get_or_insert(*time_ms);
                }
                _ => {}
            }
        }
        opening
    }

    /// The start is held by a debounce (its actor takes it up).
    fn debouncing(&self) -> bool {
        self.debounced && !self.ran && !self.made
    }

    /// The start waits for a start-rate token, if its type has a rate.
    fn waits_for_token(&self) -> bool {
        !self.ran && !self.made
    }

    /// When it took its token, as a new start that ran.
    fn token_ms(&self) -> Option<u64> {
        self.first_task_ms.filter(|_| !self.made)
    }
}

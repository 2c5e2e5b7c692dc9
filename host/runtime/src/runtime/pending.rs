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
    /// any actor is back (see [`crate::flow::WorkflowLimits::recover`]); the pending
    /// runs of a type with a start rate take a token again, in the order they started
    /// (see `start_gates`). A pending debounced run is left to its actor, which finds
    /// it held.
    pub(super) fn recover_limits(
        &self,
        limits: &[WorkflowLimit],
        rates: &[StartRate],
    ) -> Result<(), OpenError> {
        if limits.is_empty() && rates.is_empty() {
            return Ok(());
        }
        let gates = &self.inner.gates;
        let mut runs = Vec::new();
        for record in self.inner.storage.open_runs()? {
            let rated = gates.rates.rate(&record.workflow_type).is_some();
            if !self.inner.flow.limits(&record.workflow_type) && !rated {
                continue;
            }
            let history = self
                .inner
                .read_history(&record)
                .map_err(|e| OpenError::Engine(format!("run {}: {e}", record.run_id)))?;
            let (ran, debounced) = history.events.iter().fold((false, false), |(r, d), e| {
                (
                    r || matches!(e, Event::TaskStarted { .. } | Event::ContinuedFrom { .. }),
                    d || matches!(e, Event::Debounced { .. }),
                )
            });
            if !ran && debounced {
                continue;
            }
            runs.push((
                rated && !ran,
                OpenRun {
                    priority: history.priority(),
                    workflow_type: record.workflow_type,
                    run_id: record.run_id,
                    start_ms: record.start_ms,
                    pending: !ran,
                },
            ));
        }
        let (mut held, counted): (Vec<_>, Vec<_>) = runs.into_iter().partition(|(h, _)| *h);
        held.sort_by(|(_, a), (_, b)| (a.start_ms, &a.run_id).cmp(&(b.start_ms, &b.run_id)));
        let now_ms = self.inner.clock.now_ms();
        for (_, run) in held {
            let token_at = match gates.rates.admit(&run.workflow_type, now_ms, true) {
                StartAdmission::At(at) => Some(at),
                _ => None,
            };
            gates.expect(&run.run_id, &run.workflow_type, run.priority, token_at);
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

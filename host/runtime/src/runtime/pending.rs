//! Starts past a workflow limit (`crate::flow::WorkflowLimits`): recorded at once, run
//! later. A pending start writes the run's record and its first events, the start job
//! as a pending job (as a continue-as-new does), in one durable commit, and answers; the
//! run's actor then waits (`execution::held`) until a run of the type closes.

use std::sync::Arc;

use super::{Host, OpenError, StartError};
use crate::engine::Module;
use crate::flow::{OpenRun, WorkflowLimit};
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
            self.inner
                .flow
                .closed(&record.workflow_type, &record.run_id);
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
            "pending: past its workflow limit"
        );
        let mut execution = self.execution(record, module, History::new(events), None);
        execution.resume_pending();
        self.spawn(execution);
        Ok(())
    }

    /// Count the open runs of each limited type and line up the pending ones, before
    /// any actor is back (see [`crate::flow::WorkflowLimits::recover`]).
    pub(super) fn recover_limits(&self, limits: &[WorkflowLimit]) -> Result<(), OpenError> {
        if limits.is_empty() {
            return Ok(());
        }
        let mut runs = Vec::new();
        for record in self.inner.storage.open_runs()? {
            if !self.inner.flow.limits(&record.workflow_type) {
                continue;
            }
            let history = self
                .inner
                .read_history(&record)
                .map_err(|e| OpenError::Engine(format!("run {}: {e}", record.run_id)))?;
            let ran = history
                .events
                .iter()
                .any(|e| matches!(e, Event::TaskStarted { .. } | Event::ContinuedFrom { .. }));
            runs.push(OpenRun {
                priority: history.priority(),
                fairness: history.fairness(),
                workflow_type: record.workflow_type,
                run_id: record.run_id,
                start_ms: record.start_ms,
                pending: !ran,
            });
        }
        self.inner.flow.recover(runs);
        Ok(())
    }

    /// Why run `run_id` has not started, while it is pending.
    pub fn pending_reason(&self, run_id: &str) -> Option<String> {
        self.inner.flow.waiting_reason(run_id)
    }
}

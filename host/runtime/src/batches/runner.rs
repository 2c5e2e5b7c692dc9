//! The task that carries out one batch: its targets in order, paced on the host's
//! clock, its progress stored every [`super::CHECKPOINT`] targets.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{save, BatchFailure, BatchOperation, BatchRecord, BatchState, Inner, KEPT_FAILURES};
use crate::history::Payload;
use crate::runtime::{reset_links, Host, Reapply, ResetPoint, ResetRequest};

/// Carry out batch `id` from where it got to.
pub(super) async fn run(inner: Arc<Inner>, id: String) {
    let Some(host) = inner.host.upgrade() else {
        return;
    };
    let Some(mut record) = inner.batches.lock().await.get(&id).cloned() else {
        return;
    };
    let (first, began_ms) = (record.next, host.clock().now_ms());
    while record.next < record.total() {
        if let Some(rps) = record.rps {
            let due = began_ms + ((record.next - first) as f64 * 1_000.0 / rps) as u64;
            if due > host.clock().now_ms() {
                drop(host.clock().sleep_until(due).await);
            }
        }
        let busy = host.clock().busy();
        let target = record.targets[record.next as usize].clone();
        match act(&host, &record, &target).await {
            Ok(()) => record.done += 1,
            Err(message) => {
                tracing::warn!(batch = %id, workflow = %target, "batch operation failed: {message}");
                record.failed += 1;
                if record.failures.len() < KEPT_FAILURES {
                    record.failures.push(BatchFailure {
                        workflow_id: target,
                        message,
                    });
                }
            }
        }
        record.next += 1;
        if record.next == record.total() {
            record.state = BatchState::Completed;
            record.finished_ms = Some(host.clock().now_ms());
        }
        let store = record.next % super::CHECKPOINT == 0 || record.next == record.total();
        if !update(&inner, &host, &mut record, store).await {
            return;
        }
        drop(busy);
    }
    tracing::info!(batch = %id, done = record.done, failed = record.failed, "batch completed");
}

/// Put `record`'s progress in the table of batches (and in storage when `store`);
/// false when the batch must go no further (stopped, the host stopping, a failure).
async fn update(inner: &Inner, host: &Host, record: &mut BatchRecord, store: bool) -> bool {
    let mut batches = inner.batches.lock().await;
    let Some(current) = batches.get_mut(&record.id) else {
        return false;
    };
    if current.state != BatchState::Running {
        // Stopped meanwhile: its stored state stays.
        return false;
    }
    let stopping = inner.stopped.load(Ordering::SeqCst);
    if store || stopping {
        if let Err(e) = save(host, record).await {
            tracing::error!(batch = %record.id, "cannot store the batch's progress: {e}");
            record.state = BatchState::Failed;
            record.stop_reason = Some(format!("its progress could not be stored: {e}"));
            *current = record.clone();
            return false;
        }
    }
    *current = record.clone();
    !stopping && record.state == BatchState::Running
}

/// Apply the batch's operation to `workflow_id`, once.
async fn act(host: &Host, batch: &BatchRecord, workflow_id: &str) -> Result<(), String> {
    let request_id = batch.request_id();
    let reason = batch.tagged_reason();
    let answer = match &batch.operation {
        BatchOperation::Signal { name, input_json } => {
            let input: serde_json::Value =
                serde_json::from_str(input_json).map_err(|e| e.to_string())?;
            host.signal_with_request(workflow_id, name, Payload::json(&input), Some(&request_id))
                .await
        }
        BatchOperation::Cancel => {
            host.cancel_with_request(workflow_id, &reason, Some(&request_id))
                .await
        }
        BatchOperation::Terminate => {
            host.terminate_with_request(workflow_id, &reason, Some(&request_id))
                .await
        }
        BatchOperation::Reset { to, reapply } => {
            return reset(host, workflow_id, to, reapply, reason).await;
        }
        BatchOperation::Pause | BatchOperation::Unpause => {
            return steer(host, batch, workflow_id, &reason).await;
        }
        BatchOperation::Delete => {
            return match host.delete_execution(workflow_id).await {
                Ok(_) | Err(crate::runtime::DeleteError::NotFound(_)) => Ok(()),
                Err(e) => Err(e.to_string()),
            };
        }
    };
    answer.map(drop).map_err(|e| e.to_string())
}

/// Reset `workflow_id`, unless its latest run was made by this batch's reset.
async fn reset(
    host: &Host,
    workflow_id: &str,
    to: &str,
    reapply: &str,
    reason: String,
) -> Result<(), String> {
    let inspector = host.inspect();
    let latest = inspector.find_run(workflow_id).map_err(|e| e.to_string())?;
    let events = inspector.history_of(&latest).map_err(|e| e.to_string())?;
    if reset_links(&events).0.is_some_and(|(_, _, r)| r == reason) {
        return Ok(());
    }
    let request = ResetRequest {
        to: to.parse::<ResetPoint>()?,
        reapply: reapply.parse::<Reapply>()?,
        reason,
    };
    host.reset(workflow_id, request)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Pause or unpause `workflow_id`; one already in that state counts as done (the
/// batch acting on it again after a restart).
async fn steer(
    host: &Host,
    batch: &BatchRecord,
    workflow_id: &str,
    reason: &str,
) -> Result<(), String> {
    use crate::runtime::SteerError;
    let identity = format!("batch {}", batch.id);
    let answer = match batch.operation {
        BatchOperation::Pause => host.pause(workflow_id, reason, &identity).await,
        _ => host.unpause(workflow_id, reason, &identity).await,
    };
    match answer {
        Ok(_) | Err(SteerError::AlreadyPaused { .. } | SteerError::NotPaused(_)) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

//! Watching a child workflow until it closes for good, on behalf of its parent: through
//! its continue-as-new chain, and through its retries.
//!
//! A child started with a retry policy (`ChildOptions::retry_policy`) whose run fails or
//! times out is started again, as Temporal's server does: the same workflow id, a new
//! run whose start says the next attempt, after the policy's backoff from the failed
//! run's close. The parent sees only the last attempt's end. The execution timeout
//! spans every attempt (a later attempt gets what is left of it; none left: no more
//! attempts). Nothing about a retry is kept but the runs themselves: after a restart,
//! a later attempt that already started is followed, not started again, and the wait
//! before one that did not is what is left of its backoff.

use super::children::{child_request, started_by};
use super::*;
use crate::activities::{next_retry, RetryDecision};
use crate::history::vocab::ChildResolution;
use crate::history::{Failure, PendingChild};
use crate::runtime::HostInner;

/// Wait for the child `child` of `parent`, whose current run is `run_id`, to close.
pub(super) async fn watch(
    host: &Arc<HostInner>,
    parent: &str,
    child: &PendingChild,
    mut run_id: String,
) -> ChildResolution {
    let workflow_id = child.workflow_id();
    loop {
        let outcome = match host.wait(&run_id).await {
            Ok(outcome) => outcome,
            Err(e) => return lost(&workflow_id, format!("cannot be watched: {e}")),
        };
        let failure = match outcome {
            Outcome::Completed(result) => return ChildResolution::Completed(result),
            Outcome::Failed(failure) => failure,
            Outcome::TimedOut(reason) => Failure::new(
                format!("child workflow `{workflow_id}` timed out: {reason}"),
                "weft.TimedOut",
            ),
            Outcome::Cancelled => {
                return ChildResolution::Cancelled(Failure::new(
                    format!("child workflow `{workflow_id}` was cancelled"),
                    "weft.Cancelled",
                ))
            }
            Outcome::Terminated(reason) => {
                return ChildResolution::Terminated(Failure::new(
                    format!("child workflow `{workflow_id}` was terminated: {reason}"),
                    "weft.Terminated",
                ))
            }
            Outcome::ContinuedAsNew => match host.storage.latest_run(&workflow_id) {
                Ok(Some(next)) if next.run_id != run_id => {
                    run_id = next.run_id;
                    continue;
                }
                _ => {
                    return lost(
                        &workflow_id,
                        "continued as new, but its next run is missing",
                    )
                }
            },
        };
        match next_attempt(host, parent, child, &run_id, &failure).await {
            Some(next) => run_id = next,
            None => return ChildResolution::Failed(failure),
        }
    }
}

fn lost(workflow_id: &str, what: impl std::fmt::Display) -> ChildResolution {
    ChildResolution::Failed(Failure::new(
        format!("child workflow `{workflow_id}` {what}"),
        "ChildWorkflowLost",
    ))
}

/// The run of the attempt after `run_id`, which failed with `failure`: one already
/// started (before a restart), or one started after the backoff; `None` when the
/// failure is final (no retry policy, the policy gives up, no execution time left, or
/// the next attempt cannot start).
async fn next_attempt(
    host: &Arc<HostInner>,
    parent: &str,
    child: &PendingChild,
    run_id: &str,
    failure: &Failure,
) -> Option<String> {
    let policy = child.options.retry_policy.as_ref()?;
    let failed = host.storage.run(run_id).ok()??;
    let history = host.read_history(&failed).ok()?;
    let attempt = history.start_job()?.attempt;
    let later =
        started_by(host, &failed.workflow_id, parent, failed.start_ms).filter(|(run, h)| {
            run.run_id != failed.run_id && h.start_job().is_some_and(|s| s.attempt > attempt)
        });
    if let Some((later, _)) = later {
        return Some(later.run_id);
    }
    let RetryDecision::RetryAfter(delay) = next_retry(Some(policy), attempt, failure) else {
        return None;
    };
    let closed_ms = failed.close_ms.unwrap_or_else(|| host.clock.now_ms());
    let at_ms = closed_ms.saturating_add(crate::runtime::clock::millis(delay));
    // The execution timeout spans the attempts: the next gets what is left of it.
    let left = match history.deadlines().1 {
        Some(deadline) if deadline <= at_ms => return None,
        Some(deadline) => Some(std::time::Duration::from_millis(deadline - at_ms)),
        None => None,
    };
    let _woken = host.clock.sleep_until(at_ms).await;
    let handle = host.handle()?;
    // A later attempt keeps the first's priority and fairness.
    let turn = crate::flow::Turn::of_history(&history);
    let request = child_request(host, parent, child, attempt + 1, left, turn);
    match handle.start(request).await {
        Ok(run) => Some(run.run_id),
        Err(e) => {
            tracing::warn!(child = %failed.workflow_id, attempt = attempt + 1, "cannot start the next attempt: {e}");
            None
        }
    }
}

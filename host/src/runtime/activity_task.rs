//! Running a scheduled activity: attempts, timeouts and retries, all timed on the
//! host's clock.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use super::clock::{Busy, Clock};
use super::Message;
use crate::activities::{next_retry, ActivityContext, ActivityRegistry, RetryDecision};
use crate::history::vocab::{ActivityResolution, ResolveActivity};
use crate::history::{Failure, Job, PendingActivity};

/// Who runs an activity and where its reports go.
pub(crate) struct ActivityRun {
    pub registry: ActivityRegistry,
    pub clock: Clock,
    pub workflow_id: String,
    pub run_id: String,
    pub actor: UnboundedSender<Message>,
}

/// Run `pending` until it completes or fails for good, reporting every failed attempt
/// and the final resolution to the execution's actor. `busy` marks the dispatch as
/// work in flight; it is let go only while the activity waits on the clock.
pub(crate) async fn run(task: ActivityRun, pending: PendingActivity, busy: Busy) {
    let ActivityRun {
        registry,
        clock,
        workflow_id,
        run_id,
        actor,
    } = task;
    let s = &pending.schedule;
    let options = &s.options;
    let schedule_deadline = options
        .schedule_to_close_timeout_ms
        .map(|t| pending.scheduled_ms.saturating_add(t));
    let mut attempt = pending.next_attempt;
    let mut busy = clock.sleep_releasing(pending.not_before_ms, busy).await;
    let resolution = loop {
        // The attempt's guard goes into the context, so `ctx.sleep` can let it go.
        let slot = Arc::new(Mutex::new(Some(busy)));
        let ctx = ActivityContext {
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
            activity_type: s.activity_type.clone(),
            seq: s.seq,
            attempt,
            clock: clock.clone(),
            busy: slot.clone(),
        };
        let started = clock.now_ms();
        let mut deadline = started.saturating_add(options.start_to_close_timeout_ms.max(1));
        if let Some(d) = schedule_deadline {
            deadline = deadline.min(d);
        }
        let outcome = tokio::select! {
            result = registry.call(ctx, s.input.clone()) => Ok(result),
            woke = clock.sleep_until(deadline) => Err(woke),
        };
        // The attempt is over: its guard comes back (the timeout's, if the activity
        // was cut off while it slept).
        let held = slot.lock().unwrap().take();
        busy = match (held, &outcome) {
            (Some(held), _) => held,
            (None, Err(woke)) => woke.clone_guard(),
            (None, Ok(_)) => clock.busy(),
        };
        let (failure, timed_out) = match outcome {
            Ok(Ok(output)) => break ActivityResolution::Completed(output),
            Ok(Err(e)) => (e.into_failure(), false),
            // (Bound, so the timeout's guard goes here, not at the end of the loop.)
            Err(_woke) => (
                Failure::new(
                    format!(
                        "activity `{}` attempt {attempt} did not finish within {} ms",
                        s.activity_type,
                        deadline.saturating_sub(started)
                    ),
                    "weft.ActivityTimeout",
                ),
                true,
            ),
        };
        let retry = match next_retry(options.retry_policy.as_ref(), attempt, &failure) {
            RetryDecision::RetryAfter(d) => Some(clock.after(d)),
            RetryDecision::GiveUp => None,
        };
        let retry = retry.filter(|at| schedule_deadline.is_none_or(|d| *at < d));
        let Some(retry_at_ms) = retry else {
            break if timed_out {
                ActivityResolution::TimedOut(failure)
            } else {
                ActivityResolution::Failed(failure)
            };
        };
        let report = Message::AttemptFailed {
            seq: s.seq,
            attempt,
            failure,
            retry_at_ms,
            busy: clock.busy(),
        };
        if actor.send(report).is_err() {
            return;
        }
        attempt += 1;
        busy = clock.sleep_releasing(retry_at_ms, busy).await;
    };
    let job = Job::ResolveActivity(ResolveActivity {
        seq: s.seq,
        resolution,
    });
    let _ = actor.send(Message::Resolve(job, clock.busy()));
    drop(busy);
}

//! Running a scheduled activity: attempts, timeouts and retries.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::{now_ms, Message};
use crate::activities::{next_retry, ActivityContext, ActivityRegistry, RetryDecision};
use crate::contract::{ActivityResolution, Failure, Job, ResolveActivity};
use crate::history::PendingActivity;

/// Run `pending` until it completes or fails for good, reporting every failed attempt
/// and the final resolution to the execution's actor.
pub async fn run(
    registry: ActivityRegistry,
    workflow_id: String,
    run_id: String,
    pending: PendingActivity,
    actor: UnboundedSender<Message>,
) {
    let s = &pending.schedule;
    let options = &s.options;
    let schedule_deadline = options
        .schedule_to_close_timeout_ms
        .map(|t| pending.scheduled_ms.saturating_add(t));
    let mut attempt = pending.next_attempt;
    sleep_until_ms(pending.not_before_ms).await;
    let resolution = loop {
        let ctx = ActivityContext {
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
            activity_type: s.activity_type.clone(),
            seq: s.seq,
            attempt,
        };
        let mut limit = Duration::from_millis(options.start_to_close_timeout_ms.max(1));
        if let Some(deadline) = schedule_deadline {
            limit = limit.min(Duration::from_millis(deadline.saturating_sub(now_ms())));
        }
        let (failure, timed_out) =
            match tokio::time::timeout(limit, registry.call(ctx, s.input.clone())).await {
                Ok(Ok(output)) => break ActivityResolution::Completed(output),
                Ok(Err(e)) => (e.into_failure(), false),
                Err(_) => (
                    Failure::new(
                        format!(
                            "activity `{}` attempt {attempt} did not finish within {} ms",
                            s.activity_type,
                            limit.as_millis()
                        ),
                        "weft.ActivityTimeout",
                    ),
                    true,
                ),
            };
        let retry = match next_retry(options.retry_policy.as_ref(), attempt, &failure) {
            RetryDecision::RetryAfter(d) => Some(now_ms() + d.as_millis() as u64),
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
        };
        if actor.send(report).is_err() {
            return;
        }
        attempt += 1;
        sleep_until_ms(retry_at_ms).await;
    };
    let job = Job::ResolveActivity(ResolveActivity {
        seq: s.seq,
        resolution,
    });
    let _ = actor.send(Message::Resolve(job));
}

pub async fn sleep_until_ms(at_ms: u64) {
    let now = now_ms();
    if at_ms > now {
        tokio::time::sleep(Duration::from_millis(at_ms - now)).await;
    }
}

//! Running a scheduled activity: attempts, timeouts, heartbeats, cancellation and
//! retries, all timed on the host's clock.
//!
//! | while …                  | the workflow cancels it             | the host shuts down           |
//! |--------------------------|-------------------------------------|-------------------------------|
//! | waiting out a backoff    | resolved as cancelled at once       | stays pending (next host)     |
//! | an attempt runs          | told through its context; whatever  | told through its context; its |
//! |                          | it ends with but success resolves   | outcome is recorded if it     |
//! |                          | it as cancelled (no retry)          | ends within the grace period  |
//!
//! When its run closes (completed, failed, cancelled, terminated, timed out) while an
//! attempt runs, the activity is told through its context as if cancelled, so its own
//! cleanup runs; it is stopped only if it still runs 10 s later, and how it ended is
//! logged, there being no run left to record it.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use super::clock::{Busy, Clock};
use super::Message;
use crate::activities::{
    next_retry, ActivityContext, ActivityError, ActivityPools, ActivityRegistry, Ask, Beats,
    Heartbeat, HeartbeatReport, Permit, RetryDecision, Stage, Stop, Waiter,
};
use crate::flow::Turn;
use crate::history::vocab::{ActivityResolution, ResolveActivity};
use crate::history::{Failure, Job, Payload, PendingActivity};
use crate::metrics::ActivityMetrics;

/// Who runs an activity and where its reports go.
pub(crate) struct ActivityRun {
    pub registry: ActivityRegistry,
    /// Slots of the task queues (local activities take none).
    pub pools: ActivityPools,
    pub clock: Clock,
    pub workflow_id: String,
    pub run_id: String,
    pub actor: UnboundedSender<Message>,
    pub stop: Stop,
    /// The activity type's metrics, labelled once per activity.
    pub metrics: ActivityMetrics,
    /// Its run's turn (priority and fairness): under contention, its attempts take
    /// slots in this order, unless the activity set its own.
    pub turn: Turn,
}

/// An attempt's heartbeats go to its run's actor, to be recorded.
#[derive(Debug)]
struct ToActor(UnboundedSender<Message>);

impl HeartbeatReport for ToActor {
    fn report(&self, beat: Heartbeat) {
        let _ = self.0.send(Message::Heartbeat {
            seq: beat.seq,
            attempt: beat.attempt,
            details: beat.details,
            time_ms: beat.time_ms,
            busy: beat.busy,
        });
    }
}

/// Longest backoff a local activity waits out without recording it; a longer one is
/// recorded and the activity waits as an activity does (Temporal's local retry
/// threshold).
pub(crate) const LOCAL_RETRY_THRESHOLD_MS: u64 = 60_000;

/// How an attempt ended.
enum Ended {
    Returned(Result<Payload, ActivityError>),
    /// Cut off by a timeout: start-to-close (or schedule-to-close), or heartbeat.
    TimedOut(Failure),
}

/// Run `pending` until it completes, fails for good or is cancelled, reporting every
/// failed attempt and the final resolution to the execution's actor. `busy` marks the
/// dispatch as work in flight; it is let go only while the activity waits on the clock.
pub(crate) async fn run(task: ActivityRun, pending: PendingActivity, busy: Busy) {
    let ActivityRun {
        registry,
        pools,
        clock,
        workflow_id,
        run_id,
        actor,
        mut stop,
        metrics,
        turn,
    } = task;
    let s = &pending.schedule;
    let options = &s.options;
    let local = pending.local;
    let resolve = |resolution: ActivityResolution| {
        let resolve = ResolveActivity {
            seq: s.seq,
            resolution,
        };
        let kind = resolution_kind(&resolve.resolution);
        let job = if local {
            Job::ResolveLocalActivity(resolve)
        } else {
            Job::ResolveActivity(resolve)
        };
        if actor.send(Message::Resolve(job, clock.busy())).is_err() {
            // The run closed while the activity ran (it was told, as a cancellation).
            tracing::info!(
                run = %run_id,
                activity = %s.activity_type,
                seq = s.seq,
                ended = kind,
                "an activity of a closed run ended"
            );
        }
    };
    let schedule_deadline = options
        .schedule_to_close_timeout_ms
        .map(|t| pending.scheduled_ms.saturating_add(t));
    let mut attempt = pending.next_attempt;
    let mut details = pending
        .last_heartbeat
        .as_ref()
        .and_then(|h| h.details.clone());
    let Some(mut busy) = backoff(&clock, &mut stop.cancel, pending.not_before_ms, busy).await
    else {
        return resolve(ActivityResolution::Cancelled(cancelled_failure(s)));
    };
    let queue = options.task_queue.as_deref();
    // When the next attempt is due: its schedule-to-start latency runs from here.
    let mut due_ms = pending.not_before_ms.max(pending.scheduled_ms);
    let resolution = loop {
        let permit = if local {
            None
        } else {
            let wanted = Wanted {
                ask: Ask {
                    queue,
                    turn: turn.with(&pending.flow),
                    activity_type: &s.activity_type,
                    concurrency_key: pending.flow.concurrency_key.as_deref(),
                },
                waits: &metrics.waits,
                run_id: &run_id,
                seq: s.seq,
            };
            match take_slot(
                &pools,
                wanted,
                options.schedule_to_start_timeout_ms,
                &clock,
                &mut stop,
                busy,
            )
            .await
            {
                Ok((permit, held)) => {
                    busy = held;
                    let waited_ms = clock.now_ms().saturating_sub(due_ms);
                    metrics
                        .schedule_to_start_seconds
                        .observe(waited_ms as f64 / 1000.0);
                    Some(permit)
                }
                Err(Refused::Resolve(resolution)) => break resolution,
                Err(Refused::Cancelled) => {
                    break ActivityResolution::Cancelled(cancelled_failure(s))
                }
            }
        };
        // The attempt's guard goes into the context, so `ctx.sleep` can let it go.
        let slot = Arc::new(Mutex::new(Some(busy)));
        let started = clock.now_ms();
        let beats = Arc::new(Mutex::new(Beats::new(
            started,
            details.take(),
            options.heartbeat_timeout_ms,
            (!local).then(|| Arc::new(ToActor(actor.clone())) as Arc<dyn HeartbeatReport>),
        )));
        let ctx = ActivityContext {
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
            activity_type: s.activity_type.clone(),
            seq: s.seq,
            attempt,
            clock: clock.clone(),
            busy: slot.clone(),
            beats: beats.clone(),
            stop: stop.clone(),
            metrics: metrics.custom.clone(),
        };
        let mut deadline = started.saturating_add(options.start_to_close_timeout_ms.max(1));
        if let Some(d) = schedule_deadline {
            deadline = deadline.min(d);
        }
        metrics.attempts.inc();
        let began = std::time::Instant::now();
        // Off at the default log level, so it costs nothing there; `WEFT_LOG=debug`
        // (or an exporter's filter) turns it on.
        let span = tracing::debug_span!(
            "activity_attempt",
            activity_type = %s.activity_type,
            workflow_id = %workflow_id,
            seq = s.seq,
            attempt
        );
        let mut call =
            tracing::Instrument::instrument(registry.call_on(queue, ctx, s.input.clone()), span);
        let ended = loop {
            let (heartbeat_deadline, flush_at) = {
                let b = beats.lock().unwrap();
                (
                    b.heartbeat_deadline(options.heartbeat_timeout_ms),
                    b.flush_at(),
                )
            };
            let wake = [Some(deadline), heartbeat_deadline, flush_at]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(deadline);
            tokio::select! {
                result = &mut call => break Ended::Returned(result),
                woke = clock.sleep_until(wake) => {
                    let now = clock.now_ms();
                    let mut b = beats.lock().unwrap();
                    if b.flush_at().is_some_and(|at| at <= now) {
                        b.send(s.seq, attempt, &clock);
                    }
                    let timed_out = if now >= deadline {
                        Some(Failure::new(
                            format!(
                                "activity `{}` attempt {attempt} did not finish within {} ms",
                                s.activity_type,
                                deadline.saturating_sub(started)
                            ),
                            "weft.ActivityTimeout",
                        ))
                    } else if b
                        .heartbeat_deadline(options.heartbeat_timeout_ms)
                        .is_some_and(|at| now >= at)
                    {
                        Some(Failure::new(
                            format!(
                                "activity `{}` attempt {attempt} did not heartbeat within {} ms",
                                s.activity_type,
                                options.heartbeat_timeout_ms.unwrap_or(0)
                            ),
                            "weft.ActivityHeartbeatTimeout",
                        ))
                    } else {
                        None
                    };
                    drop(b);
                    if let Some(failure) = timed_out {
                        // The timeout's guard stands in if the activity's is out.
                        let mut held = slot.lock().unwrap();
                        if held.is_none() {
                            *held = Some(woke);
                        }
                        break Ended::TimedOut(failure);
                    }
                }
            }
        };
        drop(call);
        drop(permit);
        metrics
            .attempt_seconds
            .observe(began.elapsed().as_secs_f64());
        if !matches!(ended, Ended::Returned(Ok(_))) {
            metrics.failures.inc();
        }
        // The attempt is over: its guard comes back.
        busy = slot.lock().unwrap().take().unwrap_or_else(|| clock.busy());
        let unsent = {
            let b = beats.lock().unwrap();
            details = b.details.clone();
            b.unsent
        };
        let cancelled = *stop.cancel.borrow();
        let (failure, timed_out) = match ended {
            Ended::Returned(Ok(output)) => break ActivityResolution::Completed(output),
            Ended::Returned(Err(e)) => (e.into_failure(), false),
            Ended::TimedOut(failure) => (failure, true),
        };
        if cancelled {
            // Whatever a cancelled activity ends with (but success) is its cancellation.
            break ActivityResolution::Cancelled(failure);
        }
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
        if local && retry_at_ms.saturating_sub(clock.now_ms()) <= LOCAL_RETRY_THRESHOLD_MS {
            // A short backoff is waited out in place, unrecorded.
            attempt += 1;
            due_ms = retry_at_ms;
            match backoff(&clock, &mut stop.cancel, retry_at_ms, busy).await {
                Some(woke) => busy = woke,
                None => break ActivityResolution::Cancelled(cancelled_failure(s)),
            }
            continue;
        }
        // The next attempt reads the last details: record them first.
        if unsent {
            beats.lock().unwrap().send(s.seq, attempt, &clock);
        }
        let report = Message::AttemptFailed {
            seq: s.seq,
            attempt,
            local,
            failure,
            retry_at_ms,
            busy: clock.busy(),
        };
        if actor.send(report).is_err() {
            return;
        }
        attempt += 1;
        due_ms = retry_at_ms;
        match backoff(&clock, &mut stop.cancel, retry_at_ms, busy).await {
            Some(woke) => busy = woke,
            None => break ActivityResolution::Cancelled(cancelled_failure(s)),
        }
    };
    resolve(resolution);
}

/// Why an attempt did not get a slot to run in.
enum Refused {
    /// It ends the activity: an unserved task queue, a schedule-to-start timeout.
    Resolve(ActivityResolution),
    Cancelled,
}

/// Take a slot of the activity's task queue (and of the host) for one attempt, waiting
/// at most the schedule-to-start timeout. A wait for a slot is not work in flight (the
/// virtual clock may move meanwhile): `busy` is let go while it lasts.
/// The slot an attempt asks for, and whose attempt it is (for `describe`).
struct Wanted<'a> {
    ask: Ask<'a>,
    /// Counts the attempt by what it first waits for, if it waits.
    waits: &'a prometheus::IntCounterVec,
    run_id: &'a str,
    seq: u32,
}

async fn take_slot(
    pools: &ActivityPools,
    wanted: Wanted<'_>,
    schedule_to_start_ms: Option<u64>,
    clock: &Clock,
    stop: &mut Stop,
    busy: Busy,
) -> Result<(Permit, Busy), Refused> {
    let ready_ms = clock.now_ms();
    let ask = &wanted.ask;
    let queue = ask.queue;
    let stage = Arc::new(Stage::default());
    let mut acquire = Box::pin(pools.acquire_staged(ask, &stage));
    let taken = match futures::FutureExt::now_or_never(&mut acquire) {
        Some(taken) => Ok((taken, busy)),
        None => {
            drop(busy);
            let waiter = Waiter {
                queue: queue
                    .unwrap_or(crate::activities::DEFAULT_QUEUE)
                    .to_string(),
                activity_type: ask.activity_type.to_string(),
                key: ask.concurrency_key.map(str::to_string),
            };
            let _noted = pools.note_wait(wanted.run_id, wanted.seq, waiter, stage.clone());
            wanted.waits.with_label_values(&[stage.get().name()]).inc();
            let deadline = schedule_to_start_ms.map(|t| ready_ms.saturating_add(t));
            let timeout = async {
                match deadline {
                    Some(at) => clock.sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                taken = &mut acquire => Ok((taken, clock.busy())),
                Ok(_) = stop.cancel.wait_for(|c| *c) => Err(Refused::Cancelled),
                _woke = timeout => Err(Refused::Resolve(ActivityResolution::TimedOut(
                    Failure::new(
                        format!(
                            "no slot on task queue `{}` within the schedule-to-start timeout of {} ms",
                            queue.unwrap_or(crate::activities::DEFAULT_QUEUE),
                            schedule_to_start_ms.unwrap_or(0)
                        ),
                        "weft.ActivityScheduleToStartTimeout",
                    )
                    .non_retryable(),
                ))),
            }
        }
    };
    match taken {
        Ok((Ok(permit), busy)) => Ok((permit, busy)),
        Ok((Err(e), _)) => Err(Refused::Resolve(ActivityResolution::Failed(
            ActivityError::from(e).into_failure(),
        ))),
        Err(refused) => Err(refused),
    }
}

/// Wait until `at_ms` unless the activity is cancelled first (then `None`).
async fn backoff(
    clock: &Clock,
    cancel: &mut watch::Receiver<bool>,
    at_ms: u64,
    busy: Busy,
) -> Option<Busy> {
    if *cancel.borrow() {
        return None;
    }
    tokio::select! {
        woke = clock.sleep_releasing(at_ms, busy) => Some(woke),
        Ok(_) = cancel.wait_for(|c| *c) => None,
    }
}

fn cancelled_failure(s: &crate::history::ScheduleActivity) -> Failure {
    Failure::new(
        format!(
            "activity `{}` was cancelled before its next attempt",
            s.activity_type
        ),
        crate::activities::CANCELLED,
    )
}

/// How an activity ended, in a word for the log.
fn resolution_kind(resolution: &ActivityResolution) -> &'static str {
    match resolution {
        ActivityResolution::Completed(_) => "completed",
        ActivityResolution::Failed(_) => "failed",
        ActivityResolution::Cancelled(_) => "cancelled",
        ActivityResolution::TimedOut(_) => "timed out",
    }
}

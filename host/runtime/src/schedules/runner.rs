//! The task that acts on schedules as their slots come due, and the watchers that
//! wake it when a running action closes (a buffered one may start then).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use tokio::sync::Notify;

use super::action;
use super::overlap::{Decision, OverlapPolicy};
use super::record::{Buffered, ScheduleRecord};
use super::spec::CompiledSpec;
use super::{save, Inner, ScheduleError};
use crate::runtime::{Clock, Host};

/// Most slots one schedule handles in one go; the runner comes back for the rest.
const SLOTS_PER_PASS: usize = 10_000;

/// Act on schedules until the host or the schedules are gone.
pub(super) async fn serve(inner: Weak<Inner>, changed: Arc<Notify>, clock: Clock) {
    loop {
        let (next, clustered) = {
            let Some(inner) = inner.upgrade() else { return };
            let schedules = inner.schedules.lock().await;
            let Some(host) = inner.host.upgrade() else {
                return;
            };
            let served = schedules.values().filter(|r| host.serves(&r.id));
            (served.filter_map(next_due).min(), host.in_cluster())
        };
        // In a cluster, shards come and go: look again every second.
        let next = match clustered {
            true => Some(next.unwrap_or(u64::MAX).min(clock.now_ms() + 1_000)),
            false => next,
        };
        let sleep = next.map(|at| clock.sleep_until(at));
        let busy = match sleep {
            Some(sleep) => tokio::select! {
                busy = sleep => Some(busy),
                () = changed.notified() => None,
            },
            None => {
                changed.notified().await;
                None
            }
        };
        let Some(inner) = inner.upgrade() else { return };
        // The host is held only under the lock, so `Schedules::stop` (which takes the
        // lock) knows no pass holds it once it returns.
        let mut schedules = inner.schedules.lock().await;
        if inner.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let Some(host) = inner.host.upgrade() else {
            return;
        };
        if let Err(e) = inner.refresh(&host, &mut schedules, false) {
            tracing::error!("cannot read the schedules: {e}");
        }
        pass(&inner, &host, &mut schedules).await;
        drop(host);
        drop(schedules);
        // The clock may move on once every due action is durable.
        drop(busy);
    }
}

/// When the runner must next look at `record`.
fn next_due(record: &ScheduleRecord) -> Option<u64> {
    if record.state.running.is_empty() && !record.state.buffered.is_empty() {
        return Some(0);
    }
    if record.state.paused {
        return None;
    }
    let spec = CompiledSpec::new(&record.schedule.spec).ok()?;
    let slot = spec.next_after(record.state.last_processed_ms)?;
    Some(slot.saturating_add(spec.jitter(&record.id, slot)))
}

/// Bring every schedule up to now.
async fn pass(inner: &Arc<Inner>, host: &Host, schedules: &mut HashMap<String, ScheduleRecord>) {
    let now = host.clock().now_ms();
    for record in schedules.values_mut().filter(|r| host.serves(&r.id)) {
        let before = record.clone();
        let mut updated = record.clone();
        if let Err(e) = catch_up(inner, host, &mut updated, now).await {
            tracing::warn!(schedule = %record.id, "schedule: {e}");
        }
        if updated != before {
            match save(host, &updated).await {
                Ok(()) => *record = updated,
                Err(e) => tracing::error!(schedule = %record.id, "schedule not saved: {e}"),
            }
        }
    }
}

/// Start what waits in the buffer, then act on every slot due up to `now`.
async fn catch_up(
    inner: &Arc<Inner>,
    host: &Host,
    record: &mut ScheduleRecord,
    now: u64,
) -> Result<(), ScheduleError> {
    action::refresh_running(host, record)?;
    start_buffered(inner, host, record).await;
    if record.state.paused {
        record.state.last_processed_ms = record.state.last_processed_ms.max(now);
        return Ok(());
    }
    let spec = CompiledSpec::new(&record.schedule.spec)?;
    let window = record.schedule.policies.catchup_window_ms;
    // Slots older than the catch-up window are missed without looking at each.
    let too_old = now
        .saturating_sub(window.saturating_add(record.schedule.spec.jitter_ms))
        .saturating_sub(1);
    if too_old > record.state.last_processed_ms {
        let missed = spec.slots(record.state.last_processed_ms, too_old, SLOTS_PER_PASS);
        record.state.missed_catchup += missed.len() as u64;
        record.state.last_processed_ms = too_old;
    }
    let policy = record.schedule.policies.overlap;
    for slot in spec.slots(record.state.last_processed_ms, now, SLOTS_PER_PASS) {
        let due = slot.saturating_add(spec.jitter(&record.id, slot));
        if due > now {
            break;
        }
        record.state.last_processed_ms = slot;
        if now - due > window {
            record.state.missed_catchup += 1;
            continue;
        }
        act(inner, host, record, slot, false, policy).await?;
    }
    Ok(())
}

/// Start buffered actions while nothing of the schedule runs.
async fn start_buffered(inner: &Arc<Inner>, host: &Host, record: &mut ScheduleRecord) {
    while record.state.running.is_empty() {
        let Some(next) = record.state.buffered.pop_front() else {
            break;
        };
        if let Err(e) = action::start(host, record, next.scheduled_ms, next.triggered).await {
            tracing::warn!(schedule = %record.id, "buffered action dropped: {e}");
        }
        watch_running(inner, host, record);
    }
}

/// Take the action for `scheduled_ms` under `policy`.
pub(super) async fn act(
    inner: &Arc<Inner>,
    host: &Host,
    record: &mut ScheduleRecord,
    scheduled_ms: u64,
    triggered: bool,
    policy: OverlapPolicy,
) -> Result<(), ScheduleError> {
    action::refresh_running(host, record)?;
    let buffered = Buffered {
        scheduled_ms,
        triggered,
    };
    let running = !record.state.running.is_empty();
    match policy.decide(running, record.state.buffered.len()) {
        Decision::Start => action::start(host, record, scheduled_ms, triggered).await?,
        Decision::Buffer { replace } => {
            if replace {
                record.state.buffered.clear();
            }
            record.state.buffered.push_back(buffered);
        }
        Decision::Skip => record.state.skipped_overlap += 1,
        Decision::CancelThenBuffer => {
            action::stop_running(host, record, false).await;
            record.state.buffered.clear();
            record.state.buffered.push_back(buffered);
        }
        Decision::TerminateThenStart => {
            action::stop_running(host, record, true).await;
            action::refresh_running(host, record)?;
            action::start(host, record, scheduled_ms, triggered).await?;
        }
    }
    watch_running(inner, host, record);
    Ok(())
}

/// Wake the runner when any run the schedule started closes (once per run).
pub(super) fn watch_running(inner: &Arc<Inner>, host: &Host, record: &ScheduleRecord) {
    for run in &record.state.running {
        if !inner.watched.lock().unwrap().insert(run.run_id.clone()) {
            continue;
        }
        let closed = match host.on_close(&run.run_id) {
            Ok(closed) => closed,
            Err(e) => {
                tracing::warn!(run = %run.run_id, "schedule cannot watch its run: {e}");
                None
            }
        };
        let inner = Arc::downgrade(inner);
        let run_id = run.run_id.clone();
        tokio::spawn(async move {
            if let Some(closed) = closed {
                let _ = closed.await;
            }
            if let Some(inner) = inner.upgrade() {
                inner.watched.lock().unwrap().remove(&run_id);
                inner.changed.notify_one();
            }
        });
    }
}

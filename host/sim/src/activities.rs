//! The simulated outside world's activity: `sim_work`. Each execution is written to the
//! ledger (which outlives crashes) and checks, as it starts, that the host acts only on
//! what it recorded: its `ScheduleActivity` is in the run's history, and no result of
//! it is there yet.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sim_workload::{work_value, Work};
use weft_runtime::activities::{ActivityContext, ActivityError, ActivityRegistry};
use weft_runtime::history::{Command, Event, Job};
use weft_runtime::runtime::WeakHost;

use crate::disk::SimDisk;
use crate::ledger::{Execution, Ledger};

/// What the activity needs of the current generation.
#[derive(Default)]
pub struct Generation {
    pub host: Option<WeakHost>,
    pub disk: Option<SimDisk>,
    pub number: u32,
    pub seed: u64,
}

/// The activities of a simulated host, writing to `ledger`.
pub fn registry(ledger: Arc<Mutex<Ledger>>, current: Arc<Mutex<Generation>>) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    registry.register_fn("sim_work", move |ctx: ActivityContext, work: Work| {
        let started = started(&ledger, &current, &ctx);
        let latency = latency(started, &ctx);
        async move {
            ctx.sleep(Duration::from_millis(latency)).await;
            if ctx.attempt <= work.fails {
                return Err(ActivityError::retryable(format!(
                    "attempt {} of key {} fails, as planned",
                    ctx.attempt, work.key
                )));
            }
            Ok(work_value(work.key))
        }
    });
    registry
}

/// Record the execution and check the history; returns the seed for its latency.
fn started(ledger: &Mutex<Ledger>, current: &Mutex<Generation>, ctx: &ActivityContext) -> u64 {
    let current = current.lock().unwrap();
    let severed = current.disk.as_ref().is_some_and(SimDisk::severed);
    let host = current.host.as_ref().and_then(WeakHost::upgrade);
    let (Some(host), false) = (host, severed) else {
        return current.seed;
    };
    let mut ledger = ledger.lock().unwrap();
    if let Some(unsynced) = unsynced_while_healthy(current.disk.as_ref(), &host) {
        ledger.violations.push(format!(
            "acted before durable: activity {} of run {} started with {unsynced} disk writes unsynced",
            ctx.seq, ctx.run_id
        ));
    }
    ledger.executions.push(Execution {
        run_id: ctx.run_id.clone(),
        seq: ctx.seq,
        attempt: ctx.attempt,
        generation: current.number,
    });
    let events = host.history(&ctx.run_id).unwrap_or_default();
    let scheduled = events.iter().any(|e| {
        matches!(e, Event::Command(c) if matches!(&c.command,
            Command::ScheduleActivity(s) if s.seq == ctx.seq))
    });
    let resolved = events
        .iter()
        .any(|e| matches!(e, Event::Job(Job::ResolveActivity(r)) if r.seq == ctx.seq));
    if !scheduled {
        ledger.violations.push(format!(
            "acted before durable: activity {} of run {} started, its schedule not recorded",
            ctx.seq, ctx.run_id
        ));
    }
    if resolved {
        ledger.violations.push(format!(
            "activity applied twice: activity {} of run {} started again after its result was recorded",
            ctx.seq, ctx.run_id
        ));
    }
    current.seed
}

/// The disk's unsynced writes, when there are some and the host has not failed: every
/// commit syncs before the host acts on it, so a healthy host that acts (starts an
/// activity, acknowledges a request) has nothing unsynced.
pub fn unsynced_while_healthy(
    disk: Option<&SimDisk>,
    host: &weft_runtime::runtime::Host,
) -> Option<usize> {
    let unsynced = disk?.unsynced();
    (unsynced > 0 && host.failure().is_none()).then_some(unsynced)
}

/// A latency of up to two seconds, a function of the seed and the attempt.
fn latency(seed: u64, ctx: &ActivityContext) -> u64 {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for b in ctx.run_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h = (h ^ u64::from(ctx.seq) << 32 ^ u64::from(ctx.attempt)).wrapping_mul(0x100_0000_01b3);
    h % 2_000
}

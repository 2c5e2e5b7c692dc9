//! Durable timers: one loop serves every run's timers in fire-time order.
//!
//! A timer is written to the storage's timer table in the same commit as the
//! `start-timer` command that asked for it, and removed in the commit that records its
//! `fire-timer` job (or its cancellation, or the run's close). The loop keeps the same
//! set in memory, sleeps on the host's [`Clock`] until the soonest is due and hands it
//! to its run's actor. A host that restarts loads the table and fires what came due
//! while it was down.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

use super::clock::{Busy, Clock};
use super::{HostInner, Message};
use crate::history::Job;
use crate::storage::TimerRow;

type Key = (u64, String, u32);

fn key(row: &TimerRow) -> Key {
    (row.fire_at_ms, row.run_id.clone(), row.seq)
}

/// The in-memory side of the timer table.
#[derive(Default)]
pub(crate) struct Timers {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Default)]
struct State {
    queue: BTreeSet<Key>,
    /// Guards of arms the loop has not looked at yet: the clock must not skip past a
    /// timer the loop does not know of.
    unseen: Vec<Busy>,
}

impl Timers {
    /// Arm a timer whose row is durable. `busy` is released once the loop has seen it.
    pub fn arm(&self, row: &TimerRow, busy: Busy) {
        let mut state = self.state.lock().unwrap();
        state.queue.insert(key(row));
        state.unseen.push(busy);
        drop(state);
        self.changed.notify_one();
    }

    /// Forget a timer (cancelled, or its run closed).
    pub fn disarm(&self, row: &TimerRow) {
        self.state.lock().unwrap().queue.remove(&key(row));
    }
}

/// Serve `host`'s timers until the host is gone.
pub(crate) async fn serve(host: Weak<HostInner>, clock: Clock, timers: Arc<Timers>) {
    loop {
        let (next, seen) = {
            let mut state = timers.state.lock().unwrap();
            let next = state.queue.first().map(|k| k.0);
            (next, std::mem::take(&mut state.unseen))
        };
        // The sleep is registered with the clock before the guards go.
        let sleep = next.map(|at| clock.sleep_until(at));
        drop(seen);
        let woke = match sleep {
            Some(sleep) => tokio::select! {
                busy = sleep => Some(busy),
                _ = timers.changed.notified() => None,
            },
            None => {
                timers.changed.notified().await;
                None
            }
        };
        let Some(_busy) = woke else { continue };
        let Some(host) = host.upgrade() else { return };
        let now = clock.now_ms();
        let due: Vec<Key> = {
            let mut state = timers.state.lock().unwrap();
            let mut due = Vec::new();
            while state.queue.first().is_some_and(|k| k.0 <= now) {
                due.extend(state.queue.pop_first());
            }
            due
        };
        for (_, run_id, seq) in due {
            let job = Message::Resolve(Job::FireTimer(seq), clock.busy());
            if !host.send(&run_id, job) {
                // No actor: the run closed, or stopped on a storage failure. The row
                // stays; a restarted host fires it again.
                tracing::debug!(run = %run_id, seq, "timer fired for a run that is not active");
            }
        }
    }
}

//! The host's clock: the system clock, or a virtual one for tests that skips ahead.
//!
//! Everything in the runtime that reads or waits on time goes through [`Clock`]: the
//! time of activations, timers, activity retry backoff and timeouts, workflow task
//! retries. The virtual clock only moves when told to ([`Clock::skip`]) or, with auto
//! skip, when the host is idle: when no work is in flight (nothing holds a [`Busy`]
//! guard), it jumps to the earliest deadline anyone sleeps on and wakes that sleeper.
//!
//! Work in flight holds a [`Busy`] guard: a message on its way to an execution, a
//! workflow task until its commands are recorded and acted on, a running activity
//! attempt. A sleeper woken by a skip gets a guard with its wake-up, so the clock does
//! not skip again before the sleeper has handed its work on. With the system clock the
//! guards cost nothing.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::oneshot;

/// Longest single real sleep; longer waits re-check the clock (wall-clock jumps,
/// and tokio's limit on far-future deadlines).
const MAX_REAL_SLEEP: Duration = Duration::from_secs(24 * 3600);

/// Where the host reads the time.
#[derive(Clone, Default)]
pub struct Clock {
    virt: Option<Arc<Virtual>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.virt {
            None => write!(f, "Clock::System"),
            Some(v) => write!(f, "Clock::Virtual({} ms)", v.state.lock().unwrap().now_ms),
        }
    }
}

struct Virtual {
    state: Mutex<State>,
    auto_skip: bool,
}

struct State {
    now_ms: u64,
    busy: usize,
    next_id: u64,
    /// (deadline, id) → who to wake.
    sleepers: BTreeMap<(u64, u64), oneshot::Sender<Busy>>,
}

/// Milliseconds since the Unix epoch on the system clock.
pub fn system_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(millis)
        .unwrap_or(0)
}

/// `duration` in whole milliseconds, saturating at `u64::MAX`.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { virt: None }
    }

    /// A virtual clock at `start_ms`; with `auto_skip` it jumps to the next deadline
    /// whenever the host is idle.
    pub fn virtual_at(start_ms: u64, auto_skip: bool) -> Clock {
        Clock {
            virt: Some(Arc::new(Virtual {
                state: Mutex::new(State {
                    now_ms: start_ms,
                    busy: 0,
                    next_id: 0,
                    sleepers: BTreeMap::new(),
                }),
                auto_skip,
            })),
        }
    }

    pub fn is_virtual(&self) -> bool {
        self.virt.is_some()
    }

    /// Milliseconds since the Unix epoch, now.
    pub fn now_ms(&self) -> u64 {
        match &self.virt {
            None => system_now_ms(),
            Some(v) => v.state.lock().unwrap().now_ms,
        }
    }

    /// The time `after` from now, saturating.
    pub fn after(&self, after: Duration) -> u64 {
        self.now_ms().saturating_add(millis(after))
    }

    /// Wait for `at_ms` without counting as work in flight meanwhile: `busy` is let go
    /// once the wait is registered, and the wake-up's guard is returned.
    pub async fn sleep_releasing(&self, at_ms: u64, busy: Busy) -> Busy {
        let sleep = self.sleep_until(at_ms);
        drop(busy);
        sleep.await
    }

    /// Mark work in flight until the guard is dropped (virtual clock only).
    pub fn busy(&self) -> Busy {
        match &self.virt {
            None => Busy(None),
            Some(v) => {
                v.state.lock().unwrap().busy += 1;
                Busy(Some(v.clone()))
            }
        }
    }

    /// Wait until the clock reads `at_ms` or later. The wait is registered at once (not
    /// at the first poll), so a caller holding a [`Busy`] guard can be sure the clock
    /// knows of it before the guard goes. The future yields a guard that keeps the
    /// clock from skipping on until the caller has acted on the wake-up.
    pub fn sleep_until(&self, at_ms: u64) -> Sleep {
        match &self.virt {
            None => Sleep(SleepState::System { at_ms, sleep: None }),
            Some(v) => {
                let mut state = v.state.lock().unwrap();
                if at_ms <= state.now_ms {
                    state.busy += 1;
                    return Sleep(SleepState::Ready(Some(Busy(Some(v.clone())))));
                }
                let id = state.next_id;
                state.next_id += 1;
                let (tx, rx) = oneshot::channel();
                state.sleepers.insert((at_ms, id), tx);
                drop(state);
                v.maybe_skip();
                Sleep(SleepState::Virtual {
                    rx,
                    key: (at_ms, id),
                    clock: v.clone(),
                })
            }
        }
    }

    /// The earliest time a sleeper waits for on a virtual clock (`None`: nobody
    /// sleeps, or the system clock). A simulator that drives the clock by hand skips to
    /// it when nothing else is left to do.
    pub fn next_deadline(&self) -> Option<u64> {
        let v = self.virt.as_ref()?;
        let state = v.state.lock().unwrap();
        state.sleepers.keys().next().map(|&(at, _)| at)
    }

    /// Move a virtual clock forward to `at_ms` (never back), waking every sleeper due
    /// by then. Does nothing to the system clock.
    pub fn skip_to(&self, at_ms: u64) {
        if let Some(v) = &self.virt {
            let mut state = v.state.lock().unwrap();
            state.now_ms = state.now_ms.max(at_ms);
            let now = state.now_ms;
            Virtual::wake_due(&mut state, v, now);
        }
    }

    /// Move a virtual clock forward by `by` (waking every sleeper due by then). Does
    /// nothing to the system clock.
    pub fn skip(&self, by: Duration) {
        if let Some(v) = &self.virt {
            let mut state = v.state.lock().unwrap();
            state.now_ms = state.now_ms.saturating_add(millis(by));
            let now = state.now_ms;
            Virtual::wake_due(&mut state, v, now);
        }
    }
}

impl Virtual {
    /// With auto skip and nothing in flight, jump to the earliest deadline.
    fn maybe_skip(self: &Arc<Self>) {
        if !self.auto_skip {
            return;
        }
        let mut state = self.state.lock().unwrap();
        if state.busy > 0 {
            return;
        }
        let Some(&(at, _)) = state.sleepers.keys().next() else {
            return;
        };
        state.now_ms = state.now_ms.max(at);
        let now = state.now_ms;
        Virtual::wake_due(&mut state, self, now);
    }

    fn wake_due(state: &mut State, clock: &Arc<Virtual>, now: u64) {
        while let Some(entry) = state.sleepers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let waker = entry.remove();
            state.busy += 1;
            // If the sleeper is gone, take its guard back by hand: dropping it would
            // take the lock we hold.
            if let Err(mut guard) = waker.send(Busy(Some(clock.clone()))) {
                guard.0.take();
                state.busy -= 1;
            }
        }
    }
}

/// Work in flight: while any guard lives, a virtual clock does not skip.
#[must_use = "the work counts as in flight only while the guard lives"]
pub struct Busy(Option<Arc<Virtual>>);

impl Busy {
    /// A guard that marks nothing (for code paths without a clock at hand).
    pub fn none() -> Busy {
        Busy(None)
    }

    /// Another guard on the same clock.
    pub fn clone_guard(&self) -> Busy {
        if let Some(v) = &self.0 {
            v.state.lock().unwrap().busy += 1;
        }
        Busy(self.0.clone())
    }
}

impl std::fmt::Debug for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Busy")
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(v) = self.0.take() {
            let idle = {
                let mut state = v.state.lock().unwrap();
                state.busy -= 1;
                state.busy == 0
            };
            if idle {
                v.maybe_skip();
            }
        }
    }
}

/// A wait on the clock; see [`Clock::sleep_until`].
pub struct Sleep(SleepState);

enum SleepState {
    System {
        at_ms: u64,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    },
    Ready(Option<Busy>),
    Virtual {
        rx: oneshot::Receiver<Busy>,
        key: (u64, u64),
        clock: Arc<Virtual>,
    },
}

impl Future for Sleep {
    type Output = Busy;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Busy> {
        match &mut self.get_mut().0 {
            SleepState::Ready(guard) => Poll::Ready(guard.take().unwrap_or(Busy(None))),
            SleepState::Virtual { rx, .. } => match Pin::new(rx).poll(cx) {
                Poll::Ready(Ok(guard)) => Poll::Ready(guard),
                // The clock is gone: nothing will ever wake us.
                Poll::Ready(Err(_)) => Poll::Pending,
                Poll::Pending => Poll::Pending,
            },
            SleepState::System { at_ms, sleep } => loop {
                if let Some(s) = sleep {
                    if s.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                let now = system_now_ms();
                if now >= *at_ms {
                    return Poll::Ready(Busy(None));
                }
                let wait = Duration::from_millis(*at_ms - now).min(MAX_REAL_SLEEP);
                *sleep = Some(Box::pin(tokio::time::sleep(wait)));
            },
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let SleepState::Virtual { key, clock, .. } = &self.0 {
            // A wait given up (a timeout that lost a race) must not draw the clock on.
            clock.state.lock().unwrap().sleepers.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn auto_skip_jumps_to_the_earliest_deadline_when_idle() {
        let clock = Clock::virtual_at(1_000, true);
        let busy = clock.busy();
        let late = clock.sleep_until(1_000 + 30 * 86_400_000);
        let early = clock.sleep_until(5_000);
        assert_eq!(clock.now_ms(), 1_000, "no skip while busy");
        drop(busy);
        let guard = early.await;
        assert_eq!(clock.now_ms(), 5_000);
        drop(guard);
        let _ = late.await;
        assert_eq!(clock.now_ms(), 1_000 + 30 * 86_400_000);
    }

    #[tokio::test]
    async fn an_abandoned_wait_does_not_move_the_clock() {
        let clock = Clock::virtual_at(0, true);
        let busy = clock.busy();
        drop(clock.sleep_until(10_000));
        let near = clock.sleep_until(20);
        drop(busy);
        let _ = near.await;
        assert_eq!(clock.now_ms(), 20);
    }

    #[tokio::test]
    async fn manual_skip_wakes_what_is_due() {
        let clock = Clock::virtual_at(0, false);
        let sleep = clock.sleep_until(100);
        clock.skip(Duration::from_millis(99));
        assert_eq!(clock.now_ms(), 99);
        clock.skip(Duration::from_millis(1));
        let _ = sleep.await;
        clock.skip(Duration::MAX);
        assert_eq!(clock.now_ms(), u64::MAX);
    }

    #[tokio::test]
    async fn next_deadline_names_the_earliest_sleeper_and_skip_to_reaches_it() {
        let clock = Clock::virtual_at(0, false);
        assert_eq!(clock.next_deadline(), None);
        let late = clock.sleep_until(300);
        let early = clock.sleep_until(100);
        assert_eq!(clock.next_deadline(), Some(100));
        clock.skip_to(100);
        drop(early.await);
        assert_eq!(clock.next_deadline(), Some(300));
        clock.skip_to(50);
        assert_eq!(clock.now_ms(), 100, "never back");
        drop(late);
        assert_eq!(clock.next_deadline(), None);
        assert_eq!(Clock::system().next_deadline(), None);
    }

    #[tokio::test]
    async fn system_clock_sleeps_in_real_time() {
        let clock = Clock::system();
        let at = clock.now_ms() + 20;
        let _ = clock.sleep_until(at).await;
        assert!(clock.now_ms() >= at);
    }
}

//! Starts that wait before they run: debounced starts (`crate::flow::Debouncer`),
//! starts past their type's start rate (`crate::flow::StartRates`) and the runs of a
//! cron schedule (`weft start --cron`), which wait for the spec's next slot after their
//! start.
//!
//! Such a start is recorded as a start past a workflow limit is (`pending`: its record
//! and opening events, its start job pending, in one durable commit) and answered at
//! once. Its actor is *held*: it waits until the start's gate opens, at its *release*
//! time, the later of its debounce due time and its start-rate token. Then the run
//! goes on as a new start would: under its type's workflow limit, if any, it takes a
//! slot or waits in line.
//!
//! | the held run …                          | what happens                                  |
//! |-----------------------------------------|-----------------------------------------------|
//! | reaches its release time, newest of key | it leaves the gate and runs (or lines up)     |
//! | is superseded (a later start of its key)| it is terminated, naming the run after it     |
//! | is cancelled or terminated              | it closes without running; it leaves the gate |
//!
//! Nothing is stored apart from the runs. An opening host finds a held debounced run
//! when it builds the run's actor (its history has `Event::Debounced` and no task),
//! with its due time from its start and period; a held cron run likewise (its history
//! has `Event::CronSchedule` and no task: its slot is the spec's first after its
//! start, which for a later run of the chain is the close of the run before). The runs of a type with a start rate
//! that never ran take a token again, in the order they started, after the tokens the
//! type's open runs took (`Host::recover_limits`). The host keeps the newest start of
//! each debounce key and each rate's bucket in memory only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::{Host, HostInner, StartError, StartRequest};
use crate::flow::{Arrival, DebouncedRun, Debouncer, StartAdmission, StartRates, Turn};
use crate::history::{Event, History};
use crate::storage::RunRecord;

/// The starts held by the host, and what they wait for.
#[derive(Default)]
pub(crate) struct StartGates {
    pub debouncer: Debouncer,
    pub rates: StartRates,
    held: Mutex<HashMap<String, Held>>,
    /// How many runs are held: nothing is locked for a run when none is.
    count: AtomicUsize,
}

struct Held {
    workflow_type: String,
    /// Its priority and fairness, for the workflow limit's line once its gate opens.
    turn: Turn,
    /// Its debounce key and due time (ms), once its actor was built.
    debounce: Option<(String, u64)>,
    /// When its start-rate token comes (ms).
    token_at: Option<u64>,
    /// Its cron schedule and the slot it waits for (ms).
    cron: Option<(String, u64)>,
    /// Told when the run may go on (one per actor built for it).
    admits: Vec<oneshot::Sender<()>>,
    /// Whether its release is scheduled.
    scheduled: bool,
}

/// What a new start waits for, decided before it is recorded.
#[derive(Debug, Default)]
pub(super) struct Gate {
    /// When its start-rate token comes, later than now.
    pub token_at: Option<u64>,
    /// The events its history opens with besides the usual ones.
    pub debounced: Option<Event>,
    /// Its cron schedule (`Event::CronSchedule`): it waits for the spec's next slot.
    pub cron: Option<Event>,
}

impl StartGates {
    pub fn new(rates: StartRates) -> StartGates {
        StartGates {
            rates,
            ..StartGates::default()
        }
    }

    /// Hold run `run_id` (a new start, or one an opening host found waiting for a
    /// token) until its gate opens.
    pub fn expect(&self, run_id: &str, workflow_type: &str, turn: Turn, token_at: Option<u64>) {
        let held = Held {
            workflow_type: workflow_type.to_string(),
            turn,
            debounce: None,
            token_at,
            cron: None,
            admits: Vec::new(),
            scheduled: false,
        };
        if self
            .held
            .lock()
            .unwrap()
            .insert(run_id.to_string(), held)
            .is_none()
        {
            self.count.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Run `run_id` closed: true when it was held (it never took a place under a
    /// workflow limit).
    pub fn closed(&self, run_id: &str) -> bool {
        if self.count.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let Some(held) = self.held.lock().unwrap().remove(run_id) else {
            return false;
        };
        self.count.fetch_sub(1, Ordering::SeqCst);
        if let Some((key, _)) = &held.debounce {
            self.debouncer.closed(&held.workflow_type, key, run_id);
        }
        true
    }

    /// Why `run_id` waits, while it is held: `debounce KEY until TIME`, `start rate
    /// TYPE N/s`, or both.
    pub fn reason(&self, run_id: &str) -> Option<String> {
        if self.count.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let held = self.held.lock().unwrap();
        let held = held.get(run_id)?;
        let mut reasons = Vec::new();
        let due = held.debounce.as_ref().map_or(0, |(_, due)| *due);
        if let Some((key, due)) = &held.debounce {
            reasons.push(debounce_text(key, *due));
        }
        if let Some((spec, slot)) = &held.cron {
            reasons.push(cron_text(spec, *slot));
        }
        if held.token_at.is_some_and(|at| at > due) {
            let rate = self.rates.rate(&held.workflow_type);
            let rate = rate.map_or(String::new(), |r| format!(" {}", r.rate));
            reasons.push(format!("start rate {}{rate}", held.workflow_type));
        }
        Some(reasons.join("; "))
    }

    /// Held runs: (waiting on a debounce, waiting on a token only; a cron slot is
    /// neither).
    pub fn waiting(&self) -> (usize, usize) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return (0, 0);
        }
        let held = self.held.lock().unwrap();
        let debounced = held.values().filter(|h| h.debounce.is_some()).count();
        let tokens = (held.values())
            .filter(|h| h.debounce.is_none() && h.cron.is_none())
            .count();
        (debounced, tokens)
    }
}

/// The debounce of a run that never ran: its `Debounced` event's key, period and the
/// run its start superseded. Read off the opening events (a run that ran stops the
/// look at its first task). A run made by a continue-as-new or a reset is no new
/// start, even when a reset copied the `Debounced` event of the run it came from.
fn pending_debounce(history: &History) -> Option<(String, u64, Option<String>)> {
    let mut found = None;
    for event in &history.events {
        match event {
            Event::TaskStarted { .. } | Event::ContinuedFrom { .. } | Event::ResetFrom { .. } => {
                return None
            }
            Event::Debounced {
                key,
                period_ms,
                supersedes,
            } => found = Some((key.clone(), *period_ms, supersedes.clone())),
            _ => {}
        }
    }
    found
}

/// `debounce KEY until TIME`, for a debounced run that never ran, from its history
/// alone (while its actor is not built yet).
pub(super) fn debounce_reason(record: &RunRecord, history: &History) -> Option<String> {
    let (key, period_ms, _) = pending_debounce(history)?;
    Some(debounce_text(
        &key,
        record.start_ms.saturating_add(period_ms),
    ))
}

/// The cron schedule of a run that never ran and the slot it waits for: the spec's
/// first after the run's start (`None` when the spec names no later slot).
pub(crate) fn pending_cron(record: &RunRecord, history: &History) -> Option<(String, u64)> {
    // Read off the opening events first: a run without a cron costs no more.
    let spec = history.cron_schedule()?;
    if (history.events.iter()).any(|e| matches!(e, Event::TaskStarted { .. })) {
        return None;
    }
    Some((spec.to_string(), cron_slot(spec, record.start_ms)?))
}

/// The first slot of cron `spec` after `after_ms`: when a run of the chain that starts
/// (or whose run before closes) then runs.
pub(crate) fn cron_slot(spec: &str, after_ms: u64) -> Option<u64> {
    crate::schedules::CompiledSpec::cron(spec)
        .ok()?
        .next_after(after_ms)
}

/// `cron SPEC until TIME`, for a cron run that never ran, from its history alone.
pub(super) fn cron_reason(record: &RunRecord, history: &History) -> Option<String> {
    let (spec, slot) = pending_cron(record, history)?;
    Some(cron_text(&spec, slot))
}

/// `cron SPEC until TIME`.
fn cron_text(spec: &str, slot_ms: u64) -> String {
    format!("cron {spec} until {}", crate::schedules::rfc3339(slot_ms))
}

/// `debounce KEY until TIME`.
fn debounce_text(key: &str, due_ms: u64) -> String {
    format!("debounce {key} until {}", crate::schedules::rfc3339(due_ms))
}

impl Host {
    /// What `request`, about to start a run of its type at `now_ms`, waits for; refused
    /// past a start rate that refuses. `None`: it runs at once (as far as these gates
    /// go).
    pub(super) fn start_gate(
        &self,
        request: &StartRequest,
        now_ms: u64,
    ) -> Result<Option<Gate>, StartError> {
        let gates = &self.inner.gates;
        if request.debounce.is_none() && gates.rates.is_empty() && request.cron_schedule.is_none() {
            return Ok(None);
        }
        let workflow_type = &request.workflow_type;
        let metrics = &self.inner.metrics.starts;
        let mut gate = Gate::default();
        let child = request.parent_workflow_id.is_some();
        match gates.rates.admit(workflow_type, now_ms, child) {
            StartAdmission::Now => {}
            StartAdmission::At(at) => {
                metrics.rate_waits.with_label_values(&[workflow_type]).inc();
                gate.token_at = Some(at);
            }
            StartAdmission::Refused { retry_at_ms } => {
                metrics
                    .rate_refused
                    .with_label_values(&[workflow_type])
                    .inc();
                let rate = gates.rates.rate(workflow_type).map(|r| r.rate.to_string());
                return Err(StartError::RateLimited {
                    workflow_type: workflow_type.clone(),
                    rate: rate.unwrap_or_default(),
                    retry_after_ms: retry_at_ms.saturating_sub(now_ms),
                });
            }
        }
        if let Some(debounce) = &request.debounce {
            metrics.debounced(workflow_type);
            gate.debounced = Some(Event::Debounced {
                key: debounce.key.clone(),
                period_ms: super::clock::millis(debounce.period),
                supersedes: gates.debouncer.newest(workflow_type, &debounce.key),
            });
        }
        gate.cron = (request.cron_schedule.clone()).map(|spec| Event::CronSchedule {
            spec,
            run_timeout_ms: request.run_timeout.map(super::clock::millis),
        });
        let held = gate.token_at.is_some() || gate.debounced.is_some() || gate.cron.is_some();
        Ok(held.then_some(gate))
    }
}

impl HostInner {
    /// For the actor of `record` being built: `Some` (told when it may go on) while
    /// the run is held. A debounced run that never ran is held (an opening host finds
    /// it so) and takes its place among the starts of its key.
    pub(super) fn hold_start(
        self: &Arc<Self>,
        record: &RunRecord,
        history: &History,
    ) -> Option<oneshot::Receiver<()>> {
        let debounce = pending_debounce(history);
        let cron = pending_cron(record, history);
        let gated = debounce.is_some() || cron.is_some();
        if !gated && self.gates.count.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let run_id = &record.run_id;
        if gated && !self.gates.held.lock().unwrap().contains_key(run_id) {
            let turn = Turn::of_history(history);
            self.gates.expect(run_id, &record.workflow_type, turn, None);
        }
        let mut held = self.gates.held.lock().unwrap();
        let entry = held.get_mut(run_id)?;
        let (admit, admitted) = oneshot::channel();
        entry.admits.push(admit);
        if !entry.scheduled {
            entry.scheduled = true;
            let mut release_at = entry.token_at.unwrap_or(0);
            if let Some((spec, slot)) = cron {
                release_at = release_at.max(slot);
                entry.cron = Some((spec, slot));
            }
            if let Some((key, period_ms, supersedes)) = debounce {
                let due_ms = record.start_ms.saturating_add(period_ms);
                release_at = release_at.max(due_ms);
                entry.debounce = Some((key.clone(), due_ms));
                let arrival = self.gates.debouncer.arrive(DebouncedRun {
                    workflow_type: record.workflow_type.clone(),
                    key: key.clone(),
                    run_id: run_id.clone(),
                    start_ms: record.start_ms,
                    due_ms,
                    supersedes,
                });
                let superseded = match arrival {
                    Arrival::Waits { supersedes } => {
                        supersedes.map(|older| (older, run_id.clone()))
                    }
                    Arrival::Superseded { by } => Some((run_id.clone(), by)),
                };
                if let Some((older, by)) = superseded {
                    self.supersede(&record.workflow_type, &key, older, &by);
                }
            }
            self.release_at(run_id.clone(), release_at);
        }
        Some(admitted)
    }

    /// Close pending run `run_id`, superseded by run `by` of the same debounce key.
    fn supersede(self: &Arc<Self>, workflow_type: &str, key: &str, run_id: String, by: &str) {
        let Some(host) = self.handle() else { return };
        self.metrics
            .starts
            .superseded
            .with_label_values(&[workflow_type])
            .inc();
        let reason = format!("superseded by run {by}, a later start of debounce key {key}");
        self.workflows.spawn(async move {
            if let Err(e) = host.terminate(&run_id, &reason).await {
                tracing::debug!(run = %run_id, "superseded run not terminated: {e}");
            }
        });
    }

    /// Open `run_id`'s gate at `at_ms` (on the host's clock).
    fn release_at(self: &Arc<Self>, run_id: String, at_ms: u64) {
        // Registered now, so a virtual clock does not skip past it.
        let sleep = self.clock.sleep_until(at_ms);
        let host = Arc::downgrade(self);
        self.workflows.spawn(async move {
            let _busy = sleep.await;
            if let Some(host) = host.upgrade() {
                host.release(&run_id);
            }
        });
    }

    /// `run_id`'s release time came: unless it was superseded or closed meanwhile, it
    /// leaves the gate and starts, under its type's workflow limit if it has one.
    fn release(self: &Arc<Self>, run_id: &str) {
        let held = {
            let mut held = self.gates.held.lock().unwrap();
            let Some(entry) = held.get(run_id) else {
                return;
            };
            if let Some((key, _)) = &entry.debounce {
                if !self.gates.debouncer.due(&entry.workflow_type, key, run_id) {
                    // Superseded: its termination is on its way.
                    return;
                }
            }
            self.gates.count.fetch_sub(1, Ordering::SeqCst);
            held.remove(run_id).expect("looked up under the lock")
        };
        tracing::info!(run = %run_id, workflow_type = %held.workflow_type, "a held start goes on");
        let admit = move |admits: Vec<oneshot::Sender<()>>| {
            for admit in admits {
                // An actor that is gone was dropped with its run closed or the host.
                let _ = admit.send(());
            }
        };
        if self.flow.start(&held.workflow_type, run_id, &held.turn) {
            return admit(held.admits);
        }
        match self.flow.hold(&held.workflow_type, run_id) {
            Some(slot) => {
                self.workflows.spawn(async move {
                    if slot.await.is_ok() {
                        admit(held.admits);
                    }
                });
            }
            None => admit(held.admits),
        }
    }

    /// Why `run_id` has not started, while it is pending: a workflow limit, a
    /// debounce or a start rate.
    pub(crate) fn pending_reason(&self, run_id: &str) -> Option<String> {
        self.flow
            .waiting_reason(run_id)
            .or_else(|| self.gates.reason(run_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ExecutionStarted;

    fn history(events: Vec<Event>) -> History {
        let started = Event::ExecutionStarted(ExecutionStarted {
            workflow_type: "report".into(),
            workflow_id: "r".into(),
            run_id: "b".into(),
            module_digest: "d".into(),
            time_ms: 5,
        });
        History::new([vec![started], events].concat())
    }

    #[test]
    fn only_a_debounced_run_that_never_ran_is_held() {
        let debounced = Event::Debounced {
            key: "user-42".into(),
            period_ms: 30_000,
            supersedes: Some("a".into()),
        };
        let pending = history(vec![debounced.clone()]);
        assert_eq!(
            pending_debounce(&pending),
            Some(("user-42".into(), 30_000, Some("a".into())))
        );
        let ran = history(vec![
            debounced.clone(),
            Event::TaskStarted { time_ms: 30_005 },
        ]);
        assert_eq!(pending_debounce(&ran), None);
        let reset = Event::ResetFrom {
            run_id: "a".into(),
            event_index: 2,
            reason: "fix".into(),
        };
        assert_eq!(pending_debounce(&history(vec![debounced, reset])), None);
        assert_eq!(pending_debounce(&history(Vec::new())), None);
    }

    #[test]
    fn a_cron_run_that_never_ran_waits_for_the_slot_after_its_start() {
        let record = RunRecord {
            workflow_id: "r".into(),
            run_id: "b".into(),
            workflow_type: "report".into(),
            module_digest: "d".into(),
            status: crate::storage::Status::Running,
            start_ms: 5_000,
            close_ms: None,
            history_len: 0,
            format_version: crate::history::FORMAT_VERSION,
        };
        let cron = Event::CronSchedule {
            spec: "@every 2s".into(),
            run_timeout_ms: None,
        };
        let pending = history(vec![cron.clone()]);
        assert_eq!(
            pending_cron(&record, &pending),
            Some(("@every 2s".into(), 6_000))
        );
        assert_eq!(
            cron_reason(&record, &pending).as_deref(),
            Some("cron @every 2s until 1970-01-01T00:00:06Z")
        );
        let ran = history(vec![cron, Event::TaskStarted { time_ms: 6_000 }]);
        assert_eq!(pending_cron(&record, &ran), None);
        assert_eq!(pending_cron(&record, &history(Vec::new())), None);
    }

    #[test]
    fn a_held_run_says_what_it_waits_for_until_it_closes() {
        let rates = StartRates::new(&["report=2/s".parse().unwrap()]);
        let gates = StartGates::new(rates);
        assert_eq!((gates.reason("b"), gates.closed("b")), (None, false));
        gates.expect("b", "report", Turn::default(), Some(500));
        assert_eq!(gates.reason("b").as_deref(), Some("start rate report 2/s"));
        assert_eq!(gates.waiting(), (0, 1));
        assert!(gates.closed("b"));
        assert_eq!((gates.reason("b"), gates.waiting()), (None, (0, 0)));
    }
}

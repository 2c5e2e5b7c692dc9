//! Workflow limits: at most N runs of a workflow type running at once
//! (`--workflow-limit TYPE=N`). A start beyond the limit is answered at once (its run
//! is recorded, with its start job pending) but the run is *pending*: its first task
//! waits until a run of the type closes. Pending runs start in the order of a
//! [`Line`]: by priority, shared between fairness keys by weight, then in the order
//! they came.
//!
//! | a run of a limited type …            | the count of open runs | the pending line      |
//! |--------------------------------------|------------------------|-----------------------|
//! | starts under the limit               | + 1                    |                       |
//! | starts at the limit                  |                        | joins it              |
//! | closes (not continued as new)        | − 1, then the first    | leaves it (if in it)  |
//! |                                      | pending one takes it   |                       |
//! | continues as new as the same type    | unchanged              |                       |
//! | continues as new as another type     | − 1 for it, + 1 for    |                       |
//! |                                      | the other (no limit    |                       |
//! |                                      | checked: it runs)      |                       |
//!
//! Nothing of it is stored apart: an opening host counts its open runs of each limited
//! type, and takes as pending those that never ran a task and were not continued from
//! another run ([`WorkflowLimits::recover`]).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::Mutex;

use tokio::sync::oneshot;
use weft_model::{Fairness, Priority};

use super::line::{Line, Ticket, Turn};

/// `TYPE=N`: at most N runs of TYPE running at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowLimit {
    pub workflow_type: String,
    pub limit: NonZeroUsize,
}

impl FromStr for WorkflowLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<WorkflowLimit, String> {
        let usage = "write TYPE=N, as in `report=2`";
        let (workflow_type, limit) = super::keys::name_and_limit(s, usage)?;
        if workflow_type.is_empty() {
            return Err(format!("`{s}` names no workflow type: {usage}"));
        }
        Ok(WorkflowLimit {
            workflow_type: workflow_type.to_string(),
            limit,
        })
    }
}

struct Waiter {
    run_id: String,
    /// Told when the run may start; set once its actor waits.
    admit: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct State {
    /// Open runs of each limited type that are not pending.
    open: HashMap<String, usize>,
    lines: HashMap<String, Line<Waiter>>,
    /// Pending runs: their type and place.
    by_run: HashMap<String, (String, Ticket)>,
}

/// The host's workflow limits and the runs waiting on them; see the module docs.
pub struct WorkflowLimits {
    limits: HashMap<String, NonZeroUsize>,
    state: Mutex<State>,
}

/// A run of a limited type, as an opening host finds it.
#[derive(Debug, Clone)]
pub struct OpenRun {
    pub workflow_type: String,
    pub run_id: String,
    pub priority: Priority,
    pub fairness: Option<Fairness>,
    pub start_ms: u64,
    /// It never ran a task and was not continued from another run.
    pub pending: bool,
}

impl WorkflowLimits {
    /// Limits as declared (a type declared twice keeps its last limit).
    pub fn new(limits: &[WorkflowLimit]) -> WorkflowLimits {
        WorkflowLimits {
            limits: limits
                .iter()
                .map(|l| (l.workflow_type.clone(), l.limit))
                .collect(),
            state: Mutex::default(),
        }
    }

    /// Whether `workflow_type` has a limit.
    pub fn limits(&self, workflow_type: &str) -> bool {
        !self.limits.is_empty() && self.limits.contains_key(workflow_type)
    }

    /// A new run `run_id` of `workflow_type`: true when it may run now (it is counted);
    /// false when it is pending.
    pub fn start(&self, workflow_type: &str, run_id: &str, turn: &Turn) -> bool {
        let Some(limit) = self.limit(workflow_type) else {
            return true;
        };
        let mut state = self.state.lock().unwrap();
        let open = state.open.get(workflow_type).copied().unwrap_or(0);
        let waiting = state
            .lines
            .get(workflow_type)
            .is_some_and(|l| !l.is_empty());
        if open < limit.get() && !waiting {
            *state.open.entry(workflow_type.to_string()).or_default() += 1;
            return true;
        }
        state.enqueue(workflow_type, run_id, turn);
        false
    }

    /// For the actor of `run_id` being built: `Some` (told when it may start) while the
    /// run is pending.
    pub fn hold(&self, workflow_type: &str, run_id: &str) -> Option<oneshot::Receiver<()>> {
        self.limit(workflow_type)?;
        let mut state = self.state.lock().unwrap();
        let (workflow_type, ticket) = state.by_run.get(run_id)?.clone();
        let waiter = state.lines.get_mut(&workflow_type)?.get_mut(ticket)?;
        let (tx, rx) = oneshot::channel();
        waiter.admit = Some(tx);
        Some(rx)
    }

    /// Why `run_id` has not started, when it is pending.
    pub fn waiting_reason(&self, run_id: &str) -> Option<String> {
        if self.limits.is_empty() {
            return None;
        }
        let state = self.state.lock().unwrap();
        let (workflow_type, _) = state.by_run.get(run_id)?;
        let limit = self.limits.get(workflow_type)?;
        Some(format!("workflow limit {workflow_type}={limit}"))
    }

    /// How many runs of `workflow_type` are pending.
    pub fn pending(&self, workflow_type: &str) -> usize {
        let state = self.state.lock().unwrap();
        state.lines.get(workflow_type).map_or(0, Line::len)
    }

    /// How many runs of each limited type are pending (0 included).
    pub fn pending_by_type(&self) -> Vec<(String, usize)> {
        if self.limits.is_empty() {
            return Vec::new();
        }
        let state = self.state.lock().unwrap();
        self.limits
            .keys()
            .map(|t| (t.clone(), state.lines.get(t).map_or(0, Line::len)))
            .collect()
    }

    /// Run `run_id` of `workflow_type` closed (not continued as new): a pending one
    /// leaves the line; a running one frees its slot for the first pending run.
    pub fn closed(&self, workflow_type: &str, run_id: &str) {
        let Some(limit) = self.limit(workflow_type) else {
            return;
        };
        let mut state = self.state.lock().unwrap();
        if let Some((t, ticket)) = state.by_run.remove(run_id) {
            if let Some(line) = state.lines.get_mut(&t) {
                line.remove(ticket);
            }
            return;
        }
        if let Some(open) = state.open.get_mut(workflow_type) {
            *open = open.saturating_sub(1);
        }
        state.admit(workflow_type, limit);
    }

    /// A run of `from` continued as new as a run of `to`: the execution keeps its slot,
    /// moved to `to` when the type changes.
    pub fn continued(&self, from: &str, to: &str) {
        if from == to || (!self.limits(from) && !self.limits(to)) {
            return;
        }
        let mut state = self.state.lock().unwrap();
        if let Some(limit) = self.limits.get(from) {
            if let Some(open) = state.open.get_mut(from) {
                *open = open.saturating_sub(1);
            }
            state.admit(from, *limit);
        }
        if self.limits(to) {
            *state.open.entry(to.to_string()).or_default() += 1;
        }
    }

    /// An opening host's open runs of limited types: the running ones count, the
    /// pending ones wait in line by priority then start, and as many start as the
    /// limits allow (a limit raised across the restart lets more run).
    pub fn recover(&self, mut runs: Vec<OpenRun>) {
        runs.sort_by(|a, b| {
            (a.priority, a.start_ms, &a.run_id).cmp(&(b.priority, b.start_ms, &b.run_id))
        });
        let mut state = self.state.lock().unwrap();
        for run in runs.iter().filter(|r| self.limits(&r.workflow_type)) {
            if run.pending {
                let turn = Turn {
                    priority: run.priority,
                    fairness: run.fairness.clone(),
                };
                state.enqueue(&run.workflow_type, &run.run_id, &turn);
            } else {
                *state.open.entry(run.workflow_type.clone()).or_default() += 1;
            }
        }
        for (workflow_type, limit) in &self.limits {
            state.admit(workflow_type, *limit);
        }
    }

    fn limit(&self, workflow_type: &str) -> Option<NonZeroUsize> {
        if self.limits.is_empty() {
            return None;
        }
        self.limits.get(workflow_type).copied()
    }
}

impl State {
    fn enqueue(&mut self, workflow_type: &str, run_id: &str, turn: &Turn) {
        let waiter = Waiter {
            run_id: run_id.to_string(),
            admit: None,
        };
        let line = self.lines.entry(workflow_type.to_string()).or_default();
        let ticket = line.push(turn, waiter);
        self.by_run
            .insert(run_id.to_string(), (workflow_type.to_string(), ticket));
    }

    /// Start pending runs of `workflow_type` while there is room.
    fn admit(&mut self, workflow_type: &str, limit: NonZeroUsize) {
        loop {
            let open = self.open.get(workflow_type).copied().unwrap_or(0);
            if open >= limit.get() {
                return;
            }
            let Some((_, waiter)) = self.lines.get_mut(workflow_type).and_then(Line::pop) else {
                return;
            };
            self.by_run.remove(&waiter.run_id);
            *self.open.entry(workflow_type.to_string()).or_default() += 1;
            tracing::info!(run = %waiter.run_id, workflow_type, "a pending run starts");
            if let Some(admit) = waiter.admit {
                // An actor that is gone was dropped with its run closed or the host.
                let _ = admit.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(s: &str) -> WorkflowLimits {
        WorkflowLimits::new(&[s.parse().unwrap()])
    }

    fn p(n: u8) -> Turn {
        Turn::at(Priority::new(n).unwrap())
    }

    #[test]
    fn a_limit_is_type_equals_n() {
        let l: WorkflowLimit = "report=2".parse().unwrap();
        assert_eq!((l.workflow_type.as_str(), l.limit.get()), ("report", 2));
        for bad in ["report", "=2", "report=0", "report=x"] {
            assert!(bad.parse::<WorkflowLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn starts_past_the_limit_wait_and_start_as_others_close() {
        let l = limits("report=1");
        assert!(l.start("other", "o", &p(3)));
        assert!(l.start("report", "a", &p(3)));
        assert!(!l.start("report", "b", &p(3)));
        assert!(!l.start("report", "c", &p(1)));
        assert!(!l.start("report", "d", &p(3)));
        assert_eq!(l.pending("report"), 3);
        assert_eq!(
            l.waiting_reason("b").as_deref(),
            Some("workflow limit report=1")
        );
        let mut b = l.hold("report", "b").unwrap();
        let mut c = l.hold("report", "c").unwrap();
        // A pending run closing leaves the line without freeing a slot.
        l.closed("report", "d");
        assert_eq!(l.pending("report"), 2);
        // Priority first.
        l.closed("report", "a");
        assert!(c.try_recv().is_ok() && b.try_recv().is_err());
        assert_eq!(l.waiting_reason("c"), None);
        // The same type continued as new keeps its slot.
        l.continued("report", "report");
        assert!(b.try_recv().is_err());
        l.closed("report", "c");
        assert!(b.try_recv().is_ok());
        assert_eq!(l.pending("report"), 0);
    }

    #[test]
    fn an_opening_host_counts_open_runs_and_lines_up_pending_ones() {
        let l = limits("report=1");
        let run = |id: &str, priority: u8, start_ms: u64, pending: bool| OpenRun {
            workflow_type: "report".into(),
            run_id: id.into(),
            priority: Priority::new(priority).unwrap(),
            fairness: None,
            start_ms,
            pending,
        };
        l.recover(vec![
            run("late", 3, 30, true),
            run("running", 3, 5, false),
            run("early", 3, 10, true),
            run("urgent", 2, 40, true),
        ]);
        assert_eq!(l.pending("report"), 3);
        let mut early = l.hold("report", "early").unwrap();
        let mut urgent = l.hold("report", "urgent").unwrap();
        l.closed("report", "running");
        assert!(urgent.try_recv().is_ok() && early.try_recv().is_err());
        l.closed("report", "urgent");
        assert!(early.try_recv().is_ok());
    }

    #[test]
    fn an_opening_host_lines_up_pending_runs_by_tenant() {
        let l = limits("report=1");
        let run = |id: &str, tenant: &str, start_ms: u64, pending: bool| OpenRun {
            workflow_type: "report".into(),
            run_id: id.into(),
            priority: Priority::DEFAULT,
            fairness: Some(Fairness::new(tenant, None).unwrap()),
            start_ms,
            pending,
        };
        let mut runs = vec![run("running", "a", 0, false)];
        runs.extend((1..=4).map(|i| run(&format!("a{i}"), "a", i, true)));
        runs.extend((1..=2).map(|i| run(&format!("b{i}"), "b", 10 + i, true)));
        l.recover(runs);
        let ids = ["a1", "a2", "a3", "a4", "b1", "b2"];
        let mut held: Vec<_> = ids.iter().map(|id| l.hold("report", id).unwrap()).collect();
        let mut order = Vec::new();
        let mut last = "running".to_string();
        for _ in 0..ids.len() {
            l.closed("report", &last);
            let next = held.iter_mut().position(|h| h.try_recv().is_ok()).unwrap();
            last = ids[next].to_string();
            order.push(ids[next]);
        }
        assert_eq!(order, ["a1", "b1", "a2", "b2", "a3", "a4"]);
    }
}

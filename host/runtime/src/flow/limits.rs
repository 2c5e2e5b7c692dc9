//! Workflow limits: at most N runs of a workflow type running at once
//! (`--workflow-limit TYPE=N`), or at most N runs of a fairness key, of any type
//! (`--workflow-limit key:tenant-a=N`; `key:*=N` gives every key its own N). A start
//! beyond the limit is answered at once (its run is recorded, with its start job
//! pending) but the run is *pending*: its first task waits until a run of its group
//! closes. Pending runs start in the order of a [`Line`]: by priority, shared between
//! fairness keys by weight, then in the order they came.
//!
//! A run counts against one group: its fairness key's, when the key has a limit (named
//! or `key:*`), else its type's, when the type has one.
//!
//! | a run of a limited group …           | the count of open runs | the pending line      |
//! |--------------------------------------|------------------------|-----------------------|
//! | starts under the limit               | + 1                    |                       |
//! | starts at the limit                  |                        | joins it              |
//! | closes (not continued as new)        | − 1, then the first    | leaves it (if in it)  |
//! |                                      | pending one takes it   |                       |
//! | continues as new in the same group   | unchanged              |                       |
//! | continues as new as another type     | − 1 for it, + 1 for    |                       |
//! |                                      | the other (no limit    |                       |
//! |                                      | checked: it runs)      |                       |
//!
//! Nothing of it is stored apart: an opening host counts its open runs of each limited
//! group, and takes as pending those that never ran a task and were not continued from
//! another run ([`WorkflowLimits::recover`]).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::Mutex;

use tokio::sync::oneshot;
use weft_model::Fairness;

use super::line::{Line, Ticket, Turn};

/// `TYPE=N`: at most N runs of TYPE running at once; `key:KEY=N`: at most N runs whose
/// fairness key is KEY (`key:*`: of each key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowLimit {
    /// The workflow type, or `key:KEY`.
    pub workflow_type: String,
    pub limit: NonZeroUsize,
}

/// What names a fairness key's limit.
const KEY: &str = "key:";

impl FromStr for WorkflowLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<WorkflowLimit, String> {
        let usage = "write TYPE=N or key:KEY=N, as in `report=2` or `key:*=5`";
        let (workflow_type, limit) = super::keys::name_and_limit(s, usage)?;
        if workflow_type.is_empty() || workflow_type == KEY {
            return Err(format!("`{s}` names no workflow type or key: {usage}"));
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
    /// Open runs of each limited group that are not pending.
    open: HashMap<String, usize>,
    lines: HashMap<String, Line<Waiter>>,
    /// Pending runs: their group and place.
    by_run: HashMap<String, (String, Ticket)>,
    /// Running runs counted in a key's group, by run id (a close names only the type).
    keyed: HashMap<String, String>,
}

/// The host's workflow limits and the runs waiting on them; see the module docs.
pub struct WorkflowLimits {
    /// By group: a workflow type or `key:KEY`.
    limits: HashMap<String, NonZeroUsize>,
    /// `key:*`: every fairness key's limit.
    every_key: Option<NonZeroUsize>,
    /// Some fairness key has a limit (named or `key:*`).
    keys_limited: bool,
    state: Mutex<State>,
}

/// A run of a limited type, as an opening host finds it.
#[derive(Debug, Clone)]
pub struct OpenRun {
    pub workflow_type: String,
    pub run_id: String,
    /// Its priority and fairness (its place in a pending line).
    pub turn: Turn,
    pub start_ms: u64,
    /// It never ran a task and was not continued from another run.
    pub pending: bool,
}

impl WorkflowLimits {
    /// Limits as declared (a group declared twice keeps its last limit).
    pub fn new(limits: &[WorkflowLimit]) -> WorkflowLimits {
        let every = format!("{KEY}*");
        let named: HashMap<String, NonZeroUsize> = limits
            .iter()
            .filter(|l| l.workflow_type != every)
            .map(|l| (l.workflow_type.clone(), l.limit))
            .collect();
        let every_key = limits.iter().rev().find(|l| l.workflow_type == every);
        WorkflowLimits {
            keys_limited: every_key.is_some() || named.keys().any(|g| g.starts_with(KEY)),
            limits: named,
            every_key: every_key.map(|l| l.limit),
            state: Mutex::default(),
        }
    }

    /// Whether a run of `workflow_type` may count against a limit: its type has one,
    /// or some fairness key has.
    pub fn limits(&self, workflow_type: &str) -> bool {
        self.keys_limited || !self.limits.is_empty() && self.limits.contains_key(workflow_type)
    }

    /// Whether the host has no workflow limit at all (the common case: nothing to do).
    fn none(&self) -> bool {
        self.limits.is_empty() && self.every_key.is_none()
    }

    /// The group a run of `workflow_type` for `fairness` counts against, and its limit.
    fn group(
        &self,
        workflow_type: &str,
        fairness: Option<&Fairness>,
    ) -> Option<(String, NonZeroUsize)> {
        if self.none() {
            return None;
        }
        if let Some(f) = fairness {
            let group = format!("{KEY}{}", f.key);
            if let Some(limit) = self.limits.get(&group).copied().or(self.every_key) {
                return Some((group, limit));
            }
        }
        let limit = self.limits.get(workflow_type)?;
        Some((workflow_type.to_string(), *limit))
    }

    /// A group's limit.
    fn limit_of(&self, group: &str) -> Option<NonZeroUsize> {
        match self.limits.get(group) {
            Some(limit) => Some(*limit),
            None if group.starts_with(KEY) => self.every_key,
            None => None,
        }
    }

    /// A new run `run_id` of `workflow_type` at `turn`: true when it may run now (it is
    /// counted); false when it is pending.
    pub fn start(&self, workflow_type: &str, run_id: &str, turn: &Turn) -> bool {
        let Some((group, limit)) = self.group(workflow_type, turn.fairness.as_ref()) else {
            return true;
        };
        let mut state = self.state.lock().unwrap();
        let open = state.open.get(&group).copied().unwrap_or(0);
        let waiting = state.lines.get(&group).is_some_and(|l| !l.is_empty());
        if open < limit.get() && !waiting {
            state.count(&group, run_id);
            return true;
        }
        state.enqueue(&group, run_id, turn);
        false
    }

    /// For the actor of `run_id` being built: `Some` (told when it may start) while the
    /// run is pending.
    pub fn hold(&self, workflow_type: &str, run_id: &str) -> Option<oneshot::Receiver<()>> {
        if !self.limits(workflow_type) {
            return None;
        }
        let mut state = self.state.lock().unwrap();
        let (group, ticket) = state.by_run.get(run_id)?.clone();
        let waiter = state.lines.get_mut(&group)?.get_mut(ticket)?;
        let (tx, rx) = oneshot::channel();
        waiter.admit = Some(tx);
        Some(rx)
    }

    /// Why `run_id` has not started, when it is pending.
    pub fn waiting_reason(&self, run_id: &str) -> Option<String> {
        if self.none() {
            return None;
        }
        let state = self.state.lock().unwrap();
        let (group, _) = state.by_run.get(run_id)?;
        let limit = self.limit_of(group)?;
        Some(format!("workflow limit {group}={limit}"))
    }

    /// How many runs of a group (a workflow type or `key:KEY`) are pending.
    pub fn pending(&self, group: &str) -> usize {
        let state = self.state.lock().unwrap();
        state.lines.get(group).map_or(0, Line::len)
    }

    /// How many runs of each limited group are pending (0 included for the declared
    /// ones; a key under `key:*` once it had runs).
    pub fn pending_by_type(&self) -> Vec<(String, usize)> {
        if self.none() {
            return Vec::new();
        }
        let state = self.state.lock().unwrap();
        let mut groups: Vec<&String> = self.limits.keys().collect();
        groups.extend(state.lines.keys().filter(|g| !self.limits.contains_key(*g)));
        groups
            .into_iter()
            .map(|g| (g.clone(), state.lines.get(g).map_or(0, Line::len)))
            .collect()
    }

    /// Run `run_id` of `workflow_type` closed (not continued as new): a pending one
    /// leaves the line; a running one frees its slot for the first pending run.
    pub fn closed(&self, workflow_type: &str, run_id: &str) {
        if !self.limits(workflow_type) {
            return;
        }
        let mut state = self.state.lock().unwrap();
        if let Some((group, ticket)) = state.by_run.remove(run_id) {
            if let Some(line) = state.lines.get_mut(&group) {
                line.remove(ticket);
            }
            return;
        }
        let group = match state.keyed.remove(run_id) {
            Some(group) => group,
            None => workflow_type.to_string(),
        };
        let Some(limit) = self.limit_of(&group) else {
            return;
        };
        if let Some(open) = state.open.get_mut(&group) {
            *open = open.saturating_sub(1);
        }
        state.admit(&group, limit);
    }

    /// Run `from_run` of `from` continued as new as run `to_run` of `to`: the
    /// execution keeps its slot: in its key's group (its fairness goes on with it), or
    /// moved to `to` when the type changes.
    pub fn continued(&self, (from, from_run): (&str, &str), (to, to_run): (&str, &str)) {
        if !self.limits(from) && !self.limits(to) {
            return;
        }
        let mut state = self.state.lock().unwrap();
        if let Some(group) = state.keyed.remove(from_run) {
            state.keyed.insert(to_run.to_string(), group);
            return;
        }
        if from == to {
            return;
        }
        if let Some(limit) = self.limits.get(from) {
            if let Some(open) = state.open.get_mut(from) {
                *open = open.saturating_sub(1);
            }
            state.admit(from, *limit);
        }
        if self.limits.contains_key(to) {
            *state.open.entry(to.to_string()).or_default() += 1;
        }
    }

    /// An opening host's open runs: the running ones count in their groups, the
    /// pending ones wait in line by priority and fairness then start, and as many
    /// start as the limits allow (a limit raised across the restart lets more run).
    pub fn recover(&self, mut runs: Vec<OpenRun>) {
        runs.sort_by(|a, b| {
            let key = |r: &OpenRun| (r.turn.priority, r.start_ms, r.run_id.clone());
            key(a).cmp(&key(b))
        });
        let mut state = self.state.lock().unwrap();
        for run in &runs {
            let fairness = run.turn.fairness.as_ref();
            let Some((group, _)) = self.group(&run.workflow_type, fairness) else {
                continue;
            };
            if run.pending {
                state.enqueue(&group, &run.run_id, &run.turn);
            } else {
                state.count(&group, &run.run_id);
            }
        }
        let groups: Vec<String> = state.lines.keys().cloned().collect();
        for group in groups {
            if let Some(limit) = self.limit_of(&group) {
                state.admit(&group, limit);
            }
        }
    }
}

impl State {
    /// Run `run_id` runs, counted in `group`.
    fn count(&mut self, group: &str, run_id: &str) {
        *self.open.entry(group.to_string()).or_default() += 1;
        if group.starts_with(KEY) {
            self.keyed.insert(run_id.to_string(), group.to_string());
        }
    }

    fn enqueue(&mut self, group: &str, run_id: &str, turn: &Turn) {
        let waiter = Waiter {
            run_id: run_id.to_string(),
            admit: None,
        };
        let line = self.lines.entry(group.to_string()).or_default();
        let ticket = line.push(turn, waiter);
        self.by_run
            .insert(run_id.to_string(), (group.to_string(), ticket));
    }

    /// Start pending runs of `group` while there is room.
    fn admit(&mut self, group: &str, limit: NonZeroUsize) {
        loop {
            let open = self.open.get(group).copied().unwrap_or(0);
            if open >= limit.get() {
                return;
            }
            let Some((_, waiter)) = self.lines.get_mut(group).and_then(Line::pop) else {
                return;
            };
            self.by_run.remove(&waiter.run_id);
            self.count(group, &waiter.run_id);
            tracing::info!(run = %waiter.run_id, group, "a pending run starts");
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
    use weft_model::Priority;

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
        l.continued(("report", "c"), ("report", "c2"));
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
            turn: Turn::at(Priority::new(priority).unwrap()),
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
            turn: Turn {
                priority: Priority::DEFAULT,
                fairness: Some(Fairness::new(tenant, None).unwrap()),
            },
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

    #[test]
    fn a_key_limit_holds_each_tenant_to_its_own_count() {
        let l = WorkflowLimits::new(&[
            "key:*=1".parse().unwrap(),
            "key:vip=2".parse().unwrap(),
            "report=9".parse().unwrap(),
        ]);
        let of = |key: &str| Turn {
            priority: Priority::DEFAULT,
            fairness: Some(Fairness::new(key, None).unwrap()),
        };
        assert!(l.start("report", "a1", &of("a")));
        assert!(!l.start("other", "a2", &of("a")));
        assert!(l.start("report", "b1", &of("b")));
        assert!(l.start("report", "v1", &of("vip")) && l.start("report", "v2", &of("vip")));
        assert!(!l.start("report", "v3", &of("vip")));
        // Without a key, the type's limit.
        assert!(l.start("report", "n1", &Turn::default()));
        assert_eq!(
            l.waiting_reason("a2").as_deref(),
            Some("workflow limit key:a=1")
        );
        assert_eq!(
            l.waiting_reason("v3").as_deref(),
            Some("workflow limit key:vip=2")
        );
        let mut a2 = l.hold("other", "a2").unwrap();
        // Continued as new, a1's execution keeps the key's slot under its new run id.
        l.continued(("report", "a1"), ("report", "a1-next"));
        l.closed("report", "a1");
        assert!(a2.try_recv().is_err());
        l.closed("report", "a1-next");
        assert!(a2.try_recv().is_ok());
        assert_eq!(l.pending("key:a"), 0);
        let mut pending = l.pending_by_type();
        pending.sort();
        assert_eq!(
            pending,
            [
                ("key:a".into(), 0),
                ("key:vip".into(), 1),
                ("report".into(), 0)
            ]
        );
        for bad in ["key:=2", "key:x=0"] {
            assert!(bad.parse::<WorkflowLimit>().is_err(), "{bad}");
        }
    }
}

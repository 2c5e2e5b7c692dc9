//! The invariants, checked on the host as it is after every restart and at the end.
//!
//! | invariant | checked |
//! |-----------|---------|
//! | nothing acknowledged is lost: an acked start's run, an acked signal's job | every restart, end |
//! | a signal sent with a request id is delivered once | every restart, end |
//! | an update is accepted once per id; an answered one is recorded with its result | every restart, end |
//! | chains and children stay whole: one open run per id, one successor per continue-as-new, every started child there | every restart, end |
//! | timers fire once, never early; no timer row outlives its timer | every restart, end |
//! | an activity's result is recorded once | end |
//! | nothing is acted on before it is durable (its event recorded, the disk synced); no activity runs after its result is recorded | as each activity starts and each ack arrives (see `activities`, `client`) |
//! | every run closes once faults stop (liveness) | end |
//! | every completed workflow returns what the oracle (`sim_workload::expected`) says | end |
//! | every closed run's history replays on its module | end |

use std::collections::BTreeMap;

use sim_workload::{expected, Program};
use weft_runtime::engine::Engine;
use weft_runtime::history::vocab::ChildResolution;
use weft_runtime::history::{Command, Event, Job, Outcome};
use weft_runtime::runtime::Host;
use weft_runtime::storage::{RunRecord, Status};

use crate::client::workflow_id;
use crate::ledger::{Answer, Ledger};

/// What is true after every restart: nothing acknowledged is lost, nothing delivered
/// twice, no stray timer row.
pub fn durable(host: &Host, ledger: &Ledger) -> Vec<String> {
    let mut out = Vec::new();
    let runs = match host.runs() {
        Ok(runs) => runs,
        Err(e) => return vec![format!("storage: cannot list runs: {e}")],
    };
    let mut histories = BTreeMap::new();
    for run in &runs {
        match host.history(&run.run_id) {
            Ok(events) => {
                histories.insert(run.run_id.clone(), events);
            }
            Err(e) => out.push(format!("storage: history of run {}: {e}", run.run_id)),
        }
    }
    for (i, wf) in ledger.workflows.iter().enumerate() {
        let id = workflow_id(i);
        let chain: Vec<&RunRecord> = runs.iter().filter(|r| r.workflow_id == id).collect();
        if wf.start == Some(Answer::Acked) && chain.is_empty() {
            out.push(format!(
                "ack lost: the start of {id} was acknowledged, no run is there"
            ));
        }
        let mut delivered: BTreeMap<u64, u32> = BTreeMap::new();
        for run in &chain {
            for token in signal_tokens(&histories[&run.run_id]) {
                *delivered.entry(token).or_default() += 1;
            }
        }
        for (token, (_, answer)) in &wf.signals {
            if *answer == Answer::Acked && !delivered.contains_key(token) {
                out.push(format!(
                    "ack lost: signal {token} to {id} was acknowledged, it is in no history"
                ));
            }
        }
        for (token, n) in delivered {
            if n > 1 {
                out.push(format!(
                    "signal delivered twice: token {token} reached {id} {n} times"
                ));
            }
        }
        let chain_events: Vec<&Event> = chain.iter().flat_map(|r| &histories[&r.run_id]).collect();
        out.extend(updates(&id, wf, &chain_events));
    }
    for (run_id, events) in &histories {
        out.extend(timers_and_results(run_id, events));
    }
    out.extend(chains(&runs, &histories));
    out.extend(timer_rows(host, &runs, &histories));
    out
}

/// An update is accepted at most once per id in its chain; an acknowledged one is
/// accepted and completed with the value `bump_value` says.
fn updates(id: &str, wf: &crate::ledger::WorkflowLedger, events: &[&Event]) -> Vec<String> {
    let mut out = Vec::new();
    let mut accepted: BTreeMap<&str, u32> = BTreeMap::new();
    let mut completed: BTreeMap<&str, Option<u64>> = BTreeMap::new();
    for event in events {
        let Event::Command(c) = event else { continue };
        match &c.command {
            Command::AcceptUpdate(update) => *accepted.entry(update.as_str()).or_default() += 1,
            Command::CompleteUpdate(done) => {
                let value = done.result.as_ref().ok().and_then(|p| p.to_json().as_u64());
                completed.insert(done.id.as_str(), value);
            }
            _ => {}
        }
    }
    for (update, n) in &accepted {
        if *n > 1 {
            out.push(format!(
                "update accepted twice: {update} of {id} accepted {n} times"
            ));
        }
    }
    for (token, (_, answer)) in &wf.updates {
        let update = format!("upd-{token}");
        let want = Some(sim_workload::bump_value(*token));
        if *answer == Answer::Acked && completed.get(update.as_str()) != Some(&want) {
            out.push(format!(
                "ack lost: update {update} to {id} was answered, its history has {:?}",
                completed.get(update.as_str())
            ));
        }
    }
    out
}

/// Chains and children stay whole: a workflow id has at most one open run; a run that
/// continued as new has exactly one successor naming it; a child whose start its parent
/// recorded exists.
fn chains(runs: &[RunRecord], histories: &BTreeMap<String, Vec<Event>>) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: BTreeMap<&str, u32> = BTreeMap::new();
    let mut successors: BTreeMap<&str, u32> = BTreeMap::new();
    for run in runs {
        if run.status.is_open() {
            *open.entry(run.workflow_id.as_str()).or_default() += 1;
        }
        for event in &histories[&run.run_id] {
            match event {
                Event::ContinuedFrom { run_id } => {
                    *successors.entry(run_id.as_str()).or_default() += 1
                }
                Event::Job(Job::ResolveChildWorkflow(r)) => {
                    if let ChildResolution::Started(child) = &r.resolution {
                        if !histories.contains_key(child) {
                            out.push(format!("broken child: run {} started child run {child}, which is not there", run.run_id));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for (id, n) in open.into_iter().filter(|&(_, n)| n > 1) {
        out.push(format!("broken chain: {id} has {n} open runs"));
    }
    for run in runs.iter().filter(|r| r.status == Status::ContinuedAsNew) {
        let n = successors.get(run.run_id.as_str()).copied().unwrap_or(0);
        if n != 1 {
            out.push(format!(
                "broken chain: run {} of {} continued as new into {n} runs",
                run.run_id, run.workflow_id
            ));
        }
    }
    out
}

/// The tokens of the `tok` signals a history delivered.
fn signal_tokens(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Job(Job::Signal(s)) if s.name == "tok" => s.input.to_json().as_u64(),
            _ => None,
        })
        .collect()
}

/// Timers fire at most once and never before they are due; activities resolve once.
fn timers_and_results(run_id: &str, events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    let mut now = 0;
    let mut due: BTreeMap<u32, u64> = BTreeMap::new();
    let mut fired: BTreeMap<u32, u32> = BTreeMap::new();
    let mut resolved: BTreeMap<u32, u32> = BTreeMap::new();
    for event in events {
        match event {
            Event::TaskStarted { time_ms } => now = *time_ms,
            Event::Command(c) => {
                if let Command::StartTimer(t) = &c.command {
                    due.insert(t.seq, now + t.duration_ms);
                }
            }
            Event::Job(Job::FireTimer(seq)) => {
                *fired.entry(*seq).or_default() += 1;
                if due.get(seq).is_some_and(|&at| now < at) {
                    out.push(format!(
                        "timer fired early: timer {seq} of run {run_id} at {now}, due at {}",
                        due[seq]
                    ));
                }
            }
            Event::Job(Job::ResolveActivity(r)) => *resolved.entry(r.seq).or_default() += 1,
            _ => {}
        }
    }
    for (seq, n) in fired.into_iter().filter(|&(_, n)| n > 1) {
        out.push(format!(
            "timer fired twice: timer {seq} of run {run_id} fired {n} times"
        ));
    }
    for (seq, n) in resolved.into_iter().filter(|&(_, n)| n > 1) {
        out.push(format!(
            "activity applied twice: activity {seq} of run {run_id} resolved {n} times"
        ));
    }
    out
}

/// Every timer row belongs to an open run's timer that has not fired.
fn timer_rows(
    host: &Host,
    runs: &[RunRecord],
    histories: &BTreeMap<String, Vec<Event>>,
) -> Vec<String> {
    let rows = match host.storage().timers() {
        Ok(rows) => rows,
        Err(e) => return vec![format!("storage: cannot read timers: {e}")],
    };
    let mut out = Vec::new();
    for row in rows {
        let open = runs
            .iter()
            .any(|r| r.run_id == row.run_id && r.status.is_open());
        let fired = histories.get(&row.run_id).is_some_and(|events| {
            events
                .iter()
                .any(|e| matches!(e, Event::Job(Job::FireTimer(s)) if *s == row.seq))
        });
        if !open || fired {
            out.push(format!(
                "stray timer row: timer {} of run {} ({}) is still stored",
                row.seq,
                row.run_id,
                if fired { "fired" } else { "run closed" }
            ));
        }
    }
    out
}

/// What is true once the faults stopped and time ran on: every run closed, each
/// workflow with the oracle's result, every history replays.
pub fn finished(
    host: &Host,
    engine: &Engine,
    ledger: &Ledger,
    programs: &[Program],
) -> Vec<String> {
    let mut out = durable(host, ledger);
    let runs = host.runs().unwrap_or_default();
    for run in runs.iter().filter(|r| r.status.is_open()) {
        out.push(format!(
            "liveness: run {} of {} is still open after the faults stopped",
            run.run_id, run.workflow_id
        ));
    }
    for (i, wf) in ledger.workflows.iter().enumerate() {
        let id = workflow_id(i);
        let Ok(latest) = host.find_run(&id) else {
            continue;
        };
        match host.outcome(&latest) {
            Ok(Some(Outcome::Completed(payload))) => {
                let got: Option<Vec<String>> = serde_json::from_value(payload.to_json()).ok();
                let want = expected(&programs[i]);
                if got.as_ref() != Some(&want) {
                    out.push(format!(
                        "oracle: {id} returned {got:?}, the oracle says {want:?}"
                    ));
                }
            }
            Ok(Some(Outcome::Cancelled | Outcome::Terminated(_))) if wf.stop_sent => {}
            Ok(None) => {}
            other => out.push(format!("oracle: {id} ended {other:?}")),
        }
    }
    for run in runs.iter().filter(|r| !r.status.is_open()) {
        out.extend(replays(host, engine, run));
    }
    out
}

/// The run's history replays on its module without a divergence.
fn replays(host: &Host, engine: &Engine, run: &RunRecord) -> Option<String> {
    let module = match host.module(&run.module_digest) {
        Ok(m) => m,
        Err(e) => return Some(format!("replay: run {}'s module: {e}", run.run_id)),
    };
    let events = host.history(&run.run_id).ok()?;
    weft_runtime::replay::replay(engine, &module, &events)
        .err()
        .map(|e| {
            format!(
                "replay: run {} of {} diverges: {e}",
                run.run_id, run.workflow_id
            )
        })
}

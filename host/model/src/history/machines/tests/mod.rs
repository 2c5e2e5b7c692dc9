//! The machines over generated histories: folding a whole history, applying it event by
//! event, and folding any prefix then applying the rest all give the same state; and
//! that state answers what the folds written before the machines answered.

mod generate;
mod reference;

use std::collections::BTreeMap;

use super::{RunState, UpdateState};
use crate::history::{tasks, Event, History};

/// Seeds tried by each property; a failure names its seed.
const SEEDS: u64 = 400;
/// At most this many workflow tasks per generated history.
const TASKS: u64 = 40;

fn histories() -> impl Iterator<Item = (u64, Vec<Event>)> {
    (0..SEEDS).map(|seed| (seed, generate::history(seed, TASKS)))
}

#[test]
fn folding_stepping_and_resuming_from_any_prefix_agree() {
    let mut events_seen = 0;
    for (seed, events) in histories() {
        let whole = RunState::fold(&events);
        let mut stepped = RunState::default();
        for (k, event) in events.iter().enumerate() {
            let mut resumed = RunState::fold(&events[..k]);
            assert_eq!(resumed, stepped, "seed {seed}: prefix of {k} events");
            for rest in &events[k..] {
                resumed.apply(rest);
            }
            assert_eq!(resumed, whole, "seed {seed}: resumed after {k} events");
            stepped.apply(event);
        }
        assert_eq!(stepped, whole, "seed {seed}: stepped");
        assert_eq!(whole.applied(), events.len());
        events_seen += events.len();
    }
    // The generator makes histories worth checking, not a handful of events.
    assert!(events_seen > 20 * SEEDS as usize, "{events_seen} events");
}

#[test]
fn machines_answer_what_the_folds_answered() {
    for (seed, events) in histories() {
        let state = RunState::fold(&events);
        let (activities, timers) = state.pending();
        let (ref_activities, ref_timers) = reference::pending(&events);
        assert_eq!(
            activities, ref_activities,
            "seed {seed}: pending activities"
        );
        assert_eq!(timers, ref_timers, "seed {seed}: pending timers");
        assert_eq!(
            state.pending_children(),
            reference::pending_children(&events),
            "seed {seed}: pending children"
        );
        let children: Vec<_> = (state.children().iter())
            .map(|c| (c.seq(), c.state_name(), c.run_id().map(str::to_string)))
            .collect();
        assert_eq!(children, reference::child_infos(&events), "seed {seed}");
        assert_eq!(
            state.failing_task(),
            reference::failing_task(&events),
            "seed {seed}: failing task"
        );
        assert_eq!(
            state.carried_jobs(),
            tasks(&events).1,
            "seed {seed}: carried"
        );
        let decided: BTreeMap<_, _> = (state.decided_updates())
            .map(|(id, s)| match s {
                UpdateState::Completed(result) => (id.to_string(), Some(result.clone())),
                _ => (id.to_string(), None),
            })
            .collect();
        assert_eq!(decided, reference::decided_updates(&events), "seed {seed}");
        assert_eq!(
            state.cancel().reason().map(str::to_string),
            reference::cancel_reason(&events),
            "seed {seed}: cancellation"
        );
        assert_eq!(state.deadlines(), reference::deadlines(&events));
        assert_eq!(
            state.outcome().cloned(),
            History::new(events.clone()).outcome()
        );
    }
}

/// The generated histories reach every machine's states, so the properties above
/// cover the tables and not only their first rows.
#[test]
fn generated_histories_reach_every_kind_of_state() {
    use super::{ActivityState, CancelState, ChildState, LocalActivityState, TaskState};
    let mut seen = std::collections::BTreeSet::new();
    for (_, events) in histories() {
        let mut state = RunState::default();
        for event in &events {
            state.apply(event);
            for a in state.activities() {
                seen.insert(match a.state() {
                    ActivityState::Scheduled => "activity scheduled",
                    ActivityState::Retrying { .. } => "activity retrying",
                });
            }
            for l in state.local_activities() {
                seen.insert(match l.state() {
                    LocalActivityState::Running => "local running",
                    LocalActivityState::BackingOff { .. } => "local backing off",
                });
            }
            for c in state.children() {
                seen.insert(match c.state() {
                    ChildState::Starting => "child starting",
                    ChildState::Running { .. } => "child running",
                    ChildState::Closed { .. } => "child closed",
                });
            }
            for u in state.updates().values() {
                seen.insert(match u {
                    UpdateState::Delivered => "update delivered",
                    UpdateState::Rejected(_) => "update rejected",
                    UpdateState::Accepted => "update accepted",
                    UpdateState::Completed(_) => "update completed",
                });
            }
            seen.insert(match state.cancel().state() {
                CancelState::NotRequested => "cancel not requested",
                CancelState::Requested => "cancel requested",
                CancelState::Delivered => "cancel delivered",
                CancelState::Confirmed => "cancel confirmed",
            });
            seen.insert(match state.task().state() {
                TaskState::Idle => "task idle",
                TaskState::Running { streak: None, .. } => "task running",
                TaskState::Running {
                    streak: Some(_), ..
                } => "task retrying",
                TaskState::Failing(_) => "task failing",
            });
            if !state.timers().is_empty() {
                seen.insert("timer started");
            }
        }
    }
    assert_eq!(seen.len(), 20, "{seen:?}");
}

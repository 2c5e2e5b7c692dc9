//! The folds as they were written before the machines, one loop each, kept as the
//! reference the machines must agree with on every generated history.

use std::collections::BTreeMap;

use crate::history::vocab::{ChildOptions, ChildResolution, ScheduleActivity};
use crate::history::{
    Command, Event, FailingTask, Failure, Heartbeat, Job, Payload, PendingActivity, PendingChild,
    PendingTimer,
};

pub fn failing_task(events: &[Event]) -> Option<FailingTask> {
    let mut failing: Option<FailingTask> = None;
    let mut time = 0;
    let mut last_failed = true;
    for event in events {
        match event {
            Event::TaskStarted { time_ms } => {
                if !last_failed {
                    failing = None;
                }
                last_failed = false;
                time = *time_ms;
            }
            Event::TaskAttemptFailed {
                failure,
                retry_at_ms,
                ..
            } => {
                match &mut failing {
                    Some(f) => {
                        f.attempts += 1;
                        f.retry_at_ms = *retry_at_ms;
                    }
                    None => {
                        failing = Some(FailingTask {
                            failure: failure.clone(),
                            since_ms: time,
                            attempts: 1,
                            retry_at_ms: *retry_at_ms,
                        })
                    }
                }
                last_failed = true;
            }
            _ => {}
        }
    }
    failing.filter(|_| last_failed)
}

fn failed(a: &mut PendingActivity, attempt: u32, failure: &Failure, retry_at_ms: u64) {
    a.next_attempt = attempt + 1;
    a.not_before_ms = retry_at_ms;
    a.last_failure = Some(failure.clone());
}

fn remote(activities: &mut [PendingActivity], seq: u32) -> Option<&mut PendingActivity> {
    activities
        .iter_mut()
        .find(|a| !a.local && a.schedule.seq == seq)
}

pub fn pending(events: &[Event]) -> (Vec<PendingActivity>, Vec<PendingTimer>) {
    let mut activities: Vec<PendingActivity> = Vec::new();
    let mut locals: Vec<(ScheduleActivity, u64)> = Vec::new();
    let mut timers: Vec<PendingTimer> = Vec::new();
    let mut now = 0;
    for event in events {
        match event {
            Event::TaskStarted { time_ms } => now = *time_ms,
            Event::Command(c) => match &c.command {
                Command::ScheduleActivity(s) => {
                    activities.push(PendingActivity::new(s.clone(), now))
                }
                Command::ScheduleLocalActivity(s) => locals.push((s.clone(), now)),
                Command::RequestCancelActivity(seq) => {
                    if let Some(a) = remote(&mut activities, *seq) {
                        a.cancel_requested = true;
                    }
                }
                Command::StartTimer(t) => timers.push(PendingTimer {
                    seq: t.seq,
                    fire_at_ms: now.saturating_add(t.duration_ms),
                }),
                Command::CancelTimer(seq) => timers.retain(|t| t.seq != *seq),
                _ => {}
            },
            Event::Job(Job::ResolveActivity(r)) => {
                activities.retain(|a| a.local || a.schedule.seq != r.seq)
            }
            Event::Job(Job::ResolveLocalActivity(r)) => {
                activities.retain(|a| !a.local || a.schedule.seq != r.seq);
                locals.retain(|(s, _)| s.seq != r.seq);
            }
            Event::Job(Job::FireTimer(seq)) => timers.retain(|t| t.seq != *seq),
            Event::ActivityAttemptFailed {
                seq,
                attempt,
                retry_at_ms,
                failure,
            } => {
                if let Some(a) = remote(&mut activities, *seq) {
                    failed(a, *attempt, failure, *retry_at_ms);
                }
            }
            Event::LocalActivityAttemptFailed {
                seq,
                attempt,
                retry_at_ms,
                failure,
            } => {
                let existing = activities
                    .iter_mut()
                    .find(|a| a.local && a.schedule.seq == *seq);
                match existing {
                    Some(a) => failed(a, *attempt, failure, *retry_at_ms),
                    None => {
                        if let Some((s, at)) = locals.iter().find(|(s, _)| s.seq == *seq) {
                            let mut a = PendingActivity::new(s.clone(), *at);
                            a.local = true;
                            failed(&mut a, *attempt, failure, *retry_at_ms);
                            activities.push(a);
                        }
                    }
                }
            }
            Event::ActivityHeartbeat {
                seq,
                attempt,
                details,
                time_ms,
            } => {
                if let Some(a) = remote(&mut activities, *seq) {
                    a.last_heartbeat = Some(Heartbeat {
                        attempt: *attempt,
                        details: details.clone(),
                        time_ms: *time_ms,
                    });
                }
            }
            _ => {}
        }
    }
    (activities, timers)
}

pub fn pending_children(events: &[Event]) -> Vec<PendingChild> {
    let mut children: Vec<PendingChild> = Vec::new();
    let mut now = 0;
    for event in events {
        match event {
            Event::TaskStarted { time_ms } => now = *time_ms,
            Event::Command(c) => {
                if let Command::StartChildWorkflow(start) = &c.command {
                    children.push(PendingChild {
                        start: start.clone(),
                        scheduled_ms: now,
                        run_id: None,
                        options: ChildOptions::default(),
                        flow: crate::Flow::default(),
                    });
                }
            }
            Event::ChildOptions { seq, options } => {
                if let Some(child) = children.iter_mut().find(|c| c.start.seq == *seq) {
                    child.options = options.clone();
                }
            }
            Event::ChildFlow { seq, flow } => {
                if let Some(child) = children.iter_mut().find(|c| c.start.seq == *seq) {
                    child.flow = flow.clone();
                }
            }
            Event::Job(Job::ResolveChildWorkflow(r)) => match &r.resolution {
                ChildResolution::Started(run_id) => {
                    if let Some(child) = children.iter_mut().find(|c| c.start.seq == r.seq) {
                        child.run_id = Some(run_id.clone());
                    }
                }
                _ => children.retain(|c| c.start.seq != r.seq),
            },
            _ => {}
        }
    }
    children
}

/// Each child started: its seq, where it stands (describe's word) and its run.
pub fn child_infos(events: &[Event]) -> Vec<(u32, &'static str, Option<String>)> {
    let mut children: Vec<(u32, &'static str, Option<String>)> = Vec::new();
    for event in events {
        match event {
            Event::Command(c) => {
                if let Command::StartChildWorkflow(s) = &c.command {
                    children.push((s.seq, "starting", None));
                }
            }
            Event::Job(Job::ResolveChildWorkflow(r)) => {
                if let Some(child) = children.iter_mut().find(|(seq, ..)| *seq == r.seq) {
                    child.1 = match &r.resolution {
                        ChildResolution::Started(run) => {
                            child.2 = Some(run.clone());
                            "running"
                        }
                        ChildResolution::Completed(_) => "completed",
                        ChildResolution::Failed(_) => "failed",
                        ChildResolution::Cancelled(_) => "cancelled",
                        ChildResolution::Terminated(_) => "terminated",
                    };
                }
            }
            _ => {}
        }
    }
    children
}

/// The updates accepted (`None`) and completed (their result), by id.
pub fn decided_updates(events: &[Event]) -> BTreeMap<String, Option<Result<Payload, Failure>>> {
    let mut updates = BTreeMap::new();
    for event in events {
        let Event::Command(c) = event else { continue };
        match &c.command {
            Command::AcceptUpdate(id) => {
                updates.insert(id.clone(), None);
            }
            Command::CompleteUpdate(done) => {
                updates.insert(done.id.clone(), Some(done.result.clone()));
            }
            _ => {}
        }
    }
    updates
}

/// The first cancellation's reason, if any was asked.
pub fn cancel_reason(events: &[Event]) -> Option<String> {
    events.iter().find_map(|e| match e {
        Event::CancelRequested { reason } => Some(reason.clone()),
        _ => None,
    })
}

pub fn deadlines(events: &[Event]) -> (Option<u64>, Option<u64>) {
    events
        .iter()
        .take(4)
        .find_map(|e| match e {
            Event::Deadlines {
                run_deadline_ms,
                execution_deadline_ms,
            } => Some((*run_deadline_ms, *execution_deadline_ms)),
            _ => None,
        })
        .unwrap_or_default()
}

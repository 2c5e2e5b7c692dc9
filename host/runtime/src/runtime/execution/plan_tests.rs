//! The planner without wasm: tasks' results in, events, writes and effects out.

use super::*;
use crate::history::vocab::{
    ActivityOptions, ScheduleActivity, SignalExternal, StartChildWorkflow, StartTimer,
};
use crate::history::{Failure, Payload};
use crate::storage::Status;

const NOW: u64 = 1_000_000;

fn record() -> RunRecord {
    RunRecord {
        workflow_id: "order-1".into(),
        run_id: "run-1".into(),
        workflow_type: "order".into(),
        module_digest: "digest".into(),
        status: Status::Running,
        start_ms: 5,
        close_ms: None,
        history_len: 0,
        format_version: 1,
    }
}

/// A run with history up to index 10, one armed timer (seq 7), and two watched
/// children: one terminated on close, one abandoned.
struct Fixture {
    record: RunRecord,
    armed: BTreeMap<u32, TimerRow>,
    options: Aside,
    fired: Vec<TimerRow>,
    retry: Option<Retry>,
    codec: PayloadCodec,
    first_commit: bool,
}

impl Fixture {
    fn new() -> Fixture {
        let row = TimerRow {
            fire_at_ms: NOW + 60_000,
            run_id: "run-1".into(),
            seq: 7,
        };
        Fixture {
            record: record(),
            armed: BTreeMap::from([(7, row)]),
            options: Default::default(),
            fired: Vec::new(),
            retry: None,
            codec: PayloadCodec::none(),
            first_commit: false,
        }
    }

    fn view(&self) -> RunView<'_> {
        RunView {
            record: &self.record,
            next_index: 10,
            armed: &self.armed,
            children: vec![
                WatchedChild {
                    seq: 1,
                    workflow_id: "child-a",
                    policy: ParentClosePolicy::Terminate,
                },
                WatchedChild {
                    seq: 2,
                    workflow_id: "child-b",
                    policy: ParentClosePolicy::Abandon,
                },
            ],
            aside: &self.options,
            fired: &self.fired,
            retry: self.retry.as_ref(),
            first_commit: self.first_commit,
            codec: &self.codec,
        }
    }

    fn plan(&self, jobs: &[Job], produced: &Result<Vec<IssuedCommand>, TaskFailure>) -> Plan {
        plan_task(
            &self.view(),
            Task {
                time_ms: NOW,
                jobs,
                produced,
                panic_fails_run: false,
                details: None,
                attributes: None,
                origins: Vec::new(),
                next_run: Vec::new(),
            },
        )
    }
}

fn issued(command: Command) -> IssuedCommand {
    IssuedCommand {
        command,
        location: None,
    }
}

fn recorded(plan: Plan) -> Recording {
    match plan {
        Plan::Record(r) => r,
        other => panic!("expected a recording, got {other:?}"),
    }
}

fn signal(seq: u32) -> Command {
    Command::SignalExternal(SignalExternal {
        seq,
        workflow_id: "other".into(),
        name: "ping".into(),
        input: Payload::json(&serde_json::json!(1)),
    })
}

#[test]
fn a_timer_is_recorded_with_its_row() {
    let f = Fixture::new();
    let start = Command::StartTimer(StartTimer {
        seq: 8,
        duration_ms: 1_500,
    });
    let r = recorded(f.plan(&[Job::FireTimer(3)], &Ok(vec![issued(start.clone())])));
    assert_eq!(
        r.events,
        vec![
            Event::TaskStarted { time_ms: NOW },
            Event::Job(Job::FireTimer(3)),
            Event::Command(issued(start)),
        ]
    );
    assert_eq!(
        r.writes,
        vec![Write::PutTimer(TimerRow {
            fire_at_ms: NOW + 1_500,
            run_id: "run-1".into(),
            seq: 8,
        })]
    );
    assert!(r.effects.is_empty() && r.outcome.is_none() && r.closed.is_none());
}

/// Details a task changed are recorded after its jobs, before its commands (a closing
/// command stays the last event).
#[test]
fn changed_details_are_recorded_before_the_commands() {
    let f = Fixture::new();
    let complete = Command::CompleteWorkflow(Payload::json(&serde_json::json!(1)));
    let produced = Ok(vec![issued(complete.clone())]);
    let plan = plan_task(
        &f.view(),
        Task {
            time_ms: NOW,
            jobs: &[Job::FireTimer(3)],
            produced: &produced,
            panic_fails_run: false,
            details: Some("**done**".into()),
            attributes: None,
            origins: Vec::new(),
            next_run: Vec::new(),
        },
    );
    let r = recorded(plan);
    assert_eq!(
        r.events,
        vec![
            Event::TaskStarted { time_ms: NOW },
            Event::Job(Job::FireTimer(3)),
            Event::CurrentDetails {
                details: "**done**".into()
            },
            Event::Command(issued(complete)),
        ]
    );
    assert!(r.outcome.is_some());
}

#[test]
fn a_cancelled_timer_and_a_fired_one_lose_their_rows() {
    let mut f = Fixture::new();
    let fired = TimerRow {
        fire_at_ms: NOW,
        run_id: "run-1".into(),
        seq: 3,
    };
    f.fired.push(fired.clone());
    let r = recorded(f.plan(
        &[Job::FireTimer(3)],
        &Ok(vec![issued(Command::CancelTimer(7))]),
    ));
    assert_eq!(
        r.writes,
        vec![
            Write::DeleteTimer(f.armed[&7].clone()),
            Write::DeleteTimer(fired)
        ]
    );
}

/// Found by `weft-sim --seed 1`: a timer a task starts and cancels at once (a `select!`
/// between a wait that is already over and its timeout) left its row stored for good.
#[test]
fn a_timer_started_and_cancelled_by_one_task_writes_no_row() {
    let f = Fixture::new();
    let start = Command::StartTimer(StartTimer {
        seq: 9,
        duration_ms: 1_000,
    });
    let r = recorded(f.plan(
        &[],
        &Ok(vec![issued(start), issued(Command::CancelTimer(9))]),
    ));
    assert!(
        !r.writes
            .iter()
            .any(|w| matches!(w, Write::PutTimer(_) | Write::DeleteTimer(_))),
        "{:?}",
        r.writes
    );
}

#[test]
fn a_signal_goes_out_through_the_outbox_at_its_event_index() {
    let f = Fixture::new();
    let r = recorded(f.plan(&[], &Ok(vec![issued(signal(4))])));
    assert_eq!(r.effects.len(), 1);
    // The command is the second event of the task, which starts at index 10.
    assert_eq!(r.effects[0].key.ordinal, 11 << 16);
    assert!(matches!(
        &r.effects[0].effect,
        Effect::Signal { workflow_id, event_index: 11 } if workflow_id == "other"
    ));
    assert_eq!(r.writes, vec![r.effects[0].row()]);
}

#[test]
fn closing_writes_the_record_outcome_and_timers_then_policies_after_signals() {
    let f = Fixture::new();
    let done = Command::CompleteWorkflow(Payload::json(&serde_json::json!("ok")));
    let r = recorded(f.plan(&[], &Ok(vec![issued(signal(4)), issued(done)])));
    assert!(matches!(r.outcome, Some(Outcome::Completed(_))));
    let closed = r.closed.as_ref().expect("closed");
    assert_eq!(closed.status, Status::Completed);
    assert_eq!(closed.close_ms, Some(NOW));
    // task-started, two commands: the history ends at index 13.
    assert_eq!(closed.history_len, 13);
    assert!(r.writes.contains(&Write::PutRun(closed.clone())));
    assert!(r.writes.contains(&Write::DeleteTimer(f.armed[&7].clone())));
    assert!(r
        .writes
        .iter()
        .any(|w| matches!(w, Write::PutOutcome { run_id, .. } if run_id == "run-1")));
    // The signal first, then the terminate policy of child-a (child-b is abandoned).
    let kinds: Vec<_> = r.effects.iter().map(|e| e.effect.clone()).collect();
    assert_eq!(kinds.len(), 2);
    assert!(matches!(kinds[0], Effect::Signal { .. }));
    assert_eq!(
        kinds[1],
        Effect::ClosePolicy {
            workflow_id: "child-a".into(),
            terminate: true
        }
    );
    assert!(r.effects[0].key.ordinal < r.effects[1].key.ordinal);
}

#[test]
fn cancelling_a_child_started_in_the_same_task_names_its_id() {
    let f = Fixture::new();
    let start = Command::StartChildWorkflow(StartChildWorkflow {
        seq: 9,
        workflow_type: "ship".into(),
        input: Payload::json(&serde_json::json!(null)),
        workflow_id: None,
        parent_close_policy: ParentClosePolicy::Terminate,
    });
    let r = recorded(f.plan(
        &[],
        &Ok(vec![issued(start), issued(Command::CancelChildWorkflow(9))]),
    ));
    assert_eq!(
        r.effects[0].effect,
        Effect::CancelChild {
            workflow_id: "child-9".into()
        }
    );
    // A child never started has nothing to cancel.
    let r = recorded(f.plan(&[], &Ok(vec![issued(Command::CancelChildWorkflow(30))])));
    assert!(r.effects.is_empty());
}

#[test]
fn a_failed_task_is_recorded_once_per_streak_unless_it_delivered_jobs() {
    let mut f = Fixture::new();
    let failure = Err(TaskFailure::host("trap"));
    let r = recorded(f.plan(&[], &failure));
    assert_eq!(
        r.retry,
        Some(Retry {
            attempt: 1,
            at_ms: NOW + 1_000
        })
    );
    assert!(matches!(
        r.events.last(),
        Some(Event::TaskAttemptFailed {
            attempt: 1,
            retry_at_ms,
            ..
        }) if *retry_at_ms == NOW + 1_000
    ));
    f.retry = r.retry;
    let again = recorded(f.plan(&[], &failure));
    assert!(again.events.is_empty(), "the streak is recorded already");
    assert_eq!(again.retry.as_ref().map(|r| r.attempt), Some(2));
    let with_job = recorded(f.plan(&[Job::CancelRequested], &failure));
    assert_eq!(with_job.events.len(), 3);
    assert!(with_job.outcome.is_none() && with_job.closed.is_none());
}

#[test]
fn a_panic_fails_the_run_when_the_workflow_opted_in() {
    let f = Fixture::new();
    let produced = Err(TaskFailure::host("boom"));
    let plan = plan_task(
        &f.view(),
        Task {
            time_ms: NOW,
            jobs: &[],
            produced: &produced,
            panic_fails_run: true,
            details: None,
            attributes: None,
            origins: Vec::new(),
            next_run: Vec::new(),
        },
    );
    let r = recorded(plan);
    assert!(matches!(r.events.last(), Some(Event::TaskFailed(_))));
    assert!(matches!(r.outcome, Some(Outcome::Failed(_))));
    assert_eq!(r.closed.map(|c| c.status), Some(Status::Failed));
    assert!(r.retry.is_none());
}

#[test]
fn an_input_that_never_decodes_refuses_the_start() {
    let mut f = Fixture::new();
    f.first_commit = true;
    let fail = Command::FailWorkflow(Failure::new(
        "expected a number",
        weft_types::error_types::INVALID_INPUT,
    ));
    let plan = f.plan(&[], &Ok(vec![issued(fail.clone())]));
    assert!(matches!(plan, Plan::RefuseStart(m) if m == "expected a number"));
    // Later in the run, the same failure closes it.
    f.first_commit = false;
    assert!(matches!(
        recorded(f.plan(&[], &Ok(vec![issued(fail)]))).outcome,
        Some(Outcome::Failed(_))
    ));
}

#[test]
fn local_activities_hold_the_task_back_except_in_a_start() {
    let mut f = Fixture::new();
    let local = Command::ScheduleLocalActivity(ScheduleActivity {
        seq: 1,
        activity_type: "charge".into(),
        input: Payload::json(&serde_json::json!(1)),
        options: ActivityOptions {
            task_queue: None,
            start_to_close_timeout_ms: 1_000,
            schedule_to_close_timeout_ms: None,
            schedule_to_start_timeout_ms: None,
            heartbeat_timeout_ms: None,
            retry_policy: None,
        },
    });
    let produced = Ok(vec![issued(local)]);
    assert!(matches!(f.plan(&[], &produced), Plan::Defer(_)));
    f.first_commit = true;
    assert!(matches!(f.plan(&[], &produced), Plan::Record(_)));
}

#[test]
fn a_host_decided_close_runs_no_code() {
    let f = Fixture::new();
    let r = close(
        &f.view(),
        Event::Terminated {
            reason: "stop".into(),
        },
        Outcome::Terminated("stop".into()),
        NOW,
        Vec::new(),
    );
    assert_eq!(r.events.len(), 1);
    let closed = r.closed.expect("closed");
    assert_eq!(
        (closed.status, closed.history_len),
        (Status::Terminated, 11)
    );
    assert_eq!(r.effects.len(), 1, "child-a's terminate policy");
}

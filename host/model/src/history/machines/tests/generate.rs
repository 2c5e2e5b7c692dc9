//! Histories made up from a seed: commands of every kind and their resolutions, in
//! arbitrary interleavings, shaped as a host records them (a task is `task-started`,
//! its jobs, then its commands or `task-attempt-failed`; attempt reports and
//! cancellation requests come between tasks). Resolutions name live commands most of
//! the time, and now and then a seq the run never had or already resolved.

use crate::history::vocab::{
    ActivityOptions, ActivityResolution, ChildOptions, ChildResolution, CompleteUpdate,
    ContinueAsNew, Marker, ParentClosePolicy, ResolveActivity, ResolveChildWorkflow,
    SignalExternal, StartChildWorkflow, StartTimer, StartWorkflow, Update,
};
use crate::history::{
    Command, Event, ExecutionStarted, Failure, IssuedCommand, Job, Payload, ScheduleActivity,
    TaskFailure,
};

/// A small seeded generator (SplitMix64): the same seed, the same history.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A live seq from `live` most of the time, else any small seq.
    fn seq_from(&mut self, live: &[u32]) -> u32 {
        if live.is_empty() || self.chance(15) {
            self.below(12) as u32 + 1
        } else {
            live[self.below(live.len() as u64) as usize]
        }
    }
}

fn payload(n: u64) -> Payload {
    Payload::json(&serde_json::json!(n))
}

fn failure(rng: &mut Rng) -> Failure {
    Failure::new(format!("attempt {}", rng.below(100)), "Unavailable")
}

fn command(command: Command) -> Event {
    Event::Command(IssuedCommand {
        command,
        location: None,
    })
}

fn schedule(seq: u32) -> ScheduleActivity {
    ScheduleActivity {
        seq,
        activity_type: format!("act{seq}"),
        input: payload(seq.into()),
        options: ActivityOptions {
            task_queue: None,
            start_to_close_timeout_ms: 1_000,
            schedule_to_close_timeout_ms: None,
            schedule_to_start_timeout_ms: None,
            heartbeat_timeout_ms: None,
            retry_policy: None,
        },
    }
}

/// What the run has live, as the generator tracks it to name it in later events.
#[derive(Default)]
struct Live {
    activities: Vec<u32>,
    locals: Vec<u32>,
    timers: Vec<u32>,
    children: Vec<u32>,
    next_seq: u32,
}

impl Live {
    fn fresh(&mut self) -> u32 {
        self.next_seq += 1;
        self.next_seq
    }
}

/// A history of up to `tasks` workflow tasks from `seed`.
pub fn history(seed: u64, tasks: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let mut live = Live::default();
    let mut events = vec![Event::ExecutionStarted(ExecutionStarted {
        workflow_type: "w".into(),
        workflow_id: "id".into(),
        run_id: "run".into(),
        module_digest: "digest".into(),
        time_ms: 0,
    })];
    if rng.chance(50) {
        events.push(Event::Deadlines {
            run_deadline_ms: rng.chance(50).then(|| rng.below(10_000)),
            execution_deadline_ms: rng.chance(50).then(|| rng.below(10_000)),
        });
    }
    if rng.chance(30) {
        events.push(Event::PendingJob(Job::Signal(
            crate::history::vocab::Signal {
                name: "carried".into(),
                input: payload(0),
            },
        )));
    }
    let mut time = 0;
    for task in 0..rng.below(tasks) + 1 {
        reports(&mut rng, &live, &mut events);
        time += rng.below(1_000);
        events.push(Event::TaskStarted { time_ms: time });
        if task == 0 {
            events.push(Event::Job(start_job()));
        }
        for _ in 0..rng.below(4) {
            events.push(Event::Job(job(&mut rng, &mut live)));
        }
        if rng.chance(25) {
            events.push(Event::TaskAttemptFailed {
                failure: TaskFailure::host(format!("panic {}", rng.below(3))),
                attempt: 1,
                retry_at_ms: time + rng.below(500),
            });
            continue;
        }
        for _ in 0..rng.below(5) {
            events.extend(commands(&mut rng, &mut live));
        }
    }
    if rng.chance(30) {
        events.push(closing(&mut rng));
    }
    events
}

fn start_job() -> Job {
    Job::StartWorkflow(StartWorkflow {
        workflow_type: "w".into(),
        input: payload(0),
        workflow_id: "id".into(),
        run_id: "run".into(),
        attempt: 1,
        parent_workflow_id: None,
        random_seed: 7,
        search_attributes: Vec::new(),
        memo: Vec::new(),
    })
}

/// What comes between tasks: attempt reports and cancellation requests.
fn reports(rng: &mut Rng, live: &Live, events: &mut Vec<Event>) {
    for _ in 0..rng.below(4) {
        let attempt = rng.below(5) as u32 + 1;
        events.push(match rng.below(4) {
            0 => Event::ActivityAttemptFailed {
                seq: rng.seq_from(&live.activities),
                attempt,
                failure: failure(rng),
                retry_at_ms: rng.below(100_000),
            },
            1 => Event::LocalActivityAttemptFailed {
                seq: rng.seq_from(&live.locals),
                attempt,
                failure: failure(rng),
                retry_at_ms: rng.below(100_000),
            },
            2 => Event::ActivityHeartbeat {
                seq: rng.seq_from(&live.activities),
                attempt,
                details: rng.chance(50).then(|| payload(rng.below(9))),
                time_ms: rng.below(100_000),
            },
            _ => Event::CancelRequested {
                reason: format!("reason {}", rng.below(3)),
            },
        });
    }
}

/// A job resolving something live (or, now and then, something that is not).
fn job(rng: &mut Rng, live: &mut Live) -> Job {
    match rng.below(8) {
        0 => {
            let seq = rng.seq_from(&live.activities);
            live.activities.retain(|s| *s != seq);
            Job::ResolveActivity(ResolveActivity {
                seq,
                resolution: ActivityResolution::Completed(payload(1)),
            })
        }
        1 => {
            let seq = rng.seq_from(&live.locals);
            live.locals.retain(|s| *s != seq);
            Job::ResolveLocalActivity(ResolveActivity {
                seq,
                resolution: ActivityResolution::Failed(failure(rng)),
            })
        }
        2 => {
            let seq = rng.seq_from(&live.timers);
            live.timers.retain(|s| *s != seq);
            Job::FireTimer(seq)
        }
        3 if !live.children.is_empty() => child_resolution(rng, live),
        4 => Job::Update(Update {
            id: format!("u{}", rng.below(5)),
            name: "up".into(),
            input: payload(2),
        }),
        5 => Job::CancelRequested,
        _ => Job::Signal(crate::history::vocab::Signal {
            name: "s".into(),
            input: payload(3),
        }),
    }
}

/// A live child starts or closes (a child closes once: its parent hears it once).
fn child_resolution(rng: &mut Rng, live: &mut Live) -> Job {
    let index = rng.below(live.children.len() as u64) as usize;
    let seq = live.children[index];
    let resolution = match rng.below(6) {
        0 | 1 => ChildResolution::Started(format!("run-{seq}-{}", rng.below(2))),
        2 => ChildResolution::Completed(payload(4)),
        3 => ChildResolution::Failed(failure(rng)),
        4 => ChildResolution::Cancelled(failure(rng)),
        _ => ChildResolution::Terminated(failure(rng)),
    };
    if !matches!(resolution, ChildResolution::Started(_)) {
        live.children.remove(index);
    }
    Job::ResolveChildWorkflow(ResolveChildWorkflow { seq, resolution })
}

/// One command a task recorded (with the `child-options` a child's start may bring).
fn commands(rng: &mut Rng, live: &mut Live) -> Vec<Event> {
    let update = format!("u{}", rng.below(5));
    let one = match rng.below(13) {
        0 => {
            let seq = live.fresh();
            live.activities.push(seq);
            Command::ScheduleActivity(schedule(seq))
        }
        1 => {
            let seq = live.fresh();
            live.locals.push(seq);
            Command::ScheduleLocalActivity(schedule(seq))
        }
        2 => Command::RequestCancelActivity(rng.seq_from(&live.activities)),
        3 => {
            let seq = live.fresh();
            live.timers.push(seq);
            Command::StartTimer(StartTimer {
                seq,
                duration_ms: rng.below(5_000),
            })
        }
        4 => {
            let seq = rng.seq_from(&live.timers);
            live.timers.retain(|s| *s != seq);
            Command::CancelTimer(seq)
        }
        5 => return start_child(rng, live),
        6 => Command::CancelChildWorkflow(rng.seq_from(&live.children)),
        7 => Command::SignalExternal(SignalExternal {
            seq: live.fresh(),
            workflow_id: "other".into(),
            name: "s".into(),
            input: payload(5),
        }),
        8 => Command::RecordMarker(match rng.chance(50) {
            true => Marker::Patch(format!("p{}", rng.below(3))),
            false => Marker::SideEffect(payload(6)),
        }),
        9 => Command::AcceptUpdate(update),
        10 => Command::RejectUpdate((update, failure(rng))),
        11 => Command::CompleteUpdate(CompleteUpdate {
            id: update,
            result: Ok(payload(rng.below(3))),
        }),
        _ => Command::UpsertMemo(Vec::new()),
    };
    vec![command(one)]
}

fn start_child(rng: &mut Rng, live: &mut Live) -> Vec<Event> {
    let seq = live.fresh();
    live.children.push(seq);
    let mut events = vec![command(Command::StartChildWorkflow(StartChildWorkflow {
        seq,
        workflow_type: "child".into(),
        input: payload(7),
        workflow_id: rng.chance(50).then(|| format!("kid-{seq}")),
        parent_close_policy: ParentClosePolicy::Terminate,
    }))];
    if rng.chance(50) {
        events.push(Event::ChildOptions {
            seq,
            options: ChildOptions {
                execution_timeout_ms: Some(rng.below(10_000)),
                run_timeout_ms: None,
                retry_policy: None,
            },
        });
    }
    events
}

/// How the run closes, when it does.
fn closing(rng: &mut Rng) -> Event {
    match rng.below(5) {
        0 => command(Command::CompleteWorkflow(payload(8))),
        1 => command(Command::CancelWorkflowConfirmed),
        2 => command(Command::ContinueAsNew(ContinueAsNew {
            workflow_type: None,
            input: payload(9),
        })),
        3 => Event::Terminated {
            reason: "stop".into(),
        },
        _ => Event::TimedOut {
            reason: "late".into(),
        },
    }
}

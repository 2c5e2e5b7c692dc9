//! Where an open run waits: every future of the workflow the host knows to be pending,
//! each with the line of workflow code that created it (`weft stack`, and the "waiting
//! at" section of `weft describe`).
//!
//! The pending set is the run's state machines' (what `describe` lists as pending
//! activities, timers and children, plus updates whose handler runs); each command
//! the SDK issues carries the `#[track_caller]` location of the call that made the
//! future (`ctx.activity(..)`, `ctx.sleep(..)`, `ctx.child_workflow(..)`), recorded
//! with it in the history, so the join costs one pass over the history and nothing on
//! any hot path.
//!
//! Futures that issue no command (a wait condition, a signal channel's `recv`,
//! `ctx.cancelled()`) are not in the history at all: the SDK reports them at the end
//! of each activation (host import `waiting-on`, with the `#[track_caller]` line that
//! awaits them) and the run's instance keeps the last report in memory. The stack asks
//! the run's actor for it ([`WAITING_QUERY`], answered by the host from the instance,
//! never by the workflow): an instance evicted from memory, or lost with a restart, is
//! rebuilt by replay, whose last activation reports again. A component built before
//! `waiting-on` reports nothing. An update handler in progress is listed without a line
//! (the `update` job that started it is the host's, not a line of workflow code).

use std::collections::HashMap;

use super::{Host, QueryError};
use crate::engine::{WaitKind, WaitPoint};
use crate::history::machines::UpdateState;
use crate::history::vocab::SourceLocation;
use crate::history::{Command, Event, History, Job, RunState};
use crate::storage::RunRecord;

/// What kind of future waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameKind {
    Activity,
    LocalActivity,
    Timer,
    Child,
    Update,
    /// `ctx.wait_condition(..)`, `ctx.wait_until(..)` (reported by the SDK).
    Condition,
    /// `ctx.all_handlers_finished()`.
    HandlersFinished,
    /// A signal channel's `recv`; the frame's name is the signal's.
    SignalChannel,
    /// `ctx.cancelled()`.
    Cancellation,
}

impl FrameKind {
    /// `activity`, `local-activity`, `timer`, `child`, `update`, `condition`,
    /// `handlers-finished`, `signal-channel` or `cancellation`.
    pub fn as_str(self) -> &'static str {
        match self {
            FrameKind::Activity => "activity",
            FrameKind::LocalActivity => "local-activity",
            FrameKind::Timer => "timer",
            FrameKind::Child => "child",
            FrameKind::Update => "update",
            FrameKind::Condition => "condition",
            FrameKind::HandlersFinished => "handlers-finished",
            FrameKind::SignalChannel => "signal-channel",
            FrameKind::Cancellation => "cancellation",
        }
    }
}

/// The query the host answers itself, from the run's instance, with what the workflow
/// last reported waiting on (`waiting-on`): JSON, a list of [`WaitPoint`]s.
pub const WAITING_QUERY: &str = "__weft_waiting_on";

impl From<WaitPoint> for Frame {
    fn from(point: WaitPoint) -> Frame {
        Frame {
            kind: match point.kind {
                WaitKind::Condition => FrameKind::Condition,
                WaitKind::HandlersFinished => FrameKind::HandlersFinished,
                WaitKind::SignalChannel => FrameKind::SignalChannel,
                WaitKind::Cancellation => FrameKind::Cancellation,
            },
            seq: None,
            name: point.name,
            location: point.location,
        }
    }
}

/// One pending future and where the workflow created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: FrameKind,
    /// Its sequence number among the commands of its kind (none for an update).
    pub seq: Option<u32>,
    /// The activity type, the timer's duration, the child's workflow id, or the
    /// update's name and id.
    pub name: String,
    /// The line of workflow code that issued its command, when the SDK reported it.
    pub location: Option<SourceLocation>,
}

/// Where a run waits.
#[derive(Debug, Clone)]
pub struct Stack {
    pub run: RunRecord,
    /// Empty once the run is closed.
    pub frames: Vec<Frame>,
}

impl Host {
    /// Where the run `id` (a workflow id's latest run, or a run id) waits: its pending
    /// futures, in the order they became pending, each with its source line; then what
    /// its workflow reported waiting on besides (see the module's doc).
    pub async fn stack(&self, id: &str) -> Result<Stack, QueryError> {
        let run = self.find_run(id)?;
        let frames = if run.status.is_open() {
            let history = History::new(self.inspect().history_of(&run)?);
            let mut frames = frames(&history.events, &history.state());
            frames.extend(self.reported_waits(&run.run_id).await);
            frames
        } else {
            Vec::new()
        };
        Ok(Stack { run, frames })
    }

    /// What the workflow of open run `run_id` last reported waiting on, asked of its
    /// instance; nothing when it cannot answer (its history does not replay).
    pub(crate) async fn reported_waits(&self, run_id: &str) -> Vec<Frame> {
        let null = crate::history::Payload::json(&serde_json::Value::Null);
        let answer = match self.ask(run_id, WAITING_QUERY, null).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::debug!(run = %run_id, "no waits reported: {e}");
                return Vec::new();
            }
        };
        let points: Vec<WaitPoint> = serde_json::from_slice(&answer.data).unwrap_or_default();
        points.into_iter().map(Frame::from).collect()
    }
}

/// The pending futures of a run whose history is `events` and state `state`.
pub fn frames(events: &[Event], state: &RunState) -> Vec<Frame> {
    let located = Located::of(events);
    let (activities, timers) = state.pending();
    let mut frames: Vec<Frame> = Vec::new();
    for a in activities {
        let kind = if a.local {
            FrameKind::LocalActivity
        } else {
            FrameKind::Activity
        };
        frames.push(located.frame(kind, a.schedule.seq, a.schedule.activity_type));
    }
    for t in timers {
        let name = located.timer_name(t.seq);
        frames.push(located.frame(FrameKind::Timer, t.seq, name));
    }
    for child in state.pending_children() {
        let seq = child.start.seq;
        frames.push(located.frame(FrameKind::Child, seq, child.workflow_id()));
    }
    for (id, update) in state.updates() {
        if *update == UpdateState::Accepted {
            let name = located.update_names.get(id.as_str()).copied();
            frames.push(Frame {
                kind: FrameKind::Update,
                seq: None,
                name: format!("{} id={id}", name.unwrap_or("?")),
                location: None,
            });
        }
    }
    frames
}

/// The location of each command by kind and seq, read off the history once.
#[derive(Default)]
struct Located<'a> {
    commands: HashMap<(FrameKind, u32), &'a SourceLocation>,
    timer_ms: HashMap<u32, u64>,
    update_names: HashMap<&'a str, &'a str>,
}

impl<'a> Located<'a> {
    fn of(events: &'a [Event]) -> Located<'a> {
        let mut located = Located::default();
        for event in events {
            match event {
                Event::Command(issued) => {
                    let key = match &issued.command {
                        Command::ScheduleActivity(s) => (FrameKind::Activity, s.seq),
                        Command::ScheduleLocalActivity(s) => (FrameKind::LocalActivity, s.seq),
                        Command::StartTimer(t) => {
                            located.timer_ms.insert(t.seq, t.duration_ms);
                            (FrameKind::Timer, t.seq)
                        }
                        Command::StartChildWorkflow(s) => (FrameKind::Child, s.seq),
                        _ => continue,
                    };
                    if let Some(location) = &issued.location {
                        located.commands.insert(key, location);
                    }
                }
                Event::Job(Job::Update(u)) => {
                    located.update_names.insert(&u.id, &u.name);
                }
                _ => {}
            }
        }
        located
    }

    fn frame(&self, kind: FrameKind, seq: u32, name: String) -> Frame {
        Frame {
            kind,
            seq: Some(seq),
            name,
            location: self.commands.get(&(kind, seq)).map(|l| (*l).clone()),
        }
    }

    /// A timer named by its duration.
    fn timer_name(&self, seq: u32) -> String {
        match self.timer_ms.get(&seq) {
            Some(ms) => format!("{}ms", ms),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::{
        ActivityOptions, ActivityResolution, ResolveActivity, ScheduleActivity, StartTimer, Update,
    };
    use crate::history::{IssuedCommand, Payload};

    fn at(line: u32) -> Option<SourceLocation> {
        Some(SourceLocation {
            file: "src/lib.rs".into(),
            line,
            column: 5,
        })
    }

    fn issued(command: Command, line: u32) -> Event {
        Event::Command(IssuedCommand {
            command,
            location: at(line),
        })
    }

    /// Pending futures carry the line of the command that made them; resolved ones
    /// and decided updates are gone, a running update handler is listed without one.
    #[test]
    fn pending_futures_are_located_by_their_commands() {
        let schedule = |seq, name: &str| {
            Command::ScheduleActivity(ScheduleActivity {
                seq,
                activity_type: name.into(),
                input: Payload::json(&serde_json::Value::Null),
                options: ActivityOptions {
                    task_queue: None,
                    start_to_close_timeout_ms: 1000,
                    schedule_to_close_timeout_ms: None,
                    schedule_to_start_timeout_ms: None,
                    heartbeat_timeout_ms: None,
                    retry_policy: None,
                },
            })
        };
        let events = vec![
            Event::TaskStarted { time_ms: 1 },
            issued(schedule(1, "charge"), 10),
            issued(schedule(2, "ship"), 11),
            issued(
                Command::StartTimer(StartTimer {
                    seq: 1,
                    duration_ms: 60_000,
                }),
                12,
            ),
            Event::Job(Job::ResolveActivity(ResolveActivity {
                seq: 1,
                resolution: ActivityResolution::Completed(Payload::json(&serde_json::json!(1))),
            })),
            Event::Job(Job::Update(Update {
                id: "u1".into(),
                name: "approve".into(),
                input: Payload::json(&serde_json::Value::Null),
            })),
            issued(Command::AcceptUpdate("u1".into()), 20),
        ];
        let history = History::new(events);
        let frames = frames(&history.events, &history.state());
        let shown: Vec<(FrameKind, Option<u32>, &str, Option<u32>)> = frames
            .iter()
            .map(|f| {
                let line = f.location.as_ref().map(|l| l.line);
                (f.kind, f.seq, f.name.as_str(), line)
            })
            .collect();
        assert_eq!(
            shown,
            [
                (FrameKind::Activity, Some(2), "ship", Some(11)),
                (FrameKind::Timer, Some(1), "60000ms", Some(12)),
                (FrameKind::Update, None, "approve id=u1", None),
            ]
        );
    }
}

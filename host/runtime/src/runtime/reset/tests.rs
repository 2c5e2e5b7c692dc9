use super::*;
use crate::history::vocab::{Signal, StartWorkflow, Update};
use crate::history::{Command, IssuedCommand, Payload};

fn start() -> Job {
    Job::StartWorkflow(StartWorkflow {
        workflow_type: "t".into(),
        input: Payload::json(&serde_json::json!(1)),
        workflow_id: "w".into(),
        run_id: "old".into(),
        attempt: 1,
        parent_workflow_id: None,
        random_seed: 7,
        search_attributes: vec![],
        memo: vec![],
    })
}

fn signal(name: &str) -> Job {
    Job::Signal(Signal {
        name: name.into(),
        input: Payload::json(&serde_json::json!(null)),
    })
}

fn update(id: &str) -> Job {
    Job::Update(Update {
        id: id.into(),
        name: "u".into(),
        input: Payload::json(&serde_json::json!(null)),
    })
}

fn timer(seq: u32) -> Event {
    Event::Command(IssuedCommand {
        command: Command::StartTimer(crate::history::vocab::StartTimer {
            seq,
            duration_ms: 10,
        }),
        location: None,
    })
}

/// The new run's first event.
fn started() -> ExecutionStarted {
    ExecutionStarted {
        workflow_type: "t".into(),
        workflow_id: "w".into(),
        run_id: "new".into(),
        module_digest: "d2".into(),
        time_ms: 50,
    }
}

/// Tasks at 1, 4 and 8: start; timer 1 fired with signal `a`; update `u1`, signal `b`.
fn history() -> Vec<Event> {
    vec![
        Event::ExecutionStarted(ExecutionStarted {
            workflow_type: "t".into(),
            workflow_id: "w".into(),
            run_id: "old".into(),
            module_digest: "d".into(),
            time_ms: 0,
        }),
        Event::TaskStarted { time_ms: 0 },
        Event::Job(start()),
        timer(1),
        Event::TaskStarted { time_ms: 10 },
        Event::Job(Job::FireTimer(1)),
        Event::Job(signal("a")),
        timer(2),
        Event::TaskStarted { time_ms: 20 },
        Event::Job(update("u1")),
        Event::Job(signal("b")),
    ]
}

#[test]
fn points_name_task_starts() {
    let events = history();
    let first = cut(&events, ResetPoint::FirstTask, Reapply::None).unwrap();
    assert_eq!(first.index, 1);
    assert_eq!(first.jobs, vec![start()]);
    let last = cut(&events, ResetPoint::LastTask, Reapply::None).unwrap();
    assert_eq!(last.index, 8);
    assert_eq!(last.jobs, vec![update("u1"), signal("b")]);
    let middle = cut(&events, ResetPoint::Event(4), Reapply::None).unwrap();
    assert_eq!(middle.jobs, vec![Job::FireTimer(1), signal("a")]);
    let wrong = cut(&events, ResetPoint::Event(5), Reapply::All).unwrap_err();
    assert!(wrong.contains("event 5 is a `fire-timer`"), "{wrong}");
    assert!(wrong.contains("start at events 1, 4, 8"), "{wrong}");
    let beyond = cut(&events, ResetPoint::Event(99), Reapply::All).unwrap_err();
    assert!(beyond.contains("the run has 11 events"), "{beyond}");
    let none = cut(&events[..1], ResetPoint::FirstTask, Reapply::All).unwrap_err();
    assert!(none.contains("no workflow task"), "{none}");
}

#[test]
fn messages_after_the_task_are_reapplied_as_asked() {
    let events = history();
    let jobs = |reapply| cut(&events, ResetPoint::FirstTask, reapply).unwrap().jobs;
    assert_eq!(
        jobs(Reapply::All),
        vec![start(), signal("a"), update("u1"), signal("b")]
    );
    assert_eq!(
        jobs(Reapply::Signals),
        vec![start(), signal("a"), signal("b")]
    );
    assert_eq!(jobs(Reapply::Updates), vec![start(), update("u1")]);
    assert_eq!(jobs(Reapply::None), vec![start()]);
}

#[test]
fn the_new_run_copies_the_events_before_the_task_under_its_own_ids() {
    let events = history();
    let cut = cut(&events, ResetPoint::Event(4), Reapply::Signals).unwrap();
    let new = new_run_events(&events, cut, started(), "old", "why");
    assert_eq!(new[0], Event::ExecutionStarted(started()));
    let Event::Job(Job::StartWorkflow(s)) = &new[2] else {
        panic!("{:?}", new[2])
    };
    assert_eq!(s.run_id, "new");
    assert_eq!(new[3], timer(1));
    assert_eq!(
        new[4],
        Event::ResetFrom {
            run_id: "old".into(),
            event_index: 4,
            reason: "why".into()
        }
    );
    assert_eq!(
        new[5..],
        [
            Event::PendingJob(Job::FireTimer(1)),
            Event::PendingJob(signal("a")),
            Event::PendingJob(signal("b")),
        ]
    );
    let (from, to) = reset_links(&new);
    assert_eq!(from, Some(("old".into(), 4, "why".into())));
    assert_eq!(to, None);
}

#[test]
fn points_and_reapply_parse() {
    assert_eq!("first-task".parse(), Ok(ResetPoint::FirstTask));
    assert_eq!("last-task".parse(), Ok(ResetPoint::LastTask));
    assert_eq!("12".parse(), Ok(ResetPoint::Event(12)));
    assert!("middle"
        .parse::<ResetPoint>()
        .unwrap_err()
        .contains("first-task"));
    assert_eq!("signals".parse(), Ok(Reapply::Signals));
    assert!("some".parse::<Reapply>().is_err());
}

#[test]
fn a_result_the_reset_task_delivers_is_not_pending_again() {
    let events = history();
    let cut = cut(&events, ResetPoint::Event(4), Reapply::None).unwrap();
    let new = crate::history::History::new(new_run_events(&events, cut, started(), "old", "r"));
    let (activities, timers) = new.pending();
    assert!(activities.is_empty() && timers.is_empty(), "{timers:?}");
}

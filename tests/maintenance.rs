//! The `maintenance` example (`guest-examples/maintenance`) over ten years of the test
//! environment's virtual clock, with the example host's real `notify_maintenance`: three
//! timers pending at once, each re-armed as it fires, a reminder for every due date.
//! The run's history replays.

use crate::support;

use std::collections::BTreeMap;

use example_activities_api::MaintenanceDue;
use serde_json::json;
use support::*;
use weft_host::contract::Command;
use weft_host::history::Event;

const DAY_MS: u64 = 86_400_000;

#[tokio::test]
async fn ten_years_of_reminders_on_the_virtual_clock() {
    let env = features::deployed(test_env().activities(activities()), "maintenance").await;
    let start_ms = env.now_ms();
    let real = std::time::Instant::now();
    let input = json!({"vehicle": "car-1", "years": 10});
    let run = features::start(&env, "maintenance", "car-1", input).await;
    let report = completed(&features::finish_with(&env, &run, "maintenance").await);
    eprintln!(
        "ten years of maintenance took {:?} of real time",
        real.elapsed()
    );
    let counts = json!({"oil change": 40, "inspection": 10, "coolant flush": 5});
    assert_eq!(report, json!({"vehicle": "car-1", "notifications": counts}));

    // Every reminder went out once, in order, each on its due date; the last ones on
    // the day ten years on (2030-01-01 to 2040-01-01: 3,652 days).
    let events = env.host().history(&run.run_id).unwrap();
    let mut reminders: BTreeMap<String, Vec<MaintenanceDue>> = BTreeMap::new();
    let mut timers = 0;
    for event in &events {
        let Event::Command(issued) = event else {
            continue;
        };
        match &issued.command {
            Command::StartTimer(_) => timers += 1,
            Command::ScheduleActivity(s) if s.activity_type == "notify_maintenance" => {
                let due: MaintenanceDue = serde_json::from_slice(&s.input.data).unwrap();
                reminders.entry(due.service.clone()).or_default().push(due);
            }
            _ => {}
        }
    }
    let end_ms = start_ms + 3652 * DAY_MS;
    for (service, sent) in &reminders {
        let occurrences: Vec<u32> = sent.iter().map(|due| due.occurrence).collect();
        let expected: Vec<u32> = (1..=sent.len() as u32).collect();
        assert_eq!(occurrences, expected, "{service}");
        assert!(
            sent.windows(2).all(|w| w[0].due_ms < w[1].due_ms),
            "{service}"
        );
        assert_eq!(sent.last().unwrap().due_ms, end_ms, "{service}");
        assert_eq!(json!(sent.len()), counts[service.as_str()], "{service}");
    }
    assert_eq!(reminders.len(), 3);
    assert_eq!(timers, 55, "one timer per due date");
    assert!(env.now_ms() >= end_ms);
}

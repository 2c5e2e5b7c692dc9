//! The `batch_chunks` example (`guest-examples/batch-chunks`) at 1,000 items on the test
//! environment with the example host's activities: the input is validated in parallel
//! slices, the valid items are squared in chunks of 50 (the items of a chunk in
//! parallel), an invalid item and one whose processing fails are kept as errors of
//! their own, and a local activity writes the summary. Every item is processed once,
//! the history stays linear in the items, and it replays.

use crate::support;

use serde_json::{json, Value};
use support::*;
use weft_host::history::Event;

const ITEMS: usize = 1000;
const CHUNK: usize = 50;
/// Refused by `validate_items`.
const INVALID_AT: usize = 500;
/// Its square overflows: `square` fails it, never retried.
const OVERFLOWING_AT: usize = 900;

#[tokio::test]
async fn a_thousand_items_in_chunks_of_fifty() {
    let env = features::deployed(test_env().activities(activities()), "batch-chunks").await;
    let mut items: Vec<u64> = (1..=ITEMS as u64).collect();
    items[INVALID_AT] = 0;
    items[OVERFLOWING_AT] = 1 << 33;
    let input = json!({"items": items, "chunk_size": CHUNK});
    let run = features::start(&env, "batch_chunks", "chunks-1", input).await;
    let report = completed(&features::finish_with(&env, &run, "batch-chunks").await);

    let square_sum: u64 = items
        .iter()
        .enumerate()
        .filter(|(index, _)| ![INVALID_AT, OVERFLOWING_AT].contains(index))
        .map(|(_, item)| item * item)
        .sum();
    assert_eq!(report["items"], json!(ITEMS));
    assert_eq!(report["processed"], json!(ITEMS - 2));
    assert_eq!(report["square_sum"], json!(square_sum));
    assert_eq!(
        report["chunks"],
        json!(20),
        "999 valid items in chunks of 50"
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0]["index"], json!(INVALID_AT));
    assert_eq!(errors[0]["stage"], json!("validation"));
    assert_eq!(errors[1]["index"], json!(OVERFLOWING_AT));
    assert_eq!(errors[1]["stage"], json!("processing"));
    assert!(errors[1]["error"].as_str().unwrap().contains("overflows"));
    assert_eq!(
        report["summary"],
        json!("1000 items: 998 processed, 1 invalid, 1 failed, in 20 chunks")
    );

    let events = env.host().history(&run.run_id).unwrap();
    let tasks = features::scheduled_per_task(&events);
    // The first task validates all ten slices at once; together they are the input.
    let validated: Vec<Value> = tasks[0].iter().map(|(_, slice)| slice.clone()).collect();
    assert_eq!(validated.len(), 10);
    assert!(tasks[0].iter().all(|(name, _)| name == "validate_items"));
    let whole: Vec<Value> = validated
        .iter()
        .flat_map(|s| s.as_array().unwrap().clone())
        .collect();
    assert_eq!(whole, items.iter().map(|&i| json!(i)).collect::<Vec<_>>());
    // Then a task per chunk, each scheduling its items at once, every valid item once
    // and in order; the last task runs the local summary.
    let chunks = &tasks[1..tasks.len() - 1];
    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert_eq!(sizes, [vec![CHUNK; 19], vec![49]].concat());
    let squared: Vec<Value> = chunks
        .iter()
        .flatten()
        .map(|(name, item)| {
            assert_eq!(name, "square");
            item.clone()
        })
        .collect();
    let valid: Vec<Value> = items
        .iter()
        .enumerate()
        .filter(|(index, _)| *index != INVALID_AT)
        .map(|(_, &item)| json!(item))
        .collect();
    assert_eq!(squared, valid);
    assert_eq!(tasks.last().unwrap()[0].0, "summarize_batch");

    // The history is an activity's command and its result per activity, and the tasks
    // that took the results in (a task takes in all that arrived meanwhile, so how
    // many depends on the machine's pace; never more than the results), linear in the
    // items: about 2,070 events, 0.7 MB as JSON.
    let count = |kind: fn(&Event) -> bool| events.iter().filter(|e| kind(e)).count();
    let commands = count(|e| matches!(e, Event::Command(_)));
    let jobs = count(|e| matches!(e, Event::Job(_)));
    let tasks = count(|e| matches!(e, Event::TaskStarted { .. }));
    let bytes = serde_json::to_vec(&events).unwrap().len();
    eprintln!(
        "{ITEMS} items: {} events ({tasks} tasks), {bytes} bytes",
        events.len()
    );
    assert_eq!(
        commands, 1011,
        "1,010 activities scheduled, and the completion"
    );
    assert_eq!(jobs, 1011, "the start, and 1,010 results");
    assert!(tasks <= jobs, "{tasks} tasks");
    assert!(matches!(events[0], Event::ExecutionStarted(_)));
    assert_eq!(events.len(), 1 + commands + jobs + tasks, "nothing else");
}

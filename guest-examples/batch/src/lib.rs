//! `batch`: a large input processed page by page, a child workflow per item, the parent
//! continuing as new between pages so that no run's history holds more than one page.
//!
//! - `batch`, input `{"items": N, "page_size": P}`: the input is the items `0..N`. Each
//!   run takes the next page (at most `P` items, from `cursor`), starts one
//!   `process_item` child per item of the page at once (workflow id
//!   `<batch's id>/item-<n>`, unique across the whole chain of runs, so a child is never
//!   started twice), waits for all of them, adds what they returned to the running
//!   totals, and continues as new with the next `cursor` and the totals. The run that
//!   finds no page left returns the totals:
//!   `{"processed": N, "item_sum": 0 + 1 + … + (N-1), "square_sum": 0² + 1² + … + (N-1)², "runs": R}`,
//!   where `R` is the number of runs in the chain (`⌈N / P⌉`, at least 1). The sums
//!   wrap at 2⁶⁴. A child that fails fails the batch with the child's error once its
//!   page is in (the rest of the page completes first); no later page is started.
//! - `process_item`, input an item `n`: squares it with the `square` activity and
//!   returns `{"item": n, "square": n²}`.
//!
//! The sums are a checksum: a missed or twice-counted item changes `processed` or
//! `item_sum`, and `square_sum` shows the children's work reached the totals.
//! A page of `P` children adds a little over `3·P` events to its run's history (each
//! child's start, the answer that it started, its result, and the tasks that took them
//! in), so `P` bounds the history of every run however large `N` is.

use std::time::Duration;

use example_activities_api::Square;
use serde::{Deserialize, Serialize};
use weft_sdk::{
    join_all, workflow, ActivityOptions, ChildWorkflowOptions, WfContext, WfResult, WorkflowError,
};

/// The batch's input, and the state each run hands to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// How many items: the input is the items `0..items`.
    pub items: u64,
    /// How many items a run processes before continuing as new (at least 1).
    pub page_size: u64,
    /// The first item no earlier run has processed (0 to start).
    #[serde(default)]
    pub cursor: u64,
    /// What the earlier runs' children returned.
    #[serde(default)]
    pub totals: Summary,
}

/// The running totals, and the batch's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Items whose child completed.
    pub processed: u64,
    /// The sum of the items the children say they processed (wrapping at 2⁶⁴).
    pub item_sum: u64,
    /// The sum of the squares the children computed (wrapping at 2⁶⁴).
    pub square_sum: u64,
    /// The runs of the chain so far, this one included.
    pub runs: u64,
}

impl Summary {
    fn add(&mut self, done: &Processed) {
        self.processed += 1;
        self.item_sum = self.item_sum.wrapping_add(done.item);
        self.square_sum = self.square_sum.wrapping_add(done.square);
    }
}

/// What a `process_item` child returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Processed {
    /// The item it was given.
    pub item: u64,
    /// The item squared.
    pub square: u64,
}

/// The workflow id of the child that processes `item` of the batch `batch_id`; the same
/// in every run of the chain, so the id says which item a child is for.
pub fn item_workflow_id(batch_id: &str, item: u64) -> String {
    format!("{batch_id}/item-{item}")
}

#[workflow(name = "batch")]
pub async fn batch(ctx: WfContext, mut state: Batch) -> WfResult<Summary> {
    if state.page_size == 0 {
        return Err(WorkflowError::new("`page_size` must be at least 1").with_type("InvalidInput"));
    }
    state.totals.runs += 1;
    let end = state
        .cursor
        .saturating_add(state.page_size)
        .min(state.items);
    let page = state.cursor..end;
    let results = join_all(page.map(|item| {
        let options =
            ChildWorkflowOptions::new().workflow_id(item_workflow_id(ctx.workflow_id(), item));
        ctx.child_workflow::<process_item>(item, &options).result()
    }))
    .await;
    for result in results {
        state.totals.add(&result?);
    }
    if end < state.items {
        state.cursor = end;
        return Err(ctx.continue_as_new(&state));
    }
    Ok(state.totals)
}

#[workflow]
pub async fn process_item(ctx: WfContext, item: u64) -> WfResult<Processed> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    let square = ctx.activity(Square, item, &options).await?;
    Ok(Processed { item, square })
}

weft_sdk::export_workflows!(batch, process_item);

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::{Command, IssuedCommand, Job};

    /// The `(seq, workflow id, input)` of each child the commands start.
    fn started(commands: &[IssuedCommand]) -> Vec<(u32, String, u64)> {
        commands
            .iter()
            .map(|issued| match &issued.command {
                Command::StartChildWorkflow(start) => {
                    assert_eq!(start.workflow_type, "process_item");
                    let input = serde_json::from_slice(&start.input.data).unwrap();
                    (start.seq, start.workflow_id.clone().unwrap(), input)
                }
                other => panic!("expected only child starts, got {other:?}"),
            })
            .collect()
    }

    /// Each child of `items` (started with seq 1, 2, …) starts and returns its square.
    fn children_complete(items: std::ops::Range<u64>) -> Vec<Job> {
        items
            .enumerate()
            .flat_map(|(i, item)| {
                let seq = i as u32 + 1;
                let done = Processed {
                    item,
                    square: item * item,
                };
                [
                    testing::child_started(seq, &format!("run-{item}")),
                    testing::complete_child(seq, &done),
                ]
            })
            .collect()
    }

    fn batch_state(items: u64, page_size: u64, cursor: u64, totals: Summary) -> Batch {
        Batch {
            items,
            page_size,
            cursor,
            totals,
        }
    }

    #[test]
    fn a_page_starts_its_children_at_once_and_continues_with_the_totals() {
        let mut harness = Harness::new::<batch>();
        let commands = harness.start(&batch_state(5, 2, 0, Summary::default()));
        assert_eq!(
            started(&commands.unwrap()),
            [
                (1, "test-workflow/item-0".to_owned(), 0),
                (2, "test-workflow/item-1".to_owned(), 1)
            ]
        );
        let done = harness.activate(children_complete(0..2)).unwrap();
        let Command::ContinueAsNew(next) = &done[0].command else {
            panic!("expected continue-as-new, got {done:?}");
        };
        assert_eq!(next.workflow_type, None);
        let carried: Batch = serde_json::from_slice(&next.input.data).unwrap();
        let totals = Summary {
            processed: 2,
            item_sum: 1,
            square_sum: 1,
            runs: 1,
        };
        assert_eq!(carried, batch_state(5, 2, 2, totals));
    }

    #[test]
    fn the_run_of_the_last_page_returns_the_summary() {
        let mut harness = Harness::new::<batch>();
        let earlier = Summary {
            processed: 4,
            item_sum: 6,
            square_sum: 14,
            runs: 2,
        };
        let commands = harness.start(&batch_state(5, 2, 4, earlier)).unwrap();
        assert_eq!(
            started(&commands),
            [(1, "test-workflow/item-4".to_owned(), 4)]
        );
        let done = harness.activate(children_complete(4..5)).unwrap();
        let summary = Summary {
            processed: 5,
            item_sum: 10,
            square_sum: 30,
            runs: 3,
        };
        assert_eq!(testing::completed::<Summary>(&done), Some(summary));
    }

    #[test]
    fn an_empty_batch_completes_at_once() {
        let mut harness = Harness::new::<batch>();
        let done = harness
            .start(&serde_json::json!({"items": 0, "page_size": 10}))
            .unwrap();
        let summary = Summary {
            runs: 1,
            ..Summary::default()
        };
        assert_eq!(testing::completed::<Summary>(&done), Some(summary));
    }

    #[test]
    fn a_failed_child_fails_the_batch() {
        let mut harness = Harness::new::<batch>();
        harness
            .start(&batch_state(2, 2, 0, Summary::default()))
            .unwrap();
        let done = harness
            .activate(vec![
                testing::child_started(1, "run-0"),
                testing::child_started(2, "run-1"),
                testing::complete_child(1, &Processed { item: 0, square: 0 }),
                testing::fail_child(2, "square failed", "TestError"),
            ])
            .unwrap();
        let failure = testing::failed(&done).expect("the batch fails");
        // A child failure whose cause is the child's own failure.
        assert_eq!(failure.error_type, "weft.ChildWorkflowFailure");
        assert!(
            failure.message.contains("test-workflow/item-1"),
            "{}",
            failure.message
        );
        let causes = harness.failure_causes();
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].1[0].error_type, "TestError");
        assert_eq!(causes[0].1[0].message, "square failed");
    }

    #[test]
    fn a_page_size_of_zero_is_refused() {
        let mut harness = Harness::new::<batch>();
        let done = harness
            .start(&batch_state(5, 0, 0, Summary::default()))
            .unwrap();
        assert_eq!(testing::failed(&done).unwrap().error_type, "InvalidInput");
    }

    #[test]
    fn an_item_is_squared_by_the_activity() {
        let mut harness = Harness::new::<process_item>();
        let commands = harness.start(&7).unwrap();
        let Command::ScheduleActivity(schedule) = &commands[0].command else {
            panic!("{commands:?}")
        };
        assert_eq!(schedule.activity_type, "square");
        assert_eq!(schedule.input.data, b"7");
        let done = harness
            .activate(vec![testing::complete_activity(1, &49)])
            .unwrap();
        assert_eq!(
            testing::completed::<Processed>(&done),
            Some(Processed {
                item: 7,
                square: 49
            })
        );
    }
}

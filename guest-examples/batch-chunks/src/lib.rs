//! `batch_chunks`: a large input processed in one run, in chunks — the optimisation of
//! Temporal's guide for batches too small to need a child per item.
//!
//! Input: `{"items": [3, 1, 4, …], "chunk_size": 50, "validation_slice": 100}` (the
//! sizes are optional, those are their defaults). The workflow:
//!
//! 1. validates the whole input at once, one `validate_items` activity per slice of
//!    `validation_slice` items, all slices in parallel;
//! 2. processes the valid items a chunk of `chunk_size` at a time: the items of a chunk
//!    in parallel (`square`, each with up to 3 attempts), the next chunk once every item
//!    of this one has ended. An item that fails is kept as an error of its own; it does
//!    not fail the batch;
//! 3. writes the summary with a local activity (`summarize_batch`), which needs no
//!    round trip through the activity queue.
//!
//! Result: `{"items": N, "processed": …, "square_sum": …, "chunks": …, "errors":
//! [{"index": 7, "item": 0, "stage": "validation", "error": "…"}, …], "summary": "…"}`,
//! the errors in input order. Each chunk bounds how many activities are in flight; the
//! history holds every item's activity, so a much larger input goes through a child per
//! page or continue-as-new (`guest-examples/batch`).

use std::time::Duration;

use example_activities_api::{BatchTotals, Square, SummarizeBatch, ValidateItems};
use serde::{Deserialize, Serialize};
use weft_sdk::{
    join_all, workflow, ActivityOptions, LocalActivityOptions, RetryPolicy, WfContext, WfResult,
    WorkflowError,
};

/// The workflow's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkedBatch {
    /// The items, in order.
    pub items: Vec<u64>,
    /// Items processed in parallel, a chunk at a time (at least 1).
    #[serde(default = "default_chunk_size")]
    pub chunk_size: usize,
    /// Items per `validate_items` activity (at least 1).
    #[serde(default = "default_validation_slice")]
    pub validation_slice: usize,
}

fn default_chunk_size() -> usize {
    50
}

fn default_validation_slice() -> usize {
    100
}

/// Where an item failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Refused by `validate_items`: never processed.
    Validation,
    /// Its `square` failed on its last attempt.
    Processing,
}

/// An item that was not processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemError {
    /// Its position in the input.
    pub index: usize,
    /// The item.
    pub item: u64,
    /// Where it failed.
    pub stage: Stage,
    /// Why.
    pub error: String,
}

/// The workflow's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Items in the input.
    pub items: u64,
    /// Items processed.
    pub processed: u64,
    /// The sum of the processed items' squares (wrapping at 2⁶⁴): a checksum.
    pub square_sum: u64,
    /// Chunks processed.
    pub chunks: u64,
    /// The items not processed, in input order.
    pub errors: Vec<ItemError>,
    /// The summary line `summarize_batch` wrote.
    pub summary: String,
}

#[workflow]
pub async fn batch_chunks(ctx: WfContext, input: ChunkedBatch) -> WfResult<BatchReport> {
    if input.chunk_size == 0 || input.validation_slice == 0 {
        return Err(
            WorkflowError::new("`chunk_size` and `validation_slice` must be at least 1")
                .with_type("InvalidInput"),
        );
    }
    let verdicts = validate(&ctx, &input.items, input.validation_slice).await?;
    let mut errors = Vec::new();
    let mut valid = Vec::new();
    for (index, (&item, verdict)) in input.items.iter().zip(verdicts).enumerate() {
        match verdict {
            Some(error) => errors.push(ItemError {
                index,
                item,
                stage: Stage::Validation,
                error,
            }),
            None => valid.push((index, item)),
        }
    }
    let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry(RetryPolicy {
        maximum_attempts: 3,
        ..RetryPolicy::default()
    });
    let (mut processed, mut square_sum, mut chunks) = (0, 0u64, 0);
    for chunk in valid.chunks(input.chunk_size) {
        chunks += 1;
        let squares = join_all(
            chunk
                .iter()
                .map(|&(_, item)| ctx.activity(Square, item, &options)),
        )
        .await;
        for (&(index, item), square) in chunk.iter().zip(squares) {
            match square {
                Ok(square) => {
                    processed += 1;
                    square_sum = square_sum.wrapping_add(square);
                }
                Err(error) => errors.push(ItemError {
                    index,
                    item,
                    stage: Stage::Processing,
                    error: error.message().to_owned(),
                }),
            }
        }
    }
    errors.sort_by_key(|error| error.index);
    let totals = BatchTotals {
        items: input.items.len() as u64,
        processed,
        invalid: count(&errors, Stage::Validation),
        failed: count(&errors, Stage::Processing),
        chunks,
    };
    let summary_options = LocalActivityOptions::start_to_close(Duration::from_secs(5));
    let summary = ctx
        .local_activity(SummarizeBatch, totals, &summary_options)
        .await?;
    Ok(BatchReport {
        items: input.items.len() as u64,
        processed,
        square_sum,
        chunks,
        errors,
        summary,
    })
}

fn count(errors: &[ItemError], stage: Stage) -> u64 {
    errors.iter().filter(|error| error.stage == stage).count() as u64
}

/// Every item's verdict, in input order: one `validate_items` per slice, all at once.
async fn validate(ctx: &WfContext, items: &[u64], slice: usize) -> WfResult<Vec<Option<String>>> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(30));
    let slices = items.chunks(slice);
    let verdicts = join_all(
        slices
            .clone()
            .map(|slice| ctx.activity(ValidateItems, slice.to_vec(), &options)),
    )
    .await;
    let mut all = Vec::with_capacity(items.len());
    for (slice, verdict) in slices.zip(verdicts) {
        let verdict = verdict?;
        if verdict.len() != slice.len() {
            return Err(WorkflowError::new(format!(
                "validate_items gave {} verdicts for {} items",
                verdict.len(),
                slice.len()
            )));
        }
        all.extend(verdict);
    }
    Ok(all)
}

weft_sdk::export_workflows!(batch_chunks);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::{Command, IssuedCommand};

    /// The `(seq, activity, input)` of each activity the commands schedule.
    fn scheduled(commands: &[IssuedCommand]) -> Vec<(u32, String, serde_json::Value)> {
        commands
            .iter()
            .map(|issued| match &issued.command {
                Command::ScheduleActivity(s) | Command::ScheduleLocalActivity(s) => {
                    let input = serde_json::from_slice(&s.input.data).unwrap();
                    (s.seq, s.activity_type.clone(), input)
                }
                other => panic!("expected only activities, got {other:?}"),
            })
            .collect()
    }

    fn square(seq: u32, item: u64) -> (u32, String, serde_json::Value) {
        (seq, "square".to_owned(), json!(item))
    }

    #[test]
    fn validates_in_parallel_then_processes_chunk_by_chunk_keeping_item_errors() {
        let mut harness = Harness::new::<batch_chunks>();
        let input = json!({"items": [1, 0, 2, 3, 4], "chunk_size": 2, "validation_slice": 3});
        let commands = harness.start(&input).unwrap();
        let validate = |seq, items| (seq, "validate_items".to_owned(), items);
        assert_eq!(
            scheduled(&commands),
            [validate(1, json!([1, 0, 2])), validate(2, json!([3, 4]))]
        );
        let commands = harness
            .activate(vec![
                testing::complete_activity(2, &[None::<String>, None]),
                testing::complete_activity(1, &[None, Some("zero"), None]),
            ])
            .unwrap();
        assert_eq!(scheduled(&commands), [square(3, 1), square(4, 2)]);
        // The next chunk waits for every item of this one, a failure included.
        let commands = harness
            .activate(vec![testing::complete_activity(3, &1)])
            .unwrap();
        assert!(commands.is_empty(), "{commands:?}");
        let commands = harness
            .activate(vec![testing::fail_activity(4, "too big", "Overflow")])
            .unwrap();
        assert_eq!(scheduled(&commands), [square(5, 3), square(6, 4)]);
        let commands = harness
            .activate(vec![
                testing::complete_activity(5, &9),
                testing::complete_activity(6, &16),
            ])
            .unwrap();
        let totals = json!({"items": 5, "processed": 3, "invalid": 1, "failed": 1, "chunks": 2});
        assert_eq!(
            scheduled(&commands),
            [(1, "summarize_batch".to_owned(), totals)]
        );
        let done = harness
            .activate(vec![testing::complete_local_activity(1, &"the summary")])
            .unwrap();
        let report = testing::completed::<BatchReport>(&done).unwrap();
        assert_eq!(
            (report.processed, report.square_sum, report.chunks),
            (3, 26, 2)
        );
        let error = |index, item, stage, error: &str| ItemError {
            index,
            item,
            stage,
            error: error.to_owned(),
        };
        assert_eq!(
            report.errors,
            [
                error(1, 0, Stage::Validation, "zero"),
                error(2, 2, Stage::Processing, "too big")
            ]
        );
        assert_eq!(report.summary, "the summary");
    }

    #[test]
    fn a_chunk_size_of_zero_is_refused() {
        let mut harness = Harness::new::<batch_chunks>();
        let done = harness
            .start(&json!({"items": [1], "chunk_size": 0}))
            .unwrap();
        assert_eq!(testing::failed(&done).unwrap().error_type, "InvalidInput");
    }
}

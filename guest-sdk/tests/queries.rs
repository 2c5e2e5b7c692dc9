//! Queries: answered alone, from the state, changing nothing.

mod common;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::Duration;

use common::describe;
use weft_sdk::testing::{self, Harness};
use weft_sdk::{error_types, workflow, WfContext, WfResult, WorkflowMetadata, METADATA_QUERY};

#[derive(Default)]
struct Ledger {
    entries: BTreeMap<String, i64>,
    closed: bool,
}

#[workflow(name = "ledger")]
impl Ledger {
    async fn run(ctx: WfContext<Self>) -> WfResult<usize> {
        ctx.sleep(Duration::from_secs(60)).await?;
        ctx.wait_condition(|s| s.closed).await?;
        Ok(ctx.state(|s| s.entries.len()))
    }

    #[signal]
    fn put(&mut self, (key, value): (String, i64)) {
        self.entries.insert(key, value);
    }

    #[signal(name = "close")]
    fn finish(&mut self) {
        self.closed = true;
    }

    #[query]
    fn total(&self) -> i64 {
        self.entries.values().sum()
    }

    #[query(name = "get")]
    fn lookup(&self, key: String) -> Option<i64> {
        self.entries.get(&key).copied()
    }

    #[update]
    fn clear(&mut self) -> WfResult<()> {
        self.entries.clear();
        Ok(())
    }
}

fn started() -> Harness {
    let mut harness = Harness::new::<Ledger>();
    harness.start(&()).unwrap();
    harness.signal("put", &("a", 1)).unwrap();
    harness.signal("put", &("b", 2)).unwrap();
    harness
}

#[test]
fn a_query_reads_the_state_with_and_without_input() {
    let mut harness = started();
    assert_eq!(harness.query::<i64>("total", &()), Ok(3));
    assert_eq!(harness.query::<Option<i64>>("get", &"b"), Ok(Some(2)));
    assert_eq!(harness.query::<Option<i64>>("get", &"z"), Ok(None));
}

#[test]
fn a_query_changes_nothing() {
    // Two executions fed the same jobs, one of them queried in between, issue the same
    // commands afterwards: the query left no trace.
    let mut quiet = started();
    let mut queried = started();
    for _ in 0..3 {
        queried.query::<i64>("total", &()).unwrap();
        queried
            .query::<WorkflowMetadata>(METADATA_QUERY, &())
            .unwrap();
        queried.query::<i64>("nope", &()).unwrap_err();
    }
    for harness in [&mut quiet, &mut queried] {
        let commands = harness
            .activate(vec![testing::fire_timer(1), testing::signal("close", &())])
            .unwrap();
        assert_eq!(describe(&commands), ["complete:2"]);
    }
}

thread_local! {
    /// How often `Probe`'s condition was evaluated (tests run on threads of their own).
    static EVALUATIONS: Cell<u32> = const { Cell::new(0) };
}

#[derive(Default)]
struct Probe {
    open: bool,
}

#[workflow]
impl Probe {
    async fn run(ctx: WfContext<Self>) -> WfResult<()> {
        ctx.wait_condition(|s| {
            EVALUATIONS.with(|n| n.set(n.get() + 1));
            s.open
        })
        .await?;
        Ok(())
    }

    #[signal]
    fn nudge(&mut self) {}

    #[query]
    fn open(&self) -> bool {
        self.open
    }
}

#[test]
fn a_query_runs_no_task_and_evaluates_no_condition() {
    let mut harness = Harness::new::<Probe>();
    harness.start(&()).unwrap();
    let evaluations = EVALUATIONS.with(Cell::get);
    assert!(evaluations > 0);
    assert_eq!(harness.query::<bool>("open", &()), Ok(false));
    assert_eq!(EVALUATIONS.with(Cell::get), evaluations);
    // Any other job does lead to an evaluation.
    harness.signal("nudge", &()).unwrap();
    assert!(EVALUATIONS.with(Cell::get) > evaluations);
}

#[test]
fn an_unknown_query_lists_the_queries() {
    let failure = started().query::<i64>("balance", &()).unwrap_err();
    assert_eq!(failure.error_type, error_types::UNKNOWN_QUERY);
    assert_eq!(failure.error_type, "UnknownQuery");
    assert_eq!(
        failure.message,
        "workflow `ledger` has no query `balance`; it handles queries: get, total"
    );
}

#[test]
fn query_input_that_does_not_decode_is_an_error() {
    let failure = started().query::<i64>("get", &42).unwrap_err();
    assert_eq!(failure.error_type, error_types::INVALID_INPUT);
    assert!(
        failure
            .message
            .starts_with("query `get`: its input does not decode as `alloc::string::String`"),
        "{}",
        failure.message
    );
}

#[test]
fn the_metadata_query_lists_the_handlers() {
    let mut harness = started();
    let commands = harness
        .activate(vec![testing::query("q", METADATA_QUERY, &())])
        .unwrap();
    let [command] = &commands[..] else {
        panic!("{commands:?}")
    };
    let weft_sdk::wit::Command::RespondQuery(response) = &command.command else {
        panic!("{commands:?}")
    };
    assert_eq!(response.id, "q");
    let json = String::from_utf8(response.result.clone().unwrap().data).unwrap();
    assert_eq!(
        json,
        r#"{"signals":["close","put"],"queries":["get","total"],"updates":["clear"]}"#
    );
}

/// A function-form workflow: no handlers, but a channel.
#[workflow]
async fn listener(ctx: WfContext) -> WfResult<String> {
    let mut words = ctx.signal_channel::<String>("word");
    Ok(words.recv().await)
}

#[test]
fn the_metadata_of_a_function_lists_its_open_channels() {
    let mut harness = Harness::new::<listener>();
    harness.start(&()).unwrap();
    assert_eq!(
        harness.query::<WorkflowMetadata>(METADATA_QUERY, &()),
        Ok(WorkflowMetadata {
            signals: vec!["word".into()],
            queries: vec![],
            updates: vec![],
        })
    );
    let failure = harness.query::<()>("anything", &()).unwrap_err();
    assert_eq!(
        failure.message,
        "workflow `listener` has no query `anything`; it handles no queries"
    );
}

#[test]
fn a_query_must_come_alone() {
    let mut harness = started();
    let error = harness
        .activate(vec![
            testing::fire_timer(1),
            testing::query("q", "total", &()),
        ])
        .unwrap_err();
    assert_eq!(
        error.message,
        "the host delivered query `total` together with other jobs; a query must be the \
         only job of its activation (it is answered without changing the workflow)"
    );
    // Nothing was applied: the timer can still fire.
    assert!(harness
        .activate(vec![testing::fire_timer(1)])
        .unwrap()
        .is_empty());
}

#[test]
fn a_query_before_the_start_fails_the_task() {
    let mut harness = Harness::new::<Ledger>();
    let error = harness
        .activate(vec![testing::query("q", "total", &())])
        .unwrap_err();
    assert!(error.message.contains("not `query`"), "{}", error.message);
}

#[test]
fn a_completed_workflow_still_answers_queries() {
    let mut harness = started();
    harness
        .activate(vec![testing::fire_timer(1), testing::signal("close", &())])
        .unwrap();
    assert_eq!(harness.query::<i64>("total", &()), Ok(3));
}

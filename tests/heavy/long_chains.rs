//! Long chains of runs: the `continue-as-new` example's `looper` runs 10,000
//! iterations in runs of 250, each run closing and starting the next in one durable
//! commit; every run's history stays short and replays; the chain is whole.

use crate::support;

use serde_json::json;
use support::*;
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::StartRequest;
use weft_host::storage::Status;

#[tokio::test]
async fn looper_reaches_ten_thousand_iterations_in_short_runs() {
    let env = test_env().start().await.unwrap();
    let host = env.host();
    env.deploy(component_bytes("continue-as-new"), "continue-as-new")
        .await
        .unwrap();
    let first = host
        .start(StartRequest {
            workflow_id: Some("loop-1".into()),
            ..StartRequest::new(
                "looper",
                Payload::json(&json!({"iterations": 10_000, "per_run": 250})),
            )
        })
        .await
        .unwrap();
    // Follow the chain, run by run.
    let mut run_id = first.run_id.clone();
    let mut runs = 0;
    let mut longest = 0;
    let result = loop {
        runs += 1;
        // Bounded: a chain that never ends fails here instead of running forever.
        assert!(runs <= 40, "the chain is past the 40 runs expected");
        let outcome = poll::within(
            &format!("run {runs} ({run_id}) to close"),
            host.wait(&run_id),
        )
        .await
        .unwrap();
        let events = host.history(&run_id).unwrap();
        longest = longest.max(events.len());
        if runs == 1 || runs % 10 == 0 {
            assert_replays(host, "continue-as-new", &events);
        }
        match outcome {
            Outcome::ContinuedAsNew => {
                let next = host.find_run("loop-1").unwrap();
                assert_ne!(next.run_id, run_id, "the next run is the id's latest");
                let next_events = host.history(&next.run_id).unwrap();
                assert!(
                    next_events.iter().any(
                        |e| matches!(e, Event::ContinuedFrom { run_id: from } if *from == run_id)
                    ),
                    "run {} does not say it continued {run_id}",
                    next.run_id
                );
                assert_eq!(
                    host.find_run(&run_id).unwrap().status,
                    Status::ContinuedAsNew
                );
                let described = weft_host::api::describe::describe(host, &next.run_id).unwrap();
                assert_eq!(described.continued_from.as_deref(), Some(run_id.as_str()));
                run_id = next.run_id;
            }
            other => break completed(&other),
        }
    };
    assert_eq!(result, json!({"iterations": 10_000}));
    assert_eq!(runs, 40);
    // A run holds its 250 iterations (a task, a timer and its firing each), not 10,000.
    assert!(longest < 1_100, "a run's history grew to {longest} events");
}

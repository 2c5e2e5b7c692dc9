//! Continue-as-new end to end: the `continue-as-new` example's `looper` runs 10,000
//! iterations in runs of 250, each run closing and starting the next in one durable
//! commit; every run's history stays short and replays; the chain is whole.

mod support;

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
        let outcome = host.wait(&run_id).await.unwrap();
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

/// continue_as_new/signals_block_continue_as_new: a signal made durable while the task
/// that continues as new is in flight blocks it: that task is not recorded, and the run
/// goes on with the signal (here: returns it). Without the signal, the run continues.
#[tokio::test]
async fn continue_as_new_signals_block_continue_as_new() {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};

    type Pending =
        Pin<Box<dyn Future<Output = Result<(), weft_host::runtime::MessageError>> + Send>>;
    let env = support::features::env().await;
    // Without a signal: the first run continues, the second returns.
    let plain =
        support::features::start(&env, "continue_as_new_signals", "can-plain", json!({})).await;
    assert!(matches!(
        env.host().wait(&plain.run_id).await.unwrap(),
        Outcome::ContinuedAsNew
    ));
    support::features::replays(&env, &plain);

    // The workflow logs inside the continuing task; the hook signals right then.
    let host = env.host().clone();
    let in_flight: Arc<Mutex<Option<Pending>>> = Arc::default();
    let slot = in_flight.clone();
    support::logs::on_log(move |message: &str, workflow: &str| {
        if workflow != "can-signalled" || message != "continue_as_new_signals: continuing" {
            return;
        }
        let mut slot = slot.lock().unwrap();
        if slot.is_some() {
            return;
        }
        let host = host.clone();
        let mut signal: Pending = Box::pin(async move {
            host.signal("can-signalled", "sig", Payload::json(&json!("hello")))
                .await
                .map(|_| ())
        });
        let waker = std::task::Waker::noop();
        let polled = signal
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
        assert!(polled.is_pending());
        *slot = Some(signal);
    });
    let run =
        support::features::start(&env, "continue_as_new_signals", "can-signalled", json!({})).await;
    let outcome = support::features::finish(&env, &run).await;
    assert_eq!(completed(&outcome), json!("hello"));
    let sent = in_flight
        .lock()
        .unwrap()
        .take()
        .expect("the hook sent the signal");
    sent.await.unwrap();
    // The blocked continue-as-new left no trace, and no second run.
    let events = env.host().history(&run.run_id).unwrap();
    assert!(!events.iter().any(|e| matches!(e,
        Event::Command(c) if matches!(c.command, weft_host::history::Command::ContinueAsNew(_)))));
    assert_eq!(
        env.host().find_run("can-signalled").unwrap().run_id,
        run.run_id
    );
}

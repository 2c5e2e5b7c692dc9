//! Each example workflow runs to completion on a real host over a real redb file, and
//! its recorded history replays.

use crate::support;

use serde_json::json;
use support::*;
use weft_host::history::Event;
use weft_host::ActivityError;

async fn run_example(name: &str, input: serde_json::Value) -> (serde_json::Value, Vec<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let host = host(dir.path()).await;
    host.deploy(component_bytes(name), name, false)
        .await
        .unwrap();
    let (run_id, outcome) = execute(&host, name, input).await;
    let events = host.history(&run_id).unwrap();
    assert_replays(&host, name, &events);
    (completed(&outcome), events)
}

#[tokio::test]
async fn hello_greets() {
    let (result, events) = run_example("hello", json!("world")).await;
    assert_eq!(result, json!("Hello, world!"));
    assert!(matches!(events[0], Event::ExecutionStarted(_)));
}

#[tokio::test]
async fn sequence_runs_three_activities_in_order() {
    let (result, events) = run_example("sequence", json!("abc")).await;
    assert_eq!(result, json!("Hello, CBA!"));
    let scheduled: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Command(c) => match &c.command {
                weft_host::contract::Command::ScheduleActivity(s) => Some(s.activity_type.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(scheduled, ["to_upper", "reverse", "greet"]);
}

#[tokio::test]
async fn fanout_joins_parallel_activities() {
    let (result, events) = run_example("fanout", json!({"n": 20})).await;
    let expected: u64 = (0..20u64).map(|i| i * i).sum();
    assert_eq!(result, json!({"sum": expected}));
    // All twenty were scheduled by the first task, before any result came back.
    let first_task: Vec<&Event> = events
        .iter()
        .skip_while(|e| !matches!(e, Event::TaskStarted { .. }))
        .skip(1)
        .take_while(|e| !matches!(e, Event::TaskStarted { .. }))
        .collect();
    let scheduled = first_task
        .iter()
        .filter(|e| matches!(e, Event::Command(_)))
        .count();
    assert_eq!(scheduled, 20);
}

/// On the test environment's virtual clock a 30-day sleep takes no real time; the
/// greeting comes from a mock.
#[tokio::test]
async fn timer_sleeps_30_days_on_the_virtual_clock() {
    let env = test_env()
        .mock_activity("greet", |name: String| Ok(format!("Hi, {name} (mocked)!")))
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("timer"), "timer").await.unwrap();
    let start = env.now_ms();
    let real = std::time::Instant::now();
    let thirty_days: u64 = 30 * 86_400;
    let (run, outcome) = env
        .execute("timer", json!({"seconds": thirty_days}))
        .await
        .unwrap();
    let result = completed(&outcome);
    assert_eq!(result["slept_ms"], json!(thirty_days * 1000), "{result}");
    assert_eq!(result["greeting"], json!("Hi, timer (mocked)!"));
    assert_eq!(env.now_ms() - start, thirty_days * 1000);
    eprintln!("a 30-day sleep took {:?} of real time", real.elapsed());
    let events = env.host().history(&run.run_id).unwrap();
    assert_replays(env.host(), "timer", &events);
}

/// A mock with the attempt's context: it fails its first two attempts, heartbeats on the
/// third and answers with the virtual time it read. The retries wait their backoff (1 s,
/// then 2 s) on the virtual clock; the history holds both failed attempts and the
/// heartbeat, and replays.
#[tokio::test]
async fn a_mock_gets_the_attempts_context_and_the_virtual_clock() {
    const START_MS: u64 = 946_684_800_000; // 2000-01-01
    let env = test_env()
        .start_at(START_MS)
        .mock_activity_with_context("greet", |ctx, name: String| async move {
            if ctx.attempt < 3 {
                return Err(ActivityError::retryable(format!(
                    "attempt {} fails",
                    ctx.attempt
                )));
            }
            ctx.heartbeat(&"almost there")?;
            Ok(format!(
                "Hi, {name}, attempt {}, at {}",
                ctx.attempt,
                ctx.now_ms()
            ))
        })
        .start()
        .await
        .unwrap();
    env.deploy(component_bytes("hello"), "hello").await.unwrap();
    let (run, outcome) = env.execute("hello", json!("mock")).await.unwrap();
    let greeting = completed(&outcome);
    let greeting = greeting.as_str().unwrap();
    let (head, at) = greeting.rsplit_once(", at ").unwrap();
    assert_eq!(head, "Hi, mock, attempt 3");
    let at: u64 = at.parse().unwrap();
    // Both backoffs passed on the virtual clock, which is nowhere near the real one.
    assert!(
        (START_MS + 3_000..START_MS + 3_600_000).contains(&at),
        "{greeting}"
    );
    let events = env.host().history(&run.run_id).unwrap();
    let failed: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActivityAttemptFailed { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [1, 2]);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ActivityHeartbeat { attempt: 3, .. })));
    assert_replays(env.host(), "hello", &events);
}

#[test]
fn cli_runs_lists_exports_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let hello = component("hello");
    let out = weft()
        .args(["run", "--data"])
        .arg(&data)
        .arg(&hello)
        .args(["hello", "--input", "\"weft\"", "--id", "greeting-1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "\"Hello, weft!\""
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("greeting-1"));

    let out = weft()
        .args(["list", "--json", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    // One object, as the API's page: the runs under `executions`.
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &page["executions"][0];
    assert_eq!(run["workflow_id"], "greeting-1");
    assert_eq!(run["status"], "completed");
    assert_eq!(page["next_cursor"], serde_json::Value::Null);

    let file = dir.path().join("hello.history.json");
    export_history(&data, "greeting-1", &file);
    let text = std::fs::read_to_string(&file).unwrap();
    // Payloads are readable JSON in the file.
    assert!(text.contains("\"json\": \"weft\""), "{text}");

    let out = weft()
        .args(["replay", "--module"])
        .arg(&hello)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches"));
}

/// Local activities: the same chain as `sequence`, with the results of the second and
/// third steps recorded in one commit with the task that completes the run (the first
/// task of a run is recorded at once): two durable writes where `sequence` makes four.
#[tokio::test]
async fn local_activities_chain_in_fewer_commits() {
    let dir = tempfile::tempdir().unwrap();
    let host = host(dir.path()).await;
    host.deploy(component_bytes("local-activity"), "local-activity", false)
        .await
        .unwrap();
    host.deploy(component_bytes("sequence"), "sequence", false)
        .await
        .unwrap();
    let (run_id, outcome) = execute(&host, "local-activity", json!("abc")).await;
    assert_eq!(
        completed(&outcome),
        json!({"upper": "ABC", "reversed": "CBA", "greeting": "Hello, CBA!"})
    );
    assert_replays(&host, "local-activity", &host.history(&run_id).unwrap());

    let (local_run, outcome) = execute(&host, "sequence-local", json!("abc")).await;
    assert_eq!(completed(&outcome), json!("Hello, CBA!"));
    let events = host.history(&local_run).unwrap();
    assert_replays(&host, "local-activity", &events);
    let (remote_run, _) = execute(&host, "sequence", json!("abc")).await;
    let commits = |run: &str| host.storage().history(run).unwrap().len();
    assert_eq!(commits(&local_run), 2, "{events:#?}");
    assert_eq!(commits(&remote_run), 4);
}

//! Replay: recorded histories replay against the code that made them; a golden
//! history of the format's first version still replays; a changed workflow fails
//! replay with a report that names the event, both commands and the source line.

use crate::support;

use serde_json::json;
use support::*;
use weft_host::history::export;
use weft_host::replay::ReplayError;

/// A `hello` history recorded by format version 1 and kept as a file.
const GOLDEN_HELLO: &str = include_str!("histories/hello.v1.json");

#[test]
fn golden_history_still_replays() {
    let (_, _, events) = export::from_json(GOLDEN_HELLO).unwrap();
    let engine = support::engine();
    let module = engine.load(&component_bytes("hello")).unwrap();
    let stats = weft_host::replay::replay(&engine, &module, &events).unwrap();
    assert_eq!(stats.events, events.len());
}

#[test]
fn changed_workflow_fails_replay_with_a_report() {
    let (_, _, events) = export::from_json(GOLDEN_HELLO).unwrap();
    let engine = support::engine();
    let changed = engine.load(&component_bytes("hello-changed")).unwrap();
    let err = weft_host::replay::replay(&engine, &changed, &events).unwrap_err();
    let ReplayError::Nondeterminism {
        event_index,
        recorded,
        new,
    } = &err
    else {
        panic!("expected nondeterminism, got {err}");
    };
    assert!(*event_index > 0);
    let recorded = recorded.as_ref().as_ref().unwrap();
    let new = new.as_ref().as_ref().unwrap();
    assert!(format!("{:?}", recorded.command).contains("greet"));
    assert!(format!("{:?}", new.command).contains("to_upper"));
    let location = new
        .location
        .as_ref()
        .expect("commands carry their source location");
    assert!(
        location.file.ends_with("hello-changed/src/lib.rs"),
        "{location:?}"
    );
    let report = err.to_string();
    assert!(report.contains("WEFT-NDE-1") && report.contains(&format!("event {event_index}")));
    assert!(
        report.contains("schedule-activity seq=1 activity `greet`"),
        "{report}"
    );
    assert!(
        report.contains("schedule-activity seq=1 activity `to_upper`"),
        "{report}"
    );
}

#[test]
fn cli_replay_reports_divergence_and_exits_nonzero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("golden.json");
    std::fs::write(&file, GOLDEN_HELLO).unwrap();
    let out = weft()
        .args(["replay", "--module"])
        .arg(component("hello-changed"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nondeterminism at event"), "{stderr}");
    assert!(
        stderr.contains("recorded:") && stderr.contains("new:"),
        "{stderr}"
    );
    assert!(stderr.contains("hello-changed/src/lib.rs"), "{stderr}");
}

#[test]
fn cli_replay_keeps_the_compiled_component_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("golden.json");
    std::fs::write(&file, GOLDEN_HELLO).unwrap();
    let cache = dir.path().join("cache");
    let replay = |extra: &[&str]| {
        let out = weft()
            .env("WEFT_CACHE_DIR", &cache)
            .args(["replay", "--module"])
            .arg(component("hello"))
            .args(extra)
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    let compiled = || -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
        let Ok(entries) = std::fs::read_dir(cache.join("compiled")) else {
            return Vec::new();
        };
        entries
            .map(|e| {
                let e = e.unwrap();
                (e.path(), e.metadata().unwrap().modified().unwrap())
            })
            .collect()
    };
    replay(&["--no-compile-cache"]);
    assert!(compiled().is_empty(), "{:?}", compiled());
    replay(&[]);
    let first = compiled();
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].0.extension().is_some_and(|e| e == "cwasm"));
    // The second run loads the compiled form instead of compiling (and writing) it again.
    replay(&[]);
    assert_eq!(compiled(), first);
}

#[tokio::test]
async fn evicted_instances_are_rebuilt_by_replay() {
    // A cache of one instance: with several runs in flight, every task after the first
    // finds its instance evicted and rebuilds it by replaying its history.
    let dir = tempfile::tempdir().unwrap();
    let mut config = weft_host::HostConfig::on_disk(dir.path());
    config.cache_size = 1;
    let host = weft_host::Host::open(config, activities()).await.unwrap();
    host.deploy(component_bytes("sequence"), "sequence", false)
        .await
        .unwrap();
    let runs = (0..8).map(|i| {
        let host = host.clone();
        tokio::spawn(async move { execute(&host, "sequence", json!(format!("r{i}"))).await })
    });
    for (i, run) in runs.enumerate() {
        let (run_id, outcome) = run.await.unwrap();
        let reversed: String = format!("R{i}").chars().rev().collect();
        assert_eq!(completed(&outcome), json!(format!("Hello, {reversed}!")));
        assert_replays(&host, "sequence", &host.history(&run_id).unwrap());
    }
}

//! A host killed in the middle of workflows (SIGKILL, no clean shutdown) and started
//! again resumes every execution to the right result, and no activity whose result
//! was recorded before the kill runs again.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use weft_host::contract::Job;
use weft_host::history::{Event, History, Outcome};
use weft_host::runtime::Inspector;

fn spawn_weft(data: &Path, log: &Path, args: &[&str]) -> Child {
    weft()
        .arg("run")
        .arg("--data")
        .arg(data)
        .args(args)
        .env("WEFT_EXAMPLE_ACTIVITY_LOG", log)
        .env("WEFT_EXAMPLE_ACTIVITY_DELAY_MS", "300")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Wait (bounded) until the activity log has a line matching `pred`.
fn wait_for(log: &Path, pred: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !pred(&log_lines(log)) {
        assert!(Instant::now() < deadline, "activities never reached the expected point: {:?}", log_lines(log));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `(workflow id, seq)` of every activity whose result the data folder has recorded.
fn recorded_results(data: &Path) -> HashSet<(String, u32)> {
    let inspector = Inspector::open(data).unwrap();
    let mut done = HashSet::new();
    for run in inspector.runs().unwrap() {
        for event in inspector.history(&run.run_id).unwrap() {
            if let Event::Job(Job::ResolveActivity(r)) = event {
                done.insert((run.workflow_id.clone(), r.seq));
            }
        }
    }
    done
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn killed_host_resumes_every_execution() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("activities.log");
    let sequence = component("sequence");
    let fanout = component("fanout");

    // Kill the first host after the sequence's first activity.
    let first = spawn_weft(&data, &log, &[sequence.to_str().unwrap(), "sequence", "--input", "\"abc\"", "--id", "seq-1"]);
    wait_for(&log, |l| l.iter().any(|x| x.starts_with("to_upper seq-1")));
    kill(first);

    // The second host resumes seq-1 and starts a fanout; kill it in the middle too.
    let second = spawn_weft(&data, &log, &[fanout.to_str().unwrap(), "fanout", "--input", "{\"n\": 6}", "--id", "fan-1"]);
    wait_for(&log, |l| l.iter().any(|x| x.starts_with("square fan-1")));
    kill(second);

    let recorded_before_restart = recorded_results(&data);
    let lines_before_restart = log_lines(&log).len();

    // The third host only resumes.
    let out = spawn_weft(&data, &log, &[]).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("resuming seq-1") && stderr.contains("resuming fan-1"), "{stderr}");

    let inspector = Inspector::open(&data).unwrap();
    let mut results = Vec::new();
    for id in ["seq-1", "fan-1"] {
        let run = inspector.find_run(id).unwrap();
        let events = inspector.history(&run.run_id).unwrap();
        results.push(match History::new(events.clone()).outcome() {
            Some(Outcome::Completed(p)) => p.to_json(),
            other => panic!("{id} did not complete: {other:?}"),
        });
        let name = if id == "seq-1" { "sequence" } else { "fanout" };
        let engine = weft_host::engine::Engine::new(Default::default()).unwrap();
        let module = engine.load(&component_bytes(name)).unwrap();
        weft_host::replay::replay(&engine, &module, &events).unwrap();
    }
    assert_eq!(results[0], json!("Hello, CBA!"));
    assert_eq!(results[1], json!({"sum": 55}));

    // Activities recorded as done before the last restart ran exactly once overall;
    // the last host ran only what was missing.
    let lines = log_lines(&log);
    for (workflow, seq) in &recorded_before_restart {
        let runs = lines
            .iter()
            .filter(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                f[1] == workflow && f[2] == seq.to_string()
            })
            .count();
        assert_eq!(runs, 1, "activity {seq} of {workflow} ran {runs} times: {lines:?}");
    }
    let resumed_lines = &lines[lines_before_restart..];
    assert!(!resumed_lines.is_empty());
    for l in resumed_lines {
        let f: Vec<&str> = l.split(' ').collect();
        let key = (f[1].to_string(), f[2].parse::<u32>().unwrap());
        assert!(!recorded_before_restart.contains(&key), "{l} ran again after restart");
    }
}

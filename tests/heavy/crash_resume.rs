//! A host killed in the middle of workflows (SIGKILL, no clean shutdown) and started
//! again resumes every execution to the right result, and no activity whose result
//! was recorded before the kill runs again.

use crate::support;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Stdio};

use serde_json::json;
use support::*;
use weft_host::contract::Job;
use weft_host::history::{Event, History, Outcome};
use weft_host::runtime::Inspector;

/// `weft run` on `data`; each example activity first sleeps `delay_ms` (real time), which
/// leaves time to kill the host in the middle of a workflow.
fn spawn_weft(data: &Path, log: &Path, delay_ms: u64, args: &[&str]) -> Child {
    let mut cmd = weft();
    if args.is_empty() {
        cmd.env("WEFT_VIRTUAL_CLOCK", "1");
    }
    cmd.arg("run")
        .arg("--data")
        .arg(data)
        .args(args)
        .env("WEFT_EXAMPLE_ACTIVITY_LOG", log)
        .env("WEFT_EXAMPLE_ACTIVITY_DELAY_MS", delay_ms.to_string())
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
    poll::until_seen("the activities to reach the expected point", || {
        let lines = log_lines(log);
        if pred(&lines) {
            Ok(())
        } else {
            Err(lines)
        }
    })
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
    let timer = component("timer");
    // Compile both components into the data folder's cache first, so the hosts below
    // spend their time running workflows, not compiling.
    let engine = weft_host::engine::Engine::new(weft_host::engine::EngineConfig {
        cache_dir: Some(data.join("compiled")),
        ..Default::default()
    })
    .unwrap();
    engine.load(&component_bytes("sequence")).unwrap();
    engine.load(&component_bytes("timer")).unwrap();

    // Kill the first host after the sequence's first activity ran.
    let first = spawn_weft(
        &data,
        &log,
        300,
        &[
            sequence.to_str().unwrap(),
            "sequence",
            "--input",
            "\"abc\"",
            "--id",
            "seq-1",
        ],
    );
    wait_for(&log, |l| l.iter().any(|x| x.starts_with("to_upper seq-1")));
    kill(first);
    let after_first_kill = (recorded_results(&data), log_lines(&log).len());

    // The second host resumes seq-1 and starts a 4-second timer; kill it when the
    // sequence's second activity has run (its third is then in flight).
    let second = spawn_weft(
        &data,
        &log,
        // Long enough for timer-1's start (its component compiles first) to be
        // durable before seq-1 finishes.
        3000,
        &[
            timer.to_str().unwrap(),
            "timer",
            "--input",
            "{\"seconds\": 4}",
            "--id",
            "timer-1",
        ],
    );
    // ... and once timer-1's start is durable (it says so on stderr).
    let mut second = second;
    let stderr = std::io::BufReader::new(second.stderr.take().unwrap());
    let started = std::thread::spawn(move || {
        use std::io::BufRead;
        stderr
            .lines()
            .map_while(Result::ok)
            .any(|line| line.starts_with("execution timer-1"))
    });
    wait_for(&log, |l| l.iter().any(|x| x.starts_with("reverse seq-1")));
    poll::until(
        "the second host to say it started timer-1 (or to exit)",
        || started.is_finished().then_some(()),
    );
    assert!(
        started.join().unwrap(),
        "the second host never started timer-1"
    );
    kill(second);

    let after_second_kill = (recorded_results(&data), log_lines(&log).len());

    // The third host only resumes, on a virtual clock: the rest of the timer takes no
    // real time (its fire time is durable, so the crash neither shortens nor restarts it).
    let out = spawn_weft(&data, &log, 300, &[])
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("resuming seq-1") && stderr.contains("resuming timer-1"),
        "{stderr}"
    );

    let inspector = Inspector::open(&data).unwrap();
    let mut results = Vec::new();
    for (id, name) in [("seq-1", "sequence"), ("timer-1", "timer")] {
        let run = inspector.find_run(id).unwrap();
        let events = inspector.history(&run.run_id).unwrap();
        results.push(match History::new(events.clone()).outcome() {
            Some(Outcome::Completed(p)) => p.to_json(),
            other => panic!("{id} did not complete: {other:?}"),
        });
        let module = engine.load(&component_bytes(name)).unwrap();
        weft_host::replay::replay(&engine, &module, &events).unwrap();
    }
    assert_eq!(results[0], json!("Hello, CBA!"));
    // The timer's duration is durable: the crash did not shorten or restart it.
    let slept = results[1]["slept_ms"].as_u64().unwrap();
    assert!(slept >= 4000, "{}", results[1]);
    assert_eq!(results[1]["greeting"], json!("Hello, timer!"));

    // An activity whose result was recorded before a kill never ran again after it.
    // (One that ran but was not yet recorded may run again: at least once.)
    let lines = log_lines(&log);
    assert!(
        after_second_kill.0.contains(&("seq-1".to_string(), 1)),
        "{after_second_kill:?}"
    );
    for (recorded, lines_then) in [after_first_kill, after_second_kill] {
        for line in &lines[lines_then..] {
            let f: Vec<&str> = line.split(' ').collect();
            let key = (f[1].to_string(), f[2].parse::<u32>().unwrap());
            assert!(
                !recorded.contains(&key),
                "`{line}` ran again after its result was recorded"
            );
        }
    }
}

/// update/worker_restart: the host is killed (SIGKILL) while an accepted update's
/// activity runs; after the restart the activity runs again, the update completes,
/// and the caller asking again with the same update id gets its result (the handler
/// ran to completion once: one `complete-update`). The run then completes.
#[test]
fn update_worker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("activities.log");
    let log_env = log.to_str().unwrap();
    let server = support::server::Server::start(&data, &[("WEFT_EXAMPLE_ACTIVITY_LOG", log_env)]);
    let (status, body) =
        server.post_bytes("/v1/modules?name=messages", &component_bytes("messages"));
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "update_worker_restart", "id": "restart-1"}),
    );
    assert_eq!(status, 201, "{body}");
    let update = |url: &str, wait: &str| {
        weft()
            .args([
                "update",
                "restart-1",
                "add",
                "--input",
                "5",
                "--update-id",
                "u-1",
            ])
            .args(["--wait", wait, "--server", url])
            .output()
            .unwrap()
    };
    let accepted = update(&server.url, "accepted");
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    // The handler's activity (a one-minute nap) has started: kill the host.
    wait_for(&log, |lines| {
        lines.iter().any(|l| l.starts_with("nap restart-1"))
    });
    server.kill();

    // On virtual time, the nap that runs again takes no real time.
    let server = support::server::Server::start(
        &data,
        &[
            ("WEFT_EXAMPLE_ACTIVITY_LOG", log_env),
            ("WEFT_VIRTUAL_CLOCK", "1"),
        ],
    );
    let completed = update(&server.url, "completed");
    assert!(
        completed.status.success(),
        "{}",
        String::from_utf8_lossy(&completed.stderr)
    );
    // The counter before the addition.
    assert_eq!(String::from_utf8_lossy(&completed.stdout).trim(), "0");
    let result = server.result("restart-1");
    assert_eq!(result["result"], json!(5), "{result}");
    let naps = log_lines(&log)
        .iter()
        .filter(|l| l.starts_with("nap restart-1"))
        .count();
    assert_eq!(naps, 2, "the nap ran before the kill and once after");
    let events = server.assert_replays("restart-1", "messages");
    let completions = events
        .iter()
        .filter(|e| e.name() == "complete-update")
        .count();
    assert_eq!(completions, 1);
}

/// The last heartbeat details the describe body shows for `id`'s activity, if any.
fn recorded_heartbeat(server: &support::server::Server, id: &str) -> Option<u64> {
    let (status, body) = server.get(&format!("/v1/executions/{id}"));
    assert_eq!(status, 200, "{body}");
    body["pending_activities"][0]["heartbeat_details"].as_u64()
}

/// A host killed (SIGKILL) while `poll_until_ready` heartbeats: the next host's attempt
/// starts from the poll count of the last heartbeat recorded before the kill, not from
/// zero, and says so in its result.
///
/// Both hosts run on virtual clocks, so the activity's one-second waits take no real
/// time; each poll takes 20 ms of real time (`WEFT_EXAMPLE_POLL_WORK_MS`), during which
/// the clock stands still, which leaves the test time to kill the first host mid-way.
#[test]
fn killed_host_resumes_a_heartbeating_activity_from_its_last_details() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [
        ("WEFT_VIRTUAL_CLOCK", "1"),
        ("WEFT_EXAMPLE_POLL_WORK_MS", "20"),
    ];
    let server = support::server::Server::start(&data, &env);
    let (status, body) = server.post_bytes(
        "/v1/modules?name=polling-frequent",
        &component_bytes("polling-frequent"),
    );
    assert_eq!(status, 201, "{body}");
    let ready_after = 100;
    let (status, body) = server.post_json(
        "/v1/executions",
        &json!({"workflow_type": "polling-frequent", "id": "poll-1",
                "input": {"ready_after": ready_after}}),
    );
    assert_eq!(status, 201, "{body}");
    // Kill once a few heartbeats are recorded (one per 4 polls: 80% of the 5 s timeout).
    poll::until_seen(
        "9 heartbeats of poll-1 to be recorded",
        || match recorded_heartbeat(&server, "poll-1") {
            Some(n) if n >= 9 => Ok(()),
            seen => Err(seen),
        },
    );
    server.kill();

    let run = Inspector::open(&data).unwrap().find_run("poll-1").unwrap();
    let events = Inspector::open(&data)
        .unwrap()
        .history(&run.run_id)
        .unwrap();
    let last_beat = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::ActivityHeartbeat {
                details: Some(d), ..
            } => d.to_json().as_u64(),
            _ => None,
        })
        .expect("a heartbeat was recorded before the kill");
    assert!(last_beat >= 9 && last_beat < ready_after, "{last_beat}");
    let recorded_before_kill = events.len();

    let server = support::server::Server::start(&data, &[("WEFT_VIRTUAL_CLOCK", "1")]);
    let result = server.result("poll-1");
    assert_eq!(result["status"], json!("completed"), "{result}");
    let report = &result["result"];
    assert_eq!(report["resumed_from"], json!(last_beat), "{report}");
    assert_eq!(report["polls"], json!(ready_after), "{report}");
    drop(server);

    let events = Inspector::open(&data)
        .unwrap()
        .history(&run.run_id)
        .unwrap();
    // The next host's first recorded heartbeat is the poll after the resumed count.
    let first_after = events[recorded_before_kill..].iter().find_map(|e| match e {
        Event::ActivityHeartbeat {
            details: Some(d), ..
        } => d.to_json().as_u64(),
        _ => None,
    });
    assert_eq!(first_after, Some(last_beat + 1));
    let engine = support::engine();
    let module = engine.load(&component_bytes("polling-frequent")).unwrap();
    weft_host::replay::replay(&engine, &module, &events).unwrap();
}

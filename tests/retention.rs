//! Deleting executions and retention, as an operator meets them: `weft delete` on a
//! real server (a closed execution goes, an open one is refused, the id can start
//! again), and retention on the virtual clock (closed runs older than it disappear
//! into the archive, younger and open ones stay), with the archive read back by
//! `weft history show --archive` and `weft replay --archive`, payloads still encrypted.

use crate::support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::server::{execution, fails_with, ok, said, Server};
use support::*;
use weft_host::history::archive::{read_file, Archive};
use weft_host::history::export;
use weft_host::payload_codec::{Keyring, PayloadCodec};
use weft_host::runtime::{QueryError, Retention};
use weft_host::storage::Status;

const DAY: Duration = Duration::from_secs(86_400);

/// `weft list --json` ids.
fn listed(server: &Server) -> Vec<String> {
    let page: Value = serde_json::from_str(&ok(server.cli(&["list", "--json"]))).unwrap();
    (page["executions"].as_array().unwrap().iter())
        .map(|v| v["workflow_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn delete_removes_a_closed_execution_and_refuses_an_open_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    for name in ["hello", "timer"] {
        let component = component(name);
        ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", name]));
    }
    ok(server.cli(&[
        "execute",
        "hello",
        "--input",
        r#""world""#,
        "--id",
        "greet-1",
    ]));
    let first_run = server.result("greet-1")["run_id"].clone();
    server.assert_replays("greet-1", "hello");
    ok(server.cli(&[
        "start",
        "timer",
        "--input",
        r#"{"seconds": 3600}"#,
        "--id",
        "nap-1",
    ]));

    // Open: refused with 409 and a message saying what to do; nothing is removed.
    let refused = fails_with(server.cli(&["delete", "nap-1"]), 5);
    assert!(refused.contains("terminate it first"), "{refused}");
    let (status, body) = server.delete(&execution("nap-1"));
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "conflict", "{body}");
    ok(server.cli(&["describe", "nap-1"]));

    // Closed: deleted; describe is not found (exit 4), list no longer shows it.
    assert!(listed(&server).contains(&"greet-1".to_string()));
    let note = said(server.cli(&["delete", "greet-1"]));
    assert!(note.contains("deleted greet-1 (1 run:"), "{note}");
    let gone = fails_with(server.cli(&["describe", "greet-1"]), 4);
    assert!(gone.contains("greet-1"), "{gone}");
    fails_with(server.cli(&["describe", first_run.as_str().unwrap()]), 4);
    fails_with(server.cli(&["history", "show", "greet-1"]), 4);
    assert!(!listed(&server).contains(&"greet-1".to_string()));
    fails_with(server.cli(&["delete", "greet-1"]), 4);

    // The id starts again as a new execution.
    ok(server.cli(&[
        "execute",
        "hello",
        "--input",
        r#""again""#,
        "--id",
        "greet-1",
    ]));
    let again = server.result("greet-1");
    assert_eq!(again["result"], "Hello, again!", "{again}");
    assert_ne!(again["run_id"], first_run);
    server.assert_replays("greet-1", "hello");

    // Terminated, the open one can be deleted too.
    ok(server.cli(&["terminate", "nap-1", "--reason", "test over"]));
    ok(server.cli(&["delete", "nap-1"]));
    fails_with(server.cli(&["describe", "nap-1"]), 4);
}

/// A run that continued as new goes with the runs before it (on the virtual clock:
/// the loop's timers skip).
#[tokio::test]
async fn delete_takes_the_runs_a_run_continued_from() {
    let env = test_env().start().await.unwrap();
    env.deploy(component_bytes("continue-as-new"), "looper")
        .await
        .unwrap();
    let input = json!({"iterations": 3, "per_run": 1});
    let (first, _) = env.execute("looper", input).await.unwrap();
    let host = env.host();
    let latest = poll::until_async("the loop's last run to close", || async {
        let latest = host.find_run(&first.workflow_id).unwrap();
        let last = !latest.status.is_open() && latest.status != Status::ContinuedAsNew;
        last.then_some(latest)
    })
    .await;
    let runs: Vec<String> = (host.runs().unwrap().into_iter())
        .filter(|r| r.workflow_id == first.workflow_id)
        .map(|r| r.run_id)
        .collect();
    assert!(runs.len() >= 2, "{runs:?}");
    for run in &runs {
        assert_replays(host, "continue-as-new", &host.history(run).unwrap());
    }
    let deleted = host.delete_execution(&first.workflow_id).await.unwrap();
    assert_eq!(deleted[0].run_id, latest.run_id);
    let mut deleted: Vec<String> = deleted.into_iter().map(|r| r.run_id).collect();
    deleted.sort();
    let mut expected = runs.clone();
    expected.sort();
    assert_eq!(deleted, expected);
    for run in &runs {
        assert!(matches!(host.find_run(run), Err(QueryError::NotFound(_))));
    }
    assert!(matches!(
        host.find_run(&first.workflow_id),
        Err(QueryError::NotFound(_))
    ));
}

fn key_file(dir: &Path) -> std::path::PathBuf {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let path = dir.join("keys.json");
    let text = json!({ "active": "k1", "keys": { "k1": key } });
    std::fs::write(&path, text.to_string()).unwrap();
    path
}

#[tokio::test]
async fn retention_archives_and_removes_closed_runs_older_than_it() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = key_file(tmp.path());
    let codec =
        PayloadCodec::new(Keyring::from_json(&std::fs::read_to_string(&keys).unwrap()).unwrap());
    let env = test_env()
        .manual_time()
        .codec(codec)
        .activities(activities());
    let env = env.start().await.unwrap();
    env.deploy(component_bytes("hello"), "hello").await.unwrap();
    env.deploy(component_bytes("timer"), "timer").await.unwrap();
    let host = env.host();

    let (old, _) = env.execute("hello", json!("Zebulon")).await.unwrap();
    let old_events = host.history(&old.run_id).unwrap();
    assert_replays(host, "hello", &old_events);
    env.skip(20 * DAY);
    let (young, _) = env.execute("hello", json!("young")).await.unwrap();
    let open = env
        .start("timer", json!({"seconds": 100 * 86_400}))
        .await
        .unwrap();

    let archive_dir = tmp.path().join("archive");
    let archive = Archive::new(&archive_dir);
    host.start_retention(Retention::new(30 * DAY, Some(archive.clone())));
    // Nothing is 30 days old yet.
    let nothing = host
        .retention_tick(&Retention::new(30 * DAY, Some(archive.clone())))
        .await
        .unwrap();
    assert_eq!(nothing, 0);
    env.skip(15 * DAY);
    // Gone, and counted (the counters move just after the removal's commit).
    poll::until_async("retention to remove the old run", || async {
        let counted = host
            .render_metrics()
            .contains("weft_executions_deleted_total 1");
        let gone = matches!(host.find_run(&old.run_id), Err(QueryError::NotFound(_)));
        (gone && counted).then_some(())
    })
    .await;
    assert!(host.find_run(&young.run_id).is_ok());
    assert!(host.find_run(&open.run_id).unwrap().status.is_open());
    let metrics = host.render_metrics();
    assert!(
        metrics.contains("weft_executions_archived_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("weft_executions_deleted_total 1"),
        "{metrics}"
    );

    // The archive holds the run's history with its payloads still encrypted.
    let file = archive.find(&old.run_id).unwrap();
    let raw = std::fs::read(&file).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Zebulon"));
    let text = read_file(&file).unwrap();
    assert!(!text.contains("Zebulon"), "payloads stay encrypted");
    assert!(text.contains("\"encoded\""), "{text}");
    let (_, run_id, stored) = export::from_json(&text).unwrap();
    assert_eq!(run_id, old.run_id);
    assert_eq!(stored.len(), old_events.len());

    // Read back the way an operator does: history show and replay, with the keys.
    let archive_arg = archive_dir.to_str().unwrap();
    let keys_arg = keys.to_str().unwrap();
    let shown = ok(weft()
        .args([
            "history",
            "show",
            "--archive",
            archive_arg,
            &old.workflow_id,
        ])
        .args(["--codec-keys", keys_arg])
        .output()
        .unwrap());
    assert!(shown.contains("Zebulon"), "{shown}");
    assert!(shown.contains("complete-workflow"), "{shown}");
    let without_keys = weft()
        .env_remove("WEFT_CODEC_KEYS")
        .args(["history", "show", "--archive", archive_arg, &old.run_id])
        .output()
        .unwrap();
    assert!(!without_keys.status.success());
    let module = component("hello");
    let replayed = said(
        weft()
            .args(["replay", "--module", module.to_str().unwrap()])
            .args(["--archive", archive_arg, "--id", &old.run_id])
            .args(["--codec-keys", keys_arg])
            .output()
            .unwrap(),
    );
    assert!(replayed.contains("matches"), "{replayed}");
    let missing = fails_with(
        weft()
            .args(["history", "show", "--archive", archive_arg, &young.run_id])
            .output()
            .unwrap(),
        4,
    );
    assert!(missing.contains("no archived run"), "{missing}");
}

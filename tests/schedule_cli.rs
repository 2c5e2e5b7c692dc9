//! `weft schedule` against a real `weft server`: every verb as a user types it, the
//! errors of a taken and a missing id, and a schedule that outlives a SIGKILL of the
//! server. Actions are triggered and backfilled, so no test waits for a slot.

use crate::support;

use serde_json::Value;
use support::server::{fails_with, ok, said, Server};

fn deploy(server: &Server) {
    let component = support::component("schedule");
    ok(server.cli(&["deploy", component.to_str().unwrap()]));
}

fn describe(server: &Server, id: &str) -> Value {
    serde_json::from_str(&ok(server.cli(&["schedule", "describe", id, "--json"]))).unwrap()
}

#[test]
fn every_schedule_verb_works_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    deploy(&server);

    // The form outside checks use, then gone again.
    ok(server.cli(&[
        "schedule",
        "create",
        "ping",
        "--workflow-type",
        "echo",
        "--input",
        "\"hi\"",
        "--interval",
        "1s",
    ]));
    said(server.cli(&["schedule", "delete", "ping"]));

    let created = said(server.cli(&[
        "schedule",
        "create",
        "nightly",
        "--workflow-type",
        "echo",
        "--input",
        "\"night\"",
        "--cron",
        "0 2 * * *",
        "--timezone",
        "Europe/Paris",
        "--overlap",
        "buffer-one",
        "--paused",
        "--note",
        "until launch",
    ]));
    assert!(created.contains("created schedule nightly"), "{created}");
    let taken = fails_with(
        server.cli(&[
            "schedule",
            "create",
            "nightly",
            "--workflow-type",
            "echo",
            "--interval",
            "1h",
        ]),
        5,
    );
    assert!(taken.contains("already exists"), "{taken}");

    let list = ok(server.cli(&["schedule", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("nightly") && l.contains("paused")),
        "{list}"
    );
    let text = ok(server.cli(&["schedule", "describe", "nightly"]));
    assert!(text.contains("paused (until launch)"), "{text}");
    assert!(text.contains("0 2 * * *"), "{text}");

    said(server.cli(&["schedule", "trigger", "nightly"]));
    let d = describe(&server, "nightly");
    assert_eq!(d["actions"], 1);
    let wid = d["recent"][0]["workflow_id"].as_str().unwrap().to_string();
    assert!(wid.starts_with("nightly-"), "{wid}");
    assert_eq!(ok(server.cli(&["result", &wid])), "\"night\"");
    server.assert_replays(&wid, "schedule");

    let filled = said(server.cli(&[
        "schedule",
        "backfill",
        "nightly",
        "--start-time",
        "2026-01-01T00:00:00Z",
        "--end-time",
        "2026-01-03T23:59:59Z",
        "--overlap",
        "allow-all",
    ]));
    assert!(filled.contains("3 slots"), "{filled}");
    let d = describe(&server, "nightly");
    assert_eq!(d["actions"], 4);
    // 02:00 in Paris in January is 01:00 UTC.
    let ids: Vec<&str> = d["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["workflow_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"nightly-2026-01-02T01:00:00Z"), "{ids:?}");
    for id in &ids[1..] {
        assert_eq!(ok(server.cli(&["result", id])), "\"night\"");
    }

    said(server.cli(&["schedule", "unpause", "nightly"]));
    let d = describe(&server, "nightly");
    assert_eq!(d["paused"], false);
    assert_eq!(d["note"], "Unpaused via weft");
    assert_eq!(d["next_action_times"].as_array().unwrap().len(), 5);
    said(server.cli(&["schedule", "pause", "nightly", "--note", "maintenance"]));
    assert_eq!(describe(&server, "nightly")["note"], "maintenance");

    said(server.cli(&[
        "schedule",
        "update",
        "nightly",
        "--workflow-type",
        "echo",
        "--input",
        "\"later\"",
        "--interval",
        "1h/15m",
    ]));
    let d = describe(&server, "nightly");
    assert_eq!(d["action"]["input"], "later");
    assert_eq!(d["spec"]["intervals"][0]["offset_ms"], 900_000);
    assert_eq!(d["actions"], 4, "an update keeps the counters");

    let bad = fails_with(
        server.cli(&[
            "schedule",
            "create",
            "bad",
            "--workflow-type",
            "echo",
            "--cron",
            "61 * * * *",
        ]),
        2,
    );
    assert!(bad.contains("61 * * * *"), "{bad}");
    said(server.cli(&["schedule", "delete", "nightly"]));
    let gone = fails_with(server.cli(&["schedule", "describe", "nightly"]), 4);
    assert!(gone.contains("no schedule `nightly`"), "{gone}");
    assert_eq!(
        ok(server.cli(&["schedule", "list", "--json"])),
        r#"{"schedules":[]}"#
    );
}

#[test]
fn a_schedule_outlives_a_killed_server() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]);
    deploy(&server);
    ok(server.cli(&[
        "schedule",
        "create",
        "hourly",
        "--workflow-type",
        "echo",
        "--input",
        "\"one\"",
        "--interval",
        "1h",
        "--paused",
    ]));
    said(server.cli(&["schedule", "trigger", "hourly"]));
    let wid = describe(&server, "hourly")["recent"][0]["workflow_id"]
        .as_str()
        .unwrap()
        .to_string();
    server.kill();

    let server = Server::start(data.path(), &[]);
    let d = describe(&server, "hourly");
    assert_eq!(d["paused"], true);
    assert_eq!(d["actions"], 1);
    assert_eq!(d["recent"][0]["workflow_id"], wid.as_str());
    assert_eq!(ok(server.cli(&["result", &wid])), "\"one\"");
    server.assert_replays(&wid, "schedule");
}

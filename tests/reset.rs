//! `weft reset` as an operator uses it, through a real server and the CLI: runs of
//! `invoice` (`tests/fixtures/invoice`) fail on a bug; the fix (`invoice-fixed`) is
//! deployed; a reset to the last task repairs a failed run (its signal delivered again),
//! a reset to the first task starts one over (signals not reapplied when asked), and an
//! open run reset is closed as terminated. Both runs of each reset record the link and
//! replay: the old ones on the buggy module, the new ones on the fix. A reset whose
//! copied events would diverge on the new module is refused and writes nothing.

use crate::support;

use serde_json::Value;
use support::server::{fails_with, ok, said, Server};
use support::*;
use weft_host::history::Event;

fn reset_json(server: &Server, args: &[&str]) -> Value {
    let mut all = vec!["reset"];
    all.extend_from_slice(args);
    all.push("--json");
    serde_json::from_str(&ok(server.cli(&all))).unwrap()
}

/// Start `invoice` as `id` with `amount`, signal it `note`.
fn invoice(server: &Server, id: &str, amount: &str, note: Option<&str>) {
    ok(server.cli(&["start", "invoice", "--input", amount, "--id", id]));
    if let Some(note) = note {
        let note = format!("\"{note}\"");
        ok(server.cli(&["signal", id, "note", "--input", &note]));
    }
}

#[test]
fn a_bug_fixed_by_a_deploy_and_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let deploy = |fixture: &str| {
        let component = component(fixture);
        ok(server.cli(&["deploy", component.to_str().unwrap(), "--name", "invoice"]))
    };
    deploy("invoice");
    invoice(&server, "inv-1", "11", Some("paid"));
    invoice(&server, "inv-2", "12", Some("paid"));
    for id in ["inv-1", "inv-2"] {
        let failed = fails_with(server.cli(&["result", id]), 3);
        assert!(failed.contains("tax rounding bug"), "{failed}");
    }
    invoice(&server, "inv-3", "3", None);
    deploy("invoice-fixed");

    // The last task runs again on the fix, with the signal it had.
    let first = server.history("inv-1");
    let done = reset_json(
        &server,
        &[
            "inv-1",
            "--to",
            "last-task",
            "--reason",
            "fixed the tax bug",
        ],
    );
    let old_run = done["from_run_id"].as_str().unwrap().to_string();
    let new_run = done["run_id"].as_str().unwrap().to_string();
    let at = done["event_index"].as_u64().unwrap() as usize;
    assert!(
        matches!(first[at], Event::TaskStarted { .. }),
        "{at}: {first:?}"
    );
    assert_eq!(server.result("inv-1")["result"], "121 paid");
    let described = ok(server.cli(&["describe", "inv-1"]));
    assert!(described.contains(&new_run), "{described}");
    assert!(
        described.contains(&format!(
            "reset     from run {old_run} at event {at}: fixed the tax bug"
        )),
        "{described}"
    );
    let described = ok(server.cli(&["describe", &old_run]));
    assert!(
        described.contains(&format!("reset     to run {new_run}")),
        "{described}"
    );
    assert!(described.contains("failed"), "{described}");
    let (status, page) = server.get("/ui/executions/inv-1?tab=relationships");
    assert_eq!(status, 200);
    let page = page.as_str().unwrap_or_default().to_string();
    assert!(
        page.contains("Reset from") && page.contains(&old_run),
        "{page}"
    );
    let shown = ok(server.cli(&["history", "show", "inv-1"]));
    assert!(
        shown.contains("reset-from") && shown.contains(&old_run),
        "{shown}"
    );
    let shown = ok(server.cli(&["history", "show", &old_run]));
    assert!(
        shown.contains("reset-to") && shown.contains(&new_run),
        "{shown}"
    );
    let new_events = server.assert_replays("inv-1", "invoice-fixed");
    let names = |events: &[Event]| events.iter().map(Event::name).collect::<Vec<_>>();
    assert_eq!(
        names(&new_events[..at]),
        names(&first[..at]),
        "copied: {new_events:?}"
    );
    let start = weft_host::history::History::new(new_events.clone());
    assert_eq!(
        start.start_job().unwrap().run_id,
        new_run,
        "the start job names the new run"
    );
    assert!(
        matches!(&new_events[at], Event::ResetFrom { run_id, event_index, .. }
            if *run_id == old_run && *event_index == at as u64),
        "{:?}",
        new_events[at]
    );
    server.assert_replays(&old_run, "invoice");

    // Again, from the task the activity's result came in: it is delivered once, not
    // run again, and the signal after it is reapplied.
    let second_task = new_events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::TaskStarted { .. }))
        .nth(1)
        .unwrap()
        .0
        .to_string();
    reset_json(
        &server,
        &["inv-1", "--to", &second_task, "--reason", "once more"],
    );
    assert_eq!(server.result("inv-1")["result"], "121 paid");
    let events = server.assert_replays("inv-1", "invoice-fixed");
    let scheduled = events
        .iter()
        .filter(|e| matches!(e, Event::Command(c) if c.command.kind() == "schedule-activity"))
        .count();
    assert_eq!(scheduled, 1, "{events:?}");

    // From the first task, signals not reapplied: it starts over and waits for one.
    let done = reset_json(
        &server,
        &[
            "inv-2",
            "--to",
            "first-task",
            "--reapply",
            "none",
            "--reason",
            "start over",
        ],
    );
    assert_eq!(done["event_index"], 1);
    let described = ok(server.cli(&["describe", "inv-2"]));
    assert!(described.contains("running"), "{described}");
    ok(server.cli(&["signal", "inv-2", "note", "--input", "\"again\""]));
    assert_eq!(server.result("inv-2")["result"], "144 again");
    let events = server.assert_replays("inv-2", "invoice-fixed");
    let signals = events
        .iter()
        .filter(|e| matches!(e, Event::Job(weft_host::history::Job::Signal(_))))
        .count();
    assert_eq!(signals, 1, "only the new signal: {events:?}");

    // An open run: closed as terminated, the new run goes on from its first task.
    let told = said(server.cli(&["reset", "inv-3", "--to", "first-task", "--reason", "retry"]));
    assert!(told.starts_with("reset inv-3 from run"), "{told}");
    let old = server.history(told.split_whitespace().nth(4).unwrap());
    assert!(
        matches!(old.last(), Some(Event::Terminated { reason }) if reason.contains("retry")),
        "{old:?}"
    );
    ok(server.cli(&["signal", "inv-3", "note", "--input", "\"late\""]));
    assert_eq!(server.result("inv-3")["result"], "9 late");
    server.assert_replays("inv-3", "invoice-fixed");

    // Refusals: a point that is not a task, an old run, an unknown id, no reason.
    let refused = fails_with(
        server.cli(&["reset", "inv-1", "--to", "2", "--reason", "x"]),
        5,
    );
    assert!(
        refused.contains("not the start of a workflow task"),
        "{refused}"
    );
    let refused = fails_with(
        server.cli(&["reset", &old_run, "--to", "last-task", "--reason", "x"]),
        5,
    );
    assert!(refused.contains("not the latest run"), "{refused}");
    fails_with(
        server.cli(&["reset", "nobody", "--to", "last-task", "--reason", "x"]),
        4,
    );
    let refused = fails_with(
        server.cli(&["reset", "inv-1", "--to", "last-task", "--reason", " "]),
        5,
    );
    assert!(refused.contains("blank"), "{refused}");
}

/// A reset whose copied events do not replay on the module the new run would get is
/// refused with the divergence, and writes nothing; from a task before the change it
/// goes ahead on the new module.
#[tokio::test]
async fn a_reset_that_would_diverge_on_the_new_module_is_refused() {
    use serde_json::json;
    use weft_host::runtime::{Reapply, ResetError, ResetPoint, ResetRequest};

    let env = test_env().activities(activities()).start().await.unwrap();
    let host = env.host();
    env.deploy(component_bytes("hello"), "hello").await.unwrap();
    let (run, _) = env.execute("hello", json!("Ada")).await.unwrap();
    env.deploy(component_bytes("hello-changed"), "hello")
        .await
        .unwrap();
    let request = |to| ResetRequest {
        to,
        reapply: Reapply::All,
        reason: "try the new version".into(),
    };
    let refused = host
        .reset(&run.workflow_id, request(ResetPoint::LastTask))
        .await
        .unwrap_err();
    assert!(matches!(refused, ResetError::Conflict(_)), "{refused:?}");
    let message = refused.to_string();
    assert!(
        message.contains("does not replay") && message.contains("WEFT-NDE-1"),
        "{message}"
    );
    assert_eq!(host.find_run(&run.workflow_id).unwrap().run_id, run.run_id);
    let events = host.history(&run.run_id).unwrap();
    assert!(!events.iter().any(|e| matches!(e, Event::ResetTo { .. })));

    // From the first task nothing but the start is copied: the new run greets loudly.
    let done = host
        .reset(&run.workflow_id, request(ResetPoint::FirstTask))
        .await
        .unwrap();
    let outcome = host.wait(&done.run_id).await.unwrap();
    assert_eq!(completed(&outcome), json!("Hello, ADA!"));
    assert_replays(host, "hello-changed", &host.history(&done.run_id).unwrap());
}

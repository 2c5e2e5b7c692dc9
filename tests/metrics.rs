//! `GET /metrics` of a real `weft server`: the counts match what the test made the host
//! do (runs started and closed, activity attempts, messages, cache and group commits).

use crate::support;

use serde_json::json;
use support::component_bytes;
use support::server::Server;

/// The value of the sample `series` (name and labels as Prometheus renders them).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

/// Fetch `/metrics`, checking its content type.
fn scrape(server: &Server) -> String {
    let mut resp = ureq::get(format!("{}/metrics", server.url)).call().unwrap();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "text/plain; version=0.0.4");
    resp.body_mut().read_to_string().unwrap()
}

/// A `sequence` run (three activities) and an `entity` run (signals, a query, an
/// update) on a cache of one instance: the sequence evicts the entity, whose next task
/// rebuilds it by replay. Every count is what happened, and nothing is left open.
#[test]
fn metrics_count_what_the_host_did() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), &[], &["--cache-size", "1"]);
    for name in ["sequence", "entity"] {
        let (status, body) =
            server.post_bytes(&format!("/v1/modules?name={name}"), &component_bytes(name));
        assert_eq!(status, 201, "{body}");
    }
    let start = |body: serde_json::Value| {
        let (status, body) = server.post_json("/v1/executions", &body);
        assert_eq!(status, 201, "{body}");
    };
    start(json!({"workflow_type": "entity", "input": {"balance": 10}, "id": "acct-1"}));
    start(json!({"workflow_type": "sequence", "input": "abc", "id": "seq-1"}));
    assert_eq!(server.result("seq-1")["result"], json!("Hello, CBA!"));
    let post = |path: &str, body: serde_json::Value| {
        let (status, body) = server.post_json(&format!("/v1/executions/acct-1/{path}"), &body);
        assert_eq!(status, 200, "{body}");
        body
    };
    post("signals/deposit", json!({"input": {"amount": 5}}));
    assert_eq!(post("queries/balance", json!({}))["result"], json!(15));
    assert_eq!(
        post("updates/withdraw", json!({"input": {"amount": 1}}))["result"],
        json!(14)
    );
    post("signals/close", json!({}));
    assert_eq!(server.result("acct-1")["result"], json!({"balance": 14}));

    let text = scrape(&server);
    for (series, value) in [
        (
            r#"weft_executions_started_total{workflow_type="sequence"}"#,
            1.0,
        ),
        (
            r#"weft_executions_started_total{workflow_type="entity"}"#,
            1.0,
        ),
        (
            r#"weft_executions_closed_total{status="completed",workflow_type="sequence"}"#,
            1.0,
        ),
        (
            r#"weft_executions_closed_total{status="completed",workflow_type="entity"}"#,
            1.0,
        ),
        // Its first task and one per activity result.
        (
            r#"weft_workflow_task_seconds_count{workflow_type="sequence"}"#,
            4.0,
        ),
        (
            r#"weft_workflow_task_failures_total{workflow_type="sequence"}"#,
            0.0,
        ),
        (
            r#"weft_activity_attempts_total{activity_type="to_upper"}"#,
            1.0,
        ),
        (
            r#"weft_activity_attempts_total{activity_type="reverse"}"#,
            1.0,
        ),
        (
            r#"weft_activity_attempts_total{activity_type="greet"}"#,
            1.0,
        ),
        (
            r#"weft_activity_attempt_failures_total{activity_type="greet"}"#,
            0.0,
        ),
        (
            r#"weft_activity_attempt_seconds_count{activity_type="greet"}"#,
            1.0,
        ),
        (
            r#"weft_activity_schedule_to_start_seconds_count{activity_type="greet"}"#,
            1.0,
        ),
        ("weft_signals_received_total", 2.0),
        ("weft_queries_received_total", 1.0),
        ("weft_updates_received_total", 1.0),
        ("weft_timers_fired_total", 0.0),
        ("weft_open_runs", 0.0),
        ("weft_instance_cache_size", 0.0),
    ] {
        assert_eq!(sample(&text, series), value, "{series}");
    }
    for series in [
        "weft_group_commit_batches_count",
        "weft_group_commit_seconds_count",
        "weft_instance_cache_hits_total",
        "weft_instance_cache_misses_total",
        "weft_instance_cache_evictions_total",
        "weft_rebuild_replays_total",
    ] {
        assert!(sample(&text, series) >= 1.0, "{series} in\n{text}");
    }
    assert!(text.contains("# HELP weft_open_runs Runs open on this host"));

    // The same through the command line, narrowed to a prefix.
    let printed = support::server::ok(server.cli(&["metrics", "weft_signals_"]));
    assert_eq!(sample(&printed, "weft_signals_received_total"), 2.0);
    assert!(printed.contains("# TYPE weft_signals_received_total counter"));
    assert!(!printed.contains("weft_open_runs"), "{printed}");

    server.assert_replays("seq-1", "sequence");
    server.assert_replays("acct-1", "entity");
}

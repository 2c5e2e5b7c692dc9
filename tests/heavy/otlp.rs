//! Spans exported over OTLP: a `weft server` given `--otlp-endpoint` sends its
//! workflow-task and activity-attempt spans to a collector, here a small OTLP/HTTP
//! receiver on loopback that keeps the protobuf bodies it is sent.

use crate::support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::routing::post;
use support::server::{ok, Server};

/// The bodies posted to `/v1/traces`.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// A collector on loopback: its base URL and what it received.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let keep = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push(body.to_vec());
                // An empty ExportTraceServiceResponse: every span accepted.
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_spans_reach_an_otlp_collector() {
    let (url, received) = collector().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let hello = support::component("hello");
    let status = tokio::task::spawn_blocking(move || {
        let server = Server::start_with(&data, &[], &["--otlp-endpoint", &url]);
        ok(server.cli(&["deploy", hello.to_str().unwrap()]));
        let out = ok(server.cli(&["execute", "hello", "--input", "\"spans\"", "--id", "otel-1"]));
        assert!(out.contains("Hello, spans!"), "{out}");
        server.assert_replays("otel-1", "hello");
        // A graceful stop sends the spans still batched.
        server.terminate()
    })
    .await
    .unwrap();
    assert!(status.success());
    let bodies = received.lock().unwrap().concat();
    for expected in [
        "weft",
        "workflow_task",
        "activity_attempt",
        "otel-1",
        "greet",
    ] {
        assert!(contains(&bodies, expected), "no `{expected}` in the spans");
    }
}

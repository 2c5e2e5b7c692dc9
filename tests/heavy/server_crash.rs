//! A real `weft server` killed with SIGKILL while four clients start executions as fast
//! as they can: after a restart, every start it acknowledged completes, exactly once.

use crate::support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use support::server::Server;
use support::*;

#[test]
fn sigkill_under_load_completes_every_acknowledged_execution_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("WEFT_EXAMPLE_ACTIVITY_DELAY_MS", "150")];
    let server = Server::start(dir.path(), &env);
    let (status, _) = server.post_bytes("/v1/modules?name=sequence", &component_bytes("sequence"));
    assert_eq!(status, 201);

    // Four clients start executions as fast as they can; the server dies under them.
    let acked: Arc<Mutex<HashMap<String, String>>> = Default::default();
    let url = server.url.clone();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let acked = acked.clone();
            let url = url.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for i in 0..1000 {
                    let id = format!("load-{c}-{i}");
                    let body = json!({"workflow_type": "sequence", "input": id, "id": id});
                    match agent.post(format!("{url}/v1/executions")).send_json(&body) {
                        Ok(r) if r.status().as_u16() == 201 => {
                            acked.lock().unwrap().insert(id.clone(), id);
                        }
                        _ => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    poll::until_seen("60 starts to be acknowledged", || {
        let n = acked.lock().unwrap().len();
        if n >= 60 {
            Ok(())
        } else {
            Err(n)
        }
    });
    server.kill();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let server = Server::start(dir.path(), &env);
    for (id, input) in &acked {
        let result = server.result(id);
        let expected: String = input.to_uppercase().chars().rev().collect();
        assert_eq!(
            result["result"],
            json!(format!("Hello, {expected}!")),
            "{id}: {result}"
        );
    }
    // Exactly once: one run per acknowledged id.
    let (_, list) = server.get("/v1/executions?limit=1000");
    let mut runs: HashMap<String, usize> = HashMap::new();
    for e in list["executions"].as_array().unwrap() {
        *runs
            .entry(e["workflow_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for id in acked.keys() {
        assert_eq!(runs.get(id), Some(&1), "{id}");
    }
    for id in acked.keys().take(10) {
        server.assert_replays(id, "sequence");
    }
}

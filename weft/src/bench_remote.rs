//! `weft bench --servers`: a scenario driven through running servers' API as a client
//! drives them, each call to one of the servers at random (the hosts of a cluster, or
//! one server): deploy, then start and wait for each execution's result. Workflow ids
//! are named by the client, so in a cluster most calls are forwarded to the host that
//! serves their id.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;
use weft_host::api::types::StartBody;
use weft_host::cli::Failure;
use weft_host::client::Client;
use weft_host::runtime::DeployMode;

/// What to run: a workflow type of `component`, with `input`.
pub struct Remote<'a> {
    pub name: &'static str,
    pub workflow_type: &'static str,
    pub input: serde_json::Value,
    pub component: &'a [u8],
    pub executions: usize,
    pub concurrency: usize,
}

/// A small generator (xorshift) for the choice of server.
fn pick(state: &mut u64, n: usize) -> usize {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state % n as u64) as usize
}

/// Start `id` and wait for its result through `client`.
fn execute(client: &Client, s: &Remote, id: String) -> Result<(), Failure> {
    let body = StartBody {
        workflow_type: s.workflow_type.to_string(),
        input: s.input.clone(),
        id: Some(id.clone()),
        ..StartBody::default()
    };
    client
        .start(body)
        .map_err(|e| format!("starting {id}: {e}"))?;
    let result = client
        .result(&id, true)
        .map_err(|e| format!("waiting for {id}: {e}"))?;
    match result.result {
        Some(_) => Ok(()),
        None => Err(Failure::from(format!(
            "{id} did not complete: {:?}",
            result.failure
        ))),
    }
}

/// Run `s` through `servers`; its JSON line.
pub fn run(servers: &[String], s: &Remote) -> Result<serde_json::Value, Failure> {
    let clients: Vec<Client> = servers.iter().map(Client::new).collect();
    clients[0]
        .deploy(s.component, s.workflow_type, DeployMode::Move)
        .map_err(|e| format!("deploying through {}: {e}", servers[0]))?;
    let nonce = std::process::id();
    let mut state = 0x2545_f491_4f6c_dd1d_u64 ^ u64::from(nonce);
    eprintln!(
        "{} through {} servers: latency (20 warm-up + 200 samples)",
        s.name,
        servers.len()
    );
    let mut samples = Vec::with_capacity(200);
    for i in 0..220 {
        let client = &clients[pick(&mut state, clients.len())];
        let t = Instant::now();
        execute(client, s, format!("bench-{nonce}-l{i}"))?;
        if i >= 20 {
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    eprintln!(
        "{}: throughput ({} executions, {} in flight)",
        s.name, s.executions, s.concurrency
    );
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<Failure>> = Mutex::new(None);
    let clients = Arc::new(clients);
    let t = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..s.concurrency.max(1) {
            let (clients, next, failed) = (clients.clone(), &next, &failed);
            scope.spawn(move || {
                let mut state = state ^ (worker as u64 + 1).wrapping_mul(0x9e37_79b9);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= s.executions || failed.lock().unwrap().is_some() {
                        return;
                    }
                    let client = &clients[pick(&mut state, clients.len())];
                    if let Err(e) = execute(client, s, format!("bench-{nonce}-t{i}")) {
                        *failed.lock().unwrap() = Some(e);
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap() {
        return Err(e);
    }
    let elapsed = t.elapsed().as_secs_f64();
    Ok(json!({
        "scenario": s.name,
        "servers": servers.len(),
        "latency_ms": {"p50": pct(0.5), "p99": pct(0.99)},
        "throughput": {
            "executions": s.executions,
            "concurrency": s.concurrency,
            "seconds": elapsed,
            "workflows_per_s": s.executions as f64 / elapsed,
        },
    }))
}

//! Chaos on a cluster of three `weft server` processes on one PostgreSQL database, each
//! serving its share of the shards: a driver starts accounts and deposits into them
//! through random hosts (which forward to the host that serves the account) while hosts
//! are SIGKILLed (and restarted under their node id) or SIGSTOPped past their lease
//! (and continued: the paused host wakes fenced and exits with code 6, and is
//! restarted).
//! Every start and deposit carries a request id; one whose answer was lost (or that a
//! host could not take yet) is sent again with the same id, to any host, until it is
//! answered. At the end every start and deposit took effect exactly once, every account
//! closed with its balance, no workflow id has two runs, and every history replays.
//!
//! The driver runs on a thread of its own, so calls are in flight when a host dies or
//! stops. The seed comes from `WEFT_CHAOS_SEED` (default 7) and `WEFT_CHAOS_FAULTS` sets
//! the length (default 6 faults, one a second or so): a longer run is
//! `WEFT_CHAOS_FAULTS=60 cargo test … chaos`.

use crate::support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::poll::until_seen;
use support::postgres::Schema;
use support::server::{execution, Server};
use support::*;

/// A small deterministic generator (xorshift), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// One host: its folder and node id, and the process when it runs.
struct Node {
    id: &'static str,
    data: PathBuf,
    server: Option<Server>,
    /// Rounds left before a node left down starts again.
    down_for: usize,
}

impl Node {
    fn start(&mut self, url: &str) {
        self.server = Some(super::cluster::start(&self.data, url, self.id));
    }
}

/// What [`call`] says when no connection could be made (nothing was sent).
const REFUSED: &str = "connection refused";

/// A request with a short patience that never panics: the status and body, or why
/// there was no answer (a host killed or paused mid-call).
fn call(url: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let answer = match body {
        Some(body) => agent.post(format!("{url}{path}")).send_json(body),
        None => agent.get(format!("{url}{path}")).call(),
    };
    let mut answer = answer.map_err(|e| match e {
        // Nothing was sent: the host is gone.
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            REFUSED.to_string()
        }
        e => e.to_string(),
    })?;
    let status = answer.status().as_u16();
    let text = answer
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// What became of a call.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Acknowledged: it took effect.
    Acked,
    /// Refused for good (no such run, or a closed one): nothing was recorded.
    Refused,
    /// Not taken yet (not serving: 503 `unavailable`, or no connection), or no answer,
    /// or one that says the outcome is unknown (a forward that got no answer, a commit
    /// that met a failure): sent again with the same request id.
    Unknown,
}

fn outcome(answer: &Result<(u16, Value), String>) -> Outcome {
    match answer {
        Ok((200 | 201, _)) => Outcome::Acked,
        Ok((404 | 409, _)) => Outcome::Refused,
        _ => Outcome::Unknown,
    }
}

/// Send `body` (which carries a request id) to `path` through random hosts until it is
/// answered for good, sending it again with the same id after every unknown outcome;
/// returns the answer and how many times it was sent.
fn call_until_answered(rng: &mut Rng, urls: &Urls, path: &str, body: &Value) -> (Outcome, usize) {
    for sent in 1.. {
        let url = {
            let urls = urls.lock().unwrap();
            (!urls.is_empty()).then(|| urls[rng.below(urls.len())].clone())
        };
        if let Some(url) = url {
            match outcome(&call(&url, path, Some(body))) {
                Outcome::Unknown => {}
                answered => return (answered, sent),
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    unreachable!()
}

/// What the driver knows of one account.
#[derive(Default, Debug)]
struct Account {
    /// The start was acknowledged.
    started: bool,
    acked: i64,
    /// Starts and deposits sent more than once (their first answer was lost).
    retried: i64,
}

/// The live nodes that hold shards now and how many, as a running host says.
fn holders(nodes: &[Node]) -> Option<Vec<(String, u64)>> {
    let server = nodes.iter().find_map(|n| n.server.as_ref())?;
    let (_, status) = call(&server.url, "/v1/cluster", None).ok()?;
    let held = status["nodes"]
        .as_array()?
        .iter()
        .filter(|n| n["shards"].as_u64() > Some(0) && n["alive"] == true)
        .filter_map(|n| Some((n["node_id"].as_str()?.to_string(), n["shards"].as_u64()?)))
        .collect();
    Some(held)
}

/// Whether the running nodes other than `gone` hold every shard between them.
fn others_serve(nodes: &[Node], gone: &str) -> Result<(), String> {
    let held = holders(nodes).ok_or("no host answers")?;
    let total: u64 = held.iter().filter(|h| h.0 != gone).map(|h| h.1).sum();
    if total == SHARDS && held.iter().all(|h| h.0 != gone) {
        Ok(())
    } else {
        Err(format!("{held:?}"))
    }
}

/// The shard count of the test's cluster (see `cluster::start`).
const SHARDS: u64 = 8;

/// One fault on a random host (every host holds some shards): SIGKILLed and restarted
/// at once under its node id (it takes its shards back), SIGKILLed and left down for a
/// while (the others take its shards over), or SIGSTOPped past its lease (the others
/// take its shards over; it wakes fenced, exits with code 6, and is restarted).
fn chaos_step(rng: &mut Rng, nodes: &mut [Node], fault: usize, url: &str, log: &mut Vec<String>) {
    let up = nodes.iter().filter(|n| n.server.is_some()).count();
    let k = rng.below(nodes.len());
    let id = nodes[k].id;
    let Some(mut server) = nodes[k].server.take() else {
        return;
    };
    let held = holders(nodes).is_some_and(|h| h.iter().any(|(n, _)| n == id));
    match fault % 3 {
        0 => {
            log.push(format!("SIGKILL {id}, restarted at once"));
            server.kill();
            nodes[k].start(url);
        }
        1 if up > 1 => {
            log.push(format!("SIGKILL {id}, left down for two rounds"));
            server.kill();
            nodes[k].down_for = 2;
            until_seen(&format!("the others to take over {id}'s shards"), || {
                others_serve(nodes, id)
            });
            log.push(format!("the others took over {id}'s shards"));
        }
        _ => {
            log.push(format!("SIGSTOP {id} for 5 s"));
            server.signal("STOP");
            std::thread::sleep(Duration::from_secs(5));
            server.signal("CONT");
            if held {
                paused_holder_woke(&mut server, id, log);
            }
            match server.exited() {
                Some(_) => nodes[k].start(url),
                None => nodes[k].server = Some(server),
            }
        }
    }
}

/// A host that held shards and wakes from a pause past its lease finds them taken over
/// and exits with code 6.
fn paused_holder_woke(server: &mut Server, id: &str, log: &mut Vec<String>) {
    let status = until_seen(&format!("{id} to stop, fenced"), || {
        server.exited().ok_or("still running")
    });
    log.push(format!("{id} exited with {status}"));
    assert_eq!(
        status.code(),
        Some(6),
        "a fenced host exits with code 6; {log:?}"
    );
}

/// Start again the nodes whose time down is over.
fn revive(nodes: &mut [Node], url: &str) {
    for node in nodes.iter_mut().filter(|n| n.server.is_none()) {
        node.down_for = node.down_for.saturating_sub(1);
        if node.down_for == 0 {
            node.start(url);
        }
    }
}

/// The addresses of the hosts that run, for the driver, as they come and go.
type Urls = Arc<Mutex<Vec<String>>>;

fn publish(nodes: &[Node], urls: &Urls) {
    *urls.lock().unwrap() = nodes
        .iter()
        .filter_map(|n| n.server.as_ref().map(|s| s.url.clone()))
        .collect();
}

/// Start accounts and deposit into them through random hosts until `stop`.
fn driver(seed: u64, urls: Urls, stop: Arc<AtomicBool>) -> HashMap<String, Account> {
    let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
    let mut accounts = HashMap::new();
    let mut round = 0;
    while !stop.load(Ordering::SeqCst) {
        drive(&mut rng, &urls, &mut accounts, round);
        round += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    accounts
}

fn drive(rng: &mut Rng, urls: &Urls, accounts: &mut HashMap<String, Account>, round: usize) {
    let id = format!("acct-{round}");
    let begin = json!({"workflow_type": "entity", "input": {"balance": 0}, "id": id,
                       "request_id": format!("start-{round}")});
    let (answer, sent) = call_until_answered(rng, urls, "/v1/executions", &begin);
    let account = accounts.entry(id.clone()).or_default();
    account.started = answer == Outcome::Acked;
    account.retried += (sent > 1) as i64;
    for n in 0..6 {
        let ids: Vec<String> = accounts.keys().cloned().collect();
        let target = &ids[rng.below(ids.len())];
        let path = format!("{}/signals/deposit", execution(target));
        let deposit = json!({"input": {"amount": 1}, "request_id": format!("deposit-{round}-{n}")});
        let (answer, sent) = call_until_answered(rng, urls, &path, &deposit);
        let account = accounts.get_mut(target).unwrap();
        account.acked += (answer == Outcome::Acked) as i64;
        account.retried += (sent > 1) as i64;
    }
}

/// Close every account through a serving host and check its balance and history.
fn check(nodes: &[Node], accounts: &HashMap<String, Account>, log: &[String]) {
    let server = nodes.iter().find_map(|n| n.server.as_ref()).unwrap();
    for (id, account) in accounts {
        let (status, _) = until_seen(&format!("{id} to be found"), || {
            match call(&server.url, &execution(id), None) {
                Ok((503, body)) | Ok((500, body)) => Err(body),
                Ok(answer) => Ok(answer),
                Err(e) => Err(Value::String(e)),
            }
        });
        if !account.started {
            assert_eq!(
                status, 404,
                "{id}: a refused start started nothing; {log:?}"
            );
            continue;
        }
        assert_eq!(
            status, 200,
            "{id}: an acknowledged start took effect; {log:?}"
        );
        until_seen(&format!("{id} to close"), || {
            match call(
                &server.url,
                &format!("{}/signals/close", execution(id)),
                Some(&json!({})),
            ) {
                Ok((200 | 409, _)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        });
        let balance = server.result(id)["result"]["balance"].as_i64().unwrap();
        assert_eq!(
            balance, account.acked,
            "{id}: {account:?}: every deposit, retried or not, is applied exactly once; {log:?}"
        );
        server.assert_replays(id, "entity");
    }
    let (_, list) = server.get("/v1/executions?limit=500");
    let mut runs: HashMap<&str, usize> = HashMap::new();
    for e in list["executions"].as_array().unwrap() {
        *runs.entry(e["workflow_id"].as_str().unwrap()).or_default() += 1;
    }
    assert!(
        runs.values().all(|&n| n == 1),
        "one run per workflow id: {runs:?}"
    );
}

#[test]
fn a_cluster_under_kills_and_pauses_loses_and_duplicates_nothing() {
    let Some(schema) = Schema::new("chaos") else {
        return;
    };
    let seed: u64 = std::env::var("WEFT_CHAOS_SEED").map_or(7, |s| s.parse().unwrap());
    let faults = std::env::var("WEFT_CHAOS_FAULTS").map_or(6, |s| s.parse().unwrap());
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes: Vec<Node> = ["a", "b", "c"]
        .iter()
        .zip(&dirs)
        .map(|(id, dir)| Node {
            id,
            data: dir.path().to_path_buf(),
            server: None,
            down_for: 0,
        })
        .collect();
    for node in &mut nodes {
        node.start(&schema.url);
    }
    let first = nodes[1].server.as_ref().unwrap();
    deploy(first, &component_bytes("entity"));
    let mut log = vec![format!("seed {seed}")];
    let urls = Urls::default();
    publish(&nodes, &urls);
    let stop = Arc::new(AtomicBool::new(false));
    let driving = {
        let (urls, stop) = (urls.clone(), stop.clone());
        std::thread::spawn(move || driver(seed, urls, stop))
    };
    for fault in 0..faults {
        std::thread::sleep(Duration::from_millis(800));
        chaos_step(&mut rng, &mut nodes, fault, &schema.url, &mut log);
        publish(&nodes, &urls);
        revive(&mut nodes, &schema.url);
        publish(&nodes, &urls);
    }
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::SeqCst);
    let accounts = driving.join().expect("the driver ran to the end");
    check(&nodes, &accounts, &log);
    let count = |f: fn(&Account) -> i64| accounts.values().map(f).sum::<i64>();
    eprintln!(
        "chaos: {log:?}; {} accounts ({} started), {} deposits, {} calls sent again",
        accounts.len(),
        count(|a| a.started as i64),
        count(|a| a.acked),
        count(|a| a.retried),
    );
}

/// Deploy through `server`, retrying while the cluster is taking over.
fn deploy(server: &Server, bytes: &[u8]) {
    until_seen("the module to deploy", || {
        match server.post_bytes("/v1/modules?name=entity", bytes) {
            (201, _) => Ok(()),
            other => Err(other),
        }
    });
}

//! Shared helpers for the end-to-end tests: real components built from the repo's
//! crates, real hosts on real redb files in temporary folders.
#![allow(dead_code)]

pub mod features;
pub mod logs;
pub mod server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::runtime::{Host, HostConfig, StartRequest};
use weft_host::ActivityRegistry;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The component built from `guest-examples/<name>` or `tests/fixtures/<name>`.
pub fn component(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap();
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let root = repo_root();
    let dir = [
        root.join("guest-examples").join(name),
        root.join("tests/fixtures").join(name),
    ]
    .into_iter()
    .find(|d| d.join("Cargo.toml").exists())
    .unwrap_or_else(|| panic!("no crate named {name}"));
    let path = weft_toolchain::build_crate(&dir, &Default::default())
        .unwrap_or_else(|e| panic!("building {name}: {e}"));
    built.insert(name.to_string(), path.clone());
    path
}

pub fn component_bytes(name: &str) -> Vec<u8> {
    std::fs::read(component(name)).unwrap()
}

/// A test environment builder whose compiled components are shared by every test (in
/// `target/test-compiled`): each component compiles once, not once per environment.
pub fn test_env() -> weft_host::testing::TestEnvBuilder {
    weft_host::testing::TestEnv::builder().compiled_cache(compiled_cache())
}

/// Where tests keep compiled components (named by digest and engine, so never stale).
pub fn compiled_cache() -> PathBuf {
    repo_root().join("target/test-compiled")
}

/// The `weft` binary, quiet unless a test asks for logs.
pub fn weft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weft"));
    cmd.env("WEFT_LOG", "warn");
    cmd
}

/// `weft history export --data <data> <id> -o <file>`, which must succeed.
pub fn export_history(data: &Path, id: &str, file: &Path) {
    let out = weft()
        .args(["history", "export", "--data"])
        .arg(data)
        .args([id, "-o"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn activities() -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    example_activities::register(&mut registry);
    registry
}

/// A host on a data folder with the example activities.
pub async fn host(dir: &Path) -> Host {
    Host::open(HostConfig::on_disk(dir), activities())
        .await
        .unwrap()
}

/// Start `workflow_type` with `input` and wait for its outcome.
pub async fn execute(
    host: &Host,
    workflow_type: &str,
    input: serde_json::Value,
) -> (String, Outcome) {
    let handle = host
        .start(StartRequest::new(workflow_type, Payload::json(&input)))
        .await
        .unwrap();
    let outcome = host.wait(&handle.run_id).await.unwrap();
    (handle.run_id, outcome)
}

pub fn completed(outcome: &Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Completed(p) => p.to_json(),
        other => panic!("expected completion, got {other:?}"),
    }
}

/// Every end-to-end test replays what it recorded: the component must reproduce it.
pub fn assert_replays(host: &Host, component_name: &str, events: &[Event]) {
    let module = host
        .engine()
        .load(&component_bytes(component_name))
        .unwrap();
    let stats = weft_host::replay::replay(host.engine(), &module, events)
        .unwrap_or_else(|e| panic!("replay of a recorded {component_name} history failed:\n{e}"));
    assert_eq!(stats.events, events.len());
    assert!(stats.tasks >= 1);
}

/// Wait (bounded, polling) until the run's last task attempt failed; its failure.
pub async fn failing_task(host: &Host, run_id: &str) -> weft_host::history::FailingTask {
    for _ in 0..2400 {
        let history = weft_host::history::History::new(host.history(run_id).unwrap());
        if let Some(failing) = history.failing_task() {
            return failing;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no task of {run_id} failed");
}

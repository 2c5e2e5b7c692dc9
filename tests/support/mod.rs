//! Shared helpers for the end-to-end tests: real components built from the repo's
//! crates, real hosts on real redb files in temporary folders.
#![allow(dead_code)]

pub mod browser;
pub mod features;
pub mod in_process;
pub mod logs;
pub mod marionette;
pub mod pages;
pub mod poll;
pub mod postgres;
pub mod server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

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
///
/// `scripts/test.sh` builds every one before the tests run, into the folder it names in
/// `WEFT_TEST_COMPONENTS`; the tests only load them. Without that variable (a developer
/// running `cargo test -p weft --test e2e <module>::`) each component is built on first
/// use, so an edited crate is never served stale.
pub fn component(name: &str) -> PathBuf {
    match std::env::var_os(COMPONENTS_VAR) {
        Some(dir) => prebuilt(Path::new(&dir), name),
        None => built_on_first_use(name),
    }
}

/// The folder of components built before the tests (see [`component`]).
pub const COMPONENTS_VAR: &str = "WEFT_TEST_COMPONENTS";

fn prebuilt(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "no component {name} in {} ({COMPONENTS_VAR}): scripts/test.sh builds every crate of \
         guest-examples/ and tests/fixtures/ there before the tests",
        dir.display()
    );
    path
}

/// Builds `name` once per test binary. Each component has its own cell, so tests that
/// need different components do not wait on each other's builds here (cargo's lock on
/// the shared guest target folder orders the builds themselves).
fn built_on_first_use(name: &str) -> PathBuf {
    once_per_name("build", name, || {
        let root = repo_root();
        let dir = [
            root.join("guest-examples").join(name),
            root.join("tests/fixtures").join(name),
        ]
        .into_iter()
        .find(|d| d.join("Cargo.toml").exists())
        .unwrap_or_else(|| panic!("no crate named {name}"));
        weft_toolchain::build_crate(&dir, &Default::default())
            .unwrap_or_else(|e| panic!("building {name}: {e}"))
    })
}

/// `make()`'s value for `name`, made once per test binary and `purpose`; callers for
/// one name wait for the first, callers for other names do not.
fn once_per_name<T: Clone + Send + Sync + 'static>(
    purpose: &'static str,
    name: &str,
    make: impl FnOnce() -> T,
) -> T {
    type Cells = HashMap<(&'static str, String), Arc<dyn std::any::Any + Send + Sync>>;
    static CELLS: OnceLock<Mutex<Cells>> = OnceLock::new();
    let cell = CELLS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry((purpose, name.to_string()))
        .or_insert_with(|| Arc::new(OnceLock::<T>::new()))
        .clone();
    let cell = cell
        .downcast_ref::<OnceLock<T>>()
        .expect("one type per purpose");
    cell.get_or_init(make).clone()
}

/// The bytes of [`component`]`(name)`, compiled into the shared cache of compiled
/// components first (once per test binary): the hosts and engines of the tests then
/// load the compiled code instead of each compiling the component again, all at once.
pub fn component_bytes(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(component(name)).unwrap();
    once_per_name("compile", name, || {
        engine()
            .load(&bytes)
            .unwrap_or_else(|e| panic!("compiling {name}: {e}"));
    });
    bytes
}

/// A test environment builder whose compiled components are shared by every test (in
/// `target/test-compiled`): each component compiles once, not once per environment.
pub fn test_env() -> weft_host::testing::TestEnvBuilder {
    weft_host::testing::TestEnv::builder().compiled_cache(compiled_cache())
}

/// The engine tests load components on outside a host: one per test binary, keeping
/// what it compiles in the tests' shared cache (see [`compiled_cache`]). One, because
/// each engine reserves terabytes of address space for its instance pool, and tests
/// running in parallel with an engine each ran out of it.
pub fn engine() -> Arc<weft_host::engine::Engine> {
    static ENGINE: OnceLock<Arc<weft_host::engine::Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            weft_host::engine::Engine::new(weft_host::engine::EngineConfig {
                cache_dir: Some(compiled_cache()),
                ..Default::default()
            })
            .unwrap()
        })
        .clone()
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

/// A host on a data folder with the example activities (its compiled components in
/// the tests' shared cache).
pub async fn host(dir: &Path) -> Host {
    let mut config = HostConfig::on_disk(dir);
    config.engine.cache_dir = Some(compiled_cache());
    Host::open(config, activities()).await.unwrap()
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
    let outcome = poll::within(
        &format!("{workflow_type} run {} to close", handle.run_id),
        host.wait(&handle.run_id),
    )
    .await
    .unwrap();
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
    poll::until_async(&format!("a failed task of {run_id}"), move || async move {
        weft_host::history::History::new(host.history(run_id).unwrap()).failing_task()
    })
    .await
}

/// When a run's first workflow task started (its `task-started` time), if it did.
pub fn first_task_ms(events: &[Event]) -> Option<u64> {
    events.iter().find_map(|e| match e {
        Event::TaskStarted { time_ms } => Some(*time_ms),
        _ => None,
    })
}

/// Wait for run `run_id`'s first workflow task; when it started.
pub async fn first_task(host: &Host, run_id: &str) -> u64 {
    poll::until_async("the first task", || async {
        first_task_ms(&host.history(run_id).unwrap())
    })
    .await
}

/// Why run `id` waits to start (`describe`'s `pending`), while it is pending.
pub async fn pending(host: &Host, id: &str) -> Option<String> {
    host.describe(id).await.unwrap().pending
}

/// The row of `weft list`'s output `list` for workflow id `id`.
pub fn list_row<'a>(list: &'a str, id: &str) -> &'a str {
    list.lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("no row {id} in\n{list}"))
}

/// Finish run `run` of `signal_basic` (the `messages` fixture) of workflow id `id`:
/// signal `my_signal` with its id, wait for it to complete with it, and replay its
/// history.
pub async fn finish_signal_basic(host: &Host, id: &str, run: &weft_host::runtime::RunHandle) {
    let input = Payload::json(&serde_json::json!(id));
    host.signal(id, "my_signal", input).await.unwrap();
    let outcome = host.wait(&run.run_id).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Completed(p) if p.to_json() == serde_json::json!(id)),
        "{id}: {outcome:?}"
    );
    assert_replays(host, "messages", &host.history(&run.run_id).unwrap());
}

//! `weft-sim`: deterministic simulation of the weft host.
//!
//! The real host (the runtime, the engine running real workflow components, redb) runs
//! on one thread with a virtual clock the simulator moves, on a simulated disk
//! ([`disk::SimDisk`]) that knows what was synced, driven by a simulated client that
//! loses requests and replies ([`client`]). Each seed expands into a workload of
//! random programs for one interpreter workflow ([`options`], `tests/fixtures/sim-workload`)
//! and a schedule of faults: crashes at quiescent instants or inside any disk operation
//! or at a named point of the host, power cuts that drop or tear unsynced writes, failed
//! fsyncs, a full disk. After every restart and at the end the invariants of
//! [`checks`] are checked against the outside world's [`ledger`]; the same seed gives
//! the same [`trace`]. See docs/design.md, "Deterministic simulation".

pub mod activities;
pub mod checks;
pub mod client;
pub mod disk;
pub mod ledger;
pub mod options;
pub mod seed;
pub mod trace;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use weft_runtime::engine::{Engine, EngineConfig};
use weft_runtime::runtime::canary::{self, Canary};

/// What every seed of a process shares: one engine, the workload compiled once.
pub struct Shared {
    pub engine: Arc<Engine>,
    pub component: Vec<u8>,
}

/// The root of the workspace.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Shared {
    /// Build the workload component and compile it. It is read from
    /// `WEFT_SIM_COMPONENT` when set, else from the components scripts/test.sh built
    /// (`WEFT_TEST_COMPONENTS`), else built here (cached by the toolchain).
    pub fn new() -> anyhow::Result<Shared> {
        let prebuilt = std::env::var_os("WEFT_TEST_COMPONENTS")
            .map(|dir| PathBuf::from(dir).join("sim-workload.wasm"))
            .filter(|path| path.is_file());
        let path = match (std::env::var_os("WEFT_SIM_COMPONENT"), prebuilt) {
            (Some(path), _) => PathBuf::from(path),
            (None, Some(path)) => path,
            (None, None) => weft_toolchain::build_crate(
                &repo_root().join("tests/fixtures/sim-workload"),
                &Default::default(),
            )?,
        };
        let component = std::fs::read(&path)?;
        let engine = Engine::new(EngineConfig {
            cache_dir: Some(repo_root().join("target/sim-compiled")),
            max_instances: 64,
            ..EngineConfig::default()
        })?;
        engine.load(&component)?;
        Ok(Shared { engine, component })
    }
}

/// What the simulator counts in the traces of a range, by a substring of their lines:
/// each fault class and answer kind should be hit (a coverage probe).
pub const PROBES: [(&str, &str); 9] = [
    ("kill", "crash (kill)"),
    ("power cut", "crash (power cut)"),
    ("died in a disk op", "died at disk operation"),
    ("crash at a point", "crash at point"),
    ("fail-stop", "fail-stop:"),
    ("host opened", ": open at"),
    ("request lost", "request lost"),
    ("answer unknown", ": Unknown"),
    ("refused", ": Refused"),
];

/// How many lines of `trace` each probe matched.
pub fn probe_counts(trace: &[String]) -> [u64; PROBES.len()] {
    let mut counts = [0; PROBES.len()];
    for line in trace {
        for (i, (_, needle)) in PROBES.iter().enumerate() {
            counts[i] += u64::from(line.contains(needle));
        }
    }
    counts
}

/// How one seed went.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub seed: u64,
    pub violations: Vec<String>,
    pub trace: Vec<String>,
    pub hash: u64,
    pub generations: u32,
    pub options: String,
    pub millis: u128,
}

/// Run seed `seed` (with `canary` switched on) on a thread of its own, so that nothing
/// of one seed's thread-locals reaches another.
pub fn run_seed(shared: &Shared, seed: u64, canary: Option<Canary>) -> Verdict {
    let began = Instant::now();
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            canary::set(canary);
            let mut run = seed::Seed::new(shared, seed);
            run.run();
            Verdict {
                seed,
                violations: std::mem::take(&mut run.violations),
                hash: run.trace.hash(),
                trace: run.trace.lines(),
                generations: run.generations,
                options: format!("{:#?}", run.options),
                millis: 0,
            }
        });
        let mut verdict = run.join().unwrap_or_else(|panic| Verdict {
            seed,
            violations: vec![format!("panic: {}", panic_text(&*panic))],
            trace: Vec::new(),
            hash: 0,
            generations: 0,
            options: String::new(),
            millis: 0,
        });
        verdict.millis = began.elapsed().as_millis();
        verdict
    })
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// The regression file: seeds that once failed, run before any range.
pub fn regressions_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions.txt")
}

/// The seeds of a regression file (`seed  # note` lines; `#` starts a comment).
pub fn regression_seeds(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split('#').next()?.trim().parse().ok())
        .collect()
}

/// Add a failing seed to the regression file, with its first violation as a note.
pub fn add_regression(path: &Path, verdict: &Verdict) -> std::io::Result<()> {
    use std::io::Write;
    if regression_seeds(path).contains(&verdict.seed) {
        return Ok(());
    }
    let note = verdict.violations.first().map_or("", String::as_str);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{}  # {}", verdict.seed, note.replace('\n', " "))
}

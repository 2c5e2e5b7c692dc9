//! `weft bench`: latency, throughput, replay speed and memory on durable storage.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use weft_host::activities::ActivityRegistry;
use weft_host::cli::{CliResult, CodecKeysArg, Failure};
use weft_host::contract::Payload;
use weft_host::history::{Event, Outcome};
use weft_host::replay::replay;
use weft_host::runtime::{Host, HostConfig, StartRequest};

/// Measure weft on this machine and print one JSON line per scenario.
///
/// seq3: three sequential activities (the `sequence` example); seq3-local: the same
/// with local activities (the `local-activity` example), recorded in one commit with
/// the task after them; fanout10: ten parallel ones (the `fanout` example); signals: durable signals per second, query and update
/// latency (the `entity` example); open-runs (only when asked for): many runs waiting
/// on a day-long timer (the `timer` example), their start rate, peak RSS and how soon a
/// restarted host answers; contention (only when asked for): two tenants and a few
/// urgent runs on a host that runs two activities at once, with fairness keys and
/// without (see `bench_contention`). Each scenario runs on a fresh data folder with durable
/// commits: latency (one at a time, 20 warm-up, 200 samples), throughput (many in
/// flight), replay of recorded histories, and the process's peak RSS.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft bench --scenario seq3\n  weft bench --scenario seq3 --codec-keys keys.json   # with payloads encrypted\n  weft bench --scenario open-runs --executions 100000\n  weft bench --scenario contention\n  weft bench --scenario seq3 --database postgres://weft@%2Fvar%2Frun%2Fpostgresql/weft\n  weft bench --scenario seq3 --servers http://10.0.0.1:7233,http://10.0.0.2:7233,http://10.0.0.3:7233"
)]
pub struct BenchArgs {
    /// Which scenario to run: seq3, seq3-local, fanout10, signals, open-runs,
    /// contention, or all (every one but open-runs and contention).
    #[arg(long, default_value = "all")]
    scenario: String,
    /// The `sequence` component (default: build guest-examples/sequence).
    #[arg(long)]
    sequence: Option<PathBuf>,
    /// The `local-activity` component (default: build guest-examples/local-activity).
    #[arg(long)]
    local_activity: Option<PathBuf>,
    /// The `fanout` component (default: build guest-examples/fanout).
    #[arg(long)]
    fanout: Option<PathBuf>,
    /// The `entity` component (default: build guest-examples/entity).
    #[arg(long)]
    entity: Option<PathBuf>,
    /// The `timer` component (default: build guest-examples/timer).
    #[arg(long)]
    timer: Option<PathBuf>,
    /// Executions in the throughput phase (default 2000 for seq3 and seq3-local, 1000
    /// for fanout10; for signals, the number of signals: default 10000; for open-runs,
    /// the runs left open: default 100000).
    #[arg(long)]
    executions: Option<usize>,
    /// Executions in flight during the throughput phase.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// open-runs: most workflow instances kept between tasks (the host's default
    /// unless given).
    #[arg(long, value_name = "N")]
    cache_size: Option<usize>,
    /// open-runs: most live actors before waiting runs rest (the host's default unless
    /// given).
    #[arg(long, value_name = "N")]
    actor_cache_size: Option<usize>,
    /// open-runs: most megabytes of database pages kept in memory (the host's default
    /// unless given).
    #[arg(long, value_name = "MB")]
    storage_cache_mb: Option<usize>,
    /// Activities in the long history replayed by fanout10.
    #[arg(long, default_value_t = 5000)]
    replay_fanout: u64,
    /// Folder for the scenarios' data folders (default: a temporary folder).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Keep each scenario's state in a schema of its own (`weft_bench_<scenario>`,
    /// dropped and made again) of this PostgreSQL database instead of a redb file: a
    /// cluster of one. Not for open-runs.
    #[arg(
        long,
        value_name = "URL",
        env = "WEFT_BENCH_DATABASE",
        hide_env_values = true
    )]
    database: Option<String>,
    /// Drive seq3 or fanout10 through these running servers' API instead of a host in
    /// this process (comma-separated URLs; each call goes to one at random, as a client
    /// of a cluster's hosts would): latency and throughput as a client sees them.
    #[arg(
        long,
        value_name = "URL,…",
        value_delimiter = ',',
        conflicts_with = "database"
    )]
    servers: Vec<String>,
    /// Store payloads encoded with this key file's codec (measures its cost).
    #[command(flatten)]
    codec: CodecKeysArg,
}

struct Scenario {
    name: &'static str,
    workflow_type: &'static str,
    input: serde_json::Value,
    executions: usize,
}

pub async fn bench(args: BenchArgs, activities: ActivityRegistry) -> CliResult {
    let scenarios = match args.scenario.as_str() {
        "seq3" => vec!["seq3"],
        "seq3-local" => vec!["seq3-local"],
        "fanout10" => vec!["fanout10"],
        "signals" => vec!["signals"],
        "open-runs" => vec!["open-runs"],
        "contention" => vec!["contention"],
        "all" => vec!["seq3", "seq3-local", "fanout10", "signals"],
        other => {
            return Err(Failure::new(
                weft_host::cli::exit::USAGE,
                format!(
                    "unknown scenario `{other}` (seq3, seq3-local, fanout10, signals, \
                     open-runs, contention, all)"
                ),
            ))
        }
    };
    let tmp = tempfile::tempdir()?;
    let root = args
        .data
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let remote_ok = ["seq3", "seq3-local", "fanout10"];
    if !args.servers.is_empty() {
        if let Some(other) = scenarios.iter().find(|n| !remote_ok.contains(n)) {
            return Err(Failure::new(
                weft_host::cli::exit::USAGE,
                format!("--servers drives seq3, seq3-local or fanout10, not `{other}`: pick one with --scenario"),
            ));
        }
    }
    for name in scenarios {
        if name == "open-runs" {
            if args.database.is_some() {
                return Err(Failure::new(
                    weft_host::cli::exit::USAGE,
                    "open-runs measures a host on its own redb file; it does not take --database",
                ));
            }
            let component = component(&args.timer, "guest-examples/timer")?;
            let mut config = HostConfig::on_disk(root.join(name));
            config.cache_size = args.cache_size.unwrap_or(config.cache_size);
            config.actor_cache_size = args.actor_cache_size.unwrap_or(config.actor_cache_size);
            if let Some(mb) = args.storage_cache_mb {
                config.storage_cache_bytes = mb << 20;
            }
            let line = crate::bench_open_runs::run(
                &component,
                config,
                args.executions.unwrap_or(100_000),
                args.concurrency,
                activities.clone(),
            )
            .await?;
            println!("{line}");
            continue;
        }
        if name == "contention" {
            let component = component(&args.sequence, "guest-examples/sequence")?;
            let line = crate::bench_contention::run(&component, &root.join(name)).await?;
            println!("{line}");
            continue;
        }
        if name == "signals" {
            let component = component(&args.entity, "guest-examples/entity")?;
            let line = crate::bench_signals::run(
                &component,
                &root.join(name),
                args.database.as_deref(),
                args.executions.unwrap_or(10_000),
                args.concurrency,
                activities.clone(),
            )
            .await?;
            println!("{line}");
            continue;
        }
        let (scenario, component) = match name {
            "seq3" => (
                Scenario {
                    name,
                    workflow_type: "sequence",
                    input: json!("bench"),
                    executions: args.executions.unwrap_or(2000),
                },
                component(&args.sequence, "guest-examples/sequence")?,
            ),
            "seq3-local" => (
                Scenario {
                    name,
                    workflow_type: "sequence-local",
                    input: json!("bench"),
                    executions: args.executions.unwrap_or(2000),
                },
                component(&args.local_activity, "guest-examples/local-activity")?,
            ),
            _ => (
                Scenario {
                    name,
                    workflow_type: "fanout",
                    input: json!({"n": 10}),
                    executions: args.executions.unwrap_or(1000),
                },
                component(&args.fanout, "guest-examples/fanout")?,
            ),
        };
        if !args.servers.is_empty() {
            let remote = crate::bench_remote::Remote {
                name: scenario.name,
                workflow_type: scenario.workflow_type,
                input: scenario.input.clone(),
                component: &component,
                executions: scenario.executions,
                concurrency: args.concurrency,
            };
            let servers = args.servers.clone();
            let line = tokio::task::block_in_place(|| crate::bench_remote::run(&servers, &remote))?;
            println!("{line}");
            continue;
        }
        let line = run_scenario(
            &scenario,
            &component,
            &root.join(name),
            &args,
            activities.clone(),
        )
        .await?;
        println!("{line}");
    }
    Ok(())
}

fn component(given: &Option<PathBuf>, crate_dir: &str) -> Result<Vec<u8>, Failure> {
    let path = match given {
        Some(p) => p.clone(),
        None => build_quiet(crate_dir)?,
    };
    Ok(std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
}

async fn run_scenario(
    s: &Scenario,
    component: &[u8],
    dir: &std::path::Path,
    args: &BenchArgs,
    activities: ActivityRegistry,
) -> Result<serde_json::Value, Failure> {
    let (concurrency, replay_fanout) = (args.concurrency, args.replay_fanout);
    let database = args.database.as_deref();
    let config = HostConfig {
        codec: args.codec.codec()?,
        ..HostConfig::on_disk(dir)
    };
    let host = crate::bench_store::open_host(config, database, s.name, activities).await?;
    let deployed = host
        .deploy(component.to_vec(), s.workflow_type, false)
        .await?;
    let request =
        |input: &serde_json::Value| StartRequest::new(s.workflow_type, Payload::json(input));
    eprintln!("{}: latency (20 warm-up + 200 samples)", s.name);
    let mut samples = Vec::with_capacity(200);
    for i in 0..220 {
        let t = Instant::now();
        execute(&host, request(&s.input)).await?;
        if i >= 20 {
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];

    eprintln!(
        "{}: throughput ({} executions, {concurrency} in flight)",
        s.name, s.executions
    );
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(s.executions);
    for _ in 0..s.executions {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        let host = host.clone();
        let req = request(&s.input);
        tasks.push(tokio::spawn(async move {
            let r = execute(&host, req).await;
            drop(permit);
            r
        }));
    }
    let mut run_ids = Vec::with_capacity(tasks.len());
    for task in tasks {
        run_ids.push(task.await.map_err(|e| e.to_string())??);
    }
    let elapsed = t.elapsed().as_secs_f64();
    let histories: Vec<Vec<Event>> = run_ids
        .iter()
        .map(|id| host.history(id))
        .collect::<Result<_, _>>()?;
    let steps: usize = histories
        .iter()
        .map(|h| {
            h.iter()
                .filter(|e| matches!(e, Event::TaskStarted { .. }))
                .count()
        })
        .sum();

    let module = host.module(&deployed.digest)?;
    let replay_histories = if s.name == "fanout10" {
        eprintln!(
            "{}: recording a fanout of {replay_fanout} activities to replay",
            s.name
        );
        let id = execute(&host, request(&json!({ "n": replay_fanout }))).await?;
        vec![host.history(&id)?]
    } else {
        histories
    };
    let events: usize = replay_histories.iter().map(Vec::len).sum();
    eprintln!(
        "{}: replaying {} histories, {events} events",
        s.name,
        replay_histories.len()
    );
    let t = Instant::now();
    for h in &replay_histories {
        replay(host.engine(), &module, h).map_err(|e| e.to_string())?;
    }
    let replay_s = t.elapsed().as_secs_f64();
    Ok(json!({
        "scenario": s.name,
        "wf_per_s": (s.executions as f64 / elapsed).round(),
        "steps_per_s": (steps as f64 / elapsed).round(),
        "p50_ms": round3(pct(0.50)),
        "p99_ms": round3(pct(0.99)),
        "replay_events_per_s": (events as f64 / replay_s).round(),
        "replay_histories": replay_histories.len(),
        "replay_events": events,
        "peak_rss_mb": peak_rss_mb().round(),
    }))
}

async fn execute(host: &Host, request: StartRequest) -> Result<String, Failure> {
    let handle = host.start(request).await?;
    match host.wait(&handle.run_id).await? {
        Outcome::Completed(_) => Ok(handle.run_id),
        other => Err(Failure::from(format!(
            "bench execution did not complete: {other:?}"
        ))),
    }
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The process's peak resident set (VmHWM), in MiB.
pub(super) fn peak_rss_mb() -> f64 {
    peak_rss_mb_of("/proc/self/status")
}

/// The peak resident set (VmHWM) a `/proc/<pid>/status` file shows, in MB.
pub(super) fn peak_rss_mb_of(status: &str) -> f64 {
    std::fs::read_to_string(status)
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Build an example crate of the repo; returns the component path.
fn build_quiet(crate_dir: &str) -> Result<PathBuf, Failure> {
    Ok(weft_toolchain::build_crate(
        std::path::Path::new(crate_dir),
        &Default::default(),
    )?)
}

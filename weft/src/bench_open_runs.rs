//! `weft bench --scenario open-runs`: many open runs that only wait (the `timer`
//! example sleeping a day). It measures how fast they start and the process's peak
//! resident set while they are open; then, in a `weft server` process of its own (as
//! after a crash), how soon the restarted host answers its first start, its peak
//! resident set, and that timers still fire on time among the open runs.

use std::time::Instant;

use serde_json::json;

use crate::bench::{peak_rss_mb, round3};
use weft_host::activities::ActivityRegistry;
use weft_host::cli::Failure;
use weft_host::contract::Payload;
use weft_host::runtime::{Host, HostConfig, RunHandle, StartError, StartRequest};

/// The waiting runs sleep this long: they never fire during the scenario.
const DAY_SECONDS: u64 = 86_400;
/// Short timers started after the restart, to check timers fire on time.
const SHORT_TIMERS: usize = 10;

pub(super) async fn run(
    component: &[u8],
    config: HostConfig,
    runs: usize,
    concurrency: usize,
    activities: ActivityRegistry,
) -> Result<serde_json::Value, Failure> {
    let dir = config.data_dir.clone().expect("the bench runs on disk");
    let _ = std::fs::remove_dir_all(&dir);
    let host = Host::open(config.clone(), activities.clone()).await?;
    host.deploy(component.to_vec(), "timer", false).await?;

    eprintln!("open-runs: starting {runs} runs that sleep a day, {concurrency} in flight");
    let t = Instant::now();
    // At most `concurrency` starts in flight, each awaited as soon as it is answered:
    // a finished task kept until the end would hold its whole task cell.
    let mut in_flight = tokio::task::JoinSet::new();
    for i in 0..runs {
        if in_flight.len() >= concurrency {
            started(in_flight.join_next().await)?;
        }
        let host = host.clone();
        in_flight
            .spawn(async move { host.start(sleeper(&format!("open-{i}"), DAY_SECONDS)).await });
        if (i + 1) % 10_000 == 0 {
            eprintln!("open-runs: {} started", i + 1);
        }
    }
    while let Some(joined) = in_flight.join_next().await {
        started(Some(joined))?;
    }
    let starts_per_s = runs as f64 / t.elapsed().as_secs_f64();
    let fill_rss_mb = peak_rss_mb();
    drop(host);
    wait_for_release(&config).await?;

    eprintln!("open-runs: a `weft server` of its own opens the data folder again");
    let restart = tokio::task::spawn_blocking(move || restart_in_server(&config))
        .await
        .map_err(|e| Failure::from(e.to_string()))??;
    Ok(json!({
        "scenario": "open-runs",
        "open_runs": restart.open_runs,
        "starts_per_s": starts_per_s.round(),
        "peak_rss_mb": fill_rss_mb.max(restart.peak_rss_mb).round(),
        "fill_peak_rss_mb": fill_rss_mb.round(),
        "restart_peak_rss_mb": restart.peak_rss_mb.round(),
        "restart_listening_s": round3(restart.listening_s),
        "restart_first_start_s": round3(restart.first_start_s),
        "timer_late_ms_max": restart.late_ms,
    }))
}

/// What the restarted server showed.
struct Restart {
    open_runs: u64,
    /// From spawning the server to its listening line.
    listening_s: f64,
    /// From spawning the server to its answer to the first start.
    first_start_s: f64,
    peak_rss_mb: f64,
    late_ms: u64,
}

/// Wait until the dropped host has let go of the data folder (its workflow threads
/// stop in the background).
async fn wait_for_release(config: &HostConfig) -> Result<(), Failure> {
    let dir = config.data_dir.clone().expect("the bench runs on disk");
    for _ in 0..600 {
        match weft_host::storage::RedbStorage::open(&dir.join("weft.redb")) {
            Ok(_) => return Ok(()),
            Err(e) if e.to_string().contains("already open") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(e) => return Err(e.to_string().into()),
        }
    }
    Err(Failure::from(
        "the first host never let go of the data folder".to_string(),
    ))
}

/// Restart in a process of its own, as after a crash: `weft server` on the data folder
/// (with the bench's cache sizes), timed to its first answered start; then ten
/// one-second timers among the open runs, and the server's peak resident set.
fn restart_in_server(config: &HostConfig) -> Result<Restart, Failure> {
    let dir = config.data_dir.as_ref().expect("the bench runs on disk");
    let t = Instant::now();
    let mut server = Server::spawn(dir, config)?;
    let listening_s = t.elapsed().as_secs_f64();
    let client = weft_host::client::Client::new(server.url.clone());
    client
        .start(sleeper_body("first-after-restart", DAY_SECONDS))
        .map_err(|e| e.to_string())?;
    let first_start_s = t.elapsed().as_secs_f64();
    let open_runs = open_runs(&client.metrics().map_err(|e| e.to_string())?);

    eprintln!("open-runs: {SHORT_TIMERS} one-second timers among {open_runs} open runs");
    let mut late_ms: u64 = 0;
    for i in 0..SHORT_TIMERS {
        let id = format!("short-{i}");
        client
            .start(sleeper_body(&id, 1))
            .map_err(|e| e.to_string())?;
    }
    for i in 0..SHORT_TIMERS {
        let result = client
            .result(&format!("short-{i}"), true)
            .map_err(|e| e.to_string())?;
        let slept = result
            .result
            .as_ref()
            .and_then(|r| r["slept_ms"].as_u64())
            .ok_or_else(|| format!("a short timer run did not complete: {result:?}"))?;
        late_ms = late_ms.max(slept.saturating_sub(1000));
    }
    let peak_rss_mb = server.peak_rss_mb();
    server.stop();
    Ok(Restart {
        open_runs,
        listening_s,
        first_start_s,
        peak_rss_mb,
        late_ms,
    })
}

/// The `weft_open_runs` gauge of a metrics page.
fn open_runs(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("weft_open_runs "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// A `weft server` child process, killed when dropped.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Server {
    fn spawn(dir: &std::path::Path, config: &HostConfig) -> Result<Server, Failure> {
        use std::io::BufRead;
        let exe = std::env::current_exe()?;
        let mut child = std::process::Command::new(exe)
            .arg("server")
            .arg("--data")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(["--cache-size", &config.cache_size.to_string()])
            .args(["--actor-cache-size", &config.actor_cache_size.to_string()])
            .args([
                "--storage-cache-mb",
                &(config.storage_cache_bytes >> 20).max(1).to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let mut server = Server {
            child,
            url: String::new(),
        };
        for line in std::io::BufReader::new(stdout).lines() {
            if let Some(url) = line?.strip_prefix("listening on ") {
                server.url = url.to_string();
                return Ok(server);
            }
        }
        Err(Failure::from(
            "the restarted server exited before it listened".to_string(),
        ))
    }

    /// The server's peak resident set (VmHWM), in MB.
    fn peak_rss_mb(&self) -> f64 {
        crate::bench::peak_rss_mb_of(&format!("/proc/{}/status", self.child.id()))
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A start's answer, as a failure of the bench if it failed.
fn started(
    joined: Option<Result<Result<RunHandle, StartError>, tokio::task::JoinError>>,
) -> Result<(), Failure> {
    match joined {
        Some(Ok(Ok(_))) | None => Ok(()),
        Some(Ok(Err(e))) => Err(e.into()),
        Some(Err(e)) => Err(e.to_string().into()),
    }
}

fn sleeper(id: &str, seconds: u64) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new("timer", Payload::json(&json!({ "seconds": seconds })))
    }
}

fn sleeper_body(id: &str, seconds: u64) -> weft_host::api::types::StartBody {
    weft_host::api::types::StartBody {
        workflow_type: "timer".into(),
        input: json!({ "seconds": seconds }),
        id: Some(id.to_string()),
        ..Default::default()
    }
}

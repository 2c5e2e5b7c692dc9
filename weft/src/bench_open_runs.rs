//! `weft bench --scenario open-runs`: many open runs that only wait (the `timer`
//! example sleeping a day). It measures how fast they start, the process's peak
//! resident set while they are open, how soon a host opened again on their data
//! folder answers its first start, and that timers still fire on time meanwhile.

use std::time::Instant;

use serde_json::json;

use crate::bench::{peak_rss_mb, round3};
use weft_host::activities::ActivityRegistry;
use weft_host::cli::Failure;
use weft_host::contract::Payload;
use weft_host::history::Outcome;
use weft_host::runtime::{Host, HostConfig, OpenError, RunHandle, StartError, StartRequest};

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
    // Linux resets the peak resident set (VmHWM) on this write: the restart's own peak
    // is measured apart from the fill's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");

    eprintln!("open-runs: opening the data folder again");
    let (host, t) = reopen(config, activities).await?;
    let open_s = t.elapsed().as_secs_f64();
    host.start(sleeper("first-after-restart", DAY_SECONDS))
        .await?;
    let first_start_s = t.elapsed().as_secs_f64();
    let open_runs = host.open_runs();

    eprintln!("open-runs: {SHORT_TIMERS} one-second timers among {open_runs} open runs");
    let mut late_ms: u64 = 0;
    let mut short = Vec::new();
    for i in 0..SHORT_TIMERS {
        short.push(host.start(sleeper(&format!("short-{i}"), 1)).await?);
    }
    for run in short {
        match host.wait(&run.run_id).await? {
            Outcome::Completed(result) => {
                let slept = result.to_json()["slept_ms"].as_u64().unwrap_or(0);
                late_ms = late_ms.max(slept.saturating_sub(1000));
            }
            other => return Err(format!("a short timer run did not complete: {other:?}").into()),
        }
    }
    let restart_rss_mb = peak_rss_mb();
    Ok(json!({
        "scenario": "open-runs",
        "open_runs": open_runs,
        "starts_per_s": starts_per_s.round(),
        "peak_rss_mb": fill_rss_mb.max(restart_rss_mb).round(),
        "fill_peak_rss_mb": fill_rss_mb.round(),
        "restart_peak_rss_mb": restart_rss_mb.round(),
        "restart_open_s": round3(open_s),
        "restart_first_start_s": round3(first_start_s),
        "timer_late_ms_max": late_ms,
    }))
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

/// Open the data folder again once the dropped host has let go of it (its workflow
/// threads stop in the background); the instant the successful open began.
async fn reopen(
    config: HostConfig,
    activities: ActivityRegistry,
) -> Result<(Host, Instant), Failure> {
    for _ in 0..600 {
        let t = Instant::now();
        match Host::open(config.clone(), activities.clone()).await {
            Ok(host) => return Ok((host, t)),
            Err(OpenError::Storage(e)) if e.to_string().contains("already open") => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Failure::from(
        "the first host never let go of the data folder".to_string(),
    ))
}

fn sleeper(id: &str, seconds: u64) -> StartRequest {
    StartRequest {
        workflow_id: Some(id.to_string()),
        ..StartRequest::new("timer", Payload::json(&json!({ "seconds": seconds })))
    }
}

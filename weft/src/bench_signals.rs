//! `weft bench --scenario signals`: talking to running executions (the `entity`
//! example): durable signals per second with many executions and many signals in
//! flight, query latency on a cached instance and on an evicted one (rebuilt by replay
//! for every query), and update round trips.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::bench::round3;
use crate::bench_store::open_host;
use weft_host::activities::ActivityRegistry;
use weft_host::cli::Failure;
use weft_host::contract::Payload;
use weft_host::runtime::{Host, HostConfig, StartRequest, UpdateRequest, UpdateStage};

/// Executions that take the signals.
const EXECUTIONS: usize = 100;
/// Latency samples per measure (after 20 warm-up requests).
const SAMPLES: usize = 200;

pub(super) async fn run(
    component: &[u8],
    dir: &Path,
    database: Option<&str>,
    signals: usize,
    concurrency: usize,
    activities: ActivityRegistry,
) -> Result<serde_json::Value, Failure> {
    let cached = HostConfig::on_disk(dir.join("cached"));
    let host = open_host(cached, database, "signals", activities.clone()).await?;
    host.deploy(component.to_vec(), "entity", false).await?;
    let ids = start_accounts(&host, "acct", EXECUTIONS).await?;

    eprintln!("signals: {signals} deposits to {EXECUTIONS} executions, {concurrency} in flight");
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let t = Instant::now();
    let mut tasks = Vec::with_capacity(signals);
    for i in 0..signals {
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        let host = host.clone();
        let id = ids[i % ids.len()].clone();
        tasks.push(tokio::spawn(async move {
            let r = host
                .signal(&id, "deposit", Payload::json(&json!({"amount": 1})))
                .await;
            drop(permit);
            r
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    let signals_per_s = signals as f64 / t.elapsed().as_secs_f64();

    eprintln!("signals: query latency on a cached instance");
    let query = |host: Host, id: String| async move {
        host.query(&id, "balance", Payload::json(&json!(null)))
            .await
            .map(|_| ())
    };
    let cached = latency(|| query(host.clone(), ids[0].clone())).await?;
    eprintln!("signals: update round trips");
    let update = |host: Host, id: String| async move {
        let request = UpdateRequest {
            update_id: None,
            name: "withdraw".into(),
            input: Payload::json(&json!({"amount": 1})),
            wait: UpdateStage::Completed,
        };
        host.update(&id, request).await.map(|_| ())
    };
    let updates = latency(|| update(host.clone(), ids[1].clone())).await?;
    close_accounts(&host, &ids).await?;
    drop(host);

    eprintln!("signals: query latency on an evicted instance (replayed per query)");
    let evicting = HostConfig {
        cache_size: 0,
        ..HostConfig::on_disk(dir.join("evicted"))
    };
    let host = open_host(evicting, database, "signals_evicted", activities).await?;
    host.deploy(component.to_vec(), "entity", false).await?;
    let one = start_accounts(&host, "evicted", 1).await?;
    for _ in 0..20 {
        host.signal(&one[0], "deposit", Payload::json(&json!({"amount": 1})))
            .await
            .map_err(|e| e.to_string())?;
    }
    let evicted = latency(|| query(host.clone(), one[0].clone())).await?;
    close_accounts(&host, &one).await?;

    Ok(json!({
        "scenario": "signals",
        "signals_per_s": signals_per_s.round(),
        "query_cached_p50_ms": round3(cached.0),
        "query_cached_p99_ms": round3(cached.1),
        "query_evicted_p50_ms": round3(evicted.0),
        "query_evicted_p99_ms": round3(evicted.1),
        "update_p50_ms": round3(updates.0),
        "update_p99_ms": round3(updates.1),
        "peak_rss_mb": crate::bench::peak_rss_mb().round(),
    }))
}

async fn start_accounts(host: &Host, prefix: &str, n: usize) -> Result<Vec<String>, Failure> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{prefix}-{i}");
        host.start(StartRequest {
            workflow_id: Some(id.clone()),
            ..StartRequest::new("entity", Payload::json(&json!({"balance": 1_000_000})))
        })
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

async fn close_accounts(host: &Host, ids: &[String]) -> Result<(), Failure> {
    for id in ids {
        let run = host
            .signal(id, "close", Payload::json(&json!(null)))
            .await
            .map_err(|e| e.to_string())?;
        host.wait(&run.run_id).await?;
    }
    Ok(())
}

/// p50 and p99 of `SAMPLES` sequential calls (after 20 warm-up ones), in ms.
async fn latency<F, Fut, E>(mut call: F) -> Result<(f64, f64), Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES + 20 {
        let t = Instant::now();
        call().await.map_err(|e| e.to_string())?;
        if i >= 20 {
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    Ok((pct(0.50), pct(0.99)))
}

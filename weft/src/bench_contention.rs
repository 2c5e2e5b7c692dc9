//! `weft bench --scenario contention`: flow control under contention. A host that runs
//! two activities at once (`--max-concurrent-activities 2`) gets a flood of `sequence`
//! runs (three activities each) from tenant `a`, then a few from tenant `b`, then a few
//! at priority 1, all started while the first activity of every run is held back (so
//! every run is in line when the line starts to move); once with fairness keys on the
//! starts and once without. For each group, from the moment the line moves: when its
//! runs completed (p50, p99, last); and, while `b` had activities to run, which share
//! of the activity attempts were `b`'s (each run's input names its group, and the
//! bench's own `to_upper`, `reverse` and `greet` note whose attempt runs, and work 2 ms
//! each, so the slots are the bottleneck).

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde_json::json;
use tokio::sync::watch;

use crate::bench::round3;
use weft_host::activities::ActivityRegistry;
use weft_host::cli::Failure;
use weft_host::contract::Payload;
use weft_host::flow::{Fairness, Priority};
use weft_host::runtime::{Host, HostConfig, StartRequest};

/// The groups: name (its first letter is its runs' input), runs, fairness key (with
/// keys on), priority.
const GROUPS: [(&str, usize, &str, u8); 3] = [
    ("a", 1000, "a", 3),
    ("b", 100, "b", 3),
    ("urgent", 20, "urgent", 1),
];

/// How long each activity works: long enough that the two slots, not the workflow
/// tasks between activities, are what the runs wait for.
const WORK: std::time::Duration = std::time::Duration::from_millis(2);

/// The activity attempts in the order they ran, by their group's letter.
type Served = Arc<Mutex<Vec<char>>>;

/// Note that an attempt of `text`'s group runs.
fn note(served: &Served, text: &str) {
    let group = text.chars().find(|c| c.is_alphabetic()).unwrap_or('?');
    served.lock().unwrap().push(group.to_ascii_lowercase());
}

/// `sequence`'s activities, noting whose attempt runs; `to_upper`, every run's first,
/// waits until `gate` opens.
fn activities_of(gate: watch::Receiver<bool>, served: &Served) -> ActivityRegistry {
    let mut registry = ActivityRegistry::new();
    let s = served.clone();
    registry.register_fn("to_upper", move |_ctx, text: String| {
        let (mut gate, s) = (gate.clone(), s.clone());
        async move {
            let _ = gate.wait_for(|open| *open).await;
            note(&s, &text);
            tokio::time::sleep(WORK).await;
            Ok::<_, weft_host::ActivityError>(text.to_uppercase())
        }
    });
    let s = served.clone();
    registry.register_fn("reverse", move |_ctx, text: String| {
        note(&s, &text);
        async move {
            tokio::time::sleep(WORK).await;
            Ok::<_, weft_host::ActivityError>(text.chars().rev().collect::<String>())
        }
    });
    let s = served.clone();
    registry.register_fn("greet", move |_ctx, name: String| {
        note(&s, &name);
        async move {
            tokio::time::sleep(WORK).await;
            Ok::<_, weft_host::ActivityError>(format!("Hello, {name}!"))
        }
    });
    registry
}

/// When each run of a group was acknowledged and completed, from the scenario's start.
type Times = Arc<Mutex<Vec<(&'static str, f64, f64)>>>;

pub(super) async fn run(component: &[u8], dir: &Path) -> Result<serde_json::Value, Failure> {
    let mut line = json!({"scenario": "contention", "max_concurrent_activities": 2});
    for (mode, keys) in [("fifo", false), ("fair", true)] {
        eprintln!("contention: {mode}");
        line[mode] = one(component, &dir.join(mode), keys).await?;
    }
    Ok(line)
}

async fn one(component: &[u8], dir: &Path, keys: bool) -> Result<serde_json::Value, Failure> {
    let _ = std::fs::remove_dir_all(dir);
    let config = HostConfig {
        max_concurrent_activities: std::num::NonZeroUsize::new(2),
        ..HostConfig::on_disk(dir)
    };
    let (open, gate) = watch::channel(false);
    let served = Served::default();
    let host = Host::open(config, activities_of(gate, &served)).await?;
    host.deploy(component.to_vec(), "sequence", false).await?;
    let times: Times = Arc::default();
    let mut waits = Vec::new();
    let t0 = Arc::new(OnceLock::new());
    for (group, runs, key, priority) in GROUPS {
        for _ in 0..runs {
            let request = StartRequest {
                priority: Some(Priority::new(priority).map_err(|e| e.to_string())?),
                fairness: keys
                    .then(|| Fairness::new(key, None))
                    .transpose()
                    .map_err(|e| e.to_string())?,
                ..StartRequest::new("sequence", Payload::json(&json!(group[..1])))
            };
            let run = host.start(request).await?;
            let (host, times, t0) = (host.clone(), times.clone(), t0.clone());
            waits.push(tokio::spawn(async move {
                let outcome = host.wait(&run.run_id).await;
                let t0: &Instant = t0.get().expect("the line moved");
                let done = t0.elapsed().as_secs_f64() * 1e3;
                times.lock().unwrap().push((group, 0.0, done));
                outcome
            }));
        }
    }
    let waiting = host.activity_load().waiting;
    eprintln!("contention: {waiting} activities in line, the line moves");
    t0.set(Instant::now()).expect("once");
    let _ = open.send(true);
    for wait in waits {
        wait.await.map_err(|e| e.to_string())??;
    }
    drop(host);
    let times = times.lock().unwrap().clone();
    let served = served.lock().unwrap().clone();
    Ok(summary(&times, &served))
}

/// Each group's completions, and `b`'s share of the attempts that ran until its last.
fn summary(times: &[(&'static str, f64, f64)], served: &[char]) -> serde_json::Value {
    let mut out = json!({});
    for (group, ..) in GROUPS {
        let mut took: Vec<f64> = times
            .iter()
            .filter(|t| t.0 == group)
            .map(|t| t.2 - t.1)
            .collect();
        took.sort_by(f64::total_cmp);
        let pct = |p: f64| took[((took.len() as f64 * p) as usize).min(took.len() - 1)];
        let (first, last) = (took[0], took[took.len() - 1]);
        out[group] = json!({
            "runs": took.len(),
            "p50_ms": round3(pct(0.5)),
            "p99_ms": round3(pct(0.99)),
            "first_done_ms": round3(first),
            "last_done_ms": round3(last),
        });
    }
    // The urgent runs went first; from then until `b`'s last attempt, both had work.
    let from = served.iter().rposition(|g| *g == 'u').map_or(0, |i| i + 1);
    let to = served
        .iter()
        .rposition(|g| *g == 'b')
        .map_or(from, |i| i + 1);
    let window = &served[from..to.max(from)];
    let b = window.iter().filter(|g| **g == 'b').count();
    out["b_attempt_share_while_both_wait"] = json!(round3(b as f64 / window.len().max(1) as f64));
    out
}

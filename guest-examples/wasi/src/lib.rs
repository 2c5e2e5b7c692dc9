//! `wasi`: a workflow built for `wasm32-wasip1` (its `Cargo.toml` says so in
//! `[package.metadata.weft] target`) that uses the standard library and crates.io as
//! ordinary Rust would, and is still deterministic.
//!
//! The host gives a WASI workflow a virtual WASI: `SystemTime::now()` is the recorded time
//! of the current activation (the same as `ctx.now()`), the OS random source behind
//! `getrandom` (and so `rand` and `uuid`) is a stream seeded by the execution's recorded
//! seed, `println!` goes to the host's log (silent while replaying), and there is no
//! filesystem, network or environment. So a replay of the history produces the same
//! uuid, time and dice, and two executions produce different ones.
//!
//! Input: `null`. Result: `{"uuid": <a v4 uuid>, "now_ms": <SystemTime::now() in ms since
//! the Unix epoch>, "workflow_now_ms": <ctx.now() in ms>, "dice": [<five rolls of 1..=6>]}`.
//!
//! A workflow still must not wait through WASI: `std::thread::sleep` fails the task with a
//! message that points to `ctx.sleep`, the SDK's durable timer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, WfContext, WfResult};

/// The workflow's result.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiOutput {
    /// From `uuid::Uuid::new_v4()`.
    pub uuid: String,
    /// From `std::time::SystemTime::now()`, in milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// From `ctx.now()`: the same instant, through the SDK.
    pub workflow_now_ms: u64,
    /// From `rand::random_range(1..=6)`, five times.
    pub dice: Vec<u8>,
}

#[workflow]
pub async fn wasi(ctx: WfContext) -> WfResult<WasiOutput> {
    let uuid = uuid::Uuid::new_v4().to_string();
    let now_ms = millis_since_epoch(SystemTime::now());
    let workflow_now_ms = millis_since_epoch(ctx.now());
    let dice: Vec<u8> = (0..5).map(|_| rand::random_range(1..=6)).collect();
    println!("uuid {uuid}, now {now_ms} ms, dice {dice:?}");
    Ok(WasiOutput {
        uuid,
        now_ms,
        workflow_now_ms,
        dice,
    })
}

fn millis_since_epoch(time: SystemTime) -> u64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

weft_sdk::export_workflows!(wasi);

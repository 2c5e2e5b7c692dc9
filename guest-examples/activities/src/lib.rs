//! The native activities of the example workflows.
//!
//! Four environment variables help tests and demos watch them:
//! - `WEFT_EXAMPLE_ACTIVITY_LOG=<file>`: every attempt appends a line
//!   `<activity> <workflow id> <seq> <attempt>` to the file;
//! - `WEFT_EXAMPLE_ACTIVITY_DELAY_MS=<ms>`: every attempt first sleeps that long, which
//!   leaves time to kill a host in the middle of a workflow;
//! - `WEFT_EXAMPLE_POLL_WORK_MS=<ms>`: every poll of `poll_until_ready` takes that long
//!   of real time (a stand-in for the request);
//! - `WEFT_EXAMPLE_AUDIT_LOG=<file>`: `audit` appends its entries to the file, one JSON
//!   line each, sensitive fields masked (to stderr without it).
//!
//! [`register`] registers the activities by name; [`register_dynamic`] adds a fallback
//! for names known only at run time, and [`word_count`] is there to be registered on a
//! host that is already running; [`register_all`] does all three (as the `weft` binary
//! does at start).

mod compliance;
mod dynamic;
mod patterns;
mod payments;
mod polling;
mod travel;

pub use compliance::{fingerprint, AUDIT_LOG_VAR};
pub use dynamic::{register_dynamic, word_count};
pub use payments::{DECLINED_CARD, FLAKY_DECLINED_CARD};
pub use travel::NO_FLIGHTS_TO;

use std::io::Write;
use std::time::Duration;

use example_activities_api::{
    ChargeCard, CheckStatus, Cleanup, Greet, Nap, NeverComplete, PollUntilReady, Reverse, Square,
    ToUpper, WordCount,
};
use weft_activity::{ActivityContext, ActivityError, ActivityRegistry};

/// Register every example activity, the dynamic fallback and `word_count`.
pub fn register_all(registry: &mut ActivityRegistry) {
    register(registry);
    register_dynamic(registry);
    registry.register(WordCount, word_count);
}

/// Register every example activity by name (not the dynamic fallback, nor
/// `word_count`).
pub fn register(registry: &mut ActivityRegistry) {
    registry
        .register(Greet, |ctx, name: String| async move {
            observe(&ctx).await?;
            Ok(format!("Hello, {name}!"))
        })
        .register(ToUpper, |ctx, text: String| async move {
            observe(&ctx).await?;
            Ok(text.to_uppercase())
        })
        .register(Reverse, |ctx, text: String| async move {
            observe(&ctx).await?;
            Ok(text.chars().rev().collect::<String>())
        })
        .register(Square, |ctx, n: u64| async move {
            observe(&ctx).await?;
            n.checked_mul(n)
                .ok_or_else(|| ActivityError::non_retryable(format!("{n} squared overflows u64")))
        })
        .register(Nap, |ctx, ms: u64| async move {
            observe(&ctx).await?;
            ctx.sleep(Duration::from_millis(ms)).await;
            Ok(ms)
        })
        .register(NeverComplete, |ctx, (): ()| async move {
            observe(&ctx).await?;
            never_complete(&ctx).await
        })
        .register(Cleanup, |ctx, what: String| async move {
            observe(&ctx).await?;
            Ok(format!("cleaned up {what}"))
        })
        .register(PollUntilReady, |ctx, job| async move {
            observe(&ctx).await?;
            polling::poll_until_ready(ctx, job).await
        })
        .register(CheckStatus, |ctx, ready_at| async move {
            observe(&ctx).await?;
            polling::check_status(ctx, ready_at).await
        })
        .register(ChargeCard, |ctx, payment| async move {
            observe(&ctx).await?;
            payments::charge_card(ctx, payment).await
        });
    travel::register(registry);
    patterns::register(registry);
    compliance::register(registry);
}

/// Heartbeat once a second until cancelled. A host shutting down ends the attempt
/// with a retryable error, so the next host runs it again from the last count.
async fn never_complete(ctx: &ActivityContext) -> Result<(), ActivityError> {
    let cancelled = || ActivityError::cancelled("never_complete stopped: it was cancelled");
    let mut count = ctx.heartbeat_details::<u64>().unwrap_or(0);
    loop {
        count += 1;
        ctx.heartbeat(&count).map_err(|_| cancelled())?;
        // A second between heartbeats, cut short by a cancellation or a shutdown.
        tokio::select! {
            () = ctx.sleep(Duration::from_secs(1)) => {}
            () = ctx.cancelled() => return Err(cancelled()),
            () = ctx.shutting_down() => {}
        }
        if ctx.is_shutting_down() {
            return Err(ActivityError::retryable(format!(
                "never_complete stopped after {count} heartbeat(s): the host is shutting down"
            )));
        }
    }
}

async fn observe(ctx: &ActivityContext) -> Result<(), ActivityError> {
    if let Some(ms) = std::env::var("WEFT_EXAMPLE_ACTIVITY_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Ok(path) = std::env::var("WEFT_EXAMPLE_ACTIVITY_LOG") {
        let line = format!(
            "{} {} {} {}\n",
            ctx.activity_type, ctx.workflow_id, ctx.seq, ctx.attempt
        );
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| ActivityError::retryable(format!("cannot open {path}: {e}")))?;
        // One write call per line so concurrent attempts do not interleave.
        file.write_all(line.as_bytes())
            .map_err(|e| ActivityError::retryable(format!("cannot write {path}: {e}")))?;
    }
    Ok(())
}

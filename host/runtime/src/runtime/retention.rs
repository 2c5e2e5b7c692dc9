//! Retention: closed runs whose close time is older than the retention are removed in
//! the background (`weft server --retention 30d`), each first written to the archive
//! when there is one (`--archive-dir`).
//!
//! The pace is bounded: every tick (a tenth of the retention, between 100 ms and a
//! minute, on the host's [`Clock`](super::Clock), so a test on the virtual clock moves
//! it) removes at most [`Retention::batches_per_tick`] batches of
//! [`Retention::batch`] runs, each batch one commit in the group-commit queue, and
//! yields between batches. Runs come from an index by close time, so a tick reads only
//! what it removes. Nothing of this touches a hot path: a host without retention
//! starts no task.

use std::time::Duration;

use super::clock::millis;
use super::Host;
use crate::history::archive::Archive;

/// What to remove, and how fast.
#[derive(Debug, Clone)]
pub struct Retention {
    /// Closed runs older than this (by close time) are removed.
    pub keep: Duration,
    /// Written to before removal, when given.
    pub archive: Option<Archive>,
    /// Runs per batch (one commit).
    pub batch: usize,
    /// Batches per tick at most; the rest waits for the next tick.
    pub batches_per_tick: usize,
}

impl Retention {
    /// Remove closed runs older than `keep`, 100 per batch, 10 batches per tick.
    pub fn new(keep: Duration, archive: Option<Archive>) -> Retention {
        Retention {
            keep,
            archive,
            batch: 100,
            batches_per_tick: 10,
        }
    }

    /// The time between ticks: a tenth of the retention, within 100 ms and a minute.
    pub fn tick(&self) -> Duration {
        (self.keep / 10).clamp(Duration::from_millis(100), Duration::from_secs(60))
    }
}

impl Host {
    /// Start removing closed runs older than `retention.keep` in the background, until
    /// the host stops. Failures are logged and tried again at the next tick.
    pub fn start_retention(&self, retention: Retention) -> tokio::task::JoinHandle<()> {
        let host = self.downgrade();
        let clock = self.clock().clone();
        tracing::info!(
            keep = ?retention.keep,
            archive = ?retention.archive.as_ref().map(|a| a.dir().display().to_string()),
            "retention on"
        );
        tokio::spawn(async move {
            // A tick counts as work in flight: a virtual clock does not skip past it.
            let mut busy = clock.busy();
            loop {
                let next = clock.after(retention.tick());
                {
                    let Some(host) = host.upgrade() else { return };
                    if let Err(e) = host.retention_tick(&retention).await {
                        tracing::warn!("retention: {e}; trying again at the next tick");
                    }
                }
                busy = clock.sleep_releasing(next, busy).await;
            }
        })
    }

    /// One tick: up to `batches_per_tick` batches of the runs that closed before the
    /// retention's cutoff; how many runs it removed.
    pub async fn retention_tick(&self, retention: &Retention) -> Result<usize, String> {
        let mut removed = 0;
        for _ in 0..retention.batches_per_tick {
            if self.failure().is_some() {
                return Err("the host stopped after a storage error".into());
            }
            let cutoff = self.clock().now_ms().saturating_sub(millis(retention.keep));
            let runs = (self.storage().closed_before(cutoff, retention.batch))
                .map_err(|e| e.to_string())?;
            if runs.is_empty() {
                break;
            }
            self.remove_runs(&runs, retention.archive.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            let metrics = &self.inner.metrics;
            metrics.executions_deleted.inc_by(runs.len() as u64);
            if retention.archive.is_some() {
                metrics.executions_archived.inc_by(runs.len() as u64);
            }
            removed += runs.len();
            if runs.len() < retention.batch {
                break;
            }
            tokio::task::yield_now().await;
        }
        if removed > 0 {
            tracing::debug!(removed, "retention removed closed runs");
        }
        Ok(removed)
    }
}

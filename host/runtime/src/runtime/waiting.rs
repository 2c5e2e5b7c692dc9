//! Waiting for a run to close: told by its actor through the waiters of the host that
//! serves it, or, in a cluster, by a look at its record every so often while another
//! host serves it.

use tokio::sync::oneshot;

use super::{HostInner, QueryError};
use crate::history::Outcome;

impl HostInner {
    /// Wait for a run to close and return how it ended (see [`Host::wait`](super::Host::wait)).
    pub(crate) async fn wait(&self, run_id: &str) -> Result<Outcome, QueryError> {
        if self.placement.is_partial() {
            return self.wait_anywhere(run_id).await;
        }
        match self.on_close(run_id)? {
            Some(rx) => rx.await.map_err(|_| {
                QueryError::NotFound(format!("{run_id} (the host stopped while waiting)"))
            }),
            None => {
                let record = self
                    .storage
                    .run(run_id)?
                    .ok_or_else(|| QueryError::NotFound(run_id.to_string()))?;
                self.inspector()
                    .outcome(&record)?
                    .ok_or_else(|| QueryError::NotFound(run_id.to_string()))
            }
        }
    }

    /// [`HostInner::wait`] in a cluster, where the run may be served by another host, or
    /// move between hosts while it is waited on: told by this host's actor while it
    /// serves the run, and otherwise by a look at the run's record every so often.
    async fn wait_anywhere(&self, run_id: &str) -> Result<Outcome, QueryError> {
        const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
        let mut told: Option<oneshot::Receiver<Outcome>> = None;
        loop {
            let record = (self.storage.run(run_id)?)
                .ok_or_else(|| QueryError::NotFound(run_id.to_string()))?;
            if !record.status.is_open() {
                return (self.inspector().outcome(&record)?)
                    .ok_or_else(|| QueryError::NotFound(run_id.to_string()));
            }
            if told.is_none() && self.placement.owns(&record.workflow_id) {
                match self.on_close(run_id)? {
                    Some(rx) => told = Some(rx),
                    // Closed since the look above: read how.
                    None => continue,
                }
            }
            match told.as_mut() {
                Some(rx) => match tokio::time::timeout(LOOK_EVERY, rx).await {
                    Ok(Ok(outcome)) => return Ok(outcome),
                    // Given up with its shard: look again.
                    Ok(Err(_)) => told = None,
                    Err(_) => {}
                },
                None => tokio::time::sleep(LOOK_EVERY).await,
            }
        }
    }

    /// A receiver told how an open run ends (see [`Host::on_close`](super::Host::on_close)); `None` when the
    /// run is closed already.
    pub(crate) fn on_close(
        &self,
        run_id: &str,
    ) -> Result<Option<oneshot::Receiver<Outcome>>, QueryError> {
        let mut waiters = self.waiters.lock().unwrap();
        let record = self
            .storage
            .run(run_id)?
            .ok_or_else(|| QueryError::NotFound(run_id.to_string()))?;
        if !record.status.is_open() {
            return Ok(None);
        }
        let (tx, rx) = oneshot::channel();
        waiters.entry(run_id.to_string()).or_default().push(tx);
        Ok(Some(rx))
    }

    pub(super) fn notify(&self, run_id: &str, outcome: Outcome) {
        let waiters = self.waiters.lock().unwrap().remove(run_id);
        for w in waiters.into_iter().flatten() {
            let _ = w.send(outcome.clone());
        }
    }
}

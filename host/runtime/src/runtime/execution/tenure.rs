//! An actor's tenure: in a cluster, an actor serves its run only while this host holds
//! the run's shard under the tenure it was made under (see `runtime/shards.rs`). When the
//! shard goes to another host the actor stops; when it went and came back while the
//! actor was busy, the actor's memory of the run may be stale (the other host may have
//! recorded steps), so a new actor takes the run up from storage and is handed this
//! one's queue. A host alone on its storage always serves its runs.

use super::*;
use crate::runtime::on_demand::Wake as Woken;
use crate::runtime::shards::Fate;

impl Execution {
    /// Whether this actor still serves its run; when not, it has handed the run on (or
    /// let it go) and must return.
    pub(super) fn serves(&mut self) -> bool {
        // Without the actors' lock while nothing changed (every step asks).
        let placement = &self.host.placement;
        if !placement.is_partial()
            || placement.tenure(&self.record.workflow_id) == Some(self.tenure)
        {
            return true;
        }
        match self.host.fate(&self.record, &self.tx, self.tenure) {
            Fate::Stay => true,
            Fate::Leave => {
                tracing::debug!(run = %self.record.run_id, "the run's shard was given up");
                false
            }
            Fate::Renew => {
                self.renew();
                false
            }
        }
    }

    /// Hand the run to a new actor made from storage, with the messages queued here.
    fn renew(&mut self) {
        let run_id = self.record.run_id.clone();
        tracing::info!(run = %run_id, "the run's shard came back: taking the run up again from storage");
        let mut queued = Vec::new();
        while let Ok(message) = self.rx.try_recv() {
            queued.push(message);
        }
        if let Err((e, _)) = self.host.wake(&run_id, Woken::Message, None) {
            tracing::error!(run = %run_id, "cannot take the run up again: {e}");
        }
        for message in queued {
            // A message for a run no longer open here is dropped: its caller hears so.
            let _ = self.host.deliver(&run_id, message);
        }
    }
}

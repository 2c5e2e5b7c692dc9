//! Moving an open run to a new version of its module: between tasks, the actor replays
//! the run's history on the new module; if it replays cleanly, the run record names the
//! new module, `module-changed` is recorded, and the next task runs there (a run stuck
//! on a failing task retries at once). A run that diverges stays where it is.

use super::*;

impl Execution {
    /// Carry out the moves asked for.
    pub(super) async fn upgrade(&mut self) {
        for (module, reply) in std::mem::take(&mut self.upgrades) {
            let answer = self.move_to(module).await;
            let _ = reply.send(answer);
        }
    }

    async fn move_to(&mut self, module: Arc<Module>) -> Result<(), String> {
        if module.digest == self.module.digest {
            return Ok(());
        }
        // Deferred tasks (local activities in flight) are not in the history yet:
        // record them first, so the replay sees everything the instance has done.
        if self.deferred.is_some() && self.commit(Vec::new()).await.is_err() {
            return Err("the run's history could not be recorded; try again".into());
        }
        let mut instance = self
            .host
            .engine
            .instantiate(&module, &self.record.workflow_id)
            .map_err(|e| e.to_string())?;
        replay_into(&mut instance, &self.history.events).map_err(|e| e.to_string())?;
        let time_ms = self.host.clock.now_ms();
        let from_digest = std::mem::replace(&mut self.record.module_digest, module.digest.clone());
        let event = Event::ModuleChanged {
            from_digest: from_digest.clone(),
            to_digest: module.digest.clone(),
            time_ms,
        };
        let write = Write::PutRun(self.record.clone());
        if self.commit_with(vec![event], vec![write]).await.is_err() {
            self.record.module_digest = from_digest;
            return Err("the move could not be recorded; try again".into());
        }
        tracing::info!(run = %self.record.run_id, from = %from_digest, to = %module.digest, "moved to a new module");
        self.module = module;
        self.host.cache.put(&self.record.run_id, instance);
        if let Some(retry) = &mut self.retry {
            // A task that failed on the old module runs again on the new one, now.
            retry.at_ms = time_ms;
        }
        Ok(())
    }
}

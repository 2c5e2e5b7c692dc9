//! Deploying modules: validated, stored by digest, numbered per name; a checked
//! deployment first replays the open runs of the name's earlier versions.

use std::sync::Arc;

use super::{CheckFailure, DeployError, Host, QueryError};
use crate::engine::Module;
use crate::storage::{durable, ModuleVersion, RunRecord, Write};

impl Host {
    /// Validate a component and durably record it as the next version of `name`; new
    /// runs of its workflow types use it. With `check`, first replay the histories of
    /// the open runs of earlier versions of `name` against it, and refuse on divergence.
    pub async fn deploy(
        &self,
        bytes: Vec<u8>,
        name: &str,
        check: bool,
    ) -> Result<ModuleVersion, DeployError> {
        if name.is_empty() || name.len() > 200 || name.chars().any(|c| c.is_control() || c == '/') {
            return Err(DeployError::BadName(name.to_string()));
        }
        // Compiling (and a checked deployment's replays) run on the blocking pool, not
        // on the server's async workers.
        let engine = self.inner.engine.clone();
        let (module, bytes) = tokio::task::spawn_blocking(move || (engine.load(&bytes), bytes))
            .await
            .map_err(|e| DeployError::Storage(format!("compiling the component failed: {e}")))?;
        let module = module?;
        let _serial = self.inner.deploy_lock.lock().await;
        // The name's versions, oldest first: read once, under the deploy lock.
        let earlier: Vec<ModuleVersion> = self
            .inner
            .versions
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v.name == name)
            .cloned()
            .collect();
        // Deploying the newest version of a name again changes nothing.
        if let Some(latest) = earlier.last().filter(|v| v.digest == module.digest) {
            return Ok(latest.clone());
        }
        let checked = if check {
            let digests: Vec<String> = earlier.iter().map(|v| v.digest.clone()).collect();
            let (host, module) = (self.clone(), module.clone());
            tokio::task::spawn_blocking(move || host.check_open_runs(&digests, &module))
                .await
                .map_err(|e| DeployError::Storage(format!("checking open runs failed: {e}")))??
        } else {
            0
        };
        let version = earlier.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let record = ModuleVersion {
            name: name.to_string(),
            version,
            digest: module.digest.clone(),
            workflow_types: module.workflow_types.clone(),
            deployed_ms: self.inner.clock.now_ms(),
            checked_executions: checked,
        };
        let mut writes = vec![Write::PutModuleVersion(record.clone())];
        if self
            .inner
            .storage
            .module(&module.digest)
            .map_err(|e| DeployError::Storage(e.to_string()))?
            .is_none()
        {
            writes.push(Write::PutModule {
                digest: module.digest.clone(),
                bytes,
            });
        }
        durable(self.inner.storage.commit(writes))
            .await
            .map_err(|e| DeployError::Storage(e.to_string()))?;
        self.inner
            .modules
            .lock()
            .unwrap()
            .insert(module.digest.clone(), module);
        self.inner.versions.lock().unwrap().push(record.clone());
        Ok(record)
    }

    /// Replay every open run on one of `digests` against `module`.
    fn check_open_runs(
        &self,
        digests: &[String],
        module: &Arc<Module>,
    ) -> Result<usize, DeployError> {
        let storage_error = |e: QueryError| DeployError::Storage(e.to_string());
        let runs: Vec<RunRecord> = self
            .inner
            .storage
            .open_runs()
            .map_err(|e| DeployError::Storage(e.to_string()))?
            .into_iter()
            .filter(|r| digests.contains(&r.module_digest))
            .collect();
        let mut diverged = Vec::new();
        for run in &runs {
            let history = self.inner.read_history(run).map_err(storage_error)?;
            if let Err(e) = crate::replay::replay(&self.inner.engine, module, &history.events) {
                diverged.push(CheckFailure {
                    workflow_id: run.workflow_id.clone(),
                    run_id: run.run_id.clone(),
                    report: e.to_string(),
                });
            }
        }
        if diverged.is_empty() {
            Ok(runs.len())
        } else {
            Err(DeployError::Diverged(diverged))
        }
    }
}

//! Deploying modules: validated, stored by digest, numbered per name. The open runs of
//! the name's earlier versions move to the new version when their history replays on
//! it (each in its own actor, between tasks); a checked deployment first replays them
//! all and is refused if any diverges; a pinned one moves nobody.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::{CheckFailure, DeployError, Host, Message, QueryError, RunHandle};
use crate::engine::Module;
use crate::storage::{durable, ModuleVersion, RunRecord, Write};
use crate::DYNAMIC_WORKFLOW;

pub use weft_model::deploy::DeployMode;

/// A recorded deployment and what became of the open runs.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub version: ModuleVersion,
    /// Runs now on the new version.
    pub moved: Vec<RunHandle>,
    /// Runs that stayed, with why (their replay's report).
    pub stayed: Vec<CheckFailure>,
}

impl Host {
    /// [`Host::deploy_module`] with `check` (refuse on any divergence) or the default
    /// (move the runs that replay), answering with the version recorded.
    pub async fn deploy(
        &self,
        bytes: Vec<u8>,
        name: &str,
        check: bool,
    ) -> Result<ModuleVersion, DeployError> {
        let mode = if check {
            DeployMode::Check
        } else {
            DeployMode::Move
        };
        Ok(self.deploy_module(bytes, name, mode).await?.version)
    }

    /// Validate a component and durably record it as the next version of `name`; new
    /// runs of its workflow types use it, and the open runs of its earlier versions
    /// move to it as `mode` says.
    pub async fn deploy_module(
        &self,
        bytes: Vec<u8>,
        name: &str,
        mode: DeployMode,
    ) -> Result<Deployment, DeployError> {
        if let Some(error) = self.failure() {
            return Err(DeployError::Stopped(error));
        }
        let check = mode == DeployMode::Check;
        weft_model::names::ModuleName::parse(name)?;
        // Compiling (and a checked deployment's replays) run on the blocking pool, not
        // on the server's async workers.
        let engine = self.inner.engine.clone();
        let (module, bytes) = tokio::task::spawn_blocking(move || (engine.load(&bytes), bytes))
            .await
            .map_err(|e| DeployError::Storage(format!("compiling the component failed: {e}")))?;
        let module = module?;
        let _serial = self.inner.deploy_lock.lock().await;
        if self.in_cluster() {
            // Other hosts may have deployed versions of the name since the last look.
            self.refresh_versions()
                .map_err(|e| DeployError::Storage(e.to_string()))?;
        }
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
            return Ok(Deployment {
                version: latest.clone(),
                moved: Vec::new(),
                stayed: Vec::new(),
            });
        }
        let digests: Vec<String> = earlier.iter().map(|v| v.digest.clone()).collect();
        let checked = if check {
            let (host, module, digests) = (self.clone(), module.clone(), digests.clone());
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
            .insert(module.digest.clone(), module.clone());
        self.inner.versions.lock().unwrap().push(record.clone());
        let (mut moved, mut stayed) = match mode {
            DeployMode::Pin => (Vec::new(), Vec::new()),
            DeployMode::Move | DeployMode::Check => self.move_open_runs(&digests, &module).await?,
        };
        if let (false, Some(remote)) = (mode == DeployMode::Pin, &self.inner.remote) {
            // The other hosts of the cluster move the runs they serve.
            let (elsewhere, stayed_elsewhere) = remote.adopt(name, &module.digest).await;
            moved.extend(elsewhere);
            stayed.extend(stayed_elsewhere);
        }
        Ok(Deployment {
            version: record,
            moved,
            stayed,
        })
    }

    /// Move this host's open runs of module `name`'s versions before the one of `digest`
    /// (deployed through another host of the cluster) to it, as that deployment moved
    /// its own.
    pub async fn take_adoption(
        &self,
        name: &str,
        digest: &str,
    ) -> Result<super::Adopted, DeployError> {
        let versions =
            (self.refresh_versions()).map_err(|e| DeployError::Storage(e.to_string()))?;
        let Some(newest) = versions
            .iter()
            .find(|v| v.name == name && v.digest == digest)
        else {
            return Err(DeployError::Storage(format!(
                "module {name} has no version {digest} in storage"
            )));
        };
        let earlier: Vec<String> = (versions.iter())
            .filter(|v| v.name == name && v.version < newest.version)
            .map(|v| v.digest.clone())
            .collect();
        let module = self
            .module_by_digest(digest)
            .map_err(DeployError::Storage)?;
        self.move_open_runs(&earlier, &module).await
    }

    /// Ask the actor of every open run on one of `digests` whose type `module` exports
    /// to move to it; the runs that moved, and those that stayed with why.
    async fn move_open_runs(
        &self,
        digests: &[String],
        module: &Arc<Module>,
    ) -> Result<(Vec<RunHandle>, Vec<CheckFailure>), DeployError> {
        let runs: Vec<RunRecord> = self
            .inner
            .storage
            .open_runs()
            .map_err(|e| DeployError::Storage(e.to_string()))?
            .into_iter()
            .filter(|r| {
                digests.contains(&r.module_digest)
                    && (module.workflow_types.contains(&r.workflow_type)
                        || module.workflow_types.iter().any(|t| t == DYNAMIC_WORKFLOW))
            })
            .collect();
        let mut asked = Vec::new();
        for run in runs {
            let (reply, answer) = oneshot::channel();
            let message = Message::Upgrade {
                module: module.clone(),
                reply,
                busy: self.inner.clock.busy(),
            };
            if self.inner.send(&run.run_id, message) {
                asked.push((run, answer));
            }
        }
        let (mut moved, mut stayed) = (Vec::new(), Vec::new());
        for (run, answer) in asked {
            let handle = RunHandle {
                workflow_id: run.workflow_id.clone(),
                run_id: run.run_id.clone(),
            };
            match answer.await {
                Ok(Ok(())) => moved.push(handle),
                Ok(Err(report)) => stayed.push(CheckFailure {
                    workflow_id: handle.workflow_id,
                    run_id: handle.run_id,
                    report,
                }),
                // Closed meanwhile: nothing to move.
                Err(_) => {}
            }
        }
        Ok((moved, stayed))
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

/// The deployed version that serves `workflow_type`: the newest that exports it, else
/// the newest whose module has a dynamic workflow (`#[workflow(dynamic)]`, exported as
/// [`DYNAMIC_WORKFLOW`]), which serves every type no module exports.
pub(crate) fn serving_version<'a>(
    versions: &'a [ModuleVersion],
    workflow_type: &str,
) -> Option<&'a ModuleVersion> {
    let newest = |wanted: &str| {
        versions
            .iter()
            .rev()
            .find(|v| v.workflow_types.iter().any(|t| t == wanted))
    };
    newest(workflow_type).or_else(|| newest(DYNAMIC_WORKFLOW))
}

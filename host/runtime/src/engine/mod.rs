//! The wasmtime embedding: one engine, compiled components, instances that run
//! workflow tasks under a deadline and a memory limit.

mod causes;
mod host_imports;
mod instance;
mod reports;
mod wasi;

pub use host_imports::{InstanceState, TaskAside};
pub use instance::WorkflowInstance;
pub use reports::{WaitKind, WaitPoint, MAX_CURRENT_DETAILS_BYTES};
pub use wasi::{WasiSleep, WasiWouldBlock};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

use crate::contract::{Workflow, WorkflowPre};

/// How often the epoch advances; the unit of task deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits and places for an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Longest a single workflow task may run before it fails.
    pub task_deadline: Duration,
    /// Largest linear memory an instance may have.
    pub memory_limit_bytes: usize,
    /// Most instances alive at once (the pooling allocator's size).
    pub max_instances: u32,
    /// Where compiled components are cached, by digest. `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            task_deadline: Duration::from_secs(2),
            memory_limit_bytes: 256 << 20,
            max_instances: 1100,
            cache_dir: None,
        }
    }
}

impl EngineConfig {
    /// An engine that replays histories one at a time (`weft replay`): a pool of a few
    /// instances rather than a host's thousand, whose memory slots a one-shot command
    /// would reserve and release for nothing, and compiled components kept in
    /// `cache_dir` across runs.
    pub fn for_replay(cache_dir: Option<PathBuf>) -> EngineConfig {
        EngineConfig {
            max_instances: 4,
            cache_dir,
            ..EngineConfig::default()
        }
    }
}

/// A component could not be loaded as a workflow module.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not a WebAssembly component (or not valid).
    #[error("not a valid WebAssembly component: {0}")]
    Malformed(String),
    /// The component is valid but does not implement the `weft:workflow` world.
    #[error("the component does not implement the weft:workflow@0.1.0 world: {0}")]
    WrongWorld(String),
    /// The component failed while listing its workflow types.
    #[error("the component trapped while listing its workflow types: {0}")]
    Trapped(String),
}

/// A failure creating an instance.
#[derive(Debug, thiserror::Error)]
#[error("cannot instantiate the workflow component: {0}")]
pub struct InstantiateError(String);

/// A validated, compiled workflow component.
pub struct Module {
    pub digest: String,
    pub workflow_types: Vec<String>,
    pre: WorkflowPre<InstanceState>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("digest", &self.digest)
            .field("workflow_types", &self.workflow_types)
            .finish()
    }
}

/// How much of a pooled memory or table slot stays resident when its instance goes:
/// what a workflow typically dirties (its stack, heap and data), zeroed for the next.
const KEEP_RESIDENT_BYTES: usize = 2 << 20;

/// The one wasmtime engine of a host.
pub struct Engine {
    engine: wasmtime::Engine,
    linker: Linker<InstanceState>,
    config: EngineConfig,
    modules: Mutex<HashMap<String, Arc<Module>>>,
    /// Where the instances' custom metrics go (a host's; none in a bare replay).
    metrics: std::sync::OnceLock<crate::metrics::CustomMetrics>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish()
    }
}

/// The sha256 of a component's bytes, hex-encoded.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Engine {
    pub fn new(config: EngineConfig) -> anyhow::Result<Arc<Engine>> {
        let mut pool = PoolingAllocationConfig::default();
        // A component instance is several core instances (the workflow's module, the
        // shims and fix-ups wit-component adds, a WASI adapter's module): room for four
        // each, so the cache can hold `max_instances` of any of them.
        pool.total_component_instances(config.max_instances)
            .total_core_instances(config.max_instances * 4)
            .total_memories(config.max_instances * 2)
            .total_tables(config.max_instances * 4)
            .max_memory_size(config.memory_limit_bytes)
            // A slot's memory is reset by zeroing the pages the last instance dirtied
            // (found with Linux's PAGEMAP_SCAN) instead of `madvise`, whose TLB
            // shootdowns cost every thread of the host; elsewhere, `madvise` as before.
            .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
            .table_keep_resident(KEEP_RESIDENT_BYTES)
            .pagemap_scan(wasmtime::Enabled::Auto);
        // Threads are off: wasmtime is built without its `threads` feature.
        let mut wasm = Config::new();
        wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true)
            .epoch_interruption(true);
        let engine = wasmtime::Engine::new(&wasm).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut linker = Linker::new(&engine);
        Workflow::add_to_linker::<InstanceState, HasSelf<InstanceState>>(&mut linker, |s| s)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // Only components that import WASI resolve against it (and pay for it).
        wasi::add_to_linker(&mut linker).map_err(|e| anyhow::anyhow!("{e}"))?;
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("weft-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;
        Ok(Arc::new(Engine {
            engine,
            linker,
            config,
            modules: Mutex::new(HashMap::new()),
            metrics: std::sync::OnceLock::new(),
        }))
    }

    /// Compile and validate a component (or fetch it from the caches).
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Module>, LoadError> {
        let digest = digest(bytes);
        if let Some(m) = self.modules.lock().unwrap().get(&digest) {
            return Ok(m.clone());
        }
        let component = self.compile(&digest, bytes)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::WrongWorld(format!("{e:#}")))?;
        let pre = WorkflowPre::new(pre).map_err(|e| LoadError::WrongWorld(format!("{e:#}")))?;
        let mut store = self.store("<load>");
        let bindings = pre
            .instantiate(&mut store)
            .map_err(|e| LoadError::WrongWorld(format!("{e:#}")))?;
        let workflow_types = bindings
            .weft_workflow_guest()
            .call_workflow_types(&mut store)
            .map_err(|e| LoadError::Trapped(format!("{e:#}")))?;
        let module = Arc::new(Module {
            digest: digest.clone(),
            workflow_types,
            pre,
        });
        self.modules.lock().unwrap().insert(digest, module.clone());
        Ok(module)
    }

    fn compile(&self, digest: &str, bytes: &[u8]) -> Result<Component, LoadError> {
        let malformed = |e: wasmtime::Error| LoadError::Malformed(format!("{e:#}"));
        if !wasmparser_is_component(bytes) {
            return Err(LoadError::Malformed(
                "the file is a core WebAssembly module or not WebAssembly at all; build it with `weft build` to get a component".into(),
            ));
        }
        let Some(dir) = &self.config.cache_dir else {
            return Component::new(&self.engine, bytes).map_err(malformed);
        };
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        let path = dir.join(format!("{digest}-{:016x}.cwasm", h.finish()));
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an engine with the
            // same compatibility hash (it is in the name); a damaged file fails to load and
            // is recompiled below.
            if let Ok(c) = unsafe { Component::deserialize_file(&self.engine, &path) } {
                return Ok(c);
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(malformed)?;
        if let Ok(serialized) = component.serialize() {
            let _ = std::fs::create_dir_all(dir);
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, serialized).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        Ok(component)
    }

    fn store(&self, workflow_id: &str) -> Store<InstanceState> {
        let mut state = InstanceState::new(workflow_id.to_string());
        state.metrics = self.metrics.get().cloned();
        let mut store = Store::new(&self.engine, state);
        store.epoch_deadline_trap();
        // Instantiation and `workflow-types` run under the same deadline as a task.
        store.set_epoch_deadline(self.deadline_ticks());
        store
    }

    fn deadline_ticks(&self) -> u64 {
        (self.config.task_deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }

    /// Send the custom metrics of every instance made from now on to `metrics`.
    pub fn serve_metrics(&self, metrics: crate::metrics::CustomMetrics) {
        let _ = self.metrics.set(metrics);
    }

    /// A fresh instance of `module` for one execution.
    pub fn instantiate(
        &self,
        module: &Arc<Module>,
        workflow_id: &str,
    ) -> Result<WorkflowInstance, InstantiateError> {
        let mut store = self.store(workflow_id);
        let bindings = module
            .pre
            .instantiate(&mut store)
            .map_err(|e| InstantiateError(format!("{e:#}")))?;
        Ok(WorkflowInstance::new(
            store,
            bindings,
            module.clone(),
            self.deadline_ticks(),
            self.config.task_deadline,
        ))
    }
}

/// A component starts with the magic and the component-model layer (1).
fn wasmparser_is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[0..4] == b"\0asm" && bytes[6..8] == [1, 0]
}

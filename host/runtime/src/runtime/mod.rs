//! The runtime: open runs as actors, their instances in a bounded cache, activities and
//! timers dispatched after the commands that asked for them are durable, all timed on
//! one [`Clock`].

mod activity_task;
mod attributes;
pub use attributes::memo_of;
mod cache;
pub mod canary;
pub use weft_activity::clock;
mod commands;
mod config;
mod control;
mod deploy;
mod entropy;
pub use entropy::Entropy;
mod describe;
mod error;
mod execution;
mod id_policies;
mod inspect;
mod message;
mod messages;
mod on_demand;
mod outbox;
mod outcome;
mod pause;
pub use pause::{set_point_hook, PointHook};
mod pending;
mod queries;
mod remote;
mod removal;
mod request_ids;
mod requests;
mod reset;
mod retention;
mod shards;
mod stack;
mod start;
mod start_gates;
mod start_ids;
mod steer;
mod task_retry;
mod timers;
mod update_with_start;
mod waiting;
mod workers;
pub use workers::Executor;

pub use cache::InstanceCache;
pub use clock::{Busy, Clock};
pub use config::{HostConfig, DEFAULT_ACTOR_CACHE_SIZE, DEFAULT_INSTANCE_CACHE_SIZE};
pub use deploy::{DeployMode, Deployment};
pub use describe::{ChildRun, ChildState, RunDescription, UserMetadata, Waiting};
pub use error::{CheckFailure, DeployError, OpenError, QueryError, StartError};
pub use id_policies::{IdConflictPolicy, IdReusePolicy};
pub use inspect::Inspector;
pub use messages::{
    MessageError, UpdateOutcome, UpdateRequest, UpdateStage, MAX_MESSAGE_PAYLOAD_BYTES,
};
pub use outcome::status_of;
pub use remote::{Adopted, Answer, Remote, RemoteMessage};
pub use removal::DeleteError;
pub use request_ids::{check_request_id, RequestKey, RequestKind, MAX_REQUEST_ID_BYTES};
pub use requests::HandlerNames;
pub use reset::{reset_links, Reapply, ResetError, ResetOutcome, ResetPoint, ResetRequest};
pub use retention::Retention;
pub use stack::{Frame, FrameKind, Stack, WAITING_QUERY};
pub use start::{StartOutcome, StartRequest};
pub use start_ids::workflow_id_for_request;
pub use steer::{
    ActivityAction, ActivityRef, OptionsUpdate, Steer, SteerAction, SteerError, Steered,
};
pub use update_with_start::UpdateWithStartError;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::sync::oneshot;

use crate::activities::{ActivityPools, ActivityRegistry};
use crate::engine::{Engine, Module};
use crate::history::codec::{decode_chunks, Chunk};
use crate::history::{DecodeError, Event, History, Outcome};
use crate::metrics::Metrics;
use crate::payload_codec::PayloadCodec;
use crate::storage::{ModuleVersion, RedbStorage, RunRecord, Storage};
use execution::Execution;
pub(crate) use message::Message;
use timers::Timers;

/// A started run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunHandle {
    pub workflow_id: String,
    pub run_id: String,
}

pub(crate) struct HostInner {
    pub engine: Arc<Engine>,
    pub storage: Arc<dyn Storage>,
    pub activities: ActivityRegistry,
    /// The task queues served and the slots an activity attempt takes to run.
    pub(crate) pools: ActivityPools,
    /// Workflow limits and the pending runs waiting on them.
    pub(crate) flow: crate::flow::WorkflowLimits,
    /// Debounced starts and start rates, and the runs they hold.
    pub(crate) gates: start_gates::StartGates,
    pub cache: InstanceCache,
    pub clock: Clock,
    /// Encodes payloads when they are written and decodes them when read.
    pub(crate) codec: PayloadCodec,
    /// The fields masked wherever a payload is displayed.
    pub(crate) sensitive_fields: crate::masking::SensitiveFields,
    /// This host's metrics (its own registry).
    pub(crate) metrics: Metrics,
    pub(crate) timers: Arc<Timers>,
    /// The runs this host serves (every one, or a cluster's shards it holds).
    pub(crate) placement: Arc<crate::placement::Placement>,
    /// How requests for runs another host serves reach it (in a cluster).
    pub(crate) remote: Option<Arc<dyn Remote>>,
    /// Open runs by workflow id.
    open: Mutex<HashMap<String, RunHandle>>,
    /// The actors of open runs, by run id: the runs that do not rest (see
    /// [`on_demand`]).
    actors: Mutex<HashMap<String, UnboundedSender<Message>>>,
    /// Most live actors before idle ones rest.
    actor_cache_size: usize,
    /// Where actors (and so workflow tasks) and their activities run: the host's
    /// workflow threads. The API, the timer loop and storage stay off them.
    pub(crate) workflows: tokio::runtime::Handle,
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<Outcome>>>>,
    /// The workflow threads, held weakly (the `Host` handles own them), so an actor can
    /// act as a host (start a child, signal another run) while the host is up.
    threads: std::sync::Weak<workers::WorkflowThreads>,
    /// Set when the host shuts down gracefully; running activities watch it.
    pub(crate) shutdown: tokio::sync::watch::Sender<bool>,
    /// Deployed module versions, oldest first.
    versions: Mutex<Vec<ModuleVersion>>,
    /// Compiled modules by digest.
    modules: Mutex<HashMap<String, Arc<Module>>>,
    /// Serialises deployments so versions of a name are numbered without gaps.
    deploy_lock: tokio::sync::Mutex<()>,
    /// Starts with a request id, by workflow id and key: a duplicate waits for the first.
    start_requests: request_ids::KeyLocks,
    /// Where run ids and seeds come from.
    pub(crate) entropy: Entropy,
}

impl HostInner {
    /// The storage I/O error that stopped this host, if one did.
    pub(crate) fn failure(&self) -> Option<String> {
        self.storage.failure()
    }

    /// Reads this host's runs, its payloads decoded with its codec.
    pub(crate) fn inspector(&self) -> Inspector {
        Inspector::with_codec(self.storage.clone(), self.codec.clone())
    }

    /// A handle on this host, while it is up (none once the last `Host` is gone).
    pub(crate) fn handle(self: &Arc<Self>) -> Option<Host> {
        Some(Host {
            inner: self.clone(),
            _threads: self.threads.upgrade()?,
        })
    }

    /// The newest deployed module that serves `workflow_type` (see [`deploy::serving_version`]).
    pub(crate) fn newest_module_for(&self, workflow_type: &str) -> Option<Arc<Module>> {
        let digest = deploy::serving_version(&self.versions.lock().unwrap(), workflow_type)?
            .digest
            .clone();
        self.module_by_digest(&digest).ok()
    }

    pub(crate) fn module_by_digest(&self, digest: &str) -> Result<Arc<Module>, String> {
        if let Some(m) = self.modules.lock().unwrap().get(digest) {
            return Ok(m.clone());
        }
        let bytes = self
            .storage
            .module(digest)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the module is missing from the database".to_string())?;
        let module = self.engine.load(&bytes).map_err(|e| e.to_string())?;
        self.modules
            .lock()
            .unwrap()
            .insert(digest.to_string(), module.clone());
        Ok(module)
    }

    pub(in crate::runtime) fn execution(
        self: &Arc<Self>,
        record: RunRecord,
        module: Arc<Module>,
        history: History,
        started: Option<oneshot::Sender<Result<(), StartError>>>,
    ) -> Execution {
        let (tx, rx) = mpsc::unbounded_channel();
        let size_bytes = history.encoded_size();
        let state = history.state();
        let deadline = state.deadline();
        let updates = execution::Updates::from_state(&state);
        let cancel_requested = state.cancel_requested();
        let held = self
            .flow
            .hold(&record.workflow_type, &record.run_id)
            .or_else(|| self.hold_start(&record, &history));
        let tenure = self.placement.tenure(&record.workflow_id).unwrap_or(0);
        Execution {
            held,
            metrics: self.metrics.run(&record.workflow_type),
            host: self.clone(),
            record,
            module,
            history,
            state,
            size_bytes,
            tx,
            rx,
            timers: Default::default(),
            activities: Default::default(),
            locals: Default::default(),
            cancelled_locals: Default::default(),
            children: Default::default(),
            aside: Default::default(),
            deferred: None,
            pending_writes: Vec::new(),
            started,
            carried: Vec::new(),
            held_updates: Vec::new(),
            jobs: Vec::new(),
            events: Vec::new(),
            fired: Vec::new(),
            guards: Vec::new(),
            retry: None,
            signal_acks: Vec::new(),
            updates,
            queries: Vec::new(),
            cancel_requested,
            terminate: None,
            continued_to: None,
            upgrades: Vec::new(),
            reset: None,
            deadline,
            flushes: Vec::new(),
            resting: false,
            effects_sent: None,
            requests_taken: Default::default(),
            steering: Vec::new(),
            steering_waits: Vec::new(),
            tenure,
        }
    }

    pub(in crate::runtime) fn spawn(&self, execution: Execution) {
        self.actors
            .lock()
            .unwrap()
            .insert(execution.record.run_id.clone(), execution.tx.clone());
        self.workflows.spawn(execution.run());
    }

    /// Send `message` to the actor of `run_id`, waking a resting run; false when the
    /// run is not open on this host.
    pub(crate) fn send(self: &Arc<Self>, run_id: &str, message: Message) -> bool {
        self.deliver(run_id, message).is_ok()
    }

    /// A run's history, read and decoded.
    pub(crate) fn read_history(&self, record: &RunRecord) -> Result<History, QueryError> {
        let events = self.inspector().history_of(record)?;
        Ok(History::new(events))
    }

    fn forget(&self, record: &RunRecord) {
        self.actors.lock().unwrap().remove(&record.run_id);
        let mut open = self.open.lock().unwrap();
        if open
            .get(&record.workflow_id)
            .is_some_and(|h| h.run_id == record.run_id)
        {
            open.remove(&record.workflow_id);
        }
    }
}

/// A weft host: runs workflow executions durably.
#[derive(Clone)]
pub struct Host {
    inner: Arc<HostInner>,
    /// Held by the handles only (not by the actors), so the workflow threads stop when
    /// the last handle goes.
    _threads: Arc<workers::WorkflowThreads>,
}

/// A handle on a host that does not keep it up: for activities that call their own
/// host (signal a workflow, start one), which would otherwise keep it alive forever
/// through its own activity registry.
#[derive(Clone)]
pub struct WeakHost {
    inner: std::sync::Weak<HostInner>,
    threads: std::sync::Weak<workers::WorkflowThreads>,
}

impl WeakHost {
    /// The host, if it is still up.
    pub fn upgrade(&self) -> Option<Host> {
        Some(Host {
            inner: self.inner.upgrade()?,
            _threads: self.threads.upgrade()?,
        })
    }
}

impl Host {
    /// Open a host on the redb database of `config.data_dir` (or in memory) and resume
    /// every run that was open when it last stopped.
    pub async fn open(config: HostConfig, activities: ActivityRegistry) -> Result<Host, OpenError> {
        let storage = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| OpenError::DataDir {
                    path: dir.display().to_string(),
                    source,
                })?;
                RedbStorage::open_with_cache(&dir.join("weft.redb"), config.storage_cache_bytes)?
            }
            None => RedbStorage::in_memory()?,
        };
        Host::open_with_storage(config, Arc::new(storage), activities).await
    }

    /// Open a host on any [`Storage`] (`config.data_dir` then only holds caches) and
    /// resume every run that was open when it last stopped.
    pub async fn open_with_storage(
        config: HostConfig,
        storage: Arc<dyn Storage>,
        activities: ActivityRegistry,
    ) -> Result<Host, OpenError> {
        let engine = match &config.shared_engine {
            Some(engine) => engine.clone(),
            None => {
                Engine::new(config.engine.clone()).map_err(|e| OpenError::Engine(e.to_string()))?
            }
        };
        let timers = Arc::new(Timers::default());
        let threads = workers::WorkflowThreads::start(&config.executor)
            .map_err(|e| OpenError::Engine(format!("cannot start the workflow threads: {e}")))?;
        let metrics = Metrics::new();
        engine.serve_metrics(metrics.custom.clone());
        storage.observe_commits(Arc::new(metrics.clone()));
        let host = Host {
            _threads: threads.clone(),
            inner: Arc::new(HostInner {
                engine,
                storage,
                pools: ActivityPools::from_config(&config, &activities),
                flow: crate::flow::WorkflowLimits::new(&config.workflow_limits),
                gates: start_gates::StartGates::new(crate::flow::StartRates::new(
                    &config.start_rates,
                )),
                activities,
                cache: InstanceCache::new(config.cache_size, metrics.cache_evictions.clone()),
                clock: config.clock.clone(),
                codec: config.codec.clone(),
                sensitive_fields: config.sensitive_fields.clone(),
                metrics,
                timers: timers.clone(),
                placement: config.placement.clone(),
                remote: config.remote.clone(),
                open: Mutex::new(HashMap::new()),
                actors: Mutex::new(HashMap::new()),
                actor_cache_size: config.actor_cache_size,
                workflows: threads.handle(),
                waiters: Mutex::new(HashMap::new()),
                shutdown: tokio::sync::watch::Sender::new(false),
                threads: Arc::downgrade(&threads),
                versions: Mutex::new(Vec::new()),
                modules: Mutex::new(HashMap::new()),
                deploy_lock: tokio::sync::Mutex::new(()),
                start_requests: Default::default(),
                entropy: config.entropy.clone(),
            }),
        };
        *host.inner.versions.lock().unwrap() = host.inner.storage.module_versions()?;
        // Resuming holds the clock: a virtual one must not skip before every run is back.
        let resuming = host.inner.clock.busy();
        tokio::spawn(timers::serve(
            Arc::downgrade(&host.inner),
            config.clock.clone(),
            timers,
        ));
        for rate in &config.start_rates {
            host.inner.metrics.starts.rated(rate.workflow_type());
        }
        host.recover_limits(&config.workflow_limits, &config.start_rates)?;
        host.resume(resuming).await?;
        if let Some(retention) = config.retention.clone() {
            host.start_retention(retention);
        }
        Ok(host)
    }

    /// A handle that does not keep the host up (see [`WeakHost`]).
    pub fn downgrade(&self) -> WeakHost {
        WeakHost {
            inner: Arc::downgrade(&self.inner),
            threads: Arc::downgrade(&self._threads),
        }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.inner.engine
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// The storage I/O error that stopped this host, if one did. A failed host refuses
    /// every request; restarting it resumes from what is durable.
    pub fn failure(&self) -> Option<String> {
        self.inner.failure()
    }

    /// Wait until the host fails (a storage I/O error), returning the error; never
    /// returns on a healthy host.
    pub async fn failed(&self) -> String {
        loop {
            if let Some(error) = self.failure() {
                return error;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Where the host's run ids and seeds come from.
    pub(crate) fn entropy(&self) -> &Entropy {
        &self.inner.entropy
    }

    /// The payload codec the host stores with.
    pub fn codec(&self) -> &PayloadCodec {
        &self.inner.codec
    }

    /// The fields this host masks wherever it displays a payload (see
    /// [`crate::masking`]).
    pub fn sensitive_fields(&self) -> &crate::masking::SensitiveFields {
        &self.inner.sensitive_fields
    }

    /// The clock the host reads.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    fn module_by_digest(&self, digest: &str) -> Result<Arc<Module>, String> {
        self.inner.module_by_digest(digest)
    }

    fn execution(
        &self,
        record: RunRecord,
        module: Arc<Module>,
        history: History,
        started: Option<oneshot::Sender<Result<(), StartError>>>,
    ) -> Execution {
        self.inner.execution(record, module, history, started)
    }

    fn spawn(&self, execution: Execution) {
        self.inner.spawn(execution)
    }

    /// Wait for a run to close and return how it ended.
    pub async fn wait(&self, run_id: &str) -> Result<Outcome, QueryError> {
        self.inner.wait(run_id).await
    }

    /// A receiver told how an open run ends, which does not keep the host up while it
    /// waits; `None` when the run is closed already.
    pub fn on_close(&self, run_id: &str) -> Result<Option<oneshot::Receiver<Outcome>>, QueryError> {
        self.inner.on_close(run_id)
    }

    /// Read runs and histories.
    pub fn inspect(&self) -> Inspector {
        self.inner.inspector()
    }

    /// How many activities run and wait for a slot, overall and by task queue.
    pub fn activity_load(&self) -> crate::activities::ActivityLoad {
        self.inner.pools.load()
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, QueryError> {
        self.inspect().runs()
    }

    /// A run by run id, or the latest run of a workflow id.
    pub fn find_run(&self, id: &str) -> Result<RunRecord, QueryError> {
        self.inspect().find_run(id)
    }

    /// A run's history.
    pub fn history(&self, run_id: &str) -> Result<Vec<Event>, QueryError> {
        self.inspect().history(run_id)
    }

    /// At most `limit` runs passing `filter`, newest first, from the run indexes.
    pub fn list_runs(
        &self,
        filter: &crate::storage::RunFilter,
        limit: usize,
    ) -> Result<Vec<RunRecord>, QueryError> {
        self.inspect().list_runs(filter, limit)
    }

    /// How a run ended, `None` while it is open.
    pub fn outcome(&self, run: &RunRecord) -> Result<Option<Outcome>, QueryError> {
        self.inspect().outcome(run)
    }

    /// Every deployed module version, oldest first.
    pub fn module_versions(&self) -> Vec<ModuleVersion> {
        self.inner.versions.lock().unwrap().clone()
    }

    /// The compiled module with this digest.
    pub fn module(&self, digest: &str) -> Result<Arc<Module>, String> {
        self.module_by_digest(digest)
    }

    /// Number of open runs.
    pub fn open_runs(&self) -> usize {
        self.inner.open.lock().unwrap().len()
    }

    /// This host's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Every metric in the Prometheus text exposition format (see [`crate::metrics`]).
    pub fn render_metrics(&self) -> String {
        for (workflow_type, n) in self.inner.flow.pending_by_type() {
            self.inner.metrics.pending_starts(&workflow_type, n);
        }
        let pools = &self.inner.pools;
        (self.inner.metrics).activities_waiting(&pools.waits_by_step(), &pools.key_load());
        let (debounce, start_rate) = self.inner.gates.waiting();
        let waiting = &self.inner.metrics.starts.waiting;
        waiting
            .with_label_values(&["debounce"])
            .set(debounce as i64);
        waiting
            .with_label_values(&["start_rate"])
            .set(start_rate as i64);
        self.inner
            .metrics
            .render(self.open_runs(), self.inner.cache.len())
    }
}

/// Decode a run's stored chunks in the format its record names.
pub(crate) fn decode_history(
    record: &RunRecord,
    chunks: Vec<crate::storage::HistoryChunk>,
) -> Result<Vec<Event>, DecodeError> {
    let chunks = chunks.into_iter().map(|c| Chunk {
        first_index: c.first_index,
        bytes: c.bytes,
    });
    decode_chunks(&record.run_id, record.format_version, chunks)
}

//! How a host is set up.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use super::clock::{system_now_ms, Clock};
use crate::activities::TaskQueueConfig;
use crate::engine::EngineConfig;
use crate::flow::{ConcurrencyLimit, RateLimit, StartRate, WorkflowLimit};
use crate::payload_codec::PayloadCodec;
use crate::storage::DEFAULT_STORAGE_CACHE_BYTES;

/// Workflow instances a host keeps between tasks by default. A cached instance of a
/// small Rust workflow holds about 140 KB; 500 of them keep a host with 100,000 open
/// runs under 256 MB (see docs/measurements.md).
pub const DEFAULT_INSTANCE_CACHE_SIZE: usize = 500;

/// Live actors a host keeps by default (see [`HostConfig::actor_cache_size`]).
pub const DEFAULT_ACTOR_CACHE_SIZE: usize = 1000;

/// How to set a host up.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Folder for the database and caches; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    pub engine: EngineConfig,
    /// Most instances kept alive between tasks.
    pub cache_size: usize,
    /// Most live actors: past it, an open run that only waits (on timers or messages)
    /// rests, holding no actor and no decoded history until something arrives for it.
    pub actor_cache_size: usize,
    /// Most bytes of database pages kept in memory (see
    /// [`crate::storage::DEFAULT_STORAGE_CACHE_BYTES`]).
    pub storage_cache_bytes: usize,
    /// Where the host reads the time: the system clock, or a virtual one in tests.
    pub clock: Clock,
    /// Most activity attempts running at once, over all task queues; `None`: no limit.
    pub max_concurrent_activities: Option<NonZeroUsize>,
    /// Task queues served besides the default one and those activities are registered
    /// on, each with its own limit (see [`crate::activities::ActivityPools`]).
    pub task_queues: Vec<TaskQueueConfig>,
    /// At most N runs of a workflow type running at once; starts past it are pending
    /// (see [`crate::flow::WorkflowLimits`]).
    pub workflow_limits: Vec<WorkflowLimit>,
    /// At most N activity attempts of a task queue, an activity type or a concurrency
    /// key starting per period (see [`crate::flow::Bucket`]).
    pub rate_limits: Vec<RateLimit>,
    /// At most N attempts of activities with a concurrency key at once
    /// (`--concurrency-limit KEY=N`, see [`crate::flow::KeySlots`]).
    pub concurrency_limits: Vec<ConcurrencyLimit>,
    /// At most N starts of a workflow type per period; past it a start is refused or
    /// pending until its token (see [`crate::flow::StartRates`]).
    pub start_rates: Vec<StartRate>,
    /// How payloads are stored: as they are ([`PayloadCodec::none`]), or encrypted and
    /// compressed with the keys of a key file (see [`crate::payload_codec`]).
    pub codec: PayloadCodec,
    /// Remove closed runs older than this in the background, archiving them first
    /// when it names an archive (see [`super::Retention`]); `None`: keep every run.
    pub retention: Option<super::Retention>,
    /// The fields masked wherever a payload is displayed: the default names, plus
    /// those the server is given (see [`crate::masking`]).
    pub sensitive_fields: crate::masking::SensitiveFields,
    /// The runs this host serves: every one, or (in a cluster) the shards it holds.
    pub placement: std::sync::Arc<crate::placement::Placement>,
    /// How requests for runs another host serves reach it (a cluster's server sets it).
    pub remote: Option<std::sync::Arc<dyn super::Remote>>,
    /// Where run ids and seeds come from: the system (the default) or a seeded
    /// stream, for a simulator that must run the same way twice.
    pub entropy: super::Entropy,
    /// Where actors and activities run: threads of the host's own (the default), or
    /// the caller's runtime (a simulator's single thread).
    pub executor: super::Executor,
    /// An engine to share instead of a new one per host: a simulator reopening hosts
    /// many times compiles and reserves its instance pool once.
    pub shared_engine: Option<std::sync::Arc<crate::engine::Engine>>,
}

impl HostConfig {
    /// A host on the data folder `dir` with default limits.
    pub fn on_disk(dir: impl Into<PathBuf>) -> HostConfig {
        let dir = dir.into();
        let engine = EngineConfig {
            cache_dir: Some(dir.join("compiled")),
            ..EngineConfig::default()
        };
        HostConfig::with_defaults(Some(dir), engine)
    }

    /// [`HostConfig::on_disk`] with the clock `WEFT_VIRTUAL_CLOCK=1` asks for: a virtual
    /// clock that starts at the system time and skips ahead whenever the host is idle.
    /// It lets end-to-end tests of real processes run timers without waiting for them;
    /// never set it in production.
    pub fn on_disk_from_env(dir: impl Into<PathBuf>) -> HostConfig {
        let mut config = HostConfig::on_disk(dir);
        if std::env::var("WEFT_VIRTUAL_CLOCK").is_ok_and(|v| v == "1") {
            tracing::warn!("WEFT_VIRTUAL_CLOCK=1: this host runs on a virtual clock that skips ahead when idle");
            config.clock = Clock::virtual_at(system_now_ms(), true);
        }
        config
    }

    /// A host that keeps nothing on disk.
    pub fn in_memory() -> HostConfig {
        HostConfig::with_defaults(None, EngineConfig::default())
    }

    /// The defaults of every other field.
    fn with_defaults(data_dir: Option<PathBuf>, engine: EngineConfig) -> HostConfig {
        HostConfig {
            data_dir,
            engine,
            cache_size: DEFAULT_INSTANCE_CACHE_SIZE,
            actor_cache_size: DEFAULT_ACTOR_CACHE_SIZE,
            storage_cache_bytes: DEFAULT_STORAGE_CACHE_BYTES,
            clock: Clock::system(),
            max_concurrent_activities: None,
            task_queues: Vec::new(),
            workflow_limits: Vec::new(),
            rate_limits: Vec::new(),
            concurrency_limits: Vec::new(),
            start_rates: Vec::new(),
            codec: PayloadCodec::none(),
            retention: None,
            sensitive_fields: crate::masking::SensitiveFields::default(),
            placement: std::sync::Arc::new(crate::placement::Placement::whole()),
            remote: None,
            entropy: super::Entropy::system(),
            executor: super::Executor::default(),
            shared_engine: None,
        }
    }
}

//! A test environment for workflows, in the spirit of Temporal's time-skipping test
//! server: an embedded host on in-memory storage whose virtual clock jumps to the next
//! due timer, retry backoff or timeout whenever every execution is waiting on time, with
//! activities mockable by name. A workflow that sleeps 30 days completes in
//! milliseconds, and its history is a real one that replays.
//!
//! ```no_run
//! use serde_json::json;
//! use weft_runtime::testing::TestEnv;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let env = TestEnv::builder()
//!     .mock_activity("greet", |name: String| Ok(format!("Hi, {name}!")))
//!     .start()
//!     .await?;
//! env.deploy(std::fs::read("timer.component.wasm")?, "timer").await?;
//! let (_run, outcome) = env.execute("timer", json!({"seconds": 30 * 86_400})).await?;
//! assert!(matches!(outcome, weft_runtime::history::Outcome::Completed(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # });
//! ```

use std::future::Future;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::activities::{ActivityContext, ActivityError, ActivityRegistry, TaskQueueConfig};
use crate::history::{Outcome, Payload};
use crate::payload_codec::PayloadCodec;
use crate::runtime::{
    Clock, Host, HostConfig, RunHandle, StartRequest, UpdateOutcome, UpdateRequest, UpdateStage,
};
use crate::storage::{ModuleVersion, Storage};

/// 2030-01-01T00:00:00Z: where a test environment's clock starts unless told otherwise.
pub const DEFAULT_START_MS: u64 = 1_893_456_000_000;

/// Sets up a [`TestEnv`].
pub struct TestEnvBuilder {
    compiled_cache: Option<PathBuf>,
    activities: ActivityRegistry,
    start_ms: u64,
    auto_skip: bool,
    data_dir: Option<PathBuf>,
    storage: Option<Arc<dyn Storage>>,
    cache_size: Option<usize>,
    actor_cache_size: Option<usize>,
    max_concurrent_activities: Option<NonZeroUsize>,
    task_queues: Vec<TaskQueueConfig>,
    workflow_limits: Vec<crate::flow::WorkflowLimit>,
    rate_limits: Vec<crate::flow::RateLimit>,
    concurrency_limits: Vec<crate::flow::ConcurrencyLimit>,
    start_rates: Vec<crate::flow::StartRate>,
    codec: PayloadCodec,
}

impl TestEnvBuilder {
    /// Keep at most `n` live actors; 0 lets every run rest (drop its actor and decoded
    /// history) whenever it only waits, so each timer or message wakes it from storage.
    pub fn actor_cache_size(mut self, n: usize) -> Self {
        self.actor_cache_size = Some(n);
        self
    }

    /// Keep at most `n` live instances; 0 rebuilds every task's instance by replaying
    /// its history (a thorough test that a workflow replays).
    pub fn cache_size(mut self, n: usize) -> Self {
        self.cache_size = Some(n);
        self
    }

    /// Keep compiled components in `dir` (shared by environments, and across runs): a
    /// component is compiled once, not once per environment.
    pub fn compiled_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.compiled_cache = Some(dir.into());
        self
    }

    /// Run at most `n` activity attempts at once, over all task queues (as
    /// `weft server --max-concurrent-activities`).
    ///
    /// # Panics
    /// If `n` is 0, which would never run an activity.
    pub fn max_concurrent_activities(mut self, n: usize) -> Self {
        let n =
            NonZeroUsize::new(n).expect("max_concurrent_activities(0) would never run an activity");
        self.max_concurrent_activities = Some(n);
        self
    }

    /// Serve task queue `name`, running at most `limit` of its activities at once
    /// (`None`: no limit of its own), as `weft server --task-queue NAME[=LIMIT]`. A
    /// queue declared again keeps its last limit.
    ///
    /// # Panics
    /// If `name` is empty or has spaces, or `limit` is `Some(0)`.
    pub fn task_queue(mut self, name: &str, limit: Option<usize>) -> Self {
        let queue = TaskQueueConfig::new(name, limit).unwrap_or_else(|e| panic!("{e}"));
        self.task_queues.push(queue);
        self
    }

    /// At most `limit` runs of `workflow_type` running at once, as `weft server
    /// --workflow-limit TYPE=N`: further starts are pending until one closes.
    ///
    /// # Panics
    /// If `limit` is 0.
    pub fn workflow_limit(mut self, workflow_type: &str, limit: usize) -> Self {
        let limit = format!("{workflow_type}={limit}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        self.workflow_limits.push(limit);
        self
    }

    /// At most `rate` attempts of a task queue (or an activity type, a concurrency key)
    /// starting per period, as `weft server --rate [type:|key:]NAME=N/s`:
    /// `.rate("default=2/s")`, `.rate("type:charge=1/s")`, timed on the test's clock.
    ///
    /// # Panics
    /// If `rate` does not parse.
    pub fn rate(mut self, rate: &str) -> Self {
        self.rate_limits
            .push(rate.parse().unwrap_or_else(|e| panic!("{e}")));
        self
    }

    /// At most `limit` attempts of activities with concurrency key `key` at once, as
    /// `weft server --concurrency-limit KEY=N`.
    ///
    /// # Panics
    /// If `limit` is 0.
    pub fn concurrency_limit(mut self, key: &str, limit: usize) -> Self {
        let limit = format!("{key}={limit}")
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        self.concurrency_limits.push(limit);
        self
    }

    /// At most N starts of a workflow type per period, as `weft server --start-rate
    /// TYPE=N/s[,refuse|delay]`: `.start_rate("report=2/s")`, timed on the test's clock.
    ///
    /// # Panics
    /// If `rate` does not parse.
    pub fn start_rate(mut self, rate: &str) -> Self {
        self.start_rates
            .push(rate.parse().unwrap_or_else(|e| panic!("{e}")));
        self
    }

    /// Use these activity implementations (mocks registered later replace them by name).
    ///
    /// The registry is shared, not copied: activities registered through a clone kept
    /// by the test reach the running host, and mocks registered here reach that clone.
    pub fn activities(mut self, registry: ActivityRegistry) -> Self {
        self.activities = registry;
        self
    }

    /// Answer the activity `name` with `f` (a closure per activity type), in place of
    /// any implementation registered under that name.
    pub fn mock_activity<I, O, F>(mut self, name: &str, f: F) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + Send + 'static,
        F: Fn(I) -> Result<O, ActivityError> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        self.activities.register_fn(name, move |_ctx, input: I| {
            let result = f(input);
            async move { result }
        });
        self
    }

    /// Answer the activity `name` with `f`, which gets each attempt's context as a real
    /// activity does: `ctx.attempt` (a mock can fail its first attempts), heartbeats and
    /// the details an earlier attempt left, cancellation (`ctx.cancelled()`), and the
    /// environment's clock (`ctx.now_ms()`, `ctx.sleep(..)`: virtual time).
    ///
    /// ```no_run
    /// # use weft_runtime::testing::TestEnv;
    /// # use weft_runtime::ActivityError;
    /// let builder = TestEnv::builder().mock_activity_with_context("greet", |ctx, name: String| async move {
    ///     if ctx.attempt < 3 {
    ///         return Err(ActivityError::retryable("not yet"));
    ///     }
    ///     ctx.heartbeat(&"greeting")?;
    ///     Ok(format!("Hello, {name}, at {} ms", ctx.now_ms()))
    /// });
    /// ```
    pub fn mock_activity_with_context<I, O, F, Fut>(mut self, name: &str, f: F) -> Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + 'static,
        F: Fn(ActivityContext, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ActivityError>> + Send + 'static,
    {
        self.activities.register_fn(name, f);
        self
    }

    /// Start the clock at `start_ms` (milliseconds since the Unix epoch).
    pub fn start_at(mut self, start_ms: u64) -> Self {
        self.start_ms = start_ms;
        self
    }

    /// Do not skip time on its own; only [`TestEnv::skip`] moves the clock.
    pub fn manual_time(mut self) -> Self {
        self.auto_skip = false;
        self
    }

    /// Keep the data in this folder (a redb file) instead of in memory, e.g. to open a
    /// data folder a real host wrote.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Store payloads encoded with this codec (see [`crate::payload_codec`]).
    pub fn codec(mut self, codec: PayloadCodec) -> Self {
        self.codec = codec;
        self
    }

    /// Run on this storage (for instance one that injects faults).
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Open the host; runs open in a given data folder resume on the virtual clock.
    pub async fn start(self) -> Result<TestEnv, crate::runtime::OpenError> {
        let mut config = match &self.data_dir {
            Some(dir) => HostConfig::on_disk(dir),
            None => HostConfig::in_memory(),
        };
        let clock = Clock::virtual_at(self.start_ms, self.auto_skip);
        config.clock = clock.clone();
        if let Some(n) = self.actor_cache_size {
            config.actor_cache_size = n;
        }
        if let Some(n) = self.cache_size {
            config.cache_size = n;
        }
        config.max_concurrent_activities = self.max_concurrent_activities;
        config.task_queues = self.task_queues;
        config.workflow_limits = self.workflow_limits;
        config.rate_limits = self.rate_limits;
        config.concurrency_limits = self.concurrency_limits;
        config.start_rates = self.start_rates;
        config.codec = self.codec;
        if let Some(dir) = self.compiled_cache {
            config.engine.cache_dir = Some(dir);
        }
        let host = match self.storage {
            Some(storage) => Host::open_with_storage(config, storage, self.activities).await?,
            // The data folder's redb file, or memory, as any host opens them.
            None => Host::open(config, self.activities).await?,
        };
        Ok(TestEnv { host, clock })
    }
}

/// An embedded host on a virtual clock; see the module docs.
pub struct TestEnv {
    host: Host,
    clock: Clock,
}

/// Something a test environment could not do.
#[derive(Debug, thiserror::Error)]
pub enum TestEnvError {
    #[error(transparent)]
    Deploy(#[from] crate::runtime::DeployError),
    #[error(transparent)]
    Start(#[from] crate::runtime::StartError),
    #[error(transparent)]
    Query(#[from] crate::runtime::QueryError),
    /// A signal, query or update did not get through (or was rejected).
    #[error(transparent)]
    Message(#[from] crate::runtime::MessageError),
    /// An answer did not decode as the type asked for.
    #[error("the answer does not decode: {0}")]
    Decode(String),
}

impl TestEnv {
    /// An environment with no activities registered.
    pub fn builder() -> TestEnvBuilder {
        TestEnvBuilder {
            compiled_cache: None,
            activities: ActivityRegistry::new(),
            start_ms: DEFAULT_START_MS,
            auto_skip: true,
            data_dir: None,
            storage: None,
            cache_size: None,
            actor_cache_size: None,
            max_concurrent_activities: None,
            task_queues: Vec::new(),
            workflow_limits: Vec::new(),
            rate_limits: Vec::new(),
            concurrency_limits: Vec::new(),
            start_rates: Vec::new(),
            codec: PayloadCodec::none(),
        }
    }

    /// The host: start, wait, describe and read histories through it.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The virtual time, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Move the clock forward by `by`, firing whatever comes due.
    pub fn skip(&self, by: Duration) {
        self.clock.skip(by);
    }

    /// Deploy a component under `name`.
    pub async fn deploy(&self, bytes: Vec<u8>, name: &str) -> Result<ModuleVersion, TestEnvError> {
        Ok(self.host.deploy(bytes, name, false).await?)
    }

    /// Start `workflow_type` with a JSON `input`.
    pub async fn start(
        &self,
        workflow_type: &str,
        input: serde_json::Value,
    ) -> Result<RunHandle, TestEnvError> {
        Ok(self
            .host
            .start(StartRequest::new(workflow_type, Payload::json(&input)))
            .await?)
    }

    /// Start `workflow_type` and wait for its outcome; time skips as needed.
    pub async fn execute(
        &self,
        workflow_type: &str,
        input: serde_json::Value,
    ) -> Result<(RunHandle, Outcome), TestEnvError> {
        let run = self.start(workflow_type, input).await?;
        let outcome = self.host.wait(&run.run_id).await?;
        Ok((run, outcome))
    }

    /// Signal the open run of `id` with a JSON `input`; returns once it is durable.
    pub async fn signal(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
    ) -> Result<RunHandle, TestEnvError> {
        Ok(self.host.signal(id, name, Payload::json(&input)).await?)
    }

    /// Ask `id`'s workflow a query; its answer, decoded.
    pub async fn query<T: DeserializeOwned>(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
    ) -> Result<T, TestEnvError> {
        let answer = self.host.query(id, name, Payload::json(&input)).await?;
        serde_json::from_slice(&answer.data).map_err(|e| TestEnvError::Decode(e.to_string()))
    }

    /// Send an update and wait for its handler's result: `Ok(Err(failure))` when the
    /// handler returned an error, `Err` when it was rejected or could not be delivered.
    pub async fn update(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
    ) -> Result<Result<serde_json::Value, crate::history::Failure>, TestEnvError> {
        let request = UpdateRequest {
            update_id: None,
            name: name.to_string(),
            input: Payload::json(&input),
            wait: UpdateStage::Completed,
        };
        match self.host.update(id, request).await? {
            UpdateOutcome::Completed { result, .. } => Ok(result.map(|p| p.to_json())),
            UpdateOutcome::Accepted { .. } => unreachable!("waited for completion"),
        }
    }
}

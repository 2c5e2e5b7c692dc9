//! Task queues, and how many activities run at once on each and on the host.
//!
//! A host serves the default queue ([`DEFAULT_QUEUE`], where an activity with no task
//! queue goes), every queue declared in its config, and every queue activities are
//! registered on (see [`ActivityRegistry::on_queue`]). A declared queue may have a limit
//! of its own; the others are unlimited. The host may also have a limit over all queues
//! (`--max-concurrent-activities`).
//!
//! An attempt holds a [`Permit`] while it runs: a slot of its concurrency key (when the
//! key has a limit, `--concurrency-limit KEY=N`), one of its queue and one of the host.
//! It takes them in that order, with the tokens of the rates that apply to it (its
//! queue's, its type's, its key's) before the host's slot, so an attempt waiting for a
//! full key or queue holds no host slot, and a busy `gpu` queue never holds back the
//! default queue. Every wait goes by the attempt's [`Turn`]: priority (1 first), then
//! fairness key by weight, then first come, first served (see [`crate::flow::Line`]).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::num::NonZeroUsize;
//! use weft_runtime::activities::{ActivityPools, ActivityRegistry, TaskQueueConfig};
//!
//! let gpu: TaskQueueConfig = "gpu=1".parse().unwrap();
//! let pools = ActivityPools::new(NonZeroUsize::new(8), &[gpu], &ActivityRegistry::new());
//! let permit = pools.acquire(Some("gpu")).await.unwrap();
//! assert_eq!(pools.load().running, 1);
//! drop(permit);
//! assert!(pools.acquire(Some("tpu")).await.is_err());
//! # });
//! ```

use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use weft_model::Priority;

pub use super::queue_config::{TaskQueueConfig, TaskQueueConfigError};
use super::waits::{Stage, WaitNote, Waiter, Waiting, Waits};
use super::DEFAULT_QUEUE;
use super::{ActivityError, ActivityRegistry};
use crate::flow::{Bucket, KeySlots, RateLimit, RateScope, Slot, Slots, Turn};
use crate::runtime::clock::Clock;
use crate::runtime::HostConfig;

/// Why an activity cannot take a slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The activity is on a task queue this host does not serve. Waiting would not
    /// help (a host serves the queues it was started with, and those it registers
    /// activities on), so the runtime fails the activity for good.
    #[error(
        "task queue `{queue}` is not served by this host (it serves: {}); start the host with `--task-queue {queue}`, register activities on that queue, or schedule the activity on a served queue",
        .served.join(", ")
    )]
    UnknownQueue { queue: String, served: Vec<String> },
}

impl PoolError {
    /// The error type an activity failed by this error carries.
    pub const UNKNOWN_QUEUE_TYPE: &'static str = "weft.UnknownTaskQueue";
}

/// A non-retryable failure (`weft.UnknownTaskQueue`).
impl From<PoolError> for ActivityError {
    fn from(e: PoolError) -> ActivityError {
        ActivityError::non_retryable(e.to_string()).with_type(PoolError::UNKNOWN_QUEUE_TYPE)
    }
}

/// One task queue's slots and counts.
#[derive(Debug)]
struct Pool {
    name: String,
    limit: Option<NonZeroUsize>,
    /// `None`: no limit.
    slots: Option<Arc<Slots>>,
    running: AtomicUsize,
    waiting: AtomicUsize,
}

impl Pool {
    fn new(name: &str, limit: Option<NonZeroUsize>) -> Arc<Pool> {
        Arc::new(Pool {
            name: name.to_string(),
            limit,
            slots: limit.map(|n| Slots::new(n.get())),
            running: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
        })
    }

    fn load(&self) -> QueueLoad {
        QueueLoad {
            queue: self.name.clone(),
            limit: self.limit.map(NonZeroUsize::get),
            running: self.running.load(Ordering::Relaxed),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }
}

/// Take a slot of `slots` (none to take when unlimited), in line at `turn`.
async fn take(slots: Option<&Arc<Slots>>, turn: &Turn) -> Option<Slot> {
    Some(slots?.take(turn.clone()).await)
}

/// What one activity attempt asks for.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// `None`: the default queue.
    pub queue: Option<&'a str>,
    pub turn: Turn,
    pub activity_type: &'a str,
    pub concurrency_key: Option<&'a str>,
}

impl<'a> Ask<'a> {
    /// An attempt on `queue` at `priority`, of no type or key in particular.
    pub fn on(queue: Option<&'a str>, priority: Priority) -> Ask<'a> {
        Ask {
            queue,
            turn: Turn::at(priority),
            activity_type: "",
            concurrency_key: None,
        }
    }
}

/// Counts one waiter while it lives (a cancelled wait uncounts itself).
struct Counted(Arc<Pool>);

impl Counted {
    fn new(pool: &Arc<Pool>) -> Counted {
        pool.waiting.fetch_add(1, Ordering::Relaxed);
        Counted(pool.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The right to run one activity attempt: a slot of its queue and one of the host,
/// given back when dropped.
#[derive(Debug)]
pub struct Permit {
    pool: Arc<Pool>,
    _key_slot: Option<Slot>,
    _queue_slot: Option<Slot>,
    _host_slot: Option<Slot>,
}

impl Permit {
    /// The task queue the slot belongs to.
    pub fn queue(&self) -> &str {
        &self.pool.name
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.pool.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How busy one task queue is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueLoad {
    pub queue: String,
    /// Most activities of this queue running at once; `None`: no limit of its own.
    pub limit: Option<usize>,
    /// Activities holding a slot.
    pub running: usize,
    /// Activities waiting for a slot (of the queue or of the host).
    pub waiting: usize,
}

/// How busy the host's activities are, overall and by task queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityLoad {
    /// Most activities running at once on the host; `None`: no limit.
    pub limit: Option<usize>,
    pub running: usize,
    pub waiting: usize,
    /// Every served queue (and any other with activities still running), by name.
    pub queues: Vec<QueueLoad>,
}

/// The task queues a host serves and its concurrency limits; see the module docs.
/// Cloning is cheap and shares the slots.
#[derive(Clone)]
pub struct ActivityPools {
    inner: Arc<PoolsInner>,
}

struct PoolsInner {
    /// Rate limits by what they limit (`--rate [queue:|type:|key:]NAME=N/s`), timed on
    /// `clock`.
    rates: HashMap<(RateScope, String), (RateLimit, Bucket)>,
    /// Concurrency limits by key (`--concurrency-limit KEY=N`).
    keys: KeySlots,
    clock: Clock,
    /// The attempts that did not get their slots at once, for `describe`.
    waits: Arc<Waits>,
    host_limit: Option<NonZeroUsize>,
    host_slots: Option<Arc<Slots>>,
    /// The default queue and the declared queues; fixed once the host opened.
    declared: HashMap<String, Arc<Pool>>,
    /// Queues served because activities are registered on them, made on first use.
    registered: Mutex<HashMap<String, Arc<Pool>>>,
    registry: ActivityRegistry,
}

impl ActivityPools {
    /// Pools for a host running at most `max_concurrent` activities at once (`None`: no
    /// limit), serving the default queue, `queues`, and the queues `registry` has (or
    /// later gets) registrations on. A queue declared twice keeps its last limit;
    /// declaring [`DEFAULT_QUEUE`] sets the default queue's limit.
    pub fn new(
        max_concurrent: Option<NonZeroUsize>,
        queues: &[TaskQueueConfig],
        registry: &ActivityRegistry,
    ) -> ActivityPools {
        let mut declared = HashMap::new();
        declared.insert(DEFAULT_QUEUE.to_string(), Pool::new(DEFAULT_QUEUE, None));
        for q in queues {
            declared.insert(
                q.name().to_string(),
                Pool::new(q.name(), q.max_concurrent()),
            );
        }
        ActivityPools {
            inner: Arc::new(PoolsInner {
                rates: HashMap::new(),
                keys: KeySlots::default(),
                clock: Clock::system(),
                waits: Arc::default(),
                host_limit: max_concurrent,
                host_slots: max_concurrent.map(|n| Slots::new(n.get())),
                declared,
                registered: Mutex::new(HashMap::new()),
                registry: registry.clone(),
            }),
        }
    }

    /// The pools `config` declares (`max_concurrent_activities`, `task_queues`,
    /// `rate_limits` on its clock).
    pub fn from_config(config: &HostConfig, registry: &ActivityRegistry) -> ActivityPools {
        let mut pools = ActivityPools::new(
            config.max_concurrent_activities,
            &config.task_queues,
            registry,
        );
        let inner = Arc::get_mut(&mut pools.inner).expect("not shared yet");
        inner.clock = config.clock.clone();
        inner.keys = KeySlots::new(&config.concurrency_limits);
        for rate in &config.rate_limits {
            let scope = (rate.scope, rate.name.clone());
            inner.rates.insert(scope, (rate.clone(), Bucket::new(rate)));
        }
        pools
    }

    /// [`ActivityPools::acquire_staged`] an attempt on `queue` (`None`: the default
    /// queue) at the default priority.
    pub async fn acquire(&self, queue: Option<&str>) -> Result<Permit, PoolError> {
        let ask = Ask::on(queue, Priority::DEFAULT);
        self.acquire_staged(&ask, &Stage::default()).await
    }

    /// Wait for what `ask` needs: a slot of its concurrency key (if the key has a
    /// limit), one of its queue, the tokens of its rates, and one of the host, each in
    /// line at its turn; the permit holds the slots until dropped. Dropping the future
    /// gives up the wait (and any slot taken so far). Fails at once if the host does
    /// not serve the queue. Marks in `stage` what it waits for.
    pub async fn acquire_staged(&self, ask: &Ask<'_>, stage: &Stage) -> Result<Permit, PoolError> {
        let pool = self.pool(ask.queue.unwrap_or(DEFAULT_QUEUE))?;
        let waiting = Counted::new(&pool);
        // Narrowest first: a wait for a full key or queue must not hold a host slot.
        stage.set(Waiting::KeySlot);
        let key_slots = ask.concurrency_key.and_then(|k| self.inner.keys.of(k));
        let key_slot = take(key_slots.map(|(_, slots)| slots), &ask.turn).await;
        stage.set(Waiting::QueueSlot);
        let queue_slot = take(pool.slots.as_ref(), &ask.turn).await;
        if !self.inner.rates.is_empty() {
            self.tokens(&pool.name, ask, stage).await;
        }
        stage.set(Waiting::HostSlot);
        let host_slot = take(self.inner.host_slots.as_ref(), &ask.turn).await;
        pool.running.fetch_add(1, Ordering::Relaxed);
        drop(waiting);
        Ok(Permit {
            pool,
            _key_slot: key_slot,
            _queue_slot: queue_slot,
            _host_slot: host_slot,
        })
    }

    /// Wait for a token of each rate limit that applies to `ask` (holding its key's and
    /// queue's slots, not the host's: a rate-limited queue holds back nothing else).
    async fn tokens(&self, queue: &str, ask: &Ask<'_>, stage: &Stage) {
        let scopes = [
            (RateScope::Queue, Some(queue), Waiting::QueueToken),
            (
                RateScope::ActivityType,
                Some(ask.activity_type),
                Waiting::TypeToken,
            ),
            (RateScope::Key, ask.concurrency_key, Waiting::KeyToken),
        ];
        let clock = &self.inner.clock;
        for (scope, name, step) in scopes {
            let Some(name) = name else { continue };
            let Some((_, bucket)) = self.inner.rates.get(&(scope, name.to_string())) else {
                continue;
            };
            stage.set(step);
            while let Err(at_ms) = bucket.take(clock.now_ms()) {
                let _woke = clock.sleep_until(at_ms).await;
            }
        }
    }

    /// Note attempt `seq` of run `run_id` (`waiter`'s) as waiting at `stage` while the
    /// note lives.
    pub fn note_wait(&self, run_id: &str, seq: u32, waiter: Waiter, stage: Arc<Stage>) -> WaitNote {
        self.inner.waits.note(run_id, seq, waiter, stage)
    }

    /// How many attempts wait at each step, every step listed.
    pub fn waits_by_step(&self) -> Vec<(Waiting, usize)> {
        let counts = self.inner.waits.counts();
        Waiting::ALL
            .iter()
            .map(|w| (*w, counts.get(w).copied().unwrap_or(0)))
            .collect()
    }

    /// Every key with a concurrency limit: its limit and how many attempts wait for it.
    pub fn key_load(&self) -> Vec<(String, usize, usize)> {
        self.inner.keys.load()
    }

    /// What attempt `seq` of run `run_id` waits for, in words, while it waits for a
    /// slot or a token.
    pub fn waiting_for(&self, run_id: &str, seq: u32) -> Option<String> {
        let (waiter, step) = self.inner.waits.of(run_id, seq)?;
        let rate = |scope: RateScope, name: &str| {
            let (rate, _) = self.inner.rates.get(&(scope, name.to_string()))?;
            Some(format!(
                "waiting for a token of {}'s rate limit ({rate})",
                rate.target()
            ))
        };
        let key = waiter.key.as_deref().unwrap_or_default();
        Some(match step {
            Waiting::KeySlot => {
                let limit = self.inner.keys.of(key).map_or(0, |(n, _)| n.get());
                format!("waiting for a slot of concurrency key `{key}` (limit {limit}, all taken)")
            }
            Waiting::QueueSlot => {
                let queue = &waiter.queue;
                let limit = self.load_of(queue).and_then(|q| q.limit).unwrap_or(0);
                format!("waiting for a slot of task queue `{queue}` (limit {limit}, all taken)")
            }
            Waiting::QueueToken => rate(RateScope::Queue, &waiter.queue)?,
            Waiting::TypeToken => rate(RateScope::ActivityType, &waiter.activity_type)?,
            Waiting::KeyToken => rate(RateScope::Key, key)?,
            Waiting::HostSlot => format!(
                "waiting for a slot of the host (--max-concurrent-activities {}, all taken)",
                self.inner.host_limit.map_or(0, NonZeroUsize::get)
            ),
        })
    }

    /// Whether the host serves `queue` now.
    pub fn serves(&self, queue: &str) -> bool {
        self.inner.declared.contains_key(queue) || self.inner.registry.has_queue(queue)
    }

    /// The queues the host serves now, sorted.
    pub fn served(&self) -> Vec<String> {
        let mut served: BTreeSet<String> = self.inner.declared.keys().cloned().collect();
        served.extend(self.inner.registry.queues());
        served.into_iter().collect()
    }

    /// How many activities run and wait, overall and by queue.
    pub fn load(&self) -> ActivityLoad {
        let registered = self.inner.registered.lock().unwrap();
        let mut queues: Vec<QueueLoad> = self
            .served()
            .into_iter()
            .map(|name| match self.known(&name, &registered) {
                Some(pool) => pool.load(),
                None => Pool::new(&name, None).load(),
            })
            .collect();
        // A queue whose registrations were removed while its activities still run.
        for pool in registered.values() {
            let load = pool.load();
            let busy = load.running + load.waiting > 0;
            if busy && !queues.iter().any(|q| q.queue == load.queue) {
                queues.push(load);
            }
        }
        queues.sort_by(|a, b| a.queue.cmp(&b.queue));
        ActivityLoad {
            limit: self.inner.host_limit.map(NonZeroUsize::get),
            running: queues.iter().map(|q| q.running).sum(),
            waiting: queues.iter().map(|q| q.waiting).sum(),
            queues,
        }
    }

    /// How many activities run and wait on `queue`; `None` if it is not served and
    /// has nothing running.
    pub fn load_of(&self, queue: &str) -> Option<QueueLoad> {
        self.load().queues.into_iter().find(|q| q.queue == queue)
    }

    fn known(&self, queue: &str, registered: &HashMap<String, Arc<Pool>>) -> Option<Arc<Pool>> {
        let declared = self.inner.declared.get(queue);
        declared.or_else(|| registered.get(queue)).cloned()
    }

    /// The pool of `queue`, made on first use for a queue served by registrations.
    fn pool(&self, queue: &str) -> Result<Arc<Pool>, PoolError> {
        if let Some(pool) = self.inner.declared.get(queue) {
            return Ok(pool.clone());
        }
        if !self.inner.registry.has_queue(queue) {
            return Err(PoolError::UnknownQueue {
                queue: queue.to_string(),
                served: self.served(),
            });
        }
        let mut registered = self.inner.registered.lock().unwrap();
        let pool = registered
            .entry(queue.to_string())
            .or_insert_with(|| Pool::new(queue, None));
        Ok(pool.clone())
    }
}

#[cfg(test)]
#[path = "pools_tests.rs"]
mod tests;

//! The activities a host can run, by name and task queue.
//!
//! An [`ActivityRegistry`] is a shared handle: its clones see the same registrations,
//! so a registry kept after the host opened adds (and removes) activities while the
//! host runs; the next attempt that looks a name up sees the change.
//!
//! # Which implementation runs
//!
//! An activity of type `T` scheduled on task queue `Q` runs the first of:
//!
//! | step | looked up                                   |
//! |------|---------------------------------------------|
//! | 1    | `Q`'s handler named `T`                     |
//! | 2    | `Q`'s dynamic handler                       |
//! | 3    | the default queue's handler named `T`       |
//! | 4    | the default queue's dynamic handler         |
//! | —    | none: the attempt fails non-retryably with `weft.UnknownActivity` |
//!
//! So a named queue is a layer over the default queue: it adds or overrides what it
//! registers and sees everything else. An activity with no task queue is on the default
//! queue ([`DEFAULT_QUEUE`]), where steps 1–2 and 3–4 are the same.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ActivityContext, ActivityError, ActivityType};
use crate::history::Payload;

/// The name of the queue an activity with no task queue is on.
pub const DEFAULT_QUEUE: &str = "default";

pub(crate) type ActivityFuture =
    Pin<Box<dyn Future<Output = Result<Payload, ActivityError>> + Send>>;
type ActivityFn = Arc<dyn Fn(ActivityContext, Payload) -> ActivityFuture + Send + Sync>;

/// What one task queue has registered.
#[derive(Default)]
struct QueueEntries {
    by_name: HashMap<String, ActivityFn>,
    dynamic: Option<ActivityFn>,
}

impl QueueEntries {
    fn is_empty(&self) -> bool {
        self.by_name.is_empty() && self.dynamic.is_none()
    }
}

/// The activities a host can run, by task queue and name; see the module docs.
///
/// Cloning is cheap and shares: an activity registered through any clone, before or
/// after the host opened, is seen by all of them.
#[derive(Clone, Default)]
pub struct ActivityRegistry {
    queues: Arc<RwLock<HashMap<String, QueueEntries>>>,
}

/// The registrations of one task queue, from [`ActivityRegistry::on_queue`]; it shares
/// the registry it came from.
pub struct QueueActivities {
    registry: ActivityRegistry,
    queue: String,
}

impl ActivityRegistry {
    pub fn new() -> ActivityRegistry {
        ActivityRegistry::default()
    }

    /// Register activities on task queue `queue` (which the host then serves):
    /// `registry.on_queue("gpu").register(Embed, embed)`.
    pub fn on_queue(&self, queue: &str) -> QueueActivities {
        QueueActivities {
            registry: self.clone(),
            queue: queue.to_string(),
        }
    }

    /// Register the implementation of a typed activity declared with [`ActivityType`],
    /// on the default queue.
    pub fn register<A, F, Fut>(&mut self, activity: A, f: F) -> &mut Self
    where
        A: ActivityType,
        F: Fn(ActivityContext, A::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Output, ActivityError>> + Send + 'static,
    {
        self.on_queue(DEFAULT_QUEUE).register(activity, f);
        self
    }

    /// Register an activity by name with serde input and output, on the default queue.
    pub fn register_fn<I, O, F, Fut>(&mut self, name: &str, f: F) -> &mut Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + 'static,
        F: Fn(ActivityContext, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ActivityError>> + Send + 'static,
    {
        self.on_queue(DEFAULT_QUEUE).register_fn(name, f);
        self
    }

    /// Answer every activity no handler is registered for (see the module docs for
    /// the order), with its raw input; the name is `ctx.activity_type`. Replaces an
    /// earlier dynamic handler of the default queue.
    pub fn register_dynamic<F, Fut>(&mut self, f: F) -> &mut Self
    where
        F: Fn(ActivityContext, Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, ActivityError>> + Send + 'static,
    {
        self.on_queue(DEFAULT_QUEUE).register_dynamic(f);
        self
    }

    /// Remove the default queue's handler named `name`; false if there was none.
    /// Attempts already running finish.
    pub fn remove(&mut self, name: &str) -> bool {
        self.on_queue(DEFAULT_QUEUE).remove(name)
    }

    /// Remove the default queue's dynamic handler; false if there was none.
    pub fn remove_dynamic(&mut self) -> bool {
        self.on_queue(DEFAULT_QUEUE).remove_dynamic()
    }

    /// Whether a handler named `name` is registered on the default queue (a dynamic
    /// handler, which takes any name, does not count).
    pub fn contains(&self, name: &str) -> bool {
        self.contains_on(DEFAULT_QUEUE, name)
    }

    /// Whether an activity `name` on task queue `queue` finds a handler by that name,
    /// on the queue or the default queue (dynamic handlers do not count).
    pub fn contains_on(&self, queue: &str, name: &str) -> bool {
        let queues = self.queues.read().unwrap();
        [queue, DEFAULT_QUEUE]
            .iter()
            .any(|q| queues.get(*q).is_some_and(|e| e.by_name.contains_key(name)))
    }

    /// Names of the activities registered on the default queue, sorted.
    pub fn names(&self) -> Vec<String> {
        self.names_on(DEFAULT_QUEUE)
    }

    /// Names an activity on `queue` finds a handler for (its own and the default
    /// queue's), sorted.
    pub fn names_on(&self, queue: &str) -> Vec<String> {
        let queues = self.queues.read().unwrap();
        let mut names: Vec<String> = [queue, DEFAULT_QUEUE]
            .iter()
            .filter_map(|q| queues.get(*q))
            .flat_map(|e| e.by_name.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The task queues with at least one registration (named or dynamic), sorted.
    pub fn queues(&self) -> Vec<String> {
        let queues = self.queues.read().unwrap();
        let mut names: Vec<String> = queues
            .iter()
            .filter(|(_, e)| !e.is_empty())
            .map(|(q, _)| q.clone())
            .collect();
        names.sort();
        names
    }

    /// Whether `queue` has at least one registration.
    pub fn has_queue(&self, queue: &str) -> bool {
        let queues = self.queues.read().unwrap();
        queues.get(queue).is_some_and(|e| !e.is_empty())
    }

    /// Start one attempt of an activity on the default queue.
    pub fn call(&self, ctx: ActivityContext, input: Payload) -> ActivityFuture {
        self.call_on(None, ctx, input)
    }

    /// Start one attempt of an activity on task queue `queue` (`None`: the default
    /// queue), by the lookup rule of the module docs.
    pub fn call_on(
        &self,
        queue: Option<&str>,
        ctx: ActivityContext,
        input: Payload,
    ) -> ActivityFuture {
        let queue = queue.unwrap_or(DEFAULT_QUEUE);
        // The handler is cloned out: the lock is not held while the activity runs.
        let handler = self.lookup(queue, &ctx.activity_type);
        match handler {
            Some(f) => f(ctx, input),
            None => {
                let on_queue = if queue == DEFAULT_QUEUE {
                    String::new()
                } else {
                    format!(" for task queue `{queue}`")
                };
                let message = format!(
                    "no activity named `{}` is registered on this host{on_queue} (registered: {}); \
                     register it, or add a dynamic handler with `register_dynamic`",
                    ctx.activity_type,
                    self.names_on(queue).join(", ")
                );
                Box::pin(async move {
                    Err(ActivityError::non_retryable(message).with_type("weft.UnknownActivity"))
                })
            }
        }
    }

    fn lookup(&self, queue: &str, name: &str) -> Option<ActivityFn> {
        let queues = self.queues.read().unwrap();
        let layers = [queue, DEFAULT_QUEUE];
        let entries = || layers.iter().filter_map(|q| queues.get(*q));
        entries()
            .find_map(|e| e.by_name.get(name).or(e.dynamic.as_ref()))
            .cloned()
    }

    fn insert(&self, queue: &str, name: Option<&str>, f: ActivityFn) {
        let mut queues = self.queues.write().unwrap();
        let entries = queues.entry(queue.to_string()).or_default();
        match name {
            Some(name) => {
                entries.by_name.insert(name.to_string(), f);
            }
            None => entries.dynamic = Some(f),
        }
    }
}

impl QueueActivities {
    /// The task queue these registrations go to.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Register the implementation of a typed activity declared with [`ActivityType`]
    /// on this queue.
    pub fn register<A, F, Fut>(&mut self, _activity: A, f: F) -> &mut Self
    where
        A: ActivityType,
        F: Fn(ActivityContext, A::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Output, ActivityError>> + Send + 'static,
    {
        self.register_fn::<A::Input, A::Output, F, Fut>(A::NAME, f)
    }

    /// Register an activity by name with serde input and output on this queue.
    pub fn register_fn<I, O, F, Fut>(&mut self, name: &str, f: F) -> &mut Self
    where
        I: DeserializeOwned + Send + 'static,
        O: Serialize + 'static,
        F: Fn(ActivityContext, I) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, ActivityError>> + Send + 'static,
    {
        let f = Arc::new(f);
        let name_owned = name.to_string();
        let call: ActivityFn = Arc::new(move |ctx, payload: Payload| {
            let f = f.clone();
            let name = name_owned.clone();
            Box::pin(async move {
                let input: I = serde_json::from_slice(&payload.data).map_err(|e| {
                    ActivityError::non_retryable(format!(
                        "the input of activity `{name}` does not decode: {e}"
                    ))
                    .with_type("weft.InvalidActivityInput")
                })?;
                let output = f(ctx, input).await?;
                let data = serde_json::to_vec(&output).map_err(|e| {
                    ActivityError::non_retryable(format!(
                        "the output of activity `{name}` does not encode: {e}"
                    ))
                })?;
                Ok(Payload {
                    encoding: crate::history::vocab::Encoding::Json,
                    data,
                })
            })
        });
        self.registry.insert(&self.queue, Some(name), call);
        self
    }

    /// Answer every activity on this queue that finds no handler by name here (nor,
    /// on a named queue, before the default queue's), with its raw input; see the
    /// module docs. Replaces this queue's earlier dynamic handler.
    pub fn register_dynamic<F, Fut>(&mut self, f: F) -> &mut Self
    where
        F: Fn(ActivityContext, Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, ActivityError>> + Send + 'static,
    {
        let call: ActivityFn = Arc::new(move |ctx, payload| Box::pin(f(ctx, payload)));
        self.registry.insert(&self.queue, None, call);
        self
    }

    /// Remove this queue's handler named `name`; false if there was none.
    pub fn remove(&mut self, name: &str) -> bool {
        let mut queues = self.registry.queues.write().unwrap();
        let entries = queues.get_mut(&self.queue);
        entries.is_some_and(|e| e.by_name.remove(name).is_some())
    }

    /// Remove this queue's dynamic handler; false if there was none.
    pub fn remove_dynamic(&mut self) -> bool {
        let mut queues = self.registry.queues.write().unwrap();
        let entries = queues.get_mut(&self.queue);
        entries.is_some_and(|e| e.dynamic.take().is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run(
        registry: &ActivityRegistry,
        queue: Option<&str>,
        name: &str,
    ) -> Result<String, ActivityError> {
        let ctx = ActivityContext::detached(name, 1);
        let output = registry
            .call_on(queue, ctx, Payload::json(&"in".into()))
            .await?;
        Ok(serde_json::from_slice(&output.data).unwrap())
    }

    fn answer(registry: &mut QueueActivities, name: &str, says: &'static str) {
        registry.register_fn(name, move |_ctx, _: String| async move { Ok(says) });
    }

    #[tokio::test]
    async fn an_unknown_name_fails_for_good() {
        let registry = ActivityRegistry::new();
        answer(&mut registry.on_queue(DEFAULT_QUEUE), "greet", "hi");
        let err = run(&registry, None, "nope").await.unwrap_err();
        assert!(err.non_retryable);
        assert_eq!(err.error_type, "weft.UnknownActivity");
        assert!(
            err.message.contains("no activity named `nope`"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("(registered: greet)"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn the_dynamic_handler_takes_unknown_names_with_raw_input() {
        let mut registry = ActivityRegistry::new();
        answer(&mut registry.on_queue(DEFAULT_QUEUE), "greet", "hi");
        registry.register_dynamic(|ctx, input: Payload| async move {
            let input: String = serde_json::from_slice(&input.data).unwrap();
            Ok(Payload::json(
                &format!("{} got {input}", ctx.activity_type).into(),
            ))
        });
        assert_eq!(run(&registry, None, "greet").await.unwrap(), "hi");
        assert_eq!(
            run(&registry, None, "any.thing").await.unwrap(),
            "any.thing got in"
        );
        assert!(!registry.contains("any.thing"));
        assert!(registry.remove_dynamic());
        assert!(run(&registry, None, "any.thing").await.is_err());
    }

    #[tokio::test]
    async fn a_queue_adds_to_the_default_queue() {
        let mut registry = ActivityRegistry::new();
        answer(&mut registry.on_queue(DEFAULT_QUEUE), "greet", "hi");
        answer(&mut registry.on_queue(DEFAULT_QUEUE), "embed", "cpu");
        answer(&mut registry.on_queue("gpu"), "embed", "gpu");
        assert_eq!(run(&registry, Some("gpu"), "embed").await.unwrap(), "gpu");
        assert_eq!(run(&registry, Some("gpu"), "greet").await.unwrap(), "hi");
        assert_eq!(run(&registry, None, "embed").await.unwrap(), "cpu");
        assert_eq!(
            run(&registry, Some(DEFAULT_QUEUE), "embed").await.unwrap(),
            "cpu"
        );
        assert!(registry.contains_on("gpu", "greet"));
        assert_eq!(registry.names_on("gpu"), ["embed", "greet"]);
        assert_eq!(registry.queues(), ["default", "gpu"]);
        // A queue's dynamic handler comes before the default queue's named ones.
        registry
            .on_queue("gpu")
            .register_dynamic(|_ctx, _| async { Ok(Payload::json(&"gpu any".into())) });
        assert_eq!(
            run(&registry, Some("gpu"), "greet").await.unwrap(),
            "gpu any"
        );
        assert_eq!(run(&registry, Some("gpu"), "embed").await.unwrap(), "gpu");
        // The default queue never looks at a named queue.
        assert!(run(&registry, None, "other").await.is_err());
        let err = run(&registry, Some("tpu"), "other").await.unwrap_err();
        assert!(
            err.message.contains("for task queue `tpu`"),
            "{}",
            err.message
        );
        assert!(registry.remove("embed"));
        assert!(!registry.contains("embed"));
        assert!(registry.contains_on("gpu", "embed"));
    }

    #[tokio::test]
    async fn clones_share_registrations_made_at_run_time() {
        let registry = ActivityRegistry::new();
        // What the host holds, and what a test or a plugin keeps.
        let held_by_host = registry.clone();
        let mut kept = registry;
        assert!(run(&held_by_host, None, "late").await.is_err());
        kept.register_fn("late", |_ctx, _: String| async { Ok("here") });
        assert!(held_by_host.contains("late"));
        assert_eq!(run(&held_by_host, None, "late").await.unwrap(), "here");
        assert!(kept.remove("late"));
        assert!(run(&held_by_host, None, "late").await.is_err());
    }
}

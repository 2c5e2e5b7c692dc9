//! Activities: native async Rust functions registered by name, run at least once with
//! retries and timeouts by the runtime.

mod retry;

pub use retry::{next_retry, RetryDecision};

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::history::{Failure, Payload};
use crate::runtime::{Busy, Clock};

pub use weft_sdk::ActivityType;

/// What an activity knows about the call it serves.
#[derive(Debug, Clone)]
pub struct ActivityContext {
    pub workflow_id: String,
    pub run_id: String,
    pub activity_type: String,
    /// The activity's sequence number within its run.
    pub seq: u32,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The host's clock, and this attempt's mark of work in flight.
    pub(crate) clock: Clock,
    pub(crate) busy: Arc<Mutex<Option<Busy>>>,
}

impl ActivityContext {
    /// A context for calling an activity outside a host (unit tests of activities).
    pub fn detached(activity_type: &str, attempt: u32) -> ActivityContext {
        ActivityContext {
            workflow_id: String::new(),
            run_id: String::new(),
            activity_type: activity_type.to_string(),
            seq: 0,
            attempt,
            clock: Clock::system(),
            busy: Arc::new(Mutex::new(None)),
        }
    }

    /// The host's time, in milliseconds since the Unix epoch (virtual in a test
    /// environment).
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Wait `duration` on the host's clock. In a test environment the virtual clock
    /// skips it (timeouts still apply), where `tokio::time::sleep` would take real time
    /// and hold the clock still.
    pub async fn sleep(&self, duration: std::time::Duration) {
        let held = self.busy.lock().unwrap().take().unwrap_or_else(Busy::none);
        let woke = self
            .clock
            .sleep_releasing(self.clock.after(duration), held)
            .await;
        *self.busy.lock().unwrap() = Some(woke);
    }
}

/// Why an activity attempt failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error_type}: {message}")]
pub struct ActivityError {
    pub message: String,
    /// Matched against a retry policy's non-retryable error types.
    pub error_type: String,
    /// Never retry, whatever the policy says.
    pub non_retryable: bool,
}

impl ActivityError {
    /// A failure the retry policy may retry.
    pub fn retryable(message: impl Into<String>) -> ActivityError {
        ActivityError {
            message: message.into(),
            error_type: "ActivityError".into(),
            non_retryable: false,
        }
    }

    /// A failure that is final on its first occurrence.
    pub fn non_retryable(message: impl Into<String>) -> ActivityError {
        ActivityError {
            non_retryable: true,
            ..ActivityError::retryable(message)
        }
    }

    /// Name the failure's type, for `non-retryable-error-types`.
    pub fn with_type(mut self, error_type: impl Into<String>) -> ActivityError {
        self.error_type = error_type.into();
        self
    }

    pub fn into_failure(self) -> Failure {
        Failure {
            message: self.message,
            error_type: self.error_type,
            non_retryable: self.non_retryable,
            details: None,
        }
    }
}

type ActivityFuture = Pin<Box<dyn Future<Output = Result<Payload, ActivityError>> + Send>>;
type ActivityFn = Arc<dyn Fn(ActivityContext, Payload) -> ActivityFuture + Send + Sync>;

/// The activities a host can run, by name.
#[derive(Clone, Default)]
pub struct ActivityRegistry {
    activities: HashMap<String, ActivityFn>,
}

impl ActivityRegistry {
    pub fn new() -> ActivityRegistry {
        ActivityRegistry::default()
    }

    /// Register the implementation of a typed activity declared with [`ActivityType`].
    pub fn register<A, F, Fut>(&mut self, _activity: A, f: F) -> &mut Self
    where
        A: ActivityType,
        F: Fn(ActivityContext, A::Input) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A::Output, ActivityError>> + Send + 'static,
    {
        self.register_fn::<A::Input, A::Output, F, Fut>(A::NAME, f)
    }

    /// Register an activity by name with serde input and output.
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
        self.activities.insert(name.to_string(), call);
        self
    }

    /// Names of the registered activities, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.activities.keys().cloned().collect();
        names.sort();
        names
    }

    /// Start one attempt of an activity.
    pub fn call(&self, ctx: ActivityContext, input: Payload) -> ActivityFuture {
        match self.activities.get(&ctx.activity_type) {
            Some(f) => f(ctx, input),
            None => {
                let message = format!(
                    "no activity named `{}` is registered on this host (registered: {})",
                    ctx.activity_type,
                    self.names().join(", ")
                );
                Box::pin(async move {
                    Err(ActivityError::non_retryable(message).with_type("weft.UnknownActivity"))
                })
            }
        }
    }
}

//! The activities a host can run, by name.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ActivityContext, ActivityError, ActivityType};
use crate::history::Payload;

pub(crate) type ActivityFuture =
    Pin<Box<dyn Future<Output = Result<Payload, ActivityError>> + Send>>;
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

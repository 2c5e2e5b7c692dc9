//! Activities: native async Rust functions registered by name (and task queue), run at
//! least once with retries and timeouts by the runtime, within the concurrency limits
//! of their task queue and of the host.

mod context;
mod error;
mod registry;
mod retry;

pub use context::{ActivityContext, Heartbeat, HeartbeatReport};
#[doc(hidden)]
pub use context::{Beats, Stop};
pub use error::{ActivityError, CANCELLED};
pub use registry::{ActivityRegistry, QueueActivities, DEFAULT_QUEUE};
pub use retry::{default_policy, next_retry, RetryDecision};

pub use weft_types::ActivityType;

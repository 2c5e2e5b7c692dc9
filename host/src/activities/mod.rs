//! Activities: native async Rust functions registered by name, run at least once with
//! retries and timeouts by the runtime.

mod context;
mod error;
mod registry;
mod retry;

pub use context::ActivityContext;
pub(crate) use context::{Beats, Stop};
pub use error::{ActivityError, CANCELLED};
pub use registry::ActivityRegistry;
pub use retry::{next_retry, RetryDecision};

pub use weft_sdk::ActivityType;

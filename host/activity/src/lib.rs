//! What an activity crate needs from weft, and nothing of the engine, the storage, HTTP
//! or the command line: the context an activity sees ([`ActivityContext`]), its errors
//! ([`ActivityError`]), registration by name and task queue ([`ActivityRegistry`]), the
//! host's clock ([`clock`]) and custom metrics ([`custom_metrics`]).
//!
//! The runtime (`weft-runtime`) runs what is registered here; the context reports
//! heartbeats through [`activities::HeartbeatReport`], which the runtime implements.

pub mod activities;
pub mod clock;
pub mod custom_metrics;

pub(crate) use weft_model::history;

pub use activities::{ActivityContext, ActivityError, ActivityRegistry, ActivityType};
pub use weft_model::history::{Failure, Payload};
pub use weft_types::sensitive::{Sensitive, SensitiveFields};

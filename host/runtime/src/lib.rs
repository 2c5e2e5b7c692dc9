//! weft's runtime: runs workflows compiled to WebAssembly components durably, records
//! everything they observe in a history, and replays histories.
//!
//! The rooms: [`contract`] (the WIT types), [`engine`] (wasmtime), [`history`] (the
//! model's history, and its file form), [`storage`] (redb), [`query`] (list filters),
//! [`runtime`] (executions, cache, timers), [`activities`] (the activity interface and
//! the task queues' pools), [`schedules`], [`replay`], [`metrics`] (Prometheus),
//! [`payload_codec`] (payloads encrypted and compressed at rest), [`testing`], and
//! [`bodies`] (the API's bodies, `weft-api`, made from the runtime's types).

pub mod batches;
pub mod bodies;
pub mod contract;
pub mod engine;
pub mod flow;
pub mod masking;
pub mod metrics;
pub mod payload_codec;
pub mod placement;
pub mod query;
pub mod replay;
pub mod runtime;
pub mod schedules;
pub mod storage;
pub mod testing;

/// Activities: the interface of `weft-activity`, and the task queues' pools that bound
/// how many run at once.
pub mod activities {
    pub use weft_activity::activities::*;

    mod pools;
    mod queue_config;
    mod waits;

    pub use pools::{
        ActivityLoad, ActivityPools, Ask, Permit, PoolError, QueueLoad, TaskQueueConfig,
        TaskQueueConfigError,
    };
    pub use waits::{Stage, WaitNote, Waiter, Waiting};
}

/// An execution's history: the model's (`weft-model`), and its file form ([`export`]).
pub mod history {
    pub use weft_model::history::*;

    pub mod archive;
    pub mod export;
}

pub use activities::{ActivityContext, ActivityError, ActivityRegistry};
pub use runtime::{Host, HostConfig, RunHandle, StartRequest};
/// The name a module's dynamic workflow is exported under (shared with the SDK).
pub use weft_types::DYNAMIC_WORKFLOW;
/// Typed search attribute values (shared with the SDK: workflows upsert the same type).
pub use weft_types::{Datetime, SearchAttributeKind, SearchAttributeValue};

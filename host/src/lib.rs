//! weft's host: runs workflows compiled to WebAssembly components durably, records
//! everything they observe in a history, and replays histories.
//!
//! The rooms: [`contract`] (the WIT types), [`engine`] (wasmtime), [`history`],
//! [`storage`] (redb), [`runtime`] (executions, cache, timers), [`activities`],
//! [`replay`], [`metrics`] (Prometheus), [`payload_codec`] (payloads encrypted and
//! compressed at rest), and [`cli`] (the `weft` command line).

pub mod activities;
pub mod api;
pub mod cli;
pub mod client;
pub mod contract;
pub mod engine;
pub mod history;
pub mod metrics;
pub mod payload_codec;
pub mod pem;
pub mod query;
pub mod replay;
pub mod runtime;
pub mod schedules;
pub mod storage;
pub mod telemetry;
pub mod testing;

pub use activities::{ActivityContext, ActivityError, ActivityRegistry};
pub use runtime::{Host, HostConfig, RunHandle, StartRequest};
/// Typed search attribute values (shared with the SDK: workflows upsert the same type).
pub use weft_sdk::{Datetime, SearchAttributeKind, SearchAttributeValue};

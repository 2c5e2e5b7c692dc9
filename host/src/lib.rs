//! weft's host: runs workflows compiled to WebAssembly components durably, records
//! everything they observe in a history, and replays histories.
//!
//! This crate is what embedders depend on; it gathers the layers under one crate's
//! paths. The rooms: [`contract`] (the WIT types), [`engine`] (wasmtime), [`history`],
//! [`storage`] (redb), [`runtime`] (executions, cache, timers), [`activities`],
//! [`replay`], [`metrics`] (Prometheus), [`payload_codec`] (payloads encrypted and
//! compressed at rest), [`api`] (the HTTP server), [`client`] (its client) and [`cli`]
//! (the `weft` command line). An activity crate needs only `weft-activity`.

/// The PEM files of the API's TLS (shared by the server and its client).
pub use weft_api::pem;
/// The names users give (workflow ids, module names, schedule ids, …), checked.
pub use weft_model::names;
pub use weft_runtime::placement;
pub use weft_runtime::{activities, contract, engine, flow, history, metrics, payload_codec};
pub use weft_runtime::{batches, query, replay, runtime, schedules, storage, testing};

pub use weft_cli::{cli, telemetry};
pub use weft_client::client;
pub use weft_server::api;

pub use activities::{ActivityContext, ActivityError, ActivityRegistry};
pub use runtime::{Host, HostConfig, RunHandle, StartRequest};
/// Typed search attribute values (shared with the SDK: workflows upsert the same type).
pub use weft_types::{Datetime, SearchAttributeKind, SearchAttributeValue};

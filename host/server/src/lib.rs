//! weft's HTTP server: the JSON API of a long-running host (`weft server`) over a
//! [`weft_runtime`] host, with TLS, mTLS and bearer tokens ([`api`]), and the web UI over the
//! same host ([`ui`]).

pub mod api;
pub mod ui;

pub(crate) use weft_api::pem;
pub(crate) use weft_runtime::{activities, contract, history, metrics};
pub(crate) use weft_runtime::{batches, runtime, schedules, storage, DYNAMIC_WORKFLOW};

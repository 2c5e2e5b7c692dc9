//! weft's HTTP API as the server (`weft-server`) and its client (`weft-client`) both
//! speak it: the request and response bodies ([`types`], [`schedule_types`]) and the
//! PEM files their TLS reads ([`pem`]), ids as path segments ([`paths`]). Nothing here runs a workflow: the runtime
//! makes these bodies from its own types (`weft_runtime::bodies`), so a client links
//! neither wasmtime nor redb.

pub mod batch_types;
pub mod paths;
pub mod pem;
pub mod schedule_types;
pub mod sensitive_types;
pub mod stack_types;
pub mod start_types;
pub mod steer_types;
pub mod types;
pub mod update_with_start;

//! weft's model, the bottom layer every other crate builds on: an execution's history
//! ([`history`]: its events, their vocabulary, payloads and failures, and the stored
//! format), where a run stands as the API spells it ([`status`]), what a deployment
//! does with open runs ([`deploy`]), when a schedule acts ([`schedule`]), and the
//! names users give, checked ([`names`]). No engine, storage or I/O here.

pub mod deploy;
pub mod fairness;
pub mod history;
pub mod names;
pub mod priority;
pub mod schedule;
pub mod status;

pub use deploy::DeployMode;
pub use fairness::{Fairness, Flow};
pub use priority::Priority;
pub use status::ExecutionStatus;

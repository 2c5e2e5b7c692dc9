//! The contract's types (WIT package `weft:workflow`), as the guest sees them.
//!
//! These are the values that cross the component boundary: the jobs of an activation,
//! the commands a workflow task produces, payloads and failures. Most workflows never
//! name them; tests and tools that drive a workflow by hand do.

pub use crate::bindings::weft::workflow::host::{
    ChildOptions, FlowOptions, MetricKind, MetricValue, WaitKind, WaitPoint,
};
pub use crate::bindings::weft::workflow::types::*;

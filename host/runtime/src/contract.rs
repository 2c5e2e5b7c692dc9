//! The guest/host contract (`wit/weft.wit`): the types wasmtime generates from it, and
//! their conversion to and from the history's own vocabulary ([`crate::history`]).
//!
//! Only the engine speaks the generated types ([`wit`]); everything else in the host —
//! the runtime, the history, the API — speaks the history's types, so the contract can
//! change without changing what is stored. The vocabulary is re-exported here under the
//! contract's names for convenience.

mod convert;

/// The types and traits wasmtime generates from `wit/weft.wit`.
pub mod wit {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "workflow",
    });

    pub use exports::weft::workflow::guest::{Activation, IssuedCommand, TaskFailure};
    pub use weft::workflow::types::*;
}

pub use convert::Conv;
pub use wit::{HistoryInfo, LogLevel, Workflow, WorkflowPre};

pub use crate::history::vocab::*;

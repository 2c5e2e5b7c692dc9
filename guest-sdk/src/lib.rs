//! Write weft workflows in Rust.
//!
//! A workflow is an `async fn` that takes a [`WfContext`] and a serde input and returns a
//! [`WfResult`]. It runs inside a WebAssembly component on the weft host, which records
//! every activation in the execution's history and can replay it. Everything the workflow
//! learns from outside — activity results, timers firing, the time, random numbers —
//! comes through the context, so a replay takes exactly the same path.
//!
//! ```no_run
//! use std::time::Duration;
//! use weft_sdk::{workflow, ActivityOptions, ActivityType, WfContext, WfResult};
//!
//! /// Normally defined in a crate shared with the host that implements it.
//! pub struct Greet;
//! impl ActivityType for Greet {
//!     const NAME: &'static str = "greet";
//!     type Input = String;
//!     type Output = String;
//! }
//!
//! #[workflow]
//! async fn hello(ctx: WfContext, name: String) -> WfResult<String> {
//!     let options = ActivityOptions::start_to_close(Duration::from_secs(10));
//!     ctx.sleep(Duration::from_secs(1)).await;
//!     let greeting = ctx.activity(Greet, name, &options).await?;
//!     weft_sdk::info!("greeted at {:?}", ctx.now());
//!     Ok(greeting)
//! }
//!
//! weft_sdk::export_workflows!(hello);
//! ```
//!
//! Build the crate as a `cdylib` for `wasm32-unknown-unknown` with `panic = "abort"` and
//! turn it into a component (`weft build` does both).
//!
//! Determinism rules the SDK enforces by construction: commands are issued when the
//! context method is called (so issue order is call order), the executor is
//! single-threaded and polls in a fixed order, and [`join!`], [`select!`] and
//! [`join_all`] poll their futures in the order they are written.

// Lets the macros' `::weft_sdk` paths resolve inside this crate's own tests too.
extern crate self as weft_sdk;

mod activity;
mod combinators;
mod component;
mod context;
mod error;
mod executor;
mod export;
mod guest;
mod host;
mod instance;
mod jobs;
mod location;
mod log;
mod options;
mod panic;
mod payload;
mod pending;
mod state;
mod timer;
mod workflow;

#[doc(hidden)]
pub mod bindings;
pub mod testing;
pub mod wit;

pub use activity::{ActivityError, ActivityErrorKind, ActivityFuture, ActivityType};
pub use combinators::{join_all, JoinAll};
pub use context::{WfContext, WorkflowInfo};
pub use error::{error_types, WfResult, WorkflowError};
pub use executor::LocalBoxFuture;
pub use log::{log, LogLevel};
pub use options::{ActivityOptions, RetryPolicy};
pub use timer::TimerFuture;
pub use workflow::{CodeLocation, Workflow};

/// Marks a workflow: `#[workflow] async fn name(ctx: WfContext, input: I) -> WfResult<O>`.
///
/// The workflow type is the function's name, or `#[workflow(name = "...")]`. The input
/// may be left out (`async fn name(ctx: WfContext) -> …`); it is then `()`, and the
/// execution can be started without input.
///
/// On an `impl` block of a `Default` type, marks its `async fn run(&mut self, ctx, input)`
/// method as the workflow (type name: the type's name): the state struct form.
pub use weft_sdk_macros::workflow;

/// Waits for all futures; polls them in the order written. Re-exported from `futures`.
pub use futures::join;

/// Waits for the first of several futures; when several are ready, the first written
/// wins (`futures::select_biased!`). Each future must be fused: the SDK's are, other
/// futures need [`FutureExt::fuse`]. A future named by a variable must be declared
/// `let mut`; the others are dropped when `select!` returns (their commands stay issued;
/// their answers are ignored).
pub use futures::select_biased as select;

pub use futures::future::{FusedFuture, FutureExt};

#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::exports::weft::workflow::guest::Guest;
    pub use crate::guest::{activate, workflow_types};
    pub use crate::workflow::{assert_unique_names, WorkflowEntry, WorkflowReturn};
}

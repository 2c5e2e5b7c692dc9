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
//!     ctx.sleep(Duration::from_secs(1)).await?;
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
//! # Signals, queries and updates
//!
//! A workflow that receives messages is written as a state struct and an `impl` block.
//! Each execution starts from the struct's `Default`; the run method and the handlers
//! share it, the run method through [`WfContext::state`] and [`WfContext::state_mut`].
//!
//! ```no_run
//! use serde::Deserialize;
//! use weft_sdk::{workflow, WfContext, WfResult, WorkflowError};
//!
//! #[derive(Default)]
//! struct Account {
//!     balance: i64,
//!     closed: bool,
//! }
//!
//! #[derive(Deserialize)]
//! struct Amount {
//!     amount: i64,
//! }
//!
//! #[workflow(name = "account")]
//! impl Account {
//!     /// Runs until the `close` signal; returns the final balance.
//!     async fn run(ctx: WfContext<Self>, opening: i64) -> WfResult<i64> {
//!         ctx.state_mut(|s| s.balance += opening);
//!         ctx.wait_condition(|s| s.closed).await?;
//!         Ok(ctx.state(|s| s.balance))
//!     }
//!
//!     /// A signal: recorded, applied as soon as it arrives, no answer.
//!     #[signal]
//!     fn deposit(&mut self, input: Amount) {
//!         self.balance += input.amount;
//!     }
//!
//!     #[signal]
//!     fn close(&mut self) {
//!         self.closed = true;
//!     }
//!
//!     /// A query: reads the state, changes nothing, never recorded.
//!     #[query]
//!     fn balance(&self) -> i64 {
//!         self.balance
//!     }
//!
//!     /// An update: validated, then recorded and run; the caller gets its result.
//!     #[update]
//!     async fn withdraw(ctx: WfContext<Self>, input: Amount) -> WfResult<i64> {
//!         Ok(ctx.state_mut(|s| {
//!             s.balance -= input.amount;
//!             s.balance
//!         }))
//!     }
//!
//!     #[update_validator(withdraw)]
//!     fn check_withdraw(&self, input: &Amount) -> Result<(), String> {
//!         if input.amount > self.balance {
//!             return Err(format!("the balance is only {}", self.balance));
//!         }
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Function-form workflows receive signals through channels
//! ([`WfContext::signal_channel`]) and wait on their own state with
//! [`WfContext::wait_until`].
//!
//! In one activation, the jobs are applied in the order the host gave them (a sync signal
//! handler runs right then; an update is validated and accepted or rejected right then),
//! and then the tasks run: the run method first and the handler tasks in creation order,
//! until none is woken; then the wait conditions are evaluated in creation order, and
//! those that turned true wake their tasks, until nothing changes. The workflow completes
//! when its run method returns, even if update handlers are still running: await
//! [`WfContext::all_handlers_finished`] first to let them finish.
//!
//! # Cancellation
//!
//! One operation is cancelled with its future's `cancel()` ([`ActivityFuture::cancel`],
//! [`TimerFuture::cancel`]) or by dropping the future before it resolved, such as the
//! loser of a [`select!`]. What that does for an activity depends on its
//! [`ActivityCancellationType`] (set in [`ActivityOptions`] and
//! [`LocalActivityOptions`]); a timer issues `cancel-timer`.
//!
//! The whole workflow is cancelled by its host (a client asked): every activity, local
//! activity, timer and wait condition pending at that moment is cancelled, and its future
//! resolves as cancelled (or, for `WaitCancellationCompleted`, when the activity has
//! ended). Operations started after that are not touched, so cleanup is ordinary code
//! that runs after the cancellation was caught; [`WfContext::non_cancellable`] shields
//! work that must not be interrupted. A workflow that then returns a cancellation error
//! (converted with `?` from a cancelled operation, or [`WorkflowError::cancelled`]) ends
//! as cancelled; one that returns anything else ends as usual.
//!
//! ```no_run
//! use std::time::Duration;
//! use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};
//!
//! #[workflow]
//! async fn provision(ctx: WfContext, host: String) -> WfResult<String> {
//!     let options = ActivityOptions::start_to_close(Duration::from_secs(600));
//!     match ctx.activity_by_name::<String>("create_vm", &host, &options).await {
//!         Err(error) if error.is_cancelled() => {
//!             // The cleanup scope: started after the request, so not cancelled.
//!             ctx.activity_by_name::<()>("delete_vm", &host, &options).await?;
//!             Err(error.into())
//!         }
//!         result => Ok(result?),
//!     }
//! }
//! ```
//!
//! # Child workflows
//!
//! [`WfContext::child_workflow`] starts another workflow as a child and returns a
//! [`ChildWorkflowHandle`]: await its start and its result, [cancel](ChildWorkflowHandle::cancel)
//! it (as its [`ChildWorkflowCancellationType`] says; the parent's cancellation cancels
//! pending children the same way), or [signal](ChildWorkflowHandle::signal) it. What
//! happens to it when the parent closes is its [`ParentClosePolicy`].
//! [`WfContext::signal_external`] signals any workflow by id (fire-and-forget).
//!
//! # What the run is doing, and where it waits
//!
//! [`WfContext::set_current_details`] says, in Markdown, what the run is doing now:
//! `weft describe` and `weft list` show the latest value (recorded in the history when
//! a task changes it; a replay checks nothing about it). `weft stack` lists where the
//! workflow waits: the line that issued each pending command, and, reported by the SDK
//! at the end of each activation, the line that awaits each wait condition
//! ([`WfContext::wait_condition`] and friends, [`WfContext::cancelled`]) and each
//! [`SignalChannel::recv`]. The test harness keeps both
//! ([`testing::Harness::current_details`], [`testing::Harness::waiting_on`]).
//!
//! # Determinism
//!
//! Rules the SDK enforces by construction: commands are issued when the context method
//! is called (so issue order is call order), the executor is single-threaded and polls in
//! a fixed order, handlers and conditions are kept in creation order (never in a hash
//! order), and [`join!`], [`select!`] and [`join_all`] poll their futures in the order
//! they are written.
//!
//! A change to a workflow with runs in flight goes behind [`WfContext::patched`] (then
//! [`WfContext::deprecate_patch`]), and a value from code that may change between
//! versions behind [`WfContext::side_effect`]: replay then makes the recorded decisions.

// Lets the macros' `::weft_sdk` paths resolve inside this crate's own tests too.
extern crate self as weft_sdk;

mod activity;
mod attributes;
mod binary;
mod cancellation;
mod causes;
mod child_workflow;
mod combinators;
mod component;
mod conditions;
mod context;
mod continue_as_new;
mod details;
mod error;
mod executor;
mod export;
mod flow;
mod guest;
mod handlers;
mod host;
mod instance;
mod jobs;
mod local_activity;
mod location;
mod log;
mod metrics;
mod options;
mod panic;
mod payload;
mod pending;
mod queries;
mod signals;
mod state;
mod state_cell;
mod timer;
mod updates;
mod validate;
mod versioning;
mod waits;
mod workflow;

#[doc(hidden)]
pub mod bindings;
pub use weft_types::search_attributes;
pub use weft_types::DYNAMIC_WORKFLOW;
pub use weft_types::{sensitive, Sensitive};
pub mod testing;
pub mod wit;

pub use activity::{ActivityError, ActivityErrorKind, ActivityFuture, ActivityType};
pub use binary::Binary;
pub use cancellation::{ActivityCancellationType, CancelRequested, Cancelled, NonCancellable};
pub use child_workflow::{
    ChildResult, ChildStarted, ChildWorkflowCancellationType, ChildWorkflowError,
    ChildWorkflowErrorKind, ChildWorkflowHandle, ChildWorkflowOptions, ParentClosePolicy,
    SignalExternalError, WorkflowType,
};
pub use combinators::{join_all, JoinAll};
pub use conditions::ConditionFuture;
pub use context::{WfContext, WorkflowInfo};
pub use details::MAX_CURRENT_DETAILS_BYTES;
pub use error::{error_types, WfResult, WorkflowError};
pub use executor::LocalBoxFuture;
pub use handlers::Handlers;
pub use local_activity::LocalActivityOptions;
pub use log::{log, LogLevel};
pub use metrics::Metrics;
pub use options::{ActivityOptions, RetryPolicy};
pub use queries::{WorkflowMetadata, METADATA_QUERY};
pub use search_attributes::{Datetime, SearchAttributeKind, SearchAttributeValue};
pub use signals::{Recv, SignalChannel};
pub use timer::TimerFuture;
pub use validate::{Validate, ValidationError};
pub use workflow::{CodeLocation, Workflow};

/// Marks a workflow: `#[workflow] async fn name(ctx: WfContext, input: I) -> WfResult<O>`.
///
/// The workflow type is the function's name, or `#[workflow(name = "...")]`. The input
/// may be left out (`async fn name(ctx: WfContext) -> …`); it is then `()`, and the
/// execution can be started without input. `#[workflow(fail_on_panic)]` makes a panic
/// fail the run instead of the workflow task (see [`Workflow::FAIL_ON_PANIC`]).
///
/// On an `impl` block of a `Default` type, it makes the type a workflow (type name: the
/// type's name, or `name = "..."`) whose state is the type: the state struct form. The
/// block holds:
///
/// - the run method, `async fn run(ctx: WfContext<Self>, input: I) -> WfResult<O>` (input
///   optional), or a method of another name marked [`#[run]`](run);
/// - any number of [`#[signal]`](signal), [`#[query]`](query), [`#[update]`](update) and
///   [`#[update_validator]`](update_validator) methods;
/// - any other methods, left as they are.
///
/// See the [crate documentation](crate#signals-queries-and-updates) for an example.
pub use weft_sdk_macros::workflow;

/// Marks the run method of a `#[workflow] impl` block when it is not named `run`:
/// `#[run] async fn main(ctx: WfContext<Self>, input: I) -> WfResult<O>`.
pub use weft_sdk_macros::run;

/// Marks a signal handler in a `#[workflow] impl` block; the signal's name is the
/// method's, or `#[signal(name = "...")]`.
///
/// - `fn name(&mut self, input: I)` (input optional) runs on the state as soon as the
///   signal job is applied, before any task is polled in that activation.
/// - `async fn name(ctx: WfContext<Self>, input: I)` starts a handler task, which can
///   call activities and wait like the run method.
///
/// A signal whose input does not decode into `I` is logged as a warning and dropped.
pub use weft_sdk_macros::signal;

/// Marks a query handler in a `#[workflow] impl` block: `fn name(&self, input: I) -> O`
/// (input optional), `O: Serialize`; the query's name is the method's, or
/// `#[query(name = "...")]`. A query reads the state and changes nothing; it is never
/// recorded.
pub use weft_sdk_macros::query;

/// Marks an update handler in a `#[workflow] impl` block; the update's name is the
/// method's, or `#[update(name = "...")]`.
///
/// - `async fn name(ctx: WfContext<Self>, input: I) -> WfResult<O>` (input optional) runs
///   as a handler task that can call activities and wait;
/// - `fn name(&mut self, input: I) -> WfResult<O>` runs on the state at once (in the
///   task's first poll).
///
/// Its `Ok` is the update's result (as JSON), its `Err` the update's failure. An update
/// is accepted before its handler runs, unless its [validator](update_validator) rejects
/// it.
pub use weft_sdk_macros::update;

/// Marks the validator of an update in a `#[workflow] impl` block:
/// `#[update_validator(method)] fn name(&self, input: &I) -> Result<(), E>`, where
/// `method` is the update's method, `I` its input type (no input argument if it takes
/// none) and `E: Display`.
///
/// It runs before the update is accepted; `Err(e)` rejects the update with the message
/// `e.to_string()` and leaves the workflow exactly as it was (nothing is recorded).
/// When the update is replayed from history it is not run again: the history holds only
/// accepted updates.
pub use weft_sdk_macros::update_validator;

/// Waits for all futures; polls them in the order written. Re-exported from `futures`.
pub use futures::join;

/// Waits for the first of several futures; when several are ready, the first written
/// wins (`futures::select_biased!`). Each future must be fused: the SDK's are, other
/// futures need [`FutureExt::fuse`]. A future named by a variable must be declared
/// `let mut`; the others are dropped when `select!` returns: a dropped activity or timer
/// that has not resolved is cancelled (see [Cancellation](crate#cancellation)).
pub use futures::select_biased as select;

pub use futures::future::{FusedFuture, FutureExt};

#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::exports::weft::workflow::guest::Guest;
    pub use crate::guest::{activate, workflow_types};
    pub use crate::workflow::{
        assert_unique_names, update_result, validation_result, validator_input, WorkflowEntry,
        WorkflowReturn,
    };
}

//! The types a workflow crate and the host share without the guest bindings: an
//! activity's contract ([`ActivityType`]), the error types of the SDK's own failures
//! ([`error_types`]), typed search attributes ([`search_attributes`]) and the fields the
//! host masks when it shows a payload ([`sensitive`]).
//!
//! Workflow crates reach them through `weft-sdk`, which re-exports all of them; the host
//! and activity crates depend on this crate alone, so they do not compile the WIT
//! bindings generator that only a guest needs.

use serde::de::DeserializeOwned;
use serde::Serialize;

pub mod search_attributes;
pub mod sensitive;

pub use search_attributes::{Datetime, SearchAttributeKind, SearchAttributeValue};
pub use sensitive::{Sensitive, SensitiveFields};

/// The name under which a module exports its dynamic workflow (`#[workflow(dynamic)]`):
/// the workflow that serves every workflow type no module exports, with the type asked
/// for in its start. Not a type a client can start by this name.
pub const DYNAMIC_WORKFLOW: &str = "*";

/// A typed activity: its name and the types of its input and output.
///
/// Defined once in a crate shared by the workflows that call the activity and the host
/// that implements it, so neither side spells the name or guesses the types.
///
/// ```
/// use weft_types::ActivityType;
///
/// /// Charges a card; returns the payment id.
/// pub struct Charge;
///
/// impl ActivityType for Charge {
///     const NAME: &'static str = "charge";
///     type Input = (String, u64);
///     type Output = String;
/// }
/// ```
pub trait ActivityType {
    /// The name the activity is registered under in the host.
    const NAME: &'static str;
    /// What the workflow passes to the activity. (`Send + 'static` because the host
    /// runs activities on a multi-threaded async runtime.)
    type Input: Serialize + DeserializeOwned + Send + 'static;
    /// What the activity returns.
    type Output: Serialize + DeserializeOwned + Send + 'static;
}

/// Error types the SDK itself puts into failures. Most start with `weft.` so they do not
/// collide with an application's own error types; those of the message protocol
/// (`UnknownQuery`, `UnknownUpdate`, `UpdateRejected`) are the names the host and its
/// clients match on, as in Temporal.
pub mod error_types {
    /// The default type of a [`WorkflowError`](super::WorkflowError) made from a message.
    pub const WORKFLOW_ERROR: &str = "weft.WorkflowError";
    /// The input of a workflow (or of a query or update) does not decode into its type.
    pub const INVALID_INPUT: &str = "weft.InvalidInput";
    /// A value (an activity's input, a workflow's result) could not be encoded as JSON.
    pub const PAYLOAD_ENCODING: &str = "weft.PayloadEncoding";
    /// An activity's result does not decode into the activity's output type.
    pub const PAYLOAD_DECODING: &str = "weft.PayloadDecoding";
    /// Something was cancelled: an activity the SDK stopped waiting for, or a workflow
    /// error made with [`WorkflowError::cancelled`](super::WorkflowError::cancelled) or
    /// converted from a cancelled timer or condition.
    pub const CANCELLED: &str = "weft.Cancelled";
    /// A query names no query handler of the workflow (the message lists those it has).
    pub const UNKNOWN_QUERY: &str = "UnknownQuery";
    /// An update names no update handler of the workflow (the message lists those it has).
    pub const UNKNOWN_UPDATE: &str = "UnknownUpdate";
    /// An update was rejected before it was accepted: its validator returned an error, or
    /// the workflow has completed.
    pub const UPDATE_REJECTED: &str = "UpdateRejected";
    /// The type of the error that carries a continue-as-new (never a failure).
    pub const CONTINUE_AS_NEW: &str = "weft.ContinueAsNew";
    /// A child workflow was not started: its workflow id is in use (the host's answer).
    pub const CHILD_WORKFLOW_ALREADY_STARTED: &str = "ChildWorkflowAlreadyStarted";
    /// A child workflow exceeded its execution or run timeout (the host's answer).
    pub const TIMED_OUT: &str = "weft.TimedOut";
    /// A workflow failed because a child workflow it waited for did not complete: made by
    /// converting a `ChildWorkflowError` with `?`, its cause
    /// is the failure the child ended with (Temporal's `ChildWorkflowFailure`).
    pub const CHILD_WORKFLOW_FAILURE: &str = "weft.ChildWorkflowFailure";
}

//! Queries: read-only questions to a running workflow, never recorded.
//!
//! The host sends a query in an activation of its own (only that job, never replaying)
//! and records nothing of it, so answering must leave the instance exactly as it was:
//! the handler gets `&S`, no task is polled, no condition is evaluated, and the only
//! command is the `respond-query`.
//!
//! | the query                          | `respond-query`                               |
//! |------------------------------------|-----------------------------------------------|
//! | names a handler, input decodes     | `Ok(handler's result as JSON)`                |
//! | names no handler                   | `Err`, `UnknownQuery`, listing the queries    |
//! | input does not decode              | `Err`, `weft.InvalidInput`                    |
//! | result does not encode             | `Err`, `weft.PayloadEncoding`                 |
//! | is [`METADATA_QUERY`]              | `Ok(WorkflowMetadata as JSON)`                |

use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{error_types, sdk_failure};
use crate::handlers::{self, Handlers, Kind, Named};
use crate::payload;
use crate::state_cell::StateCell;
use crate::wit::{Failure, Payload, Query};

/// The built-in query that every workflow answers with its [`WorkflowMetadata`] (no
/// input). The host's `describe` uses it.
pub const METADATA_QUERY: &str = "__weft_workflow_metadata";

/// What a workflow handles: the answer to [`METADATA_QUERY`], as JSON
/// `{"signals":[..],"queries":[..],"updates":[..]}`. Names are sorted; the built-in query
/// is not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowMetadata {
    /// Signals with a handler, and those with a channel open right now.
    pub signals: Vec<String>,
    /// Queries with a handler.
    pub queries: Vec<String>,
    /// Updates with a handler.
    pub updates: Vec<String>,
}

type Answer<S> = Box<dyn Fn(&S, &Payload) -> Result<Payload, Failure>>;

pub(crate) struct QueryHandler<S> {
    name: &'static str,
    answer: Answer<S>,
}

impl<S> Named for QueryHandler<S> {
    const KIND: Kind = Kind::Query;

    fn name(&self) -> &'static str {
        self.name
    }
}

impl<S: 'static> Handlers<S> {
    /// Registers a query handler. It reads the state (`&S`) and returns the answer,
    /// encoded as JSON. Use `()` as the input type for a query without input.
    ///
    /// # Panics
    ///
    /// If a query handler of that name is registered already, or the name is
    /// [`METADATA_QUERY`].
    pub fn query<I, O, H>(mut self, name: &'static str, handler: H) -> Self
    where
        I: DeserializeOwned + 'static,
        O: Serialize + 'static,
        H: Fn(&S, I) -> O + 'static,
    {
        assert_ne!(
            name, METADATA_QUERY,
            "the query name `{METADATA_QUERY}` is the SDK's own"
        );
        let handler = Rc::new(handler);
        let answer: Answer<S> = Box::new(move |state, input| {
            let input: I = payload::decode_input(input).map_err(|error| {
                sdk_failure(
                    error_types::INVALID_INPUT,
                    format!("query `{name}`: {error}"),
                )
            })?;
            let output = handler(state, input);
            payload::to_json(&output).map_err(|error| {
                sdk_failure(
                    error_types::PAYLOAD_ENCODING,
                    format!(
                        "query `{name}` returned a `{}` that does not encode as JSON: {error}",
                        std::any::type_name::<O>()
                    ),
                )
            })
        });
        handlers::register(&mut self.queries, QueryHandler { name, answer });
        self
    }
}

/// Answers `query` from the workflow's state. `open_channels`: the signals that have a
/// channel open, for the metadata.
pub(crate) fn answer<S>(
    workflow: &str,
    handlers: &Handlers<S>,
    state: &StateCell<S>,
    open_channels: Vec<String>,
    query: &Query,
) -> Result<Payload, Failure> {
    if query.name == METADATA_QUERY {
        let metadata = metadata(handlers, open_channels);
        return payload::to_json(&metadata)
            .map_err(|error| sdk_failure(error_types::PAYLOAD_ENCODING, error.to_string()));
    }
    let Some(handler) = handlers::find(&handlers.queries, &query.name) else {
        return Err(sdk_failure(
            error_types::UNKNOWN_QUERY,
            handlers::unknown(workflow, &query.name, &handlers.queries),
        ));
    };
    state.read(|state| (handler.answer)(state, &query.input))
}

fn metadata<S>(handlers: &Handlers<S>, open_channels: Vec<String>) -> WorkflowMetadata {
    let owned = |names: Vec<&str>| names.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let mut signals = owned(handlers::sorted_names(&handlers.signals));
    signals.extend(open_channels);
    signals.sort_unstable();
    signals.dedup();
    WorkflowMetadata {
        signals,
        queries: owned(handlers::sorted_names(&handlers.queries)),
        updates: owned(handlers::sorted_names(&handlers.updates)),
    }
}

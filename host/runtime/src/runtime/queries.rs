//! Answering a query on an instance: an activation of the query job alone, which is
//! never recorded and must produce nothing but its `respond-query`.

use crate::contract::HistoryInfo;
use crate::engine::WorkflowInstance;
use crate::history::vocab::Query;
use crate::history::{Activation, Command, Failure, IssuedCommand, Job, Payload};

use super::messages::MessageError;

/// The query the SDK answers with the names of the workflow's handlers.
pub const METADATA_QUERY: &str = "__weft_workflow_metadata";

/// Answer `query` on `instance`. Also returns whether the instance is still fit for
/// use: a query that trapped or issued commands leaves it in an unknown state.
pub(crate) fn answer(
    instance: &mut WorkflowInstance,
    query: Query,
    time_ms: u64,
    info: HistoryInfo,
) -> (Result<Payload, MessageError>, bool) {
    if query.name == super::stack::WAITING_QUERY {
        // The host's own: what the workflow last reported, no activation.
        let points = serde_json::to_value(instance.waiting_on()).expect("waits encode");
        return (Ok(Payload::json(&points)), true);
    }
    let name = query.name.clone();
    let activation = Activation {
        jobs: vec![Job::Query(query)],
        time_ms,
        is_replaying: false,
    };
    match instance.activate(&activation, info) {
        Ok(commands) => match commands.as_slice() {
            [IssuedCommand {
                command: Command::RespondQuery(respond),
                ..
            }] => match &respond.result {
                Ok(value) => (Ok(value.clone()), true),
                Err(failure) => (Err(MessageError::Failed(failure.clone())), true),
            },
            [] => (
                Err(MessageError::Failed(Failure::new(
                    format!("the workflow did not answer query `{name}`"),
                    "QueryFailed",
                ))),
                false,
            ),
            // Name the command that should not be there, not the answer beside it.
            more => {
                let stray = more
                    .iter()
                    .find(|c| !matches!(c.command, Command::RespondQuery(_)))
                    .unwrap_or(&more[0]);
                (Err(issued(&name, stray.command.kind())), false)
            }
        },
        Err(failure) => (
            Err(MessageError::Failed(Failure::new(
                format!("query `{name}` failed: {}", failure.message),
                "QueryFailed",
            ))),
            false,
        ),
    }
}

fn issued(name: &str, kind: &str) -> MessageError {
    MessageError::Failed(Failure::new(
        format!(
            "query `{name}` failed: its handler issued `{kind}`; a query handler may only \
             read the workflow's state"
        ),
        "QueryFailed",
    ))
}

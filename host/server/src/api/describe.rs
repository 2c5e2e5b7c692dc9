//! `GET /v1/executions/{id}` and its result: the runtime describes the run
//! ([`Host::describe`]); this only makes the body of its answer.

use super::types::{Description, ResultBody};
use crate::runtime::{Host, QueryError};
use crate::storage::RunRecord;

/// Everything `GET /v1/executions/{id}` shows but the handler names (which ask the
/// run's instance: [`Host::describe`] has them).
pub fn describe(host: &Host, id: &str) -> Result<Description, QueryError> {
    Ok(host.describe_stored(id)?.into())
}

/// How a run ended, or that it is still open.
pub fn result_body(host: &Host, run: &RunRecord) -> Result<ResultBody, QueryError> {
    Ok(weft_runtime::bodies::result_body(run, host.outcome(run)?))
}

//! Requests that the run records and then acknowledges (signals, cancellations,
//! terminations), and their request ids: an id applied before is answered without
//! applying it again (see `runtime::request_ids`).
//!
//! | the request's id                          | the actor                                  |
//! |-------------------------------------------|--------------------------------------------|
//! | none                                      | takes it (no look-up)                      |
//! | recorded for the workflow id              | answers success, applies nothing           |
//! | taken by this actor, not yet recorded     | answers "in progress" (the caller retries) |
//! | neither                                   | takes it; its row goes with its record     |

use super::messages::Settled;
use super::*;
use crate::runtime::outbox::Ack;
use crate::runtime::request_ids::{Applied, RequestKey};

/// What a caller asked of this run in flight: answered once it is durable.
#[derive(Debug)]
pub(crate) struct SignalAck {
    ack: Ack,
    /// The row of its request id, written with its record.
    request: Option<Write>,
}

impl SignalAck {
    /// Answer the request.
    pub fn send(self, result: Result<(), MessageError>) -> Result<(), Result<(), MessageError>> {
        self.ack.send(result)
    }

    /// The writes that go with its record: the deletion of the outbox row it came
    /// from, the row of its request id.
    pub fn writes(&self) -> Vec<Write> {
        self.ack
            .delete_origin()
            .into_iter()
            .chain(self.request.clone())
            .collect()
    }
}

/// What the actor answers a duplicate whose first request is still on its way.
pub(crate) const IN_PROGRESS: &str = "a request with this request id is being applied; try again";

impl Execution {
    /// Take a request sent to this run with its request id (if any): the
    /// acknowledgement to answer once it is recorded, or `None` when it was answered
    /// here (applied before, in progress, or the look-up failed).
    pub(super) fn take_request(
        &mut self,
        ack: Ack,
        request: Option<RequestKey>,
    ) -> Option<SignalAck> {
        let Some(key) = request else {
            return Some(SignalAck { ack, request: None });
        };
        let answer = match self.host.applied(&self.record.workflow_id, &key) {
            Ok(Some(_)) => Ok(()),
            Ok(None) if self.requests_taken.contains(key.as_str()) => {
                Err(MessageError::Unavailable(IN_PROGRESS.into()))
            }
            Ok(None) => {
                let applied = Applied {
                    run_id: self.record.run_id.clone(),
                    started: false,
                };
                let request = Some(applied.write(&self.record.workflow_id, &key));
                self.requests_taken.insert(key.as_str().to_string());
                return Some(SignalAck { ack, request });
            }
            Err(e) => Err(MessageError::Unavailable(format!(
                "cannot look up request `{}`: {e}",
                key.as_str()
            ))),
        };
        let _ = ack.send(answer);
        None
    }

    /// The request ids this actor took that `writes` record: once they are durable,
    /// storage answers for them and the actor forgets them (its memory holds only the
    /// ones in flight).
    pub(super) fn requests_in(&self, writes: &[Write]) -> Vec<String> {
        if self.requests_taken.is_empty() {
            return Vec::new();
        }
        writes
            .iter()
            .filter_map(|write| match write {
                Write::PutRequest { key, .. } if self.requests_taken.contains(key) => {
                    Some(key.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// The rows of the updates a task completes (`update:<id>` → this run), so an
    /// update sent again after the run continued as new gets the outcome recorded here.
    pub(super) fn completed_update_rows(&self, settled: &Settled) -> Vec<Write> {
        let applied = Applied {
            run_id: self.record.run_id.clone(),
            started: false,
        };
        settled
            .completed
            .iter()
            .map(|(id, _)| applied.write(&self.record.workflow_id, &RequestKey::update(id)))
            .collect()
    }
}

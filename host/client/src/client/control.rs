//! Cancelling and terminating executions through the API.

use super::{path_segment, Client, ClientError};
use crate::api::types::{RunRef, StopBody};

impl Client {
    /// Ask the open run of `id` (a workflow id or run id) to cancel, with `reason`
    /// (`None`: the server's default). Returns once the request is durable in its
    /// history; the workflow then decides how to end, so wait with
    /// [`Client::result`]. Asking twice is accepted. A closed run refuses it (409,
    /// `closed`).
    pub fn cancel(&self, id: &str, reason: Option<&str>) -> Result<RunRef, ClientError> {
        self.stop(id, "cancel", reason)
    }

    /// Close the open run of `id` at once as terminated, with `reason` (`None`: the
    /// server's default). No workflow code runs; its activities are told to stop.
    /// Returns once the run is closed. A closed run refuses it (409, `closed`).
    pub fn terminate(&self, id: &str, reason: Option<&str>) -> Result<RunRef, ClientError> {
        self.stop(id, "terminate", reason)
    }

    fn stop(&self, id: &str, verb: &str, reason: Option<&str>) -> Result<RunRef, ClientError> {
        self.post(
            &format!("/v1/executions/{}/{verb}", path_segment(id)),
            &StopBody {
                reason: reason.map(str::to_string),
            },
        )
    }
}

//! Cancelling and terminating executions through the API.

use super::{new_request_id, path_segment, Client, ClientError};
use crate::api::types::{ResetBody, ResetDone, RunRef, StopBody};

impl Client {
    /// Ask the open run of `id` (a workflow id or run id) to cancel, with `reason`
    /// (`None`: the server's default). Returns once the request is durable in its
    /// history; the workflow then decides how to end, so wait with
    /// [`Client::result`]. Asking twice is accepted. A closed run refuses it (409,
    /// `closed`).
    pub fn cancel(&self, id: &str, reason: Option<&str>) -> Result<RunRef, ClientError> {
        self.stop(id, "cancel", reason, None)
    }

    /// [`Client::cancel`] with the caller's request id (`None`: a fresh one): asked
    /// again with it, even after the run closed, the server answers as it did first.
    pub fn cancel_with_request(
        &self,
        id: &str,
        reason: Option<&str>,
        request_id: Option<&str>,
    ) -> Result<RunRef, ClientError> {
        self.stop(id, "cancel", reason, request_id)
    }

    /// [`Client::terminate`] with the caller's request id (`None`: a fresh one): asked
    /// again with it, the server answers as it did first and terminates nothing more
    /// (not a later run of the id).
    pub fn terminate_with_request(
        &self,
        id: &str,
        reason: Option<&str>,
        request_id: Option<&str>,
    ) -> Result<RunRef, ClientError> {
        self.stop(id, "terminate", reason, request_id)
    }

    /// Close the open run of `id` at once as terminated, with `reason` (`None`: the
    /// server's default). No workflow code runs; its activities are told to stop.
    /// Returns once the run is closed. A closed run refuses it (409, `closed`).
    pub fn terminate(&self, id: &str, reason: Option<&str>) -> Result<RunRef, ClientError> {
        self.stop(id, "terminate", reason, None)
    }

    /// Reset execution `id` to a workflow task of its latest run (`to`: `first-task`,
    /// `last-task` or the index of a `task-started` event): a new run goes on from
    /// there, the signals and updates recorded after it reapplied as `reapply` says
    /// (`None`: all). An open run is closed as terminated. Refused (409) when the
    /// history up to the task does not replay on the newest module.
    pub fn reset(
        &self,
        id: &str,
        to: &str,
        reason: &str,
        reapply: Option<&str>,
    ) -> Result<ResetDone, ClientError> {
        self.post(
            &format!("/v1/executions/{}/reset", path_segment(id)),
            &ResetBody {
                to: to.to_string(),
                reason: reason.to_string(),
                reapply: reapply.map(str::to_string),
            },
        )
    }

    /// Sent with a request id (a fresh one when `request_id` is none), again when the
    /// answer is lost: applied once.
    fn stop(
        &self,
        id: &str,
        verb: &str,
        reason: Option<&str>,
        request_id: Option<&str>,
    ) -> Result<RunRef, ClientError> {
        self.post_retrying(
            &format!("/v1/executions/{}/{verb}", path_segment(id)),
            &StopBody {
                reason: reason.map(str::to_string),
                request_id: Some(request_id.map_or_else(new_request_id, str::to_string)),
            },
        )
    }
}

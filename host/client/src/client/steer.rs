//! Pausing and unpausing executions through the API.

use super::{path_segment, Client, ClientError};
use crate::api::steer_types::{ActivityOpAnswer, ActivityOpBody, SteerBody};
use crate::api::types::RunRef;

impl Client {
    /// Pause the open run of `id`: no workflow task runs until [`Client::unpause`];
    /// signals, timers and activity results wait (recorded), updates wait, queries are
    /// answered. `reason` and `identity` (`None`: the server's defaults) are recorded.
    /// A paused or closed run refuses it (409, `conflict` or `closed`).
    pub fn pause(
        &self,
        id: &str,
        reason: Option<&str>,
        identity: Option<&str>,
    ) -> Result<RunRef, ClientError> {
        self.steer(id, "pause", reason, identity)
    }

    /// Unpause the paused run of `id`; its next task delivers what arrived meanwhile.
    /// A run that is not paused refuses it (409, `conflict`).
    pub fn unpause(
        &self,
        id: &str,
        reason: Option<&str>,
        identity: Option<&str>,
    ) -> Result<RunRef, ClientError> {
        self.steer(id, "unpause", reason, identity)
    }

    /// Not retried: a pause sent twice would be refused the second time.
    fn steer(
        &self,
        id: &str,
        verb: &str,
        reason: Option<&str>,
        identity: Option<&str>,
    ) -> Result<RunRef, ClientError> {
        self.post(
            &format!("/v1/executions/{}/{verb}", path_segment(id)),
            &SteerBody {
                reason: reason.map(str::to_string),
                identity: identity.map(str::to_string),
            },
        )
    }
}

impl Client {
    /// An operator's act on the pending activity `activity` (its seq, or its type when
    /// one pending activity has it) of the open run of `id`: `op` is `pause`,
    /// `unpause`, `reset` or `update-options` (with the options in `body`). Returns
    /// once the act is recorded in the history; a reset or new options wait for an
    /// attempt in flight to end. No such activity: 404; refused (paused already, not
    /// paused, ended): 409.
    pub fn activity_op(
        &self,
        id: &str,
        activity: &str,
        op: &str,
        body: &ActivityOpBody,
    ) -> Result<ActivityOpAnswer, ClientError> {
        self.post(
            &format!(
                "/v1/executions/{}/activities/{}/{op}",
                path_segment(id),
                path_segment(activity)
            ),
            body,
        )
    }
}

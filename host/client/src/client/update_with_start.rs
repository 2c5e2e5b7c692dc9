//! Update-with-start through the API.

use super::messages::UPDATE_HOLD_S;
use super::{new_request_id, path_segment, Client, ClientError};
use crate::api::update_with_start::{UpdateWithStartAnswer, UpdateWithStartBody};

impl Client {
    /// Start a workflow as `id` (or take its open run, by `body.start`'s id conflict
    /// policy) and send it an update in one request; answers the update's outcome.
    /// The start's request id and the update id are chosen here when absent, so the
    /// request sent again (a 202 after the hold) finds the same run and the same
    /// update. Refused start: as `POST /v1/executions`; a rejected update: 422
    /// `update_rejected` (the run is started all the same).
    pub fn update_with_start(
        &self,
        id: &str,
        mut body: UpdateWithStartBody,
    ) -> Result<UpdateWithStartAnswer, ClientError> {
        body.start.request_id.get_or_insert_with(new_request_id);
        (body.update.update_id).get_or_insert_with(|| uuid::Uuid::new_v4().simple().to_string());
        body.update.wait_s = Some(UPDATE_HOLD_S);
        let path = format!("/v1/executions/{}/update-with-start", path_segment(id));
        self.post_held(&path, &body, UPDATE_HOLD_S)
    }
}

//! Signals, queries and updates through the API.

use super::{new_request_id, path_segment, Client, ClientError, REQUEST_TIMEOUT};
use crate::api::types::{MessageBody, QueryAnswer, Signalled, UpdateAnswer, UpdateBody};

/// How long the server holds an update request open before answering 202 (the client
/// then asks again with the same update id, which the server deduplicates).
const UPDATE_HOLD_S: u64 = 30;

impl Client {
    /// Signal the open run of `id` (a workflow id or run id); returns once the signal
    /// is durable in its history. A closed run refuses it (409, `closed`). Sent with a
    /// fresh request id, again when the answer is lost: delivered once.
    pub fn signal(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
    ) -> Result<Signalled, ClientError> {
        self.signal_with_request(id, name, input, None)
    }

    /// [`Client::signal`] with the caller's request id (`None`: a fresh one): the
    /// server delivers a signal of one request id once, however often it is sent.
    pub fn signal_with_request(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
        request_id: Option<&str>,
    ) -> Result<Signalled, ClientError> {
        let request_id = request_id.map_or_else(new_request_id, str::to_string);
        self.post_retrying(
            &format!(
                "/v1/executions/{}/signals/{}",
                path_segment(id),
                path_segment(name)
            ),
            &MessageBody {
                input,
                request_id: Some(request_id),
            },
        )
    }

    /// Ask a query of `id`'s workflow (open or closed); its answer.
    pub fn query(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let answer: QueryAnswer = self.post(
            &format!(
                "/v1/executions/{}/queries/{}",
                path_segment(id),
                path_segment(name)
            ),
            &MessageBody {
                input,
                request_id: None,
            },
        )?;
        Ok(answer.result)
    }

    /// Send an update and wait for the stage `body.wait` names (completed by default).
    /// The update id is picked here when `body` has none, so that waiting longer than
    /// the server holds a request asks again for the same update.
    pub fn update(
        &self,
        id: &str,
        name: &str,
        mut body: UpdateBody,
    ) -> Result<UpdateAnswer, ClientError> {
        let update_id = body
            .update_id
            .get_or_insert_with(|| uuid::Uuid::new_v4().simple().to_string())
            .clone();
        body.wait_s = Some(UPDATE_HOLD_S);
        let url = self.url(&format!(
            "/v1/executions/{}/updates/{}",
            path_segment(id),
            path_segment(name)
        ));
        loop {
            let answer = self
                .agent
                .post(&url)
                .config()
                .timeout_global(Some(
                    REQUEST_TIMEOUT + std::time::Duration::from_secs(UPDATE_HOLD_S),
                ))
                .build()
                .send_json(&body);
            let (status, answer): (u16, UpdateAnswer) = self.send(&url, answer)?;
            if status != 202 {
                return Ok(answer);
            }
            debug_assert_eq!(answer.update_id, update_id);
        }
    }
}

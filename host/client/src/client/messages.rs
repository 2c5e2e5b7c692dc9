//! Signals, queries and updates through the API.

use super::{new_request_id, path_segment, Client, ClientError, REQUEST_TIMEOUT};
use crate::api::types::{MessageBody, QueryAnswer, Signalled, UpdateAnswer, UpdateBody};

/// How long the server holds an update request open before answering 202 (the client
/// then asks again with the same update id, which the server deduplicates).
pub(super) const UPDATE_HOLD_S: u64 = 30;

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
        body.update_id
            .get_or_insert_with(|| uuid::Uuid::new_v4().simple().to_string());
        body.wait_s = Some(UPDATE_HOLD_S);
        self.post_held(&update_path(id, name), &body, UPDATE_HOLD_S)
    }

    /// [`update`](Self::update) with a deadline: waits at most `deadline_s` seconds (at
    /// most the server's 300) for the stage, and answers stage `pending` when it is not
    /// reached by then (the update goes on; ask again with its id).
    pub fn update_within(
        &self,
        id: &str,
        name: &str,
        mut body: UpdateBody,
        deadline_s: u64,
    ) -> Result<UpdateAnswer, ClientError> {
        body.update_id
            .get_or_insert_with(|| uuid::Uuid::new_v4().simple().to_string());
        body.wait_s = Some(deadline_s);
        Ok(self
            .post_held_once(&update_path(id, name), &body, deadline_s)?
            .1)
    }
}

fn update_path(id: &str, name: &str) -> String {
    format!(
        "/v1/executions/{}/updates/{}",
        path_segment(id),
        path_segment(name)
    )
}

impl Client {
    /// POST `body` (which asks the server to hold the request `hold_s`) to `path`
    /// until the answer is not 202 (not at the asked stage yet): the body sent again
    /// carries the same ids, which the server deduplicates.
    pub(super) fn post_held<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        hold_s: u64,
    ) -> Result<T, ClientError> {
        loop {
            let (status, answer) = self.post_held_once(path, body, hold_s)?;
            if status != 202 {
                return Ok(answer);
            }
        }
    }

    /// POST `body` (which asks the server to hold the request `hold_s`) to `path` once;
    /// the status (202: not at the asked stage yet) and the answer.
    fn post_held_once<B: serde::Serialize, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        hold_s: u64,
    ) -> Result<(u16, T), ClientError> {
        let url = self.url(path);
        let timeout = REQUEST_TIMEOUT + std::time::Duration::from_secs(hold_s);
        let answer = self
            .agent
            .post(&url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send_json(body);
        self.send(&url, answer)
    }
}

//! Signals, queries and updates through the API.

use super::{path_segment, Client, ClientError, REQUEST_TIMEOUT};
use crate::api::types::{MessageBody, QueryAnswer, Signalled, UpdateAnswer, UpdateBody};

/// How long the server holds an update request open before answering 202 (the client
/// then asks again with the same update id, which the server deduplicates).
const UPDATE_HOLD_S: u64 = 30;

impl Client {
    /// Signal the open run of `id` (a workflow id or run id); returns once the signal
    /// is durable in its history. A closed run refuses it (409, `closed`).
    pub fn signal(
        &self,
        id: &str,
        name: &str,
        input: serde_json::Value,
    ) -> Result<Signalled, ClientError> {
        self.post(
            &format!(
                "/v1/executions/{}/signals/{}",
                path_segment(id),
                path_segment(name)
            ),
            &MessageBody { input },
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
            &MessageBody { input },
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

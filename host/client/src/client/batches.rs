//! Batch jobs through the API (`/v1/batches`).

use super::{path_segment, Client, ClientError};
use crate::api::batch_types::*;

impl Client {
    /// Submit a batch: its query is run at once and the executions it finds are acted
    /// on in the background; answered with the batch (state `running`).
    pub fn submit_batch(&self, body: &BatchBody) -> Result<BatchInfo, ClientError> {
        self.post("/v1/batches", body)
    }

    /// Every batch, newest first.
    pub fn batches(&self) -> Result<Vec<BatchInfo>, ClientError> {
        self.get("/v1/batches")
    }

    /// A batch and its progress.
    pub fn describe_batch(&self, id: &str) -> Result<BatchInfo, ClientError> {
        self.get(&format!("/v1/batches/{}", path_segment(id)))
    }

    /// Stop a running batch: it acts on no more executions.
    pub fn stop_batch(&self, id: &str, reason: Option<&str>) -> Result<BatchInfo, ClientError> {
        self.post(
            &format!("/v1/batches/{}/stop", path_segment(id)),
            &BatchStopBody {
                reason: reason.map(str::to_string),
            },
        )
    }
}

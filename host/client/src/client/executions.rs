//! Where an execution waits, and deleting a closed one, through the API.

use super::{path_segment, Client, ClientError};
use crate::api::stack_types::{DeletedExecution, StackBody};

impl Client {
    /// Where the run `id` (a workflow id's latest run, or a run id) waits: its
    /// pending futures, each with the line of workflow code that created it (no
    /// frames once the run is closed).
    pub fn stack(&self, id: &str) -> Result<StackBody, ClientError> {
        self.get(&format!("/v1/executions/{}/stack", path_segment(id)))
    }

    /// Delete the closed execution `id`: its run (a workflow id's latest, or a run
    /// id) and the runs it continued as new from, with their histories, attributes
    /// and outcomes. An open run refuses it (409, `conflict`: terminate it first).
    pub fn delete_execution(&self, id: &str) -> Result<DeletedExecution, ClientError> {
        self.delete(&format!("/v1/executions/{}", path_segment(id)))
    }
}

//! `DELETE /v1/executions/{id}`: remove a closed execution ([`Host::delete_execution`]);
//! an open one is refused with 409 `conflict`.

use axum::extract::{Path, State};
use axum::Json;

use super::server::{ApiError, ApiResult};
use super::types::ErrorCode;
use crate::runtime::{DeleteError, Host};
use weft_api::stack_types::DeletedExecution;

pub(super) async fn delete(
    State(host): State<Host>,
    Path(id): Path<String>,
) -> ApiResult<Json<DeletedExecution>> {
    let runs = host.delete_execution(&id).await?;
    let workflow_id = runs[0].workflow_id.clone();
    Ok(Json(DeletedExecution {
        workflow_id,
        run_ids: runs.into_iter().map(|r| r.run_id).collect(),
    }))
}

impl From<DeleteError> for ApiError {
    fn from(e: DeleteError) -> ApiError {
        match e {
            DeleteError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e),
            DeleteError::Open { .. } => ApiError::new(ErrorCode::Conflict, e),
            DeleteError::Query(q) => ApiError::from(q),
            DeleteError::Archive(_) => ApiError::new(ErrorCode::Internal, e),
            DeleteError::Storage(_) => ApiError::new(ErrorCode::StorageFailed, e),
        }
    }
}

//! `POST /v1/executions/{id}/reset`: an execution goes on from one of its workflow
//! tasks in a new run (see the runtime's `reset`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::Json;

use super::control::reason;
use super::messages::parse;
use super::server::{ApiError, ApiResult};
use super::types::*;
use crate::runtime::{Host, Reapply, ResetError, ResetPoint, ResetRequest};

pub(super) async fn reset(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ResetDone>> {
    let body: ResetBody = parse(body)?;
    let done = host.reset(&id, request(body)?).await?;
    Ok(Json(ResetDone {
        workflow_id: done.workflow_id,
        from_run_id: done.from_run_id,
        run_id: done.run_id,
        event_index: done.event_index,
    }))
}

/// The reset a body asks for, checked (the web UI's form builds the same body).
pub(crate) fn request(body: ResetBody) -> ApiResult<ResetRequest> {
    let bad = |e: String| ApiError::new(ErrorCode::BadRequest, e);
    let to: ResetPoint = body.to.parse().map_err(bad)?;
    let reapply: Reapply = match &body.reapply {
        Some(r) => r.parse().map_err(bad)?,
        None => Reapply::default(),
    };
    let stop = StopBody {
        reason: Some(body.reason),
        request_id: None,
    };
    let reason = reason(stop, "")?;
    Ok(ResetRequest {
        to,
        reapply,
        reason,
    })
}

impl From<ResetError> for ApiError {
    fn from(e: ResetError) -> ApiError {
        match e {
            ResetError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e),
            ResetError::Invalid(_) => ApiError::new(ErrorCode::BadRequest, e),
            ResetError::Conflict(_) => ApiError::new(ErrorCode::Conflict, e),
            ResetError::Message(e) => e.into(),
        }
    }
}

//! Routes that stop an execution: `cancel` (asks the workflow) and `terminate` (closes
//! the run at once).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::Json;

use super::messages::parse;
use super::server::{ApiError, ApiResult};
use super::types::*;
use crate::runtime::{Host, RunHandle};

pub(super) async fn cancel(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RunRef>> {
    let (reason, request_id) = stop_body(body, DEFAULT_CANCEL_REASON)?;
    let run = host
        .cancel_with_request(&id, &reason, request_id.as_deref())
        .await?;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, %reason, "cancel requested");
    Ok(Json(run_ref(run)))
}

pub(super) async fn terminate(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RunRef>> {
    let (reason, request_id) = stop_body(body, DEFAULT_TERMINATE_REASON)?;
    let run = host
        .terminate_with_request(&id, &reason, request_id.as_deref())
        .await?;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, %reason, "terminated");
    Ok(Json(run_ref(run)))
}

/// A stop's body: the reason to record (see [`reason`]) and the request id.
fn stop_body(
    body: Result<Bytes, BytesRejection>,
    default: &str,
) -> ApiResult<(String, Option<String>)> {
    let body: StopBody = parse(body)?;
    let request_id = body.request_id.clone();
    Ok((reason(body, default)?, request_id))
}

/// The reason to record: the body's, checked, or `default` when it gives none.
pub(crate) fn reason(body: StopBody, default: &str) -> ApiResult<String> {
    let Some(reason) = body.reason else {
        return Ok(default.to_string());
    };
    if reason.trim().is_empty() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "the reason is blank; give one that says why, or leave it out",
        ));
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!(
                "the reason is {} bytes, over the limit of {MAX_REASON_BYTES}",
                reason.len()
            ),
        ));
    }
    Ok(reason)
}

fn run_ref(run: RunHandle) -> RunRef {
    RunRef {
        workflow_id: run.workflow_id,
        run_id: run.run_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(reason: Option<&str>) -> StopBody {
        StopBody {
            reason: reason.map(str::to_string),
            request_id: None,
        }
    }

    #[test]
    fn reasons_default_and_are_checked() {
        assert_eq!(reason(body(None), "d").unwrap(), "d");
        assert_eq!(reason(body(Some("why")), "d").unwrap(), "why");
        let blank = reason(body(Some("  ")), "d").unwrap_err();
        assert_eq!(blank.code(), ErrorCode::BadRequest);
        let long = "x".repeat(MAX_REASON_BYTES + 1);
        assert_eq!(
            reason(body(Some(&long)), "d").unwrap_err().code(),
            ErrorCode::TooLarge
        );
    }
}

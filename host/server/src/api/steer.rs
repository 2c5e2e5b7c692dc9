//! Routes that steer a running execution: `pause` (no workflow task runs; what
//! arrives waits) and `unpause`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::Json;

use super::control::reason;
use super::messages::parse;
use super::server::{ApiError, ApiResult};
use super::steer_types::*;
use super::types::*;
use crate::runtime::{Host, Steer, SteerError};

impl From<SteerError> for ApiError {
    fn from(e: SteerError) -> ApiError {
        match e {
            SteerError::Message(e) => e.into(),
            e @ (SteerError::AlreadyPaused { .. } | SteerError::NotPaused(_)) => {
                ApiError::new(ErrorCode::Conflict, e)
            }
        }
    }
}

pub(super) async fn pause(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RunRef>> {
    let (reason, identity) = texts(body, DEFAULT_PAUSE_REASON)?;
    steer(&host, &id, Steer::Pause { reason, identity }).await
}

pub(super) async fn unpause(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RunRef>> {
    let (reason, identity) = texts(body, DEFAULT_UNPAUSE_REASON)?;
    steer(&host, &id, Steer::Unpause { reason, identity }).await
}

async fn steer(host: &Host, id: &str, request: Steer) -> ApiResult<Json<RunRef>> {
    let what = format!("{request:?}");
    let run = host.steer(id, request).await?;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, "{what}");
    Ok(Json(RunRef {
        workflow_id: run.workflow_id,
        run_id: run.run_id,
    }))
}

/// The body's reason (checked as a stop's is) and identity.
fn texts(body: Result<Bytes, BytesRejection>, default: &str) -> ApiResult<(String, String)> {
    let body: SteerBody = parse(body)?;
    let identity = match body.identity {
        None => DEFAULT_IDENTITY.to_string(),
        Some(i) if i.trim().is_empty() || i.len() > MAX_REASON_BYTES => return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!(
                "identity: give 1 to {MAX_REASON_BYTES} bytes that are not blank, or leave it out"
            ),
        )),
        Some(i) => i,
    };
    let stop = StopBody {
        reason: body.reason,
        request_id: None,
    };
    Ok((reason(stop, default)?, identity))
}

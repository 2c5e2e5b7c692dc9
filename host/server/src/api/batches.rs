//! The batch routes: submit, list, describe, stop (see the runtime's `batches`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::server::{ApiError, ApiResult};
use super::types::ErrorCode;
use crate::batches::{BatchError, BatchOperation, BatchRecord, BatchSpec, Batches};
use weft_api::batch_types::*;

/// The batch routes over `batches`.
pub fn routes(batches: Batches) -> Router {
    Router::new()
        .route("/v1/batches", get(list).post(submit))
        .route("/v1/batches/{id}", get(describe))
        .route("/v1/batches/{id}/stop", post(stop))
        .with_state(batches)
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> ApiError {
        let code = match &e {
            BatchError::NotFound(_) => ErrorCode::NotFound,
            BatchError::AlreadyExists(_) => ErrorCode::Conflict,
            BatchError::Invalid(_) => ErrorCode::BadRequest,
            BatchError::HostGone => ErrorCode::Unavailable,
            BatchError::Storage(_) => ErrorCode::Internal,
        };
        ApiError::new(code, e)
    }
}

async fn submit(
    State(batches): State<Batches>,
    body: Result<Json<BatchBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<BatchInfo>)> {
    let Json(body) = body.map_err(|e| ApiError::new(ErrorCode::BadRequest, e.body_text()))?;
    let record = batches.submit(spec(body)?).await?;
    Ok((StatusCode::CREATED, Json(info(record))))
}

/// The batch a body asks for, its operation checked (the web UI's form builds the same
/// body).
pub(crate) fn spec(body: BatchBody) -> ApiResult<BatchSpec> {
    Ok(BatchSpec {
        id: body.id,
        operation: operation(
            &body.operation,
            body.signal,
            body.input,
            body.reset_to,
            body.reapply,
        )?,
        query: body.query,
        reason: body.reason,
        rps: body.rps,
    })
}

fn operation(
    name: &str,
    signal: Option<String>,
    input: Option<serde_json::Value>,
    reset_to: Option<String>,
    reapply: Option<String>,
) -> ApiResult<BatchOperation> {
    let missing = |what: &str| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("a `{name}` batch needs `{what}`"),
        )
    };
    Ok(match name {
        "signal" => BatchOperation::Signal {
            name: signal.ok_or_else(|| missing("signal"))?,
            input_json: input.unwrap_or(serde_json::Value::Null).to_string(),
        },
        "cancel" => BatchOperation::Cancel,
        "terminate" => BatchOperation::Terminate,
        "delete" => BatchOperation::Delete,
        "pause" => BatchOperation::Pause,
        "unpause" => BatchOperation::Unpause,
        "reset" => BatchOperation::Reset {
            to: reset_to.ok_or_else(|| missing("reset_to"))?,
            reapply: reapply.unwrap_or_else(|| "all".into()),
        },
        other => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!(
                    "`{other}` is not a batch operation: give `signal`, `cancel`, `terminate`, \
                     `reset`, `delete`, `pause` or `unpause`"
                ),
            ))
        }
    })
}

async fn list(State(batches): State<Batches>) -> Json<Vec<BatchInfo>> {
    Json(batches.list().await.into_iter().map(info).collect())
}

async fn describe(
    State(batches): State<Batches>,
    Path(id): Path<String>,
) -> ApiResult<Json<BatchInfo>> {
    Ok(Json(info(batches.get(&id).await?)))
}

async fn stop(
    State(batches): State<Batches>,
    Path(id): Path<String>,
    body: Option<Json<BatchStopBody>>,
) -> ApiResult<Json<BatchInfo>> {
    let reason = body
        .and_then(|Json(b)| b.reason)
        .unwrap_or_else(|| "stopped by a client".into());
    Ok(Json(info(batches.stop(&id, &reason).await?)))
}

/// A batch as the API shows it.
pub(crate) fn info(record: BatchRecord) -> BatchInfo {
    BatchInfo {
        total: record.total(),
        id: record.id,
        operation: record.operation.name().to_string(),
        query: record.query,
        reason: record.reason,
        rps: record.rps,
        state: record.state.as_str().to_string(),
        done: record.done,
        failed: record.failed,
        failures: record
            .failures
            .into_iter()
            .map(|f| BatchFailureInfo {
                workflow_id: f.workflow_id,
                message: f.message,
            })
            .collect(),
        created_ms: record.created_ms,
        finished_ms: record.finished_ms,
        stop_reason: record.stop_reason,
    }
}

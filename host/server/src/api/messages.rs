//! Routes that talk to a running execution: signals, queries and updates.

use std::future::Future;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use super::server::{body_error, ApiError, ApiResult};
use super::types::*;
use crate::contract::Payload;
use crate::runtime::{Host, MessageError, UpdateOutcome, UpdateRequest, UpdateStage};

/// Longest an update request is held open by default.
const UPDATE_WAIT_S: u64 = 30;
/// Room for the body's JSON around an input of the largest size.
const BODY_LIMIT: usize = crate::runtime::MAX_MESSAGE_PAYLOAD_BYTES + 64 * 1024;

impl From<MessageError> for ApiError {
    fn from(e: MessageError) -> ApiError {
        let code = match &e {
            MessageError::NotFound(_) => ErrorCode::NotFound,
            MessageError::Closed { .. } => ErrorCode::Closed,
            MessageError::Rejected(_) => ErrorCode::UpdateRejected,
            MessageError::Failed(_) => ErrorCode::QueryFailed,
            MessageError::Invalid(_) => ErrorCode::BadRequest,
            MessageError::Unavailable(_) | MessageError::NotOwner { .. } => ErrorCode::Unavailable,
            MessageError::Stopped(_) | MessageError::OutcomeUnknown(_) => ErrorCode::StorageFailed,
        };
        ApiError::new(code, e)
    }
}

pub(super) fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> ApiResult<T> {
    let bytes = body.map_err(|e| body_error(e, BODY_LIMIT))?;
    if bytes.len() > BODY_LIMIT {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            format!(
                "the request is larger than the input limit of {} bytes",
                crate::runtime::MAX_MESSAGE_PAYLOAD_BYTES
            ),
        ));
    }
    if bytes.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|e| ApiError::new(ErrorCode::BadRequest, e));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("the request body is not valid: {e}"),
        )
    })
}

pub(super) async fn signal(
    State(host): State<Host>,
    Path((id, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Signalled>> {
    let body: MessageBody = parse(body)?;
    let input = Payload::json(&body.input);
    let request_id = body.request_id.as_deref();
    let run = host
        .signal_with_request(&id, &name, input, request_id)
        .await?;
    tracing::debug!(workflow = %run.workflow_id, run = %run.run_id, signal = %name, "signalled");
    Ok(Json(Signalled {
        workflow_id: run.workflow_id,
        run_id: run.run_id,
    }))
}

pub(super) async fn query(
    State(host): State<Host>,
    Path((id, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<QueryAnswer>> {
    let body: MessageBody = parse(body)?;
    let answer = host.query(&id, &name, Payload::json(&body.input)).await?;
    Ok(Json(QueryAnswer {
        result: answer.to_json(),
    }))
}

pub(super) async fn update(
    State(host): State<Host>,
    Path((id, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<UpdateAnswer>)> {
    let body: UpdateBody = parse(body)?;
    let wait: UpdateStage = match &body.wait {
        Some(w) => w
            .parse()
            .map_err(|e: String| ApiError::new(ErrorCode::BadRequest, e))?,
        None => UpdateStage::default(),
    };
    // Chosen here, not in the host, so that a request that times out can be asked again.
    let update_id = body
        .update_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let request = UpdateRequest {
        update_id: Some(update_id.clone()),
        name,
        input: Payload::json(&body.input),
        wait,
    };
    let answer = host.update(&id, request);
    let (status, answer) = answer_update(answer, update_id, body.wait_s).await?;
    Ok((status, Json(answer)))
}

/// Wait for `answer` (an update's outcome) at most `wait_s` (default 30, at most 300):
/// 200 with the outcome, or 202 `pending` when it is not at the asked stage by then.
pub(super) async fn answer_update(
    answer: impl Future<Output = Result<UpdateOutcome, MessageError>>,
    update_id: String,
    wait_s: Option<u64>,
) -> ApiResult<(StatusCode, UpdateAnswer)> {
    let hold = Duration::from_secs(wait_s.unwrap_or(UPDATE_WAIT_S).min(300));
    // `wait_s: 0` asks for the stage reached at once: polled once, never raced
    // against a timer.
    let outcome = if hold.is_zero() {
        let mut answer = std::pin::pin!(answer);
        match std::future::poll_fn(|cx| std::task::Poll::Ready(answer.as_mut().poll(cx))).await {
            std::task::Poll::Ready(outcome) => Ok(outcome),
            std::task::Poll::Pending => Err(()),
        }
    } else {
        tokio::time::timeout(hold, answer).await.map_err(|_| ())
    };
    let outcome = match outcome {
        Err(()) => {
            return Ok((
                StatusCode::ACCEPTED,
                UpdateAnswer {
                    update_id,
                    stage: "pending".into(),
                    result: None,
                    failure: None,
                },
            ))
        }
        Ok(Err(MessageError::Failed(f))) => {
            return Err(ApiError::new(ErrorCode::UpdateFailed, f.message))
        }
        Ok(outcome) => outcome?,
    };
    let answer = match outcome {
        UpdateOutcome::Accepted { update_id } => UpdateAnswer {
            update_id,
            stage: UpdateStage::Accepted.as_str().into(),
            result: None,
            failure: None,
        },
        UpdateOutcome::Completed { update_id, result } => {
            let (result, failure) = match result {
                Ok(value) => (Some(value.to_json()), None),
                Err(f) => (None, Some(FailureBody::of(&f))),
            };
            UpdateAnswer {
                update_id,
                stage: UpdateStage::Completed.as_str().into(),
                result,
                failure,
            }
        }
    };
    Ok((StatusCode::OK, answer))
}

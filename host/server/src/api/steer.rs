//! Routes that steer a running execution: `pause` (no workflow task runs; what
//! arrives waits) and `unpause`, and the acts on one of its activities (`pause`,
//! `unpause`, `reset`, `update-options`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::Json;

use super::control::reason as checked_reason;
use super::messages::parse;
use super::server::{ApiError, ApiResult};
use super::steer_types::*;
use super::types::*;
use crate::runtime::{
    ActivityAction, ActivityRef, Host, OptionsUpdate, Steer, SteerAction, SteerError,
};

impl From<SteerError> for ApiError {
    fn from(e: SteerError) -> ApiError {
        match e {
            SteerError::Message(e) => e.into(),
            e @ SteerError::NoActivity { .. } => ApiError::new(ErrorCode::NotFound, e),
            e @ (SteerError::AlreadyPaused { .. }
            | SteerError::NotPaused(_)
            | SteerError::Activity(_)) => ApiError::new(ErrorCode::Conflict, e),
        }
    }
}

pub(super) async fn pause(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RunRef>> {
    let body: SteerBody = parse(body)?;
    let (reason, identity) = texts(body.reason, body.identity, DEFAULT_PAUSE_REASON)?;
    let action = SteerAction::Pause;
    steer(&host, &id, action, reason, identity).await
}

pub(super) async fn unpause(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<RunRef>> {
    let body: SteerBody = parse(body)?;
    let (reason, identity) = texts(body.reason, body.identity, DEFAULT_UNPAUSE_REASON)?;
    let action = SteerAction::Unpause;
    steer(&host, &id, action, reason, identity).await
}

async fn steer(
    host: &Host,
    id: &str,
    action: SteerAction,
    reason: String,
    identity: String,
) -> ApiResult<Json<RunRef>> {
    let what = format!("{action:?}");
    let request = Steer {
        action,
        reason,
        identity,
    };
    let run = host.steer(id, request).await?.run;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, "{what}");
    Ok(Json(RunRef {
        workflow_id: run.workflow_id,
        run_id: run.run_id,
    }))
}

/// `POST /v1/executions/{id}/activities/{activity}/{op}`.
pub(super) async fn activity(
    State(host): State<Host>,
    Path((id, activity, op)): Path<(String, String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ActivityOpAnswer>> {
    let body: ActivityOpBody = parse(body)?;
    let steered = host
        .steer(&id, activity_request(&activity, &op, body)?)
        .await?;
    let seq = steered.seq.expect("an activity act answers its seq");
    tracing::info!(workflow = %steered.run.workflow_id, seq, %op, "activity steered");
    Ok(Json(ActivityOpAnswer {
        workflow_id: steered.run.workflow_id,
        run_id: steered.run.run_id,
        seq,
    }))
}

/// The act `op` (`pause`, `unpause`, `reset`, `update-options`) on the pending activity
/// `activity` (a seq or a type), checked (the web UI's forms build the same body).
pub(crate) fn activity_request(activity: &str, op: &str, body: ActivityOpBody) -> ApiResult<Steer> {
    let update = OptionsUpdate {
        start_to_close_ms: body.start_to_close_ms,
        schedule_to_close_ms: body.schedule_to_close_ms,
        heartbeat_timeout_ms: body.heartbeat_timeout_ms,
        maximum_attempts: body.maximum_attempts,
        initial_interval_ms: body.initial_interval_ms,
        backoff_coefficient: body.backoff_coefficient,
        maximum_interval_ms: body.maximum_interval_ms,
    };
    let act = match op {
        "update-options" => ActivityAction::UpdateOptions(update),
        _ if !update.is_empty() => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("options are changed by `update-options`, not by `{op}`"),
            ))
        }
        "pause" => ActivityAction::Pause,
        "unpause" => ActivityAction::Unpause,
        "reset" => ActivityAction::Reset,
        other => {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("no activity operation `{other}` (pause, unpause, reset, update-options)"),
            ))
        }
    };
    let (reason, identity) = texts(body.reason, body.identity, DEFAULT_ACTIVITY_REASON)?;
    Ok(Steer {
        action: SteerAction::Activity(ActivityRef::parse(activity), act),
        reason,
        identity,
    })
}

/// The reason (checked as a stop's is) and the identity.
pub(crate) fn texts(
    reason: Option<String>,
    identity: Option<String>,
    default: &str,
) -> ApiResult<(String, String)> {
    let identity = match identity {
        None => DEFAULT_IDENTITY.to_string(),
        Some(i) if i.trim().is_empty() || i.len() > MAX_REASON_BYTES => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!(
                "identity: give 1 to {MAX_REASON_BYTES} bytes that are not blank, or leave it out"
            ),
            ))
        }
        Some(i) => i,
    };
    let stop = StopBody {
        reason,
        request_id: None,
    };
    Ok((checked_reason(stop, default)?, identity))
}

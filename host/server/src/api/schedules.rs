//! The schedule routes: create, list, describe, update, pause, unpause, trigger,
//! backfill, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::schedule_types::*;
use super::server::{ApiError, ApiResult};
use super::types::ErrorCode;
use crate::schedules::{OverlapPolicy, Schedule, ScheduleDescription, ScheduleError, Schedules};

/// The schedule routes over `schedules`.
pub fn routes(schedules: Schedules) -> Router {
    Router::new()
        .route("/v1/schedules", get(list).post(create))
        .route(
            "/v1/schedules/{id}",
            get(describe).put(update).delete(delete),
        )
        .route("/v1/schedules/{id}/pause", post(pause))
        .route("/v1/schedules/{id}/unpause", post(unpause))
        .route("/v1/schedules/{id}/trigger", post(trigger))
        .route("/v1/schedules/{id}/backfill", post(backfill))
        .with_state(schedules)
}

impl From<ScheduleError> for ApiError {
    fn from(e: ScheduleError) -> ApiError {
        let code = match &e {
            ScheduleError::AlreadyExists(_) => ErrorCode::Conflict,
            ScheduleError::NotFound(_) => ErrorCode::NotFound,
            ScheduleError::Spec(_) | ScheduleError::Invalid(_) => ErrorCode::Invalid,
            ScheduleError::Start(_) => ErrorCode::Invalid,
            ScheduleError::HostGone => ErrorCode::Unavailable,
            ScheduleError::Storage(_) => ErrorCode::Internal,
        };
        ApiError::new(code, e)
    }
}

fn overlap(name: Option<&str>) -> ApiResult<Option<OverlapPolicy>> {
    name.map(str::parse)
        .transpose()
        .map_err(|e: String| ApiError::new(ErrorCode::Invalid, e))
}

fn json_body<T>(body: Result<Json<T>, axum::extract::rejection::JsonRejection>) -> ApiResult<T> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.body_text()))
}

async fn create(
    State(schedules): State<Schedules>,
    body: Result<Json<ScheduleBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<ScheduleInfo>)> {
    let body = json_body(body)?;
    let id = body
        .id
        .clone()
        .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "a new schedule needs an `id`"))?;
    let schedule =
        Schedule::from_body(&body, &id).map_err(|e| ApiError::new(ErrorCode::Invalid, e))?;
    let note = body.note.as_deref().unwrap_or_default();
    schedules.create(&id, schedule, body.paused, note).await?;
    let described = schedules.describe(&id).await?;
    Ok((StatusCode::CREATED, Json(info(&schedules, &described))))
}

/// A schedule as the API and the UI show it: its action's sensitive fields masked.
pub(crate) fn info(schedules: &Schedules, described: &ScheduleDescription) -> ScheduleInfo {
    let mut info = ScheduleInfo::from(described);
    weft_runtime::masking::mask_action(&schedules.sensitive_fields(), &mut info.action);
    info
}

async fn list(State(schedules): State<Schedules>) -> ApiResult<Json<ScheduleList>> {
    let all = schedules.list().await?;
    Ok(Json(ScheduleList {
        schedules: all.iter().map(|d| info(&schedules, d)).collect(),
    }))
}

async fn describe(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
) -> ApiResult<Json<ScheduleInfo>> {
    Ok(Json(info(&schedules, &schedules.describe(&id).await?)))
}

async fn update(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
    body: Result<Json<ScheduleBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<ScheduleInfo>> {
    let schedule = Schedule::from_body(&json_body(body)?, &id)
        .map_err(|e| ApiError::new(ErrorCode::Invalid, e))?;
    schedules.update(&id, schedule).await?;
    Ok(Json(info(&schedules, &schedules.describe(&id).await?)))
}

async fn pause(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
    body: Result<Json<NoteBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<ScheduleInfo>> {
    let body = json_body(body)?;
    schedules.pause(&id, body.note.as_deref()).await?;
    Ok(Json(info(&schedules, &schedules.describe(&id).await?)))
}

async fn unpause(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
    body: Result<Json<NoteBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<ScheduleInfo>> {
    let body = json_body(body)?;
    schedules.unpause(&id, body.note.as_deref()).await?;
    Ok(Json(info(&schedules, &schedules.describe(&id).await?)))
}

async fn trigger(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
    body: Result<Json<TriggerBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<ScheduleInfo>> {
    let body = json_body(body)?;
    schedules
        .trigger(&id, overlap(body.overlap.as_deref())?)
        .await?;
    Ok(Json(info(&schedules, &schedules.describe(&id).await?)))
}

async fn backfill(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
    body: Result<Json<BackfillBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Backfilled>> {
    let body = json_body(body)?;
    let policy = overlap(body.overlap.as_deref())?;
    let (_, slots) = schedules
        .backfill(&id, body.start_ms, body.end_ms, policy)
        .await?;
    Ok(Json(Backfilled {
        slots,
        schedule: info(&schedules, &schedules.describe(&id).await?),
    }))
}

async fn delete(
    State(schedules): State<Schedules>,
    Path(id): Path<String>,
) -> ApiResult<Json<Deleted>> {
    schedules.delete(&id).await?;
    Ok(Json(Deleted { id }))
}

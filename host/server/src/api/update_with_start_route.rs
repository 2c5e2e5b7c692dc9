//! `POST /v1/executions/{id}/update-with-start`: a start and an update in one request
//! (see the runtime's `update_with_start`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::messages::{answer_update, parse};
use super::server::{start_error, start_request, ApiError, ApiResult};
use super::types::ErrorCode;
use super::update_with_start::{UpdateWithStartAnswer, UpdateWithStartBody};
use crate::contract::Payload;
use crate::runtime::{Host, UpdateRequest, UpdateStage};

pub(super) async fn update_with_start(
    State(host): State<Host>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<UpdateWithStartAnswer>)> {
    let mut body: UpdateWithStartBody = parse(body)?;
    let bad = |message: String| ApiError::new(ErrorCode::BadRequest, message);
    match &body.start.id {
        Some(given) if *given != id => {
            return Err(bad(format!(
                "start.id `{given}` is not the path's workflow id `{id}`; leave it out"
            )))
        }
        _ => body.start.id = Some(id),
    }
    if body.start.signal.is_some() {
        return Err(bad(
            "start.signal: an update-with-start carries an update, not a signal".into(),
        ));
    }
    let wait: UpdateStage = match &body.update.wait {
        Some(w) => w.parse().map_err(bad)?,
        None => UpdateStage::default(),
    };
    // Chosen here, not in the host, so that a request that times out can be asked again.
    let update_id =
        (body.update.update_id).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let update = UpdateRequest {
        update_id: Some(update_id.clone()),
        name: body.update_name,
        input: Payload::json(&body.update.input),
        wait,
    };
    let start = start_request(body.start)?;
    let (started, update) = host
        .start_with_update(start, update)
        .await
        .map_err(start_error)?;
    let run = started.run;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, started = started.started, "update-with-start");
    let answer = host.update(&run.run_id, update);
    let (status, answer) = answer_update(answer, update_id, body.update.wait_s).await?;
    Ok((
        status,
        Json(UpdateWithStartAnswer {
            workflow_id: run.workflow_id,
            run_id: run.run_id,
            started: started.started,
            update: answer,
        }),
    ))
}

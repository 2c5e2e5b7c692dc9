//! The actions on one execution, each a form post (checked by the guard first):
//! cancel and terminate (then back to the run's page), and query, signal and update,
//! whose answer (or the workflow's refusal, such as an update validator's message) is
//! shown above the messages tab. They call the host as the JSON API does.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::execution::{show, TabForm};
use super::guard::Viewer;
use super::layout::{execution_href, json_block};
use super::{Ui, UiError, UiResult};
use crate::api::control::reason;
use crate::api::types::StopBody;
use crate::api::ApiError;
use crate::contract::Payload;
use crate::runtime::{MessageError, UpdateOutcome, UpdateRequest, UpdateStage};

/// Longest the UI waits for an update to complete before saying it is still running.
const UPDATE_WAIT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
pub(crate) struct StopForm {
    #[serde(default)]
    reason: String,
}

impl StopForm {
    fn reason(&self, default: &str) -> UiResult<String> {
        let given = Some(self.reason.trim().to_string()).filter(|r| !r.is_empty());
        let body = StopBody {
            reason: given,
            request_id: None,
        };
        Ok(reason(body, default)?)
    }
}

pub(crate) async fn terminate(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    Form(form): Form<StopForm>,
) -> UiResult<Response> {
    let reason = form.reason("terminated from the web UI")?;
    let run = ui.host.terminate(&id, &reason).await?;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, %reason, "terminated from the web UI");
    Ok(back_to(&run.run_id))
}

pub(crate) async fn cancel(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    Form(form): Form<StopForm>,
) -> UiResult<Response> {
    let reason = form.reason("cancelled from the web UI")?;
    let run = ui.host.cancel(&id, &reason).await?;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, %reason, "cancel requested from the web UI");
    Ok(back_to(&run.run_id))
}

/// Post, redirect, get: back to the run's page.
fn back_to(run_id: &str) -> Response {
    Redirect::to(&execution_href(run_id)).into_response()
}

#[derive(Deserialize)]
pub(crate) struct MessageForm {
    name: String,
    #[serde(default)]
    input: String,
}

impl MessageForm {
    /// `act` on the form's input, once it is valid JSON.
    async fn send<F, Fut>(&self, act: F) -> UiResult<Markup>
    where
        F: FnOnce(Payload) -> Fut,
        Fut: std::future::Future<Output = UiResult<Markup>>,
    {
        act(self.input()?).await
    }

    /// The input as a payload: the field's JSON, null when empty.
    fn input(&self) -> Result<Payload, UiError> {
        let text = self.input.trim();
        if text.is_empty() {
            return Ok(Payload::json(&serde_json::Value::Null));
        }
        serde_json::from_str(text)
            .map(|v| Payload::json(&v))
            .map_err(|e| {
                UiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the input is not valid JSON: {e}"),
                )
            })
    }
}

pub(crate) async fn signal(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> UiResult<Response> {
    let send = |input| async {
        let run = ui.host.signal(&id, &form.name, input).await?;
        Ok(
            html! { div.notice role="status" { "Signal " code { (form.name) } " is durable in run " code { (run.run_id) } "." } },
        )
    };
    answered(&ui, &viewer, &id, form.send(send).await).await
}

pub(crate) async fn query(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> UiResult<Response> {
    let ask = |input| async {
        let value = ui.host.query(&id, &form.name, input).await?;
        Ok(
            html! { div.notice role="status" { "Query " code { (form.name) } " answered:" (json_block(&shown(&ui, value))) } },
        )
    };
    answered(&ui, &viewer, &id, form.send(ask).await).await
}

pub(crate) async fn update(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<MessageForm>,
) -> UiResult<Response> {
    let ask = |input| update_answer(&ui, &id, &form.name, input);
    answered(&ui, &viewer, &id, form.send(ask).await).await
}

/// A query's or an update's answer as the page shows it: sensitive fields masked.
fn shown(ui: &Ui, mut value: Payload) -> serde_json::Value {
    weft_runtime::masking::mask_payload(ui.host.sensitive_fields(), &mut value);
    value.to_json()
}

/// An update's outcome as a notice, or the workflow's refusal as an error.
async fn update_answer(ui: &Ui, id: &str, name: &str, input: Payload) -> UiResult<Markup> {
    let request = UpdateRequest {
        update_id: Some(uuid::Uuid::new_v4().simple().to_string()),
        name: name.to_string(),
        input,
        wait: UpdateStage::Completed,
    };
    match tokio::time::timeout(UPDATE_WAIT, ui.host.update(id, request)).await {
        Err(_) => Ok(
            html! { div.notice role="status" { "Update " code { (name) } " was accepted and is still running." } },
        ),
        Ok(Ok(UpdateOutcome::Completed {
            result: Ok(value), ..
        })) => Ok(html! {
            div.notice role="status" { "Update " code { (name) } " completed:" (json_block(&shown(ui, value))) }
        }),
        Ok(Ok(UpdateOutcome::Completed { result: Err(f), .. })) => Err(UiError::new(
            StatusCode::OK,
            format!("Update {name} completed with an error: {}", f.message),
        )),
        Ok(Ok(UpdateOutcome::Accepted { .. })) => {
            Ok(html! { div.notice role="status" { "Update " code { (name) } " was accepted." } })
        }
        Ok(Err(MessageError::Rejected(f))) => Err(UiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("The workflow rejected update {name}: {}", f.message),
        )),
        Ok(Err(e)) => Err(ApiError::from(e).into()),
    }
}

/// The messages tab of `id` with `answer` above it; a failed message keeps its status.
async fn answered(
    ui: &Ui,
    viewer: &Viewer,
    id: &str,
    answer: UiResult<Markup>,
) -> UiResult<Response> {
    let (status, notice) = match answer {
        Ok(notice) => (StatusCode::OK, notice),
        Err(e) => (e.status, html! { div.error role="alert" { (e.message) } }),
    };
    let mut response = show(ui, viewer, id, &TabForm::messages(), notice).await?;
    *response.status_mut() = status;
    Ok(response)
}

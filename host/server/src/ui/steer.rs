//! The acts that repair and steer one execution, each a form post (checked by the guard
//! first): pause and unpause the run, reset it (to its first or last workflow task or
//! to a `task-started` event), delete a closed execution, and pause, unpause, reset or
//! change the options of one of its pending activities. Each builds the body the JSON
//! API takes and goes through the same checks ([`crate::api::reset::request`],
//! [`crate::api::steer::activity_request`]), so the UI refuses what the API refuses,
//! with the API's message.
//!
//! Done, each answers a redirect: a reset to its new run's page, a delete to the list,
//! the others back to the run. Refused, the run's page is shown again with the API's
//! status and message (a reset that would diverge: the divergence report).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;
use serde::Deserialize;

use super::execution::{show, TabForm};
use super::guard::Viewer;
use super::layout::{execution_href, query_value};
use super::{Ui, UiError, UiResult};
use crate::api::steer::{activity_request, texts};
use crate::api::steer_types::{ActivityOpBody, DEFAULT_PAUSE_REASON, DEFAULT_UNPAUSE_REASON};
use crate::api::types::ResetBody;
use crate::runtime::{Steer, SteerAction};
use crate::schedules::parse_duration;

/// Longest an activity act is waited for before the page says it waits for the
/// attempt in flight.
const ACT_WAIT: Duration = Duration::from_secs(5);

/// Who the history records as having asked, for every act from the UI.
pub(crate) const UI_IDENTITY: &str = "web UI";

#[derive(Deserialize)]
pub(crate) struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// A form field as the API's optional text: absent when left empty.
fn given(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

pub(crate) async fn pause(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> UiResult<Response> {
    let done = steer_run(&ui, &id, SteerAction::Pause, &form, DEFAULT_PAUSE_REASON).await;
    acted(&ui, &viewer, &id, done).await
}

pub(crate) async fn unpause(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> UiResult<Response> {
    let done = steer_run(
        &ui,
        &id,
        SteerAction::Unpause,
        &form,
        DEFAULT_UNPAUSE_REASON,
    )
    .await;
    acted(&ui, &viewer, &id, done).await
}

/// Pause or unpause the run; the page to go back to.
async fn steer_run(
    ui: &Ui,
    id: &str,
    action: SteerAction,
    form: &ReasonForm,
    default: &str,
) -> UiResult<String> {
    let what = format!("{action:?}");
    let (reason, identity) = texts(given(&form.reason), Some(UI_IDENTITY.into()), default)?;
    let request = Steer {
        action,
        reason,
        identity,
    };
    let run = ui.host.steer(id, request).await?.run;
    tracing::info!(workflow = %run.workflow_id, run = %run.run_id, "{what} from the web UI");
    Ok(execution_href(&run.run_id))
}

#[derive(Deserialize, Default)]
pub(crate) struct ResetForm {
    /// `first-task`, `last-task` or `event` (then `event` says which).
    #[serde(default)]
    point: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reapply: String,
}

impl ResetForm {
    /// The body the API's reset route takes.
    fn body(&self) -> UiResult<ResetBody> {
        let to = match self.point.as_str() {
            "event" => given(&self.event).ok_or_else(|| {
                UiError::new(
                    StatusCode::BAD_REQUEST,
                    "event: give the index of a `task-started` event (the history's full view numbers them)",
                )
            })?,
            point => match given(&self.event) {
                None => point.to_string(),
                Some(event) => {
                    return Err(UiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("event {event} is given, but the reset is to `{point}`: choose “the task at event…”, or clear the event"),
                    ))
                }
            },
        };
        Ok(ResetBody {
            to,
            reason: self.reason.clone(),
            reapply: given(&self.reapply),
        })
    }
}

pub(crate) async fn reset(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Form(form): Form<ResetForm>,
) -> UiResult<Response> {
    let done = async {
        let request = crate::api::reset::request(form.body()?)?;
        let done = ui
            .host
            .reset(&id, request)
            .await
            .map_err(crate::api::ApiError::from)
            .map_err(|e| {
                UiError::new(
                    e.status(),
                    format!("The reset was refused: {}", e.message()),
                )
            })?;
        tracing::info!(workflow = %done.workflow_id, from = %done.from_run_id, run = %done.run_id, "reset from the web UI");
        Ok::<_, UiError>(execution_href(&done.run_id))
    };
    acted(&ui, &viewer, &id, done.await).await
}

pub(crate) async fn delete(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> UiResult<Response> {
    let done = async {
        let runs = ui.host.delete_execution(&id).await?;
        let workflow_id = &runs[0].workflow_id;
        tracing::info!(workflow = %workflow_id, runs = runs.len(), "deleted from the web UI");
        Ok::<_, UiError>(format!(
            "/ui/executions?deleted={}",
            query_value(workflow_id)
        ))
    };
    acted(&ui, &viewer, &id, done.await).await
}

/// The fields of an activity's forms: a reason, and for `update-options` the options
/// as people write them (durations such as `30s` or `5m`, empty: unchanged).
#[derive(Deserialize, Default)]
pub(crate) struct ActivityForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    start_to_close: String,
    #[serde(default)]
    schedule_to_close: String,
    #[serde(default)]
    heartbeat_timeout: String,
    #[serde(default)]
    maximum_attempts: String,
    #[serde(default)]
    initial_interval: String,
    #[serde(default)]
    backoff_coefficient: String,
    #[serde(default)]
    maximum_interval: String,
}

impl ActivityForm {
    /// The body the API's activity route takes; a field that does not parse is named.
    fn body(&self) -> UiResult<ActivityOpBody> {
        fn ms(field: &str, text: &str) -> UiResult<Option<u64>> {
            given(text)
                .map(|t| parse_duration(&t).map(|d| d.as_millis() as u64))
                .transpose()
                .map_err(|e| UiError::new(StatusCode::BAD_REQUEST, format!("{field}: {e}")))
        }
        fn number<T: std::str::FromStr>(field: &str, text: &str) -> UiResult<Option<T>> {
            given(text)
                .map(|t| t.parse::<T>())
                .transpose()
                .map_err(|_| {
                    UiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("{field}: `{}` is not a number", text.trim()),
                    )
                })
        }
        Ok(ActivityOpBody {
            reason: given(&self.reason),
            identity: Some(UI_IDENTITY.into()),
            start_to_close_ms: ms("start-to-close", &self.start_to_close)?,
            schedule_to_close_ms: ms("schedule-to-close", &self.schedule_to_close)?,
            heartbeat_timeout_ms: ms("heartbeat timeout", &self.heartbeat_timeout)?,
            maximum_attempts: number("maximum attempts", &self.maximum_attempts)?,
            initial_interval_ms: ms("initial interval", &self.initial_interval)?,
            backoff_coefficient: number("backoff coefficient", &self.backoff_coefficient)?,
            maximum_interval_ms: ms("maximum interval", &self.maximum_interval)?,
        })
    }
}

/// `POST /ui/executions/{id}/activities/{activity}/{op}`. A reset or an options change
/// on an attempt in flight waits for the attempt to end; after [`ACT_WAIT`] the page
/// says so (202), and the host records the act when the attempt ends.
pub(crate) async fn activity(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path((id, activity, op)): Path<(String, String, String)>,
    Form(form): Form<ActivityForm>,
) -> UiResult<Response> {
    let request = match form
        .body()
        .and_then(|b| Ok(activity_request(&activity, &op, b)?))
    {
        Ok(request) => request,
        Err(e) => return acted(&ui, &viewer, &id, Err(e)).await,
    };
    // In a task of its own: a wait cut short leaves the act queued, not dropped.
    let (host, target, what) = (ui.host.clone(), id.clone(), format!("{op} {activity}"));
    let steering = tokio::spawn(async move {
        let steered = host.steer(&target, request).await;
        match &steered {
            Ok(s) => {
                tracing::info!(workflow = %s.run.workflow_id, "activity {what}: done from the web UI")
            }
            Err(e) => tracing::warn!(workflow = %target, "activity {what} from the web UI: {e}"),
        }
        steered
    });
    let done = match tokio::time::timeout(ACT_WAIT, steering).await {
        Err(_) => {
            let notice = html! { div.notice role="status" {
                "Activity " code { (activity) } ": an attempt is in flight, and the "
                (op) " waits for it to end; the host records it then."
            } };
            let mut response = show(&ui, &viewer, &id, &TabForm::default(), notice).await?;
            *response.status_mut() = StatusCode::ACCEPTED;
            return Ok(response);
        }
        Ok(Err(e)) => Err(UiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
        Ok(Ok(steered)) => steered
            .map_err(UiError::from)
            .map(|steered| execution_href(&steered.run.run_id)),
    };
    acted(&ui, &viewer, &id, done).await
}

/// Done: a redirect to the page `done` names. Refused: the run's page with the
/// refusal above the tabs, answered with its status.
async fn acted(ui: &Ui, viewer: &Viewer, id: &str, done: UiResult<String>) -> UiResult<Response> {
    let e = match done {
        Ok(href) => return Ok(Redirect::to(&href).into_response()),
        Err(e) => e,
    };
    let notice = html! { div.error role="alert" { (e.message) } };
    let mut response = show(ui, viewer, id, &TabForm::default(), notice).await?;
    *response.status_mut() = e.status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_form_becomes_the_apis_body() {
        let form = ActivityForm {
            start_to_close: "2h".into(),
            maximum_attempts: " 5 ".into(),
            backoff_coefficient: "1.5".into(),
            schedule_to_close: "0".into(),
            ..ActivityForm::default()
        };
        let body = form.body().unwrap();
        assert_eq!(body.start_to_close_ms, Some(7_200_000));
        assert_eq!(body.schedule_to_close_ms, Some(0));
        assert_eq!(body.maximum_attempts, Some(5));
        assert_eq!(body.backoff_coefficient, Some(1.5));
        assert_eq!((body.initial_interval_ms, body.reason), (None, None));
        assert_eq!(body.identity.as_deref(), Some(UI_IDENTITY));
        let bad = |form: ActivityForm| form.body().unwrap_err().message;
        let late = bad(ActivityForm {
            maximum_interval: "soon".into(),
            ..ActivityForm::default()
        });
        assert!(late.starts_with("maximum interval: `soon`"), "{late}");
        let many = bad(ActivityForm {
            maximum_attempts: "many".into(),
            ..ActivityForm::default()
        });
        assert_eq!(many, "maximum attempts: `many` is not a number");
    }

    #[test]
    fn a_reset_to_an_event_needs_its_index() {
        let form = |point: &str, event: &str| ResetForm {
            point: point.into(),
            event: event.into(),
            reason: "why".into(),
            reapply: String::new(),
        };
        let body = form("event", " 7 ").body().unwrap();
        assert_eq!((body.to.as_str(), body.reapply), ("7", None));
        assert_eq!(form("last-task", " ").body().unwrap().to, "last-task");
        let both = form("first-task", "7").body().unwrap_err().message;
        assert!(
            both.starts_with("event 7 is given, but the reset is to `first-task`"),
            "{both}"
        );
        let missing = form("event", "").body().unwrap_err();
        assert_eq!(missing.status, StatusCode::BAD_REQUEST);
        assert!(missing.message.starts_with("event: give the index"));
    }
}

//! Start a workflow: its type (from the deployed modules), id, input, and the id reuse
//! policy; `?like={id}` fills the form from another run (its type, input and memo). The
//! form goes through the same start as `POST /v1/executions`.

use std::collections::BTreeSet;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::Viewer;
use super::layout::{self, csrf_field, execution_href, Section};
use super::{Ui, UiResult};
use crate::api::start_run;
use crate::api::types::StartBody;
use crate::contract::Job;
use crate::history::Event;

#[derive(Deserialize, Default)]
pub(crate) struct StartForm {
    #[serde(default)]
    workflow_type: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    input: String,
    #[serde(default)]
    memo: String,
    #[serde(default)]
    id_reuse_policy: String,
}

#[derive(Deserialize)]
pub(crate) struct LikeForm {
    like: Option<String>,
}

pub(crate) async fn form(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Query(like): Query<LikeForm>,
) -> UiResult<Markup> {
    let mut form = StartForm::default();
    if let Some(id) = like.like.as_deref() {
        let run = ui.host.find_run(id)?;
        // Shown in the form, so masked: sensitive values are typed in again.
        let description = crate::api::describe::describe(&ui.host, id)?;
        form.workflow_type = run.workflow_type.clone();
        form.input = crate::api::describe::decoded_history(&ui.host, &run.run_id)?
            .iter()
            .find_map(|e| match e {
                Event::Job(Job::StartWorkflow(s)) | Event::PendingJob(Job::StartWorkflow(s)) => {
                    serde_json::to_string_pretty(&s.input.to_json()).ok()
                }
                _ => None,
            })
            .unwrap_or_default();
        let memo: serde_json::Map<String, serde_json::Value> = description.memo;
        if !memo.is_empty() {
            form.memo = serde_json::to_string_pretty(&memo).unwrap_or_default();
        }
    }
    Ok(render(&ui, &viewer, &form, None))
}

fn render(ui: &Ui, viewer: &Viewer, form: &StartForm, error: Option<&str>) -> Markup {
    let types: BTreeSet<String> = ui
        .host
        .module_versions()
        .into_iter()
        .flat_map(|m| m.workflow_types)
        // A dynamic workflow is started as the types it serves, never by its own name.
        .filter(|t| t != crate::DYNAMIC_WORKFLOW)
        .collect();
    let body = html! {
        h1 { "Start a workflow" }
        @if let Some(error) = error { div.error role="alert" { (error) } }
        form.message method="post" action="/ui/start" {
            (csrf_field(viewer))
            label { "Workflow type "
                select name="workflow_type" required {
                    @for t in &types { option value=(t) selected[*t == form.workflow_type] { (t) } }
                }
            }
            label { "Workflow id " input type="text" name="id" value=(form.id) placeholder="picked by the host when empty"; }
            label { "Input (JSON) " textarea name="input" data-json placeholder="null" { (form.input) } }
            label { "Memo (a JSON object, optional) " textarea name="memo" data-json { (form.memo) } }
            label { "Id reuse policy "
                select name="id_reuse_policy" {
                    @for p in ["allow-duplicate", "allow-duplicate-failed-only", "reject-duplicate"] {
                        option value=(p) selected[p == form.id_reuse_policy] { (p) }
                    }
                }
            }
            button type="submit" { "Start" }
        }
    };
    layout::page(viewer, Section::Start, "Start a workflow", body)
}

pub(crate) async fn submit(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<StartForm>,
) -> Response {
    let refused = |status: StatusCode, message: String| {
        (status, render(&ui, &viewer, &form, Some(&message))).into_response()
    };
    let json = |text: &str, what: &str| -> Result<serde_json::Value, String> {
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(text).map_err(|e| format!("the {what} is not valid JSON: {e}"))
    };
    let (input, memo) = match (json(&form.input, "input"), json(&form.memo, "memo")) {
        (Ok(input), Ok(memo)) => (input, memo),
        (Err(e), _) | (_, Err(e)) => return refused(StatusCode::BAD_REQUEST, e),
    };
    let memo = match memo {
        serde_json::Value::Null => Default::default(),
        serde_json::Value::Object(map) => map,
        _ => {
            return refused(
                StatusCode::BAD_REQUEST,
                "the memo is a JSON object of named values".into(),
            )
        }
    };
    let body = StartBody {
        workflow_type: form.workflow_type.clone(),
        input,
        id: Some(form.id.trim().to_string()).filter(|id| !id.is_empty()),
        id_reuse_policy: Some(form.id_reuse_policy.clone()).filter(|p| !p.is_empty()),
        memo,
        ..StartBody::default()
    };
    match start_run(&ui.host, body).await {
        Ok(started) => Redirect::to(&execution_href(&started.run_id)).into_response(),
        Err(e) => refused(e.status(), e.message().to_string()),
    }
}

//! Batch jobs (`weft batch`): the list (id, operation, query, state, progress,
//! failures), one batch's page (its progress, polled while it runs, the executions it
//! failed on with the messages, a Stop button), and the stop itself. Submitting one
//! starts from the executions list ([`super::batch_new`]).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::Viewer;
use super::layout::{self, csrf_field, execution_href, segment, Section};
use super::{Ui, UiResult};
use crate::api::batches::info;
use crate::api::types::MAX_REASON_BYTES;
use weft_api::batch_types::BatchInfo;

/// `/ui/batches/{id}` for batch `id`.
pub(crate) fn batch_href(id: &str) -> String {
    format!("/ui/batches/{}", segment(id))
}

pub(crate) async fn list(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
) -> UiResult<Markup> {
    let batches: Vec<BatchInfo> = ui.batches.list().await.into_iter().map(info).collect();
    let body = html! {
        h1 { "Batches" }
        p.muted { "A batch applies one operation to every execution a list query found when it was submitted; submit one from the executions list (“Batch action”)." }
        @if batches.is_empty() {
            p.muted { "No batches." }
        } @else {
            table.batches {
                thead { tr { th { "Id" } th { "Operation" } th { "Query" } th { "State" } th { "Progress" } th.num { "Failed" } th { "Submitted" } } }
                tbody { @for b in &batches {
                    tr data-state=(b.state) {
                        td { a href=(batch_href(&b.id)) { (b.id) } }
                        td { (b.operation) }
                        td { code { (b.query) } }
                        td { (state_badge(&b.state)) }
                        td { (progress(b)) }
                        td.num { (b.failed) }
                        td { (layout::time(b.created_ms)) }
                    }
                } }
            }
        }
    };
    Ok(layout::page(&viewer, Section::Batches, "Batches", body))
}

#[derive(Deserialize, Default)]
pub(crate) struct BatchPageForm {
    /// `live`: only the polled part.
    fragment: Option<String>,
}

pub(crate) async fn page(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Query(form): Query<BatchPageForm>,
) -> UiResult<Response> {
    let batch = info(ui.batches.get(&id).await?);
    if form.fragment.as_deref() == Some("live") {
        return Ok(live(&batch).into_response());
    }
    let running = batch.state == "running";
    let body = html! {
        h1 { "Batch " (batch.id) " " (state_badge(&batch.state)) }
        dl.grid {
            dt { "Operation" } dd { (batch.operation) }
            dt { "Query" } dd { code { (batch.query) } " " a href=(format!("/ui/executions?query={}", layout::query_value(&batch.query))) { "list what it finds now" } }
            dt { "Reason" } dd { (batch.reason) }
            dt { "Rate" } dd { @if let Some(rps) = batch.rps { (rps) " a second" } @else { "as fast as they go" } }
            dt { "Submitted" } dd { (layout::time(batch.created_ms)) }
        }
        @if running && !viewer.read_only {
            form.actions method="post" action=(format!("{}/stop", batch_href(&batch.id))) data-confirm="Stop this batch? It acts on no more executions; those done stay done." {
                (csrf_field(&viewer))
                input type="text" name="reason" placeholder="Reason (optional)" aria-label="Stop reason" maxlength=(MAX_REASON_BYTES);
                button.danger type="submit" { "Stop" }
            }
        }
        (live(&batch))
    };
    let title = format!("Batch {}", batch.id);
    Ok(layout::page(&viewer, Section::Batches, &title, body).into_response())
}

/// What changes while a batch runs: its state, progress and failures (polled every
/// few seconds until it ends).
fn live(batch: &BatchInfo) -> Markup {
    let running = batch.state == "running";
    let poll = running.then(|| format!("{}?fragment=live", batch_href(&batch.id)));
    let trigger = poll.as_ref().map(|_| "every 3s");
    html! {
        div #batch-live hx-get=[poll] hx-trigger=[trigger] hx-swap="outerHTML" data-poll="always" data-state=(batch.state) {
            dl.grid {
                dt { "State" } dd { (state_badge(&batch.state)) }
                dt { "Progress" } dd { (progress(batch)) }
                @if let Some(at) = batch.finished_ms { dt { "Ended" } dd { (layout::time(at)) } }
                @if let Some(why) = &batch.stop_reason { dt { "Stopped" } dd { (why) } }
            }
            h2 { "Failures (" (batch.failed) ")" }
            @if batch.failures.is_empty() {
                p.muted { "none" }
            } @else {
                table.failures {
                    thead { tr { th { "Execution" } th { "Message" } } }
                    tbody { @for f in &batch.failures {
                        tr {
                            td { a href=(execution_href(&f.workflow_id)) { (f.workflow_id) } }
                            td { (f.message) }
                        }
                    } }
                }
                @if (batch.failures.len() as u64) < batch.failed {
                    p.muted { "The first " (batch.failures.len()) " failures are kept." }
                }
            }
        }
    }
}

/// `done of total` with a bar; failures counted apart.
fn progress(b: &BatchInfo) -> Markup {
    let acted = b.done + b.failed;
    html! {
        progress value=(acted) max=(b.total.max(1)) {}
        " " (b.done) " done"
        @if b.failed > 0 { ", " (b.failed) " failed" }
        " of " (b.total)
    }
}

fn state_badge(state: &str) -> Markup {
    let class = match state {
        "running" => "running",
        "completed" => "completed",
        "failed" => "failed",
        _ => "cancelled",
    };
    html! { span.badge.(class) { (state) } }
}

#[derive(Deserialize)]
pub(crate) struct StopForm {
    #[serde(default)]
    reason: String,
}

pub(crate) async fn stop(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    Form(form): Form<StopForm>,
) -> UiResult<Response> {
    let reason = Some(form.reason.trim()).filter(|r| !r.is_empty());
    let reason = reason.unwrap_or("stopped from the web UI");
    let stopped = ui.batches.stop(&id, reason).await?;
    tracing::info!(batch = %stopped.id, %reason, "batch stopped from the web UI");
    Ok(Redirect::to(&batch_href(&stopped.id)).into_response())
}

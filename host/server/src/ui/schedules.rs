//! Schedules: the list, one schedule (its spec, action, counters, recent and upcoming
//! actions, running runs), and its actions: pause and unpause with a note, trigger now,
//! backfill a range of its times, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::Viewer;
use super::layout::{self, csrf_field, execution_href, json_block, segment, Section};
use super::{Ui, UiError, UiResult};
use crate::api::schedule_types::ScheduleInfo;
use weft_runtime::schedules::OverlapPolicy;

pub(crate) async fn list(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
) -> UiResult<Markup> {
    let schedules: Vec<ScheduleInfo> = ui
        .schedules
        .list()
        .await?
        .iter()
        .map(|d| crate::api::schedules::info(&ui.schedules, d))
        .collect();
    let body = html! {
        h1 { "Schedules" }
        @if schedules.is_empty() {
            p.muted { "No schedules. Create one with " code { "weft schedule create" } " or " code { "POST /v1/schedules" } "." }
        } @else {
            table {
                thead { tr { th { "Id" } th { "Workflow type" } th { "Spec" } th { "State" } th { "Next action" } th.num { "Actions" } th.num { "Running" } } }
                tbody { @for s in &schedules {
                    tr {
                        td { a href=(format!("/ui/schedules/{}", segment(&s.id))) { (s.id) } }
                        td { (s.action.workflow_type) }
                        td { code { (spec(s)) } }
                        td { (state(s)) }
                        td { @if let Some(next) = s.next_action_ms.first() { (layout::time(*next)) } }
                        td.num { (s.actions) }
                        td.num { (s.running.len()) }
                    }
                } }
            }
        }
    };
    Ok(layout::page(&viewer, Section::Schedules, "Schedules", body))
}

fn spec(s: &ScheduleInfo) -> String {
    serde_json::to_string(&s.spec).unwrap_or_default()
}

fn state(s: &ScheduleInfo) -> Markup {
    html! {
        @if s.paused { span.badge.paused { "paused" } } @else { span.badge.running { "active" } }
        @if !s.note.is_empty() { " " span.muted { (s.note) } }
    }
}

pub(crate) async fn page(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> UiResult<Markup> {
    let s = crate::api::schedules::info(&ui.schedules, &ui.schedules.describe(&id).await?);
    let base = format!("/ui/schedules/{}", segment(&s.id));
    let body = html! {
        h1 { "Schedule " (s.id) " " (state(&s)) }
        @if !viewer.read_only {
            div.actions {
                @if s.paused {
                    form method="post" action=(format!("{base}/unpause")) {
                        (csrf_field(&viewer)) input type="text" name="note" placeholder="Note (optional)" aria-label="Unpause note";
                        button type="submit" { "Unpause" }
                    }
                } @else {
                    form method="post" action=(format!("{base}/pause")) {
                        (csrf_field(&viewer)) input type="text" name="note" placeholder="Note (optional)" aria-label="Pause note";
                        button type="submit" { "Pause" }
                    }
                }
                form method="post" action=(format!("{base}/trigger")) {
                    (csrf_field(&viewer)) button type="submit" { "Trigger now" }
                }
                form.backfill method="post" action=(format!("{base}/backfill")) data-confirm="Act on every time of the schedule in this range?" {
                    (csrf_field(&viewer))
                    label { "From " input type="datetime-local" name="start" required aria-label="Backfill from (UTC)"; }
                    label { " to " input type="datetime-local" name="end" required aria-label="Backfill to (UTC)"; }
                    " UTC "
                    select name="overlap" aria-label="Overlap policy" {
                        option value="" { "the schedule's overlap policy" }
                        @for name in OverlapPolicy::NAMES { option value=(name) { (name) } }
                    }
                    button type="submit" { "Backfill" }
                }
                form method="post" action=(format!("{base}/delete")) data-confirm="Delete this schedule? Its runs stay." {
                    (csrf_field(&viewer)) button.danger type="submit" { "Delete" }
                }
            }
        }
        dl.grid {
            dt { "Spec" } dd { code { (spec(&s)) } }
            dt { "Workflow type" } dd { (s.action.workflow_type) }
            dt { "Overlap" } dd { (s.overlap) }
            dt { "Catch-up window" } dd { (layout::duration(s.catchup_window_ms)) }
            dt { "Actions" } dd { (s.actions) " taken, " (s.skipped_overlap) " skipped by overlap, " (s.missed_catchup) " missed, " (s.buffered) " buffered" }
            dt { "Created" } dd { (layout::time(s.created_ms)) }
            dt { "Updated" } dd { (layout::time(s.updated_ms)) }
        }
        h2 { "Action input" } (json_block(&s.action.input))
        h2 { "Running" }
        @if s.running.is_empty() { p.muted { "none" } }
        ul { @for r in &s.running { li { a href=(execution_href(&r.run_id)) { (r.workflow_id) } } } }
        h2 { "Recent actions" }
        @if s.recent.is_empty() { p.muted { "none yet" } } @else {
            table {
                thead { tr { th { "Scheduled" } th { "Taken" } th { "Run" } } }
                tbody { @for a in s.recent.iter().rev() {
                    tr { td { (layout::time(a.scheduled_ms)) } td { (layout::time(a.actual_ms)) } td { a href=(execution_href(&a.run_id)) { (a.workflow_id) } } }
                } }
            }
        }
        h2 { "Upcoming" }
        ul { @for at in &s.next_action_ms { li { (layout::time(*at)) } } }
    };
    Ok(layout::page(
        &viewer,
        Section::Schedules,
        &format!("Schedule {}", s.id),
        body,
    ))
}

/// The fields of a schedule's action forms (each uses its own).
#[derive(Deserialize)]
pub(crate) struct ActForm {
    #[serde(default)]
    note: String,
    /// Backfill: the range, as a `datetime-local` field gives it (UTC) or RFC 3339.
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    /// Backfill: an overlap policy's name; empty: the schedule's.
    #[serde(default)]
    overlap: String,
}

/// A form's time: `2026-01-01T09:30` (read as UTC), with seconds, or RFC 3339.
fn form_time(field: &str, text: &str) -> Result<u64, UiError> {
    let text = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                .map(|t| t.and_utc().timestamp_millis())
                .ok_or(())
        });
    match parsed {
        Ok(ms) if ms >= 0 => Ok(ms as u64),
        _ => Err(UiError::new(
            StatusCode::BAD_REQUEST,
            format!("{field}: `{text}` is not a time; give one as 2026-01-01T09:30 (UTC)"),
        )),
    }
}

/// Backfill schedule `id` over the form's range.
async fn backfill(ui: &Ui, id: &str, form: &ActForm) -> UiResult<()> {
    let (start, end) = (form_time("from", &form.start)?, form_time("to", &form.end)?);
    let overlap = match form.overlap.trim() {
        "" => None,
        name => Some(
            name.parse::<OverlapPolicy>()
                .map_err(|e| UiError::new(StatusCode::BAD_REQUEST, e))?,
        ),
    };
    let (_, slots) = ui.schedules.backfill(id, start, end, overlap).await?;
    tracing::info!(schedule = %id, slots, "schedule backfilled from the web UI");
    Ok(())
}

pub(crate) async fn act(
    State(ui): State<Ui>,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActForm>,
) -> UiResult<Response> {
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    match action.as_str() {
        "pause" => drop(
            ui.schedules
                .pause(&id, note.or(Some("Paused from the web UI")))
                .await?,
        ),
        "unpause" => drop(
            ui.schedules
                .unpause(&id, note.or(Some("Unpaused from the web UI")))
                .await?,
        ),
        "trigger" => drop(ui.schedules.trigger(&id, None).await?),
        "backfill" => backfill(&ui, &id, &form).await?,
        "delete" => {
            ui.schedules.delete(&id).await?;
            tracing::info!(schedule = %id, "schedule deleted from the web UI");
            return Ok(Redirect::to("/ui/schedules").into_response());
        }
        other => {
            return Err(UiError::new(
                StatusCode::NOT_FOUND,
                format!("no schedule action `{other}`"),
            ))
        }
    }
    tracing::info!(schedule = %id, %action, "schedule changed from the web UI");
    Ok(Redirect::to(&format!("/ui/schedules/{}", segment(&id))).into_response())
}

//! Import a history file and view it: paste what `weft history export` (or the history
//! tab's "Download JSON") wrote, and see its timeline, its compact history and its
//! events, as an execution's page shows them. Nothing is stored: the file is read, shown
//! and forgotten.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::Viewer;
use super::layout::{self, csrf_field, Section};
use super::{history, timeline, timeline_svg, Ui, UiError, UiResult};
use crate::history::{export, Event};

/// Largest file the form takes (the page renders every row of it).
const MAX_BYTES: usize = 8 << 20;

#[derive(Deserialize)]
pub(crate) struct ImportForm {
    #[serde(default)]
    history: String,
}

/// The form.
pub(crate) async fn form(Extension(viewer): Extension<Viewer>) -> UiResult<Markup> {
    let body = html! {
        h1 { "Import a history" }
        p.muted {
            "Paste a history file (" code { "weft history export ID -o run.json" }
            ", or an execution's " em { "Download JSON" } "): its timeline and events are shown; nothing is stored."
        }
        (import_form(&viewer, ""))
    };
    Ok(layout::page(
        &viewer,
        Section::Import,
        "Import a history",
        body,
    ))
}

fn import_form(viewer: &Viewer, text: &str) -> Markup {
    html! {
        form.import method="post" action="/ui/import" {
            (csrf_field(viewer))
            textarea name="history" rows="8" required aria-label="History file (JSON)" placeholder="{\"format\": …, \"events\": […]}" { (text) }
            button type="submit" { "Show" }
        }
    }
}

/// The pasted file, shown.
pub(crate) async fn show(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Form(form): Form<ImportForm>,
) -> UiResult<Markup> {
    if form.history.len() > MAX_BYTES {
        return Err(UiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file is over {} MB; view it with `weft history show --file`",
                MAX_BYTES >> 20
            ),
        ));
    }
    let (workflow_id, run_id, mut events) = export::from_json(&form.history)
        .map_err(|e| UiError::new(StatusCode::BAD_REQUEST, format!("not a history file: {e}")))?;
    weft_runtime::masking::mask_events(ui.host.sensitive_fields(), &mut events);
    let body = html! {
        h1 { "Imported history of " (workflow_id) }
        p.muted { "Run " code { (run_id) } ", " (events.len()) " events; not stored." }
        (rendered(&events))
        details { summary { "Import another" } (import_form(&viewer, "")) }
    };
    Ok(layout::page(
        &viewer,
        Section::Import,
        "Imported history",
        body,
    ))
}

/// Its timeline, compact history and events (the first page of them).
fn rendered(events: &[Event]) -> Markup {
    let task_times = events.iter().filter_map(|e| match e {
        Event::TaskStarted { time_ms } => Some(*time_ms),
        _ => None,
    });
    let last_ms = task_times.max().unwrap_or(0);
    let closed = crate::history::Outcome::of_event(
        events.last().unwrap_or(&Event::TaskStarted { time_ms: 0 }),
    )
    .map(|_| last_ms);
    let model = timeline::model(events, last_ms, closed);
    html! {
        h2 { "Timeline" }
        (timeline_svg::render(&model, false))
        h2 { "History" }
        (history::compact(&model))
        h2 { "Events" }
        @if events.len() > history::EVENTS_PER_PAGE {
            p.muted { "The first " (history::EVENTS_PER_PAGE) " of " (events.len()) " events." }
        }
        (history::full("", events, 0, false))
    }
}

//! The history tab: *compact* (a line per activity, timer, child and update, from the
//! timeline's rows) or *full* (every event, a page of them at a time, with its JSON),
//! and the history file as a download (what `GET /v1/executions/{id}/history` answers).

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::layout::{duration, execution_href, truncate};
use super::timeline::Timeline;
use super::{Ui, UiResult};
use crate::history::{export, Event};

/// Events on a page of the full view.
pub(crate) const EVENTS_PER_PAGE: usize = 500;

pub(crate) fn compact(timeline: &Timeline) -> Markup {
    html! {
        table.compact {
            thead { tr { th { "Kind" } th.num { "Seq" } th { "What" } th { "From" } th { "To" } th { "Outcome" } th.num { "Attempts" } th.num { "Event" } } }
            tbody {
                @for row in &timeline.rows {
                    tr data-kind=(row.kind) data-seq=(row.seq) {
                        td { (row.kind) @if row.local { " (local)" } }
                        td.num { (row.seq) }
                        td { (row.label) }
                        td { "+" (duration(row.from_ms.saturating_sub(timeline.start_ms))) }
                        td { @if let Some(to) = row.to_ms { "+" (duration(to.saturating_sub(timeline.start_ms))) } @else { span.muted { "pending" } } }
                        td { (row.outcome) }
                        td.num { (row.attempts) }
                        td.num { a href=(format!("?tab=history&view=full&page={}#e{}", row.first_event / EVENTS_PER_PAGE, row.first_event)) { "#" (row.first_event) } }
                    }
                }
            }
        }
    }
}

/// Page `page` of the events, each with its time (its own, or the latest before it:
/// its task's, or when it arrived between tasks) and its JSON; with
/// `resets`, each workflow task's start has a "reset here" link that fills the reset
/// form.
pub(crate) fn full(id: &str, events: &[Event], page: usize, resets: bool) -> Markup {
    let start_ms = events.iter().find_map(Event::time_ms).unwrap_or(0);
    let times: Vec<u64> = events
        .iter()
        .scan(start_ms, |now, event| {
            *now = event.time_ms().unwrap_or(*now);
            Some(*now)
        })
        .collect();
    let first = page * EVENTS_PER_PAGE;
    let pages = events.len().div_ceil(EVENTS_PER_PAGE).max(1);
    let link = |p: usize| format!("{}?tab=history&view=full&page={p}", execution_href(id));
    html! {
        table.events {
            thead { tr { th.num { "#" } th { "Time" } th { "Event" } th { "Details" } } }
            tbody {
                @for (index, event) in events.iter().enumerate().skip(first).take(EVENTS_PER_PAGE) {
                    tr id=(format!("e{index}")) {
                        td.num { (index) }
                        td { "+" (duration(times[index].saturating_sub(start_ms))) }
                        td {
                            code { (event.name()) }
                            @if resets && matches!(event, Event::TaskStarted { .. }) {
                                " " a.reset-here href=(format!("{}&reset_to={index}#reset", link(page))) { "reset here" }
                            }
                        }
                        td { (details(event)) }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pager aria-label="History pages" {
                @if page > 0 { a rel="prev" href=(link(page - 1)) { "← Previous events" } }
                span.muted { "page " (page + 1) " of " (pages) }
                @if page + 1 < pages { a rel="next" href=(link(page + 1)) { "Next events →" } }
            }
        }
    }
}

/// An event's JSON: short ones inline, long ones folded.
fn details(event: &Event) -> Markup {
    let json = serde_json::to_string(event).unwrap_or_default();
    html! {
        @if json.chars().count() <= 160 {
            code { (json) }
        } @else {
            details { summary { code { (truncate(&json, 120)) } } pre { (json) } }
        }
    }
}

/// The history file of `id`'s run (payloads decoded and masked, as the API gives it).
pub(crate) async fn download(State(ui): State<Ui>, Path(id): Path<String>) -> UiResult<Response> {
    let run = ui.host.find_run(&id)?;
    let events = crate::api::describe::decoded_history(&ui.host, &run.run_id)?;
    let json = export::to_json(&run.workflow_id, &run.run_id, &events);
    let name: String = run
        .workflow_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{name}.history.json\"");
    Ok((
        [
            (CONTENT_TYPE, "application/json".to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )
        .into_response())
}

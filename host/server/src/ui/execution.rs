//! One execution: its status, module version, input and result or failure, what it
//! waits for (activities, timers, children, a failing task, the source line of each
//! pending future), the actions (cancel, terminate, pause, unpause, reset, delete, the
//! acts on a pending activity — see [`super::steer_view`] — start another like it), and
//! tabs: the timeline, the history, messages (query, signal, update), relationships, and
//! search attributes with the memo.
//!
//! While the run is open, the timeline and history tabs poll their own fragment every
//! few seconds; the answer is 204 (nothing to swap) when the history has not grown.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::guard::Viewer;
use super::layout::{
    self, csrf_field, dot, duration, execution_href, json_block, status_badge, Section,
};
use super::{history, steer_view, timeline, timeline_svg, Ui, UiResult};
use crate::api::describe;
use crate::api::types::Description;
use crate::contract::Job;
use crate::history::Event;

/// Which tab and which view of it.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct TabForm {
    #[serde(default)]
    tab: Option<String>,
    /// History: `compact` (default) or `full`.
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    page: Option<usize>,
    /// Timeline: `show` draws idle stretches at their real length.
    #[serde(default)]
    idle: Option<String>,
    /// `live`: only the polled part; `v`: the history length the page shows.
    fragment: Option<String>,
    v: Option<usize>,
    /// A history row's "reset here": the reset form opens set to this event.
    reset_to: Option<u64>,
}

impl TabForm {
    pub(crate) fn messages() -> TabForm {
        TabForm {
            tab: Some("messages".into()),
            ..TabForm::default()
        }
    }

    fn tab(&self) -> &str {
        match self.tab.as_deref() {
            Some(t @ ("history" | "messages" | "relationships" | "attributes")) => t,
            _ => "timeline",
        }
    }
}

pub(crate) async fn page(
    State(ui): State<Ui>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Query(form): Query<TabForm>,
) -> UiResult<Response> {
    show(&ui, &viewer, &id, &form, html! {}).await
}

/// The page of execution `id` with `notice` (an action's answer) above the tabs.
pub(crate) async fn show(
    ui: &Ui,
    viewer: &Viewer,
    id: &str,
    form: &TabForm,
    notice: Markup,
) -> UiResult<Response> {
    let live_only = form.fragment.as_deref() == Some("live");
    // The handlers' names ask the run's instance; the polled fragment does without.
    let description: Description = if live_only {
        describe::describe(&ui.host, id)?
    } else {
        describe::described(&ui.host, id).await?
    };
    let run = &description.run;
    let events = describe::decoded_history(&ui.host, &run.run_id)?;
    let open = run.status.is_open();
    if live_only {
        if open && form.v == Some(events.len()) {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        return Ok(live(ui, viewer, id, form, &description, &events).into_response());
    }
    let body = html! {
        h1 { (run.workflow_id) " " (status_badge(run.status)) }
        (overview(&description, &events))
        @if !viewer.read_only { (actions(viewer, &description, form)) }
        (notice)
        (waiting(viewer, &description))
        nav.tabs {
            @for (tab, name) in [("timeline", "Timeline"), ("history", "History"), ("messages", "Messages"), ("relationships", "Relationships"), ("attributes", "Attributes and memo")] {
                a class=[(form.tab() == tab).then_some("active")] href=(format!("{}?tab={tab}", execution_href(id))) { (name) }
            }
        }
        @match form.tab() {
            "messages" => (messages(viewer, id, &description)),
            "relationships" => (relationships(&description)),
            "attributes" => (attributes(&description)),
            _ => (live(ui, viewer, id, form, &description, &events)),
        }
    };
    let title = format!("Execution {}", run.workflow_id);
    Ok(layout::page(viewer, Section::Executions, &title, body).into_response())
}

/// The timeline or history tab: what polling replaces while the run is open.
fn live(
    ui: &Ui,
    viewer: &Viewer,
    id: &str,
    form: &TabForm,
    description: &Description,
    events: &[Event],
) -> Markup {
    let now = ui.host.clock().now_ms();
    let model = timeline::model(events, now, description.run.close_ms);
    let poll = description.run.status.is_open().then(|| {
        format!(
            "{}?tab={}&view={}&page={}&idle={}&fragment=live&v={}",
            execution_href(id),
            form.tab(),
            form.view.as_deref().unwrap_or("compact"),
            form.page.unwrap_or(0),
            form.idle.as_deref().unwrap_or_default(),
            events.len()
        )
    });
    let trigger = poll.as_ref().map(|_| "every 3s");
    html! {
        div #live hx-get=[poll] hx-trigger=[trigger] hx-swap="outerHTML" data-poll="always" {
            @if form.tab() == "history" {
                p.toolbar {
                    a href=(format!("{}?tab=history&view=compact", execution_href(id))) { "Compact" }
                    a href=(format!("{}?tab=history&view=full", execution_href(id))) { "Full" }
                    a href=(format!("{}/history.json", execution_href(id))) download { "Download JSON" }
                    span.muted { (events.len()) " events" }
                }
                @if form.view.as_deref() == Some("full") {
                    (history::full(id, events, form.page.unwrap_or(0), !viewer.read_only))
                } @else {
                    (history::compact(&model))
                }
            } @else {
                @let show_idle = form.idle.as_deref() == Some("show");
                (timeline_svg::render(&model, show_idle))
                p.legend {
                    @if show_idle {
                        a href=(format!("{}?tab=timeline", execution_href(id))) { "Collapse idle stretches" }
                    } @else {
                        a href=(format!("{}?tab=timeline&idle=show", execution_href(id))) { "Show idle time" }
                    }
                    " · "
                    "Each event is placed when it was recorded: a result at the task that received it, a failed attempt or a cancel request when it arrived (histories recorded before format 8: at the task before). "
                    "Red: backoff and failures; pink: signals; dashed: a timer's planned firing."
                }
            }
        }
    }
}

fn overview(d: &Description, events: &[Event]) -> Markup {
    let run = &d.run;
    let input = events.iter().find_map(|e| match e {
        Event::Job(Job::StartWorkflow(s)) | Event::PendingJob(Job::StartWorkflow(s)) => {
            Some(s.input.to_json())
        }
        _ => None,
    });
    html! {
        dl.grid {
            dt { "Run" } dd.mono { (run.run_id) }
            dt { "Type" } dd { (run.workflow_type) }
            dt { "Module" } dd {
                @if let (Some(name), Some(version)) = (&d.module_name, d.module_version) { (name) " v" (version) (dot()) }
                span.mono.muted { (layout::truncate(&run.module_digest, 12)) }
                @if let Some(moved) = d.module_moved_ms { (dot()) "moved " (layout::time(moved)) }
            }
            @if let Some(summary) = &run.summary { dt { "Summary" } dd { (summary) } }
            @if let Some(now) = &run.current_details { dt { "Now" } dd { pre { (now) } } }
            @if let Some(details) = &d.details { dt { "Details" } dd { pre.details { (details) } } }
            dt { "Priority" } dd { (run.priority) }
            @if let Some(f) = &d.fairness { dt { "Fairness" } dd { (f.key) " (weight " (f.weight) ")" } }
            @if let Some(limit) = run.pending.as_ref().filter(|_| run.status.is_open()) {
                dt { "Pending" } dd { "waiting: " (limit) }
            }
            @if let Some(p) = d.paused.as_ref().filter(|_| run.status.is_open()) {
                dt { "Paused" } dd { "by " (p.identity) " " (layout::time(p.time_ms)) ": " (p.reason) }
            }
            dt { "Started" } dd { (layout::time(run.start_ms)) }
            @if let Some(close) = run.close_ms {
                dt { "Closed" } dd { (layout::time(close)) (dot()) (duration(close.saturating_sub(run.start_ms))) }
            }
            dt { "Events" } dd { (events.len()) }
            @if let Some(h) = &d.handlers {
                dt { "Handlers" } dd {
                    "signals: " (h.signals.join(", ")) (dot()) "queries: " (h.queries.join(", ")) (dot()) "updates: " (h.updates.join(", "))
                }
            }
        }
        div.cards {
            @if let Some(input) = &input { div.card { h2 { "Input" } (json_block(input)) } }
            @if let Some(result) = &d.result {
                @if let Some(value) = &result.result { div.card { h2 { "Result" } (json_block(value)) } }
                @if let Some(failure) = &result.failure {
                    div.card { h2 { "Failure" } div.error { (failure.error_type) ": " (failure.message) } }
                }
            }
        }
    }
}

fn actions(viewer: &Viewer, d: &Description, form: &TabForm) -> Markup {
    let base = execution_href(&d.run.run_id);
    let open = d.run.status.is_open();
    html! {
        div.actions {
            @if open { (stops(viewer, &base)) }
            (steer_view::run_controls(viewer, d))
            a href=(format!("/ui/start?like={}", layout::query_value(&d.run.run_id))) { "Start another like this" }
        }
        (steer_view::reset_form(viewer, d, form.reset_to))
    }
}

/// Cancel and terminate, each with a reason.
fn stops(viewer: &Viewer, base: &str) -> Markup {
    html! {
            form method="post" action=(format!("{base}/cancel")) data-confirm="Ask the workflow to cancel?" {
                (csrf_field(viewer))
                input type="text" name="reason" placeholder="Reason (optional)" aria-label="Cancel reason";
                button type="submit" { "Cancel" }
            }
            form method="post" action=(format!("{base}/terminate")) data-confirm="Terminate this run now? It cannot be undone." {
                (csrf_field(viewer))
                input type="text" name="reason" placeholder="Reason" required aria-label="Terminate reason";
                button.danger type="submit" { "Terminate" }
            }
    }
}

fn waiting(viewer: &Viewer, d: &Description) -> Markup {
    let operate = !viewer.read_only && d.run.status.is_open();
    html! {
        @if let Some(cancel) = &d.cancel_requested { div.notice { "Cancel requested: " (cancel.reason) } }
        @if let Some(task) = &d.failing_task {
            div.error {
                "The workflow task is failing (attempt " (task.attempts) ", since " (layout::utc(task.since_ms)) ", next attempt " (layout::utc(task.next_attempt_ms)) "): " (task.message)
                @if let Some(at) = &task.location { br; "at " code { (at) } }
            }
        }
        @if !d.pending_activities.is_empty() {
            h2 { "Pending activities" }
            table {
                thead { tr { th.num { "Seq" } th { "Type" } th.num { "Attempt" } th { "Next attempt" } th { "Last failure" } th { "Last heartbeat" } @if operate { th { "Operate" } } } }
                tbody { @for a in &d.pending_activities {
                    tr {
                        td.num { (a.seq) } td { (a.activity_type) @if a.local { " (local)" } @if a.cancel_requested { " · cancel requested" } @if a.paused { " · " span.badge.paused { "paused" } } }
                        td.num { (a.attempt) }
                        td { @if let Some(at) = a.next_attempt_ms { (layout::time(at)) } }
                        td { @if let Some(f) = &a.last_failure { (f) } }
                        td { @if let Some(at) = a.last_heartbeat_ms { (layout::time(at)) } }
                        @if operate { td { (steer_view::activity_ops(viewer, d, a)) } }
                    }
                } }
            }
        }
        (steer_view::stack(d))
        @if !d.pending_timers.is_empty() {
            h2 { "Pending timers" }
            table { tbody { @for t in &d.pending_timers { tr { td { "seq " (t.seq) } td { "fires " (layout::time(t.fire_at_ms)) } } } } }
        }
        @if d.children.iter().any(|c| c.state == "starting" || c.state == "running") {
            h2 { "Running children" }
            (children(d))
        }
    }
}

fn children(d: &Description) -> Markup {
    html! {
        table { tbody { @for c in &d.children {
            tr {
                td { a href=(execution_href(c.run_id.as_deref().unwrap_or(&c.workflow_id))) { (c.workflow_id) } }
                td { (c.workflow_type) } td { (c.state) }
            }
        } } }
    }
}

fn messages(viewer: &Viewer, id: &str, d: &Description) -> Markup {
    if viewer.read_only {
        return html! { p.muted { "This server's UI is read-only: no queries, signals or updates." } };
    }
    let handlers = d.handlers.clone().unwrap_or_default();
    let open = d.run.status.is_open();
    let form = |kind: &str, names: &[String], verb: &str| {
        html! {
            form.message method="post" action=(format!("{}/{kind}", execution_href(id))) {
                (csrf_field(viewer))
                h2 { (verb) }
                label { "Name " input type="text" name="name" required list=(format!("{kind}-names")); }
                datalist id=(format!("{kind}-names")) { @for n in names { option value=(n) {} } }
                label { "Input (JSON) " textarea name="input" data-json placeholder="null" {} }
                button type="submit" { (verb) }
            }
        }
    };
    html! {
        (form("query", &handlers.queries, "Query"))
        @if open {
            (form("signal", &handlers.signals, "Signal"))
            (form("update", &handlers.updates, "Update"))
        } @else {
            p.muted { "The run is closed: it takes no signals or updates." }
        }
    }
}

fn relationships(d: &Description) -> Markup {
    html! {
        dl.grid {
            dt { "Parent" } dd { @if let Some(parent) = &d.parent_workflow_id { a href=(execution_href(parent)) { (parent) } } @else { span.muted { "none" } } }
            dt { "Continued from" } dd { @if let Some(run) = &d.continued_from { a href=(execution_href(run)) { (run) } } @else { span.muted { "none (first run)" } } }
            @if let Some(from) = &d.reset_from {
                dt { "Reset from" } dd {
                    a href=(execution_href(&from.run_id)) { (from.run_id) }
                    " at event " (from.event_index) ": " (from.reason)
                }
            }
            @if let Some(to) = &d.reset_to {
                dt { "Reset to" } dd { a href=(execution_href(to)) { (to) } }
            }
            dt { "Latest run of this id" } dd { a href=(execution_href(&d.run.workflow_id)) { (d.run.workflow_id) } }
        }
        h2 { "Children" }
        @if d.children.is_empty() { p.muted { "none" } } @else { (children(d)) }
    }
}

fn attributes(d: &Description) -> Markup {
    html! {
        h2 { "Search attributes" }
        @if d.search_attributes.is_empty() { p.muted { "none" } } @else {
            table { tbody { @for (name, value) in &d.search_attributes {
                tr { td { (name) } td { code { (serde_json::to_string(value).unwrap_or_default()) } } }
            } } }
        }
        h2 { "Memo" }
        @if d.memo.is_empty() { p.muted { "none" } } @else {
            table { tbody { @for (name, value) in &d.memo { tr { td { (name) } td { (json_block(value)) } } } } }
        }
    }
}

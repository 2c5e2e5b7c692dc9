//! The forms that repair and steer an execution, as its page shows them (the posts are
//! [`super::steer`]'s): pause or unpause the run, delete a closed one, reset it, the
//! acts on each pending activity, and where the workflow waits (`weft stack`).

use maud::{html, Markup};

use super::guard::Viewer;
use super::layout::{csrf_field, execution_href};
use crate::api::types::{Description, PendingActivityInfo};

/// Pause or unpause (an open run), delete (a closed one).
pub(crate) fn run_controls(viewer: &Viewer, d: &Description) -> Markup {
    let base = execution_href(&d.run.run_id);
    let open = d.run.status.is_open();
    html! {
        @if open && d.paused.is_some() {
            form method="post" action=(format!("{base}/unpause")) {
                (csrf_field(viewer))
                input type="text" name="reason" placeholder="Reason (optional)" aria-label="Unpause reason";
                button type="submit" { "Unpause" }
            }
        } @else if open {
            form method="post" action=(format!("{base}/pause")) {
                (csrf_field(viewer))
                input type="text" name="reason" placeholder="Reason (optional)" aria-label="Pause reason";
                button type="submit" { "Pause" }
            }
        } @else {
            form method="post" action=(format!("{base}/delete")) data-confirm="Delete this execution: this run and the runs it continued as new from, with their histories, attributes and outcomes? It cannot be undone." {
                (csrf_field(viewer))
                button.danger type="submit" { "Delete" }
            }
        }
    }
}

/// The reset form, open and set to event `reset_to` when a history row's "reset here"
/// link asked for it.
pub(crate) fn reset_form(viewer: &Viewer, d: &Description, reset_to: Option<u64>) -> Markup {
    let base = execution_href(&d.run.run_id);
    let closing = if d.run.status.is_open() {
        " This run is closed as terminated."
    } else {
        ""
    };
    let question =
        format!("Reset this execution? A new run goes on from the chosen workflow task.{closing}");
    let point = |value: &str| match reset_to {
        Some(_) => value == "event",
        None => value == "last-task",
    };
    html! {
        details.reset #reset open[reset_to.is_some()] {
            summary { "Reset…" }
            form.steer method="post" action=(format!("{base}/reset")) data-confirm=(question) {
                (csrf_field(viewer))
                label { "To "
                    select name="point" {
                        option value="last-task" selected[point("last-task")] { "the last workflow task" }
                        option value="first-task" selected[point("first-task")] { "the first workflow task" }
                        option value="event" selected[point("event")] { "the task at event…" }
                    }
                }
                label { "Event " input type="number" name="event" min="0" value=[reset_to] placeholder="index" aria-label="Event index"; }
                label { "Reapply "
                    select name="reapply" {
                        option value="all" { "signals and updates" }
                        option value="signals" { "signals" }
                        option value="updates" { "updates" }
                        option value="none" { "nothing" }
                    }
                }
                input type="text" name="reason" placeholder="Reason" required aria-label="Reset reason";
                button.danger type="submit" { "Reset" }
                p.muted { "A reset to an event goes on from the workflow task that starts there: the full history view has a “reset here” link on each. One whose copied history would not replay on the module the new run gets is refused, with the report." }
            }
        }
    }
}

/// The acts on one pending activity: pause or unpause, reset its attempts, and its
/// options (timeouts and retry policy).
pub(crate) fn activity_ops(viewer: &Viewer, d: &Description, a: &PendingActivityInfo) -> Markup {
    let base = format!("{}/activities/{}", execution_href(&d.run.run_id), a.seq);
    let reason = || html! { input type="text" name="reason" placeholder="Reason (optional)" aria-label="Reason"; };
    let toggle = if a.paused { "unpause" } else { "pause" };
    html! {
        details.ops {
            summary { "Operate…" }
            form.steer method="post" action=(format!("{base}/{toggle}")) {
                (csrf_field(viewer)) (reason())
                button type="submit" { @if a.paused { "Unpause" } @else { "Pause" } }
            }
            form.steer method="post" action=(format!("{base}/reset")) data-confirm="Reset this activity's attempts to 1 and drop its heartbeat details?" {
                (csrf_field(viewer)) (reason())
                button type="submit" { "Reset attempts" }
            }
            form.steer.options method="post" action=(format!("{base}/update-options")) {
                (csrf_field(viewer))
                @for (name, label, hint) in OPTION_FIELDS {
                    label { (label) " " input type="text" name=(name) placeholder=(hint) size="6"; }
                }
                (reason())
                button type="submit" { "Update options" }
            }
        }
    }
}

/// The fields of the options form: name, label, placeholder. Empty: unchanged.
const OPTION_FIELDS: [(&str, &str, &str); 7] = [
    ("start_to_close", "Start-to-close", "30s"),
    ("schedule_to_close", "Schedule-to-close", "0: none"),
    ("heartbeat_timeout", "Heartbeat timeout", "0: none"),
    ("maximum_attempts", "Max attempts", "0: unlimited"),
    ("initial_interval", "Initial interval", "1s"),
    ("backoff_coefficient", "Backoff ×", "2.0"),
    ("maximum_interval", "Max interval", "5m"),
];

/// Where the workflow waits: each pending future with the line of workflow code that
/// created it, as `weft stack` prints it.
pub(crate) fn stack(d: &Description) -> Markup {
    html! {
        @if !d.waiting_at.is_empty() {
            section #stack {
                h2 { "Where it waits" }
                table.stack {
                    thead { tr { th { "Kind" } th.num { "Seq" } th { "What" } th { "Awaited at" } } }
                    tbody { @for frame in &d.waiting_at {
                        tr data-kind=(frame.kind) {
                            td { (frame.kind) }
                            td.num { @if let Some(seq) = frame.seq { (seq) } }
                            td { (frame.name) }
                            td { @match frame.location() {
                                Some(at) => code { (at) },
                                None => span.muted { "no source line: the host started it" },
                            } }
                        }
                    } }
                }
                p.muted { "Futures that issue no command (a condition, a signal channel's receive) are not in the history, so they are not listed." }
            }
        }
    }
}

//! Replay: feed a recorded history to fresh workflow code and check it makes the same
//! decisions. Activities never run; their recorded results are delivered as jobs.

use std::sync::Arc;

use crate::contract::HistoryInfo;
use crate::engine::{Engine, InstantiateError, Module, WorkflowInstance};
use crate::history::vocab::Marker;
use crate::history::{codec, markers, tasks, Command, Event, IssuedCommand, TaskFailure};

/// Replay did not reproduce the history.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The new code made a different decision than the recorded one.
    #[error("{}", divergence_report(.event_index, .recorded, .new))]
    Nondeterminism {
        /// Index of the first event that differs.
        event_index: usize,
        recorded: Box<Option<IssuedCommand>>,
        new: Box<Option<IssuedCommand>>,
    },
    /// The new code failed a task that had succeeded when recorded.
    #[error("[WEFT-NDE-2] the workflow task at event {event_index} failed on replay but succeeded when recorded: {failure}")]
    TaskFailed {
        event_index: usize,
        failure: TaskFailure,
    },
    /// The history has no `ExecutionStarted` event.
    #[error("the history is empty or does not start with execution-started")]
    NotAHistory,
    /// The workflow component could not be instantiated.
    #[error(transparent)]
    Instantiate(#[from] InstantiateError),
}

fn divergence_report(
    event_index: &usize,
    recorded: &Option<IssuedCommand>,
    new: &Option<IssuedCommand>,
) -> String {
    // (Boxed in the enum to keep `Result<_, ReplayError>` small.)
    let show = |c: &Option<IssuedCommand>| match c {
        Some(c) => c.command.summary(),
        None => "(none)".into(),
    };
    let location = |c: &Option<IssuedCommand>| {
        c.as_ref()
            .and_then(|c| c.location.as_ref())
            .map(|l| l.to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    format!(
        "[WEFT-NDE-1] nondeterminism at event {event_index}: the workflow no longer makes the recorded decision\n  recorded: {}\n            issued at {}\n  new:      {}\n            issued at {}\n  {}",
        show(recorded),
        location(recorded),
        show(new),
        location(new),
        advice(
            recorded.as_ref().map(|c| &c.command),
            new.as_ref().map(|c| &c.command)
        )
    )
}

/// What to do about a divergence: specific when it is at a patch marker. Its lines
/// are indented like the rest of the report.
fn advice(recorded: Option<&Command>, new: Option<&Command>) -> String {
    let patch = |c: Option<&Command>| match c {
        Some(Command::RecordMarker(Marker::Patch(id))) => Some(id.clone()),
        _ => None,
    };
    match (patch(recorded), patch(new)) {
        (Some(was), Some(now)) => format!(
            "at a patch: the run recorded patch `{was}` here, and the code now checks `{now}`\n  \
             first. A recorded patch keeps its id and its place: give a new change its own\n  \
             id, checked after `{was}`."
        ),
        (Some(id), None) => format!(
            "at a patch: the run recorded patch `{id}` here, and the code no longer calls\n  \
             `ctx.patched(\"{id}\")` here. To remove the old branch, leave\n  \
             `ctx.deprecate_patch(\"{id}\")` in its place (once no run that started without\n  \
             the patch is left); remove `deprecate_patch` only when no run that recorded the\n  \
             patch is left."
        ),
        (None, Some(id)) => format!(
            "at a patch: the code checks patch `{id}` here, and the run recorded it elsewhere\n  \
             in this task. Call `ctx.patched(\"{id}\")` where it was when the run was\n  \
             recorded: before the commands of the branch it guards."
        ),
        (None, None) => "if the change is intended, keep the old decisions for runs in flight:\n  \
             wrap the new code in `if ctx.patched(\"my-change\") { new } else { old }`."
            .into(),
    }
}

/// What a successful replay covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayStats {
    pub events: usize,
    pub tasks: usize,
    pub commands: usize,
}

/// Replay `events` on `instance`, which must be fresh. On success the instance holds
/// the state the recorded execution had at the end of its history.
pub fn replay_into(
    instance: &mut WorkflowInstance,
    events: &[Event],
) -> Result<ReplayStats, ReplayError> {
    if !matches!(events.first(), Some(Event::ExecutionStarted(_))) {
        return Err(ReplayError::NotAHistory);
    }
    instance.set_continued_from(crate::history::continued_from(events).map(str::to_string));
    let cron = crate::history::cron_schedule(events).map(|(spec, _)| spec.to_string());
    instance.set_cron_schedule(cron);
    let (tasks, _carried) = tasks(events);
    let mut commands = 0;
    // Bytes of the events before the current task, as the live run counted them.
    let (mut counted, mut size_bytes) = (0, 0);
    for task in &tasks {
        size_bytes += events[counted..task.index]
            .iter()
            .map(codec::encoded_len)
            .sum::<u64>();
        counted = task.index;
        let recorded_failed = matches!(events.get(task.end), Some(Event::TaskFailed(_)));
        let info = history_info(task.index, size_bytes);
        let activation = markers::replay_activation(&task.activation, &task.commands);
        let produced = match instance.activate(&activation, info) {
            Ok(produced) => produced,
            Err(_) if recorded_failed => break,
            Err(failure) => {
                return Err(ReplayError::TaskFailed {
                    event_index: task.index,
                    failure,
                })
            }
        };
        let first_command_index = task.end;
        for i in 0..produced.len().max(task.commands.len()) {
            let recorded = task.commands.get(i);
            let new = produced.get(i);
            let same = match (recorded, new) {
                (Some((_, r)), Some(n)) => n.command.same_decision(&r.command),
                _ => false,
            };
            if !same {
                return Err(ReplayError::Nondeterminism {
                    event_index: recorded
                        .map(|(idx, _)| *idx)
                        .unwrap_or(first_command_index + i),
                    recorded: Box::new(recorded.map(|(_, c)| c.clone())),
                    new: Box::new(new.cloned()),
                });
            }
        }
        commands += produced.len();
    }
    Ok(ReplayStats {
        events: events.len(),
        tasks: tasks.len(),
        commands,
    })
}

/// Events after which `history-info` suggests continue-as-new: about 80% of the 51,200
/// events at which Temporal stops a history, so a workflow that follows the suggestion
/// has room to finish its step.
pub const CONTINUE_AS_NEW_SUGGESTED_AFTER: u32 = 40_000;

/// Encoded bytes after which `history-info` suggests continue-as-new: 80% of
/// Temporal's 50 MB limit.
pub const CONTINUE_AS_NEW_SUGGESTED_AFTER_BYTES: u64 = 40 * 1024 * 1024;

/// What `history-info` tells the task that starts at event `index`, live and in
/// replay alike: the events before it and the bytes they take encoded.
pub fn history_info(index: usize, size_bytes: u64) -> HistoryInfo {
    let length = u32::try_from(index).unwrap_or(u32::MAX);
    HistoryInfo {
        length,
        size_bytes,
        continue_as_new_suggested: length > CONTINUE_AS_NEW_SUGGESTED_AFTER
            || size_bytes > CONTINUE_AS_NEW_SUGGESTED_AFTER_BYTES,
    }
}

/// Replay a whole history on a fresh instance of `module`.
pub fn replay(
    engine: &Engine,
    module: &Arc<Module>,
    events: &[Event],
) -> Result<ReplayStats, ReplayError> {
    let Some(Event::ExecutionStarted(started)) = events.first() else {
        return Err(ReplayError::NotAHistory);
    };
    let workflow_id = started.workflow_id.clone();
    let mut instance = engine.instantiate(module, &workflow_id)?;
    replay_into(&mut instance, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(id: &str) -> Option<IssuedCommand> {
        Some(IssuedCommand {
            command: Command::RecordMarker(Marker::Patch(id.into())),
            location: None,
        })
    }

    #[test]
    fn a_renamed_or_reordered_patch_is_reported_as_such() {
        let report = divergence_report(&4, &patch("a"), &patch("b"));
        assert!(report.contains("recorded patch `a` here, and the code now checks `b`"));
        assert!(
            report.contains("give a new change its own\n  id"),
            "{report}"
        );
    }

    #[test]
    fn a_patch_checked_out_of_place_is_reported_as_such() {
        let timer = Some(IssuedCommand {
            command: Command::CancelTimer(1),
            location: None,
        });
        let report = divergence_report(&4, &timer, &patch("a"));
        assert!(
            report.contains("the code checks patch `a` here"),
            "{report}"
        );
        assert!(
            report.contains("  new:      record-marker patch `a`"),
            "{report}"
        );
    }
}

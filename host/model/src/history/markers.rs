//! What replay tells a workflow about the markers its history recorded.
//!
//! `ctx.patched("id")` and `ctx.side_effect(..)` decide from the history while they
//! replay: a patch takes its new branch only if the run recorded the patch's marker, and
//! a side effect returns the value it recorded instead of running its closure again. The
//! contract has no job that carries markers, so the replayer sends them as *marker
//! notices*: signals with reserved names, added to the end of the activation of each
//! recorded task, one per `record-marker` command that task recorded, in order.
//!
//! | recorded command                  | notice (signal name)  | notice payload            |
//! |-----------------------------------|-----------------------|---------------------------|
//! | `record-marker(patch(id))`        | [`PATCH_NOTICE`]      | `id` as a JSON string     |
//! | `record-marker(side-effect(v))`   | [`SIDE_EFFECT_NOTICE`]| `v`, byte for byte        |
//!
//! Notices are never recorded, and only a replaying activation carries them: the SDK
//! ignores a signal with a reserved name in a live activation, so the replayer drops
//! such a signal from the recorded jobs (a client could have sent one) to deliver what
//! the live run saw. Because every notice of a task comes before any workflow code of
//! that task runs, `patched` knows whether the marker is there wherever in the task it
//! is called. A component built before markers existed never recorded one, so it never
//! receives a notice.

use super::vocab::{Activation, Command, IssuedCommand, Job, Marker, Payload, Signal};

/// The signal name of a patch notice; reserved (the SDK drops it in a live activation).
pub const PATCH_NOTICE: &str = "__weft_patch";

/// The signal name of a side-effect notice; reserved like [`PATCH_NOTICE`].
pub const SIDE_EFFECT_NOTICE: &str = "__weft_side_effect";

/// Whether `job` is a signal with a reserved notice name.
pub fn is_notice(job: &Job) -> bool {
    matches!(job, Job::Signal(s) if s.name == PATCH_NOTICE || s.name == SIDE_EFFECT_NOTICE)
}

/// The notices for the markers among `commands`, in command order.
pub fn notices<'a>(commands: impl IntoIterator<Item = &'a IssuedCommand>) -> Vec<Job> {
    commands
        .into_iter()
        .filter_map(|c| match &c.command {
            Command::RecordMarker(Marker::Patch(id)) => Some(notice(
                PATCH_NOTICE,
                Payload::json(&serde_json::Value::String(id.clone())),
            )),
            Command::RecordMarker(Marker::SideEffect(value)) => {
                Some(notice(SIDE_EFFECT_NOTICE, value.clone()))
            }
            _ => None,
        })
        .collect()
}

fn notice(name: &str, input: Payload) -> Job {
    Job::Signal(Signal {
        name: name.to_owned(),
        input,
    })
}

/// The activation to replay a recorded task with: its recorded jobs without reserved
/// signals, then the notices of the markers it recorded.
pub fn replay_activation(recorded: &Activation, commands: &[(usize, IssuedCommand)]) -> Activation {
    let mut jobs: Vec<Job> = recorded
        .jobs
        .iter()
        .filter(|j| !is_notice(j))
        .cloned()
        .collect();
    jobs.extend(notices(commands.iter().map(|(_, c)| c)));
    Activation {
        jobs,
        time_ms: recorded.time_ms,
        is_replaying: recorded.is_replaying,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::Encoding;

    fn issued(command: Command) -> (usize, IssuedCommand) {
        (
            0,
            IssuedCommand {
                command,
                location: None,
            },
        )
    }

    #[test]
    fn markers_become_notices_after_the_recorded_jobs() {
        let recorded = Activation {
            jobs: vec![
                Job::FireTimer(1),
                notice(PATCH_NOTICE, Payload::json(&"sent-by-a-client".into())),
            ],
            time_ms: 7,
            is_replaying: true,
        };
        let value = Payload {
            encoding: Encoding::Binary,
            data: vec![1, 2, 3],
        };
        let commands = [
            issued(Command::RecordMarker(Marker::Patch("shout".into()))),
            issued(Command::CancelTimer(2)),
            issued(Command::RecordMarker(Marker::SideEffect(value.clone()))),
        ];
        let activation = replay_activation(&recorded, &commands);
        assert_eq!(
            activation.jobs,
            [
                Job::FireTimer(1),
                notice(PATCH_NOTICE, Payload::json(&"shout".into())),
                notice(SIDE_EFFECT_NOTICE, value),
            ]
        );
        assert_eq!((activation.time_ms, activation.is_replaying), (7, true));
    }
}

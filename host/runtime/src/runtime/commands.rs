//! Which commands this host carries out. A command it does not carry out fails the
//! workflow task with a message that says so (and where the workflow issued it); it is
//! never recorded and then ignored.

use crate::history::{Command, IssuedCommand, TaskFailure};

/// Whether the host acts on `command` (recording is all some of them need).
fn supported(command: &Command) -> bool {
    matches!(
        command,
        Command::ScheduleActivity(_)
            | Command::ScheduleLocalActivity(_)
            | Command::RequestCancelActivity(_)
            | Command::StartTimer(_)
            | Command::CancelTimer(_)
            | Command::RecordMarker(_)
            | Command::AcceptUpdate(_)
            | Command::RejectUpdate(_)
            | Command::CompleteUpdate(_)
            | Command::CompleteWorkflow(_)
            | Command::FailWorkflow(_)
            | Command::CancelWorkflowConfirmed
            | Command::ContinueAsNew(_)
            | Command::StartChildWorkflow(_)
            | Command::CancelChildWorkflow(_)
            | Command::SignalExternal(_)
            | Command::UpsertSearchAttributes(_)
            | Command::UpsertMemo(_)
    )
}

/// Fail the task on the first command the host does not carry out.
pub(crate) fn check_supported(commands: &[IssuedCommand]) -> Result<(), TaskFailure> {
    match commands.iter().find(|c| !supported(&c.command)) {
        None => Ok(()),
        Some(c) => Err(TaskFailure {
            message: format!(
                "the workflow issued `{}`, which this host does not carry out yet; \
                 the task is retried, so deploy a version of the workflow without it",
                c.command.summary()
            ),
            location: c.location.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::vocab::RespondQuery;
    use crate::history::Payload;

    #[test]
    fn a_command_out_of_place_fails_the_task_at_its_line() {
        let c = IssuedCommand {
            command: Command::RespondQuery(RespondQuery {
                id: "q".into(),
                result: Ok(Payload::json(&serde_json::json!(1))),
            }),
            location: Some(crate::history::vocab::SourceLocation {
                file: "src/lib.rs".into(),
                line: 7,
                column: 3,
            }),
        };
        let failure = check_supported(&[c]).unwrap_err();
        assert!(
            failure.message.contains("respond-query"),
            "{}",
            failure.message
        );
        assert_eq!(failure.location.unwrap().line, 7);
        let upsert = IssuedCommand {
            command: Command::UpsertMemo(vec![]),
            location: None,
        };
        assert!(check_supported(&[upsert]).is_ok());
        assert!(check_supported(&[]).is_ok());
    }
}

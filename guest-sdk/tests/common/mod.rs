//! What the message tests share: a one-line description of each command.

use weft_sdk::wit::{Command, IssuedCommand, Marker, Payload};

fn text(payload: &Payload) -> String {
    String::from_utf8_lossy(&payload.data).into_owned()
}

/// `activity:<seq>:<type>`, `local-activity:<seq>:<type>`, `cancel-activity:<seq>`,
/// `timer:<seq>:<ms>`, `cancel-timer:<seq>`, `accept:<id>`, `reject:<id>`,
/// `complete-update:<id>:<json or err message>`, `query:<id>`, `complete:<json>`,
/// `fail:<message>`, `cancel-workflow-confirmed`, `patch:<id>`, `side-effect:<json>`.
pub fn describe(commands: &[IssuedCommand]) -> Vec<String> {
    commands
        .iter()
        .map(|issued| match &issued.command {
            Command::ScheduleActivity(s) => format!("activity:{}:{}", s.seq, s.activity_type),
            Command::ScheduleLocalActivity(s) => {
                format!("local-activity:{}:{}", s.seq, s.activity_type)
            }
            Command::RequestCancelActivity(seq) => format!("cancel-activity:{seq}"),
            Command::StartTimer(t) => format!("timer:{}:{}", t.seq, t.duration_ms),
            Command::CancelTimer(seq) => format!("cancel-timer:{seq}"),
            Command::CancelWorkflowConfirmed => "cancel-workflow-confirmed".to_owned(),
            Command::AcceptUpdate(id) => format!("accept:{id}"),
            Command::RejectUpdate((id, _)) => format!("reject:{id}"),
            Command::CompleteUpdate(c) => match &c.result {
                Ok(result) => format!("complete-update:{}:{}", c.id, text(result)),
                Err(failure) => format!("complete-update:{}:err:{}", c.id, failure.message),
            },
            Command::RespondQuery(r) => format!("query:{}", r.id),
            Command::CompleteWorkflow(result) => format!("complete:{}", text(result)),
            Command::FailWorkflow(failure) => format!("fail:{}", failure.message),
            Command::RecordMarker(Marker::Patch(id)) => format!("patch:{id}"),
            Command::RecordMarker(Marker::SideEffect(value)) => {
                format!("side-effect:{}", text(value))
            }
            other => format!("{other:?}"),
        })
        .collect()
}

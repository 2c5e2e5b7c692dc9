//! What the message tests share: a one-line description of each command.

use weft_sdk::wit::{Command, IssuedCommand, Payload};

fn text(payload: &Payload) -> String {
    String::from_utf8_lossy(&payload.data).into_owned()
}

/// `activity:<seq>:<type>`, `timer:<seq>:<ms>`, `accept:<id>`, `reject:<id>`,
/// `complete-update:<id>:<json or err message>`, `query:<id>`, `complete:<json>`,
/// `fail:<message>`.
pub fn describe(commands: &[IssuedCommand]) -> Vec<String> {
    commands
        .iter()
        .map(|issued| match &issued.command {
            Command::ScheduleActivity(s) => format!("activity:{}:{}", s.seq, s.activity_type),
            Command::StartTimer(t) => format!("timer:{}:{}", t.seq, t.duration_ms),
            Command::AcceptUpdate(id) => format!("accept:{id}"),
            Command::RejectUpdate((id, _)) => format!("reject:{id}"),
            Command::CompleteUpdate(c) => match &c.result {
                Ok(result) => format!("complete-update:{}:{}", c.id, text(result)),
                Err(failure) => format!("complete-update:{}:err:{}", c.id, failure.message),
            },
            Command::RespondQuery(r) => format!("query:{}", r.id),
            Command::CompleteWorkflow(result) => format!("complete:{}", text(result)),
            Command::FailWorkflow(failure) => format!("fail:{}", failure.message),
            other => format!("{other:?}"),
        })
        .collect()
}

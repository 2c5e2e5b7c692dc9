//! An update, by its id: from the `update` job that delivers it to the command that
//! decides it.
//!
//! | state \ event | `update` job | `accept-update` | `reject-update` | `complete-update`  |
//! |---------------|--------------|-----------------|-----------------|--------------------|
//! | (none)        | delivered    | accepted        | rejected        | completed          |
//! | delivered     | delivered    | accepted        | rejected        | completed          |
//! | rejected      | delivered    | accepted        | rejected        | completed          |
//! | accepted      | accepted     | accepted        | accepted        | completed          |
//! | completed     | completed    | accepted (*)    | completed       | completed (*)      |
//!
//! A rejected id may be tried again: it is delivered afresh. An accepted or completed
//! one is *decided*: a caller that asks again with its id, even after a restart, waits
//! for it or is answered from here, and it is never delivered again. (*) The host never
//! records these (a completed id is answered, not delivered); the later command wins,
//! as it always has when a history is read.

use crate::history::{Failure, Payload};

/// Where an update stands in the history.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateState {
    /// Delivered to the workflow, not decided.
    Delivered,
    /// The validator refused it; the id is free again.
    Rejected(Failure),
    /// Accepted; its handler runs.
    Accepted,
    /// Its handler finished with this result.
    Completed(Result<Payload, Failure>),
}

impl UpdateState {
    /// Accepted or completed: what a caller asking again is held to.
    pub fn decided(&self) -> bool {
        matches!(self, UpdateState::Accepted | UpdateState::Completed(_))
    }

    /// The `update` job delivered it.
    pub fn delivered(state: Option<UpdateState>) -> UpdateState {
        match state {
            Some(decided) if decided.decided() => decided,
            _ => UpdateState::Delivered,
        }
    }

    /// `reject-update`.
    pub fn rejected(state: Option<UpdateState>, failure: &Failure) -> UpdateState {
        match state {
            Some(decided) if decided.decided() => decided,
            _ => UpdateState::Rejected(failure.clone()),
        }
    }
}

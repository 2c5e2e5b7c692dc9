//! The updates of one run, by update id: who waits for which, and what is already
//! decided. Rebuilt from the history when a run resumes, so a caller that asks again
//! after a restart, with the same update id, gets the first outcome. What is decided
//! comes from the run's state machines; who waits is this actor's own.
//!
//! | state     | how it got there                       | a new request with its id   |
//! |-----------|----------------------------------------|-----------------------------|
//! | requested | delivered in a task not yet durable,   | waits with the first        |
//! |           | or held for the retry of a failed one  |                             |
//! | accepted  | `accept-update` recorded               | waits, or answered at once  |
//! |           |                                        | when it waits for accepted  |
//! | completed | `complete-update` recorded             | answered at once            |
//! | (gone)    | rejected (its validator refused it or  | delivered afresh            |
//! |           | panicked): nothing recorded            |                             |

use std::collections::BTreeMap;

use tokio::sync::oneshot;

use crate::history::machines::UpdateState;
use crate::history::{Failure, Payload, RunState};
use crate::runtime::messages::{MessageError, UpdateOutcome, UpdateStage};

pub(crate) type UpdateReply = oneshot::Sender<Result<UpdateOutcome, MessageError>>;

struct Waiter {
    stage: UpdateStage,
    reply: UpdateReply,
}

enum State {
    Requested(Vec<Waiter>),
    Accepted(Vec<Waiter>),
    Completed(Result<Payload, Failure>),
}

#[derive(Default)]
pub(crate) struct Updates {
    by_id: BTreeMap<String, State>,
}

impl Updates {
    /// The updates a run's state holds as decided: accepted, or completed with their
    /// result (see `history::machines::update`).
    pub fn from_state(state: &RunState) -> Updates {
        let by_id = (state.decided_updates())
            .map(|(id, decided)| {
                let state = match decided {
                    UpdateState::Completed(result) => State::Completed(result.clone()),
                    _ => State::Accepted(Vec::new()),
                };
                (id.to_string(), state)
            })
            .collect();
        Updates { by_id }
    }

    /// Some caller waits for an update of this run to be accepted or completed.
    pub fn has_waiters(&self) -> bool {
        self.by_id.values().any(|state| match state {
            State::Requested(_) => true,
            State::Accepted(waiters) => !waiters.is_empty(),
            State::Completed(_) => false,
        })
    }

    /// The result update `id` completed with, if it has.
    pub fn completed_result(&self, id: &str) -> Option<Result<Payload, Failure>> {
        match self.by_id.get(id) {
            Some(State::Completed(result)) => Some(result.clone()),
            _ => None,
        }
    }

    /// A request for update `id`: true when it is new and must be delivered; otherwise
    /// it joins (or is answered from) the update with that id.
    pub fn request(&mut self, id: &str, stage: UpdateStage, reply: UpdateReply) -> bool {
        let waiter = Waiter { stage, reply };
        match self.by_id.get_mut(id) {
            None => {
                self.by_id
                    .insert(id.to_string(), State::Requested(vec![waiter]));
                true
            }
            Some(State::Requested(waiters)) => {
                waiters.push(waiter);
                false
            }
            Some(State::Accepted(waiters)) => {
                if stage == UpdateStage::Accepted {
                    let _ = waiter.reply.send(Ok(UpdateOutcome::Accepted {
                        update_id: id.to_string(),
                    }));
                } else {
                    waiters.push(waiter);
                }
                false
            }
            Some(State::Completed(result)) => {
                let _ = waiter.reply.send(Ok(UpdateOutcome::Completed {
                    update_id: id.to_string(),
                    result: result.clone(),
                }));
                false
            }
        }
    }

    /// The acceptance of `id` is durable: answer those who wait for that stage.
    pub fn accepted(&mut self, id: &str) {
        let waiters = match self.by_id.remove(id) {
            Some(State::Requested(w) | State::Accepted(w)) => w,
            Some(done @ State::Completed(_)) => {
                self.by_id.insert(id.to_string(), done);
                return;
            }
            None => Vec::new(),
        };
        let mut still = Vec::new();
        for w in waiters {
            if w.stage == UpdateStage::Accepted {
                let _ = w.reply.send(Ok(UpdateOutcome::Accepted {
                    update_id: id.to_string(),
                }));
            } else {
                still.push(w);
            }
        }
        self.by_id.insert(id.to_string(), State::Accepted(still));
    }

    /// The handler's result is durable: answer everyone and remember it.
    pub fn completed(&mut self, id: &str, result: Result<Payload, Failure>) {
        if let Some(State::Requested(waiters) | State::Accepted(waiters)) = self.by_id.remove(id) {
            for w in waiters {
                let _ = w.reply.send(Ok(UpdateOutcome::Completed {
                    update_id: id.to_string(),
                    result: result.clone(),
                }));
            }
        }
        self.by_id.insert(id.to_string(), State::Completed(result));
    }

    /// Update `id` was not accepted (rejected, or not handled): answer everyone with
    /// `error` and forget it, so that the same id may be tried again.
    pub fn refused(&mut self, id: &str, error: MessageError) {
        if let Some(State::Requested(waiters) | State::Accepted(waiters)) = self.by_id.remove(id) {
            for w in waiters {
                let _ = w.reply.send(Err(error.clone()));
            }
        }
    }

    /// Take the callers of update `id`, requested and not delivered yet (to hand them to
    /// the next run of a continue-as-new).
    pub fn take_requested(&mut self, id: &str) -> Vec<(UpdateStage, UpdateReply)> {
        match self.by_id.remove(id) {
            Some(State::Requested(waiters)) => {
                waiters.into_iter().map(|w| (w.stage, w.reply)).collect()
            }
            Some(other) => {
                self.by_id.insert(id.to_string(), other);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// The run closed: whoever still waits learns that the handler never finished.
    pub fn run_closed(&mut self, error: impl Fn(&str) -> MessageError) {
        for (id, state) in std::mem::take(&mut self.by_id) {
            if let State::Requested(waiters) | State::Accepted(waiters) = state {
                for w in waiters {
                    let _ = w.reply.send(Err(error(&id)));
                }
            }
        }
    }
}

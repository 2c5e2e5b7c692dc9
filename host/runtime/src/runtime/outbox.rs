//! Effects on other runs, exactly once: a signal to another workflow, a child's
//! cancellation, a closed parent's policy for its open children.
//!
//! | step                                  | commit                                       |
//! |---------------------------------------|----------------------------------------------|
//! | a task records `signal-external` or   | its history, and an `outbox` row per effect  |
//! | `cancel-child-workflow`; a run closes | (a close policy per open child, after the    |
//! | with open children                    | rows of the task's own commands)             |
//! | the effect reaches its target, which  | the target's history, and the deletion of    |
//! | records it (signal, cancel-requested, | the row: the [`Ack`] of the request names it |
//! | terminated)                           |                                              |
//! | the target cannot take it (closed,    | the deletion of the row alone                |
//! | not found)                            |                                              |
//!
//! A host that dies between the two commits finds the row when it opens and carries the
//! effect out then; one that dies after the second finds nothing. The effects of one run
//! are carried out one after another in the order of their rows' ordinals: the index of
//! the event that recorded the command, shifted left 16 bits, plus the child's place
//! for close policies (`index << 16 | n`, after the closing task's own commands).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::message::Message;
use super::messages::MessageError;
use super::remote::RemoteMessage;
use super::{Host, HostInner};
use crate::history::vocab::{Command, Job, SignalExternal};
use crate::history::Event;
use crate::storage::{durable, OutboxRow, Write};

/// Where an effect's row is: its source run and ordinal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxKey {
    pub run_id: String,
    pub ordinal: u64,
}

impl OutboxKey {
    /// The write that deletes the row.
    pub fn delete(&self) -> Write {
        Write::DeleteOutbox {
            run_id: self.run_id.clone(),
            ordinal: self.ordinal,
        }
    }
}

/// What a row asks of another run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Effect {
    /// The `signal-external` command recorded at `event_index` of the source's history
    /// (its payload is read from there, encoded as the history is).
    Signal {
        workflow_id: String,
        event_index: u64,
    },
    /// Ask child `workflow_id` to cancel (`cancel-child-workflow`).
    CancelChild { workflow_id: String },
    /// The source closed: terminate its open child, or ask it to cancel.
    ClosePolicy {
        workflow_id: String,
        terminate: bool,
    },
}

impl Effect {
    fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("effects always encode")
    }

    fn target(&self) -> &str {
        match self {
            Effect::Signal { workflow_id, .. }
            | Effect::CancelChild { workflow_id }
            | Effect::ClosePolicy { workflow_id, .. } => workflow_id,
        }
    }
}

/// An effect to carry out: its row, and what the source knows of it in memory.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub key: OutboxKey,
    pub effect: Effect,
    /// The signal's name and payload (read from the source's history when absent).
    pub signal: Option<SignalExternal>,
    /// Turns true once the target child's start was answered: the effect waits for it.
    pub started: Option<watch::Receiver<bool>>,
    /// The source's seq of the child a [`Effect::CancelChild`] cancels: once the child
    /// recorded the request, the source run gets `Job::ChildCancelRequested(seq)`.
    pub child_seq: Option<u32>,
}

impl Outgoing {
    pub fn new(run_id: &str, ordinal: u64, effect: Effect) -> Outgoing {
        Outgoing {
            key: OutboxKey {
                run_id: run_id.to_string(),
                ordinal,
            },
            effect,
            signal: None,
            started: None,
            child_seq: None,
        }
    }

    /// The write that stores the row.
    pub fn row(&self) -> Write {
        Write::PutOutbox(OutboxRow {
            run_id: self.key.run_id.clone(),
            ordinal: self.key.ordinal,
            effect: self.effect.encode(),
        })
    }
}

/// Acknowledges a signal, a cancellation or a termination once it is durable; a request
/// that came from an outbox names its row, deleted in that same commit.
#[derive(Debug)]
pub(crate) struct Ack {
    reply: oneshot::Sender<Result<(), MessageError>>,
    origin: Option<OutboxKey>,
}

impl Ack {
    /// Acknowledge a caller's request.
    pub fn new(reply: oneshot::Sender<Result<(), MessageError>>) -> Ack {
        Ack {
            reply,
            origin: None,
        }
    }

    /// Answer the request.
    pub fn send(self, result: Result<(), MessageError>) -> Result<(), Result<(), MessageError>> {
        self.reply.send(result)
    }

    /// The deletion of the outbox row this request came from, to commit with its record.
    pub fn delete_origin(&self) -> Option<Write> {
        self.origin.as_ref().map(OutboxKey::delete)
    }
}

/// Attempts at an effect whose target is busy (its commit failed, it is changing state).
const TRIES: u32 = 8;

impl HostInner {
    /// Carry out `effects` of one run, one after another in the order given, after
    /// the run's earlier ones (`after`); the task that does it.
    pub(crate) fn carry_out(
        self: &Arc<Self>,
        from: &str,
        effects: Vec<Outgoing>,
        after: Option<JoinHandle<()>>,
    ) -> Option<JoinHandle<()>> {
        if effects.is_empty() {
            return after;
        }
        let inner = self.clone();
        let from = from.to_string();
        // A virtual clock does not skip ahead while effects are on their way.
        let busy = self.clock.busy();
        let task = self.workflows.spawn(async move {
            if let Some(earlier) = after {
                let _ = earlier.await;
            }
            for effect in effects {
                let Some(host) = inner.handle() else { return };
                host.carry_out_one(&from, effect).await;
            }
            drop(busy);
        });
        Some(task)
    }

    /// Carry out the outbox rows a host found when it opened, each run's in order.
    pub(crate) fn carry_out_stored(
        self: &Arc<Self>,
        rows: Vec<OutboxRow>,
        ours: &dyn Fn(&str) -> bool,
    ) {
        let mut by_run: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
        for row in rows {
            by_run.entry(row.run_id.clone()).or_default().push(row);
        }
        for (run_id, rows) in by_run {
            let Ok(Some(record)) = self.storage.run(&run_id) else {
                continue;
            };
            if !ours(&record.workflow_id) {
                continue;
            }
            let history = self.read_history(&record).ok();
            let mut effects = Vec::new();
            for row in rows {
                let Ok(effect) = postcard::from_bytes::<Effect>(&row.effect) else {
                    tracing::error!(run = %run_id, ordinal = row.ordinal, "an outbox row does not decode; dropped");
                    drop(self.storage.commit(vec![Write::DeleteOutbox {
                        run_id: run_id.clone(),
                        ordinal: row.ordinal,
                    }]));
                    continue;
                };
                let mut outgoing = Outgoing::new(&run_id, row.ordinal, effect);
                // The command that wrote the row is at the ordinal's upper bits.
                let command = history
                    .as_ref()
                    .and_then(|h| h.events.get((row.ordinal >> 16) as usize))
                    .and_then(|e| match e {
                        Event::Command(c) => Some(&c.command),
                        _ => None,
                    });
                match (&outgoing.effect, command) {
                    (Effect::Signal { .. }, Some(Command::SignalExternal(s))) => {
                        outgoing.signal = Some(s.clone())
                    }
                    (Effect::CancelChild { .. }, Some(Command::CancelChildWorkflow(seq))) => {
                        outgoing.child_seq = Some(*seq)
                    }
                    _ => {}
                }
                effects.push(outgoing);
            }
            self.carry_out(&record.workflow_id, effects, None);
        }
    }
}

impl Host {
    /// Carry out one effect of run `from` (a workflow id); its row goes with the
    /// target's record of it, or alone when the target cannot take it.
    async fn carry_out_one(&self, from: &str, effect: Outgoing) {
        if let Some(mut started) = effect.started.clone() {
            let _ = started.wait_for(|s| *s).await;
        }
        let target = effect.effect.target().to_string();
        let mut delay = Duration::from_millis(20);
        for _ in 0..TRIES {
            let (reply, answer) = oneshot::channel();
            let ack = Ack {
                reply,
                origin: Some(effect.key.clone()),
            };
            let sent = match &effect.effect {
                Effect::Signal { .. } => match &effect.signal {
                    Some(s) => self.signal_acked(&target, &s.name, s.input.clone(), ack),
                    None => Err(MessageError::NotFound(format!(
                        "the signal recorded by `{from}` is not in its history"
                    ))),
                },
                Effect::CancelChild { .. } => {
                    self.stop_acked(&target, "cancelled by its parent", false, ack)
                }
                Effect::ClosePolicy { terminate, .. } => {
                    let reason = format!("its parent `{from}` closed");
                    self.stop_acked(&target, &reason, *terminate, ack)
                }
            };
            let result = match sent {
                Ok(_) => answer.await.unwrap_or_else(|_| {
                    Err(MessageError::Unavailable("the target stopped".into()))
                }),
                Err(MessageError::NotOwner { workflow_id, .. }) => {
                    self.carry_out_elsewhere(&workflow_id, from, &effect).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    if let Some(seq) = effect.child_seq {
                        self.tell_child_cancel_recorded(&effect.key.run_id, seq);
                    }
                    return;
                }
                Err(MessageError::Unavailable(why)) => {
                    tracing::debug!(from, to = %target, "effect not taken yet: {why}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(MessageError::Stopped(_) | MessageError::OutcomeUnknown(_)) => {
                    // The storage failed: the row stays for the host that restarts.
                    return;
                }
                Err(e) => {
                    tracing::warn!(from, to = %target, "effect not carried out: {e}");
                    drop(self.inner.storage.commit(vec![effect.key.delete()]));
                    return;
                }
            }
        }
        // Left in the outbox: the next host to open tries again.
        tracing::warn!(from, to = %target, "effect not carried out yet; it stays in the outbox");
    }

    /// Carry `effect` out on the host that serves its target `workflow_id`, under a
    /// request id made of its row's key, so that sending it again (after a lost reply,
    /// or from the next host to serve the source) takes effect once; then delete the
    /// row, which the target's host cannot.
    async fn carry_out_elsewhere(
        &self,
        workflow_id: &str,
        from: &str,
        effect: &Outgoing,
    ) -> Result<(), MessageError> {
        let Some(remote) = self.inner.remote.clone() else {
            return Err(MessageError::Unavailable(format!(
                "workflow `{workflow_id}` is served by another host, which this one cannot reach"
            )));
        };
        let request_id = Some(format!(
            "outbox:{}:{}",
            effect.key.run_id, effect.key.ordinal
        ));
        let message = match &effect.effect {
            Effect::Signal { .. } => {
                let signal = effect.signal.as_ref().ok_or_else(|| {
                    MessageError::NotFound(format!(
                        "the signal recorded by `{from}` is not in its history"
                    ))
                })?;
                RemoteMessage::Signal {
                    name: signal.name.clone(),
                    input: signal.input.clone(),
                    request_id,
                }
            }
            Effect::CancelChild { .. } => RemoteMessage::Stop {
                reason: "cancelled by its parent".into(),
                terminate: false,
                request_id,
            },
            Effect::ClosePolicy { terminate, .. } => RemoteMessage::Stop {
                reason: format!("its parent `{from}` closed"),
                terminate: *terminate,
                request_id,
            },
        };
        remote.message(workflow_id, message).await?;
        durable(self.inner.storage.commit(vec![effect.key.delete()]))
            .await
            .map_err(|e| MessageError::Unavailable(e.to_string()))
    }

    /// The child `seq` of run `run_id` recorded the cancellation the run requested: the
    /// run's next task delivers it (a closed run has nothing left to wait for it).
    fn tell_child_cancel_recorded(&self, run_id: &str, seq: u32) {
        let job = Job::ChildCancelRequested(seq);
        let message = Message::Resolve(job, self.inner.clock.busy());
        if !self.inner.send(run_id, message) {
            tracing::debug!(run = %run_id, seq, "child cancellation recorded after its parent closed");
        }
    }
}

//! The simulated client: sends operations to the host as spawned tasks, loses requests
//! and replies on cue, and writes what it heard to the ledger. Starts and signals carry
//! request ids, so the retry of an operation whose answer was lost is answered as the
//! first was and never applied twice.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use sim_workload::{bump_accepted, bump_value};
use weft_runtime::history::Payload;
use weft_runtime::runtime::{
    Host, IdConflictPolicy, IdReusePolicy, MessageError, StartError, StartRequest, UpdateOutcome,
    UpdateRequest, UpdateStage,
};

use crate::activities::unsynced_while_healthy;
use crate::disk::SimDisk;
use crate::ledger::{Answer, Ledger};
use crate::options::Op;
use crate::trace::Trace;

/// Operations sent and not answered yet, by a number of the client's.
#[derive(Debug, Default)]
pub struct InFlight {
    next: u64,
    pub ops: BTreeMap<u64, Op>,
}

/// What the network does to one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Delivered,
    RequestLost,
    ReplyLost,
}

/// The workflow id of workflow `index`.
pub fn workflow_id(index: usize) -> String {
    format!("w{index}")
}

/// Everything a client task touches.
#[derive(Clone)]
pub struct Client {
    pub host: Host,
    pub programs: Arc<Vec<sim_workload::Program>>,
    pub ledger: Arc<Mutex<Ledger>>,
    pub in_flight: Arc<Mutex<InFlight>>,
    pub disk: SimDisk,
    pub trace: Trace,
}

impl Client {
    /// Send `op` through `network`; its answer lands in the ledger. An operation whose
    /// answer is unknown is returned to be sent again (the ledger's retries).
    pub fn send(&self, op: Op, network: Network) {
        self.note_sent(&op);
        if network == Network::RequestLost {
            self.trace.push(format!("client {op:?}: request lost"));
            self.retry_later(op);
            return;
        }
        let id = {
            let mut in_flight = self.in_flight.lock().unwrap();
            in_flight.next += 1;
            let id = in_flight.next;
            in_flight.ops.insert(id, op.clone());
            id
        };
        let client = self.clone();
        tokio::spawn(async move {
            let answer = client.call(&op).await;
            client.in_flight.lock().unwrap().ops.remove(&id);
            let unsynced = unsynced_while_healthy(Some(&client.disk), &client.host);
            if let (Answer::Acked, Some(unsynced), false) =
                (answer, unsynced, client.disk.severed())
            {
                client.ledger.lock().unwrap().violations.push(format!(
                    "acted before durable: {op:?} acknowledged with {unsynced} disk writes unsynced"
                ));
            }
            // A process that died inside a disk operation sent nothing after it.
            let answer = match (client.disk.severed(), network) {
                (true, _) | (false, Network::ReplyLost) => Answer::Unknown,
                _ => answer,
            };
            client.trace.push(format!("client {op:?}: {answer:?}"));
            client.record(&op, answer);
            if answer == Answer::Unknown {
                client.retry_later(op);
            }
        });
    }

    fn note_sent(&self, op: &Op) {
        let mut ledger = self.ledger.lock().unwrap();
        if let Some(token) = ledger.token(op) {
            token.0 += 1;
        }
        if let Op::Cancel(i) | Op::Terminate(i) = *op {
            ledger.workflows[i].stop_sent = true;
        }
    }

    /// An operation to send again (in a later step, maybe a later generation).
    pub fn retry_later(&self, op: Op) {
        self.ledger.lock().unwrap().retries.push(op);
    }

    /// Keep `answer` as the operation's last, except that an ack is never taken back by
    /// a later unknown.
    fn record(&self, op: &Op, answer: Answer) {
        let mut ledger = self.ledger.lock().unwrap();
        let last = match *op {
            Op::Start(i) => ledger.workflows[i].start.get_or_insert(answer),
            _ => match ledger.token(op) {
                Some(token) => &mut token.1,
                None => return,
            },
        };
        if *last != Answer::Acked {
            *last = answer;
        }
    }

    async fn call(&self, op: &Op) -> Answer {
        match *op {
            Op::Start(i) => {
                let program = &self.programs[i];
                let mut request = StartRequest::new("sim_program", Payload::json(&json!(program)));
                request.workflow_id = Some(workflow_id(i));
                request.request_id = Some(format!("start-{i}"));
                request.id_conflict_policy = IdConflictPolicy::UseExisting;
                // One chain per workflow id: a start sent again never makes a second.
                request.id_reuse_policy = IdReusePolicy::RejectDuplicate;
                start_answer(self.host.start(request).await.map(|_| ()))
            }
            Op::Signal(i, token) => {
                let id = workflow_id(i);
                let key = format!("tok-{token}");
                let sent = self
                    .host
                    .signal_with_request(&id, "tok", Payload::json(&json!(token)), Some(&key))
                    .await;
                message_answer(sent.map(|_| ()))
            }
            Op::Update(i, token) => self.update(i, token).await,
            Op::Cancel(i) => message_answer(
                self.host
                    .cancel_with_request(&workflow_id(i), "sim", Some(&format!("cancel-{i}")))
                    .await
                    .map(|_| ()),
            ),
            Op::Terminate(i) => message_answer(
                self.host
                    .terminate_with_request(&workflow_id(i), "sim", Some(&format!("term-{i}")))
                    .await
                    .map(|_| ()),
            ),
        }
    }
}

impl Client {
    /// Send update `bump` and check its answer: the result `bump_value` says, or a
    /// rejection exactly when the validator says no.
    async fn update(&self, i: usize, token: u64) -> Answer {
        let request = UpdateRequest {
            update_id: Some(format!("upd-{token}")),
            name: "bump".into(),
            input: Payload::json(&json!(token)),
            wait: UpdateStage::Completed,
        };
        let outcome = self.host.update(&workflow_id(i), request).await;
        let wrong = |what: String| {
            let line = format!("update answer: token {token} to {}: {what}", workflow_id(i));
            self.ledger.lock().unwrap().violations.push(line);
        };
        match outcome {
            Ok(UpdateOutcome::Completed {
                result: Ok(value), ..
            }) => {
                if value.to_json().as_u64() != Some(bump_value(token)) || !bump_accepted(token) {
                    wrong(format!("answered {:?}", value.to_json()));
                }
                Answer::Acked
            }
            Ok(other) => {
                wrong(format!("answered {other:?}"));
                Answer::Unknown
            }
            Err(MessageError::Rejected(failure)) => {
                if bump_accepted(token) {
                    wrong(format!("rejected: {}", failure.message));
                }
                Answer::Refused
            }
            Err(e) => message_answer(Err(e)),
        }
    }
}

fn start_answer(result: Result<(), StartError>) -> Answer {
    match result {
        Ok(()) => Answer::Acked,
        Err(StartError::Storage(_) | StartError::Stopped(_) | StartError::OutcomeUnknown(_)) => {
            Answer::Unknown
        }
        Err(_) => Answer::Refused,
    }
}

fn message_answer(result: Result<(), MessageError>) -> Answer {
    match result {
        Ok(()) => Answer::Acked,
        Err(MessageError::NotFound(_) | MessageError::Closed { .. }) => Answer::Refused,
        Err(_) => Answer::Unknown,
    }
}

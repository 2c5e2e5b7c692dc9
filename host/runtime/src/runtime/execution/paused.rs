//! A paused run (`weft pause`): no workflow task runs until it is unpaused, and what
//! arrives meanwhile waits, durably where it can.
//!
//! | arrives while paused          | the actor                                         |
//! |-------------------------------|---------------------------------------------------|
//! | signal, timer fired, activity | records it as a `pending-job` (a signal is then   |
//! | or child result, cancellation | acknowledged); the first task after `unpaused`    |
//! |                               | delivers it, as a failed task's jobs are carried  |
//! | update                        | holds it in memory: its caller waits until unpause|
//! |                               | (or its own timeout); lost with the host, as an   |
//! |                               | update not yet accepted always is                 |
//! | query                         | answers it on the state of the last task          |
//! | attempt failure, heartbeat    | records it, as always                             |
//! | terminate                     | closes the run at once                            |
//! | run or execution timeout      | closes the run as timed out                       |
//!
//! A task already waiting for its local activities when the pause arrives finishes
//! first. The state lives in the history (`paused` / `unpaused`, folded by
//! `history::machines::pause`), so a host that restarts or rebuilds a resting run
//! finds it paused; the run's attributes carry a `paused` flag for `list`.

use super::*;
use crate::runtime::steer::{Steer, SteerAction, SteerError};

/// Answers a steering request once it is recorded: with the activity's seq for an
/// activity act.
pub(crate) type SteerReply = oneshot::Sender<Result<Option<u32>, SteerError>>;

impl Execution {
    /// Paused, and no task of before the pause still in progress.
    pub(super) fn paused(&self) -> bool {
        self.state.paused().is_some() && self.deferred.is_none()
    }

    /// While paused: something arrived that can be recorded (an update waits).
    pub(super) fn can_park(&self) -> bool {
        !self.events.is_empty() || self.jobs.iter().any(|j| !matches!(j, Job::Update(_)))
    }

    /// Record what arrived while paused: jobs as `pending-job`s (carried into the
    /// first task after unpause), with the attempt reports waiting and the rows the
    /// jobs retire (fired timers, acknowledged signals' origins and request ids).
    pub(super) async fn park(&mut self) {
        let (parked, held): (Vec<Job>, Vec<Job>) = std::mem::take(&mut self.jobs)
            .into_iter()
            .partition(|j| !matches!(j, Job::Update(_)));
        self.jobs = held;
        let acks = std::mem::take(&mut self.signal_acks);
        let mut writes: Vec<Write> = self.fired.iter().cloned().map(Write::DeleteTimer).collect();
        writes.extend(acks.iter().flat_map(SignalAck::writes));
        if !parked.is_empty() {
            self.mark_arrival();
        }
        let events = parked.iter().cloned().map(Event::PendingJob).collect();
        if self.commit_with(events, writes).await.is_err() {
            let held = std::mem::replace(&mut self.jobs, parked);
            self.jobs.extend(held);
            self.signal_acks = acks;
            self.retry_after_storage_failure();
            return;
        }
        self.fired.clear();
        self.carried.extend(parked);
        for ack in acks {
            let _ = ack.send(Ok(()));
        }
    }

    /// Take a steering request; carried out between tasks.
    pub(super) fn steering_requested(&mut self, request: Steer, reply: SteerReply) {
        self.steering.push((request, reply));
    }

    /// Carry out the steering requests received, one after another, on a state that
    /// has what arrived before them (attempt reports) recorded.
    pub(super) async fn steer(&mut self) {
        if !self.events.is_empty() && self.commit(Vec::new()).await.is_err() {
            self.retry_after_storage_failure();
        }
        for (request, reply) in std::mem::take(&mut self.steering) {
            let Steer {
                action,
                reason,
                identity,
            } = request;
            let answer = match action {
                SteerAction::Pause => self.steer_run(true, reason, identity).await.map(|()| None),
                SteerAction::Unpause => {
                    self.steer_run(false, reason, identity).await.map(|()| None)
                }
                SteerAction::Activity(which, act) => {
                    let note = (reason, identity);
                    match self.steer_activity(&which, act, note).await {
                        Ok(super::activity_ops::Acted::Done(seq)) => Ok(Some(seq)),
                        Ok(super::activity_ops::Acted::Waits(seq, act, (reason, identity))) => {
                            // An attempt is in flight: asked again when it ends.
                            let request = Steer {
                                action: SteerAction::Activity(
                                    crate::runtime::steer::ActivityRef::Seq(seq),
                                    act,
                                ),
                                reason,
                                identity,
                            };
                            self.steering_waits.push((seq, request, reply));
                            continue;
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            let _ = reply.send(answer);
        }
    }

    async fn steer_run(
        &mut self,
        pause: bool,
        reason: String,
        identity: String,
    ) -> Result<(), SteerError> {
        let time_ms = self.host.clock.now_ms();
        let workflow_id = self.record.workflow_id.clone();
        let event = match (pause, self.state.paused()) {
            (true, Some(by)) => {
                return Err(SteerError::AlreadyPaused {
                    workflow_id,
                    reason: by.reason.clone(),
                    identity: by.identity.clone(),
                })
            }
            (false, None) => return Err(SteerError::NotPaused(workflow_id)),
            (true, None) => Event::Paused {
                reason,
                identity,
                time_ms,
            },
            (false, Some(_)) => Event::Unpaused {
                reason,
                identity,
                time_ms,
            },
        };
        let writes = self.paused_flag(pause)?;
        self.record_steering(event, writes).await?;
        tracing::info!(run = %self.record.run_id, paused = pause, "run steered");
        Ok(())
    }

    /// Record a steering event durably.
    pub(super) async fn record_steering(
        &mut self,
        event: Event,
        writes: Vec<Write>,
    ) -> Result<(), SteerError> {
        self.commit_with(vec![event], writes).await.map_err(|()| {
            SteerError::Message(match self.host.failure() {
                Some(error) => MessageError::OutcomeUnknown(error),
                None => MessageError::Unavailable("the request could not be recorded".into()),
            })
        })
    }

    /// The write that sets the run's `paused` flag in its stored attributes.
    fn paused_flag(&self, paused: bool) -> Result<Vec<Write>, SteerError> {
        let stored = self
            .host
            .storage
            .run_attributes(&self.record.run_id)
            .map_err(|e| MessageError::Unavailable(e.to_string()))?;
        let mut attributes = stored.unwrap_or_default();
        attributes.paused = paused;
        Ok(vec![Write::PutAttributes {
            run_id: self.record.run_id.clone(),
            start_ms: self.record.start_ms,
            attributes,
        }])
    }
}

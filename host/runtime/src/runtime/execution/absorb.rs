//! Taking in what reaches the actor: each message becomes a job of the next task, an
//! event to record, a request to answer, or a change to carry out between tasks.

use super::*;

impl Execution {
    /// Take in every message already queued.
    pub(super) fn absorb_queued(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            self.absorb(m);
        }
    }

    pub(super) fn absorb(&mut self, message: Message) {
        match message {
            Message::Signal {
                signal,
                ack,
                request,
                busy,
            } => {
                if let Some(ack) = self.take_request(ack, request) {
                    self.guards.push(busy);
                    if crate::runtime::canary::active(crate::runtime::canary::Canary::SignalTwice) {
                        self.jobs.push(Job::Signal(signal.clone()));
                    }
                    self.jobs.push(Job::Signal(signal));
                    self.signal_acks.push(ack);
                }
            }
            Message::Update {
                update,
                wait,
                reply,
                busy,
            } => {
                self.guards.push(busy);
                if self.updates.request(&update.id, wait, reply) {
                    self.jobs.push(Job::Update(update));
                }
            }
            Message::Query { query, reply, busy } => {
                self.guards.push(busy);
                self.queries.push((query, reply));
            }
            Message::Resolve(job, busy) => {
                match &job {
                    Job::ResolveActivity(r) => {
                        self.activities.remove(&r.seq);
                        self.attempt_ended(r.seq);
                    }
                    Job::ResolveChildWorkflow(r)
                        if !matches!(
                            r.resolution,
                            crate::history::vocab::ChildResolution::Started(_)
                        ) =>
                    {
                        self.children.remove(&r.seq);
                    }
                    // Sent just before its deferred task was dropped.
                    Job::ResolveLocalActivity(r) if self.locals.remove(&r.seq).is_none() => return,
                    Job::FireTimer(seq) => match self.timers.remove(seq) {
                        Some(row) => {
                            self.host.metrics.timers_fired.inc();
                            self.fired.push(row)
                        }
                        // Cancelled meanwhile (or fired twice after a restart).
                        None => return,
                    },
                    _ => {}
                }
                self.guards.push(busy);
                self.jobs.push(job)
            }
            Message::AttemptFailed {
                seq,
                attempt,
                local,
                failure,
                retry_at_ms,
                busy,
            } => {
                tracing::warn!(
                    run = %self.record.run_id, seq, attempt, local,
                    "activity attempt failed, retrying: {}", failure.message
                );
                self.guards.push(busy);
                if !local {
                    self.attempt_ended(seq);
                }
                self.record_between(if local {
                    Event::LocalActivityAttemptFailed {
                        seq,
                        attempt,
                        failure,
                        retry_at_ms,
                    }
                } else {
                    Event::ActivityAttemptFailed {
                        seq,
                        attempt,
                        failure,
                        retry_at_ms,
                    }
                })
            }
            Message::Heartbeat {
                seq,
                attempt,
                details,
                time_ms,
                busy,
            } => {
                self.guards.push(busy);
                self.events.push(Event::ActivityHeartbeat {
                    seq,
                    attempt,
                    details,
                    time_ms,
                })
            }
            Message::CancelRequest {
                reason,
                ack,
                request,
                busy,
            } => {
                if let Some(ack) = self.take_request(ack, request) {
                    self.guards.push(busy);
                    self.cancel_requested(reason, ack);
                }
            }
            Message::Terminate {
                reason,
                ack,
                request,
                busy,
            } => {
                if let Some(ack) = self.take_request(ack, request) {
                    self.guards.push(busy);
                    self.terminate = Some((reason, ack));
                }
            }
            Message::Flush(flushed) => self.flushes.push(flushed),
            Message::Reset {
                request,
                reply,
                busy,
            } => self.reset_asked(request, reply, busy),
            Message::Steer {
                request,
                reply,
                busy,
            } => {
                self.guards.push(busy);
                self.steering_requested(request, reply);
            }
            Message::Upgrade {
                module,
                reply,
                busy,
            } => {
                self.guards.push(busy);
                self.upgrades.push((module, reply));
            }
        }
    }

    /// Record `event`, which arrived between tasks, with the time it arrived.
    pub(super) fn record_between(&mut self, event: Event) {
        self.mark_arrival();
        self.events.push(event);
    }

    /// Record the time now for what is recorded next between tasks, unless it is the
    /// time in force already (that of the last event carrying one, recorded or about to
    /// be: the pending events follow the deferred task's in the commit).
    pub(super) fn mark_arrival(&mut self) {
        let now = self.host.clock.now_ms();
        let deferred = self.deferred.iter().flat_map(|d| d.events.iter().rev());
        let in_force = (self.events.iter().rev())
            .chain(deferred)
            .chain(self.history.events.iter().rev())
            .find_map(Event::time_ms);
        if in_force != Some(now) {
            self.events.push(Event::Arrived { time_ms: now });
        }
    }
}

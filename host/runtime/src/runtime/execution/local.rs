//! Local activities: run by the host as soon as the workflow task that schedules them
//! ends, before anything is recorded; their results are delivered by the next task and
//! recorded in one commit together with the task that scheduled them.
//!
//! | what happens                           | recorded                                 |
//! |----------------------------------------|------------------------------------------|
//! | a task schedules local activities      | nothing yet: the task is *deferred*      |
//! | their results come back                | the next task runs; it is recorded with  |
//! |                                        | the deferred ones (one commit)           |
//! | an attempt fails, short backoff        | nothing: retried in place                |
//! | an attempt fails, backoff > threshold  | `local-activity-attempt-failed` with the |
//! |                                        | deferred tasks; from then on the activity|
//! |                                        | is pending like an activity              |
//! | the host crashes before the commit     | nothing: the task runs again, and so do  |
//! |                                        | its local activities (at least once)     |
//! | the commit fails                       | nothing: the deferred tasks' jobs are    |
//! |                                        | delivered again to a rebuilt instance    |

use super::effects::RunningActivity;
use super::messages::Settled;
use super::*;
use crate::history::ScheduleActivity;
use crate::runtime::outbox::Outgoing;

/// Tasks that ran but are not recorded yet, waiting for their local activities.
#[derive(Default)]
pub(crate) struct Deferred {
    pub events: Vec<Event>,
    pub writes: Vec<Write>,
    /// Commands to act on once recorded, with the time of their task.
    pub acts: Vec<(Command, u64)>,
    /// Every job the deferred tasks delivered (to deliver again if they are dropped).
    pub jobs: Vec<Job>,
    pub acks: Vec<SignalAck>,
    pub(super) settled: Settled,
    /// Effects on other runs, in the outbox rows of `writes`: carried out once recorded.
    pub effects: Vec<Outgoing>,
}

/// What a deferred task holds back until it is recorded: its jobs, the acknowledgements
/// owed for them, its settled updates and its effects on other runs.
pub(super) type Held = (Vec<Job>, Vec<SignalAck>, Settled, Vec<Outgoing>);

impl Execution {
    /// The workflow cancelled local activities `seqs` (`cancel-local-activity`): each
    /// running one is told through its context (between attempts, it resolves as
    /// cancelled); one the same task scheduled is told once it is dispatched.
    pub(super) fn cancel_locals(&mut self, seqs: &[u32]) {
        for &seq in seqs {
            match self.locals.get(&seq) {
                Some(running) => {
                    let _ = running.cancel.send(true);
                }
                None => {
                    self.cancelled_locals.insert(seq);
                }
            }
        }
    }

    /// Hold a task back until its local activities are done, and start them.
    pub(super) fn defer(
        &mut self,
        events: Vec<Event>,
        writes: Vec<Write>,
        commands: Vec<IssuedCommand>,
        time_ms: u64,
        (jobs, acks, settled, effects): Held,
    ) {
        let mut locals: Vec<ScheduleActivity> = Vec::new();
        let deferred = self.deferred.get_or_insert_with(Deferred::default);
        deferred.events.extend(events);
        deferred.writes.extend(writes);
        deferred.jobs.extend(jobs);
        deferred.acks.extend(acks);
        deferred.effects.extend(effects);
        deferred.settled.accepted.extend(settled.accepted);
        deferred.settled.completed.extend(settled.completed);
        for c in commands {
            match c.command {
                Command::ScheduleLocalActivity(s) => locals.push(s),
                other => deferred.acts.push((other, time_ms)),
            }
        }
        for s in locals {
            let mut pending = PendingActivity::new(s, time_ms);
            pending.local = true;
            self.dispatch_activity(pending);
        }
    }

    /// The deferred tasks are recorded: act on their commands and answer their
    /// callers.
    pub(super) fn deferred_recorded(&mut self, deferred: Deferred) {
        for ack in deferred.acks {
            let _ = ack.send(Ok(()));
        }
        self.updates_recorded(deferred.settled);
        for (command, time_ms) in deferred.acts {
            self.act(command, time_ms);
        }
        self.send_effects(deferred.effects);
    }

    /// The deferred tasks could not be recorded: stop their local activities and
    /// deliver their jobs again, to an instance rebuilt from what is durable.
    pub(super) fn drop_deferred(&mut self, deferred: Deferred) {
        for (_, running) in std::mem::take(&mut self.locals) {
            running.abort.abort();
        }
        self.host.cache.take(&self.record.run_id);
        let mut jobs = deferred.jobs;
        jobs.append(&mut self.carried);
        self.carried = jobs;
        let mut acks = deferred.acks;
        acks.append(&mut self.signal_acks);
        self.signal_acks = acks;
    }

    /// Where a dispatched activity is kept: local ones apart (their numbers are their
    /// own).
    pub(super) fn running(
        &mut self,
        local: bool,
    ) -> &mut std::collections::BTreeMap<u32, RunningActivity> {
        if local {
            &mut self.locals
        } else {
            &mut self.activities
        }
    }
}

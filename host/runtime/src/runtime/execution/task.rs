//! One workflow task: an activation run on the instance, recorded, then acted on.

use super::messages::Settled;
use super::plan::{self, Plan};
use super::*;

/// What a task delivered: jobs carried from failed attempts, its own, the signals'
/// acknowledgements, and the updates it settled.
struct Delivered {
    carried: Vec<Job>,
    own: Vec<Job>,
    acks: Vec<SignalAck>,
    settled: Settled,
}

/// A task's commands (or failure), the run's attributes after them, and the run a
/// continue-as-new starts.
type Gathered = (
    Result<Vec<IssuedCommand>, TaskFailure>,
    Option<(RunAttributes, bool)>,
    Option<super::continued::NextRun>,
);

/// What became of a task's updates.
enum Settle {
    /// Plan and record what the task produced.
    Record(Result<Vec<IssuedCommand>, TaskFailure>),
    /// Not recorded: its jobs are queued again for a task that runs at once.
    Requeued,
    /// It only rejected updates: nothing to record of it.
    Nothing,
}

/// What running a task on the instance gave.
pub(super) struct Activated {
    produced: Result<Vec<IssuedCommand>, TaskFailure>,
    /// A panic closes the run as failed (the workflow opted in).
    panic_fails_run: bool,
    /// The update whose validator panicked: the task's failure is its rejection.
    validator_panicked: Option<String>,
    /// The current details to record, when the task changed them.
    details: Option<String>,
}

/// What the executor needs of a task besides its plan.
struct Ran {
    time_ms: u64,
    produced: Result<Vec<IssuedCommand>, TaskFailure>,
    panic_fails_run: bool,
    next_run: Option<super::continued::NextRun>,
    delivered: Delivered,
}

impl Execution {
    /// Run one workflow task; returns true when the actor stops (the run closed, or
    /// its start could not be recorded). The task runs on the instance, the planner
    /// decides what it records ([`plan`]), and [`Execution::execute`] carries it out.
    pub(super) async fn run_task(&mut self) -> bool {
        let time_ms = self.host.clock.now_ms();
        let index = self.history.events.len() + self.events.len();
        let size = self.size_bytes + self.events.iter().map(encoded_len).sum::<u64>();
        let (activation, carried_len, acks) = self.next_activation(time_ms);
        let began = std::time::Instant::now();
        let Activated {
            produced,
            panic_fails_run,
            validator_panicked,
            details,
        } = self.activate(&activation, history_info(index, size));
        self.metrics
            .task_seconds
            .observe(began.elapsed().as_secs_f64());
        if let (Err(failure), Some(update_id)) = (&produced, validator_panicked) {
            let mut carried = activation.jobs;
            let own = carried.split_off(carried_len);
            self.reject_panicked(&update_id, failure, (carried, own, acks));
            return false;
        }
        let (produced, attributes, next_run) =
            self.gather(produced, &activation, details.as_deref(), panic_fails_run);
        let mut carried = activation.jobs;
        let own = carried.split_off(carried_len);
        let mut delivered = Delivered {
            carried,
            own,
            acks,
            settled: Settled::default(),
        };
        let changes = (next_run.is_some(), details.is_some());
        let produced = match self.settle(produced, &mut delivered, changes) {
            Settle::Record(produced) => produced,
            Settle::Requeued => return false,
            Settle::Nothing => {
                // Only rejected updates: nothing happened (what waits to be recorded,
                // attempt reports, goes now).
                if self.commit(Vec::new()).await.is_err() {
                    self.retry_after_storage_failure();
                }
                return false;
            }
        };
        let next_run_writes = next_run.as_ref().map(|n| n.writes(&self.host.codec));
        let task = plan::Task {
            time_ms,
            jobs: &delivered.own,
            produced: &produced,
            panic_fails_run,
            details,
            attributes,
            origins: delivered
                .acks
                .iter()
                .flat_map(SignalAck::writes)
                .chain(self.completed_update_rows(&delivered.settled))
                .collect(),
            next_run: next_run_writes.unwrap_or_default(),
        };
        let recording = match plan::plan_task(&self.view(), task) {
            Plan::RefuseStart(message) => {
                self.refuse_start(StartError::InvalidInput(message), delivered.acks);
                return true;
            }
            Plan::Defer(recording) => {
                // Recorded with the task that delivers the local activities' results.
                let commands = produced.expect("only a task that produced commands waits");
                self.fired.clear();
                self.retry = None;
                let Delivered {
                    mut carried,
                    own,
                    acks,
                    settled,
                } = delivered;
                carried.extend(own);
                let held = (carried, acks, settled, recording.effects);
                self.defer(recording.events, recording.writes, commands, time_ms, held);
                return false;
            }
            Plan::Record(recording) => recording,
        };
        if let (Some(retry), Err(failure)) = (&recording.retry, &produced) {
            tracing::error!(run = %self.record.run_id, attempt = retry.attempt, "{failure}; retrying");
            self.retry = Some(retry.clone());
        }
        let ran = Ran {
            time_ms,
            produced,
            panic_fails_run,
            next_run,
            delivered,
        };
        self.execute(recording, ran).await
    }

    /// The activation of the next task: the jobs carried from failed attempts, then
    /// the updates held for a retry, then what arrived; how many were carried, and the
    /// acknowledgements owed to the signals among them.
    fn next_activation(&mut self, time_ms: u64) -> (Activation, usize, Vec<SignalAck>) {
        let carried_len = self.carried.len();
        let mut jobs = std::mem::take(&mut self.carried);
        jobs.append(&mut self.held_updates);
        jobs.append(&mut self.jobs);
        let activation = Activation {
            jobs,
            time_ms,
            is_replaying: false,
        };
        (
            activation,
            carried_len,
            std::mem::take(&mut self.signal_acks),
        )
    }

    /// What the plan needs of the host besides the task's commands: the run's search
    /// attributes after them and the run a continue-as-new (or the cron chain of a run
    /// that closes) starts. A command the host cannot carry out (unsupported, or a
    /// continue-as-new to a type no module exports) fails the task like a panic would.
    fn gather(
        &self,
        produced: Result<Vec<IssuedCommand>, TaskFailure>,
        activation: &Activation,
        details: Option<&str>,
        panic_fails_run: bool,
    ) -> Gathered {
        let mut next_run = None;
        let mut attributes = None;
        let produced = produced.and_then(|commands| {
            check_supported(&commands)?;
            attributes = self.attributes_after(&commands, &activation.jobs, details)?;
            let current = attributes.as_ref().map(|(values, _)| values);
            let time_ms = activation.time_ms;
            next_run = self.next_run(&commands, &activation.jobs, time_ms, current)?;
            Ok(commands)
        });
        if produced.is_err() {
            self.metrics.task_failures.inc();
            if panic_fails_run {
                // A panic that fails the run of a cron chain: the next run follows.
                next_run = self.cron_successor_at_close(&activation.jobs);
            }
        }
        (produced, attributes, next_run)
    }

    /// Settle the task's updates against what it produced (`changes`: whether it
    /// continues as new, whether it changed its current details).
    fn settle(
        &mut self,
        produced: Result<Vec<IssuedCommand>, TaskFailure>,
        delivered: &mut Delivered,
        (continues, details): (bool, bool),
    ) -> Settle {
        let produced = match produced {
            Ok(mut commands) => {
                delivered.settled = self.settle_updates(&mut delivered.own, &mut commands);
                let closes = commands
                    .iter()
                    .any(|c| Outcome::of_command(&c.command).is_some());
                if closes && self.close_interrupted(continues) {
                    // Not recorded: the run goes on with what arrived. The instance has
                    // moved past the close; the next task rebuilds it.
                    self.host.cache.take(&self.record.run_id);
                    self.requeue_delivered(delivered);
                    return Settle::Requeued;
                }
                commands
            }
            Err(mut failure) => {
                // The updates it delivered wait for the next attempt, unrecorded.
                let own = std::mem::take(&mut delivered.own);
                delivered.own = self.hold_updates(own, &mut failure);
                return Settle::Record(Err(failure));
            }
        };
        let delivered_nothing = delivered.carried.is_empty() && delivered.own.is_empty();
        if produced.is_empty() && delivered_nothing && !details {
            return Settle::Nothing;
        }
        Settle::Record(Ok(produced))
    }

    fn requeue_delivered(&mut self, delivered: &mut Delivered) {
        let carried = std::mem::take(&mut delivered.carried);
        let own = std::mem::take(&mut delivered.own);
        let acks = std::mem::take(&mut delivered.acks);
        self.requeue(carried, own, acks);
    }

    /// Commit `recording`, then act on it: the executor of a plan. Returns true when
    /// the actor stops.
    async fn execute(&mut self, recording: plan::Recording, ran: Ran) -> bool {
        let first_commit = self.started.is_some();
        let recorded = !recording.events.is_empty();
        let Ran {
            time_ms,
            produced,
            panic_fails_run,
            next_run,
            delivered,
        } = ran;
        let Delivered {
            mut carried,
            own,
            mut acks,
            settled,
        } = delivered;
        if crate::runtime::canary::active(crate::runtime::canary::Canary::AckBeforeDurable) {
            for ack in acks.drain(..) {
                let _ = ack.send(Ok(()));
            }
        }
        if self
            .commit_with(recording.events, recording.writes)
            .await
            .is_err()
        {
            if first_commit {
                for ack in acks {
                    let _ = ack.send(Err(match self.host.failure() {
                        Some(error) => MessageError::OutcomeUnknown(error),
                        None => MessageError::Unavailable(
                            "the run's start could not be recorded".into(),
                        ),
                    }));
                }
                return true;
            }
            // Nothing was recorded: deliver every job again after a backoff.
            self.requeue(carried, own, acks);
            if produced.is_ok() || panic_fails_run {
                self.retry_after_storage_failure();
            }
            return false;
        }
        self.fired.clear();
        crate::runtime::pause::point("task-recorded");
        for ack in acks {
            let _ = ack.send(Ok(()));
        }
        self.updates_recorded(settled);
        if let Some(record) = recording.closed {
            self.record = record;
        }
        let effects = recording.effects;
        match (produced, recording.outcome) {
            (Ok(_), Some(outcome)) => {
                self.retry = None;
                if let Some(next) = next_run {
                    crate::runtime::pause::point("continued");
                    self.hand_over(next);
                }
                // What a closing task sends out still goes (its signals, its
                // children's cancellations, then its close policies); what would come
                // back to the run (timers, activities, children's starts) has no one
                // to come back to.
                crate::runtime::pause::point("effects-recorded");
                self.close(outcome, effects);
                true
            }
            (Ok(commands), None) => {
                self.retry = None;
                for c in commands {
                    self.act(c.command, time_ms);
                }
                debug_assert!(self.timers_agree(), "armed timers the machines do not hold");
                if !effects.is_empty() {
                    crate::runtime::pause::point("effects-recorded");
                }
                self.send_effects(effects);
                false
            }
            (Err(_), Some(outcome)) => {
                if let Some(next) = next_run {
                    self.hand_over(next);
                }
                self.close(outcome, effects);
                true
            }
            (Err(_), None) => {
                // The failed task's jobs are delivered again by the next attempt (when
                // nothing was recorded, it had no jobs of its own).
                debug_assert!(recorded || own.is_empty());
                carried.extend(own);
                self.carried = carried;
                false
            }
        }
    }

    /// What the planner reads of this run.
    pub(super) fn view(&self) -> plan::RunView<'_> {
        let mut children: Vec<_> = self
            .children
            .iter()
            .map(|(seq, child)| plan::WatchedChild {
                seq: *seq,
                workflow_id: &child.workflow_id,
                policy: child.policy,
            })
            .collect();
        children.sort_by_key(|c| c.seq);
        plan::RunView {
            record: &self.record,
            next_index: self.next_index(),
            armed: &self.timers,
            children,
            aside: &self.aside,
            fired: &self.fired,
            retry: self.retry.as_ref(),
            first_commit: self.started.is_some(),
            codec: &self.host.codec,
        }
    }

    /// The run's search attributes and memo after `commands` (and the current
    /// `details` the task left, if it changed them), and whether they changed; `None`
    /// when nothing needs them (no upsert, no continue-as-new, no new details). An
    /// upsert the host refuses (a type change, a value that does not decode) fails the
    /// task.
    fn attributes_after(
        &self,
        commands: &[IssuedCommand],
        jobs: &[Job],
        details: Option<&str>,
    ) -> Result<Option<(RunAttributes, bool)>, TaskFailure> {
        let upserts = commands.iter().any(|c| {
            matches!(
                c.command,
                Command::UpsertSearchAttributes(_) | Command::UpsertMemo(_)
            )
        });
        let continues = (commands.iter()).any(|c| matches!(c.command, Command::ContinueAsNew(_)))
            || self.cron_continues(commands);
        if !upserts && !continues && details.is_none() {
            return Ok(None);
        }
        let deferred = self.deferred.iter().flat_map(|d| d.events.iter());
        let recorded = self
            .history
            .events
            .iter()
            .chain(deferred)
            .chain(&self.events);
        let mut current = crate::runtime::attributes::Current::of(recorded, jobs);
        let known = if upserts {
            self.host
                .storage
                .attribute_types()
                .map_err(|e| TaskFailure::host(e.to_string()))?
        } else {
            Default::default()
        };
        let mut changed = current.upserted(commands, &known)?.is_some();
        if let Some(details) = details {
            current.values.current_details = crate::runtime::attributes::shown_details(details);
            changed = true;
        }
        Ok(Some((current.values, changed)))
    }

    /// Run `activation` on the run's instance: the cached one, or one rebuilt by
    /// replaying the history. In place: actors run on the host's workflow threads (see
    /// `workers`), which serve nothing else. Returns what it produced, whether a panic
    /// fails the run, and the current details to record (when the task changed them;
    /// details over the limit fail the task).
    pub(super) fn activate(
        &mut self,
        activation: &Activation,
        info: crate::contract::HistoryInfo,
    ) -> Activated {
        let cached = self.host.cache.take(&self.record.run_id);
        if cached.is_some() {
            self.host.metrics.cache_hits.inc();
        } else {
            self.host.metrics.cache_misses.inc();
        }
        let attempt = self.retry.as_ref().map_or(1, |r| r.attempt + 1);
        // A panic here is the host's fault, not the workflow's; the actor (and the run)
        // must survive it.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut instance = match cached {
                Some(instance) => instance,
                None => self.rebuild()?,
            };
            instance.set_task_attempt(attempt);
            let out = instance.activate(activation, info);
            let aside = instance.take_aside();
            let details = instance.take_details_change();
            Ok((instance, out, aside, details))
        }));
        let failed = |failure| Activated {
            produced: Err(failure),
            panic_fails_run: false,
            validator_panicked: None,
            details: None,
        };
        let (instance, out, aside, details) = match ran {
            Ok(Ok(ran)) => ran,
            Ok(Err(failure)) => return failed(failure),
            Err(_) => return failed(TaskFailure::host("the host panicked running the task")),
        };
        let (mut out, details) = match (out, details) {
            (Ok(_), Err(message)) => (Err(TaskFailure::host(message)), None),
            (Ok(commands), Ok(details)) => (Ok(commands), details),
            (Err(failure), _) => (Err(failure), None),
        };
        let panic_fails_run = instance.panic_fails_run();
        let validator_panicked = instance.validator_panicked().map(str::to_string);
        if let (Ok(_), Some(refused)) = (&out, &aside.refused) {
            out = Err(TaskFailure::host(refused.clone()));
        }
        if out.is_ok() {
            self.cancel_locals(&aside.local_cancels);
            // Recorded with the commands, and taken by `start_child` as they are acted on.
            self.aside.extend(aside);
        }
        // A failed task leaves the guest half-way: rebuild it for the next attempt.
        if out.is_ok() && !instance.is_poisoned() {
            self.host.cache.put(&self.record.run_id, instance);
        }
        Activated {
            produced: out,
            panic_fails_run,
            validator_panicked,
            details,
        }
    }

    /// A fresh instance brought to the end of the recorded history by replay.
    pub(super) fn rebuild(&self) -> Result<WorkflowInstance, TaskFailure> {
        let events = &self.history.events;
        let mut instance = self
            .host
            .engine
            .instantiate(&self.module, &self.record.workflow_id)
            .map_err(|e| TaskFailure::host(e.to_string()))?;
        if events.len() > 1 {
            self.host.metrics.rebuilds.inc();
            replay_into(&mut instance, events).map_err(|e| {
                TaskFailure::host(format!(
                    "the instance cannot be rebuilt by replaying its history: {e}"
                ))
            })?;
        }
        Ok(instance)
    }
}

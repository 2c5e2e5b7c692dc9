//! One workflow task: an activation run on the instance, recorded, then acted on.

use super::messages::Settled;
use super::*;
use crate::runtime::outbox::Outgoing;

impl Execution {
    /// Run one workflow task; returns true when the actor stops (the run closed, or
    /// its start could not be recorded).
    pub(super) async fn run_task(&mut self) -> bool {
        let time_ms = self.host.clock.now_ms();
        let index = self.history.events.len() + self.events.len();
        let size = self.size_bytes + self.events.iter().map(encoded_len).sum::<u64>();
        let carried_len = self.carried.len();
        let mut jobs = std::mem::take(&mut self.carried);
        jobs.append(&mut self.jobs);
        let acks = std::mem::take(&mut self.signal_acks);
        let activation = Activation {
            jobs,
            time_ms,
            is_replaying: false,
        };
        let began = std::time::Instant::now();
        let (produced, panic_fails_run) = self.activate(&activation, history_info(index, size));
        self.metrics
            .task_seconds
            .observe(began.elapsed().as_secs_f64());
        // A command the host cannot carry out (unsupported, or a continue-as-new to a
        // type no module exports) fails the task like a panic would.
        let mut next_run = None;
        let mut attributes = None;
        let produced = produced.and_then(|commands| {
            check_supported(&commands)?;
            attributes = self.attributes_after(&commands, &activation.jobs)?;
            let current = attributes.as_ref().map(|(values, _)| values);
            next_run = self.next_run(&commands, &activation.jobs, time_ms, current)?;
            Ok(commands)
        });
        if produced.is_err() {
            self.metrics.task_failures.inc();
        }
        let mut jobs = activation.jobs;
        let mut own_jobs = jobs.split_off(carried_len);
        let mut settled = Settled::default();
        let produced = match produced {
            Ok(mut commands) => {
                settled = self.settle_updates(&mut own_jobs, &mut commands);
                let closes = commands
                    .iter()
                    .any(|c| Outcome::of_command(&c.command).is_some());
                if closes && self.close_interrupted(next_run.is_some()) {
                    // Not recorded: the run goes on with what arrived. The instance has
                    // moved past the close; the next task rebuilds it.
                    self.host.cache.take(&self.record.run_id);
                    self.requeue(jobs, own_jobs, acks);
                    return false;
                }
                Ok(commands)
            }
            Err(failure) if own_jobs.iter().any(|j| matches!(j, Job::Update(_))) => {
                // An update that fails its task is not accepted; the run goes on and
                // the task runs again without it, at once.
                let rest = self.refuse_updates(own_jobs, &failure);
                self.requeue(jobs, rest, acks);
                return false;
            }
            Err(failure) => Err(failure),
        };
        if produced.as_ref().is_ok_and(|c| c.is_empty()) && carried_len == 0 && own_jobs.is_empty()
        {
            // Only rejected updates: nothing happened.
            if self.commit(Vec::new()).await.is_err() {
                self.retry_after_storage_failure();
            }
            return false;
        }
        let first_commit = self.started.is_some();
        let mut events = vec![Event::TaskStarted { time_ms }];
        events.extend(own_jobs.iter().cloned().map(Event::Job));
        let mut writes: Vec<Write> = Vec::new();
        let outcome = match &produced {
            Ok(commands) => {
                for c in commands {
                    events.push(Event::Command(c.clone()));
                    if let Command::StartChildWorkflow(start) = &c.command {
                        if let Some(options) = self.child_options.get(&start.seq) {
                            events.push(Event::ChildOptions {
                                seq: start.seq,
                                options: options.clone(),
                            });
                        }
                    }
                }
                writes.extend(self.timer_writes(commands, time_ms));
                if let Some((values, true)) = attributes {
                    writes.push(Write::PutAttributes {
                        run_id: self.record.run_id.clone(),
                        start_ms: self.record.start_ms,
                        attributes: values,
                    });
                }
                commands
                    .iter()
                    .find_map(|c| Outcome::of_command(&c.command))
            }
            Err(failure) if panic_fails_run => {
                events.push(Event::TaskFailed(failure.clone()));
                Outcome::of_event(events.last().expect("just pushed"))
            }
            Err(failure) => {
                let attempt = self.retry.as_ref().map_or(1, |r| r.attempt + 1);
                let retry_at_ms = time_ms.saturating_add(backoff(attempt));
                tracing::error!(run = %self.record.run_id, attempt, "{failure}; retrying");
                if self.retry.is_some() && own_jobs.is_empty() {
                    // Recorded once: nothing new to make durable.
                    events.clear();
                } else {
                    events.push(Event::TaskAttemptFailed {
                        failure: failure.clone(),
                        attempt,
                        retry_at_ms,
                    });
                }
                self.retry = Some(Retry {
                    attempt,
                    at_ms: retry_at_ms,
                });
                None
            }
        };
        if first_commit {
            if let Some(Outcome::Failed(failure)) = &outcome {
                if failure.error_type == weft_sdk::error_types::INVALID_INPUT {
                    // The input can never be taken: refuse the start, record nothing.
                    self.refuse_start(StartError::InvalidInput(failure.message.clone()), acks);
                    return true;
                }
            }
        }
        writes.extend(self.fired.iter().cloned().map(Write::DeleteTimer));
        // Requests that came from other runs' outboxes leave them with their record.
        writes.extend(acks.iter().filter_map(SignalAck::delete_origin));
        let mut effects = self.command_effects(self.next_index(), &events);
        writes.extend(effects.iter().map(Outgoing::row));
        let produced = match produced {
            Ok(commands)
                if outcome.is_none() && !first_commit && Self::schedules_locals(&commands) =>
            {
                // Recorded with the task that delivers the local activities' results.
                self.fired.clear();
                self.retry = None;
                jobs.extend(own_jobs);
                let held = (jobs, acks, settled, effects);
                self.defer(events, writes, commands, time_ms, held);
                return false;
            }
            other => other,
        };
        if let Some(outcome) = &outcome {
            let closing_index = self.next_index() + events.len();
            writes.extend(self.close_writes(outcome, time_ms, index + events.len()));
            let policies = self.policy_effects(closing_index);
            writes.extend(policies.iter().map(Outgoing::row));
            effects.extend(policies);
        }
        if let Some(next) = &next_run {
            writes.extend(next.writes(&self.host.codec));
        }
        let recorded = !events.is_empty();
        if self.commit_with(events, writes).await.is_err() {
            if first_commit {
                for ack in acks {
                    let _ = ack.send(Err(MessageError::Unavailable(
                        "the run's start could not be recorded".into(),
                    )));
                }
                return true;
            }
            // Nothing was recorded: deliver every job again after a backoff.
            self.requeue(jobs, own_jobs, acks);
            if produced.is_ok() || panic_fails_run {
                self.retry_after_storage_failure();
            }
            return false;
        }
        self.fired.clear();
        for ack in acks {
            let _ = ack.send(Ok(()));
        }
        self.updates_recorded(settled);
        match produced {
            Ok(commands) => {
                self.retry = None;
                if let Some(next) = next_run {
                    crate::runtime::pause::point("continued");
                    self.hand_over(next);
                }
                if let Some(outcome) = outcome {
                    // What a closing task sends out still goes (its signals, its
                    // children's cancellations, then its close policies); what would
                    // come back to the run (timers, activities, children's starts) has
                    // no one to come back to.
                    crate::runtime::pause::point("effects-recorded");
                    self.close(outcome, effects);
                    return true;
                }
                for c in commands {
                    self.act(c.command, time_ms);
                }
                debug_assert!(self.timers_agree(), "armed timers the machines do not hold");
                if !effects.is_empty() {
                    crate::runtime::pause::point("effects-recorded");
                }
                self.send_effects(effects);
            }
            Err(_) => {
                if let Some(outcome) = outcome {
                    self.close(outcome, effects);
                    return true;
                }
                // The failed task's jobs are delivered again by the next attempt (when
                // nothing was recorded, it had no jobs of its own).
                debug_assert!(recorded || own_jobs.is_empty());
                jobs.extend(own_jobs);
                self.carried = jobs;
            }
        }
        false
    }

    /// The run's search attributes and memo after `commands`, and whether they
    /// changed them; `None` when nothing needs them (no upsert, no continue-as-new).
    /// An upsert the host refuses (a type change, a value that does not decode) fails
    /// the task.
    fn attributes_after(
        &self,
        commands: &[IssuedCommand],
        jobs: &[Job],
    ) -> Result<Option<(RunAttributes, bool)>, TaskFailure> {
        let upserts = commands.iter().any(|c| {
            matches!(
                c.command,
                Command::UpsertSearchAttributes(_) | Command::UpsertMemo(_)
            )
        });
        let continues = commands
            .iter()
            .any(|c| matches!(c.command, Command::ContinueAsNew(_)));
        if !upserts && !continues {
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
        let changed = current.upserted(commands, &known)?.is_some();
        Ok(Some((current.values, changed)))
    }

    /// Run `activation` on the run's instance: the cached one, or one rebuilt by
    /// replaying the history. In place: actors run on the host's workflow threads (see
    /// `workers`), which serve nothing else. Returns what it produced and whether a
    /// panic fails the run.
    pub(super) fn activate(
        &mut self,
        activation: &Activation,
        info: crate::contract::HistoryInfo,
    ) -> (Result<Vec<IssuedCommand>, TaskFailure>, bool) {
        let cached = self.host.cache.take(&self.record.run_id);
        if cached.is_some() {
            self.host.metrics.cache_hits.inc();
        } else {
            self.host.metrics.cache_misses.inc();
        }
        // A panic here is the host's fault, not the workflow's; the actor (and the run)
        // must survive it.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut instance = match cached {
                Some(instance) => instance,
                None => self.rebuild()?,
            };
            let out = instance.activate(activation, info);
            let options = instance.take_child_options();
            Ok((instance, out, options))
        }));
        let (instance, out, options) = match ran {
            Ok(Ok(ran)) => ran,
            Ok(Err(failure)) => return (Err(failure), false),
            Err(_) => {
                return (
                    Err(TaskFailure::host("the host panicked running the task")),
                    false,
                )
            }
        };
        let panic_fails_run = instance.panic_fails_run();
        if out.is_ok() {
            // Taken by `start_child` when the task's commands are acted on.
            self.child_options.extend(options);
        }
        // A failed task leaves the guest half-way: rebuild it for the next attempt.
        if out.is_ok() && !instance.is_poisoned() {
            self.host.cache.put(&self.record.run_id, instance);
        }
        (out, panic_fails_run)
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

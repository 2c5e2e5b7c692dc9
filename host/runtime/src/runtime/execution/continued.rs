//! Continue-as-new: the task whose commands end with `continue-as-new` closes its run
//! and, in the same durable commit, starts the execution's next run (same workflow id,
//! a new run id): its record, `ExecutionStarted`, `ContinuedFrom` (this run), the
//! execution's deadline, and the new run's `start-workflow` as a pending job that its
//! first task delivers. The next run gets its own actor before this one lets go of the
//! workflow id, so requests for the id always find a run; messages that reach this
//! run's mailbox after the close go on to the next run.

use super::*;
use crate::history::vocab::StartWorkflow;
use crate::history::{ExecutionStarted, FORMAT_VERSION};
use crate::payload_codec::PayloadCodec;
use crate::storage::Status;

/// What a run that follows another is: its type, module and input, and the cron
/// schedule it carries.
struct Successor {
    workflow_type: String,
    module: Arc<Module>,
    input: Payload,
    /// The cron spec and each run's timeout.
    cron: Option<(String, Option<u64>)>,
}

/// The next run of a continue-as-new (or of a cron chain), recorded with the close of
/// the current one.
pub(crate) struct NextRun {
    record: RunRecord,
    module: Arc<Module>,
    events: Vec<Event>,
    attributes: RunAttributes,
    /// Rows of the timers the run starts with (a reset's copied pending timers).
    timers: Vec<TimerRow>,
}

impl NextRun {
    pub(crate) fn new(
        record: RunRecord,
        module: Arc<Module>,
        events: Vec<Event>,
        attributes: RunAttributes,
    ) -> NextRun {
        let (_, pending) = History::new(events.clone()).pending();
        let timers = pending
            .into_iter()
            .map(|t| TimerRow {
                fire_at_ms: t.fire_at_ms,
                run_id: record.run_id.clone(),
                seq: t.seq,
            })
            .collect();
        NextRun {
            record,
            module,
            events,
            attributes,
            timers,
        }
    }

    pub(crate) fn run_id(&self) -> &str {
        &self.record.run_id
    }

    /// A new run under a workflow limit (a reset's): counted, or pending until a run
    /// of its type closes. Before [`HostInner::adopt`], so its actor waits when pending.
    pub(crate) fn admit(&self, host: &HostInner) {
        let turn = crate::flow::Turn::of_history(&History::new(self.events.clone()));
        host.flow
            .start(&self.record.workflow_type, &self.record.run_id, &turn);
    }

    pub(crate) fn writes(&self, codec: &PayloadCodec) -> Vec<Write> {
        let mut writes = Vec::new();
        writes.extend([
            Write::PutRun(self.record.clone()),
            Write::Append {
                run_id: self.record.run_id.clone(),
                first_index: 0,
                events: codec.encode_chunk(FORMAT_VERSION, &self.events).0,
            },
        ]);
        writes.extend(self.timers.iter().cloned().map(Write::PutTimer));
        if !self.attributes.is_empty() {
            writes.push(Write::PutAttributes {
                run_id: self.record.run_id.clone(),
                start_ms: self.record.start_ms,
                attributes: self.attributes.clone(),
            });
        }
        writes
    }
}

impl Execution {
    /// The next run asked for by the `continue-as-new` among `commands`, if any; an
    /// error when no deployed module exports the workflow type it names (the task fails
    /// and is retried, as for any other command the host cannot carry out). A run of a
    /// cron schedule whose commands complete or fail it is followed by the next run of
    /// its chain (see [`Execution::cron_successor`]).
    pub(super) fn next_run(
        &self,
        commands: &[IssuedCommand],
        jobs: &[Job],
        time_ms: u64,
        current: Option<&RunAttributes>,
    ) -> Result<Option<NextRun>, TaskFailure> {
        let Some((continued, location)) = commands.iter().find_map(|c| match &c.command {
            Command::ContinueAsNew(continued) => Some((continued, &c.location)),
            _ => None,
        }) else {
            if !self.cron_continues(commands) {
                return Ok(None);
            }
            return Ok(self.cron_successor(jobs, time_ms, current));
        };
        let workflow_type = continued
            .workflow_type
            .clone()
            .unwrap_or_else(|| self.record.workflow_type.clone());
        let module = if workflow_type == self.record.workflow_type {
            // The same type: on the newest version of the name, like a new start.
            self.host
                .newest_module_for(&workflow_type)
                .unwrap_or_else(|| self.module.clone())
        } else {
            self.host
                .newest_module_for(&workflow_type)
                .ok_or_else(|| TaskFailure {
                    message: format!(
                        "continue-as-new as workflow type `{workflow_type}`, which no deployed \
                         module exports"
                    ),
                    location: location.clone(),
                })?
        };
        let next = Successor {
            workflow_type,
            module,
            input: continued.input.clone(),
            cron: None,
        };
        Ok(Some(self.successor(next, jobs, time_ms, current)))
    }

    /// Whether `commands` close a run of a cron schedule as completed or failed: its
    /// chain goes on (a cancellation, like a termination, ends it, as in Temporal).
    pub(super) fn cron_continues(&self, commands: &[IssuedCommand]) -> bool {
        let closes = commands.iter().any(|c| {
            matches!(
                c.command,
                Command::CompleteWorkflow(_) | Command::FailWorkflow(_)
            )
        });
        closes && self.history.cron_schedule().is_some()
    }

    /// The next run of this run's cron chain, closing at `time_ms`: the same type and
    /// input, on the newest module of the name, held until the spec's next slot.
    pub(super) fn cron_successor(
        &self,
        jobs: &[Job],
        time_ms: u64,
        current: Option<&RunAttributes>,
    ) -> Option<NextRun> {
        let (spec, run_timeout_ms) = crate::history::cron_schedule(&self.history.events)?;
        let start = self.start_job(jobs)?;
        let workflow_type = self.record.workflow_type.clone();
        let next = Successor {
            module: (self.host.newest_module_for(&workflow_type))
                .unwrap_or_else(|| self.module.clone()),
            workflow_type,
            input: start.input.clone(),
            cron: Some((spec.to_string(), run_timeout_ms)),
        };
        Some(self.successor(next, jobs, time_ms, current))
    }

    /// The next run of the cron chain of this run, which closes now with no task's
    /// commands to read its attributes after (it timed out, or a task that delivered
    /// `jobs` panicked and fails it).
    pub(super) fn cron_successor_at_close(&self, jobs: &[Job]) -> Option<NextRun> {
        self.history.cron_schedule()?;
        let recorded = self.history.events.iter();
        let current = crate::runtime::attributes::Current::of(recorded, jobs).values;
        self.cron_successor(jobs, self.host.clock.now_ms(), Some(&current))
    }

    /// The run's start job. (A run that closes in its first task has its start among
    /// that task's jobs, not yet in its history.)
    fn start_job<'a>(&'a self, jobs: &'a [Job]) -> Option<&'a StartWorkflow> {
        self.history.start_job().or_else(|| {
            jobs.iter().find_map(|j| match j {
                Job::StartWorkflow(s) => Some(s),
                _ => None,
            })
        })
    }

    /// The run that follows this one: its record and first events, starting at
    /// `time_ms`.
    fn successor(
        &self,
        next: Successor,
        jobs: &[Job],
        time_ms: u64,
        current: Option<&RunAttributes>,
    ) -> NextRun {
        let Successor {
            workflow_type,
            module,
            input,
            cron,
        } = next;
        let run_id = self.host.entropy.id();
        let workflow_id = self.record.workflow_id.clone();
        // The current memo and search attributes go on with the execution.
        let first = self.start_job(jobs);
        let mut attributes = current.cloned().unwrap_or_default();
        // The priority goes on with the execution too; the summary is the start's, of
        // its run alone.
        let priority = self.state.priority();
        attributes.priority = (!priority.is_default()).then(|| priority.get());
        attributes.summary = None;
        attributes.current_details = None;
        let (search_attributes, memo) = crate::runtime::attributes::carried(&attributes);
        let start = StartWorkflow {
            workflow_type: workflow_type.clone(),
            input,
            workflow_id: workflow_id.clone(),
            run_id: run_id.clone(),
            attempt: 1,
            parent_workflow_id: first.and_then(|s| s.parent_workflow_id.clone()),
            random_seed: self.host.entropy.seed(),
            search_attributes,
            memo,
        };
        let mut events = vec![
            Event::ExecutionStarted(ExecutionStarted {
                workflow_type: workflow_type.clone(),
                workflow_id: workflow_id.clone(),
                run_id: run_id.clone(),
                module_digest: module.digest.clone(),
                time_ms,
            }),
            Event::ContinuedFrom {
                run_id: self.record.run_id.clone(),
            },
        ];
        // The execution timeout spans the chain; a run timeout is the run's own (a run
        // of a cron chain has one, counted from the slot it waits for).
        let run_deadline_ms = cron.as_ref().and_then(|(spec, timeout)| {
            let slot = crate::runtime::start_gates::cron_slot(spec, time_ms)?;
            Some(slot.saturating_add((*timeout)?))
        });
        events.extend(cron.map(|(spec, run_timeout_ms)| Event::CronSchedule {
            spec,
            run_timeout_ms,
        }));
        let (_, execution_deadline_ms) = self.history.deadlines();
        if execution_deadline_ms.is_some() || run_deadline_ms.is_some() {
            events.push(Event::Deadlines {
                run_deadline_ms,
                execution_deadline_ms,
            });
        }
        if !priority.is_default() {
            events.push(Event::Priority {
                priority: priority.get(),
            });
        }
        events.extend(self.state.fairness().cloned().map(Event::Fairness));
        events.push(Event::PendingJob(Job::StartWorkflow(start)));
        let record = RunRecord {
            workflow_id,
            run_id,
            workflow_type,
            module_digest: module.digest.clone(),
            status: Status::Running,
            start_ms: time_ms,
            close_ms: None,
            history_len: 0,
            format_version: FORMAT_VERSION,
        };
        NextRun::new(record, module, events, attributes)
    }

    /// The close that started `next` is durable: give the workflow id to the next run
    /// and start its actor (its first task delivers the pending start).
    pub(super) fn hand_over(&mut self, next: NextRun) {
        tracing::info!(run = %self.record.run_id, next = %next.record.run_id, "continued as new");
        self.continued_to = Some(next.record.run_id.clone());
        // The execution keeps its place under a workflow limit.
        self.host.flow.continued(
            (&self.record.workflow_type, &self.record.run_id),
            (&next.record.workflow_type, &next.record.run_id),
        );
        self.host.adopt(next);
    }
}

impl HostInner {
    /// Give the workflow id to `next`, whose record and first events are durable, and
    /// start its actor (its first task delivers its pending jobs).
    pub(crate) fn adopt(self: &Arc<Self>, next: NextRun) {
        let handle = crate::runtime::RunHandle {
            workflow_id: next.record.workflow_id.clone(),
            run_id: next.record.run_id.clone(),
        };
        self.metrics.started(&next.record.workflow_type);
        let mut execution =
            self.execution(next.record, next.module, History::new(next.events), None);
        let rows = execution.resume_pending();
        for row in &rows {
            // Copied by a reset: pending timers need their rows and to be armed.
            self.timers.arm(row, Busy::none());
        }
        execution.guards.push(self.clock.busy());
        // The actor first, then the workflow id: a request that finds the new run by
        // its id must find its actor too. (The other way round, a message arriving in
        // between woke a second actor from storage, and both ran the first task.)
        self.spawn(execution);
        self.open
            .lock()
            .unwrap()
            .insert(handle.workflow_id.clone(), handle);
    }
}

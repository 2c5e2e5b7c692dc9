//! What a recorded task sets going: timers, activities, and closing the run.

use super::*;
use crate::activities::Stop;
use crate::history::vocab::{ActivityResolution, ResolveActivity};
use crate::history::Failure;
use crate::runtime::outbox::Outgoing;
use tokio::sync::watch;

/// An activity dispatched by this actor.
pub(crate) struct RunningActivity {
    pub abort: AbortHandle,
    /// Tells the activity that the workflow cancelled it.
    pub cancel: watch::Sender<bool>,
}

/// How long an activity whose run closed may take to stop after it is told (through
/// its context, as a cancellation) before it is cut off.
pub(crate) const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl RunningActivity {
    /// Its run closed: the activity is told through its context, as a cancellation, so
    /// its own cleanup runs, and is stopped only if it is still running [`CLOSE_GRACE`]
    /// later (real time: it is the activity's own work). How it ended is logged by its
    /// task, which has no run left to report to.
    fn told_of_close(self, runtime: &tokio::runtime::Handle) {
        let _ = self.cancel.send(true);
        if self.abort.is_finished() {
            return;
        }
        runtime.spawn(async move {
            tokio::time::sleep(CLOSE_GRACE).await;
            if !self.abort.is_finished() {
                tracing::warn!(
                    grace_s = CLOSE_GRACE.as_secs(),
                    "an activity of a closed run ignored its cancellation and was stopped"
                );
                self.abort.abort();
            }
        });
    }
}

impl Execution {
    /// The row of timer `seq` of this run, firing at `fire_at_ms`.
    pub(super) fn timer_row(&self, seq: u32, fire_at_ms: u64) -> TimerRow {
        TimerRow {
            fire_at_ms,
            run_id: self.record.run_id.clone(),
            seq,
        }
    }

    pub(super) fn act(&mut self, command: Command, time_ms: u64) {
        match command {
            Command::ScheduleActivity(schedule) => {
                let mut pending = PendingActivity::new(schedule, time_ms);
                let flow = self.aside.activity_flows.remove(&pending.schedule.seq);
                pending.flow = flow.unwrap_or_default();
                self.dispatch_activity(pending)
            }
            // Scheduled by a task recorded at once (a new run's first): run after it.
            Command::ScheduleLocalActivity(schedule) => {
                let mut pending = PendingActivity::new(schedule, time_ms);
                pending.local = true;
                self.dispatch_activity(pending)
            }
            // Armed as the timer machine has it: the commit that recorded the command
            // stepped it (a timer the same commit also ended is not armed).
            Command::StartTimer(t) => {
                let started = self.state.timers().iter().find(|m| m.seq() == t.seq);
                if let Some(timer) = started.map(|m| m.pending()) {
                    let row = self.timer_row(timer.seq, timer.fire_at_ms);
                    self.host.timers.arm(&row, self.host.clock.busy());
                    self.timers.insert(t.seq, row);
                }
            }
            Command::CancelTimer(seq) => {
                if let Some(row) = self.timers.remove(&seq) {
                    self.host.timers.disarm(&row);
                }
            }
            Command::RequestCancelActivity(seq) => {
                // The activity learns of it through its context; its resolution comes
                // back as usual.
                if let Some(running) = self.activities.get(&seq) {
                    let _ = running.cancel.send(true);
                }
            }
            Command::StartChildWorkflow(start) => self.start_child(start, time_ms),
            // Carried out through the outbox, in the order recorded (`send_effects`).
            Command::CancelChildWorkflow(_) | Command::SignalExternal(_) => {}
            // Recorded in the history; there is nothing else to do (updates are answered
            // when their task is durable, see `messages`; search attributes and memo
            // were written with the task, see `runtime::attributes`).
            Command::RecordMarker(_)
            | Command::AcceptUpdate(_)
            | Command::CompleteUpdate(_)
            | Command::UpsertSearchAttributes(_)
            | Command::UpsertMemo(_) => {}
            // `check_supported` refused every other command before it was recorded.
            other => unreachable!("unsupported command `{}` was recorded", other.kind()),
        }
    }

    /// Every timer this actor has armed is one its timer machines hold as started, due
    /// at the same time (a timer fired but not yet recorded is no longer armed, so the
    /// machines may hold more).
    pub(super) fn timers_agree(&self) -> bool {
        let started = self.state.timers();
        self.timers.values().all(|row| {
            (started.iter()).any(|m| m.seq() == row.seq && m.pending().fire_at_ms == row.fire_at_ms)
        })
    }

    pub(super) fn dispatch_activity(&mut self, pending: PendingActivity) {
        let seq = pending.schedule.seq;
        let local = pending.local;
        if pending.cancel_requested {
            // Its cancellation was recorded before a restart: it never runs again.
            let failure = Failure::new(
                format!(
                    "activity `{}` was cancelled; the host restarted before it stopped",
                    pending.schedule.activity_type
                ),
                crate::activities::CANCELLED,
            );
            let job = Job::ResolveActivity(ResolveActivity {
                seq,
                resolution: ActivityResolution::Cancelled(failure),
            });
            let _ = self.tx.send(Message::Resolve(job, self.host.clock.busy()));
            return;
        }
        let told = local && self.cancelled_locals.remove(&seq);
        let (cancel, cancelled) = watch::channel(told);
        let run = ActivityRun {
            metrics: self.host.metrics.activity(&pending.schedule.activity_type),
            registry: self.host.activities.clone(),
            pools: self.host.pools.clone(),
            clock: self.host.clock.clone(),
            workflow_id: self.record.workflow_id.clone(),
            run_id: self.record.run_id.clone(),
            actor: self.tx.clone(),
            stop: Stop {
                cancel: cancelled,
                shutdown: self.host.shutdown.subscribe(),
            },
            turn: crate::flow::Turn::of_run(&self.state),
        };
        let task = activity_task::run(run, pending, self.host.clock.busy());
        // On the workflow threads, next to the actor it reports to: a result wakes the
        // actor without crossing to another runtime.
        let handle = self.host.workflows.spawn(task);
        self.running(local).insert(
            seq,
            RunningActivity {
                abort: handle.abort_handle(),
                cancel,
            },
        );
    }

    /// The close is durable: stop what runs for the run, carry out `effects` (the
    /// closing task's own, then its children's close policies), answer who waits.
    pub(super) fn close(&mut self, outcome: Outcome, effects: Vec<Outgoing>) {
        for (_, running) in std::mem::take(&mut self.activities)
            .into_iter()
            .chain(std::mem::take(&mut self.locals))
        {
            running.told_of_close(&self.host.workflows);
        }
        for (_, row) in std::mem::take(&mut self.timers) {
            self.host.timers.disarm(&row);
        }
        if !self.children.is_empty() {
            crate::runtime::pause::point("parent-closed");
        }
        self.send_effects(effects);
        for (_, child) in std::mem::take(&mut self.children) {
            child.watcher.abort();
        }
        self.answer_at_close();
        self.host.cache.take(&self.record.run_id);
        self.host
            .metrics
            .closed(&self.record.workflow_type, status_of(&outcome));
        // A held start (debounce, start rate) never took a place under a workflow limit.
        if !matches!(outcome, Outcome::ContinuedAsNew)
            && !self.host.gates.closed(&self.record.run_id)
        {
            self.host
                .flow
                .closed(&self.record.workflow_type, &self.record.run_id);
        }
        self.host.forget(&self.record);
        self.host.notify(&self.record.run_id, outcome);
    }
}

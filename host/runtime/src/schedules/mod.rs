//! Durable schedules: workflows started on cron expressions and intervals.
//!
//! A schedule is stored in the `schedules` table with its state: the last slot it
//! handled, the actions it buffered, the runs it started and is watching, its
//! counters. One task ([`runner`]) sleeps on the host's clock until the next slot
//! of any schedule comes due, acts on every slot due since the last one handled
//! (within the catch-up window; older ones are counted as missed), and writes the
//! schedule back. A slot's run has the workflow id `<action id>-<slot time>` and the
//! host refuses a second run of that id, so a slot is never acted on twice, even
//! when the host stops between starting a run and recording that it did.
//!
//! Schedules sit above the runtime, as the API does: they start, cancel and
//! terminate runs through [`Host`], and the runtime knows nothing of them.

mod action;
mod overlap;
mod record;
mod runner;
mod spec;

pub use action::{workflow_id, SCHEDULED_BY_ID, SCHEDULED_START_TIME};
pub use overlap::{Decision, OverlapPolicy};
pub use record::{
    ActionRecord, ActionRun, Buffered, Schedule, ScheduleAction, SchedulePolicies, ScheduleRecord,
    ScheduleState, RECENT_ACTIONS,
};
pub use spec::{
    parse_duration, parse_rfc3339, rfc3339, CompiledSpec, Interval, ScheduleSpec, SpecError,
};

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, Notify};

use weft_model::names::{ScheduleId, WorkflowId, MAX_NAME_CHARS};

use crate::runtime::{Host, WeakHost};
use crate::storage::{durable, StorageError, Write};

/// What can go wrong with a schedule operation.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// Create with an id that is taken.
    #[error("schedule `{0}` already exists; update it, or delete it first")]
    AlreadyExists(String),
    /// No schedule has this id.
    #[error("no schedule `{0}`")]
    NotFound(String),
    /// The spec does not validate.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// Something else in the request is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The host refused to start the action's workflow.
    #[error("the schedule's workflow could not start: {0}")]
    Start(String),
    /// The host is shutting down.
    #[error("the host is shutting down")]
    HostGone,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A schedule as `describe` shows it.
#[derive(Debug, Clone)]
pub struct ScheduleDescription {
    pub record: ScheduleRecord,
    /// The next times the schedule will act (none while paused).
    pub next_action_ms: Vec<u64>,
}

/// The schedules of one host, and the task that acts on them.
#[derive(Clone)]
pub struct Schedules {
    inner: Arc<Inner>,
}

struct Inner {
    host: WeakHost,
    /// Every schedule; one operation at a time (schedules are few and slow).
    schedules: Mutex<HashMap<String, ScheduleRecord>>,
    /// Wakes the runner to look again (a schedule changed, an action closed).
    changed: Arc<Notify>,
    /// Set by [`Schedules::stop`]: the runner takes no more actions.
    stopped: std::sync::atomic::AtomicBool,
    /// Run ids whose close a watcher waits for.
    watched: std::sync::Mutex<std::collections::HashSet<String>>,
    /// In a cluster, the shards served when the map was last read from storage.
    served: std::sync::Mutex<Vec<u32>>,
}

impl Inner {
    /// The schedules, locked and [refreshed](Inner::refresh).
    async fn lock(
        &self,
        host: &Host,
        always: bool,
    ) -> Result<tokio::sync::MutexGuard<'_, HashMap<String, ScheduleRecord>>, ScheduleError> {
        let mut schedules = self.schedules.lock().await;
        self.refresh(host, &mut schedules, always)?;
        Ok(schedules)
    }

    /// In a cluster, read the schedules again from storage when the shards this host
    /// serves changed since the last read (another host may have changed those it
    /// served), or when `always`.
    fn refresh(
        &self,
        host: &Host,
        schedules: &mut HashMap<String, ScheduleRecord>,
        always: bool,
    ) -> Result<(), ScheduleError> {
        if !host.in_cluster() {
            return Ok(());
        }
        let served = host.shards_served();
        let changed = *self.served.lock().unwrap() != served;
        if changed || always {
            *schedules = load(host)?;
            *self.served.lock().unwrap() = served;
        }
        Ok(())
    }
}

/// Every stored schedule, decoded.
fn load(host: &Host) -> Result<HashMap<String, ScheduleRecord>, ScheduleError> {
    let mut schedules = HashMap::new();
    for (id, bytes) in host.storage().schedules()? {
        let record = ScheduleRecord::decode(&id, &bytes, host.codec())?;
        CompiledSpec::new(&record.schedule.spec)?;
        schedules.insert(id, record);
    }
    Ok(schedules)
}

/// How many next action times `describe` lists.
const NEXT_ACTIONS: usize = 5;

impl Schedules {
    /// Load the host's schedules and start acting on them. Slots that came due while
    /// the host was down are acted on at once, within each schedule's catch-up window.
    pub async fn start(host: &Host) -> Result<Schedules, ScheduleError> {
        let schedules = load(host)?;
        let inner = Arc::new(Inner {
            host: host.downgrade(),
            schedules: Mutex::new(schedules),
            changed: Arc::new(Notify::new()),
            watched: std::sync::Mutex::default(),
            stopped: std::sync::atomic::AtomicBool::new(false),
            served: std::sync::Mutex::new(host.shards_served()),
        });
        {
            let schedules = inner.schedules.lock().await;
            for record in schedules.values() {
                runner::watch_running(&inner, host, record);
            }
        }
        tokio::spawn(runner::serve(
            Arc::downgrade(&inner),
            inner.changed.clone(),
            host.clock().clone(),
        ));
        Ok(Schedules { inner })
    }

    /// Stop acting on schedules (at a host's shutdown): returns once no action is in
    /// progress; the schedules stay stored and act again when the next host starts.
    pub async fn stop(&self) {
        let _schedules = self.inner.schedules.lock().await;
        self.inner
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.inner.changed.notify_one();
    }

    fn host(&self) -> Result<Host, ScheduleError> {
        self.inner.host.upgrade().ok_or(ScheduleError::HostGone)
    }

    /// Create a schedule; paused ones take no action until unpaused (triggers and
    /// backfills still act).
    pub async fn create(
        &self,
        id: &str,
        schedule: Schedule,
        paused: bool,
        note: &str,
    ) -> Result<ScheduleRecord, ScheduleError> {
        check_id(id)?;
        check(&schedule)?;
        let host = self.host()?;
        let mut schedules = self.inner.lock(&host, false).await?;
        if schedules.contains_key(id) {
            return Err(ScheduleError::AlreadyExists(id.to_string()));
        }
        let now = host.clock().now_ms();
        let record = ScheduleRecord {
            id: id.to_string(),
            schedule,
            state: ScheduleState {
                paused,
                note: note.to_string(),
                last_processed_ms: now,
                created_ms: now,
                updated_ms: now,
                ..ScheduleState::default()
            },
        };
        save(&host, &record).await?;
        schedules.insert(id.to_string(), record.clone());
        self.inner.changed.notify_one();
        Ok(record)
    }

    /// Replace a schedule's spec, action and policies; its state stays.
    pub async fn update(
        &self,
        id: &str,
        schedule: Schedule,
    ) -> Result<ScheduleRecord, ScheduleError> {
        check(&schedule)?;
        self.change(id, |record, now| {
            record.schedule = schedule;
            record.state.updated_ms = now;
        })
        .await
    }

    /// Pause a schedule: no action comes due until it is unpaused. `note` says why.
    pub async fn pause(
        &self,
        id: &str,
        note: Option<&str>,
    ) -> Result<ScheduleRecord, ScheduleError> {
        let note = note.unwrap_or("Paused via weft").to_string();
        self.change(id, |record, now| {
            record.state.paused = true;
            record.state.note = note;
            record.state.updated_ms = now;
        })
        .await
    }

    /// Unpause a schedule. Slots that passed while it was paused are not acted on.
    pub async fn unpause(
        &self,
        id: &str,
        note: Option<&str>,
    ) -> Result<ScheduleRecord, ScheduleError> {
        let note = note.unwrap_or("Unpaused via weft").to_string();
        self.change(id, |record, now| {
            if record.state.paused {
                record.state.last_processed_ms = record.state.last_processed_ms.max(now);
            }
            record.state.paused = false;
            record.state.note = note;
            record.state.updated_ms = now;
        })
        .await
    }

    async fn change(
        &self,
        id: &str,
        apply: impl FnOnce(&mut ScheduleRecord, u64),
    ) -> Result<ScheduleRecord, ScheduleError> {
        let host = self.host()?;
        let mut schedules = self.inner.lock(&host, false).await?;
        let current = schedules
            .get(id)
            .ok_or_else(|| ScheduleError::NotFound(id.to_string()))?;
        let mut record = current.clone();
        apply(&mut record, host.clock().now_ms());
        save(&host, &record).await?;
        schedules.insert(id.to_string(), record.clone());
        self.inner.changed.notify_one();
        Ok(record)
    }

    /// Act now, paused or not, under the schedule's overlap policy or `overlap`.
    pub async fn trigger(
        &self,
        id: &str,
        overlap: Option<OverlapPolicy>,
    ) -> Result<ScheduleRecord, ScheduleError> {
        let host = self.host()?;
        let mut schedules = self.inner.lock(&host, false).await?;
        let mut record = schedules
            .get(id)
            .cloned()
            .ok_or_else(|| ScheduleError::NotFound(id.to_string()))?;
        let now = host.clock().now_ms();
        let policy = overlap.unwrap_or(record.schedule.policies.overlap);
        runner::act(&self.inner, &host, &mut record, now, true, policy).await?;
        save(&host, &record).await?;
        schedules.insert(id.to_string(), record.clone());
        Ok(record)
    }

    /// Act on every slot of the spec from `start_ms` to `end_ms` (both included),
    /// paused or not, under `overlap` (the schedule's policy when absent). Returns the
    /// number of slots in the range.
    pub async fn backfill(
        &self,
        id: &str,
        start_ms: u64,
        end_ms: u64,
        overlap: Option<OverlapPolicy>,
    ) -> Result<(ScheduleRecord, usize), ScheduleError> {
        if end_ms < start_ms {
            return Err(ScheduleError::Invalid(
                "the backfill ends before it starts".into(),
            ));
        }
        let host = self.host()?;
        let mut schedules = self.inner.lock(&host, false).await?;
        let mut record = schedules
            .get(id)
            .cloned()
            .ok_or_else(|| ScheduleError::NotFound(id.to_string()))?;
        let spec = CompiledSpec::new(&record.schedule.spec)?;
        let slots = spec.slots(start_ms.saturating_sub(1), end_ms, MAX_BACKFILL + 1);
        if slots.len() > MAX_BACKFILL {
            return Err(ScheduleError::Invalid(format!(
                "the range holds more than {MAX_BACKFILL} slots; backfill it in parts"
            )));
        }
        let policy = overlap.unwrap_or(record.schedule.policies.overlap);
        for &slot in &slots {
            runner::act(&self.inner, &host, &mut record, slot, false, policy).await?;
        }
        save(&host, &record).await?;
        schedules.insert(id.to_string(), record.clone());
        Ok((record, slots.len()))
    }

    /// Delete a schedule. The runs it started go on.
    pub async fn delete(&self, id: &str) -> Result<(), ScheduleError> {
        let host = self.host()?;
        let mut schedules = self.inner.lock(&host, false).await?;
        if !schedules.contains_key(id) {
            return Err(ScheduleError::NotFound(id.to_string()));
        }
        durable(
            host.storage()
                .commit(vec![Write::DeleteSchedule(id.to_string())]),
        )
        .await
        .map_err(|e| StorageError::Database(e.to_string()))?;
        schedules.remove(id);
        self.inner.changed.notify_one();
        Ok(())
    }

    /// A schedule with its next action times and the runs it started that are open.
    /// The fields the host masks wherever it shows a payload (a schedule's input and
    /// memo too); the default ones once the host is gone.
    pub fn sensitive_fields(&self) -> crate::masking::SensitiveFields {
        self.inner
            .host
            .upgrade()
            .map(|host| host.sensitive_fields().clone())
            .unwrap_or_default()
    }

    pub async fn describe(&self, id: &str) -> Result<ScheduleDescription, ScheduleError> {
        let host = self.host()?;
        let schedules = self.inner.lock(&host, false).await?;
        let record = schedules
            .get(id)
            .ok_or_else(|| ScheduleError::NotFound(id.to_string()))?;
        describe(&host, record)
    }

    /// Every schedule, by id.
    pub async fn list(&self) -> Result<Vec<ScheduleDescription>, ScheduleError> {
        let host = self.host()?;
        // In a cluster, other hosts create and change the schedules they serve.
        let schedules = self.inner.lock(&host, true).await?;
        let mut all = schedules
            .values()
            .map(|r| describe(&host, r))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| a.record.id.cmp(&b.record.id));
        Ok(all)
    }
}

/// Most slots one backfill acts on.
pub const MAX_BACKFILL: usize = 10_000;

fn describe(host: &Host, record: &ScheduleRecord) -> Result<ScheduleDescription, ScheduleError> {
    let mut record = record.clone();
    action::refresh_running(host, &mut record)?;
    let next_action_ms = match (
        record.state.paused,
        CompiledSpec::new(&record.schedule.spec),
    ) {
        (false, Ok(spec)) => spec
            .slots(record.state.last_processed_ms, u64::MAX, NEXT_ACTIONS)
            .into_iter()
            .map(|slot| slot + spec.jitter(&record.id, slot))
            .collect(),
        _ => Vec::new(),
    };
    Ok(ScheduleDescription {
        record,
        next_action_ms,
    })
}

fn check_id(id: &str) -> Result<(), ScheduleError> {
    ScheduleId::parse(id).map_err(|e| ScheduleError::Invalid(e.to_string()))?;
    Ok(())
}

/// The action's workflow id is a schedule id too (its runs' ids are made of it), and
/// its runs' ids (`<id>-<slot time>`, and `-N` for a trigger in a taken second) must
/// be workflow ids the host starts.
fn check_action_id(action: &ScheduleAction) -> Result<(), ScheduleError> {
    ScheduleId::parse(&action.workflow_id)
        .map_err(|e| ScheduleError::Invalid(format!("the action's workflow id: {e}")))?;
    let longest = format!("{}-99", action::workflow_id(action, 0));
    WorkflowId::parse(&longest).map_err(|_| {
        ScheduleError::Invalid(format!(
            "the action's workflow id is too long: its runs' ids add the slot time \
             (`{longest}`) and must stay within {MAX_NAME_CHARS} characters"
        ))
    })?;
    Ok(())
}

fn check(schedule: &Schedule) -> Result<(), ScheduleError> {
    CompiledSpec::new(&schedule.spec)?;
    let action = &schedule.action;
    if action.workflow_type.is_empty() {
        return Err(ScheduleError::Invalid(
            "the action needs a workflow type".into(),
        ));
    }
    check_action_id(action)?;
    serde_json::from_str::<serde_json::Value>(&action.input_json)
        .map_err(|e| ScheduleError::Invalid(format!("the action's input is not JSON: {e}")))?;
    Ok(())
}

async fn save(host: &Host, record: &ScheduleRecord) -> Result<(), ScheduleError> {
    let write = Write::PutSchedule {
        id: record.id.clone(),
        schedule: record.encode(host.codec()),
    };
    durable(host.storage().commit(vec![write]))
        .await
        .map_err(|e| ScheduleError::Storage(StorageError::Database(e.to_string())))
}

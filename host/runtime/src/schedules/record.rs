//! A schedule as stored: what the user defined, and what the host has done with it.
//!
//! Stored in the `schedules` table as `postcard(Stored)`; `Stored` is an enum so a
//! later shape can be added as a new variant and the old one converted on read.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::overlap::OverlapPolicy;
use super::spec::ScheduleSpec;
use super::ScheduleError;
use crate::payload_codec::PayloadCodec;
use crate::storage::StorageError;

/// The workflow a schedule starts on each action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleAction {
    pub workflow_type: String,
    /// The input, as JSON text.
    pub input_json: String,
    /// Each run's workflow id is this, a dash and the scheduled time
    /// (`nightly-2026-11-23T02:00:00Z`).
    pub workflow_id: String,
    /// Module digest; the newest module exporting the type when absent.
    pub module: Option<String>,
    pub run_timeout_ms: Option<u64>,
    pub execution_timeout_ms: Option<u64>,
    /// Memo of each run: (name, JSON text).
    pub memo: Vec<(String, String)>,
}

/// How a schedule behaves when actions overlap or were missed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulePolicies {
    pub overlap: OverlapPolicy,
    /// Slots missed while the host was down are still acted on if they are at most
    /// this old; older ones are counted as missed.
    pub catchup_window_ms: u64,
}

impl Default for SchedulePolicies {
    fn default() -> Self {
        SchedulePolicies {
            overlap: OverlapPolicy::Skip,
            catchup_window_ms: 365 * 24 * 3_600_000,
        }
    }
}

/// Everything a user defines about a schedule (what `update` replaces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub spec: ScheduleSpec,
    pub action: ScheduleAction,
    pub policies: SchedulePolicies,
}

/// A run a schedule started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRun {
    pub workflow_id: String,
    pub run_id: String,
}

/// One action taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The slot (or trigger time) the action was for.
    pub scheduled_ms: u64,
    /// When the host took it.
    pub actual_ms: u64,
    pub run: ActionRun,
}

/// Why an action is waiting in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buffered {
    pub scheduled_ms: u64,
    /// A manual trigger (its workflow id gets a suffix when the time is taken).
    pub triggered: bool,
}

/// What the host has done with a schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleState {
    pub paused: bool,
    pub note: String,
    /// Every slot at or before this time has been handled (acted on, buffered,
    /// skipped or missed).
    pub last_processed_ms: u64,
    pub buffered: VecDeque<Buffered>,
    /// Runs started by the schedule that were open when last looked at.
    pub running: Vec<ActionRun>,
    /// The most recent actions, oldest first (at most [`RECENT_ACTIONS`]).
    pub recent: Vec<ActionRecord>,
    pub actions: u64,
    pub skipped_overlap: u64,
    pub missed_catchup: u64,
    pub created_ms: u64,
    pub updated_ms: u64,
}

/// How many recent actions a schedule remembers.
pub const RECENT_ACTIONS: usize = 10;

/// A schedule with its state, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRecord {
    pub id: String,
    pub schedule: Schedule,
    pub state: ScheduleState,
}

#[derive(Serialize, Deserialize)]
enum Stored {
    /// Boxed only in memory; postcard writes a box as its contents.
    V1(Box<ScheduleRecord>),
    /// A `V1` sealed by the payload codec: the action's input and memo are the
    /// user's data, encrypted at rest like a history's payloads.
    Sealed(Vec<u8>),
}

impl ScheduleRecord {
    /// The stored bytes, sealed when `codec` has keys.
    pub fn encode(&self, codec: &PayloadCodec) -> Vec<u8> {
        let plain = postcard::to_stdvec(&Stored::V1(Box::new(self.clone())))
            .expect("a schedule always encodes");
        match codec.seal_record(plain.clone()) {
            Some(sealed) => {
                postcard::to_stdvec(&Stored::Sealed(sealed)).expect("a schedule always encodes")
            }
            None => plain,
        }
    }

    pub fn decode(
        id: &str,
        bytes: &[u8],
        codec: &PayloadCodec,
    ) -> Result<ScheduleRecord, ScheduleError> {
        let decode = |bytes: &[u8]| {
            postcard::from_bytes::<Stored>(bytes).map_err(|source| StorageError::Decode {
                what: format!("schedule {id}"),
                source,
            })
        };
        match decode(bytes)? {
            Stored::V1(record) => Ok(*record),
            Stored::Sealed(sealed) => {
                let plain = codec
                    .open_record(&sealed)
                    .map_err(|e| ScheduleError::Invalid(format!("schedule {id}: {e}")))?;
                match decode(&plain)? {
                    Stored::V1(record) => Ok(*record),
                    Stored::Sealed(_) => Err(ScheduleError::Invalid(format!(
                        "schedule {id} is sealed twice; the record is damaged"
                    ))),
                }
            }
        }
    }

    /// Remember an action taken.
    pub fn record_action(&mut self, action: ActionRecord) {
        self.state.actions += 1;
        self.state.running.push(action.run.clone());
        self.state.recent.push(action);
        let excess = self.state.recent.len().saturating_sub(RECENT_ACTIONS);
        self.state.recent.drain(..excess);
    }
}

//! The activities of the workflow patterns: the reminders of `maintenance`, the
//! validation and the summary of `batch-chunks`.

use serde::{Deserialize, Serialize};
use weft_types::ActivityType;

/// A service of a vehicle that has come due, for [`NotifyMaintenance`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceDue {
    /// The vehicle.
    pub vehicle: String,
    /// The service (`"oil change"`, say).
    pub service: String,
    /// When it came due, in milliseconds since the Unix epoch.
    pub due_ms: u64,
    /// Which time it comes due: 1 the first time.
    pub occurrence: u32,
}

/// Tells the vehicle's owner that a service is due; returns the message sent:
/// `"car-1: oil change due (#3)"`.
pub struct NotifyMaintenance;

impl ActivityType for NotifyMaintenance {
    const NAME: &'static str = "notify_maintenance";
    type Input = MaintenanceDue;
    type Output = String;
}

/// Checks a slice of a batch's items: for each item, in order, `None` when it is valid
/// or why it is not. An item must be positive: `0` is refused with
/// `"0 is not a valid item: items are positive"`.
pub struct ValidateItems;

impl ActivityType for ValidateItems {
    const NAME: &'static str = "validate_items";
    type Input = Vec<u64>;
    type Output = Vec<Option<String>>;
}

/// What a batch came to, for [`SummarizeBatch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchTotals {
    /// Items in the input.
    pub items: u64,
    /// Items processed.
    pub processed: u64,
    /// Items refused by the validation.
    pub invalid: u64,
    /// Items whose processing failed.
    pub failed: u64,
    /// Chunks processed.
    pub chunks: u64,
}

/// Writes a batch's summary line:
/// `"1000 items: 998 processed, 1 invalid, 1 failed, in 20 chunks"`.
pub struct SummarizeBatch;

impl ActivityType for SummarizeBatch {
    const NAME: &'static str = "summarize_batch";
    type Input = BatchTotals;
    type Output = String;
}

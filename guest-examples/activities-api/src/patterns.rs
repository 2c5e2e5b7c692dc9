//! The activities of the workflow patterns: the reminders of `maintenance`.

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

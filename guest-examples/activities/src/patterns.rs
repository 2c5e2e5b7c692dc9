//! The activities of the workflow patterns: the reminders of `maintenance`.

use example_activities_api::{MaintenanceDue, NotifyMaintenance};
use weft_activity::ActivityRegistry;

use crate::observe;

/// Registers the activities of the workflow patterns.
pub(crate) fn register(registry: &mut ActivityRegistry) {
    registry.register(NotifyMaintenance, |ctx, due: MaintenanceDue| async move {
        observe(&ctx).await?;
        Ok(format!(
            "{}: {} due (#{})",
            due.vehicle, due.service, due.occurrence
        ))
    });
}

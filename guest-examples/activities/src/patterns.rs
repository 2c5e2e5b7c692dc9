//! The activities of the workflow patterns: the reminders of `maintenance`, the
//! validation and the summary of `batch-chunks`.

use example_activities_api::{
    BatchTotals, MaintenanceDue, NotifyMaintenance, SummarizeBatch, ValidateItems,
};
use weft_activity::ActivityRegistry;

use crate::observe;

/// Registers the activities of the workflow patterns.
pub(crate) fn register(registry: &mut ActivityRegistry) {
    registry
        .register(NotifyMaintenance, |ctx, due: MaintenanceDue| async move {
            observe(&ctx).await?;
            Ok(format!(
                "{}: {} due (#{})",
                due.vehicle, due.service, due.occurrence
            ))
        })
        .register(ValidateItems, |ctx, items: Vec<u64>| async move {
            observe(&ctx).await?;
            Ok(items.iter().map(|&item| refusal(item)).collect::<Vec<_>>())
        })
        .register(SummarizeBatch, |ctx, totals: BatchTotals| async move {
            observe(&ctx).await?;
            Ok(format!(
                "{} items: {} processed, {} invalid, {} failed, in {} chunks",
                totals.items, totals.processed, totals.invalid, totals.failed, totals.chunks
            ))
        });
}

/// Why `item` is not valid, if it is not (see [`ValidateItems`]).
fn refusal(item: u64) -> Option<String> {
    (item == 0).then(|| "0 is not a valid item: items are positive".to_owned())
}

//! What the workflow waits on that issued no command: the wait conditions its tasks
//! await and the signal channels whose `recv` waits, each with the line of workflow
//! code that awaits it. The history cannot show them (nothing was recorded), so the SDK
//! tells the host at the end of each activation (`waiting-on`), only when the list
//! changed since the last report; the host keeps the last one in memory for `weft
//! stack`. Replayed activations report too, so an instance rebuilt from its history
//! reports what its last activation waits on.

use crate::host;
use crate::state::SharedState;
use crate::wit::WaitPoint;

/// The last list reported to the host, per execution (in the workflow's state).
#[derive(Default)]
pub(crate) struct Reported(Option<Vec<WaitPoint>>);

/// What the workflow waits on now: conditions in creation order, then channels by
/// signal name.
pub(crate) fn current(state: &SharedState) -> Vec<WaitPoint> {
    let state = state.borrow();
    let mut points: Vec<WaitPoint> = state.conditions.wait_points().collect();
    points.extend(state.mailbox.wait_points());
    points
}

/// Tell the host what the workflow waits on, if that changed since the last report.
pub(crate) fn report(state: &SharedState) {
    let points = current(state);
    if state.borrow().reported_waits.0.as_ref() == Some(&points) {
        return;
    }
    host::waiting_on(&points);
    state.borrow_mut().reported_waits.0 = Some(points);
}

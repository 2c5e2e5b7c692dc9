//! The jobs a test delivers with [`Harness::activate`](super::Harness::activate): an
//! activity's, a local activity's or a child's resolution, a timer, a signal, an
//! update, a query, a cancellation, and the markers a replay finds recorded.

use serde::Serialize;

use crate::payload;
use crate::wit::{
    ActivityResolution, ChildResolution, Failure, Job, Query, ResolveActivity,
    ResolveChildWorkflow, Signal, Update,
};

/// A `resolve-activity` job: the activity returned `output`.
pub fn complete_activity(seq: u32, output: &impl Serialize) -> Job {
    Job::ResolveActivity(ResolveActivity {
        seq,
        resolution: ActivityResolution::Completed(
            payload::to_json(output).expect("the test output encodes as JSON"),
        ),
    })
}

/// A `resolve-activity` job: the activity failed.
pub fn fail_activity(seq: u32, message: &str, error_type: &str) -> Job {
    Job::ResolveActivity(ResolveActivity {
        seq,
        resolution: ActivityResolution::Failed(Failure {
            message: message.to_owned(),
            error_type: error_type.to_owned(),
            non_retryable: false,
            details: None,
        }),
    })
}

/// A `resolve-activity` job: the activity ended cancelled.
pub fn cancel_activity(seq: u32) -> Job {
    Job::ResolveActivity(ResolveActivity {
        seq,
        resolution: ActivityResolution::Cancelled(cancelled_failure()),
    })
}

/// A `resolve-local-activity` job: the local activity returned `output`.
pub fn complete_local_activity(seq: u32, output: &impl Serialize) -> Job {
    local(complete_activity(seq, output))
}

/// A `resolve-local-activity` job: the local activity failed.
pub fn fail_local_activity(seq: u32, message: &str, error_type: &str) -> Job {
    local(fail_activity(seq, message, error_type))
}

/// A `resolve-local-activity` job: the local activity ended cancelled.
pub fn cancel_local_activity(seq: u32) -> Job {
    local(cancel_activity(seq))
}

fn local(job: Job) -> Job {
    match job {
        Job::ResolveActivity(resolve) => Job::ResolveLocalActivity(resolve),
        other => other,
    }
}

fn cancelled_failure() -> Failure {
    Failure {
        message: "cancelled by the host".to_owned(),
        error_type: "weft.Cancelled".to_owned(),
        non_retryable: true,
        details: None,
    }
}

/// A `resolve-child-workflow` job for child `seq`.
pub fn resolve_child(seq: u32, resolution: ChildResolution) -> Job {
    Job::ResolveChildWorkflow(ResolveChildWorkflow { seq, resolution })
}

/// A `resolve-child-workflow` job: child `seq` started as run `run_id`.
pub fn child_started(seq: u32, run_id: &str) -> Job {
    resolve_child(seq, ChildResolution::Started(run_id.to_owned()))
}

/// A `resolve-child-workflow` job: child `seq` completed with `output`.
pub fn complete_child(seq: u32, output: &impl Serialize) -> Job {
    let output = payload::to_json(output).expect("the test output encodes as JSON");
    resolve_child(seq, ChildResolution::Completed(output))
}

/// A `resolve-child-workflow` job: child `seq` failed (or, with error type
/// `ChildWorkflowAlreadyStarted` and no `started` before, was not started).
pub fn fail_child(seq: u32, message: &str, error_type: &str) -> Job {
    resolve_child(
        seq,
        ChildResolution::Failed(Failure {
            message: message.to_owned(),
            error_type: error_type.to_owned(),
            non_retryable: false,
            details: None,
        }),
    )
}

/// A `resolve-child-workflow` job: child `seq` ended cancelled.
pub fn cancel_child(seq: u32) -> Job {
    resolve_child(seq, ChildResolution::Cancelled(cancelled_failure()))
}

/// The host's word that child `seq` recorded the cancellation its parent requested
/// (a `child-cancel-requested` job, delivered as a signal with a reserved name).
pub fn child_cancel_requested(seq: u32) -> Job {
    signal(crate::jobs::CHILD_CANCEL_REQUESTED, &seq)
}

/// A `resolve-child-workflow` job: child `seq` was terminated.
pub fn terminate_child(seq: u32, reason: &str) -> Job {
    let failure = Failure {
        message: reason.to_owned(),
        error_type: "weft.Terminated".to_owned(),
        non_retryable: true,
        details: None,
    };
    resolve_child(seq, ChildResolution::Terminated(failure))
}

/// A `cancel-requested` job.
pub fn cancel_requested() -> Job {
    Job::CancelRequested
}

/// A `fire-timer` job.
pub fn fire_timer(seq: u32) -> Job {
    Job::FireTimer(seq)
}

/// A `signal` job.
pub fn signal(name: &str, input: &impl Serialize) -> Job {
    Job::Signal(Signal {
        name: name.to_owned(),
        input: payload::to_json(input).expect("the signal input encodes as JSON"),
    })
}

/// An `update` job.
pub fn update(id: &str, name: &str, input: &impl Serialize) -> Job {
    Job::Update(Update {
        id: id.to_owned(),
        name: name.to_owned(),
        input: payload::to_json(input).expect("the update input encodes as JSON"),
    })
}

/// A `query` job.
pub fn query(id: &str, name: &str, input: &impl Serialize) -> Job {
    Job::Query(Query {
        id: id.to_owned(),
        name: name.to_owned(),
        input: payload::to_json(input).expect("the query input encodes as JSON"),
    })
}

/// What the host's replayer adds to a replayed activation whose task recorded the
/// marker of patch `id` (deliver it with
/// [`Harness::set_replaying`](super::Harness::set_replaying) on).
pub fn recorded_patch(id: &str) -> Job {
    Job::Signal(Signal {
        name: crate::versioning::PATCH_NOTICE.to_owned(),
        input: payload::to_json(id).expect("a string encodes as JSON"),
    })
}

/// What the host's replayer adds to a replayed activation whose task recorded a side
/// effect's `value`, one per side effect, in order.
pub fn recorded_side_effect(value: &impl Serialize) -> Job {
    Job::Signal(Signal {
        name: crate::versioning::SIDE_EFFECT_NOTICE.to_owned(),
        input: payload::to_json(value).expect("the side effect's value encodes as JSON"),
    })
}

//! Jobs: what the host delivers, sorted into what this SDK can apply.

use crate::versioning::Notice;
use crate::wit::{ActivityResolution, ChildResolution, Failure, Job, Signal, Update};

/// A job for a running instance that this SDK version handles. (Queries are answered
/// apart: they come alone and change nothing.)
pub(crate) enum Delivery {
    ResolveActivity {
        seq: u32,
        resolution: ActivityResolution,
        /// The causes of its failure, outermost first.
        causes: Vec<Failure>,
    },
    ResolveLocalActivity {
        seq: u32,
        resolution: ActivityResolution,
        causes: Vec<Failure>,
    },
    CancelRequested,
    FireTimer {
        seq: u32,
    },
    Signal(Signal),
    Update(Update),
    /// A marker the replayed task recorded (a signal with a reserved name).
    Notice(Notice),
    ResolveChildWorkflow {
        seq: u32,
        resolution: ChildResolution,
        causes: Vec<Failure>,
    },
    /// Child `seq`'s run recorded the cancellation this run requested (a signal with
    /// the reserved name [`CHILD_CANCEL_REQUESTED`]).
    ChildCancelRequested {
        seq: u32,
    },
}

/// The signal name the host tells a parent under that its child recorded the
/// cancellation it requested (the host's `vocab::CHILD_CANCEL_REQUESTED_SIGNAL`), the
/// child's seq its input; the host refuses it from anyone else.
pub(crate) const CHILD_CANCEL_REQUESTED: &str = "__weft_child_cancel_requested";

/// The job's name in the contract.
pub(crate) fn name(job: &Job) -> &'static str {
    match job {
        Job::StartWorkflow(_) => "start-workflow",
        Job::ResolveActivity(_) => "resolve-activity",
        Job::ResolveLocalActivity(_) => "resolve-local-activity",
        Job::FireTimer(_) => "fire-timer",
        Job::Signal(_) => "signal",
        Job::Update(_) => "update",
        Job::CancelRequested => "cancel-requested",
        Job::ResolveChildWorkflow(_) => "resolve-child-workflow",
        Job::Query(_) => "query",
    }
}

/// The causes of the failure of the activation's job at `index` that resolved an
/// activity this way (asked of the host only for a failure).
fn activity_causes(index: usize, resolution: &ActivityResolution) -> Vec<Failure> {
    match resolution {
        ActivityResolution::Completed(_) => Vec::new(),
        _ => crate::host::job_failure_causes(index as u32),
    }
}

/// Sorts the job at `index` of the activation for a running instance; `Err` says why
/// it cannot be applied.
pub(crate) fn triage((index, job): (usize, Job)) -> Result<Delivery, String> {
    match job {
        Job::ResolveActivity(resolve) => Ok(Delivery::ResolveActivity {
            seq: resolve.seq,
            causes: activity_causes(index, &resolve.resolution),
            resolution: resolve.resolution,
        }),
        Job::ResolveLocalActivity(resolve) => Ok(Delivery::ResolveLocalActivity {
            seq: resolve.seq,
            causes: activity_causes(index, &resolve.resolution),
            resolution: resolve.resolution,
        }),
        Job::CancelRequested => Ok(Delivery::CancelRequested),
        Job::FireTimer(seq) => Ok(Delivery::FireTimer { seq }),
        Job::Signal(signal) if signal.name == CHILD_CANCEL_REQUESTED => {
            let seq = serde_json::from_slice(&signal.input.data).map_err(|e| {
                format!("the host's `{CHILD_CANCEL_REQUESTED}` does not carry a seq: {e}")
            })?;
            Ok(Delivery::ChildCancelRequested { seq })
        }
        Job::Signal(signal) => match Notice::of(&signal.name, &signal.input) {
            Some(notice) => Ok(Delivery::Notice(notice)),
            None => Ok(Delivery::Signal(signal)),
        },
        Job::Update(update) => Ok(Delivery::Update(update)),
        Job::StartWorkflow(start) => Err(format!(
            "the host delivered `start-workflow` (type `{}`) to an instance that has \
             already started; one instance serves one execution",
            start.workflow_type
        )),
        Job::Query(query) => Err(format!(
            "the host delivered query `{}` together with other jobs; a query must be the \
             only job of its activation (it is answered without changing the workflow)",
            query.name
        )),
        Job::ResolveChildWorkflow(resolve) => Ok(Delivery::ResolveChildWorkflow {
            seq: resolve.seq,
            causes: match resolve.resolution {
                ChildResolution::Started(_) | ChildResolution::Completed(_) => Vec::new(),
                _ => crate::host::job_failure_causes(index as u32),
            },
            resolution: resolve.resolution,
        }),
    }
}

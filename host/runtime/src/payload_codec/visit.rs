//! Every payload of an event or an outcome that the codec encodes: inputs, results,
//! activity inputs and outputs, signals, updates, queries, child inputs and results,
//! side-effect markers, memo, heartbeat details, continue-as-new inputs and failures'
//! details. Search attributes are left out on purpose: they are indexed, so they stay
//! plaintext.

use crate::history::vocab::{
    ActivityResolution, ChildResolution, Command, Failure, Job, Marker, Payload,
};
use crate::history::{Event, Outcome};

/// Call `f` on every encodable payload of `event`, stopping at the first error.
pub fn event_payloads<E>(
    event: &mut Event,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    match event {
        Event::Job(job) | Event::PendingJob(job) => job_payloads(job, f),
        Event::Command(issued) => command_payloads(&mut issued.command, f),
        Event::ActivityAttemptFailed { failure, .. }
        | Event::LocalActivityAttemptFailed { failure, .. } => failure_payloads(failure, f),
        Event::ActivityHeartbeat { details, .. } => details.as_mut().map_or(Ok(()), f),
        Event::ExecutionStarted(_)
        | Event::TaskStarted { .. }
        | Event::TaskFailed(_)
        | Event::Terminated { .. }
        | Event::TaskAttemptFailed { .. }
        | Event::CancelRequested { .. }
        | Event::Deadlines { .. }
        | Event::TimedOut { .. }
        | Event::ModuleChanged { .. }
        | Event::ContinuedFrom { .. }
        | Event::ChildOptions { .. }
        | Event::ResetFrom { .. }
        | Event::ResetTo { .. }
        | Event::Paused { .. }
        | Event::Unpaused { .. }
        | Event::ActivityPaused { .. }
        | Event::ActivityUnpaused { .. }
        | Event::ActivityReset { .. }
        | Event::ActivityOptionsUpdated { .. }
        | Event::Priority { .. }
        | Event::UserMetadata { .. }
        | Event::Fairness(_)
        | Event::ActivityFlow { .. }
        | Event::ChildFlow { .. }
        | Event::Debounced { .. }
        | Event::CurrentDetails { .. }
        | Event::Arrived { .. } => Ok(()),
    }
}

/// Call `f` on every encodable payload of `outcome`.
pub fn outcome_payloads<E>(
    outcome: &mut Outcome,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    match outcome {
        Outcome::Completed(p) => f(p),
        Outcome::Failed(failure) => failure_payloads(failure, f),
        Outcome::Cancelled
        | Outcome::Terminated(_)
        | Outcome::ContinuedAsNew
        | Outcome::TimedOut(_) => Ok(()),
    }
}

fn failure_payloads<E>(
    failure: &mut Failure,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    failure.details.as_mut().map_or(Ok(()), f)
}

fn values<E>(
    pairs: &mut [(String, Payload)],
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    pairs.iter_mut().try_for_each(|(_, p)| f(p))
}

fn result_payloads<E>(
    result: &mut Result<Payload, Failure>,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    match result {
        Ok(p) => f(p),
        Err(failure) => failure_payloads(failure, f),
    }
}

fn job_payloads<E>(
    job: &mut Job,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    match job {
        Job::StartWorkflow(start) => {
            f(&mut start.input)?;
            values(&mut start.memo, f)
        }
        Job::ResolveActivity(r) | Job::ResolveLocalActivity(r) => match &mut r.resolution {
            ActivityResolution::Completed(p) => f(p),
            ActivityResolution::Failed(e)
            | ActivityResolution::Cancelled(e)
            | ActivityResolution::TimedOut(e) => failure_payloads(e, f),
        },
        Job::Signal(s) => f(&mut s.input),
        Job::Update(u) => f(&mut u.input),
        Job::Query(q) => f(&mut q.input),
        Job::ResolveChildWorkflow(r) => match &mut r.resolution {
            ChildResolution::Started(_) => Ok(()),
            ChildResolution::Completed(p) => f(p),
            ChildResolution::Failed(e)
            | ChildResolution::Cancelled(e)
            | ChildResolution::Terminated(e) => failure_payloads(e, f),
        },
        Job::FireTimer(_) | Job::CancelRequested | Job::ChildCancelRequested(_) => Ok(()),
    }
}

fn command_payloads<E>(
    command: &mut Command,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    match command {
        Command::ScheduleActivity(a) | Command::ScheduleLocalActivity(a) => f(&mut a.input),
        Command::StartChildWorkflow(c) => f(&mut c.input),
        Command::SignalExternal(s) => f(&mut s.input),
        Command::RecordMarker(Marker::SideEffect(p)) => f(p),
        Command::UpsertMemo(memo) => values(memo, f),
        Command::RespondQuery(q) => result_payloads(&mut q.result, f),
        Command::RejectUpdate((_, failure)) | Command::FailWorkflow(failure) => {
            failure_payloads(failure, f)
        }
        Command::CompleteUpdate(u) => result_payloads(&mut u.result, f),
        Command::CompleteWorkflow(p) => f(p),
        Command::ContinueAsNew(c) => f(&mut c.input),
        Command::RecordMarker(Marker::Patch(_))
        | Command::UpsertSearchAttributes(_)
        | Command::RequestCancelActivity(_)
        | Command::StartTimer(_)
        | Command::CancelTimer(_)
        | Command::CancelChildWorkflow(_)
        | Command::AcceptUpdate(_)
        | Command::CancelWorkflowConfirmed => Ok(()),
    }
}

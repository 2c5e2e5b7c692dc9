//! Every payload of an event or an outcome that the codec encodes: inputs, results,
//! activity inputs and outputs, signals, updates, queries, child inputs and results,
//! side-effect markers, memo, heartbeat details, continue-as-new inputs, failures'
//! details and messages (and their causes'), and the reasons of cancel and terminate
//! requests. Search attributes are left out on purpose: they are indexed, so they stay
//! plaintext.
//!
//! A message or a reason is text, not a payload: it goes through the codec as a JSON
//! payload made on the way. An encoded failure message is kept in the failure's
//! `encoded_attributes` (`{"message": ..}`, as Temporal's failure converter does), the
//! message itself then reading [`Failure::ENCODED_MESSAGE`]; an encoded reason is kept
//! in its own string as [`ENCODED_TEXT`] followed by the envelope in base64.

use base64::Engine as _;

use crate::history::vocab::{
    ActivityResolution, ChildResolution, Command, Encoding, Failure, Job, Marker, Payload,
};
use crate::history::{Event, Outcome};

/// How a reason encoded at rest begins (a NUL, which no command line can type, then a
/// name), followed by the envelope's bytes in base64.
pub const ENCODED_TEXT: &str = "\u{0}weft-encoded:";

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

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
        Event::Terminated { reason } | Event::CancelRequested { reason } => text(reason, f),
        Event::ExecutionStarted(_)
        | Event::TaskStarted { .. }
        | Event::TaskFailed(_)
        | Event::TaskAttemptFailed { .. }
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
        | Event::Arrived { .. }
        | Event::CronSchedule { .. } => Ok(()),
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
        Outcome::Terminated(reason) => text(reason, f),
        Outcome::Cancelled | Outcome::ContinuedAsNew | Outcome::TimedOut(_) => Ok(()),
    }
}

/// A failure's details and message, and its causes'.
fn failure_payloads<E>(
    failure: &mut Failure,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    let mut next = Some(failure);
    while let Some(failure) = next {
        if let Some(details) = failure.details.as_mut() {
            f(details)?;
        }
        message(failure, f)?;
        next = failure.cause.as_deref_mut();
    }
    Ok(())
}

/// A failure's message through `f`: kept in `encoded_attributes` when `f` encodes it,
/// put back when `f` decodes them.
fn message<E>(
    failure: &mut Failure,
    f: &mut impl FnMut(&mut Payload) -> Result<(), E>,
) -> Result<(), E> {
    match failure.encoded_attributes.take() {
        Some(mut attributes) => {
            f(&mut attributes)?;
            if attributes.encoding == Encoding::Encoded {
                failure.encoded_attributes = Some(attributes);
            } else {
                failure.message = match attributes.to_json().get("message") {
                    Some(serde_json::Value::String(m)) => m.clone(),
                    _ => String::from_utf8_lossy(&attributes.data).into_owned(),
                };
            }
        }
        None => {
            let mut attributes = Payload::json(&serde_json::json!({ "message": failure.message }));
            f(&mut attributes)?;
            if attributes.encoding == Encoding::Encoded {
                failure.message = Failure::ENCODED_MESSAGE.to_owned();
                failure.encoded_attributes = Some(Box::new(attributes));
            }
        }
    }
    Ok(())
}

/// A reason through `f`, kept in its own string (see [`ENCODED_TEXT`]).
fn text<E>(text: &mut String, f: &mut impl FnMut(&mut Payload) -> Result<(), E>) -> Result<(), E> {
    let mut payload = match text.strip_prefix(ENCODED_TEXT) {
        Some(encoded) => match BASE64.decode(encoded) {
            Ok(data) => Payload {
                encoding: Encoding::Encoded,
                data,
            },
            // Not one of ours: a reason that happens to begin so stays as it is.
            Err(_) => return Ok(()),
        },
        None => Payload::json(&serde_json::Value::String(text.clone())),
    };
    let was_encoded = payload.encoding == Encoding::Encoded;
    f(&mut payload)?;
    match (was_encoded, payload.encoding == Encoding::Encoded) {
        (false, true) => *text = format!("{ENCODED_TEXT}{}", BASE64.encode(&payload.data)),
        (true, false) => {
            *text = match payload.to_json() {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            }
        }
        _ => {}
    }
    Ok(())
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

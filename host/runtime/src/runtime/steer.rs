//! Steering a running execution from outside: pausing and unpausing the run, and an
//! operator's acts on one of its activities (the actor's side is in
//! `execution::paused` and `execution::activity_ops`).
//!
//! | request                  | refused when                              | recorded                   |
//! |--------------------------|-------------------------------------------|----------------------------|
//! | pause                    | the run is closed or paused               | `paused`                   |
//! | unpause                  | the run is closed or not paused           | `unpaused`                 |
//! | activity pause           | no such pending activity, or it is paused | `activity-paused`          |
//! | activity unpause         | no such pending activity, or not paused   | `activity-unpaused`        |
//! | activity reset           | no such pending activity                  | `activity-reset`           |
//! | activity update-options  | no such pending activity, bad options     | `activity-options-updated` |
//!
//! Each event names who asked (`identity`) and why (`reason`); each is answered once
//! it is durable. An activity's reset and new options are recorded between two
//! attempts: with an attempt in flight, the request waits for it to end.

use tokio::sync::oneshot;

use super::messages::MessageError;
use super::{Host, Message, RunHandle};
use crate::history::vocab::ActivityOptions;

/// The longest reason or identity recorded with a steering event.
pub const MAX_STEER_TEXT_BYTES: usize = 4096;

/// What to change about a running execution, why, and who asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Steer {
    pub action: SteerAction,
    pub reason: String,
    pub identity: String,
}

/// The change itself.
#[derive(Debug, Clone, PartialEq)]
pub enum SteerAction {
    /// Run no workflow task until unpaused.
    Pause,
    /// Let workflow tasks run again; the first delivers what arrived meanwhile.
    Unpause,
    /// Act on one pending activity of the run.
    Activity(ActivityRef, ActivityAction),
}

/// Which pending activity: by its seq, or by its type when one pending activity has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityRef {
    Seq(u32),
    Type(String),
}

impl ActivityRef {
    /// A seq when `text` is a number, else an activity type.
    pub fn parse(text: &str) -> ActivityRef {
        match text.parse() {
            Ok(seq) => ActivityRef::Seq(seq),
            Err(_) => ActivityRef::Type(text.to_string()),
        }
    }
}

impl std::fmt::Display for ActivityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActivityRef::Seq(seq) => write!(f, "seq {seq}"),
            ActivityRef::Type(name) => write!(f, "`{name}`"),
        }
    }
}

/// An operator's act on one activity.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityAction {
    /// No new attempt starts (one in flight finishes).
    Pause,
    Unpause,
    /// Attempts start again from 1, heartbeat details dropped.
    Reset,
    /// New timeouts or retry policy from the next attempt.
    UpdateOptions(OptionsUpdate),
}

/// The options to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptionsUpdate {
    pub start_to_close_ms: Option<u64>,
    pub schedule_to_close_ms: Option<u64>,
    pub heartbeat_timeout_ms: Option<u64>,
    /// 0: unlimited.
    pub maximum_attempts: Option<u32>,
    pub initial_interval_ms: Option<u64>,
    pub backoff_coefficient: Option<f64>,
    pub maximum_interval_ms: Option<u64>,
}

impl OptionsUpdate {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        *self == OptionsUpdate::default()
    }

    /// `options` with these changes (a retry policy that was left to the default
    /// starts from the default's values).
    pub fn applied_to(&self, options: &ActivityOptions) -> Result<ActivityOptions, String> {
        if self.start_to_close_ms == Some(0) {
            return Err("start-to-close must be longer than 0".into());
        }
        if self
            .backoff_coefficient
            .is_some_and(|c| !(1.0..=100.0).contains(&c))
        {
            return Err("the backoff coefficient must be between 1 and 100".into());
        }
        let mut new = options.clone();
        if let Some(t) = self.start_to_close_ms {
            new.start_to_close_timeout_ms = t;
        }
        if let Some(t) = self.schedule_to_close_ms {
            new.schedule_to_close_timeout_ms = (t > 0).then_some(t);
        }
        if let Some(t) = self.heartbeat_timeout_ms {
            new.heartbeat_timeout_ms = (t > 0).then_some(t);
        }
        let retry = [
            self.maximum_attempts.is_some(),
            self.initial_interval_ms.is_some(),
            self.backoff_coefficient.is_some(),
            self.maximum_interval_ms.is_some(),
        ];
        if retry.contains(&true) {
            let mut policy = new
                .retry_policy
                .take()
                .unwrap_or_else(crate::activities::default_policy);
            set(&mut policy.maximum_attempts, self.maximum_attempts);
            set(&mut policy.initial_interval_ms, self.initial_interval_ms);
            set(&mut policy.backoff_coefficient, self.backoff_coefficient);
            set(&mut policy.maximum_interval_ms, self.maximum_interval_ms);
            new.retry_policy = Some(policy);
        }
        Ok(new)
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// A steering request that was not carried out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SteerError {
    /// The run is not found, closed, or the host cannot take the request now; or
    /// the request is malformed.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// Pausing a paused run.
    #[error(
        "execution `{workflow_id}` is already paused (by {identity}: {reason}); unpause it first"
    )]
    AlreadyPaused {
        workflow_id: String,
        reason: String,
        identity: String,
    },
    /// Unpausing a run that is not paused.
    #[error("execution `{0}` is not paused")]
    NotPaused(String),
    /// The run has no pending activity by that seq or type.
    #[error("execution `{workflow_id}` has no pending activity {activity}{pending}")]
    NoActivity {
        workflow_id: String,
        activity: String,
        /// The pending ones, as a hint.
        pending: String,
    },
    /// The activity is not in a state the act applies to (paused already, not
    /// paused, several of the type, ended meanwhile).
    #[error("{0}")]
    Activity(String),
}

/// What a steering request reached: the run, and for an activity act its seq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steered {
    pub run: RunHandle,
    pub seq: Option<u32>,
}

impl Host {
    /// Pause the open run of `id`: no workflow task runs until [`Host::unpause`];
    /// signals, timers and activity results that arrive meanwhile are recorded and
    /// delivered at unpause, updates wait, queries are answered. Returns once the
    /// `paused` event is durable.
    pub async fn pause(
        &self,
        id: &str,
        reason: &str,
        identity: &str,
    ) -> Result<RunHandle, SteerError> {
        let steered = self.steer(id, steer(SteerAction::Pause, reason, identity));
        Ok(steered.await?.run)
    }

    /// Unpause the paused run of `id`; returns once the `unpaused` event is durable.
    pub async fn unpause(
        &self,
        id: &str,
        reason: &str,
        identity: &str,
    ) -> Result<RunHandle, SteerError> {
        let steered = self.steer(id, steer(SteerAction::Unpause, reason, identity));
        Ok(steered.await?.run)
    }

    /// Hand `request` to the open run of `id` and wait until it is recorded.
    pub async fn steer(&self, id: &str, request: Steer) -> Result<Steered, SteerError> {
        for (field, text) in [("reason", &request.reason), ("identity", &request.identity)] {
            if text.trim().is_empty() || text.len() > MAX_STEER_TEXT_BYTES {
                return Err(MessageError::Invalid(format!(
                    "the {field} must have 1 to {MAX_STEER_TEXT_BYTES} bytes and not be blank"
                ))
                .into());
            }
        }
        if let SteerAction::Activity(_, ActivityAction::UpdateOptions(update)) = &request.action {
            if update.is_empty() {
                let message = "give at least one option to change (a timeout or the retry policy)";
                return Err(MessageError::Invalid(message.into()).into());
            }
        }
        let run = self.open_target(id)?;
        let (reply, answer) = oneshot::channel();
        let message = Message::Steer {
            request,
            reply,
            busy: self.inner.clock.busy(),
        };
        if !self.inner.send(&run.run_id, message) {
            return Err(self.gone(&run.run_id).into());
        }
        let seq = answer
            .await
            .unwrap_or_else(|_| Err(self.gone(&run.run_id).into()))?;
        Ok(Steered { run, seq })
    }
}

fn steer(action: SteerAction, reason: &str, identity: &str) -> Steer {
    Steer {
        action,
        reason: reason.to_string(),
        identity: identity.to_string(),
    }
}

//! What a definition is made of: steps, their policies, and the conditions that steer
//! them. Every type decodes from the JSON a user writes.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use weft_sdk::RetryPolicy;

/// A workflow definition: the steps to run, in order, on the variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// The variable `input` when the steps begin.
    #[serde(default)]
    pub input: Value,
    /// The steps, run one after another.
    pub steps: Vec<Step>,
    /// The variable the workflow returns; none: every variable, as an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// One step: what it does, and the policies that bound it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Names the step in errors; an activity step stores its result under this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An activity step: each attempt's start-to-close timeout (10 s unless given).
    /// Any other step: a durable timer that fails the step when it fires first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<u64>,
    /// An activity step: its activity's retry policy (the SDK's default unless given).
    /// Any other step: how often the whole step is run again when it fails (once
    /// unless given), with the policy's backoff on durable timers in between.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// What the step does.
    #[serde(flatten)]
    pub kind: StepKind,
}

/// What a step does, by its `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// Calls `activity` with `input`, in which `{"ref": "variable"}` stands for a
    /// variable's value.
    Activity {
        activity: String,
        #[serde(default)]
        input: Value,
    },
    /// Runs the branches at once, each its steps in order, each on its own copy of the
    /// variables; what the branches set is merged in branch order.
    Parallel { branches: Vec<Vec<Step>> },
    /// Runs `then` when the condition holds, `else` when it does not.
    Conditional {
        #[serde(rename = "if")]
        condition: Condition,
        then: Vec<Step>,
        #[serde(default, rename = "else")]
        otherwise: Vec<Step>,
    },
    /// Runs `steps` `times` times, or while the condition holds (checked before each
    /// iteration), never more than `max_iterations`; the variable named `index`, if
    /// given, holds the iteration, from 0.
    Loop {
        steps: Vec<Step>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        times: Option<u32>,
        #[serde(default, rename = "while", skip_serializing_if = "Option::is_none")]
        condition: Option<Condition>,
        #[serde(default = "default_max_iterations")]
        max_iterations: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<String>,
    },
}

fn default_max_iterations() -> u32 {
    100
}

/// A test of a variable (`ref`, a name or a dotted path into it) against a value (or
/// another `{"ref": …}`): exactly one of the comparisons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greater_than: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than: Option<Value>,
}

/// A retry policy as a definition spells it; [`RetryPolicy`]'s defaults where left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Retry {
    /// Attempts in all, the first included; 0: unlimited.
    pub maximum_attempts: u32,
    /// Seconds before the first retry.
    pub initial_interval_s: f64,
    /// How much the delay grows after each retry.
    pub backoff_coefficient: f64,
    /// The longest delay, in seconds.
    pub maximum_interval_s: f64,
    /// Error types never retried.
    pub non_retryable_error_types: Vec<String>,
}

impl Default for Retry {
    fn default() -> Self {
        let policy = RetryPolicy::default();
        Self {
            maximum_attempts: policy.maximum_attempts,
            initial_interval_s: policy.initial_interval.as_secs_f64(),
            backoff_coefficient: policy.backoff_coefficient,
            maximum_interval_s: policy.maximum_interval.as_secs_f64(),
            non_retryable_error_types: policy.non_retryable_error_types,
        }
    }
}

impl Retry {
    /// The SDK's retry policy of an activity step.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            initial_interval: seconds(self.initial_interval_s),
            backoff_coefficient: self.backoff_coefficient,
            maximum_interval: seconds(self.maximum_interval_s),
            maximum_attempts: self.maximum_attempts,
            non_retryable_error_types: self.non_retryable_error_types.clone(),
        }
    }

    /// The wait before retry `n` (from 1) of a step that is not an activity.
    pub fn delay(&self, n: u32) -> Duration {
        let growth = self
            .backoff_coefficient
            .max(1.0)
            .powi(n.saturating_sub(1) as i32);
        let delay = (self.initial_interval_s * growth).min(self.maximum_interval_s);
        seconds(delay)
    }
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

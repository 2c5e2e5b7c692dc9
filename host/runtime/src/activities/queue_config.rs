//! A task queue as a host's config declares it: `--task-queue NAME[=LIMIT]`.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::str::FromStr;

use weft_model::names::{NameError, TaskQueueName};

/// A task queue a host serves, as declared in its config (`--task-queue NAME[=LIMIT]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskQueueConfig {
    name: String,
    max_concurrent: Option<NonZeroUsize>,
}

/// Why a task queue declaration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskQueueConfigError {
    /// The name is empty.
    #[error("a task queue needs a name: write `NAME` or `NAME=LIMIT` (e.g. `gpu=2`)")]
    EmptyName,
    /// The name has white space or control characters in it, or is too long.
    #[error("{0}; declare a queue as `NAME` or `NAME=LIMIT` (e.g. `gpu=2`)")]
    BadName(NameError),
    /// The limit is not a whole number.
    #[error("task queue `{queue}`: limit `{limit}` is not a whole number; write `{queue}=LIMIT` with LIMIT 1 or more, or `{queue}` alone for no limit")]
    BadLimit { queue: String, limit: String },
    /// A limit of 0 would never run an activity.
    #[error("task queue `{queue}`: a limit of 0 would never run an activity; give 1 or more, or `{queue}` alone for no limit")]
    ZeroLimit { queue: String },
    /// The same queue is declared twice.
    #[error("task queue `{0}` is declared twice; declare each queue once")]
    Duplicate(String),
}

impl TaskQueueConfig {
    /// A queue named `name` running at most `max_concurrent` activities at once
    /// (`None`: no limit of its own).
    pub fn new(
        name: impl Into<String>,
        max_concurrent: Option<usize>,
    ) -> Result<TaskQueueConfig, TaskQueueConfigError> {
        let name = name.into();
        if name.is_empty() {
            return Err(TaskQueueConfigError::EmptyName);
        }
        TaskQueueName::parse(&name).map_err(TaskQueueConfigError::BadName)?;
        let max_concurrent = match max_concurrent {
            None => None,
            Some(n) => Some(NonZeroUsize::new(n).ok_or(TaskQueueConfigError::ZeroLimit {
                queue: name.clone(),
            })?),
        };
        Ok(TaskQueueConfig {
            name,
            max_concurrent,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Most activities of this queue running at once; `None`: no limit of its own.
    pub fn max_concurrent(&self) -> Option<NonZeroUsize> {
        self.max_concurrent
    }

    /// Refuse a list that declares a queue twice.
    pub fn check_unique(queues: &[TaskQueueConfig]) -> Result<(), TaskQueueConfigError> {
        let mut seen = BTreeSet::new();
        match queues.iter().find(|q| !seen.insert(q.name.as_str())) {
            Some(q) => Err(TaskQueueConfigError::Duplicate(q.name.clone())),
            None => Ok(()),
        }
    }
}

/// `NAME` (no limit of its own) or `NAME=LIMIT`.
impl FromStr for TaskQueueConfig {
    type Err = TaskQueueConfigError;

    fn from_str(s: &str) -> Result<TaskQueueConfig, TaskQueueConfigError> {
        match s.split_once('=') {
            None => TaskQueueConfig::new(s, None),
            Some((name, limit)) => {
                let n =
                    limit
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| TaskQueueConfigError::BadLimit {
                            queue: name.to_string(),
                            limit: limit.to_string(),
                        })?;
                TaskQueueConfig::new(name, Some(n))
            }
        }
    }
}

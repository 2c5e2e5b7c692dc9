//! Where a run stands, as the API, the CLI and the metrics spell it.

use serde::{Deserialize, Serialize};

/// Where an execution's run stands, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecutionStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
    Terminated,
    ContinuedAsNew,
    TimedOut,
}

impl ExecutionStatus {
    /// Every status, in the order the docs list them.
    pub const ALL: [ExecutionStatus; 7] = [
        ExecutionStatus::Running,
        ExecutionStatus::Completed,
        ExecutionStatus::Failed,
        ExecutionStatus::Cancelled,
        ExecutionStatus::Terminated,
        ExecutionStatus::ContinuedAsNew,
        ExecutionStatus::TimedOut,
    ];

    /// True while the run has not closed.
    pub fn is_open(self) -> bool {
        self == ExecutionStatus::Running
    }

    /// The status as the API and the CLI spell it (`continued-as-new`).
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "running",
            ExecutionStatus::Completed => "completed",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Cancelled => "cancelled",
            ExecutionStatus::Terminated => "terminated",
            ExecutionStatus::ContinuedAsNew => "continued-as-new",
            ExecutionStatus::TimedOut => "timed-out",
        }
    }
}

impl std::str::FromStr for ExecutionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<ExecutionStatus, String> {
        ExecutionStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}` (expected running, completed, failed, cancelled, terminated, continued-as-new or timed-out)"))
    }
}

//! What the storage keeps about each run besides its history.

use serde::{Deserialize, Serialize};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Running,
    Completed,
    Failed,
    Cancelled,
    Terminated,
    ContinuedAsNew,
}

impl Status {
    pub fn is_open(self) -> bool {
        self == Status::Running
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Terminated => "terminated",
            Status::ContinuedAsNew => "continued-as-new",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Status, String> {
        Ok(match s {
            "running" => Status::Running,
            "completed" => Status::Completed,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            "terminated" => Status::Terminated,
            "continued-as-new" => Status::ContinuedAsNew,
            other => return Err(format!("unknown status `{other}` (expected running, completed, failed, cancelled, terminated or continued-as-new)")),
        })
    }
}

/// One run of a workflow execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub workflow_id: String,
    pub run_id: String,
    pub workflow_type: String,
    pub module_digest: String,
    pub status: Status,
    pub start_ms: u64,
    pub close_ms: Option<u64>,
    /// Number of events in the history.
    pub history_len: u64,
    /// History encoding version the run was written with.
    pub format_version: u16,
}

/// One deployed version of a module name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleVersion {
    pub name: String,
    /// 1 for the first deployment of the name.
    pub version: u32,
    pub digest: String,
    pub workflow_types: Vec<String>,
    pub deployed_ms: u64,
    /// Open executions whose histories a checked deployment replayed against it.
    #[serde(default)]
    pub checked_executions: usize,
}

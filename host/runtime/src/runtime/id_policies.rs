//! A start's id policies: whether a new run may take the id of a closed one, and what
//! a start does when a run of its id is open.

use std::str::FromStr;

/// May a new run take the id of a closed one?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum IdReusePolicy {
    #[default]
    AllowDuplicate,
    AllowDuplicateFailedOnly,
    RejectDuplicate,
}

/// What a start does when a run of its id is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum IdConflictPolicy {
    #[default]
    Fail,
    UseExisting,
    /// Terminate the open run, then start a new one.
    TerminateExisting,
}

impl IdReusePolicy {
    pub const NAMES: [&'static str; 3] = [
        "allow-duplicate",
        "allow-duplicate-failed-only",
        "reject-duplicate",
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            IdReusePolicy::AllowDuplicate => Self::NAMES[0],
            IdReusePolicy::AllowDuplicateFailedOnly => Self::NAMES[1],
            IdReusePolicy::RejectDuplicate => Self::NAMES[2],
        }
    }
}

impl FromStr for IdReusePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "allow-duplicate" => Ok(IdReusePolicy::AllowDuplicate),
            "allow-duplicate-failed-only" => Ok(IdReusePolicy::AllowDuplicateFailedOnly),
            "reject-duplicate" => Ok(IdReusePolicy::RejectDuplicate),
            other => Err(format!(
                "`{other}` is not an id reuse policy ({})",
                Self::NAMES.join(", ")
            )),
        }
    }
}

impl IdConflictPolicy {
    pub const NAMES: [&'static str; 3] = ["fail", "use-existing", "terminate-existing"];
    pub fn as_str(self) -> &'static str {
        match self {
            IdConflictPolicy::Fail => Self::NAMES[0],
            IdConflictPolicy::UseExisting => Self::NAMES[1],
            IdConflictPolicy::TerminateExisting => Self::NAMES[2],
        }
    }
}

impl FromStr for IdConflictPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fail" => Ok(IdConflictPolicy::Fail),
            "use-existing" => Ok(IdConflictPolicy::UseExisting),
            "terminate-existing" => Ok(IdConflictPolicy::TerminateExisting),
            other => Err(format!(
                "`{other}` is not an id conflict policy ({})",
                Self::NAMES.join(", ")
            )),
        }
    }
}

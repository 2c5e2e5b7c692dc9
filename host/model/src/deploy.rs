//! Deployment modes, shared by the runtime that deploys and the clients that ask.

/// What a deployment does with the open runs of the name's earlier versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeployMode {
    /// Move every run whose history replays on the new version; the others stay.
    #[default]
    Move,
    /// Refuse the deployment if any run's history diverges; otherwise move them all.
    Check,
    /// Move nobody: the open runs stay on their versions.
    Pin,
}

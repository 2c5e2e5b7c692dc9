//! Failure causes. A contract `failure` cannot hold its cause (a WIT record cannot hold
//! itself), so the host hands out the causes of a job's failure apart
//! (`job-failure-causes`, by the job's index in the activation) and takes those of a
//! command's failure apart (`command-failure-causes`, by the command's index in the
//! activation's commands), each chain as a list, outermost first. The SDK keeps them
//! beside the answers they came with, and the errors made from those answers
//! ([`ActivityError`](crate::ActivityError),
//! [`ChildWorkflowError`](crate::ChildWorkflowError), [`WorkflowError`](crate::WorkflowError))
//! expose them and pass them on.

use std::collections::BTreeMap;

use crate::cancellation::OpKind;
use crate::wit::Failure;

/// The causes of activities' failures that arrived with their answers and were not
/// taken yet, by the activity's kind and seq.
#[derive(Default)]
pub(crate) struct ActivityCauses(BTreeMap<(u8, u32), Vec<Failure>>);

impl ActivityCauses {
    fn key(kind: OpKind, seq: u32) -> (u8, u32) {
        (u8::from(kind == OpKind::LocalActivity), seq)
    }

    /// Keep the causes that came with activity `seq`'s answer (none: nothing kept).
    pub(crate) fn keep(&mut self, kind: OpKind, seq: u32, causes: Vec<Failure>) {
        if !causes.is_empty() {
            self.0.insert(Self::key(kind, seq), causes);
        }
    }

    /// The causes that came with activity `seq`'s answer, taken.
    pub(crate) fn take(&mut self, kind: OpKind, seq: u32) -> Vec<Failure> {
        self.0.remove(&Self::key(kind, seq)).unwrap_or_default()
    }
}

/// The causes an error keeps: behind one thin pointer, none allocated when there are
/// none, so that errors stay small (they travel in every `Result` of a workflow).
#[derive(Debug, Clone, Default)]
// A boxed `Vec` on purpose: a thin pointer, where a `Vec` or a boxed slice is wider.
#[allow(clippy::box_collection)]
pub(crate) struct Causes(Option<Box<Vec<Failure>>>);

impl Causes {
    pub(crate) fn new(causes: Vec<Failure>) -> Self {
        Causes((!causes.is_empty()).then(|| Box::new(causes)))
    }

    pub(crate) fn as_slice(&self) -> &[Failure] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

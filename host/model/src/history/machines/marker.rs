//! Markers: patches and side effects the run recorded (see [`crate::history::markers`]
//! for what replay does with them).
//!
//! | state \ event | `record-marker(patch(id))` | `record-marker(side-effect(v))` |
//! |---------------|----------------------------|---------------------------------|
//! | recorded      | recorded, `id` patched     | recorded, one more side effect  |
//!
//! A marker never changes once recorded, so the only state is the set of patches the
//! run took and how many side effects it recorded (their values stay in the history,
//! where replay reads them).

use std::collections::BTreeSet;

use crate::history::vocab::Marker;

/// The markers a run recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Markers {
    pub(super) patches: BTreeSet<String>,
    pub(super) side_effects: u32,
}

impl Markers {
    /// `record-marker`.
    pub fn recorded(&mut self, marker: &Marker) {
        match marker {
            Marker::Patch(id) => {
                self.patches.insert(id.clone());
            }
            Marker::SideEffect(_) => self.side_effects += 1,
        }
    }

    /// Whether the run recorded patch `id`.
    pub fn patched(&self, id: &str) -> bool {
        self.patches.contains(id)
    }

    pub fn side_effects(&self) -> u32 {
        self.side_effects
    }
}

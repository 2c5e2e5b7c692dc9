//! Versioning: change a workflow while runs of its old code are still in flight.
//!
//! A run replays its history on whatever code the host has now, so new code must make
//! the recorded decisions for the part of a run that is already recorded. A *patch*
//! branches on whether the run recorded it: `if ctx.patched("id") { new } else { old }`.
//! The rules are Temporal's:
//!
//! | the activation                      | the code calls          | answer | command issued      |
//! |-------------------------------------|-------------------------|--------|---------------------|
//! | live                                | `patched("id")`         | true   | patch marker `id`   |
//! | replaying, the run recorded `id`    | `patched("id")`         | true   | patch marker `id`   |
//! | replaying, the run did not          | `patched("id")`         | false  | none                |
//! | live                                | `deprecate_patch("id")` | —      | patch marker `id`   |
//! | replaying, the run recorded `id`    | `deprecate_patch("id")` | —      | patch marker `id`   |
//! | replaying, the run did not          | `deprecate_patch("id")` | —      | none                |
//! | replaying, the run recorded `id`    | neither                 | —      | none: `WEFT-NDE-1`  |
//!
//! The first call for an id decides for the whole run: later calls return the same
//! answer and issue nothing. "The run recorded `id`" is known from the marker notices
//! the host's replayer adds to each replayed activation (see the host's
//! `history::markers`): every patch marker the task recorded, before any code runs.
//! Unlike Temporal, a patch marker does not say whether `deprecate_patch` recorded it,
//! so a recorded marker that the code no longer asks for always diverges: remove
//! `deprecate_patch` only when no run that recorded the patch is left.
//!
//! A *side effect* runs its closure once, live, and records the value in a
//! `side-effect` marker; on replay it returns the value the task recorded (delivered by
//! a notice, in order) and does not run the closure. A workflow reaches nothing
//! nondeterministic, so what a side effect protects is a value from code that may change
//! between versions (a price table, a formula): a run keeps the value it drew.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::panic::Location;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::context::WfContext;
use crate::payload;
use crate::wit::{Command, Marker, Payload};

/// The signal name of a patch notice (the host's `history::markers::PATCH_NOTICE`).
pub(crate) const PATCH_NOTICE: &str = "__weft_patch";
/// The signal name of a side-effect notice (`history::markers::SIDE_EFFECT_NOTICE`).
pub(crate) const SIDE_EFFECT_NOTICE: &str = "__weft_side_effect";

/// A marker the task being replayed recorded, as its notice tells; still encoded (a
/// live one came from a client and is dropped whatever it holds).
pub(crate) enum Notice {
    /// The patch id, as a JSON string.
    Patch(Payload),
    /// The recorded value.
    SideEffect(Payload),
}

impl Notice {
    /// The notice a signal is, if its name is reserved for notices.
    pub(crate) fn of(name: &str, input: &Payload) -> Option<Notice> {
        match name {
            PATCH_NOTICE => Some(Notice::Patch(input.clone())),
            SIDE_EFFECT_NOTICE => Some(Notice::SideEffect(input.clone())),
            _ => None,
        }
    }
}

/// What the run knows about its patches and side effects.
#[derive(Default)]
pub(crate) struct Markers {
    /// Patches whose markers replay has announced so far in this run.
    recorded_patches: BTreeSet<String>,
    /// What the first call for each patch id answered.
    decided: BTreeMap<String, bool>,
    /// The side-effect values the task being replayed recorded, not yet returned.
    side_effects: VecDeque<Payload>,
    /// Whether a side effect's closure is running.
    pub(crate) in_side_effect: bool,
}

impl Markers {
    /// A new activation begins: side-effect values belong to the task that recorded them.
    pub(crate) fn begin_activation(&mut self) {
        self.side_effects.clear();
    }

    /// Applies a notice. Only replay sends them: in a live activation a signal with a
    /// reserved name came from a client and is dropped (replay drops it too).
    pub(crate) fn apply(&mut self, notice: Notice, is_replaying: bool) {
        if !is_replaying {
            let name = match notice {
                Notice::Patch(_) => PATCH_NOTICE,
                Notice::SideEffect(_) => SIDE_EFFECT_NOTICE,
            };
            crate::log(
                crate::LogLevel::Warn,
                &format!("signal `{name}` dropped: the name is reserved for the host's replay"),
            );
            return;
        }
        match notice {
            Notice::Patch(id) => match payload::from_json::<String>(&id) {
                Ok(id) => {
                    self.recorded_patches.insert(id);
                }
                // The host's replayer writes notices; replay will report what follows.
                Err(e) => crate::log(
                    crate::LogLevel::Warn,
                    &format!("a patch notice that does not decode was dropped: {e}"),
                ),
            },
            Notice::SideEffect(value) => self.side_effects.push_back(value),
        }
    }
}

impl<S> WfContext<S> {
    /// Whether this run takes the new branch of change `id`: true in a live activation
    /// (and a `patch` marker is recorded), on replay true only if the run recorded the
    /// marker. The first call for an id decides for the rest of the run.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};
    /// #[workflow]
    /// async fn greet(ctx: WfContext, name: String) -> WfResult<String> {
    ///     let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    ///     if ctx.patched("shout") {
    ///         // New runs (and runs that recorded the patch) take this branch.
    ///         Ok(ctx.activity_by_name("to_upper", &name, &options).await?)
    ///     } else {
    ///         // Runs recorded before the change replay the old decisions.
    ///         Ok(ctx.activity_by_name("greet", &name, &options).await?)
    ///     }
    /// }
    /// ```
    ///
    /// Once no run without the patch is left, replace the call by
    /// [`deprecate_patch`](Self::deprecate_patch) and drop the old branch.
    #[track_caller]
    pub fn patched(&self, id: &str) -> bool {
        self.patch(id, Location::caller())
    }

    /// Marks where change `id` was once checked, after its old branch was removed:
    /// records the patch marker like [`patched`](Self::patched), so runs that recorded
    /// it still replay, and never branches. Remove the call only when no run that
    /// recorded the patch is left.
    #[track_caller]
    pub fn deprecate_patch(&self, id: &str) {
        self.patch(id, Location::caller());
    }

    fn patch(&self, id: &str, caller: &'static Location<'static>) -> bool {
        let mut state = self.state.borrow_mut();
        if let Some(&decided) = state.markers.decided.get(id) {
            return decided;
        }
        let new = !state.is_replaying || state.markers.recorded_patches.contains(id);
        state.markers.decided.insert(id.to_owned(), new);
        if new {
            let command = Command::RecordMarker(Marker::Patch(id.to_owned()));
            state.issue(command, Some(caller));
        }
        new
    }

    /// Runs `compute` once and records its value: on replay, returns the recorded value
    /// without running `compute`.
    ///
    /// The closure must not use the context (no commands, no `random_*`): on replay it
    /// does not run, so it would take them away from the code after it.
    ///
    /// ```no_run
    /// # use weft_sdk::{workflow, WfContext, WfResult};
    /// # fn discount_for(_: &str) -> u32 { 5 }
    /// #[workflow]
    /// async fn order(ctx: WfContext, customer: String) -> WfResult<u32> {
    ///     // The rule may change in a later version; this run keeps what it drew.
    ///     let discount: u32 = ctx.side_effect(|| discount_for(&customer));
    ///     Ok(discount)
    /// }
    /// ```
    ///
    /// # Panics
    ///
    /// If the value does not encode as JSON, or on replay the recorded value does not
    /// decode as `T` (the code changed the side effect's type): the task fails.
    #[track_caller]
    pub fn side_effect<T: Serialize + DeserializeOwned>(&self, compute: impl FnOnce() -> T) -> T {
        let caller = Location::caller();
        let recorded = {
            let mut state = self.state.borrow_mut();
            match state.is_replaying {
                true => state.markers.side_effects.pop_front(),
                false => None,
            }
        };
        let (value, recorded) = match recorded {
            Some(recorded) => match payload::from_json(&recorded) {
                Ok(value) => (value, recorded),
                Err(e) => panic!(
                    "the side effect's recorded value does not decode as `{}`: {e}",
                    std::any::type_name::<T>()
                ),
            },
            None => {
                self.state.borrow_mut().markers.in_side_effect = true;
                let value = compute();
                self.state.borrow_mut().markers.in_side_effect = false;
                let encoded = payload::to_json(&value).unwrap_or_else(|e| {
                    panic!(
                        "the side effect's value (`{}`) does not encode as JSON: {e}",
                        std::any::type_name::<T>()
                    )
                });
                (value, encoded)
            }
        };
        let command = Command::RecordMarker(Marker::SideEffect(recorded));
        self.state.borrow_mut().issue(command, Some(caller));
        value
    }

    /// Panics if a side effect's closure is running: `what` would not run on replay.
    pub(crate) fn outside_side_effect(&self, what: &str) {
        if self.state.borrow().markers.in_side_effect {
            panic!("{what} inside a side effect's closure: the closure does not run on replay");
        }
    }
}

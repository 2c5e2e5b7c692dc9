//! Names and types of the example activities.
//!
//! Shared by the example workflows, which call the activities, and by the host-side
//! crate `example-activities`, which implements and registers them. Each activity is a
//! unit struct implementing [`ActivityType`]: its name and its input and output types in
//! one place, so neither side spells a name or guesses a type.

use weft_sdk::ActivityType;

/// Greets someone: `"World"` → `"Hello, World!"`.
pub struct Greet;

impl ActivityType for Greet {
    const NAME: &'static str = "greet";
    /// The name of whom to greet.
    type Input = String;
    /// `"Hello, {name}!"`.
    type Output = String;
}

/// Upper-cases a string: `"abc"` → `"ABC"`.
pub struct ToUpper;

impl ActivityType for ToUpper {
    const NAME: &'static str = "to_upper";
    type Input = String;
    type Output = String;
}

/// Reverses a string by characters: `"ABC"` → `"CBA"`.
pub struct Reverse;

impl ActivityType for Reverse {
    const NAME: &'static str = "reverse";
    type Input = String;
    type Output = String;
}

/// Squares a number: `7` → `49`.
pub struct Square;

impl ActivityType for Square {
    const NAME: &'static str = "square";
    type Input = u64;
    type Output = u64;
}

/// Waits on the host's clock for the given milliseconds and returns them: a stand-in
/// for slow work (virtual time skips it in a test environment).
pub struct Nap;

impl ActivityType for Nap {
    const NAME: &'static str = "nap";
    /// Milliseconds to wait.
    type Input = u64;
    /// The milliseconds waited.
    type Output = u64;
}

/// Never finishes on its own: heartbeats every second (its details count the
/// heartbeats, resumed from the last recorded count on a retry) until it is cancelled,
/// then fails as cancelled. A stand-in for work that must be stopped from outside.
pub struct NeverComplete;

impl ActivityType for NeverComplete {
    const NAME: &'static str = "never_complete";
    type Input = ();
    /// Never produced.
    type Output = ();
}

/// Cleans up after cancelled work: `"order-17"` → `"cleaned up order-17"`.
pub struct Cleanup;

impl ActivityType for Cleanup {
    const NAME: &'static str = "cleanup";
    /// What to clean up.
    type Input = String;
    /// What was cleaned up.
    type Output = String;
}

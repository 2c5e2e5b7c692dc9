//! Names and types of the example activities.
//!
//! Shared by the example workflows, which call the activities, and by the host-side
//! crate `example-activities`, which implements and registers them. Each activity is a
//! unit struct implementing [`ActivityType`]: its name and its input and output types in
//! one place, so neither side spells a name or guesses a type.

mod compliance;
mod patterns;
mod travel;

pub use compliance::{
    Audit, AuditEntry, Authorization, AuthorizeCard, Capture, CapturePayment, PaymentRequest,
    CARD_INVALID,
};
pub use patterns::{BatchTotals, MaintenanceDue, NotifyMaintenance, SummarizeBatch, ValidateItems};
pub use travel::{
    BookCar, BookFlight, BookHotel, CancelCar, CancelFlight, CancelHotel, Trip, NOT_THIS_KIND,
    NO_FLIGHTS,
};
use weft_types::ActivityType;

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

/// What [`PollUntilReady`] polls for: a job of a fake external service whose status
/// becomes ready at the `ready_after`-th poll.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PollJob {
    /// Polls it takes until the status is ready (at least 1).
    pub ready_after: u32,
}

/// What [`PollUntilReady`] reports once the status is ready.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PollReport {
    /// Polls made in all, by every attempt.
    pub polls: u32,
    /// Polls made before this attempt started, read from the last recorded heartbeat of
    /// an earlier attempt (0 on a first attempt).
    pub resumed_from: u32,
    /// The attempt that saw the status ready.
    pub attempt: u32,
}

/// Polls a fake external status once a second, heartbeating the poll count after each
/// poll, until the status is ready. A retried attempt (after a heartbeat timeout or a
/// host crash) carries on from the count of the last recorded heartbeat.
pub struct PollUntilReady;

impl ActivityType for PollUntilReady {
    const NAME: &'static str = "poll_until_ready";
    type Input = PollJob;
    type Output = PollReport;
}

/// Checks a fake external status once per attempt: fails (retryable) with
/// `not ready yet (attempt N of M)` until attempt `M` (its input), which returns `M`.
/// Polling by retry policy: the backoff is the polling interval.
pub struct CheckStatus;

impl ActivityType for CheckStatus {
    const NAME: &'static str = "check_status";
    /// The attempt at which the status is ready (at least 1).
    type Input = u32;
    /// The attempt that saw it ready.
    type Output = u32;
}

/// A card payment for [`ChargeCard`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    pub card: String,
    pub amount_cents: u64,
}

/// The error type [`ChargeCard`] fails with when the gateway does not answer: worth
/// retrying.
pub const GATEWAY_TIMEOUT: &str = "GatewayTimeout";
/// The error type [`ChargeCard`] fails with when the card is declined: retrying cannot
/// help, so callers list it in their retry policy's non-retryable error types.
pub const CARD_DECLINED: &str = "CardDeclined";

/// Charges a card (a fake gateway); returns a payment id. By card number:
/// - `"4000-0000-0000-0002"`: declined: fails with type [`CARD_DECLINED`] (retryable as
///   far as the activity is concerned: the caller's retry policy decides);
/// - `"4000-0000-0000-0119"`: the gateway times out (type [`GATEWAY_TIMEOUT`],
///   retryable) on attempts 1 and 2, then the card is declined;
/// - any other card is charged: `"pay-<last 4 digits>-<amount>"`.
pub struct ChargeCard;

impl ActivityType for ChargeCard {
    const NAME: &'static str = "charge_card";
    type Input = Payment;
    type Output = String;
}

/// Counts the words of a text (split on whitespace). The `weft` binary registers it at
/// start; the `dynamic-activities` test registers it on a host that is already running.
pub struct WordCount;

impl ActivityType for WordCount {
    const NAME: &'static str = "word_count";
    type Input = String;
    type Output = u64;
}

/// The operations the example host's dynamic activity handler serves, by activity
/// name; each takes a string and returns a string. Any other unregistered name fails
/// non-retryably with `weft.UnknownActivity`.
pub const TEXT_OPERATIONS: [&str; 3] = ["text.upper", "text.lower", "text.reverse"];

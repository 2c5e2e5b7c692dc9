//! The activities of a card payment that keeps an audit trail, for the
//! `audited-payment` example: authorize the card, capture the payment, and an audit
//! entry for every step.
//!
//! The request carries sensitive fields: `card_number` is one by its name (the host
//! masks it wherever it shows it, as `****1111`) and `cvv` is one by its type
//! ([`Sensitive`]). The activities get the real values; the audit trail, like every
//! display of the host, holds them masked.

use serde::{Deserialize, Serialize};
use weft_types::{ActivityType, Sensitive};

/// A payment to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRequest {
    /// Names the payment; the gateway's ids are made from it.
    pub id: String,
    /// Who pays.
    pub customer: String,
    /// The card's number (digits, with spaces or dashes between them if you like).
    pub card_number: String,
    /// The card's security code: masked because it is a [`Sensitive`], not by name.
    pub cvv: Sensitive<String>,
    pub amount_cents: u64,
}

/// What the gateway says of an authorized card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// For [`CapturePayment`].
    pub authorization_id: String,
    /// The card's last four digits.
    pub card_last4: String,
    /// A fingerprint of the whole card number (FNV-1a, 64 bits, of its digits, in
    /// hex): the same card gives the same fingerprint, so a reader can match cards
    /// without seeing them.
    pub card_fingerprint: String,
}

/// What a captured payment comes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    pub payment_id: String,
    pub amount_cents: u64,
}

/// One entry of the audit trail: a step of an execution, and what it was about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The step (`received`, `authorized`, `captured`, …).
    pub step: String,
    /// What the step saw; sensitive fields are masked when the entry is written.
    pub details: serde_json::Value,
}

/// The error type [`AuthorizeCard`] fails with for a card number that is not one (its
/// check digit is wrong) or a security code that is not 3 or 4 digits. Not retried.
pub const CARD_INVALID: &str = "CardInvalid";

/// Checks the card and reserves the amount; returns an [`Authorization`], or fails
/// with [`CARD_INVALID`].
pub struct AuthorizeCard;

impl ActivityType for AuthorizeCard {
    const NAME: &'static str = "authorize_card";
    type Input = PaymentRequest;
    type Output = Authorization;
}

/// Captures an authorized payment: `(authorization id, amount in cents)`.
pub struct CapturePayment;

impl ActivityType for CapturePayment {
    const NAME: &'static str = "capture_payment";
    type Input = (String, u64);
    type Output = Capture;
}

/// Appends an entry to the audit trail, its sensitive fields masked; returns the
/// entry's number in the execution's trail (1, 2, …).
pub struct Audit;

impl ActivityType for Audit {
    const NAME: &'static str = "audit";
    type Input = AuditEntry;
    type Output = u64;
}

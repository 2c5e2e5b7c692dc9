//! Validation of a workflow's input on the way in, beyond what its type says.
//!
//! A workflow's input is decoded from JSON into its type; with `#[workflow(validate)]`
//! the type's [`Validate`] rules run next. Input that fails either is refused before
//! the workflow starts: the host answers the start with the error, naming the field,
//! and records nothing.

/// Rules a workflow's input type checks (`#[workflow(validate)]` runs them).
pub trait Validate {
    /// `Err` names the first field that breaks a rule and says why.
    fn validate(&self) -> Result<(), ValidationError>;
}

/// A field of a workflow's input that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The field's path: `customer`, `items[1].quantity`.
    pub field: String,
    /// What is wrong with it: `must be between 1 and 100`.
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ValidationError {
        ValidationError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}

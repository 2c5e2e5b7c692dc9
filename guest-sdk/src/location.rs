//! Source locations: every command and every workflow error names the line of workflow
//! code it came from, so that a replay mismatch or a failure points at the user's code.

use std::panic::Location;

use crate::wit::SourceLocation;

/// Converts a `#[track_caller]` location into the contract's form.
pub(crate) fn from_caller(location: &Location<'_>) -> SourceLocation {
    SourceLocation {
        file: location.file().to_owned(),
        line: location.line(),
        column: location.column(),
    }
}

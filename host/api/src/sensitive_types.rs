//! The body of `GET /v1/sensitive-fields`: what the server masks.

use serde::{Deserialize, Serialize};

/// The fields a server masks wherever it shows a payload: by name (compared without case
/// and without `_` or `-`, at any depth of a JSON payload), and every value marked with
/// `marker` (what the SDK's `Sensitive<T>` serializes as).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensitiveFieldsBody {
    /// The names, normalized (lower case, no `_` or `-`), in order.
    pub fields: Vec<String>,
    /// The key of the object a marked value is wrapped in: `$sensitive`.
    pub marker: String,
}

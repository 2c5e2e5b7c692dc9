//! The names users give: workflow ids, module names, schedule ids, task queue names,
//! the names of signals, queries and updates, and search attribute names. Each is a
//! newtype made only by `parse`, so a name that reached the runtime was checked, and
//! the runtime, the HTTP API and the command line refuse the same names with the same
//! message.
//!
//! ```
//! use weft_model::names::WorkflowId;
//!
//! assert_eq!(WorkflowId::parse("order-17").unwrap().as_str(), "order-17");
//! assert_eq!(
//!     WorkflowId::parse("").unwrap_err().to_string(),
//!     "the workflow id is empty (1-200 characters, no control characters)"
//! );
//! ```

use std::fmt;

/// The longest id or name, in characters (search attribute names excepted).
pub const MAX_NAME_CHARS: usize = 200;

/// How much of a refused name a message shows.
const SHOWN_CHARS: usize = 60;

/// A name that is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("the {kind} is empty ({rule})")]
    Empty {
        kind: &'static str,
        rule: &'static str,
    },
    /// The name is too long or has a character its kind does not allow.
    #[error("`{shown}` is not a usable {kind} ({rule})")]
    Unusable {
        kind: &'static str,
        /// The name, cut short when long.
        shown: String,
        rule: &'static str,
    },
    /// A search attribute named like a field every run has.
    #[error("`{0}` is a built-in field and cannot be set as a search attribute")]
    BuiltIn(String),
}

/// What a kind of name allows.
struct Rule {
    kind: &'static str,
    /// How a person is told the rule.
    text: &'static str,
    max_chars: usize,
    allowed: fn(char) -> bool,
    /// Whether the first character may be a digit.
    digit_first: bool,
}

impl Rule {
    fn check(&self, name: &str) -> Result<(), NameError> {
        if name.is_empty() {
            return Err(NameError::Empty {
                kind: self.kind,
                rule: self.text,
            });
        }
        let first_ok = self.digit_first || !name.starts_with(|c: char| c.is_ascii_digit());
        if !first_ok || name.chars().count() > self.max_chars || !name.chars().all(self.allowed) {
            let mut shown: String = name.chars().take(SHOWN_CHARS).collect();
            if shown.len() < name.len() {
                shown.push('…');
            }
            return Err(NameError::Unusable {
                kind: self.kind,
                shown: shown.escape_debug().to_string(),
                rule: self.text,
            });
        }
        Ok(())
    }
}

fn not_control(c: char) -> bool {
    !c.is_control()
}

fn no_slash_nor_control(c: char) -> bool {
    !c.is_control() && c != '/'
}

fn no_space_nor_control(c: char) -> bool {
    !c.is_control() && !c.is_whitespace()
}

fn attribute_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// A newtype over `String` made only by checking it against `$rule`.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Check `name`; the error says what is allowed.
            pub fn parse(name: &str) -> Result<$name, NameError> {
                const RULE: Rule = $rule;
                RULE.check(name)?;
                Ok($name(name.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<$name, NameError> {
                $name::parse(s)
            }
        }
    };
}

name_type!(
    /// A workflow id: 1-200 characters, no control characters.
    WorkflowId,
    Rule {
        kind: "workflow id",
        text: "1-200 characters, no control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: not_control,
        digit_first: true,
    }
);

name_type!(
    /// A module name: 1-200 characters, no `/` or control characters.
    ModuleName,
    Rule {
        kind: "module name",
        text: "1-200 characters, no `/` or control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: no_slash_nor_control,
        digit_first: true,
    }
);

name_type!(
    /// A schedule id: 1-200 characters, no `/` or control characters.
    ScheduleId,
    Rule {
        kind: "schedule id",
        text: "1-200 characters, no `/` or control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: no_slash_nor_control,
        digit_first: true,
    }
);

name_type!(
    /// A batch job's id (`weft batch … --id`): 1-200 characters, no `/` or control
    /// characters.
    BatchId,
    Rule {
        kind: "batch id",
        text: "1-200 characters, no `/` or control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: no_slash_nor_control,
        digit_first: true,
    }
);

name_type!(
    /// A task queue name: 1-200 characters, no white space or control characters.
    TaskQueueName,
    Rule {
        kind: "task queue name",
        text: "1-200 characters, no white space or control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: no_space_nor_control,
        digit_first: true,
    }
);

name_type!(
    /// The name of a signal: 1-200 characters, no control characters.
    SignalName,
    Rule {
        kind: "signal name",
        text: "1-200 characters, no control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: not_control,
        digit_first: true,
    }
);

name_type!(
    /// The name of a query: 1-200 characters, no control characters.
    QueryName,
    Rule {
        kind: "query name",
        text: "1-200 characters, no control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: not_control,
        digit_first: true,
    }
);

name_type!(
    /// The name of an update: 1-200 characters, no control characters.
    UpdateName,
    Rule {
        kind: "update name",
        text: "1-200 characters, no control characters",
        max_chars: MAX_NAME_CHARS,
        allowed: not_control,
        digit_first: true,
    }
);

/// The fields every run has, which list queries name and no search attribute may.
pub const BUILT_IN_FIELDS: [&str; 6] = [
    "WorkflowId",
    "WorkflowType",
    "ExecutionStatus",
    "StartTime",
    "CloseTime",
    "RunId",
];

/// A search attribute name: letters, digits, `_` and `.`, not starting with a digit,
/// and none of the [`BUILT_IN_FIELDS`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SearchAttributeName(String);

impl SearchAttributeName {
    /// Check `name`; the error says what is allowed.
    pub fn parse(name: &str) -> Result<SearchAttributeName, NameError> {
        if BUILT_IN_FIELDS.contains(&name) {
            return Err(NameError::BuiltIn(name.to_string()));
        }
        Rule {
            kind: "search attribute name",
            text: "letters, digits, `_` and `.`, not starting with a digit",
            max_chars: MAX_NAME_CHARS,
            allowed: attribute_char,
            digit_first: false,
        }
        .check(name)?;
        Ok(SearchAttributeName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SearchAttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_ids_are_1_to_200_characters_without_control_characters() {
        assert!(WorkflowId::parse("order/17 é").is_ok());
        assert!(WorkflowId::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            WorkflowId::parse("a\nb").unwrap_err().to_string(),
            "`a\\nb` is not a usable workflow id (1-200 characters, no control characters)"
        );
        let long = WorkflowId::parse(&"x".repeat(201)).unwrap_err().to_string();
        assert!(
            long.starts_with(&format!("`{}…`", "x".repeat(60))),
            "{long}"
        );
        assert!(matches!(
            WorkflowId::parse(""),
            Err(NameError::Empty {
                kind: "workflow id",
                ..
            })
        ));
    }

    #[test]
    fn module_names_and_schedule_ids_refuse_slashes() {
        assert!(ModuleName::parse("orders").is_ok());
        assert!(ModuleName::parse("a/b").is_err());
        assert!(ScheduleId::parse("nightly").is_ok());
        let err = ScheduleId::parse("a/b").unwrap_err().to_string();
        assert_eq!(
            err,
            "`a/b` is not a usable schedule id (1-200 characters, no `/` or control characters)"
        );
    }

    #[test]
    fn task_queue_names_refuse_white_space() {
        assert_eq!(TaskQueueName::parse("gpu").unwrap().as_str(), "gpu");
        assert!(TaskQueueName::parse("a b").is_err());
        assert!(TaskQueueName::parse("a\tb").is_err());
    }

    #[test]
    fn message_names_say_their_kind() {
        assert!(SignalName::parse("approve").is_ok());
        assert!(QueryName::parse("state").is_ok());
        assert_eq!(
            UpdateName::parse("").unwrap_err().to_string(),
            "the update name is empty (1-200 characters, no control characters)"
        );
        assert!(SignalName::parse("\u{7}").is_err());
    }

    #[test]
    fn search_attribute_names_do_not_start_with_a_digit_nor_are_built_in() {
        assert!(SearchAttributeName::parse("Order.Status_2").is_ok());
        assert!(SearchAttributeName::parse("2fast").is_err());
        assert!(SearchAttributeName::parse("a-b").is_err());
        assert_eq!(
            SearchAttributeName::parse("RunId").unwrap_err(),
            NameError::BuiltIn("RunId".into())
        );
        assert_eq!(
            SearchAttributeName::parse("").unwrap_err().to_string(),
            "the search attribute name is empty (letters, digits, `_` and `.`, not starting with a digit)"
        );
    }
}
